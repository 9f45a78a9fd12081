package scim

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
)

func decode(t testing.TB, s string) Resource {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.UseNumber()
	var r Resource
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("decode %s: %v", s, err)
	}
	return r
}

const bjensen = `{
  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
              "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
              "urn:ietf:params:scim:schemas:extension:seatkeeper:2.0:User"],
  "id": "2819c223-7f76-453a-919d-413861904646",
  "externalId": "Bjensen-EXT",
  "userName": "BJensen@example.com",
  "name": {"givenName": "Barbara", "familyName": "Jensen"},
  "displayName": "Babs Jensen",
  "title": "Tour Guide",
  "active": true,
  "emails": [
    {"value": "bjensen@example.com", "type": "work", "primary": true},
    {"value": "babs@jensen.org", "type": "home"}
  ],
  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
    "employeeNumber": "701984", "costCenter": "4130", "department": "Tour Operations",
    "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d"}
  },
  "urn:ietf:params:scim:schemas:extension:seatkeeper:2.0:User": {"jobCode": "ENG-42"},
  "x-score": 7,
  "meta": {"resourceType": "User", "created": "2010-01-23T04:56:22Z", "lastModified": "2011-05-13T04:42:34Z"}
}`

func TestFilterMatch(t *testing.T) {
	r := decode(t, bjensen)
	tests := []struct {
		filter string
		want   bool
	}{
		{`userName eq "bjensen@example.com"`, true},
		{`USERNAME EQ "BJENSEN@EXAMPLE.COM"`, true},
		{`urn:ietf:params:scim:schemas:core:2.0:User:userName eq "bjensen@example.com"`, true},
		{`userName ne "bjensen@example.com"`, false},
		{`title ne "Manager"`, true},
		{`nickName ne "x"`, true},
		{`userName co "JENSEN"`, true},
		{`userName sw "bj"`, true},
		{`userName ew "@example.com"`, true},
		{`userName ew "@example.org"`, false},
		{`title pr`, true},
		{`nickName pr`, false},
		{`externalId eq "bjensen-ext"`, false}, // caseExact
		{`externalId eq "Bjensen-EXT"`, true},
		{`id eq "2819C223-7F76-453A-919D-413861904646"`, false},
		{`active eq true`, true},
		{`active eq false`, false},
		{`active ne false`, true},
		{`meta.lastModified gt "2011-05-13T04:42:33Z"`, true},
		{`meta.lastModified gt "2011-05-13T06:42:33+02:00"`, true}, // same instant, other zone
		{`meta.lastModified ge "2011-05-13T04:42:34Z"`, true},
		{`meta.lastModified lt "2011-05-13T04:42:34Z"`, false},
		{`meta.lastModified le "2011-05-13T04:42:34Z"`, true},
		{`x-score gt 5`, true},
		{`x-score lt 10.5`, true},
		{`x-score ge 8`, false},
		{`name.givenName eq "barbara"`, true},
		{`emails.value eq "babs@jensen.org"`, true},
		{`emails co "jensen.org"`, true},
		{`emails[type eq "work" and value co "@example.com"]`, true},
		{`emails[type eq "home" and value co "@example.com"]`, false},
		{`emails[type eq "work"].value eq "bjensen@example.com"`, true},
		{`emails[type eq "home"].value eq "bjensen@example.com"`, false},
		{`emails[TYPE eq "WORK"].VALUE ew "example.com"`, true},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984"`, true},
		{`URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER:DEPARTMENT eq "tour operations"`, true},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d"`, true},
		{`urn:ietf:params:scim:schemas:extension:seatkeeper:2.0:User:jobCode sw "eng-"`, true},
		{`employeeNumber eq "701984"`, false}, // needs the URN
		// precedence: and binds tighter than or; not needs its parentheses.
		{`title eq "x" and title eq "y" or active eq true`, true},
		{`active eq true or title eq "x" and title eq "y"`, true},
		{`title eq "x" and (title eq "y" or active eq true)`, false},
		{`not (userName eq "bjensen@example.com")`, false},
		{`not (userName eq "x") and active eq true`, true},
		{`(title pr) and not (nickName pr or x-score lt 1)`, true},
		{`title eq null`, false},
		{`nickName eq null`, true},
		{`title eq "Tour Guide" AnD userName Sw "B"`, true},
		{`displayName eq "Babs \"Jensen\""`, false},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			f, err := ParseFilter(tt.filter)
			if err != nil {
				t.Fatalf("ParseFilter: %v", err)
			}
			if got := f.Match(r); got != tt.want {
				t.Errorf("Match(%s) = %v, want %v (parsed %s)", tt.filter, got, tt.want, f)
			}
		})
	}
}

