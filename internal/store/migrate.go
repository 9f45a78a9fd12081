package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Migrate applies every embedded migration not yet recorded, each in its own
// transaction. Several processes may start at once: the recording insert is
// the arbiter, and a loser re-reads and moves on.
func (s *Store) Migrate(ctx context.Context) (applied int, err error) {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		return 0, fmt.Errorf("store: migrations table: %w", err)
	}
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return 0, fmt.Errorf("store: list migrations: %w", err)
	}
	sort.Strings(names)
	for _, name := range names {
		base := strings.TrimPrefix(name, "migrations/")
		// NNNN_x.sql is for every dialect; NNNN_x.DIALECT.sql for one.
		if parts := strings.Split(strings.TrimSuffix(base, ".sql"), "."); len(parts) > 1 && parts[len(parts)-1] != s.d.Name {
			continue
		}
		v, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return applied, fmt.Errorf("store: migration %s: bad version: %w", name, err)
		}
		body, err := migrationFS.ReadFile(name)
		if err != nil {
			return applied, fmt.Errorf("store: read %s: %w", name, err)
		}
		ok, err := s.applyMigration(ctx, v, s.render(string(body)))
		if err != nil {
			return applied, fmt.Errorf("store: migration %s: %w", name, err)
		}
		if ok {
			applied++
		}
	}
	return applied, nil
}

// render fills the dialect's type tokens.
func (s *Store) render(body string) string {
	for k, v := range s.d.Types {
		body = strings.ReplaceAll(body, "{{"+k+"}}", v)
	}
	return body
}

func (s *Store) applyMigration(ctx context.Context, version int, body string) (bool, error) {
	t, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer func() { _ = t.Rollback() }()
	if s.d.LockKey != nil {
		if err := s.d.LockKey(ctx, t, "migrate"); err != nil {
			return false, err
		}
	}
	var n int
	if err := t.QueryRowContext(ctx, s.q(`SELECT count(*) FROM schema_migrations WHERE version = ?`), version).Scan(&n); err != nil {
		return false, err
	}
	if n > 0 {
		return false, nil
	}
	for _, stmt := range splitStatements(body) {
		if _, err := t.ExecContext(ctx, stmt); err != nil {
			return false, fmt.Errorf("%w\n%s", err, stmt)
		}
	}
	if step, ok := goSteps[version]; ok {
		if err := step(ctx, s, t); err != nil {
			return false, err
		}
	}
	if _, err := t.ExecContext(ctx, s.q(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`), version, micro(s.now())); err != nil {
		return false, err
	}
	return true, t.Commit()
}

// splitStatements splits a migration on semicolons at line ends, after
// dropping "--" comment lines. A PostgreSQL function body between $$ marks
// and a SQLite trigger body from a BEGIN line to an END; line are kept
// whole, semicolons and all.
func splitStatements(body string) []string {
	var out, cur []string
	dollar, block := false, false
	for _, l := range strings.Split(body, "\n") {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "--") {
			continue
		}
		cur = append(cur, l)
		if strings.Count(l, "$$")%2 == 1 {
			dollar = !dollar
		}
		if !dollar && strings.EqualFold(t, "BEGIN") {
			block = true
		}
		if dollar || !strings.HasSuffix(t, ";") || block && !strings.EqualFold(t, "END;") {
			continue
		}
		block = false
		if st := strings.TrimSuffix(strings.TrimSpace(strings.Join(cur, "\n")), ";"); st != "" {
			out = append(out, st)
		}
		cur = cur[:0]
	}
	if st := strings.TrimSpace(strings.Join(cur, "\n")); st != "" {
		out = append(out, st)
	}
	return out
}

// SchemaVersion returns the highest applied migration.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.readRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}
