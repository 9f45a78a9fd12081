package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/seatkeeper/seatkeeper/internal/desk"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

const approvalSelect = `SELECT a.id, a.ticket_id, COALESCE(t.seq, 0), COALESCE(t.title, ''), COALESCE(t.kind, 'incident'), a.approver, COALESCE(u.user_name, ''),
	a.requested_by, a.state, a.comment, a.created_at, a.decided_at
	FROM ticket_approvals a LEFT JOIN tickets t ON t.id = a.ticket_id LEFT JOIN users u ON u.id = a.approver`

func scanApproval(r rowScanner) (desk.Approval, error) {
	var a desk.Approval
	var kind, state string
	var created, decided int64
	err := r.Scan(&a.ID, &a.Ticket, &a.TicketSeq, &a.TicketTitle, &kind, &a.Approver, &a.ApproverName,
		&a.RequestedBy, &state, &a.Comment, &created, &decided)
	a.TicketKind, a.State = desk.Kind(kind), desk.ApprovalState(state)
	a.CreatedAt, a.DecidedAt = fromMicro(created), fromMicro(decided)
	return a, err
}

func approvalByID(row func(q string, args ...any) *sql.Row, id string) (desk.Approval, error) {
	a, err := scanApproval(row(approvalSelect+` WHERE a.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return a, notFound("approval", id)
	}
	if err != nil {
		return a, fmt.Errorf("store: approval: %w", err)
	}
	return a, nil
}

// RequestApproval asks approver (any key of an active person) to approve
// the ticket behind key, with a history row ("approval") and the audit
// entry approval.request.
func (s *Store) RequestApproval(ctx context.Context, by desk.By, key, approver string) (desk.Approval, error) {
	var a desk.Approval
	err := s.write(ctx, func(t *tx) error {
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
		u, err := t.user(approver)
		if licensing.ErrorCode(err) == licensing.CodeNotFound {
			return licensing.FieldErrorf(licensing.CodeNotFound, "approver", "no person %q", approver)
		}
		if err != nil {
			return err
		}
		if u.Kind != licensing.KindPerson || !u.Active {
			return licensing.FieldErrorf(licensing.CodeInvalid, "approver", "%s cannot approve: only an active person can", u.UserName)
		}
		aid := newID("apr")
		if _, err := t.exec(`INSERT INTO ticket_approvals (id, ticket_id, approver, requested_by, state, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			aid, tk.ID, u.ID, authorName(by), string(desk.ApprovalPending), micro(t.now)); err != nil {
			return fmt.Errorf("store: request approval: %w", err)
		}
		if err := t.touchTicket(tk.ID); err != nil {
			return err
		}
		if err := t.addHistory(tk.ID, by, "approval", "", "requested from "+u.UserName); err != nil {
			return err
		}
		if err := t.byRecords(by, tk.ID, true); err != nil {
			return err
		}
		if a, err = approvalByID(t.queryRow, aid); err != nil {
			return err
		}
		return t.record(by.Actor, "approval.request", "approval:"+aid, "ok", fmt.Sprintf("ticket=%s approver=%s", tk.Number(), u.UserName))
	})
	return a, err
}

// touchTicket bumps a ticket's version and update time.
func (t *tx) touchTicket(id string) error {
	if _, err := t.exec(`UPDATE tickets SET updated_at = ?, version = version + 1 WHERE id = ?`, micro(t.now), id); err != nil {
		return fmt.Errorf("store: touch ticket: %w", err)
	}
	return nil
}

// GetApproval reads one approval.
func (s *Store) GetApproval(ctx context.Context, id string) (desk.Approval, error) {
	return approvalByID(func(q string, args ...any) *sql.Row { return s.readRow(ctx, q, args...) }, id)
}

// ListApprovals returns approvals newest first.
func (s *Store) ListApprovals(ctx context.Context, f desk.ApprovalFilter) ([]desk.Approval, error) {
	if f.State != "" && !f.State.Valid() {
		return nil, licensing.FieldErrorf(licensing.CodeInvalid, "state", "state must be pending, approved or rejected")
	}
	var where []string
	var args []any
	if f.Approver != "" {
		where, args = append(where, `a.approver = ?`), append(args, f.Approver)
	}
	if f.Ticket != "" {
		where, args = append(where, `a.ticket_id = ?`), append(args, f.Ticket)
	}
	if f.State != "" {
		where, args = append(where, `a.state = ?`), append(args, string(f.State))
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	q := approvalSelect
	for i, w := range where {
		if i == 0 {
			q += ` WHERE ` + w
		} else {
			q += ` AND ` + w
		}
	}
	rows, err := s.readRows(ctx, q+` ORDER BY a.created_at DESC, a.id DESC LIMIT ?`, append(args, min(limit, 500))...)
	if err != nil {
		return nil, fmt.Errorf("store: list approvals: %w", err)
	}
	defer rows.Close()
	out := []desk.Approval{}
	for rows.Next() {
		a, err := scanApproval(rows)
		if err != nil {
			return nil, fmt.Errorf("store: scan approval: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// AnswerApproval approves or rejects a pending approval; an approval
// answered already is a conflict. The ticket gets a history row
// ("approval") and the audit log approval.approve or approval.reject.
func (s *Store) AnswerApproval(ctx context.Context, by desk.By, id string, approve bool, comment string) (desk.Approval, error) {
	state, action := desk.ApprovalRejected, "approval.reject"
	if approve {
		state, action = desk.ApprovalApproved, "approval.approve"
	}
	var a desk.Approval
	err := s.write(ctx, func(t *tx) error {
		cur, err := approvalByID(t.queryRow, id)
		if err != nil {
			return err
		}
		if _, err := t.lockTicket(cur.Ticket); err != nil {
			return err
		}
		res, err := t.exec(`UPDATE ticket_approvals SET state = ?, comment = ?, decided_at = ? WHERE id = ? AND state = ?`,
			string(state), comment, micro(t.now), id, string(desk.ApprovalPending))
		if err != nil {
			return fmt.Errorf("store: answer approval: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return licensing.Errorf(licensing.CodeConflict, "the approval was answered already")
		}
		if err := t.touchTicket(cur.Ticket); err != nil {
			return err
		}
		if err := t.addHistory(cur.Ticket, by, "approval", string(desk.ApprovalPending), string(state)+" by "+cur.ApproverName); err != nil {
			return err
		}
		if comment != "" {
			n := desk.Note{Kind: desk.KindComment, Author: by.UserName, AuthorID: by.User, ActingUser: by.ActingUser, Via: by.Via, Body: "Approval " + string(state) + ": " + comment}
			if err := t.addNote(cur.Ticket, n); err != nil {
				return err
			}
		}
		if err := t.byRecords(by, cur.Ticket, true); err != nil {
			return err
		}
		if a, err = approvalByID(t.queryRow, id); err != nil {
			return err
		}
		return t.record(by.Actor, action, "approval:"+id, "ok", fmt.Sprintf("ticket=%s approver=%s", desk.FormatNumber(cur.TicketSeq), cur.ApproverName))
	})
	return a, err
}
