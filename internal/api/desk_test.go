package api

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/store"
)

// as is the acting-user header for who, with any further header pairs.
func as(who string, more ...string) []string {
	return append([]string{ActingUserHeader, who}, more...)
}

// ticketOf decodes a ticket answer and also returns it as a raw object, so
// tests can tell an absent key from an empty one.
func ticketOf(t *testing.T, r reply) (ticketDetailJSON, map[string]any) {
	t.Helper()
	var tk ticketDetailJSON
	r.into(t, &tk)
	return tk, r.obj(t)
}

// ticketOf decodes a ticket answer; a change's answer (the ticket without
// notes and history) is completed with a GET by the admin token, so tests
// can check the notes and history the change wrote. raw is the answer itself.
func (e *testEnv) ticketOf(t *testing.T, r reply) (ticketDetailJSON, map[string]any) {
	t.Helper()
	tk, raw := ticketOf(t, r)
	if _, full := raw["history"]; !full && tk.Number != "" {
		tk, _ = ticketOf(t, e.must(200, "GET", "/api/v1/tickets/"+tk.Number, nil))
	}
	return tk, raw
}

// getTicket reads a ticket with the admin token (no person: the whole view).
func (e *testEnv) getTicket(key string) ticketDetailJSON {
	e.t.Helper()
	tk, _ := ticketOf(e.t, e.must(200, "GET", "/api/v1/tickets/"+key, nil))
	return tk
}

// newTicket submits a ticket as who through tok and returns it.
func (e *testEnv) newTicket(tok, who, title string) ticketDetailJSON {
	e.t.Helper()
	r := e.request("POST", "/api/v1/tickets", tok, map[string]string{"title": title, "description": "it broke", "category": "network"}, as(who)...)
	if r.Status != 201 {
		e.t.Fatalf("create ticket as %s: status %d; body %s", who, r.Status, r)
	}
	tk, _ := ticketOf(e.t, r)
	return tk
}

func historyFields(h []historyJSON) []string {
	out := make([]string, len(h))
	for i, x := range h {
		out[i] = x.Field + ":" + x.From + "→" + x.To
	}
	return out
}

