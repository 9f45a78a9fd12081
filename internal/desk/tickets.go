package desk

import (
	"context"
	"fmt"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// Access is how much of a ticket or queue a principal may see.
type Access int

// Access levels.
const (
	// AccessOwn: a requester's own tickets, without work notes.
	AccessOwn Access = iota + 1
	// AccessAll: every ticket with work notes. An agent whose concurrent
	// pool is full keeps this (read-only): reading takes no seat.
	AccessAll
)

// readable reports whether p may read every ticket. A person registered for
// a fulfiller pool reads without taking a lease: only changes do.
func (s *Service) readable(ctx context.Context, p Principal) (bool, error) {
	if p.Integration != nil {
		return s.integrationReads(ctx, p)
	}
	return s.seesAll(p), nil
}

// integrationReads decides an integration's read of other people's
// tickets like any fulfiller action; a read cannot be held as a proposal,
// so propose mode refuses it. Refused and flagged reads are recorded.
func (s *Service) integrationReads(ctx context.Context, p Principal) (bool, error) {
	g, err := s.authorize(ctx, p, "ticket.read_all", "Read the queue")
	if err != nil {
		return false, err
	}
	switch {
	case g.propose:
		g.by.Call.Outcome = OutcomeBlocked
		if err := s.store.RecordCall(ctx, g.by); err != nil {
			return false, fmt.Errorf("desk: record blocked read: %w", err)
		}
		return false, licensing.Errorf(licensing.CodeMultiplexingBlocked, "reading other people's tickets needs the acting person's own seat; a read cannot be proposed")
	case g.by.Call.Outcome == OutcomeFlagged:
		if err := s.store.RecordCall(ctx, g.by); err != nil {
			return false, fmt.Errorf("desk: record flagged read: %w", err)
		}
	}
	return true, nil
}

// registered reports whether the person could read as an agent without a
// session: a named seat, or a registration for a concurrent pool.
func (s *Service) registered(user string) bool {
	d := s.engine.Decide(user, "ticket.read_all", "")
	return d.Allow || d.Reason == licensing.ReasonSessionRequired
}

// CreateTicket submits a ticket for the principal's person (for an
// integration whose acting user matched nobody, for its service account).
func (s *Service) CreateTicket(ctx context.Context, p Principal, n NewTicket) (Ticket, error) {
	if err := n.Validate(); err != nil {
		return Ticket{}, err
	}
	g, err := s.authorize(ctx, p, n.Kind.CreateCapability(), "Created")
	if err != nil {
		return Ticket{}, err
	}
	if g.propose {
		// Only a change ticket (module capability) gets here.
		return Ticket{}, s.blockProposal(ctx, g, "", "a change ticket")
	}
	requester := p.User
	if requester == "" && p.Integration != nil {
		requester = p.Integration.User
	}
	t, err := s.store.CreateTicket(ctx, g.by, requester, n)
	if err != nil {
		return Ticket{}, fmt.Errorf("desk: create ticket: %w", err)
	}
	return t, nil
}

// GetTicket returns a ticket the principal may see; a requester's view of
// their own ticket leaves out the internal work notes.
func (s *Service) GetTicket(ctx context.Context, p Principal, key string) (Ticket, Access, error) {
	t, err := s.store.GetTicket(ctx, key)
	if err != nil {
		return Ticket{}, 0, err
	}
	if p.Integration != nil && p.User != "" && t.Requester == p.User {
		// A requester reading their own ticket through an integration is a
		// requester capability: it passes in every mode.
		if _, err := s.authorize(ctx, p, "ticket.read_own", "Read"); err != nil {
			return Ticket{}, 0, err
		}
		if s.registered(p.User) {
			return t, AccessAll, nil
		}
		t.WorkNotes, t.Approvals = nil, []Approval{}
		return t, AccessOwn, nil
	}
	all, err := s.readable(ctx, p)
	if err != nil {
		return Ticket{}, 0, err
	}
	if all {
		return t, AccessAll, nil
	}
	if p.User != "" && t.Requester == p.User {
		if _, err := s.authorize(ctx, p, "ticket.read_own", "Read"); err != nil {
			return Ticket{}, 0, err
		}
		t.WorkNotes, t.Approvals = nil, []Approval{}
		return t, AccessOwn, nil
	}
	// Someone else's ticket is answered as missing: its number says nothing.
	return Ticket{}, 0, licensing.Errorf(licensing.CodeNotFound, "ticket %q not found", key)
}

// ListTickets lists the queue (all) or the principal's own tickets.
func (s *Service) ListTickets(ctx context.Context, p Principal, f TicketFilter, all bool) ([]Ticket, error) {
	if all {
		ok, err := s.readable(ctx, p)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, licensing.Errorf(licensing.CodeNoLicence, "the queue needs a fulfiller seat")
		}
	} else {
		if p.User == "" {
			return nil, licensing.FieldErrorf(licensing.CodeInvalid, "Seatkeeper-Acting-User", "own tickets need a person: name them in the Seatkeeper-Acting-User header")
		}
		if _, err := s.authorize(ctx, p, "ticket.read_own", "Read"); err != nil {
			return nil, err
		}
		f.Requester = p.User
	}
	return s.store.ListTickets(ctx, f)
}

