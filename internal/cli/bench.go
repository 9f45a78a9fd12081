package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/benchmark"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/plural"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

func runBench(ctx context.Context, env Env, args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "checkout":
			return benchCheckout(ctx, env, args[1:])
		case "decide":
			return benchDecide(env, args[1:])
		case "desk":
			return benchDesk(ctx, env, args[1:])
		case "scim":
			return benchSCIM(ctx, env, args[1:])
		case "report":
			return benchReport(ctx, env, args[1:])
		case "mix":
			return benchMix(ctx, env, args[1:])
		case "console":
			return benchConsole(ctx, env, args[1:])
		}
	}
	return &exitError{code: 2, err: errors.New("usage: seatkeeper bench checkout|decide|desk|scim|report|mix|console [flags]")}
}

// benchDecide runs the in-memory decision benchmark (the same loop as `go
// test -bench Decide ./internal/licensing`) on 1 and 2 cores.
func benchDecide(env Env, args []string) error {
	fs := newFlagSet("bench decide", env)
	people := fs.Int("people", 100_000, "people in the engine")
	if err := parse(fs, args); err != nil {
		return err
	}
	e, ids, err := benchmark.Company(*people)
	if err != nil {
		return err
	}
	for _, capability := range []string{"ticket.transition", "change.approve"} {
		for _, procs := range []int{1, 2} {
			prev := runtime.GOMAXPROCS(procs)
			r := testing.Benchmark(func(b *testing.B) { benchmark.DecideAllow(b, e, ids, capability) })
			runtime.GOMAXPROCS(prev)
			fmt.Fprintf(env.Stdout, "decide allow %-18s %d people, cpu %d: %8.1f ns/op  %d allocs/op  %d B/op\n",
				capability, *people, procs, float64(r.T.Nanoseconds())/float64(r.N), r.AllocsPerOp(), r.AllocedBytesPerOp())
		}
	}
	return nil
}

// benchCheckout serves a fresh pool in-process and storms it over loopback
// HTTP: N clients start and end sessions. It exits non-zero if more people
// ever held seats than the pool has.
func benchCheckout(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet("bench checkout", env)
	db := fs.String("db", "", "database (default: a new SQLite file in a temporary directory)")
	clients := fs.Int("clients", 32, "concurrent HTTP clients")
	seats := fs.Int("seats", 24, "seats in the concurrent pool")
	users := fs.Int("users", 2000, "registered people")
	dur := fs.Duration("duration", 10*time.Second, "how long to run")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *clients < 1 || *seats < 1 || *users < 1 || *dur <= 0 {
		return &exitError{code: 2, err: errors.New("clients, seats, users and duration must be positive")}
	}
	dbPath, cleanup, err := benchDB(*db)
	if err != nil {
		return err
	}
	defer cleanup()
	*db = dbPath
	run := strings.ToLower(fmt.Sprintf("b%x", time.Now().UnixNano()%0xffffff))
	pool := "bench-" + run
	var st *store.Store
	var token string
	var names []string
	setup := func(ctx context.Context, s *store.Store) error {
		st = s
		a := licensing.System("bench")
		if _, err := s.GetSKU(ctx, "bench-agent"); licensing.ErrorCode(err) == licensing.CodeNotFound {
			if err := s.PutSKU(ctx, a, licensing.SKU{Key: "bench-agent", Tier: licensing.TierFulfiller, MonthlyPrice: 100}, true); err != nil {
				return err
			}
		}
		if err := s.CreatePool(ctx, a, licensing.Pool{ID: pool, SKU: "bench-agent", Model: licensing.ModelConcurrent, Seats: *seats}); err != nil {
			return err
		}
		for i := 0; i < *users; i++ {
			name := fmt.Sprintf("%s-%05d@bench.example", run, i)
			if _, err := s.CreateUser(ctx, a, licensing.User{UserName: name, Active: true}); err != nil {
				return err
			}
			if _, _, err := s.PutMember(ctx, a, pool, name, ""); err != nil {
				return err
			}
			names = append(names, name)
		}
		var err error
		_, token, err = s.CreateToken(ctx, a, "bench-"+run, store.ScopePlatform, time.Hour)
		return err
	}
	addr, stop, err := benchServe(ctx, env, *db, setup)
	if err != nil {
		return err
	}
	defer stop()
	fmt.Fprintf(env.Stdout, "bench checkout: %s store, pool of %s, %s, %s, %s\n", st.Dialect(), plural.Of(*seats, "seat"), plural.Of(*users, "person"), plural.Of(*clients, "client"), *dur)
	holders := func(ctx context.Context) (int, error) {
		leases, err := st.ActiveLeases(ctx, pool)
		return len(leases), err
	}
	res, err := benchmark.Checkout(ctx, benchmark.CheckoutConfig{BaseURL: "http://" + addr, Token: token, Pool: pool, Users: names,
		Clients: *clients, Duration: *dur, Holders: holders})
	if err != nil {
		return err
	}
	hist, err := st.LeaseHistory(ctx, pool, time.Unix(0, 0), time.Now().Add(time.Hour))
	if err != nil {
		return err
	}
	iv := make([]benchmark.Interval, len(hist))
	for i, l := range hist {
		iv[i] = benchmark.Interval{Start: l.StartedAt, End: l.EndedAt}
	}
	maxHist := benchmark.MaxOverlap(iv)
	if err := stop(); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "session starts:   %d acknowledged, %d refused (pool full), %s in %.1fs\n", res.Starts, res.Refused, plural.Of(res.Errors, "error"), res.Elapsed.Seconds())
	fmt.Fprintf(env.Stdout, "throughput:       %.0f session starts/s (each followed by its logout)\n", res.StartsPerSecond())
	fmt.Fprintf(env.Stdout, "latency (start):  p50 %s  p99 %s\n", res.P50.Round(10*time.Microsecond), res.P99.Round(10*time.Microsecond))
	fmt.Fprintf(env.Stdout, "holders:          max %d polled, max %d from lease history, seats %d\n", res.MaxHoldersPolled, maxHist, *seats)
	if res.MaxHoldersPolled > *seats || maxHist > *seats {
		return &exitError{code: 4, err: fmt.Errorf("seat invariant violated: %s for %s", plural.Of(max(res.MaxHoldersPolled, maxHist), "holder"), plural.Of(*seats, "seat"))}
	}
	if res.Errors > 0 {
		return &exitError{code: 5, err: fmt.Errorf("%s failed", plural.Of(res.Errors, "request"))}
	}
	return nil
}

