package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

// seedAccess: two named agent seats, ann holding one manually; a rule on
// job code, department and group that bob and cid match (dee and eve do
// not), so bob takes the last seat and cid waits; dee holds a live floating
// lease (a seat of the agent SKU, which the rule then leaves alone).
func seedAccess(t *testing.T) *testEnv {
	t.Helper()
	e := newTestEnv(t)
	e.seedDesk()
	e.must(200, "PUT", "/api/v1/pools/agents-named", `{"sku":"agent","model":"named","seats":2,"monthly_price":95}`)
	e.must(201, "PUT", "/api/v1/pools/agents-named/members/ann@example.com", nil)
	e.must(200, "PUT", "/api/v1/users/bob@example.com", `{"user_name":"bob@example.com","display_name":"Bob Ray","job_code":"ITSD-3","department":"IT","cost_center":"CC1","groups":["staff","desk-eu"],"active":true}`)
	for _, n := range []string{"dee", "eve"} {
		e.must(200, "PUT", "/api/v1/users/"+n+"@example.com", `{"user_name":"`+n+`@example.com","job_code":"HR-1","department":"HR","groups":["desk-eu"],"active":true}`)
	}
	e.must(201, "PUT", "/api/v1/pools/agents-floating/members/dee@example.com", nil)
	e.must(201, "POST", "/api/v1/sessions", `{"user":"dee@example.com"}`)
	e.must(201, "POST", "/api/v1/rules", `{"id":"desk-agents","when":{"job_code":["ITSD-*"],"department":["it"],"group":["DESK-EU"]},"grant":[{"sku":"agent","model":"named"}],"priority":10}`)
	return e
}

// review fetches the access review with query q and renders its rows as
// "user pool sku model state reason source why leases".
func (e *testEnv) review(q string) ([]string, accessReviewJSON) {
	e.t.Helper()
	var out accessReviewJSON
	e.must(200, "GET", "/api/v1/access-review"+q, nil).into(e.t, &out)
	var rows []string
	for _, r := range out.Rows {
		why, _ := json.Marshal(r.Why)
		var ls []string
		for _, l := range r.Leases {
			ls = append(ls, l.Pool)
		}
		rows = append(rows, fmt.Sprintf("%s %s %s %s %s %q %s %s %v", strings.TrimSuffix(r.UserName, "@example.com"), r.Pool, r.SKU, r.Model, r.State, r.Reason, r.Source, why, ls))
	}
	return rows, out
}

func wantRows(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\n got\n\t%s\nwant\n\t%s", what, strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
}

const (
	rowAnn     = `ann agents-named agent named active "" manual {"kind":"manual","granted_by":"token:admin"} []`
	rowBob     = `bob agents-named agent named active "" rule:desk-agents {"kind":"rule","rule":"desk-agents","rule_version":1,"matched":{"job_code":"ITSD-3","department":"IT","groups":["desk-eu"]}} []`
	rowCidWait = `cid agents-named agent named pending "pool_full" rule:desk-agents {"kind":"rule","rule":"desk-agents","rule_version":1,"matched":{"job_code":"ITSD-2","department":"IT","groups":["desk-eu"]}} []`
	rowDeeFlt  = `dee agents-floating agent concurrent active "" manual {"kind":"manual","granted_by":"token:admin"} [agents-floating]`
)

