package api

import (
	"strings"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

// TestEndSessionAdmin: POST /api/v1/sessions/{id}/end ends a person's
// session on an administrator's word — reason admin, the seat back at once
// despite the pool's linger, audited — and only an admin may call it.
func TestEndSessionAdmin(t *testing.T) {
	e := newTestEnv(t)
	e.seedDesk()
	e.must(200, "PUT", "/api/v1/pools/agents-floating", `{"sku":"agent","model":"concurrent","seats":1,"linger":"10m","monthly_price":140}`)
	e.must(201, "PUT", "/api/v1/pools/agents-floating/members/cid@example.com", nil)
	var ss struct {
		ID     string `json:"id"`
		Leases []struct {
			ID string `json:"id"`
		} `json:"leases"`
	}
	e.must(201, "POST", "/api/v1/sessions", `{"user":"cid@example.com"}`).into(t, &ss)
	if len(ss.Leases) != 1 {
		t.Fatalf("session leases %+v, want the pool's one seat", ss.Leases)
	}
	platform := e.token("desk", store.ScopePlatform, 0)
	wantError(t, e.request("POST", "/api/v1/sessions/"+ss.ID+"/end", platform, nil), 403, "forbidden", "-")
	wantError(t, e.must(404, "POST", "/api/v1/sessions/nope/end", nil), 404, "not_found", "-")

	e.must(204, "POST", "/api/v1/sessions/"+ss.ID+"/end", nil)
	var got struct {
		EndReason string `json:"end_reason"`
	}
	e.must(200, "GET", "/api/v1/sessions/"+ss.ID, nil).into(t, &got)
	if got.EndReason != licensing.EndAdmin {
		t.Errorf("end_reason %q, want %q", got.EndReason, licensing.EndAdmin)
	}
	if body := string(e.must(200, "GET", "/api/v1/leases", nil).Body); strings.Contains(body, ss.Leases[0].ID) {
		t.Errorf("the lease lingers after an administrator ended the session: %s", body)
	}
	last := e.lastAudit(3)
	found := false
	for _, a := range last {
		if a["action"] == "session.end" && a["result"] == licensing.EndAdmin && a["actor"] == "token:admin" {
			found = true
		}
	}
	if !found {
		t.Errorf("no session.end (admin) by token:admin among %v", last)
	}
	wantError(t, e.must(409, "POST", "/api/v1/sessions/"+ss.ID+"/end", nil), 409, "conflict", "-")
}

// TestShrinkBelowHoldersSaysWhatToFree: a pool change leaving fewer seats
// than are held is refused (409 conflict on seats) with how many must be
// revoked or released first; nothing changes.
func TestShrinkBelowHoldersSaysWhatToFree(t *testing.T) {
	e := newTestEnv(t)
	e.seedDesk()
	e.must(200, "PUT", "/api/v1/pools/agents-named", `{"sku":"agent","model":"named","seats":3,"monthly_price":95}`)
	for _, u := range []string{"ann", "bob", "cid"} {
		e.must(201, "PUT", "/api/v1/pools/agents-named/members/"+u+"@example.com", nil)
	}
	r := wantError(t, e.must(409, "PUT", "/api/v1/pools/agents-named", `{"sku":"agent","model":"named","seats":1,"overdraft":0,"monthly_price":95}`), 409, "conflict", "seats")
	if want := `pool "agents-named" has 3 seats assigned: revoke 2 before shrinking to 1 seat`; r.Error.Message != want {
		t.Errorf("message %q, want %q", r.Error.Message, want)
	}
	r = wantError(t, e.must(409, "PUT", "/api/v1/pools/agents-named", `{"sku":"agent","model":"named","seats":1,"overdraft":1,"monthly_price":95}`), 409, "conflict", "seats")
	if want := "revoke 1 before shrinking to 1 seat plus 1 overdraft seat"; !strings.Contains(r.Error.Message, want) {
		t.Errorf("message %q, want %q in it", r.Error.Message, want)
	}
	e.must(201, "PUT", "/api/v1/pools/agents-floating/members/dee@example.com", nil)
	e.must(201, "POST", "/api/v1/sessions", `{"user":"dee@example.com"}`)
	r = wantError(t, e.must(409, "PUT", "/api/v1/pools/agents-floating", `{"sku":"agent","model":"concurrent","seats":0,"monthly_price":140}`), 409, "conflict", "seats")
	if want := `pool "agents-floating" has 1 seat held now: release 1 lease before shrinking to 0 seats`; r.Error.Message != want {
		t.Errorf("message %q, want %q", r.Error.Message, want)
	}
	var p struct {
		Seats int `json:"seats"`
	}
	e.must(200, "GET", "/api/v1/pools/agents-named", nil).into(t, &p)
	if p.Seats != 3 {
		t.Errorf("agents-named seats %d after the refusals, want 3", p.Seats)
	}
}

// sessionEndAnswers exercises POST /api/v1/sessions/{id}/end for
// TestOpenAPIAnswersConform: ended (204), again (409), by the platform
// (403), unknown (404).
func sessionEndAnswers(t *testing.T, e *testEnv, call func(op, path string, body any, hdr ...string) reply, check func(op string, r reply) reply, platformTok string) {
	t.Helper()
	const op = "POST /api/v1/sessions/{id}/end"
	var ss sessionJSON
	call("POST /api/v1/sessions", "/api/v1/sessions", `{"user":"ann@example.com","lazy":true}`).into(t, &ss)
	check(op, e.request("POST", "/api/v1/sessions/"+ss.ID+"/end", platformTok, nil))
	call(op, "/api/v1/sessions/"+ss.ID+"/end", nil)
	call(op, "/api/v1/sessions/"+ss.ID+"/end", nil)
	call(op, "/api/v1/sessions/nope/end", nil)
}
