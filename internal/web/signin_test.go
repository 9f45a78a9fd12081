package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/desk"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/publicurl"
	"github.com/seatkeeper/seatkeeper/internal/signin"
	"github.com/seatkeeper/seatkeeper/internal/store"
	"github.com/seatkeeper/seatkeeper/internal/web"
)

func TestUnsignedVisitorsAreSentToSignin(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.browser()
	for _, path := range []string{"/", "/kb?q=vpn", "/kb/art_x", "/tickets", "/tickets/new", "/tickets/INC-000001", "/chat",
		"/agent", "/agent/tickets/INC-000001", "/agent/proposals", "/reports/multiplexing?from=2025-01-01"} {
		p := e.do(c, "GET", path, nil, "")
		want := "/signin?next=" + url.QueryEscape(path)
		if p.Status != http.StatusSeeOther || p.Location() != want {
			t.Errorf("GET %s unsigned: status %d Location %q, want 303 %q", path, p.Status, p.Location(), want)
		}
	}
	// A post without a session goes to the sign-in page too, changing nothing.
	for _, path := range []string{"/tickets", "/chat", "/agent/tickets/INC-000001/transition", "/signout"} {
		p := e.do(c, "POST", path, url.Values{"title": {"x"}}, e.srv.URL)
		if p.Status != http.StatusSeeOther || p.Location() != "/signin" {
			t.Errorf("POST %s unsigned: status %d Location %q, want 303 /signin", path, p.Status, p.Location())
		}
	}
	// A stale cookie is cleared on the way.
	u, _ := url.Parse(e.srv.URL)
	c.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: "stale-secret", Path: "/"}})
	p := e.do(c, "GET", "/tickets", nil, "")
	if p.Status != http.StatusSeeOther || p.Session == nil || p.Session.MaxAge >= 0 {
		t.Errorf("GET /tickets with a stale cookie: status %d, cookie %+v; want 303 and the cookie cleared", p.Status, p.Session)
	}
}

func TestPersonSigninForm(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.do(e.browser(), "GET", "/signin?next=%2Ftickets%2Fnew", nil, "")
	if p.Status != http.StatusOK {
		t.Fatalf("GET /signin: status %d", p.Status)
	}
	checkSecurityHeaders(t, p)
	for _, want := range []string{`<form method="post" action="/signin">`, `name="user"`, `name="password" type="password"`, `id="signin"`,
		`name="next" value="/tickets/new"`, `name="viewport"`, `href="/static/app.css"`} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("sign-in page lacks %q; body %.600s", want, p.Body)
		}
	}
	// Only a same-site relative next survives.
	for _, next := range []string{"//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)", "evil"} {
		p := e.do(e.browser(), "GET", "/signin?next="+url.QueryEscape(next), nil, "")
		if got := hidden(t, p.Body, "next"); got != "/" {
			t.Errorf("next %q became %q, want /", next, got)
		}
	}
	css := e.do(e.browser(), "GET", "/static/app.css", nil, "")
	if css.Status != http.StatusOK || !strings.HasPrefix(css.Header.Get("Content-Type"), "text/css") || !strings.Contains(css.Body, "@media (max-width:640px)") {
		t.Errorf("GET /static/app.css: status %d, type %q; want the stylesheet with the phone layout", css.Status, css.Header.Get("Content-Type"))
	}
}

