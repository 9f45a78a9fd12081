package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// Directory queries serve the SCIM endpoint: people and groups selected by a
// condition the caller built from a SCIM filter, in a stable order, a page
// at a time, with the total.

// DirectoryQuery selects rows of the users or groups table. Where is a
// condition with '?' placeholders over the table's columns (the caller
// builds it from a fixed column map, never from client text) and Args its
// values; OrderBy is a column of the table, or "" for the id.
type DirectoryQuery struct {
	Where   string
	Args    []any
	OrderBy string
	Desc    bool
	// Offset and Limit page the result; Limit 0 returns no rows (only the
	// total), Limit < 0 every row.
	Offset, Limit int
}

// Person is a user with their identity, as the directory returns them.
type Person struct {
	User     licensing.User
	Identity Identity
}

// GroupRef is a group a person belongs to.
type GroupRef struct {
	ID          string
	DisplayName string
}

// UserColumns are the users table's columns a directory query may name.
var UserColumns = map[string]bool{
	"id": true, "user_name": true, "user_name_lower": true, "display_name": true, "email": true, "email_lower": true,
	"employee_id": true, "external_id": true, "job_code": true, "department": true, "cost_center": true,
	"employee_type": true, "active": true, "created_at": true, "updated_at": true, "given_name": true,
	"family_name": true, "organization": true, "division": true, "manager_id": true,
}

// GroupColumns are the groups table's columns a directory query may name.
var GroupColumns = map[string]bool{
	"id": true, "display_name": true, "display_name_lower": true, "external_id": true, "created_at": true, "updated_at": true,
}

