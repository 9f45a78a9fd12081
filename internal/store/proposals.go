package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/seatkeeper/seatkeeper/internal/desk"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

const proposalSelect = `SELECT p.id, p.integration_id, COALESCE(i.name, ''), p.ticket_id, COALESCE(t.seq, 0), p.capability, p.change,
	p.acting_raw, p.acting_user, COALESCE(u.user_name, ''), p.state, p.created_at, p.decided_by, p.decided_at, p.reason
	FROM proposals p LEFT JOIN integrations i ON i.id = p.integration_id LEFT JOIN tickets t ON t.id = p.ticket_id
	LEFT JOIN users u ON u.id = p.acting_user AND p.acting_user <> ''`

func scanProposal(r rowScanner) (desk.Proposal, error) {
	var p desk.Proposal
	var change, state string
	var created, decided int64
	if err := r.Scan(&p.ID, &p.Integration, &p.IntegName, &p.Ticket, &p.TicketSeq, &p.Capability, &change,
		&p.ActingRaw, &p.ActingUser, &p.ActingName, &state, &created, &p.DecidedBy, &decided, &p.Reason); err != nil {
		return p, err
	}
	p.State, p.CreatedAt, p.DecidedAt = desk.ProposalState(state), fromMicro(created), fromMicro(decided)
	if err := json.Unmarshal([]byte(change), &p.Change); err != nil {
		return p, fmt.Errorf("proposal %s change: %w", p.ID, err)
	}
	return p, nil
}

func proposalByID(row func(q string, args ...any) *sql.Row, id string) (desk.Proposal, error) {
	p, err := scanProposal(row(proposalSelect+` WHERE p.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return p, notFound("proposal", id)
	}
	if err != nil {
		return p, fmt.Errorf("store: proposal: %w", err)
	}
	return p, nil
}

// CreateProposal holds ch for the ticket behind key until an agent decides;
// by's call (the proposing integration and acting person) and stamp are
// written with it.
func (s *Store) CreateProposal(ctx context.Context, by desk.By, key string, ch desk.Change) (desk.Proposal, error) {
	change, err := json.Marshal(ch)
	if err != nil {
		return desk.Proposal{}, fmt.Errorf("store: proposal change: %w", err)
	}
	var p desk.Proposal
	err = s.write(ctx, func(t *tx) error {
		id, err := t.lockTicket(key)
		if err != nil {
			return err
		}
		tk, err := t.ticket(id, false)
		if err != nil {
			return err
		}
		if tk.State == desk.StateClosed {
			return licensing.Errorf(licensing.CodeConflict, "ticket %s is closed", tk.Number())
		}
		p = desk.Proposal{ID: newID("prp"), Ticket: tk.ID, Capability: ch.CapabilityFor(tk.Kind), State: desk.ProposalPending}
		b := by
		if by.Call != nil {
			c := *by.Call
			if c.Outcome == "" {
				c.Outcome = desk.OutcomeProposed
			}
			p.Integration, p.ActingRaw, p.ActingUser = c.Integration, c.ActingRaw, c.ActingUser
			b.Call = &c
		}
		if _, err := t.exec(`INSERT INTO proposals (id, integration_id, ticket_id, capability, change, acting_raw, acting_user, state, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			p.ID, p.Integration, p.Ticket, p.Capability, string(change), p.ActingRaw, p.ActingUser, string(p.State), micro(t.now)); err != nil {
			return fmt.Errorf("store: create proposal: %w", err)
		}
		if err := t.byRecords(b, tk.ID, true); err != nil {
			return err
		}
		if p, err = proposalByID(t.queryRow, p.ID); err != nil {
			return err
		}
		return t.record(by.Actor, "proposal.create", "proposal:"+p.ID, "ok", fmt.Sprintf("ticket=%s capability=%s", tk.Number(), p.Capability))
	})
	return p, err
}

// GetProposal reads one proposal.
func (s *Store) GetProposal(ctx context.Context, id string) (desk.Proposal, error) {
	return proposalByID(func(q string, args ...any) *sql.Row { return s.readRow(ctx, q, args...) }, id)
}

// ListProposals returns proposals newest first; state "" means all.
func (s *Store) ListProposals(ctx context.Context, state desk.ProposalState, limit int) ([]desk.Proposal, error) {
	switch state {
	case "", desk.ProposalPending, desk.ProposalConfirmed, desk.ProposalRejected:
	default:
		return nil, licensing.FieldErrorf(licensing.CodeInvalid, "state", "state must be pending, confirmed or rejected")
	}
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 500)
	q, args := proposalSelect, []any{}
	if state != "" {
		q, args = q+` WHERE p.state = ?`, append(args, string(state))
	}
	rows, err := s.readRows(ctx, q+` ORDER BY p.created_at DESC, p.id DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("store: list proposals: %w", err)
	}
	defer rows.Close()
	out := []desk.Proposal{}
	for rows.Next() {
		p, err := scanProposal(rows)
		if err != nil {
			return nil, fmt.Errorf("store: scan proposal: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// DecideProposal confirms a pending proposal, applying its change as by in
// the same transaction, or rejects it with reason. When the change no
// longer applies (say, the ticket moved on), nothing changes.
func (s *Store) DecideProposal(ctx context.Context, by desk.By, id string, confirm bool, reason string) (desk.Proposal, desk.Ticket, error) {
	var p desk.Proposal
	var tk desk.Ticket
	err := s.write(ctx, func(t *tx) error {
		var locked string
		err := t.queryRow(`SELECT id FROM proposals WHERE id = ?`+t.s.d.ForUpdate, id).Scan(&locked)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("proposal", id)
		}
		if err != nil {
			return fmt.Errorf("store: lock proposal: %w", err)
		}
		if p, err = proposalByID(t.queryRow, id); err != nil {
			return err
		}
		if p.State != desk.ProposalPending {
			return licensing.Errorf(licensing.CodeConflict, "proposal %s is already %s", id, p.State)
		}
		state, action := desk.ProposalRejected, "proposal.reject"
		if confirm {
			state, action = desk.ProposalConfirmed, "proposal.confirm"
			_, changed, err := t.changeTicket(by, p.Ticket, p.Change)
			if err != nil {
				return err
			}
			if err := t.byRecords(by, p.Ticket, changed); err != nil {
				return err
			}
		}
		if _, err := t.exec(`UPDATE proposals SET state = ?, decided_by = ?, decided_at = ?, reason = ? WHERE id = ?`,
			string(state), authorName(by), micro(t.now), reason, id); err != nil {
			return fmt.Errorf("store: decide proposal: %w", err)
		}
		if p, err = proposalByID(t.queryRow, id); err != nil {
			return err
		}
		if tk, err = t.ticket(p.Ticket, true); err != nil {
			return err
		}
		return t.record(by.Actor, action, "proposal:"+id, "ok", fmt.Sprintf("ticket=%s capability=%s", tk.Number(), p.Capability))
	})
	return p, tk, err
}
