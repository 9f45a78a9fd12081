package api

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/store"
)

// newIntegration creates an integration through the API and returns it
// with its token.
func (e *testEnv) newIntegration(name, mode string) integrationJSON {
	e.t.Helper()
	var in integrationJSON
	e.must(201, "POST", "/api/v1/integrations", map[string]string{"name": name, "mode": mode}).into(e.t, &in)
	if in.Token == "" {
		e.t.Fatalf("integration %s created without its token", name)
	}
	return in
}

// setMode changes an integration's mode through the API.
func (e *testEnv) setMode(name, mode string) {
	e.t.Helper()
	var in integrationJSON
	e.must(200, "PUT", "/api/v1/integrations/"+name, map[string]string{"mode": mode}).into(e.t, &in)
	if in.Mode != mode {
		e.t.Fatalf("PUT mode %s answered %+v", mode, in)
	}
}

// auditSince returns the audit entries written after seq n.
func (e *testEnv) auditSince(n int) []map[string]any {
	e.t.Helper()
	return e.lastAudit(e.auditCount() - n)
}

// workNotes returns a ticket's work notes (admin view).
func (e *testEnv) workNotes(key string) []noteJSON { return e.getTicket(key).WorkNotes }

// deskFixture: ann holds a named agent seat, cid is registered for the
// concurrent pool, bob, dee and eve are requesters; bob has INC-000001.
func deskFixture(t *testing.T) (*testEnv, string) {
	e := newTestEnv(t)
	e.seedDesk()
	e.must(201, "PUT", "/api/v1/pools/agents-named/members/ann@example.com", nil)
	e.must(201, "PUT", "/api/v1/pools/agents-floating/members/cid@example.com", nil)
	desk := e.token("desk", store.ScopePlatform, 0)
	e.newTicket(desk, "bob@example.com", "VPN down")
	return e, desk
}

