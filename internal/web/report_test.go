package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestMultiplexingReportPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cat := e.seed()
	vpn, _, _ := e.tickets(t, cat)
	e.integrationCalls(t, vpn)

	check := func(who string, p page) {
		t.Helper()
		if p.Status != http.StatusOK {
			t.Fatalf("%s: GET /reports/multiplexing: status %d; body %.600s", who, p.Status, p.Body)
		}
		i := strings.Index(p.Body, `data-name="slack-hub"`)
		if i < 0 {
			t.Fatalf("%s: the report has no section for slack-hub: %.1500s", who, p.Body)
		}
		hub := p.Body[i:]
		hub = text(hub[:strings.Index(hub, "</section>")])
		for _, want := range []string{"propose", "1 distinct acting people", "0 licensed actions", "2 unlicensed actions", "2 proposed", "0 blocked", "rita@example.com"} {
			if !strings.Contains(hub, want) {
				t.Errorf("%s: slack-hub section lacks %q: %s", who, want, hub)
			}
		}
		j := strings.Index(p.Body, `data-name="teams-bot"`)
		if j < 0 {
			t.Fatalf("%s: the report has no section for teams-bot", who)
		}
		teams := p.Body[j:]
		teams = text(teams[:strings.Index(teams, "</section>")])
		for _, want := range []string{"enforce", "1 blocked", "1 calls for unknown people", "ghost@example.com"} {
			if !strings.Contains(teams, want) {
				t.Errorf("%s: teams-bot section lacks %q: %s", who, want, teams)
			}
		}
		if !hasID(p.Body, "service-seats") {
			t.Errorf("%s: the report lacks the service accounts holding seats", who)
		}
		today := time.Now().UTC().Format("2006-01-02")
		if attrOf(t, p.Body, "to", "value") != today || attrOf(t, p.Body, "from", "value") != time.Now().UTC().AddDate(0, 0, -30).Format("2006-01-02") {
			t.Errorf("%s: default period %q to %q, want the last 30 days", who, attrOf(t, p.Body, "from", "value"), attrOf(t, p.Body, "to", "value"))
		}
	}

	// The administrator, with the console's cookie.
	admin := e.browser()
	e.signIn(admin)
	check("admin", e.do(admin, "GET", "/reports/multiplexing", nil, ""))

	// A stakeholder reads it without an agent seat.
	sam := e.login(cat.sam)
	check("stakeholder", sam.get("/reports/multiplexing"))

	// A period before any call is empty; a bad one is refused.
	p := sam.get("/reports/multiplexing?from=2020-01-01&to=2020-01-31")
	if p.Status != http.StatusOK || strings.Contains(p.Body, "<b>2</b>proposed") || !strings.Contains(p.Body, "<b>0</b>calls") {
		t.Errorf("an empty period: status %d; want no calls counted; body %.1500s", p.Status, p.Body)
	}
	for _, q := range []string{"from=yesterday", "to=2020-13-01", "from=2025-02-01&to=2025-01-01"} {
		if p := sam.get("/reports/multiplexing?" + q); p.Status != http.StatusBadRequest {
			t.Errorf("GET /reports/multiplexing?%s: status %d, want 400", q, p.Status)
		}
	}

	// A requester may not.
	rita := e.login(cat.rita)
	p = rita.get("/reports/multiplexing")
	if _, code, _ := flashOf(t, p.Body); p.Status != http.StatusForbidden || code == "" || strings.Contains(p.Body, "slack-hub") {
		t.Errorf("a requester's report: status %d code %q; want 403 without the report", p.Status, code)
	}
	// Nor may someone with an admin cookie that is not an admin token.
	c := e.browser()
	u, _ := url.Parse(e.srv.URL)
	c.Jar.SetCookies(u, []*http.Cookie{{Name: cookieName, Value: e.platform, Path: "/"}})
	if p := e.do(c, "GET", "/reports/multiplexing", nil, ""); p.Status != http.StatusSeeOther {
		t.Errorf("a platform token as the admin cookie: status %d, want 303 to sign in", p.Status)
	}
}
