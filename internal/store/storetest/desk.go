package storetest

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/audit"
	"github.com/seatkeeper/seatkeeper/internal/desk"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

// runDesk runs the service-desk tests (tickets, knowledge base,
// integrations, proposals, accounts), each on a fresh store.
func runDesk(t *testing.T, open OpenFunc) {
	groups := []group{
		{"Ticket", ticketTests()},
		{"Article", articleTests()},
		{"Integration", integrationTests()},
		{"Proposal", proposalTests()},
		{"Approval", approvalTests()},
		{"Account", accountTests()},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, tc := range g.cases {
				t.Run(tc.name, func(t *testing.T) {
					tc.fn(newEnv(t, open))
				})
			}
		})
	}
}

// ---- desk helpers ----

// by is a person acting for themselves.
func by(u licensing.User) desk.By {
	return desk.By{Actor: licensing.Actor{Name: u.UserName, Source: "storetest"}, User: u.ID, UserName: u.UserName}
}

// viaIntegration is an integration acting for the person named raw (acting
// is their id, "" when raw matched nobody), with a stamp and a call.
func viaIntegration(in desk.Integration, raw, acting, stamp string, call desk.Call) desk.By {
	call.Integration, call.ActingRaw, call.ActingUser = in.ID, raw, acting
	label := raw
	if acting == "" {
		label = "unverified:" + raw
	}
	return desk.By{
		Actor: licensing.Actor{Name: "integration:" + in.Name, ActingUser: label, Source: "storetest"},
		User:  in.User, UserName: in.UserName, Via: in.Name, ActingUser: label, Stamp: stamp, Call: &call,
	}
}

func (e *env) newTicket(b desk.By, requester licensing.User, title string, mod ...func(*desk.NewTicket)) desk.Ticket {
	e.t.Helper()
	n := desk.NewTicket{Title: title, Description: "about " + title}
	for _, m := range mod {
		m(&n)
	}
	tk, err := e.s.CreateTicket(e.ctx, b, requester.ID, n)
	if err != nil {
		e.t.Fatalf("CreateTicket(%q): %v", title, err)
	}
	return tk
}

func (e *env) getTicket(key string) desk.Ticket {
	e.t.Helper()
	tk, err := e.s.GetTicket(e.ctx, key)
	if err != nil {
		e.t.Fatalf("GetTicket(%s): %v", key, err)
	}
	return tk
}

// change applies ch and returns the ticket as GetTicket then reads it (the
// answer itself carries no notes or history).
func (e *env) change(b desk.By, tk desk.Ticket, ch desk.Change) desk.Ticket {
	e.t.Helper()
	got, err := e.s.ChangeTicket(e.ctx, b, tk.ID, ch)
	if err != nil {
		e.t.Fatalf("ChangeTicket(%s, %+v): %v", tk.Number(), ch, err)
	}
	if got.Comments != nil || got.WorkNotes != nil || got.History != nil {
		e.t.Errorf("ChangeTicket answered notes or history: %+v", got)
	}
	return e.getTicket(got.ID)
}

func (e *env) service(name string) licensing.User {
	e.t.Helper()
	u, err := e.s.CreateUser(e.ctx, e.admin, licensing.User{UserName: name, Kind: licensing.KindService, Active: true})
	if err != nil {
		e.t.Fatalf("CreateUser(service %s): %v", name, err)
	}
	return u
}

func (e *env) deactivate(u licensing.User) {
	e.t.Helper()
	if _, err := e.s.UpdateUserFunc(e.ctx, e.admin, u.ID, func(old licensing.User) (licensing.User, error) {
		old.Active = false
		return old, nil
	}); err != nil {
		e.t.Fatalf("deactivate %s: %v", u.UserName, err)
	}
}

func (e *env) integration(name string, mode desk.Mode) (desk.Integration, string) {
	e.t.Helper()
	in, secret, err := e.s.CreateIntegration(e.ctx, e.admin, name, mode)
	if err != nil {
		e.t.Fatalf("CreateIntegration(%s): %v", name, err)
	}
	return in, secret
}

// auditHead returns the newest chained entry's seq (chaining what is pending).
func (e *env) auditHead() int64 {
	e.t.Helper()
	var last int64
	for {
		list, err := e.s.ListAudit(e.ctx, last, 1000)
		if err != nil {
			e.t.Fatalf("ListAudit: %v", err)
		}
		if len(list) == 0 {
			return last
		}
		last = list[len(list)-1].Seq
	}
}

// auditAfter returns the entries chained after seq.
func (e *env) auditAfter(seq int64) []audit.Entry {
	e.t.Helper()
	list, err := e.s.ListAudit(e.ctx, seq, 10000)
	if err != nil {
		e.t.Fatalf("ListAudit: %v", err)
	}
	return list
}

func actions(es []audit.Entry) []string {
	out := make([]string, len(es))
	for i, a := range es {
		out[i] = a.Action
	}
	return out
}

func ptr[T any](v T) *T { return &v }

func noteBodies(ns []desk.Note) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = n.Body
	}
	return out
}

func seqs(ts []desk.Ticket) []int64 {
	out := make([]int64, len(ts))
	for i, tk := range ts {
		out[i] = tk.Seq
	}
	return out
}

// ---- tickets ----

func ticketTests() []testCase {
	return []testCase{
		{"create_and_get_by_id_or_number", testTicketCreate},
		{"numbers_gapless_under_concurrency", testTicketNumbers},
		{"state_machine", testTicketStateMachine},
		{"history_per_field", testTicketHistory},
		{"assignee_is_an_active_person", testTicketAssignee},
		{"notes_in_order", testTicketNotes},
		{"stamp_and_call_share_the_transaction", testTicketStamp},
		{"list_filters", testTicketList},
	}
}

func testTicketCreate(e *env) {
	ann := e.user("ann")
	head := e.auditHead()
	tk, err := e.s.CreateTicket(e.ctx, by(ann), ann.ID, desk.NewTicket{Title: "  VPN down ", Description: "since 9", Category: "Network"})
	if err != nil {
		e.t.Fatalf("CreateTicket: %v", err)
	}
	if tk.ID == "" || tk.Seq != 1 || tk.Number() != "INC-000001" || tk.Title != "VPN down" || tk.Category != "network" || tk.Priority != desk.PriorityMedium ||
		tk.State != desk.StateNew || tk.Requester != ann.ID || tk.RequesterName != "ann" || tk.Assignee != "" || tk.Version != 1 || !tk.CreatedAt.Equal(Epoch) {
		e.t.Errorf("CreateTicket = %+v, want INC-000001 \"VPN down\" (network, medium, new) for ann, version 1, created %v", tk, Epoch)
	}
	// CreateTicket answers without notes and history; they are stored.
	full, err := e.s.GetTicket(e.ctx, tk.ID)
	if err != nil {
		e.t.Fatalf("GetTicket: %v", err)
	}
	want := []desk.HistoryEntry{{At: Epoch, Actor: "ann", Field: "state", From: "", To: "new"}}
	if !slices.Equal(full.History, want) || len(tk.History) != 0 {
		e.t.Errorf("history = %+v (answered %+v), want %+v stored and none answered", full.History, tk.History, want)
	}
	es := e.auditAfter(head)
	if len(es) != 1 || es[0].Action != "ticket.create" || es[0].Subject != "ticket:INC-000001" || es[0].Actor != "ann" || es[0].Result != "ok" {
		e.t.Errorf("audit after CreateTicket = %+v, want one ticket.create of ticket:INC-000001 by ann", es)
	}
	for _, key := range []string{tk.ID, "INC-000001", "inc-1"} {
		got := e.getTicket(key)
		if got.ID != tk.ID || got.RequesterName != "ann" || len(got.History) != 1 || got.Comments == nil || got.WorkNotes == nil {
			e.t.Errorf("GetTicket(%s) = %+v, want ticket %s with one history row and empty note lists", key, got, tk.ID)
		}
	}
	for _, key := range []string{"INC-000002", "tkt_nothing", ""} {
		_, err := e.s.GetTicket(e.ctx, key)
		wantCode(e.t, fmt.Sprintf("GetTicket(%q)", key), err, licensing.CodeNotFound)
	}
	_, err = e.s.CreateTicket(e.ctx, by(ann), "nobody", desk.NewTicket{Title: "x"})
	wantCode(e.t, "CreateTicket(unknown requester)", err, licensing.CodeNotFound)
	bob := e.user("bob")
	e.deactivate(bob)
	_, err = e.s.CreateTicket(e.ctx, by(ann), bob.ID, desk.NewTicket{Title: "x"})
	wantCode(e.t, "CreateTicket(inactive requester)", err, licensing.CodeInactive)
	_, err = e.s.CreateTicket(e.ctx, by(ann), ann.ID, desk.NewTicket{Title: " "})
	wantCode(e.t, "CreateTicket(blank title)", err, licensing.CodeInvalid)
	// Refusals take no number.
	if got := e.newTicket(by(ann), ann, "next"); got.Seq != 2 {
		e.t.Errorf("next ticket after refused creates = %s, want INC-000002", got.Number())
	}
}

