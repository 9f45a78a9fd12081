package api

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/store"
)

// The tests in this file drive the dormant named seats (DESIGN §3.1)
// through the API: a pool's policy, the sweep on a clock moved forward
// by days, the notices, reclaim and undo.

const aDay = 24 * time.Hour

const dormantPolicyBody = `{"idle_days":30,"grace_days":7,"action":"reclaim","undo_days":14,"exempt_users":[],"exempt_groups":["on-call"]}`

// seedDormant pins the clock to reportDay and gives ann, bob (in group
// on-call) and cid the three named seats of desk-named; desk-float is a
// concurrent pool of the same SKU.
func seedDormant(t *testing.T) *testEnv {
	t.Helper()
	e := newTestEnv(t)
	e.pin(reportDay)
	e.must(201, "POST", "/api/v1/skus", skuAgentJSON)
	e.must(201, "POST", "/api/v1/pools", `{"id":"desk-named","sku":"agent","model":"named","seats":3,"monthly_price":95}`)
	e.must(201, "POST", "/api/v1/pools", `{"id":"desk-float","sku":"agent","model":"concurrent","seats":1}`)
	e.must(201, "POST", "/api/v1/users", person("ann", "E700"))
	e.must(201, "POST", "/api/v1/users", strings.Replace(person("bob", "E701"), `["desk-eu"]`, `["on-call"]`, 1))
	e.must(201, "POST", "/api/v1/users", person("cid", "E702"))
	e.must(201, "POST", "/api/v1/users", person("dan", "E703"))
	for _, u := range []string{"ann", "bob", "cid"} {
		e.must(201, "PUT", "/api/v1/pools/desk-named/members/"+u+"@example.com", nil)
	}
	return e
}

type sweepJSON struct {
	Warned    int `json:"warned"`
	Cleared   int `json:"cleared"`
	Suggested int `json:"suggested"`
	Reclaimed int `json:"reclaimed"`
	Closed    int `json:"closed"`
}

func (e *testEnv) sweep() sweepJSON {
	e.t.Helper()
	var s sweepJSON
	e.must(200, "POST", "/api/v1/dormant/sweep", nil).into(e.t, &s)
	return s
}

func (e *testEnv) notices(query string) []NoticeJSON {
	e.t.Helper()
	var out struct {
		Notices []NoticeJSON `json:"notices"`
	}
	e.must(200, "GET", "/api/v1/dormant/notices"+query, nil).into(e.t, &out)
	return out.Notices
}

func (e *testEnv) holders(pool string) map[string]memberJSON {
	e.t.Helper()
	var out struct {
		Members []memberJSON `json:"members"`
	}
	e.must(200, "GET", "/api/v1/pools/"+pool+"/members", nil).into(e.t, &out)
	m := map[string]memberJSON{}
	for _, x := range out.Members {
		m[x.User] = x
	}
	return m
}

// use has the person do an agent action on their named seat (a decision
// the engine allows under it) and flushes it, as the background loop would.
func (e *testEnv) use(user string) {
	e.t.Helper()
	e.svc.Flush(context.Background()) // the flush moves the engine's clock to now
	var d struct {
		Allow bool `json:"allow"`
	}
	e.must(200, "POST", "/api/v1/decide", `{"user":"`+user+`","capability":"ticket.transition"}`).into(e.t, &d)
	if !d.Allow {
		e.t.Fatalf("%s may not ticket.transition", user)
	}
	e.svc.Flush(context.Background())
}

