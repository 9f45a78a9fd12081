package scimserver_test

// Okta's provisioning habits, each replayed with the request shapes of
// Okta's SCIM 2.0 provisioning guide ("SCIM 2.0 protocol reference").

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
)

const oktaPassword = "1mz050nq"

// oktaCreate is the body of Okta's "Create the user" request.
func oktaCreate(userName, externalID string) map[string]any {
	return map[string]any{
		"schemas":     []any{userURN},
		"userName":    userName,
		"name":        map[string]any{"givenName": "Test", "familyName": "User"},
		"emails":      []any{map[string]any{"primary": true, "value": userName, "type": "work"}},
		"displayName": "Test User",
		"locale":      "en-US",
		"externalId":  externalID,
		"groups":      []any{},
		"password":    oktaPassword,
		"active":      true,
	}
}

// oktaFilter is Okta's existence check query, encoded as Okta sends it.
func oktaFilter(userName string) string {
	return "/Users?filter=userName%20eq%20%22" + strings.ReplaceAll(userName, "@", "%40") + "%22&startIndex=1&count=100"
}

func TestOktaExistenceCheck(t *testing.T) {
	e := newEnv(t)
	emptyList(t, e.do("GET", oktaFilter("test.user@okta.local"), nil))
	id := e.do("POST", "/Users", oktaCreate("test.user@okta.local", "00ujl29u0le5T6Aj10h7")).must(t, http.StatusCreated).Body["id"].(string)
	e.do("POST", "/Users", oktaCreate("other.user@okta.local", "00ujl29u0le5T6Aj10h8")).must(t, http.StatusCreated)
	for _, name := range []string{"test.user@okta.local", "Test.User@OKTA.local"} {
		r := e.do("GET", oktaFilter(name), nil).must(t, http.StatusOK)
		if !jsonEqual(r.Body["totalResults"], 1) || !jsonEqual(r.Body["itemsPerPage"], 1) || !jsonEqual(r.Body["startIndex"], 1) ||
			!jsonEqual(r.Body["schemas"], []any{listURN}) || get(r.Body, "Resources", 0, "id") != id ||
			get(r.Body, "Resources", 0, "userName") != "test.user@okta.local" || get(r.Body, "Resources", 1) != nil {
			t.Errorf("existence check for %s: %s", name, r)
		}
	}
}

func TestOktaCreateIgnoresPasswordAndGroups(t *testing.T) {
	e := newEnv(t)
	other := e.user(map[string]any{"userName": "someone@okta.local"})
	grp := e.do("POST", "/Groups", map[string]any{"schemas": []any{groupURN}, "displayName": "Okta Group", "members": []any{map[string]any{"value": other}}}).
		must(t, http.StatusCreated).Body["id"].(string)
	body := oktaCreate("test.user@okta.local", "00ujl29u0le5T6Aj10h7")
	body["groups"] = []any{map[string]any{"value": grp, "display": "Okta Group"}}
	r := e.do("POST", "/Users", body).must(t, http.StatusCreated)
	id := r.Body["id"].(string)
	if strings.Contains(r.String(), oktaPassword) || r.Body["password"] != nil {
		t.Errorf("password in the answer: %s", r)
	}
	if r.Body["groups"] != nil {
		t.Errorf("groups from the request were applied: %s", r)
	}
	if r.Body["externalId"] != "00ujl29u0le5T6Aj10h7" || r.Body["userName"] != "test.user@okta.local" || r.Body["locale"] != "en-US" ||
		r.Body["active"] != true || get(r.Body, "name", "givenName") != "Test" {
		t.Errorf("POST answer: %s", r)
	}
	u, ident := e.stored(id)
	if u.ExternalID != "00ujl29u0le5T6Aj10h7" || u.Email != "test.user@okta.local" || !u.Active || ident.GivenName != "Test" || ident.FamilyName != "User" {
		t.Errorf("stored %+v %+v", u, ident)
	}
	x := extra(t, ident)
	if x["locale"] != "en-US" || x["password"] != nil || x["groups"] != nil {
		t.Errorf("stored Extra %s", ident.Extra)
	}
	if s := fmt.Sprintf("%+v %+v %s", u, ident, ident.Extra); strings.Contains(s, oktaPassword) {
		t.Errorf("password stored: %s", s)
	}
	if g := e.storedGroup(grp); !slices.Equal(g.Members, []string{other}) {
		t.Errorf("group members %v: the create's groups were applied", g.Members)
	}
	if got := e.do("GET", "/Users/"+id, nil).must(t, http.StatusOK); strings.Contains(got.String(), oktaPassword) || got.Body["groups"] != nil {
		t.Errorf("GET: %s", got)
	}
}

