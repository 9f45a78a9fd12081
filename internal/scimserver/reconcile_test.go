package scimserver_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// apiCall calls the JSON API with the admin token.
func (e *env) apiCall(method, path string, body any) {
	e.t.Helper()
	j, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, e.srv.URL+path, bytes.NewReader(j))
	req.Header.Set("Authorization", "Bearer "+e.admin)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode >= 300 {
		e.t.Fatalf("%s %s: status %d", method, path, res.StatusCode)
	}
}

// holdings returns pool -> "state source" for a person.
func (e *env) holdings(userID string) map[string]string {
	e.t.Helper()
	p, err := e.st.LoadPerson(e.t.Context(), userID)
	if err != nil {
		e.t.Fatalf("LoadPerson: %v", err)
	}
	out := map[string]string{}
	for _, m := range p.Members {
		out[m.Pool] = m.State + " " + m.Source
	}
	return out
}

// TestReconcileOnSCIMChanges: every SCIM create, update, group change and
// deactivation reconciles the person against the rules; a full pool leaves
// the grant pending, and it is granted when a seat frees.
func TestReconcileOnSCIMChanges(t *testing.T) { bothStores(t, testReconcileOnSCIMChanges) }

func testReconcileOnSCIMChanges(t *testing.T, e *env) {
	e.apiCall("POST", "/api/v1/skus", map[string]any{"key": "agent", "name": "Agent", "tier": "fulfiller"})
	e.apiCall("POST", "/api/v1/skus", map[string]any{"key": "change", "name": "Change", "tier": "module", "requires": []string{"agent"}})
	e.apiCall("POST", "/api/v1/pools", map[string]any{"id": "desk", "sku": "agent", "model": "named", "seats": 1})
	e.apiCall("POST", "/api/v1/pools", map[string]any{"id": "cab", "sku": "change", "model": "named", "seats": 5})
	e.apiCall("POST", "/api/v1/rules", map[string]any{"id": "desk-agents", "when": map[string]any{"job_code": []string{"ITSD-*"}}, "grant": []any{map[string]any{"sku": "agent", "model": "named"}}, "priority": 10})
	e.apiCall("POST", "/api/v1/rules", map[string]any{"id": "cab-members", "when": map[string]any{"group": []string{"Change Board"}}, "grant": []any{map[string]any{"sku": "change", "model": "named"}}, "priority": 5})

	// Create: a joiner with a desk job code gets the seat on day one.
	ann := e.user(map[string]any{"userName": "ann@example.com", seatkeeperURN: map[string]any{"jobCode": "ITSD-2"}})
	if got := e.holdings(ann)["desk"]; got != "active rule:desk-agents" {
		t.Fatalf("after create ann holds %q", got)
	}
	// The pool is full: the next joiner waits, pending with a reason.
	bob := e.user(map[string]any{"userName": "bob@example.com", seatkeeperURN: map[string]any{"jobCode": "ITSD-1"}})
	if got := e.holdings(bob)["desk"]; got != "pending rule:desk-agents" {
		t.Fatalf("bob holds %q, want pending", got)
	}
	pend, err := e.st.PendingMembers(t.Context())
	if err != nil || len(pend) != 1 || pend[0].Reason == "" {
		t.Fatalf("pending %+v, %v", pend, err)
	}

	// Update: ann changes job; her seat goes, and (filled by the next
	// reconciliation of pending grants) bob gets it.
	patch := func(id string, ops ...any) {
		t.Helper()
		e.do("PATCH", "/Users/"+id, map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"}, "Operations": ops}).must(t, http.StatusOK)
	}
	patch(ann, map[string]any{"op": "replace", "path": seatkeeperURN + ":jobCode", "value": "HR-1"})
	if got := e.holdings(ann)["desk"]; got != "" {
		t.Fatalf("after the job change ann holds %q", got)
	}
	if got := e.holdings(bob)["desk"]; got != "active rule:desk-agents" {
		t.Fatalf("after ann's seat freed bob holds %q, want the pending grant filled", got)
	}

	// Group change: joining the change board grants the module, leaving
	// takes it away.
	g := e.do("POST", "/Groups", map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"}, "displayName": "Change Board",
		"members": []any{map[string]any{"value": ann}}}).must(t, http.StatusCreated)
	gid := g.Body["id"].(string)
	if got := e.holdings(ann)["cab"]; got != "active rule:cab-members" {
		t.Fatalf("after joining the group ann holds %q", got)
	}
	e.do("PATCH", "/Groups/"+gid, map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []any{map[string]any{"op": "remove", "path": "members[value eq \"" + ann + "\"]"}}}).must(t, http.StatusOK)
	if got := e.holdings(ann)["cab"]; got != "" {
		t.Fatalf("after leaving the group ann holds %q", got)
	}

	// Deactivation revokes everything, ends every session and lease, and
	// is timed.
	patch(bob, map[string]any{"op": "replace", "value": map[string]any{"active": false}})
	if h := e.holdings(bob); len(h) != 0 {
		t.Fatalf("deactivated bob holds %v", h)
	}
	// cid works a concurrent pool, signed in with a lease.
	cid := e.user(map[string]any{"userName": "cid@example.com"})
	e.apiCall("POST", "/api/v1/pools", map[string]any{"id": "float", "sku": "agent", "model": "concurrent", "seats": 3})
	e.apiCall("PUT", "/api/v1/pools/float/members/"+cid, nil)
	sess, err := e.svc.StartSession(t.Context(), licensing.System("t"), cid, false)
	if err != nil || len(sess.Leases) != 1 {
		t.Fatalf("StartSession: %+v, %v", sess, err)
	}
	patch(cid, map[string]any{"op": "Replace", "path": "active", "value": "False"})
	if got, err := e.st.GetSession(t.Context(), sess.ID); err != nil || got.Active() {
		t.Fatalf("cid's session after deactivation: %+v, %v", got, err)
	}
	if p, err := e.st.LoadPerson(t.Context(), cid); err != nil || len(p.Leases) != 0 || len(p.Members) != 0 {
		t.Fatalf("cid after deactivation: %+v, %v", p, err)
	}
	if d := e.svc.Engine.Decide(cid, "ticket.transition", sess.ID); d.Allow {
		t.Fatalf("the engine still allows deactivated cid: %+v", d)
	}
	evs, err := e.st.ListProvisioning(t.Context(), bob)
	if err != nil || len(evs) != 1 || evs[0].Kind != "deactivate" || evs[0].CompletedAt.IsZero() || evs[0].CompletedAt.Before(evs[0].ReceivedAt) {
		t.Fatalf("provisioning events %+v, %v", evs, err)
	}
	// Reactivation reconciles again; the seat bob left went to nobody else.
	patch(bob, map[string]any{"op": "replace", "path": "active", "value": true})
	if got := e.holdings(bob)["desk"]; got != "active rule:desk-agents" {
		t.Fatalf("reactivated bob holds %q", got)
	}
	// Deletion revokes too, and is timed.
	e.do("DELETE", "/Users/"+bob, nil).must(t, http.StatusNoContent)
	evs, err = e.st.ListProvisioning(t.Context(), bob)
	if err != nil || len(evs) != 2 || evs[1].Kind != "delete" || evs[1].CompletedAt.IsZero() {
		t.Fatalf("provisioning events %+v, %v", evs, err)
	}
	if n, err := e.st.ActiveHolders(t.Context(), "desk"); err != nil || n != 0 {
		t.Fatalf("desk holders after the delete: %d, %v", n, err)
	}
}
