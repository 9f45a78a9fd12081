package web

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/seatkeeper/seatkeeper/internal/api"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

// The console's People: search and page through everyone (a prefix of the
// user name, display name, email or employee ID, by index: store.
// SearchPeople), register a person, and each person's page with their
// seats and why, sessions, leases, queue places, sign-in methods, roles
// and audit trail. Every change goes through the API's own route (p.call).

// registerConsolePeople adds the People pages, and the Rules & groups
// pages that give people their seats (console_rules.go).
func (p *Pages) registerConsolePeople(mux *http.ServeMux) {
	p.registerConsoleRules(mux)
	mux.HandleFunc("GET /admin/people", p.consolePage(p.peopleList))
	mux.HandleFunc("POST /admin/people", p.consolePage(p.peopleRegister))
	mux.HandleFunc("GET /admin/people/{user}", p.consolePage(p.personPage))
	mux.HandleFunc("POST /admin/people/{user}/seats", p.consolePage(p.personAssign))
	mux.HandleFunc("GET /admin/people/{user}/seats/{pool}/revoke", p.consolePage(p.personRevokeConfirm))
	mux.HandleFunc("POST /admin/people/{user}/seats/{pool}/revoke", p.consolePage(p.personRevoke))
	mux.HandleFunc("POST /admin/people/{user}/roles", p.consolePage(p.personRoleGrant))
	mux.HandleFunc("GET /admin/people/{user}/roles/{role}/revoke", p.consolePage(p.personRoleRevokeConfirm))
	mux.HandleFunc("POST /admin/people/{user}/roles/{role}/revoke", p.consolePage(p.personRoleRevoke))
	mux.HandleFunc("GET /admin/people/{user}/deactivate", p.consolePage(p.personDeactivateConfirm))
	mux.HandleFunc("POST /admin/people/{user}/deactivate", p.consolePage(p.personDeactivate))
	mux.HandleFunc("POST /admin/people/{user}/reactivate", p.consolePage(p.personReactivate))
}

// peopleDone are the messages the area's actions redirect with.
var peopleDone = map[string]string{
	"registered":    "The person was registered.",
	"seat-assigned": "The seat was assigned.",
	"seat-revoked":  "The seat was revoked.",
	"role-granted":  "The role was granted.",
	"role-revoked":  "The role was revoked.",
	"deactivated":   "The person was deactivated: their seats, sessions and leases have ended.",
	"reactivated":   "The person was reactivated; their rules and groups give their seats back.",
}

// peoplePage is how many people a page of the list shows.
const peoplePage = 50

// maxQuery bounds a search: no identity key is longer.
const maxQuery = 256

// personRow is one person in the list.
type personRow struct {
	User    licensing.User
	Link    string
	Roles   string
	Matched string // what the search matched, when there is a search
}

// personLink is a person's page (by user name: readable and unique).
func personLink(userName string) string { return "/admin/people/" + url.PathEscape(userName) }

// peopleCursor writes a search position for the next-page link; a
// position the server did not write reads as the first page.
func peopleCursor(c store.PeopleCursor) string {
	b, _ := json.Marshal([2]string{c.Value, c.UserName})
	return base64.RawURLEncoding.EncodeToString(b)
}

func readPeopleCursor(s string) store.PeopleCursor {
	b, err := base64.RawURLEncoding.DecodeString(s)
	var v [2]string
	if err != nil || json.Unmarshal(b, &v) != nil {
		return store.PeopleCursor{}
	}
	return store.PeopleCursor{Value: v[0], UserName: v[1]}
}

// peopleQuery is what the list was asked for.
type peopleQuery struct {
	Q, State string // State: "", "active" or "inactive"
	After    string
}

func readPeopleQuery(r *http.Request) peopleQuery {
	v := r.URL.Query()
	q := peopleQuery{Q: strings.TrimSpace(v.Get("q")), State: v.Get("state"), After: v.Get("after")}
	if q.State != "active" && q.State != "inactive" {
		q.State = ""
	}
	return q
}

// link is the list with q's search and state, from after.
func (q peopleQuery) link(after string) string {
	v := url.Values{}
	if q.Q != "" {
		v.Set("q", q.Q)
	}
	if q.State != "" {
		v.Set("state", q.State)
	}
	if after != "" {
		v.Set("after", after)
	}
	if len(v) == 0 {
		return "/admin/people"
	}
	return "/admin/people?" + v.Encode()
}