func TestPersonSigninAndSignout(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cat := e.seed()

	// Wrong password: the form again, 401, no cookie; the user name kept.
	c := e.browser()
	p := e.do(c, "POST", "/signin", url.Values{"user": {cat.fred.UserName}, "password": {"not the password"}, "next": {"/agent"}}, e.srv.URL)
	if p.Status != http.StatusUnauthorized || p.Session != nil {
		t.Fatalf("wrong password: status %d cookie %v; want 401 and none", p.Status, p.Session)
	}
	if !strings.Contains(p.Body, "Wrong user name or password") || !strings.Contains(p.Body, `value="fred@example.com"`) || strings.Contains(p.Body, "not the password") {
		t.Errorf("wrong-password page: %.600s", p.Body)
	}
	// A cross-site post is refused before any password is checked.
	if p := e.do(c, "POST", "/signin", url.Values{"user": {cat.fred.UserName}, "password": {password}}, "https://evil.example"); p.Status != http.StatusForbidden || p.Session != nil {
		t.Errorf("cross-site sign-in: status %d cookie %v; want 403 and none", p.Status, p.Session)
	}

	// The right password: a Lax, HttpOnly session cookie and back to next.
	p = e.do(c, "POST", "/signin", url.Values{"user": {cat.fred.UserName}, "password": {password}, "next": {"/agent?state=any"}}, e.srv.URL)
	if p.Status != http.StatusSeeOther || p.Location() != "/agent?state=any" {
		t.Fatalf("sign-in: status %d Location %q; body %.300s", p.Status, p.Location(), p.Body)
	}
	ck := p.Session
	if ck == nil || ck.Value == "" || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Secure || ck.MaxAge <= 0 {
		t.Fatalf("session cookie %+v; want HttpOnly, SameSite=Lax, Path=/, not Secure over plain HTTP, a lifetime", ck)
	}
	if e.leases("agents-floating") != 0 {
		t.Errorf("signing in took a seat; a seat is taken at the first agent action")
	}
	b := &user{e: e, c: c}
	home := b.get("/")
	b.csrf = csrfOf(t, home.Body)
	if !hasID(home.Body, "signout") || !strings.Contains(home.Body, "Fred Floating") {
		t.Errorf("home lacks the sign-out form or the person's name: %.600s", home.Body)
	}

	// The first agent action takes the seat…
	tk, err := e.desk.CreateTicket(e.ctx, mustPerson(t, e, cat.rita), newTicket("Printer jammed"))
	if err != nil {
		t.Fatalf("CreateTicket: %v", err)
	}
	if p := b.post("/agent/tickets/"+tk.Number()+"/transition", url.Values{"to": {"in_progress"}}); p.Status != http.StatusSeeOther {
		t.Fatalf("transition: status %d; body %.600s", p.Status, p.Body)
	}
	if n := e.leases("agents-floating"); n != 1 {
		t.Fatalf("%d leases after the first agent action, want 1", n)
	}

	// …and signing out returns it at once.
	if p := e.do(c, "POST", "/signout", url.Values{}, e.srv.URL); p.Status != http.StatusForbidden {
		t.Errorf("sign-out without the CSRF token: status %d, want 403", p.Status)
	}
	if n := e.leases("agents-floating"); n != 1 {
		t.Fatalf("a refused sign-out ended the lease")
	}
	p = b.post("/signout", nil)
	if p.Status != http.StatusSeeOther || p.Location() != "/signin" || p.Session == nil || p.Session.MaxAge >= 0 {
		t.Fatalf("sign-out: status %d Location %q cookie %+v; want 303 /signin and the cookie cleared", p.Status, p.Location(), p.Session)
	}
	if n := e.leases("agents-floating"); n != 0 {
		t.Errorf("%d leases after sign-out, want 0: the seat must return", n)
	}
	// Both ends are audited, by the person.
	if _, err := e.st.ChainPending(e.ctx); err != nil {
		t.Fatalf("ChainPending: %v", err)
	}
	entries, err := e.st.ListAudit(e.ctx, 0, 1000)
	if err != nil {
		t.Fatalf("ListAudit: %v", err)
	}
	seen := map[string]bool{}
	for _, en := range entries {
		if en.Actor == "web:fred@example.com" && en.Subject == "user:fred@example.com" {
			seen[en.Action] = true
		}
	}
	for _, action := range []string{"session.start", "signin", "signout"} {
		if !seen[action] {
			t.Errorf("no %s audit entry by web:fred@example.com for user:fred@example.com", action)
		}
	}
	// The old secret is dead even if a copy of the cookie survives.
	u, _ := url.Parse(e.srv.URL)
	c.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: ck.Value, Path: "/"}})
	if p := b.get("/"); p.Status != http.StatusSeeOther {
		t.Errorf("GET / with the signed-out secret: status %d, want 303", p.Status)
	}
}