// TestTicketLifecycle: a requester submits and follows their own ticket on
// the free tier; a named agent works it through the state machine (DESIGN
// §3.4, §5).
func TestTicketLifecycle(t *testing.T) {
	e := newTestEnv(t)
	e.seedDesk()
	e.must(201, "PUT", "/api/v1/pools/agents-named/members/ann@example.com", nil)
	e.must(201, "PUT", "/api/v1/pools/agents-floating/members/dee@example.com", nil)
	e.must(201, "POST", "/api/v1/users", `{"user_name":"svc-bot","kind":"service"}`)
	desk := e.token("desk", store.ScopePlatform, 0)
	const ann, bob, cid = "ann@example.com", "bob@example.com", "cid@example.com"

	// Bob, a requester with no seat, submits through the platform token, as
	// DESIGN §5 writes the call.
	r := e.request("POST", "/api/v1/tickets", desk, `{"title":"VPN down","description":"times out","category":"network"}`, as(bob)...)
	if r.Status != 201 {
		t.Fatalf("create: status %d; body %s", r.Status, r)
	}
	t1, raw := e.ticketOf(t, r)
	if t1.ID == "" || t1.Number != "INC-000001" || t1.State != "new" || t1.Requester != bob {
		t.Errorf("created %s, want id, number INC-000001, state new, requester %s", r, bob)
	}
	for _, k := range []string{"id", "number", "state", "requester"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("create answer lacks %q", k)
		}
	}
	if loc := r.Header.Get("Location"); loc != "/api/v1/tickets/INC-000001" {
		t.Errorf("Location %q, want /api/v1/tickets/INC-000001", loc)
	}
	if t1.Priority != "medium" || t1.Category != "network" || t1.Version != 1 {
		t.Errorf("created priority %q category %q version %d, want medium, network, 1", t1.Priority, t1.Category, t1.Version)
	}
	// The admin token acting for a person submits for that person.
	t2 := e.newTicket(e.admin, cid, "Printer jam")
	if t2.Number != "INC-000002" || t2.Requester != cid {
		t.Errorf("admin acting for cid created %+v, want INC-000002 for %s", t2, cid)
	}

	// Ann (named agent) writes a work note and a comment on bob's ticket.
	e.mustAs(t, 201, desk, ann, "POST", "/api/v1/tickets/INC-000001/work-notes", `{"body":"checked the concentrator"}`)
	e.mustAs(t, 201, desk, ann, "POST", "/api/v1/tickets/INC-000001/comments", `{"body":"looking into it"}`)

	// Bob reads his own ticket without the internal work notes.
	got, raw := e.ticketOf(t, e.mustAs(t, 200, desk, bob, "GET", "/api/v1/tickets/INC-000001", nil))
	if wn, ok := raw["work_notes"]; ok && len(asSlice(wn)) > 0 {
		t.Errorf("requester sees work notes: %v", wn)
	}
	if len(got.Comments) != 1 || got.Comments[0].Body != "looking into it" || got.Comments[0].Author != ann {
		t.Errorf("requester's view comments = %+v, want ann's comment", got.Comments)
	}
	if len(got.History) == 0 {
		t.Errorf("requester's view has no history")
	}
	// …and someone else's ticket is answered as missing.
	wantError(t, e.requestAs(desk, bob, "GET", "/api/v1/tickets/INC-000002", nil), 404, "not_found", "-")
	wantError(t, e.requestAs(desk, bob, "GET", "/api/v1/tickets/"+t2.ID, nil), 404, "not_found", "-")
	// His own list holds only his ticket; the queue needs a seat.
	var mine struct {
		Tickets []ticketJSON `json:"tickets"`
	}
	e.mustAs(t, 200, desk, bob, "GET", "/api/v1/tickets?scope=mine", nil).into(t, &mine)
	if len(mine.Tickets) != 1 || mine.Tickets[0].Number != "INC-000001" {
		t.Errorf("bob's own tickets = %+v, want INC-000001 only", mine.Tickets)
	}
	wantError(t, e.requestAs(desk, bob, "GET", "/api/v1/tickets", nil), 403, "no_licence", "-")

	// Bob may comment on his own ticket, but not transition it or write a
	// work note: those need an agent seat. Nothing changes.
	e.mustAs(t, 201, desk, bob, "POST", "/api/v1/tickets/INC-000001/comments", `{"body":"still down"}`)
	before := e.getTicket("INC-000001")
	wantError(t, e.requestAs(desk, bob, "POST", "/api/v1/tickets/INC-000001/transition", `{"to":"in_progress"}`), 403, "no_licence", "-")
	wantError(t, e.requestAs(desk, bob, "POST", "/api/v1/tickets/INC-000001/work-notes", `{"body":"self-fix"}`), 403, "no_licence", "-")
	wantError(t, e.requestAs(desk, bob, "PATCH", "/api/v1/tickets/INC-000001", `{"priority":"critical"}`), 403, "no_licence", "-")
	wantError(t, e.requestAs(desk, bob, "POST", "/api/v1/tickets/INC-000001/assign", `{"assignee":"bob@example.com"}`), 400, "invalid_request", "assignee")
	if r := e.requestAs(desk, bob, "POST", "/api/v1/tickets/INC-000002/comments", `{"body":"me too"}`); r.Status != 403 && r.Status != 404 {
		t.Errorf("bob comments on cid's ticket: status %d, want 403 or 404; body %s", r.Status, r)
	}
	if after := e.getTicket("INC-000001"); !reflect.DeepEqual(after, before) {
		t.Errorf("refused requester actions changed the ticket:\n got  %+v\n want %+v", after, before)
	}
	if after := e.getTicket("INC-000002"); len(after.Comments) != 0 {
		t.Errorf("bob's comment landed on cid's ticket: %+v", after.Comments)
	}

	// Ann works the ticket through the state machine, reopen included.
	version := before.Version
	for _, to := range []string{"in_progress", "on_hold", "in_progress", "resolved", "in_progress", "resolved"} {
		tk, _ := e.ticketOf(t, e.mustAs(t, 200, desk, ann, "POST", "/api/v1/tickets/INC-000001/transition", map[string]string{"to": to}))
		if tk.State != to || tk.Version != version+1 {
			t.Fatalf("transition to %s: state %s version %d, want %s version %d", to, tk.State, tk.Version, to, version+1)
		}
		version = tk.Version
	}
	// Illegal moves change nothing: not the state, version, history or audit.
	for _, tc := range []struct{ key, to string }{
		{"INC-000001", "new"},
		{"INC-000001", "on_hold"},
		{"INC-000002", "closed"},
	} {
		before := e.getTicket(tc.key)
		audit := e.auditCount()
		wantError(t, e.requestAs(desk, ann, "POST", "/api/v1/tickets/"+tc.key+"/transition", map[string]string{"to": tc.to}), 409, "conflict", "to")
		if after := e.getTicket(tc.key); !reflect.DeepEqual(after, before) {
			t.Errorf("illegal move %s → %s changed the ticket:\n got  %+v\n want %+v", before.State, tc.to, after, before)
		}
		if n := e.auditCount(); n != audit {
			t.Errorf("illegal move %s → %s: audit grew from %d to %d", before.State, tc.to, audit, n)
		}
	}
	closed, _ := e.ticketOf(t, e.mustAs(t, 200, desk, ann, "POST", "/api/v1/tickets/INC-000001/transition", `{"to":"closed"}`))
	if closed.State != "closed" || len(closed.Next) != 0 {
		t.Errorf("closed ticket: state %s next %v, want closed with no next states", closed.State, closed.Next)
	}
	// Closed is final.
	before = e.getTicket("INC-000001")
	for _, to := range []string{"in_progress", "resolved", "new"} {
		wantError(t, e.requestAs(desk, ann, "POST", "/api/v1/tickets/INC-000001/transition", map[string]string{"to": to}), 409, "conflict", "to")
	}
	if after := e.getTicket("INC-000001"); !reflect.DeepEqual(after, before) {
		t.Errorf("moves out of closed changed the ticket")
	}

	// History: one entry per field change, in order; notes add none.
	want := []string{"state:→new", "state:new→in_progress", "state:in_progress→on_hold", "state:on_hold→in_progress",
		"state:in_progress→resolved", "state:resolved→in_progress", "state:in_progress→resolved", "state:resolved→closed"}
	full := e.getTicket("INC-000001")
	if got := historyFields(full.History); !slices.Equal(got, want) {
		t.Errorf("history %v, want %v", got, want)
	}
	if h := full.History; len(h) == len(want) && (h[0].Actor != bob || h[1].Actor != ann || h[1].At.IsZero()) {
		t.Errorf("history actors %q, %q (at %v), want %s then %s", h[0].Actor, h[1].Actor, h[1].At, bob, ann)
	}
	// GET shows comments and work notes with author, body and time.
	if len(full.Comments) != 2 || full.Comments[0].Author != ann || full.Comments[1].Author != bob || full.Comments[1].Body != "still down" {
		t.Errorf("comments = %+v, want ann's then bob's", full.Comments)
	}
	if len(full.WorkNotes) != 1 || full.WorkNotes[0].Author != ann || full.WorkNotes[0].Body != "checked the concentrator" || full.WorkNotes[0].At.IsZero() {
		t.Errorf("work notes = %+v, want ann's note", full.WorkNotes)
	}
	// Ann sees the work notes in her own view too.
	if v, _ := e.ticketOf(t, e.mustAs(t, 200, desk, ann, "GET", "/api/v1/tickets/INC-000001", nil)); len(v.WorkNotes) != 1 {
		t.Errorf("agent's view work notes = %+v, want one", v.WorkNotes)
	}

	// Assign: to a named agent, to a registered concurrent agent, not to a
	// service account or a requester; "" unassigns.
	tk, _ := e.ticketOf(t, e.mustAs(t, 200, desk, ann, "POST", "/api/v1/tickets/INC-000002/assign", `{"assignee":"E100"}`))
	if tk.Assignee != ann || tk.AssigneeID == "" {
		t.Errorf("assigned to E100: assignee %q (%q), want %s", tk.Assignee, tk.AssigneeID, ann)
	}
	before = e.getTicket("INC-000002")
	for _, tc := range []struct{ who, code, name string }{
		{"svc-bot", "invalid_request", "service account"},
		{bob, "invalid_request", "requester without an agent seat"},
	} {
		wantError(t, e.requestAs(desk, ann, "POST", "/api/v1/tickets/INC-000002/assign", map[string]string{"assignee": tc.who}), 400, tc.code, "assignee")
	}
	wantError(t, e.requestAs(desk, ann, "POST", "/api/v1/tickets/INC-000002/assign", `{"assignee":"nobody"}`), 404, "not_found", "assignee")
	if after := e.getTicket("INC-000002"); !reflect.DeepEqual(after, before) {
		t.Errorf("refused assignments changed the ticket")
	}
	tk, _ = e.ticketOf(t, e.mustAs(t, 200, desk, ann, "POST", "/api/v1/tickets/INC-000002/assign", `{"assignee":"dee@example.com"}`))
	if tk.Assignee != "dee@example.com" {
		t.Errorf("assigned to dee (registered for the concurrent pool): assignee %q", tk.Assignee)
	}
	tk, raw = e.ticketOf(t, e.mustAs(t, 200, desk, ann, "POST", "/api/v1/tickets/INC-000002/assign", `{"assignee":""}`))
	if _, ok := raw["assignee"]; ok || tk.Assignee != "" {
		t.Errorf("unassigned: assignee %q, want none", tk.Assignee)
	}

	// PATCH: priority, then priority and category (two history entries);
	// the same values again change nothing.
	tk, _ = e.ticketOf(t, e.mustAs(t, 200, desk, ann, "PATCH", "/api/v1/tickets/INC-000002", `{"priority":"high"}`))
	if tk.Priority != "high" {
		t.Errorf("PATCH priority: %q, want high", tk.Priority)
	}
	tk, _ = e.ticketOf(t, e.mustAs(t, 200, desk, ann, "PATCH", "/api/v1/tickets/INC-000002", `{"priority":"critical","category":"Hardware"}`))
	if tk.Priority != "critical" || tk.Category != "hardware" {
		t.Errorf("PATCH priority and category: %q %q, want critical hardware", tk.Priority, tk.Category)
	}
	same := e.getTicket("INC-000002")
	e.mustAs(t, 200, desk, ann, "PATCH", "/api/v1/tickets/INC-000002", `{"priority":"critical"}`)
	if after := e.getTicket("INC-000002"); after.Version != same.Version || len(after.History) != len(same.History) {
		t.Errorf("a PATCH that changes nothing: version %d→%d, history %d→%d entries", same.Version, after.Version, len(same.History), len(after.History))
	}
	want = []string{"state:→new", "assignee:→ann@example.com", "assignee:ann@example.com→dee@example.com", "assignee:dee@example.com→",
		"priority:medium→high", "priority:high→critical", "category:network→hardware"}
	if got := historyFields(e.getTicket("INC-000002").History); !slices.Equal(got, want) {
		t.Errorf("INC-000002 history %v, want %v", got, want)
	}

	// Every action is audited with the person as acting user.
	found := map[string]bool{}
	for _, en := range e.lastAudit(200) {
		if strings.HasPrefix(en["subject"].(string), "ticket:INC-00000") {
			found[en["action"].(string)+" "+en["acting_user"].(string)] = true
		}
	}
	for _, k := range []string{"ticket.create " + bob, "ticket.create " + cid, "ticket.transition " + ann, "ticket.assign " + ann, "ticket.update " + ann, "ticket.work_note " + ann, "ticket.comment " + ann, "ticket.comment " + bob} {
		if !found[k] {
			t.Errorf("no audit entry %q among %v", k, keys(anyMap(found)))
		}
	}
}

