package web_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/desk"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// integrationCalls makes a propose-mode integration hold two changes to tk
// on behalf of rita (no seat), and an enforce-mode one refuse a call for an
// unknown person.
func (e *env) integrationCalls(t *testing.T, tk desk.Ticket) {
	t.Helper()
	a := licensing.System("test")
	hub, _, err := e.desk.CreateIntegration(e.ctx, a, "slack-hub", desk.ModePropose)
	if err != nil {
		t.Fatalf("CreateIntegration: %v", err)
	}
	acting := e.desk.Acting(licensing.Actor{Name: "token:slack-hub", Source: "test"}, hub, "rita@example.com")
	for _, ch := range []desk.Change{
		{State: desk.StateInProgress},
		{Note: &desk.Note{Kind: desk.KindWorkNote, Body: "Rebooted the router (via Slack)."}},
	} {
		res, err := e.desk.Change(e.ctx, acting, tk.ID, ch)
		if err != nil || res.Proposal == nil {
			t.Fatalf("integration change %+v: %+v, %v; want a proposal", ch, res, err)
		}
	}
	bot, _, err := e.desk.CreateIntegration(e.ctx, a, "teams-bot", desk.ModeEnforce)
	if err != nil {
		t.Fatalf("CreateIntegration: %v", err)
	}
	ghost := e.desk.Acting(licensing.Actor{Name: "token:teams-bot", Source: "test"}, bot, "ghost@example.com")
	if _, err := e.desk.Change(e.ctx, ghost, tk.ID, desk.Change{State: desk.StateResolved}); licensing.ErrorCode(err) != licensing.CodeMultiplexingBlocked {
		t.Fatalf("enforce-mode call for an unknown person: %v, want multiplexing_blocked", err)
	}
}

var proposalRowRE = regexp.MustCompile(`<tr class="proposal" data-id="([^"]+)">`)

func TestProposalsConfirmAndReject(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cat := e.seed()
	vpn, _, _ := e.tickets(t, cat)
	e.integrationCalls(t, vpn)

	b := e.login(cat.nina)
	p := b.get("/agent/proposals")
	if p.Status != http.StatusOK {
		t.Fatalf("GET /agent/proposals: status %d; body %.600s", p.Status, p.Body)
	}
	ids := proposalRowRE.FindAllStringSubmatch(p.Body, -1)
	if len(ids) != 2 {
		t.Fatalf("%d proposal rows, want 2; body %.1500s", len(ids), p.Body)
	}
	list := text(element(t, p.Body, "proposals", "table"))
	for _, want := range []string{"slack-hub", "Rita Requester", vpn.Number(), "state → In progress", "Work note: “Rebooted the router (via Slack).”"} {
		if !strings.Contains(list, want) {
			t.Errorf("proposal list lacks %q: %s", want, list)
		}
	}
	byWhat := map[string]string{} // change text -> id
	for _, m := range ids {
		i := strings.Index(p.Body, m[0])
		seg := p.Body[i:]
		seg = seg[:strings.Index(seg, "</tr>")]
		if strings.Contains(seg, "state →") {
			byWhat["state"] = m[1]
		} else {
			byWhat["note"] = m[1]
		}
		if !strings.Contains(seg, `action="/agent/proposals/`+m[1]+`/confirm"`) || !strings.Contains(seg, `action="/agent/proposals/`+m[1]+`/reject"`) {
			t.Errorf("row %s lacks its confirm and reject forms", m[1])
		}
	}

	r := b.post("/agent/proposals/"+byWhat["state"]+"/confirm", nil)
	if r.Status != http.StatusSeeOther || r.Location() != "/agent/proposals?done=confirm" {
		t.Fatalf("confirm: status %d Location %q; body %.600s", r.Status, r.Location(), r.Body)
	}
	if got := e.ticket(vpn.ID); got.State != desk.StateInProgress {
		t.Errorf("after confirming, state %s, want in_progress", got.State)
	}
	r = b.post("/agent/proposals/"+byWhat["note"]+"/reject", nil)
	if r.Status != http.StatusSeeOther || r.Location() != "/agent/proposals?done=reject" {
		t.Fatalf("reject: status %d Location %q; body %.600s", r.Status, r.Location(), r.Body)
	}
	got := e.ticket(vpn.ID)
	for _, n := range got.WorkNotes {
		if strings.Contains(n.Body, "Rebooted the router") {
			t.Errorf("a rejected proposal's work note was added: %+v", n)
		}
	}
	p = b.get("/agent/proposals?done=reject")
	if class, _, _ := flashOf(t, p.Body); class != "ok" || len(proposalRowRE.FindAllString(p.Body, -1)) != 0 {
		t.Errorf("after deciding both: flash %q, %d rows; want ok and none", class, len(proposalRowRE.FindAllString(p.Body, -1)))
	}
	// Deciding one twice is refused with the reason.
	r = b.post("/agent/proposals/"+byWhat["state"]+"/reject", nil)
	if class, code, _ := flashOf(t, r.Body); r.Status != http.StatusConflict || class != "error" || code != "conflict" {
		t.Errorf("rejecting a confirmed proposal: status %d flash %q/%q, want 409 conflict", r.Status, class, code)
	}
	if r := b.post("/agent/proposals/prop_missing/confirm", nil); r.Status != http.StatusNotFound {
		t.Errorf("confirming a missing proposal: status %d, want 404", r.Status)
	}

	// Proposals are for agents.
	rita := e.login(cat.rita)
	if p := rita.get("/agent/proposals"); p.Status != http.StatusForbidden {
		t.Errorf("a requester's GET /agent/proposals: status %d, want 403", p.Status)
	}
}
