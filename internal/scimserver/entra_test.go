package scimserver_test

// Microsoft Entra ID's provisioning habits, each replayed with the request
// shapes Entra documents ("Tutorial: Develop and plan provisioning for a
// SCIM endpoint" and the "Known issues" page for SCIM compliance).

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

const (
	patchOpURN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	groupURN   = "urn:ietf:params:scim:schemas:core:2.0:Group"
	listURN    = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	msGroupURN = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"
)

// patchBody is a PatchOp message as the clients send it.
func patchBody(ops ...map[string]any) map[string]any {
	list := make([]any, len(ops))
	for i, o := range ops {
		list[i] = o
	}
	return map[string]any{"schemas": []any{patchOpURN}, "Operations": list}
}

// stored reads a person back from the store.
func (e *env) stored(id string) (licensing.User, store.Identity) {
	e.t.Helper()
	u, ident, err := e.st.GetIdentity(e.t.Context(), id)
	if err != nil {
		e.t.Fatalf("GetIdentity(%s): %v", id, err)
	}
	if u.ID != id {
		e.t.Fatalf("GetIdentity(%s) found %s", id, u.ID)
	}
	return u, ident
}

// storedGroup reads a group back from the store.
func (e *env) storedGroup(id string) store.Group {
	e.t.Helper()
	g, err := e.st.GetGroup(e.t.Context(), id)
	if err != nil {
		e.t.Fatalf("GetGroup(%s): %v", id, err)
	}
	return g
}

// extra is a person's unmodelled attributes as stored.
func extra(t *testing.T, ident store.Identity) map[string]any {
	t.Helper()
	m := map[string]any{}
	if len(ident.Extra) > 0 {
		if err := json.Unmarshal(ident.Extra, &m); err != nil {
			t.Fatalf("Extra %s: %v", ident.Extra, err)
		}
	}
	return m
}

// filterQuery is a filter as Entra encodes it in a query string.
func filterQuery(filter string) string { return "filter=" + url.QueryEscape(filter) }

// emptyList checks r is a ListResponse with no resources.
func emptyList(t *testing.T, r resp) {
	t.Helper()
	r.must(t, http.StatusOK)
	if !jsonEqual(r.Body["schemas"], []any{listURN}) || !jsonEqual(r.Body["totalResults"], 0) ||
		!jsonEqual(r.Body["Resources"], []any{}) || !jsonEqual(r.Body["itemsPerPage"], 0) || !jsonEqual(r.Body["startIndex"], 1) {
		t.Errorf("want an empty ListResponse, got %s", r)
	}
}

