package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/desk"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

type noteJSON struct {
	ID         string    `json:"id"`
	Author     string    `json:"author"`
	ActingUser string    `json:"acting_user,omitempty"`
	Via        string    `json:"via,omitempty"`
	Body       string    `json:"body"`
	At         time.Time `json:"at"`
}

type historyJSON struct {
	At         time.Time `json:"at"`
	Actor      string    `json:"actor"`
	ActingUser string    `json:"acting_user,omitempty"`
	Via        string    `json:"via,omitempty"`
	Field      string    `json:"field"`
	From       string    `json:"from"`
	To         string    `json:"to"`
}

type ticketJSON struct {
	ID          string    `json:"id"`
	Number      string    `json:"number"`
	Kind        string    `json:"kind"`
	Asset       string    `json:"asset,omitempty"`
	Title       string    `json:"title"`
	Description string    `json:"description"`
	Requester   string    `json:"requester"`
	RequesterID string    `json:"requester_id"`
	Assignee    string    `json:"assignee,omitempty"`
	AssigneeID  string    `json:"assignee_id,omitempty"`
	Priority    string    `json:"priority"`
	Category    string    `json:"category"`
	State       string    `json:"state"`
	Next        []string  `json:"next_states"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	Version     int64     `json:"version"`
}

// ticketDetailJSON is a ticket read alone: with its notes and history,
// always arrays (lists leave them out).
type ticketDetailJSON struct {
	ticketJSON
	Comments  []noteJSON     `json:"comments"`
	WorkNotes []noteJSON     `json:"work_notes"`
	History   []historyJSON  `json:"history"`
	Approvals []approvalJSON `json:"approvals"`
}

// approvalJSON is a person asked to approve a ticket, and their answer.
type approvalJSON struct {
	ID          string     `json:"id"`
	Ticket      string     `json:"ticket"`
	TicketTitle string     `json:"ticket_title"`
	TicketKind  string     `json:"ticket_kind"`
	Approver    string     `json:"approver"`
	ApproverID  string     `json:"approver_id"`
	RequestedBy string     `json:"requested_by"`
	State       string     `json:"state"`
	Comment     string     `json:"comment,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	DecidedAt   *time.Time `json:"decided_at,omitempty"`
}

func approvalOut(a desk.Approval) approvalJSON {
	j := approvalJSON{ID: a.ID, Ticket: desk.FormatNumber(a.TicketSeq), TicketTitle: a.TicketTitle, TicketKind: string(a.TicketKind),
		Approver: a.ApproverName, ApproverID: a.Approver, RequestedBy: a.RequestedBy, State: string(a.State), Comment: a.Comment, CreatedAt: a.CreatedAt}
	if !a.DecidedAt.IsZero() {
		j.DecidedAt = &a.DecidedAt
	}
	return j
}

func notesOut(ns []desk.Note) []noteJSON {
	out := make([]noteJSON, len(ns))
	for i, n := range ns {
		out[i] = noteJSON{ID: n.ID, Author: n.Author, ActingUser: n.ActingUser, Via: n.Via, Body: n.Body, At: n.At}
	}
	return out
}

func ticketOut(t desk.Ticket) ticketJSON {
	j := ticketJSON{ID: t.ID, Number: t.Number(), Kind: string(t.Kind), Asset: t.Asset, Title: t.Title, Description: t.Description, Requester: t.RequesterName, RequesterID: t.Requester,
		Assignee: t.AssigneeName, AssigneeID: t.Assignee, Priority: string(t.Priority), Category: t.Category, State: string(t.State),
		Next: []string{}, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt, Version: t.Version}
	for _, n := range t.State.Next() {
		j.Next = append(j.Next, string(n))
	}
	return j
}