func TestSessionCookieSecureBehindHTTPSProxy(t *testing.T) {
	t.Parallel()
	// Without --trust-proxy a client's X-Forwarded-Proto is not believed.
	{
		e := newEnv(t)
		cat := e.seed()
		p := e.do(e.browser(), "POST", "/signin", url.Values{"user": {cat.rita.UserName}, "password": {password}}, e.srv.URL, "X-Forwarded-Proto", "https")
		if p.Session == nil || p.Session.Secure {
			t.Errorf("untrusted X-Forwarded-Proto: cookie %+v, want one without Secure", p.Session)
		}
	}
	trusting, err := publicurl.New("", true)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvWith(t, func(*env, *signin.Manager, string) []web.Option { return []web.Option{web.WithPublicURL(trusting)} })
	cat := e.seed()
	p := e.do(e.browser(), "POST", "/signin", url.Values{"user": {cat.rita.UserName}, "password": {password}}, e.srv.URL, "X-Forwarded-Proto", "https")
	if p.Status != http.StatusSeeOther || p.Session == nil || !p.Session.Secure {
		t.Errorf("sign-in behind an HTTPS proxy: status %d cookie %+v; want a Secure cookie", p.Status, p.Session)
	}
	if p.Location() != "/" {
		t.Errorf("sign-in without next: Location %q, want /", p.Location())
	}
}

func TestSigninInactivePerson(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cat := e.seed()
	if _, err := e.st.UpdateUserFunc(e.ctx, licensing.System("test"), cat.rob.ID, func(u licensing.User) (licensing.User, error) {
		u.Active = false
		return u, nil
	}); err != nil {
		t.Fatalf("deactivate: %v", err)
	}
	p := e.do(e.browser(), "POST", "/signin", url.Values{"user": {cat.rob.UserName}, "password": {password}}, e.srv.URL)
	if p.Status != http.StatusForbidden || p.Session != nil || !strings.Contains(p.Body, "inactive") {
		t.Errorf("inactive sign-in: status %d cookie %v; want 403 saying inactive; body %.400s", p.Status, p.Session, p.Body)
	}
}

func TestCSRFAndOriginChecked(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cat := e.seed()
	b := e.login(cat.rita)
	form := func() url.Values {
		return url.Values{"title": {"VPN down"}, "description": {"since this morning"}, "category": {"network"}}
	}
	for _, tc := range []struct {
		name   string
		csrf   string
		origin string
	}{
		{"no token", "", e.srv.URL},
		{"wrong token", strings.Repeat("A", 43), e.srv.URL},
		{"token with an extra byte", b.csrf + "x", e.srv.URL},
		{"foreign origin", b.csrf, "https://evil.example"},
		{"null origin", b.csrf, "null"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := form()
			if tc.csrf != "" {
				f.Set("csrf", tc.csrf)
			}
			p := e.do(b.c, "POST", "/tickets", f, tc.origin)
			if p.Status != http.StatusForbidden {
				t.Fatalf("status %d, want 403; body %.400s", p.Status, p.Body)
			}
			if _, code, _ := flashOf(t, p.Body); code != licensing.CodeForbidden {
				t.Errorf("refusal's data-code %q, want forbidden", code)
			}
		})
	}
	// A cross-site fetch without Origin, flagged by Sec-Fetch-Site.
	f := form()
	f.Set("csrf", b.csrf)
	if p := e.do(b.c, "POST", "/tickets", f, "", "Sec-Fetch-Site", "cross-site"); p.Status != http.StatusForbidden {
		t.Errorf("Sec-Fetch-Site cross-site: status %d, want 403", p.Status)
	}
	if list, err := e.st.ListTickets(e.ctx, deskFilter()); err != nil || len(list) != 0 {
		t.Fatalf("refused posts created tickets: %d (%v)", len(list), err)
	}
	// The same post from the page itself works.
	if p := b.post("/tickets", form()); p.Status != http.StatusSeeOther {
		t.Errorf("post with token and origin: status %d, want 303; body %.400s", p.Status, p.Body)
	}
}

