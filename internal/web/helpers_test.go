package web_test

import (
	"context"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/api"
	"github.com/seatkeeper/seatkeeper/internal/desk"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/seats"
	"github.com/seatkeeper/seatkeeper/internal/signin"
	"github.com/seatkeeper/seatkeeper/internal/store"
	"github.com/seatkeeper/seatkeeper/internal/store/sqlite"
	"github.com/seatkeeper/seatkeeper/internal/web"
)

const (
	cookieName    = "seatkeeper_token"   // the admin console's
	sessionCookie = "seatkeeper_session" // a signed-in person's
)

// env is a real server over loopback, wired as `seatkeeper serve` wires
// it: SQLite in a temporary directory, the engine, the seats service, the
// desk, sign-in, and the API with the web pages mounted.
type env struct {
	t        *testing.T
	ctx      context.Context
	st       *store.Store
	svc      *seats.Service
	desk     *desk.Service
	srv      *httptest.Server
	admin    string // admin token secret
	platform string // platform token secret
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvWith(t, nil)
}

// newEnvWith is newEnv with page options made once the server's address
// (base URL) is known but before it serves.
func newEnvWith(t *testing.T, options func(e *env, auth *signin.Manager, base string) []web.Option) *env {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "seatkeeper.db"), store.Options{Logger: log})
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	if err := st.SeedPolicy(ctx); err != nil {
		t.Fatalf("SeedPolicy: %v", err)
	}
	svc := seats.New(st, licensing.NewEngine(nil), log, seats.Config{})
	if err := svc.Load(ctx); err != nil {
		t.Fatalf("Load: %v", err)
	}
	dsk := desk.New(st, svc, svc.Engine, log)
	apiServer := api.New(svc, dsk, log)
	auth := signin.New(st, svc, log)
	srv := httptest.NewUnstartedServer(nil)
	e := &env{t: t, ctx: ctx, st: st, svc: svc, desk: dsk, srv: srv}
	var opts []web.Option
	if options != nil {
		opts = options(e, auth, "http://"+srv.Listener.Addr().String())
	}
	pages := web.New(apiServer, svc, dsk, auth, log, opts...)
	apiServer.Mount(pages.Register)
	apiServer.SetPageNotFound(http.HandlerFunc(pages.NotFound))
	srv.Config.Handler = apiServer.Handler()
	srv.Start()
	t.Cleanup(srv.Close) // runs before st.Close
	e.admin = e.token("console-admin", store.ScopeAdmin)
	e.platform = e.token("desk-platform", store.ScopePlatform)
	return e
}

func (e *env) token(name, scope string) string {
	e.t.Helper()
	_, secret, err := e.st.CreateToken(e.ctx, licensing.System("test"), name, scope, 0)
	if err != nil {
		e.t.Fatalf("CreateToken(%q, %q): %v", name, scope, err)
	}
	return secret
}

// browser is an http.Client with a cookie jar that does not follow redirects.
func (e *env) browser() *http.Client {
	e.t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.t.Fatalf("cookiejar: %v", err)
	}
	return &http.Client{
		Jar:           jar,
		Transport:     e.srv.Client().Transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

type page struct {
	Status  int
	Header  http.Header
	Body    string
	Cookie  *http.Cookie // the admin cookie set by this answer, if any
	Session *http.Cookie // the person's session cookie set by this answer, if any
}

func (p page) Location() string { return p.Header.Get("Location") }

// do sends one request; hdr holds extra header name/value pairs.
func (e *env) do(c *http.Client, method, path string, form url.Values, origin string, hdr ...string) page {
	e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, e.srv.URL+path, body)
	if err != nil {
		e.t.Fatalf("NewRequest: %v", err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("%s %s: read: %v", method, path, err)
	}
	p := page{Status: resp.StatusCode, Header: resp.Header, Body: string(b)}
	for _, ck := range resp.Cookies() {
		switch ck.Name {
		case cookieName:
			p.Cookie = ck
		case sessionCookie:
			p.Session = ck
		}
	}
	return p
}

// signIn posts the admin token from the same origin and checks it worked.
func (e *env) signIn(c *http.Client) page {
	e.t.Helper()
	p := e.do(c, "POST", "/admin/signin", url.Values{"token": {e.admin}}, e.srv.URL)
	if p.Status != http.StatusSeeOther || p.Location() != "/admin" || p.Cookie == nil {
		e.t.Fatalf("admin sign-in: status %d, Location %q, cookie %v; body %.300s", p.Status, p.Location(), p.Cookie, p.Body)
	}
	return p
}

func jarCookie(t *testing.T, c *http.Client, base, name string) string {
	t.Helper()
	u, _ := url.Parse(base)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}

func jarHasCookie(t *testing.T, c *http.Client, base string) bool {
	t.Helper()
	return jarCookie(t, c, base, cookieName) != ""
}

func checkSecurityHeaders(t *testing.T, p page) {
	t.Helper()
	if csp := p.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
		t.Errorf("Content-Security-Policy %q, want default-src 'self'", csp)
	}
	if xfo := p.Header.Get("X-Frame-Options"); xfo != "DENY" {
		t.Errorf("X-Frame-Options %q, want DENY", xfo)
	}
}