func ticketDetailOut(t desk.Ticket) ticketDetailJSON {
	j := ticketDetailJSON{ticketJSON: ticketOut(t), Comments: notesOut(t.Comments), WorkNotes: notesOut(t.WorkNotes), History: make([]historyJSON, len(t.History)), Approvals: make([]approvalJSON, len(t.Approvals))}
	for i, a := range t.Approvals {
		j.Approvals[i] = approvalOut(a)
	}
	for i, h := range t.History {
		j.History[i] = historyJSON{At: h.At, Actor: h.Actor, ActingUser: h.ActingUser, Via: h.Via, Field: h.Field, From: h.From, To: h.To}
	}
	return j
}

func (s *Server) createTicket(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Kind        string `json:"kind"`
		Title       string `json:"title"`
		Description string `json:"description"`
		Category    string `json:"category"`
		Priority    string `json:"priority"`
	}
	p, ok := s.decodeFor(w, r, &in, false)
	if !ok {
		return
	}
	t, err := s.desk.CreateTicket(r.Context(), p, desk.NewTicket{Kind: desk.Kind(in.Kind), Title: in.Title, Description: in.Description, Category: in.Category, Priority: desk.Priority(in.Priority)})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/tickets/"+t.Number())
	writeJSON(w, http.StatusCreated, ticketOut(t))
}

func (s *Server) getTicket(w http.ResponseWriter, r *http.Request) {
	p, err := s.principal(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	t, _, err := s.desk.GetTicket(r.Context(), p, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ticketDetailOut(t))
}

// listTickets serves the queue (scope=all, the default for agents) or the
// acting person's own tickets (scope=mine).
func (s *Server) listTickets(w http.ResponseWriter, r *http.Request) {
	p, err := s.principal(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	f := desk.TicketFilter{Priority: desk.Priority(q.Get("priority")), Category: q.Get("category"), Text: q.Get("q")}
	if f.Priority != "" && !f.Priority.Valid() {
		s.fail(w, r, licensing.FieldErrorf(licensing.CodeInvalid, "priority", "priority must be critical, high, medium or low"))
		return
	}
	if len(f.Text) > 200 || len(f.Category) > desk.MaxCategory {
		s.fail(w, r, licensing.FieldErrorf(licensing.CodeInvalid, "q", "search text is too long"))
		return
	}
	for _, st := range strings.FieldsFunc(q.Get("state"), func(c rune) bool { return c == ',' }) {
		if !desk.State(st).Valid() {
			s.fail(w, r, licensing.FieldErrorf(licensing.CodeInvalid, "state", "unknown state %q", st))
			return
		}
		f.States = append(f.States, desk.State(st))
	}
	if a := q.Get("assignee"); a != "" {
		f.Assignee = a
		if a != "none" {
			id, ok := s.engine.Resolve(a)
			if !ok {
				s.fail(w, r, licensing.FieldErrorf(licensing.CodeNotFound, "assignee", "no person %q", a))
				return
			}
			f.Assignee = id
		}
	}
	if f.Limit, err = queryInt(r, "limit", 50, 1, 500); err != nil {
		s.fail(w, r, err)
		return
	}
	if v := q.Get("before"); v != "" {
		n, ok := desk.ParseNumber(v)
		if !ok {
			n, err = strconv.ParseInt(v, 10, 64)
		}
		if err != nil || n <= 0 {
			s.fail(w, r, licensing.FieldErrorf(licensing.CodeInvalid, "before", "before must be a ticket number"))
			return
		}
		f.Before = n
	}
	scope := q.Get("scope")
	if scope != "" && scope != "all" && scope != "mine" {
		s.fail(w, r, licensing.FieldErrorf(licensing.CodeInvalid, "scope", "scope must be all or mine"))
		return
	}
	list, err := s.desk.ListTickets(r.Context(), p, f, scope != "mine")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]ticketJSON, len(list))
	for i, t := range list {
		out[i] = ticketOut(t)
	}
	writeJSON(w, http.StatusOK, map[string]any{"tickets": out})
}