// TestIntegrationLifecycle: create (token shown once), the acting-user
// header, mode changes, revocation (DESIGN §3.5, §5).
func TestIntegrationLifecycle(t *testing.T) {
	e, _ := deskFixture(t)

	r := e.must(201, "POST", "/api/v1/integrations", `{"name":"slack-hub","mode":"enforce"}`)
	var hub integrationJSON
	r.into(t, &hub)
	if hub.ID == "" || hub.Name != "slack-hub" || hub.Mode != "enforce" || hub.Token == "" || hub.ServiceAccount != "slack-hub" {
		t.Fatalf("POST /api/v1/integrations = %s, want id, name, mode enforce, token and its service account", r)
	}
	if loc := r.Header.Get("Location"); loc != "/api/v1/integrations/"+hub.ID {
		t.Errorf("Location %q", loc)
	}
	// The token is shown once: never again.
	for _, p := range []string{"/api/v1/integrations/" + hub.ID, "/api/v1/integrations/slack-hub", "/api/v1/integrations"} {
		r := e.must(200, "GET", p, nil)
		if strings.Contains(string(r.Body), hub.Token) || strings.Contains(string(r.Body), `"token"`) {
			t.Errorf("GET %s shows the token: %s", p, r)
		}
	}
	var list struct {
		Integrations []integrationJSON `json:"integrations"`
	}
	e.must(200, "GET", "/api/v1/integrations", nil).into(t, &list)
	if len(list.Integrations) != 1 || list.Integrations[0].ID != hub.ID || list.Integrations[0].Mode != "enforce" {
		t.Errorf("GET /api/v1/integrations = %+v", list.Integrations)
	}
	// Its service account is a service user.
	var u userJSON
	e.must(200, "GET", "/api/v1/users/slack-hub", nil).into(t, &u)
	if u.Kind != "service" {
		t.Errorf("service account kind %q, want service", u.Kind)
	}
	// Names are unique; bad names and modes are refused.
	wantError(t, e.call("POST", "/api/v1/integrations", `{"name":"slack-hub","mode":"monitor"}`), 409, "conflict", "name")
	e.must(201, "POST", "/api/v1/users", `{"user_name":"taken","kind":"person"}`)
	wantError(t, e.call("POST", "/api/v1/integrations", `{"name":"taken","mode":"monitor"}`), 409, "conflict", "name")
	wantError(t, e.call("POST", "/api/v1/integrations", `{"name":"Slack Hub!","mode":"monitor"}`), 400, "invalid_request", "name")
	wantError(t, e.call("POST", "/api/v1/integrations", `{"name":"x","mode":"lenient"}`), 400, "invalid_request", "mode")

	// Every call must name the acting user.
	wantError(t, e.request("POST", "/api/v1/tickets", hub.Token, `{"title":"x"}`), 400, "invalid_request", ActingUserHeader)
	wantError(t, e.request("GET", "/api/v1/tickets", hub.Token, nil), 400, "invalid_request", ActingUserHeader)
	wantError(t, e.request("POST", "/api/v1/tickets/INC-000001/transition", hub.Token, `{"to":"in_progress"}`, ActingUserHeader, " "), 400, "invalid_request", ActingUserHeader)

	// It calls the desk, never the readers' or the admin's routes.
	for _, p := range []string{"/api/v1/integrations", "/api/v1/integrations/slack-hub", "/api/v1/reports/multiplexing", "/api/v1/pools"} {
		wantError(t, e.request("GET", p, hub.Token, nil, as("ann@example.com")...), 403, "forbidden", "")
	}
	wantError(t, e.request("PUT", "/api/v1/integrations/slack-hub", hub.Token, `{"mode":"monitor"}`, as("ann@example.com")...), 403, "forbidden", "")

	// A mode change takes effect at once.
	move := func() reply {
		return e.request("POST", "/api/v1/tickets/INC-000001/transition", hub.Token, `{"to":"in_progress"}`, as("bob@example.com")...)
	}
	wantError(t, move(), 403, "multiplexing_blocked", "-")
	e.setMode("slack-hub", "propose")
	if r := move(); r.Status != 202 {
		t.Errorf("after PUT mode propose: status %d, want 202; body %s", r.Status, r)
	}
	e.setMode(hub.ID, "monitor")
	if r := move(); r.Status != 200 {
		t.Errorf("after PUT mode monitor: status %d, want 200; body %s", r.Status, r)
	}
	e.setMode("slack-hub", "enforce")
	wantError(t, e.request("POST", "/api/v1/tickets/INC-000001/transition", hub.Token, `{"to":"on_hold"}`, as("bob@example.com")...), 403, "multiplexing_blocked", "-")
	wantError(t, e.call("PUT", "/api/v1/integrations/slack-hub", `{"mode":"off"}`), 400, "invalid_request", "mode")
	wantError(t, e.call("PUT", "/api/v1/integrations/nope", `{"mode":"monitor"}`), 404, "not_found", "-")

	// DELETE revokes the token at once; the name is free again.
	e.must(204, "DELETE", "/api/v1/integrations/slack-hub", nil)
	wantError(t, e.request("POST", "/api/v1/tickets", hub.Token, `{"title":"x"}`, as("bob@example.com")...), 401, "unauthorized", "-")
	wantError(t, e.call("GET", "/api/v1/integrations/slack-hub", nil), 404, "not_found", "-")
	wantError(t, e.call("DELETE", "/api/v1/integrations/slack-hub", nil), 404, "not_found", "-")
	again := e.newIntegration("slack-hub", "monitor")
	if again.ID == hub.ID || again.Token == hub.Token {
		t.Errorf("re-created integration reuses id or token: %+v", again)
	}
	if r := e.request("POST", "/api/v1/tickets", again.Token, `{"title":"x"}`, as("bob@example.com")...); r.Status != 201 {
		t.Errorf("new token: status %d; body %s", r.Status, r)
	}
	wantError(t, e.request("POST", "/api/v1/tickets", hub.Token, `{"title":"x"}`, as("bob@example.com")...), 401, "unauthorized", "-")

	// The audit log has the lifecycle.
	acts := map[string]bool{}
	for _, en := range e.lastAudit(100) {
		if strings.HasPrefix(en["subject"].(string), "integration:slack-hub") {
			acts[en["action"].(string)] = true
		}
	}
	for _, a := range []string{"integration.create", "integration.mode", "integration.delete"} {
		if !acts[a] {
			t.Errorf("no %s audit entry (have %v)", a, keys(anyMap(acts)))
		}
	}
}

