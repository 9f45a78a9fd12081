package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/audit"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// AuditFilter selects audit entries; a zero field matches every entry.
// Each field is served by an index of migration 18, so a filter over a
// log of millions reads about one page of rows.
type AuditFilter struct {
	Actor      string // exactly: "web:ann@example.com", "token:ci", "slack-hub", "system"
	ActingUser string // exactly: the person an integration acted for
	Action     string // exactly: "lease.start"
	// Subject matches as a prefix: "pool:agents" finds the pool's entries
	// and those of its seats ("pool:agents/user:ann@example.com").
	Subject  string
	From, To time.Time // From <= at < To; zero: open
}

// Empty reports whether f selects every entry.
func (f AuditFilter) Empty() bool { return f == AuditFilter{} }

// AuditQuery asks for one page of the audit log.
type AuditQuery struct {
	AuditFilter
	// Newest pages newest first by time (at, then seq, the order of the
	// indexes); otherwise the page is in chain order (seq), as a follower
	// of the log reads it.
	Newest bool
	// After and Before are cursors, the seq of an entry already shown (at
	// most one). In chain order only After: the entries after it. Newest
	// first, Before gives the older page below that entry and After the
	// newer page above it (still newest first).
	After, Before int64
	Limit         int
}

// AuditPage is a page of entries; More says more follow in the direction
// read (older for Before or no cursor, newer for After).
type AuditPage struct {
	Entries []audit.Entry
	More    bool
}

// auditDir is the order a page is read in.
type auditDir int

const (
	chainAsc auditDir = iota // by seq, oldest first
	timeDesc                 // by (at, seq), newest first
	timeAsc                  // by (at, seq), oldest first
)

// prefixHigh ends the byte range of a prefix: every string that starts
// with p sorts below p+prefixHigh (U+10FFFF is the largest code point,
// and its UTF-8 bytes the largest a valid string holds).
const prefixHigh = "\U0010FFFF"

// subjectScanAt is how many entries a subject prefix may match before
// the page is read newest first along the time index, filtering, rather
// than gathered from the subject index and sorted: gathering costs per
// match, filtering per entry passed over, so a broad prefix filters.
const subjectScanAt = 20000

const auditCols = `seq, at, actor, acting_user, action, subject, result, source, detail, prev_hash, hash`

// QueryAudit returns one page of the audit log, as the API's GET
// /api/v1/audit and the licence console read it.
func (s *Store) QueryAudit(ctx context.Context, q AuditQuery) (AuditPage, error) {
	dir, cursor, err := q.plan()
	if err != nil {
		return AuditPage{}, err
	}
	if _, err := s.ChainPending(ctx); err != nil {
		return AuditPage{}, err
	}
	query, args, err := s.auditSQL(ctx, q.AuditFilter, dir, cursor, q.Limit+1)
	if err != nil {
		return AuditPage{}, err
	}
	list, err := s.auditRows(ctx, query, args)
	if err != nil {
		return AuditPage{}, err
	}
	page := AuditPage{Entries: list, More: len(list) > q.Limit}
	if page.More {
		page.Entries = list[:q.Limit]
	}
	if dir == timeAsc {
		slices.Reverse(page.Entries) // a newer page, shown newest first too
	}
	return page, nil
}

// plan checks q and says how to read it.
func (q AuditQuery) plan() (auditDir, int64, error) {
	switch {
	case q.Limit < 1:
		return 0, 0, licensing.FieldErrorf(licensing.CodeInvalid, "limit", "limit must be at least 1")
	case q.After < 0 || q.Before < 0:
		return 0, 0, licensing.Errorf(licensing.CodeInvalid, "a cursor must be a positive seq")
	case q.After > 0 && q.Before > 0:
		return 0, 0, licensing.FieldErrorf(licensing.CodeInvalid, "before", "give after or before, not both")
	case !q.Newest && q.Before > 0:
		return 0, 0, licensing.FieldErrorf(licensing.CodeInvalid, "before", "before pages newest first: ask for order=desc")
	case !q.From.IsZero() && !q.To.IsZero() && !q.To.After(q.From):
		return 0, 0, licensing.FieldErrorf(licensing.CodeInvalid, "to", "the period must end after it starts")
	case !q.Newest:
		return chainAsc, q.After, nil
	case q.After > 0:
		return timeAsc, q.After, nil
	}
	return timeDesc, q.Before, nil
}

