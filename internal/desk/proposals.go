package desk

import (
	"context"
	"fmt"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

func errNoProposal(what string) error {
	return licensing.Errorf(licensing.CodeMultiplexingBlocked, "%s needs the acting person's own seat; only ticket changes can be proposed", what)
}

// ListProposals lists proposals for agents (those who may read the queue).
func (s *Service) ListProposals(ctx context.Context, p Principal, state ProposalState, limit int) ([]Proposal, error) {
	ok, err := s.readable(ctx, p)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, licensing.Errorf(licensing.CodeNoLicence, "proposals are for agents: a fulfiller seat is needed")
	}
	return s.store.ListProposals(ctx, state, limit)
}

// GetProposal reads one proposal, for agents.
func (s *Service) GetProposal(ctx context.Context, p Principal, id string) (Proposal, error) {
	ok, err := s.readable(ctx, p)
	if err != nil {
		return Proposal{}, err
	}
	if !ok {
		return Proposal{}, licensing.Errorf(licensing.CodeNoLicence, "proposals are for agents: a fulfiller seat is needed")
	}
	return s.store.GetProposal(ctx, id)
}

// DecideProposal confirms or rejects a proposal. Only a licensed agent may:
// they need proposal.confirm and, to confirm, the change's own capability.
func (s *Service) DecideProposal(ctx context.Context, p Principal, id string, confirm bool, reason string) (Proposal, Ticket, error) {
	if p.Integration != nil {
		return Proposal{}, Ticket{}, licensing.Errorf(licensing.CodeForbidden, "an integration cannot decide proposals: a licensed agent must")
	}
	if len(reason) > MaxBody {
		return Proposal{}, Ticket{}, licensing.FieldErrorf(licensing.CodeInvalid, "reason", "reason is longer than %d bytes", MaxBody)
	}
	pr, err := s.store.GetProposal(ctx, id)
	if err != nil {
		return Proposal{}, Ticket{}, err
	}
	g, err := s.authorize(ctx, p, "proposal.confirm", "")
	if err != nil {
		return Proposal{}, Ticket{}, err
	}
	if confirm {
		t, err := s.store.PeekTicket(ctx, pr.Ticket)
		if err != nil {
			return Proposal{}, Ticket{}, err
		}
		// A move already made is closed as superseded: it changes
		// nothing, so it needs no seat for the change (a lazy concurrent
		// seat would be taken for nothing). The store decides again under
		// the ticket's lock.
		if !pr.Change.Superseded(t) {
			if g, err = s.authorize(ctx, p, pr.Change.CapabilityFor(t.Kind), ""); err != nil {
				return Proposal{}, Ticket{}, err
			}
		}
	}
	pr, t, err := s.store.DecideProposal(ctx, g.by, id, confirm, reason)
	if err != nil {
		return Proposal{}, Ticket{}, fmt.Errorf("desk: decide proposal: %w", err)
	}
	return pr, t, nil
}
