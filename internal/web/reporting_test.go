package web_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/api"
	"github.com/seatkeeper/seatkeeper/internal/desk"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/provision"
	"github.com/seatkeeper/seatkeeper/internal/reporting"
	"github.com/seatkeeper/seatkeeper/internal/seats"
	"github.com/seatkeeper/seatkeeper/internal/signin"
	"github.com/seatkeeper/seatkeeper/internal/store"
	"github.com/seatkeeper/seatkeeper/internal/store/sqlite"
	"github.com/seatkeeper/seatkeeper/internal/web"
)

// The report pages (DESIGN §3.7) over a real server on loopback and
// SQLite: who may read them, every report page, bad input, downloads,
// share links from creation to revocation, and the dormant-seat warning
// and actions (§3.1).

// clock is the store's clock, moved on by tests: share links expire and
// seats go dormant in days.
type clock struct{ off atomic.Int64 }

func (c *clock) now() time.Time              { return time.Now().Add(time.Duration(c.off.Load())) }
func (c *clock) advance(d time.Duration)     { c.off.Add(int64(d)) }
func (e *reportEnv) advance(d time.Duration) { e.clock.advance(d) }

// reportEnv is env (helpers_test.go), wired the same way, on a store whose
// clock the test moves.
type reportEnv struct {
	*env
	clock *clock
}

func newReportEnv(t *testing.T) *reportEnv {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	clk := &clock{}
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "seatkeeper.db"), store.Options{Logger: log, Now: clk.now})
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
	apiServer.Mount(web.New(apiServer, svc, dsk, auth, log).Register)
	srv.Config.Handler = apiServer.Handler()
	srv.Start()
	t.Cleanup(srv.Close)
	e.admin = e.token("console-admin", store.ScopeAdmin)
	e.platform = e.token("desk-platform", store.ScopePlatform)
	return &reportEnv{env: e, clock: clk}
}

// isHTMLPage fails unless p is an HTML page (never the API's JSON).
func isHTMLPage(t *testing.T, what string, p page, status int) {
	t.Helper()
	if p.Status != status {
		t.Errorf("%s: status %d, want %d; body %.600s", what, p.Status, status, p.Body)
	}
	if ct := p.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") || strings.HasPrefix(strings.TrimSpace(p.Body), "{") {
		t.Errorf("%s: Content-Type %q, body %.200s; want an HTML page", what, ct, p.Body)
	}
}

// figureValue reads the value of the headline figure data-key=key.
func figureValue(t *testing.T, body, key string) string {
	t.Helper()
	return regexpFind(t, body, `data-key="`+key+`">(?:<span class="title">[^<]*</span>)?<b class="value">([^<]*)</b>`)
}

// auditActions returns the audit entries of action, read through the API.
func (e *env) auditActions(action string) []map[string]any {
	e.t.Helper()
	c := e.browser()
	p := e.do(c, "GET", "/api/v1/audit?after=0&limit=1000", nil, "", "Authorization", "Bearer "+e.admin)
	if p.Status != http.StatusOK {
		e.t.Fatalf("GET /api/v1/audit: status %d; %.300s", p.Status, p.Body)
	}
	var out struct {
		Entries []map[string]any `json:"entries"`
	}
	if err := json.Unmarshal([]byte(p.Body), &out); err != nil {
		e.t.Fatalf("GET /api/v1/audit: %v", err)
	}
	var hits []map[string]any
	for _, x := range out.Entries {
		if x["action"] == action {
			hits = append(hits, x)
		}
	}
	return hits
}

