package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/seatkeeper/seatkeeper/internal/desk"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

var _ desk.Store = (*Store)(nil)

// ticketSelect reads a ticket with its people's user names.
const ticketSelect = `SELECT t.id, t.seq, t.kind, t.asset, t.title, t.description, t.requester, t.assignee, t.priority, t.category, t.state, t.created_at, t.updated_at, t.version,
	COALESCE(r.user_name, ''), COALESCE(a.user_name, '')
	FROM tickets t LEFT JOIN users r ON r.id = t.requester LEFT JOIN users a ON a.id = t.assignee`

func scanTicket(r rowScanner) (desk.Ticket, error) {
	var tk desk.Ticket
	var priority, state, kind string
	var created, updated int64
	err := r.Scan(&tk.ID, &tk.Seq, &kind, &tk.Asset, &tk.Title, &tk.Description, &tk.Requester, &tk.Assignee, &priority, &tk.Category, &state, &created, &updated, &tk.Version, &tk.RequesterName, &tk.AssigneeName)
	tk.Priority, tk.State, tk.Kind = desk.Priority(priority), desk.State(state), desk.Kind(kind)
	tk.CreatedAt, tk.UpdatedAt = fromMicro(created), fromMicro(updated)
	return tk, err
}

// ticketKey turns an id or a number ("INC-000123") into a condition on t.
func ticketKey(key string) (string, any) {
	if seq, ok := desk.ParseNumber(key); ok {
		return `t.seq = ?`, seq
	}
	return `t.id = ?`, key
}

type rowsFunc func(q string, args ...any) (*sql.Rows, error)

// loadTicket reads a ticket by id or number; full adds notes and history.
func loadTicket(row func(q string, args ...any) *sql.Row, rows rowsFunc, key string, full bool) (desk.Ticket, error) {
	cond, arg := ticketKey(key)
	tk, err := scanTicket(row(ticketSelect+` WHERE `+cond, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return tk, notFound("ticket", key)
	}
	if err != nil {
		return tk, fmt.Errorf("store: ticket: %w", err)
	}
	if !full {
		return tk, nil
	}
	tk.Comments, tk.WorkNotes, tk.History = []desk.Note{}, []desk.Note{}, []desk.HistoryEntry{}
	nr, err := rows(`SELECT id, kind, author, author_id, acting_user, via, body, at FROM ticket_notes WHERE ticket_id = ? ORDER BY at, id`, tk.ID)
	if err != nil {
		return tk, fmt.Errorf("store: ticket notes: %w", err)
	}
	defer nr.Close()
	for nr.Next() {
		n := desk.Note{Ticket: tk.ID}
		var id, at int64
		var kind string
		if err := nr.Scan(&id, &kind, &n.Author, &n.AuthorID, &n.ActingUser, &n.Via, &n.Body, &at); err != nil {
			return tk, fmt.Errorf("store: scan note: %w", err)
		}
		n.ID, n.Kind, n.At = strconv.FormatInt(id, 10), desk.NoteKind(kind), fromMicro(at)
		if n.Kind == desk.KindWorkNote {
			tk.WorkNotes = append(tk.WorkNotes, n)
		} else {
			tk.Comments = append(tk.Comments, n)
		}
	}
	if err := nr.Err(); err != nil {
		return tk, fmt.Errorf("store: ticket notes: %w", err)
	}
	nr.Close()
	hr, err := rows(`SELECT at, actor, acting_user, via, field, from_value, to_value FROM ticket_history WHERE ticket_id = ? ORDER BY at, id`, tk.ID)
	if err != nil {
		return tk, fmt.Errorf("store: ticket history: %w", err)
	}
	defer hr.Close()
	for hr.Next() {
		var h desk.HistoryEntry
		var at int64
		if err := hr.Scan(&at, &h.Actor, &h.ActingUser, &h.Via, &h.Field, &h.From, &h.To); err != nil {
			return tk, fmt.Errorf("store: scan history: %w", err)
		}
		h.At = fromMicro(at)
		tk.History = append(tk.History, h)
	}
	if err := hr.Err(); err != nil {
		return tk, fmt.Errorf("store: ticket history: %w", err)
	}
	hr.Close()
	ar, err := rows(approvalSelect+` WHERE a.ticket_id = ? ORDER BY a.created_at, a.id`, tk.ID)
	if err != nil {
		return tk, fmt.Errorf("store: ticket approvals: %w", err)
	}
	defer ar.Close()
	tk.Approvals = []desk.Approval{}
	for ar.Next() {
		a, err := scanApproval(ar)
		if err != nil {
			return tk, fmt.Errorf("store: scan approval: %w", err)
		}
		tk.Approvals = append(tk.Approvals, a)
	}
	return tk, ar.Err()
}

func (t *tx) ticket(key string, full bool) (desk.Ticket, error) {
	return loadTicket(t.queryRow, t.query, key, full)
}

// lockTicket locks a ticket's row (on PostgreSQL; SQLite has one writer)
// and returns its id.
func (t *tx) lockTicket(key string) (string, error) {
	cond, arg := ticketKey(key)
	var id string
	err := t.queryRow(`SELECT t.id FROM tickets t WHERE `+cond+t.s.d.ForUpdate, arg).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", notFound("ticket", key)
	}
	if err != nil {
		return "", fmt.Errorf("store: lock ticket: %w", err)
	}
	return id, nil
}