// Result of a change: the ticket, or the proposal holding it.
type Result struct {
	Ticket   Ticket
	Proposal *Proposal
}

// Change applies ch to a ticket as p, or holds it as a proposal when an
// integration in propose mode acts for someone without a seat.
func (s *Service) Change(ctx context.Context, p Principal, key string, ch Change) (Result, error) {
	t, err := s.store.PeekTicket(ctx, key)
	if err != nil {
		return Result{}, err
	}
	if err := s.resolveChange(&ch); err != nil {
		return Result{}, err
	}
	// A move the state machine refuses is refused before anything is
	// decided: a lazy session takes no seat, and no proposal is held, for a
	// change that cannot happen.
	if ch.State != "" {
		if err := CheckTransition(t.State, ch.State); err != nil {
			return Result{}, err
		}
	}
	capability := ch.CapabilityFor(t.Kind)
	own := p.User != "" && t.Requester == p.User
	if capability == "ticket.comment" && own {
		capability = "ticket.comment_own"
	}
	g, err := s.authorize(ctx, p, capability, describe(t, ch))
	if err != nil {
		return Result{}, err
	}
	if g.by.Call != nil {
		g.by.Call.Ticket = t.ID
	}
	if ch.Note != nil {
		ch.Note.Author, ch.Note.AuthorID = g.by.UserName, g.by.User
		ch.Note.Via, ch.Note.ActingUser = g.by.Via, g.by.ActingUser
	}
	if g.propose {
		pr, err := s.store.CreateProposal(ctx, g.by, t.ID, ch)
		if err != nil {
			return Result{}, fmt.Errorf("desk: propose: %w", err)
		}
		return Result{Proposal: &pr}, nil
	}
	t, err = s.store.ChangeTicket(ctx, g.by, t.ID, ch)
	if err != nil {
		return Result{}, err
	}
	return Result{Ticket: t}, nil
}

// seesAll reports, without recording anything, whether p's view of a
// ticket includes the internal work notes.
func (s *Service) seesAll(p Principal) bool {
	switch {
	case p.Admin && p.User == "":
		return true
	case p.User == "":
		return false
	case p.Integration != nil:
		// Monitor mode lets unlicensed reads through (flagged) as well.
		return s.registered(p.User) || p.Integration.Mode == ModeMonitor
	}
	d := s.engine.Decide(p.User, "ticket.read_all", p.Session)
	return d.Allow || d.Reason == licensing.ReasonCheckoutRequired || d.Reason == licensing.ReasonSessionRequired || s.registered(p.User)
}

// resolveChange checks a change's values before anything is decided: a
// state must exist, an assignee must be a person who can hold an agent seat.
func (s *Service) resolveChange(ch *Change) error {
	if ch.State != "" && !ch.State.Valid() {
		return licensing.FieldErrorf(licensing.CodeInvalid, "to", "state must be one of new, in_progress, on_hold, resolved, closed")
	}
	if ch.Priority != "" && !ch.Priority.Valid() {
		return licensing.FieldErrorf(licensing.CodeInvalid, "priority", "priority must be critical, high, medium or low")
	}
	if len(ch.Category) > MaxCategory {
		return licensing.FieldErrorf(licensing.CodeInvalid, "category", "category is longer than %d bytes", MaxCategory)
	}
	if ch.Asset != nil && *ch.Asset != "" && !ValidAssetTag(*ch.Asset) {
		return licensing.FieldErrorf(licensing.CodeInvalid, "asset", "asset is a tag of 1 to 64 letters, digits, '.', '_' or '-' (\"\" unlinks)")
	}
	if ch.Note != nil {
		body, err := ValidateBody(ch.Note.Body)
		if err != nil {
			return err
		}
		ch.Note.Body = body
	}
	if ch.Assignee == nil || *ch.Assignee == "" {
		return nil
	}
	u, ok := s.engine.User(*ch.Assignee)
	if !ok {
		return licensing.FieldErrorf(licensing.CodeNotFound, "assignee", "no person %q", *ch.Assignee)
	}
	if u.Kind != licensing.KindPerson || !u.Active {
		return licensing.FieldErrorf(licensing.CodeInvalid, "assignee", "the account %s cannot be assigned tickets: only an active person can", u.UserName)
	}
	switch s.engine.Decide(u.ID, "ticket.transition", "").Reason {
	case "", licensing.ReasonSessionRequired:
	default:
		return licensing.FieldErrorf(licensing.CodeInvalid, "assignee", "the person %s holds no agent seat and is registered for no agent pool", u.UserName)
	}
	id := u.ID
	ch.Assignee = &id
	return nil
}

// describe says what a change does, for integration stamps.
func describe(t Ticket, ch Change) string {
	switch {
	case ch.State != "":
		return fmt.Sprintf("%s: state %s → %s", t.Number(), t.State, ch.State)
	case ch.Assignee != nil && *ch.Assignee == "":
		return t.Number() + ": unassigned"
	case ch.Assignee != nil:
		return t.Number() + ": assigned"
	case ch.Asset != nil:
		return t.Number() + ": asset linked"
	case ch.Priority != "" || ch.Category != "":
		return t.Number() + ": updated"
	case ch.Note != nil && ch.Note.Kind == KindWorkNote:
		return t.Number() + ": work note added"
	}
	return t.Number() + ": comment added"
}