func TestReportPagesForStakeholder(t *testing.T) {
	t.Parallel()
	e := newReportEnv(t)
	cat := e.seed()
	sam := e.login(cat.sam)

	home := sam.get("/")
	if !hasID(home.Body, "nav-reports") || attrOf(t, home.Body, "nav-reports", "href") != "/reports" {
		t.Errorf("the stakeholder's portal has no Reports entry in the nav: %.800s", home.Body)
	}
	idx := sam.get("/reports")
	isHTMLPage(t, "GET /reports", idx, http.StatusOK)
	for _, name := range reporting.Names {
		if !hasID(idx.Body, "report-"+name) {
			t.Errorf("the reports index lacks %s", name)
		}
	}
	if !hasID(idx.Body, "nav-reports") {
		t.Errorf("the reports index lacks the nav's Reports entry")
	}

	for _, name := range reporting.Names {
		p := sam.get("/reports/" + name)
		isHTMLPage(t, "GET /reports/"+name, p, http.StatusOK)
		checkSecurityHeaders(t, p)
		for _, id := range []string{"figures", "period-form", "share-form", "dl-pdf", "dl-pack", "nav-reports"} {
			if !hasID(p.Body, id) {
				t.Errorf("GET /reports/%s: no #%s", name, id)
			}
		}
		if !strings.Contains(p.Body, `report-table"`) {
			t.Errorf("GET /reports/%s: no table", name)
		}
		if name != reporting.Shelfware && name != reporting.Evidence {
			// Charts are inline SVG with no style attribute: the page's
			// Content-Security-Policy allows no inline styles.
			chart := element(t, p.Body, "chart-1", "figure")
			if !strings.Contains(chart, "<svg") || regexp.MustCompile(`\sstyle="`).MatchString(chart) || strings.Contains(chart, "<?xml") {
				t.Errorf("GET /reports/%s: chart 1 is not inline SVG without styles: %.400s", name, chart)
			}
			if !strings.Contains(chart, `class="dl-svg"`) || !strings.Contains(chart, `class="dl-png"`) {
				t.Errorf("GET /reports/%s: chart 1 has no SVG and PNG downloads", name)
			}
		}
	}

	// The cost of the seeded pools: 2×95 + 1×140 + 5×10 a month.
	cost := sam.get("/reports/cost?from=2026-01-01&to=2026-01-31")
	isHTMLPage(t, "cost for January", cost, http.StatusOK)
	if v := figureValue(t, cost.Body, "spend"); v != "EUR 380.00" {
		t.Errorf("January's spend: %q, want EUR 380.00", v)
	}
	if attrOf(t, cost.Body, "from", "value") != "2026-01-01" || attrOf(t, cost.Body, "to", "value") != "2026-01-31" {
		t.Errorf("the period form does not show the period asked for")
	}
	if !strings.Contains(text(element(t, cost.Body, "period", "p")), "1 Jan 2026 – 31 Jan 2026") {
		t.Errorf("the period shown: %q", text(element(t, cost.Body, "period", "p")))
	}
	// The mix page offers the target and the SKU, shelfware the idle days.
	if mixPage := sam.get("/reports/mix"); !hasID(mixPage.Body, "target") || !hasID(mixPage.Body, "sku") || hasID(mixPage.Body, "pool") {
		t.Errorf("the mix form: want target and sku, no pool")
	}
	if shelf := sam.get("/reports/shelfware"); !hasID(shelf.Body, "idle_days") || !hasID(shelf.Body, "policies") || hasID(shelf.Body, "notices") {
		t.Errorf("the shelfware page for a stakeholder: want idle days and the policies, not the notices")
	}

	// Every view is audited, as the person.
	views := 0
	for _, x := range e.auditActions("report.view") {
		if x["actor"] == "web:sam@example.com" && x["subject"] == "report:cost" {
			views++
		}
	}
	if views < 2 {
		t.Errorf("audit: %d report.view entries for sam's cost pages, want 2", views)
	}

	// Bad input: the HTML page with the form and the error, never JSON.
	for q, status := range map[string]int{
		"/reports/cost?from=yesterday":                    http.StatusBadRequest,
		"/reports/cost?from=2026-02-01&to=2026-01-01":     http.StatusBadRequest,
		"/reports/utilization?to=2026-13-01":              http.StatusBadRequest,
		"/reports/utilization?bucket=fortnight":           http.StatusBadRequest,
		"/reports/mix?target=0":                           http.StatusBadRequest,
		"/reports/shelfware?idle_days=0":                  http.StatusBadRequest,
		"/reports/cost?colour=red":                        http.StatusBadRequest,
		"/reports/utilization?pool=no-such-pool":          http.StatusNotFound,
		"/reports/mix?sku=no-such-sku":                    http.StatusNotFound,
		"/reports/no-such-report":                         http.StatusNotFound,
		"/reports/cost/export?format=docx":                http.StatusBadRequest,
		"/reports/cost/export?format=csv&table=9":         http.StatusNotFound,
		"/reports/cost/export?format=svg&chart=9":         http.StatusNotFound,
		"/reports/pack.pdf?from=2026-02-01&to=2020-01-01": http.StatusBadRequest,
	} {
		p := sam.get(q)
		isHTMLPage(t, q, p, status)
		if _, code, msg := flashOf(t, p.Body); code == "" || msg == "" {
			t.Errorf("%s: no error message on the page", q)
		}
	}
	if p := sam.get("/reports/mix?target=0"); !hasID(p.Body, "period-form") || hasID(p.Body, "figures") {
		t.Errorf("a bad target: want the form back without a report")
	}

	// A requester without a stakeholder seat: 403 pages, no Reports entry.
	rita := e.login(cat.rita)
	if home := rita.get("/"); hasID(home.Body, "nav-reports") {
		t.Errorf("a requester's nav offers Reports")
	}
	for _, path := range []string{"/reports", "/reports/cost", "/reports/cost/export?format=csv", "/reports/pack.pdf", "/reports/shares"} {
		p := rita.get(path)
		isHTMLPage(t, "a requester's "+path, p, http.StatusForbidden)
		if strings.Contains(p.Body, `data-key="spend"`) {
			t.Errorf("a requester's %s shows figures", path)
		}
	}
	// An agent on a named seat may read them.
	nina := e.login(cat.nina)
	if home := nina.get("/"); !hasID(home.Body, "nav-reports") {
		t.Errorf("a named agent's nav does not offer Reports")
	}
	if p := nina.get("/reports/utilization"); p.Status != http.StatusOK {
		t.Errorf("a named agent's utilization page: status %d", p.Status)
	}
	// Signed out: to the sign-in page, and back here afterwards.
	if p := e.do(e.browser(), "GET", "/reports/cost?pool=stakeholders", nil, ""); p.Status != http.StatusSeeOther || p.Location() != "/signin?next="+url.QueryEscape("/reports/cost?pool=stakeholders") {
		t.Errorf("signed out: status %d, Location %q; want 303 to sign in", p.Status, p.Location())
	}
}

