package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// integrationsAdmin seeds the catalog and signs in a licence administrator.
func integrationsAdmin(t *testing.T) (*env, catalog, *user) {
	t.Helper()
	e := newEnv(t)
	cat := e.seed()
	lena := e.person("lena@example.com", "Lena Licence")
	e.grant(lena, licensing.RoleLicenceAdmin)
	return e, cat, e.login(lena)
}

// secretOf reads the secret a page shows once (#secret).
func secretOf(t *testing.T, p page) string {
	t.Helper()
	if p.Status != http.StatusOK || !hasID(p.Body, "secret") {
		t.Fatalf("no secret page: %d %.600s", p.Status, p.Body)
	}
	return attrOf(t, p.Body, "secret", "value")
}

// callAs sends an API call with a bearer token (and an acting user when
// given); it returns the status.
func (e *env) callAs(token, method, path, body, acting string) int {
	e.t.Helper()
	hdr := []string{"Authorization", "Bearer " + token, "Content-Type", "application/json"}
	if acting != "" {
		hdr = append(hdr, "Seatkeeper-Acting-User", acting)
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	for i := 0; i < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// ticketWith files a ticket through the API with an integration's token.
func (e *env) ticketWith(token, acting string) int {
	e.t.Helper()
	return e.callAs(token, "POST", "/api/v1/tickets", `{"title":"From the hub"}`, acting)
}

func TestConsoleIntegrationCreateShowsTheTokenOnce(t *testing.T) {
	e, cat, lena := integrationsAdmin(t)
	list := lena.get("/admin/integrations")
	if list.Status != 200 || !hasID(list.Body, "create-integration") || !hasID(list.Body, "no-integrations") || !hasID(list.Body, "tokens") {
		t.Fatalf("integrations page: %d %.500s", list.Status, list.Body)
	}
	p := lena.post("/admin/integrations", url.Values{"name": {"slack-hub"}, "mode": {"enforce"}, "hold_seconds": {"30"}, "max_seats": {"2"}})
	secret := secretOf(t, p)
	if !strings.HasPrefix(secret, "sk_") || !strings.Contains(text(element(t, p.Body, "secret-once", "p")), "shown only this once") {
		t.Errorf("secret page: token %q, note %q", secret, text(element(t, p.Body, "secret-once", "p")))
	}
	if cc := p.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("secret page Cache-Control %q, want no-store", cc)
	}
	if st := e.ticketWith(secret, cat.rita.UserName); st != http.StatusCreated {
		t.Errorf("the token shown does not call: %d", st)
	}
	// Never shown again: not on the list, not on its page.
	for _, path := range []string{"/admin/integrations", "/admin/integrations/slack-hub", "/admin/integrations?tokens=all"} {
		if b := lena.get(path).Body; strings.Contains(b, secret) {
			t.Errorf("%s shows the secret again", path)
		}
	}
	list = lena.get("/admin/integrations")
	row := text(element(t, list.Body, "integration-slack-hub", "tr"))
	for _, want := range []string{"enforce", "30 seconds", "2 seats of each pool", "enabled"} {
		if !strings.Contains(row, want) {
			t.Errorf("slack-hub's row %q lacks %q", row, want)
		}
	}
	if !strings.Contains(text(element(t, list.Body, "token-list", "table")), "slack-hub's token") {
		t.Errorf("the token list does not name slack-hub's token")
	}
	if e.auditHasBy("integration.create", "integration:slack-hub", "web:lena@example.com") == 0 {
		t.Errorf("no integration.create entry by web:lena@example.com")
	}

	// Refusals keep what was typed and mark the field.
	p = lena.post("/admin/integrations", url.Values{"name": {"slack-hub"}, "mode": {"monitor"}})
	if _, code, _ := flashOf(t, p.Body); p.Status != 409 || code != "conflict" || attrOf(t, p.Body, "i-name", "value") != "slack-hub" {
		t.Errorf("duplicate: %d %q, name kept %q", p.Status, code, attrOf(t, p.Body, "i-name", "value"))
	}
	p = lena.post("/admin/integrations", url.Values{"name": {"teams-bot"}, "mode": {"propose"}, "hold_seconds": {"5"}})
	if p.Status != 400 || attrOf(t, p.Body, "i-hold", "aria-invalid") != "true" || attrOf(t, p.Body, "i-hold", "value") != "5" {
		t.Errorf("hold 5: %d, aria-invalid %q", p.Status, attrOf(t, p.Body, "i-hold", "aria-invalid"))
	}
	p = lena.post("/admin/integrations", url.Values{"name": {"teams-bot"}, "mode": {"propose"}, "max_seats": {"many"}})
	if p.Status != 400 || attrOf(t, p.Body, "i-max", "aria-invalid") != "true" {
		t.Errorf("max seats 'many': %d", p.Status)
	}
	if b := lena.get("/admin/integrations").Body; hasID(b, "integration-teams-bot") {
		t.Errorf("a refused integration was created")
	}
}

func TestConsoleIntegrationModeRotateDisableDelete(t *testing.T) {
	e, cat, lena := integrationsAdmin(t)
	secret := secretOf(t, lena.post("/admin/integrations", url.Values{"name": {"slack-hub"}, "mode": {"enforce"}}))

	// A mode change is confirmed first, saying what it will do.
	p := lena.post("/admin/integrations/slack-hub", url.Values{"mode": {"monitor"}, "hold_seconds": {"60"}, "max_seats": {"0"}})
	lines := text(element(t, p.Body, "confirm-lines", "ul"))
	if p.Status != 200 || !strings.Contains(lines, "slack-hub changes from enforce to monitor mode") || !strings.Contains(lines, "only flagged") {
		t.Fatalf("mode change: %d, lines %q", p.Status, lines)
	}
	if got := e.integrationMode("slack-hub"); got != "enforce" {
		t.Errorf("the mode changed before the confirmation: %s", got)
	}
	p = lena.post("/admin/integrations/slack-hub", url.Values{"mode": {"monitor"}, "hold_seconds": {"60"}, "max_seats": {"0"}, "confirmed": {"yes"}})
	if p.Status != http.StatusSeeOther || p.Location() != "/admin/integrations/slack-hub?done=changed" || e.integrationMode("slack-hub") != "monitor" {
		t.Errorf("confirmed mode change: %d %q, mode %s", p.Status, p.Location(), e.integrationMode("slack-hub"))
	}
	// Hold and cap apply at once; nothing changed says so.
	p = lena.post("/admin/integrations/slack-hub", url.Values{"mode": {"monitor"}, "hold_seconds": {"45"}, "max_seats": {"3"}})
	one := lena.get("/admin/integrations/slack-hub")
	if p.Location() != "/admin/integrations/slack-hub?done=changed" || !strings.Contains(text(element(t, one.Body, "integration-hold", "td")), "45 seconds") ||
		!strings.Contains(text(element(t, one.Body, "integration-cap", "td")), "3 seats") {
		t.Errorf("hold and cap: %q; page hold %q", p.Location(), text(element(t, one.Body, "integration-hold", "td")))
	}
	if p = lena.post("/admin/integrations/slack-hub", url.Values{"mode": {"monitor"}, "hold_seconds": {"45"}, "max_seats": {"3"}}); p.Location() != "/admin/integrations/slack-hub?done=unchanged" {
		t.Errorf("no change: %q", p.Location())
	}
	if p = lena.post("/admin/integrations/slack-hub", url.Values{"mode": {"monitor"}, "hold_seconds": {"7200"}}); p.Status != 400 || attrOf(t, p.Body, "i-hold", "aria-invalid") != "true" {
		t.Errorf("hold 7200: %d", p.Status)
	}

	// Rotation: confirmed, the old token refused at once, the new one shown once.
	c := lena.get("/admin/integrations/slack-hub/rotate")
	if l := text(element(t, c.Body, "confirm-lines", "ul")); !strings.Contains(l, "Rotating slack-hub's token stops its calls with the current token at once") {
		t.Errorf("rotate confirmation: %q", l)
	}
	fresh := secretOf(t, lena.post("/admin/integrations/slack-hub/rotate", url.Values{"confirmed": {"yes"}}))
	if fresh == secret {
		t.Fatalf("rotation kept the secret")
	}
	if st := e.ticketWith(secret, cat.rita.UserName); st != http.StatusUnauthorized {
		t.Errorf("old token after rotation: %d, want 401", st)
	}
	if st := e.ticketWith(fresh, cat.rita.UserName); st != http.StatusCreated {
		t.Errorf("new token: %d", st)
	}

	// Disabling: confirmed, its calls stop, it shows as disabled.
	c = lena.get("/admin/integrations/slack-hub/disable")
	if l := text(element(t, c.Body, "confirm-lines", "ul")); !strings.Contains(l, "Disabling slack-hub revokes its token: its calls stop at once") || !strings.Contains(l, "45 seconds") {
		t.Errorf("disable confirmation: %q", l)
	}
	p = lena.post("/admin/integrations/slack-hub/disable", url.Values{"confirmed": {"yes"}})
	if p.Location() != "/admin/integrations/slack-hub?done=disabled" {
		t.Errorf("disable: %d %q %.300s", p.Status, p.Location(), p.Body)
	}
	if st := e.ticketWith(fresh, cat.rita.UserName); st != http.StatusUnauthorized {
		t.Errorf("token after disable: %d, want 401", st)
	}
	one = lena.get("/admin/integrations/slack-hub?done=disabled")
	if s := text(element(t, one.Body, "integration-status", "span")); s != "disabled" || !hasID(one.Body, "flash") {
		t.Errorf("after disable: status %q", s)
	}
	if c = lena.get("/admin/integrations/slack-hub/disable"); hasID(c.Body, "confirm-form") {
		t.Errorf("disabling a disabled integration offers a form")
	}
	if p = lena.post("/admin/integrations/slack-hub/disable", url.Values{"confirmed": {"yes"}}); p.Status != 409 {
		t.Errorf("disable twice: %d, want 409", p.Status)
	}
	// Rotating enables it again.
	back := secretOf(t, lena.post("/admin/integrations/slack-hub/rotate", url.Values{"confirmed": {"yes"}}))
	if st := e.ticketWith(back, cat.rita.UserName); st != http.StatusCreated {
		t.Errorf("re-enabled token: %d", st)
	}

	// Deleting: confirmed, gone from the list, its token refused.
	c = lena.get("/admin/integrations/slack-hub/delete")
	if l := text(element(t, c.Body, "confirm-lines", "ul")); !strings.Contains(l, "Deleting slack-hub revokes its token, so its calls stop at once") {
		t.Errorf("delete confirmation: %q", l)
	}
	p = lena.post("/admin/integrations/slack-hub/delete", url.Values{"confirmed": {"yes"}})
	if p.Location() != "/admin/integrations?done=deleted" || hasID(lena.get("/admin/integrations").Body, "integration-slack-hub") {
		t.Errorf("delete: %q", p.Location())
	}
	if st := e.ticketWith(back, cat.rita.UserName); st != http.StatusUnauthorized {
		t.Errorf("token after delete: %d, want 401", st)
	}
	for _, a := range []string{"integration.mode", "integration.update", "integration.token_rotate", "integration.disable", "integration.delete"} {
		if e.auditHasBy(a, "integration:slack-hub", "web:lena@example.com") == 0 {
			t.Errorf("no %s entry by web:lena@example.com", a)
		}
	}
	if p := lena.get("/admin/integrations/slack-hub/explode"); p.Status != 404 {
		t.Errorf("unknown action: %d", p.Status)
	}
}

func TestConsoleTokensCreateAndRevoke(t *testing.T) {
	e, cat, lena := integrationsAdmin(t)
	hub := secretOf(t, lena.post("/admin/integrations", url.Values{"name": {"slack-hub"}, "mode": {"monitor"}}))
	p := lena.post("/admin/tokens", url.Values{"name": {"desk-backend"}, "scope": {"platform"}, "ttl": {"720h"}})
	secret := secretOf(t, p)
	if !strings.Contains(p.Body, "It expires") {
		t.Errorf("the secret page does not say when it expires")
	}
	list := lena.get("/admin/integrations")
	row := regexp.MustCompile(`<tr class="token" id="(token-tok_[^"]+)"[^>]*>\s*<td><b>desk-backend</b>`).FindStringSubmatch(list.Body)
	if row == nil {
		t.Fatalf("desk-backend is not listed: %.2000s", list.Body)
	}
	id := strings.TrimPrefix(row[1], "token-")
	if r := text(element(t, list.Body, row[1], "tr")); !strings.Contains(r, "platform") || !strings.Contains(r, "live") || strings.Contains(r, "never") {
		t.Errorf("desk-backend's row: %q", r)
	}
	if strings.Contains(list.Body, secret) {
		t.Errorf("the list shows the secret")
	}
	if st := e.callAs(secret, "GET", "/api/v1/pools", "", ""); st != http.StatusOK {
		t.Errorf("the platform token does not call: %d", st)
	}
	c := lena.get("/admin/tokens/" + id + "/revoke")
	if l := text(element(t, c.Body, "confirm-lines", "ul")); !strings.Contains(l, "Revoking desk-backend stops its calls at once") {
		t.Errorf("revoke confirmation: %q", l)
	}
	p = lena.post("/admin/tokens/"+id+"/revoke", url.Values{"confirmed": {"yes"}})
	if p.Location() != "/admin/integrations?done=token-revoked" {
		t.Errorf("revoke: %d %q", p.Status, p.Location())
	}
	if st := e.callAs(secret, "GET", "/api/v1/pools", "", ""); st != http.StatusUnauthorized {
		t.Errorf("revoked token: %d, want 401", st)
	}
	list = lena.get("/admin/integrations")
	if hasID(list.Body, "token-"+id) || !hasID(list.Body, "show-all-tokens") {
		t.Errorf("the revoked token is still listed as live, or the list does not offer it")
	}
	if all := lena.get("/admin/integrations?tokens=all"); attrOf(t, all.Body, "token-"+id, "data-state") != "revoked" {
		t.Errorf("the full list does not show desk-backend revoked")
	}
	if e.auditHasBy("token.revoke", "token:"+id, "web:lena@example.com") == 0 {
		t.Errorf("no token.revoke entry by lena")
	}
	// An integration's token: the confirmation names the integration.
	one := lena.get("/admin/integrations/slack-hub")
	tok := text(element(t, one.Body, "integration-token", "code"))
	c = lena.get("/admin/tokens/" + tok + "/revoke")
	if l := text(element(t, c.Body, "confirm-lines", "ul")); !strings.Contains(l, "Revoking slack-hub's token stops its calls at once") {
		t.Errorf("integration token confirmation: %q", l)
	}
	lena.post("/admin/tokens/"+tok+"/revoke", url.Values{"confirmed": {"yes"}})
	if st := e.ticketWith(hub, cat.rita.UserName); st != http.StatusUnauthorized {
		t.Errorf("slack-hub's revoked token: %d", st)
	}
	if s := text(element(t, lena.get("/admin/integrations/slack-hub").Body, "integration-status", "span")); s != "disabled" {
		t.Errorf("slack-hub after its token was revoked: %q, want disabled", s)
	}
	// Refusals: a bad scope keeps the form.
	p = lena.post("/admin/tokens", url.Values{"name": {"x"}, "scope": {"root"}})
	if p.Status != 400 || attrOf(t, p.Body, "t-scope", "aria-invalid") != "true" || attrOf(t, p.Body, "t-name", "value") != "x" {
		t.Errorf("bad scope: %d", p.Status)
	}
}

func TestConsoleIntegrationsByRole(t *testing.T) {
	e, cat, lena := integrationsAdmin(t)
	hub := secretOf(t, lena.post("/admin/integrations", url.Values{"name": {"slack-hub"}, "mode": {"enforce"}}))
	tok := text(element(t, lena.get("/admin/integrations/slack-hub").Body, "integration-token", "code"))
	aldo := e.person("aldo@example.com", "Aldo Auditor")
	e.grant(aldo, licensing.RoleAuditor)
	ida := e.person("ida@example.com", "Ida Identity")
	e.grant(ida, licensing.RoleIdentityAdmin)

	// The auditor reads integrations and tokens, and may change nothing:
	// no forms, and a forged post is the API's 403, with nothing changed.
	a := e.login(aldo)
	list := a.get("/admin/integrations")
	if list.Status != 200 || !hasID(list.Body, "integration-slack-hub") || !hasID(list.Body, "token-"+tok) || hasID(list.Body, "create-integration") ||
		hasID(list.Body, "create-token") || hasID(list.Body, "revoke-"+tok) || !hasID(list.Body, "read-only-note") {
		t.Errorf("auditor's integrations page: %d, forms shown or lists missing", list.Status)
	}
	if c := a.get("/admin/tokens/" + tok + "/revoke"); hasID(c.Body, "confirm-form") || !hasID(c.Body, "read-only-note") {
		t.Errorf("auditor's revoke confirmation offers the form")
	}
	for _, post := range []struct {
		path string
		form url.Values
	}{
		{"/admin/tokens/" + tok + "/revoke", url.Values{"confirmed": {"yes"}}},
		{"/admin/integrations/slack-hub/disable", url.Values{"confirmed": {"yes"}}},
		{"/admin/integrations/slack-hub/rotate", url.Values{"confirmed": {"yes"}}},
		{"/admin/integrations/slack-hub", url.Values{"mode": {"monitor"}, "confirmed": {"yes"}}},
		{"/admin/integrations", url.Values{"name": {"sneaky"}, "mode": {"monitor"}}},
		{"/admin/tokens", url.Values{"name": {"sneaky"}, "scope": {"admin"}}},
	} {
		p := a.post(post.path, post.form)
		if _, code, _ := flashOf(t, p.Body); p.Status != http.StatusForbidden || code != "forbidden" || hasID(p.Body, "secret") {
			t.Errorf("auditor POST %s: %d %q, want the 403 page", post.path, p.Status, code)
		}
	}
	if st := e.ticketWith(hub, cat.rita.UserName); st != http.StatusCreated {
		t.Errorf("slack-hub's token after the auditor's refused revoke: %d, want it still working", st)
	}
	if e.integrationMode("slack-hub") != "enforce" || hasID(lena.get("/admin/integrations").Body, "integration-sneaky") {
		t.Errorf("an auditor's refused post changed something")
	}

	// An identity administrator reads the integrations, not the tokens.
	i := e.login(ida)
	list = i.get("/admin/integrations")
	if list.Status != 200 || !hasID(list.Body, "integration-slack-hub") || hasID(list.Body, "tokens") || hasID(list.Body, "create-integration") {
		t.Errorf("identity admin's integrations page: %d, tokens shown %v", list.Status, hasID(list.Body, "tokens"))
	}
	if p := i.get("/admin/tokens/" + tok + "/revoke"); p.Status != http.StatusForbidden {
		t.Errorf("identity admin's revoke confirmation: %d, want 403", p.Status)
	}
	// The break-glass admin token may do everything.
	c := e.browser()
	e.signIn(c)
	if p := e.do(c, "GET", "/admin/integrations", nil, ""); p.Status != 200 || !hasID(p.Body, "create-token") || !hasID(p.Body, "token-"+tok) {
		t.Errorf("break-glass console: %d", p.Status)
	}
}

// integrationMode reads an integration's mode through the store.
func (e *env) integrationMode(name string) string {
	e.t.Helper()
	in, err := e.st.GetIntegration(e.ctx, name)
	if err != nil {
		e.t.Fatalf("GetIntegration %s: %v", name, err)
	}
	return string(in.Mode)
}

// auditHasBy counts the audit entries of action on subject by actor.
func (e *env) auditHasBy(action, subject, actor string) int {
	e.t.Helper()
	entries, err := e.st.ListAudit(e.ctx, 0, 100000)
	if err != nil {
		e.t.Fatalf("ListAudit: %v", err)
	}
	n := 0
	for _, x := range entries {
		if x.Action == action && x.Subject == subject && x.Actor == actor {
			n++
		}
	}
	return n
}
