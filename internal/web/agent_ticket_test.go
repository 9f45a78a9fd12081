package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/desk"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

var activityKindRE = regexp.MustCompile(`^ [a-z_]+" data-kind="([a-z_]+)">`)

// activityItems returns the page's activity stream as "kind: text", in
// page order.
func activityItems(t *testing.T, body string) []string {
	t.Helper()
	stream := element(t, body, "activity", "section")
	var out []string
	for _, item := range strings.Split(stream, `<li class="activity-item`)[1:] {
		m := activityKindRE.FindStringSubmatch(item)
		if m == nil {
			t.Fatalf("activity item without its kind: %s", item)
		}
		out = append(out, m[1]+": "+text(item[len(m[0]):]))
	}
	return out
}

// TestAgentTicketPage: the actions come first; comments, work notes and
// history are one stream in time order with labels and display names; the
// priority and category are edited through the engine like the API's
// PATCH.
func TestAgentTicketPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cat := e.seed()
	vpn, printer, robs := e.tickets(t, cat)
	b := e.login(cat.nina)
	path := "/agent/tickets/" + vpn.Number()

	steps := []struct {
		route string
		form  url.Values
	}{
		{"/transition", url.Values{"to": {"in_progress"}}},
		{"/assign", url.Values{"assignee": {"fred@example.com"}}},
		{"/comments", url.Values{"body": {"Please try again now."}}},
		{"/work-notes", url.Values{"body": {"Checked the gateway logs."}}},
		{"/update", url.Values{"priority": {"critical"}, "category": {"VPN"}}},
	}
	for _, s := range steps {
		if r := b.post(path+s.route, s.form); r.Status != http.StatusSeeOther {
			t.Fatalf("POST %s%s: status %d; body %.600s", path, s.route, r.Status, r.Body)
		}
	}
	got := e.ticket(vpn.ID)
	if got.Priority != desk.PriorityCritical || got.Category != "vpn" {
		t.Errorf("after the update form: priority %s category %q, want critical, vpn", got.Priority, got.Category)
	}

	p := b.get(path + "?done=update")
	if class, _, msg := flashOf(t, p.Body); class != "ok" || !strings.Contains(msg, "priority and category") {
		t.Errorf("flash after the update %q %q, want ok", class, msg)
	}
	// Actions at the top: right after the header, before the description,
	// the approvals and the stream.
	order := func(body string, ids ...string) {
		t.Helper()
		last := -1
		for _, id := range ids {
			i := strings.Index(body, `id="`+id+`"`)
			if i <= last {
				t.Errorf("#%s at %d, want it after #%s (page order %v)", id, i, ids[max(0, slices.Index(ids, id)-1)], ids)
			}
			last = i
		}
	}
	order(p.Body, "ticket", "actions", "approvals", "activity")
	order(b.get("/agent/tickets/"+printer.Number()).Body, "ticket", "actions", "ticket-description", "approvals", "activity")
	for _, id := range []string{"transition", "assign", "assign-me", "update", "priority", "category", "comment", "work-note", "ticket-number", "ticket-state", "activity", "standing"} {
		if !hasID(p.Body, id) {
			t.Errorf("agent ticket page lacks #%s", id)
		}
	}
	if hasID(p.Body, "actions-locked") || strings.Contains(element(t, p.Body, "action-forms", ""), "disabled") {
		t.Errorf("a named-seat agent's forms are locked")
	}
	if !strings.Contains(element(t, p.Body, "priority", "select"), `<option value="critical" selected>Critical</option>`) ||
		attrOf(t, p.Body, "category", "value") != "vpn" {
		t.Errorf("the update form does not show the current priority and category: %s", element(t, p.Body, "update", "form"))
	}
	if h := text(element(t, p.Body, "ticket", "article")); !strings.Contains(h, "opened by Rita Requester") || !strings.Contains(h, "Assigned to Fred Floating") {
		t.Errorf("ticket header %q, want the requester's and assignee's display names", h)
	}

	want := []string{
		"opened: Rita Requester", "Opened the ticket.",
		"change: Nina Named", "State: New → In progress",
		"change: Nina Named", "Assignee: — → Fred Floating",
		"comment: Nina Named", "Please try again now.",
		"work_note: Nina Named", "Checked the gateway logs.",
		"change: Nina Named", "Priority: High → Critical", "Category: network → vpn",
	}
	items := activityItems(t, p.Body)
	stream := strings.Join(items, " | ")
	if len(items) != 6 {
		t.Fatalf("activity stream %q, want 6 items", stream)
	}
	pos := 0
	for _, w := range want {
		i := strings.Index(stream[pos:], w)
		if i < 0 {
			t.Fatalf("activity stream %q lacks %q after position %d (want, in order: %q)", stream, w, pos, want)
		}
		pos += i
	}
	for _, raw := range []string{"in_progress", "nina@example.com", "fred@example.com", "work_note:"} {
		if strings.Contains(text(element(t, p.Body, "activity", "section")), raw) {
			t.Errorf("activity stream shows the raw value %q: %s", raw, stream)
		}
	}

	// The same values again change nothing; a bad priority is refused
	// with the typed category kept.
	version := e.ticket(vpn.ID).Version
	if r := b.post(path+"/update", url.Values{"priority": {"critical"}, "category": {"vpn"}}); r.Status != http.StatusSeeOther || !strings.HasSuffix(r.Location(), "?done=unchanged") {
		t.Errorf("unchanged update: status %d Location %q", r.Status, r.Location())
	}
	r := b.post(path+"/update", url.Values{"priority": {"urgent"}, "category": {"remote access"}})
	if class, code, _ := flashOf(t, r.Body); r.Status != http.StatusBadRequest || class != "error" || code != licensing.CodeInvalid {
		t.Errorf("priority urgent: status %d flash %q/%q, want 400 invalid_request", r.Status, class, code)
	}
	if attrOf(t, r.Body, "category", "value") != "remote access" {
		t.Errorf("the refused category is not kept in the form")
	}
	if got := e.ticket(vpn.ID); got.Version != version || got.Category != "vpn" {
		t.Errorf("refused updates changed the ticket: %+v", got)
	}
	// The engine decides the update: a requester cannot change priority,
	// even on their own ticket (refused, and sent back to the portal's
	// view of it, as every agent action of theirs is).
	rob := e.login(cat.rob)
	if r := rob.post("/agent/tickets/"+robs.Number()+"/update", url.Values{"priority": {"critical"}}); r.Status != http.StatusSeeOther || r.Location() != "/tickets/"+robs.Number() {
		t.Errorf("a requester's priority change: status %d Location %q, want 303 to the portal's ticket; body %.400s", r.Status, r.Location(), r.Body)
	}
	if got := e.ticket(robs.ID); got.Priority == desk.PriorityCritical {
		t.Errorf("a requester changed the priority")
	}
}