func (p *Pages) peopleList(w http.ResponseWriter, r *http.Request, c *consoleVisit) {
	data, err := p.peopleData(r, c, readPeopleQuery(r))
	if err != nil {
		status, f := p.explain(r, err)
		data = p.consoleData(c, "people", "People")
		data["Flash"], data["Form"] = f, personForm{Kind: string(licensing.KindPerson)}
		p.render(w, "console_people.html", status, data)
		return
	}
	data["Flash"] = consoleFlash(r, peopleDone)
	p.render(w, "console_people.html", http.StatusOK, data)
}

// peopleData is one page of the list, as GET /api/v1/users would answer
// it (any role reads people).
func (p *Pages) peopleData(r *http.Request, c *consoleVisit, q peopleQuery) (map[string]any, error) {
	data := p.consoleData(c, "people", "People")
	data["Query"], data["Form"] = q, personForm{Kind: string(licensing.KindPerson)}
	if !c.can(api.PermRead) {
		return nil, licensing.Errorf(licensing.CodeForbidden, "reading people needs a console role")
	}
	if len(q.Q) > maxQuery {
		return nil, licensing.FieldErrorf(licensing.CodeInvalid, "q", "a search is at most %d characters", maxQuery)
	}
	f := store.PeopleSearch{Query: q.Q, After: readPeopleCursor(q.After), Limit: peoplePage}
	if q.State != "" {
		on := q.State == "active"
		f.Active = &on
	}
	hits, more, err := p.svc.Store.SearchPeople(r.Context(), f)
	if err != nil {
		return nil, err
	}
	rows := make([]personRow, len(hits))
	for i, h := range hits {
		row := personRow{User: h.User, Link: personLink(h.User.UserName)}
		if e, ok := p.svc.Engine.User(h.User.ID); ok {
			row.Roles = roleLabels(e.Roles)
		}
		if q.Q != "" {
			row.Matched = h.Field.String()
		}
		rows[i] = row
	}
	data["Rows"] = rows
	if more {
		data["Next"] = q.link(peopleCursor(hits[len(hits)-1].Cursor))
	}
	if q.After != "" {
		data["First"] = q.link("")
	}
	return data, nil
}

// roleLabels names roles in words.
func roleLabels(roles []licensing.Role) string {
	out := make([]string, len(roles))
	for i, r := range roles {
		out[i] = roleLabel(r)
	}
	return strings.Join(out, ", ")
}

// roleLabel names a role as the console's header does ("Licence admin").
func roleLabel(r licensing.Role) string { return label(r) }

// personForm is the registration form as typed.
type personForm struct {
	UserName, DisplayName, Email, EmployeeID, ExternalID string
	JobCode, Department, CostCenter, EmployeeType        string
	Groups, Kind                                         string
}

func readPersonForm(v url.Values) personForm {
	t := func(k string) string { return strings.TrimSpace(v.Get(k)) }
	return personForm{UserName: t("user_name"), DisplayName: t("display_name"), Email: t("email"), EmployeeID: t("employee_id"),
		ExternalID: t("external_id"), JobCode: t("job_code"), Department: t("department"), CostCenter: t("cost_center"),
		EmployeeType: t("employee_type"), Groups: v.Get("groups"), Kind: t("kind")}
}

// body is the API's user JSON (POST /api/v1/users, UserInput).
func (f personForm) body() map[string]any {
	groups := []string{}
	for _, g := range strings.FieldsFunc(f.Groups, func(r rune) bool { return r == ',' || r == '\n' }) {
		if g = strings.TrimSpace(g); g != "" {
			groups = append(groups, g)
		}
	}
	return map[string]any{"user_name": f.UserName, "display_name": f.DisplayName, "email": f.Email, "employee_id": f.EmployeeID,
		"external_id": f.ExternalID, "job_code": f.JobCode, "department": f.Department, "cost_center": f.CostCenter,
		"employee_type": f.EmployeeType, "groups": groups, "kind": f.Kind}
}

// peopleRegister registers a person with POST /api/v1/users; a refusal
// shows the form again as typed, the field at fault marked.
func (p *Pages) peopleRegister(w http.ResponseWriter, r *http.Request, c *consoleVisit) {
	f := readPersonForm(r.PostForm)
	var out struct {
		UserName string `json:"user_name"`
	}
	err := p.call(r.Context(), c, http.MethodPost, "/api/v1/users", f.body(), &out)
	if err == nil {
		doneTo(w, r, personLink(out.UserName), "registered")
		return
	}
	status, fl := p.explain(r, err)
	data, derr := p.peopleData(r, c, peopleQuery{})
	if derr != nil {
		data = p.consoleData(c, "people", "People")
	}
	data["Flash"], data["Form"], data["RegisterOpen"] = fl, f, true
	if e, ok := licensing.AsError(err); ok {
		data["Bad"] = e.Field
	}
	p.render(w, "console_people.html", status, data)
}
