package web_test

import (
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

// apiAsAdmin calls the API with the admin token and a JSON body.
func (e *env) apiAsAdmin(method, path, body string, want ...int) page {
	e.t.Helper()
	p := e.doJSON(method, path, body)
	if len(want) > 0 && !slices.Contains(want, p.Status) {
		e.t.Fatalf("%s %s: %d, want %v; %s", method, path, p.Status, want, p.Body)
	}
	return p
}

func (e *env) doJSON(method, path, body string) page {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.admin)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return page{Status: resp.StatusCode, Header: resp.Header, Body: string(b)}
}

// company is the person page's cast: every way of holding a seat.
type company struct {
	catalog
	pia, quin licensing.User // finance by rule; the Night group's members
	adm       consoleAdmins
}

// seedCompany: nina holds a named seat by hand, pia a stakeholder seat by
// the rule "finance"; the group Night gives its members (pia and quin) the
// last named seat, which one takes while the other waits; fred holds the
// floating seat in a session and flo waits in its queue.
func (e *env) seedCompany() company {
	e.t.Helper()
	c := company{catalog: e.seed()}
	a := licensing.System("test")
	var err error
	c.pia, err = e.st.CreateUser(e.ctx, a, licensing.User{UserName: "pia@example.com", DisplayName: "Pia Finance", Email: "pia@example.com", JobCode: "FIN-1", Kind: licensing.KindPerson, Active: true})
	if err != nil {
		e.t.Fatal(err)
	}
	c.quin, err = e.st.CreateUser(e.ctx, a, licensing.User{UserName: "quin@example.com", DisplayName: "Quin Night", Kind: licensing.KindPerson, Active: true})
	if err != nil {
		e.t.Fatal(err)
	}
	e.apiAsAdmin("POST", "/api/v1/rules", `{"id":"finance","when":{"job_code":["FIN-*"]},"grant":[{"sku":"stakeholder"}]}`, http.StatusCreated)
	if _, err := e.st.CreateGroup(e.ctx, a, store.Group{DisplayName: "Night", Members: []string{c.pia.ID, c.quin.ID}}); err != nil {
		e.t.Fatal(err)
	}
	e.apiAsAdmin("PUT", "/api/v1/pools/agents-named/groups/Night", "", http.StatusCreated)
	if _, err := e.st.StartSession(e.ctx, a, c.fred.ID, false, []string{"agents-floating"}); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.st.StartSession(e.ctx, a, c.flo.ID, false, []string{"agents-floating"}); licensing.ErrorCode(err) != licensing.CodeMaxedOut {
		e.t.Fatalf("flo's start: %v, want maxed out and queued", err)
	}
	c.adm = e.consoleAdmins()
	return c
}

