package scimserver_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

const answersPatchURN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

func answersPatch(ops ...map[string]any) map[string]any {
	list := make([]any, len(ops))
	for i, o := range ops {
		list[i] = o
	}
	return map[string]any{"schemas": []any{answersPatchURN}, "Operations": list}
}

// memberValues is the sorted member ids of a Group answer.
func memberValues(t *testing.T, r resp) []string {
	t.Helper()
	list, ok := r.Body["members"].([]any)
	if !ok {
		t.Fatalf("answer has no members list: %s", r)
	}
	out := make([]string, 0, len(list))
	for _, m := range list {
		v, _ := get(m, "value").(string)
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}

func sortedIDs(ids ...string) []string { ids = slices.Clone(ids); slices.Sort(ids); return ids }

// has reports whether r's body carries the attribute name.
func has(r resp, name string) bool { _, ok := r.Body[name]; return ok }

// A User write answers with the resource as the query's attributes or
// excludedAttributes shape it.
func TestAnswersUserWritesHonourProjection(t *testing.T) {
	e := newEnv(t)
	r := e.do("POST", "/Users?attributes=userName", map[string]any{"schemas": []any{pathsUserURN}, "userName": "proj@example.com",
		"displayName": "Proj", "emails": []any{map[string]any{"value": "proj@example.com", "primary": true}}}).must(t, http.StatusCreated)
	id, _ := r.Body["id"].(string)
	if id == "" || r.Body["userName"] != "proj@example.com" || !jsonEqual(r.Body["schemas"], []any{pathsUserURN}) {
		t.Fatalf("POST ?attributes=userName: %s", r)
	}
	if has(r, "displayName") || has(r, "emails") || has(r, "active") {
		t.Errorf("POST ?attributes=userName returned more: %s", r)
	}

	r = e.do("PUT", "/Users/"+id+"?excludedAttributes=emails,meta", map[string]any{"schemas": []any{pathsUserURN}, "userName": "proj@example.com",
		"displayName": "Proj Put", "emails": []any{map[string]any{"value": "proj@example.com", "primary": true}}}).must(t, http.StatusOK)
	if r.Body["id"] != id || r.Body["displayName"] != "Proj Put" || r.Body["userName"] != "proj@example.com" {
		t.Errorf("PUT ?excludedAttributes=emails,meta: %s", r)
	}
	if has(r, "emails") || has(r, "meta") {
		t.Errorf("PUT ?excludedAttributes=emails,meta returned them: %s", r)
	}

	r = e.do("PATCH", "/Users/"+id+"?attributes=displayName", answersPatch(map[string]any{"op": "replace", "path": "displayName", "value": "Proj Patch"})).must(t, http.StatusOK)
	if r.Body["id"] != id || r.Body["displayName"] != "Proj Patch" || !jsonEqual(r.Body["schemas"], []any{pathsUserURN}) {
		t.Errorf("PATCH ?attributes=displayName: %s", r)
	}
	if has(r, "userName") || has(r, "emails") {
		t.Errorf("PATCH ?attributes=displayName returned more: %s", r)
	}

	// Without a projection the whole resource comes back.
	r = e.do("PATCH", "/Users/"+id, answersPatch(map[string]any{"op": "replace", "path": "active", "value": false})).must(t, http.StatusOK)
	if r.Body["id"] != id || r.Body["userName"] != "proj@example.com" || r.Body["active"] != false || !has(r, "emails") || !has(r, "meta") {
		t.Errorf("plain PATCH: %s", r)
	}
}

// A Group write answers with the resource as attributes/excludedAttributes
// shape it, and a membership PATCH that asks for members shows them as they
// are after the change.
func TestAnswersGroupWritesHonourProjection(t *testing.T) {
	e := newEnv(t)
	u1 := e.user(map[string]any{"userName": "g1@example.com"})
	u2 := e.user(map[string]any{"userName": "g2@example.com"})
	u3 := e.user(map[string]any{"userName": "g3@example.com"})

	r := e.do("POST", "/Groups?excludedAttributes=members", map[string]any{"schemas": []any{pathsGroupURN}, "displayName": "Answers",
		"members": []any{map[string]any{"value": u1}}}).must(t, http.StatusCreated)
	gid, _ := r.Body["id"].(string)
	if gid == "" || r.Body["displayName"] != "Answers" || !jsonEqual(r.Body["schemas"], []any{pathsGroupURN}) || has(r, "members") {
		t.Fatalf("POST ?excludedAttributes=members: %s", r)
	}
	if got := e.storedGroup(gid).Members; !slices.Equal(got, []string{u1}) {
		t.Errorf("stored members %v after POST", got)
	}

	r = e.do("PUT", "/Groups/"+gid+"?attributes=displayName", map[string]any{"schemas": []any{pathsGroupURN}, "displayName": "Answers Put",
		"members": []any{map[string]any{"value": u1}, map[string]any{"value": u2}}}).must(t, http.StatusOK)
	if r.Body["id"] != gid || r.Body["displayName"] != "Answers Put" || has(r, "members") || has(r, "meta") {
		t.Errorf("PUT ?attributes=displayName: %s", r)
	}

	// Add a member, asking for the members: the answer shows all three.
	r = e.do("PATCH", "/Groups/"+gid+"?attributes=members", answersPatch(map[string]any{"op": "add", "path": "members",
		"value": []any{map[string]any{"value": u3}}})).must(t, http.StatusOK)
	if r.Body["id"] != gid || !jsonEqual(r.Body["schemas"], []any{pathsGroupURN}) || has(r, "displayName") {
		t.Errorf("PATCH ?attributes=members: %s", r)
	}
	if got := memberValues(t, r); !slices.Equal(got, sortedIDs(u1, u2, u3)) {
		t.Errorf("PATCH add answered members %v, want %v", got, sortedIDs(u1, u2, u3))
	}
	if ref, _ := get(r.Body, "members", 0, "$ref").(string); !strings.HasPrefix(ref, e.srv.URL+"/scim/v2/Users/") {
		t.Errorf("member $ref %q", ref)
	}

	// Remove one, asking to leave members out.
	r = e.do("PATCH", "/Groups/"+gid+"?excludedAttributes=members", answersPatch(map[string]any{"op": "remove",
		"path": `members[value eq "` + u1 + `"]`})).must(t, http.StatusOK)
	if r.Body["id"] != gid || r.Body["displayName"] != "Answers Put" || has(r, "members") || r.Header.Get("ETag") == "" {
		t.Errorf("PATCH ?excludedAttributes=members: %s", r)
	}
	if got := e.storedGroup(gid).Members; !slices.Equal(got, sortedIDs(u2, u3)) {
		t.Errorf("stored members %v, want %v", got, sortedIDs(u2, u3))
	}

	// Replace the members, excluding something else: the rest of the
	// group, members as they are now.
	r = e.do("PATCH", "/Groups/"+gid+"?excludedAttributes=externalId", answersPatch(map[string]any{"op": "replace", "path": "members",
		"value": []any{map[string]any{"value": u1}}}))
	r.must(t, http.StatusOK)
	if r.Body["displayName"] != "Answers Put" || !has(r, "meta") {
		t.Errorf("PATCH replace: %s", r)
	}
	if got := memberValues(t, r); !slices.Equal(got, []string{u1}) {
		t.Errorf("PATCH replace answered members %v, want [%s]", got, u1)
	}
	if etag := r.Header.Get("ETag"); etag == "" || etag != get(r.Body, "meta", "version") {
		t.Errorf("ETag %q, meta.version %v", etag, get(r.Body, "meta", "version"))
	}
}

// A member id that names nobody is refused with invalidValue naming it,
// and none of the request is applied, whichever way it is sent.
func TestAnswersUnknownMemberRefusedWhole(t *testing.T) {
	e := newEnv(t)
	u1 := e.user(map[string]any{"userName": "m1@example.com"})
	u2 := e.user(map[string]any{"userName": "m2@example.com"})
	u3 := e.user(map[string]any{"userName": "m3@example.com"})
	const ghost = "usr_doesnotexist"

	refused := func(r resp, what string) {
		t.Helper()
		r.scimError(t, http.StatusBadRequest, "invalidValue")
		if d, _ := r.Body["detail"].(string); !strings.Contains(d, ghost) {
			t.Errorf("%s: detail %q does not name %s", what, d, ghost)
		}
	}

	before := e.auditCount()
	refused(e.do("POST", "/Groups", map[string]any{"schemas": []any{pathsGroupURN}, "displayName": "Ghosts",
		"members": []any{map[string]any{"value": u1}, map[string]any{"value": ghost}, map[string]any{"value": u2}}}), "POST")
	if got := e.auditCount(); got != before {
		t.Errorf("refused POST wrote %d audit entries", got-before)
	}
	if r := e.do("GET", "/Groups?filter=displayName%20eq%20%22Ghosts%22", nil).must(t, http.StatusOK); r.Body["totalResults"] != float64(0) {
		t.Errorf("refused POST created the group: %s", r)
	}
	if gs := e.do("GET", "/Users/"+u1, nil).must(t, http.StatusOK).Body["groups"]; gs != nil {
		t.Errorf("refused POST gave u1 groups %v", gs)
	}

	gid := e.do("POST", "/Groups", map[string]any{"schemas": []any{pathsGroupURN}, "displayName": "Real",
		"members": []any{map[string]any{"value": u1}}}).must(t, http.StatusCreated).Body["id"].(string)
	version := e.storedGroup(gid).Version
	before = e.auditCount()
	unchanged := func(what string) {
		t.Helper()
		g := e.storedGroup(gid)
		if !slices.Equal(g.Members, []string{u1}) || g.DisplayName != "Real" || g.Version != version {
			t.Errorf("%s changed the group: %+v", what, g)
		}
		if got := e.auditCount(); got != before {
			t.Errorf("%s wrote %d audit entries", what, got-before)
		}
		for _, u := range []string{u2, u3} {
			if gs := e.do("GET", "/Users/"+u, nil).must(t, http.StatusOK).Body["groups"]; gs != nil {
				t.Errorf("%s gave %s groups %v", what, u, gs)
			}
		}
	}

	refused(e.do("PUT", "/Groups/"+gid, map[string]any{"schemas": []any{pathsGroupURN}, "displayName": "Real renamed",
		"members": []any{map[string]any{"value": u2}, map[string]any{"value": ghost}, map[string]any{"value": u3}}}), "PUT")
	unchanged("refused PUT")

	refused(e.do("PATCH", "/Groups/"+gid, answersPatch(
		map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": u2}, map[string]any{"value": ghost}, map[string]any{"value": u3}}},
	)), "PATCH add")
	unchanged("refused PATCH add")

	refused(e.do("PATCH", "/Groups/"+gid, answersPatch(
		map[string]any{"op": "replace", "path": "displayName", "value": "Real renamed"},
		map[string]any{"op": "replace", "path": "members", "value": []any{map[string]any{"value": u3}, map[string]any{"value": ghost}, map[string]any{"value": u2}}},
	)), "PATCH replace")
	unchanged("refused PATCH replace")

	// Entra's form: add without a path, members in the value.
	refused(e.do("PATCH", "/Groups/"+gid, answersPatch(
		map[string]any{"op": "Add", "value": map[string]any{"members": []any{map[string]any{"value": u2}, map[string]any{"value": ghost}}}},
	)), "PATCH add without path")
	unchanged("refused PATCH add without path")
}
