package scim

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
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
		{`a eq "x" or b eq "y" and c eq "z"`, `a eq "x" or b eq "y" and c eq "z"`},
		{`(a eq "x" or b eq "y") and c eq "z"`, `(a eq "x" or b eq "y") and c eq "z"`},
		{`not (a pr) and b pr`, `not (a pr) and b pr`},
		{`USERNAME eq "x"`, `userName eq "x"`},
		{`urn:ietf:params:scim:schemas:core:2.0:User:name.GIVENNAME eq "x"`, `name.givenName eq "x"`},
		{`urn:ietf:params:scim:schemas:extension:Enterprise:2.0:User:employeenumber eq "1"`, EnterpriseUserURN + `:employeeNumber eq "1"`},
		{`emails[TYPE eq "work"].Value eq "x"`, `emails[type eq "work" and value eq "x"]`},
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
		`userName`, `userName eq`, `userName xx "a"`, `userName eq "a`, `userName eq bob"`,
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
	for _, bad := range []string{`userName eq true`, `active eq "true"`, `active gt true`, `active co "t"`,
		`meta.created gt "yesterday"`, `meta.created eq 5`, `emails[value eq true]`, `emails[type eq "work"].value eq false`,
		`not (userName eq false)`, `userName eq "a" or displayName eq true`} {
		f, err := ParseFilter(bad)
		if err == nil {
			err = f.Check(UserSchema())
		}
		if e := ErrorFrom(err); e.Status != 400 || e.SCIMType != InvalidFilter {
			t.Errorf("Check(%s) = %v, want 400 invalidFilter", bad, e)
		}
	}
	// ParseFilter makes a number compared with a string attribute its text;
	// one built by hand is still refused.
	f := Filter{Expr: &Compare{Path: AttrPath{Name: "userName"}, Op: Eq, Value: json.Number("42")}}
	if e := ErrorFrom(f.Check(UserSchema())); e.Status != 400 || e.SCIMType != InvalidFilter {
		t.Errorf("Check(%s) = %v, want 400 invalidFilter", f, e)
	}
}

// Entra, Okta and their validators send values without quotes.
func TestFilterUnquotedValues(t *testing.T) {
	r := decode(t, bjensen)
	zero := decode(t, `{"externalId": "01234", "userName": "x"}`)
	tests := []struct {
		filter string
		res    Resource
		want   bool
	}{
		{`userName sw b`, r, true},
		{`userName sw O`, r, false},
		{`name.familyName eq Jensen`, r, true},
		{`name.familyName eq Employee`, r, false},
		{`userName eq bjensen@example.com`, r, true},
		{`userName eq bjensen@example.com and title eq Tour`, r, false},
		{`(userName eq bjensen@example.com)`, r, true},
		{`externalId eq Bjensen-EXT`, r, true},
		{`externalId eq 1234abc`, r, false},
		{`emails[type eq work].value eq bjensen@example.com`, r, true},
		{`emails[value eq babs@jensen.org]`, r, true},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq 701984`, r, true},
		{`userName co @example`, r, true},
		// externalId is a string: 1234 is the text "1234", not the number.
		{`externalId eq 1234`, zero, false},
		{`externalId eq 01234`, zero, true},
		{`x-score eq 7.0`, r, true}, // unknown attributes keep numbers
		{`active eq TRUE`, r, true},
		{`active eq False`, r, false},
		{`nickName eq NULL`, r, true},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			f, err := ParseFilter(tt.filter)
			if err != nil {
				t.Fatalf("ParseFilter: %v", err)
			}
			if got := f.Match(tt.res); got != tt.want {
				t.Errorf("Match(%s) = %v, want %v (parsed %s)", tt.filter, got, tt.want, f)
			}
		})
	}
}

func TestParseFilterLiberalString(t *testing.T) {
	tests := []struct{ in, want string }{
		{`userName eq bjensen@example.com`, `userName eq "bjensen@example.com"`},
		{`externalId eq 1234abc`, `externalId eq "1234abc"`},
		{`externalId eq 1234`, `externalId eq "1234"`},
		{`userName sw 12`, `userName sw "12"`},
		{`emails[value eq 5]`, `emails[value eq "5"]`},
		{`emails[type eq work].value eq 5`, `emails[type eq "work" and value eq "5"]`},
		{`members[value eq 2819c223]`, `members[value eq "2819c223"]`},
		{`x-score eq 1234`, `x-score eq 1234`},
		{`active eq True`, `active eq true`},
		{`userName eq é/ü&<x>`, `userName eq "é/ü\u0026\u003cx\u003e"`},
		{`(title eq a)and(title eq b)`, `title eq "a" and title eq "b"`},
		{`meta.created gt 2015-10-10T14:38:21.8617979-07:00`, `meta.created gt "2015-10-10T14:38:21.8617979-07:00"`},
		// attribute names and URN prefixes in any case
		{`Emails.Value co "@"`, `emails.value co "@"`},
		{`META.CREATED gt "2011-05-13T04:42:34Z"`, `meta.created gt "2011-05-13T04:42:34Z"`},
		{`meta.LASTMODIFIED ge 2011-05-13T04:42:34Z`, `meta.lastModified ge "2011-05-13T04:42:34Z"`},
		{`URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:USER:USERNAME eq x`, `userName eq "x"`},
		{`urn:ietf:params:scim:schemas:core:2.0:group:DISPLAYNAME eq x`, `displayName eq "x"`},
		{`URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER:EMPLOYEENUMBER eq 42`, EnterpriseUserURN + `:employeeNumber eq "42"`},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:MANAGER.VALUE eq m1`, EnterpriseUserURN + `:manager.value eq "m1"`},
		// minimal parentheses, so the printed form stays within the bounds
		{`a pr or b pr or c pr`, `a pr or b pr or c pr`},
		{`a pr or (b pr or c pr)`, `a pr or (b pr or c pr)`},
		{`a pr and (b pr and c pr)`, `a pr and (b pr and c pr)`},
		{`(a pr or b pr) and c pr`, `(a pr or b pr) and c pr`},
		{`a pr and b pr or c pr and d pr`, `a pr and b pr or c pr and d pr`},
		{`((a pr))`, `a pr`},
		{`not (a pr or b pr) and c pr`, `not (a pr or b pr) and c pr`},
		{`emails[type eq "a" or type eq "b"].value eq "x"`, `emails[(type eq "a" or type eq "b") and value eq "x"]`},
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
		if again, err := ParseFilter(f.String()); err != nil || again.String() != f.String() {
			t.Errorf("reparse of %s = %v, %v", f, again, err)
		}
	}
	for _, in := range []string{
		`userName eq`, `userName eq )`, `userName eq ]`, `(userName eq )`, `userName eq a"b`, `userName eq a(b`,
		`userName eq a[b`, "userName eq \xff", "userName eq a\x01b", `a co 5`, `a sw -1`, `userName eq x y`,
		`emails[value eq x`, `emails[value eq x]]`,
	} {
		_, err := ParseFilter(in)
		var se *Error
		if !errors.As(err, &se) || se.SCIMType != InvalidFilter || se.Status != 400 {
			t.Errorf("ParseFilter(%q) error = %v, want invalidFilter", in, err)
		}
	}
}

