package scimserver_test

import (
	"net/http"
	"testing"
)

// TestSCIMSharedKeysAndLateManagers (issue 11, parts 2–4): only userName is
// unique; an email or externalId another person has is stored; a
// placeholder email is stored as sent; a manager not provisioned yet is kept
// as sent and resolves when they arrive.
func TestSCIMSharedKeysAndLateManagers(t *testing.T) {
	e := newEnv(t)
	const ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	user := func(name, email, ext string, extra map[string]any) map[string]any {
		b := map[string]any{
			"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User", ent}, "userName": name, "externalId": ext,
			"emails": []map[string]any{{"value": email, "type": "work", "primary": true}},
		}
		for k, v := range extra {
			b[k] = v
		}
		return b
	}
	e.do("POST", "/Users", user("ann@example.com", "team@example.com", "ext-shared", nil)).must(t, http.StatusCreated)
	e.do("POST", "/Users", user("bob@example.com", "TEAM@example.com", "ext-shared", nil)).must(t, http.StatusCreated)
	// The user name stays unique (any case).
	if r := e.do("POST", "/Users", user("ANN@example.com", "x@example.com", "x", nil)); r.Status != http.StatusConflict || r.Body["scimType"] != "uniqueness" {
		t.Errorf("duplicate userName: %d %s, want 409 uniqueness", r.Status, r.Raw)
	}
	// A placeholder email, as validators send, is stored as sent.
	p := e.do("POST", "/Users", user("cy@example.com", "not an email", "", nil)).must(t, http.StatusCreated)
	if got := get(p.Body, "emails", 0, "value"); got != "not an email" {
		t.Errorf("placeholder email answered as %v, want it as sent", got)
	}
	// A manager who is not there yet.
	d := e.do("POST", "/Users", user("dee@example.com", "dee@example.com", "ext-dee", map[string]any{ent: map[string]any{"manager": map[string]any{"value": "ext-boss"}}})).must(t, http.StatusCreated)
	if got := get(d.Body, ent, "manager", "value"); got != "ext-boss" {
		t.Errorf("unprovisioned manager answered as %v, want the reference as sent", got)
	}
	boss := e.user(user("boss@example.com", "boss@example.com", "ext-boss", nil))
	got := e.do("GET", "/Users/"+d.Body["id"].(string), nil).must(t, http.StatusOK)
	if v := get(got.Body, ent, "manager", "value"); v != boss {
		t.Errorf("after the manager arrived manager.value = %v, want %s", v, boss)
	}
}
