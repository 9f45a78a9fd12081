package api

import (
	"context"
	"reflect"
	"slices"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

// group creates a SCIM group through the store (the SCIM endpoint is not
// what this file tests).
func (e *testEnv) group(name string, members ...string) store.Group {
	e.t.Helper()
	g, err := e.st.CreateGroup(context.Background(), licensing.System("test"), store.Group{DisplayName: name, Members: members})
	if err != nil {
		e.t.Fatalf("CreateGroup(%s): %v", name, err)
	}
	return g
}

func changeUsers(cs []ruleChangeJSON) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.User + "/" + c.Reason
	}
	slices.Sort(out)
	return out
}

// TestGroupGrants: assigning a pool to a SCIM group seats its members at
// once (pending when the pool is full), leaves a manual seat alone, and
// taking the pool away revokes only the group's seats.
func TestGroupGrants(t *testing.T) {
	e := newTestEnv(t)
	e.seedDesk()
	e.must(201, "POST", "/api/v1/pools", `{"id":"night","sku":"agent","model":"named","seats":2}`)
	e.must(201, "PUT", "/api/v1/pools/night/members/dee@example.com", nil)
	g := e.group("night-shift", "bob@example.com", "cid@example.com", "dee@example.com")

	var res groupGrantResultJSON
	e.must(201, "PUT", "/api/v1/pools/night/groups/Night-Shift", nil).into(t, &res)
	if res.Grant.Group != "night-shift" || res.Grant.GroupID != g.ID || res.Grant.Pool != "night" || res.Grant.SKU != "agent" || res.Grant.GrantedBy != "token:admin" {
		t.Errorf("grant = %+v", res.Grant)
	}
	// dee holds a seat by hand; bob and cid share the last one.
	if len(res.Gains) != 1 || len(res.Pending) != 1 || res.Pending[0].Reason != "pool_full" || len(res.Losses)+len(res.Relabels) != 0 {
		t.Fatalf("PUT answered %+v; want one gain and one pool_full", res)
	}
	if res.Gains[0].Rule != "scim-group:night-shift" || res.Gains[0].Pool != "night" {
		t.Errorf("gain = %+v, want from scim-group:night-shift on night", res.Gains[0])
	}
	if want := []overflowJSON{{Pool: "night", ShortBy: 1}}; !reflect.DeepEqual(res.Overflows, want) {
		t.Errorf("overflows = %+v, want %+v", res.Overflows, want)
	}
	holder, waiter := res.Gains[0].User, res.Pending[0].User

	var members struct {
		Members []memberJSON `json:"members"`
	}
	e.must(200, "GET", "/api/v1/pools/night/members", nil).into(t, &members)
	got := map[string]string{}
	for _, m := range members.Members {
		got[m.User] = m.State + " " + m.Source
	}
	want := map[string]string{holder: "active scim-group:night-shift", waiter: "pending scim-group:night-shift", "dee@example.com": "active manual"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("members = %v, want %v", got, want)
	}

	var list struct {
		Groups []groupGrantJSON `json:"groups"`
	}
	e.must(200, "GET", "/api/v1/pools/night/groups", nil).into(t, &list)
	if len(list.Groups) != 1 || list.Groups[0] != res.Grant {
		t.Errorf("GET groups = %+v, want [%+v]", list.Groups, res.Grant)
	}
	// Repeating the PUT changes no seat; the waiter is still reported.
	var again groupGrantResultJSON
	e.must(200, "PUT", "/api/v1/pools/night/groups/"+g.ID, `{}`).into(t, &again)
	if again.Grant != res.Grant || len(again.Gains)+len(again.Losses)+len(again.Relabels) != 0 || !reflect.DeepEqual(again.Pending, res.Pending) {
		t.Errorf("PUT again = %+v, want the same grant and waiter, no change", again)
	}

	// Taking the pool away: the group's seat and wait go, dee's stays.
	var del groupGrantResultJSON
	e.must(200, "DELETE", "/api/v1/pools/night/groups/night-shift", nil).into(t, &del)
	want2 := []string{holder + "/not_entitled", waiter + "/not_entitled"}
	slices.Sort(want2)
	if got := changeUsers(del.Losses); !slices.Equal(got, want2) {
		t.Errorf("DELETE losses = %v, want %v", got, want2)
	}
	e.must(200, "GET", "/api/v1/pools/night/members", nil).into(t, &members)
	if len(members.Members) != 1 || members.Members[0].User != "dee@example.com" || members.Members[0].Source != "manual" {
		t.Errorf("members after DELETE = %+v, want dee's manual seat only", members.Members)
	}
	e.must(200, "GET", "/api/v1/pools/night/groups", nil).into(t, &list)
	if len(list.Groups) != 0 {
		t.Errorf("GET groups after DELETE = %+v", list.Groups)
	}
	wantError(t, e.call("DELETE", "/api/v1/pools/night/groups/night-shift", nil), 404, "not_found", "-")
	actions := map[string]bool{}
	for _, a := range e.lastAudit(20) {
		actions[a["action"].(string)] = true
	}
	for _, a := range []string{"group_grant.create", "group_grant.delete", "rule.grant", "rule.revoke"} {
		if !actions[a] {
			t.Errorf("audit lacks %s among %v", a, actions)
		}
	}
}

