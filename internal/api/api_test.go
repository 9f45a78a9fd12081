package api

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/audit"
)

// The tests in this file drive the §5 calls end to end over loopback HTTP,
// with the bodies exactly as DESIGN.md writes them.

func TestSKUs(t *testing.T) {
	e := newTestEnv(t)

	r := e.must(201, "POST", "/api/v1/skus", skuAgentJSON)
	var got, want map[string]any
	r.into(t, &got)
	_ = json.Unmarshal([]byte(skuAgentJSON), &want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("POST /api/v1/skus answered %v, want %v", got, want)
	}
	e.must(201, "POST", "/api/v1/skus", skuChangeJSON)

	var list struct {
		SKUs []skuJSON `json:"skus"`
	}
	e.must(200, "GET", "/api/v1/skus", nil).into(t, &list)
	if len(list.SKUs) != 2 || list.SKUs[0].Key != "agent" || list.SKUs[1].Key != "change" {
		t.Errorf("GET /api/v1/skus = %+v, want agent and change", list.SKUs)
	}
	if !reflect.DeepEqual(list.SKUs[1].Requires, []string{"agent"}) {
		t.Errorf("change requires %v, want [agent]", list.SKUs[1].Requires)
	}

	var one skuJSON
	e.must(200, "GET", "/api/v1/skus/change", nil).into(t, &one)
	if one.Tier != "module" || one.MonthlyPrice != 30 || one.Name != "Change management" {
		t.Errorf("GET /api/v1/skus/change = %+v", one)
	}

	e.must(200, "PUT", "/api/v1/skus/agent", `{"name":"Agent Pro","tier":"fulfiller","monthly_price":99}`).into(t, &one)
	if one.Key != "agent" || one.Name != "Agent Pro" || one.MonthlyPrice != 99 || one.Requires == nil {
		t.Errorf("PUT /api/v1/skus/agent = %+v, want name Agent Pro, price 99, requires []", one)
	}
	e.must(200, "GET", "/api/v1/skus/agent", nil).into(t, &one)
	if one.Name != "Agent Pro" {
		t.Errorf("after PUT, GET name = %q, want Agent Pro", one.Name)
	}
	wantError(t, e.call("PUT", "/api/v1/skus/agent", `{"key":"other","tier":"fulfiller"}`), 400, "invalid_request", "key")
	wantError(t, e.call("PUT", "/api/v1/skus/nope", `{"tier":"fulfiller"}`), 404, "not_found", "-")

	// A SKU a pool uses cannot go.
	e.must(201, "POST", "/api/v1/pools", poolNamedJSON)
	e.must(204, "DELETE", "/api/v1/skus/change", nil)
	wantError(t, e.call("GET", "/api/v1/skus/change", nil), 404, "not_found", "-")
	wantError(t, e.call("DELETE", "/api/v1/skus/agent", nil), 409, "conflict", "-")
	wantError(t, e.call("DELETE", "/api/v1/skus/change", nil), 404, "not_found", "-")
}

func TestPools(t *testing.T) {
	e := newTestEnv(t)
	e.must(201, "POST", "/api/v1/skus", skuAgentJSON)

	var named, float poolJSON
	e.must(201, "POST", "/api/v1/pools", poolNamedJSON).into(t, &named)
	if named.ID != "agents-named" || named.Model != "named" || named.Seats == nil || *named.Seats != 1 || named.MonthlyPrice != 95 {
		t.Errorf("POST named pool = %+v", named)
	}
	if named.Usage == nil || named.Usage.Seats != 1 || named.Usage.Held != 0 || named.Usage.Free != 1 || named.Usage.Capacity != 1 {
		t.Errorf("named pool usage = %+v, want 1 seat, 0 held, 1 free", named.Usage)
	}
	e.must(201, "POST", "/api/v1/pools", poolFloatJSON).into(t, &float)
	if float.Model != "concurrent" || float.IdleTimeout != "30m0s" || float.Usage == nil || float.Usage.Free != 1 {
		t.Errorf("POST concurrent pool = %+v (usage %+v), want idle_timeout 30m0s and 1 free", float, float.Usage)
	}

	var list struct {
		Pools []poolJSON `json:"pools"`
	}
	e.must(200, "GET", "/api/v1/pools", nil).into(t, &list)
	if len(list.Pools) != 2 || list.Pools[0].ID != "agents-floating" || list.Pools[1].ID != "agents-named" {
		t.Fatalf("GET /api/v1/pools = %+v, want agents-floating, agents-named", list.Pools)
	}
	for _, p := range list.Pools {
		if p.Usage == nil {
			t.Errorf("pool %s listed without usage", p.ID)
		}
	}

	var one poolJSON
	e.must(200, "GET", "/api/v1/pools/agents-floating", nil).into(t, &one)
	if one.ID != "agents-floating" || one.Usage == nil || one.Usage.Pool != "agents-floating" {
		t.Errorf("GET /api/v1/pools/agents-floating = %+v", one)
	}

	e.must(200, "PUT", "/api/v1/pools/agents-floating", `{"sku":"agent","model":"concurrent","seats":3,"idle_timeout":"15m","linger":"2m","overdraft":1,"warn_at":0.5,"reservations":{"desk-eu":1},"limits":{"desk-us":2},"queue":{"max_length":5,"priority":{"desk-eu":2}},"monthly_price":150}`).into(t, &one)
	if *one.Seats != 3 || one.IdleTimeout != "15m0s" || one.Linger != "2m0s" || one.Overdraft != 1 || one.WarnAt != 0.5 ||
		one.Reservations["desk-eu"] != 1 || one.Limits["desk-us"] != 2 || one.Queue == nil || one.Queue.MaxLength != 5 || one.Queue.OfferTTL != "5m0s" || one.MonthlyPrice != 150 {
		t.Errorf("PUT /api/v1/pools/agents-floating = %+v (queue %+v)", one, one.Queue)
	}
	if one.Usage == nil || one.Usage.Capacity != 4 || one.Usage.Free != 4 {
		t.Errorf("usage after PUT = %+v, want capacity 4 and 4 free", one.Usage)
	}
	wantError(t, e.call("PUT", "/api/v1/pools/agents-floating", `{"id":"other","sku":"agent","model":"concurrent","seats":1}`), 400, "invalid_request", "id")
	wantError(t, e.call("PUT", "/api/v1/pools/agents-floating", `{"sku":"agent","model":"named","seats":1}`), 400, "invalid_request", "model")
	wantError(t, e.call("PUT", "/api/v1/pools/nope", `{"sku":"agent","model":"named","seats":1}`), 404, "not_found", "-")

	// A pool with members cannot go; an empty one can.
	e.must(201, "POST", "/api/v1/users", userAnnJSON)
	e.must(201, "PUT", "/api/v1/pools/agents-named/members/ann@example.com", nil)
	wantError(t, e.call("DELETE", "/api/v1/pools/agents-named", nil), 409, "conflict", "-")
	e.must(204, "DELETE", "/api/v1/pools/agents-floating", nil)
	wantError(t, e.call("GET", "/api/v1/pools/agents-floating", nil), 404, "not_found", "-")
	wantError(t, e.call("DELETE", "/api/v1/pools/agents-floating", nil), 404, "not_found", "-")
}