// TestIntegrationEnforce: the acting person's own seat decides; requester
// capabilities pass; every change is stamped and audited with the person.
func TestIntegrationEnforce(t *testing.T) {
	e, _ := deskFixture(t)
	hub := e.newIntegration("slack-hub", "enforce")
	call := func(who, method, path string, body any, hdr ...string) reply {
		return e.request(method, path, hub.Token, body, as(who, hdr...)...)
	}

	// A requester (by employee ID) submits a ticket: 201, stamped, audited.
	n := e.auditCount()
	r := call("E101", "POST", "/api/v1/tickets", `{"title":"Laptop slow","category":"hardware"}`)
	if r.Status != 201 {
		t.Fatalf("integration create for bob: status %d; body %s", r.Status, r)
	}
	tk, _ := e.ticketOf(t, r)
	if tk.Number != "INC-000002" || tk.Requester != "bob@example.com" {
		t.Errorf("created %+v, want INC-000002 for bob", tk)
	}
	notes := e.workNotes("INC-000002")
	if len(notes) != 1 || !strings.Contains(notes[0].Body, "via slack-hub on behalf of bob (E101)") ||
		notes[0].Via != "slack-hub" || notes[0].ActingUser != "bob@example.com" || notes[0].Author != "slack-hub" || notes[0].At.IsZero() {
		t.Errorf("work notes after the integration's create = %+v, want the stamp \"… via slack-hub on behalf of bob (E101)\"", notes)
	}
	var created map[string]any
	for _, en := range e.auditSince(n) {
		if en["action"] == "ticket.create" {
			created = en
		}
	}
	if created == nil || created["actor"] != "slack-hub" || created["acting_user"] != "bob@example.com" || created["subject"] != "ticket:INC-000002" {
		t.Errorf("ticket.create audit entry = %v, want actor slack-hub (the service account) acting for bob@example.com", created)
	}
	// Bob may comment on his own ticket through it.
	if r := call("bob@example.com", "POST", "/api/v1/tickets/INC-000002/comments", `{"body":"thanks"}`); r.Status != 201 {
		t.Errorf("requester comment through the integration: status %d; body %s", r.Status, r)
	}

	// An unlicensed acting person may not do agent work through it: refused
	// with multiplexing_blocked, nothing changed, the refusal audited.
	before := e.getTicket("INC-000001")
	n = e.auditCount()
	for _, tc := range []struct{ method, path, body string }{
		{"POST", "/api/v1/tickets/INC-000001/transition", `{"to":"in_progress"}`},
		{"POST", "/api/v1/tickets/INC-000001/work-notes", `{"body":"x"}`},
		{"POST", "/api/v1/tickets/INC-000001/assign", `{"assignee":"ann@example.com"}`},
		{"PATCH", "/api/v1/tickets/INC-000001", `{"priority":"high"}`},
		{"GET", "/api/v1/tickets", ""},
	} {
		var body any
		if tc.body != "" {
			body = tc.body
		}
		wantError(t, call("dee@example.com", tc.method, tc.path, body), 403, "multiplexing_blocked", "-")
	}
	if after := e.getTicket("INC-000001"); !reflect.DeepEqual(after, before) {
		t.Errorf("blocked calls changed the ticket:\n got  %+v\n want %+v", after, before)
	}
	for _, en := range e.auditSince(n) {
		if en["action"] != "integration.blocked" && en["action"] != "decision.deny" {
			t.Errorf("a blocked call wrote %v", en)
		}
		if en["action"] == "integration.blocked" && (en["actor"] != "slack-hub" || en["acting_user"] != "dee@example.com") {
			t.Errorf("integration.blocked entry %v, want actor slack-hub (the service account) acting for dee", en)
		}
	}

	// A licensed agent's change passes, stamped with who and how.
	r = call("ann@example.com", "POST", "/api/v1/tickets/INC-000001/transition", `{"to":"in_progress"}`)
	if r.Status != 200 {
		t.Fatalf("licensed agent through the integration: status %d; body %s", r.Status, r)
	}
	tk, _ = e.ticketOf(t, r)
	if tk.State != "in_progress" {
		t.Errorf("state %s, want in_progress", tk.State)
	}
	stamp := tk.WorkNotes[len(tk.WorkNotes)-1]
	if !strings.Contains(stamp.Body, "via slack-hub on behalf of Ann Lee (E100)") || stamp.ActingUser != "ann@example.com" || stamp.Via != "slack-hub" {
		t.Errorf("stamp %+v, want \"… via slack-hub on behalf of Ann Lee (E100)\"", stamp)
	}
	h := tk.History[len(tk.History)-1]
	if h.Field != "state" || h.ActingUser != "ann@example.com" || h.Via != "slack-hub" || h.Actor != "slack-hub" {
		t.Errorf("history entry %+v, want the state change by slack-hub acting for ann", h)
	}
	last := e.lastAudit(1)[0]
	if last["action"] != "ticket.transition" || last["actor"] != "slack-hub" || last["acting_user"] != "ann@example.com" {
		t.Errorf("audit entry %v, want ticket.transition by slack-hub (the service account) acting for ann", last)
	}
	// A work note by the agent carries the acting user and the integration.
	tk, _ = e.ticketOf(t, e.mustAs(t, 201, hub.Token, "ann@example.com", "POST", "/api/v1/tickets/INC-000001/work-notes", `{"body":"rebooted"}`))
	found := false
	for _, wn := range tk.WorkNotes {
		if wn.Body == "rebooted" {
			found = wn.ActingUser == "ann@example.com" && wn.Via == "slack-hub"
		}
	}
	if !found {
		t.Errorf("agent's work note through the integration: %+v, want acting_user ann and via slack-hub", tk.WorkNotes)
	}

	// An unknown acting user: a ticket is still accepted (for the service
	// account), marked unverified; agent work is blocked.
	n = e.auditCount()
	r = call("ghost@example.com", "POST", "/api/v1/tickets", `{"title":"Who am I"}`)
	if r.Status != 201 {
		t.Fatalf("unknown acting user creates: status %d; body %s", r.Status, r)
	}
	tk, _ = e.ticketOf(t, r)
	if tk.Requester != "slack-hub" {
		t.Errorf("requester %q, want the service account", tk.Requester)
	}
	notes = e.workNotes(tk.Number)
	if len(notes) != 1 || !strings.Contains(notes[0].Body, `"ghost@example.com" (unverified)`) || notes[0].ActingUser != "unverified:ghost@example.com" {
		t.Errorf("stamp for an unknown acting user = %+v, want (unverified)", notes)
	}
	created = nil
	for _, en := range e.auditSince(n) {
		if en["action"] == "ticket.create" {
			created = en
		}
	}
	if created == nil || created["acting_user"] != "unverified:ghost@example.com" || created["actor"] != "slack-hub" {
		t.Errorf("audit for an unknown acting user = %v, want acting_user unverified:ghost@example.com", created)
	}
	before = e.getTicket(tk.Number)
	wantError(t, call("ghost@example.com", "POST", "/api/v1/tickets/"+tk.Number+"/transition", `{"to":"in_progress"}`), 403, "multiplexing_blocked", "-")
	if after := e.getTicket(tk.Number); !reflect.DeepEqual(after, before) {
		t.Errorf("an unknown acting user's agent work changed the ticket")
	}
	// A service account is not a person to act for.
	e.newIntegration("teams-bot", "monitor")
	wantError(t, call("teams-bot", "POST", "/api/v1/tickets/INC-000001/transition", `{"to":"on_hold"}`), 403, "multiplexing_blocked", "-")

	// The integration acts with the person's own seat only: not in another
	// person's session, whose lease stays untouched.
	var cid sessionOut
	e.must(201, "POST", "/api/v1/sessions", `{"user":"cid@example.com"}`).into(t, &cid)
	if len(cid.Leases) != 1 {
		t.Fatalf("cid's session = %+v, want a lease", cid)
	}
	before = e.getTicket("INC-000001")
	r = call("dee@example.com", "POST", "/api/v1/tickets/INC-000001/transition", `{"to":"on_hold"}`, SessionHeader, cid.ID)
	if r.Status != 403 {
		t.Errorf("integration acting for dee in cid's session: status %d, want 403; body %s", r.Status, r)
	}
	if after := e.getTicket("INC-000001"); !reflect.DeepEqual(after, before) {
		t.Errorf("a call in another person's session changed the ticket")
	}
	// Cid's own lease is cid's own seat.
	if r := call("cid@example.com", "POST", "/api/v1/tickets/INC-000001/transition", `{"to":"on_hold"}`); r.Status != 200 {
		t.Errorf("integration acting for cid, who holds a lease: status %d, want 200; body %s", r.Status, r)
	}
	// Sessions started by the integration are for its acting person only.
	wantError(t, call("dee@example.com", "POST", "/api/v1/sessions", `{"user":"cid@example.com"}`), 403, "forbidden", "user")
	wantError(t, call("dee@example.com", "GET", "/api/v1/sessions/"+cid.ID, nil), 404, "not_found", "-")
}

