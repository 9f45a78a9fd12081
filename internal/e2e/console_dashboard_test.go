package e2e

import (
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserDashboardUpdatesLive: a licence administrator signs in as a
// person and lands on the console's dashboard; a seat taken elsewhere shows
// on the page without a reload, and the full pool is called full.
func TestBrowserDashboardUpdatesLive(t *testing.T) {
	const admin, agent = "lena@example.com", "flo@example.com"
	d := startDesk(t)
	d.agentSKU(t)
	d.c.must(t, "POST", "/api/v1/pools", map[string]any{"id": "floating", "sku": "agent", "model": "concurrent", "seats": 1, "idle_timeout": "30m", "monthly_price": 140}, nil, http.StatusCreated)
	d.person(t, admin, "Lena Licence", "E100", password)
	d.c.must(t, "PUT", "/api/v1/users/"+admin+"/roles/licence_admin", nil, nil, http.StatusCreated)
	d.person(t, agent, "Flo Floating", "E101", "")
	d.member(t, "floating", agent)

	b := newTab(t, d.p.Base)
	b.signInTo(admin, password, "/admin")
	if v := b.text(`#pool-floating .held`); v != "0" {
		b.fatalf("seats held before any session: %q, want 0", v)
	}
	if v := b.text(`#dash-live`); v != "· updating live" {
		b.fatalf("the dashboard's live note: %q", v)
	}
	// A marker the page keeps only if it is never reloaded.
	b.do("mark the page", chromedp.Evaluate[chromedp.Void](`window.__notReloaded = true`))

	var s struct {
		Leases []any `json:"leases"`
	}
	d.c.must(t, "POST", "/api/v1/sessions", map[string]any{"user": agent}, &s, http.StatusCreated)
	if len(s.Leases) != 1 {
		t.Fatalf("the session took %d leases, want 1", len(s.Leases))
	}
	b.waitText("held", "1")
	b.do("wait for the full tag", chromedp.WaitVisible(chromedp.Search(`//section[@id='pool-floating']//span[@data-field='state'][.='full']`)))
	kept, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`window.__notReloaded === true`))
	if err != nil || !kept {
		b.fatalf("the page was reloaded to show the new figures (marker %v, %v)", kept, err)
	}
	if v := b.text(`#total-full`); v != "1" {
		b.fatalf("full pools: %q, want 1", v)
	}
}
