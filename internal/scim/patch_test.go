package scim

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

const (
	patchHead = `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":`
	entUser   = `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"u1","userName":"ann@x.com","active":true,"title":"Dev","nickName":"Annie",
		"name":{"givenName":"Ann","familyName":"Lee"},"emails":[{"value":"ann@x.com","type":"work","primary":true}]}`
	entUserExt = `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"id":"u1","userName":"ann@x.com",
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"1","manager":{"value":"m0"}}}`
	group = `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"g1","displayName":"Sales",
		"members":[{"value":"u1","display":"a"},{"value":"u2","display":"b"},{"value":"u3","display":"c"}]}`
)

func canon(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var x any
	if err := json.Unmarshal(b, &x); err != nil {
		t.Fatal(err)
	}
	b, _ = json.Marshal(x)
	return string(b)
}

func TestApplyPatch(t *testing.T) {
	tests := []struct {
		name   string
		start  string
		schema *Schema
		ops    string // the Operations array, as the client sends it
		want   string
	}{
		{"entra capitalised ops and string booleans", entUser, UserSchema(),
			`[{"op":"Replace","path":"active","value":"False"}]`,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"u1","userName":"ann@x.com","active":false,"title":"Dev","nickName":"Annie",
			"name":{"givenName":"Ann","familyName":"Lee"},"emails":[{"value":"ann@x.com","type":"work","primary":true}]}`},
		{"entra path-less replace with dotted and URN keys", entUser, UserSchema(),
			`[{"op":"Replace","value":{"name.givenName":"Annabel","displayName":"Annabel Lee","active":"True",
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"42",
			"urn:ietf:params:scim:schemas:extension:seatkeeper:2.0:User:jobCode":"ENG-7"}}]`,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User","urn:ietf:params:scim:schemas:extension:seatkeeper:2.0:User"],
			"id":"u1","userName":"ann@x.com","active":true,"title":"Dev","nickName":"Annie","displayName":"Annabel Lee",
			"name":{"givenName":"Annabel","familyName":"Lee"},"emails":[{"value":"ann@x.com","type":"work","primary":true}],
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"42"},
			"urn:ietf:params:scim:schemas:extension:seatkeeper:2.0:User":{"jobCode":"ENG-7"}}`},
		{"entra add on single-valued replaces, and adds a work e-mail", entUser, UserSchema(),
			`[{"op":"Add","path":"title","value":"Lead"},{"op":"Add","path":"emails[type eq \"work\"].value","value":"ann.lee@x.com"},
			{"op":"Add","path":"phoneNumbers[type eq \"mobile\"].value","value":"+1 555"}]`,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"u1","userName":"ann@x.com","active":true,"title":"Lead","nickName":"Annie",
			"name":{"givenName":"Ann","familyName":"Lee"},"emails":[{"value":"ann.lee@x.com","type":"work","primary":true}],
			"phoneNumbers":[{"type":"mobile","value":"+1 555"}]}`},
		{"entra empty and null values clear", entUser, UserSchema(),
			`[{"op":"Replace","path":"title","value":""},{"op":"Replace","path":"nickName","value":null},{"op":"Replace","value":{"name.familyName":""}}]`,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"u1","userName":"ann@x.com","active":true,
			"name":{"givenName":"Ann"},"emails":[{"value":"ann@x.com","type":"work","primary":true}]}`},
		{"entra manager as bare string", entUserExt, UserSchema(),
			`[{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"m1"}]`,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"id":"u1","userName":"ann@x.com",
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"1","manager":{"value":"m1"}}}`},
		{"entra manager as object", entUserExt, UserSchema(),
			`[{"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":{"value":"m2"}}]`,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"id":"u1","userName":"ann@x.com",
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"1","manager":{"value":"m2"}}}`},
		{"entra manager as array", entUserExt, UserSchema(),
			`[{"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":[{"value":"m3"}]}]`,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"id":"u1","userName":"ann@x.com",
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"1","manager":{"value":"m3"}}}`},
		{"entra manager removed by empty replace", entUserExt, UserSchema(),
			`[{"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":""}]`,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"id":"u1","userName":"ann@x.com",
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"1"}}`},
		{"entra manager removed by empty value object, extension dropped when empty", entUserExt, UserSchema(),
			`[{"op":"Replace","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager":{"value":""},
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":null}}]`,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"u1","userName":"ann@x.com"}`},
		{"entra remove members with a value list", group, GroupSchema(),
			`[{"op":"Remove","path":"members","value":[{"value":"u1"},{"value":"U3"},{"value":"nobody"}]}]`,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"g1","displayName":"Sales","members":[{"value":"u2","display":"b"}]}`},
		{"entra add members skips present ones", group, GroupSchema(),
			`[{"op":"Add","path":"members","value":[{"value":"u2"},{"value":"u4"}]}]`,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"g1","displayName":"Sales",
			"members":[{"value":"u1","display":"a"},{"value":"u2"},{"value":"u3","display":"c"},{"value":"u4"}]}`},
		{"okta deactivation", entUser, UserSchema(),
			`[{"op":"replace","value":{"active":false}}]`,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"u1","userName":"ann@x.com","active":false,"title":"Dev","nickName":"Annie",
			"name":{"givenName":"Ann","familyName":"Lee"},"emails":[{"value":"ann@x.com","type":"work","primary":true}]}`},
		{"okta group rename with id in value", group, GroupSchema(),
			`[{"op":"replace","value":{"id":"g1","displayName":"Field Sales"}}]`,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"g1","displayName":"Field Sales",
			"members":[{"value":"u1","display":"a"},{"value":"u2","display":"b"},{"value":"u3","display":"c"}]}`},
		{"okta membership remove by filter plus add", group, GroupSchema(),
			`[{"op":"remove","path":"members[value eq \"u1\"]"},{"op":"add","path":"members","value":[{"value":"u9","display":"z"}]}]`,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"g1","displayName":"Sales",
			"members":[{"value":"u2","display":"b"},{"value":"u3","display":"c"},{"value":"u9","display":"z"}]}`},
		{"okta membership full replace", group, GroupSchema(),
			`[{"op":"replace","path":"members","value":[{"value":"u7"}]}]`,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"g1","displayName":"Sales","members":[{"value":"u7"}]}`},
		{"remove all members", group, GroupSchema(),
			`[{"op":"remove","path":"members"}]`,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"g1","displayName":"Sales"}`},
		{"replace by filter and sub-attribute", entUser, UserSchema(),
			`[{"op":"replace","path":"emails[value eq \"ANN@x.com\"].type","value":"home"}]`,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"u1","userName":"ann@x.com","active":true,"title":"Dev","nickName":"Annie",
			"name":{"givenName":"Ann","familyName":"Lee"},"emails":[{"value":"ann@x.com","type":"home","primary":true}]}`},
		{"remove one member by filter", group, GroupSchema(),
			`[{"op":"remove","path":"members[value eq \"u2\"]"}]`,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"g1","displayName":"Sales",
			"members":[{"value":"u1","display":"a"},{"value":"u3","display":"c"}]}`},
		{"add a whole extension object", entUser, UserSchema(),
			`[{"op":"add","value":{"urn:ietf:params:scim:schemas:extension:seatkeeper:2.0:User":{"JOBCODE":"HR-1"}}}]`,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:seatkeeper:2.0:User"],"id":"u1","userName":"ann@x.com","active":true,"title":"Dev","nickName":"Annie",
			"name":{"givenName":"Ann","familyName":"Lee"},"emails":[{"value":"ann@x.com","type":"work","primary":true}],
			"urn:ietf:params:scim:schemas:extension:seatkeeper:2.0:User":{"jobCode":"HR-1"}}`},
		{"complex replace keeps unnamed sub-attributes", entUser, UserSchema(),
			`[{"op":"replace","path":"name","value":{"givenName":"Anna"}}]`,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"u1","userName":"ann@x.com","active":true,"title":"Dev","nickName":"Annie",
			"name":{"givenName":"Anna","familyName":"Lee"},"emails":[{"value":"ann@x.com","type":"work","primary":true}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ops, err := DecodePatch([]byte(patchHead + tt.ops + `}`))
			if err != nil {
				t.Fatalf("DecodePatch: %v", err)
			}
			start := decode(t, tt.start)
			before := canon(t, start)
			got, err := ApplyPatch(start, ops, tt.schema)
			if err != nil {
				t.Fatalf("ApplyPatch: %v", err)
			}
			if g, w := canon(t, got), canon(t, decode(t, tt.want)); g != w {
				t.Errorf("got  %s\nwant %s", g, w)
			}
			if canon(t, start) != before {
				t.Errorf("input modified: %s", canon(t, start))
			}
		})
	}
}

func TestApplyPatchErrors(t *testing.T) {
	tests := []struct {
		name     string
		start    string
		schema   *Schema
		ops      string
		scimType string
	}{
		{"remove without path", entUser, UserSchema(), `[{"op":"remove"}]`, NoTarget},
		{"remove by filter matching nothing", group, GroupSchema(), `[{"op":"remove","path":"members[value eq \"nobody\"]"}]`, NoTarget},
		{"replace by filter matching nothing", group, GroupSchema(), `[{"op":"replace","path":"members[value eq \"nobody\"]","value":{"value":"x"}}]`, NoTarget},
		{"broken path", entUser, UserSchema(), `[{"op":"replace","path":"emails[type eq","value":"x"}]`, InvalidPath},
		{"unknown attribute", entUser, UserSchema(), `[{"op":"replace","path":"shoeSize","value":"x"}]`, InvalidPath},
		{"unknown key in path-less value", entUser, UserSchema(), `[{"op":"replace","value":{"shoeSize":"x"}}]`, InvalidPath},
		{"unknown schema", entUser, UserSchema(), `[{"op":"add","path":"urn:example:foo:bar","value":"x"}]`, InvalidPath},
		{"filter on a single-valued attribute", entUser, UserSchema(), `[{"op":"replace","path":"title[value eq \"x\"]","value":"y"}]`, InvalidPath},
		{"id is read-only", entUser, UserSchema(), `[{"op":"replace","path":"id","value":"u2"}]`, Mutability},
		{"meta is read-only", entUser, UserSchema(), `[{"op":"replace","path":"meta.created","value":"2020-01-01T00:00:00Z"}]`, Mutability},
		{"another id in a path-less value", group, GroupSchema(), `[{"op":"replace","value":{"id":"g2","displayName":"X"}}]`, Mutability},
		{"groups are read-only on users", entUser, UserSchema(), `[{"op":"add","path":"groups","value":[{"value":"g1"}]}]`, Mutability},
		{"member value is immutable", group, GroupSchema(), `[{"op":"replace","path":"members[value eq \"u1\"].value","value":"u5"}]`, Mutability},
		{"boolean expected", entUser, UserSchema(), `[{"op":"replace","path":"active","value":"maybe"}]`, InvalidValue},
		{"complex expected", entUser, UserSchema(), `[{"op":"replace","path":"name","value":"Ann Lee"}]`, InvalidValue},
		{"string expected", entUser, UserSchema(), `[{"op":"replace","path":"title","value":{"x":1}}]`, InvalidValue},
		{"required userName", entUser, UserSchema(), `[{"op":"replace","path":"userName","value":""}]`, InvalidValue},
		{"required displayName", group, GroupSchema(), `[{"op":"remove","path":"displayName"}]`, InvalidValue},
		{"path-less value not an object", entUser, UserSchema(), `[{"op":"replace","value":"x"}]`, InvalidValue},
		{"unknown op", entUser, UserSchema(), `[{"op":"move","path":"title","value":"x"}]`, InvalidSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ops, err := DecodePatch([]byte(patchHead + tt.ops + `}`))
			if err != nil {
				t.Fatalf("DecodePatch: %v", err)
			}
			start := decode(t, tt.start)
			before := canon(t, start)
			got, err := ApplyPatch(start, ops, tt.schema)
			var se *Error
			if !errors.As(err, &se) || se.SCIMType != tt.scimType || se.Status != 400 {
				t.Fatalf("ApplyPatch = %v, %v; want scimType %s", got, err, tt.scimType)
			}
			if canon(t, start) != before {
				t.Errorf("input modified: %s", canon(t, start))
			}
		})
	}
}

func TestDecodePatch(t *testing.T) {
	for _, body := range []string{
		`{`, `[]`, `{"schemas":[],"Operations":[{"op":"add","path":"x","value":1}]}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[]}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":{"op":"add"}}`,
	} {
		_, err := DecodePatch([]byte(body))
		var se *Error
		if !errors.As(err, &se) || se.SCIMType != InvalidSyntax {
			t.Errorf("DecodePatch(%s) = %v, want invalidSyntax", body, err)
		}
	}
	// Entra spells the key "Operations"; others send "operations".
	ops, err := DecodePatch([]byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"operations":[{"op":"Add","path":"x","value":1}]}`))
	if err != nil || len(ops) != 1 || !reflect.DeepEqual(ops[0].Value, json.Number("1")) {
		t.Errorf("DecodePatch = %#v, %v", ops, err)
	}
}

// An array where the schema has one value, or an array inside an array, is
// a wrong type: refused, never taken for an empty value that clears.
func TestApplyPatchArrayShapes(t *testing.T) {
	const ent = `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`
	refused := []struct {
		start string
		ops   string
	}{
		{entUser, `[{"op":"replace","path":"displayName","value":[]}]`},
		{entUser, `[{"op":"replace","path":"title","value":[]}]`},
		{entUser, `[{"op":"Replace","path":"title","value":[""]}]`},
		{entUser, `[{"op":"add","path":"title","value":[null]}]`},
		{entUser, `[{"op":"replace","value":{"displayName":[]}}]`},
		{entUser, `[{"op":"replace","value":{"title":[[]]}}]`},
		{entUser, `[{"op":"add","path":"name.givenName","value":[["x"]]}]`},
		{entUser, `[{"op":"add","path":"name.givenName","value":[]}]`},
		{entUser, `[{"op":"replace","value":{"name.givenName":[]}}]`},
		{entUser, `[{"op":"replace","value":{"name":{"givenName":[]}}}]`},
		{entUser, `[{"op":"replace","path":"name","value":[]}]`},
		{entUser, `[{"op":"replace","path":"active","value":[]}]`},
		{entUser, `[{"op":"add","path":"emails","value":[[{"value":"a@b.c"}]]}]`},
		{entUser, `[{"op":"replace","path":"emails","value":[[]]}]`},
		{entUser, `[{"op":"replace","path":"emails","value":[[],{"value":"a@b.c"}]}]`},
		{entUser, `[{"op":"replace","path":"emails","value":[{"value":[]}]}]`},
		{entUser, `[{"op":"replace","path":"emails.value","value":[]}]`},
		{entUser, `[{"op":"replace","path":"emails[type eq \"work\"].value","value":[]}]`},
		{entUser, `[{"op":"add","path":"emails[type eq \"home\"].value","value":[]}]`},
		{entUser, `[{"op":"add","path":"emails[type eq \"work\"]","value":{"type":[]}}]`},
		{entUserExt, `[{"op":"replace","value":{"` + ent + `":{"employeeNumber":[]}}}]`},
		{entUserExt, `[{"op":"replace","value":{"` + ent + `:employeeNumber":[]}}]`},
		{entUserExt, `[{"op":"replace","path":"` + ent + `:manager","value":[[{"value":"m1"}]]}]`},
		{entUserExt, `[{"op":"replace","path":"` + ent + `:manager","value":{"value":[]}}]`},
		{group, `[{"op":"replace","path":"displayName","value":[]}]`},
		{group, `[{"op":"add","path":"members","value":[[{"value":"u9"}]]}]`},
		{group, `[{"op":"remove","path":"members","value":[[{"value":"u1"}]]}]`},
	}
	for _, tt := range refused {
		t.Run(tt.ops, func(t *testing.T) {
			ops, err := DecodePatch([]byte(patchHead + tt.ops + `}`))
			if err != nil {
				t.Fatalf("DecodePatch: %v", err)
			}
			schema := UserSchema()
			if tt.start == group {
				schema = GroupSchema()
			}
			start := decode(t, tt.start)
			got, err := ApplyPatch(start, ops, schema)
			if e := ErrorFrom(err); err == nil || e.Status != 400 || e.SCIMType != InvalidValue {
				t.Fatalf("ApplyPatch = %v, %v; want 400 invalidValue", got, err)
			}
		})
	}
	// Clearing a multi-valued attribute with an empty array stays legitimate,
	// as does the manager habit of an array of at most one value.
	noEmails := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"u1","userName":"ann@x.com","active":true,"title":"Dev","nickName":"Annie",
		"name":{"givenName":"Ann","familyName":"Lee"}}`
	cleared := []struct{ start, ops, want string }{
		{entUser, `[{"op":"replace","path":"emails","value":[]}]`, noEmails},
		{entUser, `[{"op":"Replace","value":{"emails":[]}}]`, noEmails},
		{entUser, `[{"op":"replace","path":"emails","value":null}]`, noEmails},
		{entUserExt, `[{"op":"replace","path":"` + ent + `:manager","value":[]}]`,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"id":"u1","userName":"ann@x.com",
			"` + ent + `":{"employeeNumber":"1"}}`},
		{group, `[{"op":"replace","path":"members","value":[]}]`,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"g1","displayName":"Sales"}`},
	}
	for _, tt := range cleared {
		t.Run(tt.ops, func(t *testing.T) {
			ops, err := DecodePatch([]byte(patchHead + tt.ops + `}`))
			if err != nil {
				t.Fatalf("DecodePatch: %v", err)
			}
			schema := UserSchema()
			if tt.start == group {
				schema = GroupSchema()
			}
			got, err := ApplyPatch(decode(t, tt.start), ops, schema)
			if err != nil {
				t.Fatalf("ApplyPatch: %v", err)
			}
			if g, w := canon(t, got), canon(t, decode(t, tt.want)); g != w {
				t.Errorf("got  %s\nwant %s", g, w)
			}
		})
	}
}

// POST and PUT bodies go through the same checks.
func TestParseResourceArrayShapes(t *testing.T) {
	const head = `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a@x.com",`
	for _, body := range []string{head + `"displayName":[]}`, head + `"name":{"givenName":[]}}`, head + `"emails":[[{"value":"a@x.com"}]]}`} {
		if _, err := ParseResource([]byte(body), UserSchema()); ErrorFrom(err).SCIMType != InvalidValue {
			t.Errorf("ParseResource(%s) = %v, want invalidValue", body, err)
		}
	}
	r, err := ParseResource([]byte(head+`"emails":[]}`), UserSchema())
	if err != nil || r["emails"] != nil {
		t.Errorf("ParseResource with empty emails = %v, %v", r, err)
	}
}
