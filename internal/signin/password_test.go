package signin

import (
	"os"
	"strings"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// TestMain lowers the work factor: these tests hash dozens of times, and
// what they check does not depend on the count. The web tests use the real
// one.
func TestMain(m *testing.M) {
	iterations = 1000
	os.Exit(m.Run())
}

func TestProductionWorkFactor(t *testing.T) {
	if DefaultIterations != 600_000 {
		t.Errorf("DefaultIterations = %d, want 600000 (PBKDF2-HMAC-SHA256, OWASP 2023)", DefaultIterations)
	}
}

func TestHashPasswordRoundTrip(t *testing.T) {
	const pw = "correct horse battery staple"
	h, err := HashPassword(pw)
	if err != nil {
		t.Fatalf("HashPassword: %v", err)
	}
	parts := strings.Split(h, "$")
	if len(parts) != 4 || parts[0] != "pbkdf2-sha256" || parts[1] != "1000" {
		t.Fatalf("encoded hash %q, want pbkdf2-sha256$1000$SALT$HASH", h)
	}
	if salt, err := b64.DecodeString(parts[2]); err != nil || len(salt) != 16 {
		t.Errorf("salt %q: %d bytes, err %v; want 16 bytes of raw std base64", parts[2], len(salt), err)
	}
	if key, err := b64.DecodeString(parts[3]); err != nil || len(key) != 32 {
		t.Errorf("hash %q: %d bytes, err %v; want 32 bytes of raw std base64", parts[3], len(key), err)
	}
	if strings.Contains(h, pw) {
		t.Errorf("the encoded hash contains the password")
	}
	if !CheckPassword(h, pw) {
		t.Errorf("CheckPassword(hash, pw) = false, want true")
	}
	for _, other := range []string{"correct horse battery stapl", "Correct horse battery staple", pw + " ", ""} {
		if CheckPassword(h, other) {
			t.Errorf("CheckPassword(hash, %q) = true, want false", other)
		}
	}
	h2, err := HashPassword(pw)
	if err != nil {
		t.Fatalf("HashPassword again: %v", err)
	}
	if h2 == h {
		t.Errorf("two hashes of one password are equal: the salt is not random")
	}
	// A hash keeps working after the work factor changes: it carries its own.
	iterations = 2000
	defer func() { iterations = 1000 }()
	if !CheckPassword(h, pw) {
		t.Errorf("CheckPassword of a 1000-round hash under a 2000-round setting = false")
	}
}

func TestHashPasswordLength(t *testing.T) {
	for _, tc := range []struct {
		name string
		pw   string
		ok   bool
	}{
		{"empty", "", false},
		{"7 bytes", "1234567", false},
		{"8 bytes", "12345678", true},
		{"1024 bytes", strings.Repeat("a", 1024), true},
		{"1025 bytes", strings.Repeat("a", 1025), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := HashPassword(tc.pw)
			if tc.ok {
				if err != nil || !CheckPassword(h, tc.pw) {
					t.Errorf("HashPassword: err %v, check %v; want a working hash", err, CheckPassword(h, tc.pw))
				}
				return
			}
			if licensing.ErrorCode(err) != licensing.CodeInvalid || h != "" {
				t.Errorf("HashPassword: %q, %v; want invalid_request", h, err)
			}
			if e, _ := licensing.AsError(err); e == nil || e.Field != "password" {
				t.Errorf("error %v does not name the password field", err)
			}
		})
	}
}

func TestCheckPasswordRejectsMalformedHashes(t *testing.T) {
	const pw = "open sesame"
	good, err := HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	p := strings.Split(good, "$")
	for _, tc := range []struct{ name, enc string }{
		{"empty", ""},
		{"plain text", pw},
		{"other scheme", "bcrypt$" + p[1] + "$" + p[2] + "$" + p[3]},
		{"three parts", p[0] + "$" + p[1] + "$" + p[3]},
		{"five parts", good + "$x"},
		{"zero rounds", p[0] + "$0$" + p[2] + "$" + p[3]},
		{"negative rounds", p[0] + "$-5$" + p[2] + "$" + p[3]},
		{"absurd rounds", p[0] + "$999999999$" + p[2] + "$" + p[3]},
		{"bad salt", p[0] + "$" + p[1] + "$!!!$" + p[3]},
		{"short salt", p[0] + "$" + p[1] + "$" + b64.EncodeToString([]byte("abc")) + "$" + p[3]},
		{"bad hash", p[0] + "$" + p[1] + "$" + p[2] + "$###"},
		{"short hash", p[0] + "$" + p[1] + "$" + p[2] + "$" + b64.EncodeToString([]byte("short"))},
		{"padded base64", p[0] + "$" + p[1] + "$" + p[2] + "$" + p[3] + "="},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if CheckPassword(tc.enc, pw) {
				t.Errorf("CheckPassword(%q) = true, want false", tc.enc)
			}
		})
	}
}
