package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/api"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/plural"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

// The person page's actions: assign and revoke a seat, grant and revoke a
// role, deactivate and reactivate. Each is the API's own route run as the
// caller (p.call), so a role that may not do it is refused with the API's
// code; a destructive one is confirmed first on a page saying exactly what
// it will end.

// peopleConfirm is a confirmation page of the People area.
type peopleConfirm struct {
	Title    string
	Lines    []string // what the action will do, one effect a line
	Note     string
	Action   string // where the confirmed form posts
	Button   string
	Back     string
	Disabled string       // why the caller may not confirm, if they may not
	Hidden   []ruleHidden // fields the confirmed form carries
	// Safe marks a change that ends nothing (its button is the usual
	// one, not the red of one that takes something away).
	Safe bool
}

func (p *Pages) renderPeopleConfirm(w http.ResponseWriter, c *consoleVisit, pc peopleConfirm) {
	data := p.consoleData(c, "people", pc.Title)
	data["Confirm"] = pc
	p.render(w, "console_people_confirm.html", http.StatusOK, data)
}

// userPath is a person's API path, by id: the one key that names nobody
// else.
func userPath(u licensing.User) string { return "/api/v1/users/" + url.PathEscape(u.ID) }

func memberPath(pool string, u licensing.User) string {
	return "/api/v1/pools/" + url.PathEscape(pool) + "/members/" + url.PathEscape(u.ID)
}

// identityNote is why a caller without the identity role cannot confirm.
func identityNote(c *consoleVisit) string {
	if c.can(api.PermIdentity) {
		return ""
	}
	return "Only licence and identity administrators can change people and their seats."
}

// warningsOf reads the warnings an answer carries ("warnings": a list of
// texts, or of objects with a "message"), so the page shows what the API
// warned about.
func warningsOf(raw json.RawMessage) []string {
	var out []string
	var texts []string
	if json.Unmarshal(raw, &texts) == nil {
		for _, t := range texts {
			out = append(out, sentence(t))
		}
		return out
	}
	var objs []map[string]any
	if json.Unmarshal(raw, &objs) == nil {
		for _, o := range objs {
			if m, ok := o["message"].(string); ok && m != "" {
				out = append(out, sentence(m))
			} else if b, err := json.Marshal(o); err == nil {
				out = append(out, string(b))
			}
		}
	}
	return out
}

func (p *Pages) personAssign(w http.ResponseWriter, r *http.Request, c *consoleVisit) {
	u, ok := p.personOfPath(w, r, c)
	if !ok {
		return
	}
	pool := r.PostForm.Get("pool")
	if pool == "" {
		p.refusePerson(w, r, c, u, licensing.FieldErrorf(licensing.CodeInvalid, "pool", "choose the pool whose seat to assign"))
		return
	}
	var out struct {
		State    string          `json:"state"`
		Warnings json.RawMessage `json:"warnings"`
	}
	if err := p.call(r.Context(), c, http.MethodPut, memberPath(pool, u), nil, &out); err != nil {
		p.refusePerson(w, r, c, u, err)
		return
	}
	warnings := warningsOf(out.Warnings)
	if len(warnings) == 0 && out.State != licensing.MemberPending {
		doneTo(w, r, personLink(u.UserName), "seat-assigned")
		return
	}
	// The API's words are shown at once (a redirect could only carry a
	// fixed text).
	text := "The seat was assigned."
	if out.State == licensing.MemberPending {
		text = "The grant was recorded but waits: the pool has no free seat. It is given as soon as one frees."
	}
	p.renderPerson(w, r, c, u, http.StatusOK, &flash{OK: true, Text: text}, warnings)
}

