package api

import (
	"net/url"
	"slices"
	"strings"
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
	// The user name is the unique key: its look-alikes are refused.
	for _, body := range []string{
		`{"user_name":"ａｎｎ@example.com","kind":"person"}`,
		`{"user_name":"ANN@EXAMPLE.COM","kind":"person"}`,
	} {
		wantError(t, e.call("POST", "/api/v1/users", body), 409, "conflict", "user_name")
	}
	if n := e.auditCount(); n != before {
		t.Errorf("refused writes added %d audit entries, want none", n-before)
	}
	// Other keys may be shared (issue 11): a look-alike is the same key.
	e.must(201, "POST", "/api/v1/users", `{"user_name":"other2@example.com","employee_id":"Ｅ１００","kind":"person"}`)

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
	// A shared key names nobody: refused with the candidates' count.
	r = e.request("POST", "/api/v1/decide", hub.Token, `{"capability":"ticket.transition"}`, "Seatkeeper-Acting-User", "e100")
	if got := wantError(t, r, 409, "ambiguous_identity", "Seatkeeper-Acting-User"); !strings.Contains(got.Error.Message, "2 people") {
		t.Errorf("ambiguous acting user message %q, want the count", got.Error.Message)
	}
	// ... and it shows in the multiplexing report as unresolved.
	var rep reportJSON
	e.must(200, "GET", "/api/v1/reports/multiplexing", nil).into(t, &rep)
	found := false
	for _, u := range rep.Integrations {
		if u.Integration == "hub" && u.UnknownActing == 1 && slices.Contains(u.UnknownValues, "e100") {
			found = true
		}
	}
	if !found {
		t.Errorf("multiplexing report %+v lacks hub's unresolved acting user e100", rep.Integrations)
	}
}
