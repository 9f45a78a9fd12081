package api

import (
	"net/url"
	"testing"
)

// TestIdentityLookAlikes (issue 10, part 3): a key with an invisible
// character is refused, a full-width or differently cased look-alike names
// the same person — in user writes, lookups and the acting-user header.
func TestIdentityLookAlikes(t *testing.T) {
	e := newTestEnv(t)
	e.seedDesk()
	e.must(201, "PUT", "/api/v1/pools/agents-named/members/ann@example.com", nil)
	hub := e.newIntegration("hub", "enforce")
	before := e.auditCount()

	for _, tc := range []struct{ body, field string }{
		{`{"user_name":"ann\u200b@example.com","kind":"person"}`, "user_name"},
		{`{"user_name":"ann2@example.com","email":"ann\u200b@example.com","kind":"person"}`, "email"},
		{`{"user_name":"ann3@example.com","employee_id":"E100\u202e","kind":"person"}`, "employee_id"},
		{`{"user_name":"ann4@example.com","external_id":"x\u0000","kind":"person"}`, "external_id"},
	} {
		wantError(t, e.call("POST", "/api/v1/users", tc.body), 400, "invalid_request", tc.field)
	}
	for _, tc := range []struct{ body, field string }{
		{`{"user_name":"ａｎｎ@example.com","kind":"person"}`, "user_name"},
		{`{"user_name":"ANN@EXAMPLE.COM","kind":"person"}`, "user_name"},
		{`{"user_name":"other@example.com","email":"ＡＮＮ@example.com","kind":"person"}`, "email"},
		{`{"user_name":"other2@example.com","employee_id":"Ｅ１００","kind":"person"}`, "employee_id"},
	} {
		wantError(t, e.call("POST", "/api/v1/users", tc.body), 409, "conflict", tc.field)
	}
	if n := e.auditCount(); n != before {
		t.Errorf("refused writes added %d audit entries, want none", n-before)
	}

	var u struct {
		UserName string `json:"user_name"`
	}
	e.must(200, "GET", "/api/v1/users/"+url.PathEscape("ａｎｎ@ＥＸＡＭＰＬＥ.com"), nil).into(t, &u)
	if u.UserName != "ann@example.com" {
		t.Errorf("lookup by a full-width key found %q, want ann@example.com", u.UserName)
	}

	// The acting-user header: a look-alike is the same person, an invisible
	// character is refused before anything is resolved or recorded.
	var d decisionOut
	e.request("POST", "/api/v1/decide", hub.Token, `{"capability":"ticket.transition"}`, "Seatkeeper-Acting-User", "ＡＮＮ@example.com").into(t, &d)
	if !d.Allow || d.Via == nil || d.Via.Pool != "agents-named" {
		t.Errorf("decide for a full-width acting user = %+v, want ann's named seat", d)
	}
	r := e.request("POST", "/api/v1/decide", hub.Token, `{"capability":"ticket.transition"}`, "Seatkeeper-Acting-User", "ann\u200b@example.com")
	wantError(t, r, 400, "invalid_request", "Seatkeeper-Acting-User")
}
