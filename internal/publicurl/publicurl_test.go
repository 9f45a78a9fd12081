package publicurl

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestResolver(t *testing.T) {
	forwarded := httptest.NewRequest("GET", "http://internal:8080/x", nil)
	forwarded.Header.Set("X-Forwarded-Proto", "https")
	forwarded.Header.Set("X-Forwarded-Host", "evil.example, proxy.local")
	plain := httptest.NewRequest("GET", "http://seats.local:8080/x", nil)
	tlsReq := httptest.NewRequest("GET", "https://seats.local/x", nil)
	tlsReq.TLS = &tls.ConnectionState{}

	must := func(base string, trust bool) *Resolver {
		o, err := New(base, trust)
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	for _, tc := range []struct {
		name   string
		o      *Resolver
		req    *http.Request
		want   string
		secure bool
	}{
		{"configured base wins over forwarding headers", must("https://seats.example.com/", false), forwarded, "https://seats.example.com", true},
		{"configured base with a path", must("https://example.com/seats", true), plain, "https://example.com/seats", true},
		{"forwarding headers ignored without trust", must("", false), forwarded, "http://internal:8080", false},
		{"forwarding headers believed with trust", must("", true), forwarded, "https://evil.example", true},
		{"request host", must("", false), plain, "http://seats.local:8080", false},
		{"TLS", must("", false), tlsReq, "https://seats.local", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.o.Base(tc.req); got != tc.want {
				t.Errorf("Base = %q, want %q", got, tc.want)
			}
			if got := tc.o.Secure(tc.req); got != tc.secure {
				t.Errorf("Secure = %v, want %v", got, tc.secure)
			}
		})
	}
	for _, bad := range []string{"seats.example.com", "ftp://x", "https://", "https://x/?a=1", "https://x/#f", "https://u:p@x"} {
		if _, err := New(bad, false); err == nil {
			t.Errorf("New(%q) accepted", bad)
		}
	}
}
