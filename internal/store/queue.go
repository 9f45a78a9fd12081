package store

import (
	"context"
	"fmt"
)

// QueuePosition returns the person's 1-based place in a pool's queue, 0 when
// they are not queued.
func (s *Store) QueuePosition(ctx context.Context, pool, user string) (int, error) {
	rows, err := s.readRows(ctx, queueOrder, pool)
	if err != nil {
		return 0, fmt.Errorf("store: queue position: %w", err)
	}
	n, queued, err := placeIn(rows, user)
	if err != nil {
		return 0, fmt.Errorf("store: queue position: %w", err)
	}
	if !queued {
		return 0, nil
	}
	return n, nil
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