func TestParseFilterString(t *testing.T) {
	tests := []struct{ in, want string }{
		{`a eq "x" or b eq "y" and c eq "z"`, `(a eq "x" or (b eq "y" and c eq "z"))`},
		{`(a eq "x" or b eq "y") and c eq "z"`, `((a eq "x" or b eq "y") and c eq "z")`},
		{`not (a pr) and b pr`, `(not (a pr) and b pr)`},
		{`USERNAME eq "x"`, `userName eq "x"`},
		{`urn:ietf:params:scim:schemas:core:2.0:User:name.GIVENNAME eq "x"`, `name.givenName eq "x"`},
		{`urn:ietf:params:scim:schemas:extension:Enterprise:2.0:User:employeenumber eq "1"`, EnterpriseUserURN + `:employeeNumber eq "1"`},
		{`emails[TYPE eq "work"].Value eq "x"`, `emails[(type eq "work" and value eq "x")]`},
		{`members[value eq "a\u00e9\"b"]`, `members[value eq "aé\"b"]`},
		{`a eq 1.5e3`, `a eq 1.5e3`},
		{`a eq -2`, `a eq -2`},
		{``, ``},
	}
	for _, tt := range tests {
		f, err := ParseFilter(tt.in)
		if err != nil {
			t.Errorf("ParseFilter(%q): %v", tt.in, err)
			continue
		}
		if got := f.String(); got != tt.want {
			t.Errorf("ParseFilter(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestParseFilterErrors(t *testing.T) {
	for _, in := range []string{
		`userName`, `userName eq`, `userName xx "a"`, `userName eq "a`, `userName eq bob`,
		`(userName eq "a"`, `userName eq "a")`, `not userName eq "a"`, `a eq "x" and`, `or a pr`,
		`emails[type eq "work"`, `emails[type eq "work"]]`, `emails[a[b eq 1]]`, `emails[type eq "w"].`,
		`a.b.c eq "x"`, `1a eq "x"`, `active gt true`, `a co 5`, `a lt null`, `a eq "\x"`,
		`a eq "x" # b`, `name.givenName[value eq "x"]`, `foo:bar eq "x"`, `emails[urn:x:y eq "a"]`,
		`((((((((((((((((((((((((((((((((((((a pr))))))))))))))))))))))))))))))))))))`,
	} {
		_, err := ParseFilter(in)
		var se *Error
		if !errors.As(err, &se) || se.SCIMType != InvalidFilter || se.Status != 400 {
			t.Errorf("ParseFilter(%q) error = %v, want invalidFilter", in, err)
		}
	}
}

func TestErrorBody(t *testing.T) {
	_, err := ParseFilter(`userName eq`)
	b, jerr := json.Marshal(ErrorFrom(err))
	if jerr != nil {
		t.Fatal(jerr)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got["status"] != "400" || got["scimType"] != "invalidFilter" || got["detail"] == "" ||
		got["schemas"].([]any)[0] != ErrorSchema {
		t.Errorf("body = %s", b)
	}
	if e := ErrorFrom(errors.New("db down")); e.Status != 500 || e.Detail != "internal error" {
		t.Errorf("ErrorFrom(other) = %+v", e)
	}
}

func TestParsePath(t *testing.T) {
	tests := []struct{ in, want string }{
		{`members[value eq "id"]`, `members[value eq "id"]`},
		{`emails[type eq "work"].value`, `emails[type eq "work"].value`},
		{`Name.GivenName`, `name.givenName`},
		{EnterpriseUserURN + `:manager`, EnterpriseUserURN + `:manager`},
		{EnterpriseUserURN, EnterpriseUserURN},
		{`addresses[type eq "work"].StreetAddress`, `addresses[type eq "work"].streetAddress`},
	}
	for _, tt := range tests {
		p, err := ParsePath(tt.in)
		if err != nil {
			t.Errorf("ParsePath(%q): %v", tt.in, err)
			continue
		}
		if got := p.String(); got != tt.want {
			t.Errorf("ParsePath(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
	for _, in := range []string{``, `members[`, `members[value eq "x"`, `a b`, `emails[type eq "x"].`, `members]`, `.x`} {
		_, err := ParsePath(in)
		var se *Error
		if !errors.As(err, &se) || se.SCIMType != InvalidPath {
			t.Errorf("ParsePath(%q) error = %v, want invalidPath", in, err)
		}
	}
}

func TestFilterCheck(t *testing.T) {
	for _, ok := range []string{`userName eq "a"`, `active eq true`, `active ne false`, `userName pr`, `externalId eq null`,
		`meta.lastModified gt "2011-05-13T04:42:34Z"`, `emails[type eq "work"].value co "x"`, `shoeSize eq 42`,
		`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "7"`} {
		f, err := ParseFilter(ok)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Check(UserSchema()); err != nil {
			t.Errorf("Check(%s) = %v, want nil", ok, err)
		}
	}
	for _, bad := range []string{`userName eq true`, `userName eq 42`, `active eq "true"`, `active gt true`, `active co "t"`,
		`meta.created gt "yesterday"`, `meta.created eq 5`, `emails[value eq 5]`, `emails[type eq "work"].value eq false`,
		`not (userName eq 1)`, `userName eq "a" or displayName eq true`} {
		f, err := ParseFilter(bad)
		if err == nil {
			err = f.Check(UserSchema())
		}
		if e := ErrorFrom(err); e.Status != 400 || e.SCIMType != InvalidFilter {
			t.Errorf("Check(%s) = %v, want 400 invalidFilter", bad, e)
		}
	}
}