// GetTicket finds a ticket by id or number with its notes and history.
func (s *Store) GetTicket(ctx context.Context, key string) (desk.Ticket, error) {
	return s.readTicket(ctx, key, true)
}

// PeekTicket finds a ticket by id or number without notes and history.
func (s *Store) PeekTicket(ctx context.Context, key string) (desk.Ticket, error) {
	return s.readTicket(ctx, key, false)
}

func (s *Store) readTicket(ctx context.Context, key string, full bool) (desk.Ticket, error) {
	return loadTicket(func(q string, args ...any) *sql.Row { return s.readRow(ctx, q, args...) },
		func(q string, args ...any) (*sql.Rows, error) { return s.readRows(ctx, q, args...) }, key, full)
}

// authorName is who a history row names: the author, else the audit actor.
func authorName(by desk.By) string {
	if by.UserName != "" {
		return by.UserName
	}
	return by.Actor.Name
}

// CreateTicket stores a ticket for requester (any key of an active person)
// with the next number.
func (s *Store) CreateTicket(ctx context.Context, by desk.By, requester string, n desk.NewTicket) (desk.Ticket, error) {
	if err := n.Validate(); err != nil {
		return desk.Ticket{}, err
	}
	var tk desk.Ticket
	err := s.write(ctx, func(t *tx) error {
		u, err := t.user(requester)
		if err != nil {
			return err
		}
		if !u.Active {
			return licensing.FieldErrorf(licensing.CodeInactive, "requester", "user %q is inactive", u.UserName)
		}
		var seq int64
		if err := t.queryRow(`UPDATE counters SET value = value + 1 WHERE name = 'ticket' RETURNING value`).Scan(&seq); err != nil {
			return fmt.Errorf("store: ticket number: %w", err)
		}
		id := newID("tkt")
		if _, err := t.exec(`INSERT INTO tickets (id, seq, kind, title, description, search, requester, assignee, priority, category, state, created_at, updated_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, '', ?, ?, ?, ?, ?, 1)`,
			id, seq, string(n.Kind), n.Title, n.Description, searchText(n.Title, n.Description), u.ID, string(n.Priority), n.Category, string(desk.StateNew), micro(t.now), micro(t.now)); err != nil {
			return fmt.Errorf("store: create ticket: %w", err)
		}
		if err := t.addHistory(id, by, "state", "", string(desk.StateNew)); err != nil {
			return err
		}
		if err := t.byRecords(by, id, true); err != nil {
			return err
		}
		// Built here rather than read back: the single writer's time is
		// the desk's throughput.
		tk = desk.Ticket{ID: id, Seq: seq, Kind: n.Kind, Title: n.Title, Description: n.Description, Requester: u.ID, RequesterName: u.UserName,
			Priority: n.Priority, Category: n.Category, State: desk.StateNew, CreatedAt: t.now, UpdatedAt: t.now, Version: 1}
		return t.record(by.Actor, "ticket.create", "ticket:"+tk.Number(), "ok",
			fmt.Sprintf("requester=%s kind=%s priority=%s category=%s", u.UserName, n.Kind, n.Priority, n.Category))
	})
	return tk, err
}