func TestDormantPolicy(t *testing.T) {
	e := seedDormant(t)
	var p dormantPolicyJSON
	e.must(200, "PUT", "/api/v1/pools/desk-named/dormant-policy", dormantPolicyBody).into(t, &p)
	if p.Pool != "desk-named" || p.IdleDays != 30 || p.GraceDays != 7 || p.Action != "reclaim" || p.UndoDays != 14 ||
		len(p.ExemptUsers) != 0 || p.ExemptUsers == nil || len(p.ExemptGroups) != 1 || p.ExemptGroups[0] != "on-call" ||
		p.UpdatedBy != "token:admin" || p.UpdatedAt == nil || p.UpdatedAt.Sub(reportDay).Abs() > time.Minute {
		t.Errorf("PUT answered %+v", p)
	}
	// The body may name its pool, the path's; action defaults to suggest,
	// the grace period to 7 days and the undo window to 14.
	e.must(200, "PUT", "/api/v1/pools/desk-named/dormant-policy", `{"pool":"desk-named","idle_days":60}`).into(t, &p)
	if p.Action != "suggest" || p.IdleDays != 60 || p.GraceDays != 7 || p.UndoDays != 14 || len(p.ExemptGroups) != 0 {
		t.Errorf("replaced policy %+v, want suggest after 60 days, grace 7, undo 14, no exemptions", p)
	}
	e.must(400, "PUT", "/api/v1/pools/desk-named/dormant-policy", `{"idle_days":30,"exempt_users":["nobody@example.com"]}`)
	e.must(200, "PUT", "/api/v1/pools/desk-named/dormant-policy", dormantPolicyBody)
	if last := e.lastAudit(1)[0]; last["action"] != "dormant.policy" || last["subject"] != "pool:desk-named" {
		t.Errorf("policy change audited as %v", last)
	}
	before := e.reportState()
	for _, c := range []struct {
		pool, body  string
		status      int
		code, field string
	}{
		{"desk-float", dormantPolicyBody, 400, "invalid_request", "pool"}, // concurrent seats return on their own
		{"nope", dormantPolicyBody, 404, "not_found", "-"},
		{"desk-named", `{"idle_days":0}`, 400, "invalid_request", "idle_days"},
		{"desk-named", `{}`, 400, "invalid_request", "idle_days"},
		{"desk-named", `{"idle_days":3651}`, 400, "invalid_request", "idle_days"},
		{"desk-named", `{"idle_days":30,"grace_days":-1}`, 400, "invalid_request", "grace_days"},
		{"desk-named", `{"idle_days":30,"undo_days":366}`, 400, "invalid_request", "undo_days"},
		{"desk-named", `{"idle_days":30,"action":"delete"}`, 400, "invalid_request", "action"},
		{"desk-named", `{"idle_days":30,"exempt_groups":[" on-call"]}`, 400, "invalid_request", "exempt_groups"},
		{"desk-named", `{"idle_days":30,"exempt_users":[" "]}`, 400, "invalid_request", "exempt_users"},
		{"desk-named", `{"idle_days":"30"}`, 400, "invalid_request", "idle_days"},
		{"desk-named", `{"pool":"desk-float","idle_days":30}`, 400, "invalid_request", "pool"},
		{"desk-named", `{"idle_days":30,"when":"never"}`, 400, "invalid_request", "when"},
		{"desk-named", `{"idle_days":30,"updated_by":"someone else"}`, 400, "invalid_request", "updated_by"}, // read-only
		{"desk-named", `{"idle_days":30`, 400, "invalid_request", "-"},
		{"desk-named", ``, 400, "invalid_request", "-"},
	} {
		wantError(t, e.call("PUT", "/api/v1/pools/"+c.pool+"/dormant-policy", c.body), c.status, c.code, c.field)
	}
	wantError(t, e.call("DELETE", "/api/v1/pools/desk-float/dormant-policy", nil), 404, "not_found", "-")
	wantError(t, e.call("GET", "/api/v1/dormant/notices?open=maybe", nil), 400, "invalid_request", "open")
	wantError(t, e.call("GET", "/api/v1/dormant/notices?user=nobody", nil), 404, "not_found", "-")
	wantError(t, e.call("POST", "/api/v1/dormant/notices/dmt_nope/reclaim", nil), 404, "not_found", "-")
	wantError(t, e.call("POST", "/api/v1/dormant/notices/dmt_nope/undo", nil), 404, "not_found", "-")
	if after := e.reportState(); after != before {
		t.Errorf("bad input changed something:\nbefore %s\nafter  %s", before, after)
	}

	var list struct {
		Policies []dormantPolicyJSON `json:"policies"`
	}
	e.must(200, "GET", "/api/v1/dormant/policies", nil).into(t, &list)
	if len(list.Policies) != 1 || list.Policies[0].Pool != "desk-named" || list.Policies[0].Action != "reclaim" {
		t.Errorf("policies %+v, want desk-named's", list.Policies)
	}
	e.must(204, "DELETE", "/api/v1/pools/desk-named/dormant-policy", nil)
	e.must(200, "GET", "/api/v1/dormant/policies", nil).into(t, &list)
	if len(list.Policies) != 0 {
		t.Errorf("after DELETE: %+v", list.Policies)
	}
	wantError(t, e.call("DELETE", "/api/v1/pools/desk-named/dormant-policy", nil), 404, "not_found", "-")
}