// TestGroupGrantSchemas checks the OpenAPI schemas of this file's shapes
// against their Go JSON tags.
func TestGroupGrantSchemas(t *testing.T) {
	e := newTestEnv(t)
	schemas := digMap(loadDoc(t, e), "components", "schemas")
	for name, typ := range map[string]any{"GroupGrant": groupGrantJSON{}, "GroupGrantResult": groupGrantResultJSON{}} {
		s, ok := schemas[name].(map[string]any)
		if !ok {
			t.Fatalf("components.schemas.%s missing", name)
		}
		if got, want := keys(s["properties"].(map[string]any)), jsonNames(reflect.TypeOf(typ)); !sameSet(got, want) {
			t.Errorf("%s properties %v, want %v", name, got, want)
		}
		if s["additionalProperties"] != false {
			t.Errorf("%s additionalProperties = %v, want false", name, s["additionalProperties"])
		}
	}
}

// groupGrantAnswers exercises the group grant operations for
// TestOpenAPIAnswersConform, on a pool and group of their own.
func groupGrantAnswers(t *testing.T, e *testEnv, call func(op, path string, body any, hdr ...string) reply, check func(op string, r reply) reply, platformTok string) {
	t.Helper()
	call("POST /api/v1/pools", "/api/v1/pools", `{"id":"grp-named","sku":"agent","model":"named","seats":1}`)
	e.group("grp-test", "bob@example.com", "cid@example.com")
	call("PUT /api/v1/pools/{pool}/groups/{group}", "/api/v1/pools/grp-named/groups/grp-test", nil)
	call("PUT /api/v1/pools/{pool}/groups/{group}", "/api/v1/pools/grp-named/groups/grp-test", `{}`)
	call("PUT /api/v1/pools/{pool}/groups/{group}", "/api/v1/pools/grp-named/groups/nobody", nil)                                   // 404
	call("PUT /api/v1/pools/{pool}/groups/{group}", "/api/v1/pools/grp-named/groups/grp-test", `{"x":1}`)                           // 400
	check("PUT /api/v1/pools/{pool}/groups/{group}", e.request("PUT", "/api/v1/pools/grp-named/groups/grp-test", platformTok, nil)) // 403
	call("GET /api/v1/pools/{pool}/groups", "/api/v1/pools/grp-named/groups", nil)
	call("GET /api/v1/pools/{pool}/groups", "/api/v1/pools/nope/groups", nil) // 404
	call("DELETE /api/v1/pools/{pool}/groups/{group}", "/api/v1/pools/grp-named/groups/grp-test", nil)
	call("DELETE /api/v1/pools/{pool}/groups/{group}", "/api/v1/pools/grp-named/groups/grp-test", nil) // 404
	call("DELETE /api/v1/pools/{pool}", "/api/v1/pools/grp-named", nil)
}
