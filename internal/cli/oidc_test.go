package cli

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oauth2-proxy/mockoidc"
)

func TestOIDCFlagsFromEnvAndSecretFile(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{
		"SEATKEEPER_OIDC_ISSUER":             "https://idp.example/",
		"SEATKEEPER_OIDC_CLIENT_ID":          "seatkeeper",
		"SEATKEEPER_OIDC_CLIENT_SECRET_FILE": secret,
		"SEATKEEPER_OIDC_REDIRECT_URL":       "https://desk.example/signin/oidc/callback",
	}
	env := Env{Getenv: func(k string) string { return vars[k] }, Stderr: io.Discard}
	fs := newFlagSet("serve", env)
	var c serveConfig
	c.register(fs, env)
	if err := parse(fs, []string{"--oidc-name", "Okta", "--oidc-scopes", "profile, email,groups"}); err != nil {
		t.Fatalf("parse: %v", err)
	}
	cfg, err := c.oidc.config()
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	if cfg.Issuer != "https://idp.example/" || cfg.ClientID != "seatkeeper" || cfg.ClientSecret != "s3cret" || cfg.Name != "Okta" ||
		cfg.RedirectURL != vars["SEATKEEPER_OIDC_REDIRECT_URL"] || strings.Join(cfg.Scopes, " ") != "profile email groups" {
		t.Errorf("config %+v", cfg)
	}

	for _, bad := range []oidcFlags{
		{issuer: "https://idp.example", redirectURL: "https://desk.example/cb"},                                     // no client id
		{issuer: "https://idp.example", clientID: "c"},                                                              // no redirect URL
		{issuer: "https://idp.example", clientID: "c", redirectURL: "https://d/cb", secretFile: secret + ".absent"}, // unreadable secret
	} {
		if _, err := bad.config(); err == nil {
			t.Errorf("config(%+v): no error", bad)
		}
	}
}

// A provider that cannot be discovered fails the start, clearly.
func TestServeFailsOnABadOIDCIssuer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	issuer := "http://" + ln.Addr().String() + "/oidc"
	ln.Close() // nothing listens there now
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	env := Env{Getenv: noenv, Stdout: io.Discard, Stderr: io.Discard}
	c := serveConfig{addr: "127.0.0.1:0", db: filepath.Join(t.TempDir(), "serve.db"), logLevel: "error", sweepEvery: time.Second,
		oidc:  oidcFlags{issuer: issuer, clientID: "c", redirectURL: "http://127.0.0.1/signin/oidc/callback"},
		ready: func(string) { t.Errorf("serve started with an issuer that cannot be discovered") }}
	err = serve(ctx, env, c, nil)
	if err == nil || !strings.Contains(err.Error(), "oidc: discover "+issuer) {
		t.Errorf("serve: %v, want an oidc discovery error", err)
	}
}

// With a provider that answers discovery, the sign-in page offers it.
func TestServeOffersOIDCSignin(t *testing.T) {
	m, err := mockoidc.Run()
	if err != nil {
		t.Fatalf("mockoidc.Run: %v", err)
	}
	defer m.Shutdown()
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte(m.ClientSecret), 0o600); err != nil {
		t.Fatal(err)
	}
	addr, stop := serveForTest(t, Env{Getenv: noenv, Stdout: io.Discard, Stderr: io.Discard}, serveConfig{db: filepath.Join(t.TempDir(), "serve.db"),
		oidc: oidcFlags{issuer: m.Issuer(), clientID: m.ClientID, secretFile: secret, redirectURL: "http://127.0.0.1/signin/oidc/callback", name: "Mock", scopes: "profile,email"}})
	resp, err := http.Get("http://" + addr + "/signin")
	if err != nil {
		t.Fatalf("GET /signin: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "Sign in with Mock") {
		t.Errorf("GET /signin: %d, no OIDC button; body %.500s", resp.StatusCode, body)
	}
	if err := stop(); err != nil {
		t.Errorf("serve: %v", err)
	}
}
