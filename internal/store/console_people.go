package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// The licence console's people search (migration 17): a prefix of a
// person's user name, display name, email or employee ID, any case, found
// by index range scans only, and paged with a keyset cursor.

// FoldDisplayName folds a display name for search as the identity keys are
// folded (licensing.FoldKey), so "ÉLODIE" finds "Élodie".
func FoldDisplayName(s string) string { return licensing.FoldKey(strings.TrimSpace(s)) }

// refoldDisplayNames fills display_name_lower with FoldDisplayName after
// migration 17's SQL, whose lower() knows ASCII only (SQLite) or the
// database's locale (PostgreSQL).
func refoldDisplayNames(ctx context.Context, s *Store, t *sql.Tx) error {
	_, err := refoldDisplayNamesIn(ctx, s, t)
	return err
}

// RefoldDisplayNames refolds every person's kept display name for search,
// as migration 17 did, and returns how many it changed: for a store whose
// rows were written by another tool.
func (s *Store) RefoldDisplayNames(ctx context.Context) (int, error) {
	n := 0
	err := s.write(ctx, func(t *tx) error {
		var err error
		n, err = refoldDisplayNamesIn(t.ctx, s, t.Tx)
		return err
	})
	return n, err
}

func refoldDisplayNamesIn(ctx context.Context, s *Store, t *sql.Tx) (int, error) {
	rows, err := t.QueryContext(ctx, `SELECT id, display_name, display_name_lower FROM users`)
	if err != nil {
		return 0, fmt.Errorf("refold display names: %w", err)
	}
	type fix struct{ id, folded string }
	var fixes []fix
	for rows.Next() {
		var id, name, kept string
		if err := rows.Scan(&id, &name, &kept); err != nil {
			rows.Close()
			return 0, fmt.Errorf("refold display names: %w", err)
		}
		if f := FoldDisplayName(name); f != kept {
			fixes = append(fixes, fix{id, f})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("refold display names: %w", err)
	}
	for _, f := range fixes {
		if _, err := t.ExecContext(ctx, s.q(`UPDATE users SET display_name_lower = ? WHERE id = ?`), f.folded, f.id); err != nil {
			return 0, fmt.Errorf("refold display names: %w", err)
		}
	}
	return len(fixes), nil
}

// SearchField is the attribute a search hit matched on.
type SearchField int

// The searched attributes, in the order a tie between them is given to.
const (
	MatchUserName SearchField = iota
	MatchDisplayName
	MatchEmail
	MatchEmployeeID
)

// searchColumns are the folded columns of the SearchFields; migration 17
// indexes each (then the user name, and on SQLite the other keys) in two
// partial indexes, one per state: users_search_NAME_active and
// users_search_NAME_inactive.
var (
	searchColumns = [...]string{"user_name_lower", "display_name_lower", "email_lower", "employee_id_lower"}
	searchIndexes = [...]string{"name", "display", "email", "employee"}
)

func (f SearchField) String() string {
	return [...]string{"user name", "display name", "email", "employee ID"}[f]
}

// PeopleCursor is a place in a search's order: the folded value a person
// matched on, then their folded user name (unique), so every person has one
// place and pages never skip or repeat anyone.
type PeopleCursor struct {
	Value, UserName string
}

func (c PeopleCursor) less(o PeopleCursor) bool {
	if c.Value != o.Value {
		return c.Value < o.Value
	}
	return c.UserName < o.UserName
}

// PeopleSearch asks SearchPeople for a page.
type PeopleSearch struct {
	// Query is a prefix of the user name, display name, email or employee
	// ID, compared folded; "" lists everyone by user name.
	Query string
	// Active, when set, keeps only active (true) or inactive people.
	Active *bool
	// After continues after a hit's Cursor; zero starts at the beginning.
	After PeopleCursor
	// Limit is the page size (1-500; 0 means 50).
	Limit int
}

// PersonHit is one person a search found, with what matched.
type PersonHit struct {
	User   licensing.User
	Field  SearchField
	Cursor PeopleCursor
}

// searchRow is a person with their kept folded keys.
type searchRow struct {
	u      licensing.User
	folded [len(searchColumns)]string
}

// best is the field a person is listed under for prefix: the matching one
// with the smallest folded value (the earliest field on a tie).
func (r searchRow) best(prefix string) (SearchField, bool) {
	found, at := false, MatchUserName
	for i, v := range r.folded {
		if !strings.HasPrefix(v, prefix) || (prefix == "" && i != int(MatchUserName)) {
			continue
		}
		if !found || v < r.folded[at] {
			found, at = true, SearchField(i)
		}
	}
	return at, found
}

// SearchPeople returns a page of the people whose user name, display name,
// email or employee ID starts with f.Query, any case, in the order of what
// matched (then user name), and whether more follow. Each person is listed
// once, at their first place: under the attribute whose value sorts first
// (the earlier attribute on a tie). Each (attribute, active) pair is one
// index range scan from the cursor that keeps only the people listed under
// that attribute (searchSQL), so the scans hold disjoint people and merge
// here in order; no query scans the table, and a page reads about one
// page of rows per scan, plus the index entries of people listed under
// another attribute, skipped inside the index.
//
// The merge is exact: a scan that returned all it was asked for ends at
// some key K; every person placed after the cursor and at or before the
// smallest such K is in some scan's rows. (Should a range ever hold less
// than a page, which the disjoint scans rule out, the scans continue
// from it, reading more each time.)
func (s *Store) SearchPeople(ctx context.Context, f PeopleSearch) ([]PersonHit, bool, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 500)
	prefix := FoldDisplayName(f.Query)
	var out []PersonHit
	after, fetch := f.After, limit+1
	for {
		hits, bound, bounded, err := s.searchRound(ctx, prefix, f.Active, after, fetch)
		if err != nil {
			return nil, false, err
		}
		out = append(out, hits...)
		if len(out) > limit || !bounded {
			break
		}
		after, fetch = bound, min(fetch*2, 5000)
	}
	return out[:min(len(out), limit)], len(out) > limit, nil
}

