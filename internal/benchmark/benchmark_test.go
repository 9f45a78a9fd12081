package benchmark_test

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/api"
	"github.com/seatkeeper/seatkeeper/internal/benchmark"
	"github.com/seatkeeper/seatkeeper/internal/desk"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/seats"
	"github.com/seatkeeper/seatkeeper/internal/store"
	"github.com/seatkeeper/seatkeeper/internal/store/sqlite"
)

func TestMaxOverlap(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	at := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }
	iv := func(from, to int) benchmark.Interval { return benchmark.Interval{Start: at(from), End: at(to)} }
	open := func(from int) benchmark.Interval { return benchmark.Interval{Start: at(from)} }
	for _, tc := range []struct {
		name string
		in   []benchmark.Interval
		want int
	}{
		{"nil", nil, 0},
		{"empty", []benchmark.Interval{}, 0},
		{"one", []benchmark.Interval{iv(0, 5)}, 1},
		{"disjoint", []benchmark.Interval{iv(0, 1), iv(2, 3), iv(4, 5)}, 1},
		{"disjoint unsorted", []benchmark.Interval{iv(4, 5), iv(0, 1), iv(2, 3)}, 1},
		{"nested", []benchmark.Interval{iv(0, 10), iv(1, 9), iv(2, 8), iv(3, 4)}, 4},
		{"nested then apart", []benchmark.Interval{iv(0, 10), iv(1, 3), iv(5, 7)}, 2},
		{"touching", []benchmark.Interval{iv(0, 1), iv(1, 2), iv(2, 3)}, 1},
		{"touching given backwards", []benchmark.Interval{iv(2, 3), iv(1, 2), iv(0, 1)}, 1},
		{"touching pair beside a long one", []benchmark.Interval{iv(0, 10), iv(2, 4), iv(4, 6)}, 2},
		{"same start", []benchmark.Interval{iv(0, 1), iv(0, 2), iv(0, 3)}, 3},
		{"partial overlap chain", []benchmark.Interval{iv(0, 3), iv(2, 5), iv(4, 7)}, 2},
		{"open ended", []benchmark.Interval{open(0)}, 1},
		{"open ended outlive closed", []benchmark.Interval{open(0), iv(1, 2), open(3), iv(4, 5)}, 3},
		{"open ended after closed ones", []benchmark.Interval{iv(0, 1), iv(1, 2), open(2)}, 1},
		{"open ended start where a closed one ends", []benchmark.Interval{iv(0, 5), open(5), open(5)}, 2},
		// At equal times an end sorts before a start (one transaction frees
		// and takes a slot), so an interval ending as it starts adds nothing.
		{"zero length", []benchmark.Interval{iv(1, 1), iv(1, 1)}, 0},
		{"zero length inside a long one", []benchmark.Interval{iv(0, 10), iv(5, 5)}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := benchmark.MaxOverlap(tc.in); got != tc.want {
				t.Errorf("MaxOverlap = %d, want %d", got, tc.want)
			}
		})
	}
}