func testTicketNumbers(e *env) {
	ann := e.user("ann")
	const n = 20
	var wg sync.WaitGroup
	got := make([]int64, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			tk, err := e.s.CreateTicket(e.ctx, by(ann), ann.ID, desk.NewTicket{Title: fmt.Sprintf("t%02d", i)})
			got[i], errs[i] = tk.Seq, err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			e.t.Fatalf("CreateTicket %d: %v", i, err)
		}
	}
	sort.Slice(got, func(i, j int) bool { return got[i] < got[j] })
	for i, s := range got {
		if s != int64(i+1) {
			e.t.Fatalf("ticket numbers = %v, want 1..%d, each once", got, n)
		}
	}
	list, err := e.s.ListTickets(e.ctx, desk.TicketFilter{})
	if err != nil {
		e.t.Fatalf("ListTickets: %v", err)
	}
	if len(list) != n || list[0].Seq != n || list[n-1].Seq != 1 {
		e.t.Errorf("ListTickets = %v, want %d tickets newest first", seqs(list), n)
	}
}

// reach drives a new ticket to state along allowed moves.
var reach = map[desk.State][]desk.State{
	desk.StateNew:        nil,
	desk.StateInProgress: {desk.StateInProgress},
	desk.StateOnHold:     {desk.StateOnHold},
	desk.StateResolved:   {desk.StateInProgress, desk.StateResolved},
	desk.StateClosed:     {desk.StateResolved, desk.StateClosed},
}

// allowedMoves is the state machine of DESIGN §3.4, written out on its own.
var allowedMoves = map[[2]desk.State]bool{
	{desk.StateNew, desk.StateInProgress}:      true,
	{desk.StateNew, desk.StateOnHold}:          true,
	{desk.StateNew, desk.StateResolved}:        true,
	{desk.StateInProgress, desk.StateOnHold}:   true,
	{desk.StateInProgress, desk.StateResolved}: true,
	{desk.StateOnHold, desk.StateInProgress}:   true,
	{desk.StateOnHold, desk.StateResolved}:     true,
	{desk.StateResolved, desk.StateClosed}:     true,
	{desk.StateResolved, desk.StateInProgress}: true,
}

func testTicketStateMachine(e *env) {
	ann, agent := e.user("ann"), e.user("agent")
	for _, from := range desk.States {
		for _, to := range desk.States {
			move := fmt.Sprintf("%s → %s", from, to)
			tk := e.newTicket(by(ann), ann, move)
			for _, s := range reach[from] {
				tk = e.change(by(agent), tk, desk.Change{State: s})
			}
			before := e.getTicket(tk.ID)
			head := e.auditHead()
			_, err := e.s.ChangeTicket(e.ctx, by(agent), tk.ID, desk.Change{State: to})
			after := e.getTicket(tk.ID)
			got := after
			es := e.auditAfter(head)
			if !allowedMoves[[2]desk.State{from, to}] {
				wantCode(e.t, "ChangeTicket("+move+")", err, licensing.CodeConflict)
				if after.State != from || after.Version != before.Version || len(after.History) != len(before.History) || !after.UpdatedAt.Equal(before.UpdatedAt) {
					e.t.Errorf("after refused %s: state %s, version %d, %d history rows; want %s, %d, %d (nothing changed)",
						move, after.State, after.Version, len(after.History), from, before.Version, len(before.History))
				}
				if len(es) != 0 {
					e.t.Errorf("audit after refused %s = %v, want nothing", move, actions(es))
				}
				continue
			}
			if err != nil {
				e.t.Errorf("ChangeTicket(%s): %v, want the move allowed", move, err)
				continue
			}
			if got.State != to || got.Version != before.Version+1 || len(got.History) != len(before.History)+1 {
				e.t.Errorf("ChangeTicket(%s) = state %s, version %d, %d history rows; want %s, %d, %d", move, got.State, got.Version, len(got.History), to, before.Version+1, len(before.History)+1)
			} else if h := got.History[len(got.History)-1]; h.Field != "state" || h.From != string(from) || h.To != string(to) || h.Actor != "agent" {
				e.t.Errorf("ChangeTicket(%s) history row = %+v, want state %s → %s by agent", move, h, from, to)
			}
			wantDetail := fmt.Sprintf("from=%s to=%s", from, to)
			if len(es) != 1 || es[0].Action != "ticket.transition" || es[0].Detail != wantDetail || es[0].Subject != "ticket:"+tk.Number() || es[0].Actor != "agent" {
				e.t.Errorf("audit after %s = %+v, want one ticket.transition of ticket:%s by agent with %q", move, es, tk.Number(), wantDetail)
			}
		}
	}
	tk := e.newTicket(by(ann), ann, "bogus")
	_, err := e.s.ChangeTicket(e.ctx, by(agent), tk.ID, desk.Change{State: "bogus"})
	wantCode(e.t, "ChangeTicket(state bogus)", err, licensing.CodeInvalid)
	_, err = e.s.ChangeTicket(e.ctx, by(agent), "INC-999999", desk.Change{State: desk.StateInProgress})
	wantCode(e.t, "ChangeTicket(unknown ticket)", err, licensing.CodeNotFound)
}

func testTicketHistory(e *env) {
	ann, bob, cat := e.user("ann"), e.user("bob"), e.user("cat")
	tk := e.newTicket(by(ann), ann, "printer")
	e.clock.Advance(time.Minute)
	head := e.auditHead()
	got := e.change(by(bob), tk, desk.Change{State: desk.StateInProgress, Assignee: ptr(bob.UserName), Priority: desk.PriorityHigh, Category: " Hardware "})
	at := Epoch.Add(time.Minute)
	want := []desk.HistoryEntry{
		{At: Epoch, Actor: "ann", Field: "state", To: "new"},
		{At: at, Actor: "bob", Field: "state", From: "new", To: "in_progress"},
		{At: at, Actor: "bob", Field: "assignee", From: "", To: "bob"},
		{At: at, Actor: "bob", Field: "priority", From: "medium", To: "high"},
		{At: at, Actor: "bob", Field: "category", From: "general", To: "hardware"},
	}
	if !slices.Equal(got.History, want) {
		e.t.Errorf("history = %+v, want %+v", got.History, want)
	}
	if got.Version != 2 || got.Assignee != bob.ID || got.AssigneeName != "bob" || !got.UpdatedAt.Equal(at) {
		e.t.Errorf("ticket = version %d, assignee %s (%s), updated %v; want 2, %s (bob), %v", got.Version, got.Assignee, got.AssigneeName, got.UpdatedAt, bob.ID, at)
	}
	if es := e.auditAfter(head); len(es) != 1 || es[0].Action != "ticket.transition" {
		e.t.Errorf("audit = %v, want one ticket.transition", actions(es))
	}

	// The same values again change nothing: no history, no version, no audit.
	head = e.auditHead()
	same := e.change(by(bob), tk, desk.Change{Assignee: ptr(bob.ID), Priority: desk.PriorityHigh, Category: "hardware"})
	if same.Version != 2 || len(same.History) != len(want) {
		e.t.Errorf("no-op change: version %d, %d history rows; want 2, %d", same.Version, len(same.History), len(want))
	}
	if es := e.auditAfter(head); len(es) != 0 {
		e.t.Errorf("audit after no-op change = %v, want nothing", actions(es))
	}

	// Reassign, then unassign: user names in history; the detail names the field.
	e.clock.Advance(time.Minute)
	head = e.auditHead()
	e.change(by(bob), tk, desk.Change{Assignee: ptr(cat.ID)})
	got = e.change(by(bob), tk, desk.Change{Assignee: ptr("")})
	n := len(got.History)
	if got.Assignee != "" || got.AssigneeName != "" || got.Version != 4 || n != len(want)+2 ||
		got.History[n-2] != (desk.HistoryEntry{At: Epoch.Add(2 * time.Minute), Actor: "bob", Field: "assignee", From: "bob", To: "cat"}) ||
		got.History[n-1] != (desk.HistoryEntry{At: Epoch.Add(2 * time.Minute), Actor: "bob", Field: "assignee", From: "cat", To: ""}) {
		e.t.Errorf("after reassign and unassign: %+v, want unassigned, version 4, history bob → cat → \"\"", got)
	}
	if es := e.auditAfter(head); len(es) != 2 || es[0].Action != "ticket.assign" || es[0].Detail != "assignee=cat" || es[1].Detail != "assignee=" {
		e.t.Errorf("audit = %+v, want ticket.assign with assignee=cat, then assignee=", es)
	}

	// A note alone adds no history row but is a change.
	got = e.change(by(bob), tk, desk.Change{Note: &desk.Note{Kind: desk.KindComment, Body: "on it"}})
	if len(got.History) != n || got.Version != 5 {
		e.t.Errorf("after a comment: %d history rows, version %d; want %d, 5", len(got.History), got.Version, n)
	}
	_, err := e.s.ChangeTicket(e.ctx, by(bob), tk.ID, desk.Change{Priority: "urgent"})
	wantCode(e.t, "ChangeTicket(priority urgent)", err, licensing.CodeInvalid)
}

