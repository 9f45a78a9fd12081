package api

import (
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/store"
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
		"/api/v1/pools/agents-named/members", "/api/v1/pools/agents-floating/members",
		"/api/v1/tickets?limit=500", "/api/v1/proposals?limit=1000", "/api/v1/integrations"} {
		s.lists[p] = string(e.must(200, "GET", p, nil).Body)
	}
	// Each ticket whole (notes and history too), and the knowledge base as
	// a person reads it (when ann is there to read it).
	var tl struct {
		Tickets []struct {
			Number string `json:"number"`
		} `json:"tickets"`
	}
	if err := json.Unmarshal([]byte(s.lists["/api/v1/tickets?limit=500"]), &tl); err != nil {
		e.t.Fatalf("tickets list: %v", err)
	}
	for _, tk := range tl.Tickets {
		p := "/api/v1/tickets/" + tk.Number
		s.lists[p] = string(e.must(200, "GET", p, nil).Body)
	}
	if r := e.call("GET", "/api/v1/articles", nil, ActingUserHeader, "ann@example.com"); r.Status == 200 {
		s.lists["/api/v1/articles"] = string(r.Body)
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
	// The service desk: bob's ticket, an integration in propose mode, and
	// the proposal it holds.
	e.newTicket(e.admin, "bob@example.com", "VPN down")
	hub := e.newIntegration("hub", "propose")
	var held struct {
		Proposal string `json:"proposal"`
	}
	if r := e.request("POST", "/api/v1/tickets/INC-000001/transition", hub.Token, `{"to":"in_progress"}`, as("bob@example.com")...); r.Status != 202 {
		t.Fatalf("proposal: status %d; body %s", r.Status, r)
	} else {
		r.into(t, &held)
	}
	const okTicket = `{"title":"VPN down"`
	const inc1 = "/api/v1/tickets/INC-000001"

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
		{"idle_timeout 1ms", "POST", "/api/v1/pools", okPool + `,"idle_timeout":"1ms"}`, 400, "invalid_request", "idle_timeout"},
		{"idle_timeout 30s", "POST", "/api/v1/pools", okPool + `,"idle_timeout":"30s"}`, 400, "invalid_request", "idle_timeout"},
		{"linger 1ns", "POST", "/api/v1/pools", okPool + `,"linger":"1ns"}`, 400, "invalid_request", "linger"},
		{"bad queue offer_ttl", "POST", "/api/v1/pools", okPool + `,"queue":{"offer_ttl":"later"}}`, 400, "invalid_request", "queue.offer_ttl"},
		{"queue max_length a string", "POST", "/api/v1/pools", okPool + `,"queue":{"max_length":"x"}}`, 400, "invalid_request", "queue.max_length"},
		{"negative queue max_length", "POST", "/api/v1/pools", okPool + `,"queue":{"max_length":-1}}`, 400, "invalid_request", "queue.max_length"},
		{"starts not a time", "POST", "/api/v1/pools", okPool + `,"starts":"yesterday"}`, 400, "invalid_request", "starts"},
		{"ends before starts", "POST", "/api/v1/pools", okPool + `,"starts":"2030-01-01T00:00:00Z","ends":"2029-01-01T00:00:00Z"}`, 400, "invalid_request", "ends"},
		{"warn_at above 1", "POST", "/api/v1/pools", okPool + `,"warn_at":2}`, 400, "invalid_request", "warn_at"},
		{"negative overdraft", "POST", "/api/v1/pools", okPool + `,"overdraft":-1}`, 400, "invalid_request", "overdraft"},
		{"reservations above seats", "POST", "/api/v1/pools", okPool + `,"reservations":{"desk-eu":2}}`, 400, "invalid_request", "reservations"},
		{"reservation for a bad group", "POST", "/api/v1/pools", okPool + `,"reservations":{" desk":1}}`, 400, "invalid_request", "reservations"},
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
		{"bad group name", "POST", "/api/v1/users", okUser + `,"groups":["desk\u0007eu"]}`, 400, "invalid_request", "groups"},
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
		{"group grant on an unknown pool", "PUT", "/api/v1/pools/nope/groups/desk-eu", nil, 404, "not_found", "-"},
		{"group grant for an unknown group", "PUT", "/api/v1/pools/agents-named/groups/desk-eu", nil, 404, "not_found", "-"},
		{"group grant body with a field", "PUT", "/api/v1/pools/agents-named/groups/desk-eu", `{"seats":1}`, 400, "invalid_request", "seats"},
		{"group grant body not JSON", "PUT", "/api/v1/pools/agents-named/groups/desk-eu", `garbage`, 400, "invalid_request", ""},
		{"remove a group grant never made", "DELETE", "/api/v1/pools/agents-named/groups/desk-eu", nil, 404, "not_found", "-"},
		{"group grants of an unknown pool", "GET", "/api/v1/pools/nope/groups", nil, 404, "not_found", "-"},

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
		{"access review limit=0", "GET", "/api/v1/access-review?limit=0", nil, 400, "invalid_request", "limit"},
		{"access review limit=5001", "GET", "/api/v1/access-review?limit=5001", nil, 400, "invalid_request", "limit"},
		{"access review state=revoked", "GET", "/api/v1/access-review?state=revoked", nil, 400, "invalid_request", "state"},
		{"access review source=robot", "GET", "/api/v1/access-review?source=robot", nil, 400, "invalid_request", "source"},
		{"access review source=rule:", "GET", "/api/v1/access-review?source=rule:", nil, 400, "invalid_request", "source"},
		{"access review after without a pool", "GET", "/api/v1/access-review?after=ann@example.com", nil, 400, "invalid_request", "after"},
		{"access review after=|pool", "GET", "/api/v1/access-review?after=%7Cagents-named", nil, 400, "invalid_request", "after"},
		{"access review of an unknown user", "GET", "/api/v1/access-review?user=nobody", nil, 404, "not_found", "user"},
		{"access review of an unknown pool", "GET", "/api/v1/access-review?pool=nope", nil, 404, "not_found", "pool"},
		{"access review of an unknown sku", "GET", "/api/v1/access-review?sku=nope", nil, 404, "not_found", "sku"},
		{"provisioning of an unknown user", "GET", "/api/v1/provisioning?user=nobody", nil, 404, "not_found", "user"},

		// Tokens.
		{"token with a bad scope", "POST", "/api/v1/tokens", `{"name":"x","scope":"root"}`, 400, "invalid_request", "scope"},
		{"token with a bad ttl", "POST", "/api/v1/tokens", `{"name":"x","scope":"admin","ttl":"soon"}`, 400, "invalid_request", "ttl"},
		{"token with a long name", "POST", "/api/v1/tokens", `{"name":"` + strings.Repeat("n", 129) + `","scope":"admin"}`, 400, "invalid_request", "name"},
		{"revoke an unknown token", "DELETE", "/api/v1/tokens/tok_nope", nil, 404, "not_found", "-"},

		// Tickets (DESIGN §3.4): bodies.
		{"ticket malformed JSON", "POST", "/api/v1/tickets", `{"title":`, 400, "invalid_request", ""},
		{"ticket unknown field", "POST", "/api/v1/tickets", okTicket + `,"urgency":"high"}`, 400, "invalid_request", "urgency"},
		{"ticket title a number", "POST", "/api/v1/tickets", `{"title":5}`, 400, "invalid_request", "title"},
		{"ticket priority a number", "POST", "/api/v1/tickets", okTicket + `,"priority":1}`, 400, "invalid_request", "priority"},
		{"ticket empty title", "POST", "/api/v1/tickets", `{"title":"   "}`, 400, "invalid_request", "title"},
		{"ticket without title", "POST", "/api/v1/tickets", `{"description":"x"}`, 400, "invalid_request", "title"},
		{"ticket huge title", "POST", "/api/v1/tickets", `{"title":"` + strings.Repeat("t", 201) + `"}`, 400, "invalid_request", "title"},
		{"ticket huge description", "POST", "/api/v1/tickets", okTicket + `,"description":"` + strings.Repeat("d", 20001) + `"}`, 400, "invalid_request", "description"},
		{"ticket long category", "POST", "/api/v1/tickets", okTicket + `,"category":"` + strings.Repeat("c", 65) + `"}`, 400, "invalid_request", "category"},
		{"ticket unknown priority", "POST", "/api/v1/tickets", okTicket + `,"priority":"urgent"}`, 400, "invalid_request", "priority"},
		{"ticket body over 1 MiB", "POST", "/api/v1/tickets", `{"title":"` + strings.Repeat("t", 1<<20) + `"}`, 413, "request_too_large", ""},
		{"ticket without a person", "POST", "/api/v1/tickets", okTicket + `}`, 400, "invalid_request", ActingUserHeader},
		{"transition to an unknown state", "POST", inc1 + "/transition", `{"to":"done"}`, 400, "invalid_request", "to"},
		{"transition without to", "POST", inc1 + "/transition", `{}`, 400, "invalid_request", "to"},
		{"transition to a number", "POST", inc1 + "/transition", `{"to":2}`, 400, "invalid_request", "to"},
		{"transition with an unknown field", "POST", inc1 + "/transition", `{"to":"in_progress","force":true}`, 400, "invalid_request", "force"},
		{"transition malformed JSON", "POST", inc1 + "/transition", `{"to":"in_progress"`, 400, "invalid_request", ""},
		{"transition without a person", "POST", inc1 + "/transition", `{"to":"in_progress"}`, 400, "invalid_request", ActingUserHeader},
		{"transition an unknown ticket", "POST", "/api/v1/tickets/INC-999999/transition", `{"to":"in_progress"}`, 404, "not_found", "-"},
		{"transition an unknown ticket id", "POST", "/api/v1/tickets/tkt_nope/transition", `{"to":"in_progress"}`, 404, "not_found", "-"},
		{"assign without assignee", "POST", inc1 + "/assign", `{}`, 400, "invalid_request", "assignee"},
		{"assign null", "POST", inc1 + "/assign", `{"assignee":null}`, 400, "invalid_request", "assignee"},
		{"assign a list", "POST", inc1 + "/assign", `{"assignee":["ann@example.com"]}`, 400, "invalid_request", "assignee"},
		{"assign an unknown person", "POST", inc1 + "/assign", `{"assignee":"nobody"}`, 404, "not_found", "assignee"},
		{"assign a service account", "POST", inc1 + "/assign", `{"assignee":"slack-hub"}`, 400, "invalid_request", "assignee"},
		{"assign a requester", "POST", inc1 + "/assign", `{"assignee":"bob@example.com"}`, 400, "invalid_request", "assignee"},
		{"patch nothing", "PATCH", inc1, `{}`, 400, "invalid_request", ""},
		{"patch unknown priority", "PATCH", inc1, `{"priority":"urgent"}`, 400, "invalid_request", "priority"},
		{"patch priority a number", "PATCH", inc1, `{"priority":1}`, 400, "invalid_request", "priority"},
		{"patch long category", "PATCH", inc1, `{"category":"` + strings.Repeat("c", 65) + `"}`, 400, "invalid_request", "category"},
		{"patch state", "PATCH", inc1, `{"state":"closed"}`, 400, "invalid_request", "state"},
		{"patch an unknown ticket", "PATCH", "/api/v1/tickets/INC-999999", `{"priority":"high"}`, 404, "not_found", "-"},
		{"comment empty body", "POST", inc1 + "/comments", `{"body":"  "}`, 400, "invalid_request", "body"},
		{"comment body an object", "POST", inc1 + "/comments", `{"body":{}}`, 400, "invalid_request", "body"},
		{"comment on an unknown ticket", "POST", "/api/v1/tickets/INC-999999/comments", `{"body":"x"}`, 404, "not_found", "-"},
		{"work note huge body", "POST", inc1 + "/work-notes", `{"body":"` + strings.Repeat("b", 20001) + `"}`, 400, "invalid_request", "body"},
		{"work note over 1 MiB", "POST", inc1 + "/work-notes", `{"body":"` + strings.Repeat("b", 1<<20) + `"}`, 413, "request_too_large", ""},
		{"work note unknown field", "POST", inc1 + "/work-notes", `{"body":"x","internal":true}`, 400, "invalid_request", "internal"},

		// Tickets: reads.
		{"unknown ticket", "GET", "/api/v1/tickets/INC-999999", nil, 404, "not_found", "-"},
		{"unknown ticket id", "GET", "/api/v1/tickets/tkt_nope", nil, 404, "not_found", "-"},
		{"malformed ticket number", "GET", "/api/v1/tickets/INC-12x", nil, 404, "not_found", "-"},
		{"tickets limit=0", "GET", "/api/v1/tickets?limit=0", nil, 400, "invalid_request", "limit"},
		{"tickets limit=501", "GET", "/api/v1/tickets?limit=501", nil, 400, "invalid_request", "limit"},
		{"tickets limit=abc", "GET", "/api/v1/tickets?limit=abc", nil, 400, "invalid_request", "limit"},
		{"tickets before=abc", "GET", "/api/v1/tickets?before=abc", nil, 400, "invalid_request", "before"},
		{"tickets before=0", "GET", "/api/v1/tickets?before=0", nil, 400, "invalid_request", "before"},
		{"tickets before=INC-000000", "GET", "/api/v1/tickets?before=INC-000000", nil, 400, "invalid_request", "before"},
		{"tickets scope=everyone", "GET", "/api/v1/tickets?scope=everyone", nil, 400, "invalid_request", "scope"},
		{"tickets of an unknown state", "GET", "/api/v1/tickets?state=new,done", nil, 400, "invalid_request", "state"},
		{"tickets of an unknown priority", "GET", "/api/v1/tickets?priority=urgent", nil, 400, "invalid_request", "priority"},
		{"tickets search too long", "GET", "/api/v1/tickets?q=" + strings.Repeat("q", 201), nil, 400, "invalid_request", "q"},
		{"tickets of an unknown assignee", "GET", "/api/v1/tickets?assignee=nobody", nil, 404, "not_found", "assignee"},
		{"own tickets without a person", "GET", "/api/v1/tickets?scope=mine", nil, 400, "invalid_request", ActingUserHeader},

		// Integrations and proposals (DESIGN §3.5).
		{"integration malformed JSON", "POST", "/api/v1/integrations", `{"name":"x",`, 400, "invalid_request", ""},
		{"integration bad mode", "POST", "/api/v1/integrations", `{"name":"fresh","mode":"strict"}`, 400, "invalid_request", "mode"},
		{"integration without mode", "POST", "/api/v1/integrations", `{"name":"fresh"}`, 400, "invalid_request", "mode"},
		{"integration mode a number", "POST", "/api/v1/integrations", `{"name":"fresh","mode":1}`, 400, "invalid_request", "mode"},
		{"integration bad name", "POST", "/api/v1/integrations", `{"name":"Slack Hub","mode":"enforce"}`, 400, "invalid_request", "name"},
		{"integration without name", "POST", "/api/v1/integrations", `{"mode":"enforce"}`, 400, "invalid_request", "name"},
		{"integration with a token", "POST", "/api/v1/integrations", `{"name":"fresh","mode":"enforce","token":"sk_mine"}`, 400, "invalid_request", "token"},
		{"integration over 1 MiB", "POST", "/api/v1/integrations", `{"name":"` + strings.Repeat("n", 1<<20) + `","mode":"enforce"}`, 413, "request_too_large", ""},
		{"duplicate integration", "POST", "/api/v1/integrations", `{"name":"hub","mode":"enforce"}`, 409, "conflict", "name"},
		{"integration named as another account", "POST", "/api/v1/integrations", `{"name":"slack-hub","mode":"enforce"}`, 409, "conflict", "name"},
		{"integration mode changed to a bad mode", "PUT", "/api/v1/integrations/hub", `{"mode":"strict"}`, 400, "invalid_request", "mode"},
		{"integration mode change renames", "PUT", "/api/v1/integrations/hub", `{"mode":"enforce","name":"x"}`, 400, "invalid_request", "name"},
		{"mode of an unknown integration", "PUT", "/api/v1/integrations/nope", `{"mode":"enforce"}`, 404, "not_found", "-"},
		{"get an unknown integration", "GET", "/api/v1/integrations/nope", nil, 404, "not_found", "-"},
		{"delete an unknown integration", "DELETE", "/api/v1/integrations/nope", nil, 404, "not_found", "-"},
		{"proposals state=open", "GET", "/api/v1/proposals?state=open", nil, 400, "invalid_request", "state"},
		{"proposals limit=0", "GET", "/api/v1/proposals?limit=0", nil, 400, "invalid_request", "limit"},
		{"unknown proposal", "GET", "/api/v1/proposals/prp_nope", nil, 404, "not_found", "-"},
		{"confirm an unknown proposal", "POST", "/api/v1/proposals/prp_nope/confirm", nil, 404, "not_found", "-"},
		{"confirm without a person", "POST", "/api/v1/proposals/" + held.Proposal + "/confirm", nil, 400, "invalid_request", ActingUserHeader},
		{"reject with an unknown field", "POST", "/api/v1/proposals/" + held.Proposal + "/reject", `{"why":"x"}`, 400, "invalid_request", "why"},
		{"reject with a number reason", "POST", "/api/v1/proposals/" + held.Proposal + "/reject", `{"reason":1}`, 400, "invalid_request", "reason"},
		{"reject with a huge reason", "POST", "/api/v1/proposals/" + held.Proposal + "/reject", `{"reason":"` + strings.Repeat("r", 20001) + `"}`, 400, "invalid_request", "reason"},
		{"reject malformed JSON", "POST", "/api/v1/proposals/" + held.Proposal + "/reject", `{"reason":`, 400, "invalid_request", ""},
		{"report from=yesterday", "GET", "/api/v1/reports/multiplexing?from=yesterday", nil, 400, "invalid_request", "from"},
		{"report to=2020-13-01", "GET", "/api/v1/reports/multiplexing?to=2020-13-01T00:00:00Z", nil, 400, "invalid_request", "to"},
		{"report to before from", "GET", "/api/v1/reports/multiplexing?from=2020-02-01T00:00:00Z&to=2020-01-01T00:00:00Z", nil, 400, "invalid_request", "to"},

		// Knowledge base and chat.
		{"article empty title", "POST", "/api/v1/articles", `{"title":" ","body":"x"}`, 400, "invalid_request", "title"},
		{"article huge title", "POST", "/api/v1/articles", `{"title":"` + strings.Repeat("t", 201) + `"}`, 400, "invalid_request", "title"},
		{"article tags a string", "POST", "/api/v1/articles", `{"title":"x","tags":"vpn"}`, 400, "invalid_request", "tags"},
		{"article empty tag", "POST", "/api/v1/articles", `{"title":"x","tags":[""]}`, 400, "invalid_request", "tags"},
		{"article too many tags", "POST", "/api/v1/articles", `{"title":"x","tags":["t0"` + strings.Repeat(`,"t"`, 32) + `]}`, 400, "invalid_request", "tags"},
		{"article with an id", "POST", "/api/v1/articles", `{"id":"art_mine","title":"x"}`, 400, "invalid_request", "id"},
		{"article unknown field", "POST", "/api/v1/articles", `{"title":"x","author":"me"}`, 400, "invalid_request", "author"},
		{"article id differs from the path", "PUT", "/api/v1/articles/art_a", `{"id":"art_b","title":"x"}`, 400, "invalid_request", "id"},
		{"article without a person", "POST", "/api/v1/articles", `{"title":"x"}`, 400, "invalid_request", ActingUserHeader},
		{"articles search too long", "GET", "/api/v1/articles?q=" + strings.Repeat("q", 501), nil, 400, "invalid_request", "q"},
		{"articles limit=101", "GET", "/api/v1/articles?limit=101", nil, 400, "invalid_request", "limit"},
		{"chat turn from nobody", "POST", "/api/v1/chat", `{"message":"hi","history":[{"from":"system","text":"x"}]}`, 400, "invalid_request", "history"},
		{"chat history a string", "POST", "/api/v1/chat", `{"message":"hi","history":"x"}`, 400, "invalid_request", "history"},
		{"chat too much history", "POST", "/api/v1/chat", `{"message":"hi","history":[` + strings.Repeat(`{"from":"user","text":"x"},`, 40) + `{"from":"bot","text":"x"}]}`, 400, "invalid_request", "history"},
		{"chat turn unknown field", "POST", "/api/v1/chat", `{"message":"hi","history":[{"from":"user","text":"x","at":1}]}`, 400, "invalid_request", "at"},
		{"chat without message", "POST", "/api/v1/chat", `{"history":[]}`, 400, "invalid_request", "message"},
		{"chat message too long", "POST", "/api/v1/chat", `{"message":"` + strings.Repeat("m", 2001) + `"}`, 400, "invalid_request", "message"},

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
// answered 405 in the JSON error shape, with the methods it takes in Allow.
func TestBadInputWrongMethod(t *testing.T) {
	e := newTestEnv(t)
	for _, tc := range []struct{ name, method, path, allow string }{
		{"PATCH pools", "PATCH", "/api/v1/pools", "GET, POST, HEAD"},
		{"DELETE skus collection", "DELETE", "/api/v1/skus", "GET, POST, HEAD"},
		{"GET decide", "GET", "/api/v1/decide", "POST"},
		{"POST a pool", "POST", "/api/v1/pools/p1", "GET, PUT, DELETE, HEAD"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.call(tc.method, tc.path, nil)
			wantError(t, r, 405, "method_not_allowed", "-")
			if got := r.Header.Get("Allow"); got != tc.allow {
				t.Errorf("Allow = %q, want %q", got, tc.allow)
			}
		})
	}
	// A path no route serves under any method stays 404.
	wantError(t, e.call("GET", "/api/v1/nothing-here", nil), 404, "not_found", "-")
}

