package api

import (
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/store"
)

const deskAgentsRule = `{"id":"desk-agents","when":{"job_code":["ITSD-*"],"department":["IT"]},"grant":[{"sku":"agent","model":"named"}],"priority":10}`

// members lists "user source state" for every member of pool, sorted.
func (e *testEnv) members(pool string) []string {
	e.t.Helper()
	var out struct {
		Members []memberJSON `json:"members"`
	}
	e.must(200, "GET", "/api/v1/pools/"+pool+"/members", nil).into(e.t, &out)
	var list []string
	for _, m := range out.Members {
		list = append(list, strings.TrimSuffix(m.User, "@example.com")+" "+m.Source+" "+m.State)
	}
	sort.Strings(list)
	return list
}

// seedRules: the desk company with three named agent seats, ann holding one
// manually and bob on job code ITSD-3.
func seedRules(t *testing.T) *testEnv {
	e := newTestEnv(t)
	e.seedDesk()
	e.must(200, "PUT", "/api/v1/pools/agents-named", `{"sku":"agent","model":"named","seats":3,"monthly_price":95}`)
	e.must(200, "PUT", "/api/v1/users/bob@example.com", `{"user_name":"bob@example.com","job_code":"ITSD-3","department":"IT","active":true}`)
	r := e.call("PUT", "/api/v1/pools/agents-named/members/ann@example.com", nil)
	if r.Status != 200 && r.Status != 201 {
		t.Fatalf("manual member: %d %s", r.Status, r)
	}
	return e
}

func TestRulesPreviewCreateUpdateDelete(t *testing.T) {
	e := seedRules(t)
	before := e.members("agents-named")
	if len(before) != 1 || !strings.HasPrefix(before[0], "ann manual") {
		t.Fatalf("members before = %v", before)
	}

	// Preview: bob, cid, dee, eve want a seat, two are left: two gains, an
	// overflow of two, nothing changed.
	var pv rulePreviewJSON
	e.must(200, "POST", "/api/v1/rules/preview", deskAgentsRule).into(t, &pv)
	if len(pv.Gains) != 2 {
		t.Errorf("preview gains = %+v, want 2", pv.Gains)
	}
	for _, g := range pv.Gains {
		if g.SKU != "agent" || g.Pool != "agents-named" || g.User == "ann@example.com" {
			t.Errorf("preview gain %+v", g)
		}
	}
	if len(pv.Overflows) != 1 || pv.Overflows[0] != (overflowJSON{Pool: "agents-named", ShortBy: 2}) {
		t.Errorf("preview overflows = %+v, want agents-named short by 2", pv.Overflows)
	}
	if len(pv.Losses) != 0 {
		t.Errorf("preview losses = %+v", pv.Losses)
	}
	if got := e.members("agents-named"); !equalStrings(got, before) {
		t.Errorf("preview changed members: %v, was %v", got, before)
	}
	e.must(404, "GET", "/api/v1/rules/desk-agents", nil)

	// Create: the grants follow at once.
	var rule map[string]any
	rule = e.must(201, "POST", "/api/v1/rules", deskAgentsRule).obj(t)
	if rule["version"] != float64(1) || rule["enabled"] != true || rule["id"] != "desk-agents" || rule["priority"] != float64(10) {
		t.Errorf("created rule = %v", rule)
	}
	wantError(t, e.call("POST", "/api/v1/rules", deskAgentsRule), 409, "conflict", "id")
	active, pending, manual := count(e.members("agents-named"))
	if active != 2 || pending != 2 || manual != 1 {
		t.Errorf("after create: %v (rule active %d, pending %d, manual %d; want 2, 2, 1)", e.members("agents-named"), active, pending, manual)
	}
	var list struct {
		Rules []map[string]any `json:"rules"`
	}
	e.must(200, "GET", "/api/v1/rules", nil).into(t, &list)
	if len(list.Rules) != 1 || list.Rules[0]["id"] != "desk-agents" {
		t.Errorf("rules = %v", list.Rules)
	}

	// PUT narrowing to ITSD-2: bob loses his rule seat, ann keeps hers.
	rule = e.must(200, "PUT", "/api/v1/rules/desk-agents", `{"when":{"job_code":["ITSD-2"],"department":["IT"]},"grant":[{"sku":"agent","model":"named"}],"priority":10}`).obj(t)
	if rule["version"] != float64(2) {
		t.Errorf("updated version = %v, want 2", rule["version"])
	}
	got := e.members("agents-named")
	for _, m := range got {
		if strings.HasPrefix(m, "bob ") {
			t.Errorf("bob still a member after narrowing: %v", got)
		}
	}
	if active, _, manual := count(got); active != 2 || manual != 1 {
		t.Errorf("after narrowing: %v", got)
	}
	if !strings.HasPrefix(got[0], "ann manual active") {
		t.Errorf("ann's manual seat touched: %v", got)
	}

	// DELETE: the rule's seats go, the manual one stays.
	e.must(204, "DELETE", "/api/v1/rules/desk-agents", nil)
	if got := e.members("agents-named"); len(got) != 1 || got[0] != "ann manual active" {
		t.Errorf("after delete: %v, want only ann's manual seat", got)
	}
	wantError(t, e.call("DELETE", "/api/v1/rules/desk-agents", nil), 404, "not_found", "-")
	wantError(t, e.call("GET", "/api/v1/rules/desk-agents", nil), 404, "not_found", "-")
}