// entraUser creates a user with the body of Entra's "Create User" sample.
func entraUser(e *env, userName string) string {
	e.t.Helper()
	return e.user(map[string]any{
		"schemas":    []any{userURN, enterpriseURN},
		"externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef-" + userName,
		"userName":   userName,
		"active":     true,
		"emails": []any{map[string]any{
			"primary": true, "type": "work", "value": userName,
		}},
		"meta":  map[string]any{"resourceType": "User"},
		"name":  map[string]any{"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
		"roles": []any{},
	})
}

func TestEntraPatchOpCapitalised(t *testing.T) {
	e := newEnv(t)
	id := entraUser(e, "Test_User_ab6490ee@testuser.com")
	r := e.do("PATCH", "/Users/"+id, patchBody(
		map[string]any{"op": "Replace", "path": "userName", "value": "5b50642d@testuser.com"},
		map[string]any{"op": "Add", "path": "title", "value": "Engineer"},
		map[string]any{"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "R&D"},
		map[string]any{"op": "Remove", "path": "externalId"},
	)).must(t, http.StatusOK)
	if r.Body["userName"] != "5b50642d@testuser.com" || r.Body["title"] != "Engineer" ||
		get(r.Body, enterpriseURN, "department") != "R&D" || r.Body["externalId"] != nil {
		t.Errorf("PATCH answer: %s", r)
	}
	u, ident := e.stored(id)
	if u.UserName != "5b50642d@testuser.com" || u.Department != "R&D" || u.ExternalID != "" || extra(t, ident)["title"] != "Engineer" {
		t.Errorf("stored %+v %s", u, ident.Extra)
	}
	// Entra's usual attribute update, capitalised, with value-filtered paths
	// on a user with no address yet.
	r = e.do("PATCH", "/Users/"+id, patchBody(
		map[string]any{"op": "Replace", "path": "displayName", "value": "Test 01"},
		map[string]any{"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "test01@example.com"},
		map[string]any{"op": "Replace", "path": "name.familyName", "value": "Tester"},
		map[string]any{"op": "Replace", "path": "name.formatted", "value": "Test 01"},
		map[string]any{"op": "Replace", "path": "addresses[type eq \"work\"].formatted", "value": "18/2111"},
		map[string]any{"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "Retail"},
	)).must(t, http.StatusOK)
	if r.Body["displayName"] != "Test 01" || get(r.Body, "emails", 0, "value") != "test01@example.com" || get(r.Body, "emails", 1) != nil ||
		get(r.Body, "name", "formatted") != "Test 01" || get(r.Body, "addresses", 0, "formatted") != "18/2111" || get(r.Body, "addresses", 0, "type") != "work" {
		t.Errorf("PATCH answer: %s", r)
	}
	u, ident = e.stored(id)
	if u.Email != "test01@example.com" || u.DisplayName != "Test 01" || ident.FamilyName != "Tester" || u.Department != "Retail" ||
		get(extra(t, ident), "addresses", 0, "formatted") != "18/2111" {
		t.Errorf("stored %+v %+v %s", u, ident, ident.Extra)
	}
	// A lower-case op still works, and an unknown one is refused.
	e.do("PATCH", "/Users/"+id, patchBody(map[string]any{"op": "Update", "path": "title", "value": "x"})).scimError(t, http.StatusBadRequest, "invalidSyntax")
	if _, ident := e.stored(id); extra(t, ident)["title"] != "Engineer" {
		t.Errorf("refused PATCH changed title: %s", ident.Extra)
	}
}

func TestEntraBooleanStrings(t *testing.T) {
	e := newEnv(t)
	id := entraUser(e, "bool@testuser.com")
	steps := []struct {
		name string
		op   map[string]any
		want bool
	}{
		{"path-less Replace False", map[string]any{"op": "Replace", "value": map[string]any{"active": "False"}}, false},
		{"Replace path active True", map[string]any{"op": "Replace", "path": "active", "value": "True"}, true},
		{"Replace path active False", map[string]any{"op": "Replace", "path": "active", "value": "False"}, false},
		{"path-less Replace true", map[string]any{"op": "Replace", "value": map[string]any{"active": "true"}}, true},
	}
	for _, s := range steps {
		r := e.do("PATCH", "/Users/"+id, patchBody(s.op)).must(t, http.StatusOK)
		if r.Body["active"] != s.want {
			t.Errorf("%s: answer active %v (%T), want %v", s.name, r.Body["active"], r.Body["active"], s.want)
		}
		if u, _ := e.stored(id); u.Active != s.want {
			t.Errorf("%s: stored active %v, want %v", s.name, u.Active, s.want)
		}
	}
	// On create too.
	off := e.user(map[string]any{"schemas": []any{userURN}, "userName": "created.off@testuser.com", "active": "False"})
	if u, _ := e.stored(off); u.Active {
		t.Errorf("POST with active \"False\" stored an active user")
	}
	// Not a boolean at all: refused, nothing changed.
	e.do("PATCH", "/Users/"+id, patchBody(map[string]any{"op": "Replace", "path": "active", "value": "Maybe"})).scimError(t, http.StatusBadRequest, "invalidValue")
	if u, _ := e.stored(id); !u.Active {
		t.Errorf("refused PATCH deactivated the user")
	}
}

func TestEntraRemoveMembersValueList(t *testing.T) {
	e := newEnv(t)
	u1, u2, u3 := entraUser(e, "m1@testuser.com"), entraUser(e, "m2@testuser.com"), entraUser(e, "m3@testuser.com")
	g := e.do("POST", "/Groups", map[string]any{
		"schemas": []any{groupURN, msGroupURN}, "externalId": "8aa1a0c0", "displayName": "Sales",
		"meta": map[string]any{"resourceType": "Group"},
	}).must(t, http.StatusCreated).Body["id"].(string)
	// Entra's "Update Group [Add Members]" sample, "$ref": null included.
	e.do("PATCH", "/Groups/"+g, patchBody(map[string]any{"op": "Add", "path": "members", "value": []any{
		map[string]any{"$ref": nil, "value": u1}, map[string]any{"$ref": nil, "value": u2}, map[string]any{"$ref": nil, "value": u3},
	}})).must(t, http.StatusOK)
	if got := e.storedGroup(g).Members; !slices.Equal(got, sorted(u1, u2, u3)) {
		t.Fatalf("members after Add: %v", got)
	}
	// "Update Group [Remove Members]": only the listed ones go.
	e.do("PATCH", "/Groups/"+g, patchBody(map[string]any{"op": "Remove", "path": "members", "value": []any{
		map[string]any{"$ref": nil, "value": u2},
	}})).must(t, http.StatusOK)
	if got := e.storedGroup(g).Members; !slices.Equal(got, sorted(u1, u3)) {
		t.Errorf("stored members after Remove: %v, want %v", got, sorted(u1, u3))
	}
	r := e.do("GET", "/Groups/"+g, nil).must(t, http.StatusOK)
	var got []string
	for _, m := range r.Body["members"].([]any) {
		got = append(got, get(m, "value").(string))
	}
	slices.Sort(got)
	if !slices.Equal(got, sorted(u1, u3)) {
		t.Errorf("GET members %v", got)
	}
	if gs := e.do("GET", "/Users/"+u2, nil).must(t, http.StatusOK).Body["groups"]; gs != nil {
		t.Errorf("removed member still lists groups %v", gs)
	}
	// Removing a value that is not a member changes nothing.
	e.do("PATCH", "/Groups/"+g, patchBody(map[string]any{"op": "Remove", "path": "members", "value": []any{
		map[string]any{"value": u2},
	}})).must(t, http.StatusOK)
	if got := e.storedGroup(g).Members; !slices.Equal(got, sorted(u1, u3)) {
		t.Errorf("members after removing a non-member: %v", got)
	}
}

func sorted(s ...string) []string { s = slices.Clone(s); slices.Sort(s); return s }

func TestEntraPathlessReplaceQualifiedKeys(t *testing.T) {
	e := newEnv(t)
	id := entraUser(e, "keys@testuser.com")
	r := e.do("PATCH", "/Users/"+id, patchBody(map[string]any{"op": "Replace", "value": map[string]any{
		"displayName":     "Jo Doe",
		"name.givenName":  "Jo",
		"name.familyName": "Doe",
		"name.formatted":  "Jo Doe",
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "E-701",
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department":     "Finance",
		"urn:ietf:params:scim:schemas:extension:seatkeeper:2.0:User:jobCode":        "FIN-3",
	}})).must(t, http.StatusOK)
	if get(r.Body, "name", "givenName") != "Jo" || get(r.Body, "name", "familyName") != "Doe" ||
		get(r.Body, "name", "formatted") != "Jo Doe" ||
		get(r.Body, enterpriseURN, "employeeNumber") != "E-701" || get(r.Body, enterpriseURN, "department") != "Finance" ||
		get(r.Body, seatkeeperURN, "jobCode") != "FIN-3" || r.Body["displayName"] != "Jo Doe" {
		t.Errorf("PATCH answer: %s", r)
	}
	for _, k := range []string{"name.givenName", enterpriseURN + ":employeeNumber"} {
		if _, ok := r.Body[k]; ok {
			t.Errorf("dotted key %q kept literally: %s", k, r)
		}
	}
	schemas, _ := r.Body["schemas"].([]any)
	if !slices.Contains(schemas, any(enterpriseURN)) || !slices.Contains(schemas, any(seatkeeperURN)) {
		t.Errorf("schemas %v", schemas)
	}
	u, ident := e.stored(id)
	if ident.GivenName != "Jo" || ident.FamilyName != "Doe" || u.EmployeeID != "E-701" || u.Department != "Finance" || u.JobCode != "FIN-3" || u.DisplayName != "Jo Doe" {
		t.Errorf("stored %+v %+v", u, ident)
	}
	x := extra(t, ident)
	for k := range x {
		if strings.Contains(k, ".") || strings.HasPrefix(k, "urn:") {
			t.Errorf("Extra holds key %q: %s", k, ident.Extra)
		}
	}
}

func TestEntraAddSingleValuedReplaces(t *testing.T) {
	e := newEnv(t)
	id := e.user(map[string]any{"schemas": []any{userURN, enterpriseURN}, "userName": "add@testuser.com", "title": "Clerk",
		"displayName": "Add Person", enterpriseURN: map[string]any{"department": "Ops", "costCenter": "CC-1"}})
	r := e.do("PATCH", "/Users/"+id, patchBody(
		map[string]any{"op": "Add", "path": "title", "value": "Manager"},
		map[string]any{"op": "Add", "path": "displayName", "value": "Added Person"},
		map[string]any{"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "Legal"},
		map[string]any{"op": "Add", "value": map[string]any{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter": "CC-2"}},
		// The user has no email yet: Entra adds the work one by value path.
		map[string]any{"op": "Add", "path": "emails[type eq \"work\"].value", "value": "something@outlook.com"},
	)).must(t, http.StatusOK)
	if !jsonEqual(r.Body["emails"], []any{map[string]any{"type": "work", "value": "something@outlook.com"}}) {
		t.Errorf("emails %v", r.Body["emails"])
	}
	if r.Body["title"] != "Manager" || r.Body["displayName"] != "Added Person" || get(r.Body, enterpriseURN, "department") != "Legal" || get(r.Body, enterpriseURN, "costCenter") != "CC-2" {
		t.Errorf("PATCH answer: %s", r)
	}
	u, ident := e.stored(id)
	if u.Department != "Legal" || u.CostCenter != "CC-2" || u.DisplayName != "Added Person" || u.Email != "something@outlook.com" || extra(t, ident)["title"] != "Manager" {
		t.Errorf("stored %+v %s", u, ident.Extra)
	}
}

func TestEntraManagerShapes(t *testing.T) {
	e := newEnv(t)
	m1, m2 := entraUser(e, "boss1@testuser.com"), entraUser(e, "boss2@testuser.com")
	id := entraUser(e, "report@testuser.com")
	path := "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"
	steps := []struct {
		name string
		op   map[string]any
		want string
	}{
		{"Add object", map[string]any{"op": "Add", "path": path, "value": map[string]any{"value": m1}}, m1},
		{"Replace bare string", map[string]any{"op": "Replace", "path": path, "value": m2}, m2},
		{"Replace array", map[string]any{"op": "Replace", "path": path, "value": []any{map[string]any{"value": m1}}}, m1},
		{"Replace empty string", map[string]any{"op": "Replace", "path": path, "value": ""}, ""},
		{"Add bare string", map[string]any{"op": "Add", "path": path, "value": m2}, m2},
		{"Replace null", map[string]any{"op": "Replace", "path": path, "value": nil}, ""},
		{"path-less Replace URN key", map[string]any{"op": "Replace", "value": map[string]any{path: m1}}, m1},
		{"Replace empty value object", map[string]any{"op": "Replace", "path": path, "value": map[string]any{"value": ""}}, ""},
		{"Replace array of string", map[string]any{"op": "Replace", "path": path, "value": []any{m2}}, m2},
		{"Remove", map[string]any{"op": "Remove", "path": path}, ""},
	}
	for _, s := range steps {
		r := e.do("PATCH", "/Users/"+id, patchBody(s.op)).must(t, http.StatusOK)
		got, _ := get(r.Body, enterpriseURN, "manager", "value").(string)
		if got != s.want {
			t.Errorf("%s: answer manager %q, want %q: %s", s.name, got, s.want, r)
		}
		if s.want == "" && get(r.Body, enterpriseURN, "manager") != nil {
			t.Errorf("%s: manager still in answer: %s", s.name, r)
		}
		if _, ident := e.stored(id); ident.ManagerID != s.want {
			t.Errorf("%s: stored manager %q, want %q", s.name, ident.ManagerID, s.want)
		}
	}
	// A manager not provisioned yet is kept as sent, never refused.
	r := e.do("PATCH", "/Users/"+id, patchBody(map[string]any{"op": "Replace", "path": path, "value": "usr_nobody"})).must(t, http.StatusOK)
	if got := get(r.Body, enterpriseURN, "manager", "value"); got != "usr_nobody" {
		t.Errorf("unknown manager answered as %v, want the reference as sent", got)
	}
	if _, ident := e.stored(id); ident.ManagerID != "" || ident.ManagerRef != "usr_nobody" {
		t.Errorf("stored manager %q ref %q, want no id and the reference", ident.ManagerID, ident.ManagerRef)
	}
}

func TestEntraEmptyValuesClear(t *testing.T) {
	e := newEnv(t)
	id := e.user(map[string]any{
		"schemas": []any{userURN, enterpriseURN, seatkeeperURN}, "userName": "clear@testuser.com", "title": "Clerk",
		"name":         map[string]any{"givenName": "Cle", "familyName": "Ar"},
		"phoneNumbers": []any{map[string]any{"type": "work", "value": "+1 555"}},
		enterpriseURN:  map[string]any{"department": "Ops", "costCenter": "CC-1", "division": "North"},
		seatkeeperURN:  map[string]any{"jobCode": "OPS-1"},
	})
	r := e.do("PATCH", "/Users/"+id, patchBody(
		map[string]any{"op": "Replace", "path": "title", "value": ""},
		map[string]any{"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": nil},
		map[string]any{"op": "Replace", "value": map[string]any{
			"name.familyName": "",
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter": nil,
			"urn:ietf:params:scim:schemas:extension:seatkeeper:2.0:User:jobCode":    "",
		}},
		map[string]any{"op": "Replace", "path": "phoneNumbers[type eq \"work\"].value", "value": ""},
	)).must(t, http.StatusOK)
	if r.Body["title"] != nil || get(r.Body, enterpriseURN, "department") != nil || get(r.Body, enterpriseURN, "costCenter") != nil ||
		get(r.Body, "name", "familyName") != nil || get(r.Body, seatkeeperURN) != nil || get(r.Body, "phoneNumbers", 0, "value") != nil ||
		get(r.Body, enterpriseURN, "division") != "North" || get(r.Body, "name", "givenName") != "Cle" {
		t.Errorf("PATCH answer: %s", r)
	}
	schemas, _ := r.Body["schemas"].([]any)
	if slices.Contains(schemas, any(seatkeeperURN)) {
		t.Errorf("emptied extension still in schemas %v", schemas)
	}
	u, ident := e.stored(id)
	if u.Department != "" || u.CostCenter != "" || u.JobCode != "" || ident.FamilyName != "" || ident.GivenName != "Cle" || ident.Division != "North" {
		t.Errorf("stored %+v %+v", u, ident)
	}
	if x := extra(t, ident); x["title"] != nil || get(x, "phoneNumbers", 0, "value") != nil {
		t.Errorf("stored Extra %s", ident.Extra)
	}
}

func TestEntraFilterMatchesNothing(t *testing.T) {
	e := newEnv(t)
	entraUser(e, "somebody@testuser.com")
	for _, q := range []string{
		filterQuery(`userName eq "nobody"`),
		filterQuery(`externalId eq "0a21f0f2-8d2a-4f8e-bf98-000000000000"`),
		filterQuery(`userName eq "nobody"`) + "&attributes=userName",
		// Entra's spelling: "+" for spaces.
		`filter=userName+eq+%22nobody%40testuser.com%22`,
	} {
		emptyList(t, e.do("GET", "/Users?"+q, nil))
	}
	emptyList(t, e.do("GET", "/Groups?"+filterQuery(`displayName eq "nothing"`), nil))
	emptyList(t, e.do("GET", "/Groups?excludedAttributes=members&"+filterQuery(`externalId eq "nothing"`), nil))
}

func TestEntraTestConnection(t *testing.T) {
	e := newEnv(t)
	// With no users at all, then with some: the random user name is never found.
	emptyList(t, e.do("GET", "/Users?"+filterQuery(`userName eq "9a3b1f7e-51c2-4a48-bb1d-6c5b2a0f3d11"`), nil))
	entraUser(e, "real@testuser.com")
	emptyList(t, e.do("GET", "/Users?"+filterQuery(`userName eq "0c8e3d2a-7f41-4b9e-9d65-1e2f3a4b5c6d"`), nil))
}

func TestEntraSoftDelete(t *testing.T) {
	e := newEnv(t)
	id := entraUser(e, "leaver@testuser.com")
	// "Disable User" sample.
	r := e.do("PATCH", "/Users/"+id, patchBody(map[string]any{"op": "Replace", "path": "active", "value": false})).must(t, http.StatusOK)
	if r.Body["active"] != false {
		t.Errorf("PATCH answer: %s", r)
	}
	if u, _ := e.stored(id); u.Active {
		t.Errorf("stored person still active")
	}
	g := e.do("GET", "/Users/"+id, nil).must(t, http.StatusOK)
	if g.Body["id"] != id || g.Body["active"] != false || g.Body["userName"] != "leaver@testuser.com" {
		t.Errorf("GET inactive user: %s", g)
	}
	for _, q := range []string{filterQuery(`userName eq "leaver@testuser.com"`), filterQuery(`active eq false`)} {
		l := e.do("GET", "/Users?"+q, nil).must(t, http.StatusOK)
		if !jsonEqual(l.Body["totalResults"], 1) || get(l.Body, "Resources", 0, "id") != id || get(l.Body, "Resources", 0, "active") != false {
			t.Errorf("%s: %s", q, l)
		}
	}
	// Later, the hard delete.
	e.do("DELETE", "/Users/"+id, nil).must(t, http.StatusNoContent)
	e.do("GET", "/Users/"+id, nil).scimError(t, http.StatusNotFound, "")
	emptyList(t, e.do("GET", "/Users?"+filterQuery(`userName eq "leaver@testuser.com"`), nil))
	if _, _, err := e.st.GetIdentity(t.Context(), id); licensing.ErrorCode(err) != licensing.CodeNotFound {
		t.Errorf("GetIdentity after DELETE: %v", err)
	}
}

func TestEntraGroupExtraSchemasMetaRoles(t *testing.T) {
	e := newEnv(t)
	before := e.auditCount()
	r := e.do("POST", "/Groups", map[string]any{
		"schemas":     []any{groupURN, msGroupURN},
		"externalId":  "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
		"displayName": "displayName",
		"meta":        map[string]any{"resourceType": "Group"},
		"roles":       []any{},
		"members":     []any{},
	}).must(t, http.StatusCreated)
	id, _ := r.Body["id"].(string)
	if id == "" || r.Body["displayName"] != "displayName" || r.Body["externalId"] != "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159" ||
		!jsonEqual(r.Body["schemas"], []any{groupURN}) || get(r.Body, "meta", "resourceType") != "Group" || r.Body["roles"] != nil {
		t.Errorf("POST answer: %s", r)
	}
	if loc := r.Header.Get("Location"); loc != e.srv.URL+"/scim/v2/Groups/"+id {
		t.Errorf("Location %q", loc)
	}
	g := e.storedGroup(id)
	if g.DisplayName != "displayName" || g.ExternalID != "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159" || len(g.Members) != 0 {
		t.Errorf("stored %+v", g)
	}
	if e.auditCount() <= before {
		t.Errorf("group creation not audited")
	}
	// With roles carrying a value, as some tenants send.
	r = e.do("POST", "/Groups", map[string]any{
		"schemas": []any{groupURN, msGroupURN}, "displayName": "Second", "externalId": "ext-2",
		"meta": map[string]any{"resourceType": "Group"}, "roles": []any{map[string]any{"value": "reader", "primary": true}},
	}).must(t, http.StatusCreated)
	if g := e.storedGroup(r.Body["id"].(string)); g.DisplayName != "Second" {
		t.Errorf("stored %+v", g)
	}
}

func TestEntraGroupExistenceCheck(t *testing.T) {
	e := newEnv(t)
	u := entraUser(e, "member@testuser.com")
	id := e.do("POST", "/Groups", map[string]any{
		"schemas": []any{groupURN, msGroupURN}, "displayName": "Finance Team", "externalId": "ext-fin",
		"members": []any{map[string]any{"value": u}},
	}).must(t, http.StatusCreated).Body["id"].(string)
	r := e.do("GET", "/Groups?excludedAttributes=members&"+filterQuery(`displayName eq "Finance Team"`), nil).must(t, http.StatusOK)
	if !jsonEqual(r.Body["totalResults"], 1) || get(r.Body, "Resources", 0, "id") != id || get(r.Body, "Resources", 0, "displayName") != "Finance Team" {
		t.Fatalf("existence check: %s", r)
	}
	if _, ok := get(r.Body, "Resources", 0).(map[string]any)["members"]; ok {
		t.Errorf("members returned though excluded: %s", r)
	}
	// Any case, as displayName is not caseExact.
	if r := e.do("GET", "/Groups?excludedAttributes=members&"+filterQuery(`displayName eq "finance team"`), nil).must(t, http.StatusOK); get(r.Body, "Resources", 0, "id") != id {
		t.Errorf("case-insensitive existence check: %s", r)
	}
	emptyList(t, e.do("GET", "/Groups?excludedAttributes=members&"+filterQuery(`displayName eq "Finance"`), nil))
	// Entra's read of one group, members excluded.
	g := e.do("GET", "/Groups/"+id+"?excludedAttributes=members", nil).must(t, http.StatusOK)
	if g.Body["members"] != nil || g.Body["displayName"] != "Finance Team" {
		t.Errorf("GET with excludedAttributes: %s", g)
	}
	// Excluding members hid them, it did not drop them.
	if m := e.storedGroup(id).Members; !slices.Equal(m, []string{u}) {
		t.Errorf("stored members %v", m)
	}
}
