package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/entitle"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/provision"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

func TestConsoleRedirectsWithoutCookie(t *testing.T) {
	e := newEnv(t)
	p := e.do(e.browser(), "GET", "/admin", nil, "")
	// Administrators are people: the console sends a stranger to the
	// sign-in page, which offers the break-glass token sign-in too.
	if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/signin?next=%2Fadmin" {
		t.Fatalf("GET /admin without cookie: status %d Location %q, want 303 /signin?next=%%2Fadmin", p.Status, p.Header.Get("Location"))
	}
	// A cookie holding a non-admin or unknown token is no better.
	for _, secret := range []string{e.platform, "sk_not_a_token"} {
		c := e.browser()
		u, _ := url.Parse(e.srv.URL)
		c.Jar.SetCookies(u, []*http.Cookie{{Name: cookieName, Value: secret, Path: "/"}})
		p := e.do(c, "GET", "/admin", nil, "")
		if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/signin?next=%2Fadmin" {
			t.Errorf("GET /admin with cookie %.12s…: status %d Location %q, want 303 /admin/signin", secret, p.Status, p.Header.Get("Location"))
		}
	}
}

func TestAdminSigninForm(t *testing.T) {
	e := newEnv(t)
	p := e.do(e.browser(), "GET", "/admin/signin", nil, "")
	if p.Status != http.StatusOK {
		t.Fatalf("GET /admin/signin: status %d", p.Status)
	}
	if ct := p.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type %q, want text/html", ct)
	}
	for _, want := range []string{`<form method="post" action="/admin/signin">`, `name="token"`, `type="password"`, `type="submit"`} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("sign-in page lacks %q; body %.400s", want, p.Body)
		}
	}
	if strings.Contains(p.Body, `role="alert"`) {
		t.Errorf("fresh sign-in page shows an error")
	}
	checkSecurityHeaders(t, p)
}

func TestAdminSigninRefusesNonAdminAndWrongTokens(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct{ name, secret string }{
		{"platform token", e.platform},
		{"wrong token", "sk_definitely_wrong"},
		{"empty token", ""},
		{"admin token with a typo", e.admin + "x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := e.browser()
			p := e.do(c, "POST", "/admin/signin", url.Values{"token": {tc.secret}}, e.srv.URL)
			if p.Status != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401; body %.300s", p.Status, p.Body)
			}
			if p.Cookie != nil {
				t.Errorf("a cookie was set: %v", p.Cookie)
			}
			if jarHasCookie(t, c, e.srv.URL) {
				t.Errorf("the jar holds a session cookie")
			}
			if !strings.Contains(p.Body, "not a valid admin token") || !strings.Contains(p.Body, `role="alert"`) {
				t.Errorf("401 page lacks the error; body %.400s", p.Body)
			}
			if !strings.Contains(p.Body, `name="token"`) {
				t.Errorf("401 page lacks the form again")
			}
			if strings.Contains(p.Body, tc.secret) && tc.secret != "" {
				t.Errorf("401 page echoes the secret")
			}
			checkSecurityHeaders(t, p)
			// The console is still closed.
			if p := e.do(c, "GET", "/admin", nil, ""); p.Status != http.StatusSeeOther {
				t.Errorf("GET /admin after failed sign-in: status %d, want 303", p.Status)
			}
		})
	}
}