// TestAgentTicketLockedWhenReadOnly: a person who may read the ticket but
// whose every action would be refused sees the forms disabled and why;
// one whose first action would queue them keeps the forms.
func TestAgentTicketLockedWhenReadOnly(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cat := e.seed()
	_, printer, _ := e.tickets(t, cat)
	path := "/agent/tickets/" + printer.Number()
	locked := func(u *user) (bool, string) {
		t.Helper()
		p := u.get(path)
		if p.Status != http.StatusOK {
			t.Fatalf("GET %s: status %d; body %.400s", path, p.Status, p.Body)
		}
		tag := element(t, p.Body, "action-forms", "")
		tag = tag[:strings.Index(tag, ">")]
		reason := ""
		if hasID(p.Body, "actions-locked") {
			reason = text(element(t, p.Body, "actions-locked", "p"))
		}
		return strings.Contains(tag, "disabled"), reason
	}

	// Fred takes the pool's one seat.
	fred := e.login(cat.fred)
	if r := fred.post(path+"/work-notes", url.Values{"body": {"on it"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("fred's work note: status %d", r.Status)
	}
	// Flo: the pool queues, so her first action is how she queues.
	flo := e.login(cat.flo)
	if dis, why := locked(flo); dis || why != "" {
		t.Errorf("flo before asking for a seat: disabled %v (%q), want the forms open (acting queues her)", dis, why)
	}
	if r := flo.post(path+"/transition", url.Values{"to": {"on_hold"}}); r.Status != http.StatusConflict {
		t.Fatalf("flo's transition: status %d, want 409 (queued)", r.Status)
	}
	dis, why := locked(flo)
	if !dis || !strings.Contains(why, "every seat of agents-floating is in use (1 seat)") || !strings.Contains(why, "number 1 in the queue") {
		t.Errorf("flo queued: disabled %v, reason %q; want the forms disabled with her place in the queue", dis, why)
	}

	// A pool without a queue: read-only, try again later.
	a := licensing.System("test")
	if err := e.st.CreatePool(e.ctx, a, licensing.Pool{ID: "night", SKU: "agent", Model: licensing.ModelConcurrent, Seats: 1, MonthlyPrice: 140}); err != nil {
		t.Fatal(err)
	}
	nick := e.person("nick@example.com", "Nick Night", "night")
	nora := e.person("nora@example.com", "Nora Night", "night")
	if _, err := e.st.StartSession(e.ctx, a, nick.UserName, false, []string{"night"}); err != nil {
		t.Fatalf("StartSession(nick): %v", err)
	}
	if err := e.svc.Load(e.ctx); err != nil {
		t.Fatal(err)
	}
	dis, why = locked(e.login(nora))
	if !dis || !strings.Contains(why, "every seat of night is in use (1 seat)") || !strings.Contains(why, "Try again when a seat is free") {
		t.Errorf("nora on a full pool without a queue: disabled %v, reason %q", dis, why)
	}

	// Fred signs out: the seat is free, and Flo's forms open.
	if r := fred.post("/signout", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("fred's sign-out: status %d", r.Status)
	}
	if dis, why := locked(flo); dis {
		t.Errorf("flo once a seat is free: disabled (%q), want the forms open", why)
	}
}

// TestRefusalsKeepUserNames: a refusal naming a person keeps their user
// name as it is ("ann", not "Ann"), in a sentence that starts with a word.
func TestRefusalsKeepUserNames(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cat := e.seed()
	vpn, _, _ := e.tickets(t, cat)
	e.person("ann", "Ann Lee")
	b := e.login(cat.nina)
	for who, want := range map[string]string{
		"ann":              "The person ann holds no agent seat",
		"rita@example.com": "The person rita@example.com holds no agent seat",
	} {
		r := b.post("/agent/tickets/"+vpn.Number()+"/assign", url.Values{"assignee": {who}})
		if _, _, msg := flashOf(t, r.Body); r.Status != http.StatusBadRequest || !strings.Contains(msg, want) {
			t.Errorf("assign to %s: status %d, flash %q; want it to say %q", who, r.Status, msg, want)
		}
	}
}

// TestProposalSupersededOnThePage: confirming a proposal whose change the
// ticket already holds closes it as superseded, says so, and lists it
// under the decided ones, not the pending.
func TestProposalSupersededOnThePage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cat := e.seed()
	vpn, _, _ := e.tickets(t, cat) // priority high
	hub, _, err := e.desk.CreateIntegration(e.ctx, licensing.System("test"), "slack-hub", desk.ModePropose)
	if err != nil {
		t.Fatalf("CreateIntegration: %v", err)
	}
	acting := e.desk.Acting(licensing.Actor{Name: "token:slack-hub", Source: "test"}, hub, "rita@example.com")
	res, err := e.desk.Change(e.ctx, acting, vpn.ID, desk.Change{Priority: desk.PriorityHigh})
	if err != nil || res.Proposal == nil {
		t.Fatalf("proposal: %+v, %v", res, err)
	}
	id := res.Proposal.ID

	b := e.login(cat.nina)
	if p := b.get("/agent/proposals"); !strings.Contains(p.Body, `data-id="`+id+`"`) {
		t.Fatalf("the proposal is not listed as pending: %.800s", p.Body)
	}
	r := b.post("/agent/proposals/"+id+"/confirm", nil)
	if r.Status != http.StatusSeeOther || r.Location() != "/agent/proposals?done=superseded" {
		t.Fatalf("confirm: status %d Location %q; body %.400s", r.Status, r.Location(), r.Body)
	}
	p := b.get(r.Location())
	if class, _, msg := flashOf(t, p.Body); class != "ok" || !strings.Contains(msg, "superseded") {
		t.Errorf("flash %q %q, want it to say the proposal is superseded", class, msg)
	}
	if strings.Contains(element(t, p.Body, "proposals", "table"), id) {
		t.Errorf("the superseded proposal is still listed as pending")
	}
	row := regexpFind(t, p.Body, `(?s)(<tr class="decided-proposal" data-id="`+id+`"[^>]*>.*?</tr>)`)
	if !strings.Contains(row, `data-state="superseded"`) || !strings.Contains(text(row), "Superseded") {
		t.Errorf("decided row %q, want it shown as superseded", row)
	}
	if got := e.ticket(vpn.ID); got.Version != vpn.Version {
		t.Errorf("the superseded proposal changed the ticket (version %d → %d)", vpn.Version, got.Version)
	}
}
