package desk_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/desk"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

var tokenActor = licensing.Actor{Name: "token:desk", Source: "127.0.0.1"}

func (e *deskEnv) person(t *testing.T, key, session string) desk.Principal {
	t.Helper()
	p, err := e.desk.Person(tokenActor, key, session)
	if err != nil {
		t.Fatalf("Person(%s): %v", key, err)
	}
	return p
}

func (e *deskEnv) integration(t *testing.T, name string, mode desk.Mode) desk.Integration {
	t.Helper()
	in, _, err := e.desk.CreateIntegration(context.Background(), licensing.System("test"), name, mode)
	if err != nil {
		t.Fatalf("CreateIntegration: %v", err)
	}
	return in
}

func (e *deskEnv) ticket(t *testing.T, requester string) desk.Ticket {
	t.Helper()
	tk, err := e.desk.CreateTicket(context.Background(), e.person(t, requester, ""), desk.NewTicket{Title: "VPN down", Description: "times out"})
	if err != nil {
		t.Fatalf("CreateTicket: %v", err)
	}
	return tk
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := licensing.ErrorCode(err); got != code {
		t.Fatalf("error %v: code %q, want %q", err, got, code)
	}
}

func (e *deskEnv) report(t *testing.T) map[string]desk.Usage {
	t.Helper()
	rep, err := e.desk.Report(context.Background(), tokenActor, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatalf("Report: %v", err)
	}
	out := map[string]desk.Usage{}
	for _, u := range rep.Integrations {
		out[u.Name] = u
	}
	return out
}

// TestIntegrationModes drives one unlicensed and one licensed acting person
// through each mode and checks the ticket, the stamp and the report.
func TestIntegrationModes(t *testing.T) {
	e := newDeskEnv(t)
	ctx := context.Background()
	tk := e.ticket(t, "req@example.com")
	move := desk.Change{State: desk.StateInProgress}

	enforce := e.integration(t, "slack-hub", desk.ModeEnforce)
	_, err := e.desk.Change(ctx, e.desk.Acting(tokenActor, enforce, "E2"), tk.ID, move)
	wantCode(t, err, licensing.CodeMultiplexingBlocked)
	if got, _ := e.st.GetTicket(ctx, tk.ID); got.State != desk.StateNew || got.Version != tk.Version {
		t.Fatalf("a blocked change changed the ticket: %+v", got)
	}
	res, err := e.desk.Change(ctx, e.desk.Acting(tokenActor, enforce, "agent@example.com"), tk.ID, move)
	if err != nil || res.Ticket.State != desk.StateInProgress {
		t.Fatalf("licensed acting agent: %v %+v", err, res)
	}
	full, _ := e.st.GetTicket(ctx, tk.ID)
	stamp := full.WorkNotes[len(full.WorkNotes)-1]
	if !strings.Contains(stamp.Body, "via slack-hub on behalf of Ada Agent (E1)") || stamp.Via != "slack-hub" || stamp.ActingUser != "agent@example.com" {
		t.Fatalf("stamp %+v", stamp)
	}

	propose := e.integration(t, "teams-bot", desk.ModePropose)
	res, err = e.desk.Change(ctx, e.desk.Acting(tokenActor, propose, "req@example.com"), tk.ID, desk.Change{State: desk.StateOnHold})
	if err != nil || res.Proposal == nil || res.Proposal.State != desk.ProposalPending {
		t.Fatalf("propose: %v %+v", err, res)
	}
	if got, _ := e.st.GetTicket(ctx, tk.ID); got.State != desk.StateInProgress {
		t.Fatalf("a proposal changed the ticket: %s", got.State)
	}
	_, _, err = e.desk.DecideProposal(ctx, e.person(t, "req@example.com", ""), res.Proposal.ID, true, "")
	wantCode(t, err, licensing.CodeNoLicence)
	_, _, err = e.desk.DecideProposal(ctx, e.desk.Acting(tokenActor, propose, "agent@example.com"), res.Proposal.ID, true, "")
	wantCode(t, err, licensing.CodeForbidden)
	pr, got, err := e.desk.DecideProposal(ctx, e.person(t, "agent@example.com", ""), res.Proposal.ID, true, "")
	if err != nil || pr.State != desk.ProposalConfirmed || got.State != desk.StateOnHold {
		t.Fatalf("confirm: %v %+v %s", err, pr, got.State)
	}

	monitor := e.integration(t, "legacy-itsm", desk.ModeMonitor)
	res, err = e.desk.Change(ctx, e.desk.Acting(tokenActor, monitor, "req@example.com"), tk.ID, desk.Change{Note: &desk.Note{Kind: desk.KindWorkNote, Body: "from the old desk"}})
	if err != nil || res.Ticket.ID == "" {
		t.Fatalf("monitor: %v %+v", err, res)
	}

	rep := e.report(t)
	if u := rep["slack-hub"]; u.Blocked != 1 || u.LicensedActions != 1 || u.UnlicensedActions != 1 || u.DistinctActing != 2 {
		t.Fatalf("slack-hub usage %+v", u)
	}
	if u := rep["teams-bot"]; u.Proposed != 1 || u.UnlicensedActions != 1 {
		t.Fatalf("teams-bot usage %+v", u)
	}
	if u := rep["legacy-itsm"]; u.Flagged != 1 || len(u.TopOffenders) != 1 || u.TopOffenders[0].Name != "req@example.com" {
		t.Fatalf("legacy-itsm usage %+v", u)
	}
}

