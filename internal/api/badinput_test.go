package api

import (
	"io"
	"strings"
	"testing"
)

// snapshot is what bad input must leave alone: every list the API reads
// back, and the length of the audit chain.
type snapshot struct {
	lists map[string]string
	audit int
}

func (e *testEnv) snapshot() snapshot {
	e.t.Helper()
	s := snapshot{lists: map[string]string{}, audit: e.auditCount()}
	for _, p := range []string{"/api/v1/pools", "/api/v1/users", "/api/v1/skus", "/api/v1/policy", "/api/v1/leases", "/api/v1/sessions", "/api/v1/tokens",
		"/api/v1/pools/agents-named/members", "/api/v1/pools/agents-floating/members"} {
		s.lists[p] = string(e.must(200, "GET", p, nil).Body)
	}
	return s
}

// TestBadInput: bad input of any kind gets a clear 4xx error in the one
// error shape, names the field at fault, and changes nothing (DESIGN §4).
func TestBadInput(t *testing.T) {
	e := newTestEnv(t)
	e.seedDesk()
	e.must(201, "PUT", "/api/v1/pools/agents-named/members/ann@example.com", nil)
	e.must(201, "PUT", "/api/v1/pools/agents-floating/members/cid@example.com", nil)
	e.must(201, "POST", "/api/v1/sessions", `{"user":"cid@example.com"}`)
	e.must(201, "POST", "/api/v1/skus", `{"key":"tools","tier":"fulfiller"}`)
	e.must(201, "POST", "/api/v1/skus", `{"key":"toolsmod","tier":"module","requires":["tools"]}`)
	e.must(201, "POST", "/api/v1/users", `{"user_name":"slack-hub","kind":"service"}`)

	huge := `{"key":"big","tier":"fulfiller","name":"` + strings.Repeat("x", 1<<20) + `"}`
	padded := `{"key":"big","tier":"fulfiller"}` + strings.Repeat(" ", 1<<20+1)
	const okSKU = `{"key":"fresh","tier":"fulfiller"`
	const okPool = `{"id":"fresh","sku":"agent","model":"concurrent","seats":1`
	const okUser = `{"user_name":"zed@example.com"`

	for _, tc := range []struct {
		name         string
		method, path string
		body         any
		status       int
		code         string
		field        string // "-": not checked
	}{
		// Decoding.
		{"malformed JSON", "POST", "/api/v1/skus", `{"key":"fresh","tier":`, 400, "invalid_request", ""},
		{"JSON syntax error", "POST", "/api/v1/skus", `{"key" "fresh"}`, 400, "invalid_request", ""},
		{"trailing garbage after object", "POST", "/api/v1/skus", okSKU + `} xyz`, 400, "invalid_request", ""},
		{"two objects", "POST", "/api/v1/skus", okSKU + `}{}`, 400, "invalid_request", ""},
		{"empty body", "POST", "/api/v1/users", "", 400, "invalid_request", ""},
		{"JSON null body", "POST", "/api/v1/skus", `null`, 400, "invalid_request", "key"},
		{"JSON array body", "POST", "/api/v1/pools", `[]`, 400, "invalid_request", "-"},
		{"body over 1 MiB", "POST", "/api/v1/skus", huge, 413, "request_too_large", ""},
		{"1 MiB of padding after the object", "POST", "/api/v1/skus", padded, 413, "request_too_large", ""},
		{"unknown field", "POST", "/api/v1/skus", okSKU + `,"colour":"red"}`, 400, "invalid_request", "colour"},
		{"unknown field on a user", "POST", "/api/v1/users", okUser + `,"manager":"bob"}`, 400, "invalid_request", "manager"},

		// SKUs.
		{"monthly_price a string", "POST", "/api/v1/skus", okSKU + `,"monthly_price":"x"}`, 400, "invalid_request", "monthly_price"},
		{"negative monthly_price", "POST", "/api/v1/skus", okSKU + `,"monthly_price":-1}`, 400, "invalid_request", "monthly_price"},
		{"bad tier", "POST", "/api/v1/skus", `{"key":"fresh","tier":"gold"}`, 400, "invalid_request", "tier"},
		{"bad sku key", "POST", "/api/v1/skus", `{"key":"Fresh Key","tier":"fulfiller"}`, 400, "invalid_request", "key"},
		{"module without requires", "POST", "/api/v1/skus", `{"key":"fresh","tier":"module"}`, 400, "invalid_request", "requires"},
		{"module requiring an unknown SKU", "POST", "/api/v1/skus", `{"key":"fresh","tier":"module","requires":["nope"]}`, 400, "invalid_request", "requires"},
		{"requires a string", "POST", "/api/v1/skus", `{"key":"fresh","tier":"module","requires":"agent"}`, 400, "invalid_request", "requires"},
		{"duplicate sku", "POST", "/api/v1/skus", skuAgentJSON, 409, "conflict", "key"},
		{"update an unknown sku", "PUT", "/api/v1/skus/nope", `{"tier":"fulfiller"}`, 404, "not_found", "-"},
		{"delete a sku a pool uses", "DELETE", "/api/v1/skus/agent", nil, 409, "conflict", "-"},
		// The module toolsmod still requires tools: the delete is a conflict
		// with the catalog, not an invalid request naming a field never sent.
		{"delete a sku a module requires", "DELETE", "/api/v1/skus/tools", nil, 409, "conflict", "-"},

		// Pools.
		{"seats a string", "POST", "/api/v1/pools", `{"id":"fresh","sku":"agent","model":"named","seats":"ten"}`, 400, "invalid_request", "seats"},
		{"seats a fraction", "POST", "/api/v1/pools", `{"id":"fresh","sku":"agent","model":"named","seats":1.5}`, 400, "invalid_request", "seats"},
		{"seats missing", "POST", "/api/v1/pools", `{"id":"fresh","sku":"agent","model":"named"}`, 400, "invalid_request", "seats"},
		{"negative seats", "POST", "/api/v1/pools", `{"id":"fresh","sku":"agent","model":"named","seats":-1}`, 400, "invalid_request", "seats"},
		{"too many seats", "POST", "/api/v1/pools", `{"id":"fresh","sku":"agent","model":"named","seats":1000001}`, 400, "invalid_request", "seats"},
		{"bad model", "POST", "/api/v1/pools", `{"id":"fresh","sku":"agent","model":"leased","seats":1}`, 400, "invalid_request", "model"},
		{"bad pool id", "POST", "/api/v1/pools", `{"id":"Fresh Pool","sku":"agent","model":"named","seats":1}`, 400, "invalid_request", "id"},
		{"unknown sku for pool", "POST", "/api/v1/pools", `{"id":"fresh","sku":"nope","model":"named","seats":1}`, 404, "not_found", "sku"},
		{"idle_timeout soon", "POST", "/api/v1/pools", okPool + `,"idle_timeout":"soon"}`, 400, "invalid_request", "idle_timeout"},
		{"negative idle_timeout", "POST", "/api/v1/pools", okPool + `,"idle_timeout":"-5m"}`, 400, "invalid_request", "idle_timeout"},
		{"idle_timeout a number", "POST", "/api/v1/pools", okPool + `,"idle_timeout":30}`, 400, "invalid_request", "idle_timeout"},
		{"bad linger", "POST", "/api/v1/pools", okPool + `,"linger":"forever"}`, 400, "invalid_request", "linger"},
		{"bad queue offer_ttl", "POST", "/api/v1/pools", okPool + `,"queue":{"offer_ttl":"later"}}`, 400, "invalid_request", "queue.offer_ttl"},
		{"queue max_length a string", "POST", "/api/v1/pools", okPool + `,"queue":{"max_length":"x"}}`, 400, "invalid_request", "queue.max_length"},
		{"negative queue max_length", "POST", "/api/v1/pools", okPool + `,"queue":{"max_length":-1}}`, 400, "invalid_request", "queue.max_length"},
		{"starts not a time", "POST", "/api/v1/pools", okPool + `,"starts":"yesterday"}`, 400, "invalid_request", "starts"},
		{"ends before starts", "POST", "/api/v1/pools", okPool + `,"starts":"2030-01-01T00:00:00Z","ends":"2029-01-01T00:00:00Z"}`, 400, "invalid_request", "ends"},
		{"warn_at above 1", "POST", "/api/v1/pools", okPool + `,"warn_at":2}`, 400, "invalid_request", "warn_at"},
		{"negative overdraft", "POST", "/api/v1/pools", okPool + `,"overdraft":-1}`, 400, "invalid_request", "overdraft"},
		{"reservations above seats", "POST", "/api/v1/pools", okPool + `,"reservations":{"desk-eu":2}}`, 400, "invalid_request", "reservations"},
		{"reservation for a bad group", "POST", "/api/v1/pools", okPool + `,"reservations":{"Desk EU":1}}`, 400, "invalid_request", "reservations"},
		{"queue on a named pool", "POST", "/api/v1/pools", `{"id":"fresh","sku":"agent","model":"named","seats":1,"queue":{}}`, 400, "invalid_request", "model"},
		{"cooldown on a concurrent pool", "POST", "/api/v1/pools", okPool + `,"cooldown":"24h"}`, 400, "invalid_request", "cooldown"},
		{"duplicate pool", "POST", "/api/v1/pools", poolNamedJSON, 409, "conflict", "id"},
		{"shrink a named pool below its holders", "PUT", "/api/v1/pools/agents-named", `{"sku":"agent","model":"named","seats":0}`, 409, "conflict", "seats"},
		{"shrink a concurrent pool below its holders", "PUT", "/api/v1/pools/agents-floating", `{"sku":"agent","model":"concurrent","seats":0}`, 409, "conflict", "seats"},
		{"change a pool's model", "PUT", "/api/v1/pools/agents-floating", `{"sku":"agent","model":"named","seats":1}`, 400, "invalid_request", "model"},
		{"update an unknown pool", "PUT", "/api/v1/pools/nope", `{"sku":"agent","model":"named","seats":1}`, 404, "not_found", "-"},
		{"delete a pool with members", "DELETE", "/api/v1/pools/agents-named", nil, 409, "conflict", "-"},
		{"members of an unknown pool", "GET", "/api/v1/pools/nope/members", nil, 404, "not_found", "-"},

		// Users.
		{"groups a string", "POST", "/api/v1/users", okUser + `,"groups":"a"}`, 400, "invalid_request", "groups"},
		{"bad group name", "POST", "/api/v1/users", okUser + `,"groups":["Desk EU"]}`, 400, "invalid_request", "groups"},
		{"bad email", "POST", "/api/v1/users", okUser + `,"email":"not-an-email"}`, 400, "invalid_request", "email"},
		{"email with a display name", "POST", "/api/v1/users", okUser + `,"email":"Zed <zed@example.com>"}`, 400, "invalid_request", "email"},
		{"user_name missing", "POST", "/api/v1/users", `{"email":"zed@example.com"}`, 400, "invalid_request", "user_name"},
		{"user_name with a space", "POST", "/api/v1/users", `{"user_name":"zed smith"}`, 400, "invalid_request", "user_name"},
		{"bad kind", "POST", "/api/v1/users", okUser + `,"kind":"robot"}`, 400, "invalid_request", "kind"},
		{"active a string", "POST", "/api/v1/users", okUser + `,"active":"yes"}`, 400, "invalid_request", "active"},
		{"id given on create", "POST", "/api/v1/users", okUser + `,"id":"usr_mine"}`, 400, "invalid_request", "id"},
		{"duplicate user", "POST", "/api/v1/users", userAnnJSON, 409, "conflict", "user_name"},
		{"duplicate user in another case", "POST", "/api/v1/users", `{"user_name":"ANN@example.com"}`, 409, "conflict", "user_name"},
		{"rename onto another user", "PUT", "/api/v1/users/bob@example.com", `{"user_name":"ann@example.com"}`, 409, "conflict", "user_name"},
		{"service account with an agent seat", "PUT", "/api/v1/users/ann@example.com", `{"user_name":"ann@example.com","kind":"service"}`, 409, "conflict", "kind"},
		{"update an unknown user", "PUT", "/api/v1/users/nobody", `{"user_name":"nobody"}`, 404, "not_found", "-"},
		{"delete an unknown user", "DELETE", "/api/v1/users/nobody", nil, 404, "not_found", "-"},

		// Members.
		{"unknown pool in members path", "PUT", "/api/v1/pools/nope/members/ann@example.com", nil, 404, "not_found", "-"},
		{"unknown user in members path", "PUT", "/api/v1/pools/agents-floating/members/nobody", nil, 404, "not_found", "-"},
		{"revoke an unknown pool's member", "DELETE", "/api/v1/pools/nope/members/ann@example.com", nil, 404, "not_found", "-"},
		{"revoke a non-member", "DELETE", "/api/v1/pools/agents-named/members/bob@example.com", nil, 404, "not_found", "-"},
		{"member body with a field", "PUT", "/api/v1/pools/agents-floating/members/bob@example.com", `{"source":"rule:x"}`, 400, "invalid_request", "source"},
		{"member body not JSON", "PUT", "/api/v1/pools/agents-floating/members/bob@example.com", `garbage`, 400, "invalid_request", ""},
		{"service account on an agent pool", "PUT", "/api/v1/pools/agents-floating/members/slack-hub", nil, 409, "conflict", "user"},

		// Sessions and decisions.
		{"session without user", "POST", "/api/v1/sessions", `{}`, 400, "invalid_request", "user"},
		{"session for an unknown user", "POST", "/api/v1/sessions", `{"user":"nobody"}`, 404, "not_found", "-"},
		{"session lazy a string", "POST", "/api/v1/sessions", `{"user":"bob@example.com","lazy":"yes"}`, 400, "invalid_request", "lazy"},
		{"heartbeat an unknown session", "POST", "/api/v1/sessions/ses_nope/heartbeat", nil, 404, "not_found", "-"},
		{"end an unknown session", "DELETE", "/api/v1/sessions/ses_nope", nil, 404, "not_found", "-"},
		{"get an unknown session", "GET", "/api/v1/sessions/ses_nope", nil, 404, "not_found", "-"},
		{"bad capability", "POST", "/api/v1/decide", `{"user":"ann@example.com","capability":"nocap"}`, 400, "invalid_request", "capability"},
		{"capability missing", "POST", "/api/v1/decide", `{"user":"ann@example.com"}`, 400, "invalid_request", "capability"},
		{"decide without user", "POST", "/api/v1/decide", `{"capability":"ticket.transition"}`, 400, "invalid_request", "user"},
		{"decide unknown field", "POST", "/api/v1/decide", `{"user":"ann@example.com","capability":"ticket.transition","as":"bob"}`, 400, "invalid_request", "as"},
		{"end an unknown lease", "DELETE", "/api/v1/leases/lse_nope", nil, 404, "not_found", "-"},

		// Policy.
		{"policy for a bad capability", "PUT", "/api/v1/policy/nocap", `{"tier":"requester"}`, 400, "invalid_request", "capability"},
		{"policy with a bad tier", "PUT", "/api/v1/policy/problem.resolve", `{"tier":"gold"}`, 400, "invalid_request", "tier"},
		{"module policy without skus", "PUT", "/api/v1/policy/problem.resolve", `{"tier":"module"}`, 400, "invalid_request", "skus"},
		{"requester policy with skus", "PUT", "/api/v1/policy/problem.resolve", `{"tier":"requester","skus":["agent"]}`, 400, "invalid_request", "skus"},
		{"delete an unknown capability", "DELETE", "/api/v1/policy/no.such", nil, 404, "not_found", "-"},

		// Query parameters.
		{"audit limit=0", "GET", "/api/v1/audit?limit=0", nil, 400, "invalid_request", "limit"},
		{"audit limit=abc", "GET", "/api/v1/audit?limit=abc", nil, 400, "invalid_request", "limit"},
		{"audit limit=1001", "GET", "/api/v1/audit?limit=1001", nil, 400, "invalid_request", "limit"},
		{"audit after=-1", "GET", "/api/v1/audit?after=-1", nil, 400, "invalid_request", "after"},
		{"audit after=x", "GET", "/api/v1/audit?after=x", nil, 400, "invalid_request", "after"},
		{"users limit=0", "GET", "/api/v1/users?limit=0", nil, 400, "invalid_request", "limit"},
		{"users active=maybe", "GET", "/api/v1/users?active=maybe", nil, 400, "invalid_request", "active"},
		{"sessions limit=abc", "GET", "/api/v1/sessions?limit=abc", nil, 400, "invalid_request", "limit"},
		{"sessions of an unknown user", "GET", "/api/v1/sessions?user=nobody", nil, 404, "not_found", "user"},
		{"export format=xml", "GET", "/api/v1/audit/export?format=xml", nil, 400, "invalid_request", "format"},

		// Tokens.
		{"token with a bad scope", "POST", "/api/v1/tokens", `{"name":"x","scope":"root"}`, 400, "invalid_request", "scope"},
		{"token with a bad ttl", "POST", "/api/v1/tokens", `{"name":"x","scope":"admin","ttl":"soon"}`, 400, "invalid_request", "ttl"},
		{"token with a long name", "POST", "/api/v1/tokens", `{"name":"` + strings.Repeat("n", 129) + `","scope":"admin"}`, 400, "invalid_request", "name"},
		{"revoke an unknown token", "DELETE", "/api/v1/tokens/tok_nope", nil, 404, "not_found", "-"},

		// Routes.
		{"unknown route", "GET", "/api/v1/nope", nil, 404, "not_found", ""},
		{"unknown route with a body", "POST", "/api/v1/nope", `{}`, 404, "not_found", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.snapshot()
			r := e.call(tc.method, tc.path, tc.body)
			wantError(t, r, tc.status, tc.code, tc.field)
			after := e.snapshot()
			if after.audit != before.audit {
				t.Errorf("audit chain grew from %d to %d entries", before.audit, after.audit)
			}
			for p, b := range before.lists {
				if after.lists[p] != b {
					t.Errorf("GET %s changed:\n got  %s\n want %s", p, after.lists[p], b)
				}
			}
		})
	}
}

