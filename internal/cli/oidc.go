package cli

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/signin"
)

// oidcFlags are serve's OpenID Connect settings. The client secret is read
// from a file, never given as a value, so it shows in no process list or
// shell history.
type oidcFlags struct {
	issuer, clientID, secretFile, redirectURL, name, scopes string
}

func (o *oidcFlags) register(fs interface {
	StringVar(*string, string, string, string)
	DurationVar(*time.Duration, string, time.Duration, string)
}, env Env) {
	fs.StringVar(&o.issuer, "oidc-issuer", env.Getenv("SEATKEEPER_OIDC_ISSUER"),
		"OpenID Connect issuer URL; enables \"Sign in with…\" on the sign-in page (env SEATKEEPER_OIDC_ISSUER)")
	fs.StringVar(&o.clientID, "oidc-client-id", env.Getenv("SEATKEEPER_OIDC_CLIENT_ID"), "OIDC client id (env SEATKEEPER_OIDC_CLIENT_ID)")
	fs.StringVar(&o.secretFile, "oidc-client-secret-file", env.Getenv("SEATKEEPER_OIDC_CLIENT_SECRET_FILE"),
		"file holding the OIDC client secret; none for a public client (env SEATKEEPER_OIDC_CLIENT_SECRET_FILE)")
	fs.StringVar(&o.redirectURL, "oidc-redirect-url", env.Getenv("SEATKEEPER_OIDC_REDIRECT_URL"),
		"this server's https://HOST/signin/oidc/callback, as registered at the provider (env SEATKEEPER_OIDC_REDIRECT_URL)")
	fs.StringVar(&o.name, "oidc-name", env.Getenv("SEATKEEPER_OIDC_NAME"), "provider name on the sign-in button; the issuer's host if empty (env SEATKEEPER_OIDC_NAME)")
	scopes := env.Getenv("SEATKEEPER_OIDC_SCOPES")
	if scopes == "" {
		scopes = "profile,email"
	}
	fs.StringVar(&o.scopes, "oidc-scopes", scopes, "comma-separated scopes besides openid (env SEATKEEPER_OIDC_SCOPES)")
}

// config checks the settings and reads the client secret.
func (o oidcFlags) config() (signin.OIDC, error) {
	if o.clientID == "" || o.redirectURL == "" {
		return signin.OIDC{}, fmt.Errorf("oidc: --oidc-issuer needs --oidc-client-id and --oidc-redirect-url")
	}
	cfg := signin.OIDC{Name: o.name, Issuer: o.issuer, ClientID: o.clientID, RedirectURL: o.redirectURL}
	for _, s := range strings.Split(o.scopes, ",") {
		if s = strings.TrimSpace(s); s != "" {
			cfg.Scopes = append(cfg.Scopes, s)
		}
	}
	if o.secretFile != "" {
		b, err := os.ReadFile(o.secretFile)
		if err != nil {
			return signin.OIDC{}, fmt.Errorf("oidc: read the client secret: %w", err)
		}
		cfg.ClientSecret = strings.TrimSpace(string(b))
		if cfg.ClientSecret == "" {
			return signin.OIDC{}, fmt.Errorf("oidc: the client secret file %s is empty", o.secretFile)
		}
	}
	return cfg, nil
}