func TestUsers(t *testing.T) {
	e := newTestEnv(t)

	var ann userJSON
	e.must(201, "POST", "/api/v1/users", userAnnJSON).into(t, &ann)
	if ann.ID == "" || ann.Active == nil || !*ann.Active || ann.CreatedAt == nil || ann.UpdatedAt == nil {
		t.Errorf("POST /api/v1/users = %+v: want id, active true, created_at, updated_at", ann)
	}
	want := userJSON{UserName: "ann@example.com", DisplayName: "Ann Lee", Email: "ann@example.com", EmployeeID: "E100", JobCode: "ITSD-2", Department: "IT", Groups: []string{"desk-eu"}, Kind: "person"}
	got := ann
	got.ID, got.Active, got.CreatedAt, got.UpdatedAt = "", nil, nil, nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("POST /api/v1/users = %+v, want %+v", got, want)
	}

	// {user} is the id or the user_name.
	for _, key := range []string{ann.ID, "ann@example.com", "ANN@example.com"} {
		var u userJSON
		e.must(200, "GET", "/api/v1/users/"+key, nil).into(t, &u)
		if u.ID != ann.ID {
			t.Errorf("GET /api/v1/users/%s = %s, want %s", key, u.ID, ann.ID)
		}
	}

	e.must(201, "POST", "/api/v1/users", person("bob", "E101"))
	e.must(201, "POST", "/api/v1/users", `{"user_name":"slack-hub","kind":"service"}`)
	var list struct {
		Users []userJSON `json:"users"`
		Next  string     `json:"next"`
	}
	e.must(200, "GET", "/api/v1/users", nil).into(t, &list)
	if len(list.Users) != 3 || list.Users[0].UserName != "ann@example.com" || list.Next != "" {
		t.Errorf("GET /api/v1/users = %+v next %q, want 3 people from ann, no next", list.Users, list.Next)
	}
	e.must(200, "GET", "/api/v1/users?limit=1", nil).into(t, &list)
	if len(list.Users) != 1 || list.Next != "ann@example.com" {
		t.Errorf("GET /api/v1/users?limit=1 = %d users, next %q; want 1 and next ann@example.com", len(list.Users), list.Next)
	}
	e.must(200, "GET", "/api/v1/users?limit=1&after="+list.Next, nil).into(t, &list)
	if len(list.Users) != 1 || list.Users[0].UserName != "bob@example.com" {
		t.Errorf("second page = %+v, want bob", list.Users)
	}
	e.must(200, "GET", "/api/v1/users?group=desk-eu", nil).into(t, &list)
	if len(list.Users) != 2 {
		t.Errorf("GET /api/v1/users?group=desk-eu = %d users, want 2", len(list.Users))
	}

	// PUT replaces attributes; an omitted active keeps the person active.
	var upd userJSON
	e.must(200, "PUT", "/api/v1/users/ann@example.com", `{"user_name":"ann@example.com","display_name":"Ann Lee-Smith","email":"ann@example.com","employee_id":"E100","department":"Ops","groups":["desk-eu","desk-us"]}`).into(t, &upd)
	if upd.ID != ann.ID || upd.DisplayName != "Ann Lee-Smith" || upd.Department != "Ops" || upd.Active == nil || !*upd.Active || upd.Kind != "person" || len(upd.Groups) != 2 {
		t.Errorf("PUT /api/v1/users/ann@example.com = %+v", upd)
	}
	wantError(t, e.call("PUT", "/api/v1/users/ann@example.com", `{"user_name":"bob@example.com"}`), 409, "conflict", "user_name")
	wantError(t, e.call("PUT", "/api/v1/users/nobody", `{"user_name":"nobody"}`), 404, "not_found", "-")

	e.must(204, "DELETE", "/api/v1/users/bob@example.com", nil)
	wantError(t, e.call("GET", "/api/v1/users/bob@example.com", nil), 404, "not_found", "-")
	wantError(t, e.call("DELETE", "/api/v1/users/bob@example.com", nil), 404, "not_found", "-")
}