func testTicketAssignee(e *env) {
	ann, bob, gone := e.user("ann"), e.user("bob"), e.user("gone")
	bot := e.service("bot")
	e.deactivate(gone)
	tk := e.newTicket(by(ann), ann, "mail")
	for _, tc := range []struct {
		name, key, code string
	}{
		{"service_account", bot.ID, licensing.CodeInvalid},
		{"service_account_by_name", "bot", licensing.CodeInvalid},
		{"inactive_person", gone.ID, licensing.CodeInvalid},
		{"unknown", "usr_nobody", licensing.CodeNotFound},
	} {
		head := e.auditHead()
		_, err := e.s.ChangeTicket(e.ctx, by(bob), tk.ID, desk.Change{Assignee: ptr(tc.key), Note: &desk.Note{Kind: desk.KindComment, Body: "x"}})
		if le := wantCode(e.t, "ChangeTicket(assignee "+tc.name+")", err, tc.code); le != nil && le.Field != "assignee" {
			e.t.Errorf("ChangeTicket(assignee %s) field = %q, want assignee", tc.name, le.Field)
		}
		got := e.getTicket(tk.ID)
		if got.Assignee != "" || got.Version != 1 || len(got.Comments) != 0 {
			e.t.Errorf("after refused assignee %s: %+v, want the ticket unchanged", tc.name, got)
		}
		if es := e.auditAfter(head); len(es) != 0 {
			e.t.Errorf("audit after refused assignee %s = %v, want nothing", tc.name, actions(es))
		}
	}
	if got := e.change(by(bob), tk, desk.Change{Assignee: ptr("bob@example.com")}); got.Assignee != bob.ID {
		e.t.Errorf("assign by email: assignee %s, want %s", got.Assignee, bob.ID)
	}
}

func testTicketNotes(e *env) {
	ann, bob := e.user("ann"), e.user("bob")
	tk := e.newTicket(by(ann), ann, "wifi")
	steps := []struct {
		kind desk.NoteKind
		body string
		wait time.Duration
	}{
		{desk.KindComment, "first comment", 0},
		{desk.KindWorkNote, "first work note", 0}, // same instant: insertion order holds
		{desk.KindWorkNote, "second work note", time.Second},
		{desk.KindComment, "second comment", time.Second},
		{desk.KindComment, "third comment", 0},
	}
	head := e.auditHead()
	for _, s := range steps {
		e.clock.Advance(s.wait)
		e.change(by(bob), tk, desk.Change{Note: &desk.Note{Kind: s.kind, Body: "  " + s.body + "\n"}})
	}
	got := e.getTicket(tk.Number())
	if want := []string{"first comment", "second comment", "third comment"}; !slices.Equal(noteBodies(got.Comments), want) {
		e.t.Errorf("comments = %q, want %q", noteBodies(got.Comments), want)
	}
	if want := []string{"first work note", "second work note"}; !slices.Equal(noteBodies(got.WorkNotes), want) {
		e.t.Errorf("work notes = %q, want %q", noteBodies(got.WorkNotes), want)
	}
	c := got.Comments[1]
	if c.ID == "" || c.Ticket != tk.ID || c.Kind != desk.KindComment || c.Author != "bob" || c.AuthorID != bob.ID || !c.At.Equal(Epoch.Add(2*time.Second)) {
		e.t.Errorf("second comment = %+v, want by bob (%s) at %v", c, bob.ID, Epoch.Add(2*time.Second))
	}
	if want := []string{"ticket.comment", "ticket.work_note", "ticket.work_note", "ticket.comment", "ticket.comment"}; !slices.Equal(actions(e.auditAfter(head)), want) {
		e.t.Errorf("audit = %v, want %v", actions(e.auditAfter(head)), want)
	}
	// An author given with the note is kept.
	got = e.change(by(bob), tk, desk.Change{Note: &desk.Note{Kind: desk.KindComment, Body: "relayed", Author: "hub", AuthorID: "usr_hub", Via: "hub", ActingUser: "ann"}})
	if c := got.Comments[len(got.Comments)-1]; c.Author != "hub" || c.AuthorID != "usr_hub" || c.Via != "hub" || c.ActingUser != "ann" {
		e.t.Errorf("relayed comment = %+v, want author hub via hub for ann", c)
	}
	for _, n := range []desk.Note{{Kind: "memo", Body: "x"}, {Kind: desk.KindComment, Body: "  "}} {
		_, err := e.s.ChangeTicket(e.ctx, by(bob), tk.ID, desk.Change{Note: &n})
		wantCode(e.t, fmt.Sprintf("ChangeTicket(note %+v)", n), err, licensing.CodeInvalid)
	}
}

func testTicketStamp(e *env) {
	ann := e.user("ann", "it")
	hub, _ := e.integration("hub", desk.ModeMonitor)
	tk := e.newTicket(by(ann), ann, "laptop")
	b := viaIntegration(hub, "ann@example.com", ann.ID, "Moved via hub on behalf of Ann (ann)", desk.Call{Capability: "ticket.transition", Fulfiller: true, Outcome: desk.OutcomeFlagged})
	head := e.auditHead()
	got := e.change(b, tk, desk.Change{State: desk.StateInProgress})
	if len(got.WorkNotes) != 1 {
		e.t.Fatalf("work notes = %+v, want the stamp", got.WorkNotes)
	}
	if w := got.WorkNotes[0]; w.Body != b.Stamp || w.Author != "hub" || w.AuthorID != hub.User || w.Via != "hub" || w.ActingUser != "ann@example.com" {
		e.t.Errorf("stamp = %+v, want %q by hub via hub for ann@example.com", w, b.Stamp)
	}
	if h := got.History[len(got.History)-1]; h.Actor != "hub" || h.Via != "hub" || h.ActingUser != "ann@example.com" {
		e.t.Errorf("history row = %+v, want by hub via hub for ann@example.com", h)
	}
	if es := e.auditAfter(head); len(es) != 1 || es[0].Actor != "integration:hub" || es[0].ActingUser != "ann@example.com" {
		e.t.Errorf("audit = %+v, want one entry by integration:hub acting for ann@example.com", es)
	}
	var n int
	var ticketID string
	if err := e.raw.QueryRowContext(e.ctx, `SELECT count(*), MAX(ticket_id) FROM integration_calls`).Scan(&n, &ticketID); err != nil {
		e.t.Fatalf("count calls: %v", err)
	}
	if n != 1 || ticketID != tk.ID {
		e.t.Errorf("integration calls = %d (ticket %s), want 1 for %s", n, ticketID, tk.ID)
	}

	// A refused change writes neither its stamp nor its call.
	head = e.auditHead()
	_, err := e.s.ChangeTicket(e.ctx, b, tk.ID, desk.Change{State: desk.StateClosed})
	wantCode(e.t, "ChangeTicket(in_progress → closed)", err, licensing.CodeConflict)
	got = e.getTicket(tk.ID)
	if err := e.raw.QueryRowContext(e.ctx, `SELECT count(*) FROM integration_calls`).Scan(&n); err != nil {
		e.t.Fatalf("count calls: %v", err)
	}
	if len(got.WorkNotes) != 1 || n != 1 {
		e.t.Errorf("after a refused change: %d work notes, %d calls; want 1 and 1", len(got.WorkNotes), n)
	}
	if es := e.auditAfter(head); len(es) != 0 {
		e.t.Errorf("audit after refused change = %v, want nothing", actions(es))
	}

	// A stamp on a new ticket.
	created, err := e.s.CreateTicket(e.ctx, viaIntegration(hub, "E404", "", "Created via hub on behalf of \"E404\" (unverified)",
		desk.Call{Capability: "ticket.create", Outcome: desk.OutcomeAllowed}), hub.User, desk.NewTicket{Title: "from chat"})
	if err != nil {
		e.t.Fatalf("CreateTicket via hub: %v", err)
	}
	if created, err = e.s.GetTicket(e.ctx, created.ID); err != nil {
		e.t.Fatalf("GetTicket: %v", err)
	}
	if len(created.WorkNotes) != 1 || created.WorkNotes[0].ActingUser != "unverified:E404" || created.RequesterName != "hub" {
		e.t.Errorf("ticket created via hub = %+v, want requester hub and one stamp for unverified:E404", created)
	}
}

