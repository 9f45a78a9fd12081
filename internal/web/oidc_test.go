package web_test

import (
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/oauth2-proxy/mockoidc"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/signin"
	"github.com/seatkeeper/seatkeeper/internal/store"
	"github.com/seatkeeper/seatkeeper/internal/web"
)

// startProvider runs a real OIDC provider (mockoidc) over loopback HTTP,
// its handlers one at a time (its session store is a plain map).
func startProvider(t *testing.T) *mockoidc.MockOIDC {
	t.Helper()
	m, err := mockoidc.NewServer(nil)
	if err != nil {
		t.Fatalf("mockoidc.NewServer: %v", err)
	}
	var mu sync.Mutex
	if err := m.AddMiddleware(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			defer mu.Unlock()
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
	return m
}

// newOIDCEnv is newEnv with sign-in through the provider m.
func newOIDCEnv(t *testing.T, m *mockoidc.MockOIDC) *env {
	t.Helper()
	return newEnvWith(t, func(e *env, auth *signin.Manager, base string) []web.Option {
		o, err := signin.NewOIDC(e.ctx, signin.OIDC{Name: "Mock IdP", Issuer: m.Issuer(), ClientID: m.ClientID, ClientSecret: m.ClientSecret,
			RedirectURL: base + "/signin/oidc/callback"}, auth, e.svc.Engine.UserLookup)
		if err != nil {
			t.Fatalf("NewOIDC: %v", err)
		}
		return []web.Option{web.WithOIDC(o)}
	})
}

// follower is a browser that follows redirects, across the provider too.
func (e *env) follower() *http.Client {
	e.t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.t.Fatalf("cookiejar: %v", err)
	}
	return &http.Client{Jar: jar}
}