func TestMembers(t *testing.T) {
	e := newTestEnv(t)
	e.seedDesk()

	r := e.must(201, "PUT", "/api/v1/pools/agents-named/members/ann@example.com", nil)
	var m memberJSON
	r.into(t, &m)
	if m.User != "ann@example.com" || m.Pool != "agents-named" || m.Source != "manual" || m.State != "active" || m.Since.IsZero() {
		t.Errorf("PUT member = %+v", m)
	}
	// Idempotent: the same again answers 200 and changes nothing.
	before := e.auditCount()
	var again memberJSON
	e.must(200, "PUT", "/api/v1/pools/agents-named/members/ann@example.com", nil).into(t, &again)
	if !again.Since.Equal(m.Since) {
		t.Errorf("second PUT since = %v, want %v (unchanged)", again.Since, m.Since)
	}
	if n := e.auditCount(); n != before {
		t.Errorf("idempotent PUT wrote %d audit entries, want 0", n-before)
	}
	// By employee ID, with an empty object as body, is the same person.
	e.must(200, "PUT", "/api/v1/pools/agents-named/members/E100", `{}`)

	// The named pool is full: the second person is refused.
	er := wantError(t, e.call("PUT", "/api/v1/pools/agents-named/members/bob@example.com", nil), 409, "licence_maxed_out", "-")
	_ = er

	// GET members: {"members":[{"user","source":"manual","since","state":"active"}]}.
	var raw struct {
		Members []map[string]any `json:"members"`
	}
	e.must(200, "GET", "/api/v1/pools/agents-named/members", nil).into(t, &raw)
	if len(raw.Members) != 1 {
		t.Fatalf("members = %v, want exactly ann", raw.Members)
	}
	mm := raw.Members[0]
	if mm["user"] != "ann@example.com" || mm["source"] != "manual" || mm["state"] != "active" {
		t.Errorf("member = %v, want user ann@example.com, source manual, state active", mm)
	}
	if s, _ := mm["since"].(string); s == "" {
		t.Errorf("member since = %v, want an RFC 3339 time", mm["since"])
	} else if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
		t.Errorf("member since %q: %v", s, err)
	}

	var p poolJSON
	e.must(200, "GET", "/api/v1/pools/agents-named", nil).into(t, &p)
	if p.Usage.Held != 1 || p.Usage.Free != 0 || p.Usage.Members != 1 {
		t.Errorf("named usage = %+v, want 1 held, 0 free", p.Usage)
	}

	// Revoke, then bob fits.
	e.must(204, "DELETE", "/api/v1/pools/agents-named/members/ann@example.com", nil)
	wantError(t, e.call("DELETE", "/api/v1/pools/agents-named/members/ann@example.com", nil), 404, "not_found", "-")
	e.must(201, "PUT", "/api/v1/pools/agents-named/members/bob@example.com", nil)
	e.must(200, "GET", "/api/v1/pools/agents-named/members", nil).into(t, &raw)
	if len(raw.Members) != 1 || raw.Members[0]["user"] != "bob@example.com" {
		t.Errorf("members after revoke and grant = %v, want bob only", raw.Members)
	}

	// A service account never holds an agent seat (multiplexing).
	e.must(201, "POST", "/api/v1/users", `{"user_name":"slack-hub","kind":"service"}`)
	wantError(t, e.call("PUT", "/api/v1/pools/agents-floating/members/slack-hub", nil), 409, "conflict", "user")
}

type sessionOut struct {
	ID     string `json:"id"`
	User   string `json:"user"`
	Lazy   bool   `json:"lazy"`
	Leases []struct {
		ID        string    `json:"id"`
		Pool      string    `json:"pool"`
		ExpiresAt time.Time `json:"expires_at"`
	} `json:"leases"`
}

type decisionOut struct {
	Allow bool `json:"allow"`
	Via   *struct {
		Kind  string `json:"kind"`
		Pool  string `json:"pool"`
		SKU   string `json:"sku"`
		Lease string `json:"lease"`
	} `json:"via"`
	Reason        string   `json:"reason"`
	Missing       []string `json:"missing"`
	Pool          string   `json:"pool"`
	RetryAfter    int      `json:"retry_after"`
	QueuePosition int      `json:"queue_position"`
}

