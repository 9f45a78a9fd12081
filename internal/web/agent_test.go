package web_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/desk"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// tickets creates tickets as their requesters, through the desk.
func (e *env) tickets(t *testing.T, cat catalog) (vpn, printer, robs desk.Ticket) {
	t.Helper()
	var err error
	if vpn, err = e.desk.CreateTicket(e.ctx, mustPerson(t, e, cat.rita), desk.NewTicket{Title: "VPN drops", Category: "network", Priority: desk.PriorityHigh}); err != nil {
		t.Fatal(err)
	}
	if printer, err = e.desk.CreateTicket(e.ctx, mustPerson(t, e, cat.rita), newTicket("Printer jammed")); err != nil {
		t.Fatal(err)
	}
	if robs, err = e.desk.CreateTicket(e.ctx, mustPerson(t, e, cat.rob), newTicket("New monitor please")); err != nil {
		t.Fatal(err)
	}
	return vpn, printer, robs
}

func TestAgentConsoleFlows(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cat := e.seed()
	vpn, printer, robs := e.tickets(t, cat)
	b := e.login(cat.nina)

	home := b.get("/")
	if attrOf(t, home.Body, "nav-agent", "href") != "/agent" {
		t.Errorf("an agent's home lacks a#nav-agent to /agent")
	}

	// The queue, with the licence banner.
	q := b.get("/agent")
	if q.Status != http.StatusOK {
		t.Fatalf("GET /agent: status %d; body %.600s", q.Status, q.Body)
	}
	if kind, pool := attrOf(t, q.Body, "standing", "data-kind"), attrOf(t, q.Body, "standing", "data-pool"); kind != "named" || pool != "agents-named" {
		t.Errorf("banner kind %q pool %q, want named on agents-named", kind, pool)
	}
	want := []string{robs.Number(), printer.Number(), vpn.Number()} // newest first
	if rows := ticketRows(q.Body); !slices.Equal(rows, want) {
		t.Errorf("queue rows %v, want %v", rows, want)
	}
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"text=vpn", []string{vpn.Number()}},
		{"priority=high", []string{vpn.Number()}},
		{"assignee=me", nil},
		{"assignee=none&state=open", want},
		{"state=resolved", nil},
		{"state=any&text=monitor", []string{robs.Number()}},
	} {
		if rows := ticketRows(b.get("/agent?" + tc.query).Body); !slices.Equal(rows, tc.want) {
			t.Errorf("GET /agent?%s rows %v, want %v", tc.query, rows, tc.want)
		}
	}
	for _, bad := range []string{"state=bogus", "priority=urgent", "assignee=bob"} {
		if p := b.get("/agent?" + bad); p.Status != http.StatusBadRequest {
			t.Errorf("GET /agent?%s: status %d, want 400", bad, p.Status)
		}
	}

	// The ticket page and its forms.
	path := "/agent/tickets/" + vpn.Number()
	p := b.get(path)
	for _, id := range []string{"transition", "assign", "assign-me", "comment", "work-note", "ticket-number", "ticket-state", "activity", "standing"} {
		if !hasID(p.Body, id) {
			t.Errorf("agent ticket page lacks #%s", id)
		}
	}
	for _, s := range desk.StateNew.Next() {
		if !strings.Contains(element(t, p.Body, "transition", "form"), `<option value="`+string(s)+`">`) {
			t.Errorf("form#transition lacks the next state %s", s)
		}
	}

	// Transition.
	r := b.post(path+"/transition", url.Values{"to": {"in_progress"}})
	if r.Status != http.StatusSeeOther || r.Location() != path+"?done=transition" {
		t.Fatalf("transition: status %d Location %q; body %.600s", r.Status, r.Location(), r.Body)
	}
	p = b.get(r.Location())
	if class, _, msg := flashOf(t, p.Body); class != "ok" || msg == "" {
		t.Errorf("after a transition the flash is %q %q, want ok", class, msg)
	}
	if st := attrOf(t, p.Body, "ticket-state", "data-state"); st != "in_progress" {
		t.Errorf("state on the page %q, want in_progress", st)
	}
	// A move the state machine forbids is refused with the reason.
	r = b.post(path+"/transition", url.Values{"to": {"closed"}})
	if class, code, _ := flashOf(t, r.Body); r.Status != http.StatusConflict || class != "error" || code != "conflict" {
		t.Errorf("in_progress → closed: status %d flash %q/%q, want 409 error/conflict", r.Status, class, code)
	}
	if r := b.post(path+"/transition", url.Values{"to": {"sideways"}}); r.Status != http.StatusBadRequest {
		t.Errorf("unknown state: status %d, want 400", r.Status)
	}

	// Assign to me, to someone typed, to nobody.
	r = b.post(path+"/assign", url.Values{"me": {"1"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("assign to me: status %d; body %.600s", r.Status, r.Body)
	}
	if got := e.ticket(vpn.ID); got.Assignee != cat.nina.ID {
		t.Errorf("assignee %q, want nina", got.Assignee)
	}
	if rows := ticketRows(b.get("/agent?assignee=me").Body); !slices.Equal(rows, []string{vpn.Number()}) {
		t.Errorf("assignee=me rows %v after assigning, want the VPN ticket", rows)
	}
	if r := b.post(path+"/assign", url.Values{"assignee": {"fred@example.com"}}); r.Status != http.StatusSeeOther {
		t.Errorf("assign to fred: status %d; body %.400s", r.Status, r.Body)
	} else if got := e.ticket(vpn.ID); got.Assignee != cat.fred.ID {
		t.Errorf("assignee %q, want fred", got.Assignee)
	}
	r = b.post(path+"/assign", url.Values{"assignee": {"rita@example.com"}})
	if class, code, _ := flashOf(t, r.Body); r.Status != http.StatusBadRequest || class != "error" || code != "invalid_request" {
		t.Errorf("assign to a requester: status %d flash %q/%q, want 400 invalid_request", r.Status, class, code)
	}
	if !strings.Contains(r.Body, `value="rita@example.com"`) {
		t.Errorf("the refused assignee is not kept in the form")
	}
	if r := b.post(path+"/assign", url.Values{"assignee": {"nobody@example.com"}}); r.Status != http.StatusNotFound {
		t.Errorf("assign to nobody: status %d, want 404", r.Status)
	}
	if r := b.post(path+"/assign", url.Values{"unassign": {"1"}}); r.Status != http.StatusSeeOther || r.Location() != path+"?done=unassign" {
		t.Errorf("unassign: status %d Location %q", r.Status, r.Location())
	} else if got := e.ticket(vpn.ID); got.Assignee != "" {
		t.Errorf("assignee %q after unassigning, want none", got.Assignee)
	}

	// A work note and a comment.
	if r := b.post(path+"/work-notes", url.Values{"body": {"Checked the gateway logs."}}); r.Status != http.StatusSeeOther || r.Location() != path+"?done=work-note" {
		t.Fatalf("work note: status %d Location %q; body %.400s", r.Status, r.Location(), r.Body)
	}
	if r := b.post(path+"/comments", url.Values{"body": {"Please try again now."}}); r.Status != http.StatusSeeOther {
		t.Fatalf("comment: status %d; body %.400s", r.Status, r.Body)
	}
	p = b.get(path)
	stream := text(element(t, p.Body, "activity", "section"))
	for _, want := range []string{"Checked the gateway logs.", "Please try again now.", "Opened the ticket.", "State: New → In progress", "Assignee: — → Nina Named", "Assignee: Fred Floating → —"} {
		if !strings.Contains(stream, want) {
			t.Errorf("the activity stream lacks %q: %s", want, stream)
		}
	}
	if r := b.post(path+"/work-notes", url.Values{"body": {" "}}); r.Status != http.StatusBadRequest {
		t.Errorf("empty work note: status %d, want 400", r.Status)
	}
	// The requester sees the comment, not the note.
	rita := e.login(cat.rita)
	rp := rita.get("/tickets/" + vpn.Number())
	if !strings.Contains(rp.Body, "Please try again now.") || strings.Contains(rp.Body, "gateway logs") {
		t.Errorf("requester's view: comment shown %v, work note hidden %v", strings.Contains(rp.Body, "Please try again now."), !strings.Contains(rp.Body, "gateway logs"))
	}
	if p := b.get("/agent/tickets/INC-999999"); p.Status != http.StatusNotFound {
		t.Errorf("a missing ticket: status %d, want 404", p.Status)
	}
}

func TestAgentReadOnlyWhenThePoolIsFull(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cat := e.seed()
	vpn, printer, _ := e.tickets(t, cat)

	fred := e.login(cat.fred)
	if kind := attrOf(t, fred.get("/agent").Body, "standing", "data-kind"); kind != desk.StandingOnDemand {
		t.Errorf("fred before acting: banner %q, want on_demand", kind)
	}
	if r := fred.post("/agent/tickets/"+vpn.Number()+"/transition", url.Values{"to": {"in_progress"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("fred's transition: status %d; body %.600s", r.Status, r.Body)
	}
	q := fred.get("/agent")
	if kind := attrOf(t, q.Body, "standing", "data-kind"); kind != desk.StandingLease || !hasID(q.Body, "lease-expires") {
		t.Errorf("fred holding the seat: banner %q (lease expiry shown %v), want lease", kind, hasID(q.Body, "lease-expires"))
	}

	// The one seat is Fred's: Flo reads, read-only.
	flo := e.login(cat.flo)
	q = flo.get("/agent")
	if q.Status != http.StatusOK || len(ticketRows(q.Body)) != 3 {
		t.Fatalf("flo's queue: status %d, %d rows; want the queue, readable", q.Status, len(ticketRows(q.Body)))
	}
	banner := text(element(t, q.Body, "standing", "div"))
	if kind := attrOf(t, q.Body, "standing", "data-kind"); kind != desk.StandingReadOnly {
		t.Errorf("flo's banner kind %q, want read_only", kind)
	}
	if !strings.Contains(banner, "the one seat of agents-floating is in use; you can read") {
		t.Errorf("banner does not explain read-only mode: %q", banner)
	}
	if hasID(q.Body, "queue-position") {
		t.Errorf("flo is shown a queue position before she asked for a seat")
	}
	path := "/agent/tickets/" + printer.Number()
	if p := flo.get(path); p.Status != http.StatusOK {
		t.Errorf("flo reading a ticket: status %d, want 200", p.Status)
	}

	// Her first agent action is refused with her place in the queue.
	r := flo.post(path+"/transition", url.Values{"to": {"on_hold"}})
	class, code, msg := flashOf(t, r.Body)
	if r.Status != http.StatusConflict || class != "error" || code != licensing.CodeMaxedOut {
		t.Fatalf("flo's transition: status %d flash %q/%q; want 409 error/licence_maxed_out; body %.600s", r.Status, class, code, r.Body)
	}
	if pos := text(element(t, r.Body, "flash-queue-position", "span")); pos != "1" || !strings.Contains(msg, "number 1 in the queue") {
		t.Errorf("refusal's queue position %q (%q), want 1", pos, msg)
	}
	if kind := attrOf(t, r.Body, "standing", "data-kind"); kind != desk.StandingReadOnly {
		t.Errorf("banner after the refusal %q, want read_only", kind)
	}
	if pos := text(element(t, r.Body, "queue-position", "span")); pos != "1" {
		t.Errorf("banner queue position %q, want 1", pos)
	}
	if got := e.ticket(printer.ID); got.State != desk.StateNew {
		t.Errorf("the refused transition changed the ticket to %s", got.State)
	}
	if r := flo.post(path+"/work-notes", url.Values{"body": {"kept while refused"}}); r.Status != http.StatusConflict || !strings.Contains(r.Body, "kept while refused") {
		t.Errorf("refused work note: status %d, text kept %v", r.Status, strings.Contains(r.Body, "kept while refused"))
	}

	// Fred signs out: the seat returns, and Flo, first in the queue, gets it.
	if r := fred.post("/signout", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("fred's sign-out: status %d", r.Status)
	}
	if r := flo.post(path+"/transition", url.Values{"to": {"on_hold"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("flo's transition after the seat freed: status %d; body %.600s", r.Status, r.Body)
	}
	if kind := attrOf(t, flo.get("/agent").Body, "standing", "data-kind"); kind != desk.StandingLease {
		t.Errorf("flo's banner after taking the seat %q, want lease", kind)
	}
}
