package peoplecsv

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

// Reader reads people from CSV: a header, then one person a row. Quoted
// fields, CRLF line ends and a UTF-8 byte order mark are accepted.
type Reader struct {
	cr  *csv.Reader
	col map[string]int
}

// Record is one row: its line number and the value of every column the
// header has.
type Record struct {
	Line   int
	values map[string]string
}

// Get returns the value of column c and whether the file has that column.
func (r Record) Get(c string) (string, bool) {
	v, ok := r.values[c]
	return v, ok
}

// NewReader reads the header. An unknown, repeated or empty column name, or
// a header without user_name, is an error.
func NewReader(r io.Reader) (*Reader, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, errors.New("the file is empty: it needs a header line")
	}
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	rd := &Reader{cr: cr, col: map[string]int{}}
	for i, h := range header {
		if i == 0 {
			h = strings.TrimPrefix(h, "\ufeff")
		}
		h = strings.ToLower(strings.TrimSpace(h))
		switch {
		case h == "":
			return nil, fmt.Errorf("header: column %d has no name", i+1)
		case !slices.Contains(Columns, h):
			return nil, fmt.Errorf("header: unknown column %q (known: %s)", h, strings.Join(Columns, ", "))
		}
		if _, dup := rd.col[h]; dup {
			return nil, fmt.Errorf("header: column %q appears twice", h)
		}
		rd.col[h] = i
	}
	if _, ok := rd.col["user_name"]; !ok {
		return nil, errors.New("header: the user_name column is required")
	}
	return rd, nil
}

// Next returns the next row; io.EOF after the last. A row that cannot be
// used is a RowError, after which reading may go on; any other error ends
// the file.
func (rd *Reader) Next() (Record, error) {
	for {
		fields, err := rd.cr.Read()
		if err == io.EOF {
			return Record{}, io.EOF
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			if pe.Err == csv.ErrFieldCount {
				return Record{}, RowError{Line: pe.StartLine, Err: pe.Err}
			}
			// Broken quoting: encoding/csv cannot resynchronise.
			return Record{}, fmt.Errorf("line %d: %w", pe.StartLine, pe.Err)
		}
		if err != nil {
			return Record{}, err
		}
		line, _ := rd.cr.FieldPos(0)
		if len(fields) == 1 && strings.TrimSpace(fields[0]) == "" {
			continue // a blank line
		}
		if len(fields) != len(rd.col) {
			return Record{}, RowError{Line: line, Err: fmt.Errorf("%d fields, the header has %d", len(fields), len(rd.col))}
		}
		rec := Record{Line: line, values: make(map[string]string, len(rd.col))}
		for c, i := range rd.col {
			rec.values[c] = strings.TrimSpace(fields[i])
		}
		if err := rec.validate(); err != nil {
			return Record{}, RowError{Line: line, Err: err}
		}
		return rec, nil
	}
}

// ParseBool reads an active value: true/false, 1/0, yes/no, any case.
func ParseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1", "yes", "y":
		return true, nil
	case "false", "0", "no", "n":
		return false, nil
	}
	return false, fmt.Errorf("active %q is not true/false, 1/0 or yes/no", s)
}

func (r Record) validate() error {
	if r.values["user_name"] == "" {
		return errors.New("user_name is empty")
	}
	if v, ok := r.values["active"]; ok && v != "" {
		if _, err := ParseBool(v); err != nil {
			return err
		}
	}
	return nil
}

// splitGroups reads the semicolon-separated groups column.
func splitGroups(s string) []string {
	out := []string{}
	for _, g := range strings.Split(s, ";") {
		if g = strings.TrimSpace(g); g != "" && !slices.Contains(out, g) {
			out = append(out, g)
		}
	}
	return out
}

// PersonRow turns a valid record into the store's row: a non-empty cell
// overwrites the person's attribute; an empty cell, like a column the file
// lacks, leaves it as it is — an export with blanks must not wipe what the
// identity provider or an administrator set. With clearEmpty an empty cell
// clears the attribute instead (groups and manager too). An empty active
// cell always keeps the state.
func (r Record) PersonRow(clearEmpty bool) store.PersonRow {
	v := r.values
	given := func(c string) (string, bool) {
		x, ok := v[c]
		return x, ok && (x != "" || clearEmpty)
	}
	pr := store.PersonRow{UserName: v["user_name"], ExternalID: v["external_id"], EmployeeID: v["employee_id"]}
	if m, ok := given("manager"); ok {
		pr.Manager = &m
	}
	pr.Apply = func(u *licensing.User, id *store.Identity, exists bool) error {
		set := func(c string, dst *string) {
			if x, ok := given(c); ok {
				*dst = x
			}
		}
		set("user_name", &u.UserName)
		set("display_name", &u.DisplayName)
		set("email", &u.Email)
		set("employee_id", &u.EmployeeID)
		set("external_id", &u.ExternalID)
		set("job_code", &u.JobCode)
		set("department", &u.Department)
		set("cost_center", &u.CostCenter)
		set("employee_type", &u.EmployeeType)
		set("given_name", &id.GivenName)
		set("family_name", &id.FamilyName)
		set("organization", &id.Organization)
		set("division", &id.Division)
		if g, ok := given("groups"); ok {
			u.Groups = splitGroups(g)
		}
		if a := v["active"]; a != "" {
			u.Active, _ = ParseBool(a) // checked by validate
		}
		if e, ok := given("email"); ok {
			id.Emails = mergeWorkEmail(id.Emails, e)
		}
		return nil
	}
	return pr
}

// mergeWorkEmail makes e the primary address among emails ("" removes the
// primary one), so SCIM shows what the file says.
func mergeWorkEmail(emails []store.Email, e string) []store.Email {
	out := slices.DeleteFunc(slices.Clone(emails), func(x store.Email) bool { return x.Primary || strings.EqualFold(x.Value, e) })
	if e == "" {
		return out
	}
	return append([]store.Email{{Value: e, Type: "work", Primary: true}}, out...)
}

// seen finds a person listed twice in one file.
type seen struct {
	names, externals, employees map[string]bool
	lines                       map[string]int
}

func newSeen() *seen {
	return &seen{names: map[string]bool{}, externals: map[string]bool{}, employees: map[string]bool{}, lines: map[string]int{}}
}

func (s *seen) check(r Record) error {
	keys := []struct {
		col string
		m   map[string]bool
	}{{"user_name", s.names}, {"external_id", s.externals}, {"employee_id", s.employees}}
	for _, k := range keys {
		v := licensing.FoldKey(r.values[k.col])
		if v != "" && k.m[v] {
			return fmt.Errorf("%s %q is already on line %d", k.col, r.values[k.col], s.lines[k.col+"\x00"+v])
		}
	}
	for _, k := range keys {
		if v := licensing.FoldKey(r.values[k.col]); v != "" {
			k.m[v] = true
			s.lines[k.col+"\x00"+v] = r.Line
		}
	}
	return nil
}