func (e *testEnv) decide(user, capability, session string) decisionOut {
	e.t.Helper()
	body := map[string]string{"user": user, "capability": capability}
	if session != "" {
		body["session"] = session
	}
	var d decisionOut
	e.must(200, "POST", "/api/v1/decide", body).into(e.t, &d)
	return d
}

func TestSessionsAndDecisions(t *testing.T) {
	e := newTestEnv(t)
	e.seedDesk()
	e.must(201, "PUT", "/api/v1/pools/agents-named/members/ann@example.com", nil)
	e.must(201, "PUT", "/api/v1/pools/agents-floating/members/cid@example.com", nil)
	e.must(201, "PUT", "/api/v1/pools/agents-floating/members/dee@example.com", nil)

	// The concurrent person's session takes the one seat.
	start := time.Now()
	var cid sessionOut
	e.must(201, "POST", "/api/v1/sessions", `{"user":"cid@example.com"}`).into(t, &cid)
	if cid.ID == "" || cid.User != "cid@example.com" || len(cid.Leases) != 1 || cid.Leases[0].Pool != "agents-floating" {
		t.Fatalf("POST /api/v1/sessions = %+v, want one lease of agents-floating", cid)
	}
	if exp := cid.Leases[0].ExpiresAt; exp.Before(start.Add(29*time.Minute)) || exp.After(time.Now().Add(31*time.Minute)) {
		t.Errorf("lease expires_at %v, want about 30m from now", exp)
	}
	// A second person registered to the full pool is refused with a retry hint.
	r := e.call("POST", "/api/v1/sessions", `{"user":"dee@example.com"}`)
	er := wantError(t, r, 409, "licence_maxed_out", "-")
	if er.Error.RetryAfter <= 0 {
		t.Errorf("retry_after = %d, want > 0", er.Error.RetryAfter)
	}
	if h := r.Header.Get("Retry-After"); h != strconv.Itoa(er.Error.RetryAfter) {
		t.Errorf("Retry-After header %q, want %d", h, er.Error.RetryAfter)
	}

	// The named person's session holds no lease.
	var ann sessionOut
	e.must(201, "POST", "/api/v1/sessions", `{"user":"ann@example.com"}`).into(t, &ann)
	if len(ann.Leases) != 0 {
		t.Errorf("named person's session leases = %+v, want none", ann.Leases)
	}

	// Decisions: via named, via the concurrent lease, module missing.
	r = e.must(200, "POST", "/api/v1/decide", `{"user":"ann@example.com","capability":"ticket.transition","session":"`+ann.ID+`"}`)
	if got, want := strings.TrimSpace(string(r.Body)), `{"allow":true,"via":{"kind":"named","pool":"agents-named","sku":"agent"},"reason":""}`; got != want {
		t.Errorf("decide via named = %s, want %s", got, want)
	}
	d := e.decide("cid@example.com", "ticket.transition", cid.ID)
	if !d.Allow || d.Via == nil || d.Via.Kind != "concurrent" || d.Via.Pool != "agents-floating" || d.Via.SKU != "agent" || d.Via.Lease != cid.Leases[0].ID {
		t.Errorf("decide via lease = %+v (via %+v), want concurrent lease %s", d, d.Via, cid.Leases[0].ID)
	}
	r = e.must(200, "POST", "/api/v1/decide", `{"user":"ann@example.com","capability":"change.approve"}`)
	if got, want := strings.TrimSpace(string(r.Body)), `{"allow":false,"reason":"module_missing","missing":["change"]}`; got != want {
		t.Errorf("decide module missing = %s, want %s", got, want)
	}
	d = e.decide("bob@example.com", "ticket.transition", "")
	if d.Allow || d.Reason != "no_licence" || !reflect.DeepEqual(d.Missing, []string{"agent"}) {
		t.Errorf("decide for bob without a seat = %+v, want no_licence missing [agent]", d)
	}
	d = e.decide("bob@example.com", "ticket.create", "")
	if !d.Allow || d.Via == nil || d.Via.Kind != "free" {
		t.Errorf("decide requester capability = %+v, want allow via free", d)
	}
	// By employee ID, case-insensitive, is the same person.
	if d := e.decide("e100", "ticket.transition", ""); !d.Allow || d.Via.Kind != "named" {
		t.Errorf("decide for e100 = %+v, want ann's named seat", d)
	}

	// Heartbeat, get, list.
	var hb sessionOut
	e.must(200, "POST", "/api/v1/sessions/"+cid.ID+"/heartbeat", nil).into(t, &hb)
	if hb.ID != cid.ID || len(hb.Leases) != 1 {
		t.Errorf("heartbeat = %+v, want the session with its lease", hb)
	}
	var got sessionOut
	e.must(200, "GET", "/api/v1/sessions/"+cid.ID, nil).into(t, &got)
	if got.ID != cid.ID || len(got.Leases) != 1 {
		t.Errorf("GET session = %+v", got)
	}
	var list struct {
		Sessions []sessionOut `json:"sessions"`
	}
	e.must(200, "GET", "/api/v1/sessions?active=true&user=cid@example.com", nil).into(t, &list)
	if len(list.Sessions) != 1 || list.Sessions[0].ID != cid.ID {
		t.Errorf("GET sessions for cid = %+v, want one", list.Sessions)
	}
	wantError(t, e.call("POST", "/api/v1/sessions/ses_nope/heartbeat", nil), 404, "not_found", "-")

	// Logout returns the seat at once: dee can start now.
	e.must(204, "DELETE", "/api/v1/sessions/"+cid.ID, nil)
	wantError(t, e.call("DELETE", "/api/v1/sessions/"+cid.ID, nil), 409, "conflict", "-")
	wantError(t, e.call("POST", "/api/v1/sessions/"+cid.ID+"/heartbeat", nil), 409, "conflict", "-")
	if d := e.decide("cid@example.com", "ticket.transition", cid.ID); d.Allow || d.Reason != "session_invalid" {
		t.Errorf("decide in an ended session = %+v, want session_invalid", d)
	}
	var dee sessionOut
	e.must(201, "POST", "/api/v1/sessions", `{"user":"dee@example.com"}`).into(t, &dee)
	if len(dee.Leases) != 1 {
		t.Errorf("dee's session after cid's logout = %+v, want the seat", dee)
	}
}

