package desk_test

import (
	"context"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/desk"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

func ptr(s string) *string { return &s }

// TestChangeTicketsNeedTheChangeModule: creating and moving a change ticket
// is change work (module), an incident's stays plain agent work.
func TestChangeTicketsNeedTheChangeModule(t *testing.T) {
	e := newDeskEnv(t)
	ctx := context.Background()
	agent, chg := e.person(t, "agent@example.com", ""), e.person(t, "chg@example.com", "")
	n := desk.NewTicket{Kind: desk.KindChange, Title: "Patch the VPN gateway"}
	_, err := e.desk.CreateTicket(ctx, agent, n)
	wantCode(t, err, licensing.CodeModuleMissing)
	_, err = e.desk.CreateTicket(ctx, e.person(t, "req@example.com", ""), n)
	if code := licensing.ErrorCode(err); code != licensing.CodeNoLicence && code != licensing.CodeModuleMissing {
		t.Fatalf("a requester created a change ticket: %v", err)
	}
	_, err = e.desk.CreateTicket(ctx, agent, desk.NewTicket{Kind: "problem", Title: "x"})
	wantCode(t, err, licensing.CodeInvalid)
	tk, err := e.desk.CreateTicket(ctx, chg, n)
	if err != nil || tk.Kind != desk.KindChange {
		t.Fatalf("change agent: %v %+v", err, tk)
	}
	if got, _ := e.st.GetTicket(ctx, tk.ID); got.Kind != desk.KindChange {
		t.Fatalf("stored kind %q", got.Kind)
	}
	move := desk.Change{State: desk.StateInProgress}
	if c := move.CapabilityFor(desk.KindChange); c != "change.implement" {
		t.Fatalf("CapabilityFor(change) = %s", c)
	}
	_, err = e.desk.Change(ctx, agent, tk.ID, move)
	wantCode(t, err, licensing.CodeModuleMissing)
	if res, err := e.desk.Change(ctx, chg, tk.ID, move); err != nil || res.Ticket.State != desk.StateInProgress {
		t.Fatalf("implement: %v", err)
	}
	// An incident still moves with a plain agent seat.
	inc := e.ticket(t, "req@example.com")
	if _, err := e.desk.Change(ctx, agent, inc.ID, move); err != nil {
		t.Fatalf("incident transition: %v", err)
	}
	// An integration in propose mode cannot hold a change ticket's creation.
	in := e.integration(t, "teams-bot", desk.ModePropose)
	_, err = e.desk.CreateTicket(ctx, e.desk.Acting(tokenActor, in, "agent@example.com"), n)
	wantCode(t, err, licensing.CodeMultiplexingBlocked)
}

// TestAssetLinkNeedsTheAssetModule: linking an asset is asset.assign, with
// its history row; a bad tag is refused before anything is decided.
func TestAssetLinkNeedsTheAssetModule(t *testing.T) {
	e := newDeskEnv(t)
	ctx := context.Background()
	tk := e.ticket(t, "req@example.com")
	_, err := e.desk.Change(ctx, e.person(t, "agent@example.com", ""), tk.ID, desk.Change{Asset: ptr("LAPTOP-0042")})
	wantCode(t, err, licensing.CodeModuleMissing)
	_, err = e.desk.Change(ctx, e.person(t, "chg@example.com", ""), tk.ID, desk.Change{Asset: ptr("bad tag!")})
	wantCode(t, err, licensing.CodeInvalid)
	res, err := e.desk.Change(ctx, e.person(t, "chg@example.com", ""), tk.ID, desk.Change{Asset: ptr("LAPTOP-0042")})
	if err != nil || res.Ticket.Asset != "LAPTOP-0042" {
		t.Fatalf("link: %v %+v", err, res.Ticket)
	}
	full, err := e.st.GetTicket(ctx, res.Ticket.ID)
	if err != nil {
		t.Fatal(err)
	}
	h := full.History[len(full.History)-1]
	if h.Field != "asset" || h.To != "LAPTOP-0042" || h.Actor != "chg@example.com" {
		t.Fatalf("history %+v", h)
	}
	res, err = e.desk.Change(ctx, e.person(t, "chg@example.com", ""), tk.ID, desk.Change{Asset: ptr("")})
	if err != nil || res.Ticket.Asset != "" {
		t.Fatalf("unlink: %v %+v", err, res.Ticket)
	}
}

// TestApprovals: an agent asks, only the named approver answers, once; a
// requester answers without any seat, and a change ticket's approval is a
// CAB approval that needs the change module.
func TestApprovals(t *testing.T) {
	e := newDeskEnv(t)
	ctx := context.Background()
	a := licensing.System("test")
	agent := e.person(t, "agent@example.com", "")
	tk := e.ticket(t, "req@example.com")

	_, err := e.desk.RequestApproval(ctx, e.person(t, "req@example.com", ""), tk.ID, "agent@example.com")
	wantCode(t, err, licensing.CodeNoLicence)
	_, err = e.desk.RequestApproval(ctx, agent, tk.ID, "nobody@example.com")
	wantCode(t, err, licensing.CodeNotFound)

	// A person registered for a concurrent pool, in a lazy session: answering
	// is free and must take no seat.
	if err := e.st.CreatePool(ctx, a, licensing.Pool{ID: "floating", SKU: "agent", Model: licensing.ModelConcurrent, Seats: 1}); err != nil {
		t.Fatal(err)
	}
	mgr, err := e.st.CreateUser(ctx, a, licensing.User{UserName: "mgr@example.com", Kind: licensing.KindPerson, Active: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.st.PutMember(ctx, a, "floating", "mgr@example.com", ""); err != nil {
		t.Fatal(err)
	}
	sess, err := e.seats.StartSession(ctx, a, "mgr@example.com", true)
	if err != nil {
		t.Fatal(err)
	}
	ap, err := e.desk.RequestApproval(ctx, agent, tk.Number(), "mgr@example.com")
	if err != nil || ap.State != desk.ApprovalPending || ap.Approver != mgr.ID || ap.RequestedBy != "agent@example.com" {
		t.Fatalf("request: %v %+v", err, ap)
	}
	approver := e.person(t, "mgr@example.com", sess.ID)
	list, err := e.desk.ListApprovals(ctx, approver, desk.ApprovalPending, 0)
	if err != nil || len(list) != 1 || list[0].ID != ap.ID {
		t.Fatalf("pending: %v %+v", err, list)
	}
	if list, _ := e.desk.ListApprovals(ctx, agent, desk.ApprovalPending, 0); len(list) != 0 {
		t.Fatalf("someone else's approvals listed: %+v", list)
	}
	_, err = e.desk.AnswerApproval(ctx, agent, ap.ID, true, "")
	wantCode(t, err, licensing.CodeForbidden)
	got, err := e.desk.AnswerApproval(ctx, approver, ap.ID, true, "fine by me")
	if err != nil || got.State != desk.ApprovalApproved || got.Comment != "fine by me" || got.DecidedAt.IsZero() {
		t.Fatalf("approve: %v %+v", err, got)
	}
	if ls := e.seats.Engine.Leases(mgr.ID); len(ls) != 0 {
		t.Fatalf("answering an approval took a seat: %+v", ls)
	}
	_, err = e.desk.AnswerApproval(ctx, approver, ap.ID, false, "")
	wantCode(t, err, licensing.CodeConflict)
	full, _ := e.st.GetTicket(ctx, tk.ID)
	if len(full.Approvals) != 1 || full.Approvals[0].State != desk.ApprovalApproved {
		t.Fatalf("ticket approvals %+v", full.Approvals)
	}
	var fields int
	for _, h := range full.History {
		if h.Field == "approval" {
			fields++
		}
	}
	if fields != 2 {
		t.Fatalf("approval history rows %d, want 2: %+v", fields, full.History)
	}

	// A plain requester rejects.
	ap2, err := e.desk.RequestApproval(ctx, agent, tk.ID, "req@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := e.desk.AnswerApproval(ctx, e.person(t, "req@example.com", ""), ap2.ID, false, ""); err != nil || got.State != desk.ApprovalRejected {
		t.Fatalf("reject: %v %+v", err, got)
	}

	// A change ticket: asking needs change.create, answering change.approve.
	chg := e.person(t, "chg@example.com", "")
	ct, err := e.desk.CreateTicket(ctx, chg, desk.NewTicket{Kind: desk.KindChange, Title: "Upgrade the firewall"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.desk.RequestApproval(ctx, agent, ct.ID, "req@example.com")
	wantCode(t, err, licensing.CodeModuleMissing)
	cab, err := e.desk.RequestApproval(ctx, chg, ct.ID, "req@example.com")
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.desk.AnswerApproval(ctx, e.person(t, "req@example.com", ""), cab.ID, true, "")
	if code := licensing.ErrorCode(err); code != licensing.CodeNoLicence && code != licensing.CodeModuleMissing {
		t.Fatalf("a requester gave a CAB approval: %v", err)
	}
	cab2, err := e.desk.RequestApproval(ctx, chg, ct.ID, "chg@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := e.desk.AnswerApproval(ctx, chg, cab2.ID, true, ""); err != nil || got.State != desk.ApprovalApproved {
		t.Fatalf("CAB approve: %v %+v", err, got)
	}

	// Through an integration in propose mode, an approval request cannot be
	// held: it is refused and counted as blocked.
	in := e.integration(t, "teams-bot", desk.ModePropose)
	_, err = e.desk.RequestApproval(ctx, e.desk.Acting(tokenActor, in, "req@example.com"), tk.ID, "agent@example.com")
	wantCode(t, err, licensing.CodeMultiplexingBlocked)
	if u := e.report(t)["teams-bot"]; u.Blocked != 1 {
		t.Fatalf("teams-bot usage %+v", u)
	}
}
