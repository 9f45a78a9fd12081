package scimserver_test

import (
	"net/http"
	"net/url"
	"testing"
)

// TestSCIMIdentityLookAlikes (issue 10, part 3): through SCIM too, an
// invisible character is refused and a look-alike is the same person.
func TestSCIMIdentityLookAlikes(t *testing.T) {
	e := newEnv(t)
	id := e.user(map[string]any{"userName": "agent@example.com", "externalId": "ext-1"})
	before := e.auditCount()
	for _, name := range []string{"agent\u200b@example.com", "agent\u202e@example.com", "\ufeffagent@example.com"} {
		r := e.do("POST", "/Users", map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": name})
		if r.Status != http.StatusBadRequest || r.Body["scimType"] != "invalidValue" {
			t.Errorf("create %q: %d %s, want 400 invalidValue", name, r.Status, r.Raw)
		}
	}
	for _, name := range []string{"ａｇｅｎｔ@example.com", "AGENT@EXAMPLE.COM"} {
		r := e.do("POST", "/Users", map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": name})
		if r.Status != http.StatusConflict || r.Body["scimType"] != "uniqueness" {
			t.Errorf("create look-alike %q: %d %s, want 409 uniqueness", name, r.Status, r.Raw)
		}
	}
	if n := e.auditCount(); n != before {
		t.Errorf("refused creates wrote %d audit entries, want none", n-before)
	}
	r := e.list("/Users", url.Values{"filter": {`userName eq "ＡＧＥＮＴ@example.com"`}}).must(t, http.StatusOK)
	if r.Body["totalResults"] != float64(1) || get(r.Body, "Resources", 0, "id") != id {
		t.Errorf("filter by a full-width userName = %s, want agent", r.Raw)
	}
}
