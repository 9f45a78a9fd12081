package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// Dashboard is what the console's live dashboard shows, read in one read
// transaction so its figures agree with each other.
type Dashboard struct {
	At    time.Time
	Pools []licensing.Pool
	Usage []PoolUsage // by pool id, as Pools
	// Since and Bucket frame Held: per concurrent pool, the most seats held
	// at once in each bucket from Since to At, oldest first.
	Since  time.Time
	Bucket time.Duration
	Held   map[string][]int
	// Denials counts today's (UTC) denials per pool ("" for none named),
	// repeats included.
	Denials map[string]int
}

// ReadDashboard reads the dashboard: occupancy now, and the seats held over
// the window before now in buckets. Held time counts a lease until it ended
// or expired, whichever came first, as the reports do.
func (s *Store) ReadDashboard(ctx context.Context, window, bucket time.Duration) (Dashboard, error) {
	now := s.now()
	d := Dashboard{At: now, Since: now.Add(-window), Bucket: bucket, Held: map[string][]int{}, Denials: map[string]int{}}
	if bucket <= 0 || window < bucket {
		return d, fmt.Errorf("store: dashboard: window %v, bucket %v", window, bucket)
	}
	err := s.read(ctx, func(r *rtx) error {
		rows, err := r.query(`SELECT ` + poolCols + ` FROM pools ORDER BY id`)
		if err != nil {
			return fmt.Errorf("store: dashboard pools: %w", err)
		}
		for rows.Next() {
			p, err := scanPool(rows)
			if err != nil {
				rows.Close()
				return fmt.Errorf("store: dashboard pools: %w", err)
			}
			d.Pools = append(d.Pools, p)
		}
		rows.Close()
		if d.Usage, err = usageRows(r.query, ""); err != nil {
			return err
		}
		for _, p := range d.Pools {
			if p.Model != licensing.ModelConcurrent {
				continue
			}
			if d.Held[p.ID], err = heldSeries(r, p.ID, d.Since, now, bucket); err != nil {
				return err
			}
		}
		day := now.UTC().Truncate(24 * time.Hour)
		// Grouped by an expression, so the planner walks today's range of
		// denials_at rather than every denial in pool order.
		rows, err = r.query(`SELECT pool_id || '', sum(1 + repeats) FROM denials WHERE at >= ? GROUP BY pool_id || ''`, micro(day))
		if err != nil {
			return fmt.Errorf("store: dashboard denials: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var pool string
			var n int
			if err := rows.Scan(&pool, &n); err != nil {
				return fmt.Errorf("store: dashboard denials: %w", err)
			}
			d.Denials[pool] = n
		}
		return rows.Err()
	})
	return d, err
}

// heldSeries sweeps a pool's leases that overlap [since, now) into the
// most held at once per bucket.
func heldSeries(r *rtx, pool string, since, now time.Time, bucket time.Duration) ([]int, error) {
	// Two ranges of leases_pool_end (held now; ended in the window), not
	// one OR the planner would answer from the pool's whole history.
	rows, err := r.query(`SELECT started_at, ended_at, expires_at FROM leases WHERE pool_id = ? AND ended_at = 0
		UNION ALL SELECT started_at, ended_at, expires_at FROM leases WHERE pool_id = ? AND ended_at > ? AND started_at < ?`,
		pool, pool, micro(since), micro(now))
	if err != nil {
		return nil, fmt.Errorf("store: dashboard leases: %w", err)
	}
	defer rows.Close()
	type event struct {
		at    int64
		delta int
	}
	var events []event
	lo, hi := micro(since), micro(now)
	for rows.Next() {
		var start, ended, expires int64
		if err := rows.Scan(&start, &ended, &expires); err != nil {
			return nil, fmt.Errorf("store: dashboard leases: %w", err)
		}
		end := expires
		if ended > 0 && ended < end {
			end = ended
		}
		start, end = max(start, lo), min(end, hi)
		if end <= start {
			continue
		}
		events = append(events, event{start, 1}, event{end, -1})
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Ends before starts at one instant: a seat handed over is not two.
	slices.SortFunc(events, func(a, b event) int {
		if a.at != b.at {
			return int(a.at - b.at)
		}
		return a.delta - b.delta
	})
	n := int((now.Sub(since) + bucket - 1) / bucket)
	out := make([]int, n)
	held, j, width := 0, 0, bucket.Microseconds()
	for i := range out {
		// The most held in a bucket: what it started with, or the count
		// after any change within it.
		out[i] = held
		end := lo + int64(i+1)*width
		for ; j < len(events) && events[j].at < end; j++ {
			held += events[j].delta
			out[i] = max(out[i], held)
		}
	}
	return out, nil
}