// People and their passwords.

// password is every test person's password. It is hashed once per test
// binary with the real work factor (one hash costs what a sign-in does).
const password = "a long test passphrase"

var passwordHash = sync.OnceValues(func() (string, error) { return signin.HashPassword(password) })

// catalog is what seed creates.
type catalog struct {
	rita, rob licensing.User // requesters
	nina      licensing.User // named agent seat
	fred, flo licensing.User // registered for the one-seat concurrent pool
	sam       licensing.User // stakeholder
}

// seed creates, through the store, an agent SKU with a two-seat named pool
// and a one-seat concurrent pool that queues, a stakeholder SKU and pool,
// the people of catalog with passwords, and three articles.
func (e *env) seed() catalog {
	e.t.Helper()
	a := licensing.System("test")
	for _, k := range []licensing.SKU{
		{Key: "agent", Name: "Service desk agent", Tier: licensing.TierFulfiller, MonthlyPrice: 95},
		{Key: "stakeholder", Name: "Stakeholder", Tier: licensing.TierStakeholder, MonthlyPrice: 10},
	} {
		if err := e.st.PutSKU(e.ctx, a, k, true); err != nil {
			e.t.Fatalf("PutSKU %s: %v", k.Key, err)
		}
	}
	for _, p := range []licensing.Pool{
		{ID: "agents-named", SKU: "agent", Model: licensing.ModelNamed, Seats: 2, MonthlyPrice: 95},
		{ID: "agents-floating", SKU: "agent", Model: licensing.ModelConcurrent, Seats: 1, MonthlyPrice: 140, Queue: &licensing.QueueConfig{MaxLength: 10}},
		{ID: "stakeholders", SKU: "stakeholder", Model: licensing.ModelNamed, Seats: 5, MonthlyPrice: 10},
	} {
		if err := e.st.CreatePool(e.ctx, a, p); err != nil {
			e.t.Fatalf("CreatePool %s: %v", p.ID, err)
		}
	}
	var c catalog
	c.rita = e.person("rita@example.com", "Rita Requester")
	c.rob = e.person("rob@example.com", "Rob Requester")
	c.nina = e.person("nina@example.com", "Nina Named", "agents-named")
	c.fred = e.person("fred@example.com", "Fred Floating", "agents-floating")
	c.flo = e.person("flo@example.com", "Flo Floating", "agents-floating")
	c.sam = e.person("sam@example.com", "Sam Stakeholder", "stakeholders")
	by := desk.By{Actor: a, UserName: "test"}
	for _, art := range []desk.Article{
		{Title: "Connect to the VPN", Body: "Open the VPN client, choose the office gateway and sign in with your company account. If the VPN drops, restart the client.", Tags: []string{"vpn", "network"}},
		{Title: "Reset your password", Body: "Go to the password page and follow the steps; a locked account unlocks after 15 minutes.", Tags: []string{"password", "access"}},
		{Title: "Add a printer", Body: "Printers on each floor are listed in the print settings; choose the nearest one.", Tags: []string{"printer", "hardware"}},
	} {
		if _, err := e.st.CreateArticle(e.ctx, by, art); err != nil {
			e.t.Fatalf("CreateArticle %q: %v", art.Title, err)
		}
	}
	return c
}

// person creates an active person with the test password, member of pools.
func (e *env) person(name, display string, pools ...string) licensing.User {
	e.t.Helper()
	a := licensing.System("test")
	u, err := e.st.CreateUser(e.ctx, a, licensing.User{UserName: name, Email: name, DisplayName: display, Kind: licensing.KindPerson, Active: true})
	if err != nil {
		e.t.Fatalf("CreateUser %s: %v", name, err)
	}
	for _, p := range pools {
		if _, _, err := e.st.PutMember(e.ctx, a, p, u.ID, ""); err != nil {
			e.t.Fatalf("PutMember %s/%s: %v", p, name, err)
		}
	}
	h, err := passwordHash()
	if err != nil {
		e.t.Fatalf("HashPassword: %v", err)
	}
	if err := e.st.SetPassword(e.ctx, a, u.ID, h); err != nil {
		e.t.Fatalf("SetPassword %s: %v", name, err)
	}
	return u
}

// A signed-in person's browser.

type user struct {
	e    *env
	c    *http.Client
	csrf string
}

