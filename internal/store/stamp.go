package store

import (
	"context"
	"fmt"
)

// EntitlementStamp changes whenever a rule, a pool, a group grant or a
// granted group (a rename) is written, by this process or another: reconcilers compare it to reuse
// their compiled rules and pool list instead of reloading them for every
// person an identity provider sends. Versions and times only grow, so the
// sums and maxima cannot repeat after a change.
func (s *Store) EntitlementStamp(ctx context.Context) (string, error) {
	var v [7]int64
	err := s.readRow(ctx, `SELECT (SELECT count(*) FROM rules), (SELECT coalesce(sum(version), 0) FROM rules),
		(SELECT count(*) FROM pools), (SELECT coalesce(max(updated_at), 0) FROM pools),
		(SELECT count(*) FROM group_grants), (SELECT coalesce(max(since), 0) FROM group_grants),
		(SELECT coalesce(sum(version), 0) FROM groups WHERE id IN (SELECT group_id FROM group_grants))`).
		Scan(&v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6])
	if err != nil {
		return "", fmt.Errorf("store: entitlement stamp: %w", err)
	}
	return fmt.Sprint(v), nil
}