func TestLazySession(t *testing.T) {
	e := newTestEnv(t)
	e.seedDesk()
	e.must(201, "PUT", "/api/v1/pools/agents-floating/members/eve@example.com", nil)
	e.must(201, "PUT", "/api/v1/pools/agents-floating/members/dee@example.com", nil)

	var eve sessionOut
	e.must(201, "POST", "/api/v1/sessions", `{"user":"eve@example.com","lazy":true}`).into(t, &eve)
	if !eve.Lazy || len(eve.Leases) != 0 {
		t.Fatalf("lazy session = %+v, want lazy and no lease", eve)
	}
	// Reading takes no seat.
	if d := e.decide("eve@example.com", "ticket.read_own", eve.ID); !d.Allow || d.Via.Kind != "free" {
		t.Errorf("lazy read = %+v, want allow via free", d)
	}
	var leases struct {
		Leases []leaseJSON `json:"leases"`
	}
	e.must(200, "GET", "/api/v1/leases", nil).into(t, &leases)
	if len(leases.Leases) != 0 {
		t.Errorf("leases after a read = %+v, want none", leases.Leases)
	}
	// The first fulfiller action takes the lease.
	d := e.decide("eve@example.com", "ticket.transition", eve.ID)
	if !d.Allow || d.Via == nil || d.Via.Kind != "concurrent" || d.Via.Pool != "agents-floating" || d.Via.Lease == "" {
		t.Fatalf("lazy first fulfiller decide = %+v (via %+v), want allow via concurrent lease", d, d.Via)
	}
	e.must(200, "GET", "/api/v1/leases?pool=agents-floating", nil).into(t, &leases)
	if len(leases.Leases) != 1 || leases.Leases[0].ID != d.Via.Lease || leases.Leases[0].User != "eve@example.com" {
		t.Errorf("leases = %+v, want eve's %s", leases.Leases, d.Via.Lease)
	}
	var got sessionOut
	e.must(200, "GET", "/api/v1/sessions/"+eve.ID, nil).into(t, &got)
	if len(got.Leases) != 1 || got.Leases[0].ID != d.Via.Lease {
		t.Errorf("lazy session after checkout = %+v, want lease %s", got, d.Via.Lease)
	}
	// The next decision reuses it.
	if d2 := e.decide("eve@example.com", "ticket.transition", eve.ID); !d2.Allow || d2.Via.Lease != d.Via.Lease {
		t.Errorf("second decide = %+v, want the same lease", d2)
	}

	// Another lazy person meets the full pool: denied with a retry hint, keeps reading.
	var dee sessionOut
	e.must(201, "POST", "/api/v1/sessions", `{"user":"dee@example.com","lazy":true}`).into(t, &dee)
	dd := e.decide("dee@example.com", "ticket.transition", dee.ID)
	if dd.Allow || dd.Reason != "licence_maxed_out" || dd.Pool != "agents-floating" || dd.RetryAfter <= 0 {
		t.Errorf("lazy decide on a full pool = %+v, want licence_maxed_out, pool agents-floating, retry_after > 0", dd)
	}
	if d := e.decide("dee@example.com", "kb.read", dee.ID); !d.Allow {
		t.Errorf("reading while the pool is full = %+v, want allow", d)
	}
}