// TestIntegrationPropose: an unlicensed person's change is held until a
// licensed agent confirms or rejects it.
func TestIntegrationPropose(t *testing.T) {
	e, desk := deskFixture(t)
	bot := e.newIntegration("teams-bot", "propose")
	call := func(who, method, path string, body any) reply {
		return e.request(method, path, bot.Token, body, as(who)...)
	}
	before := e.getTicket("INC-000001")
	r := call("dee@example.com", "POST", "/api/v1/tickets/INC-000001/transition", `{"to":"in_progress"}`)
	if r.Status != 202 {
		t.Fatalf("propose mode, unlicensed transition: status %d, want 202; body %s", r.Status, r)
	}
	var acc struct {
		Proposal string `json:"proposal"`
		State    string `json:"state"`
	}
	r.into(t, &acc)
	if acc.Proposal == "" || acc.State != "pending" {
		t.Fatalf("202 answer %s, want {proposal, state pending}", r)
	}
	after := e.getTicket("INC-000001")
	if after.State != before.State || after.Version != before.Version || !reflect.DeepEqual(after.History, before.History) {
		t.Errorf("a proposal changed the ticket: state %s version %d", after.State, after.Version)
	}
	// Two more: a priority change (to reject) and a work note.
	r = call("dee@example.com", "PATCH", "/api/v1/tickets/INC-000001", `{"priority":"critical"}`)
	var acc2 struct {
		Proposal string `json:"proposal"`
	}
	if r.Status != 202 {
		t.Fatalf("propose PATCH: status %d; body %s", r.Status, r)
	}
	r.into(t, &acc2)
	if r := call("ghost@example.com", "POST", "/api/v1/tickets/INC-000001/work-notes", `{"body":"from nobody"}`); r.Status != 202 {
		t.Errorf("propose for an unknown acting user: status %d; body %s", r.Status, r)
	}
	// Requester capabilities are not held.
	if r := call("bob@example.com", "POST", "/api/v1/tickets/INC-000001/comments", `{"body":"any news?"}`); r.Status != 201 {
		t.Errorf("requester comment in propose mode: status %d, want 201; body %s", r.Status, r)
	}
	// Licensed agents' changes are not held either.
	if r := call("ann@example.com", "POST", "/api/v1/tickets/INC-000001/assign", `{"assignee":"ann@example.com"}`); r.Status != 200 {
		t.Errorf("licensed agent in propose mode: status %d, want 200; body %s", r.Status, r)
	}
	// Articles cannot be proposed.
	wantError(t, call("dee@example.com", "POST", "/api/v1/articles", `{"title":"x"}`), 403, "multiplexing_blocked", "-")

	var list struct {
		Proposals []proposalJSON `json:"proposals"`
	}
	e.mustAs(t, 200, desk, "ann@example.com", "GET", "/api/v1/proposals?state=pending", nil).into(t, &list)
	if len(list.Proposals) != 3 {
		t.Fatalf("pending proposals = %+v, want 3", list.Proposals)
	}
	var p proposalJSON
	for _, x := range list.Proposals {
		if x.ID == acc.Proposal {
			p = x
		}
	}
	if p.State != "pending" || p.Ticket != "INC-000001" || p.Capability != "ticket.transition" || p.Integration != "teams-bot" ||
		p.ActingUser != "dee@example.com" || !p.Verified || p.Change.State != "in_progress" || p.CreatedAt.IsZero() {
		t.Errorf("proposal %+v, want pending ticket.transition of INC-000001 by teams-bot for dee", p)
	}
	var one proposalJSON
	e.must(200, "GET", "/api/v1/proposals/"+acc.Proposal, nil).into(t, &one)
	if one.ID != acc.Proposal || one.State != "pending" {
		t.Errorf("GET proposal = %+v", one)
	}
	// Requesters see no proposals.
	wantError(t, e.requestAs(desk, "bob@example.com", "GET", "/api/v1/proposals", nil), 403, "no_licence", "-")
	wantError(t, e.requestAs(desk, "bob@example.com", "GET", "/api/v1/proposals/"+acc.Proposal, nil), 403, "no_licence", "-")

	// Nobody but a licensed agent decides: not the integration (even acting
	// for an agent), not a requester.
	wantError(t, call("dee@example.com", "POST", "/api/v1/proposals/"+acc.Proposal+"/confirm", nil), 403, "forbidden", "-")
	wantError(t, call("ann@example.com", "POST", "/api/v1/proposals/"+acc.Proposal+"/confirm", nil), 403, "forbidden", "-")
	wantError(t, e.requestAs(desk, "bob@example.com", "POST", "/api/v1/proposals/"+acc.Proposal+"/confirm", nil), 403, "no_licence", "-")
	if got := e.getTicket("INC-000001"); got.State != "new" {
		t.Errorf("refused confirmations moved the ticket to %s", got.State)
	}

	// Ann confirms: the change is applied as hers.
	r = e.mustAs(t, 200, desk, "ann@example.com", "POST", "/api/v1/proposals/"+acc.Proposal+"/confirm", nil)
	var dec struct {
		Proposal proposalJSON `json:"proposal"`
		Ticket   ticketJSON   `json:"ticket"`
	}
	r.into(t, &dec)
	if dec.Proposal.State != "confirmed" || dec.Proposal.DecidedBy != "ann@example.com" || dec.Proposal.DecidedAt == nil || dec.Ticket.State != "in_progress" {
		t.Errorf("confirm = %s, want confirmed by ann and the ticket in progress", r)
	}
	got := e.getTicket("INC-000001")
	if got.State != "in_progress" {
		t.Errorf("ticket after confirm: state %s, want in_progress", got.State)
	}
	if h := got.History[len(got.History)-1]; h.Field != "state" || h.To != "in_progress" || h.Actor != "ann@example.com" {
		t.Errorf("history after confirm: %+v, want ann's state change", h)
	}
	// A second decision is a conflict, either way.
	wantError(t, e.requestAs(desk, "ann@example.com", "POST", "/api/v1/proposals/"+acc.Proposal+"/confirm", nil), 409, "conflict", "-")
	wantError(t, e.requestAs(desk, "ann@example.com", "POST", "/api/v1/proposals/"+acc.Proposal+"/reject", nil), 409, "conflict", "-")

	// Ann rejects the priority change with a reason: nothing applied.
	before = e.getTicket("INC-000001")
	r = e.mustAs(t, 200, desk, "ann@example.com", "POST", "/api/v1/proposals/"+acc2.Proposal+"/reject", `{"reason":"not critical"}`)
	var rej struct {
		Proposal proposalJSON `json:"proposal"`
	}
	r.into(t, &rej)
	if rej.Proposal.State != "rejected" || rej.Proposal.Reason != "not critical" || rej.Proposal.DecidedBy != "ann@example.com" {
		t.Errorf("reject = %s", r)
	}
	if after := e.getTicket("INC-000001"); after.Priority != "medium" || after.Version != before.Version {
		t.Errorf("a rejected proposal changed the ticket: priority %s version %d→%d", after.Priority, before.Version, after.Version)
	}
	wantError(t, e.requestAs(desk, "ann@example.com", "POST", "/api/v1/proposals/"+acc2.Proposal+"/confirm", nil), 409, "conflict", "-")
	wantError(t, e.requestAs(desk, "ann@example.com", "POST", "/api/v1/proposals/prp_nope/confirm", nil), 404, "not_found", "-")

	e.must(200, "GET", "/api/v1/proposals?state=confirmed", nil).into(t, &list)
	if len(list.Proposals) != 1 || list.Proposals[0].ID != acc.Proposal {
		t.Errorf("confirmed proposals = %+v", list.Proposals)
	}
	e.must(200, "GET", "/api/v1/proposals", nil).into(t, &list)
	if len(list.Proposals) != 3 {
		t.Errorf("all proposals = %d, want 3", len(list.Proposals))
	}
	// The decisions are audited by the agent.
	acts := map[string]string{}
	for _, en := range e.lastAudit(40) {
		if strings.HasPrefix(en["action"].(string), "proposal.") {
			acts[en["action"].(string)] = en["actor"].(string) + "/" + en["acting_user"].(string)
		}
	}
	if acts["proposal.create"] != "teams-bot/unverified:ghost@example.com" || !strings.HasSuffix(acts["proposal.confirm"], "/ann@example.com") || !strings.HasSuffix(acts["proposal.reject"], "/ann@example.com") {
		t.Errorf("proposal audit entries %v", acts)
	}
}