// searchRound reads n rows of every scan after the cursor and returns the
// hits known complete: sorted, up to bound when bounded (some scan had more).
func (s *Store) searchRound(ctx context.Context, prefix string, active *bool, after PeopleCursor, n int) ([]PersonHit, PeopleCursor, bool, error) {
	var hits []PersonHit
	bound, bounded := PeopleCursor{}, false
	for _, st := range searchStreams(prefix, active) {
		rows, err := s.searchStream(ctx, st, prefix, after, n)
		if err != nil {
			return nil, bound, false, err
		}
		for _, r := range rows {
			if field, ok := r.best(prefix); ok && field == st.field {
				hits = append(hits, PersonHit{User: r.u, Field: field, Cursor: PeopleCursor{r.folded[field], r.folded[MatchUserName]}})
			}
		}
		if len(rows) == n {
			last := rows[len(rows)-1]
			end := PeopleCursor{last.folded[st.field], last.folded[MatchUserName]}
			if !bounded || end.less(bound) {
				bound, bounded = end, true
			}
		}
	}
	slices.SortFunc(hits, func(a, b PersonHit) int {
		if a.Cursor.less(b.Cursor) {
			return -1
		}
		if b.Cursor.less(a.Cursor) {
			return 1
		}
		return 0
	})
	if bounded {
		k := 0
		for k < len(hits) && !bound.less(hits[k].Cursor) {
			k++
		}
		hits = hits[:k]
	}
	return hits, bound, bounded, nil
}

// searchStream is one index range of a search.
type searchStream struct {
	field  SearchField
	active bool
}

// searchStreams are the ranges a search reads: every attribute for a
// query, the user name alone for a plain listing; once per active state.
func searchStreams(prefix string, active *bool) []searchStream {
	fields := []SearchField{MatchUserName}
	if prefix != "" {
		fields = []SearchField{MatchUserName, MatchDisplayName, MatchEmail, MatchEmployeeID}
	}
	states := []bool{true, false}
	if active != nil {
		states = []bool{*active}
	}
	var out []searchStream
	for _, f := range fields {
		for _, a := range states {
			out = append(out, searchStream{f, a})
		}
	}
	return out
}

// searchFrom names the table and the index of a scan and the collation of
// its comparisons. PostgreSQL compares bytewise only when told (COLLATE
// "C", as its indexes are). SQLite compares bytes already; INDEXED BY keeps
// its planner to the scan's own index (and fails loudly should it ever be
// missing).
func (s *Store) searchFrom(st searchStream) (from, collate string) {
	if s.d.Name == "postgres" {
		return `users`, ` COLLATE "C"`
	}
	return `users INDEXED BY users_search_` + searchIndexes[st.field] + `_` + ifElse(st.active, "active", "inactive"), ""
}