func TestDormantReclaimAndUndo(t *testing.T) {
	e := seedDormant(t)
	e.must(200, "PUT", "/api/v1/pools/desk-named/dormant-policy", dormantPolicyBody)
	if s := e.sweep(); s != (sweepJSON{}) {
		t.Errorf("sweep of fresh seats: %+v, want nothing", s)
	}
	// cid uses the seat on day 20; on day 31 only ann is idle for 30 days
	// (bob is on call, exempt).
	e.clock.advance(20 * aDay)
	e.use("cid@example.com")
	e.clock.advance(11 * aDay)
	if s := e.sweep(); s != (sweepJSON{Warned: 1}) {
		t.Fatalf("sweep on day 31: %+v, want ann warned", s)
	}
	ns := e.notices("")
	if len(ns) != 1 {
		t.Fatalf("notices %+v, want ann's", ns)
	}
	n := ns[0]
	if n.User != "ann@example.com" || n.Pool != "desk-named" || n.State != "warned" || n.LastUsed != nil || !n.ReclaimAfter.Equal(n.WarnedAt.Add(7*aDay)) || n.ReclaimedAt != nil {
		t.Errorf("notice %+v, want ann warned, never used, reclaim 7 days after", n)
	}
	for q, want := range map[string]int{"?open=true": 1, "?open=false": 1, "?user=ann@example.com": 1, "?user=bob@example.com": 0, "?pool=desk-named": 1, "?pool=desk-float": 0, "?pool=desk-named&user=cid@example.com&open=true": 0} {
		if got := len(e.notices(q)); got != want {
			t.Errorf("notices%s: %d, want %d", q, got, want)
		}
	}
	if s := e.sweep(); s != (sweepJSON{}) {
		t.Errorf("second sweep within the grace period: %+v, want nothing", s)
	}
	// Grace over: the seat is reclaimed, and can be undone.
	e.clock.advance(7*aDay + time.Hour)
	if s := e.sweep(); s != (sweepJSON{Reclaimed: 1}) {
		t.Fatalf("sweep after grace: %+v, want ann's seat reclaimed", s)
	}
	if _, held := e.holders("desk-named")["ann@example.com"]; held {
		t.Errorf("ann still holds a seat after the reclaim")
	}
	n = e.notices("?user=ann@example.com")[0]
	if n.State != "reclaimed" || n.ReclaimedAt == nil || n.UndoUntil == nil || !n.UndoUntil.Equal(n.ReclaimedAt.Add(14*aDay)) {
		t.Errorf("reclaimed notice %+v, want undoable for 14 days", n)
	}
	if len(e.notices("?open=true")) != 0 {
		t.Errorf("a reclaimed notice is listed as open")
	}
	wantError(t, e.call("POST", "/api/v1/dormant/notices/"+n.ID+"/reclaim", nil), 409, "conflict", "-")
	var undone NoticeJSON
	e.must(200, "POST", "/api/v1/dormant/notices/"+n.ID+"/undo", nil).into(t, &undone)
	if undone.ID != n.ID || undone.State != "undone" || undone.ResolvedBy != "token:admin" || undone.ResolvedAt == nil {
		t.Errorf("undo answered %+v", undone)
	}
	if m, held := e.holders("desk-named")["ann@example.com"]; !held || m.State != "active" || m.Source != "manual" {
		t.Errorf("after undo ann holds %+v (%v), want her manual seat back", m, held)
	}
	wantError(t, e.call("POST", "/api/v1/dormant/notices/"+n.ID+"/undo", nil), 409, "conflict", "-")

	actions := map[string]int{}
	for _, en := range e.lastAudit(100) {
		actions[en["action"].(string)]++
	}
	if actions["seat.dormant_warn"] != 1 || actions["seat.dormant_reclaim"] != 1 || actions["seat.dormant_undo"] != 1 || actions["dormant.policy"] != 1 {
		t.Errorf("audit actions %v, want a warning, a reclaim, an undo and the policy", actions)
	}
}

