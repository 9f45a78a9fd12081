package pgtest_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/seatkeeper/seatkeeper/internal/pgtest"
)

// srv is the server shared by the tests of this package.
var srv *pgtest.Server

func TestMain(m *testing.M) {
	pgtest.RunMain(m, func(s *pgtest.Server) { srv = s })
}

func TestTwoDatabases(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	names := []string{"pgtest_one", "pgtest_two"}
	conns := make([]*pgx.Conn, len(names))
	for i, name := range names {
		dsn, err := srv.CreateDatabase(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if want := srv.DSN(name); dsn != want {
			t.Errorf("CreateDatabase(%q) = %q, want %q", name, dsn, want)
		}
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatalf("connect to %s: %v", dsn, err)
		}
		t.Cleanup(func() { conn.Close(context.Background()) })
		conns[i] = conn

		var db, fsync string
		if err := conn.QueryRow(ctx, "SELECT current_database(), current_setting('fsync')").Scan(&db, &fsync); err != nil {
			t.Fatal(err)
		}
		if db != name {
			t.Errorf("current_database() = %q, want %q", db, name)
		}
		if fsync != "on" {
			t.Errorf("fsync = %q, want on", fsync)
		}
	}

	// Create a table in the first database only and use it.
	if _, err := conns[0].Exec(ctx, `CREATE TABLE seats (id int PRIMARY KEY, label text NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	if _, err := conns[0].Exec(ctx, `INSERT INTO seats VALUES (1, 'A1'), (2, 'A2')`); err != nil {
		t.Fatal(err)
	}
	var n int
	var labels string
	if err := conns[0].QueryRow(ctx, `SELECT count(*), string_agg(label, ',' ORDER BY id) FROM seats`).Scan(&n, &labels); err != nil {
		t.Fatal(err)
	}
	if n != 2 || labels != "A1,A2" {
		t.Errorf("got %d rows %q, want 2 rows \"A1,A2\"", n, labels)
	}

	// The second database is separate: the table does not exist there.
	var exists bool
	if err := conns[1].QueryRow(ctx, `SELECT to_regclass('seats') IS NOT NULL`).Scan(&exists); err != nil {
		t.Fatal(err)
	}
	if exists {
		t.Error("table seats exists in the second database, want it only in the first")
	}

	// Creating the same database twice fails.
	if _, err := srv.CreateDatabase(ctx, names[0]); err == nil {
		t.Errorf("CreateDatabase(%q) twice succeeded, want error", names[0])
	}
}

func TestDSN(t *testing.T) {
	dsn := srv.DSN("some_db")
	if !strings.HasPrefix(dsn, "postgres://postgres@/some_db?") {
		t.Errorf("DSN = %q, want postgres://postgres@/some_db?...", dsn)
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatalf("ParseConfig(%q): %v", dsn, err)
	}
	if cfg.Database != "some_db" || cfg.User != "postgres" || !strings.HasPrefix(cfg.Host, "/") {
		t.Errorf("ParseConfig(%q) = database %q user %q host %q", dsn, cfg.Database, cfg.User, cfg.Host)
	}
}

// TestStartStop starts a second server in t.TempDir, which is 0700 and owned
// by the current user, and checks that Stop removes everything.
func TestStartStop(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	dir := t.TempDir()
	s, err := pgtest.Start(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, s.DSN("postgres"))
	if err != nil {
		s.Stop()
		t.Fatal(err)
	}
	var one int
	err = conn.QueryRow(ctx, "SELECT 1").Scan(&one)
	conn.Close(ctx)
	if err != nil || one != 1 {
		t.Errorf("SELECT 1 = %d, %v", one, err)
	}

	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("%s not empty after Stop: %v", dir, entries)
	}
	if _, err := pgx.Connect(ctx, s.DSN("postgres")); err == nil {
		t.Error("connect after Stop succeeded, want error")
	}
}