func (p *Pages) personRevokeConfirm(w http.ResponseWriter, r *http.Request, c *consoleVisit) {
	u, ok := p.personOfPath(w, r, c)
	if !ok {
		return
	}
	pool := r.PathValue("pool")
	name := orUserName(u)
	rows, err := p.svc.Store.AccessReview(r.Context(), store.AccessFilter{UserID: u.ID, Pool: pool, Limit: 1})
	if err != nil {
		p.fail(w, r, c.v, err)
		return
	}
	if len(rows) == 0 {
		p.fail(w, r, c.v, licensing.Errorf(licensing.CodeNotFound, "%s holds no seat of pool %q", name, pool))
		return
	}
	lines := []string{fmt.Sprintf("Take the seat of pool %s from %s.", pool, name)}
	if rows[0].Member.State == licensing.MemberPending {
		lines = []string{fmt.Sprintf("Drop %s's grant waiting for a seat of pool %s.", name, pool)}
	}
	leases, err := p.svc.Store.LiveLeasesOfUserNames(r.Context(), u.UserName, u.UserName)
	if err != nil {
		p.fail(w, r, c.v, err)
		return
	}
	for _, l := range leases {
		if l.Pool == pool {
			lines = append(lines, fmt.Sprintf("End %s's lease of %s, held since %s: their next agent action there is refused.", name, pool, stamp(l.StartedAt)))
		}
	}
	lines = append(lines, "Leave a queue place in "+pool+", if they have one.")
	link := personLink(u.UserName)
	p.renderPeopleConfirm(w, c, peopleConfirm{Title: "Revoke a seat of " + pool, Lines: lines,
		Action: link + "/seats/" + url.PathEscape(pool) + "/revoke", Button: "Revoke the seat", Back: link, Disabled: identityNote(c)})
}

func (p *Pages) personRevoke(w http.ResponseWriter, r *http.Request, c *consoleVisit) {
	u, ok := p.personOfPath(w, r, c)
	if !ok {
		return
	}
	if err := p.call(r.Context(), c, http.MethodDelete, memberPath(r.PathValue("pool"), u), nil, nil); err != nil {
		p.refusePerson(w, r, c, u, err)
		return
	}
	doneTo(w, r, personLink(u.UserName), "seat-revoked")
}

func (p *Pages) personRoleGrant(w http.ResponseWriter, r *http.Request, c *consoleVisit) {
	u, ok := p.personOfPath(w, r, c)
	if !ok {
		return
	}
	role := r.PostForm.Get("role")
	if role == "" {
		p.refusePerson(w, r, c, u, licensing.FieldErrorf(licensing.CodeInvalid, "role", "choose the role to grant"))
		return
	}
	if err := p.call(r.Context(), c, http.MethodPut, userPath(u)+"/roles/"+url.PathEscape(role), nil, nil); err != nil {
		p.refusePerson(w, r, c, u, rolesRefusal(err))
		return
	}
	doneTo(w, r, personLink(u.UserName), "role-granted")
}

func (p *Pages) personRoleRevokeConfirm(w http.ResponseWriter, r *http.Request, c *consoleVisit) {
	u, ok := p.personOfPath(w, r, c)
	if !ok {
		return
	}
	role := licensing.Role(r.PathValue("role"))
	link := personLink(u.UserName)
	pc := peopleConfirm{Title: "Revoke a role", Lines: []string{fmt.Sprintf("Take the role %s from %s: what it opens in the console and the API is refused to them from their next request.", roleLabel(role), orUserName(u))},
		Action: link + "/roles/" + url.PathEscape(string(role)) + "/revoke", Button: "Revoke the role", Back: link}
	if !c.can(api.PermLicence) {
		pc.Disabled = "Only licence administrators can grant and revoke roles."
	}
	p.renderPeopleConfirm(w, c, pc)
}

func (p *Pages) personRoleRevoke(w http.ResponseWriter, r *http.Request, c *consoleVisit) {
	u, ok := p.personOfPath(w, r, c)
	if !ok {
		return
	}
	if err := p.call(r.Context(), c, http.MethodDelete, userPath(u)+"/roles/"+url.PathEscape(r.PathValue("role")), nil, nil); err != nil {
		p.refusePerson(w, r, c, u, rolesRefusal(err))
		return
	}
	doneTo(w, r, personLink(u.UserName), "role-revoked")
}

