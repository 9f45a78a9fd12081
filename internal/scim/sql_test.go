package scim

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestFilterSQL(t *testing.T) {
	cols := map[string]Column{
		"userName":                            {Name: "user_name"},
		"externalId":                          {Name: "external_id"},
		"displayName":                         {Name: "display_name"},
		"active":                              {Name: "active"},
		`emails[type eq "work"].value`:        {Name: "work_email"},
		EnterpriseUserURN + ":employeeNumber": {Name: "employee_number"},
		EnterpriseUserURN + ":department":     {Name: "department"},
		EnterpriseUserURN + ":costCenter":     {Name: "cost_center"},
		SeatkeeperUserURN + ":jobCode":        {Name: "job_code"},
		"meta.lastModified":                   {Name: "updated_at", TimeFormat: time.RFC3339},
	}
	tests := []struct {
		filter string
		where  string
		args   []any
	}{
		{``, `1=1`, nil},
		{`userName eq "BJensen"`, `(user_name IS NOT NULL AND lower(user_name) = ?)`, []any{"bjensen"}},
		{`externalId eq "Ext-1"`, `(external_id IS NOT NULL AND external_id = ?)`, []any{"Ext-1"}},
		{`displayName ne "X"`, `(display_name IS NULL OR lower(display_name) <> ?)`, []any{"x"}},
		{`displayName co "50%_\\"`, `(display_name IS NOT NULL AND lower(display_name) LIKE ? ESCAPE '\')`, []any{`%50\%\_\\%`}},
		{`userName sw "Bj"`, `(user_name IS NOT NULL AND lower(user_name) LIKE ? ESCAPE '\')`, []any{`bj%`}},
		{`userName ew "@X.com"`, `(user_name IS NOT NULL AND lower(user_name) LIKE ? ESCAPE '\')`, []any{`%@x.com`}},
		{`displayName pr`, `(display_name IS NOT NULL AND display_name <> '')`, nil},
		{`active pr`, `(active IS NOT NULL)`, nil},
		{`active eq true`, `(active IS NOT NULL AND active = ?)`, []any{true}},
		{`externalId eq null`, `NOT (external_id IS NOT NULL AND external_id <> '')`, nil},
		{`meta.lastModified gt "2011-05-13T06:42:34+02:00"`, `(updated_at IS NOT NULL AND updated_at > ?)`, []any{"2011-05-13T04:42:34Z"}},
		{`meta.lastModified le "2011-05-13T04:42:34Z"`, `(updated_at IS NOT NULL AND updated_at <= ?)`, []any{"2011-05-13T04:42:34Z"}},
		{`emails[type eq "Work"].value eq "A@x.com"`, `(work_email IS NOT NULL AND lower(work_email) = ?)`, []any{"a@x.com"}},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984"`, `(employee_number IS NOT NULL AND lower(employee_number) = ?)`, []any{"701984"}},
		{`urn:ietf:params:scim:schemas:extension:seatkeeper:2.0:User:jobCode sw "ENG-" and active eq true`,
			`((job_code IS NOT NULL AND lower(job_code) LIKE ? ESCAPE '\') AND (active IS NOT NULL AND active = ?))`, []any{"eng-%", true}},
		{`not (userName eq "a" or userName eq "b")`,
			`NOT ((user_name IS NOT NULL AND lower(user_name) = ?) OR (user_name IS NOT NULL AND lower(user_name) = ?))`, []any{"a", "b"}},
		{`userName gt "m"`, `(user_name IS NOT NULL AND lower(user_name) > ?)`, []any{"m"}},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			f, err := ParseFilter(tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			where, args, ok := f.SQL(cols)
			if !ok || where != tt.where || !reflect.DeepEqual(args, tt.args) {
				t.Errorf("SQL = %q %#v %v, want %q %#v true", where, args, ok, tt.where, tt.args)
			}
		})
	}
	for _, in := range []string{
		`title eq "x"`,                              // no column
		`userName eq "a" or title eq "x"`,           // half pushable
		`emails[type eq "home"].value eq "x"`,       // only the work e-mail has a column
		`emails.value eq "x"`,                       // no column for all e-mails
		`emails[type eq "work" or primary eq true]`, // not the shape
		`active eq "yes"`,                           // type mismatch
		`meta.lastModified co "2011"`,               // no LIKE on times
		`meta.lastModified gt "yesterday"`,          // not a time
		`userName eq true`,                          // boolean for a string
	} {
		f, err := ParseFilter(in)
		if err != nil {
			t.Fatal(err)
		}
		if where, args, ok := f.SQL(cols); ok {
			t.Errorf("SQL(%s) = %q %v, want ok=false", in, where, args)
		}
	}
}