// TestUnknownActingUser: requester capabilities pass for a value that
// matches nobody (kept, marked unverified); fulfiller ones never do.
func TestUnknownActingUser(t *testing.T) {
	e := newDeskEnv(t)
	ctx := context.Background()
	in := e.integration(t, "slack-hub", desk.ModeMonitor)
	p := e.desk.Acting(tokenActor, in, "ghost@example.com")
	if p.Actor.ActingUser != "unverified:ghost@example.com" || p.Actor.Name != in.UserName {
		t.Fatalf("actor %+v", p.Actor)
	}
	tk, err := e.desk.CreateTicket(ctx, p, desk.NewTicket{Title: "Printer jam"})
	if err != nil {
		t.Fatal(err)
	}
	if tk.Requester != in.User {
		t.Fatalf("requester %q, want the service account %q", tk.Requester, in.User)
	}
	full, _ := e.st.GetTicket(ctx, tk.ID)
	if len(full.WorkNotes) != 1 || !strings.Contains(full.WorkNotes[0].Body, `on behalf of "ghost@example.com" (unverified)`) {
		t.Fatalf("stamp %+v", full.WorkNotes)
	}
	if _, err := e.desk.Change(ctx, p, tk.ID, desk.Change{State: desk.StateInProgress}); err != nil {
		t.Fatalf("monitor lets it pass: %v", err)
	}
	if u := e.report(t)["slack-hub"]; u.UnknownActing != 2 || u.Flagged != 1 || len(u.UnknownValues) != 1 {
		t.Fatalf("usage %+v", u)
	}
	// A service account named as the acting user is not a person.
	if q := e.desk.Acting(tokenActor, in, in.UserName); q.User != "" {
		t.Fatalf("a service account resolved as the acting person: %+v", q)
	}
}