func TestOktaProfileUpdateGetThenPut(t *testing.T) {
	e := newEnv(t)
	id := e.do("POST", "/Users", oktaCreate("test.user@okta.local", "00u1dhhb1fkIGP7RL1d8")).must(t, http.StatusCreated).Body["id"].(string)
	cur := e.do("GET", "/Users/"+id, nil).must(t, http.StatusOK)
	// Okta sends back what it read, with its profile changes, its
	// password and groups, and the id and meta it was given.
	put := map[string]any{
		"schemas":     []any{userURN},
		"id":          id,
		"userName":    "test.user@okta.local",
		"name":        map[string]any{"givenName": "Another", "familyName": "User"},
		"emails":      []any{map[string]any{"primary": true, "value": "test.user@okta.local", "type": "work"}},
		"displayName": "Another User",
		"locale":      "en-GB",
		"externalId":  "00u1dhhb1fkIGP7RL1d8",
		"groups":      []any{},
		"password":    oktaPassword,
		"active":      true,
		"meta":        cur.Body["meta"],
	}
	r := e.do("PUT", "/Users/"+id, put).must(t, http.StatusOK)
	if r.Body["id"] != id || r.Body["displayName"] != "Another User" || get(r.Body, "name", "givenName") != "Another" || r.Body["locale"] != "en-GB" ||
		get(r.Body, "meta", "version") != `W/"2"` || get(r.Body, "meta", "created") != get(cur.Body, "meta", "created") || strings.Contains(r.String(), oktaPassword) {
		t.Errorf("PUT answer: %s", r)
	}
	u, ident := e.stored(id)
	if u.DisplayName != "Another User" || ident.GivenName != "Another" || u.ExternalID != "00u1dhhb1fkIGP7RL1d8" || ident.Version != 2 || extra(t, ident)["locale"] != "en-GB" {
		t.Errorf("stored %+v %+v %s", u, ident, ident.Extra)
	}
	if strings.Contains(string(ident.Extra), oktaPassword) {
		t.Errorf("password stored: %s", ident.Extra)
	}
	if g := e.do("GET", "/Users/"+id, nil).must(t, http.StatusOK); !jsonEqual(g.Body, r.Body) {
		t.Errorf("GET after PUT differs:\n%s\n%s", g, r)
	}
}

func TestOktaDeactivatePathlessReplace(t *testing.T) {
	e := newEnv(t)
	id := e.do("POST", "/Users", oktaCreate("test.user@okta.local", "00ujl29u0le5T6Aj10h7")).must(t, http.StatusCreated).Body["id"].(string)
	r := e.do("PATCH", "/Users/"+id, patchBody(map[string]any{"op": "replace", "value": map[string]any{"active": false}}),
		"Content-Type", "application/json; charset=utf-8", "Accept", "application/scim+json", "User-Agent", "Okta SCIM Client 1.0.0").must(t, http.StatusOK)
	if r.Body["active"] != false || r.Body["id"] != id || r.Body["userName"] != "test.user@okta.local" {
		t.Errorf("PATCH answer: %s", r)
	}
	u, ident := e.stored(id)
	if u.Active || u.UserName != "test.user@okta.local" || u.ExternalID != "00ujl29u0le5T6Aj10h7" || ident.GivenName != "Test" {
		t.Errorf("stored %+v %+v", u, ident)
	}
	// Still there for Okta to read, and to reactivate.
	if g := e.do("GET", "/Users/"+id, nil).must(t, http.StatusOK); g.Body["active"] != false {
		t.Errorf("GET: %s", g)
	}
	e.do("PATCH", "/Users/"+id, patchBody(map[string]any{"op": "replace", "value": map[string]any{"active": true}})).must(t, http.StatusOK)
	if u, _ := e.stored(id); !u.Active {
		t.Errorf("reactivation not stored")
	}
}