// searchSQL is the query of one stream, and its arguments. The state is
// written into the statement, as a partial index needs; the range starts
// at the cursor's value when it is past the prefix, so a deep page reads
// no more than the first.
func (s *Store) searchSQL(st searchStream, prefix string, after PeopleCursor, n int) (string, []any) {
	col := searchColumns[st.field]
	from, c := s.searchFrom(st)
	q := `SELECT ` + userCols + `, user_name_lower, display_name_lower, email_lower, employee_id_lower FROM ` + from +
		` WHERE active = ` + ifElse(st.active, "1", "0") + ` AND ` + col + c + ` >= ?`
	args := []any{max(prefix, after.Value)}
	if hi, ok := prefixEnd(prefix); ok {
		q += ` AND ` + col + c + ` < ?`
		args = append(args, hi)
	}
	if prefix != "" {
		// Only the rows the person is listed by: no other attribute of
		// theirs matches with a smaller value (or an equal one of an
		// earlier attribute). The database skips the others in the index
		// itself, which holds every folded key: a stream of people listed
		// under another attribute costs no round trips.
		for g, other := range searchColumns {
			if SearchField(g) == st.field {
				continue
			}
			q += ` AND NOT (` + other + c + ` >= ? AND ` + other + c + ifElse(SearchField(g) < st.field, ` <= `, ` < `) + col + c + `)`
			args = append(args, prefix)
		}
	}
	if st.field == MatchUserName {
		// Here a row's place is (u, u), and (u, u) > (V, U) means u > V, or
		// u = V when V > U: one bound either way, and one order term.
		q += ` AND ` + col + c + ` > ? ORDER BY ` + col + c + ` LIMIT ?`
		if after.Value > after.UserName {
			return q, append(args, "", n) // u >= V, from the range's start
		}
		return q, append(args, after.Value, n)
	}
	q += ` AND (` + col + c + `, user_name_lower` + c + `) > (?, ?) ORDER BY ` + col + c + `, user_name_lower` + c + ` LIMIT ?`
	return q, append(args, after.Value, after.UserName, n)
}

