package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/seatkeeper/seatkeeper/internal/api"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// consoleVisit is a request to the licence console: a person holding a
// role, or the break-glass admin token (v is nil then).
type consoleVisit struct {
	who api.Who
	v   *visit
}

// can reports whether the caller holds perm (what the API's routes need).
func (c *consoleVisit) can(perm api.Perm) bool { return c.who.Can(perm) }

// consolePage wraps a console page. The caller is found the API's way
// (api.Server.Identify); a visitor signed in as nobody goes to the sign-in
// page, a person without a role gets the 403 page; a POST must come from
// this site's own form with the caller's CSRF token. What a page may show
// or change is then the API's to decide: actions go through call.
func (p *Pages) consolePage(h func(http.ResponseWriter, *http.Request, *consoleVisit)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		who, err := p.gate.Identify(r)
		var v *visit
		if err == nil && who.Person() {
			v, err = p.visitAs(who)
		}
		if licensing.ErrorCode(err) == licensing.CodeUnauthorized {
			p.toSignin(w, r)
			return
		}
		if err != nil {
			p.fail(w, r, nil, err)
			return
		}
		if !who.Administrator() {
			p.fail(w, r, v, licensing.Errorf(licensing.CodeForbidden, "the licence console is for administrators: ask a licence administrator for the role you need (licence_admin, identity_admin or auditor)"))
			return
		}
		if r.Method == http.MethodPost && !p.checkFormToken(w, r, v, who.CSRF) {
			return
		}
		h(w, r, &consoleVisit{who: who, v: v})
	}
}

// call runs an API route as the console's caller: the same checks, audit
// and answers as the API (api.Server.Call).
func (p *Pages) call(ctx context.Context, c *consoleVisit, method, path string, body, out any) error {
	return p.gate.Call(ctx, c.who, method, path, body, out)
}

// consoleSections are the console's navigation: path, area, label.
var consoleSections = []struct{ Path, Area, Label string }{
	{"/admin", "dashboard", "Dashboard"},
	{"/admin/pools", "pools", "SKUs & pools"},
	{"/admin/people", "people", "People"},
	{"/admin/rules", "rules", "Rules & groups"},
	{"/admin/leases", "leases", "Sessions & leases"},
	{"/admin/integrations", "integrations", "Integrations & tokens"},
	{"/admin/audit", "audit", "Audit log"},
	{"/reports", "reports", "Reports"},
}

// consoleData is what every console page shares: the sections (area marks
// the current one), who is signed in with which roles, what they may
// change, and the CSRF token of the page's forms.
func (p *Pages) consoleData(c *consoleVisit, area, title string) map[string]any {
	d := map[string]any{}
	if c.v != nil {
		d = p.base(c.v, title)
		roles := make([]string, len(c.who.User.Roles))
		for i, r := range c.who.User.Roles {
			roles[i] = label(r)
		}
		d["Roles"] = strings.Join(roles, ", ")
	} else {
		d["Me"], d["Roles"], d["BreakGlass"] = c.who.Token.Name, "Admin token", true
	}
	d["Title"], d["Area"], d["Sections"], d["CSRF"] = title, area, consoleSections, c.who.CSRF
	d["CanLicence"], d["CanIdentity"], d["CanAudit"] = c.can(api.PermLicence), c.can(api.PermIdentity), c.can(api.PermAudit)
	return d
}

// consoleFlash is the message a console action redirected with: one of
// texts, chosen by ?done=KEY, so a link cannot put words on the page.
func consoleFlash(r *http.Request, texts map[string]string) *flash {
	if t, ok := texts[r.URL.Query().Get("done")]; ok {
		return &flash{OK: true, Text: t}
	}
	return nil
}

// doneTo redirects after a console action to path with ?done=key.
func doneTo(w http.ResponseWriter, r *http.Request, path, key string) {
	u := path
	if key != "" {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		u += sep + "done=" + url.QueryEscape(key)
	}
	http.Redirect(w, r, u, http.StatusSeeOther)
}
