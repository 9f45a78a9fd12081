package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/seatkeeper/seatkeeper/internal/audit"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// A person's audit trail for the licence console: the entries about them
// (subject user:NAME, or pool:POOL/user:NAME for their seats and leases),
// by them (actor web:NAME, what they did signed in) and for them (acting
// user NAME, what an integration did on their behalf), newest first.

// trailStream is one indexed way to a person's entries (the audit indexes
// of migration 18, each ending with (at, seq)): column = value, newest
// first from a cursor.
type trailStream struct{ col, value string }

const trailCols = `seq, at, actor, acting_user, action, subject, result, source, detail, prev_hash, hash`

// trailStreams are the ranges a person's trail reads. pools are every pool
// whose seats the person's entries may name.
func trailStreams(userName string, pools []string) []trailStream {
	out := []trailStream{{"subject", "user:" + userName}, {"actor", "web:" + userName}, {"acting_user", userName}}
	for _, p := range pools {
		out = append(out, trailStream{"subject", "pool:" + p + "/user:" + userName})
	}
	return out
}

// trailSQL is one stream's query. On PostgreSQL the subject index keeps
// bytewise order ("C"), and the comparison must say so to use it; the
// acting-user index leaves out entries with none, and the query must say
// so too.
func (s *Store) trailSQL(st trailStream) string {
	col := st.col
	if col == "subject" && s.d.Name == "postgres" {
		col = `subject COLLATE "C"`
	}
	q := `SELECT ` + trailCols + ` FROM audit_log WHERE ` + col + ` = ?`
	if st.col == "acting_user" {
		q += ` AND acting_user <> ''`
	}
	return q + ` AND (at, seq) < (?, ?) ORDER BY at DESC, seq DESC LIMIT ?`
}

// trailPools are the pools that name u in their entries: today's, and
// any u once held a seat of.
func (s *Store) trailPools(ctx context.Context, u licensing.User) ([]string, error) {
	pools, err := s.ListPools(ctx)
	if err != nil {
		return nil, err
	}
	ids, err := s.MemberPools(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	for _, p := range pools {
		ids = append(ids, p.ID)
	}
	slices.Sort(ids)
	return slices.Compact(ids), nil
}

// trailKey is an entry's place in the trail's order, newest first.
type trailKey struct{ at, seq int64 }

func (k trailKey) before(o trailKey) bool { return k.at < o.at || (k.at == o.at && k.seq < o.seq) }

func keyOf(e audit.Entry) trailKey { return trailKey{micro(e.At), e.Seq} }

// PersonTrail returns up to limit of a person's chained entries, newest
// first by time (then seq, as the audit log pages), older than the entry
// before (a seq shown; 0: from the newest), and whether older ones follow.
// Each stream is one index range of at most limit+1 rows; merged here, an
// entry reached two ways is listed once. The merge is exact: a full stream
// holds limit+1 entries at or above its last, and every entry at or above
// the newest such last is in some stream.
func (s *Store) PersonTrail(ctx context.Context, u licensing.User, before int64, limit int) ([]audit.Entry, bool, error) {
	if _, err := s.ChainPending(ctx); err != nil {
		return nil, false, err
	}
	if limit <= 0 {
		limit = 25
	}
	limit = min(limit, 500)
	from := trailKey{1<<63 - 1, 1<<63 - 1}
	if before > 0 {
		var at int64
		if err := s.readRow(ctx, `SELECT at FROM audit_log WHERE seq = ?`, before).Scan(&at); err != nil {
			if err == sql.ErrNoRows {
				return nil, false, licensing.FieldErrorf(licensing.CodeNotFound, "before", "audit entry %d not found", before)
			}
			return nil, false, fmt.Errorf("store: person trail: %w", err)
		}
		from = trailKey{at, before}
	}
	pools, err := s.trailPools(ctx, u)
	if err != nil {
		return nil, false, err
	}
	seen := map[int64]bool{}
	var out []audit.Entry
	floor, bounded := trailKey{}, false // the newest last entry of a full stream
	for _, st := range trailStreams(u.UserName, pools) {
		got, err := s.trailStream(ctx, st, from, limit+1)
		if err != nil {
			return nil, false, err
		}
		for _, e := range got {
			if !seen[e.Seq] {
				seen[e.Seq] = true
				out = append(out, e)
			}
		}
		if len(got) == limit+1 {
			if k := keyOf(got[len(got)-1]); !bounded || floor.before(k) {
				floor, bounded = k, true
			}
		}
	}
	slices.SortFunc(out, func(a, b audit.Entry) int {
		ka, kb := keyOf(a), keyOf(b)
		if kb.before(ka) {
			return -1
		}
		if ka.before(kb) {
			return 1
		}
		return 0
	})
	if bounded {
		n := 0
		for n < len(out) && !keyOf(out[n]).before(floor) {
			n++
		}
		out = out[:n]
	}
	return out[:min(len(out), limit)], len(out) > limit, nil
}

func (s *Store) trailStream(ctx context.Context, st trailStream, from trailKey, n int) ([]audit.Entry, error) {
	rows, err := s.readRows(ctx, s.trailSQL(st), st.value, from.at, from.seq, n)
	if err != nil {
		return nil, fmt.Errorf("store: person trail: %w", err)
	}
	defer rows.Close()
	var out []audit.Entry
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return nil, fmt.Errorf("store: person trail: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// ExplainPersonTrail returns the plan of each query PersonTrail runs for u.
func (s *Store) ExplainPersonTrail(ctx context.Context, u licensing.User) ([]string, error) {
	pools, err := s.trailPools(ctx, u)
	if err != nil {
		return nil, err
	}
	var plans []string
	for _, st := range trailStreams(u.UserName, pools) {
		p, err := s.explain(ctx, s.trailSQL(st), st.value, int64(1<<62), int64(1<<62), 26)
		if err != nil {
			return nil, err
		}
		plans = append(plans, p)
	}
	return plans, nil
}
