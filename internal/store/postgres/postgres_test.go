package postgres_test

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver

	"github.com/seatkeeper/seatkeeper/internal/pgtest"
	"github.com/seatkeeper/seatkeeper/internal/store"
	"github.com/seatkeeper/seatkeeper/internal/store/postgres"
	"github.com/seatkeeper/seatkeeper/internal/store/storetest"
)

// srv is the throwaway PostgreSQL server shared by this package's tests;
// every subtest gets its own database on it.
var srv *pgtest.Server

func TestMain(m *testing.M) {
	pgtest.RunMain(m, func(s *pgtest.Server) { srv = s })
}

// TestStore runs the shared store suite on a fresh database per subtest.
func TestStore(t *testing.T) {
	storetest.Run(t, open)
}

var dbSeq atomic.Int64

func open(t *testing.T, now func() time.Time) (*store.Store, *sql.DB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	name := fmt.Sprintf("storetest_%03d", dbSeq.Add(1))
	dsn, err := srv.CreateDatabase(ctx, name)
	if err != nil {
		t.Fatalf("CreateDatabase(%s): %v", name, err)
	}
	t.Cleanup(func() { dropDatabase(t, name) }) // runs last: after both closes below
	s, err := postgres.Open(ctx, dsn, store.Options{Now: now, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("postgres.Open(%s): %v", name, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	if err := s.SeedPolicy(ctx); err != nil {
		t.Fatalf("SeedPolicy: %v", err)
	}
	// A second, independent connection pool to the same database, for tampering.
	raw, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatalf("open raw connection: %v", err)
	}
	t.Cleanup(func() { raw.Close() })
	if err := raw.PingContext(ctx); err != nil {
		t.Fatalf("ping raw connection: %v", err)
	}
	return s, raw
}

// dropDatabase removes a subtest's database so the server's disk use stays flat.
func dropDatabase(t *testing.T, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, srv.DSN("postgres"))
	if err != nil {
		t.Errorf("drop database %s: connect: %v", name, err)
		return
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "DROP DATABASE "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		t.Errorf("drop database %s: %v", name, err)
	}
}
