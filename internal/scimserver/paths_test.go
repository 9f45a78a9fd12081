package scimserver_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

const (
	pathsListURN   = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	pathsSearchURN = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
	pathsUserURN   = "urn:ietf:params:scim:schemas:core:2.0:User"
	pathsGroupURN  = "urn:ietf:params:scim:schemas:core:2.0:Group"
	pathsSPCURN    = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
)

// listOfOne checks r is a ListResponse with exactly one resource, id.
func listOfOne(t *testing.T, r resp, id string) {
	t.Helper()
	if !jsonEqual(r.Body["schemas"], []any{pathsListURN}) {
		t.Errorf("schemas %v, want a ListResponse: %s", r.Body["schemas"], r)
	}
	if n, _ := r.Body["totalResults"].(float64); n != 1 {
		t.Fatalf("totalResults %v, want 1: %s", r.Body["totalResults"], r)
	}
	if got := get(r.Body, "Resources", 0, "id"); got != id {
		t.Errorf("Resources[0].id %v, want %s", got, id)
	}
}

// Identity providers do not agree on the case of the resource type names
// nor on a trailing slash; every spelling reaches the same resource.
func TestPathsResourceNamesAnyCase(t *testing.T) {
	e := newEnv(t)
	uid := e.user(map[string]any{"userName": "casey@example.com"})
	filter := "filter=" + url.QueryEscape(`userName eq "casey@example.com"`)

	for _, p := range []string{"/users?" + filter, "/USERS?" + filter, "/Users/?" + filter, "/users/?" + filter} {
		listOfOne(t, e.do("GET", p, nil).must(t, http.StatusOK), uid)
	}
	for _, p := range []string{"/users/" + uid, "/USERS/" + uid, "/uSeRs/" + uid + "/", "/Users/" + uid + "/"} {
		r := e.do("GET", p, nil).must(t, http.StatusOK)
		if r.Body["id"] != uid || r.Body["userName"] != "casey@example.com" || !jsonEqual(r.Body["schemas"], []any{pathsUserURN}) {
			t.Errorf("GET %s: %s", p, r)
		}
		if loc := get(r.Body, "meta", "location"); loc != e.srv.URL+"/scim/v2/Users/"+uid {
			t.Errorf("GET %s: meta.location %v, want the canonical spelling", p, loc)
		}
	}
	// A name spelled with escapes is still the name.
	if r := e.do("GET", "/%55sers/"+uid, nil).must(t, http.StatusOK); r.Body["id"] != uid {
		t.Errorf("GET /%%55sers/{id}: %s", r)
	}
	search := map[string]any{"schemas": []any{pathsSearchURN}, "filter": `userName eq "casey@example.com"`}
	for _, p := range []string{"/Users/.SEARCH", "/users/.Search", "/USERS/.search/"} {
		listOfOne(t, e.do("POST", p, search).must(t, http.StatusOK), uid)
	}

	// Writes too.
	r := e.do("PATCH", "/users/"+uid+"/", map[string]any{"schemas": []any{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []any{map[string]any{"op": "replace", "path": "displayName", "value": "Casey"}}}).must(t, http.StatusOK)
	if r.Body["id"] != uid || r.Body["displayName"] != "Casey" {
		t.Errorf("PATCH /users/{id}/: %s", r)
	}
	g := e.do("POST", "/groups/", map[string]any{"schemas": []any{pathsGroupURN}, "displayName": "Casing",
		"members": []any{map[string]any{"value": uid}}}).must(t, http.StatusCreated)
	gid, _ := g.Body["id"].(string)
	if gid == "" || g.Header.Get("Location") != e.srv.URL+"/scim/v2/Groups/"+gid {
		t.Fatalf("POST /groups/: Location %q: %s", g.Header.Get("Location"), g)
	}
	r = e.do("GET", "/GROUPS/"+gid+"/", nil).must(t, http.StatusOK)
	if r.Body["id"] != gid || get(r.Body, "members", 0, "value") != uid {
		t.Errorf("GET /GROUPS/{id}/: %s", r)
	}
	listOfOne(t, e.do("GET", "/groups?filter="+url.QueryEscape(`displayName eq "Casing"`), nil).must(t, http.StatusOK), gid)
	listOfOne(t, e.do("POST", "/Groups/.SEARCH", map[string]any{"schemas": []any{pathsSearchURN}, "filter": `displayName eq "Casing"`}).must(t, http.StatusOK), gid)

	// Discovery.
	if r := e.do("GET", "/serviceproviderconfig", nil).must(t, http.StatusOK); !jsonEqual(r.Body["schemas"], []any{pathsSPCURN}) {
		t.Errorf("GET /serviceproviderconfig: %s", r)
	}
	if r := e.do("GET", "/ServiceProviderConfig/", nil).must(t, http.StatusOK); !jsonEqual(r.Body["schemas"], []any{pathsSPCURN}) {
		t.Errorf("GET /ServiceProviderConfig/: %s", r)
	}
	if r := e.do("GET", "/resourcetypes", nil).must(t, http.StatusOK); r.Body["totalResults"] != float64(2) {
		t.Errorf("GET /resourcetypes: %s", r)
	}
	if r := e.do("GET", "/RESOURCETYPES/Group", nil).must(t, http.StatusOK); r.Body["id"] != "Group" {
		t.Errorf("GET /RESOURCETYPES/Group: %s", r)
	}
	if r := e.do("GET", "/schemas", nil).must(t, http.StatusOK); !jsonEqual(r.Body["schemas"], []any{pathsListURN}) || r.Body["totalResults"].(float64) < 2 {
		t.Errorf("GET /schemas: %s", r)
	}
	if r := e.do("GET", "/schemas/"+pathsUserURN+"/", nil).must(t, http.StatusOK); r.Body["id"] != pathsUserURN {
		t.Errorf("GET /schemas/{urn}/: %s", r)
	}

	// Last, a delete through a lower-case path.
	e.do("DELETE", "/groups/"+gid+"/", nil).must(t, http.StatusNoContent)
	e.do("GET", "/Groups/"+gid, nil).scimError(t, http.StatusNotFound, "")
}

// Only the resource type names are folded: ids are case-sensitive and
// stay as sent, and what is not an endpoint is a SCIM 404.
func TestPathsIDsCaseSensitiveAndUnknownEndpoints(t *testing.T) {
	e := newEnv(t)
	uid := e.user(map[string]any{"userName": "exact@example.com"})
	if strings.ToUpper(uid) == uid {
		t.Fatalf("id %q has no lower-case letters to test with", uid)
	}
	before := e.auditCount()
	e.do("GET", "/users/"+strings.ToUpper(uid), nil).scimError(t, http.StatusNotFound, "")
	e.do("PATCH", "/Users/"+strings.ToUpper(uid), map[string]any{"schemas": []any{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []any{map[string]any{"op": "replace", "path": "active", "value": false}}}).scimError(t, http.StatusNotFound, "")
	// An escaped slash stays inside the id.
	e.do("GET", "/users/"+uid+"%2Fx", nil).scimError(t, http.StatusNotFound, "")
	for _, p := range []string{"/Nope", "/nope/", "/usersx", "/Users/" + uid + "/extra", "/Users/" + uid + "/extra/", "/", "/Groups/x/y/", "/Users/.search/x"} {
		e.do("GET", p, nil).scimError(t, http.StatusNotFound, "")
	}
	if got := e.auditCount(); got != before {
		t.Errorf("refused requests wrote %d audit entries", got-before)
	}
	if u, _ := e.stored(uid); !u.Active {
		t.Errorf("PATCH to the upper-cased id changed the user")
	}
}

// A known path with a method it does not take answers 405 in SCIM's
// shape, with the methods it does take in Allow.
func TestPathsMethodNotAllowed(t *testing.T) {
	e := newEnv(t)
	uid := e.user(map[string]any{"userName": "method@example.com"})
	before := e.auditCount()
	patch := map[string]any{"schemas": []any{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []any{map[string]any{"op": "replace", "path": "active", "value": false}}}
	for _, c := range []struct {
		method, path string
		body         any
		allow        string
	}{
		{"PATCH", "/Users", patch, "GET, HEAD, POST"},
		{"DELETE", "/users/", nil, "GET, HEAD, POST"},
		{"PUT", "/Groups", map[string]any{"schemas": []any{pathsGroupURN}, "displayName": "x"}, "GET, HEAD, POST"},
		{"POST", "/Users/" + uid, map[string]any{"schemas": []any{pathsUserURN}, "userName": "other@example.com"}, "GET, HEAD, PUT, PATCH, DELETE"},
		{"POST", "/serviceproviderconfig", map[string]any{}, "GET, HEAD"},
		{"DELETE", "/Schemas/" + pathsUserURN, nil, "GET, HEAD"},
	} {
		r := e.do(c.method, c.path, c.body)
		r.scimError(t, http.StatusMethodNotAllowed, "")
		if got := r.Header.Get("Allow"); got != c.allow {
			t.Errorf("%s %s: Allow %q, want %q", c.method, c.path, got, c.allow)
		}
	}
	if got := e.auditCount(); got != before {
		t.Errorf("refused requests wrote %d audit entries", got-before)
	}
	if u, _ := e.stored(uid); !u.Active || u.UserName != "method@example.com" {
		t.Errorf("refused requests changed the user: %+v", u)
	}
}

// Every path, known or not, in any case, is behind the token.
func TestPathsNeedAToken(t *testing.T) {
	e := newEnv(t)
	uid := e.user(map[string]any{"userName": "token@example.com"})
	for _, c := range [][2]string{
		{"GET", "/users"}, {"GET", "/Users/"}, {"GET", "/USERS/" + uid + "/"}, {"POST", "/users/.search"},
		{"GET", "/serviceproviderconfig"}, {"GET", "/Nope"}, {"PATCH", "/Users"}, {"DELETE", "/users/" + uid},
	} {
		r := e.do(c[0], c[1], nil, "Authorization", "")
		r.scimError(t, http.StatusUnauthorized, "")
		if r.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s %s: 401 without WWW-Authenticate", c[0], c[1])
		}
	}
	if _, err := e.st.GetUser(t.Context(), uid); err != nil {
		t.Errorf("user gone after unauthenticated DELETE: %v", err)
	}
}

// TestFilterOfManyTermsRefused (issue 11, part 8): 999 terms answered 500
// ("Expression tree is too large"); the parser's bounds make it a 400.
func TestFilterOfManyTermsRefused(t *testing.T) {
	e := newEnv(t)
	terms := make([]string, 999)
	for i := range terms {
		terms[i] = fmt.Sprintf(`userName eq "u%d"`, i)
	}
	deep := strings.Repeat("(", 40) + `userName eq "x"` + strings.Repeat(")", 40)
	for _, f := range []string{strings.Join(terms, " or "), deep} {
		r := e.do("GET", "/Users?"+url.Values{"filter": {f}}.Encode(), nil)
		if r.Status != http.StatusBadRequest || r.Body["scimType"] != "invalidFilter" {
			t.Errorf("filter of %d bytes: %d %.200s, want 400 invalidFilter", len(f), r.Status, r.Raw)
		}
	}
}