// TestTicketSeatLoss: a person who loses a seat loses the action at once
// (DESIGN §3.4): deactivation, a revoked named seat.
func TestTicketSeatLoss(t *testing.T) {
	e := newTestEnv(t)
	e.seedDesk()
	e.must(201, "PUT", "/api/v1/pools/agents-named/members/ann@example.com", nil)
	desk := e.token("desk", store.ScopePlatform, 0)
	const ann = "ann@example.com"
	e.newTicket(desk, "bob@example.com", "VPN down")
	e.newTicket(desk, "cid@example.com", "Printer jam")
	e.mustAs(t, 200, desk, ann, "POST", "/api/v1/tickets/INC-000001/transition", `{"to":"in_progress"}`)

	// Revoking Ann's named seat takes the next transition away.
	e.must(204, "DELETE", "/api/v1/pools/agents-named/members/ann@example.com", nil)
	before := e.getTicket("INC-000001")
	wantError(t, e.requestAs(desk, ann, "POST", "/api/v1/tickets/INC-000001/transition", `{"to":"resolved"}`), 403, "no_licence", "-")
	wantError(t, e.requestAs(desk, ann, "POST", "/api/v1/tickets/INC-000001/work-notes", `{"body":"x"}`), 403, "no_licence", "-")
	wantError(t, e.requestAs(desk, ann, "GET", "/api/v1/tickets", nil), 403, "no_licence", "-")
	if after := e.getTicket("INC-000001"); !reflect.DeepEqual(after, before) {
		t.Errorf("actions after the revoke changed the ticket")
	}
	// Given back, it works again.
	e.must(201, "PUT", "/api/v1/pools/agents-named/members/ann@example.com", nil)
	e.mustAs(t, 200, desk, ann, "POST", "/api/v1/tickets/INC-000001/transition", `{"to":"on_hold"}`)

	// Deactivation: the next action is refused as inactive, for the agent
	// and for a requester alike.
	e.must(200, "PUT", "/api/v1/users/ann@example.com", `{"user_name":"ann@example.com","display_name":"Ann Lee","email":"ann@example.com","employee_id":"E100","active":false}`)
	e.must(200, "PUT", "/api/v1/users/bob@example.com", `{"user_name":"bob@example.com","display_name":"bob","email":"bob@example.com","employee_id":"E101","active":false}`)
	before = e.getTicket("INC-000001")
	audit := e.auditCount()
	wantError(t, e.requestAs(desk, ann, "POST", "/api/v1/tickets/INC-000001/transition", `{"to":"in_progress"}`), 403, "inactive", "-")
	wantError(t, e.requestAs(desk, ann, "POST", "/api/v1/tickets/INC-000002/assign", `{"assignee":""}`), 403, "inactive", "-")
	wantError(t, e.requestAs(desk, "bob@example.com", "POST", "/api/v1/tickets/INC-000001/comments", `{"body":"hello?"}`), 403, "inactive", "-")
	wantError(t, e.requestAs(desk, "bob@example.com", "POST", "/api/v1/tickets", `{"title":"again"}`), 403, "inactive", "-")
	if r := e.requestAs(desk, "bob@example.com", "GET", "/api/v1/tickets/INC-000001", nil); r.Status != 403 {
		t.Errorf("inactive requester reads own ticket: status %d, want 403; body %s", r.Status, r)
	}
	if after := e.getTicket("INC-000001"); !reflect.DeepEqual(after, before) {
		t.Errorf("an inactive person's actions changed the ticket")
	}
	var list struct {
		Tickets []ticketJSON `json:"tickets"`
	}
	e.must(200, "GET", "/api/v1/tickets", nil).into(t, &list)
	if len(list.Tickets) != 2 {
		t.Errorf("tickets after refused actions: %d, want 2", len(list.Tickets))
	}
	// The refusals are audited denials, nothing else.
	for _, en := range e.lastAudit(e.auditCount() - audit) {
		if en["action"] != "decision.deny" {
			t.Errorf("refused action wrote audit entry %v", en)
		}
	}
}

