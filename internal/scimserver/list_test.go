package scimserver_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/scimserver"
)

// seedPeople creates n people u00…: even ones in IT with a work e-mail,
// every third inactive, titles "Analyst N".
func seedPeople(e *env, n int) []string {
	e.t.Helper()
	var ids []string
	for i := range n {
		dept := "HR"
		if i%2 == 0 {
			dept = "IT"
		}
		typ := "home"
		if i%2 == 0 {
			typ = "work"
		}
		ids = append(ids, e.user(map[string]any{
			"schemas":     []string{userURN, enterpriseURN, seatkeeperURN},
			"userName":    fmt.Sprintf("u%02d@example.com", i),
			"externalId":  fmt.Sprintf("X-%02d", i),
			"active":      i%3 != 0,
			"title":       fmt.Sprintf("Analyst %d", i),
			"emails":      []any{map[string]any{"value": fmt.Sprintf("u%02d@mail.example", i), "type": typ}},
			enterpriseURN: map[string]any{"department": dept, "employeeNumber": fmt.Sprintf("%03d", i)},
			seatkeeperURN: map[string]any{"jobCode": fmt.Sprintf("ITSD-%d", i%4)},
		}))
	}
	return ids
}

func (e *env) list(path string, q url.Values) resp {
	e.t.Helper()
	return e.do("GET", path+"?"+q.Encode(), nil).must(e.t, http.StatusOK)
}

func userNames(r resp) []string {
	var out []string
	for _, x := range r.Body["Resources"].([]any) {
		out = append(out, get(x, "userName").(string))
	}
	return out
}

func TestListFilters(t *testing.T) { bothStores(t, testListFilters) }

func testListFilters(t *testing.T, e *env) {
	seedPeople(e, 12)
	cases := []struct {
		filter string
		want   []string // user name numbers
	}{
		{`userName eq "U03@EXAMPLE.COM"`, []string{"03"}},
		{`userName ne "u03@example.com" and userName lt "u03"`, []string{"00", "01", "02"}},
		{`userName co "1@"`, []string{"01", "11"}},
		{`userName sw "u1"`, []string{"10", "11"}},
		{`userName ew "5@example.com"`, []string{"05"}},
		{`externalId eq "X-04"`, []string{"04"}},
		{`externalId eq "x-04"`, nil}, // externalId is caseExact
		{`title pr and title ew "1"`, []string{"01", "11"}},
		{`active eq false`, []string{"00", "03", "06", "09"}},
		{`userName gt "u09@example.com" and userName le "u11@example.com"`, []string{"10", "11"}},
		{`userName ge "u11"`, []string{"11"}},
		{`not (active eq true) and urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "it"`, []string{"00", "06"}},
		{`(userName eq "u01@example.com" or userName eq "u02@example.com") and active eq true`, []string{"01", "02"}},
		{`emails[type eq "work"].value eq "u04@mail.example"`, []string{"04"}},
		{`emails[type eq "work" and value co "u1"]`, []string{"10"}},
		{`emails.value sw "u05"`, []string{"05"}},
		{`urn:ietf:params:scim:schemas:extension:seatkeeper:2.0:User:jobCode eq "ITSD-3"`, []string{"03", "07", "11"}},
		{`meta.created gt "2000-01-01T00:00:00Z" and userName eq "u00@example.com"`, []string{"00"}},
		{`userName eq "nobody"`, nil},
	}
	for _, c := range cases {
		t.Run(c.filter, func(t *testing.T) {
			r := e.list("/Users", url.Values{"filter": {c.filter}, "sortBy": {"userName"}})
			var want []string
			for _, n := range c.want {
				want = append(want, "u"+n+"@example.com")
			}
			got := userNames(r)
			if !slices.Equal(got, want) || r.Body["totalResults"] != float64(len(want)) {
				t.Errorf("got %v (total %v), want %v", got, r.Body["totalResults"], want)
			}
		})
	}
	for _, bad := range []string{`userName eq`, `userName xx "a"`, `(userName eq "a"`, `emails[type eq "work"`, `userName eq "a" and`, `"a" eq userName`} {
		e.do("GET", "/Users?"+url.Values{"filter": {bad}}.Encode(), nil).scimError(t, http.StatusBadRequest, "invalidFilter")
	}
}

