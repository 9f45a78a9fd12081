package api

import (
	"strings"
	"testing"
)

// TestChangeAssetAndApprovals: change tickets and asset links need their
// modules; approvals are asked by an agent and answered once, for free, by
// the named approver only (DESIGN §3.4, issue 3).
func TestChangeAssetAndApprovals(t *testing.T) {
	e := newTestEnv(t)
	e.seedDesk()
	e.must(201, "PUT", "/api/v1/pools/agents-named/members/ann@example.com", nil)
	e.must(201, "POST", "/api/v1/pools", `{"id":"changes","sku":"change","model":"named","seats":2}`)
	e.must(201, "POST", "/api/v1/pools", `{"id":"agents-more","sku":"agent","model":"named","seats":2}`)
	e.must(201, "PUT", "/api/v1/pools/agents-more/members/bob@example.com", nil)
	e.must(201, "PUT", "/api/v1/pools/changes/members/bob@example.com", nil)
	ann, bob, cid := as("ann@example.com"), as("bob@example.com"), as("cid@example.com")

	// Kind.
	wantError(t, e.call("POST", "/api/v1/tickets", `{"kind":"problem","title":"x"}`, ann...), 400, "invalid_request", "kind")
	wantError(t, e.call("POST", "/api/v1/tickets", `{"kind":"change","title":"Patch the gateway"}`, ann...), 403, "module_missing", "-")
	var chg ticketJSON
	e.must(201, "POST", "/api/v1/tickets", `{"kind":"change","title":"Patch the gateway"}`, bob...).into(t, &chg)
	if chg.Kind != "change" {
		t.Fatalf("kind %q, want change", chg.Kind)
	}
	wantError(t, e.call("POST", "/api/v1/tickets/"+chg.Number+"/transition", `{"to":"in_progress"}`, ann...), 403, "module_missing", "-")
	e.must(200, "POST", "/api/v1/tickets/"+chg.Number+"/transition", `{"to":"in_progress"}`, bob...)

	// Asset.
	var inc ticketJSON
	e.must(201, "POST", "/api/v1/tickets", `{"title":"Laptop broken"}`, cid...).into(t, &inc)
	if inc.Kind != "incident" {
		t.Fatalf("default kind %q", inc.Kind)
	}
	wantError(t, e.call("PATCH", "/api/v1/tickets/"+inc.Number, `{"asset":"bad tag!"}`, ann...), 400, "invalid_request", "asset")
	wantError(t, e.call("PATCH", "/api/v1/tickets/"+inc.Number, `{"asset":"`+strings.Repeat("a", 65)+`"}`, ann...), 400, "invalid_request", "asset")
	if r := e.call("PATCH", "/api/v1/tickets/"+inc.Number, `{"asset":"LAPTOP-7"}`, ann...); r.Status != 403 {
		t.Fatalf("asset link without the asset module: %d %s", r.Status, r)
	}

	// Approvals.
	wantError(t, e.call("POST", "/api/v1/tickets/"+inc.Number+"/approvals", `{"approver":"nobody@example.com"}`, ann...), 404, "not_found", "approver")
	wantError(t, e.call("POST", "/api/v1/tickets/"+inc.Number+"/approvals", `{"approver":"bob@example.com"}`, cid...), 403, "no_licence", "-")
	var ap approvalJSON
	r := e.must(201, "POST", "/api/v1/tickets/"+inc.Number+"/approvals", `{"approver":"dee@example.com"}`, ann...)
	r.into(t, &ap)
	if ap.State != "pending" || ap.Approver != "dee@example.com" || ap.RequestedBy != "ann@example.com" || ap.Ticket != inc.Number || r.Header.Get("Location") != "/api/v1/approvals/"+ap.ID {
		t.Fatalf("approval %+v", ap)
	}
	var list struct {
		Approvals []approvalJSON `json:"approvals"`
	}
	e.must(200, "GET", "/api/v1/approvals?state=pending", nil, as("dee@example.com")...).into(t, &list)
	if len(list.Approvals) != 1 || list.Approvals[0].ID != ap.ID {
		t.Fatalf("dee's pending approvals %+v", list)
	}
	e.must(200, "GET", "/api/v1/approvals?state=pending", nil, cid...).into(t, &list)
	if len(list.Approvals) != 0 {
		t.Fatalf("cid sees someone else's approvals: %+v", list)
	}
	wantError(t, e.call("GET", "/api/v1/approvals?state=maybe", nil, cid...), 400, "invalid_request", "state")
	wantError(t, e.call("POST", "/api/v1/approvals/"+ap.ID+"/approve", `{}`, ann...), 403, "forbidden", "-")
	e.must(200, "POST", "/api/v1/approvals/"+ap.ID+"/approve", `{"comment":"ok"}`, as("dee@example.com")...).into(t, &ap)
	if ap.State != "approved" || ap.Comment != "ok" || ap.DecidedAt == nil {
		t.Fatalf("approved %+v", ap)
	}
	wantError(t, e.call("POST", "/api/v1/approvals/"+ap.ID+"/reject", nil, as("dee@example.com")...), 409, "conflict", "-")
	wantError(t, e.call("POST", "/api/v1/approvals/apr_nope/approve", nil, as("dee@example.com")...), 404, "not_found", "-")
	full := e.getTicket(inc.Number)
	if len(full.Approvals) != 1 || full.Approvals[0].State != "approved" {
		t.Fatalf("ticket approvals %+v", full.Approvals)
	}
	if got := e.lastAudit(1)[0]["action"]; got != "approval.approve" {
		t.Fatalf("last audit action %v", got)
	}

	// A change ticket's approval is a CAB approval: the change module.
	var cab approvalJSON
	wantError(t, e.call("POST", "/api/v1/tickets/"+chg.Number+"/approvals", `{"approver":"dee@example.com"}`, ann...), 403, "module_missing", "-")
	e.must(201, "POST", "/api/v1/tickets/"+chg.Number+"/approvals", `{"approver":"dee@example.com"}`, bob...).into(t, &cab)
	if r := e.call("POST", "/api/v1/approvals/"+cab.ID+"/approve", nil, as("dee@example.com")...); r.Status != 403 {
		t.Fatalf("a CAB approval without the change module: %d %s", r.Status, r)
	}
}
