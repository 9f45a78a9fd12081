package store

import (
	"context"
	"fmt"
)

// QueuePosition returns the person's 1-based place in a pool's queue, 0 when
// they are not queued.
func (s *Store) QueuePosition(ctx context.Context, pool, user string) (int, error) {
	rows, err := s.readRows(ctx, `SELECT user_id FROM queue_entries WHERE pool_id = ? ORDER BY priority DESC, enqueued_at, user_id`, pool)
	if err != nil {
		return 0, fmt.Errorf("store: queue position: %w", err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return 0, fmt.Errorf("store: queue position: %w", err)
		}
		n++
		if id == user {
			return n, nil
		}
	}
	return 0, rows.Err()
}

// PoolFree returns how many seats of a pool are free now (named pools count
// assignments).
func (s *Store) PoolFree(ctx context.Context, pool string) (int, error) {
	u, err := s.PoolUsageOf(ctx, pool)
	if err != nil {
		return 0, err
	}
	return max(0, u.Capacity-u.Held), nil
}