// TestTicketConcurrentAgent: an agent on a concurrent pool with a lazy
// session takes the lease at the first fulfiller action; with the pool full
// another agent is refused with a queue place but keeps reading.
func TestTicketConcurrentAgent(t *testing.T) {
	e := newTestEnv(t)
	e.seedDesk()
	e.must(201, "POST", "/api/v1/pools", `{"id":"agents-queued","sku":"agent","model":"concurrent","seats":1,"idle_timeout":"30m","queue":{"max_length":5},"monthly_price":140}`)
	for _, u := range []string{"cid", "dee", "eve"} {
		e.must(201, "PUT", "/api/v1/pools/agents-queued/members/"+u+"@example.com", nil)
	}
	desk := e.token("desk", store.ScopePlatform, 0)
	e.newTicket(desk, "bob@example.com", "VPN down")

	leases := func() []leaseJSON {
		var l struct {
			Leases []leaseJSON `json:"leases"`
		}
		e.must(200, "GET", "/api/v1/leases", nil).into(t, &l)
		return l.Leases
	}
	var cid, dee, eve sessionOut
	e.must(201, "POST", "/api/v1/sessions", `{"user":"cid@example.com","lazy":true}`).into(t, &cid)
	if len(cid.Leases) != 0 {
		t.Fatalf("lazy session = %+v, want no lease", cid)
	}
	inCid := as("cid@example.com", SessionHeader, cid.ID)

	// Reading the queue and a ticket takes no seat.
	e.mustAs(t, 200, desk, "", "GET", "/api/v1/tickets", nil, inCid...)
	if v, _ := e.ticketOf(t, e.mustAs(t, 200, desk, "", "GET", "/api/v1/tickets/INC-000001", nil, inCid...)); v.Number != "INC-000001" {
		t.Errorf("cid reads INC-000001: %+v", v)
	}
	if l := leases(); len(l) != 0 {
		t.Fatalf("leases after reads = %+v, want none", l)
	}
	// The first transition takes the lease.
	tk, _ := e.ticketOf(t, e.mustAs(t, 200, desk, "", "POST", "/api/v1/tickets/INC-000001/transition", `{"to":"in_progress"}`, inCid...))
	if tk.State != "in_progress" {
		t.Errorf("cid's transition: state %s", tk.State)
	}
	l := leases()
	if len(l) != 1 || l[0].User != "cid@example.com" || l[0].Pool != "agents-queued" {
		t.Fatalf("leases after cid's first transition = %+v, want cid's in agents-queued", l)
	}
	var got sessionOut
	e.must(200, "GET", "/api/v1/sessions/"+cid.ID, nil).into(t, &got)
	if len(got.Leases) != 1 || got.Leases[0].ID != l[0].ID {
		t.Errorf("cid's session after the transition = %+v, want lease %s", got, l[0].ID)
	}
	// The next action reuses it.
	e.mustAs(t, 201, desk, "", "POST", "/api/v1/tickets/INC-000001/work-notes", `{"body":"on it"}`, inCid...)
	if l2 := leases(); len(l2) != 1 || l2[0].ID != l[0].ID {
		t.Errorf("leases after cid's second action = %+v, want only %s", l2, l[0].ID)
	}

	// Dee and eve meet the full pool: refused with their queue places, the
	// ticket untouched, and they keep reading.
	e.must(201, "POST", "/api/v1/sessions", `{"user":"dee@example.com","lazy":true}`).into(t, &dee)
	e.must(201, "POST", "/api/v1/sessions", `{"user":"eve@example.com","lazy":true}`).into(t, &eve)
	inDee, inEve := as("dee@example.com", SessionHeader, dee.ID), as("eve@example.com", SessionHeader, eve.ID)
	before := e.getTicket("INC-000001")
	for i, in := range [][]string{inDee, inEve} {
		er := wantError(t, e.requestAs(desk, "", "POST", "/api/v1/tickets/INC-000001/transition", `{"to":"on_hold"}`, in...), 409, "licence_maxed_out", "-")
		if er.Error.QueuePosition != i+1 || er.Error.RetryAfter <= 0 {
			t.Errorf("%s: queue_position %d retry_after %d, want position %d and a retry hint", in[1], er.Error.QueuePosition, er.Error.RetryAfter, i+1)
		}
	}
	// Asking again keeps the place.
	er := wantError(t, e.requestAs(desk, "", "POST", "/api/v1/tickets/INC-000001/work-notes", `{"body":"me too"}`, inDee...), 409, "licence_maxed_out", "-")
	if er.Error.QueuePosition != 1 {
		t.Errorf("dee asking again: queue_position %d, want 1", er.Error.QueuePosition)
	}
	if after := e.getTicket("INC-000001"); !reflect.DeepEqual(after, before) {
		t.Errorf("refused actions changed the ticket")
	}
	if l := leases(); len(l) != 1 {
		t.Errorf("leases after refusals = %+v, want cid's only", l)
	}
	var queue struct {
		Tickets []ticketJSON `json:"tickets"`
	}
	e.mustAs(t, 200, desk, "", "GET", "/api/v1/tickets", nil, inDee...).into(t, &queue)
	if len(queue.Tickets) != 1 {
		t.Errorf("dee's queue while the pool is full = %+v, want the ticket", queue.Tickets)
	}
	if v, _ := e.ticketOf(t, e.mustAs(t, 200, desk, "", "GET", "/api/v1/tickets/INC-000001", nil, inDee...)); len(v.WorkNotes) != 1 {
		t.Errorf("dee (read-only agent) sees work notes %+v, want cid's", v.WorkNotes)
	}

	// Without a session a concurrent agent is told to start one.
	wantError(t, e.requestAs(desk, "dee@example.com", "POST", "/api/v1/tickets/INC-000001/transition", `{"to":"on_hold"}`), 403, "no_licence", "-")
	// A session needs its person; another person's session is refused.
	wantError(t, e.request("POST", "/api/v1/tickets/INC-000001/transition", desk, `{"to":"on_hold"}`, SessionHeader, cid.ID), 400, "invalid_request", SessionHeader)
	if r := e.requestAs(desk, "dee@example.com", "POST", "/api/v1/tickets/INC-000001/transition", `{"to":"on_hold"}`, SessionHeader, cid.ID); r.Status < 400 {
		t.Errorf("dee acting in cid's session: status %d, want a refusal; body %s", r.Status, r)
	}
	if after := e.getTicket("INC-000001"); !reflect.DeepEqual(after, before) {
		t.Errorf("refused actions changed the ticket")
	}

	// Cid logs out: the seat is free and dee (first in the queue) takes it.
	e.must(204, "DELETE", "/api/v1/sessions/"+cid.ID, nil)
	e.mustAs(t, 200, desk, "", "POST", "/api/v1/tickets/INC-000001/transition", `{"to":"on_hold"}`, inDee...)
	if l := leases(); len(l) != 1 || l[0].User != "dee@example.com" {
		t.Errorf("leases after cid's logout = %+v, want dee's", l)
	}
}

