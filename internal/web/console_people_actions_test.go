package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/api"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

func TestConsolePersonSeatsAndRoles(t *testing.T) {
	e := newEnv(t)
	c := e.seedCompany()
	lena, ida, aldo := c.adm.licence, c.adm.identity, c.adm.auditing
	rita := "/admin/people/rita@example.com"

	// Assign: the API's PUT member, audited as the identity administrator.
	p := ida.post(rita+"/seats", url.Values{"pool": {"stakeholders"}})
	if p.Status != http.StatusSeeOther || p.Location() != rita+"?done=seat-assigned" {
		t.Fatalf("assign: %d %q %.300s", p.Status, p.Location(), p.Body)
	}
	page := ida.get(rita)
	if !hasID(page.Body, "seat-stakeholders") || !strings.Contains(text(element(t, page.Body, "seat-stakeholders", "tr")), "Assigned by hand by ida@example.com") {
		t.Errorf("rita's new seat is not listed as assigned by ida")
	}
	if !e.audited("seat.assign", "pool:stakeholders/user:rita@example.com", "web:ida@example.com") {
		t.Errorf("the assignment is not audited as ida's")
	}
	// The auditor may not: the API's 403, shown on the person's page.
	p = aldo.post(rita+"/seats", url.Values{"pool": {"agents-floating"}})
	if _, code, _ := flashOf(t, p.Body); p.Status != http.StatusForbidden || code != licensing.CodeForbidden || !hasID(p.Body, "person-seats") {
		t.Errorf("auditor assigns: %d %q", p.Status, code)
	}
	// A full named pool refuses with the API's code.
	p = lena.post(rita+"/seats", url.Values{"pool": {"agents-named"}})
	if _, code, _ := flashOf(t, p.Body); p.Status != api.Status(licensing.CodeMaxedOut) || code != licensing.CodeMaxedOut {
		t.Errorf("a full pool: %d %q", p.Status, code)
	}

	// A seat the person does not hold: the API's not_found.
	if p := lena.get(rita + "/seats/agents-floating/revoke"); p.Status != http.StatusNotFound {
		t.Errorf("revoking a seat rita does not hold: %d", p.Status)
	}
	// Revoke: confirmed first, with the lease it ends.
	fred := "/admin/people/fred@example.com"
	conf := lena.get(fred + "/seats/agents-floating/revoke")
	lines := text(element(t, conf.Body, "confirm-lines", "ul"))
	if !strings.Contains(lines, "Take the seat of pool agents-floating from Fred Floating") || !strings.Contains(lines, "End Fred Floating's lease of agents-floating") {
		t.Errorf("revoke confirmation: %q", lines)
	}
	if e.leases("agents-floating") != 1 {
		t.Fatalf("the confirmation page changed something")
	}
	p = lena.post(attrOf(t, conf.Body, "confirm-form", "action"), nil)
	if p.Status != http.StatusSeeOther || !strings.HasSuffix(p.Location(), "done=seat-revoked") {
		t.Fatalf("revoke: %d %q", p.Status, p.Location())
	}
	if e.leases("agents-floating") != 0 || hasID(lena.get(fred).Body, "seat-agents-floating") {
		t.Errorf("fred keeps his lease or seat")
	}

	// Roles: only a licence administrator grants; the identity
	// administrator is refused with the API's code, and nothing changes.
	if p := ida.get(rita); !strings.Contains(element(t, p.Body, "role-grant-form", "form"), "disabled") || !hasID(p.Body, "roles-disabled") {
		t.Errorf("the identity administrator's role form is not closed")
	}
	p = ida.post(rita+"/roles", url.Values{"role": {"auditor"}})
	if _, code, msg := flashOf(t, p.Body); p.Status != http.StatusForbidden || code != licensing.CodeForbidden {
		t.Errorf("identity admin grants a role: %d %q %q", p.Status, code, msg)
	}
	if u, _ := e.svc.Engine.User(c.rita.ID); u.HasRole(licensing.RoleAuditor) {
		t.Fatalf("the refused role was granted")
	}
	p = lena.post(rita+"/roles", url.Values{"role": {"auditor"}})
	if p.Status != http.StatusSeeOther || !strings.HasSuffix(p.Location(), "done=role-granted") {
		t.Fatalf("grant: %d %q %.300s", p.Status, p.Location(), p.Body)
	}
	page = lena.get(rita)
	if got := text(element(t, page.Body, "role-list", "ul")); !strings.Contains(got, "Auditor") {
		t.Errorf("rita's roles: %q", got)
	}
	if !e.audited("role.grant", "user:rita@example.com", "web:lena@example.com") {
		t.Errorf("the grant is not audited")
	}
	conf = lena.get(attrOf(t, page.Body, "revoke-role-auditor", "href"))
	if p := lena.post(attrOf(t, conf.Body, "confirm-form", "action"), nil); p.Status != http.StatusSeeOther {
		t.Fatalf("revoke role: %d", p.Status)
	}
	if u, _ := e.svc.Engine.User(c.rita.ID); u.HasRole(licensing.RoleAuditor) {
		t.Errorf("the role stayed")
	}
	// A form posted without its CSRF token is refused before the API.
	if p := e.do(lena.c, "POST", rita+"/roles", url.Values{"role": {"auditor"}}, e.srv.URL); p.Status != http.StatusForbidden {
		t.Errorf("no CSRF: %d", p.Status)
	}
}