func TestReportExports(t *testing.T) {
	t.Parallel()
	e := newReportEnv(t)
	cat := e.seed()
	sam := e.login(cat.sam)
	page := sam.get("/reports/cost?from=2026-01-01&to=2026-01-31")
	csvHref := regexpFind(t, page.Body, `class="dl-csv" href="([^"]+)"`)
	svgHref := regexpFind(t, page.Body, `class="dl-svg" href="([^"]+)"`)
	pngHref := regexpFind(t, page.Body, `class="dl-png" href="([^"]+)"`)
	for _, tc := range []struct {
		path, ctype, prefix string
	}{
		{csvHref, "text/csv", "pool,sku,model,seats"},
		{svgHref, "image/svg+xml", "<?xml"},
		{pngHref, "image/png", "\x89PNG"},
		{attrOf(t, page.Body, "dl-pdf", "href"), "application/pdf", "%PDF"},
		{attrOf(t, page.Body, "dl-json", "href"), "application/json", "{"},
		{attrOf(t, page.Body, "dl-pack", "href"), "application/pdf", "%PDF"},
		{"/reports/utilization/export?format=png&chart=2", "image/png", "\x89PNG"}, // the first heat map
		{"/reports/evidence/export?format=csv&table=2", "text/csv", "user,name,active"},
	} {
		p := sam.get(tc.path)
		if p.Status != http.StatusOK || !strings.HasPrefix(p.Header.Get("Content-Type"), tc.ctype) || !strings.HasPrefix(p.Body, tc.prefix) {
			t.Errorf("GET %s: status %d, Content-Type %q, body %.40q; want %s starting %q", tc.path, p.Status, p.Header.Get("Content-Type"), p.Body, tc.ctype, tc.prefix)
			continue
		}
		if cd := p.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment; filename=\"seatkeeper-") {
			t.Errorf("GET %s: Content-Disposition %q", tc.path, cd)
		}
		if cc := p.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("GET %s: Cache-Control %q, want no-store", tc.path, cc)
		}
	}
	if csv := sam.get(csvHref); !strings.Contains(csv.Body, "agents-named,agent,named,2,EUR 95.00,EUR 190.00") {
		t.Errorf("the spend table's CSV: %.400s", csv.Body)
	}
	var formats []string
	for _, x := range e.auditActions("report.view") {
		if x["actor"] == "web:sam@example.com" {
			d, _ := x["detail"].(string)
			formats = append(formats, d[strings.LastIndex(d, "format=")+len("format="):])
		}
	}
	for _, f := range []string{"html", "csv", "svg", "png", "pdf", "json"} {
		if !strings.Contains(strings.Join(formats, " "), f) {
			t.Errorf("audit: no report.view of format %s among %v", f, formats)
		}
	}

	// The administrator downloads with the console's cookie.
	admin := e.browser()
	e.signIn(admin)
	if p := e.do(admin, "GET", "/reports/pack.pdf", nil, ""); p.Status != http.StatusOK || !strings.HasPrefix(p.Body, "%PDF") {
		t.Errorf("the admin's pack: status %d", p.Status)
	}
	if p := e.do(admin, "GET", "/reports/shelfware", nil, ""); p.Status != http.StatusOK || !hasID(p.Body, "nav-console") {
		t.Errorf("the admin's shelfware page: status %d, want the console's header", p.Status)
	}
}

