package signin

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/seatkeeper/seatkeeper/internal/desk"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// OIDC configures sign-in with an OpenID Connect provider (Okta, Entra ID,
// Google, Keycloak…): the authorization-code flow with PKCE.
type OIDC struct {
	// Name is shown on the sign-in button ("Sign in with Name"); the
	// issuer's host when empty.
	Name   string
	Issuer string
	// ClientID and ClientSecret are the client registered at the
	// provider; the secret may be empty for a public client (PKCE alone).
	ClientID     string
	ClientSecret string
	// RedirectURL is this server's /signin/oidc/callback as the browser
	// reaches it, registered at the provider.
	RedirectURL string
	// Scopes are asked for besides openid; profile and email when empty.
	Scopes []string
	// HTTPClient talks to the provider; one with a 15-second timeout when
	// nil.
	HTTPClient *http.Client
}

// Resolver finds a person by any of their keys (id, user name, email,
// employee ID, external ID) and says how many people the key names: 1
// found, 0 nobody, more when shared (then no person).
type Resolver func(key string) (licensing.User, int)

const (
	// attemptTTL is how long a browser has to come back from the provider.
	attemptTTL = 10 * time.Minute
	// maxAttempts bounds the sign-ins in progress kept in memory; beyond
	// it the oldest are forgotten.
	maxAttempts = 10000
)

// OIDCProvider runs OIDC sign-ins. An attempt (state, nonce, PKCE
// verifier, where to go afterwards) is kept in this process, keyed by a
// random id the browser holds in a short-lived cookie, and used once.
type OIDCProvider struct {
	m        *Manager
	name     string
	oauth    oauth2.Config
	verifier *oidc.IDTokenVerifier
	resolve  Resolver
	client   *http.Client
	attempts attempts
}

// NewOIDC discovers the provider at cfg.Issuer and returns the sign-in
// flow; a provider that cannot be discovered is an error.
func NewOIDC(ctx context.Context, cfg OIDC, m *Manager, resolve Resolver) (*OIDCProvider, error) {
	if err := cfg.valid(); err != nil {
		return nil, err
	}
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: 15 * time.Second}
	}
	provider, err := oidc.NewProvider(oidc.ClientContext(ctx, client), cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("oidc: discover %s: %w", cfg.Issuer, err)
	}
	scopes := []string{oidc.ScopeOpenID}
	if len(cfg.Scopes) == 0 {
		cfg.Scopes = []string{"profile", "email"}
	}
	for _, s := range cfg.Scopes {
		if s = strings.TrimSpace(s); s != "" && !slices.Contains(scopes, s) {
			scopes = append(scopes, s)
		}
	}
	name := cfg.Name
	if name == "" {
		u, _ := url.Parse(cfg.Issuer) // checked by valid
		name = u.Hostname()
	}
	p := &OIDCProvider{
		m:    m,
		name: name,
		oauth: oauth2.Config{
			ClientID:     cfg.ClientID,
			ClientSecret: cfg.ClientSecret,
			Endpoint:     provider.Endpoint(),
			RedirectURL:  cfg.RedirectURL,
			Scopes:       scopes,
		},
		// Checks the signature, issuer, audience (our client id) and
		// expiry; the nonce is checked by Finish.
		verifier: provider.Verifier(&oidc.Config{ClientID: cfg.ClientID}),
		resolve:  resolve,
		client:   client,
	}
	p.attempts.byID = make(map[string]attempt)
	return p, nil
}

func (c OIDC) valid() error {
	for _, f := range []struct{ name, v string }{{"issuer", c.Issuer}, {"redirect URL", c.RedirectURL}} {
		u, err := url.Parse(f.v)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return licensing.FieldErrorf(licensing.CodeInvalid, "oidc", "oidc: the %s %q must be an absolute http(s) URL", f.name, f.v)
		}
	}
	if c.ClientID == "" {
		return licensing.FieldErrorf(licensing.CodeInvalid, "oidc", "oidc: a client id is required")
	}
	return nil
}

// Name is the provider's name for the sign-in button.
func (p *OIDCProvider) Name() string { return p.name }

// Begin starts a sign-in that returns to next (a path on this site, checked
// by the caller). It returns the attempt's id, for the browser's cookie,
// and the provider's URL to send the browser to.
func (p *OIDCProvider) Begin(next string) (id, authURL string, err error) {
	var a attempt
	for _, v := range []*string{&id, &a.state, &a.nonce} {
		if *v, err = randomToken(); err != nil {
			return "", "", err
		}
	}
	a.verifier = oauth2.GenerateVerifier()
	a.next = next
	now := p.m.st.Now()
	a.expires = now.Add(attemptTTL)
	p.attempts.put(now, id, a)
	return id, p.oauth.AuthCodeURL(a.state, oidc.Nonce(a.nonce), oauth2.S256ChallengeOption(a.verifier)), nil
}