// TestIntegrationMonitor: monitor mode lets unlicensed agent work pass and
// flags it in the report.
func TestIntegrationMonitor(t *testing.T) {
	e, _ := deskFixture(t)
	mon := e.newIntegration("script", "monitor")
	r := e.request("POST", "/api/v1/tickets/INC-000001/transition", mon.Token, `{"to":"in_progress"}`, as("dee@example.com")...)
	if r.Status != 200 {
		t.Fatalf("monitor mode: status %d, want 200; body %s", r.Status, r)
	}
	tk, _ := e.ticketOf(t, r)
	if tk.State != "in_progress" {
		t.Errorf("state %s, want in_progress", tk.State)
	}
	if wn := tk.WorkNotes; len(wn) != 1 || !strings.Contains(wn[0].Body, "via script on behalf of dee (E103)") {
		t.Errorf("monitor stamp = %+v", wn)
	}
	rep := e.report("")
	if u := rep["script"]; u.Flagged != 1 || u.UnlicensedActions != 1 || u.Blocked != 0 || u.Actions != 1 {
		t.Errorf("report for the monitor integration = %+v, want one flagged unlicensed action", u)
	}
}

// TestServiceAccountNoFulfillerSeat: a service account never holds an agent
// seat (DESIGN §2, §3.5).
func TestServiceAccountNoFulfillerSeat(t *testing.T) {
	e, _ := deskFixture(t)
	e.newIntegration("slack-hub", "enforce")
	for _, pool := range []string{"agents-named", "agents-floating"} {
		before := e.must(200, "GET", "/api/v1/pools/"+pool+"/members", nil)
		er := wantError(t, e.call("PUT", "/api/v1/pools/"+pool+"/members/slack-hub", nil), 409, "conflict", "user")
		if !strings.Contains(strings.ToLower(er.Error.Message), "service") {
			t.Errorf("%s: message %q does not say why (service account)", pool, er.Error.Message)
		}
		if after := e.must(200, "GET", "/api/v1/pools/"+pool+"/members", nil); string(after.Body) != string(before.Body) {
			t.Errorf("%s members changed", pool)
		}
	}
}

