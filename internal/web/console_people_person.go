package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/api"
	"github.com/seatkeeper/seatkeeper/internal/audit"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/plural"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

// A person's page in the console: who they are, what they hold and why,
// what they are doing now, how they sign in, their roles and their audit
// trail, with the forms that change them.

// trailPage is how many audit entries the person's page shows at a time.
const trailPage = 25

// seatRow is one seat (or pending grant) on the person's page.
type seatRow struct {
	Pool, SKU, Model, State, Reason string
	Since                           time.Time
	LastUsed                        time.Time
	// Why says in words where the seat comes from; Kind is manual, rule or
	// scim-group; Rule and Group name the rule or group.
	Why, Kind, Rule, Group string
	// Given says in a few words who gave it ("given by rule desk").
	Given string
	// Revoke is the revoke page of a seat assigned by hand (a rule's or a
	// group's seat is taken away by changing the rule, the group or the
	// person: revoking it would only see it granted again).
	Revoke string
}

// whyText says where a seat comes from, as the access review explains it.
func whyText(a api.AccessRow) string {
	w := a.Why
	switch w.Kind {
	case licensing.SourceManual:
		if w.GrantedBy == "" {
			return "Assigned by hand"
		}
		return "Assigned by hand by " + actorName(w.GrantedBy)
	case "rule":
		s := "Rule " + w.Rule
		if w.RuleVersion > 0 {
			s += fmt.Sprintf(" (version %d)", w.RuleVersion)
		}
		if m := w.Matched; m != nil {
			var parts []string
			for _, kv := range [][2]string{{"job code", m.JobCode}, {"department", m.Department}, {"cost centre", m.CostCenter}, {"employee type", m.EmployeeType}} {
				if kv[1] != "" {
					parts = append(parts, kv[0]+" "+kv[1])
				}
			}
			if len(m.Groups) > 0 {
				parts = append(parts, "group "+strings.Join(m.Groups, ", "))
			}
			if len(parts) > 0 {
				s += ": matches " + strings.Join(parts, ", ")
			}
		}
		if w.RuleDeleted {
			s += " — the rule was deleted; the seat goes at the next reconciliation"
		}
		return s
	case "scim-group":
		return "Member of group " + w.Group
	}
	return a.Source
}

// givenText says in a few words where a seat comes from.
func givenText(a api.AccessRow) string {
	switch a.Why.Kind {
	case licensing.SourceManual:
		return "assigned by hand"
	case "rule":
		return "given by rule " + a.Why.Rule
	case "scim-group":
		return "given by group " + a.Why.Group
	}
	return a.Source
}

// actorName shows an audit actor as a person reads it: a signed-in
// person by their user name, a token as "token NAME".
func actorName(a string) string {
	if n, ok := strings.CutPrefix(a, "web:"); ok {
		return n
	}
	if n, ok := strings.CutPrefix(a, "token:"); ok {
		return "token " + n
	}
	return a
}

// roleRow is a role on the person's page.
type roleRow struct {
	Role  licensing.Role
	Label string
	Held  bool
}

// personView is everything the person's page shows.
type personView struct {
	User       licensing.User
	Link       string
	Roles      []roleRow
	Grantable  []roleRow
	Seats      []seatRow // active
	Pending    []seatRow
	Sessions   []licensing.Session
	Leases     []licensing.Lease
	Queue      []store.QueueWait
	SignIn     store.SignIn
	OIDC       string // the provider people sign in with, if any
	Assignable []licensing.Pool
	Trail      []audit.Entry
	TrailMore  string // the older page of the trail
	TrailFirst string // the newest page, when an older one is shown
	// Summary counts the seats, sessions and leases in words.
	Summary string
}

// personOfPath finds the person of the path, answering for them when there is
// none.
func (p *Pages) personOfPath(w http.ResponseWriter, r *http.Request, c *consoleVisit) (licensing.User, bool) {
	if !c.can(api.PermRead) {
		p.fail(w, r, c.v, licensing.Errorf(licensing.CodeForbidden, "reading people needs a console role"))
		return licensing.User{}, false
	}
	u, err := p.svc.Store.GetUser(r.Context(), r.PathValue("user"))
	if err != nil {
		p.fail(w, r, c.v, err)
		return u, false
	}
	return u, true
}

