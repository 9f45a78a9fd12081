package web_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/api"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// A full pool is "full", a pool at its threshold "near capacity", and the
// dashboard's figures are the API's, which its script polls.
func TestDashboardTellsFullFromNearCapacity(t *testing.T) {
	e := newEnv(t)
	cat := e.seed()
	a := licensing.System("test")
	if err := e.st.CreatePool(e.ctx, a, licensing.Pool{ID: "agents-spare", SKU: "agent", Model: licensing.ModelConcurrent, Seats: 2, WarnAt: 0.5, MonthlyPrice: 140}); err != nil {
		t.Fatal(err)
	}
	spare := e.person("sue@example.com", "Sue Spare", "agents-spare")
	for _, u := range []licensing.User{cat.fred, spare} {
		if _, err := e.svc.StartSession(e.ctx, a, u.UserName, false); err != nil {
			t.Fatalf("StartSession %s: %v", u.UserName, err)
		}
	}
	admin := e.person("lena@example.com", "Lena Licence")
	e.grant(admin, licensing.RoleLicenceAdmin)
	b := e.login(admin)
	p := b.get("/admin")
	if p.Status != http.StatusOK {
		t.Fatalf("dashboard: %d %.300s", p.Status, p.Body)
	}
	full, near := poolSection(t, p.Body, "agents-floating"), poolSection(t, p.Body, "agents-spare")
	if !strings.Contains(p.Body, `state-full" id="pool-agents-floating"`) || !strings.Contains(full, ">full</span>") || strings.Contains(full, "near capacity") {
		t.Errorf("the full pool's card: %s", full)
	}
	if !strings.Contains(p.Body, `state-near_capacity" id="pool-agents-spare"`) || !strings.Contains(near, ">near capacity</span>") {
		t.Errorf("the near-capacity pool's card: %s", near)
	}
	for id, want := range map[string]string{"total-full": "1", "total-near": "1", "total-held": "4"} {
		if got := regexpFind(t, p.Body, `id="`+id+`">(\d+)<`); got != want {
			t.Errorf("%s = %q, want %q", id, got, want)
		}
	}
	// Without JavaScript the page says its figures are of its last load.
	if !strings.Contains(p.Body, "reload the page for newer figures") || !strings.Contains(p.Body, `src="/static/dashboard.js"`) {
		t.Errorf("the dashboard lacks its no-script note or its script")
	}
	// The script's source: the API, with the person's session cookie.
	resp := b.get("/api/v1/dashboard")
	if resp.Status != http.StatusOK {
		t.Fatalf("GET /api/v1/dashboard with the session cookie: %d %s", resp.Status, resp.Body)
	}
	var d api.Dashboard
	if err := json.Unmarshal([]byte(resp.Body), &d); err != nil {
		t.Fatal(err)
	}
	for _, dp := range d.Pools {
		switch dp.ID {
		case "agents-floating":
			if dp.State != "full" || len(dp.History) != 24 || dp.History[len(dp.History)-1] != 1 {
				t.Errorf("agents-floating: state %q history %v, want full and 24 buckets ending at 1", dp.State, dp.History)
			}
		case "agents-spare":
			if dp.State != "near_capacity" {
				t.Errorf("agents-spare: state %q", dp.State)
			}
		case "agents-named":
			if dp.State != "ok" || dp.History != nil {
				t.Errorf("agents-named: state %q history %v, want ok and none (named)", dp.State, dp.History)
			}
		}
	}
	// A denial today counts: Flo finds the floating pool full.
	sess, err := e.svc.StartSession(e.ctx, a, cat.flo.UserName, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, refused, err := e.svc.Decide(e.ctx, a, cat.flo.UserName, "ticket.read_all", sess.ID); err != nil || refused == nil || refused.Code != licensing.CodeMaxedOut {
		t.Fatalf("Flo's decision in a full pool: refused %v err %v", refused, err)
	}
	e.svc.Flush(e.ctx)
	var d2 api.Dashboard
	if err := json.Unmarshal([]byte(b.get("/api/v1/dashboard").Body), &d2); err != nil {
		t.Fatal(err)
	}
	if d2.Totals.DeniedToday < 1 {
		t.Errorf("denials today %d after a refusal", d2.Totals.DeniedToday)
	}
}

// A person given a module seat without the fulfiller seat it requires is
// listed on the dashboard, linked to their page.
func TestDashboardListsModuleSeatsWithoutFulfiller(t *testing.T) {
	e := newEnv(t)
	cat := e.seed()
	a := licensing.System("test")
	if err := e.st.PutSKU(e.ctx, a, licensing.SKU{Key: "change", Name: "Change management", Tier: licensing.TierModule, Requires: []string{"agent"}, MonthlyPrice: 30}, true); err != nil {
		t.Fatal(err)
	}
	if err := e.st.CreatePool(e.ctx, a, licensing.Pool{ID: "change-named", SKU: "change", Model: licensing.ModelNamed, Seats: 3, MonthlyPrice: 30}); err != nil {
		t.Fatal(err)
	}
	for _, u := range []licensing.User{cat.rita, cat.nina} { // Nina holds an agent seat, Rita none
		if _, _, err := e.st.PutMember(e.ctx, a, "change-named", u.UserName, licensing.SourceManual); err != nil {
			t.Fatal(err)
		}
	}
	auditor := e.person("aldo@example.com", "Aldo Auditor")
	e.grant(auditor, licensing.RoleAuditor)
	p := e.login(auditor).get("/admin")
	sec, _, _ := strings.Cut(element(t, p.Body, "module-gaps", "</section>"), "</section>")
	if !strings.Contains(sec, `data-user="rita@example.com"`) || !strings.Contains(sec, `href="/admin/people/rita@example.com"`) || strings.Contains(sec, "nina@example.com") {
		t.Errorf("module gaps section: %s", sec)
	}
}