// TestKnowledgeBaseAndChat: articles need kb.write to change and anyone to
// read; search ranks; the bot suggests and drafts (DESIGN §3.4).
func TestKnowledgeBaseAndChat(t *testing.T) {
	e := newTestEnv(t)
	e.seedDesk()
	e.must(201, "PUT", "/api/v1/pools/agents-named/members/ann@example.com", nil)
	desk := e.token("desk", store.ScopePlatform, 0)
	const ann, bob = "ann@example.com", "bob@example.com"

	// A requester may not write.
	before := e.auditCount()
	wantError(t, e.requestAs(desk, bob, "POST", "/api/v1/articles", `{"title":"Reset your VPN","body":"x"}`), 403, "no_licence", "-")
	if n := e.auditCount(); n != before+1 {
		t.Errorf("refused article write: audit grew by %d, want 1 (the denial)", n-before)
	}

	var vpn, printer, wifi articleJSON
	r := e.mustAs(t, 201, desk, ann, "POST", "/api/v1/articles", `{"title":"Reset your VPN client","body":"When the VPN times out, restart the VPN client and sign in again.","tags":["VPN","network"]}`)
	r.into(t, &vpn)
	if vpn.ID == "" || vpn.Author != ann || !slices.Equal(vpn.Tags, []string{"vpn", "network"}) || vpn.CreatedAt.IsZero() {
		t.Errorf("created article %s, want id, author %s, tags [vpn network]", r, ann)
	}
	e.mustAs(t, 201, desk, ann, "POST", "/api/v1/articles", `{"title":"Clear a printer jam","body":"Open the tray, remove the paper, close the tray.","tags":["printer"]}`).into(t, &printer)
	e.mustAs(t, 201, desk, ann, "POST", "/api/v1/articles", `{"title":"Join the office wifi","body":"Pick the office network; the VPN is not needed in the office."}`).into(t, &wifi)

	// Everyone reads.
	var a articleJSON
	e.mustAs(t, 200, desk, bob, "GET", "/api/v1/articles/"+vpn.ID, nil).into(t, &a)
	if a.Title != "Reset your VPN client" || a.Body != vpn.Body {
		t.Errorf("GET article = %+v", a)
	}
	var list struct {
		Articles []articleJSON `json:"articles"`
	}
	e.mustAs(t, 200, desk, bob, "GET", "/api/v1/articles", nil).into(t, &list)
	if len(list.Articles) != 3 {
		t.Errorf("articles = %d, want 3", len(list.Articles))
	}
	// Search ranks: the VPN article first (title and tag), the wifi one,
	// which names the VPN once in its body, after it; the printer not at all.
	e.mustAs(t, 200, desk, bob, "GET", "/api/v1/articles?q=vpn", nil).into(t, &list)
	if len(list.Articles) != 2 || list.Articles[0].ID != vpn.ID || list.Articles[1].ID != wifi.ID ||
		!(list.Articles[0].Score > list.Articles[1].Score) || list.Articles[0].Snippet == "" {
		t.Errorf("search vpn = %+v, want the VPN article ranked above the wifi one", list.Articles)
	}
	e.mustAs(t, 200, desk, bob, "GET", "/api/v1/articles?q=printer+jam&limit=1", nil).into(t, &list)
	if len(list.Articles) != 1 || list.Articles[0].ID != printer.ID {
		t.Errorf("search printer jam = %+v, want the printer article", list.Articles)
	}

	// Update and delete need kb.write too.
	wantError(t, e.requestAs(desk, bob, "PUT", "/api/v1/articles/"+vpn.ID, `{"title":"Mine now"}`), 403, "no_licence", "-")
	wantError(t, e.requestAs(desk, bob, "DELETE", "/api/v1/articles/"+vpn.ID, nil), 403, "no_licence", "-")
	e.mustAs(t, 200, desk, ann, "PUT", "/api/v1/articles/"+vpn.ID, `{"title":"Reset the VPN client","body":"Restart it.","tags":["vpn"]}`).into(t, &a)
	if a.Title != "Reset the VPN client" || a.ID != vpn.ID || a.Author != ann || !a.CreatedAt.Equal(vpn.CreatedAt) {
		t.Errorf("updated article = %+v", a)
	}
	wantError(t, e.requestAs(desk, ann, "PUT", "/api/v1/articles/"+vpn.ID, `{"id":"art_other","title":"x"}`), 400, "invalid_request", "id")
	wantError(t, e.requestAs(desk, ann, "PUT", "/api/v1/articles/art_nope", `{"title":"x"}`), 404, "not_found", "-")
	// The index follows an update at once…
	e.mustAs(t, 200, desk, bob, "GET", "/api/v1/articles?q=wifi", nil).into(t, &list)
	if len(list.Articles) != 1 || list.Articles[0].ID != wifi.ID {
		t.Errorf("search wifi = %+v, want the wifi article", list.Articles)
	}
	e.mustAs(t, 200, desk, bob, "GET", "/api/v1/articles?q=concentrator", nil).into(t, &list)
	if len(list.Articles) != 0 {
		t.Errorf("search for a word no article has = %+v", list.Articles)
	}
	e.mustAs(t, 200, desk, ann, "PUT", "/api/v1/articles/"+vpn.ID, `{"title":"Reset the VPN client","body":"Restart it; the concentrator may be down.","tags":["vpn"]}`)
	e.mustAs(t, 200, desk, bob, "GET", "/api/v1/articles?q=concentrator", nil).into(t, &list)
	if len(list.Articles) != 1 || list.Articles[0].ID != vpn.ID {
		t.Errorf("search after the update = %+v, want the updated VPN article", list.Articles)
	}
	e.mustAs(t, 204, desk, ann, "DELETE", "/api/v1/articles/"+wifi.ID, nil)
	wantError(t, e.requestAs(desk, bob, "GET", "/api/v1/articles/"+wifi.ID, nil), 404, "not_found", "-")
	wantError(t, e.requestAs(desk, ann, "DELETE", "/api/v1/articles/"+wifi.ID, nil), 404, "not_found", "-")
	// …and a deletion.
	e.mustAs(t, 200, desk, bob, "GET", "/api/v1/articles?q=wifi", nil).into(t, &list)
	if len(list.Articles) != 0 {
		t.Errorf("search after delete = %+v, want nothing", list.Articles)
	}

	// Chat: the requester gets suggestions; asking for a ticket gets a draft.
	type chatReply struct {
		Text        string        `json:"text"`
		Intent      string        `json:"intent"`
		Suggestions []articleJSON `json:"suggestions"`
		Draft       *struct {
			Title       string `json:"title"`
			Description string `json:"description"`
			Category    string `json:"category"`
		} `json:"draft"`
	}
	var c chatReply
	e.mustAs(t, 200, desk, bob, "POST", "/api/v1/chat", `{"message":"my printer has a paper jam"}`).into(t, &c)
	if c.Intent != "answer" || len(c.Suggestions) == 0 || c.Suggestions[0].ID != printer.ID || c.Text == "" {
		t.Errorf("chat about a printer jam = %+v, want the printer article suggested", c)
	}
	history := []map[string]string{{"from": "user", "text": "my printer has a paper jam"}, {"from": "bot", "text": c.Text}}
	e.mustAs(t, 200, desk, bob, "POST", "/api/v1/chat", map[string]any{"history": history, "message": "that did not work, open a ticket"}).into(t, &c)
	if c.Draft == nil || c.Draft.Title == "" || !strings.Contains(c.Draft.Description, "printer") || !strings.Contains(c.Text, "open a ticket") {
		t.Errorf("asking for a ticket = %+v (draft %+v), want a draft about the printer", c, c.Draft)
	}
	history = append(history, map[string]string{"from": "user", "text": "that did not work, open a ticket"}, map[string]string{"from": "bot", "text": c.Text})
	e.mustAs(t, 200, desk, bob, "POST", "/api/v1/chat", map[string]any{"history": history, "message": "yes"}).into(t, &c)
	if c.Intent != "confirm_ticket" || c.Draft == nil {
		t.Errorf("confirming the ticket = %+v, want confirm_ticket with the draft", c)
	}
	// The reply's draft is a valid ticket submission.
	d, _ := json.Marshal(c.Draft)
	if r := e.requestAs(desk, bob, "POST", "/api/v1/tickets", string(d)); r.Status != 201 {
		t.Errorf("submitting the bot's draft: status %d; body %s", r.Status, r)
	}
	// Bad history is refused, and nothing changes.
	n := e.auditCount()
	for _, tc := range []struct{ name, body, field string }{
		{"history turn from nobody", `{"message":"hi","history":[{"from":"system","text":"x"}]}`, "history"},
		{"history a string", `{"message":"hi","history":"x"}`, "history"},
		{"history turn with an unknown field", `{"message":"hi","history":[{"from":"user","text":"x","at":1}]}`, "at"},
		{"too much history", `{"message":"hi","history":[` + strings.Repeat(`{"from":"user","text":"x"},`, 40) + `{"from":"user","text":"x"}]}`, "history"},
		{"no message", `{"history":[]}`, "message"},
	} {
		wantError(t, e.requestAs(desk, bob, "POST", "/api/v1/chat", tc.body), 400, "invalid_request", tc.field)
	}
	if m := e.auditCount(); m != n {
		t.Errorf("refused chats grew the audit from %d to %d", n, m)
	}
}

