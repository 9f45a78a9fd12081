package web_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// grant gives u a role the way the API does, as the admin token.
func (e *env) grant(u licensing.User, role licensing.Role) {
	e.t.Helper()
	p := e.do(e.srv.Client(), "PUT", "/api/v1/users/"+u.UserName+"/roles/"+string(role), nil, "", "Authorization", "Bearer "+e.admin)
	if p.Status != http.StatusCreated {
		e.t.Fatalf("grant %s to %s: %d %s", role, u.UserName, p.Status, p.Body)
	}
}

// signInLanding signs u in with no page asked for and returns where the
// sign-in sends them.
func (e *env) signInLanding(u licensing.User) string {
	e.t.Helper()
	p := e.do(e.browser(), "POST", "/signin", url.Values{"user": {u.UserName}, "password": {password}}, e.srv.URL)
	if p.Status != http.StatusSeeOther || p.Session == nil {
		e.t.Fatalf("sign-in of %s: %d %q", u.UserName, p.Status, p.Location())
	}
	return p.Location()
}

func TestPeopleLandOnThePageForTheirWork(t *testing.T) {
	e := newEnv(t)
	cat := e.seed()
	admin := e.person("lena@example.com", "Lena Licence")
	e.grant(admin, licensing.RoleLicenceAdmin)
	auditor := e.person("aldo@example.com", "Aldo Auditor")
	e.grant(auditor, licensing.RoleAuditor)
	for _, c := range []struct {
		u    licensing.User
		want string
	}{
		{admin, "/admin"}, {auditor, "/admin"}, {cat.fred, "/agent"}, {cat.nina, "/agent"}, {cat.sam, "/reports"}, {cat.rita, "/"},
	} {
		if got := e.signInLanding(c.u); got != c.want {
			t.Errorf("%s lands on %q, want %q", c.u.UserName, got, c.want)
		}
	}
	// A page asked for wins over the landing page.
	p := e.do(e.browser(), "POST", "/signin", url.Values{"user": {admin.UserName}, "password": {password}, "next": {"/kb"}}, e.srv.URL)
	if p.Location() != "/kb" {
		t.Errorf("admin with next=/kb lands on %q", p.Location())
	}
	// The CFO's navigation offers the reports; an administrator's the console.
	if home := e.login(cat.sam).get("/"); !hasID(home.Body, "nav-reports") || hasID(home.Body, "nav-console") {
		t.Errorf("CFO's nav: reports %v console %v", hasID(home.Body, "nav-reports"), hasID(home.Body, "nav-console"))
	}
	if home := e.login(admin).get("/"); !hasID(home.Body, "nav-console") || !hasID(home.Body, "nav-reports") {
		t.Errorf("admin's nav lacks the console or the reports")
	}
}

