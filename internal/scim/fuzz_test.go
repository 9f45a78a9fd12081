package scim

import (
	"bytes"
	"encoding/json"
	"testing"
)

func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{
		`userName eq "bjensen"`, `emails[type eq "work"].value eq "x"`, `not (a pr) or b gt 5 and c le "2011-05-13T04:42:34Z"`,
		`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber sw "7"`,
	} {
		f.Add(s)
	}
	r := decode(f, bjensen)
	cols := map[string]Column{"userName": {Name: "user_name"}, "active": {Name: "active"}, `emails[type eq "work"].value`: {Name: "e"}}
	f.Fuzz(func(t *testing.T, s string) {
		flt, err := ParseFilter(s)
		if err != nil {
			if ErrorFrom(err).SCIMType != InvalidFilter {
				t.Fatalf("error %v is not invalidFilter", err)
			}
			return
		}
		flt.Check(UserSchema())
		flt.Match(r)
		flt.SQL(cols)
		// The printed form parses back to the same filter.
		again, err := ParseFilter(flt.String())
		if err != nil {
			t.Fatalf("reparse of %q (%s): %v", s, flt, err)
		}
		if again.String() != flt.String() {
			t.Fatalf("reparse changed %s into %s", flt, again)
		}
	})
}

func FuzzApplyPatch(f *testing.F) {
	f.Add(bjensen, `[{"op":"Replace","path":"emails[type eq \"work\"].value","value":"x@y"}]`, true)
	f.Add(group, `[{"op":"Remove","path":"members","value":[{"value":"u1"}]}]`, false)
	f.Fuzz(func(t *testing.T, res, ops string, user bool) {
		dec := json.NewDecoder(bytes.NewReader([]byte(res)))
		dec.UseNumber()
		var r Resource
		if dec.Decode(&r) != nil {
			return
		}
		body, err := DecodePatch([]byte(patchHead + ops + `}`))
		if err != nil {
			return
		}
		schema := GroupSchema()
		if user {
			schema = UserSchema()
		}
		for _, s := range []*Schema{schema, nil} {
			before := canon(t, r)
			out, err := ApplyPatch(r, body, s)
			if canon(t, r) != before {
				t.Fatalf("input modified")
			}
			if err != nil {
				if e := ErrorFrom(err); e.Status != 400 || e.SCIMType == "" {
					t.Fatalf("error %v has no scimType", err)
				}
				continue
			}
			if _, err := json.Marshal(out); err != nil {
				t.Fatalf("result does not marshal: %v", err)
			}
			Project(out, []string{"userName", "emails.value"}, nil, s)
			Project(out, nil, []string{"members"}, s)
		}
	})
}

// FuzzParseResource: any POST or PUT body either parses into a resource that
// names its core schema and marshals, or is refused with a 400 and a
// scimType; the password never survives.
func FuzzParseResource(f *testing.F) {
	f.Add(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a","password":"p","active":"False"}`, true)
	f.Add(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"userName":"a","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":"m","employeeNumber":"7"}}`, true)
	f.Add(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group","http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],"displayName":"g","meta":{"resourceType":"Group"},"roles":[],"members":[{"value":"u1"}]}`, false)
	f.Fuzz(func(t *testing.T, body string, user bool) {
		schema := GroupSchema()
		if user {
			schema = UserSchema()
		}
		r, err := ParseResource([]byte(body), schema)
		if err != nil {
			if e := ErrorFrom(err); e.Status != 400 || e.SCIMType == "" {
				t.Fatalf("error %v is not a 400 with a scimType", err)
			}
			return
		}
		if s, _ := r["schemas"].([]any); len(s) == 0 || s[0] != schema.ID {
			t.Fatalf("schemas %v do not start with %s", r["schemas"], schema.ID)
		}
		if _, ok := r["password"]; ok {
			t.Fatalf("password kept: %v", r)
		}
		if _, err := json.Marshal(r); err != nil {
			t.Fatalf("result does not marshal: %v", err)
		}
	})
}
