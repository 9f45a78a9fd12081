package sqlite_test

import (
	"context"
	"database/sql"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/store"
	"github.com/seatkeeper/seatkeeper/internal/store/sqlite"
	"github.com/seatkeeper/seatkeeper/internal/store/storetest"
)

// TestStore runs the shared store suite on a fresh SQLite file per subtest.
func TestStore(t *testing.T) {
	storetest.Run(t, open)
}

func open(t *testing.T, now func() time.Time) (*store.Store, *sql.DB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	path := filepath.Join(t.TempDir(), "seatkeeper.db")
	s, err := sqlite.Open(ctx, path, store.Options{Now: now, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("sqlite.Open(%s): %v", path, err)
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
	// A second, independent connection to the same file, for tampering.
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatalf("open raw connection: %v", err)
	}
	t.Cleanup(func() { raw.Close() })
	if err := raw.PingContext(ctx); err != nil {
		t.Fatalf("ping raw connection: %v", err)
	}
	return s, raw
}
