package benchmark_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/benchmark"
	"github.com/seatkeeper/seatkeeper/internal/store"
	"github.com/seatkeeper/seatkeeper/internal/store/sqlite"
)

func reportStore(tb testing.TB) *store.Store {
	tb.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "report.db"), store.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	return st
}

// TestReportYearAndPeerAgree: a generated year loads exactly, never holds
// more than a pool's capacity, and the plain SQL peer (a throwaway
// PostgreSQL server) gives the report's peak and percentiles for every
// pool-day, also after the year was rolled up half way and loaded on.
func TestReportYearAndPeerAgree(t *testing.T) {
	ctx := context.Background()
	st := reportStore(t)
	y, err := benchmark.NewYear(ctx, st, benchmark.YearConfig{Leases: 30_000, Pools: 3, People: 600, Run: "t", Seed: 7, Batch: 7_000})
	if err != nil {
		t.Fatal(err)
	}
	peer, err := benchmark.OpenPeer(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	if _, err := y.Load(ctx, 12_345, peer); err != nil {
		t.Fatal(err)
	}
	if _, err := st.RollupUsage(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := y.Load(ctx, 30_000, peer); err != nil {
		t.Fatal(err)
	}
	if y.Loaded != 30_000 || y.Denials == 0 {
		t.Fatalf("loaded %d leases and %d refusals, want 30000 and some", y.Loaded, y.Denials)
	}
	if _, err := st.RollupUsage(ctx); err != nil {
		t.Fatal(err)
	}
	us, err := benchmark.UtilizationReport(ctx, st, y.Pools(), y.From, y.To)
	if err != nil {
		t.Fatal(err)
	}
	starts := 0
	for _, u := range us {
		starts += u.Overall.Starts
		if u.Overall.Peak > u.Capacity || u.Overall.Peak == 0 {
			t.Errorf("%s: peak %d, capacity %d", u.Pool, u.Overall.Peak, u.Capacity)
		}
	}
	if starts != y.Loaded {
		t.Errorf("the report counts %d lease starts, %d were loaded", starts, y.Loaded)
	}
	if err := peer.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	rows, err := peer.Query(ctx, y.Pools(), y.From, y.To)
	if err != nil {
		t.Fatal(err)
	}
	agree, differ := benchmark.ComparePeer(us, rows)
	days := int(y.To.Sub(y.From) / (24 * time.Hour))
	if agree != 3*days || len(differ) > 0 {
		t.Errorf("%d pool-days agree (want %d); differ: %v", agree, 3*days, differ[:min(len(differ), 5)])
	}
}

// BenchmarkReport times the full-year per-pool per-day utilization report
// over a generated year of 200,000 leases in ten pools: from the kept
// usage days, swept live from the leases (no rollup), and the plain SQL
// peer over the same leases in PostgreSQL.
func BenchmarkReport(b *testing.B) {
	ctx := context.Background()
	st := reportStore(b)
	y, err := benchmark.NewYear(ctx, st, benchmark.YearConfig{Leases: 200_000, Pools: 10, People: 5_000, Run: "b", Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	peer, err := benchmark.OpenPeer(ctx, "")
	if err != nil {
		b.Fatal(err)
	}
	defer peer.Close()
	if _, err := y.Load(ctx, 200_000, peer); err != nil {
		b.Fatal(err)
	}
	if _, err := st.RollupUsage(ctx); err != nil {
		b.Fatal(err)
	}
	if err := peer.Prepare(ctx); err != nil {
		b.Fatal(err)
	}
	b.Run("kept", func(b *testing.B) {
		for b.Loop() {
			if _, err := benchmark.UtilizationReport(ctx, st, y.Pools(), y.From, y.To); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("live", func(b *testing.B) {
		if err := st.ForgetUsage(ctx, y.From.AddDate(0, 0, -60)); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := benchmark.UtilizationReport(ctx, st, y.Pools(), y.From, y.To); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		if _, err := st.RollupUsage(ctx); err != nil {
			b.Fatal(err)
		}
	})
	b.Run("plain-sql", func(b *testing.B) {
		for b.Loop() {
			if _, err := peer.Query(ctx, y.Pools(), y.From, y.To); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkSeedHistory loads a generated year 50,000 leases (and their
// refusals) a call; leases/s counts the time in SeedHistory alone.
func BenchmarkSeedHistory(b *testing.B) {
	ctx := context.Background()
	st := reportStore(b)
	y, err := benchmark.NewYear(ctx, st, benchmark.YearConfig{Leases: 5_000_000, Pools: 10, People: 20_000, Run: "s", Seed: 1, Batch: 50_000})
	if err != nil {
		b.Fatal(err)
	}
	var seeded time.Duration
	var leases int
	for b.Loop() {
		r, err := y.Load(ctx, y.Loaded+50_000, nil)
		if err != nil {
			b.Fatal(err)
		}
		seeded += r.Seed
		leases += r.Leases
	}
	b.ReportMetric(float64(leases)/seeded.Seconds(), "leases/s")
}
