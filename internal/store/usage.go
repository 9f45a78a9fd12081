package store

import (
	"context"
	"database/sql"
	"fmt"
)

// PoolUsage is a pool's current occupancy, for metrics and the console.
type PoolUsage struct {
	Pool      string
	Model     string
	Seats     int
	Capacity  int
	Held      int
	Overdraft int
	Members   int
	Pending   int
	Queued    int
}

// Usage reports every pool's occupancy.
func (s *Store) Usage(ctx context.Context) ([]PoolUsage, error) { return s.usage(ctx, "") }

// PoolUsageOf reports one pool's occupancy.
func (s *Store) PoolUsageOf(ctx context.Context, pool string) (PoolUsage, error) {
	list, err := s.usage(ctx, pool)
	if err != nil {
		return PoolUsage{}, err
	}
	if len(list) == 0 {
		return PoolUsage{}, notFound("pool", pool)
	}
	return list[0], nil
}

// usage reads the occupancy of one pool, or of all when pool is "".
func (s *Store) usage(ctx context.Context, pool string) ([]PoolUsage, error) {
	return usageRows(func(q string, args ...any) (*sql.Rows, error) { return s.readRows(ctx, q, args...) }, pool)
}

func usageRows(query rowsFunc, pool string) ([]PoolUsage, error) {
	rows, err := query(`SELECT p.id, p.model, p.seats, p.seats + p.overdraft,
		(SELECT count(*) FROM leases l WHERE l.pool_id = p.id AND l.ended_at = 0),
		(SELECT count(*) FROM leases l WHERE l.pool_id = p.id AND l.ended_at = 0 AND l.overdraft = 1),
		(SELECT count(*) FROM members m WHERE m.pool_id = p.id AND m.revoked_at = 0 AND m.state = 'active'),
		(SELECT count(*) FROM members m WHERE m.pool_id = p.id AND m.revoked_at = 0 AND m.state = 'pending'),
		(SELECT count(*) FROM queue_entries q WHERE q.pool_id = p.id)
		FROM pools p WHERE ? = '' OR p.id = ? ORDER BY p.id`, pool, pool)
	if err != nil {
		return nil, fmt.Errorf("store: usage: %w", err)
	}
	defer rows.Close()
	out := []PoolUsage{}
	for rows.Next() {
		var u PoolUsage
		if err := rows.Scan(&u.Pool, &u.Model, &u.Seats, &u.Capacity, &u.Held, &u.Overdraft, &u.Members, &u.Pending, &u.Queued); err != nil {
			return nil, err
		}
		if u.Model == "named" {
			u.Held = u.Members
			u.Overdraft = max(0, u.Members-u.Seats)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// DenialCount is denials grouped by reason.
type DenialCount struct {
	Reason string
	Count  int64
}

// DenialsByReason counts every recorded denial by reason.
func (s *Store) DenialsByReason(ctx context.Context) ([]DenialCount, error) {
	rows, err := s.readRows(ctx, `SELECT reason, SUM(1 + repeats) FROM denials GROUP BY reason ORDER BY reason`)
	if err != nil {
		return nil, fmt.Errorf("store: denials: %w", err)
	}
	defer rows.Close()
	var out []DenialCount
	for rows.Next() {
		var d DenialCount
		if err := rows.Scan(&d.Reason, &d.Count); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}