func TestAdminSigninRefusesCrossOrigin(t *testing.T) {
	e := newEnv(t)
	for _, origin := range []string{"https://evil.example", "http://127.0.0.1:1", "null"} {
		t.Run(origin, func(t *testing.T) {
			c := e.browser()
			p := e.do(c, "POST", "/admin/signin", url.Values{"token": {e.admin}}, origin)
			if p.Status != http.StatusForbidden {
				t.Fatalf("status %d, want 403; body %.300s", p.Status, p.Body)
			}
			if p.Cookie != nil || jarHasCookie(t, c, e.srv.URL) {
				t.Errorf("a cookie was set on a cross-site post: %v", p.Cookie)
			}
		})
	}
	// A cross-site fetch without Origin, flagged by Sec-Fetch-Site, is refused too.
	c := e.browser()
	req, _ := http.NewRequest("POST", e.srv.URL+"/admin/signin", strings.NewReader(url.Values{"token": {e.admin}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("Sec-Fetch-Site cross-site: status %d, want 403", resp.StatusCode)
	}
	if jarHasCookie(t, c, e.srv.URL) {
		t.Errorf("Sec-Fetch-Site cross-site: a cookie was set")
	}
}

func TestAdminSigninSetsStrictHttpOnlyCookie(t *testing.T) {
	e := newEnv(t)
	c := e.browser()
	p := e.signIn(c)
	ck := p.Cookie
	if ck.Value != e.admin {
		t.Errorf("cookie value is not the signed-in token")
	}
	if !ck.HttpOnly {
		t.Errorf("cookie is not HttpOnly")
	}
	if ck.SameSite != http.SameSiteStrictMode {
		t.Errorf("cookie SameSite %v, want Strict", ck.SameSite)
	}
	if ck.Path != "/" {
		t.Errorf("cookie Path %q, want /", ck.Path)
	}
	if ck.MaxAge <= 0 {
		t.Errorf("cookie MaxAge %d, want a positive lifetime", ck.MaxAge)
	}
	if ck.Secure {
		t.Errorf("cookie is Secure over plain HTTP; a browser would drop it")
	}
	if !jarHasCookie(t, c, e.srv.URL) {
		t.Fatalf("the jar did not keep the cookie")
	}
	// The token may carry surrounding spaces from a paste.
	c2 := e.browser()
	p2 := e.do(c2, "POST", "/admin/signin", url.Values{"token": {"  " + e.admin + "\n"}}, e.srv.URL)
	if p2.Status != http.StatusSeeOther || p2.Cookie == nil || p2.Cookie.Value != e.admin {
		t.Errorf("sign-in with a padded token: status %d cookie %v", p2.Status, p2.Cookie)
	}
}

// seedDesk creates, through the store, an agent SKU, a three-seat concurrent
// pool and a two-seat named pool, and two people: one whose display name is
// markup, registered for the concurrent pool, and one on a named seat.
func seedDesk(t *testing.T, e *env) (hostile licensing.User, named licensing.User) {
	t.Helper()
	ctx := context.Background()
	a := licensing.System("test")
	if err := e.st.PutSKU(ctx, a, licensing.SKU{Key: "agent", Name: "Service desk agent", Tier: licensing.TierFulfiller, MonthlyPrice: 95}, true); err != nil {
		t.Fatalf("PutSKU: %v", err)
	}
	for _, p := range []licensing.Pool{
		{ID: "desk-floating", SKU: "agent", Model: licensing.ModelConcurrent, Seats: 3, MonthlyPrice: 140},
		{ID: "desk-named", SKU: "agent", Model: licensing.ModelNamed, Seats: 2, MonthlyPrice: 95},
	} {
		if err := e.st.CreatePool(ctx, a, p); err != nil {
			t.Fatalf("CreatePool %s: %v", p.ID, err)
		}
	}
	var err error
	hostile, err = e.st.CreateUser(ctx, a, licensing.User{UserName: "mallory@example.com", Email: "mallory@example.com",
		DisplayName: `Mal <script>alert("x")</script> Lory`, Kind: licensing.KindPerson, Active: true})
	if err != nil {
		t.Fatalf("CreateUser mallory: %v", err)
	}
	named, err = e.st.CreateUser(ctx, a, licensing.User{UserName: "nina@example.com", Email: "nina@example.com",
		DisplayName: "Nina Named", Kind: licensing.KindPerson, Active: true})
	if err != nil {
		t.Fatalf("CreateUser nina: %v", err)
	}
	if _, _, err := e.st.PutMember(ctx, a, "desk-floating", hostile.ID, ""); err != nil {
		t.Fatalf("PutMember floating: %v", err)
	}
	if _, _, err := e.st.PutMember(ctx, a, "desk-named", named.ID, ""); err != nil {
		t.Fatalf("PutMember named: %v", err)
	}
	return hostile, named
}

// TestConsoleShowsPendingGrants: a rule grant waiting for a seat of a full
// named pool is shown on the pool's card with its reason, and goes when a
// seat frees and the grant is filled.
func TestConsoleShowsPendingGrants(t *testing.T) {
	e := newEnv(t)
	_, named := seedDesk(t, e)
	ctx := context.Background()
	a := licensing.System("test")
	for _, n := range []string{"olga", "pete"} {
		if _, err := e.st.CreateUser(ctx, a, licensing.User{UserName: n + "@example.com", JobCode: "ITSD-1", Kind: licensing.KindPerson, Active: true}); err != nil {
			t.Fatal(err)
		}
	}
	rec, err := provision.ToRecord(entitle.Rule{ID: "desk", Enabled: true, When: entitle.Condition{JobCode: []string{"ITSD-*"}}, Grant: []entitle.Grant{{SKU: "agent", Model: licensing.ModelNamed}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.CreateRule(ctx, a, rec); err != nil {
		t.Fatal(err)
	}
	r := &provision.Reconciler{Store: e.st}
	if _, err := r.ReconcileAll(ctx, a); err != nil {
		t.Fatal(err)
	}
	c := e.browser()
	e.signIn(c)
	sec := poolSection(t, e.do(c, "GET", "/admin", nil, "").Body, "desk-named")
	if !strings.Contains(sec, "Waiting for a seat (1): ") || !strings.Contains(sec, ">pete@example.com</a>") || !strings.Contains(sec, "Rule desk, Pool full") {
		t.Fatalf("desk-named card does not show pete waiting: %s", sec)
	}
	if err := e.st.DeleteMember(ctx, a, "desk-named", named.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := r.FillPending(ctx, a); err != nil {
		t.Fatal(err)
	}
	if sec := poolSection(t, e.do(c, "GET", "/admin", nil, "").Body, "desk-named"); strings.Contains(sec, "Waiting for a seat") {
		t.Errorf("the filled grant is still shown waiting: %s", sec)
	}
}

// poolSection returns the console's card for one pool.
func poolSection(t *testing.T, body, pool string) string {
	t.Helper()
	i := strings.Index(body, `id="pool-`+pool+`"`)
	if i < 0 {
		t.Fatalf("console has no section for pool %s; body %.600s", pool, body)
	}
	rest := body[i:]
	if j := strings.Index(rest, "</section>"); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

var heldRE = regexp.MustCompile(`<span class="held">(\d+)</span> of (\d+) seats held`)

func heldOf(t *testing.T, section string) (held, seats string) {
	t.Helper()
	m := heldRE.FindStringSubmatch(section)
	if m == nil {
		t.Fatalf("pool section lacks the held/seats line: %.400s", section)
	}
	return m[1], m[2]
}

func TestConsoleShowsPoolsHoldersAndAudit(t *testing.T) {
	e := newEnv(t)
	hostile, _ := seedDesk(t, e)
	c := e.browser()
	e.signIn(c)

	// Before anyone holds a lease.
	p := e.do(c, "GET", "/admin", nil, "")
	if p.Status != http.StatusOK {
		t.Fatalf("GET /admin signed in: status %d; body %.300s", p.Status, p.Body)
	}
	checkSecurityHeaders(t, p)
	floating := poolSection(t, p.Body, "desk-floating")
	if h, s := heldOf(t, floating); h != "0" || s != "3" {
		t.Errorf("desk-floating before a session: %s of %s held, want 0 of 3", h, s)
	}
	if strings.Contains(floating, "Holding now") {
		t.Errorf("desk-floating lists holders before any session: %s", floating)
	}
	namedSec := poolSection(t, p.Body, "desk-named")
	if h, s := heldOf(t, namedSec); h != "1" || s != "2" {
		t.Errorf("desk-named: %s of %s held, want 1 of 2 (one assignment)", h, s)
	}

	// A session takes a floating seat for the hostile-named person.
	ctx := context.Background()
	sess, err := e.svc.StartSession(ctx, licensing.Actor{Name: "token:desk-platform", Source: "test"}, hostile.UserName, false)
	if err != nil {
		t.Fatalf("StartSession: %v", err)
	}
	if len(sess.Leases) != 1 || sess.Leases[0].Pool != "desk-floating" {
		t.Fatalf("session leases %+v, want one on desk-floating", sess.Leases)
	}
	p = e.do(c, "GET", "/admin", nil, "")
	if p.Status != http.StatusOK {
		t.Fatalf("GET /admin: status %d", p.Status)
	}
	floating = poolSection(t, p.Body, "desk-floating")
	if h, s := heldOf(t, floating); h != "1" || s != "3" {
		t.Errorf("desk-floating with a session: %s of %s held, want 1 of 3", h, s)
	}
	if !strings.Contains(floating, "Holding now:") {
		t.Errorf("desk-floating does not list its holder: %s", floating)
	}
	// The display name is shown, escaped; raw markup never reaches the page.
	wantName := `Mal &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; Lory`
	if !strings.Contains(floating, wantName) {
		t.Errorf("holder's escaped display name %q missing from %s", wantName, floating)
	}
	if strings.Contains(strings.ReplaceAll(p.Body, `<script src="/static/dashboard.js" defer></script>`, ""), "<script") {
		t.Errorf("console contains raw <script markup")
	}
	if strings.Contains(floating, "mallory@example.com") {
		t.Errorf("holder shown by user name, not display name: %s", floating)
	}
	// Both pools appear, and the SKU name.
	for _, want := range []string{"desk-floating", "desk-named", "Service desk agent"} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("console lacks %q", want)
		}
	}

	// Newest audit entries: the session start is the newest and comes first.
	i := strings.Index(p.Body, "Newest audit entries")
	if i < 0 {
		t.Fatalf("console lacks the audit section")
	}
	auditHTML := p.Body[i:]
	for _, want := range []string{"session.start", "pool.create", "token.create"} {
		if !strings.Contains(auditHTML, want) {
			t.Errorf("audit section lacks %q; %.800s", want, auditHTML)
		}
	}
	if s, c := strings.Index(auditHTML, "session.start"), strings.Index(auditHTML, "token.create"); s < 0 || c < 0 || s > c {
		t.Errorf("audit entries are not newest first (session.start at %d, token.create at %d)", s, c)
	}
	seq, _, err := e.st.AuditHead(ctx)
	if err != nil {
		t.Fatalf("AuditHead: %v", err)
	}
	if !strings.Contains(auditHTML, "<td>"+strconv.FormatInt(seq, 10)+"</td>") {
		t.Errorf("audit section lacks the newest entry #%d; %.600s", seq, auditHTML)
	}

	// Ending the session frees the seat on the page.
	if err := e.st.EndSession(ctx, licensing.System("test"), sess.ID, licensing.EndLogout); err != nil {
		t.Fatalf("EndSession: %v", err)
	}
	p = e.do(c, "GET", "/admin", nil, "")
	floating = poolSection(t, p.Body, "desk-floating")
	if h, _ := heldOf(t, floating); h != "0" {
		t.Errorf("desk-floating after logout: %s held, want 0", h)
	}
	if strings.Contains(floating, "Holding now") {
		t.Errorf("desk-floating still lists a holder after logout")
	}
}

func TestConsoleRecentAuditIsBounded(t *testing.T) {
	e := newEnv(t)
	for i := 0; i < 40; i++ {
		e.token("bulk-"+strconv.Itoa(i), store.ScopeSCIM)
	}
	c := e.browser()
	e.signIn(c)
	p := e.do(c, "GET", "/admin", nil, "")
	if p.Status != http.StatusOK {
		t.Fatalf("GET /admin: status %d", p.Status)
	}
	seq, _, err := e.st.AuditHead(context.Background())
	if err != nil {
		t.Fatalf("AuditHead: %v", err)
	}
	if seq < 42 {
		t.Fatalf("audit head %d, want at least 42 entries", seq)
	}
	got := regexp.MustCompile(`<tr><td>(\d+)</td>`).FindAllStringSubmatch(p.Body, -1)
	if len(got) != 25 {
		t.Fatalf("console shows %d audit rows, want the newest 25", len(got))
	}
	for i, m := range got {
		if want := strconv.FormatInt(seq-int64(i), 10); m[1] != want {
			t.Errorf("audit row %d is #%s, want #%s (newest first)", i, m[1], want)
		}
	}
}

func TestAdminSignout(t *testing.T) {
	e := newEnv(t)
	c := e.browser()
	e.signIn(c)
	if p := e.do(c, "GET", "/admin", nil, ""); p.Status != http.StatusOK {
		t.Fatalf("GET /admin signed in: status %d", p.Status)
	}

	// A cross-site sign-out does not clear the cookie.
	p := e.do(c, "POST", "/admin/signout", url.Values{}, "https://evil.example")
	if p.Cookie != nil {
		t.Errorf("cross-site sign-out touched the cookie: %v", p.Cookie)
	}
	if !jarHasCookie(t, c, e.srv.URL) {
		t.Fatalf("cross-site sign-out removed the cookie")
	}

	p = e.do(c, "POST", "/admin/signout", url.Values{}, e.srv.URL)
	if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/admin/signin" {
		t.Fatalf("POST /admin/signout: status %d Location %q, want 303 /admin/signin", p.Status, p.Header.Get("Location"))
	}
	if p.Cookie == nil {
		t.Fatalf("sign-out set no cookie")
	}
	if p.Cookie.MaxAge >= 0 || p.Cookie.Value != "" {
		t.Errorf("sign-out cookie MaxAge %d value %q, want MaxAge<0 and empty", p.Cookie.MaxAge, p.Cookie.Value)
	}
	if !p.Cookie.HttpOnly || p.Cookie.SameSite != http.SameSiteStrictMode {
		t.Errorf("sign-out cookie lost HttpOnly/SameSite: %+v", p.Cookie)
	}
	if jarHasCookie(t, c, e.srv.URL) {
		t.Errorf("the jar still holds the cookie after sign-out")
	}
	if p := e.do(c, "GET", "/admin", nil, ""); p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/signin?next=%2Fadmin" {
		t.Errorf("GET /admin after sign-out: status %d, want 303 to the sign-in page", p.Status)
	}
}

func TestRevokedTokenLosesConsole(t *testing.T) {
	e := newEnv(t)
	c := e.browser()
	e.signIn(c)
	// Revoked through this process's API, the revocation bites at once (by
	// another process, within the token cache's 2 s).
	if p := e.do(e.srv.Client(), "DELETE", "/api/v1/tokens/console-admin", nil, "", "Authorization", "Bearer "+e.admin); p.Status != http.StatusNoContent {
		t.Fatalf("DELETE /api/v1/tokens/console-admin: %d %s", p.Status, p.Body)
	}
	if p := e.do(c, "GET", "/admin", nil, ""); p.Status != http.StatusSeeOther {
		t.Errorf("GET / with a revoked token's cookie: status %d, want 303", p.Status)
	}
	if p := e.do(e.browser(), "POST", "/admin/signin", url.Values{"token": {e.admin}}, e.srv.URL); p.Status != http.StatusUnauthorized || p.Cookie != nil {
		t.Errorf("sign-in with a revoked token: status %d cookie %v, want 401 and none", p.Status, p.Cookie)
	}
}

func TestAPIStillServedBesideThePages(t *testing.T) {
	e := newEnv(t)
	req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1/pools", nil)
	req.Header.Set("Authorization", "Bearer "+e.admin)
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /api/v1/pools beside the pages: status %d", resp.StatusCode)
	}
	// An unknown page is not the console nor the portal.
	p := e.do(e.browser(), "GET", "/nope", nil, "")
	if p.Status != http.StatusNotFound {
		t.Errorf("GET /nope: status %d, want 404", p.Status)
	}
}
