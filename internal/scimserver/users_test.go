package scimserver_test

import (
	"net/http"
	"testing"
)

const (
	userURN       = "urn:ietf:params:scim:schemas:core:2.0:User"
	enterpriseURN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	seatkeeperURN = "urn:ietf:params:scim:schemas:extension:seatkeeper:2.0:User"
)

func TestUserLifecycle(t *testing.T) { bothStores(t, testUserLifecycle) }

func testUserLifecycle(t *testing.T, e *env) {
	boss := e.user(map[string]any{"userName": "boss@example.com"})
	r := e.do("POST", "/Users", map[string]any{
		"schemas":      []string{userURN, enterpriseURN, seatkeeperURN},
		"userName":     "Ann@Example.com",
		"externalId":   "ext-ann",
		"name":         map[string]any{"givenName": "Ann", "familyName": "Lee", "formatted": "Ann Lee"},
		"emails":       []any{map[string]any{"value": "ann@example.com", "type": "work", "primary": true, "display": "Ann (work)"}},
		"title":        "Service desk analyst",
		"phoneNumbers": []any{map[string]any{"value": "+44 20 1234", "type": "work"}},
		"password":     "never-stored",
		enterpriseURN: map[string]any{"employeeNumber": "E100", "department": "IT", "costCenter": "CC-7",
			"organization": "Acme", "division": "Ops", "manager": map[string]any{"value": boss}},
		seatkeeperURN: map[string]any{"jobCode": "ITSD-2"},
	}).must(t, http.StatusCreated)
	id := r.Body["id"].(string)
	if loc := r.Header.Get("Location"); loc != e.srv.URL+"/scim/v2/Users/"+id {
		t.Errorf("Location %q", loc)
	}
	if r.Header.Get("ETag") != `W/"1"` || get(r.Body, "meta", "version") != `W/"1"` {
		t.Errorf("ETag %q meta.version %v", r.Header.Get("ETag"), get(r.Body, "meta", "version"))
	}
	if r.Body["password"] != nil {
		t.Errorf("password returned: %s", r)
	}
	for path, want := range map[string]any{
		"userName": "Ann@Example.com", "displayName": "Ann Lee", "title": "Service desk analyst", "active": true,
	} {
		if got := get(r.Body, path); got != want {
			t.Errorf("%s = %v, want %v", path, got, want)
		}
	}
	if get(r.Body, enterpriseURN, "manager", "value") != boss || get(r.Body, seatkeeperURN, "jobCode") != "ITSD-2" ||
		get(r.Body, "name", "formatted") != "Ann Lee" || get(r.Body, "phoneNumbers", 0, "value") != "+44 20 1234" ||
		get(r.Body, "emails", 0, "display") != "Ann (work)" {
		t.Errorf("attributes not kept: %s", r)
	}
	u, _, err := e.st.GetIdentity(t.Context(), id)
	if err != nil || u.JobCode != "ITSD-2" || u.Department != "IT" || u.EmployeeID != "E100" || u.Email != "ann@example.com" || u.CostCenter != "CC-7" {
		t.Fatalf("stored person %+v, %v", u, err)
	}

	// userName is unique in any case.
	e.do("POST", "/Users", map[string]any{"schemas": []string{userURN}, "userName": "ANN@example.COM"}).scimError(t, http.StatusConflict, "uniqueness")

	g := e.do("GET", "/Users/"+id, nil).must(t, http.StatusOK)
	if !jsonEqual(g.Body, r.Body) {
		t.Errorf("GET differs from POST:\n%s\n%s", g, r)
	}
	e.do("GET", "/Users/"+id, nil, "If-None-Match", `W/"1"`).must(t, http.StatusNotModified)

	// PUT replaces; a stale If-Match is refused and changes nothing.
	put := map[string]any{"schemas": []string{userURN}, "id": id, "userName": "ann@example.com", "active": true,
		"emails": []any{map[string]any{"value": "ann.lee@example.com", "type": "work"}}}
	e.do("PUT", "/Users/"+id, put, "If-Match", `W/"7"`).scimError(t, http.StatusPreconditionFailed, "")
	p := e.do("PUT", "/Users/"+id, put, "If-Match", `W/"1"`).must(t, http.StatusOK)
	if p.Body["title"] != nil || get(p.Body, enterpriseURN) != nil || get(p.Body, "meta", "version") != `W/"2"` || p.Body["displayName"] != "ann@example.com" {
		t.Errorf("PUT did not replace: %s", p)
	}
	put["id"] = "usr_other"
	e.do("PUT", "/Users/"+id, put).scimError(t, http.StatusBadRequest, "mutability")

	// PATCH, then DELETE; afterwards the id is gone.
	pt := e.do("PATCH", "/Users/"+id, map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []any{map[string]any{"op": "replace", "path": "displayName", "value": "Ann L."}}}).must(t, http.StatusOK)
	if pt.Body["displayName"] != "Ann L." {
		t.Errorf("PATCH: %s", pt)
	}
	before := e.auditCount()
	e.do("DELETE", "/Users/"+id, nil, "If-Match", `W/"1"`).scimError(t, http.StatusPreconditionFailed, "")
	if e.auditCount() != before {
		t.Error("a refused DELETE wrote to the audit log")
	}
	e.do("DELETE", "/Users/"+id, nil, "If-Match", get(pt.Body, "meta", "version").(string)).must(t, http.StatusNoContent)
	e.do("GET", "/Users/"+id, nil).scimError(t, http.StatusNotFound, "")
	e.do("DELETE", "/Users/"+id, nil).scimError(t, http.StatusNotFound, "")
}

// TestLeaverStaysInactive: an update that leaves "active" out (a PUT
// without it, a PATCH removing it) never switches a leaver back on.
func TestLeaverStaysInactive(t *testing.T) {
	e := newEnv(t)
	id := e.user(map[string]any{"userName": "leaver@example.com"})
	patch := func(op map[string]any) resp {
		return e.do("PATCH", "/Users/"+id, map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"}, "Operations": []any{op}}).must(t, http.StatusOK)
	}
	patch(map[string]any{"op": "replace", "path": "active", "value": false})
	if r := patch(map[string]any{"op": "remove", "path": "active"}); r.Body["active"] != false {
		t.Errorf("remove active reactivated the leaver: %s", r)
	}
	r := e.do("PUT", "/Users/"+id, map[string]any{"schemas": []string{userURN}, "userName": "leaver@example.com", "title": "Gone"}).must(t, http.StatusOK)
	if r.Body["active"] != false {
		t.Errorf("PUT without active reactivated the leaver: %s", r)
	}
	if u, err := e.st.GetUser(t.Context(), id); err != nil || u.Active {
		t.Errorf("stored leaver %+v, %v", u, err)
	}
}