// report reads the multiplexing report (query appended) by integration.
func (e *testEnv) report(query string) map[string]integrationUsageJSON {
	e.t.Helper()
	var rep reportJSON
	e.must(200, "GET", "/api/v1/reports/multiplexing"+query, nil).into(e.t, &rep)
	out := map[string]integrationUsageJSON{}
	for _, u := range rep.Integrations {
		out[u.Integration] = u
	}
	return out
}

// TestMultiplexingReport: exact figures per integration after a scripted
// set of calls (DESIGN §3.5).
func TestMultiplexingReport(t *testing.T) {
	e, desk := deskFixture(t)
	hub := e.newIntegration("slack-hub", "enforce")
	bot := e.newIntegration("teams-bot", "propose")
	mon := e.newIntegration("script", "monitor")
	old := e.newIntegration("old-hub", "enforce")
	e.newIntegration("idle", "enforce")
	gone := e.newIntegration("gone", "enforce")
	start := time.Now().UTC().Add(-time.Minute)
	do := func(in integrationJSON, who, method, path, body string, want int) {
		t.Helper()
		if r := e.request(method, path, in.Token, body, as(who)...); r.Status != want {
			t.Fatalf("%s as %s: %s %s: status %d, want %d; body %s", in.Name, who, method, path, r.Status, want, r)
		}
	}
	// slack-hub (enforce)
	do(hub, "bob@example.com", "POST", "/api/v1/tickets", `{"title":"Laptop slow"}`, 201)                    // INC-000002, allowed
	do(hub, "bob@example.com", "POST", "/api/v1/tickets/INC-000002/transition", `{"to":"in_progress"}`, 403) // blocked
	do(hub, "E101", "POST", "/api/v1/tickets/INC-000002/work-notes", `{"body":"x"}`, 403)                    // blocked (bob again)
	do(hub, "ann@example.com", "POST", "/api/v1/tickets/INC-000002/transition", `{"to":"in_progress"}`, 200) // licensed
	do(hub, "ghost@example.com", "POST", "/api/v1/tickets", `{"title":"Who"}`, 201)                          // INC-000003, unknown
	do(hub, "ghost@example.com", "POST", "/api/v1/tickets/INC-000003/transition", `{"to":"on_hold"}`, 403)   // blocked, unknown
	do(hub, "phantom", "POST", "/api/v1/tickets/INC-000003/comments", `{"body":"x"}`, 403)                   // blocked, unknown
	do(hub, "ann@example.com", "POST", "/api/v1/tickets/INC-000002/transition", `{"to":"new"}`, 409)         // refused by the state machine: no action
	// teams-bot (propose)
	do(bot, "cid@example.com", "POST", "/api/v1/tickets/INC-000001/transition", `{"to":"in_progress"}`, 202) // cid has no lease: proposed
	do(bot, "cid@example.com", "POST", "/api/v1/tickets/INC-000001/work-notes", `{"body":"x"}`, 202)         // proposed
	do(bot, "dee@example.com", "POST", "/api/v1/tickets/INC-000001/comments", `{"body":"x"}`, 202)           // not dee's ticket: proposed
	do(bot, "bob@example.com", "POST", "/api/v1/tickets/INC-000001/comments", `{"body":"x"}`, 201)           // bob's own: allowed
	// script (monitor)
	do(mon, "eve@example.com", "POST", "/api/v1/tickets/INC-000003/transition", `{"to":"in_progress"}`, 200) // flagged
	do(mon, "ann@example.com", "PATCH", "/api/v1/tickets/INC-000003", `{"priority":"low"}`, 200)             // licensed
	// old-hub: one call, then deleted: it stays in the report.
	do(old, "cid@example.com", "POST", "/api/v1/tickets", `{"title":"Old"}`, 201)
	e.must(204, "DELETE", "/api/v1/integrations/old-hub", nil)
	e.must(204, "DELETE", "/api/v1/integrations/gone", nil)
	_ = gone
	// A proposal's confirmation by an agent is no integration call.
	var list struct {
		Proposals []proposalJSON `json:"proposals"`
	}
	e.must(200, "GET", "/api/v1/proposals?state=pending", nil).into(t, &list)
	e.mustAs(t, 200, desk, "ann@example.com", "POST", "/api/v1/proposals/"+list.Proposals[0].ID+"/confirm", nil)

	want := map[string]integrationUsageJSON{
		"slack-hub": {Integration: "slack-hub", Mode: "enforce", Actions: 7, DistinctActing: 4, LicensedActions: 1, UnlicensedActions: 4,
			Blocked: 4, UnknownActing: 3, UnknownValues: []string{"ghost@example.com", "phantom"},
			HoldSeconds: 60, Seats: []poolSeatsJSON{}, TopOffenders: []offenderJSON{{User: "bob@example.com", Verified: true, Unlicensed: 2}, {User: "ghost@example.com", Unlicensed: 1}, {User: "phantom", Unlicensed: 1}}},
		"teams-bot": {Integration: "teams-bot", Mode: "propose", Actions: 4, DistinctActing: 3, UnlicensedActions: 3, Proposed: 3,
			UnknownValues: []string{}, HoldSeconds: 60, Seats: []poolSeatsJSON{}, TopOffenders: []offenderJSON{{User: "cid@example.com", Verified: true, Unlicensed: 2}, {User: "dee@example.com", Verified: true, Unlicensed: 1}}},
		"script": {Integration: "script", Mode: "monitor", Actions: 2, DistinctActing: 2, LicensedActions: 1, UnlicensedActions: 1, Flagged: 1,
			UnknownValues: []string{}, HoldSeconds: 60, Seats: []poolSeatsJSON{}, TopOffenders: []offenderJSON{{User: "eve@example.com", Verified: true, Unlicensed: 1}}},
		"old-hub": {Integration: "old-hub", Mode: "enforce", Actions: 1, DistinctActing: 1, UnknownValues: []string{}, HoldSeconds: 60, Seats: []poolSeatsJSON{}, TopOffenders: []offenderJSON{}},
		"idle":    {Integration: "idle", Mode: "enforce", UnknownValues: []string{}, HoldSeconds: 60, Seats: []poolSeatsJSON{}, TopOffenders: []offenderJSON{}},
	}
	end := time.Now().UTC().Add(time.Minute)
	for _, q := range []string{"", "?from=" + start.Format(time.RFC3339) + "&to=" + end.Format(time.RFC3339)} {
		var rep reportJSON
		e.must(200, "GET", "/api/v1/reports/multiplexing"+q, nil).into(t, &rep)
		got := map[string]integrationUsageJSON{}
		var names []string
		for _, u := range rep.Integrations {
			got[u.Integration] = u
			names = append(names, u.Integration)
		}
		if !slices.Equal(names, []string{"idle", "old-hub", "script", "slack-hub", "teams-bot"}) {
			t.Errorf("report %q integrations %v, want idle, old-hub, script, slack-hub, teams-bot (not the unused deleted one)", q, names)
		}
		for name, w := range want {
			if g := got[name]; !reflect.DeepEqual(g, w) {
				t.Errorf("report %q for %s:\n got  %+v\n want %+v", q, name, g, w)
			}
		}
		if len(rep.ServiceSeats) != 0 {
			t.Errorf("service accounts with seats = %+v, want none", rep.ServiceSeats)
		}
		if rep.To.Before(rep.From) || rep.From.IsZero() {
			t.Errorf("report period %v – %v", rep.From, rep.To)
		}
	}
	// A period before any call: every live integration, with nothing.
	past := e.report("?from=2020-01-01T00:00:00Z&to=2020-02-01T00:00:00Z")
	if len(past) != 4 || past["slack-hub"].Actions != 0 || past["old-hub"].Integration != "" {
		t.Errorf("report for 2020 = %+v, want the four live integrations with no actions", past)
	}
	// Bad periods are refused.
	for _, tc := range []struct{ q, field string }{
		{"?from=yesterday", "from"},
		{"?to=2020-13-01T00:00:00Z", "to"},
		{"?from=2020-02-01T00:00:00Z&to=2020-01-01T00:00:00Z", "to"},
		{"?from=2020-01-01T00:00:00Z&to=2020-01-01T00:00:00Z", "to"},
	} {
		wantError(t, e.call("GET", "/api/v1/reports/multiplexing"+tc.q, nil), 400, "invalid_request", tc.field)
	}
}