// TestReadOnlyWhenPoolFull: with every concurrent seat taken an agent still
// reads the queue, is refused changes with the queue place, and the
// standing says read-only.
func TestReadOnlyWhenPoolFull(t *testing.T) {
	e := newDeskEnv(t)
	ctx := context.Background()
	a := licensing.System("test")
	pool := licensing.Pool{ID: "floating", SKU: "agent", Model: licensing.ModelConcurrent, Seats: 1, Queue: &licensing.QueueConfig{MaxLength: 5}}
	if err := e.st.CreatePool(ctx, a, pool); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"busy@example.com", "late@example.com"} {
		if _, err := e.st.CreateUser(ctx, a, licensing.User{UserName: n, Kind: licensing.KindPerson, Active: true}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.st.PutMember(ctx, a, "floating", n, ""); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.seats.StartSession(ctx, a, "busy@example.com", false); err != nil {
		t.Fatal(err)
	}
	late, err := e.seats.StartSession(ctx, a, "late@example.com", true)
	if err != nil {
		t.Fatal(err)
	}
	p := e.person(t, "late@example.com", late.ID)
	st, err := e.desk.Standing(ctx, p, e.st)
	if err != nil || st.Kind != desk.StandingReadOnly || st.Pool != "floating" {
		t.Fatalf("standing before: %v %+v", err, st)
	}
	tk := e.ticket(t, "req@example.com")
	if _, err := e.desk.ListTickets(ctx, p, desk.TicketFilter{}, true); err != nil {
		t.Fatalf("read-only agent cannot read the queue: %v", err)
	}
	if _, acc, err := e.desk.GetTicket(ctx, p, tk.Number()); err != nil || acc != desk.AccessAll {
		t.Fatalf("read-only agent cannot read a ticket: %v", err)
	}
	_, err = e.desk.Change(ctx, p, tk.ID, desk.Change{State: desk.StateInProgress})
	wantCode(t, err, licensing.CodeMaxedOut)
	if e, _ := licensing.AsError(err); e.QueuePosition != 1 {
		t.Fatalf("queue position %d, want 1", e.QueuePosition)
	}
	if st, _ := e.desk.Standing(ctx, p, e.st); st.Kind != desk.StandingReadOnly || st.QueuePosition != 1 {
		t.Fatalf("standing after: %+v", st)
	}
	req := e.person(t, "req@example.com", "")
	if st, _ := e.desk.Standing(ctx, req, e.st); st.Kind != desk.StandingRequester {
		t.Fatalf("requester standing %+v", st)
	}
	if st, _ := e.desk.Standing(ctx, e.person(t, "agent@example.com", ""), e.st); st.Kind != desk.StandingNamed || st.Pool != "agents" {
		t.Fatalf("named standing %+v", st)
	}
	if _, err := e.desk.ListTickets(ctx, req, desk.TicketFilter{}, true); licensing.ErrorCode(err) != licensing.CodeNoLicence {
		t.Fatalf("a requester read the queue: %v", err)
	}
}

// TestRequesterSeesOwnOnly: work notes are hidden from the requester and
// other people's tickets answer not found.
func TestRequesterSeesOwnOnly(t *testing.T) {
	e := newDeskEnv(t)
	ctx := context.Background()
	a := licensing.System("test")
	if _, err := e.st.CreateUser(ctx, a, licensing.User{UserName: "other@example.com", Kind: licensing.KindPerson, Active: true}); err != nil {
		t.Fatal(err)
	}
	tk := e.ticket(t, "req@example.com")
	agent := e.person(t, "agent@example.com", "")
	if _, err := e.desk.Change(ctx, agent, tk.ID, desk.Change{Note: &desk.Note{Kind: desk.KindWorkNote, Body: "internal"}}); err != nil {
		t.Fatal(err)
	}
	got, acc, err := e.desk.GetTicket(ctx, e.person(t, "req@example.com", ""), tk.ID)
	if err != nil || acc != desk.AccessOwn || len(got.WorkNotes) != 0 {
		t.Fatalf("own view: %v %v %+v", err, acc, got.WorkNotes)
	}
	_, _, err = e.desk.GetTicket(ctx, e.person(t, "other@example.com", ""), tk.ID)
	wantCode(t, err, licensing.CodeNotFound)
	_, err = e.desk.Change(ctx, e.person(t, "req@example.com", ""), tk.ID, desk.Change{Note: &desk.Note{Kind: desk.KindComment, Body: "any news?"}})
	if err != nil {
		t.Fatalf("requester comment: %v", err)
	}
	_, err = e.desk.Change(ctx, e.person(t, "other@example.com", ""), tk.ID, desk.Change{Note: &desk.Note{Kind: desk.KindComment, Body: "me too"}})
	wantCode(t, err, licensing.CodeNoLicence)
}

// TestRefusalsBeforeAnyMode: an inactive acting person, a disabled
// integration and an impossible move are refused in every mode, before
// anything is recorded or proposed, and a service account is no person.
func TestRefusalsBeforeAnyMode(t *testing.T) {
	e := newDeskEnv(t)
	ctx := context.Background()
	a := licensing.System("test")
	tk := e.ticket(t, "req@example.com")
	if _, err := e.st.CreateUser(ctx, a, licensing.User{UserName: "leaver@example.com", EmployeeID: "E9", Kind: licensing.KindPerson, Active: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.UpdateUserFunc(ctx, a, "leaver@example.com", func(u licensing.User) (licensing.User, error) { u.Active = false; return u, nil }); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []desk.Mode{desk.ModeEnforce, desk.ModePropose, desk.ModeMonitor} {
		in := e.integration(t, "hub-"+string(mode), mode)
		_, err := e.desk.Change(ctx, e.desk.Acting(tokenActor, in, "E9"), tk.ID, desk.Change{State: desk.StateInProgress})
		wantCode(t, err, licensing.CodeInactive)
		_, err = e.desk.Change(ctx, e.desk.Acting(tokenActor, in, "agent@example.com"), tk.ID, desk.Change{State: desk.StateClosed})
		wantCode(t, err, licensing.CodeConflict) // new → closed is no move
		if _, err := e.st.UpdateUserFunc(ctx, a, in.UserName, func(u licensing.User) (licensing.User, error) { u.Active = false; return u, nil }); err != nil {
			t.Fatal(err)
		}
		_, err = e.desk.Change(ctx, e.desk.Acting(tokenActor, in, "agent@example.com"), tk.ID, desk.Change{State: desk.StateInProgress})
		wantCode(t, err, licensing.CodeInactive)
	}
	if got, _ := e.st.GetTicket(ctx, tk.ID); got.State != desk.StateNew || got.Version != tk.Version || len(got.WorkNotes) != 0 {
		t.Fatalf("refusals changed the ticket: %+v", got)
	}
	for name, u := range e.report(t) {
		if u.Actions != 0 {
			t.Errorf("%s recorded %d calls for refusals that precede the mode", name, u.Actions)
		}
	}
	if list, _ := e.st.ListProposals(ctx, "", 10); len(list) != 0 {
		t.Errorf("refusals left proposals: %+v", list)
	}
	in := e.integration(t, "slack-hub", desk.ModeEnforce)
	if _, err := e.desk.Person(tokenActor, in.UserName, ""); licensing.ErrorCode(err) != licensing.CodeForbidden {
		t.Errorf("a service account acted as a person: %v", err)
	}
}

// TestRefusedMoveTakesNoSeat: an impossible transition by an agent on a
// lazy session is refused before the seat would be leased.
func TestRefusedMoveTakesNoSeat(t *testing.T) {
	e := newDeskEnv(t)
	ctx := context.Background()
	a := licensing.System("test")
	if err := e.st.CreatePool(ctx, a, licensing.Pool{ID: "floating", SKU: "agent", Model: licensing.ModelConcurrent, Seats: 2}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.CreateUser(ctx, a, licensing.User{UserName: "flo@example.com", Kind: licensing.KindPerson, Active: true}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.st.PutMember(ctx, a, "floating", "flo@example.com", ""); err != nil {
		t.Fatal(err)
	}
	ss, err := e.seats.StartSession(ctx, a, "flo@example.com", true)
	if err != nil {
		t.Fatal(err)
	}
	tk := e.ticket(t, "req@example.com")
	_, err = e.desk.Change(ctx, e.person(t, "flo@example.com", ss.ID), tk.ID, desk.Change{State: desk.StateClosed})
	wantCode(t, err, licensing.CodeConflict)
	if leases, _ := e.st.ActiveLeases(ctx, "floating"); len(leases) != 0 {
		t.Fatalf("a refused move took a lease: %+v", leases)
	}
}