// addHistory records one field's change.
func (t *tx) addHistory(ticketID string, by desk.By, field, from, to string) error {
	if _, err := t.exec(`INSERT INTO ticket_history (ticket_id, at, actor, acting_user, via, field, from_value, to_value) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		ticketID, micro(t.now), authorName(by), by.ActingUser, by.Via, field, from, to); err != nil {
		return fmt.Errorf("store: ticket history: %w", err)
	}
	return nil
}

// addNote stores a comment or work note.
func (t *tx) addNote(ticketID string, n desk.Note) error {
	if _, err := t.exec(`INSERT INTO ticket_notes (ticket_id, kind, author, author_id, acting_user, via, body, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		ticketID, string(n.Kind), n.Author, n.AuthorID, n.ActingUser, n.Via, n.Body, micro(t.now)); err != nil {
		return fmt.Errorf("store: ticket note: %w", err)
	}
	return nil
}

// byRecords writes what by carries besides the change: the integration's
// stamp as a work note (when stamp is true) and its call for the report.
func (t *tx) byRecords(by desk.By, ticketID string, stamp bool) error {
	if stamp && by.Stamp != "" && ticketID != "" {
		n := desk.Note{Kind: desk.KindWorkNote, Author: by.UserName, AuthorID: by.User, ActingUser: by.ActingUser, Via: by.Via, Body: by.Stamp}
		if err := t.addNote(ticketID, n); err != nil {
			return err
		}
	}
	if by.Call != nil {
		c := *by.Call
		if c.Ticket == "" {
			c.Ticket = ticketID
		}
		return t.addCall(c)
	}
	return nil
}

// ListTickets returns tickets newest first, without notes.
func (s *Store) ListTickets(ctx context.Context, f desk.TicketFilter) ([]desk.Ticket, error) {
	var where []string
	var args []any
	add := func(cond string, a ...any) { where, args = append(where, cond), append(args, a...) }
	if f.Requester != "" {
		add(`t.requester = ?`, f.Requester)
	}
	switch f.Assignee {
	case "":
	case "none":
		add(`t.assignee = ''`)
	default:
		add(`t.assignee = ?`, f.Assignee)
	}
	if len(f.States) > 0 {
		in := make([]any, len(f.States))
		for i, st := range f.States {
			in[i] = string(st)
		}
		add(`t.state IN (`+placeholders(len(in))+`)`, in...)
	}
	if f.Priority != "" {
		add(`t.priority = ?`, string(f.Priority))
	}
	if f.Category != "" {
		add(`t.category = ?`, strings.ToLower(strings.TrimSpace(f.Category)))
	}
	if f.Text != "" {
		p := likePattern(f.Text)
		add(`t.search LIKE ? ESCAPE '\'`, p)
	}
	if f.Before > 0 {
		add(`t.seq < ?`, f.Before)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 500)
	q := ticketSelect
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	rows, err := s.readRows(ctx, q+` ORDER BY t.seq DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("store: list tickets: %w", err)
	}
	defer rows.Close()
	out := []desk.Ticket{}
	for rows.Next() {
		tk, err := scanTicket(rows)
		if err != nil {
			return nil, fmt.Errorf("store: scan ticket: %w", err)
		}
		out = append(out, tk)
	}
	return out, rows.Err()
}

// searchText is what a ticket's text search matches: title and description
// folded to lower case here, in every script, since SQLite's lower() folds
// ASCII only.
func searchText(title, description string) string {
	return strings.ToLower(title) + "\n" + strings.ToLower(description)
}

// likePattern matches s anywhere, case-insensitively, with LIKE's wildcards
// in s taken literally (ESCAPE '\').
func likePattern(s string) string {
	return "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(strings.ToLower(s)) + "%"
}

// ChangeTicket applies ch to the locked ticket, with one history row per
// changed field, by's stamp and call, and the audit entry. A change that
// changes nothing and carries no note writes nothing but by's call.
func (s *Store) ChangeTicket(ctx context.Context, by desk.By, key string, ch desk.Change) (desk.Ticket, error) {
	var id string
	err := s.write(ctx, func(t *tx) error {
		var changed bool
		var err error
		if id, changed, err = t.changeTicket(by, key, ch); err != nil {
			return err
		}
		return t.byRecords(by, id, changed)
	})
	if err != nil {
		return desk.Ticket{}, err
	}
	// Read back after the commit, outside the (single) writer: the answer
	// shows this change, or a later one. Notes and history are left to
	// GetTicket: reading them on every change was a third of the desk's time.
	return s.PeekTicket(ctx, id)
}

// changeTicket applies ch as by inside t and records its audit entry; it
// reports whether anything was written. ChangeTicket and DecideProposal
// share it.
func (t *tx) changeTicket(by desk.By, key string, ch desk.Change) (id string, changed bool, err error) {
	if id, err = t.lockTicket(key); err != nil {
		return "", false, err
	}
	cur, err := t.ticket(id, false)
	if err != nil {
		return "", false, err
	}
	next := cur
	type fieldChange struct{ field, from, to string }
	var diffs []fieldChange
	if ch.State != "" {
		if err := desk.CheckTransition(cur.State, ch.State); err != nil {
			return "", false, err
		}
		next.State = ch.State
		diffs = append(diffs, fieldChange{"state", string(cur.State), string(ch.State)})
	}
	if ch.Assignee != nil {
		next.Assignee, next.AssigneeName = "", ""
		if *ch.Assignee != "" {
			u, err := t.assignee(*ch.Assignee)
			if err != nil {
				return "", false, err
			}
			next.Assignee, next.AssigneeName = u.ID, u.UserName
		}
		if next.Assignee != cur.Assignee {
			diffs = append(diffs, fieldChange{"assignee", cur.AssigneeName, next.AssigneeName})
		}
	}
	if ch.Priority != "" {
		if !ch.Priority.Valid() {
			return "", false, licensing.FieldErrorf(licensing.CodeInvalid, "priority", "priority must be critical, high, medium or low")
		}
		if next.Priority = ch.Priority; next.Priority != cur.Priority {
			diffs = append(diffs, fieldChange{"priority", string(cur.Priority), string(next.Priority)})
		}
	}
	if ch.Category != "" {
		c := strings.ToLower(strings.TrimSpace(ch.Category))
		if c == "" || len(c) > desk.MaxCategory {
			return "", false, licensing.FieldErrorf(licensing.CodeInvalid, "category", "category is 1 to %d bytes", desk.MaxCategory)
		}
		if next.Category = c; next.Category != cur.Category {
			diffs = append(diffs, fieldChange{"category", cur.Category, next.Category})
		}
	}
	if ch.Asset != nil {
		if *ch.Asset != "" && !desk.ValidAssetTag(*ch.Asset) {
			return "", false, licensing.FieldErrorf(licensing.CodeInvalid, "asset", "asset is a tag of 1 to 64 letters, digits, '.', '_' or '-'")
		}
		if next.Asset = *ch.Asset; next.Asset != cur.Asset {
			diffs = append(diffs, fieldChange{"asset", cur.Asset, next.Asset})
		}
	}
	var note *desk.Note
	if ch.Note != nil {
		n := *ch.Note
		if n.Kind != desk.KindComment && n.Kind != desk.KindWorkNote {
			return "", false, licensing.FieldErrorf(licensing.CodeInvalid, "kind", "a note is a comment or a work_note")
		}
		if n.Body, err = desk.ValidateBody(n.Body); err != nil {
			return "", false, err
		}
		if n.Author == "" && n.AuthorID == "" {
			n.Author, n.AuthorID = by.UserName, by.User
		}
		if n.ActingUser == "" && n.Via == "" {
			n.ActingUser, n.Via = by.ActingUser, by.Via
		}
		note = &n
	}
	if len(diffs) == 0 && note == nil {
		return id, false, nil
	}
	if _, err := t.exec(`UPDATE tickets SET state = ?, assignee = ?, priority = ?, category = ?, asset = ?, updated_at = ?, version = version + 1 WHERE id = ?`,
		string(next.State), next.Assignee, string(next.Priority), next.Category, next.Asset, micro(t.now), id); err != nil {
		return "", false, fmt.Errorf("store: change ticket: %w", err)
	}
	var detail []string
	for _, d := range diffs {
		if err := t.addHistory(id, by, d.field, d.from, d.to); err != nil {
			return "", false, err
		}
		if d.field == "state" {
			detail = append(detail, "from="+d.from, "to="+d.to)
		} else {
			detail = append(detail, d.field+"="+d.to)
		}
	}
	if note != nil {
		if err := t.addNote(id, *note); err != nil {
			return "", false, err
		}
		detail = append(detail, "note="+string(note.Kind))
	}
	if err := t.record(by.Actor, ch.CapabilityFor(cur.Kind), "ticket:"+cur.Number(), "ok", strings.Join(detail, " ")); err != nil {
		return "", false, err
	}
	if len(diffs) > 0 {
		// A pending proposal of the move just made can never be confirmed.
		if err := t.supersedeProposals(by, next); err != nil {
			return "", false, err
		}
	}
	return id, true, nil
}

// assignee resolves a ticket's new assignee: an active person (a service
// account would let many people work through one seat).
func (t *tx) assignee(key string) (licensing.User, error) {
	u, err := t.user(key)
	if licensing.ErrorCode(err) == licensing.CodeNotFound {
		return u, licensing.FieldErrorf(licensing.CodeNotFound, "assignee", "no person %q", key)
	}
	if err != nil {
		return u, err
	}
	if u.Kind != licensing.KindPerson || !u.Active {
		return u, licensing.FieldErrorf(licensing.CodeInvalid, "assignee", "the account %s cannot be assigned tickets: only an active person can", u.UserName)
	}
	return u, nil
}