func count(members []string) (ruleActive, rulePending, manual int) {
	for _, m := range members {
		switch {
		case strings.Contains(m, " rule:desk-agents active"):
			ruleActive++
		case strings.Contains(m, " rule:desk-agents pending"):
			rulePending++
		case strings.Contains(m, " manual "):
			manual++
		}
	}
	return
}

func equalStrings(a, b []string) bool {
	return strings.Join(a, "\n") == strings.Join(b, "\n")
}

func TestRulesBadInput(t *testing.T) {
	e := seedRules(t)
	before := e.members("agents-named")
	audits := e.auditCount()
	for _, tc := range []struct {
		name, body, field string
	}{
		{"malformed JSON", `{"id":"r1","when":`, "-"},
		{"unknown field", `{"id":"r1","when":{"job_code":["ITSD-*"]},"grant":[{"sku":"agent"}],"colour":"red"}`, "colour"},
		{"unknown condition", `{"id":"r1","when":{"title":["x"]},"grant":[{"sku":"agent"}]}`, "title"},
		{"bad glob", `{"id":"r1","when":{"job_code":["ITSD-["]},"grant":[{"sku":"agent"}]}`, "when.job_code"},
		{"no condition", `{"id":"r1","when":{},"grant":[{"sku":"agent"}]}`, "when"},
		{"no grant", `{"id":"r1","when":{"department":["IT"]},"grant":[]}`, "grant"},
		{"unknown SKU", `{"id":"r1","when":{"department":["IT"]},"grant":[{"sku":"nope"}]}`, "grant.sku"},
		{"bad model", `{"id":"r1","when":{"department":["IT"]},"grant":[{"sku":"agent","model":"shared"}]}`, "grant.model"},
		{"priority too high", `{"id":"r1","when":{"department":["IT"]},"grant":[{"sku":"agent"}],"priority":1001}`, "priority"},
		{"priority negative", `{"id":"r1","when":{"department":["IT"]},"grant":[{"sku":"agent"}],"priority":-1}`, "priority"},
		{"bad id", `{"id":"Not OK","when":{"department":["IT"]},"grant":[{"sku":"agent"}]}`, "id"},
		{"wrong type", `{"id":"r1","when":{"department":"IT"},"grant":[{"sku":"agent"}]}`, "when.department"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, e.call("POST", "/api/v1/rules", tc.body), 400, "invalid_request", tc.field)
			wantError(t, e.call("POST", "/api/v1/rules/preview", tc.body), 400, "invalid_request", tc.field)
		})
	}
	wantError(t, e.call("PUT", "/api/v1/rules/r1", `{"id":"r2","when":{"department":["IT"]},"grant":[{"sku":"agent"}]}`), 400, "invalid_request", "id")
	wantError(t, e.call("PUT", "/api/v1/rules/r1", `{"when":{"department":["IT"]},"grant":[{"sku":"agent"}]}`), 404, "not_found", "-")
	var list struct {
		Rules []any `json:"rules"`
	}
	e.must(200, "GET", "/api/v1/rules", nil).into(t, &list)
	if len(list.Rules) != 0 {
		t.Errorf("rules after bad input = %v", list.Rules)
	}
	if got := e.members("agents-named"); !equalStrings(got, before) {
		t.Errorf("members changed: %v, was %v", got, before)
	}
	if n := e.auditCount(); n != audits {
		t.Errorf("audit grew from %d to %d on refused input", audits, n)
	}
}