// Callback is what the provider sent the browser back with, and the
// attempt id from the browser's cookie.
type Callback struct {
	Attempt string
	State   string
	Code    string
	// Error is the provider's error parameter (access_denied…), if any.
	Error string
}

// Finish completes a sign-in: it checks the callback against its attempt
// (used once), redeems the code with the PKCE verifier, verifies the ID
// token and its nonce, links it to a person and starts their session. It
// returns the session, the cookie's secret and where to go. actor names
// the audit's actor for a person's user name ("" while unknown).
//
// Refusals are licensing errors: invalid for a broken or stale flow,
// forbidden when no usable person matches, inactive for an inactive one.
// Refusals after the provider vouched for an identity are audited.
func (p *OIDCProvider) Finish(ctx context.Context, cb Callback, actor func(userName string) licensing.Actor) (desk.WebSession, string, string, error) {
	var none desk.WebSession
	a, ok := p.attempts.take(p.m.st.Now(), cb.Attempt)
	if !ok {
		return none, "", "", licensing.Errorf(licensing.CodeInvalid, "this sign-in has expired or was started in another browser: sign in again")
	}
	if cb.State == "" || subtle.ConstantTimeCompare([]byte(cb.State), []byte(a.state)) != 1 {
		return none, "", "", licensing.Errorf(licensing.CodeInvalid, "the answer from %s does not belong to this sign-in: sign in again", p.name)
	}
	if cb.Error != "" {
		code := cb.Error
		if !errorCode.MatchString(code) {
			code = "error"
		}
		if code == "access_denied" {
			return none, "", "", licensing.Errorf(licensing.CodeForbidden, "%s refused the sign-in (%s)", p.name, code)
		}
		return none, "", "", licensing.Errorf(licensing.CodeInvalid, "%s could not sign you in (%s): try again", p.name, code)
	}
	if cb.Code == "" {
		return none, "", "", licensing.Errorf(licensing.CodeInvalid, "%s sent no authorization code: sign in again", p.name)
	}
	pctx := oidc.ClientContext(ctx, p.client)
	tok, err := p.oauth.Exchange(pctx, cb.Code, oauth2.VerifierOption(a.verifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			return none, "", "", p.refusedOIDC(ctx, actor(""), "user:unknown", "code refused: "+re.ErrorCode,
				licensing.Errorf(licensing.CodeInvalid, "%s did not accept the sign-in code: sign in again", p.name))
		}
		return none, "", "", fmt.Errorf("signin: oidc: redeem the code at %s: %w", p.name, err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return none, "", "", p.refusedOIDC(ctx, actor(""), "user:unknown", "no id token",
			licensing.Errorf(licensing.CodeInvalid, "%s sent no ID token: sign in again", p.name))
	}
	idt, err := p.verifier.Verify(pctx, raw)
	if err != nil {
		return none, "", "", p.refusedOIDC(ctx, actor(""), "user:unknown", "id token invalid",
			licensing.Errorf(licensing.CodeInvalid, "the ID token from %s is not valid: sign in again", p.name))
	}
	if idt.Nonce == "" || subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(a.nonce)) != 1 {
		return none, "", "", p.refusedOIDC(ctx, actor(""), "user:unknown", "nonce mismatch",
			licensing.Errorf(licensing.CodeInvalid, "the ID token from %s does not belong to this sign-in: sign in again", p.name))
	}
	var c claims
	if err := idt.Claims(&c); err != nil {
		return none, "", "", p.refusedOIDC(ctx, actor(""), "user:unknown", "claims unreadable",
			licensing.Errorf(licensing.CodeInvalid, "the ID token from %s could not be read", p.name))
	}
	u, ok, shared, n := p.person(c)
	if n > 1 {
		return none, "", "", p.refusedOIDC(ctx, actor(""), "user:unknown", fmt.Sprintf("ambiguous key=%s people=%d sub=%s", shared, n, c.Sub),
			licensing.Errorf(licensing.CodeAmbiguous, "your %s account's %q names %d people in Seatkeeper: ask the service desk", p.name, shared, n))
	}
	if !ok {
		// The provider's subject is no secret: it lets an administrator
		// find who tried.
		return none, "", "", p.refusedOIDC(ctx, actor(""), "user:unknown", "no person sub="+c.Sub,
			licensing.Errorf(licensing.CodeForbidden, "no person in Seatkeeper matches your %s account: ask the service desk", p.name))
	}
	who := actor(u.UserName)
	if u.Kind != licensing.KindPerson {
		return none, "", "", p.refusedOIDC(ctx, who, "user:"+u.UserName, "not a person",
			licensing.Errorf(licensing.CodeForbidden, "the account %s is not a person's", u.UserName))
	}
	if !u.Active {
		return none, "", "", p.refusedOIDC(ctx, who, "user:"+u.UserName, "inactive",
			licensing.Errorf(licensing.CodeInactive, "the account %s is inactive: ask the service desk", u.UserName))
	}
	ws, secret, err := p.m.Start(ctx, who, u.ID, MethodOIDC)
	if err != nil {
		return none, "", "", err
	}
	return ws, secret, a.next, nil
}