// personData reads the person's page. The seats come from the access
// review (GET /api/v1/access-review?user=, which says why each is held
// and is audited as a review); the rest from the store, by index.
func (p *Pages) personData(r *http.Request, c *consoleVisit, u licensing.User) (map[string]any, error) {
	ctx := r.Context()
	st := p.svc.Store
	v := personView{User: u, Link: personLink(u.UserName)}
	if e, ok := p.svc.Engine.User(u.ID); ok {
		v.User.Roles = e.Roles
	}
	for _, role := range licensing.Roles {
		row := roleRow{Role: role, Label: roleLabel(role), Held: slices.Contains(v.User.Roles, role)}
		v.Roles = append(v.Roles, row)
		if !row.Held {
			v.Grantable = append(v.Grantable, row)
		}
	}
	var review struct {
		Rows []api.AccessRow `json:"rows"`
	}
	if err := p.call(ctx, c, http.MethodGet, "/api/v1/access-review?limit=5000&user="+url.QueryEscape(u.ID), nil, &review); err != nil {
		return nil, err
	}
	held := map[string]bool{}
	for _, a := range review.Rows {
		row := seatRow{Pool: a.Pool, SKU: a.SKU, Model: a.Model, State: a.State, Reason: a.Reason, Since: a.Since,
			Why: whyText(a), Given: givenText(a), Kind: a.Why.Kind, Rule: a.Why.Rule, Group: a.Why.Group}
		if a.LastUsed != nil {
			row.LastUsed = *a.LastUsed
		}
		if a.Why.Kind == licensing.SourceManual {
			row.Revoke = v.Link + "/seats/" + url.PathEscape(a.Pool) + "/revoke"
		}
		held[a.Pool] = true
		if a.State == licensing.MemberPending {
			v.Pending = append(v.Pending, row)
		} else {
			v.Seats = append(v.Seats, row)
		}
	}
	sessions, err := st.ListSessions(ctx, store.SessionFilter{User: u.ID, ActiveOnly: true, Limit: 100})
	if err != nil {
		return nil, err
	}
	v.Sessions = sessions
	if v.Leases, err = st.LiveLeasesOfUserNames(ctx, u.UserName, u.UserName); err != nil {
		return nil, err
	}
	pools, err := st.ListPools(ctx)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(pools))
	for i, pl := range pools {
		ids[i] = pl.ID
		if !held[pl.ID] {
			v.Assignable = append(v.Assignable, pl)
		}
	}
	if v.Queue, err = st.QueuePlaces(ctx, u.ID, ids); err != nil {
		return nil, err
	}
	if v.SignIn, err = st.PersonSignIn(ctx, u.ID); err != nil {
		return nil, err
	}
	if p.oidc != nil {
		v.OIDC = p.oidc.Name()
	}
	if c.can(api.PermAudit) {
		if err := p.personTrail(ctx, r, &v); err != nil {
			return nil, err
		}
	}
	v.Summary = strings.Join([]string{plural.Of(len(v.Seats), "seat"), plural.Of(len(v.Pending), "pending grant"),
		plural.Of(len(v.Sessions), "session"), plural.Of(len(v.Leases), "lease")}, ", ")
	title := u.DisplayName
	if title == "" {
		title = u.UserName
	}
	data := p.consoleData(c, "people", title)
	data["Person"] = v
	return data, nil
}

// personTrail reads a page of the person's audit trail, newest first
// from ?before= (the seq of an entry shown).
func (p *Pages) personTrail(ctx context.Context, r *http.Request, v *personView) error {
	before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	list, more, err := p.svc.Store.PersonTrail(ctx, v.User, max(before, 0), trailPage)
	if licensing.ErrorCode(err) == licensing.CodeNotFound {
		list, more, err = p.svc.Store.PersonTrail(ctx, v.User, 0, trailPage) // a cursor gone: from the newest
		before = 0
	}
	if err != nil {
		return err
	}
	v.Trail = list
	if more {
		v.TrailMore = v.Link + "?before=" + strconv.FormatInt(list[len(list)-1].Seq, 10) + "#trail"
	}
	if before > 0 {
		v.TrailFirst = v.Link + "#trail"
	}
	return nil
}

func (p *Pages) personPage(w http.ResponseWriter, r *http.Request, c *consoleVisit) {
	u, ok := p.personOfPath(w, r, c)
	if !ok {
		return
	}
	p.renderPerson(w, r, c, u, http.StatusOK, consoleFlash(r, peopleDone), nil)
}

// renderPerson shows the person's page with a message (and the API's
// warnings of an action, if it answered any).
func (p *Pages) renderPerson(w http.ResponseWriter, r *http.Request, c *consoleVisit, u licensing.User, status int, f *flash, warnings []string) {
	data, err := p.personData(r, c, u)
	if err != nil {
		p.fail(w, r, c.v, err)
		return
	}
	data["Flash"], data["Warnings"] = f, warnings
	p.render(w, "console_people_person.html", status, data)
}

// refusePerson shows the person's page with the API's refusal of an
// action, under the API's status for its code.
func (p *Pages) refusePerson(w http.ResponseWriter, r *http.Request, c *consoleVisit, u licensing.User, err error) {
	status, f := p.explain(r, err)
	p.renderPerson(w, r, c, u, status, f, nil)
}