func TestRolesDecideWhatAPersonMayDo(t *testing.T) {
	e := newEnv(t)
	cat := e.seed()
	admin := e.person("lena@example.com", "Lena Licence")
	e.grant(admin, licensing.RoleLicenceAdmin)
	ident := e.person("ida@example.com", "Ida Identity")
	e.grant(ident, licensing.RoleIdentityAdmin)
	auditor := e.person("aldo@example.com", "Aldo Auditor")
	e.grant(auditor, licensing.RoleAuditor)

	// Roles never take a seat.
	for _, pool := range []string{"agents-named", "agents-floating"} {
		before := e.leases(pool)
		e.login(admin).get("/admin")
		if after := e.leases(pool); after != before {
			t.Errorf("an administrator's console visit took a seat of %s: %d → %d", pool, before, after)
		}
	}

	// The API accepts a person's session cookie, as their roles allow; an
	// unsafe call must carry the session's CSRF token and come from here.
	api := func(b *user, method, path, body string, withCSRF bool) page {
		t.Helper()
		hdr := []string{"Content-Type", "application/json"}
		if withCSRF {
			hdr = append(hdr, "X-CSRF-Token", b.csrf)
		}
		req, _ := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
		for i := 0; i < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		req.Header.Set("Origin", e.srv.URL)
		resp, err := b.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body2, _ := io.ReadAll(resp.Body)
		return page{Status: resp.StatusCode, Body: string(body2)}
	}
	pool := `{"id":"extra","sku":"` + "agent" + `","model":"concurrent","seats":2,"idle_timeout":"30m"}`
	user := `{"user_name":"new@example.com","display_name":"New Person","kind":"person"}`
	cases := []struct {
		who          licensing.User
		method, path string
		body         string
		want         int
	}{
		{auditor, "GET", "/api/v1/pools", "", 200},
		{auditor, "GET", "/api/v1/audit/verify", "", 200},
		{auditor, "POST", "/api/v1/pools", pool, 403},
		{auditor, "POST", "/api/v1/users", user, 403},
		{auditor, "PUT", "/api/v1/users/" + cat.rita.UserName + "/roles/licence_admin", "", 403},
		{ident, "GET", "/api/v1/audit", "", 403},
		{ident, "POST", "/api/v1/pools", pool, 403},
		{ident, "POST", "/api/v1/users", user, 201},
		{ident, "PUT", "/api/v1/users/" + auditor.UserName + "/roles/licence_admin", "", 403},
		// An identity administrator never rewrites an administrator's keys
		// (which would let them sign in as one) nor deletes one.
		{ident, "PUT", "/api/v1/users/" + admin.UserName, `{"user_name":"lena@example.com","external_id":"idp|ida","kind":"person"}`, 403},
		{ident, "DELETE", "/api/v1/users/" + admin.UserName, "", 403},
		{ident, "PUT", "/api/v1/users/" + cat.rita.UserName, `{"user_name":"rita@example.com","department":"Sales","kind":"person"}`, 200},
		// The desk's platform routes take tokens, not an administrator's
		// cookie: a role never starts a session or takes a seat.
		{admin, "POST", "/api/v1/sessions", `{"user":"fred@example.com"}`, 403},
		{admin, "POST", "/api/v1/decide", `{"user":"fred@example.com","capability":"ticket.read_all"}`, 403},
		{auditor, "GET", "/api/v1/shares", "", 403},
		{auditor, "POST", "/api/v1/rules/preview", `{"id":"desk-agents","when":{"job_code":["ITSD-*"]},"grant":[{"sku":"agent","model":"named"}]}`, 200},
		{auditor, "GET", "/api/v1/openapi.json", "", 200},
		{admin, "POST", "/api/v1/pools", pool, 201},
		{admin, "GET", "/api/v1/audit", "", 200},
		{cat.fred, "GET", "/api/v1/pools", "", 403}, // an agent holds no role
		{cat.rita, "GET", "/api/v1/users", "", 403},
	}
	for _, c := range cases {
		b := e.login(c.who)
		if got := api(b, c.method, c.path, c.body, true); got.Status != c.want {
			t.Errorf("%s %s %s: %d, want %d; %s", c.who.UserName, c.method, c.path, got.Status, c.want, got.Body)
		}
	}
	// Without the CSRF header an unsafe call is refused, and nothing changes.
	b := e.login(admin)
	if got := api(b, "POST", "/api/v1/pools", strings.Replace(pool, "extra", "extra2", 1), false); got.Status != 403 {
		t.Errorf("POST without CSRF: %d, want 403", got.Status)
	}
	if p := e.do(e.srv.Client(), "GET", "/api/v1/pools/extra2", nil, "", "Authorization", "Bearer "+e.admin); p.Status != 404 {
		t.Errorf("the refused pool exists: %d", p.Status)
	}
	// A role's changes are audited under the person's name.
	if !e.auditHas("pool.create", "ok", "extra") {
		t.Errorf("no pool.create audited")
	}
	list := e.do(e.srv.Client(), "GET", "/api/v1/audit?limit=1000", nil, "", "Authorization", "Bearer "+e.admin)
	if !strings.Contains(list.Body, `"actor":"web:lena@example.com"`) || !strings.Contains(list.Body, `"action":"role.grant"`) {
		t.Errorf("audit lacks the admin's own entries or the role grants: %.400s", list.Body)
	}
	// The roles are answered with the person and listed.
	if p := e.do(e.srv.Client(), "GET", "/api/v1/users/"+auditor.UserName, nil, "", "Authorization", "Bearer "+e.admin); !strings.Contains(p.Body, `"roles":["auditor"]`) {
		t.Errorf("GET user lacks roles: %s", p.Body)
	}
	// Only the auditor and the licence administrator see audit entries on
	// the dashboard.
	if p := e.login(ident).get("/admin"); p.Status != http.StatusOK || strings.Contains(p.Body, "Newest audit entries") {
		t.Errorf("identity admin's dashboard: %d, audit shown %v", p.Status, strings.Contains(p.Body, "Newest audit entries"))
	}
	if p := e.login(auditor).get("/admin"); !strings.Contains(p.Body, "Newest audit entries") {
		t.Errorf("auditor's dashboard lacks the audit entries")
	}
	// A revoked role bites at once: the console refuses the person.
	if p := e.do(e.srv.Client(), "DELETE", "/api/v1/users/"+auditor.UserName+"/roles/auditor", nil, "", "Authorization", "Bearer "+e.admin); p.Status != 204 {
		t.Fatalf("revoke: %d %s", p.Status, p.Body)
	}
	if p := e.login(auditor).get("/admin"); p.Status != http.StatusForbidden {
		t.Errorf("console after the role was revoked: %d", p.Status)
	}
}
