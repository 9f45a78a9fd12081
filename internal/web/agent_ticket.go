package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/desk"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/plural"
)

// The agent ticket page's own done messages, beside web.go's.
func init() {
	done["update"] = "The ticket's priority and category were saved."
	done["unchanged"] = "Nothing to save: the priority and category are as they were."
}

// priorities are the ticket priorities, most urgent first, as the forms
// offer them.
var priorities = []desk.Priority{desk.PriorityCritical, desk.PriorityHigh, desk.PriorityMedium, desk.PriorityLow}

// activity is one item of a ticket's activity stream: a comment, a work
// note, or the fields one action changed.
type activity struct {
	Kind    string // "opened", "change", "comment" or "work_note"
	At      time.Time
	Who     string // the author or actor, by display name
	Via     string // the integration, when one acted on someone's behalf
	For     string // the person it acted for
	Body    string // a note's text
	Changes []changeView
}

// changeView is one changed field in words: "State: New → In progress".
type changeView struct {
	Field, From, To string
}

// displayName names someone for a page: their display name, else the key the
// record holds (a user name, or a service account's name).
func (p *Pages) displayName(key string) string {
	if key == "" {
		return ""
	}
	if u, ok := p.svc.Engine.User(key); ok && u.DisplayName != "" {
		return u.DisplayName
	}
	return key
}

// actingFor names the person an integration acted for; an acting user
// that matched nobody is marked as such.
func (p *Pages) actingFor(label string) string {
	if raw, ok := strings.CutPrefix(label, "unverified:"); ok {
		return raw + " (unverified)"
	}
	return p.displayName(label)
}

// fieldValue turns a stored history value into words: labels for states
// and priorities, display names for people, "—" for nothing.
func (p *Pages) fieldValue(field, v string) string {
	switch {
	case v == "":
		return "—"
	case field == "state" || field == "priority":
		return label(v)
	case field == "assignee":
		return p.displayName(v)
	}
	return v
}

// activityOf merges a ticket's comments, work notes and history into one
// stream in time order. The field changes of one action (same moment, same
// actor) are one item; at the same moment a change comes before the note
// written with it.
func (p *Pages) activityOf(t desk.Ticket) []activity {
	var out []activity
	for _, h := range t.History {
		if h.Field == "state" && h.From == "" {
			// The ticket's first state is its creation.
			out = append(out, activity{Kind: "opened", At: h.At, Who: p.displayName(h.Actor), Via: h.Via, For: p.actingFor(h.ActingUser)})
			continue
		}
		c := changeView{Field: label(h.Field), From: p.fieldValue(h.Field, h.From), To: p.fieldValue(h.Field, h.To)}
		if n := len(out); n > 0 {
			last := &out[n-1]
			if last.Kind == "change" && last.At.Equal(h.At) && last.Who == p.displayName(h.Actor) && last.Via == h.Via {
				last.Changes = append(last.Changes, c)
				continue
			}
		}
		a := activity{Kind: "change", At: h.At, Who: p.displayName(h.Actor), Via: h.Via, Changes: []changeView{c}}
		if h.Via != "" && h.ActingUser != "" {
			a.For = p.actingFor(h.ActingUser)
		}
		out = append(out, a)
	}
	for _, notes := range [][]desk.Note{t.Comments, t.WorkNotes} {
		for _, n := range notes {
			a := activity{Kind: string(n.Kind), At: n.At, Who: p.displayName(n.Author), Via: n.Via, Body: n.Body}
			if n.AuthorID != "" {
				a.Who = p.displayName(n.AuthorID)
			}
			if n.Via != "" && n.ActingUser != "" {
				a.For = p.actingFor(n.ActingUser)
			}
			out = append(out, a)
		}
	}
	slices.SortStableFunc(out, func(a, b activity) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		return kindOrder(a.Kind) - kindOrder(b.Kind)
	})
	return out
}

func kindOrder(kind string) int {
	switch kind {
	case "opened":
		return 0
	case "change":
		return 1
	}
	return 2
}

// lockReason says why the person may read this ticket but not act on it,
// or "" when their actions would be decided (and may be allowed). It
// follows the licence standing the banner shows, so the forms are disabled
// exactly when every action would be refused; a person whose first action
// would put them in the queue keeps the forms, since acting is how they
// queue.
func (p *Pages) lockReason(ctx context.Context, sv standingView) (string, error) {
	switch sv.Kind {
	case desk.StandingNamed, desk.StandingLease, desk.StandingOnDemand:
		return "", nil
	case desk.StandingNoneActive:
		return "Your account is inactive, so you can read this ticket but not change it.", nil
	case desk.StandingRequester:
		need := "an agent seat"
		if len(sv.Missing) > 0 {
			need = "a seat of " + strings.Join(sv.Missing, " or ")
		}
		return fmt.Sprintf("You can read this ticket, but changing it needs %s, which you do not hold.", need), nil
	}
	// Read-only: registered for a concurrent pool whose seats are all held.
	free, err := p.svc.Store.PoolFree(ctx, sv.Pool)
	if err != nil {
		return "", fmt.Errorf("web: free seats of %s: %w", sv.Pool, err)
	}
	switch {
	case free > 0:
		return "", nil // a seat freed (offered to the queue in order): acting asks for it
	case sv.QueuePosition > 0:
		return fmt.Sprintf("Read-only: every seat of %s is in use (%s) and you are number %d in the queue. The forms open when a seat is yours.",
			sv.Pool, plural.Of(sv.Seats, "seat"), sv.QueuePosition), nil
	case sv.Queue:
		return "", nil // the first action joins the queue
	}
	return fmt.Sprintf("Read-only: every seat of %s is in use (%s). Try again when a seat is free.", sv.Pool, plural.Of(sv.Seats, "seat")), nil
}

// updateFields saves the priority and category form: only what differs
// from the ticket is sent, as one change the engine decides (ticket.update,
// as the API's PATCH).
func (p *Pages) updateFields(w http.ResponseWriter, r *http.Request, v *visit) {
	prio := desk.Priority(strings.TrimSpace(r.PostForm.Get("priority")))
	category := strings.TrimSpace(r.PostForm.Get("category"))
	kept := map[string]string{"priority": string(prio), "category": category}
	t, _, err := p.desk.GetTicket(r.Context(), v.p, r.PathValue("key"))
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	var ch desk.Change
	if prio != "" && prio != t.Priority {
		ch.Priority = prio
	}
	if category != "" && !strings.EqualFold(category, t.Category) {
		ch.Category = category
	}
	if prio == "" && category == "" {
		status, f := p.explain(r, licensing.FieldErrorf(licensing.CodeInvalid, "priority", "choose a priority or a category"))
		p.showAgentTicket(w, r, v, status, f, kept)
		return
	}
	if ch.Empty() {
		http.Redirect(w, r, "/agent/tickets/"+url.PathEscape(t.Number())+"?done=unchanged", http.StatusSeeOther)
		return
	}
	p.act(w, r, v, ch, "update", kept)
}