func TestAccessReview(t *testing.T) {
	e := seedAccess(t)
	all, out := e.review("")
	wantRows(t, "review", all, rowAnn, rowBob, rowCidWait, rowDeeFlt)
	if out.Next != "" {
		t.Errorf("next = %q on a short page", out.Next)
	}
	for _, r := range out.Rows {
		if r.UserID == "" || !r.Active || r.Since.IsZero() {
			t.Errorf("row %+v: want user id, active, since", r)
		}
	}
	if r := out.Rows[0]; r.DisplayName != "Ann Lee" {
		t.Errorf("ann's display_name = %q", r.DisplayName)
	}
	if l := out.Rows[3].Leases; len(l) != 1 || l[0].Since.IsZero() || !l[0].ExpiresAt.After(l[0].Since) {
		t.Errorf("dee's lease = %+v, want since < expires_at", l)
	}

	// Filters, each on its own.
	for _, tc := range []struct {
		q    string
		want []string
	}{
		{"?user=cid@example.com", []string{rowCidWait}},
		{"?user=" + out.Rows[0].UserID, []string{rowAnn}},
		{"?pool=agents-floating", []string{rowDeeFlt}},
		{"?sku=agent&state=active", []string{rowAnn, rowBob, rowDeeFlt}},
		{"?sku=change", nil},
		{"?state=pending", []string{rowCidWait}},
		{"?source=manual", []string{rowAnn, rowDeeFlt}},
		{"?source=rule", []string{rowBob, rowCidWait}},
		{"?source=rule:desk-agents&user=bob@example.com", []string{rowBob}},
		{"?source=scim-group", nil},
	} {
		got, _ := e.review(tc.q)
		wantRows(t, tc.q, got, tc.want...)
	}

	// Pages of one, by the next cursor, give the same rows in order.
	var paged []string
	q := "?limit=1"
	for range 10 {
		rows, page := e.review(q)
		paged = append(paged, rows...)
		if page.Next == "" {
			break
		}
		q = "?limit=1&after=" + url.QueryEscape(page.Next)
	}
	wantRows(t, "paged", paged, all...)

	// Readers may look; every look is audited.
	platform := e.token("auditor", store.ScopePlatform, 0)
	if r := e.request("GET", "/api/v1/access-review?state=pending", platform, nil); r.Status != 200 {
		t.Fatalf("platform review: %d %s", r.Status, r)
	}
	last := e.lastAudit(1)[0]
	if last["action"] != "report.view" || last["subject"] != "report:access-review" || last["actor"] != "token:auditor" || !strings.Contains(fmt.Sprint(last["detail"]), `"state":"pending"`) {
		t.Errorf("last audit entry = %v, want report.view of report:access-review by token:auditor", last)
	}

	// A leaver disappears from the holders at once, and the seat bob
	// leaves goes to cid, who was waiting for it.
	e.must(200, "PUT", "/api/v1/users/bob@example.com", `{"user_name":"bob@example.com","job_code":"ITSD-3","department":"IT","groups":["desk-eu"],"active":false}`)
	got, _ := e.review("")
	rowCidSeated := `cid agents-named agent named active "seat_freed" rule:desk-agents {"kind":"rule","rule":"desk-agents","rule_version":1,"matched":{"job_code":"ITSD-2","department":"IT","groups":["desk-eu"]}} []`
	wantRows(t, "after bob left", got, rowAnn, rowCidSeated, rowDeeFlt)
	if got, _ := e.review("?user=bob@example.com"); len(got) != 0 {
		t.Errorf("bob still holds %v", got)
	}
}

