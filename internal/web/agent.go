package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/seatkeeper/seatkeeper/internal/desk"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// standingView is the console's banner: the licence the agent works under.
type standingView struct {
	desk.Standing
	Seats int  // the pool's seat count, for the read-only explanation
	Queue bool // the pool queues people when full
}

func (p *Pages) standing(r *http.Request, v *visit) (standingView, error) {
	st, err := p.desk.Standing(r.Context(), v.p, p.svc.Store)
	if err != nil {
		return standingView{}, err
	}
	sv := standingView{Standing: st}
	if pl, ok := p.svc.Engine.Pool(st.Pool); ok {
		sv.Seats, sv.Queue = pl.Seats, pl.Queue != nil
	}
	return sv, nil
}

// queueFilter is the queue's GET form.
type queueFilter struct {
	State, Priority, Assignee, Text string
}

// Queue state choices besides the states themselves.
const (
	stateOpen = "open" // new, in progress, on hold
	stateAny  = "any"
)

var openStates = []desk.State{desk.StateNew, desk.StateInProgress, desk.StateOnHold}

func (p *Pages) parseQueueFilter(r *http.Request, v *visit) (queueFilter, desk.TicketFilter, error) {
	q := r.URL.Query()
	qf := queueFilter{State: q.Get("state"), Priority: q.Get("priority"), Assignee: q.Get("assignee"), Text: strings.TrimSpace(q.Get("text"))}
	f := desk.TicketFilter{Limit: 200, Text: qf.Text}
	switch qf.State {
	case "", stateOpen:
		qf.State, f.States = stateOpen, openStates
	case stateAny:
	default:
		if !desk.State(qf.State).Valid() {
			return qf, f, licensing.FieldErrorf(licensing.CodeInvalid, "state", "state must be open, any or one of new, in_progress, on_hold, resolved, closed")
		}
		f.States = []desk.State{desk.State(qf.State)}
	}
	if qf.Priority != "" {
		if !desk.Priority(qf.Priority).Valid() {
			return qf, f, licensing.FieldErrorf(licensing.CodeInvalid, "priority", "priority must be critical, high, medium or low")
		}
		f.Priority = desk.Priority(qf.Priority)
	}
	switch qf.Assignee {
	case "", "all":
		qf.Assignee = "all"
	case "me":
		f.Assignee = v.ws.User
	case "none":
		f.Assignee = "none"
	default:
		return qf, f, licensing.FieldErrorf(licensing.CodeInvalid, "assignee", "assignee must be me, none or all")
	}
	if len(qf.Text) > 200 {
		return qf, f, licensing.FieldErrorf(licensing.CodeInvalid, "text", "the search text is longer than 200 bytes")
	}
	return qf, f, nil
}

func (p *Pages) queue(w http.ResponseWriter, r *http.Request, v *visit) {
	qf, f, err := p.parseQueueFilter(r, v)
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	list, err := p.desk.ListTickets(r.Context(), v.p, f, true)
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	sv, err := p.standing(r, v)
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	data := p.base(v, "Agent console")
	data["Tickets"], data["Filter"], data["Standing"] = list, qf, sv
	data["States"], data["Priorities"] = desk.States, []desk.Priority{desk.PriorityCritical, desk.PriorityHigh, desk.PriorityMedium, desk.PriorityLow}
	p.render(w, "agent_queue.html", http.StatusOK, data)
}

func (p *Pages) agentTicket(w http.ResponseWriter, r *http.Request, v *visit) {
	p.showAgentTicket(w, r, v, http.StatusOK, doneFlash(r), nil)
}

// showAgentTicket renders the console's ticket page; after a refused action
// it shows why, with status, and keeps what the agent typed (kept).
func (p *Pages) showAgentTicket(w http.ResponseWriter, r *http.Request, v *visit, status int, f *flash, kept map[string]string) {
	t, access, err := p.desk.GetTicket(r.Context(), v.p, r.PathValue("key"))
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	if access != desk.AccessAll {
		// A requester's own ticket: the portal shows it.
		http.Redirect(w, r, "/tickets/"+url.PathEscape(t.Number()), http.StatusSeeOther)
		return
	}
	sv, err := p.standing(r, v)
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	locked, err := p.lockReason(r.Context(), sv)
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	data := p.base(v, t.Number()+" "+t.Title)
	data["Ticket"], data["All"], data["Standing"], data["Flash"], data["Kept"] = t, true, sv, f, kept
	data["Activity"], data["Locked"], data["Priorities"] = p.activityOf(t), locked, priorities
	data["Requester"], data["Assignee"] = p.displayName(t.Requester), p.displayName(t.Assignee)
	p.render(w, "agent_ticket.html", status, data)
}

// act applies a change from a console form and redirects back with doneKey,
// or shows the page again with the refusal.
func (p *Pages) act(w http.ResponseWriter, r *http.Request, v *visit, ch desk.Change, doneKey string, kept map[string]string) {
	res, err := p.desk.Change(r.Context(), v.p, r.PathValue("key"), ch)
	if err != nil {
		if p.lost(w, r, err) {
			return
		}
		status, f := p.explain(r, err)
		p.showAgentTicket(w, r, v, status, f, kept)
		return
	}
	number := res.Ticket.Number()
	if res.Proposal != nil {
		number = desk.FormatNumber(res.Proposal.TicketSeq)
	}
	http.Redirect(w, r, "/agent/tickets/"+url.PathEscape(number)+"?done="+doneKey, http.StatusSeeOther)
}

func (p *Pages) transition(w http.ResponseWriter, r *http.Request, v *visit) {
	to := desk.State(r.PostForm.Get("to"))
	if to == "" {
		status, f := p.explain(r, licensing.FieldErrorf(licensing.CodeInvalid, "to", "choose the state to move the ticket to"))
		p.showAgentTicket(w, r, v, status, f, nil)
		return
	}
	p.act(w, r, v, desk.Change{State: to}, "transition", nil)
}

func (p *Pages) assign(w http.ResponseWriter, r *http.Request, v *visit) {
	typed := strings.TrimSpace(r.PostForm.Get("assignee"))
	who, doneKey := typed, "assign"
	switch {
	case r.PostForm.Get("me") != "":
		who = v.ws.User
	case r.PostForm.Get("unassign") != "":
		who, doneKey = "", "unassign"
	case who == "":
		status, f := p.explain(r, licensing.FieldErrorf(licensing.CodeInvalid, "assignee", "name the person to assign, or choose \"Assign to me\""))
		p.showAgentTicket(w, r, v, status, f, nil)
		return
	}
	p.act(w, r, v, desk.Change{Assignee: &who}, doneKey, map[string]string{"assignee": typed})
}

// agentNote adds a comment or, on the work-notes route, a work note.
func (p *Pages) agentNote(w http.ResponseWriter, r *http.Request, v *visit) {
	body := r.PostForm.Get("body")
	kind, doneKey, field := desk.KindComment, "comment", "comment"
	if strings.HasSuffix(r.URL.Path, "/work-notes") {
		kind, doneKey, field = desk.KindWorkNote, "work-note", "work-note"
	}
	p.act(w, r, v, desk.Change{Note: &desk.Note{Kind: kind, Body: body}}, doneKey, map[string]string{field: body})
}
