package api

import (
	"reflect"
	"testing"
)

const poolChangeJSON = `{"id":"change-mgmt","sku":"change","model":"named","seats":5,"monthly_price":30}`

// TestModuleWithoutFulfillerWarns: granting a module seat to someone
// without a seat of the fulfiller SKU it requires succeeds with a warning,
// and the report lists them until they get one.
func TestModuleWithoutFulfillerWarns(t *testing.T) {
	e := newTestEnv(t)
	e.seedDesk()
	e.must(201, "POST", "/api/v1/pools", poolChangeJSON)
	type answer struct {
		User     string `json:"user"`
		State    string `json:"state"`
		Warnings []struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"warnings"`
	}

	// bob holds no agent seat: the module is granted, with the warning.
	var a answer
	e.must(201, "PUT", "/api/v1/pools/change-mgmt/members/bob@example.com", nil).into(t, &a)
	if a.User != "bob@example.com" || a.State != "active" || len(a.Warnings) != 1 || a.Warnings[0].Code != WarnModuleWithoutFulfiller ||
		a.Warnings[0].Message == "" {
		t.Errorf("module seat for bob = %+v, want granted with one %s warning", a, WarnModuleWithoutFulfiller)
	}
	// Repeating it (nothing changes) still warns: the gap is still there.
	a = answer{}
	if e.must(200, "PUT", "/api/v1/pools/change-mgmt/members/bob@example.com", nil).into(t, &a); len(a.Warnings) != 1 {
		t.Errorf("repeated module seat for bob = %+v, want the warning again", a)
	}
	// ann holds the agent seat first: no warning; nor for a fulfiller seat.
	a = answer{}
	if e.must(201, "PUT", "/api/v1/pools/agents-named/members/ann@example.com", nil).into(t, &a); len(a.Warnings) != 0 {
		t.Errorf("agent seat for ann = %+v, want no warning", a)
	}
	a = answer{}
	if e.must(201, "PUT", "/api/v1/pools/change-mgmt/members/ann@example.com", nil).into(t, &a); len(a.Warnings) != 0 {
		t.Errorf("module seat for ann, who holds the agent seat = %+v, want no warning", a)
	}

	var gaps struct {
		Gaps []moduleGapJSON `json:"gaps"`
	}
	e.must(200, "GET", "/api/v1/reports/module-gaps", nil).into(t, &gaps)
	if len(gaps.Gaps) != 1 || gaps.Gaps[0].User != "bob@example.com" || gaps.Gaps[0].Pool != "change-mgmt" || gaps.Gaps[0].SKU != "change" ||
		!reflect.DeepEqual(gaps.Gaps[0].Missing, []string{"agent"}) || gaps.Gaps[0].Source != "manual" {
		t.Errorf("module gaps = %+v, want bob missing agent on change-mgmt", gaps)
	}
	// A registration for the concurrent agent pool closes bob's gap.
	e.must(201, "PUT", "/api/v1/pools/agents-floating/members/bob@example.com", nil)
	gaps.Gaps = nil
	if e.must(200, "GET", "/api/v1/reports/module-gaps", nil).into(t, &gaps); len(gaps.Gaps) != 0 {
		t.Errorf("module gaps after bob's registration = %+v, want none", gaps)
	}
	wantError(t, e.call("GET", "/api/v1/reports/module-gaps?pool=x", nil), 400, "invalid_request", "pool")
}

// moduleGapAnswers exercises this file's routes for TestOpenAPIAnswersConform
// (the SKUs and pools of its run exist; the change module requires agent).
func moduleGapAnswers(t *testing.T, e *testEnv, call func(op, path string, body any, hdr ...string) reply, check func(op string, r reply) reply, platformTok string) {
	t.Helper()
	call("POST /api/v1/pools", "/api/v1/pools", poolChangeJSON)
	call("PUT /api/v1/pools/{pool}/members/{user}", "/api/v1/pools/change-mgmt/members/cid@example.com", nil) // with a warning
	call("GET /api/v1/reports/module-gaps", "/api/v1/reports/module-gaps", nil)
	check("GET /api/v1/reports/module-gaps", e.request("GET", "/api/v1/reports/module-gaps", platformTok, nil))
	call("GET /api/v1/reports/module-gaps", "/api/v1/reports/module-gaps?x=1", nil) // 400
	call("DELETE /api/v1/pools/{pool}/members/{user}", "/api/v1/pools/change-mgmt/members/cid@example.com", nil)
	call("DELETE /api/v1/pools/{pool}", "/api/v1/pools/change-mgmt", nil)
}

// TestModuleGapSchemas checks this file's schemas against the Go types.
func TestModuleGapSchemas(t *testing.T) {
	e := newTestEnv(t)
	schemas := digMap(loadDoc(t, e), "components", "schemas")
	for name, typ := range map[string]any{"Warning": warningJSON{}, "MemberGrant": memberAnswer{}, "ModuleGap": moduleGapJSON{}} {
		s, _ := schemas[name].(map[string]any)
		if got, want := keys(digMap(s, "properties")), jsonNames(reflect.TypeOf(typ)); !sameSet(got, want) || s["additionalProperties"] != false {
			t.Errorf("schema %s: properties %v, want %v (json tags of %T), additionalProperties false", name, got, want, typ)
		}
	}
}