func testTicketList(e *env) {
	ann, bob, agent := e.user("ann"), e.user("bob"), e.user("agent")
	mk := func(u licensing.User, title, desc, cat string, p desk.Priority) desk.Ticket {
		return e.newTicket(by(u), u, title, func(n *desk.NewTicket) { n.Description, n.Category, n.Priority = desc, cat, p })
	}
	t1 := mk(ann, "Disk 100% full", "", "storage", desk.PriorityHigh)
	t2 := mk(ann, "Disk 1000 GB order", "", "storage", desk.PriorityLow)
	t3 := mk(bob, "path a_b broken", "", "network", desk.PriorityMedium)
	t4 := mk(bob, "path axb broken", "see DISK logs", "network", desk.PriorityHigh)
	t5 := mk(ann, `back\slash`, "", "general", desk.PriorityMedium)
	e.change(by(agent), t1, desk.Change{Assignee: ptr(agent.ID), State: desk.StateInProgress})
	e.change(by(agent), t3, desk.Change{State: desk.StateOnHold})
	e.change(by(agent), t4, desk.Change{Assignee: ptr(agent.ID)})
	for _, tc := range []struct {
		name string
		f    desk.TicketFilter
		want []desk.Ticket
	}{
		{"all_newest_first", desk.TicketFilter{}, []desk.Ticket{t5, t4, t3, t2, t1}},
		{"requester", desk.TicketFilter{Requester: bob.ID}, []desk.Ticket{t4, t3}},
		{"assignee", desk.TicketFilter{Assignee: agent.ID}, []desk.Ticket{t4, t1}},
		{"unassigned", desk.TicketFilter{Assignee: "none"}, []desk.Ticket{t5, t3, t2}},
		{"states", desk.TicketFilter{States: []desk.State{desk.StateInProgress, desk.StateOnHold}}, []desk.Ticket{t3, t1}},
		{"priority", desk.TicketFilter{Priority: desk.PriorityHigh}, []desk.Ticket{t4, t1}},
		{"category", desk.TicketFilter{Category: "Storage"}, []desk.Ticket{t2, t1}},
		{"text_any_case_in_title_or_description", desk.TicketFilter{Text: "disk"}, []desk.Ticket{t4, t2, t1}},
		{"text_percent_is_literal", desk.TicketFilter{Text: "100%"}, []desk.Ticket{t1}},
		{"text_underscore_is_literal", desk.TicketFilter{Text: "A_B"}, []desk.Ticket{t3}},
		{"text_backslash_is_literal", desk.TicketFilter{Text: `k\s`}, []desk.Ticket{t5}},
		{"text_and_state", desk.TicketFilter{Text: "path", States: []desk.State{desk.StateNew}}, []desk.Ticket{t4}},
		{"before", desk.TicketFilter{Before: t4.Seq}, []desk.Ticket{t3, t2, t1}},
		{"before_and_limit", desk.TicketFilter{Before: t4.Seq, Limit: 2}, []desk.Ticket{t3, t2}},
		{"limit", desk.TicketFilter{Limit: 1}, []desk.Ticket{t5}},
		{"nothing", desk.TicketFilter{Text: "printer"}, nil},
	} {
		got, err := e.s.ListTickets(e.ctx, tc.f)
		if err != nil {
			e.t.Errorf("ListTickets(%s): %v", tc.name, err)
			continue
		}
		if !slices.Equal(seqs(got), seqs(tc.want)) {
			e.t.Errorf("ListTickets(%s) = %v, want %v", tc.name, seqs(got), seqs(tc.want))
		}
		if got == nil {
			e.t.Errorf("ListTickets(%s) = nil, want an empty list", tc.name)
		}
	}
	got, err := e.s.ListTickets(e.ctx, desk.TicketFilter{Assignee: agent.ID})
	if err == nil && len(got) > 0 && (got[0].AssigneeName != "agent" || got[0].RequesterName != "bob" || got[0].Comments != nil || got[0].History != nil) {
		e.t.Errorf("ListTickets row = %+v, want names filled and no notes or history", got[0])
	}
	// Case folds in every script, not only ASCII (SQLite's lower() would not).
	t6 := mk(bob, "Über-Drucker streikt", "ÉCRAN NOIR", "hardware", desk.PriorityLow)
	for _, text := range []string{"über", "ÜBER", "écran"} {
		if got, err := e.s.ListTickets(e.ctx, desk.TicketFilter{Text: text}); err != nil || !slices.Equal(seqs(got), seqs([]desk.Ticket{t6})) {
			e.t.Errorf("ListTickets(text %q) = %v, %v; want [%d]", text, seqs(got), err, t6.Seq)
		}
	}
}

// ---- knowledge base ----

func articleTests() []testCase {
	return []testCase{
		{"crud", func(e *env) {
			kim := e.user("kim")
			head := e.auditHead()
			a, err := e.s.CreateArticle(e.ctx, by(kim), desk.Article{Title: " VPN setup ", Body: "Install the client.", Tags: []string{"VPN", "network", "vpn"}})
			if err != nil {
				e.t.Fatalf("CreateArticle: %v", err)
			}
			if a.ID == "" || a.Title != "VPN setup" || a.Author != "kim" || !slices.Equal(a.Tags, []string{"vpn", "network"}) || !a.CreatedAt.Equal(Epoch) {
				e.t.Errorf("CreateArticle = %+v, want \"VPN setup\" by kim tagged vpn, network at %v", a, Epoch)
			}
			b, err := e.s.CreateArticle(e.ctx, by(kim), desk.Article{Title: "apple pay"})
			if err != nil {
				e.t.Fatalf("CreateArticle(apple pay): %v", err)
			}
			got, err := e.s.GetArticle(e.ctx, a.ID)
			if err != nil || got.Title != a.Title || got.Body != a.Body || !slices.Equal(got.Tags, a.Tags) || !got.CreatedAt.Equal(a.CreatedAt) {
				e.t.Errorf("GetArticle = %+v, %v; want %+v", got, err, a)
			}
			if got, _ := e.s.GetArticle(e.ctx, b.ID); got.Tags == nil {
				e.t.Errorf("GetArticle(no tags).Tags = nil, want an empty list")
			}
			e.clock.Advance(time.Hour)
			up, err := e.s.UpdateArticle(e.ctx, by(e.user("lee")), desk.Article{ID: a.ID, Title: "Zoom setup", Body: "new", Tags: []string{"zoom"}})
			if err != nil {
				e.t.Fatalf("UpdateArticle: %v", err)
			}
			if up.Title != "Zoom setup" || up.Author != "kim" || !up.CreatedAt.Equal(Epoch) || !up.UpdatedAt.Equal(Epoch.Add(time.Hour)) || !slices.Equal(up.Tags, []string{"zoom"}) {
				e.t.Errorf("UpdateArticle = %+v, want \"Zoom setup\" still by kim, created %v, updated an hour later", up, Epoch)
			}
			list, err := e.s.ListArticles(e.ctx)
			if err != nil || len(list) != 2 || list[0].ID != b.ID || list[1].ID != a.ID {
				e.t.Errorf("ListArticles = %+v, %v; want apple pay, then Zoom setup", list, err)
			}
			if err := e.s.DeleteArticle(e.ctx, by(kim), b.ID); err != nil {
				e.t.Fatalf("DeleteArticle: %v", err)
			}
			_, err = e.s.GetArticle(e.ctx, b.ID)
			wantCode(e.t, "GetArticle(deleted)", err, licensing.CodeNotFound)
			wantCode(e.t, "DeleteArticle(again)", e.s.DeleteArticle(e.ctx, by(kim), b.ID), licensing.CodeNotFound)
			_, err = e.s.UpdateArticle(e.ctx, by(kim), desk.Article{ID: b.ID, Title: "x"})
			wantCode(e.t, "UpdateArticle(deleted)", err, licensing.CodeNotFound)
			want := []string{"kb.create", "kb.create", "user.create", "kb.update", "kb.delete"}
			if got := actions(e.auditAfter(head)); !slices.Equal(got, want) {
				e.t.Errorf("audit = %v, want %v", got, want)
			}
		}},
		{"validation", func(e *env) {
			kim := e.user("kim")
			a, err := e.s.CreateArticle(e.ctx, by(kim), desk.Article{Title: "ok"})
			if err != nil {
				e.t.Fatalf("CreateArticle: %v", err)
			}
			for _, tc := range []struct {
				name  string
				a     desk.Article
				field string
			}{
				{"blank_title", desk.Article{Title: "  "}, "title"},
				{"long_title", desk.Article{Title: strings.Repeat("t", desk.MaxTitle+1)}, "title"},
				{"long_body", desk.Article{Title: "t", Body: strings.Repeat("b", desk.MaxDescription*5+1)}, "body"},
				{"empty_tag", desk.Article{Title: "t", Tags: []string{" "}}, "tags"},
			} {
				_, err := e.s.CreateArticle(e.ctx, by(kim), tc.a)
				if le := wantCode(e.t, "CreateArticle("+tc.name+")", err, licensing.CodeInvalid); le != nil && le.Field != tc.field {
					e.t.Errorf("CreateArticle(%s) field = %q, want %q", tc.name, le.Field, tc.field)
				}
				tc.a.ID = a.ID
				_, err = e.s.UpdateArticle(e.ctx, by(kim), tc.a)
				wantCode(e.t, "UpdateArticle("+tc.name+")", err, licensing.CodeInvalid)
			}
			if list, _ := e.s.ListArticles(e.ctx); len(list) != 1 || list[0].Title != "ok" {
				e.t.Errorf("ListArticles after refusals = %+v, want only \"ok\" unchanged", list)
			}
		}},
	}
}