// login signs a person in through the form and reads their CSRF token
// from the home page's sign-out form.
func (e *env) login(u licensing.User) *user {
	e.t.Helper()
	c := e.browser()
	p := e.do(c, "POST", "/signin", url.Values{"user": {u.UserName}, "password": {password}}, e.srv.URL)
	if p.Status != http.StatusSeeOther || p.Session == nil {
		e.t.Fatalf("sign-in of %s: status %d, Location %q, cookie %v; body %.300s", u.UserName, p.Status, p.Location(), p.Session, p.Body)
	}
	b := &user{e: e, c: c}
	home := b.get("/")
	if home.Status != http.StatusOK {
		e.t.Fatalf("home of %s: status %d; body %.300s", u.UserName, home.Status, home.Body)
	}
	b.csrf = csrfOf(e.t, home.Body)
	return b
}

func (b *user) get(path string) page {
	b.e.t.Helper()
	return b.e.do(b.c, "GET", path, nil, "")
}

// post sends a form as this site's own page would: the CSRF token and the
// Origin.
func (b *user) post(path string, form url.Values) page {
	b.e.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf", b.csrf)
	return b.e.do(b.c, "POST", path, form, b.e.srv.URL)
}

// HTML helpers: the pages are small and regular enough for patterns.

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t *testing.T, body string) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("page has no CSRF field: %.400s", body)
	}
	return html.UnescapeString(m[1])
}

func hasID(body, id string) bool { return strings.Contains(body, `id="`+id+`"`) }

// element returns the opening tag and content up to the first closing tag
// name after the element with id.
func element(t *testing.T, body, id, closing string) string {
	t.Helper()
	i := strings.Index(body, `id="`+id+`"`)
	if i < 0 {
		t.Fatalf("page has no #%s; body %.600s", id, body)
	}
	start := strings.LastIndex(body[:i], "<")
	rest := body[start:]
	if j := strings.Index(rest, "</"+closing+">"); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

// text is an element's content with tags removed and entities decoded.
var tagRE = regexp.MustCompile(`<[^>]*>`)

func text(s string) string {
	return strings.Join(strings.Fields(html.UnescapeString(tagRE.ReplaceAllString(s, " "))), " ")
}

// attrOf returns the value of attribute name in the element with id.
func attrOf(t *testing.T, body, id, name string) string {
	t.Helper()
	tag := element(t, body, id, "")
	if j := strings.Index(tag, ">"); j >= 0 {
		tag = tag[:j]
	}
	m := regexp.MustCompile(`\b` + regexp.QuoteMeta(name) + `="([^"]*)"`).FindStringSubmatch(tag)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

// hidden returns the value of a hidden input by name.
func hidden(t *testing.T, body, name string) string {
	t.Helper()
	m := regexp.MustCompile(`name="` + regexp.QuoteMeta(name) + `" value="([^"]*)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("page has no hidden field %q: %.600s", name, body)
	}
	return html.UnescapeString(m[1])
}

var rowRE = regexp.MustCompile(`<tr class="ticket" data-number="([^"]+)"`)

// ticketRows lists the ticket numbers of a page's tr.ticket rows.
func ticketRows(body string) []string {
	var out []string
	for _, m := range rowRE.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

// flashOf returns the #flash element's class, data-code and text, or "" when
// the page has none.
func flashOf(t *testing.T, body string) (class, code, msg string) {
	t.Helper()
	if !hasID(body, "flash") {
		return "", "", ""
	}
	return attrOf(t, body, "flash", "class"), attrOf(t, body, "flash", "data-code"), text(element(t, body, "flash", "div"))
}

func (e *env) leases(pool string) int {
	e.t.Helper()
	list, err := e.st.ActiveLeases(e.ctx, pool)
	if err != nil {
		e.t.Fatalf("ActiveLeases: %v", err)
	}
	return len(list)
}

func (e *env) ticket(key string) desk.Ticket {
	e.t.Helper()
	t, err := e.st.GetTicket(e.ctx, key)
	if err != nil {
		e.t.Fatalf("GetTicket %s: %v", key, err)
	}
	return t
}

// mustPerson is the desk principal of a person acting for themselves
// outside any browser (no seat session): enough for requester work and for
// people on named seats.
func mustPerson(t *testing.T, e *env, u licensing.User) desk.Principal {
	t.Helper()
	p, err := e.desk.Person(licensing.Actor{Name: "test:" + u.UserName, Source: "test"}, u.ID, "")
	if err != nil {
		t.Fatalf("desk.Person %s: %v", u.UserName, err)
	}
	return p
}

func newTicket(title string) desk.NewTicket {
	return desk.NewTicket{Title: title, Description: "Reported in a test.", Category: "hardware"}
}

func deskFilter() desk.TicketFilter { return desk.TicketFilter{Limit: 100} }

// regexpFind returns the first group of pattern in body.
func regexpFind(t *testing.T, body, pattern string) string {
	t.Helper()
	m := regexp.MustCompile(pattern).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("page does not match %s: %.800s", pattern, body)
	}
	return html.UnescapeString(m[1])
}