func TestEndLease(t *testing.T) {
	e := newTestEnv(t)
	e.seedDesk()
	e.must(201, "PUT", "/api/v1/pools/agents-floating/members/cid@example.com", nil)
	e.must(201, "PUT", "/api/v1/pools/agents-floating/members/dee@example.com", nil)
	var cid sessionOut
	e.must(201, "POST", "/api/v1/sessions", `{"user":"cid@example.com"}`).into(t, &cid)
	if len(cid.Leases) != 1 {
		t.Fatalf("session = %+v, want a lease", cid)
	}
	var leases struct {
		Leases []leaseJSON `json:"leases"`
	}
	e.must(200, "GET", "/api/v1/leases", nil).into(t, &leases)
	if len(leases.Leases) != 1 || leases.Leases[0].ID != cid.Leases[0].ID || leases.Leases[0].User != "cid@example.com" || leases.Leases[0].Pool != "agents-floating" {
		t.Fatalf("GET /api/v1/leases = %+v", leases.Leases)
	}

	e.must(204, "DELETE", "/api/v1/leases/"+cid.Leases[0].ID, nil)
	e.must(200, "GET", "/api/v1/leases", nil).into(t, &leases)
	if len(leases.Leases) != 0 {
		t.Errorf("leases after DELETE = %+v, want none", leases.Leases)
	}
	wantError(t, e.call("DELETE", "/api/v1/leases/"+cid.Leases[0].ID, nil), 409, "conflict", "-")
	wantError(t, e.call("DELETE", "/api/v1/leases/lse_nope", nil), 404, "not_found", "-")
	// The seat is back: cid's session lost it and dee can take it.
	if d := e.decide("cid@example.com", "ticket.transition", cid.ID); d.Allow {
		t.Errorf("decide after the admin ended the lease = %+v, want a denial", d)
	}
	var dee sessionOut
	e.must(201, "POST", "/api/v1/sessions", `{"user":"dee@example.com"}`).into(t, &dee)
	if len(dee.Leases) != 1 {
		t.Errorf("dee's session = %+v, want the freed seat", dee)
	}
	var entries []map[string]any = e.lastAudit(10)
	found := false
	for _, en := range entries {
		if en["action"] == "lease.end" && en["result"] == "admin" {
			found = true
		}
	}
	if !found {
		t.Errorf("no lease.end/admin audit entry among %v", entries)
	}
}

func TestUsage(t *testing.T) {
	e := newTestEnv(t)
	e.seedDesk()
	e.must(201, "PUT", "/api/v1/pools/agents-named/members/ann@example.com", nil)
	e.must(201, "PUT", "/api/v1/pools/agents-floating/members/cid@example.com", nil)
	e.must(201, "PUT", "/api/v1/pools/agents-floating/members/dee@example.com", nil)
	e.must(201, "POST", "/api/v1/sessions", `{"user":"cid@example.com"}`)

	var u struct {
		Pools []usageJSON `json:"pools"`
	}
	e.must(200, "GET", "/api/v1/usage", nil).into(t, &u)
	want := []usageJSON{
		{Pool: "agents-floating", Seats: 1, Capacity: 1, Held: 1, Free: 0, Members: 2, NearCapacity: true},
		{Pool: "agents-named", Seats: 1, Capacity: 1, Held: 1, Free: 0, Members: 1, NearCapacity: true},
	}
	if !reflect.DeepEqual(u.Pools, want) {
		t.Errorf("GET /api/v1/usage = %+v, want %+v", u.Pools, want)
	}
}