// TestBadInputChunkedMemberBody: PUT …/members/{user} takes no body or an
// empty object; a body sent without Content-Length (chunked transfer) must
// be checked like any other, not ignored.
func TestBadInputChunkedMemberBody(t *testing.T) {
	e := newTestEnv(t)
	e.seedDesk()
	for _, tc := range []struct{ name, body string }{
		{"garbage", `garbage`},
		{"unknown field", `{"source":"rule:x"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.snapshot()
			// An io.Reader of unknown length makes the client send the body chunked.
			r := e.call("PUT", "/api/v1/pools/agents-floating/members/bob@example.com", io.MultiReader(strings.NewReader(tc.body)))
			wantError(t, r, 400, "invalid_request", "-")
			after := e.snapshot()
			if after.audit != before.audit {
				t.Errorf("audit chain grew from %d to %d entries", before.audit, after.audit)
			}
			for p, b := range before.lists {
				if after.lists[p] != b {
					t.Errorf("GET %s changed:\n got  %s\n want %s", p, after.lists[p], b)
				}
			}
			e.call("DELETE", "/api/v1/pools/agents-floating/members/bob@example.com", nil) // undo, if it went through
		})
	}
	// An empty chunked body is as good as none.
	e.must(201, "PUT", "/api/v1/pools/agents-floating/members/bob@example.com", io.MultiReader(strings.NewReader("")))
}

// TestBadInputUnknownSession: a decision in a session that does not exist
// is an answer, not an error — allow false, session_invalid — and the only
// change is the audited denial.
func TestBadInputUnknownSession(t *testing.T) {
	e := newTestEnv(t)
	e.seedDesk()
	e.must(201, "PUT", "/api/v1/pools/agents-named/members/ann@example.com", nil)
	before := e.snapshot()
	r := e.must(200, "POST", "/api/v1/decide", `{"user":"ann@example.com","capability":"ticket.transition","session":"ses_nope"}`)
	if got, want := strings.TrimSpace(string(r.Body)), `{"allow":false,"reason":"session_invalid"}`; got != want {
		t.Errorf("decide in an unknown session = %s, want %s", got, want)
	}
	after := e.snapshot()
	for p, b := range before.lists {
		if after.lists[p] != b {
			t.Errorf("GET %s changed:\n got  %s\n want %s", p, after.lists[p], b)
		}
	}
	if after.audit != before.audit+1 {
		t.Fatalf("audit grew by %d entries, want 1 (the denial)", after.audit-before.audit)
	}
	last := e.lastAudit(1)[0]
	if last["action"] != "decision.deny" || last["result"] != "session_invalid" {
		t.Errorf("newest audit entry = %v, want decision.deny session_invalid", last)
	}
}

// TestBadInputWrongMethod: a known path with a method it does not serve is
// answered in the JSON error shape.
func TestBadInputWrongMethod(t *testing.T) {
	e := newTestEnv(t)
	for _, tc := range []struct{ name, method, path string }{
		{"PATCH pools", "PATCH", "/api/v1/pools"},
		{"DELETE skus collection", "DELETE", "/api/v1/skus"},
		{"GET decide", "GET", "/api/v1/decide"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.call(tc.method, tc.path, nil)
			if r.Status != 404 && r.Status != 405 {
				t.Errorf("status %d, want 404 or 405; body %s", r.Status, r)
			}
			wantError(t, r, r.Status, map[int]string{404: "not_found", 405: "invalid_request"}[r.Status], "-")
		})
	}
}

// TestBadInputIdentityClash: user_name, email, employee ID and external ID
// all name a person (DESIGN §3.5, §5: {user} and Seatkeeper-Acting-User
// resolve by any of them), so one person's key may not be given to
// another. Today the clash is accepted and the engine's alias map is
// overwritten: decisions for ann@example.com go to the newcomer and Ann,
// who holds a named seat, is denied — while the store still resolves the
// same key to Ann.
func TestBadInputIdentityClash(t *testing.T) {
	for _, tc := range []struct {
		name, method, path, body, field string
	}{
		{"new user with another's email", "POST", "/api/v1/users", `{"user_name":"x3","email":"ann@example.com"}`, "email"},
		{"new user with another's email in another case", "POST", "/api/v1/users", `{"user_name":"x3","email":"ANN@example.com"}`, "email"},
		{"new user with another's employee ID", "POST", "/api/v1/users", `{"user_name":"x3","employee_id":"E100"}`, "employee_id"},
		{"new user named as another's employee ID", "POST", "/api/v1/users", `{"user_name":"e100"}`, "user_name"},
		{"user updated to another's email", "PUT", "/api/v1/users/bob@example.com", `{"user_name":"bob@example.com","email":"ann@example.com"}`, "email"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEnv(t)
			e.seedDesk()
			e.must(201, "PUT", "/api/v1/pools/agents-named/members/ann@example.com", nil)
			before := e.snapshot()
			wantError(t, e.call(tc.method, tc.path, tc.body), 409, "conflict", tc.field)
			after := e.snapshot()
			if after.audit != before.audit {
				t.Errorf("audit chain grew from %d to %d entries", before.audit, after.audit)
			}
			if after.lists["/api/v1/users"] != before.lists["/api/v1/users"] {
				t.Errorf("GET /api/v1/users changed")
			}
			// Whatever the answer, Ann's keys still name Ann.
			for _, key := range []string{"ann@example.com", "E100"} {
				if d := e.decide(key, "ticket.transition", ""); !d.Allow || d.Via == nil || d.Via.Pool != "agents-named" {
					t.Errorf("decide for %s = %+v, want Ann's named seat", key, d)
				}
			}
			var ss sessionOut
			e.must(201, "POST", "/api/v1/sessions", `{"user":"ann@example.com"}`).into(t, &ss)
			if ss.User != "ann@example.com" {
				t.Errorf("session for ann@example.com started for %q", ss.User)
			}
		})
	}
}
