package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/report"
)

// QueuePlace is one ended or open place in a pool's queue.
type QueuePlace struct {
	Pool, User   string
	Joined, Left time.Time // Left zero: still waiting
	Seated       bool
}

// DenialTally counts a period's denials of one pool ("" for denials no
// pool could have met, such as no_licence) and reason.
type DenialTally struct {
	Pool, Reason string
	Count        int
}

// ReportData is everything a usage report reads, taken in one snapshot so
// its figures agree with one another.
type ReportData struct {
	Now   time.Time
	Pools []ReportPool
	// Days are each pool's swept days overlapping the period.
	Days       map[string][]report.Day
	Queue      []QueuePlace
	Denials    []DenialTally
	Registered map[string]int // pool → people registered or assigned at some time in the period
	Holdings   []NamedHolding
	// UserNames maps the user ids the days name to user names.
	UserNames map[string]string
}

// ReportData reads the pools, days, queue places, denial counts,
// registrations and named holdings of [from, to) in one read snapshot. The
// days carry their spells only when asked (the optimiser replays them).
func (s *Store) ReportData(ctx context.Context, from, to time.Time, spells bool) (ReportData, error) {
	d := ReportData{Now: s.now()}
	err := s.read(ctx, func(r *rtx) error {
		var err error
		if d.Pools, err = r.reportPools(); err != nil {
			return err
		}
		if d.Days, err = r.usageDays(d.Pools, from, to, d.Now, spells); err != nil {
			return err
		}
		if err := r.facts(&d, from, to); err != nil {
			return err
		}
		if d.Holdings, err = r.namedHoldings(); err != nil {
			return err
		}
		d.UserNames, err = r.userNames()
		return err
	})
	return d, err
}

func (r *rtx) userNames() (map[string]string, error) {
	rows, err := r.query(`SELECT id, user_name FROM users`)
	if err != nil {
		return nil, fmt.Errorf("store: user names: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, err
		}
		out[id] = name
	}
	return out, rows.Err()
}

// facts reads the queue places, denial counts and registrations of [from, to).
func (r *rtx) facts(f *ReportData, from, to time.Time) error {
	f.Registered = map[string]int{}
	rows, err := r.query(`SELECT pool_id, user_id, joined_at, left_at, seated FROM queue_history WHERE joined_at >= ? AND joined_at < ? ORDER BY joined_at`, micro(from), micro(to))
	if err != nil {
		return fmt.Errorf("store: queue history: %w", err)
	}
	for rows.Next() {
		var q QueuePlace
		var j, l int64
		if err := rows.Scan(&q.Pool, &q.User, &j, &l, &q.Seated); err != nil {
			rows.Close()
			return err
		}
		q.Joined, q.Left = fromMicro(j), fromMicro(l)
		f.Queue = append(f.Queue, q)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = r.query(`SELECT pool_id, reason, SUM(1 + repeats) FROM denials WHERE at >= ? AND at < ? GROUP BY pool_id, reason ORDER BY pool_id, reason`, micro(from), micro(to))
	if err != nil {
		return fmt.Errorf("store: denial counts: %w", err)
	}
	for rows.Next() {
		var d DenialTally
		if err := rows.Scan(&d.Pool, &d.Reason, &d.Count); err != nil {
			rows.Close()
			return err
		}
		f.Denials = append(f.Denials, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = r.query(`SELECT pool_id, count(DISTINCT user_id) FROM members WHERE state = 'active' AND since < ? AND (revoked_at = 0 OR revoked_at >= ?) GROUP BY pool_id`, micro(to), micro(from))
	if err != nil {
		return fmt.Errorf("store: registered: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var pool string
		var n int
		if err := rows.Scan(&pool, &n); err != nil {
			return err
		}
		f.Registered[pool] = n
	}
	return rows.Err()
}

// NamedHolding is a current named seat with its last real use: the last
// decision the engine allowed under that very seat (marked on the decision
// path, flushed in the background). A session alone is no use: a person's
// session cannot tell which of their seats it was for.
type NamedHolding struct {
	Pool, SKU   string
	User        licensing.User
	Source      string
	Since       time.Time
	LastUsed    time.Time // zero: never used
	MonthlyCost float64
}

// NamedHoldings lists every active named seat with its last use.
func (s *Store) NamedHoldings(ctx context.Context) ([]NamedHolding, error) {
	var out []NamedHolding
	err := s.read(ctx, func(r *rtx) error {
		var err error
		out, err = r.namedHoldings()
		return err
	})
	return out, err
}

func (r *rtx) namedHoldings() ([]NamedHolding, error) {
	var out []NamedHolding
	rows, err := r.query(`SELECT m.pool_id, p.sku, m.user_id, u.user_name, u.display_name, u.groups, u.kind, m.source, m.since, m.last_used,
		CASE WHEN p.monthly_price > 0 THEN p.monthly_price ELSE k.monthly_price END
		FROM members m JOIN pools p ON p.id = m.pool_id JOIN skus k ON k.key = p.sku JOIN users u ON u.id = m.user_id
		WHERE p.model = 'named' AND m.state = 'active' AND m.revoked_at = 0 ORDER BY m.pool_id, u.user_name_lower`)
	if err != nil {
		return nil, fmt.Errorf("store: named holdings: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var h NamedHolding
		var groups, kind string
		var since, used int64
		if err := rows.Scan(&h.Pool, &h.SKU, &h.User.ID, &h.User.UserName, &h.User.DisplayName, &groups, &kind, &h.Source, &since, &used, &h.MonthlyCost); err != nil {
			return nil, err
		}
		h.User.Groups = parseGroups(groups)
		h.User.Kind = licensing.Kind(kind)
		h.Since, h.LastUsed = fromMicro(since), fromMicro(used)
		out = append(out, h)
	}
	return out, rows.Err()
}

// NamedUse is a decision the engine allowed under a named seat.
type NamedUse struct {
	Pool, User string
	At         time.Time
}

// RecordNamedUse writes the last use of named seats seen by the engine
// since its last flush: one statement per seat per flush, however many
// decisions there were, so the decision path never writes.
func (s *Store) RecordNamedUse(ctx context.Context, uses []NamedUse) error {
	if len(uses) == 0 {
		return nil
	}
	return s.write(ctx, func(t *tx) error {
		for _, u := range uses {
			if _, err := t.exec(`UPDATE members SET last_used = ? WHERE pool_id = ? AND user_id = ? AND revoked_at = 0 AND last_used < ?`,
				micro(u.At), u.Pool, u.User, micro(u.At)); err != nil {
				return fmt.Errorf("store: record named use: %w", err)
			}
		}
		return nil
	})
}

// parseGroups reads a users.groups column; a malformed one reads as none.
func parseGroups(v string) []string {
	var g []string
	if err := json.Unmarshal([]byte(v), &g); err != nil {
		return nil
	}
	return g
}