func TestOktaGroupRenameWithIDInValue(t *testing.T) {
	e := newEnv(t)
	u := e.do("POST", "/Users", oktaCreate("test.user@okta.local", "00ujl29u0le5T6Aj10h7")).must(t, http.StatusCreated).Body["id"].(string)
	id := e.do("POST", "/Groups", map[string]any{"schemas": []any{groupURN}, "displayName": "Test SCIMv2",
		"members": []any{map[string]any{"value": u, "display": "test.user@okta.local"}}}).must(t, http.StatusCreated).Body["id"].(string)
	r := e.do("PATCH", "/Groups/"+id, patchBody(map[string]any{"op": "replace", "value": map[string]any{"id": id, "displayName": "Test SCIMv2 renamed"}}))
	if r.Status != http.StatusNoContent && r.Status != http.StatusOK {
		t.Fatalf("rename: %d %s", r.Status, r)
	}
	if g := e.storedGroup(id); g.DisplayName != "Test SCIMv2 renamed" || g.ID != id || !slices.Equal(g.Members, []string{u}) {
		t.Errorf("stored %+v", g)
	}
	if g := e.do("GET", "/Groups/"+id, nil).must(t, http.StatusOK); g.Body["displayName"] != "Test SCIMv2 renamed" || g.Body["id"] != id {
		t.Errorf("GET: %s", g)
	}
	if gs := e.do("GET", "/Users/"+u, nil).must(t, http.StatusOK); get(gs.Body, "groups", 0, "display") != "Test SCIMv2 renamed" {
		t.Errorf("member's groups: %s", gs)
	}
	// Another id inside the value is refused and renames nothing.
	e.do("PATCH", "/Groups/"+id, patchBody(map[string]any{"op": "replace", "value": map[string]any{"id": "grp_other", "displayName": "Hijack"}})).
		scimError(t, http.StatusBadRequest, "mutability")
	if g := e.storedGroup(id); g.DisplayName != "Test SCIMv2 renamed" {
		t.Errorf("refused rename stored: %+v", g)
	}
}

func TestOktaMembershipRemoveAddAndReplace(t *testing.T) {
	e := newEnv(t)
	var users []string
	for i := range 4 {
		users = append(users, e.do("POST", "/Users", oktaCreate(fmt.Sprintf("user%d@okta.local", i), fmt.Sprintf("00u%d", i))).
			must(t, http.StatusCreated).Body["id"].(string))
	}
	u0, u1, u2, u3 := users[0], users[1], users[2], users[3]
	id := e.do("POST", "/Groups", map[string]any{"schemas": []any{groupURN}, "displayName": "Test SCIMv2", "members": []any{
		map[string]any{"value": u0, "display": "user0@okta.local"}, map[string]any{"value": u1, "display": "user1@okta.local"},
	}}).must(t, http.StatusCreated).Body["id"].(string)

	// Okta's "Update group membership": a remove with a value filter and
	// an add, in one request.
	r := e.do("PATCH", "/Groups/"+id, patchBody(
		map[string]any{"op": "remove", "path": fmt.Sprintf("members[value eq \"%s\"]", u0)},
		map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": u2, "display": "user2@okta.local"}}},
	))
	if r.Status != http.StatusNoContent && r.Status != http.StatusOK {
		t.Fatalf("membership PATCH: %d %s", r.Status, r)
	}
	if g := e.storedGroup(id); !slices.Equal(g.Members, sorted(u1, u2)) {
		t.Errorf("stored members %v, want %v", g.Members, sorted(u1, u2))
	}
	if gs := e.do("GET", "/Users/"+u0, nil).must(t, http.StatusOK).Body["groups"]; gs != nil {
		t.Errorf("removed user still in groups %v", gs)
	}
	if gs := e.do("GET", "/Users/"+u2, nil).must(t, http.StatusOK); get(gs.Body, "groups", 0, "value") != id {
		t.Errorf("added user's groups: %s", gs)
	}

	// A full replace of the members.
	r = e.do("PATCH", "/Groups/"+id, patchBody(map[string]any{"op": "replace", "path": "members", "value": []any{
		map[string]any{"value": u3, "display": "user3@okta.local"}, map[string]any{"value": u0, "display": "user0@okta.local"},
	}}))
	if r.Status != http.StatusNoContent && r.Status != http.StatusOK {
		t.Fatalf("replace PATCH: %d %s", r.Status, r)
	}
	if g := e.storedGroup(id); !slices.Equal(g.Members, sorted(u0, u3)) {
		t.Errorf("stored members %v, want %v", g.Members, sorted(u0, u3))
	}
	g := e.do("GET", "/Groups/"+id, nil).must(t, http.StatusOK)
	var got []string
	for _, m := range g.Body["members"].([]any) {
		got = append(got, get(m, "value").(string))
	}
	slices.Sort(got)
	if !slices.Equal(got, sorted(u0, u3)) {
		t.Errorf("GET members %v", got)
	}

	// Removing someone who is not a member is a SCIM error and changes nothing.
	e.do("PATCH", "/Groups/"+id, patchBody(map[string]any{"op": "remove", "path": fmt.Sprintf("members[value eq \"%s\"]", u1)})).
		scimError(t, http.StatusBadRequest, "noTarget")
	if g := e.storedGroup(id); !slices.Equal(g.Members, sorted(u0, u3)) {
		t.Errorf("members after a refused remove %v", g.Members)
	}
}

