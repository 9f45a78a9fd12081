package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

// consoleAdmins are a licence administrator, an identity administrator and
// an auditor, each signed in.
type consoleAdmins struct {
	lena, ida, aldo             licensing.User
	licence, identity, auditing *user
}

func (e *env) consoleAdmins() consoleAdmins {
	e.t.Helper()
	var a consoleAdmins
	a.lena = e.person("lena@example.com", "Lena Licence")
	e.grant(a.lena, licensing.RoleLicenceAdmin)
	a.ida = e.person("ida@example.com", "Ida Identity")
	e.grant(a.ida, licensing.RoleIdentityAdmin)
	a.aldo = e.person("aldo@example.com", "Aldo Auditor")
	e.grant(a.aldo, licensing.RoleAuditor)
	a.licence, a.identity, a.auditing = e.login(a.lena), e.login(a.ida), e.login(a.aldo)
	return a
}

var personRowRE = regexp.MustCompile(`<tr class="person" data-user="([^"]+)"`)

// listed returns the user names of a people list page, in order.
func listed(body string) []string {
	var out []string
	for _, m := range personRowRE.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

// walk follows a people list's next-page links from path and returns
// everyone listed, failing on a page that repeats anyone.
func walk(t *testing.T, b *user, path string) []string {
	t.Helper()
	var all []string
	for pages := 0; path != ""; pages++ {
		p := b.get(path)
		if p.Status != http.StatusOK {
			t.Fatalf("GET %s: %d %.300s", path, p.Status, p.Body)
		}
		rows := listed(p.Body)
		if len(rows) > 50 {
			t.Fatalf("a page of %d people", len(rows))
		}
		all = append(all, rows...)
		path = ""
		if hasID(p.Body, "people-next") {
			path = attrOf(t, p.Body, "people-next", "href")
		}
		if pages > 100 {
			t.Fatal("the list does not end")
		}
	}
	return all
}

func TestConsolePeopleSearchAndPaging(t *testing.T) {
	e := newEnv(t)
	adm := e.consoleAdmins()
	a := licensing.System("test")
	var names []string
	for i := 0; i < 130; i++ {
		u := licensing.User{UserName: fmt.Sprintf("user%03d@corp.example", i), DisplayName: fmt.Sprintf("Person %03d", 129-i),
			Email: fmt.Sprintf("mail%03d@corp.example", i), EmployeeID: fmt.Sprintf("E-%04d", i), Kind: licensing.KindPerson, Active: i%10 != 3}
		if i == 7 {
			u.DisplayName = "Zoë Ündercase"
		}
		if _, err := e.st.CreateUser(e.ctx, a, u); err != nil {
			t.Fatal(err)
		}
		names = append(names, u.UserName)
	}
	everyone := append(slices.Clone(names), "aldo@example.com", "ida@example.com", "lena@example.com")
	slices.Sort(everyone)

	// Paging: every person once, by user name, 50 a page.
	if got := walk(t, adm.auditing, "/admin/people"); !slices.Equal(got, everyone) {
		t.Errorf("the pages list %d people:\n%v\nwant %d", len(got), got, len(everyone))
	}
	// The status filter.
	var inactive []string
	for i, n := range names {
		if i%10 == 3 {
			inactive = append(inactive, n)
		}
	}
	if got := walk(t, adm.auditing, "/admin/people?state=inactive"); !slices.Equal(got, inactive) {
		t.Errorf("inactive: %v, want %v", got, inactive)
	}
	if got := walk(t, adm.auditing, "/admin/people?state=active"); len(got) != len(everyone)-len(inactive) {
		t.Errorf("active: %d people, want %d", len(got), len(everyone)-len(inactive))
	}
	// Search by each attribute's start, any case, found by what matched.
	for _, c := range []struct {
		q, want, by string
	}{
		{"USER012", "user012@corp.example", "user name"},
		{"mail00", "user000@corp.example", "email"},
		{"e-0042", "user042@corp.example", "employee ID"},
		{"zoë ü", "user007@corp.example", "display name"},
		{"ZOË", "user007@corp.example", "display name"},
	} {
		p := adm.auditing.get("/admin/people?q=" + url.QueryEscape(c.q))
		got := listed(p.Body)
		if len(got) == 0 || got[0] != c.want || !strings.Contains(text(element(t, p.Body, "people-table", "table")), c.by) {
			t.Errorf("search %q: %v, want %s first, found by %s", c.q, got, c.want, c.by)
		}
	}
	// "Person 1" starts the display names Person 100 to 129 but 122 (Zoë).
	got := walk(t, adm.auditing, "/admin/people?q=person+1")
	if len(got) != 29 || got[0] != "user029@corp.example" {
		t.Errorf("person 1: %d people from %v, want 29 from Person 100 (user029)", len(got), got)
	}
	if p := adm.auditing.get("/admin/people?q=nobody-here"); !hasID(p.Body, "people-none") {
		t.Errorf("a search that finds nobody says so")
	}
	// A cursor the server did not write starts at the beginning.
	if p := adm.auditing.get("/admin/people?after=%%%"); p.Status != http.StatusOK || listed(p.Body)[0] != everyone[0] {
		t.Errorf("a bad cursor: %d", p.Status)
	}
	// The search is the store's indexed one.
	plans, err := e.st.ExplainPeopleSearch(e.ctx, store.PeopleSearch{Query: "person 1"})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range plans {
		if strings.Contains(p, "SCAN") || !strings.Contains(p, "USING INDEX users_search_") {
			t.Errorf("the search scans: %s", p)
		}
	}
}

func TestConsolePeopleRegister(t *testing.T) {
	e := newEnv(t)
	adm := e.consoleAdmins()
	form := url.Values{"user_name": {"new.person@example.com"}, "display_name": {"New Person"}, "email": {"new.person@example.com"},
		"employee_id": {"E-9"}, "job_code": {"ITSD-2"}, "groups": {"Desk, Night shift"}, "kind": {"person"}}
	// An auditor reads but registers nobody: the API's 403.
	p := adm.auditing.post("/admin/people", form)
	if _, code, _ := flashOf(t, p.Body); p.Status != http.StatusForbidden || code != licensing.CodeForbidden {
		t.Errorf("auditor registers: %d %q", p.Status, code)
	}
	if !hasID(adm.auditing.get("/admin/people").Body, "register-disabled") {
		t.Errorf("the auditor's form is not marked as closed to them")
	}
	if _, err := e.st.GetUser(e.ctx, "new.person@example.com"); licensing.ErrorCode(err) != licensing.CodeNotFound {
		t.Fatalf("the refused person exists: %v", err)
	}
	// An identity administrator registers; the page is the person's.
	p = adm.identity.post("/admin/people", form)
	if p.Status != http.StatusSeeOther || p.Location() != "/admin/people/new.person@example.com?done=registered" {
		t.Fatalf("register: %d %q %.300s", p.Status, p.Location(), p.Body)
	}
	u, err := e.st.GetUser(e.ctx, "new.person@example.com")
	if err != nil || u.DisplayName != "New Person" || u.JobCode != "ITSD-2" || !slices.Equal(u.Groups, []string{"Desk", "Night shift"}) {
		t.Fatalf("registered %+v err %v", u, err)
	}
	page := adm.identity.get(p.Location())
	if class, _, msg := flashOf(t, page.Body); class != "ok" || !strings.Contains(msg, "registered") {
		t.Errorf("flash %q %q", class, msg)
	}
	if !e.audited("user.create", "user:new.person@example.com", "web:ida@example.com") {
		t.Errorf("no user.create audited as the identity administrator")
	}
	// Registering the same user name again: the API's conflict, the form
	// as typed, the field marked.
	form.Set("display_name", "Second Try")
	p = adm.licence.post("/admin/people", form)
	if _, code, _ := flashOf(t, p.Body); p.Status != http.StatusConflict || code != licensing.CodeConflict {
		t.Errorf("duplicate: %d %q", p.Status, code)
	}
	if attrOf(t, p.Body, "f-display_name", "value") != "Second Try" || attrOf(t, p.Body, "f-user_name", "aria-invalid") != "true" {
		t.Errorf("the refused form lost what was typed or does not mark the user name")
	}
	// A bad email: the API's invalid_request naming the field.
	form.Set("user_name", "other@example.com")
	form.Set("email", "not an address")
	p = adm.licence.post("/admin/people", form)
	if _, code, _ := flashOf(t, p.Body); p.Status != http.StatusBadRequest || code != licensing.CodeInvalid || attrOf(t, p.Body, "f-email", "aria-invalid") != "true" {
		t.Errorf("bad email: %d %q", p.Status, code)
	}
	// Found by search at once.
	if got := listed(adm.licence.get("/admin/people?q=new+per").Body); !slices.Equal(got, []string{"new.person@example.com"}) {
		t.Errorf("search for the new person: %v", got)
	}
	// The break-glass admin token opens the area and registers too.
	bg := e.browser()
	e.signIn(bg)
	list := e.do(bg, "GET", "/admin/people", nil, "")
	if list.Status != http.StatusOK || !slices.Contains(listed(list.Body), "new.person@example.com") {
		t.Fatalf("the admin token's people list: %d", list.Status)
	}
	form = url.Values{"user_name": {"glass@example.com"}, "kind": {"person"}, "csrf": {csrfOf(t, list.Body)}}
	if p := e.do(bg, "POST", "/admin/people", form, e.srv.URL); p.Status != http.StatusSeeOther {
		t.Errorf("register with the admin token: %d %.300s", p.Status, p.Body)
	}
	if !e.audited("user.create", "user:glass@example.com", "token:console-admin") {
		t.Errorf("the token's registration is not audited as the token's")
	}
}

// audited reports whether the log holds an entry of action about subject
// by actor.
func (e *env) audited(action, subject, actor string) bool {
	e.t.Helper()
	if _, err := e.st.ChainPending(e.ctx); err != nil {
		e.t.Fatal(err)
	}
	entries, err := e.st.ListAudit(e.ctx, 0, 100000)
	if err != nil {
		e.t.Fatalf("ListAudit: %v", err)
	}
	for _, x := range entries {
		if x.Action == action && x.Subject == subject && x.Actor == actor {
			return true
		}
	}
	return false
}