// ---- integrations ----

func integrationTests() []testCase {
	return []testCase{
		{"lifecycle", testIntegrationLifecycle},
		{"refusals", testIntegrationRefusals},
		{"record_call_writes_denial", testRecordCall},
		{"multiplexing_report", testMultiplexingReport},
	}
}

func testIntegrationLifecycle(e *env) {
	head := e.auditHead()
	in, secret := e.integration("slack-hub", desk.ModeEnforce)
	if in.ID == "" || in.Name != "slack-hub" || in.Mode != desk.ModeEnforce || in.User == "" || in.UserName != "slack-hub" || in.Token == "" || !in.CreatedAt.Equal(Epoch) || secret == "" {
		e.t.Errorf("CreateIntegration = %+v (secret %d chars), want slack-hub, enforce, with account, token and secret", in, len(secret))
	}
	u, err := e.s.GetUser(e.ctx, in.User)
	if err != nil {
		e.t.Fatalf("GetUser(service account): %v", err)
	}
	if u.Kind != licensing.KindService || u.UserName != "slack-hub" || u.DisplayName != "Integration slack-hub" || !u.Active {
		e.t.Errorf("service account = %+v, want active kind service \"Integration slack-hub\"", u)
	}
	tok, err := e.s.LookupToken(e.ctx, store.HashToken(secret))
	if err != nil {
		e.t.Fatalf("LookupToken(integration secret): %v", err)
	}
	if tok.ID != in.Token || tok.Scope != store.ScopeIntegration || tok.Name != "integration:slack-hub" {
		e.t.Errorf("LookupToken = %+v, want token %s of scope integration named integration:slack-hub", tok, in.Token)
	}
	if got, err := e.s.IntegrationByToken(e.ctx, tok.ID); err != nil || got.ID != in.ID {
		e.t.Errorf("IntegrationByToken = %+v, %v; want %s", got, err, in.ID)
	}
	for _, key := range []string{in.ID, "slack-hub", "Slack-Hub"} {
		if got, err := e.s.GetIntegration(e.ctx, key); err != nil || got != in {
			e.t.Errorf("GetIntegration(%s) = %+v, %v; want %+v", key, got, err, in)
		}
	}
	want := []string{"integration.create"}
	if got := actions(e.auditAfter(head)); !slices.Equal(got, want) {
		e.t.Errorf("audit after create = %v, want %v", got, want)
	}

	e.clock.Advance(time.Minute)
	b, _ := e.integration("bridge", desk.ModeMonitor)
	got, err := e.s.SetIntegrationMode(e.ctx, e.admin, "SLACK-HUB", desk.ModePropose)
	if err != nil {
		e.t.Fatalf("SetIntegrationMode: %v", err)
	}
	if got.Mode != desk.ModePropose || !got.UpdatedAt.Equal(Epoch.Add(time.Minute)) {
		e.t.Errorf("SetIntegrationMode = %+v, want propose, updated %v", got, Epoch.Add(time.Minute))
	}
	if got, _ := e.s.GetIntegration(e.ctx, in.ID); got.Mode != desk.ModePropose {
		e.t.Errorf("GetIntegration after mode change: mode %s, want propose", got.Mode)
	}
	_, err = e.s.SetIntegrationMode(e.ctx, e.admin, "slack-hub", "loud")
	wantCode(e.t, "SetIntegrationMode(loud)", err, licensing.CodeInvalid)
	list, err := e.s.ListIntegrations(e.ctx)
	if err != nil || len(list) != 2 || list[0].ID != b.ID || list[1].ID != in.ID {
		e.t.Errorf("ListIntegrations = %+v, %v; want bridge, slack-hub", list, err)
	}

	head = e.auditHead()
	if err := e.s.DeleteIntegration(e.ctx, e.admin, "slack-hub"); err != nil {
		e.t.Fatalf("DeleteIntegration: %v", err)
	}
	_, err = e.s.LookupToken(e.ctx, store.HashToken(secret))
	wantCode(e.t, "LookupToken(deleted integration's token)", err, licensing.CodeUnauthorized)
	_, err = e.s.GetIntegration(e.ctx, "slack-hub")
	wantCode(e.t, "GetIntegration(deleted)", err, licensing.CodeNotFound)
	_, err = e.s.IntegrationByToken(e.ctx, in.Token)
	wantCode(e.t, "IntegrationByToken(deleted)", err, licensing.CodeNotFound)
	wantCode(e.t, "DeleteIntegration(again)", e.s.DeleteIntegration(e.ctx, e.admin, "slack-hub"), licensing.CodeNotFound)
	if list, _ := e.s.ListIntegrations(e.ctx); len(list) != 1 || list[0].ID != b.ID {
		e.t.Errorf("ListIntegrations after delete = %+v, want bridge only", list)
	}
	if u, err := e.s.GetUser(e.ctx, in.User); err != nil || !u.Active {
		e.t.Errorf("service account after delete = %+v, %v; want it kept, active", u, err)
	}
	if got := actions(e.auditAfter(head)); !slices.Equal(got, []string{"integration.delete"}) {
		e.t.Errorf("audit after delete = %v, want [integration.delete]", got)
	}

	// The name is free again; the new integration takes over the account.
	again, secret2 := e.integration("slack-hub", desk.ModeMonitor)
	if again.ID == in.ID || again.User != in.User || again.Token == in.Token {
		e.t.Errorf("re-created integration = %+v, want a new id and token on account %s", again, in.User)
	}
	if _, err := e.s.LookupToken(e.ctx, store.HashToken(secret2)); err != nil {
		e.t.Errorf("LookupToken(re-created integration): %v", err)
	}
}

func testIntegrationRefusals(e *env) {
	e.user("ann")
	e.integration("hub", desk.ModeEnforce)
	for _, tc := range []struct {
		name, in string
		mode     desk.Mode
		code     string
		field    string
	}{
		{"duplicate", "hub", desk.ModeEnforce, licensing.CodeConflict, "name"},
		{"person_holds_the_user_name", "ann", desk.ModeEnforce, licensing.CodeConflict, "name"},
		{"uppercase", "Hub2", desk.ModeEnforce, licensing.CodeInvalid, "name"},
		{"space", "my hub", desk.ModeEnforce, licensing.CodeInvalid, "name"},
		{"empty", "", desk.ModeEnforce, licensing.CodeInvalid, "name"},
		{"too_long", strings.Repeat("h", 65), desk.ModeEnforce, licensing.CodeInvalid, "name"},
		{"mode", "hub3", "loud", licensing.CodeInvalid, "mode"},
	} {
		_, _, err := e.s.CreateIntegration(e.ctx, e.admin, tc.in, tc.mode)
		if le := wantCode(e.t, "CreateIntegration("+tc.name+")", err, tc.code); le != nil && le.Field != tc.field {
			e.t.Errorf("CreateIntegration(%s) field = %q, want %q", tc.name, le.Field, tc.field)
		}
	}
	if _, err := e.s.GetUser(e.ctx, "hub3"); licensing.ErrorCode(err) != licensing.CodeNotFound {
		e.t.Errorf("GetUser(hub3) after refused create: %v, want not_found", err)
	}
	if list, _ := e.s.ListIntegrations(e.ctx); len(list) != 1 {
		e.t.Errorf("ListIntegrations = %+v, want hub only", list)
	}
	toks, _ := e.s.ListTokens(e.ctx)
	if len(toks) != 1 {
		e.t.Errorf("tokens after refused creates = %d, want 1", len(toks))
	}
}

func testRecordCall(e *env) {
	bob := e.user("bob")
	hub, _ := e.integration("hub", desk.ModeEnforce)
	head := e.auditHead()
	for _, c := range []struct{ raw, acting string }{{"bob@example.com", bob.ID}, {"ghost@example.com", ""}} {
		b := viaIntegration(hub, c.raw, c.acting, "", desk.Call{Capability: "ticket.transition", Fulfiller: true, Outcome: desk.OutcomeBlocked})
		if err := e.s.RecordCall(e.ctx, b); err != nil {
			e.t.Fatalf("RecordCall(%s): %v", c.raw, err)
		}
	}
	if got := e.denials()[licensing.CodeMultiplexingBlocked]; got != 2 {
		e.t.Errorf("denials[multiplexing_blocked] = %d, want 2", got)
	}
	es := e.auditAfter(head)
	if want := []string{"integration.blocked", "decision.deny", "integration.blocked", "decision.deny"}; !slices.Equal(actions(es), want) {
		e.t.Fatalf("audit = %v, want %v", actions(es), want)
	}
	if es[0].Subject != "integration:hub" || es[0].Result != "blocked" || es[0].Actor != "integration:hub" {
		e.t.Errorf("first entry = %+v, want integration:hub blocked by integration:hub", es[0])
	}
	if es[1].Subject != "user:bob/capability:ticket.transition" || es[1].Result != licensing.CodeMultiplexingBlocked {
		e.t.Errorf("first denial = %+v, want user:bob/capability:ticket.transition multiplexing_blocked", es[1])
	}
	if es[3].Subject != "user:ghost@example.com/capability:ticket.transition" {
		e.t.Errorf("second denial subject = %q, want the raw value", es[3].Subject)
	}
	r, err := e.s.MultiplexingReport(e.ctx, Epoch, Epoch.Add(time.Hour))
	if err != nil {
		e.t.Fatalf("MultiplexingReport: %v", err)
	}
	if len(r.Integrations) != 1 || r.Integrations[0].Blocked != 2 {
		e.t.Errorf("report = %+v, want hub with 2 blocked", r.Integrations)
	}
	wantCode(e.t, "RecordCall(no call)", e.s.RecordCall(e.ctx, desk.By{Actor: e.admin}), licensing.CodeInvalid)
}