// ExportAudit calls fn for each entry f selects. With no filter it is the
// whole chain in chain order (ScanAudit), a file that verifies offline;
// with one, the matching entries oldest first by time, read in indexed
// pages, so a long export holds no read snapshot open.
func (s *Store) ExportAudit(ctx context.Context, f AuditFilter, fn func(audit.Entry) error) error {
	if f.Empty() {
		return s.ScanAudit(ctx, fn)
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.To.After(f.From) {
		return licensing.FieldErrorf(licensing.CodeInvalid, "to", "the period must end after it starts")
	}
	if _, err := s.ChainPending(ctx); err != nil {
		return err
	}
	const batch = 1000
	for cursor := int64(0); ; {
		query, args, err := s.auditSQL(ctx, f, timeAsc, cursor, batch)
		if err != nil {
			return err
		}
		list, err := s.auditRows(ctx, query, args)
		if err != nil {
			return err
		}
		for _, e := range list {
			if err := fn(e); err != nil {
				return err
			}
		}
		if len(list) < batch {
			return nil
		}
		cursor = list[len(list)-1].Seq
	}
}

// AuditEntry returns one chained entry by its seq.
func (s *Store) AuditEntry(ctx context.Context, seq int64) (audit.Entry, error) {
	if _, err := s.ChainPending(ctx); err != nil {
		return audit.Entry{}, err
	}
	e, err := scanEntry(s.readRow(ctx, `SELECT `+auditCols+` FROM audit_log WHERE seq = ?`, seq))
	if errors.Is(err, sql.ErrNoRows) {
		return e, licensing.Errorf(licensing.CodeNotFound, "there is no audit entry %d", seq)
	}
	if err != nil {
		return e, fmt.Errorf("store: audit entry: %w", err)
	}
	return e, nil
}

// AuditActions lists the distinct actions in the log, in order, by
// skipping along the action index (one probe per action, not a scan).
func (s *Store) AuditActions(ctx context.Context) ([]string, error) {
	rows, err := s.readRows(ctx, `WITH RECURSIVE a(action) AS (
		SELECT min(action) FROM audit_log
		UNION ALL
		SELECT (SELECT min(action) FROM audit_log WHERE action > a.action) FROM a WHERE a.action IS NOT NULL
	) SELECT action FROM a WHERE action IS NOT NULL LIMIT 1000`)
	if err != nil {
		return nil, fmt.Errorf("store: audit actions: %w", err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			return nil, fmt.Errorf("store: audit actions: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// AuditCheck is a verification's outcome: the entries checked and the
// recorded head (seq and hash of the newest entry) they were checked
// against.
type AuditCheck struct {
	Count    int64
	HeadSeq  int64
	HeadHash string
}

// CheckAudit verifies the whole chain against the recorded head; a broken
// chain is an *audit.ChainError, with the check as far as it got.
func (s *Store) CheckAudit(ctx context.Context) (AuditCheck, error) {
	if _, err := s.ChainPending(ctx); err != nil {
		return AuditCheck{}, err
	}
	// Read the head first and verify up to it: entries chained while the
	// scan runs are for the next verification, not a sign of truncation.
	seq, hash, err := s.AuditHead(ctx)
	if err != nil {
		return AuditCheck{}, err
	}
	c := AuditCheck{HeadSeq: seq, HeadHash: hash}
	v := &audit.Verifier{}
	var last audit.Entry
	upTo := int64(-1)
	if seq > 0 {
		upTo = seq
	}
	err = s.scanAudit(ctx, upTo, func(e audit.Entry) error {
		if err := v.Add(e); err != nil {
			return err
		}
		last = e
		return nil
	})
	c.Count = v.Count()
	if err == nil && seq > 0 {
		err = audit.VerifyHead(last, seq, hash)
	}
	return c, err
}

// ExplainAuditQuery returns the database's plan of the page query q runs
// (EXPLAIN QUERY PLAN on SQLite, EXPLAIN on PostgreSQL): how tests and
// operators check a filter walks an index and never sorts or scans.
func (s *Store) ExplainAuditQuery(ctx context.Context, q AuditQuery) (string, error) {
	dir, cursor, err := q.plan()
	if err != nil {
		return "", err
	}
	query, args, err := s.auditSQL(ctx, q.AuditFilter, dir, cursor, q.Limit+1)
	if err != nil {
		return "", err
	}
	return s.explain(ctx, query, args...)
}

// auditSQL builds the page query. Newest first it walks an index on
// (column, at, seq) or (at, seq) from the cursor, so a page costs about
// its rows; in chain order (a follower's tail) SQLite is kept on the seq
// index, since the filter indexes are in time order and would need a sort.
func (s *Store) auditSQL(ctx context.Context, f AuditFilter, dir auditDir, cursor int64, limit int) (string, []any, error) {
	pg := s.d.Name == "postgres"
	var where []string
	var args []any
	add := func(cond string, a ...any) {
		where = append(where, cond)
		args = append(args, a...)
	}
	// col names a filtered column; "+col" keeps SQLite off its index.
	col := func(c string) string {
		if dir == chainAsc && !pg {
			return "+" + c
		}
		return c
	}
	if f.Action != "" {
		add(col("action")+` = ?`, f.Action)
	}
	if f.Actor != "" {
		add(col("actor")+` = ?`, f.Actor)
	}
	if f.ActingUser != "" {
		// The acting-user index leaves out the many entries without one.
		add(col("acting_user")+` = ? AND acting_user <> ''`, f.ActingUser)
	}
	if f.Subject != "" {
		subj := col("subject")
		switch {
		case pg:
			subj = `subject COLLATE "C"` // the index's byte order, whatever the database's
		case dir != chainAsc:
			n, err := s.subjectMatches(ctx, f.Subject)
			if err != nil {
				return "", nil, err
			}
			if n >= subjectScanAt {
				subj = "+subject"
			}
		}
		add(subj+` >= ? AND `+subj+` < ?`, f.Subject, f.Subject+prefixHigh)
	}
	if !f.From.IsZero() {
		add(col("at")+` >= ?`, micro(f.From))
	}
	if !f.To.IsZero() {
		add(col("at")+` < ?`, micro(f.To))
	}
	order := ` ORDER BY seq`
	if cursor > 0 {
		switch dir {
		case chainAsc:
			add(`seq > ?`, cursor)
		default:
			var at int64
			err := s.readRow(ctx, `SELECT at FROM audit_log WHERE seq = ?`, cursor).Scan(&at)
			if errors.Is(err, sql.ErrNoRows) {
				return "", nil, licensing.Errorf(licensing.CodeInvalid, "there is no audit entry %d to page from", cursor)
			}
			if err != nil {
				return "", nil, fmt.Errorf("store: audit cursor: %w", err)
			}
			// The leading term bounds the index range; the second only
			// sorts out the entries of the cursor's own instant.
			if dir == timeDesc {
				add(`at <= ? AND (at < ? OR seq < ?)`, at, at, cursor)
			} else {
				add(`at >= ? AND (at > ? OR seq > ?)`, at, at, cursor)
			}
		}
	}
	switch dir {
	case timeDesc:
		order = ` ORDER BY at DESC, seq DESC`
	case timeAsc:
		order = ` ORDER BY at, seq`
	}
	query := `SELECT ` + auditCols + ` FROM audit_log`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, ` AND `)
	}
	args = append(args, limit)
	return query + order + ` LIMIT ?`, args, nil
}

// subjectMatches counts the entries under a subject prefix, up to
// subjectScanAt, from the subject index alone.
func (s *Store) subjectMatches(ctx context.Context, prefix string) (int, error) {
	var n int
	err := s.readRow(ctx, `SELECT count(*) FROM (SELECT 1 FROM audit_log WHERE subject >= ? AND subject < ? LIMIT ?) m`,
		prefix, prefix+prefixHigh, subjectScanAt).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: audit subject: %w", err)
	}
	return n, nil
}

func (s *Store) auditRows(ctx context.Context, query string, args []any) ([]audit.Entry, error) {
	rows, err := s.readRows(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: audit query: %w", err)
	}
	defer rows.Close()
	out := []audit.Entry{}
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return nil, fmt.Errorf("store: scan audit: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