func TestAuditLog(t *testing.T) {
	e := newTestEnv(t)
	e.seedDesk()
	e.must(201, "PUT", "/api/v1/pools/agents-named/members/ann@example.com", nil)

	var page struct {
		Entries []audit.Entry `json:"entries"`
	}
	r := e.must(200, "GET", "/api/v1/audit?after=0&limit=5", nil)
	r.into(t, &page)
	if len(page.Entries) != 5 {
		t.Fatalf("GET /api/v1/audit?after=0&limit=5 = %d entries, want 5", len(page.Entries))
	}
	// Every §5 key is present on every entry.
	var raw struct {
		Entries []map[string]any `json:"entries"`
	}
	r.into(t, &raw)
	for i, en := range raw.Entries {
		for _, k := range []string{"seq", "at", "actor", "acting_user", "action", "subject", "result", "prev_hash", "hash"} {
			if _, ok := en[k]; !ok {
				t.Errorf("entry %d has no %q: %v", i, k, en)
			}
		}
	}
	for i, en := range page.Entries {
		if en.Seq != int64(i+1) {
			t.Errorf("entry %d seq = %d, want %d", i, en.Seq, i+1)
		}
		wantPrev := audit.GenesisHash
		if i > 0 {
			wantPrev = page.Entries[i-1].Hash
		}
		if en.PrevHash != wantPrev {
			t.Errorf("entry %d prev_hash = %s, want %s", en.Seq, en.PrevHash, wantPrev)
		}
		if len(en.Hash) != 64 || en.Hash == en.PrevHash {
			t.Errorf("entry %d hash = %q", en.Seq, en.Hash)
		}
	}
	if page.Entries[0].Action != "policy.seed" {
		t.Errorf("first entry action = %q, want policy.seed", page.Entries[0].Action)
	}
	// The next page continues the chain.
	var next struct {
		Entries []audit.Entry `json:"entries"`
	}
	e.must(200, "GET", "/api/v1/audit?after=5&limit=2", nil).into(t, &next)
	if len(next.Entries) != 2 || next.Entries[0].Seq != 6 || next.Entries[0].PrevHash != page.Entries[4].Hash {
		t.Errorf("after=5 page = %+v, want seq 6 chained to seq 5", next.Entries)
	}
	// The grant is there, by the admin token.
	last := e.lastAudit(1)
	if len(last) != 1 || last[0]["action"] != "seat.assign" || last[0]["actor"] != "token:admin" || last[0]["subject"] != "pool:agents-named/user:ann@example.com" {
		t.Errorf("newest entry = %v, want seat.assign of ann by token:admin", last)
	}

	var v map[string]any
	e.must(200, "GET", "/api/v1/audit/verify", nil).into(t, &v)
	total, _ := v["count"].(float64)
	if v["ok"] != true || total < 10 {
		t.Fatalf("GET /api/v1/audit/verify = %v, want ok with >= 10 entries", v)
	}

	// JSON Lines: one entry per line, the whole chain, verifiable offline.
	r = e.must(200, "GET", "/api/v1/audit/export?format=jsonl", nil)
	if ct := r.Header.Get("Content-Type"); ct != "application/x-ndjson" {
		t.Errorf("jsonl Content-Type %q", ct)
	}
	ver := &audit.Verifier{}
	if err := audit.ReadJSONL(bytes.NewReader(r.Body), ver.Add); err != nil {
		t.Fatalf("jsonl export does not read back and verify: %v", err)
	}
	if n := ver.Count(); n != int64(total) {
		t.Errorf("jsonl export has %d entries, want %d", n, int(total))
	}
	lines := 0
	sc := bufio.NewScanner(bytes.NewReader(r.Body))
	for sc.Scan() {
		lines++
	}
	if lines != int(total) {
		t.Errorf("jsonl export has %d lines, want %d", lines, int(total))
	}
	// The default format is JSON Lines too.
	if r2 := e.must(200, "GET", "/api/v1/audit/export", nil); !bytes.Equal(r2.Body, r.Body) {
		t.Errorf("export without format differs from format=jsonl")
	}

	// CSV: a header row naming the fields, then one row per entry.
	r = e.must(200, "GET", "/api/v1/audit/export?format=csv", nil)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("csv Content-Type %q", ct)
	}
	rows, err := csv.NewReader(bytes.NewReader(r.Body)).ReadAll()
	if err != nil {
		t.Fatalf("csv export: %v", err)
	}
	if len(rows) != int(total)+1 {
		t.Fatalf("csv export has %d rows, want header + %d", len(rows), int(total))
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	for _, k := range []string{"seq", "at", "actor", "acting_user", "action", "subject", "result", "prev_hash", "hash"} {
		if _, ok := col[k]; !ok {
			t.Errorf("csv header %v has no %q", rows[0], k)
		}
	}
	if rows[1][col["seq"]] != "1" || rows[1][col["hash"]] != page.Entries[0].Hash || rows[2][col["prev_hash"]] != page.Entries[0].Hash {
		t.Errorf("csv rows 1-2 = %v / %v, want seq 1 with its hash chained into row 2", rows[1], rows[2])
	}
}

func TestPolicy(t *testing.T) {
	e := newTestEnv(t)
	e.seedDesk()

	var pol struct {
		Capabilities map[string]requirementJSON `json:"capabilities"`
	}
	e.must(200, "GET", "/api/v1/policy", nil).into(t, &pol)
	if got := pol.Capabilities["ticket.transition"]; got.Tier != "fulfiller" || got.SKUs == nil || len(got.SKUs) != 0 {
		t.Errorf("ticket.transition = %+v, want fulfiller with skus []", got)
	}
	if got := pol.Capabilities["change.approve"]; got.Tier != "module" || !reflect.DeepEqual(got.SKUs, []string{"change"}) {
		t.Errorf("change.approve = %+v, want module [change]", got)
	}

	if d := e.decide("bob@example.com", "ticket.transition", ""); d.Allow || d.Reason != "no_licence" {
		t.Fatalf("bob before = %+v, want no_licence", d)
	}
	// Making it a requester capability lets bob in for free.
	var c map[string]any
	e.must(200, "PUT", "/api/v1/policy/ticket.transition", `{"tier":"requester"}`).into(t, &c)
	if c["capability"] != "ticket.transition" || c["tier"] != "requester" {
		t.Errorf("PUT policy = %v", c)
	}
	if d := e.decide("bob@example.com", "ticket.transition", ""); !d.Allow || d.Via.Kind != "free" {
		t.Errorf("bob after PUT requester = %+v, want allow via free", d)
	}
	e.must(200, "GET", "/api/v1/policy", nil).into(t, &pol)
	if pol.Capabilities["ticket.transition"].Tier != "requester" {
		t.Errorf("GET policy after PUT = %+v", pol.Capabilities["ticket.transition"])
	}
	// A new capability, and a deleted one.
	e.must(200, "PUT", "/api/v1/policy/problem.resolve", `{"tier":"fulfiller","skus":["agent"]}`)
	if d := e.decide("bob@example.com", "problem.resolve", ""); d.Allow || d.Reason != "no_licence" || !reflect.DeepEqual(d.Missing, []string{"agent"}) {
		t.Errorf("new capability = %+v, want no_licence missing [agent]", d)
	}
	e.must(204, "DELETE", "/api/v1/policy/ticket.transition", nil)
	if d := e.decide("bob@example.com", "ticket.transition", ""); d.Allow || d.Reason != "unknown_capability" {
		t.Errorf("after DELETE = %+v, want unknown_capability", d)
	}
	wantError(t, e.call("DELETE", "/api/v1/policy/ticket.transition", nil), 404, "not_found", "-")
	e.must(200, "PUT", "/api/v1/policy/ticket.transition", `{"tier":"fulfiller"}`)
	if d := e.decide("bob@example.com", "ticket.transition", ""); d.Allow || d.Reason != "no_licence" {
		t.Errorf("after restoring = %+v, want no_licence", d)
	}
}

