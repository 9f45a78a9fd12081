package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// Group is a SCIM group. Its members carry its display name in their
// licensing.User.Groups, which is what the engine and the rules match on.
type Group struct {
	ID          string
	DisplayName string
	ExternalID  string
	// Members are user ids, sorted.
	Members   []string
	CreatedAt time.Time
	UpdatedAt time.Time
	// Version is the SCIM ETag counter, bumped by every write.
	Version int64
}

const groupCols = `id, display_name, external_id, created_at, updated_at, version`

func scanGroup(r rowScanner) (Group, error) {
	var g Group
	var created, updated int64
	err := r.Scan(&g.ID, &g.DisplayName, &g.ExternalID, &created, &updated, &g.Version)
	g.CreatedAt, g.UpdatedAt = fromMicro(created), fromMicro(updated)
	return g, err
}

// findGroup resolves key: a group id, or a display name (any case).
func findGroup(row func(q string, args ...any) *sql.Row, key, lock string) (Group, error) {
	g, err := scanGroup(row(`SELECT `+groupCols+` FROM groups WHERE id = ?`+lock, key))
	if err == sql.ErrNoRows {
		g, err = scanGroup(row(`SELECT `+groupCols+` FROM groups WHERE display_name_lower = ?`+lock, strings.ToLower(strings.TrimSpace(key))))
	}
	if err == sql.ErrNoRows {
		return g, notFound("group", key)
	}
	if err != nil {
		return g, fmt.Errorf("store: find group: %w", err)
	}
	return g, nil
}

func groupMembers(rows func(q string, args ...any) (*sql.Rows, error), id string) ([]string, error) {
	r, err := rows(`SELECT user_id FROM group_members WHERE group_id = ? ORDER BY user_id`, id)
	if err != nil {
		return nil, fmt.Errorf("store: group members: %w", err)
	}
	defer r.Close()
	out := []string{}
	for r.Next() {
		var u string
		if err := r.Scan(&u); err != nil {
			return nil, fmt.Errorf("store: group members: %w", err)
		}
		out = append(out, u)
	}
	return out, r.Err()
}

// GetGroup finds a group by id or display name (case-insensitive), with its
// members. Codes: CodeNotFound.
func (s *Store) GetGroup(ctx context.Context, key string) (Group, error) {
	g, err := findGroup(func(q string, args ...any) *sql.Row { return s.readRow(ctx, q, args...) }, key, "")
	if err != nil {
		return g, err
	}
	g.Members, err = groupMembers(func(q string, args ...any) (*sql.Rows, error) { return s.readRows(ctx, q, args...) }, g.ID)
	return g, err
}

// GroupFilter narrows ListGroups.
type GroupFilter struct {
	After string // display_name_lower to continue after
	Limit int    // 0 means all
	// Member lists only the groups this user id belongs to.
	Member string
}

// ListGroups pages through groups by display name, each with its members.
func (s *Store) ListGroups(ctx context.Context, f GroupFilter) ([]Group, error) {
	q := `SELECT ` + groupCols + ` FROM groups WHERE display_name_lower > ?`
	args := []any{strings.ToLower(f.After)}
	if f.Member != "" {
		q += ` AND id IN (SELECT group_id FROM group_members WHERE user_id = ?)`
		args = append(args, f.Member)
	}
	q += ` ORDER BY display_name_lower`
	if f.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	rows, err := s.readRows(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list groups: %w", err)
	}
	out := []Group{}
	idx := map[string]int{}
	for rows.Next() {
		g, err := scanGroup(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: list groups: %w", err)
		}
		g.Members = []string{}
		idx[g.ID] = len(out)
		out = append(out, g)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list groups: %w", err)
	}
	if len(out) == 0 {
		return out, nil
	}
	// One query for every listed group's members.
	mq := `SELECT group_id, user_id FROM group_members WHERE group_id IN (` + placeholders(len(out)) + `) ORDER BY group_id, user_id`
	margs := make([]any, len(out))
	for i, g := range out {
		margs[i] = g.ID
	}
	mrows, err := s.readRows(ctx, mq, margs...)
	if err != nil {
		return nil, fmt.Errorf("store: list groups: %w", err)
	}
	defer mrows.Close()
	for mrows.Next() {
		var gid, uid string
		if err := mrows.Scan(&gid, &uid); err != nil {
			return nil, fmt.Errorf("store: list groups: %w", err)
		}
		out[idx[gid]].Members = append(out[idx[gid]].Members, uid)
	}
	return out, mrows.Err()
}

