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
	if state != "" && !state.Valid() {
		return nil, licensing.FieldErrorf(licensing.CodeInvalid, "state", "state must be pending, confirmed, rejected or superseded")
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
// the same transaction, or rejects it with reason. Confirming applies only
// what the ticket does not hold yet; when it already holds all of it (the
// move happened meanwhile) the proposal is closed as superseded instead,
// audited, and nothing else changes. When the change no longer applies
// (say, the ticket moved on to a state it cannot leave that way), nothing
// changes and the proposal stays pending, to be rejected.
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
		var rest desk.Change
		if confirm {
			cur, err := t.ticket(p.Ticket, false)
			if err != nil {
				return err
			}
			state, action, rest = desk.ProposalConfirmed, "proposal.confirm", p.Change.Remaining(cur)
			if rest.Empty() {
				state, action = desk.ProposalSuperseded, "proposal.supersede"
				if reason == "" {
					reason = supersededReason
				}
			}
		}
		// Decided before the change is applied, so the change's own sweep
		// of the ticket's pending proposals leaves this one alone.
		if _, err := t.exec(`UPDATE proposals SET state = ?, decided_by = ?, decided_at = ?, reason = ? WHERE id = ?`,
			string(state), authorName(by), micro(t.now), reason, id); err != nil {
			return fmt.Errorf("store: decide proposal: %w", err)
		}
		if state == desk.ProposalConfirmed {
			_, changed, err := t.changeTicket(by, p.Ticket, rest)
			if err != nil {
				return err
			}
			if err := t.byRecords(by, p.Ticket, changed); err != nil {
				return err
			}
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

// supersededReason is the reason a proposal closed as superseded carries.
const supersededReason = "the ticket already holds this change"

// supersedeProposals closes, as superseded, the pending proposals on
// ticket tk whose change it now holds: nobody can confirm a move that
// already happened, and they must not wait as pending forever. Each is
// audited as proposal.supersede by the change's author. The list is short
// (the pending proposals of one ticket, by the proposals_ticket index).
func (t *tx) supersedeProposals(by desk.By, tk desk.Ticket) error {
	rows, err := t.query(`SELECT id, capability, change FROM proposals WHERE ticket_id = ? AND state = ?`, tk.ID, string(desk.ProposalPending))
	if err != nil {
		return fmt.Errorf("store: pending proposals: %w", err)
	}
	type closed struct{ id, capability string }
	var done []closed
	for rows.Next() {
		var id, capability, change string
		if err := rows.Scan(&id, &capability, &change); err != nil {
			rows.Close()
			return fmt.Errorf("store: pending proposals: %w", err)
		}
		var ch desk.Change
		if err := json.Unmarshal([]byte(change), &ch); err != nil {
			rows.Close()
			return fmt.Errorf("store: proposal %s change: %w", id, err)
		}
		if ch.Superseded(tk) {
			done = append(done, closed{id, capability})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: pending proposals: %w", err)
	}
	for _, p := range done {
		if _, err := t.exec(`UPDATE proposals SET state = ?, decided_by = ?, decided_at = ?, reason = ? WHERE id = ? AND state = ?`,
			string(desk.ProposalSuperseded), authorName(by), micro(t.now), supersededReason, p.id, string(desk.ProposalPending)); err != nil {
			return fmt.Errorf("store: supersede proposal: %w", err)
		}
		if err := t.record(by.Actor, "proposal.supersede", "proposal:"+p.id, "ok", fmt.Sprintf("ticket=%s capability=%s", tk.Number(), p.capability)); err != nil {
			return err
		}
	}
	return nil
}
