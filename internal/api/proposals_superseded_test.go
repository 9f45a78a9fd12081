package api

import "testing"

// TestProposalSuperseded: a proposal of a move someone already made is
// closed as superseded — when the ticket makes the move, or when an agent
// confirms it — and answered as such, never left pending.
func TestProposalSuperseded(t *testing.T) {
	e, desk := deskFixture(t)
	bot := e.newIntegration("teams-bot", "propose")
	propose := func(method, path, body string) string {
		t.Helper()
		r := e.request(method, "/api/v1/tickets/INC-000001"+path, bot.Token, body, as("dee@example.com")...)
		var acc struct {
			Proposal string `json:"proposal"`
		}
		if r.Status != 202 {
			t.Fatalf("propose %s: status %d, want 202; body %s", body, r.Status, r)
		}
		r.into(t, &acc)
		return acc.Proposal
	}
	var list struct {
		Proposals []proposalJSON `json:"proposals"`
	}

	// Dee proposes the move; Ann makes it herself: the proposal is closed.
	first := propose("POST", "/transition", `{"to":"in_progress"}`)
	e.mustAs(t, 200, desk, "ann@example.com", "POST", "/api/v1/tickets/INC-000001/transition", `{"to":"in_progress"}`)
	var one proposalJSON
	e.must(200, "GET", "/api/v1/proposals/"+first, nil).into(t, &one)
	if one.State != "superseded" || one.DecidedBy != "ann@example.com" || one.DecidedAt == nil || one.Reason == "" {
		t.Errorf("proposal of the move Ann made = %+v, want superseded by ann with a reason", one)
	}
	e.must(200, "GET", "/api/v1/proposals?state=pending", nil).into(t, &list)
	if len(list.Proposals) != 0 {
		t.Errorf("pending proposals = %+v, want none", list.Proposals)
	}

	// Proposed when the ticket already holds it (medium is its priority):
	// confirming closes it as superseded (200), and changes nothing.
	second := propose("PATCH", "", `{"priority":"medium"}`)
	before := e.getTicket("INC-000001")
	r := e.mustAs(t, 200, desk, "ann@example.com", "POST", "/api/v1/proposals/"+second+"/confirm", nil)
	var dec struct {
		Proposal proposalJSON `json:"proposal"`
	}
	r.into(t, &dec)
	if dec.Proposal.State != "superseded" {
		t.Errorf("confirm of a move made = %s, want the proposal superseded", r)
	}
	if after := e.getTicket("INC-000001"); after.Version != before.Version || after.State != "in_progress" {
		t.Errorf("the superseded confirm changed the ticket: version %d→%d, state %s", before.Version, after.Version, after.State)
	}
	wantError(t, e.requestAs(desk, "ann@example.com", "POST", "/api/v1/proposals/"+second+"/reject", nil), 409, "conflict", "-")
	e.must(200, "GET", "/api/v1/proposals?state=superseded", nil).into(t, &list)
	if len(list.Proposals) != 2 {
		t.Errorf("superseded proposals = %+v, want both", list.Proposals)
	}
	wantError(t, e.call("GET", "/api/v1/proposals?state=stale", nil), 400, "invalid_request", "state")
}