// Liberal filters push down like their strict spellings: the keys are the
// canonical paths whatever the case the client wrote, bare values are
// strings for string attributes, and date-times of any precision and zone
// become instants.
func TestFilterSQLLiberal(t *testing.T) {
	cols := map[string]Column{
		"userName":                            {Name: "user_name"},
		"externalId":                          {Name: "external_id"},
		"name.familyName":                     {Name: "family_name"},
		"emails.value":                        {Name: "email"},
		`emails[type eq "work"].value`:        {Name: "work_email"},
		EnterpriseUserURN + ":employeeNumber": {Name: "employee_number"},
		"meta.lastModified":                   {Name: "updated_at", TimeFormat: time.RFC3339Nano},
		"meta.created":                        {Name: "created_at"},
	}
	created := time.Date(2015, 10, 10, 21, 38, 21, 861797900, time.UTC)
	tests := []struct {
		filter string
		where  string
		args   []any
	}{
		{`userName sw O`, `(user_name IS NOT NULL AND lower(user_name) LIKE ? ESCAPE '\')`, []any{"o%"}},
		{`USERNAME eq bjensen@example.com`, `(user_name IS NOT NULL AND lower(user_name) = ?)`, []any{"bjensen@example.com"}},
		{`name.FAMILYNAME eq Employee`, `(family_name IS NOT NULL AND lower(family_name) = ?)`, []any{"employee"}},
		{`externalId eq 1234abc`, `(external_id IS NOT NULL AND external_id = ?)`, []any{"1234abc"}},
		{`externalId eq 1234`, `(external_id IS NOT NULL AND external_id = ?)`, []any{"1234"}},
		{`userName eq 5`, `(user_name IS NOT NULL AND lower(user_name) = ?)`, []any{"5"}},
		{`Emails.Value co "@"`, `(email IS NOT NULL AND lower(email) LIKE ? ESCAPE '\')`, []any{"%@%"}},
		{`EMAILS[TYPE eq WORK].VALUE eq A@x.com`, `(work_email IS NOT NULL AND lower(work_email) = ?)`, []any{"a@x.com"}},
		{`URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER:EMPLOYEENUMBER eq 701984`,
			`(employee_number IS NOT NULL AND lower(employee_number) = ?)`, []any{"701984"}},
		{`META.CREATED gt 2015-10-10T14:38:21.8617979-07:00`, `(created_at IS NOT NULL AND created_at > ?)`, []any{created}},
		{`meta.created ge "2015-10-10T21:38:21.8617979Z"`, `(created_at IS NOT NULL AND created_at >= ?)`, []any{created}},
		{`meta.created lt 2015-10-10T21:38:21.86179790000Z`, `(created_at IS NOT NULL AND created_at < ?)`, []any{created}},
		{`meta.created le 2015-10-10T14:38:21.8617979-07:00`, `(created_at IS NOT NULL AND created_at <= ?)`, []any{created}},
		{`meta.created eq 2015-10-10T14:38:21.8617979-07:00`, `(created_at IS NOT NULL AND created_at = ?)`, []any{created}},
		{`meta.created ne 2015-10-10T14:38:21.8617979-07:00`, `(created_at IS NULL OR created_at <> ?)`, []any{created}},
		{`meta.lastModified ge "2011-05-13T04:42:34Z"`, `(updated_at IS NOT NULL AND updated_at >= ?)`, []any{"2011-05-13T04:42:34Z"}},
		{`meta.lastModified gt 2015-10-10T14:38:21.8617979-07:00`, `(updated_at IS NOT NULL AND updated_at > ?)`, []any{"2015-10-10T21:38:21.8617979Z"}},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			f, err := ParseFilter(tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			where, args, ok := f.SQL(cols)
			if !ok || where != tt.where || !reflect.DeepEqual(args, tt.args) {
				t.Errorf("SQL = %q %#v %v, want %q %#v true", where, args, ok, tt.where, tt.args)
			}
		})
	}
	for _, in := range []string{`meta.created gt yesterday`, `meta.created gt 2015`, `userName eq true`} {
		f, err := ParseFilter(in)
		if err != nil {
			t.Fatal(err)
		}
		if where, args, ok := f.SQL(cols); ok {
			t.Errorf("SQL(%s) = %q %v, want ok=false", in, where, args)
		}
	}
}

// A filter at the term bound stays a shallow SQL expression: SQLite refuses
// expression trees deeper than 1000.
func TestFilterSQLBound(t *testing.T) {
	f, err := ParseFilter(strings.TrimSuffix(strings.Repeat(`userName eq x or `, maxTerms), " or "))
	if err != nil {
		t.Fatal(err)
	}
	where, args, ok := f.SQL(map[string]Column{"userName": {Name: "u"}})
	if !ok || len(args) != maxTerms || strings.Count(where, "(") > 3*maxTerms {
		t.Errorf("SQL = %d args, %d parentheses, ok %v", len(args), strings.Count(where, "("), ok)
	}
}