// TestBadInputIdentityClash: the user name is the one unique key (in any
// case or width): a second person may not take it. Emails and IDs may be
// shared (issue 11): see TestSharedKeysNeverResolveToAnArbitraryPerson.
func TestBadInputIdentityClash(t *testing.T) {
	for _, tc := range []struct {
		name, method, path, body, field string
	}{
		{"new user named as another's user name in another case", "POST", "/api/v1/users", `{"user_name":"ANN@example.com"}`, "user_name"},
		{"new user named as another's user name in full width", "POST", "/api/v1/users", `{"user_name":"ａｎｎ@example.com"}`, "user_name"},
		{"user renamed to another's user name", "PUT", "/api/v1/users/bob@example.com", `{"user_name":"ann@example.com"}`, "user_name"},
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

// TestBadInputActing: bad acting-user and session headers on the desk
// calls, and refusals that need a person to get that far, change nothing.
func TestBadInputActing(t *testing.T) {
	e := newTestEnv(t)
	e.seedDesk()
	e.must(201, "PUT", "/api/v1/pools/agents-named/members/ann@example.com", nil)
	e.must(201, "PUT", "/api/v1/pools/agents-floating/members/cid@example.com", nil)
	desk := e.token("desk", store.ScopePlatform, 0)
	hub := e.newIntegration("hub", "enforce")
	e.newTicket(desk, "bob@example.com", "VPN down")
	var cid sessionOut
	e.must(201, "POST", "/api/v1/sessions", `{"user":"cid@example.com","lazy":true}`).into(t, &cid)
	const inc1 = "/api/v1/tickets/INC-000001"
	ann, bob := as("ann@example.com"), as("bob@example.com")

	for _, tc := range []struct {
		name         string
		token        string
		hdr          []string
		method, path string
		body         any
		status       int
		code, field  string
	}{
		{"unknown acting user for a platform token", desk, as("nobody@example.com"), "POST", "/api/v1/tickets", `{"title":"x"}`, 404, "not_found", ActingUserHeader},
		{"unknown acting user reading a ticket", desk, as("nobody@example.com"), "GET", inc1, nil, 404, "not_found", ActingUserHeader},
		{"unknown acting user for the admin token", e.admin, as("E999"), "POST", inc1 + "/transition", `{"to":"in_progress"}`, 404, "not_found", ActingUserHeader},
		{"overlong acting user", desk, as(strings.Repeat("a", 300)), "POST", "/api/v1/tickets", `{"title":"x"}`, 400, "invalid_request", ActingUserHeader},
		{"session without a person", desk, []string{SessionHeader, cid.ID}, "POST", inc1 + "/transition", `{"to":"in_progress"}`, 400, "invalid_request", SessionHeader},
		{"integration without acting user", hub.Token, nil, "POST", "/api/v1/tickets", `{"title":"x"}`, 400, "invalid_request", ActingUserHeader},
		{"integration with a blank acting user", hub.Token, as("  "), "GET", "/api/v1/tickets?scope=mine", nil, 400, "invalid_request", ActingUserHeader},
		{"integration bad body", hub.Token, bob, "POST", "/api/v1/tickets", `{"title":""}`, 400, "invalid_request", "title"},
		{"illegal transition", desk, ann, "POST", inc1 + "/transition", `{"to":"closed"}`, 409, "conflict", "to"},
		{"assign a requester as an agent", desk, ann, "POST", inc1 + "/assign", `{"assignee":"bob@example.com"}`, 400, "invalid_request", "assignee"},
		{"unknown article", desk, bob, "GET", "/api/v1/articles/art_nope", nil, 404, "not_found", "-"},
		{"update an unknown article", desk, ann, "PUT", "/api/v1/articles/art_nope", `{"title":"x"}`, 404, "not_found", "-"},
		{"delete an unknown article", desk, ann, "DELETE", "/api/v1/articles/art_nope", nil, 404, "not_found", "-"},
		{"unknown ticket for a requester", desk, bob, "GET", "/api/v1/tickets/INC-000002", nil, 404, "not_found", "-"},
		{"unknown proposal for an agent", desk, ann, "POST", "/api/v1/proposals/prp_nope/confirm", nil, 404, "not_found", "-"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.snapshot()
			wantError(t, e.request(tc.method, tc.path, tc.token, tc.body, tc.hdr...), tc.status, tc.code, tc.field)
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

// TestBadInputStrictJSON: duplicate keys, field names that match only
// without regard to case, and bodies declared as other than JSON are
// refused, and nothing is created.
func TestBadInputStrictJSON(t *testing.T) {
	e := newTestEnv(t)
	e.must(201, "POST", "/api/v1/skus", `{"key":"agent","name":"Agent","tier":"fulfiller"}`)
	for _, tc := range []struct {
		name, body, field string
		hdr               []string
		status            int
		code              string
	}{
		{"duplicate key", `{"id":"p1","id":"p2","sku":"agent","model":"named","seats":1}`, "id", nil, 400, "invalid_request"},
		{"key only in another case", `{"ID":"p1","sku":"agent","model":"named","seats":1}`, "ID", nil, 400, "invalid_request"},
		{"nested duplicate", `{"id":"p1","sku":"agent","model":"concurrent","seats":2,"limits":{"a":1,"a":2}}`, "limits.a", nil, 400, "invalid_request"},
		{"nested case", `{"id":"p1","sku":"agent","model":"concurrent","seats":2,"queue":{"MAX_LENGTH":3}}`, "queue.MAX_LENGTH", nil, 400, "invalid_request"},
		{"text/plain", `{"id":"p1","sku":"agent","model":"named","seats":1}`, "Content-Type", []string{"Content-Type", "text/plain"}, 415, "unsupported_media_type"},
		{"form", `{"id":"p1","sku":"agent","model":"named","seats":1}`, "Content-Type", []string{"Content-Type", "application/x-www-form-urlencoded"}, 415, "unsupported_media_type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, e.call("POST", "/api/v1/pools", tc.body, tc.hdr...), tc.status, tc.code, tc.field)
		})
	}
	var pools struct {
		Pools []any `json:"pools"`
	}
	e.must(200, "GET", "/api/v1/pools", nil).into(t, &pools)
	if len(pools.Pools) != 0 {
		t.Fatalf("refused bodies created %d pools", len(pools.Pools))
	}
	// JSON with parameters, and +json types, are JSON.
	e.must(201, "POST", "/api/v1/pools", `{"id":"p1","sku":"agent","model":"named","seats":1}`, "Content-Type", "application/json; charset=utf-8")
	e.must(201, "POST", "/api/v1/pools", `{"id":"p2","sku":"agent","model":"named","seats":1}`, "Content-Type", "application/merge-patch+json")
}

// TestSharedKeysNeverResolveToAnArbitraryPerson (issue 11, part 2): an
// email or employee ID may be given to a second person; the user name
// still names its person, and a shared key names nobody — refused with the
// candidates' count, never resolved to one of them.
func TestSharedKeysNeverResolveToAnArbitraryPerson(t *testing.T) {
	e := newTestEnv(t)
	e.seedDesk()
	e.must(201, "PUT", "/api/v1/pools/agents-named/members/ann@example.com", nil)
	e.must(201, "POST", "/api/v1/users", `{"user_name":"x3","email":"ANN@example.com","employee_id":"E100"}`)
	e.must(200, "PUT", "/api/v1/users/bob@example.com", `{"user_name":"bob@example.com","email":"ann@example.com"}`)
	if d := e.decide("ann@example.com", "ticket.transition", ""); !d.Allow || d.Via == nil || d.Via.Pool != "agents-named" {
		t.Errorf("decide for Ann's user name = %+v, want her named seat", d)
	}
	if d := e.decide("E100", "ticket.transition", ""); d.Allow || d.Reason != "ambiguous_identity" {
		t.Errorf("decide for a shared employee ID = %+v, want nobody's (ambiguous_identity)", d)
	}
	r := e.call("GET", "/api/v1/users/E100", nil)
	if got := wantError(t, r, 409, "ambiguous_identity", ""); !strings.Contains(got.Error.Message, "2 people") {
		t.Errorf("ambiguous lookup message %q, want the candidates' count", got.Error.Message)
	}
}
