package desk

import (
	"context"
	"fmt"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// blockProposal refuses an action that cannot be held as a proposal,
// recording the integration's call as blocked.
func (s *Service) blockProposal(ctx context.Context, g gate, ticket, what string) error {
	if g.by.Call != nil {
		g.by.Call.Outcome = OutcomeBlocked
		g.by.Call.Ticket = ticket
		g.by.Stamp = ""
		if err := s.store.RecordCall(ctx, g.by); err != nil {
			return fmt.Errorf("desk: record blocked call: %w", err)
		}
	}
	return errNoProposal(what)
}

// RequestApproval asks approver (any key of an active person) to approve
// the ticket behind key. It needs ticket.update, or change.create on a
// change ticket.
func (s *Service) RequestApproval(ctx context.Context, p Principal, key, approver string) (Approval, error) {
	t, err := s.store.PeekTicket(ctx, key)
	if err != nil {
		return Approval{}, err
	}
	u, ok := s.engine.User(approver)
	if !ok || approver == "" {
		return Approval{}, licensing.FieldErrorf(licensing.CodeNotFound, "approver", "no person %q", approver)
	}
	if u.Kind != licensing.KindPerson || !u.Active {
		return Approval{}, licensing.FieldErrorf(licensing.CodeInvalid, "approver", "%s cannot approve: only an active person can", u.UserName)
	}
	if t.State == StateClosed {
		return Approval{}, licensing.Errorf(licensing.CodeConflict, "ticket %s is closed", t.Number())
	}
	capability := "ticket.update"
	if t.Kind == KindChange {
		capability = "change.create"
	}
	g, err := s.authorize(ctx, p, capability, t.Number()+": approval requested from "+u.UserName)
	if err != nil {
		return Approval{}, err
	}
	if g.propose {
		return Approval{}, s.blockProposal(ctx, g, t.ID, "an approval request")
	}
	if g.by.Call != nil {
		g.by.Call.Ticket = t.ID
	}
	return s.store.RequestApproval(ctx, g.by, t.ID, u.ID)
}

// AnswerApproval approves or rejects an approval. Only its approver may:
// answering is free (approval.respond), except on a change ticket, where
// it is a CAB approval that needs the change module (change.approve).
func (s *Service) AnswerApproval(ctx context.Context, p Principal, id string, approve bool, comment string) (Approval, error) {
	if len(comment) > MaxBody {
		return Approval{}, licensing.FieldErrorf(licensing.CodeInvalid, "comment", "comment is longer than %d bytes", MaxBody)
	}
	a, err := s.store.GetApproval(ctx, id)
	if err != nil {
		return Approval{}, err
	}
	if p.User == "" || p.User != a.Approver {
		return Approval{}, licensing.Errorf(licensing.CodeForbidden, "only %s may answer this approval", a.ApproverName)
	}
	if a.State != ApprovalPending {
		return Approval{}, licensing.Errorf(licensing.CodeConflict, "the approval was %s already", a.State)
	}
	capability := "approval.respond"
	if a.TicketKind == KindChange {
		capability = "change.approve"
	}
	verb := "rejected"
	if approve {
		verb = "approved"
	}
	g, err := s.authorize(ctx, p, capability, FormatNumber(a.TicketSeq)+": "+verb)
	if err != nil {
		return Approval{}, err
	}
	if g.propose {
		return Approval{}, s.blockProposal(ctx, g, a.Ticket, "a change approval")
	}
	if g.by.Call != nil {
		g.by.Call.Ticket = a.Ticket
	}
	return s.store.AnswerApproval(ctx, g.by, id, approve, comment)
}

// ListApprovals lists the approvals the principal's person is asked for
// (state "" for all).
func (s *Service) ListApprovals(ctx context.Context, p Principal, state ApprovalState, limit int) ([]Approval, error) {
	if state != "" && !state.Valid() {
		return nil, licensing.FieldErrorf(licensing.CodeInvalid, "state", "state must be pending, approved or rejected")
	}
	if p.User == "" {
		return nil, licensing.FieldErrorf(licensing.CodeInvalid, "Seatkeeper-Acting-User", "approvals belong to a person: name them in the Seatkeeper-Acting-User header")
	}
	if _, err := s.authorize(ctx, p, "approval.respond", "Listed approvals"); err != nil {
		return nil, err
	}
	return s.store.ListApprovals(ctx, ApprovalFilter{Approver: p.User, State: state, Limit: limit})
}
