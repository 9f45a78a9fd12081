package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// GroupGrant is a pool assigned to a SCIM group (group-based licensing):
// the planner gives every active member of the group a seat of the pool,
// sourced "scim-group:" + Group. The seats themselves are members rows,
// written by ApplyDiff like rule seats.
type GroupGrant struct {
	GroupID   string
	Group     string // the group's display name now
	Pool      string
	SKU       string // the pool's SKU
	GrantedBy string
	Since     time.Time
	// Members are the group's members (user ids, sorted), filled by
	// PutGroupGrant and DeleteGroupGrant: the people to reconcile.
	Members []string
}

// The join reads the group's current name, so a rename carries over with
// no rewrite, and drops nothing: the foreign keys delete a grant with its
// group or pool.
const groupGrantQuery = `SELECT gg.group_id, g.display_name, gg.pool_id, p.sku, gg.granted_by, gg.since
	FROM group_grants gg JOIN groups g ON g.id = gg.group_id JOIN pools p ON p.id = gg.pool_id`

func (s *Store) listGroupGrants(ctx context.Context, where string, args ...any) ([]GroupGrant, error) {
	rows, err := s.readRows(ctx, groupGrantQuery+` WHERE `+where+` ORDER BY gg.pool_id, g.display_name_lower`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list group grants: %w", err)
	}
	defer rows.Close()
	out := []GroupGrant{}
	for rows.Next() {
		var g GroupGrant
		var since int64
		if err := rows.Scan(&g.GroupID, &g.Group, &g.Pool, &g.SKU, &g.GrantedBy, &since); err != nil {
			return nil, fmt.Errorf("store: scan group grant: %w", err)
		}
		g.Since = fromMicro(since)
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list group grants: %w", err)
	}
	return out, nil
}

// ListGroupGrants returns every group grant, by pool then group name: what
// the planner evaluates alongside the rules.
func (s *Store) ListGroupGrants(ctx context.Context) ([]GroupGrant, error) {
	return s.listGroupGrants(ctx, `1 = ?`, 1)
}

// PoolGroupGrants returns the groups a pool is assigned to, by group name.
// Codes: CodeNotFound (no such pool).
func (s *Store) PoolGroupGrants(ctx context.Context, pool string) ([]GroupGrant, error) {
	if _, err := s.GetPool(ctx, pool); err != nil {
		return nil, err
	}
	return s.listGroupGrants(ctx, `gg.pool_id = ?`, pool)
}

// PutGroupGrant assigns pool to the group behind groupKey (id or display
// name, any case), audited as group_grant.create. It is idempotent: created
// tells whether the grant is new. It grants no seat itself; the caller
// reconciles the returned Members. Codes: CodeNotFound.
func (s *Store) PutGroupGrant(ctx context.Context, a licensing.Actor, pool, groupKey string) (g GroupGrant, created bool, err error) {
	err = s.write(ctx, func(t *tx) error {
		var err error
		if g, err = t.groupGrantParts(pool, groupKey); err != nil {
			return err
		}
		var since int64
		var by string
		err = t.queryRow(`SELECT granted_by, since FROM group_grants WHERE group_id = ? AND pool_id = ?`, g.GroupID, g.Pool).Scan(&by, &since)
		if err == nil {
			g.GrantedBy, g.Since, created = by, fromMicro(since), false
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: group grant: %w", err)
		}
		g.GrantedBy, g.Since, created = a.Name, t.now, true
		if _, err := t.exec(`INSERT INTO group_grants (group_id, pool_id, granted_by, since) VALUES (?, ?, ?, ?)`,
			g.GroupID, g.Pool, g.GrantedBy, micro(t.now)); err != nil {
			if t.s.d.IsUnique(err) {
				return licensing.Errorf(licensing.CodeConflict, "group grant changed concurrently; retry")
			}
			return fmt.Errorf("store: create group grant: %w", err)
		}
		return t.record(a, "group_grant.create", groupGrantSubject(g), "ok", string(mustJSON(map[string]any{"group_id": g.GroupID, "members": len(g.Members)})))
	})
	return g, created, err
}

// DeleteGroupGrant takes pool away from the group behind groupKey, audited
// as group_grant.delete; the caller reconciles the returned Members, who
// lose the seats the grant gave. Codes: CodeNotFound (no such pool, group or
// grant).
func (s *Store) DeleteGroupGrant(ctx context.Context, a licensing.Actor, pool, groupKey string) (GroupGrant, error) {
	var g GroupGrant
	err := s.write(ctx, func(t *tx) error {
		var err error
		if g, err = t.groupGrantParts(pool, groupKey); err != nil {
			return err
		}
		var since int64
		err = t.queryRow(`SELECT granted_by, since FROM group_grants WHERE group_id = ? AND pool_id = ?`, g.GroupID, g.Pool).Scan(&g.GrantedBy, &since)
		if errors.Is(err, sql.ErrNoRows) {
			return licensing.Errorf(licensing.CodeNotFound, "pool %q is not assigned to group %q", g.Pool, g.Group)
		}
		if err != nil {
			return fmt.Errorf("store: group grant: %w", err)
		}
		g.Since = fromMicro(since)
		if _, err := t.exec(`DELETE FROM group_grants WHERE group_id = ? AND pool_id = ?`, g.GroupID, g.Pool); err != nil {
			return fmt.Errorf("store: delete group grant: %w", err)
		}
		return t.record(a, "group_grant.delete", groupGrantSubject(g), "ok", string(mustJSON(map[string]any{"group_id": g.GroupID, "members": len(g.Members)})))
	})
	return g, err
}

// groupGrantParts resolves and locks the pool and group of a grant, with
// the group's members, so a grant is never written for a pool or group
// being deleted.
func (t *tx) groupGrantParts(pool, groupKey string) (GroupGrant, error) {
	p, err := t.pool(pool, true)
	if err != nil {
		return GroupGrant{}, err
	}
	grp, err := t.lockGroup(groupKey)
	if err != nil {
		return GroupGrant{}, err
	}
	return GroupGrant{GroupID: grp.ID, Group: grp.DisplayName, Pool: p.ID, SKU: p.SKU, Members: grp.Members}, nil
}

func groupGrantSubject(g GroupGrant) string { return "pool:" + g.Pool + "/group:" + g.Group }