func TestConsolePersonDeactivate(t *testing.T) {
	e := newEnv(t)
	c := e.seedCompany()
	lena := c.adm.licence
	fred := "/admin/people/fred@example.com"
	// fred also holds a stakeholder seat by hand.
	if p := lena.post(fred+"/seats", url.Values{"pool": {"stakeholders"}}); p.Status != http.StatusSeeOther {
		t.Fatalf("assign: %d", p.Status)
	}
	conf := lena.get(fred + "/deactivate")
	lines := text(element(t, conf.Body, "confirm-lines", "ul"))
	for _, want := range []string{"Revoke the seat of pool agents-floating", "Revoke the seat of pool stakeholders", "End the session started", "End the lease of agents-floating", "can no longer sign in"} {
		if !strings.Contains(lines, want) {
			t.Errorf("deactivation confirmation lacks %q: %q", want, lines)
		}
	}
	if strings.Count(conf.Body, `class="confirm-line"`) != 6 {
		t.Errorf("the confirmation lists %d effects, want 6 (2 seats, a session, a lease, share links, sign-in): %q", strings.Count(conf.Body, `class="confirm-line"`), lines)
	}
	// An auditor sees the page but may not confirm it, nor post it.
	aldo := c.adm.auditing
	if p := aldo.get(fred + "/deactivate"); !hasID(p.Body, "confirm-disabled") {
		t.Errorf("the auditor's confirmation is not closed")
	}
	if p := aldo.post(fred+"/deactivate", nil); p.Status != http.StatusForbidden {
		t.Errorf("auditor deactivates: %d", p.Status)
	}
	p := lena.post(fred+"/deactivate", nil)
	if p.Status != http.StatusSeeOther || !strings.HasSuffix(p.Location(), "done=deactivated") {
		t.Fatalf("deactivate: %d %q %.300s", p.Status, p.Location(), p.Body)
	}
	u, err := e.st.GetUser(e.ctx, "fred@example.com")
	if err != nil || u.Active || u.DisplayName != "Fred Floating" || u.Email != "fred@example.com" {
		t.Fatalf("fred after deactivation: %+v %v (attributes must stay)", u, err)
	}
	if e.leases("agents-floating") != 0 {
		t.Errorf("fred's lease lives on")
	}
	page := lena.get(fred)
	if !hasID(page.Body, "person-inactive") || !hasID(page.Body, "no-seats") || !hasID(page.Body, "reactivate-form") {
		t.Errorf("fred's page after deactivation")
	}
	// Reactivated, he is a person again (seats assigned by hand do not
	// come back by themselves).
	if p := lena.post(fred+"/reactivate", nil); p.Status != http.StatusSeeOther {
		t.Fatalf("reactivate: %d", p.Status)
	}
	if u, _ := e.st.GetUser(e.ctx, "fred@example.com"); !u.Active {
		t.Errorf("fred stays inactive")
	}
}

func TestConsolePersonAssignShowsTheAPIsWarnings(t *testing.T) {
	e := newEnv(t)
	c := e.seedCompany()
	a := licensing.System("test")
	if err := e.st.PutSKU(e.ctx, a, licensing.SKU{Key: "cmdb", Name: "CMDB module", Tier: licensing.TierModule, Requires: []string{"agent"}, MonthlyPrice: 20}, true); err != nil {
		t.Fatal(err)
	}
	if err := e.st.CreatePool(e.ctx, a, licensing.Pool{ID: "cmdb-named", SKU: "cmdb", Model: licensing.ModelNamed, Seats: 5, MonthlyPrice: 20}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Load(e.ctx); err != nil {
		t.Fatal(err)
	}
	// rita holds no agent seat: the module is granted, with the warning.
	p := c.adm.licence.post("/admin/people/rita@example.com/seats", url.Values{"pool": {"cmdb-named"}})
	if p.Status != http.StatusOK || !hasID(p.Body, "warnings") || !hasID(p.Body, "seat-cmdb-named") {
		t.Fatalf("assign a module without its fulfiller: %d, warnings %v; %.400s", p.Status, hasID(p.Body, "warnings"), p.Body)
	}
	if w := text(element(t, p.Body, "warnings", "div")); !strings.Contains(w, "cmdb") || !strings.Contains(w, "agent") {
		t.Errorf("the warning: %q", w)
	}
	// nina holds an agent seat: no warning, the usual redirect.
	if p := c.adm.licence.post("/admin/people/nina@example.com/seats", url.Values{"pool": {"cmdb-named"}}); p.Status != http.StatusSeeOther {
		t.Errorf("assign a module with its fulfiller: %d", p.Status)
	}
}