// requestAs sends a request with tok acting for who ("" sends no acting
// header unless hdr holds one).
func (e *testEnv) requestAs(tok, who, method, path string, body any, hdr ...string) reply {
	e.t.Helper()
	if who != "" {
		hdr = append(as(who), hdr...)
	}
	return e.request(method, path, tok, body, hdr...)
}

// mustAs is requestAs that fails the test unless the status is want.
func (e *testEnv) mustAs(t *testing.T, want int, tok, who, method, path string, body any, hdr ...string) reply {
	t.Helper()
	r := e.requestAs(tok, who, method, path, body, hdr...)
	if r.Status != want {
		t.Fatalf("%s %s as %q: status %d, want %d; body %s", method, path, who, r.Status, want, r)
	}
	return r
}

func anyMap[V any](m map[string]V) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// TestSessionHeaderMustBeTheActingPersons: a platform call may work in a
// seat session only of the person it acts for; anyone else's, or an
// ended one, is refused the same way on reads and changes.
func TestSessionHeaderMustBeTheActingPersons(t *testing.T) {
	e, desk := deskFixture(t)
	var cid struct {
		ID string `json:"id"`
	}
	e.must(201, "POST", "/api/v1/sessions", map[string]any{"user": "cid@example.com", "lazy": true}).into(t, &cid)
	for _, session := range []string{cid.ID, "ses_nonesuch"} {
		for _, call := range []struct{ method, path, body string }{
			{"GET", "/api/v1/tickets", ""},
			{"POST", "/api/v1/tickets/INC-000001/transition", `{"to":"in_progress"}`},
		} {
			var body any
			if call.body != "" {
				body = call.body
			}
			r := e.request(call.method, call.path, desk, body, as("ann@example.com", SessionHeader, session)...)
			wantError(t, r, 401, "unauthorized", SessionHeader)
		}
	}
	if got := e.getTicket("INC-000001"); got.State != "new" {
		t.Errorf("a refused call changed the ticket: %s", got.State)
	}
	// Cid's own session works, and takes cid's lease at the first change.
	e.mustAs(t, 200, desk, "cid@example.com", "POST", "/api/v1/tickets/INC-000001/transition", `{"to":"in_progress"}`, SessionHeader, cid.ID)
}
