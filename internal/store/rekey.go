package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// goSteps are the parts of a migration SQL cannot do, run in its
// transaction after its statements.
var goSteps = map[int]func(ctx context.Context, s *Store, t *sql.Tx) error{
	13: func(ctx context.Context, s *Store, t *sql.Tx) error { _, err := rekeyIdentities(ctx, s, t); return err },
	17: refoldDisplayNames,
}

// RekeyIdentities refolds every person's kept identity keys, as migration
// 13 did, and returns how many people it changed: for a store whose keys
// were written by another tool.
func (s *Store) RekeyIdentities(ctx context.Context) (int, error) {
	n := 0
	err := s.write(ctx, func(t *tx) error {
		var err error
		if n, err = rekeyIdentities(t.ctx, s, t.Tx); err == nil && n > 0 {
			t.changed("*") // every process reloads its people
		}
		return err
	})
	return n, err
}

// rekeyIdentities refolds every person's kept identity keys with
// licensing.FoldKey (SQL's lower() is ASCII-only on SQLite and knows no
// NFKC anywhere). A user name whose new fold would clash with another
// person's keeps its old key, and is logged: two accounts that were
// distinct stay distinct.
func rekeyIdentities(ctx context.Context, s *Store, t *sql.Tx) (int, error) {
	rows, err := t.QueryContext(ctx, `SELECT id, user_name, email, employee_id, external_id, user_name_lower, email_lower, employee_id_lower, external_id_lower FROM users`)
	if err != nil {
		return 0, fmt.Errorf("rekey identities: %w", err)
	}
	type row struct {
		id        string
		raw, kept [4]string
	}
	var all []row
	names := map[string]string{} // user_name_lower -> id
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.raw[0], &r.raw[1], &r.raw[2], &r.raw[3], &r.kept[0], &r.kept[1], &r.kept[2], &r.kept[3]); err != nil {
			rows.Close()
			return 0, fmt.Errorf("rekey identities: %w", err)
		}
		names[r.kept[0]] = r.id
		all = append(all, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("rekey identities: %w", err)
	}
	changed := 0
	for _, r := range all {
		var next [4]string
		for i, v := range r.raw {
			next[i] = licensing.FoldKey(v)
		}
		if next == r.kept {
			continue
		}
		if owner, taken := names[next[0]]; taken && owner != r.id {
			s.log.Warn("identity key kept: its folded form names another account", "user", r.id, "user_name", r.raw[0], "other", owner)
			next[0] = r.kept[0]
		} else {
			delete(names, r.kept[0])
			names[next[0]] = r.id
		}
		if _, err := t.ExecContext(ctx, s.q(`UPDATE users SET user_name_lower = ?, email_lower = ?, employee_id_lower = ?, external_id_lower = ? WHERE id = ?`),
			next[0], next[1], next[2], next[3], r.id); err != nil {
			return 0, fmt.Errorf("rekey identities: %w", err)
		}
		changed++
	}
	return changed, nil
}