// TestAccessReviewRuleChanges: rule_version follows updates, and a seat
// whose rule is gone still says which rule (and version) granted it.
func TestAccessReviewRuleChanges(t *testing.T) {
	e := seedAccess(t)
	e.must(200, "PUT", "/api/v1/rules/desk-agents", `{"when":{"job_code":["ITSD-3"]},"grant":[{"sku":"agent","model":"named"}],"priority":10}`)
	got, _ := e.review("?user=bob@example.com")
	wantRows(t, "after update", got, `bob agents-named agent named active "" rule:desk-agents {"kind":"rule","rule":"desk-agents","rule_version":2,"matched":{"job_code":"ITSD-3"}} []`)

	// A deleted rule, explained from its last body, as when a grant
	// outlives it until reconciliation (left behind here by the store).
	rec, err := e.st.GetRule(context.Background(), "desk-agents")
	if err != nil {
		t.Fatal(err)
	}
	rec.ID = "old-rule"
	if _, err := e.st.CreateRule(context.Background(), licensing.System("test"), rec); err != nil {
		t.Fatal(err)
	}
	if err := e.st.DeleteRule(context.Background(), licensing.System("test"), "old-rule"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.st.PutMember(context.Background(), licensing.System("test"), "agents-floating", "bob@example.com", "rule:old-rule"); err != nil {
		t.Fatal(err)
	}
	got, _ = e.review("?user=bob@example.com&pool=agents-floating")
	wantRows(t, "deleted rule", got, `bob agents-floating agent concurrent active "" rule:old-rule {"kind":"rule","rule":"old-rule","rule_version":1,"rule_deleted":true,"matched":{"job_code":"ITSD-3"}} []`)
}

func TestPendingGrants(t *testing.T) {
	e := seedAccess(t)
	var out pendingJSON
	e.must(200, "GET", "/api/v1/pending", nil).into(t, &out)
	if len(out.Pending) != 1 || len(out.Pools) != 1 {
		t.Fatalf("pending = %+v, want cid waiting on agents-named", out)
	}
	p := out.Pending[0]
	if p.UserName != "cid@example.com" || p.UserID == "" || p.Pool != "agents-named" || p.SKU != "agent" || p.Source != "rule:desk-agents" || p.Reason != "pool_full" || p.Since.IsZero() {
		t.Errorf("pending grant = %+v", p)
	}
	if out.Pools[0] != (pendingPoolJSON{Pool: "agents-named", Pending: 1}) {
		t.Errorf("pools = %+v", out.Pools)
	}
	if r := e.must(200, "GET", "/metrics", nil); !strings.Contains(string(r.Body), "seatkeeper_pool_pending_grants{pool=\"agents-named\"} 1\n") ||
		!strings.Contains(string(r.Body), "seatkeeper_pool_pending_grants{pool=\"agents-floating\"} 0\n") {
		t.Errorf("metrics lack the pending rule grant:\n%s", grepLines(string(r.Body), "pending"))
	}

	// Bob leaves, the rule is re-applied: cid gets his seat, nobody waits.
	e.must(200, "PUT", "/api/v1/users/bob@example.com", `{"user_name":"bob@example.com","active":false}`)
	e.must(200, "PUT", "/api/v1/rules/desk-agents", `{"when":{"job_code":["ITSD-*"]},"grant":[{"sku":"agent","model":"named"}],"priority":10}`)
	if got, _ := e.review("?pool=agents-named"); len(got) != 2 || !strings.HasPrefix(got[1], "cid agents-named agent named active") {
		t.Errorf("agents-named after bob left = %v, want ann and cid active", got)
	}
	e.must(200, "GET", "/api/v1/pending", nil).into(t, &out)
	if len(out.Pending) != 0 || len(out.Pools) != 0 {
		t.Errorf("pending after a seat freed = %+v", out)
	}
	if r := e.must(200, "GET", "/metrics", nil); !strings.Contains(string(r.Body), "seatkeeper_pool_pending_grants{pool=\"agents-named\"} 0\n") {
		t.Errorf("metrics still count a pending grant:\n%s", grepLines(string(r.Body), "pending"))
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestProvisioningEvents(t *testing.T) {
	e := newTestEnv(t)
	e.seedDesk()
	ctx, sys := context.Background(), licensing.System("scim")
	ann, err := e.st.GetUser(ctx, "ann@example.com")
	if err != nil {
		t.Fatal(err)
	}
	bob, err := e.st.GetUser(ctx, "bob@example.com")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	done, err := e.st.RecordProvisioning(ctx, sys, ann.ID, "deactivate", at)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.st.CompleteProvisioning(ctx, sys, done, at.Add(42*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.RecordProvisioning(ctx, sys, bob.ID, "delete", at.Add(time.Second)); err != nil {
		t.Fatal(err)
	}

	type event struct {
		ID          int64      `json:"id"`
		UserID      string     `json:"user_id"`
		Kind        string     `json:"kind"`
		ReceivedAt  time.Time  `json:"received_at"`
		CompletedAt *time.Time `json:"completed_at"`
		DurationMS  *int64     `json:"duration_ms"`
	}
	var out struct {
		Events []event `json:"events"`
	}
	e.must(200, "GET", "/api/v1/provisioning?user=ann@example.com", nil).into(t, &out)
	if len(out.Events) != 1 {
		t.Fatalf("ann's events = %+v, want 1", out.Events)
	}
	ev := out.Events[0]
	if ev.ID != done || ev.UserID != ann.ID || ev.Kind != "deactivate" || !ev.ReceivedAt.Equal(at) || ev.CompletedAt == nil || !ev.CompletedAt.Equal(at.Add(42*time.Millisecond)) || ev.DurationMS == nil || *ev.DurationMS != 42 {
		t.Errorf("ann's event = %+v", ev)
	}

	// Everyone's, oldest first; bob's is still in progress. After bob is
	// deleted, his id still finds it.
	e.must(200, "GET", "/api/v1/provisioning", nil).into(t, &out)
	if len(out.Events) != 2 || out.Events[1].UserID != bob.ID || out.Events[1].CompletedAt != nil || out.Events[1].DurationMS != nil {
		t.Errorf("all events = %+v", out.Events)
	}
	e.must(204, "DELETE", "/api/v1/users/bob@example.com", nil)
	e.must(200, "GET", "/api/v1/provisioning?user="+bob.ID, nil).into(t, &out)
	if len(out.Events) != 1 || out.Events[0].Kind != "delete" {
		t.Errorf("deleted bob's events = %+v", out.Events)
	}
	wantError(t, e.call("GET", "/api/v1/provisioning?user=bob@example.com", nil), 404, "not_found", "user")
}

// accessAnswers exercises the access-review, pending and provisioning
// operations for TestOpenAPIAnswersConform (and TestAccessOpenAPI).
func accessAnswers(t *testing.T, e *testEnv, call func(op, path string, body any, hdr ...string) reply, check func(op string, r reply) reply, platformTok string) {
	t.Helper()
	call("GET /api/v1/access-review", "/api/v1/access-review", nil)
	call("GET /api/v1/access-review", "/api/v1/access-review?limit=1&source=manual", nil)
	call("GET /api/v1/access-review", "/api/v1/access-review?state=gone", nil) // 400
	check("GET /api/v1/access-review", e.request("GET", "/api/v1/access-review?state=pending", platformTok, nil))
	check("GET /api/v1/pending", e.request("GET", "/api/v1/pending", platformTok, nil))
	call("GET /api/v1/provisioning", "/api/v1/provisioning", nil)
	call("GET /api/v1/provisioning", "/api/v1/provisioning?user=nobody", nil) // 404
	call("GET /api/v1/access-review", "/api/v1/access-review?pool=nope", nil) // 404
}

// TestAccessOpenAPI checks this file's operations against the document:
// schemas against the Go types, answers (rich ones: rules, pending
// grants, leases, a finished provisioning event) against the schemas.
func TestAccessOpenAPI(t *testing.T) {
	e := seedAccess(t)
	doc := loadDoc(t, e)
	schemas := digMap(doc, "components", "schemas")
	for name, typ := range map[string]any{"AccessReview": accessReviewJSON{}, "AccessRow": accessRowJSON{}, "AccessWhy": whyJSON{}, "AccessMatched": matchedJSON{},
		"LiveLease": liveLeaseJSON{}, "PendingGrants": pendingJSON{}, "PendingGrant": pendingGrantJSON{}, "PendingPool": pendingPoolJSON{}, "ProvisioningEvent": provisioningJSON{}} {
		s, _ := schemas[name].(map[string]any)
		if got, want := keys(digMap(s, "properties")), jsonNames(reflect.TypeOf(typ)); !sameSet(got, want) || s["additionalProperties"] != false {
			t.Errorf("schema %s: properties %v, want %v (json tags of %T), additionalProperties false", name, got, want, typ)
		}
	}

	ann, err := e.st.GetUser(context.Background(), "ann@example.com")
	if err != nil {
		t.Fatal(err)
	}
	id, err := e.st.RecordProvisioning(context.Background(), licensing.System("scim"), ann.ID, "deactivate", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := e.st.CompleteProvisioning(context.Background(), licensing.System("scim"), id, time.Now()); err != nil {
		t.Fatal(err)
	}
	hit := map[string]int{}
	check := func(op string, r reply) reply {
		t.Helper()
		method, path, _ := strings.Cut(op, " ")
		resp := digMap(doc, "paths", path, strings.ToLower(method), "responses")[strconv.Itoa(r.Status)]
		if resp == nil {
			t.Errorf("%s answered %d, not in the document; body %s", op, r.Status, r)
			return r
		}
		var v any
		if err := json.Unmarshal(r.Body, &v); err != nil {
			t.Fatalf("%s: %v", op, err)
		}
		schema := digMap(resolve(t, doc, resp), "content", "application/json", "schema")
		for _, p := range validate(t, doc, "", v, schema) {
			t.Errorf("%s %d: %s; body %s", op, r.Status, p, r)
		}
		hit[op]++
		return r
	}
	call := func(op, path string, body any, hdr ...string) reply {
		t.Helper()
		method, _, _ := strings.Cut(op, " ")
		return check(op, e.call(method, path, body, hdr...))
	}
	accessAnswers(t, e, call, check, e.token("reader", store.ScopePlatform, 0))
	if len(hit) != 3 {
		t.Errorf("operations exercised: %v", hit)
	}
}