// TestCheckoutStorm runs a short storm against a real server on SQLite over
// loopback HTTP and checks the seat invariant both while running (polled)
// and afterwards from the lease history.
func TestCheckoutStorm(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "bench.db"), store.Options{Logger: log})
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	if err := st.SeedPolicy(ctx); err != nil {
		t.Fatalf("SeedPolicy: %v", err)
	}
	a := licensing.System("test")
	const pool, seatCount, userCount = "storm", 2, 20
	if err := st.PutSKU(ctx, a, licensing.SKU{Key: "agent", Name: "Agent", Tier: licensing.TierFulfiller, MonthlyPrice: 95}, true); err != nil {
		t.Fatalf("PutSKU: %v", err)
	}
	if err := st.CreatePool(ctx, a, licensing.Pool{ID: pool, SKU: "agent", Model: licensing.ModelConcurrent, Seats: seatCount, MonthlyPrice: 140}); err != nil {
		t.Fatalf("CreatePool: %v", err)
	}
	var users []string
	for i := 0; i < userCount; i++ {
		name := fmt.Sprintf("agent%02d@example.com", i)
		if _, err := st.CreateUser(ctx, a, licensing.User{UserName: name, Kind: licensing.KindPerson, Active: true}); err != nil {
			t.Fatalf("CreateUser: %v", err)
		}
		if _, _, err := st.PutMember(ctx, a, pool, name, ""); err != nil {
			t.Fatalf("PutMember: %v", err)
		}
		users = append(users, name)
	}
	_, token, err := st.CreateToken(ctx, a, "storm", store.ScopePlatform, time.Hour)
	if err != nil {
		t.Fatalf("CreateToken: %v", err)
	}
	svc := seats.New(st, licensing.NewEngine(nil), log, seats.Config{})
	if err := svc.Load(ctx); err != nil {
		t.Fatalf("Load: %v", err)
	}
	srv := httptest.NewServer(api.New(svc, desk.New(st, svc, svc.Engine, log), log).Handler())
	t.Cleanup(srv.Close)

	begin := time.Now().Add(-time.Second)
	res, err := benchmark.Checkout(ctx, benchmark.CheckoutConfig{
		BaseURL: srv.URL, Token: token, Pool: pool, Users: users, Clients: 4, Duration: 500 * time.Millisecond,
		Holders: func(ctx context.Context) (int, error) {
			ls, err := st.ActiveLeases(ctx, pool)
			return len(ls), err
		},
	})
	if err != nil {
		t.Fatalf("Checkout: %v", err)
	}
	t.Logf("storm: %d starts, %d refused, %d errors, p50 %s p99 %s, max polled %d", res.Starts, res.Refused, res.Errors, res.P50, res.P99, res.MaxHoldersPolled)
	if res.Starts <= 0 {
		t.Errorf("Starts = %d, want some", res.Starts)
	}
	if res.Errors != 0 {
		t.Errorf("Errors = %d, want 0", res.Errors)
	}
	if res.Refused < 0 {
		t.Errorf("Refused = %d", res.Refused)
	}
	if res.MaxHoldersPolled > seatCount {
		t.Errorf("MaxHoldersPolled = %d, more than %d seats", res.MaxHoldersPolled, seatCount)
	}
	if res.Elapsed <= 0 {
		t.Errorf("Elapsed = %s", res.Elapsed)
	}
	if res.P50 <= 0 || res.P99 < res.P50 {
		t.Errorf("latencies p50 %s p99 %s: want 0 < p50 <= p99", res.P50, res.P99)
	}
	if r := res.StartsPerSecond(); r <= 0 {
		t.Errorf("StartsPerSecond = %f", r)
	}

	hist, err := st.LeaseHistory(ctx, pool, begin, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatalf("LeaseHistory: %v", err)
	}
	if int64(len(hist)) < res.Starts {
		t.Errorf("lease history holds %d leases, fewer than %d acknowledged starts", len(hist), res.Starts)
	}
	iv := make([]benchmark.Interval, len(hist))
	for i, l := range hist {
		iv[i] = benchmark.Interval{Start: l.StartedAt, End: l.EndedAt}
	}
	if m := benchmark.MaxOverlap(iv); m > seatCount {
		t.Errorf("lease history overlap %d, more than %d seats", m, seatCount)
	} else if m == 0 {
		t.Errorf("lease history overlap 0 after %d starts", res.Starts)
	}
}

func TestDecideAllowDoesNotAllocate(t *testing.T) {
	e, ids, err := benchmark.Company(1000)
	if err != nil {
		t.Fatalf("Company: %v", err)
	}
	if len(ids) != 1000 || e.PeopleCount() != 1000 {
		t.Fatalf("Company(1000): %d ids, %d people", len(ids), e.PeopleCount())
	}
	// Keep the run short; allocations per op do not depend on its length.
	if f := flag.Lookup("test.benchtime"); f != nil && f.Value.String() == "1s" {
		if err := f.Value.Set("300ms"); err != nil {
			t.Fatalf("set benchtime: %v", err)
		}
		t.Cleanup(func() { _ = f.Value.Set("1s") })
	}
	for _, capability := range []string{"ticket.transition", "change.approve"} {
		// Every person is allowed, or the benchmark would report denials.
		for _, id := range []string{ids[0], ids[len(ids)/2], ids[len(ids)-1]} {
			if d := e.Decide(id, capability, ""); !d.Allow || d.Via.Kind != licensing.ViaNamed {
				t.Fatalf("Decide(%s, %s) = %+v, want allow via named", id, capability, d)
			}
		}
		r := testing.Benchmark(func(b *testing.B) { benchmark.DecideAllow(b, e, ids, capability) })
		if r.N == 0 {
			t.Fatalf("%s: benchmark did not run (it failed)", capability)
		}
		if a := r.AllocsPerOp(); a != 0 {
			t.Errorf("%s: %d allocs/op, want 0", capability, a)
		}
	}
}