// rebind turns '?' into the dialect's placeholders without caching: filter
// shapes are the client's to choose, so caching them would grow without end.
func (s *Store) rebind(query string) string {
	if !s.d.Numbered {
		return query
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

func (q DirectoryQuery) clause(cols map[string]bool) (where, order string, err error) {
	where = q.Where
	if where == "" {
		where = "1=1"
	}
	by := q.OrderBy
	if by == "" {
		by = "id"
	}
	if !cols[by] {
		return "", "", licensing.FieldErrorf(licensing.CodeInvalid, "sortBy", "cannot sort by %q", by)
	}
	dir := " ASC"
	if q.Desc {
		dir = " DESC"
	}
	// The id breaks ties, so pages never overlap or skip.
	order = by + dir + ", id" + dir
	return where, order, nil
}

func (s *Store) count(ctx context.Context, table, where string, args []any) (int, error) {
	var n int
	if err := s.rdb.QueryRowContext(s.detach(ctx), s.rebind(`SELECT count(*) FROM `+table+` WHERE `+where), args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count %s: %w", table, err)
	}
	return n, nil
}

// limit pages a query; "every row" is spelled differently by each dialect.
func (s *Store) limit(q DirectoryQuery) string {
	off := ` OFFSET ` + strconv.Itoa(q.Offset)
	switch {
	case q.Limit >= 0:
		return ` LIMIT ` + strconv.Itoa(q.Limit) + off
	case s.d.Numbered:
		return off
	}
	return ` LIMIT -1` + off
}

// QueryPeople returns one page of the people matching q, and how many match.
func (s *Store) QueryPeople(ctx context.Context, q DirectoryQuery) ([]Person, int, error) {
	where, order, err := q.clause(UserColumns)
	if err != nil {
		return nil, 0, err
	}
	total, err := s.count(ctx, "users", where, q.Args)
	if err != nil {
		return nil, 0, err
	}
	out := []Person{}
	if q.Limit == 0 || (q.Offset >= total && q.Limit > 0) {
		return out, total, nil
	}
	rows, err := s.rdb.QueryContext(s.detach(ctx), s.rebind(`SELECT `+userCols+`, `+identityCols+` FROM users WHERE `+where+` ORDER BY `+order+s.limit(q)), q.Args...)
	if err != nil {
		return nil, 0, fmt.Errorf("store: query people: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		p, err := scanPerson(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, p)
	}
	return out, total, rows.Err()
}

// scanPerson reads userCols followed by identityCols.
func scanPerson(r rowScanner) (Person, error) {
	var p Person
	var groups, kind, emails string
	var created, updated int64
	u := &p.User
	dest := []any{&u.ID, &u.UserName, &u.DisplayName, &u.Email, &u.EmployeeID, &u.ExternalID, &u.JobCode, &u.Department, &u.CostCenter, &u.EmployeeType, &groups, &kind, &u.Active, &created, &updated}
	if err := r.Scan(scanIdentity(dest, &p.Identity, &emails)...); err != nil {
		return p, fmt.Errorf("store: scan person: %w", err)
	}
	u.Kind = licensing.Kind(kind)
	u.CreatedAt, u.UpdatedAt = fromMicro(created), fromMicro(updated)
	if err := json.Unmarshal([]byte(groups), &u.Groups); err != nil {
		return p, fmt.Errorf("store: user %s groups: %w", u.ID, err)
	}
	if err := json.Unmarshal([]byte(emails), &p.Identity.Emails); err != nil {
		return p, fmt.Errorf("store: user %s emails: %w", u.ID, err)
	}
	return p, nil
}

// GroupsOf returns the SCIM groups of each of the given people, by display
// name.
func (s *Store) GroupsOf(ctx context.Context, userIDs []string) (map[string][]GroupRef, error) {
	out := make(map[string][]GroupRef, len(userIDs))
	for start := 0; start < len(userIDs); start += 500 {
		ids := userIDs[start:min(start+500, len(userIDs))]
		args := make([]any, len(ids))
		for i, id := range ids {
			args[i] = id
		}
		rows, err := s.rdb.QueryContext(s.detach(ctx), s.rebind(`SELECT m.user_id, g.id, g.display_name FROM group_members m JOIN groups g ON g.id = m.group_id WHERE m.user_id IN (`+placeholders(len(ids))+`) ORDER BY m.user_id, g.display_name_lower`), args...)
		if err != nil {
			return nil, fmt.Errorf("store: groups of people: %w", err)
		}
		for rows.Next() {
			var u string
			var g GroupRef
			if err := rows.Scan(&u, &g.ID, &g.DisplayName); err != nil {
				rows.Close()
				return nil, fmt.Errorf("store: groups of people: %w", err)
			}
			out[u] = append(out[u], g)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("store: groups of people: %w", err)
		}
	}
	return out, nil
}

// QueryGroups returns one page of the groups matching q, and how many
// match; with members false their member lists are left empty (a client
// that excluded them need not pay for them).
func (s *Store) QueryGroups(ctx context.Context, q DirectoryQuery, members bool) ([]Group, int, error) {
	where, order, err := q.clause(GroupColumns)
	if err != nil {
		return nil, 0, err
	}
	total, err := s.count(ctx, "groups", where, q.Args)
	if err != nil {
		return nil, 0, err
	}
	out := []Group{}
	if q.Limit == 0 || (q.Offset >= total && q.Limit > 0) {
		return out, total, nil
	}
	rows, err := s.rdb.QueryContext(s.detach(ctx), s.rebind(`SELECT `+groupCols+` FROM groups WHERE `+where+` ORDER BY `+order+s.limit(q)), q.Args...)
	if err != nil {
		return nil, 0, fmt.Errorf("store: query groups: %w", err)
	}
	for rows.Next() {
		g, err := scanGroup(rows)
		if err != nil {
			rows.Close()
			return nil, 0, fmt.Errorf("store: query groups: %w", err)
		}
		g.Members = []string{}
		out = append(out, g)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("store: query groups: %w", err)
	}
	if members {
		for i := range out {
			if out[i].Members, err = groupMembers(func(q string, args ...any) (*sql.Rows, error) { return s.readRows(ctx, q, args...) }, out[i].ID); err != nil {
				return nil, 0, err
			}
		}
	}
	return out, total, nil
}