func testMultiplexingReport(e *env) {
	e.agent()
	e.putSKU("portal", licensing.TierRequester)
	e.named("agents", 5)
	e.createPool(licensing.Pool{ID: "portal", SKU: "portal", Model: licensing.ModelNamed, Seats: 5})
	ann, bob, carl, dave, legacy := e.user("ann"), e.user("bob"), e.user("carl"), e.user("dave"), e.user("legacy")
	e.member("agents", ann, legacy)
	// Data older than the guard: a service account holding an agent seat.
	e.rawExec(`UPDATE users SET kind = 'service' WHERE id = ?`, legacy.ID)

	hub, _ := e.integration("hub", desk.ModeEnforce)
	mon, _ := e.integration("mon", desk.ModeMonitor)
	idle, _ := e.integration("idle", desk.ModeEnforce)
	old, _ := e.integration("old", desk.ModeMonitor)
	e.integration("gone", desk.ModeMonitor)
	if _, _, err := e.s.PutMember(e.ctx, e.admin, "portal", hub.UserName, ""); err != nil {
		e.t.Fatalf("PutMember(portal, hub): %v", err)
	}
	tk := e.newTicket(by(ann), ann, "shared")

	from, to := Epoch.Add(time.Hour), Epoch.Add(2*time.Hour)
	in := from.Add(time.Minute)
	comment := func(i desk.Integration, raw string, u *licensing.User, c desk.Call) {
		e.t.Helper()
		acting := ""
		if u != nil {
			acting = u.ID
		}
		c.At = in
		b := viaIntegration(i, raw, acting, "", c)
		if _, err := e.s.ChangeTicket(e.ctx, b, tk.ID, desk.Change{Note: &desk.Note{Kind: desk.KindComment, Body: "hi"}}); err != nil {
			e.t.Fatalf("ChangeTicket via %s for %s: %v", i.Name, raw, err)
		}
	}
	blocked := func(i desk.Integration, raw string, u *licensing.User, at time.Time) {
		e.t.Helper()
		acting := ""
		if u != nil {
			acting = u.ID
		}
		b := viaIntegration(i, raw, acting, "", desk.Call{At: at, Capability: "ticket.transition", Fulfiller: true, Outcome: desk.OutcomeBlocked})
		if err := e.s.RecordCall(e.ctx, b); err != nil {
			e.t.Fatalf("RecordCall via %s for %s: %v", i.Name, raw, err)
		}
	}
	licensed := desk.Call{Capability: "ticket.work_note", Fulfiller: true, Licensed: true, Outcome: desk.OutcomeAllowed}
	requester := desk.Call{Capability: "ticket.comment_own", Outcome: desk.OutcomeAllowed}
	flagged := desk.Call{Capability: "ticket.work_note", Fulfiller: true, Outcome: desk.OutcomeFlagged}

	// hub (enforce): ann licensed twice (once by email, once by employee
	// value resolved to her), bob blocked three times, an unknown value
	// blocked once, an unknown and carl on requester capabilities, and one
	// call of bob's before the period.
	comment(hub, "ann@example.com", &ann, licensed)
	comment(hub, "ann", &ann, licensed)
	for range 3 {
		blocked(hub, "bob@example.com", &bob, in)
	}
	blocked(hub, "ghost@example.com", nil, in)
	comment(hub, "E999", nil, requester)
	comment(hub, "carl@example.com", &carl, requester)
	blocked(hub, "bob@example.com", &bob, from.Add(-time.Second))
	blocked(hub, "bob@example.com", &bob, to)

	// mon (monitor): bob flagged twice, dave's change proposed once.
	comment(mon, "bob", &bob, flagged)
	comment(mon, "bob@example.com", &bob, flagged)
	pb := viaIntegration(mon, "dave", dave.ID, "Proposed", desk.Call{At: in, Capability: "ticket.transition", Fulfiller: true, Outcome: desk.OutcomeProposed})
	if _, err := e.s.CreateProposal(e.ctx, pb, tk.ID, desk.Change{State: desk.StateInProgress}); err != nil {
		e.t.Fatalf("CreateProposal: %v", err)
	}

	// old: deleted after calling in the period; gone: deleted, never called.
	comment(old, "carl", &carl, flagged)
	for _, name := range []string{"old", "gone"} {
		if err := e.s.DeleteIntegration(e.ctx, e.admin, name); err != nil {
			e.t.Fatalf("DeleteIntegration(%s): %v", name, err)
		}
	}

	r, err := e.s.MultiplexingReport(e.ctx, from, to)
	if err != nil {
		e.t.Fatalf("MultiplexingReport: %v", err)
	}
	if !r.From.Equal(from) || !r.To.Equal(to) {
		e.t.Errorf("report period = [%v, %v), want [%v, %v)", r.From, r.To, from, to)
	}
	want := []desk.Usage{
		{Integration: hub.ID, Name: "hub", Mode: desk.ModeEnforce, Actions: 8, DistinctActing: 5, LicensedActions: 2, UnlicensedActions: 4, Blocked: 4,
			UnknownActing: 2, UnknownValues: []string{"E999", "ghost@example.com"},
			Hold: desk.DefaultHold, Seats: []desk.PoolSeats{}, TopOffenders: []desk.Offender{{User: bob.ID, Name: "bob", Unlicensed: 3}, {Name: "ghost@example.com", Unlicensed: 1}}},
		{Integration: idle.ID, Name: "idle", Mode: desk.ModeEnforce, UnknownValues: []string{}, Hold: desk.DefaultHold, Seats: []desk.PoolSeats{}, TopOffenders: []desk.Offender{}},
		{Integration: mon.ID, Name: "mon", Mode: desk.ModeMonitor, Actions: 3, DistinctActing: 2, UnlicensedActions: 3, Proposed: 1, Flagged: 2,
			UnknownValues: []string{}, Hold: desk.DefaultHold, Seats: []desk.PoolSeats{}, TopOffenders: []desk.Offender{{User: bob.ID, Name: "bob", Unlicensed: 2}, {User: dave.ID, Name: "dave", Unlicensed: 1}}},
		{Integration: old.ID, Name: "old", Mode: desk.ModeMonitor, Actions: 1, DistinctActing: 1, UnlicensedActions: 1, Flagged: 1,
			UnknownValues: []string{}, Hold: desk.DefaultHold, Seats: []desk.PoolSeats{}, TopOffenders: []desk.Offender{{User: carl.ID, Name: "carl", Unlicensed: 1}}},
	}
	if got := fmt.Sprintf("%+v", r.Integrations); got != fmt.Sprintf("%+v", want) {
		e.t.Errorf("report integrations =\n%s\nwant\n%s", got, fmt.Sprintf("%+v", want))
	}
	if len(r.ServiceSeats) != 1 || r.ServiceSeats[0].User != legacy.ID || r.ServiceSeats[0].Pool != "agents" {
		e.t.Errorf("ServiceSeats = %+v, want legacy's agents seat only", r.ServiceSeats)
	}
}

// ---- proposals ----

func proposalTests() []testCase {
	return []testCase{
		{"confirm_applies_the_change", testProposalConfirm},
		{"reject_and_decide_twice", testProposalReject},
		{"confirm_refused_by_the_state_machine", testProposalStale},
		{"confirm_of_a_move_made_supersedes", testProposalSupersededOnConfirm},
		{"ticket_change_supersedes_pending", testProposalSupersededByChange},
	}
}

// proposal creates a proposal of ch on tk from integration hub acting for u.
func (e *env) proposal(hub desk.Integration, u licensing.User, tk desk.Ticket, ch desk.Change) desk.Proposal {
	e.t.Helper()
	b := viaIntegration(hub, u.UserName, u.ID, "Proposed via "+hub.Name+" on behalf of "+u.UserName, desk.Call{Capability: ch.Capability(), Fulfiller: true, Outcome: desk.OutcomeProposed})
	p, err := e.s.CreateProposal(e.ctx, b, tk.ID, ch)
	if err != nil {
		e.t.Fatalf("CreateProposal(%s, %+v): %v", tk.Number(), ch, err)
	}
	return p
}

