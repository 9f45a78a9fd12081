package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserShareLink: a stakeholder (the CFO of DESIGN §1, no agent seat)
// shares the cost report through its page; the link opens in a browser that
// never signed in, showing the frozen figures without a seat (§3.7), the
// view is in the audit log with the viewer's address, and once the
// administrator revokes the link in the licence console's shared links the
// same browser gets the revoked page.
func TestBrowserShareLink(t *testing.T) {
	const cfo = "carla@example.com"
	d := startDesk(t)
	d.agentSKU(t)
	d.c.must(t, "POST", "/api/v1/skus", map[string]any{"key": "stakeholder", "name": "Stakeholder", "tier": "stakeholder", "requires": []string{}, "monthly_price": 10}, nil, http.StatusCreated)
	d.c.must(t, "POST", "/api/v1/pools", map[string]any{"id": "agents-named", "sku": "agent", "model": "named", "seats": 3, "monthly_price": 95}, nil, http.StatusCreated)
	d.c.must(t, "POST", "/api/v1/pools", map[string]any{"id": "stakeholders", "sku": "stakeholder", "model": "named", "seats": 2, "monthly_price": 10}, nil, http.StatusCreated)
	d.person(t, cfo, "Carla Finance", "E900", password)
	d.member(t, "stakeholders", cfo)

	// The CFO shares January's cost: 3 × 95 + 2 × 10 for a whole month.
	const january = "/reports/cost?from=2026-01-01&to=2026-01-31"
	const spend = "EUR 305.00"
	owner := newTab(t, d.p.Base)
	owner.signInTo(cfo, password, "/reports")
	owner.do("wait for the nav's Reports entry", chromedp.WaitVisible(chromedp.CSS(`a#nav-reports`)))
	if st := owner.open(january); st != http.StatusOK {
		owner.fatalf("the cost report: status %d", st)
	}
	if v := owner.text(`[data-key=spend] .value`); v != spend {
		owner.fatalf("January's spend on the report page: %q, want %q", v, spend)
	}
	if st := owner.submit(`form#share-form`); st != http.StatusCreated {
		owner.fatalf("share the report: status %d, want 201", st)
	}
	link := owner.attr(`#new-link-url`, "value")
	if !strings.HasPrefix(link, d.p.Base+"/share/") {
		owner.fatalf("the new link %q is not under %s/share/", link, d.p.Base)
	}
	sharePath := strings.TrimPrefix(link, d.p.Base)

	// A browser that never signed in opens it.
	guest := newTab(t, d.p.Base)
	if st := guest.open(sharePath); st != http.StatusOK {
		guest.fatalf("the share link: status %d, want 200", st)
	}
	if v := guest.text(`[data-key=spend] .value`); v != spend {
		guest.fatalf("the shared spend: %q, want %q", v, spend)
	}
	if v := guest.text(`[data-key=run-rate] .value`); v != "EUR 3,660" {
		guest.fatalf("the shared yearly run rate: %q, want EUR 3,660 (305 × 12)", v)
	}
	banner := guest.text(`#share-banner`)
	for _, want := range []string{"Snapshot taken", "shared by Carla Finance", "expires"} {
		if !strings.Contains(banner, want) {
			guest.fatalf("the banner %q lacks %q", banner, want)
		}
	}
	if rows := guest.text(`#table-1 table`); !strings.Contains(rows, "agents-named") || !strings.Contains(rows, "EUR 285.00") {
		guest.fatalf("the shared spend table lacks agents-named's EUR 285.00: %q", rows)
	}
	guest.absent(`header nav`) // no way into the rest of the site
	guest.absent(`form`)
	guest.absent(`a[href^="/"]`)
	if held := d.leases(t); len(held) != 0 {
		t.Errorf("leases after opening the share link: %v, want none", held)
	}
	var sessions struct {
		Sessions []map[string]any `json:"sessions"`
	}
	d.c.must(t, "GET", "/api/v1/sessions", nil, &sessions, http.StatusOK)
	for _, s := range sessions.Sessions {
		if s["user"] != cfo {
			t.Errorf("a seat session besides the CFO's after opening the link: %v", s)
		}
	}

	// The view is audited, with the viewer's address.
	var log struct {
		Entries []struct {
			Action, Subject, Result, Source string
		} `json:"entries"`
	}
	d.c.must(t, "GET", "/api/v1/audit?after=0&limit=1000", nil, &log, http.StatusOK)
	var shareID string
	for _, e := range log.Entries {
		if e.Action == "report.share_view" && e.Result == "ok" && e.Source == "127.0.0.1" {
			shareID = strings.TrimPrefix(e.Subject, "share:")
		}
	}
	if shareID == "" || !strings.HasPrefix(sharePath, "/share/"+shareID+".") {
		t.Fatalf("GET /api/v1/audit: no report.share_view ok from 127.0.0.1 for the link %s: %+v", sharePath, log.Entries)
	}

	// The administrator revokes it in the licence console's shared links.
	admin := newTab(t, d.p.Base)
	admin.open("/admin/signin")
	admin.fill(`input[name=token]`, d.c.token)
	admin.submit(`form[action="/admin/signin"]`)
	if st := admin.open("/reports/shares"); st != http.StatusOK {
		admin.fatalf("the shared links: status %d", st)
	}
	row := `tr.share[data-id="` + shareID + `"]`
	if views := admin.text(row + ` td.views`); firstInt(views) != 1 {
		admin.fatalf("the link's views: %q, want 1", views)
	}
	if st := admin.submit(row + ` form.revoke`); st != http.StatusOK {
		admin.fatalf("revoke: the page after it has status %d", st)
	}
	if state := admin.attr(row, "data-state"); state != "revoked" {
		admin.fatalf("the link after revoking: %s, want revoked", state)
	}

	// The guest's browser now gets the revoked page, and no figures.
	if st := guest.open(sharePath); st != http.StatusGone {
		guest.fatalf("the revoked link: status %d, want 410", st)
	}
	if msg := guest.text(`#share-refused`); !strings.Contains(msg, "revoked") {
		guest.fatalf("the revoked link's page says %q, want it revoked", msg)
	}
	guest.absent(`[data-key=spend]`)
}