func TestTokens(t *testing.T) {
	e := newTestEnv(t)

	r := e.must(201, "POST", "/api/v1/tokens", `{"name":"desk","scope":"platform","ttl":"720h"}`)
	var tok tokenJSON
	r.into(t, &tok)
	if tok.ID == "" || tok.Name != "desk" || tok.Scope != "platform" || !strings.HasPrefix(tok.Token, "sk_") || tok.ExpiresAt == nil {
		t.Fatalf("POST /api/v1/tokens = %+v, want id, secret sk_…, expires_at", tok)
	}
	if d := tok.ExpiresAt.Sub(tok.CreatedAt); d != 720*time.Hour {
		t.Errorf("expires_at - created_at = %v, want 720h", d)
	}
	// The new token works within its scope.
	if r := e.request("GET", "/api/v1/pools", tok.Token, nil); r.Status != 200 {
		t.Errorf("new platform token: GET pools status %d, want 200; body %s", r.Status, r)
	}
	// The secret is never shown again.
	r = e.must(200, "GET", "/api/v1/tokens", nil)
	if bytes.Contains(r.Body, []byte(tok.Token)) || bytes.Contains(r.Body, []byte(`"token"`)) {
		t.Errorf("GET /api/v1/tokens shows a secret: %s", r)
	}
	var list struct {
		Tokens []tokenJSON `json:"tokens"`
	}
	r.into(t, &list)
	if len(list.Tokens) != 2 || list.Tokens[1].ID != tok.ID || list.Tokens[1].Scope != "platform" {
		t.Errorf("GET /api/v1/tokens = %+v, want admin and desk", list.Tokens)
	}

	e.must(204, "DELETE", "/api/v1/tokens/"+tok.ID, nil)
	wantError(t, e.request("GET", "/api/v1/pools", tok.Token, nil), 401, "unauthorized", "-")
	wantError(t, e.call("DELETE", "/api/v1/tokens/"+tok.ID, nil), 404, "not_found", "-")
	e.must(200, "GET", "/api/v1/tokens", nil).into(t, &list)
	if list.Tokens[1].RevokedAt == nil {
		t.Errorf("revoked token listed without revoked_at: %+v", list.Tokens[1])
	}
	// Bad token requests.
	wantError(t, e.call("POST", "/api/v1/tokens", `{"name":"x","scope":"root"}`), 400, "invalid_request", "scope")
	wantError(t, e.call("POST", "/api/v1/tokens", `{"name":"","scope":"admin"}`), 400, "invalid_request", "name")
	wantError(t, e.call("POST", "/api/v1/tokens", `{"name":"x","scope":"admin","ttl":"-1h"}`), 400, "invalid_request", "ttl")
}

func TestHealthAndMetrics(t *testing.T) {
	e := newTestEnv(t)
	e.seedDesk()
	e.must(201, "PUT", "/api/v1/pools/agents-named/members/ann@example.com", nil)
	e.decide("ann@example.com", "ticket.transition", "")
	e.decide("bob@example.com", "ticket.transition", "")

	r := e.request("GET", "/healthz", "", nil)
	if r.Status != 200 || r.obj(t)["status"] != "ok" {
		t.Errorf("/healthz without token = %d %s, want 200 ok", r.Status, r)
	}
	r = e.request("GET", "/readyz", "", nil)
	if m := r.obj(t); r.Status != 200 || m["status"] != "ready" || m["people"] != float64(5) {
		t.Errorf("/readyz without token = %d %s, want 200 ready with 5 people", r.Status, r)
	}

	wantError(t, e.request("GET", "/metrics", "", nil), 401, "unauthorized", "-")
	r = e.must(200, "GET", "/metrics", nil)
	body := string(r.Body)
	for _, want := range []string{
		`seatkeeper_pool_seats_held{model="named",pool="agents-named"} 1`,
		`seatkeeper_pool_seats_held{model="concurrent",pool="agents-floating"} 0`,
		`seatkeeper_decisions_total{reason="",result="allow"} 1`,
		`seatkeeper_decisions_total{reason="no_licence",result="deny"} 1`,
		`seatkeeper_denials_total{reason="no_licence"} 1`,
		`seatkeeper_store_up 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// TestUnknownRoute: an unknown route is a JSON 404, with or without a token.
func TestUnknownRoute(t *testing.T) {
	e := newTestEnv(t)
	for _, tc := range []struct{ name, method, path, token string }{
		{"unknown path with token", "GET", "/api/v1/nope", e.admin},
		{"unknown path without token", "GET", "/api/v1/nope", ""},
		{"unknown nested path", "GET", "/api/v1/pools/a/b/c/d", e.admin},
		{"root", "GET", "/", e.admin},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, e.request(tc.method, tc.path, tc.token, nil), 404, "not_found", "-")
		})
	}
}
