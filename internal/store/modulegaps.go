package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// ModuleGap is a person holding a module seat without a seat of every
// fulfiller SKU the module requires: the module alone lets them do nothing
// (the engine refuses with module_missing), yet it is paid for.
type ModuleGap struct {
	UserID      string
	UserName    string
	DisplayName string
	Pool        string // the module's pool
	SKU         string // the module SKU
	// Missing are the required fulfiller SKUs the person holds no seat of
	// (an assigned named seat or a registration for a concurrent pool).
	Missing []string
	Source  string // how the module seat was granted
	Since   time.Time
}

// moduleGapMembers selects the active seats of module SKUs, with their
// holders; the caller may narrow it to one person.
const moduleGapMembers = `SELECT m.user_id, u.user_name, u.display_name, m.pool_id, p.sku, m.source, m.since
	FROM members m JOIN pools p ON p.id = m.pool_id JOIN skus k ON k.key = p.sku JOIN users u ON u.id = m.user_id
	WHERE m.revoked_at = 0 AND m.state = 'active' AND k.tier = 'module'`

// moduleGapFulfillers selects the fulfiller SKUs held by people who hold a
// module seat.
const moduleGapFulfillers = `SELECT DISTINCT m.user_id, p.sku
	FROM members m JOIN pools p ON p.id = m.pool_id JOIN skus k ON k.key = p.sku
	WHERE m.revoked_at = 0 AND m.state = 'active' AND k.tier = 'fulfiller'
	AND m.user_id IN (SELECT m2.user_id FROM members m2 JOIN pools p2 ON p2.id = m2.pool_id JOIN skus k2 ON k2.key = p2.sku
		WHERE m2.revoked_at = 0 AND m2.state = 'active' AND k2.tier = 'module')`

// ModuleGaps lists the people who hold a module seat without the fulfiller
// seat it requires, by user name and pool; userID "" means everyone. A
// pending grant (waiting for a seat) holds nothing and counts neither way.
func (s *Store) ModuleGaps(ctx context.Context, userID string) ([]ModuleGap, error) {
	skus, err := s.ListSKUs(ctx)
	if err != nil {
		return nil, err
	}
	requires := map[string][]string{}
	for _, k := range skus {
		if k.Tier == licensing.TierModule {
			requires[k.Key] = k.Requires
		}
	}
	if len(requires) == 0 {
		return []ModuleGap{}, nil
	}
	filter, args := "", []any{}
	if userID != "" {
		filter, args = ` AND m.user_id = ?`, []any{userID}
	}
	held := map[string]map[string]bool{}
	rows, err := s.readRows(ctx, moduleGapFulfillers+filter, args...)
	if err != nil {
		return nil, fmt.Errorf("store: module gaps: %w", err)
	}
	for rows.Next() {
		var user, sku string
		if err := rows.Scan(&user, &sku); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: module gaps: %w", err)
		}
		if held[user] == nil {
			held[user] = map[string]bool{}
		}
		held[user][sku] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: module gaps: %w", err)
	}
	rows, err = s.readRows(ctx, moduleGapMembers+filter+` ORDER BY u.user_name_lower, m.pool_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: module gaps: %w", err)
	}
	defer rows.Close()
	out := []ModuleGap{}
	for rows.Next() {
		var g ModuleGap
		var since int64
		if err := rows.Scan(&g.UserID, &g.UserName, &g.DisplayName, &g.Pool, &g.SKU, &g.Source, &since); err != nil {
			return nil, fmt.Errorf("store: module gaps: %w", err)
		}
		for _, r := range requires[g.SKU] {
			if !held[g.UserID][r] {
				g.Missing = append(g.Missing, r)
			}
		}
		if len(g.Missing) > 0 {
			slices.Sort(g.Missing)
			g.Since = fromMicro(since)
			out = append(out, g)
		}
	}
	return out, rows.Err()
}