func TestEndedSeatSessionSignsOut(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cat := e.seed()
	tk, err := e.desk.CreateTicket(e.ctx, mustPerson(t, e, cat.rita), newTicket("Mouse is dead"))
	if err != nil {
		t.Fatal(err)
	}
	fred := e.login(cat.fred)
	list, err := e.st.ListSessions(e.ctx, store.SessionFilter{User: cat.fred.ID, ActiveOnly: true, Limit: 10})
	if err != nil || len(list) != 1 {
		t.Fatalf("fred's seat sessions: %d (%v), want 1", len(list), err)
	}
	// An administrator ends the seat session behind fred's browser.
	if err := e.st.EndSession(e.ctx, licensing.System("test"), list[0].ID, licensing.EndAdmin); err != nil {
		t.Fatalf("EndSession: %v", err)
	}
	p := fred.post("/agent/tickets/"+tk.Number()+"/transition", url.Values{"to": {"in_progress"}})
	if p.Status != http.StatusSeeOther || p.Location() != "/signin" || p.Session == nil || p.Session.MaxAge >= 0 {
		t.Fatalf("action after the seat session ended: status %d Location %q cookie %+v; want 303 /signin and the cookie cleared; body %.400s", p.Status, p.Location(), p.Session, p.Body)
	}
	if got := e.ticket(tk.ID); got.State != desk.StateNew {
		t.Errorf("the ticket changed to %s", got.State)
	}
	if e.leases("agents-floating") != 0 {
		t.Errorf("a lease is held after the session ended")
	}
}

// TestBrowserSessionsCappedPerPerson (issue 10, part 8): the 21st sign-in
// of one person ends their oldest browser session; the rest live on.
func TestBrowserSessionsCappedPerPerson(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cat := e.seed()
	var browsers []*http.Client
	for i := 0; i <= signin.DefaultMaxSessions; i++ {
		c := e.browser()
		p := e.do(c, "POST", "/signin", url.Values{"user": {cat.fred.UserName}, "password": {password}, "next": {"/tickets"}}, e.srv.URL)
		if p.Status != http.StatusSeeOther {
			t.Fatalf("sign-in %d: status %d; body %.300s", i, p.Status, p.Body)
		}
		browsers = append(browsers, c)
	}
	if p := e.do(browsers[0], "GET", "/tickets", nil, ""); p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location(), "/signin") {
		t.Errorf("oldest browser after %d newer sign-ins: status %d Location %q, want sent to /signin", signin.DefaultMaxSessions, p.Status, p.Location())
	}
	for i, c := range browsers[1:] {
		if p := e.do(c, "GET", "/tickets", nil, ""); p.Status != http.StatusOK {
			t.Errorf("browser %d: status %d, want still signed in", i+1, p.Status)
		}
	}
}

// TestUnknownBrowserPathIsAPage (issue 12): a browser path nothing serves
// answers the HTML error page, not the API's JSON; the API keeps JSON;
// /favicon.ico is the icon.
func TestUnknownBrowserPathIsAPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.browser()
	p := e.do(c, "GET", "/no/such/page", nil, "")
	if p.Status != http.StatusNotFound || !strings.HasPrefix(p.Header.Get("Content-Type"), "text/html") || !strings.Contains(p.Body, "Not found") {
		t.Errorf("unknown page: %d %q %.300s, want a 404 HTML page", p.Status, p.Header.Get("Content-Type"), p.Body)
	}
	if p := e.do(c, "GET", "/api/v1/no-such", nil, ""); p.Status != http.StatusNotFound || !strings.HasPrefix(p.Header.Get("Content-Type"), "application/json") {
		t.Errorf("unknown API path: %d %q, want JSON 404", p.Status, p.Header.Get("Content-Type"))
	}
	if p := e.do(c, "GET", "/favicon.ico", nil, ""); p.Status != http.StatusOK || p.Header.Get("Content-Type") != "image/svg+xml" {
		t.Errorf("favicon: %d %q, want the SVG icon", p.Status, p.Header.Get("Content-Type"))
	}
}
