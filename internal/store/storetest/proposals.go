package storetest

import (
	"slices"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/desk"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// testProposalSupersededOnConfirm: a proposal of a move the ticket already
// made is closed as superseded when an agent confirms it — not refused as a
// transition to the state the ticket is in, and not left pending forever.
func testProposalSupersededOnConfirm(e *env) {
	ann, bob, agent := e.user("ann"), e.user("bob"), e.user("agent")
	hub, _ := e.integration("hub", desk.ModePropose)
	tk := e.newTicket(by(ann), ann, "vpn")
	tk = e.change(by(agent), tk, desk.Change{State: desk.StateInProgress})
	// Proposed after the move: nothing swept it when the ticket changed.
	p := e.proposal(hub, bob, tk, desk.Change{State: desk.StateInProgress})
	before := e.getTicket(tk.ID)
	e.clock.Advance(time.Minute)
	head := e.auditHead()
	dp, dt, err := e.s.DecideProposal(e.ctx, by(agent), p.ID, true, "")
	if err != nil {
		e.t.Fatalf("DecideProposal(confirm of a move made) = %v; want it closed as superseded", err)
	}
	if dp.State != desk.ProposalSuperseded || dp.DecidedBy != "agent" || !dp.DecidedAt.Equal(Epoch.Add(time.Minute)) || dp.Reason == "" {
		e.t.Errorf("decided proposal = %+v, want superseded by agent at %v with a reason", dp, Epoch.Add(time.Minute))
	}
	if dt.State != desk.StateInProgress || dt.Version != before.Version || len(dt.History) != len(before.History) {
		e.t.Errorf("ticket after the superseded confirm = %+v, want unchanged %+v", dt, before)
	}
	if got := actions(e.auditAfter(head)); !slices.Equal(got, []string{"proposal.supersede"}) {
		e.t.Errorf("audit after the superseded confirm = %v, want [proposal.supersede]", got)
	}
	if list, err := e.s.ListProposals(e.ctx, desk.ProposalPending, 0); err != nil || len(list) != 0 {
		e.t.Errorf("ListProposals(pending) = %+v, %v; want none (superseded is not pending)", list, err)
	}
	if list, err := e.s.ListProposals(e.ctx, desk.ProposalSuperseded, 0); err != nil || len(list) != 1 || list[0].ID != p.ID {
		e.t.Errorf("ListProposals(superseded) = %+v, %v; want %s", list, err, p.ID)
	}
	// Superseded is final.
	_, _, err = e.s.DecideProposal(e.ctx, by(agent), p.ID, false, "late")
	wantCode(e.t, "DecideProposal(reject superseded)", err, licensing.CodeConflict)
	_, err = e.s.ListProposals(e.ctx, "bogus", 0)
	wantCode(e.t, "ListProposals(bogus state)", err, licensing.CodeInvalid)
}

// testProposalSupersededByChange: when the ticket itself makes a pending
// proposal's move, the proposal is closed as superseded in that change,
// audited after it. A proposal that also carries a note is not: the note
// is still to be written, and confirming applies just that.
func testProposalSupersededByChange(e *env) {
	ann, bob, agent := e.user("ann"), e.user("bob"), e.user("agent")
	hub, _ := e.integration("hub", desk.ModePropose)
	tk := e.newTicket(by(ann), ann, "vpn")
	assign := e.proposal(hub, bob, tk, desk.Change{Assignee: ptr(agent.ID)})
	prio := e.proposal(hub, bob, tk, desk.Change{Priority: desk.PriorityHigh})
	hold := e.proposal(hub, bob, tk, desk.Change{State: desk.StateInProgress, Note: &desk.Note{Kind: desk.KindComment, Body: "on it"}})

	head := e.auditHead()
	e.change(by(agent), tk, desk.Change{State: desk.StateInProgress, Assignee: ptr(agent.ID)})
	if got := actions(e.auditAfter(head)); !slices.Equal(got, []string{"ticket.transition", "proposal.supersede"}) {
		e.t.Errorf("audit after the change = %v, want [ticket.transition proposal.supersede]", got)
	}
	if got, _ := e.s.GetProposal(e.ctx, assign.ID); got.State != desk.ProposalSuperseded || got.DecidedBy != "agent" {
		e.t.Errorf("proposal of the assignment made = %+v, want superseded by agent", got)
	}
	for _, p := range []desk.Proposal{prio, hold} {
		if got, _ := e.s.GetProposal(e.ctx, p.ID); got.State != desk.ProposalPending {
			e.t.Errorf("proposal %+v after an unrelated change: state %s, want pending", p.Change, got.State)
		}
	}
	if list, _ := e.s.ListProposals(e.ctx, desk.ProposalPending, 0); len(list) != 2 {
		e.t.Errorf("ListProposals(pending) = %d, want 2", len(list))
	}

	// The state part of hold already happened: confirming applies the note.
	head = e.auditHead()
	dp, dt, err := e.s.DecideProposal(e.ctx, by(agent), hold.ID, true, "")
	if err != nil || dp.State != desk.ProposalConfirmed {
		e.t.Fatalf("DecideProposal(confirm of a note on a move made) = %+v, %v; want confirmed", dp, err)
	}
	if len(dt.Comments) != 1 || dt.Comments[0].Body != "on it" || dt.State != desk.StateInProgress {
		e.t.Errorf("ticket after confirm = %+v, want in_progress with the comment", dt)
	}
	if got := actions(e.auditAfter(head)); !slices.Equal(got, []string{"ticket.comment", "proposal.confirm"}) {
		e.t.Errorf("audit after confirm = %v, want [ticket.comment proposal.confirm]", got)
	}
}