// change runs a ticket change: 200 with the ticket (201 for a new note), or
// 202 with the proposal under a propose-mode integration.
func (s *Server) change(w http.ResponseWriter, r *http.Request, ch desk.Change, status int) {
	p, err := s.principal(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	res, err := s.desk.Change(r.Context(), p, r.PathValue("id"), ch)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if res.Proposal != nil {
		writeJSON(w, http.StatusAccepted, map[string]any{"proposal": res.Proposal.ID, "state": res.Proposal.State})
		return
	}
	writeJSON(w, status, ticketOut(res.Ticket))
}

func (s *Server) transitionTicket(w http.ResponseWriter, r *http.Request) {
	var in struct {
		To string `json:"to"`
	}
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if in.To == "" {
		s.fail(w, r, licensing.FieldErrorf(licensing.CodeInvalid, "to", "to is required"))
		return
	}
	s.change(w, r, desk.Change{State: desk.State(in.To)}, http.StatusOK)
}

func (s *Server) assignTicket(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Assignee *string `json:"assignee"`
	}
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if in.Assignee == nil {
		s.fail(w, r, licensing.FieldErrorf(licensing.CodeInvalid, "assignee", `assignee is required ("" unassigns)`))
		return
	}
	s.change(w, r, desk.Change{Assignee: in.Assignee}, http.StatusOK)
}

func (s *Server) updateTicket(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Priority string  `json:"priority"`
		Category string  `json:"category"`
		Asset    *string `json:"asset"`
	}
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if in.Priority == "" && in.Category == "" && in.Asset == nil {
		s.fail(w, r, licensing.Errorf(licensing.CodeInvalid, "give priority, category or asset"))
		return
	}
	if in.Asset != nil && (in.Priority != "" || in.Category != "") {
		// Each needs its own capability: one change, one decision.
		s.fail(w, r, licensing.FieldErrorf(licensing.CodeInvalid, "asset", "change the asset alone, without priority or category"))
		return
	}
	s.change(w, r, desk.Change{Priority: desk.Priority(in.Priority), Category: strings.ToLower(strings.TrimSpace(in.Category)), Asset: in.Asset}, http.StatusOK)
}

func (s *Server) addNote(kind desk.NoteKind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Body string `json:"body"`
		}
		if err := decode(w, r, &in); err != nil {
			s.fail(w, r, err)
			return
		}
		s.change(w, r, desk.Change{Note: &desk.Note{Kind: kind, Body: in.Body}}, http.StatusCreated)
	}
}

func (s *Server) requestApproval(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Approver string `json:"approver"`
	}
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if strings.TrimSpace(in.Approver) == "" {
		s.fail(w, r, licensing.FieldErrorf(licensing.CodeInvalid, "approver", "approver is required"))
		return
	}
	p, err := s.principal(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	a, err := s.desk.RequestApproval(r.Context(), p, r.PathValue("id"), strings.TrimSpace(in.Approver))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/approvals/"+a.ID)
	writeJSON(w, http.StatusCreated, approvalOut(a))
}

// listApprovals lists the acting person's approvals (?state=pending|approved|rejected).
func (s *Server) listApprovals(w http.ResponseWriter, r *http.Request) {
	p, err := s.principal(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	limit, err := queryInt(r, "limit", 50, 1, 500)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	list, err := s.desk.ListApprovals(r.Context(), p, desk.ApprovalState(r.URL.Query().Get("state")), limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]approvalJSON, len(list))
	for i, a := range list {
		out[i] = approvalOut(a)
	}
	writeJSON(w, http.StatusOK, map[string]any{"approvals": out})
}

func (s *Server) answerApproval(approve bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Comment string `json:"comment"`
		}
		p, ok := s.decodeFor(w, r, &in, true)
		if !ok {
			return
		}
		a, err := s.desk.AnswerApproval(r.Context(), p, r.PathValue("id"), approve, strings.TrimSpace(in.Comment))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, approvalOut(a))
	}
}