// visit GETs an absolute or site-relative URL, following redirects, and
// returns the last page and where it ended.
func (e *env) visit(c *http.Client, target string) (page, *url.URL) {
	e.t.Helper()
	if strings.HasPrefix(target, "/") {
		target = e.srv.URL + target
	}
	resp, err := c.Get(target)
	if err != nil {
		e.t.Fatalf("GET %s: %v", target, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("GET %s: read: %v", target, err)
	}
	return page{Status: resp.StatusCode, Header: resp.Header, Body: string(b)}, resp.Request.URL
}

func (e *env) setExternalID(u licensing.User, ext string) {
	e.t.Helper()
	if _, err := e.st.UpdateUserFunc(e.ctx, licensing.System("test"), u.ID, func(u licensing.User) (licensing.User, error) {
		u.ExternalID = ext
		return u, nil
	}); err != nil {
		e.t.Fatalf("set external id: %v", err)
	}
	if err := e.svc.Load(e.ctx); err != nil {
		e.t.Fatalf("Load: %v", err)
	}
}

func (e *env) auditHas(action, result, detail string) bool {
	e.t.Helper()
	entries, err := e.st.ListAudit(e.ctx, 0, 1000)
	if err != nil {
		e.t.Fatalf("ListAudit: %v", err)
	}
	for _, x := range entries {
		if x.Action == action && x.Result == result && strings.Contains(x.Detail, detail) {
			return true
		}
	}
	return false
}

func TestOIDCSigninEndToEnd(t *testing.T) {
	t.Parallel()
	m := startProvider(t)
	e := newOIDCEnv(t, m)
	cat := e.seed()
	e.setExternalID(cat.fred, "00u-fred")

	// The sign-in page offers the provider, keeping next.
	form := e.do(e.browser(), "GET", "/signin?next=%2Ftickets", nil, "")
	if !strings.Contains(form.Body, `href="/signin/oidc?next=%2ftickets"`) || !strings.Contains(form.Body, "Sign in with Mock IdP") {
		t.Errorf("sign-in page lacks the OIDC button; body %.800s", form.Body)
	}

	// The browser goes to the provider and back, and lands on next,
	// signed in.
	c := e.follower()
	m.QueueUser(&mockoidc.MockUser{Subject: "00u-fred", Email: "fred@elsewhere.example", EmailVerified: true})
	p, at := e.visit(c, "/signin/oidc?next=%2Ftickets")
	if p.Status != http.StatusOK || at.Path != "/tickets" || !strings.Contains(p.Body, "Fred Floating") {
		t.Fatalf("OIDC sign-in ended at %s with %d; body %.400s", at, p.Status, p.Body)
	}
	if jarCookie(t, c, e.srv.URL, sessionCookie) == "" {
		t.Errorf("no session cookie after the OIDC sign-in")
	}
	if jarCookie(t, c, e.srv.URL+"/signin/oidc", "seatkeeper_oidc") != "" {
		t.Errorf("the attempt cookie outlived the sign-in")
	}
	sess, err := e.st.ListSessions(e.ctx, store.SessionFilter{User: cat.fred.ID, ActiveOnly: true, Limit: 10})
	if err != nil || len(sess) != 1 || !sess[0].Lazy || len(sess[0].Leases) != 0 {
		t.Errorf("seat sessions %+v (%v), want one lazy session without a lease", sess, err)
	}
	if !e.auditHas("signin", "ok", "method=oidc") {
		t.Errorf("no audit signin ok method=oidc")
	}

	// The agent console works in that session (the lease is taken now).
	if p, at := e.visit(c, "/agent"); p.Status != http.StatusOK || at.Path != "/agent" {
		t.Errorf("GET /agent after OIDC sign-in: %d at %s", p.Status, at)
	}
}

func TestOIDCSigninRefusals(t *testing.T) {
	t.Parallel()
	m := startProvider(t)
	e := newOIDCEnv(t, m)
	cat := e.seed()
	if _, err := e.st.UpdateUserFunc(e.ctx, licensing.System("test"), cat.rob.ID, func(u licensing.User) (licensing.User, error) {
		u.Active = false
		return u, nil
	}); err != nil {
		t.Fatalf("deactivate: %v", err)
	}
	if err := e.svc.Load(e.ctx); err != nil {
		t.Fatalf("Load: %v", err)
	}

	t.Run("unknown person", func(t *testing.T) {
		c := e.follower()
		m.QueueUser(&mockoidc.MockUser{Subject: "00u-stranger", Email: "stranger@example.com", EmailVerified: true, PreferredUsername: "stranger"})
		p, at := e.visit(c, "/signin/oidc")
		if p.Status != http.StatusForbidden || at.Path != "/signin/oidc/callback" || !strings.Contains(p.Body, "No person in Seatkeeper matches your Mock IdP account") {
			t.Errorf("unknown person: %d at %s; body %.400s", p.Status, at, p.Body)
		}
		if jarCookie(t, c, e.srv.URL, sessionCookie) != "" {
			t.Errorf("unknown person got a session cookie")
		}
		if !e.auditHas("signin", "refused", "method=oidc why=no person sub=00u-stranger") {
			t.Errorf("the refusal was not audited")
		}
	})
	t.Run("inactive person", func(t *testing.T) {
		c := e.follower()
		m.QueueUser(&mockoidc.MockUser{Subject: "x", Email: cat.rob.Email, EmailVerified: true})
		p, _ := e.visit(c, "/signin/oidc")
		if p.Status != http.StatusForbidden || !strings.Contains(p.Body, "inactive") || jarCookie(t, c, e.srv.URL, sessionCookie) != "" {
			t.Errorf("inactive person: %d; body %.400s", p.Status, p.Body)
		}
	})
	t.Run("open redirect", func(t *testing.T) {
		for _, next := range []string{"//evil.example/x", "https://evil.example/", "/\\evil.example"} {
			c := e.follower()
			m.QueueUser(&mockoidc.MockUser{Subject: "x", Email: cat.rita.Email, EmailVerified: true})
			p, at := e.visit(c, "/signin/oidc?next="+url.QueryEscape(next))
			if p.Status != http.StatusOK || at.Host != strings.TrimPrefix(e.srv.URL, "http://") || at.Path != "/" {
				t.Errorf("next %q: ended at %s with %d, want / on this site", next, at, p.Status)
			}
		}
	})
	t.Run("state mismatch", func(t *testing.T) {
		c := e.browser() // stops at each redirect
		p := e.do(c, "GET", "/signin/oidc", nil, "")
		if p.Status != http.StatusFound {
			t.Fatalf("GET /signin/oidc: %d", p.Status)
		}
		m.QueueUser(&mockoidc.MockUser{Subject: "x", Email: cat.rita.Email, EmailVerified: true})
		resp, err := c.Get(p.Location())
		if err != nil {
			t.Fatalf("authorize: %v", err)
		}
		resp.Body.Close()
		back, _ := url.Parse(resp.Header.Get("Location"))
		q := back.Query()
		q.Set("state", "forged")
		p = e.do(c, "GET", "/signin/oidc/callback?"+q.Encode(), nil, "")
		if p.Status != http.StatusBadRequest || p.Session != nil || !strings.Contains(p.Body, "does not belong to this sign-in") {
			t.Errorf("forged state: %d, cookie %v; body %.400s", p.Status, p.Session, p.Body)
		}
		// The attempt is spent: the genuine answer is refused now too.
		p = e.do(c, "GET", "/signin/oidc/callback?"+back.RawQuery, nil, "")
		if p.Status != http.StatusBadRequest || p.Session != nil || !strings.Contains(p.Body, "expired or was started in another browser") {
			t.Errorf("replayed callback: %d, cookie %v; body %.400s", p.Status, p.Session, p.Body)
		}
	})
	t.Run("no attempt cookie", func(t *testing.T) {
		p := e.do(e.browser(), "GET", "/signin/oidc/callback?state=s&code=c", nil, "")
		if p.Status != http.StatusBadRequest || !strings.Contains(p.Body, "Sign in with Mock IdP") {
			t.Errorf("callback without an attempt: %d; body %.400s", p.Status, p.Body)
		}
	})
	t.Run("provider error", func(t *testing.T) {
		c := e.browser()
		p := e.do(c, "GET", "/signin/oidc", nil, "")
		u, _ := url.Parse(p.Location())
		state := u.Query().Get("state")
		p = e.do(c, "GET", "/signin/oidc/callback?error=access_denied&error_description=%3Cb%3Ehi%3C%2Fb%3E&state="+url.QueryEscape(state), nil, "")
		if p.Status != http.StatusForbidden || !strings.Contains(p.Body, "refused the sign-in (access_denied)") || strings.Contains(p.Body, "<b>hi") {
			t.Errorf("provider error: %d; body %.400s", p.Status, p.Body)
		}
	})
}

func TestOIDCOffWhenNotConfigured(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	form := e.do(e.browser(), "GET", "/signin", nil, "")
	if strings.Contains(form.Body, "/signin/oidc") {
		t.Errorf("the sign-in page offers OIDC without a provider")
	}
	for _, path := range []string{"/signin/oidc", "/signin/oidc/callback?state=s&code=c"} {
		if p := e.do(e.browser(), "GET", path, nil, ""); p.Status != http.StatusNotFound {
			t.Errorf("GET %s without a provider: %d, want 404", path, p.Status)
		}
	}
}