func TestFilterDateTime(t *testing.T) {
	r := decode(t, bjensen) // created 2010-01-23T04:56:22Z, lastModified 2011-05-13T04:42:34Z
	frac := decode(t, `{"userName":"f","meta":{"created":"2015-10-10T21:38:21.8617979Z","lastModified":"2015-10-10T14:38:21.86179791234-07:00"}}`)
	tests := []struct {
		filter string
		res    Resource
		want   bool
	}{
		{`meta.created gt 2009-10-10T14:38:21.8617979-07:00`, r, true},
		{`meta.created lt 2009-10-10T14:38:21.8617979-07:00`, r, false},
		{`meta.created eq 2010-01-22T21:56:22-07:00`, r, true},
		{`meta.created ne 2010-01-22T21:56:22-07:00`, r, false},
		{`meta.created gt 2010-01-22T21:56:21.999999999-07:00`, r, true},
		{`meta.created lt 2010-01-23T04:56:22.0000001Z`, r, true},
		{`meta.created ge "2010-01-23T04:56:22.1234567+00:00"`, r, false},
		{`meta.lastModified ge "2011-05-13T04:42:34Z"`, r, true},
		{`meta.lastModified le 2011-05-13T04:42:34.0000000000001Z`, r, true},
		{`meta.lastModified lt 2011-05-13T04:42:34.0000000000001Z`, r, false}, // beyond nanoseconds
		{`META.LASTMODIFIED GT 2011-05-13T04:42:33Z`, r, true},
		{`meta.created eq 2015-10-10T14:38:21.8617979-07:00`, frac, true},
		{`meta.created gt 2015-10-10T21:38:21.86179789Z`, frac, true},
		{`meta.created ge 2015-10-10T21:38:21.861797901Z`, frac, false},
		{`meta.lastModified eq 2015-10-10T21:38:21.861797912Z`, frac, true},
		{`meta.created gt 2015-10-10T00:00:00Z and meta.lastModified lt 2016-01-01T00:00:00+01:00`, frac, true},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			f, err := ParseFilter(tt.filter)
			if err != nil {
				t.Fatalf("ParseFilter: %v", err)
			}
			if err := f.Check(UserSchema()); err != nil {
				t.Fatalf("Check: %v", err)
			}
			if got := f.Match(tt.res); got != tt.want {
				t.Errorf("Match(%s) = %v, want %v (parsed %s)", tt.filter, got, tt.want, f)
			}
		})
	}
}