func TestDormantSuggest(t *testing.T) {
	e := seedDormant(t)
	e.must(200, "PUT", "/api/v1/pools/desk-named/dormant-policy", `{"idle_days":30,"grace_days":7,"action":"suggest","undo_days":14,"exempt_users":["bob@example.com"]}`)
	e.clock.advance(30 * aDay)
	if s := e.sweep(); s != (sweepJSON{Warned: 2}) {
		t.Fatalf("sweep on day 30: %+v, want ann and cid warned (bob exempt by name)", s)
	}
	e.clock.advance(8 * aDay)
	if s := e.sweep(); s != (sweepJSON{Suggested: 2}) {
		t.Fatalf("sweep after grace: %+v, want two suggestions, nothing reclaimed", s)
	}
	if len(e.holders("desk-named")) != 3 {
		t.Errorf("a suggest-only pool lost a seat")
	}
	open := e.notices("?open=true")
	if len(open) != 2 || open[0].State != "suggested" || open[1].State != "suggested" {
		t.Fatalf("open notices %+v, want two suggested", open)
	}
	byUser := map[string]NoticeJSON{}
	for _, n := range open {
		byUser[n.User] = n
	}
	// The administrator reclaims cid's; ann comes back and her notice clears.
	var cid NoticeJSON
	e.must(200, "POST", "/api/v1/dormant/notices/"+byUser["cid@example.com"].ID+"/reclaim", nil).into(t, &cid)
	if cid.State != "reclaimed" || cid.UndoUntil == nil || cid.User != "cid@example.com" {
		t.Errorf("reclaim answered %+v", cid)
	}
	if _, held := e.holders("desk-named")["cid@example.com"]; held {
		t.Errorf("cid still holds the seat")
	}
	e.use("ann@example.com")
	if s := e.sweep(); s != (sweepJSON{Cleared: 1}) {
		t.Errorf("sweep after ann's use: %+v, want her notice cleared", s)
	}
	if n := e.notices("?user=ann@example.com")[0]; n.State != "cleared" {
		t.Errorf("ann's notice %+v, want cleared", n)
	}
	// The freed seat goes to dan: undoing cid's reclaim finds the pool full.
	e.must(201, "PUT", "/api/v1/pools/desk-named/members/dan@example.com", nil)
	wantError(t, e.call("POST", "/api/v1/dormant/notices/"+cid.ID+"/undo", nil), 409, "licence_maxed_out", "pool")
	// Once the window has closed, undo is refused even with a seat free.
	e.must(204, "DELETE", "/api/v1/pools/desk-named/members/dan@example.com", nil)
	before := e.reportState()
	e.clock.advance(15 * aDay)
	wantError(t, e.call("POST", "/api/v1/dormant/notices/"+cid.ID+"/undo", nil), 409, "conflict", "-")
	if after := e.reportState(); after != before {
		t.Errorf("a refused undo changed something:\nbefore %s\nafter  %s", before, after)
	}
	// Idle again, ann is warned anew; deleting the policy closes it.
	e.clock.advance(16 * aDay)
	if s := e.sweep(); s != (sweepJSON{Warned: 1}) {
		t.Errorf("sweep 31 days after ann's use: %+v, want her warned again", s)
	}
	e.must(204, "DELETE", "/api/v1/pools/desk-named/dormant-policy", nil)
	if n := e.notices("?open=true"); len(n) != 0 {
		t.Errorf("open notices after the policy went: %+v", n)
	}
	if ns := e.notices("?user=ann@example.com"); len(ns) != 2 || ns[0].State != "closed" || ns[1].State != "cleared" {
		t.Errorf("ann's notices %+v, want the new one closed, the old one cleared", ns)
	}
}