// benchServe serves db in-process on a loopback port after setup ran on
// its store; stop shuts it down (and may be called more than once).
func benchServe(ctx context.Context, env Env, db string, setup func(context.Context, *store.Store) error) (string, func() error, error) {
	srvCtx, cancel := context.WithCancel(ctx)
	ready := make(chan string, 1)
	done := make(chan error, 1)
	quiet := Env{Getenv: env.Getenv, Stdout: env.Stdout, Stderr: discard{}}
	go func() {
		done <- serve(srvCtx, quiet, serveConfig{addr: "127.0.0.1:0", db: db, logLevel: "error", sweepEvery: time.Second,
			ready: func(a string) { ready <- a }}, setup)
	}()
	var once sync.Once
	var serr error
	stop := func() error {
		once.Do(func() { cancel(); serr = <-done })
		return serr
	}
	select {
	case addr := <-ready:
		return addr, stop, nil
	case err := <-done:
		cancel()
		return "", func() error { return nil }, fmt.Errorf("bench server: %w", err)
	}
}

// benchDB returns db, or a new SQLite file in a temporary directory that
// cleanup removes.
func benchDB(db string) (string, func(), error) {
	if db != "" {
		return db, func() {}, nil
	}
	dir, err := os.MkdirTemp("", "seatkeeper-bench-")
	if err != nil {
		return "", nil, err
	}
	return filepath.Join(dir, "bench.db"), func() { os.RemoveAll(dir) }, nil
}

// cpuProfile starts a CPU profile written to path ("" for none) and
// returns what stops it.
func cpuProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// verifyBenchAudit verifies a run's audit chain on a fresh store (the
// server has closed its own) and prints its length; a broken chain exits 3.
func verifyBenchAudit(ctx context.Context, env Env, st *store.Store) error {
	n, err := st.VerifyAudit(ctx)
	if err != nil {
		return &exitError{code: 3, err: fmt.Errorf("audit chain: %w", err)}
	}
	fmt.Fprintf(env.Stdout, "audit:       chain of %s verifies\n", plural.Of(n, "entry"))
	return nil
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
