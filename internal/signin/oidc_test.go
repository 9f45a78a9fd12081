package signin

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oauth2-proxy/mockoidc"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// provider is a real OIDC provider (mockoidc) over loopback HTTP. Its
// handlers run one at a time (its session store is a plain map), and
// rewrite, when set, may change each request before the provider sees it.
type provider struct {
	*mockoidc.MockOIDC
	mu      sync.Mutex
	rewrite func(r *http.Request)
	// seen are the authorize and token requests' forms, in order.
	seen []url.Values
}

func startProvider(t *testing.T) *provider {
	t.Helper()
	m, err := mockoidc.NewServer(nil)
	if err != nil {
		t.Fatalf("mockoidc.NewServer: %v", err)
	}
	p := &provider{MockOIDC: m}
	if err := m.AddMiddleware(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p.mu.Lock()
			defer p.mu.Unlock()
			if err := r.ParseForm(); err == nil && (strings.HasSuffix(r.URL.Path, "/authorize") || strings.HasSuffix(r.URL.Path, "/token")) {
				if p.rewrite != nil {
					p.rewrite(r)
				}
				p.seen = append(p.seen, cloneValues(r.Form))
			}
			next.ServeHTTP(w, r)
		})
	}); err != nil {
		t.Fatalf("AddMiddleware: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	if err := m.Start(ln, nil); err != nil {
		t.Fatalf("mockoidc.Start: %v", err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	return p
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

func (p *provider) setRewrite(f func(r *http.Request)) {
	p.mu.Lock()
	p.rewrite = f
	p.mu.Unlock()
}

func (p *provider) forms() []url.Values {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]url.Values(nil), p.seen...)
}

const redirectURL = "http://seatkeeper.test/signin/oidc/callback"

func (f *fixture) oidc(p *provider) *OIDCProvider {
	f.t.Helper()
	o, err := NewOIDC(f.ctx, OIDC{Name: "Mock", Issuer: p.Issuer(), ClientID: p.ClientID, ClientSecret: p.ClientSecret, RedirectURL: redirectURL},
		f.m, f.svc.Engine.UserLookup)
	if err != nil {
		f.t.Fatalf("NewOIDC: %v", err)
	}
	return o
}

// authorize sends the browser to the provider's authorize URL and returns
// the callback it is sent back with (the provider signs in the queued user).
func authorize(t *testing.T, authURL string) url.Values {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(authURL)
	if err != nil {
		t.Fatalf("GET authorize: %v", err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil || !strings.HasPrefix(loc.String(), redirectURL) {
		t.Fatalf("authorize: status %d Location %q; want 302 to the callback", resp.StatusCode, resp.Header.Get("Location"))
	}
	return loc.Query()
}

func oidcActor(name string) licensing.Actor {
	if name == "" {
		name = "unknown"
	}
	return licensing.Actor{Name: "web:" + name, Source: "127.0.0.1"}
}

// signInOIDC runs the whole flow for user and returns Finish's results.
func (f *fixture) signInOIDC(o *OIDCProvider, p *provider, user *mockoidc.MockUser, next string) (string, string, error) {
	f.t.Helper()
	p.QueueUser(user)
	id, authURL, err := o.Begin(next)
	if err != nil {
		f.t.Fatalf("Begin: %v", err)
	}
	q := authorize(f.t, authURL)
	ws, secret, gotNext, err := o.Finish(f.ctx, Callback{Attempt: id, State: q.Get("state"), Code: q.Get("code")}, oidcActor)
	if err == nil && (ws.Method != MethodOIDC || secret == "") {
		f.t.Errorf("session %+v, secret %q; want method oidc and a secret", ws, secret)
	}
	return ws.User, gotNext, err
}

func (f *fixture) setExternalID(u licensing.User, ext string) licensing.User {
	f.t.Helper()
	u, err := f.st.UpdateUserFunc(f.ctx, licensing.System("test"), u.ID, func(u licensing.User) (licensing.User, error) {
		u.ExternalID = ext
		return u, nil
	})
	if err != nil {
		f.t.Fatalf("set external id: %v", err)
	}
	if err := f.svc.Load(f.ctx); err != nil {
		f.t.Fatalf("Load: %v", err)
	}
	return u
}

func codeOf(t *testing.T, err error) string {
	t.Helper()
	e, ok := licensing.AsError(err)
	if !ok {
		t.Fatalf("error %v is not a refusal", err)
	}
	return e.Code
}

func (f *fixture) audited(action, result, detail string) bool {
	f.t.Helper()
	entries, err := f.st.ListAudit(f.ctx, 0, 1000)
	if err != nil {
		f.t.Fatalf("ListAudit: %v", err)
	}
	for _, e := range entries {
		if e.Action == action && e.Result == result && strings.Contains(e.Detail, detail) {
			return true
		}
	}
	return false
}

func TestOIDCSignInStartsALazySession(t *testing.T) {
	f := newFixture(t)
	p := startProvider(t)
	o := f.oidc(p)
	ann := f.setExternalID(f.ann, "00u-ann")
	user, next, err := f.signInOIDC(o, p, &mockoidc.MockUser{Subject: "00u-ann", Email: "someone.else@example.com", EmailVerified: true}, "/agent")
	if err != nil {
		t.Fatalf("Finish: %v", err)
	}
	if user != ann.ID || next != "/agent" {
		t.Errorf("signed in %s, next %q; want ann (%s), /agent", user, next, ann.ID)
	}
	sess := f.activeSessions(ann.ID)
	if len(sess) != 1 || !sess[0].Lazy || len(sess[0].Leases) != 0 {
		t.Errorf("seat sessions %+v, want one lazy session without leases", sess)
	}
	if !f.audited("signin", "ok", "method=oidc") {
		t.Errorf("no audit entry signin ok method=oidc")
	}
	// PKCE: the authorize request carried an S256 challenge and the token
	// request the verifier that hashes to it.
	// (oauth2 tries client_secret_basic first, which mockoidc refuses,
	// then the form: the last request is the token request that worked.)
	forms := p.forms()
	if len(forms) < 2 || forms[0].Get("response_type") != "code" || forms[len(forms)-1].Get("grant_type") != "authorization_code" {
		t.Fatalf("provider saw %v, want authorize then token", forms)
	}
	authz, tok := forms[0], forms[len(forms)-1]
	sum := sha256.Sum256([]byte(tok.Get("code_verifier")))
	if authz.Get("code_challenge_method") != "S256" || tok.Get("code_verifier") == "" ||
		base64.RawURLEncoding.EncodeToString(sum[:]) != authz.Get("code_challenge") {
		t.Errorf("PKCE: challenge %q (%s), verifier %q; want S256 of the verifier", authz.Get("code_challenge"), authz.Get("code_challenge_method"), tok.Get("code_verifier"))
	}
	if authz.Get("nonce") == "" || authz.Get("state") == "" || authz.Get("nonce") == authz.Get("state") {
		t.Errorf("nonce %q, state %q; want two distinct random values", authz.Get("nonce"), authz.Get("state"))
	}
	if !strings.Contains(authz.Get("scope"), "openid") || !strings.Contains(authz.Get("scope"), "email") {
		t.Errorf("scope %q, want openid and email", authz.Get("scope"))
	}
}

func TestOIDCLinksByExternalIDEmailOrUserName(t *testing.T) {
	f := newFixture(t)
	p := startProvider(t)
	o := f.oidc(p)
	f.setExternalID(f.bob, "00u-bob")
	for _, tc := range []struct {
		name string
		user *mockoidc.MockUser
		want string // user id, "" for refused
	}{
		{"sub is the external id", &mockoidc.MockUser{Subject: "00u-bob"}, f.bob.ID},
		{"verified email", &mockoidc.MockUser{Subject: "x1", Email: "ANN@example.com", EmailVerified: true}, f.ann.ID},
		{"preferred username", &mockoidc.MockUser{Subject: "x2", PreferredUsername: "ann@example.com"}, f.ann.ID},
		// mockoidc omits email_verified when false, as providers that do
		// not verify do; an email that is verified false is not used.
		{"sub matching another key is not an external id", &mockoidc.MockUser{Subject: "bob@example.com"}, ""},
		{"nothing matches", &mockoidc.MockUser{Subject: "x3", Email: "nobody@example.com", PreferredUsername: "nobody"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, _, err := f.signInOIDC(o, p, tc.user, "/")
			if tc.want == "" {
				if codeOf(t, err) != licensing.CodeForbidden {
					t.Fatalf("Finish: %v, want forbidden", err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Finish: %s, %v; want %s", got, err, tc.want)
			}
		})
	}
	if !f.audited("signin", "refused", "method=oidc why=no person sub=x3") {
		t.Errorf("the unknown person's refusal was not audited")
	}
}

func TestOIDCEmailVerifiedFalseIsNotUsed(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		want bool
	}{{``, true}, {`true`, true}, {`false`, false}, {`"false"`, false}, {`"true"`, true}, {`null`, true}} {
		if got := (claims{EmailVerified: []byte(tc.raw)}).emailVerified(); got != tc.want {
			t.Errorf("email_verified %s: %v, want %v", tc.raw, got, tc.want)
		}
	}
}

func TestOIDCRefusals(t *testing.T) {
	f := newFixture(t)
	p := startProvider(t)
	o := f.oidc(p)
	ann := &mockoidc.MockUser{Subject: "s-ann", Email: f.ann.Email, EmailVerified: true}

	begin := func() (string, url.Values) {
		p.QueueUser(ann)
		id, authURL, err := o.Begin("/")
		if err != nil {
			t.Fatalf("Begin: %v", err)
		}
		return id, authorize(t, authURL)
	}
	refused := func(name string, err error, want string) {
		t.Helper()
		if got := codeOf(t, err); got != want {
			t.Errorf("%s: %s (%v), want %s", name, got, err, want)
		}
	}

	// A state that is not the attempt's; the attempt is spent either way.
	id, q := begin()
	_, _, _, err := o.Finish(f.ctx, Callback{Attempt: id, State: q.Get("state") + "x", Code: q.Get("code")}, oidcActor)
	refused("state mismatch", err, licensing.CodeInvalid)
	_, _, _, err = o.Finish(f.ctx, Callback{Attempt: id, State: q.Get("state"), Code: q.Get("code")}, oidcActor)
	refused("attempt reused", err, licensing.CodeInvalid)

	// No attempt (another browser) and an expired one.
	_, q = begin()
	_, _, _, err = o.Finish(f.ctx, Callback{State: q.Get("state"), Code: q.Get("code")}, oidcActor)
	refused("no attempt", err, licensing.CodeInvalid)
	id, q = begin()
	f.clk.advance(attemptTTL + time.Second)
	_, _, _, err = o.Finish(f.ctx, Callback{Attempt: id, State: q.Get("state"), Code: q.Get("code")}, oidcActor)
	refused("expired attempt", err, licensing.CodeInvalid)

	// The provider's error parameter.
	id, q = begin()
	_, _, _, err = o.Finish(f.ctx, Callback{Attempt: id, State: q.Get("state"), Error: "access_denied"}, oidcActor)
	refused("access denied", err, licensing.CodeForbidden)
	id, q = begin()
	_, _, _, err = o.Finish(f.ctx, Callback{Attempt: id, State: q.Get("state"), Error: "<script>"}, oidcActor)
	refused("odd error", err, licensing.CodeInvalid)
	if strings.Contains(err.Error(), "<script>") {
		t.Errorf("the provider's error text reached the message: %v", err)
	}

	// A tampered PKCE verifier: the provider refuses the code.
	p.setRewrite(func(r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/token") {
			r.Form.Set("code_verifier", strings.Repeat("a", 43))
			r.PostForm = r.Form
		}
	})
	id, q = begin()
	_, _, _, err = o.Finish(f.ctx, Callback{Attempt: id, State: q.Get("state"), Code: q.Get("code")}, oidcActor)
	refused("tampered verifier", err, licensing.CodeInvalid)

	// An ID token issued for another nonce (another sign-in's token).
	p.setRewrite(func(r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/authorize") {
			r.Form.Set("nonce", "someone-elses-nonce")
		}
	})
	id, q = begin()
	_, _, _, err = o.Finish(f.ctx, Callback{Attempt: id, State: q.Get("state"), Code: q.Get("code")}, oidcActor)
	refused("nonce mismatch", err, licensing.CodeInvalid)
	p.setRewrite(nil)

	// An inactive person.
	if _, err := f.st.UpdateUserFunc(f.ctx, licensing.System("test"), f.ann.ID, func(u licensing.User) (licensing.User, error) {
		u.Active = false
		return u, nil
	}); err != nil {
		t.Fatalf("deactivate: %v", err)
	}
	if err := f.svc.Load(f.ctx); err != nil {
		t.Fatalf("Load: %v", err)
	}
	id, q = begin()
	_, _, _, err = o.Finish(f.ctx, Callback{Attempt: id, State: q.Get("state"), Code: q.Get("code")}, oidcActor)
	refused("inactive", err, licensing.CodeInactive)

	if s := f.activeSessions(""); len(s) != 0 {
		t.Errorf("refused sign-ins left %d seat sessions", len(s))
	}
	for _, why := range []string{"code refused: invalid_grant", "nonce mismatch", "inactive"} {
		if !f.audited("signin", "refused", "method=oidc why="+why) {
			t.Errorf("refusal %q not audited", why)
		}
	}
}

func TestOIDCAttemptsAreBounded(t *testing.T) {
	var s attempts
	s.byID = map[string]attempt{}
	now := time.Now()
	for i := range maxAttempts + 10 {
		s.put(now, string(rune('a'+i%26))+time.Duration(i).String(), attempt{expires: now.Add(attemptTTL)})
	}
	if len(s.byID) > maxAttempts || len(s.order) > maxAttempts {
		t.Errorf("%d attempts kept (%d ordered), want at most %d", len(s.byID), len(s.order), maxAttempts)
	}
	// Expired ones are dropped at the next put.
	s.put(now.Add(attemptTTL+time.Second), "new", attempt{expires: now.Add(2 * attemptTTL)})
	if len(s.byID) != 1 || len(s.order) != 1 {
		t.Errorf("%d attempts after expiry, want 1", len(s.byID))
	}
}

func TestNewOIDCFailsOnABadIssuer(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithTimeout(f.ctx, 10*time.Second)
	defer cancel()
	// Nothing listens there.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	for _, cfg := range []OIDC{
		{Issuer: "http://" + addr + "/oidc", ClientID: "c", RedirectURL: redirectURL},
		{Issuer: "not a url", ClientID: "c", RedirectURL: redirectURL},
		{Issuer: "http://" + addr, RedirectURL: redirectURL},
		{Issuer: "http://" + addr, ClientID: "c", RedirectURL: "/relative"},
	} {
		if _, err := NewOIDC(ctx, cfg, f.m, f.svc.Engine.UserLookup); err == nil {
			t.Errorf("NewOIDC(%+v): no error", cfg)
		}
	}
}

// TestOIDCAmbiguousEmailRefused (issue 11, part 2): a verified email two
// people share names neither; the sign-in is refused with the count and
// audited, never given to one of them.
func TestOIDCAmbiguousEmailRefused(t *testing.T) {
	f := newFixture(t)
	p := startProvider(t)
	o := f.oidc(p)
	u := f.person("carol@example.com")
	u.Email = "ann@example.com" // carol shares Ann's address as her email
	if _, err := f.st.UpdateUser(f.ctx, f.actor, u); err != nil {
		t.Fatalf("UpdateUser: %v", err)
	}
	dana := f.person("dana@example.com")
	dana.Email = "team@example.com"
	if _, err := f.st.UpdateUser(f.ctx, f.actor, dana); err != nil {
		t.Fatalf("UpdateUser: %v", err)
	}
	bob := f.bob
	bob.Email = "TEAM@example.com"
	if _, err := f.st.UpdateUser(f.ctx, f.actor, bob); err != nil {
		t.Fatalf("UpdateUser: %v", err)
	}
	_, _, err := f.signInOIDC(o, p, &mockoidc.MockUser{Subject: "x9", Email: "team@example.com", EmailVerified: true}, "/")
	if le, ok := licensing.AsError(err); !ok || le.Code != licensing.CodeAmbiguous || !strings.Contains(le.Message, "2 people") {
		t.Fatalf("sign-in by a shared email: %v, want ambiguous_identity naming 2 people", err)
	}
	if !f.audited("signin", "refused", "method=oidc why=ambiguous key=team@example.com people=2 sub=x9") {
		t.Errorf("the ambiguous sign-in was not audited")
	}
	// Ann's own user name still signs her in, though carol's email is it.
	if got, _, err := f.signInOIDC(o, p, &mockoidc.MockUser{Subject: "x8", PreferredUsername: "ann@example.com"}, "/"); err != nil || got != f.ann.ID {
		t.Errorf("sign-in by Ann's user name = %s, %v; want Ann", got, err)
	}
}