// TestIntegrationRequesterReadsOwnTicket: requester capabilities pass
// through an integration in every mode (DESIGN §3.5): the acting person
// reads their own ticket (without work notes) like on the portal, and the
// read is no unlicensed fulfiller action in the report.
func TestIntegrationRequesterReadsOwnTicket(t *testing.T) {
	e, _ := deskFixture(t)
	hub := e.newIntegration("slack-hub", "enforce")
	e.mustAs(t, 201, e.admin, "ann@example.com", "POST", "/api/v1/tickets/INC-000001/work-notes", `{"body":"internal"}`)
	for _, mode := range []string{"enforce", "propose", "monitor"} {
		e.setMode("slack-hub", mode)
		r := e.request("GET", "/api/v1/tickets/INC-000001", hub.Token, nil, as("bob@example.com")...)
		if r.Status != 200 {
			t.Errorf("%s: bob reads his own ticket through the integration: status %d, want 200; body %s", mode, r.Status, r)
			continue
		}
		if mode == "monitor" {
			continue // monitor lets unlicensed reads of every ticket pass
		}
		if tk, _ := e.ticketOf(t, r); len(tk.WorkNotes) != 0 {
			t.Errorf("%s: bob sees work notes through the integration: %+v", mode, tk.WorkNotes)
		}
		// Someone else's ticket is not his to read.
		if r := e.request("GET", "/api/v1/tickets/INC-000001", hub.Token, nil, as("dee@example.com")...); r.Status != 403 && r.Status != 404 {
			t.Errorf("%s: dee reads bob's ticket through the integration: status %d, want 403 or 404; body %s", mode, r.Status, r)
		}
	}
	for _, o := range e.report("")["slack-hub"].TopOffenders {
		if o.User == "bob@example.com" {
			t.Errorf("report counts bob as an offender (%+v): he read only his own ticket", o)
		}
	}
}