// dormantAnswers exercises the dormant-seat operations for
// TestOpenAPIAnswersConform, on an environment of their own so the clock
// can move days ahead.
func dormantAnswers(t *testing.T, check func(op string, r reply) reply) {
	t.Helper()
	e := seedDormant(t)
	plat := e.token("desk", store.ScopePlatform, 0)
	call := func(op, path string, body any) reply {
		t.Helper()
		method, _, _ := strings.Cut(op, " ")
		return check(op, e.call(method, path, body))
	}
	const put, del = "PUT /api/v1/pools/{pool}/dormant-policy", "DELETE /api/v1/pools/{pool}/dormant-policy"
	call(put, "/api/v1/pools/desk-named/dormant-policy", dormantPolicyBody)
	call(put, "/api/v1/pools/desk-float/dormant-policy", dormantPolicyBody)                                       // 400
	call(put, "/api/v1/pools/nope/dormant-policy", dormantPolicyBody)                                             // 404
	call(put, "/api/v1/pools/desk-named/dormant-policy", `{"idle_days":30,"x":"`+strings.Repeat("x", 1<<20)+`"}`) // 413
	check(put, e.request("PUT", "/api/v1/pools/desk-named/dormant-policy", plat, dormantPolicyBody))              // 403
	call("GET /api/v1/dormant/policies", "/api/v1/dormant/policies", nil)
	check("GET /api/v1/dormant/policies", e.request("GET", "/api/v1/dormant/policies", plat, nil))
	call("POST /api/v1/dormant/sweep", "/api/v1/dormant/sweep", nil)
	check("POST /api/v1/dormant/sweep", e.request("POST", "/api/v1/dormant/sweep", plat, nil)) // 403
	e.clock.advance(31 * aDay)
	call("POST /api/v1/dormant/sweep", "/api/v1/dormant/sweep", nil) // ann and cid warned
	var list struct {
		Notices []NoticeJSON `json:"notices"`
	}
	call("GET /api/v1/dormant/notices", "/api/v1/dormant/notices?open=true", nil).into(t, &list)
	call("GET /api/v1/dormant/notices", "/api/v1/dormant/notices?open=yes", nil)    // 400
	call("GET /api/v1/dormant/notices", "/api/v1/dormant/notices?user=nobody", nil) // 404
	check("GET /api/v1/dormant/notices", e.request("GET", "/api/v1/dormant/notices?pool=desk-named", plat, nil))
	if len(list.Notices) != 2 {
		t.Fatalf("notices %+v, want ann's and cid's", list.Notices)
	}
	n1, n2 := list.Notices[0].ID, list.Notices[1].ID
	check("POST /api/v1/dormant/notices/{id}/reclaim", e.request("POST", "/api/v1/dormant/notices/"+n1+"/reclaim", plat, nil)) // 403
	call("POST /api/v1/dormant/notices/{id}/reclaim", "/api/v1/dormant/notices/"+n1+"/reclaim", nil)
	call("POST /api/v1/dormant/notices/{id}/reclaim", "/api/v1/dormant/notices/"+n1+"/reclaim", nil)                     // 409
	call("POST /api/v1/dormant/notices/{id}/reclaim", "/api/v1/dormant/notices/dmt_nope/reclaim", nil)                   // 404
	check("POST /api/v1/dormant/notices/{id}/undo", e.request("POST", "/api/v1/dormant/notices/"+n1+"/undo", plat, nil)) // 403
	call("POST /api/v1/dormant/notices/{id}/undo", "/api/v1/dormant/notices/"+n2+"/undo", nil)                           // 409: not reclaimed
	call("POST /api/v1/dormant/notices/{id}/undo", "/api/v1/dormant/notices/"+n1+"/undo", nil)
	call("POST /api/v1/dormant/notices/{id}/undo", "/api/v1/dormant/notices/dmt_nope/undo", nil) // 404
	e.clock.advance(8 * aDay)
	call("POST /api/v1/dormant/sweep", "/api/v1/dormant/sweep", nil) // n2's seat reclaimed
	call("GET /api/v1/dormant/notices", "/api/v1/dormant/notices", nil)
	check(del, e.request("DELETE", "/api/v1/pools/desk-named/dormant-policy", plat, nil)) // 403
	call(del, "/api/v1/pools/desk-named/dormant-policy", nil)
	call(del, "/api/v1/pools/desk-named/dormant-policy", nil) // 404
}