func TestFilterCheckLiberal(t *testing.T) {
	for _, ok := range []string{`userName eq bjensen@example.com`, `externalId eq 1234`, `userName eq 42`, `emails[value eq 5]`,
		`userName sw 12`, `active eq TRUE`, `active ne False`, `meta.created gt 2015-10-10T14:38:21.8617979-07:00`,
		`meta.lastModified ge "2011-05-13T04:42:34Z"`, `meta.created lt 2015-10-10T14:38:21.123456789123Z`,
		`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq 701984`, `x-score gt 5`} {
		f, err := ParseFilter(ok)
		if err != nil {
			t.Errorf("ParseFilter(%s): %v", ok, err)
			continue
		}
		if err := f.Check(UserSchema()); err != nil {
			t.Errorf("Check(%s) = %v, want nil", ok, err)
		}
	}
	for _, bad := range []string{`active eq "maybe"`, `active eq maybe`, `active eq 1`, `active eq "TRUE"`, `userName eq true`,
		`meta.created gt yesterday`, `meta.created gt 2015-13-10T00:00:00Z`, `meta.lastModified eq 2011-05-13`,
		`meta.created gt 2015-10-10T14:38:21.8617979`, `meta.created gt 2015`} {
		f, err := ParseFilter(bad)
		if err == nil {
			err = f.Check(UserSchema())
		}
		if e := ErrorFrom(err); e.Status != 400 || e.SCIMType != InvalidFilter {
			t.Errorf("Check(%s) = %v, want 400 invalidFilter", bad, e)
		}
	}
}

func TestParseFilterBounds(t *testing.T) {
	terms := func(n int, sep string) string {
		return strings.TrimSuffix(strings.Repeat("userName pr "+sep+" ", n), " "+sep+" ")
	}
	nest := func(n int, open, inner, close string) string {
		return strings.Repeat(open, n) + inner + strings.Repeat(close, n)
	}
	ok := []string{
		terms(maxTerms, "or"),
		terms(maxTerms, "and"),
		terms(maxTerms/2, "or") + ` or ` + strings.TrimSuffix(strings.Repeat(`emails[type eq "work"].value eq x or `, maxTerms/4), " or "),
		nest(maxDepth, "(", "a pr", ")"),
		nest(maxDepth, "not (", "a pr", ")"),
		nest(maxDepth-1, "(", `emails[type eq "w"]`, ")"),
		nest(maxDepth-1, "(", `emails[type eq "w"].value eq x`, ")"),
		nest(maxDepth-2, "(", `emails[type eq "w" or type eq "h"].value eq x`, ")"),
	}
	for _, in := range ok {
		f, err := ParseFilter(in)
		if err != nil {
			t.Errorf("ParseFilter(%.60s…) = %v, want nil", in, err)
			continue
		}
		// What is accepted prints as something accepted.
		if _, err := ParseFilter(f.String()); err != nil {
			t.Errorf("reparse of %.60s…: %v", f, err)
		}
	}
	bad := []string{
		terms(maxTerms+1, "or"),
		terms(maxTerms+1, "and"),
		strings.Repeat(`emails[type eq "work"].value eq x or `, maxTerms/2) + "a pr",
		nest(maxDepth+1, "(", "a pr", ")"),
		nest(maxDepth+1, "not (", "a pr", ")"),
		nest(maxDepth, "(", `emails[type eq "w"]`, ")"),
		nest(maxDepth-1, "(", `emails[type eq "w" or type eq "h"].value eq x`, ")"),
		nest(maxDepth/2, "(", nest(maxDepth/2+1, "not (", "a pr", ")"), ")"),
		// pathological: must fail fast, without deep recursion
		strings.Repeat("(", 100000),
		strings.Repeat("(", 60000),
		strings.Repeat("not (", 12000),
		strings.Repeat("a pr or ", 8000) + "a pr",
		strings.Repeat("a pr and ", 7000) + "a pr",
		strings.Repeat("emails[", 9000),
	}
	for _, in := range bad {
		start := time.Now()
		_, err := ParseFilter(in)
		var se *Error
		if !errors.As(err, &se) || se.SCIMType != InvalidFilter || se.Status != 400 {
			t.Errorf("ParseFilter(%.60s…) error = %v, want invalidFilter", in, err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("ParseFilter(%.60s…) took %v", in, d)
		}
	}
	// The bounds hold for PATCH paths too.
	if _, err := ParsePath(`members[` + terms(maxTerms+1, "or") + `]`); ErrorFrom(err).SCIMType != InvalidPath {
		t.Errorf("ParsePath with %d terms = %v, want invalidPath", maxTerms+1, err)
	}
}