func TestListPagingSortingProjection(t *testing.T) { bothStores(t, testListPagingSortingProjection) }

func testListPagingSortingProjection(t *testing.T, e *env) {
	seedPeople(e, 23)
	// Pages of 5 in a stable order cover everyone once, for a pushed-down
	// filter and for one matched in memory (title).
	for _, filter := range []string{"", `title sw "Analyst"`} {
		var seen []string
		for start := 1; start <= 25; start += 5 {
			r := e.list("/Users", url.Values{"filter": {filter}, "startIndex": {fmt.Sprint(start)}, "count": {"5"}, "sortBy": {"userName"}, "sortOrder": {"descending"}})
			if r.Body["totalResults"] != float64(23) || r.Body["startIndex"] != float64(start) {
				t.Fatalf("page %d: %s", start, r)
			}
			seen = append(seen, userNames(r)...)
		}
		if len(seen) != 23 || !slices.IsSortedFunc(seen, func(a, b string) int { return -strings.Compare(a, b) }) {
			t.Fatalf("filter %q: pages gave %v", filter, seen)
		}
	}
	// count=0 gives the total only; startIndex below 1 means 1.
	r := e.list("/Users", url.Values{"count": {"0"}})
	if r.Body["totalResults"] != float64(23) || len(r.Body["Resources"].([]any)) != 0 {
		t.Errorf("count=0: %s", r)
	}
	r = e.list("/Users", url.Values{"startIndex": {"-4"}, "count": {"1"}, "sortBy": {"userName"}})
	if got := userNames(r); len(got) != 1 || got[0] != "u00@example.com" {
		t.Errorf("startIndex=-4: %v", got)
	}
	// attributes keeps only what is asked (and id, schemas); excluded drops.
	r = e.list("/Users", url.Values{"attributes": {"userName,urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"}, "count": {"1"}, "sortBy": {"userName"}})
	one := r.Body["Resources"].([]any)[0].(map[string]any)
	if len(one) != 4 || one["id"] == nil || one["schemas"] == nil || get(one, enterpriseURN, "department") != "IT" || one["emails"] != nil {
		t.Errorf("attributes: %v", one)
	}
	r = e.list("/Users", url.Values{"excludedAttributes": {"emails,title"}, "count": {"1"}})
	one = r.Body["Resources"].([]any)[0].(map[string]any)
	if one["emails"] != nil || one["title"] != nil || one["userName"] == nil {
		t.Errorf("excludedAttributes: %v", one)
	}
	// POST /.search takes the same in a body.
	s := e.do("POST", "/Users/.search", map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:SearchRequest"},
		"filter": `userName sw "u2"`, "sortBy": "userName", "count": 2, "attributes": []string{"userName"}}).must(t, http.StatusOK)
	if got := userNames(s); !slices.Equal(got, []string{"u20@example.com", "u21@example.com"}) || s.Body["totalResults"] != float64(3) {
		t.Errorf(".search: %s", s)
	}
	for _, q := range []url.Values{{"count": {"x"}}, {"startIndex": {"1.5"}}, {"sortOrder": {"sideways"}}, {"sortBy": {"password"}}} {
		e.do("GET", "/Users?"+q.Encode(), nil).scimError(t, http.StatusBadRequest, "invalidValue")
	}
}

func TestGroups(t *testing.T) { bothStores(t, testGroups) }