func testProposalConfirm(e *env) {
	ann, bob, agent := e.user("ann"), e.user("bob"), e.user("agent")
	hub, _ := e.integration("hub", desk.ModePropose)
	tk := e.newTicket(by(ann), ann, "vpn")
	head := e.auditHead()
	ch := desk.Change{State: desk.StateInProgress, Assignee: ptr(bob.ID), Note: &desk.Note{Kind: desk.KindWorkNote, Body: "taking it", Author: "hub", AuthorID: hub.User, Via: "hub", ActingUser: "bob"}}
	p := e.proposal(hub, bob, tk, ch)
	if p.ID == "" || p.State != desk.ProposalPending || p.Integration != hub.ID || p.IntegName != "hub" || p.Ticket != tk.ID || p.TicketSeq != tk.Seq ||
		p.Capability != "ticket.transition" || p.ActingRaw != "bob" || p.ActingUser != bob.ID || p.ActingName != "bob" || !p.CreatedAt.Equal(Epoch) {
		e.t.Errorf("CreateProposal = %+v, want pending ticket.transition on %s from hub for bob", p, tk.Number())
	}
	if p.Change.State != ch.State || p.Change.Assignee == nil || *p.Change.Assignee != bob.ID || p.Change.Note == nil || p.Change.Note.Body != "taking it" {
		e.t.Errorf("proposal change = %+v, want %+v", p.Change, ch)
	}
	got := e.getTicket(tk.ID)
	if got.State != desk.StateNew || got.Version != 1 || len(got.WorkNotes) != 1 || got.WorkNotes[0].Body != "Proposed via hub on behalf of bob" {
		e.t.Errorf("ticket after proposal = %+v, want new, version 1, with the stamp only", got)
	}
	if got := actions(e.auditAfter(head)); !slices.Equal(got, []string{"proposal.create"}) {
		e.t.Errorf("audit after proposal = %v, want [proposal.create]", got)
	}
	if list, err := e.s.ListProposals(e.ctx, desk.ProposalPending, 0); err != nil || len(list) != 1 || list[0].ID != p.ID || list[0].ActingName != "bob" {
		e.t.Errorf("ListProposals(pending) = %+v, %v; want %s", list, err, p.ID)
	}

	e.clock.Advance(time.Minute)
	head = e.auditHead()
	dp, dt, err := e.s.DecideProposal(e.ctx, by(agent), p.ID, true, "")
	if err != nil {
		e.t.Fatalf("DecideProposal(confirm): %v", err)
	}
	if dp.State != desk.ProposalConfirmed || dp.DecidedBy != "agent" || !dp.DecidedAt.Equal(Epoch.Add(time.Minute)) {
		e.t.Errorf("decided proposal = %+v, want confirmed by agent at %v", dp, Epoch.Add(time.Minute))
	}
	if dt.State != desk.StateInProgress || dt.Assignee != bob.ID || dt.Version != 2 || len(dt.WorkNotes) != 2 || dt.WorkNotes[1].Author != "hub" {
		e.t.Errorf("ticket after confirm = %+v, want in_progress, assigned to bob, version 2, the proposed work note by hub", dt)
	}
	if h := dt.History[1]; h.Field != "state" || h.Actor != "agent" {
		e.t.Errorf("history after confirm = %+v, want the state change by agent", dt.History)
	}
	if got := actions(e.auditAfter(head)); !slices.Equal(got, []string{"ticket.transition", "proposal.confirm"}) {
		e.t.Errorf("audit after confirm = %v, want [ticket.transition proposal.confirm]", got)
	}
	if got, _ := e.s.GetProposal(e.ctx, p.ID); got.State != desk.ProposalConfirmed {
		e.t.Errorf("GetProposal after confirm: state %s, want confirmed", got.State)
	}
	_, err = e.s.GetProposal(e.ctx, "prp_nothing")
	wantCode(e.t, "GetProposal(unknown)", err, licensing.CodeNotFound)
	_, _, err = e.s.DecideProposal(e.ctx, by(agent), "prp_nothing", true, "")
	wantCode(e.t, "DecideProposal(unknown)", err, licensing.CodeNotFound)
	_, err = e.s.ListProposals(e.ctx, "maybe", 0)
	wantCode(e.t, "ListProposals(maybe)", err, licensing.CodeInvalid)
}

func testProposalReject(e *env) {
	ann, bob, agent := e.user("ann"), e.user("bob"), e.user("agent")
	hub, _ := e.integration("hub", desk.ModePropose)
	tk := e.newTicket(by(ann), ann, "vpn")
	p1 := e.proposal(hub, bob, tk, desk.Change{Priority: desk.PriorityCritical})
	e.clock.Advance(time.Second)
	p2 := e.proposal(hub, bob, tk, desk.Change{State: desk.StateOnHold})
	head := e.auditHead()
	dp, dt, err := e.s.DecideProposal(e.ctx, by(agent), p1.ID, false, "not critical")
	if err != nil {
		e.t.Fatalf("DecideProposal(reject): %v", err)
	}
	if dp.State != desk.ProposalRejected || dp.Reason != "not critical" || dp.DecidedBy != "agent" || dt.ID != tk.ID || dt.Priority != desk.PriorityMedium || dt.Version != 1 {
		e.t.Errorf("reject = %+v, ticket %+v; want rejected by agent with the reason, ticket unchanged", dp, dt)
	}
	if got := actions(e.auditAfter(head)); !slices.Equal(got, []string{"proposal.reject"}) {
		e.t.Errorf("audit after reject = %v, want [proposal.reject]", got)
	}
	for _, confirm := range []bool{true, false} {
		_, _, err := e.s.DecideProposal(e.ctx, by(agent), p1.ID, confirm, "")
		wantCode(e.t, fmt.Sprintf("DecideProposal(rejected, confirm=%v)", confirm), err, licensing.CodeConflict)
	}
	if got, _ := e.s.GetProposal(e.ctx, p1.ID); got.State != desk.ProposalRejected || got.Reason != "not critical" {
		e.t.Errorf("proposal after deciding twice = %+v, want still rejected", got)
	}
	list, err := e.s.ListProposals(e.ctx, "", 0)
	if err != nil || len(list) != 2 || list[0].ID != p2.ID || list[1].ID != p1.ID {
		e.t.Errorf("ListProposals(all) = %+v, %v; want %s then %s (newest first)", list, err, p2.ID, p1.ID)
	}
	if list, _ := e.s.ListProposals(e.ctx, desk.ProposalRejected, 0); len(list) != 1 || list[0].ID != p1.ID {
		e.t.Errorf("ListProposals(rejected) = %+v, want %s", list, p1.ID)
	}
	if list, _ := e.s.ListProposals(e.ctx, "", 1); len(list) != 1 || list[0].ID != p2.ID {
		e.t.Errorf("ListProposals(limit 1) = %+v, want %s", list, p2.ID)
	}

	// A closed ticket takes no proposals.
	e.change(by(agent), tk, desk.Change{State: desk.StateResolved})
	e.change(by(agent), tk, desk.Change{State: desk.StateClosed})
	b := viaIntegration(hub, "bob", bob.ID, "Proposed", desk.Call{Capability: "ticket.update", Fulfiller: true})
	_, err = e.s.CreateProposal(e.ctx, b, tk.ID, desk.Change{Priority: desk.PriorityLow})
	wantCode(e.t, "CreateProposal(closed ticket)", err, licensing.CodeConflict)
	_, err = e.s.CreateProposal(e.ctx, b, "INC-999999", desk.Change{Priority: desk.PriorityLow})
	wantCode(e.t, "CreateProposal(unknown ticket)", err, licensing.CodeNotFound)
	var n int
	if err := e.raw.QueryRowContext(e.ctx, `SELECT count(*) FROM integration_calls`).Scan(&n); err != nil {
		e.t.Fatalf("count calls: %v", err)
	}
	if n != 2 {
		e.t.Errorf("integration calls = %d, want 2 (the refused proposals wrote none)", n)
	}
}

func testProposalStale(e *env) {
	ann, bob, agent := e.user("ann"), e.user("bob"), e.user("agent")
	hub, _ := e.integration("hub", desk.ModePropose)
	tk := e.newTicket(by(ann), ann, "vpn")
	p := e.proposal(hub, bob, tk, desk.Change{State: desk.StateOnHold, Note: &desk.Note{Kind: desk.KindComment, Body: "waiting"}})
	e.change(by(agent), tk, desk.Change{State: desk.StateResolved})
	before := e.getTicket(tk.ID)
	head := e.auditHead()
	_, _, err := e.s.DecideProposal(e.ctx, by(agent), p.ID, true, "")
	wantCode(e.t, "DecideProposal(resolved → on_hold)", err, licensing.CodeConflict)
	after := e.getTicket(tk.ID)
	if after.State != desk.StateResolved || after.Version != before.Version || len(after.History) != len(before.History) || len(after.Comments) != 0 {
		e.t.Errorf("ticket after refused confirm = %+v, want unchanged %+v", after, before)
	}
	if got, _ := e.s.GetProposal(e.ctx, p.ID); got.State != desk.ProposalPending || !got.DecidedAt.IsZero() {
		e.t.Errorf("proposal after refused confirm = %+v, want still pending", got)
	}
	if es := e.auditAfter(head); len(es) != 0 {
		e.t.Errorf("audit after refused confirm = %v, want nothing", actions(es))
	}
	// It can still be rejected.
	if dp, _, err := e.s.DecideProposal(e.ctx, by(agent), p.ID, false, "moved on"); err != nil || dp.State != desk.ProposalRejected {
		e.t.Errorf("DecideProposal(reject stale) = %+v, %v; want rejected", dp, err)
	}
}