func TestOktaDuplicateCreate(t *testing.T) {
	e := newEnv(t)
	id := e.do("POST", "/Users", oktaCreate("test.user@okta.local", "00ujl29u0le5T6Aj10h7")).must(t, http.StatusCreated).Body["id"].(string)
	before := e.auditCount()
	dup := oktaCreate("test.user@okta.local", "00ujl29u0le5T6Aj10h9")
	dup["name"] = map[string]any{"givenName": "Dup", "familyName": "Licate"}
	e.do("POST", "/Users", dup).scimError(t, http.StatusConflict, "uniqueness")
	if e.auditCount() != before {
		t.Errorf("a refused create wrote to the audit log")
	}
	u, ident := e.stored(id)
	if u.ExternalID != "00ujl29u0le5T6Aj10h7" || ident.GivenName != "Test" {
		t.Errorf("the first user changed: %+v %+v", u, ident)
	}
	if l := e.do("GET", oktaFilter("test.user@okta.local"), nil).must(t, http.StatusOK); !jsonEqual(l.Body["totalResults"], 1) {
		t.Errorf("after duplicate: %s", l)
	}
	// Groups too: displayName is unique.
	e.do("POST", "/Groups", map[string]any{"schemas": []any{groupURN}, "displayName": "Test SCIMv2", "members": []any{}}).must(t, http.StatusCreated)
	e.do("POST", "/Groups", map[string]any{"schemas": []any{groupURN}, "displayName": "Test SCIMv2", "members": []any{}}).scimError(t, http.StatusConflict, "uniqueness")
}

func TestOktaUnauthorizedAndNotFound(t *testing.T) {
	e := newEnv(t)
	id := e.do("POST", "/Users", oktaCreate("test.user@okta.local", "00ujl29u0le5T6Aj10h7")).must(t, http.StatusCreated).Body["id"].(string)
	before := e.auditCount()
	for _, auth := range []string{"", "Bearer not-a-token", "Basic b2t0YTpva3Rh"} {
		e.do("GET", oktaFilter("test.user@okta.local"), nil, "Authorization", auth).scimError(t, http.StatusUnauthorized, "")
		e.do("GET", "/Users/"+id, nil, "Authorization", auth).scimError(t, http.StatusUnauthorized, "")
		e.do("PATCH", "/Users/"+id, patchBody(map[string]any{"op": "replace", "value": map[string]any{"active": false}}), "Authorization", auth).
			scimError(t, http.StatusUnauthorized, "")
	}
	if u, _ := e.stored(id); !u.Active {
		t.Errorf("an unauthenticated PATCH deactivated the user")
	}
	unknown := "23a35c27-23d3-4c03-b4c5-6443c09e7173"
	e.do("GET", "/Users/"+unknown, nil).scimError(t, http.StatusNotFound, "")
	e.do("PUT", "/Users/"+unknown, oktaCreate("x@okta.local", "x")).scimError(t, http.StatusNotFound, "")
	e.do("PATCH", "/Users/"+unknown, patchBody(map[string]any{"op": "replace", "value": map[string]any{"active": false}})).scimError(t, http.StatusNotFound, "")
	e.do("GET", "/Groups/"+unknown, nil).scimError(t, http.StatusNotFound, "")
	e.do("PATCH", "/Groups/"+unknown, patchBody(map[string]any{"op": "replace", "value": map[string]any{"displayName": "x"}})).scimError(t, http.StatusNotFound, "")
	// A user name is not a SCIM id.
	e.do("GET", "/Users/test.user@okta.local", nil).scimError(t, http.StatusNotFound, "")
	if e.auditCount() != before {
		t.Errorf("refused requests wrote to the audit log")
	}
}