// errorCode is the shape of an OAuth error code; anything else the
// provider (or a forged link) sent is not repeated on the page.
var errorCode = regexp.MustCompile(`^[a-z_]{1,64}$`)

// claims are the ID token's claims that link it to a person.
type claims struct {
	Sub               string          `json:"sub"`
	Email             string          `json:"email"`
	EmailVerified     json.RawMessage `json:"email_verified"`
	PreferredUsername string          `json:"preferred_username"`
}

// emailVerified is false only when the provider says so (a boolean, or the
// string some providers send).
func (c claims) emailVerified() bool {
	v := strings.Trim(strings.TrimSpace(string(c.EmailVerified)), `"`)
	return !strings.EqualFold(v, "false")
}

// person links the token to a person: sub as their external ID, then a
// verified email, then preferred_username as their user name. Each must
// match that very attribute, not merely any of the person's keys. A key
// that names several people stops the search with its count (shared), and
// is never resolved to one of them.
func (p *OIDCProvider) person(c claims) (u licensing.User, ok bool, shared string, n int) {
	try := func(key string, field func(licensing.User) string) (licensing.User, bool, int) {
		key = strings.TrimSpace(key)
		if key == "" || len(key) > 256 {
			return licensing.User{}, false, 0
		}
		u, n := p.resolve(key)
		return u, n == 1 && licensing.FoldKey(field(u)) == licensing.FoldKey(key), n
	}
	type step struct {
		key   string
		field func(licensing.User) string
	}
	steps := []step{{c.Sub, func(u licensing.User) string { return u.ExternalID }}}
	if c.emailVerified() {
		steps = append(steps, step{c.Email, func(u licensing.User) string { return u.Email }})
	}
	steps = append(steps, step{c.PreferredUsername, func(u licensing.User) string { return u.UserName }})
	for _, st := range steps {
		u, ok, n := try(st.key, st.field)
		if ok {
			return u, true, "", 1
		}
		if n > 1 {
			return licensing.User{}, false, st.key, n
		}
	}
	return licensing.User{}, false, "", 0
}

// refusedOIDC audits a refused OIDC sign-in and returns refusal.
func (p *OIDCProvider) refusedOIDC(ctx context.Context, a licensing.Actor, subject, why string, refusal error) error {
	if err := p.m.st.RecordEvent(ctx, a, "signin", subject, "refused", "method=oidc why="+why); err != nil {
		return fmt.Errorf("signin: audit refusal: %w", err)
	}
	return refusal
}

// attempt is one OIDC sign-in in progress.
type attempt struct {
	state, nonce, verifier, next string
	expires                      time.Time
}

// attempts holds the sign-ins in progress, oldest first in order.
type attempts struct {
	mu    sync.Mutex
	byID  map[string]attempt
	order []string
}

func (s *attempts) put(now time.Time, id string, a attempt) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// Forget the expired, the used, and beyond the bound the oldest.
	for len(s.order) > 0 {
		old, ok := s.byID[s.order[0]]
		if ok && now.Before(old.expires) && len(s.order) < maxAttempts {
			break
		}
		delete(s.byID, s.order[0])
		s.order = s.order[1:]
	}
	s.byID[id] = a
	s.order = append(s.order, id)
}

// take returns a live attempt and forgets it: each is used once.
func (s *attempts) take(now time.Time, id string) (attempt, bool) {
	if id == "" {
		return attempt{}, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.byID[id]
	delete(s.byID, id)
	return a, ok && now.Before(a.expires)
}
