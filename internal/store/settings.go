package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// Setting returns a named setting, or def when it was never set.
func (s *Store) Setting(ctx context.Context, key, def string) (string, error) {
	var v string
	err := s.readRow(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
	if err == sql.ErrNoRows {
		return def, nil
	}
	if err != nil {
		return "", fmt.Errorf("store: setting %s: %w", key, err)
	}
	return v, nil
}

// PutSetting stores a named setting, audited as setting.update.
func (s *Store) PutSetting(ctx context.Context, a licensing.Actor, key, value string) error {
	return s.write(ctx, func(t *tx) error {
		if _, err := t.exec(`INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value); err != nil {
			return fmt.Errorf("store: put setting %s: %w", key, err)
		}
		return t.record(a, "setting.update", "setting:"+key, "ok", value)
	})
}