func TestReportShareLinks(t *testing.T) {
	t.Parallel()
	e := newReportEnv(t)
	cat := e.seed()
	sue := e.person("sue@example.com", "Sue Stakeholder", "stakeholders")
	sam := e.login(cat.sam)

	live := sam.get("/reports/cost?from=2026-01-01&to=2026-01-31")
	spend := figureValue(t, live.Body, "spend")
	form := element(t, live.Body, "share-form", "form")
	if v := regexpFind(t, form, `<option value="([^"]+)" selected>`); v != "7" {
		t.Errorf("the share form's default expiry: %q days, want 7", v)
	}
	post := url.Values{"report": {hidden(t, form, "report")}, "expires": {"7"}}
	for _, k := range []string{"from", "to"} {
		post.Set(k, hidden(t, form, k))
	}
	created := sam.post("/reports/shares", post)
	isHTMLPage(t, "create a share link", created, http.StatusCreated)
	link := attrOf(t, created.Body, "new-link-url", "value")
	if !strings.HasPrefix(link, e.srv.URL+"/share/") {
		t.Fatalf("the new link %q is not under %s/share/", link, e.srv.URL)
	}
	sharePath := strings.TrimPrefix(link, e.srv.URL)
	if again := sam.get("/reports/shares"); strings.Contains(again.Body, link) || hasID(again.Body, "new-link") {
		t.Errorf("the link's URL is shown again after its creation")
	}

	// Opened signed out: the frozen figures, the banner, no navigation, and
	// no seat session.
	sessions := func() int {
		ss, err := e.st.LoadActiveSessions(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		return len(ss)
	}
	before := sessions()
	anon := e.browser()
	shared := e.do(anon, "GET", sharePath, nil, "")
	isHTMLPage(t, "the share link signed out", shared, http.StatusOK)
	checkSecurityHeaders(t, shared)
	if v := figureValue(t, shared.Body, "spend"); v != spend {
		t.Errorf("the shared spend %q, want the page's %q", v, spend)
	}
	banner := text(element(t, shared.Body, "share-banner", "div"))
	if !strings.Contains(banner, "Snapshot taken") || !strings.Contains(banner, "shared by Sam Stakeholder") || !strings.Contains(banner, "expires") {
		t.Errorf("the share banner: %q", banner)
	}
	for _, id := range []string{"nav-home", "nav-reports", "share-form", "period-form", "signout"} {
		if hasID(shared.Body, id) {
			t.Errorf("the shared page has #%s", id)
		}
	}
	if strings.Contains(shared.Body, `href="/reports`) || !strings.Contains(shared.Body, "<svg") {
		t.Errorf("the shared page links into the reports, or has no chart")
	}
	if n := sessions(); n != before {
		t.Errorf("opening a share link: %d seat sessions, want %d (none started)", n, before)
	}
	if got := jarCookie(t, anon, e.srv.URL, sessionCookie); got != "" {
		t.Errorf("opening a share link set a session cookie")
	}
	// The view is counted and audited with the viewer's address.
	views := e.auditActions("report.share_view")
	if len(views) != 1 || views[0]["result"] != "ok" || views[0]["source"] != "127.0.0.1" {
		t.Errorf("audit of the view: %v, want one ok from 127.0.0.1", views)
	}
	list := sam.get("/reports/shares")
	row := element(t, list.Body, "shares", "table")
	if !strings.Contains(row, `data-state="active"`) || !strings.Contains(text(row), "Cost") || regexpFind(t, row, `class="num views">(\d+)<`) != "1" {
		t.Errorf("sam's shared links: %s", text(row))
	}
	id := regexpFind(t, row, `class="share" data-id="([^"]+)"`)

	// Another stakeholder sees none of sam's links and cannot revoke them;
	// the administrator sees them all.
	sueB := e.login(sue)
	if p := sueB.get("/reports/shares"); strings.Contains(p.Body, id) || !hasID(p.Body, "no-shares") {
		t.Errorf("sue's shared links list sam's")
	}
	if p := sueB.post("/reports/shares/"+id+"/revoke", nil); p.Status != http.StatusNotFound {
		t.Errorf("sue revokes sam's link: status %d, want 404", p.Status)
	}
	admin := e.browser()
	e.signIn(admin)
	adminList := e.do(admin, "GET", "/reports/shares", nil, "")
	if !strings.Contains(adminList.Body, id) || !strings.Contains(adminList.Body, "Sam Stakeholder") {
		t.Errorf("the admin's shared links lack sam's")
	}
	// A post without the admin pages' token is refused.
	if p := e.do(admin, "POST", "/reports/shares/"+id+"/revoke", url.Values{}, e.srv.URL); p.Status != http.StatusForbidden {
		t.Errorf("an admin revoke without the form's token: status %d, want 403", p.Status)
	}

	// Tampered with, or not a link at all: 404, nothing of the report.
	for _, bad := range []string{sharePath[:len(sharePath)-2] + "xx", "/share/nonsense", "/share/" + id + ".shk_x.sig"} {
		p := e.do(anon, "GET", bad, nil, "")
		isHTMLPage(t, "GET "+bad, p, http.StatusNotFound)
		if attrOf(t, p.Body, "share-refused", "data-kind") != "invalid" || strings.Contains(p.Body, spend) {
			t.Errorf("GET %s: %s", bad, text(p.Body))
		}
	}

	// Revoked: 410, and it says so.
	if p := sam.post("/reports/shares/"+id+"/revoke", nil); p.Status != http.StatusSeeOther {
		t.Fatalf("sam revokes the link: status %d; %.300s", p.Status, p.Body)
	}
	if p := sam.get("/reports/shares?done=revoked"); !strings.Contains(p.Body, `data-state="revoked"`) {
		t.Errorf("the revoked link is not listed as revoked")
	}
	gone := e.do(anon, "GET", sharePath, nil, "")
	isHTMLPage(t, "the revoked link", gone, http.StatusGone)
	if attrOf(t, gone.Body, "share-refused", "data-kind") != "revoked" || !strings.Contains(text(gone.Body), "revoked") || strings.Contains(gone.Body, spend) {
		t.Errorf("the revoked link's page: %s", text(gone.Body))
	}

	// Expired: 410 saying when.
	created = sam.post("/reports/shares", url.Values{"report": {"utilization"}, "expires": {"1"}})
	isHTMLPage(t, "a one-day link", created, http.StatusCreated)
	oneDay := strings.TrimPrefix(attrOf(t, created.Body, "new-link-url", "value"), e.srv.URL)
	if p := e.do(anon, "GET", oneDay, nil, ""); p.Status != http.StatusOK {
		t.Errorf("the one-day link today: status %d", p.Status)
	}
	e.advance(25 * time.Hour)
	expired := e.do(anon, "GET", oneDay, nil, "")
	isHTMLPage(t, "the expired link", expired, http.StatusGone)
	if attrOf(t, expired.Body, "share-refused", "data-kind") != "expired" || !strings.Contains(text(expired.Body), "expired on") {
		t.Errorf("the expired link's page: %s", text(expired.Body))
	}

	// Bad share forms.
	sam = e.login(cat.sam) // the session outlived a day of the clock? sign in again
	for _, f := range []url.Values{{"report": {"nope"}}, {"report": {"cost"}, "expires": {"365"}}, {"report": {"cost"}, "from": {"bogus"}}} {
		if p := sam.post("/reports/shares", f); p.Status != http.StatusBadRequest {
			t.Errorf("POST /reports/shares %v: status %d, want 400", f, p.Status)
		}
	}
}

func TestReportDormantSeats(t *testing.T) {
	t.Parallel()
	e := newReportEnv(t)
	cat := e.seed()
	a := licensing.System("test")
	if _, err := e.st.PutDormantPolicy(e.ctx, a, store.DormantPolicy{Pool: "agents-named", IdleDays: 30, GraceDays: 7, Action: store.DormantReclaim, UndoDays: 14}); err != nil {
		t.Fatalf("PutDormantPolicy: %v", err)
	}
	e.advance(31 * 24 * time.Hour)
	rec := &provision.Reconciler{Store: e.st}
	out, err := rec.SweepDormant(e.ctx, a)
	if err != nil || out.Warned != 1 {
		t.Fatalf("SweepDormant: %+v, %v; want nina warned", out, err)
	}

	nina := e.login(cat.nina)
	home := nina.get("/")
	if !strings.Contains(home.Body, `class="dormant-warning"`) {
		t.Fatalf("nina's portal has no dormant-seat warning: %.1200s", home.Body)
	}
	warning := text(regexpFind(t, home.Body, `(?s)<div class="dormant-warning"[^>]*>(.*?)</div>`))
	reclaim := e.clock.now().AddDate(0, 0, 7).UTC().Format("2 January 2006")
	for _, want := range []string{"Your named seat of agents-named has not been used since it was assigned", "it will be reclaimed on " + reclaim + " unless you use it"} {
		if !strings.Contains(warning, want) {
			t.Errorf("the warning %q lacks %q", warning, want)
		}
	}
	if p := e.login(cat.fred).get("/"); strings.Contains(p.Body, "dormant-warning") {
		t.Errorf("fred, with no notice, is warned")
	}

	// The shelfware page: the policy for everyone, the notices with their
	// actions for the administrator only.
	sam := e.login(cat.sam)
	shelf := sam.get("/reports/shelfware")
	if pol := text(element(t, shelf.Body, "policies", "table")); !strings.Contains(pol, "Warn the holder after 30 days unused; reclaim the seat 7 days later") {
		t.Errorf("the policies: %s", pol)
	}
	admin := e.browser()
	e.signIn(admin)
	page := e.do(admin, "GET", "/reports/shelfware", nil, "")
	notice := regexpFind(t, page.Body, `class="notice" data-id="([^"]+)" data-state="warned"`)
	csrf := hidden(t, element(t, page.Body, "notices", "table"), "csrf")
	if p := sam.post("/reports/shelfware/notices/"+notice+"/reclaim", nil); p.Status != http.StatusForbidden {
		t.Errorf("a stakeholder reclaims: status %d, want 403", p.Status)
	}
	p := e.do(admin, "POST", "/reports/shelfware/notices/"+notice+"/reclaim", url.Values{"csrf": {csrf}}, e.srv.URL)
	if p.Status != http.StatusSeeOther {
		t.Fatalf("reclaim now: status %d; %.400s", p.Status, p.Body)
	}
	page = e.do(admin, "GET", p.Location(), nil, "")
	if !strings.Contains(page.Body, `data-id="`+notice+`" data-state="reclaimed"`) || !hasID(page.Body, "flash") {
		t.Errorf("after reclaiming: the notice is not reclaimed")
	}
	if held := e.members("agents-named", cat.nina.ID); held {
		t.Errorf("nina still holds her seat after the reclaim")
	}
	p = e.do(admin, "POST", "/reports/shelfware/notices/"+notice+"/undo", url.Values{"csrf": {csrf}}, e.srv.URL)
	if p.Status != http.StatusSeeOther {
		t.Fatalf("undo: status %d; %.400s", p.Status, p.Body)
	}
	if held := e.members("agents-named", cat.nina.ID); !held {
		t.Errorf("nina did not get her seat back")
	}
	if p := e.do(admin, "POST", "/reports/shelfware/notices/"+notice+"/undo", url.Values{"csrf": {csrf}}, e.srv.URL); p.Status != http.StatusConflict {
		t.Errorf("undo twice: status %d, want 409", p.Status)
	}
}

// members reports whether user holds an active seat of pool.
func (e *env) members(pool, user string) bool {
	e.t.Helper()
	ms, err := e.st.ListMembers(e.ctx, pool)
	if err != nil {
		e.t.Fatalf("ListMembers: %v", err)
	}
	for _, m := range ms {
		if m.User == user && m.State == "active" {
			return true
		}
	}
	return false
}