func validateGroup(g *Group) error {
	g.DisplayName = strings.TrimSpace(g.DisplayName)
	if g.DisplayName == "" {
		return licensing.FieldErrorf(licensing.CodeInvalid, "display_name", "a group needs a display name")
	}
	return nil
}

// resolveMembers turns member keys (ids or anything GetUser takes) into
// sorted, distinct user ids. An unknown member is CodeInvalid.
func (t *tx) resolveMembers(keys []string) ([]string, error) { return t.resolveUsers(keys, false) }

// resolveUsers is resolveMembers that, with skipUnknown, drops unknown keys
// (removing someone already deleted is no error).
func (t *tx) resolveUsers(keys []string, skipUnknown bool) ([]string, error) {
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		u, err := t.user(k)
		if skipUnknown && licensing.ErrorCode(err) == licensing.CodeNotFound {
			continue
		}
		if licensing.ErrorCode(err) == licensing.CodeNotFound {
			return nil, licensing.FieldErrorf(licensing.CodeInvalid, "members", "member %q not found", k)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, u.ID)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// CreateGroup adds a group with its members, audited as group.create.
// Codes: CodeInvalid, CodeConflict (the display name is taken, in any case).
func (s *Store) CreateGroup(ctx context.Context, a licensing.Actor, g Group) (Group, error) {
	if err := validateGroup(&g); err != nil {
		return g, err
	}
	err := s.write(ctx, func(t *tx) error {
		members, err := t.resolveMembers(g.Members)
		if err != nil {
			return err
		}
		if g.ID == "" {
			g.ID = newID("grp")
		}
		g.CreatedAt, g.UpdatedAt, g.Version, g.Members = t.now, t.now, 1, []string{}
		res, err := t.exec(`INSERT INTO groups (id, display_name, display_name_lower, external_id, created_at, updated_at, version) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			g.ID, g.DisplayName, strings.ToLower(g.DisplayName), g.ExternalID, micro(t.now), micro(t.now), g.Version)
		if err != nil {
			return fmt.Errorf("store: create group: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return licensing.FieldErrorf(licensing.CodeConflict, "display_name", "group %q already exists", g.DisplayName)
		}
		if err := t.record(a, "group.create", "group:"+g.DisplayName, "ok", string(mustJSON(map[string]any{"id": g.ID, "external_id": g.ExternalID}))); err != nil {
			return err
		}
		g.Members, err = t.setMembers(a, g, nil, members)
		return err
	})
	return g, err
}

// setMembers makes want (sorted ids) the group's members, given its current
// members have, and carries the change to each person's engine-facing
// groups, audited as group.members.
func (t *tx) setMembers(a licensing.Actor, g Group, have, want []string) ([]string, error) {
	var added, removed []string
	for _, u := range want {
		if _, ok := slices.BinarySearch(have, u); !ok {
			added = append(added, u)
		}
	}
	for _, u := range have {
		if _, ok := slices.BinarySearch(want, u); !ok {
			removed = append(removed, u)
		}
	}
	for _, u := range added {
		if _, err := t.exec(`INSERT INTO group_members (group_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, g.ID, u); err != nil {
			return nil, fmt.Errorf("store: group members: %w", err)
		}
		if err := t.editUserGroups(u, "", g.DisplayName); err != nil {
			return nil, err
		}
	}
	for _, u := range removed {
		if _, err := t.exec(`DELETE FROM group_members WHERE group_id = ? AND user_id = ?`, g.ID, u); err != nil {
			return nil, fmt.Errorf("store: group members: %w", err)
		}
		if err := t.editUserGroups(u, g.DisplayName, ""); err != nil {
			return nil, err
		}
	}
	if want == nil {
		want = []string{}
	}
	if len(added)+len(removed) == 0 {
		return want, nil
	}
	return want, t.record(a, "group.members", "group:"+g.DisplayName, "ok", string(mustJSON(map[string]any{"id": g.ID, "added": added, "removed": removed})))
}

// editUserGroups takes group name remove out of a person's groups and puts
// add in ("" for neither), in users.groups and user_groups alike, and bumps
// their SCIM version (a SCIM user lists their groups).
func (t *tx) editUserGroups(userID, remove, add string) error {
	var raw string
	if err := t.queryRow(`SELECT groups FROM users WHERE id = ?`, userID).Scan(&raw); err != nil {
		return fmt.Errorf("store: user groups: %w", err)
	}
	var groups []string
	if err := json.Unmarshal([]byte(raw), &groups); err != nil {
		return fmt.Errorf("store: user %s groups: %w", userID, err)
	}
	out := groups[:0:0]
	for _, g := range groups {
		if !strings.EqualFold(g, remove) && !strings.EqualFold(g, add) {
			out = append(out, g)
		}
	}
	if add != "" {
		out = append(out, add)
	}
	if remove != "" {
		if _, err := t.exec(`DELETE FROM user_groups WHERE user_id = ? AND lower(grp) = ?`, userID, strings.ToLower(remove)); err != nil {
			return fmt.Errorf("store: user groups: %w", err)
		}
	}
	if add != "" {
		if _, err := t.exec(`DELETE FROM user_groups WHERE user_id = ? AND lower(grp) = ?`, userID, strings.ToLower(add)); err != nil {
			return fmt.Errorf("store: user groups: %w", err)
		}
		if _, err := t.exec(`INSERT INTO user_groups (user_id, grp) VALUES (?, ?)`, userID, add); err != nil {
			return fmt.Errorf("store: user groups: %w", err)
		}
	}
	if _, err := t.exec(`UPDATE users SET groups = ?, updated_at = ?, scim_version = scim_version + 1 WHERE id = ?`, string(mustJSON(out)), micro(t.now), userID); err != nil {
		return fmt.Errorf("store: user groups: %w", err)
	}
	t.changed(PersonKey(userID))
	return nil
}

// UpdateGroup changes the group behind key to what change makes of it
// (display name, external id and members), read and locked in the same
// transaction; a rename is carried to every member's groups. Codes:
// CodeNotFound, CodeInvalid, CodeConflict.
func (s *Store) UpdateGroup(ctx context.Context, a licensing.Actor, key string, change func(old Group) (Group, error)) (Group, error) {
	var g Group
	err := s.write(ctx, func(t *tx) error {
		old, err := t.lockGroup(key)
		if err != nil {
			return err
		}
		if g, err = change(old); err != nil {
			return err
		}
		if err := validateGroup(&g); err != nil {
			return err
		}
		want, err := t.resolveMembers(g.Members)
		if err != nil {
			return err
		}
		g.ID, g.CreatedAt, g.UpdatedAt, g.Version = old.ID, old.CreatedAt, t.now, old.Version+1
		if _, err := t.exec(`UPDATE groups SET display_name = ?, display_name_lower = ?, external_id = ?, updated_at = ?, version = ? WHERE id = ?`,
			g.DisplayName, strings.ToLower(g.DisplayName), g.ExternalID, micro(t.now), g.Version, g.ID); err != nil {
			if t.s.d.IsUnique(err) {
				return licensing.FieldErrorf(licensing.CodeConflict, "display_name", "group %q already exists", g.DisplayName)
			}
			return fmt.Errorf("store: update group: %w", err)
		}
		if old.DisplayName != g.DisplayName {
			// Members keeping their place get the new name.
			for _, u := range old.Members {
				if _, ok := slices.BinarySearch(want, u); ok {
					if err := t.editUserGroups(u, old.DisplayName, g.DisplayName); err != nil {
						return err
					}
				}
			}
			if err := t.record(a, "group.update", "group:"+g.DisplayName, "ok", string(mustJSON(map[string]any{"id": g.ID, "renamed_from": old.DisplayName}))); err != nil {
				return err
			}
		} else if old.ExternalID != g.ExternalID {
			if err := t.record(a, "group.update", "group:"+g.DisplayName, "ok", string(mustJSON(map[string]any{"id": g.ID, "external_id": g.ExternalID}))); err != nil {
				return err
			}
		}
		// Leavers are removed under the old name, which they still carry.
		renamed := g
		renamed.DisplayName = old.DisplayName
		var kept []string
		for _, u := range want {
			if _, ok := slices.BinarySearch(old.Members, u); ok {
				kept = append(kept, u)
			}
		}
		// First the removals, under the old name.
		if _, err := t.setMembers(a, renamed, old.Members, kept); err != nil {
			return err
		}
		// Then the additions, under the new name.
		g.Members, err = t.setMembers(a, g, kept, want)
		return err
	})
	return g, err
}

func (t *tx) lockGroup(key string) (Group, error) {
	g, err := findGroup(t.queryRow, key, t.s.d.ForUpdate)
	if err != nil {
		return g, err
	}
	g.Members, err = groupMembers(t.query, g.ID)
	return g, err
}

// AddGroupMembers adds people (ids or any user key) to a group; members
// already in it are left alone. Codes: CodeNotFound, CodeInvalid.
func (s *Store) AddGroupMembers(ctx context.Context, a licensing.Actor, key string, users []string) (Group, error) {
	return s.editMembers(ctx, a, key, false, func(have, keys []string) []string {
		out := slices.Concat(have, keys)
		slices.Sort(out)
		return slices.Compact(out)
	}, users)
}

// RemoveGroupMembers takes people out of a group; people not in it are
// ignored. Codes: CodeNotFound, CodeInvalid.
func (s *Store) RemoveGroupMembers(ctx context.Context, a licensing.Actor, key string, users []string) (Group, error) {
	return s.editMembers(ctx, a, key, true, func(have, ids []string) []string {
		return slices.DeleteFunc(slices.Clone(have), func(u string) bool { return slices.Contains(ids, u) })
	}, users)
}

// ReplaceGroupMembers makes users the group's only members.
// Codes: CodeNotFound, CodeInvalid.
func (s *Store) ReplaceGroupMembers(ctx context.Context, a licensing.Actor, key string, users []string) (Group, error) {
	return s.editMembers(ctx, a, key, false, func(_, ids []string) []string { return ids }, users)
}

func (s *Store) editMembers(ctx context.Context, a licensing.Actor, key string, skipUnknown bool, edit func(have, ids []string) []string, users []string) (Group, error) {
	var g Group
	err := s.write(ctx, func(t *tx) error {
		var err error
		if g, err = t.lockGroup(key); err != nil {
			return err
		}
		ids, err := t.resolveUsers(users, skipUnknown)
		if err != nil {
			return err
		}
		want := edit(g.Members, ids)
		slices.Sort(want)
		have := g.Members
		if g.Members, err = t.setMembers(a, g, have, slices.Compact(want)); err != nil {
			return err
		}
		if !slices.Equal(have, g.Members) {
			g.Version++
			g.UpdatedAt = t.now
			if _, err := t.exec(`UPDATE groups SET version = ?, updated_at = ? WHERE id = ?`, g.Version, micro(t.now), g.ID); err != nil {
				return fmt.Errorf("store: group members: %w", err)
			}
		}
		return nil
	})
	return g, err
}

// DeleteGroup removes a group and takes it out of its members' groups,
// audited as group.delete. Codes: CodeNotFound.
func (s *Store) DeleteGroup(ctx context.Context, a licensing.Actor, key string) error {
	_, err := s.DeleteGroupIf(ctx, a, key, nil)
	return err
}

// DeleteGroupIf is DeleteGroup when check, given the group as locked in the
// transaction, returns nil (SCIM's If-Match); it returns the group as it
// was, so its former members can be reconciled.
func (s *Store) DeleteGroupIf(ctx context.Context, a licensing.Actor, key string, check func(Group) error) (Group, error) {
	var g Group
	err := s.write(ctx, func(t *tx) error {
		var err error
		if g, err = t.lockGroup(key); err != nil {
			return err
		}
		if check != nil {
			if err := check(g); err != nil {
				return err
			}
		}
		if _, err := t.setMembers(a, g, g.Members, nil); err != nil {
			return err
		}
		if _, err := t.exec(`DELETE FROM groups WHERE id = ?`, g.ID); err != nil {
			return fmt.Errorf("store: delete group: %w", err)
		}
		return t.record(a, "group.delete", "group:"+g.DisplayName, "ok", string(mustJSON(map[string]any{"id": g.ID})))
	})
	return g, err
}