func TestRulesScopes(t *testing.T) {
	e := seedRules(t)
	plat := e.token("desk", store.ScopePlatform, 0)
	e.must(201, "POST", "/api/v1/rules", deskAgentsRule)
	if r := e.request("GET", "/api/v1/rules", plat, nil); r.Status != 200 {
		t.Errorf("platform GET rules: %d %s", r.Status, r)
	}
	if r := e.request("GET", "/api/v1/rules/desk-agents", plat, nil); r.Status != 200 {
		t.Errorf("platform GET rule: %d %s", r.Status, r)
	}
	for _, c := range []struct{ method, path, body string }{
		{"POST", "/api/v1/rules", strings.Replace(deskAgentsRule, "desk-agents", "other", 1)},
		{"POST", "/api/v1/rules/preview", deskAgentsRule},
		{"PUT", "/api/v1/rules/desk-agents", deskAgentsRule},
		{"DELETE", "/api/v1/rules/desk-agents", ""},
	} {
		var body any
		if c.body != "" {
			body = c.body
		}
		wantError(t, e.request(c.method, c.path, plat, body), 403, "forbidden", "-")
	}
	wantError(t, e.request("GET", "/api/v1/rules", "", nil), 401, "unauthorized", "-")
	e.must(200, "GET", "/api/v1/rules/desk-agents", nil)
}

// TestWritesAboutPeopleSettleRuleGrants: people created or changed through
// the API follow the rules at once, and a seat freed through the API goes
// to the grant waiting for it in the same call, not at the next pass.
func TestWritesAboutPeopleSettleRuleGrants(t *testing.T) {
	e := seedRules(t)
	e.must(201, "POST", "/api/v1/rules", deskAgentsRule) // bob and one more take the two free seats
	waiting := func() []string {
		var out []string
		for _, m := range e.members("agents-named") {
			if strings.HasSuffix(m, " pending") {
				out = append(out, m)
			}
		}
		return out
	}
	if w := waiting(); len(w) == 0 {
		t.Fatalf("nobody waits after the rule: %v", e.members("agents-named"))
	}
	// A joiner created through the API with a desk job code is planned at
	// once: the pool is full, so they wait too.
	e.must(201, "POST", "/api/v1/users", `{"user_name":"fay@example.com","job_code":"ITSD-1","department":"IT"}`)
	if !slices.Contains(e.members("agents-named"), "fay rule:desk-agents pending") {
		t.Fatalf("fay after her creation: %v", e.members("agents-named"))
	}
	// Revoking ann's manual seat gives it to the longest waiting grant.
	before := len(waiting())
	e.must(204, "DELETE", "/api/v1/pools/agents-named/members/ann@example.com", nil)
	if after := len(waiting()); after != before-1 {
		t.Fatalf("waiting %d → %d after a seat freed, want one fewer: %v", before, after, e.members("agents-named"))
	}
	// A larger pool seats the rest.
	e.must(200, "PUT", "/api/v1/pools/agents-named", `{"sku":"agent","model":"named","seats":10,"monthly_price":95}`)
	if w := waiting(); len(w) != 0 {
		t.Fatalf("still waiting after the pool grew: %v", w)
	}
}