func (s *Store) searchStream(ctx context.Context, st searchStream, prefix string, after PeopleCursor, n int) ([]searchRow, error) {
	q, args := s.searchSQL(st, prefix, after, n)
	rows, err := s.readRows(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: search people: %w", err)
	}
	defer rows.Close()
	var out []searchRow
	for rows.Next() {
		var r searchRow
		u := &r.u
		var groups, kind string
		var created, updated int64
		if err := rows.Scan(&u.ID, &u.UserName, &u.DisplayName, &u.Email, &u.EmployeeID, &u.ExternalID, &u.JobCode, &u.Department, &u.CostCenter, &u.EmployeeType,
			&groups, &kind, &u.Active, &created, &updated, &r.folded[0], &r.folded[1], &r.folded[2], &r.folded[3]); err != nil {
			return nil, fmt.Errorf("store: search people: %w", err)
		}
		u.Kind, u.CreatedAt, u.UpdatedAt = licensing.Kind(kind), fromMicro(created), fromMicro(updated)
		if err := json.Unmarshal([]byte(groups), &u.Groups); err != nil {
			return nil, fmt.Errorf("store: user %s groups: %w", u.ID, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// prefixEnd is the smallest string above every string that starts with
// prefix (its last character incremented), in byte order, which for UTF-8
// is code point order; ok is false when there is none (no prefix, or one
// made of the highest code point only).
func prefixEnd(prefix string) (string, bool) {
	rs := []rune(prefix)
	for i := len(rs) - 1; i >= 0; i-- {
		if rs[i] >= utf8.MaxRune {
			continue
		}
		next := rs[i] + 1
		if next >= 0xD800 && next <= 0xDFFF { // surrogates are no characters
			next = 0xE000
		}
		return string(append(rs[:i:i], next)), true
	}
	return "", false
}

// ExplainPeopleSearch returns the database's plan of each query a search
// runs (EXPLAIN QUERY PLAN on SQLite, EXPLAIN on PostgreSQL), one text per
// query: how tests and operators check the search never scans.
func (s *Store) ExplainPeopleSearch(ctx context.Context, f PeopleSearch) ([]string, error) {
	prefix := FoldDisplayName(f.Query)
	var plans []string
	for _, st := range searchStreams(prefix, f.Active) {
		q, args := s.searchSQL(st, prefix, f.After, 51)
		p, err := s.explain(ctx, q, args...)
		if err != nil {
			return nil, err
		}
		plans = append(plans, p)
	}
	return plans, nil
}

// explain returns the plan of one query as text.
func (s *Store) explain(ctx context.Context, q string, args ...any) (string, error) {
	prefix := "EXPLAIN "
	if s.d.Name == "sqlite" {
		prefix = "EXPLAIN QUERY PLAN "
	}
	rows, err := s.rdb.QueryContext(ctx, s.q(prefix+q), args...)
	if err != nil {
		return "", fmt.Errorf("store: explain: %w", err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return "", err
	}
	var lines []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return "", fmt.Errorf("store: explain: %w", err)
		}
		// The plan's text is the last column on both (SQLite's "detail",
		// PostgreSQL's "QUERY PLAN").
		lines = append(lines, fmt.Sprint(vals[len(vals)-1]))
	}
	return strings.Join(lines, "\n"), rows.Err()
}

// SignIn is how a person can sign in: a local password (and since when)
// and their live browser sessions (each with the method it began with,
// "password" or "oidc").
type SignIn struct {
	Password    bool
	PasswordSet time.Time
	Browser     []BrowserSession
}

// BrowserSession is one live browser session, without its secrets.
type BrowserSession struct {
	Method    string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// PersonSignIn reports a person's local account and live browser sessions.
func (s *Store) PersonSignIn(ctx context.Context, userID string) (SignIn, error) {
	var out SignIn
	var set int64
	err := s.readRow(ctx, `SELECT updated_at FROM accounts WHERE user_id = ?`, userID).Scan(&set)
	switch {
	case err == nil:
		out.Password, out.PasswordSet = true, fromMicro(set)
	case err != sql.ErrNoRows:
		return out, fmt.Errorf("store: sign-in methods: %w", err)
	}
	rows, err := s.readRows(ctx, `SELECT method, created_at, expires_at FROM web_sessions WHERE user_id = ? AND expires_at > ? ORDER BY created_at DESC`, userID, micro(s.now()))
	if err != nil {
		return out, fmt.Errorf("store: browser sessions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var b BrowserSession
		var c, e int64
		if err := rows.Scan(&b.Method, &c, &e); err != nil {
			return out, fmt.Errorf("store: browser sessions: %w", err)
		}
		b.CreatedAt, b.ExpiresAt = fromMicro(c), fromMicro(e)
		out.Browser = append(out.Browser, b)
	}
	return out, rows.Err()
}

// QueueWait is a person's place in one pool's queue.
type QueueWait struct {
	Pool     string
	Position int
	Since    time.Time
}

// QueuePlaces lists where a person waits in pools' queues, each looked up
// by the queue's key (pool, person).
func (s *Store) QueuePlaces(ctx context.Context, userID string, pools []string) ([]QueueWait, error) {
	var out []QueueWait
	for _, p := range pools {
		var since int64
		err := s.readRow(ctx, `SELECT enqueued_at FROM queue_entries WHERE pool_id = ? AND user_id = ?`, p, userID).Scan(&since)
		if err == sql.ErrNoRows {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("store: queue places: %w", err)
		}
		pos, err := s.QueuePosition(ctx, p, userID)
		if err != nil {
			return nil, err
		}
		if pos > 0 {
			out = append(out, QueueWait{Pool: p, Position: pos, Since: fromMicro(since)})
		}
	}
	return out, nil
}

// MemberPools lists the pools a person ever held or waited for a seat of
// (revoked memberships are kept as history), for their audit trail.
func (s *Store) MemberPools(ctx context.Context, userID string) ([]string, error) {
	rows, err := s.readRows(ctx, `SELECT DISTINCT pool_id FROM members WHERE user_id = ?`, userID)
	if err != nil {
		return nil, fmt.Errorf("store: member pools: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return nil, fmt.Errorf("store: member pools: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}