// stamp writes a time as the pages do (the "when" of the templates).
func stamp(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// sessionVia says which integration started a session, if one did.
func sessionVia(ss licensing.Session) string {
	if ss.Integration != "" {
		return " (through an integration)"
	}
	return ""
}

// rolesRefusal words the API's refusal of a role change by a caller
// without the role for it; the code and its status stay the API's.
func rolesRefusal(err error) error {
	if e, ok := licensing.AsError(err); ok && e.Code == licensing.CodeForbidden {
		return &licensing.Error{Code: e.Code, Message: "only a licence administrator can grant and revoke roles: " + e.Message}
	}
	return err
}

// orUserName names a person by display name, else user name.
func orUserName(u licensing.User) string {
	if u.DisplayName != "" {
		return u.DisplayName
	}
	return u.UserName
}

// personDeactivateConfirm lists exactly what deactivating the person ends:
// each seat and pending grant, session, lease and queue place, read as the
// person's page reads them.
func (p *Pages) personDeactivateConfirm(w http.ResponseWriter, r *http.Request, c *consoleVisit) {
	u, ok := p.personOfPath(w, r, c)
	if !ok {
		return
	}
	link := personLink(u.UserName)
	if !u.Active {
		http.Redirect(w, r, link, http.StatusSeeOther)
		return
	}
	data, err := p.personData(r, c, u)
	if err != nil {
		p.fail(w, r, c.v, err)
		return
	}
	v := data["Person"].(personView)
	name := orUserName(u)
	var lines []string
	for _, s := range v.Seats {
		lines = append(lines, fmt.Sprintf("Revoke the seat of pool %s (SKU %s), held since %s, %s.", s.Pool, s.SKU, stamp(s.Since), s.Given))
	}
	for _, s := range v.Pending {
		lines = append(lines, fmt.Sprintf("Drop the grant waiting for a seat of pool %s, %s.", s.Pool, s.Given))
	}
	for _, ss := range v.Sessions {
		lines = append(lines, fmt.Sprintf("End the session started %s, last seen %s%s.", stamp(ss.StartedAt), stamp(ss.LastSeen), sessionVia(ss)))
	}
	for _, l := range v.Leases {
		lines = append(lines, fmt.Sprintf("End the lease of %s held since %s.", l.Pool, stamp(l.StartedAt)))
	}
	for _, q := range v.Queue {
		lines = append(lines, fmt.Sprintf("Take them out of the queue of %s (number %d).", q.Pool, q.Position))
	}
	if n := len(v.SignIn.Browser); n > 0 {
		lines = append(lines, fmt.Sprintf("Sign them out of %s.", plural.Of(n, "browser session")))
	}
	if len(lines) == 0 {
		lines = append(lines, name+" holds no seat, session or lease now: nothing else ends.")
	}
	lines = append(lines, "Revoke the report share links they created, if any.", name+" can no longer sign in or be given a seat until reactivated.")
	p.renderPeopleConfirm(w, c, peopleConfirm{Title: "Deactivate " + name, Lines: lines,
		Note: "Their roles stay on record but cannot be used while they are inactive.", Action: link + "/deactivate", Button: "Deactivate " + name, Back: link, Disabled: identityNote(c)})
}

// setActive changes only "active" with PUT /api/v1/users/{id}, which
// replaces a person's attributes: the others are sent back as read.
func (p *Pages) setActive(r *http.Request, c *consoleVisit, u licensing.User, active bool) error {
	ctx := r.Context()
	var cur map[string]any
	if err := p.call(ctx, c, http.MethodGet, userPath(u), nil, &cur); err != nil {
		return err
	}
	delete(cur, "roles") // granted on their own route, refused here
	cur["active"] = active
	return p.call(ctx, c, http.MethodPut, userPath(u), cur, nil)
}

func (p *Pages) personDeactivate(w http.ResponseWriter, r *http.Request, c *consoleVisit) {
	p.personSetActive(w, r, c, false, "deactivated")
}

func (p *Pages) personReactivate(w http.ResponseWriter, r *http.Request, c *consoleVisit) {
	p.personSetActive(w, r, c, true, "reactivated")
}

func (p *Pages) personSetActive(w http.ResponseWriter, r *http.Request, c *consoleVisit, active bool, done string) {
	u, ok := p.personOfPath(w, r, c)
	if !ok {
		return
	}
	if err := p.setActive(r, c, u, active); err != nil {
		p.refusePerson(w, r, c, u, err)
		return
	}
	doneTo(w, r, personLink(u.UserName), done)
}