func testGroups(t *testing.T, e *env) {
	ids := seedPeople(e, 4)
	g := e.do("POST", "/Groups", map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"}, "displayName": "Desk EU", "externalId": "g-1",
		"members": []any{map[string]any{"value": ids[0]}, map[string]any{"value": ids[1]}}}).must(t, http.StatusCreated)
	gid := g.Body["id"].(string)
	if len(g.Body["members"].([]any)) != 2 || g.Header.Get("ETag") != `W/"1"` {
		t.Fatalf("create: %s", g)
	}
	// displayName is unique in any case.
	e.do("POST", "/Groups", map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"}, "displayName": "desk eu"}).scimError(t, http.StatusConflict, "uniqueness")
	// A member's User resource lists the group.
	u := e.do("GET", "/Users/"+ids[0], nil).must(t, http.StatusOK)
	if get(u.Body, "groups", 0, "value") != gid || get(u.Body, "groups", 0, "display") != "Desk EU" {
		t.Errorf("user groups: %v", u.Body["groups"])
	}
	// Filters: by name (pushed down), by member (in memory).
	r := e.list("/Groups", url.Values{"filter": {`displayName eq "DESK EU"`}, "excludedAttributes": {"members"}})
	if r.Body["totalResults"] != float64(1) || get(r.Body, "Resources", 0, "members") != nil {
		t.Errorf("by name: %s", r)
	}
	r = e.list("/Groups", url.Values{"filter": {`members.value eq "` + ids[1] + `"`}})
	if r.Body["totalResults"] != float64(1) {
		t.Errorf("by member: %s", r)
	}
	r = e.list("/Groups", url.Values{"filter": {`members.value eq "` + ids[3] + `"`}})
	if r.Body["totalResults"] != float64(0) {
		t.Errorf("by non-member: %s", r)
	}
	// PUT replaces members and name; a stale If-Match changes nothing.
	put := map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"}, "displayName": "Desk Europe", "members": []any{map[string]any{"value": ids[2]}}}
	e.do("PUT", "/Groups/"+gid, put, "If-Match", `W/"9"`).scimError(t, http.StatusPreconditionFailed, "")
	p := e.do("PUT", "/Groups/"+gid, put, "If-Match", `W/"1"`).must(t, http.StatusOK)
	if p.Body["displayName"] != "Desk Europe" || len(p.Body["members"].([]any)) != 1 {
		t.Errorf("PUT: %s", p)
	}
	if u := e.do("GET", "/Users/"+ids[0], nil); u.Body["groups"] != nil {
		t.Errorf("ex-member still lists the group: %v", u.Body["groups"])
	}
	// A member of a group named as identity providers name them can still
	// be changed.
	e.do("PATCH", "/Users/"+ids[2], map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []any{map[string]any{"op": "replace", "path": "title", "value": "Lead"}}}).must(t, http.StatusOK)
	// Unknown members are refused and change nothing.
	before := e.auditCount()
	put["members"] = []any{map[string]any{"value": "usr_nobody"}}
	e.do("PUT", "/Groups/"+gid, put).scimError(t, http.StatusBadRequest, "invalidValue")
	if e.auditCount() != before {
		t.Error("a refused PUT wrote to the audit log")
	}
	e.do("DELETE", "/Groups/"+gid, nil, "If-Match", `W/"1"`).scimError(t, http.StatusPreconditionFailed, "")
	e.do("DELETE", "/Groups/"+gid, nil).must(t, http.StatusNoContent)
	e.do("GET", "/Groups/"+gid, nil).scimError(t, http.StatusNotFound, "")
}

// TestInMemoryFilterIsBounded: a filter SQL cannot express is matched in
// memory over at most the scan limit, then refused with tooMany; filters
// on stored columns are not limited.
func TestInMemoryFilterIsBounded(t *testing.T) {
	e := newEnv(t, scimserver.WithScanLimit(5))
	seedPeople(e, 6)
	e.do("GET", "/Users?"+url.Values{"filter": {`title sw "Analyst"`}}.Encode(), nil).scimError(t, http.StatusBadRequest, "tooMany")
	if r := e.list("/Users", url.Values{"filter": {`userName sw "u0"`}}); r.Body["totalResults"] != float64(6) {
		t.Errorf("pushed-down filter: %s", r)
	}
	e5 := newEnv(t, scimserver.WithScanLimit(6))
	seedPeople(e5, 6)
	if r := e5.list("/Users", url.Values{"filter": {`title sw "Analyst"`}}); r.Body["totalResults"] != float64(6) {
		t.Errorf("at the limit: %s", r)
	}
}
