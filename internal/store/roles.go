package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// RoleHolder is one role one person holds.
type RoleHolder struct {
	User      string // id
	UserName  string
	Role      licensing.Role
	GrantedBy string
	GrantedAt time.Time
}

// GrantRole gives the person behind userKey role, audited as role.grant.
// It is idempotent: granted tells whether the role is new. A role takes no
// seat. Codes: CodeInvalid (unknown role), CodeNotFound, CodeAmbiguous.
func (s *Store) GrantRole(ctx context.Context, a licensing.Actor, userKey string, role licensing.Role) (h RoleHolder, granted bool, err error) {
	if _, err := licensing.ParseRole(string(role)); err != nil {
		return h, false, err
	}
	err = s.write(ctx, func(t *tx) error {
		u, err := t.userLock(userKey, t.s.d.ForUpdate)
		if err != nil {
			return err
		}
		h = RoleHolder{User: u.ID, UserName: u.UserName, Role: role, GrantedBy: a.Name, GrantedAt: t.now}
		res, err := t.exec(`INSERT INTO user_roles (user_id, role, granted_by, granted_at) VALUES (?, ?, ?, ?) ON CONFLICT (user_id, role) DO NOTHING`,
			u.ID, string(role), a.Name, micro(t.now))
		if err != nil {
			return fmt.Errorf("store: grant role: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var at int64
			err := t.queryRow(`SELECT granted_by, granted_at FROM user_roles WHERE user_id = ? AND role = ?`, u.ID, string(role)).Scan(&h.GrantedBy, &at)
			h.GrantedAt = fromMicro(at)
			return err
		}
		granted = true
		t.changed(PersonKey(u.ID))
		return t.record(a, "role.grant", "user:"+u.UserName, "granted", "role="+string(role))
	})
	return h, granted, err
}

// RevokeRole takes role from the person behind userKey, audited as
// role.revoke. Codes: CodeInvalid, CodeNotFound (no such person, or they
// do not hold the role), CodeAmbiguous.
func (s *Store) RevokeRole(ctx context.Context, a licensing.Actor, userKey string, role licensing.Role) error {
	if _, err := licensing.ParseRole(string(role)); err != nil {
		return err
	}
	return s.write(ctx, func(t *tx) error {
		u, err := t.userLock(userKey, t.s.d.ForUpdate)
		if err != nil {
			return err
		}
		res, err := t.exec(`DELETE FROM user_roles WHERE user_id = ? AND role = ?`, u.ID, string(role))
		if err != nil {
			return fmt.Errorf("store: revoke role: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return licensing.Errorf(licensing.CodeNotFound, "the person %s does not hold the role %s", u.UserName, role)
		}
		t.changed(PersonKey(u.ID))
		return t.record(a, "role.revoke", "user:"+u.UserName, "revoked", "role="+string(role))
	})
}

// ListRoles returns every role held, by role then user name.
func (s *Store) ListRoles(ctx context.Context) ([]RoleHolder, error) {
	rows, err := s.readRows(ctx, `SELECT r.user_id, u.user_name, r.role, r.granted_by, r.granted_at
		FROM user_roles r JOIN users u ON u.id = r.user_id ORDER BY r.role, u.user_name_lower`)
	if err != nil {
		return nil, fmt.Errorf("store: list roles: %w", err)
	}
	defer rows.Close()
	out := []RoleHolder{}
	for rows.Next() {
		var h RoleHolder
		var role string
		var at int64
		if err := rows.Scan(&h.User, &h.UserName, &role, &h.GrantedBy, &at); err != nil {
			return nil, fmt.Errorf("store: scan role: %w", err)
		}
		h.Role, h.GrantedAt = licensing.Role(role), fromMicro(at)
		out = append(out, h)
	}
	return out, rows.Err()
}

// rolesIn maps user ids to their roles (sorted), for where (on
// user_roles), read through query (a read transaction's).
func rolesIn(query rowsFunc, where string, args ...any) (map[string][]licensing.Role, error) {
	rows, err := query(`SELECT user_id, role FROM user_roles WHERE `+where+` ORDER BY user_id, role`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: load roles: %w", err)
	}
	defer rows.Close()
	out := map[string][]licensing.Role{}
	for rows.Next() {
		var id, role string
		if err := rows.Scan(&id, &role); err != nil {
			return nil, fmt.Errorf("store: scan role: %w", err)
		}
		out[id] = append(out[id], licensing.Role(role))
	}
	for _, rs := range out {
		slices.Sort(rs)
	}
	return out, rows.Err()
}