// ---- accounts and web sessions ----

func accountTests() []testCase {
	return []testCase{
		{"passwords", func(e *env) {
			ann, bob, gone := e.user("ann"), e.user("bob"), e.user("gone")
			bot := e.service("bot")
			e.deactivate(gone)
			head := e.auditHead()
			if err := e.s.SetPassword(e.ctx, e.admin, "ann@example.com", "hash-1"); err != nil {
				e.t.Fatalf("SetPassword: %v", err)
			}
			u, hash, err := e.s.Account(e.ctx, "ann")
			if err != nil || u.ID != ann.ID || hash != "hash-1" {
				e.t.Errorf("Account(ann) = %s, %q, %v; want %s, hash-1", u.ID, hash, err, ann.ID)
			}
			if err := e.s.SetPassword(e.ctx, e.admin, ann.ID, "hash-2"); err != nil {
				e.t.Fatalf("SetPassword(again): %v", err)
			}
			if _, hash, _ := e.s.Account(e.ctx, ann.ID); hash != "hash-2" {
				e.t.Errorf("Account(ann) hash after reset = %q, want hash-2", hash)
			}
			for _, tc := range []struct{ name, key, hash, code string }{
				{"service_account", bot.ID, "h", licensing.CodeInvalid},
				{"inactive", gone.ID, "h", licensing.CodeInactive},
				{"unknown", "nobody", "h", licensing.CodeNotFound},
				{"empty_hash", ann.ID, "", licensing.CodeInvalid},
			} {
				wantCode(e.t, "SetPassword("+tc.name+")", e.s.SetPassword(e.ctx, e.admin, tc.key, tc.hash), tc.code)
			}
			for _, key := range []string{bob.ID, "nobody"} {
				_, _, err := e.s.Account(e.ctx, key)
				wantCode(e.t, "Account("+key+")", err, licensing.CodeNotFound)
			}
			es := e.auditAfter(head)
			if len(es) != 2 || es[0].Action != "account.password" || es[0].Subject != "user:ann" {
				e.t.Errorf("audit = %+v, want two account.password entries for user:ann", es)
			}
		}},
		{"web_sessions", func(e *env) {
			ann, bob := e.user("ann"), e.user("bob")
			head := e.auditHead()
			mk := func(id string, u licensing.User, ttl time.Duration) desk.WebSession {
				ws := desk.WebSession{ID: id, User: u.ID, SeatSession: "ses_" + id, CSRF: "csrf-" + id, Method: "local", ExpiresAt: e.clock.Peek().Add(ttl)}
				if err := e.s.CreateWebSession(e.ctx, e.admin, ws, 0); err != nil {
					e.t.Fatalf("CreateWebSession(%s): %v", id, err)
				}
				return ws
			}
			short := mk("h-short", ann, time.Hour)
			long := mk("h-long", ann, 8*time.Hour)
			mk("h-bob", bob, 8*time.Hour)
			got, err := e.s.GetWebSession(e.ctx, short.ID)
			if err != nil {
				e.t.Fatalf("GetWebSession: %v", err)
			}
			if got.User != ann.ID || got.UserName != "ann" || got.SeatSession != "ses_h-short" || got.CSRF != "csrf-h-short" || got.Method != "local" ||
				!got.CreatedAt.Equal(Epoch) || !got.ExpiresAt.Equal(Epoch.Add(time.Hour)) {
				e.t.Errorf("GetWebSession = %+v, want ann's session created %v, expiring an hour later", got, Epoch)
			}
			_, err = e.s.GetWebSession(e.ctx, "h-unknown")
			wantCode(e.t, "GetWebSession(unknown)", err, licensing.CodeUnauthorized)
			wantCode(e.t, "CreateWebSession(duplicate)", e.s.CreateWebSession(e.ctx, e.admin, short, 0), licensing.CodeConflict)
			wantCode(e.t, "CreateWebSession(expired)", e.s.CreateWebSession(e.ctx, e.admin,
				desk.WebSession{ID: "h-x", User: ann.ID, CSRF: "c", Method: "local", ExpiresAt: Epoch}, 0), licensing.CodeInvalid)
			wantCode(e.t, "CreateWebSession(unknown user)", e.s.CreateWebSession(e.ctx, e.admin,
				desk.WebSession{ID: "h-y", User: "nobody", CSRF: "c", Method: "local", ExpiresAt: Epoch.Add(time.Hour)}, 0), licensing.CodeNotFound)

			e.clock.Advance(time.Hour)
			_, err = e.s.GetWebSession(e.ctx, short.ID)
			wantCode(e.t, "GetWebSession(at expiry)", err, licensing.CodeUnauthorized)
			if _, err := e.s.GetWebSession(e.ctx, long.ID); err != nil {
				e.t.Errorf("GetWebSession(long) after an hour: %v, want live", err)
			}
			if n, err := e.s.DeleteExpiredWebSessions(e.ctx); err != nil || n != 1 {
				e.t.Errorf("DeleteExpiredWebSessions = %d, %v; want 1", n, err)
			}
			_, err = e.s.DeleteWebSession(e.ctx, e.admin, short.ID)
			wantCode(e.t, "DeleteWebSession(expired and removed)", err, licensing.CodeNotFound)

			del, err := e.s.DeleteWebSession(e.ctx, e.admin, long.ID)
			if err != nil {
				e.t.Fatalf("DeleteWebSession: %v", err)
			}
			if del.ID != long.ID || del.SeatSession != "ses_h-long" || del.UserName != "ann" {
				e.t.Errorf("DeleteWebSession = %+v, want the deleted session with seat session ses_h-long", del)
			}
			_, err = e.s.GetWebSession(e.ctx, long.ID)
			wantCode(e.t, "GetWebSession(signed out)", err, licensing.CodeUnauthorized)
			_, err = e.s.DeleteWebSession(e.ctx, e.admin, long.ID)
			wantCode(e.t, "DeleteWebSession(again)", err, licensing.CodeNotFound)

			// A deactivated person's sessions no longer count.
			e.deactivate(bob)
			_, err = e.s.GetWebSession(e.ctx, "h-bob")
			wantCode(e.t, "GetWebSession(inactive person)", err, licensing.CodeUnauthorized)

			var subjects []string
			for _, a := range e.auditAfter(head) {
				if a.Action == "signin" || a.Action == "signout" {
					subjects = append(subjects, a.Action+" "+a.Subject+" "+a.Detail)
				}
			}
			want := []string{"signin user:ann method=local", "signin user:ann method=local", "signin user:bob method=local", "signout user:ann method=local"}
			if !slices.Equal(subjects, want) {
				e.t.Errorf("sign-in audit = %q, want %q", subjects, want)
			}
		}},
		{"new_password_signs_out_everywhere", func(e *env) {
			e.agent()
			e.concurrent("floating", 2)
			ann := e.user("ann")
			e.member("floating", ann)
			ss, err := e.s.StartSession(e.ctx, e.admin, ann.ID, false, []string{"floating"})
			if err != nil {
				e.t.Fatalf("StartSession: %v", err)
			}
			ws := desk.WebSession{ID: "h-ann", User: ann.ID, SeatSession: ss.ID, CSRF: "c", Method: "local", ExpiresAt: e.clock.Peek().Add(time.Hour)}
			if err := e.s.CreateWebSession(e.ctx, e.admin, ws, 0); err != nil {
				e.t.Fatalf("CreateWebSession: %v", err)
			}
			if err := e.s.SetPassword(e.ctx, e.admin, ann.ID, "pbkdf2-sha256$1$c2FsdA$aGFzaA"); err != nil {
				e.t.Fatalf("SetPassword: %v", err)
			}
			_, err = e.s.GetWebSession(e.ctx, ws.ID)
			wantCode(e.t, "GetWebSession(after a new password)", err, licensing.CodeUnauthorized)
			if got, err := e.s.GetSession(e.ctx, ss.ID); err != nil || got.EndedAt.IsZero() {
				e.t.Errorf("seat session after a new password = %+v, %v; want ended", got, err)
			}
			if leases, _ := e.s.ActiveLeases(e.ctx, "floating"); len(leases) != 0 {
				e.t.Errorf("leases after a new password = %+v, want none", leases)
			}
		}},
	}
}