func TestConsolePersonPageSections(t *testing.T) {
	e := newEnv(t)
	c := e.seedCompany()
	lena := c.adm.licence

	pia := lena.get("/admin/people/pia@example.com")
	if pia.Status != http.StatusOK {
		t.Fatalf("pia's page: %d %.300s", pia.Status, pia.Body)
	}
	for _, id := range []string{"person-details", "person-seats", "person-activity", "person-signin", "person-roles", "trail", "deactivate-link", "assign-form"} {
		if !hasID(pia.Body, id) {
			t.Errorf("pia's page lacks #%s", id)
		}
	}
	seat := text(element(t, pia.Body, "seat-stakeholders", "tr"))
	if attrOf(t, pia.Body, "seat-stakeholders", "data-kind") != "rule" || !strings.Contains(seat, "Rule finance (version 1): matches job code FIN-1") {
		t.Errorf("pia's stakeholder seat: %q", seat)
	}

	if hasID(pia.Body, "revoke-stakeholders") {
		t.Errorf("a rule's seat offers a revoke the rule would undo")
	}
	if got := text(element(t, pia.Body, "signin-password", "td")); got != "Not set" {
		t.Errorf("pia's password: %q", got)
	}

	// Of the group's two members, one holds the last seat, one waits.
	holder, waiter := pia, lena.get("/admin/people/quin@example.com")
	if !hasID(holder.Body, "seat-agents-named") {
		holder, waiter = waiter, holder
	}
	if seat := text(element(t, holder.Body, "seat-agents-named", "tr")); !strings.Contains(seat, "Member of group Night") || attrOf(t, holder.Body, "seat-agents-named", "data-kind") != "scim-group" {
		t.Errorf("the group's seat: %q", seat)
	}
	if row := text(element(t, waiter.Body, "pending-agents-named", "tr")); !strings.Contains(row, "Pool full") || !strings.Contains(row, "Member of group Night") {
		t.Errorf("the group's pending grant: %q", row)
	}

	nina := lena.get("/admin/people/nina@example.com")
	if seat := text(element(t, nina.Body, "seat-agents-named", "tr")); !strings.Contains(seat, "Assigned by hand by system") || !hasID(nina.Body, "revoke-agents-named") {
		t.Errorf("nina's manual seat: %q", seat)
	}
	if got := text(element(t, nina.Body, "signin-password", "td")); !strings.HasPrefix(got, "Set (last changed") {
		t.Errorf("nina's password: %q", got)
	}
	if !hasID(nina.Body, "no-leases") || !hasID(nina.Body, "no-queue") {
		t.Errorf("nina's page shows leases or queues she has not")
	}

	fred := lena.get("/admin/people/fred@example.com")
	if !hasID(fred.Body, "lease-agents-floating") || !strings.Contains(element(t, fred.Body, "person-sessions", "table"), `class="session"`) {
		t.Errorf("fred's page lacks his lease or session")
	}
	if got := text(element(t, fred.Body, "person-summary", "p")); !strings.Contains(got, "1 seat, 0 pending grants, 1 session, 1 lease") {
		t.Errorf("fred's summary: %q", got)
	}
	flo := lena.get("/admin/people/flo@example.com")
	if got := text(element(t, flo.Body, "person-queue", "ul")); !strings.Contains(got, "Number 1 in the queue of agents-floating") {
		t.Errorf("flo's queue place: %q", got)
	}
	rita := lena.get("/admin/people/rita@example.com")
	if !hasID(rita.Body, "no-seats") || !hasID(rita.Body, "no-roles") {
		t.Errorf("rita's page lacks the empty seats or roles")
	}
	lenaPage := lena.get("/admin/people/lena@example.com")
	if got := text(element(t, lenaPage.Body, "role-list", "ul")); !strings.Contains(got, "Licence admin") {
		t.Errorf("lena's roles: %q", got)
	}
	// Unknown people: the API's not_found.
	if p := lena.get("/admin/people/nobody@example.com"); p.Status != http.StatusNotFound {
		t.Errorf("an unknown person: %d", p.Status)
	}

	// The trail: what happened to nina (her seat), in her name.
	trail := element(t, nina.Body, "person-trail", "table")
	if !strings.Contains(trail, "seat.assign") || !strings.Contains(trail, "pool:agents-named/user:nina@example.com") {
		t.Errorf("nina's trail lacks her seat: %s", text(trail))
	}
	// The identity administrator reads people but not the audit log.
	if p := c.adm.identity.get("/admin/people/nina@example.com"); !hasID(p.Body, "trail-refused") || hasID(p.Body, "person-trail") {
		t.Errorf("the identity administrator sees the trail")
	}
	// Forms a role may not use are shown closed, with why.
	aldo := c.adm.auditing.get("/admin/people/nina@example.com")
	if !strings.Contains(element(t, aldo.Body, "assign-pool", "select"), "disabled") || !hasID(aldo.Body, "roles-disabled") {
		t.Errorf("the auditor's forms are not closed")
	}
}

var trailRowRE = regexp.MustCompile(`<tr class="entry" data-seq="(\d+)"`)

func TestConsolePersonTrailPages(t *testing.T) {
	e := newEnv(t)
	c := e.seedCompany()
	for i := 0; i < 40; i++ {
		if err := e.st.RecordEvent(e.ctx, licensing.Actor{Name: "web:nina@example.com", Source: "test"}, "ticket.comment", fmt.Sprintf("ticket:INC-%d", i), "ok", ""); err != nil {
			t.Fatal(err)
		}
		if err := e.st.RecordEvent(e.ctx, licensing.Actor{Name: "web:rob@example.com", Source: "test"}, "ticket.comment", "ticket:X", "ok", ""); err != nil {
			t.Fatal(err)
		}
	}
	var seqs []string
	path := "/admin/people/nina@example.com"
	for pages := 0; path != ""; pages++ {
		p := c.adm.auditing.get(path)
		rows := trailRowRE.FindAllStringSubmatch(p.Body, -1)
		if len(rows) > 25 {
			t.Fatalf("a trail page of %d", len(rows))
		}
		for _, m := range rows {
			seqs = append(seqs, m[1])
		}
		path = ""
		if hasID(p.Body, "trail-more") {
			path = attrOf(t, p.Body, "trail-more", "href")
			if !hasID(c.adm.auditing.get(path).Body, "trail-first") {
				t.Errorf("an older page has no way back to the newest")
			}
		}
		if pages > 10 {
			t.Fatal("the trail does not end")
		}
	}
	want, _, err := e.st.PersonTrail(e.ctx, c.nina, 0, 500)
	if err != nil {
		t.Fatal(err)
	}
	if len(seqs) != len(want) || len(seqs) < 41 {
		t.Fatalf("the trail pages list %d entries, want %d (at least 41)", len(seqs), len(want))
	}
	for i, w := range want {
		if seqs[i] != fmt.Sprint(w.Seq) {
			t.Fatalf("entry %d: %s, want %d", i, seqs[i], w.Seq)
		}
	}
}
