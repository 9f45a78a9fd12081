package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// The licence console's live views: leases and sessions held now, paged
// newest first with keyset cursors (the lease history behind them grows by
// millions a year, so never OFFSET), and each pool's wait queue.

// LiveCursor is where a page of live leases or sessions continues: the
// ordering time and id of the last row shown. The zero cursor starts at the
// newest.
type LiveCursor struct {
	At time.Time
	ID string
}

// LiveFilter narrows LiveLeases and LiveSessions.
type LiveFilter struct {
	Pool  string // only this pool's leases (sessions holding one of them)
	User  string // only this person's (their user id)
	After LiveCursor
	Limit int
}

func (f LiveFilter) limit() int {
	if f.Limit <= 0 || f.Limit > 500 {
		return 50
	}
	return f.Limit
}

// LiveLeases lists the leases held now, newest first (by start), from
// f.After on. Only the few query shapes the filters make are prepared.
func (s *Store) LiveLeases(ctx context.Context, f LiveFilter) ([]licensing.Lease, error) {
	where := []string{`ended_at = 0`}
	var args []any
	if f.Pool != "" {
		where, args = append(where, `pool_id = ?`), append(args, f.Pool)
	}
	if f.User != "" {
		where, args = append(where, `user_id = ?`), append(args, f.User)
	}
	if !f.After.At.IsZero() {
		at := micro(f.After.At)
		where, args = append(where, `(+started_at < ? OR (+started_at = ? AND id < ?))`), append(args, at, at, f.After.ID)
	}
	// "+started_at" keeps the planner off leases_pool_time, an index of
	// the whole history: the active leases (leases_active, leases_pool_end
	// or leases_user, all narrowed by ended_at = 0) are few enough to sort.
	q := `SELECT ` + leaseCols + ` FROM leases WHERE ` + strings.Join(where, ` AND `) + ` ORDER BY +started_at DESC, id DESC LIMIT ?`
	rows, err := s.readRows(ctx, q, append(args, f.limit())...)
	if err != nil {
		return nil, fmt.Errorf("store: live leases: %w", err)
	}
	return scanLeases(rows)
}

// LiveSessions lists the sessions open now, most recently active first,
// from f.After on (ordered by last_seen, which the partial index on open
// sessions keeps in order), each with its active leases. With f.Pool only
// sessions holding a lease of that pool are listed.
func (s *Store) LiveSessions(ctx context.Context, f LiveFilter) ([]licensing.Session, error) {
	where := []string{`ended_at = 0`}
	var args []any
	if f.User != "" {
		where, args = append(where, `user_id = ?`), append(args, f.User)
	}
	if f.Pool != "" {
		where = append(where, `id IN (SELECT sl.session_id FROM session_leases sl JOIN leases l ON l.id = sl.lease_id WHERE l.pool_id = ? AND l.ended_at = 0)`)
		args = append(args, f.Pool)
	}
	if !f.After.At.IsZero() {
		at := micro(f.After.At)
		where, args = append(where, `(last_seen < ? OR (last_seen = ? AND id < ?))`), append(args, at, at, f.After.ID)
	}
	q := `SELECT ` + sessionCols + ` FROM sessions WHERE ` + strings.Join(where, ` AND `) + ` ORDER BY last_seen DESC, id DESC LIMIT ?`
	rows, err := s.readRows(ctx, q, append(args, f.limit())...)
	if err != nil {
		return nil, fmt.Errorf("store: live sessions: %w", err)
	}
	out := []licensing.Session{}
	for rows.Next() {
		ss, err := scanSession(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: scan session: %w", err)
		}
		out = append(out, ss)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: live sessions: %w", err)
	}
	for i := range out {
		if out[i].Leases, err = s.listLeases(ctx, `ended_at = 0 AND id IN (SELECT lease_id FROM session_leases WHERE session_id = ?)`, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// QueueEntry is one person waiting in a pool's queue.
type QueueEntry struct {
	Pool     string
	User     string // user id
	Position int    // 1-based, in the order seats are offered
	Priority int
	Since    time.Time // when they joined
	LastSeen time.Time // when they last asked; their place lapses OfferTTL later
}

// QueueOf lists up to limit people waiting in a pool's queue, in the
// order a freed seat goes to them (group priority, then arrival). Places
// whose holder stopped asking for longer than the pool's offer time are
// left out: the next checkout drops them.
func (s *Store) QueueOf(ctx context.Context, p licensing.Pool, limit int) ([]QueueEntry, error) {
	if p.Queue == nil {
		return []QueueEntry{}, nil
	}
	ttl := p.Queue.OfferTTL
	if ttl <= 0 {
		ttl = licensing.DefaultOfferTTL
	}
	rows, err := s.readRows(ctx, `SELECT user_id, priority, enqueued_at, last_seen FROM queue_entries WHERE pool_id = ? AND last_seen >= ?
		ORDER BY priority DESC, enqueued_at, user_id LIMIT ?`, p.ID, micro(s.now().Add(-ttl)), limit)
	if err != nil {
		return nil, fmt.Errorf("store: queue of %s: %w", p.ID, err)
	}
	defer rows.Close()
	out := []QueueEntry{}
	for rows.Next() {
		var e QueueEntry
		var since, seen int64
		if err := rows.Scan(&e.User, &e.Priority, &since, &seen); err != nil {
			return nil, fmt.Errorf("store: scan queue entry: %w", err)
		}
		e.Pool, e.Position, e.Since, e.LastSeen = p.ID, len(out)+1, fromMicro(since), fromMicro(seen)
		out = append(out, e)
	}
	return out, rows.Err()
}

// Lease returns one lease, held or ended.
func (s *Store) Lease(ctx context.Context, id string) (licensing.Lease, error) {
	l, err := scanLease(s.readRow(ctx, `SELECT `+leaseCols+` FROM leases WHERE id = ?`, id))
	if err == sql.ErrNoRows {
		return l, notFound("lease", id)
	}
	if err != nil {
		return l, fmt.Errorf("store: lease %s: %w", id, err)
	}
	return l, nil
}
