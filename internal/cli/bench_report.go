package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/benchmark"
	"github.com/seatkeeper/seatkeeper/internal/report"
)

// benchReport loads a generated year of lease history with SeedHistory,
// rolls it up into usage days and times the full-year per-pool per-day
// utilization report, after the first million leases and after all of
// them; then it times the plain SQL answer to the same question over the
// same leases in PostgreSQL, checks both agree, and prints the ratio.
func benchReport(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet("bench report", env)
	db := fs.String("db", "", "database (default: a new SQLite file in a temporary directory)")
	leases := fs.Int("leases", 5_000_000, "leases in the generated year")
	pools := fs.Int("pools", 10, "concurrent pools")
	people := fs.Int("people", 20_000, "people, shared out over the pools")
	first := fs.Int("first", 1_000_000, "also measure once this many leases are loaded (0: only at the end)")
	runs := fs.Int("runs", 5, "report runs per measurement (the median is printed)")
	pg := fs.String("pg", "", "PostgreSQL DSN for the plain-SQL peer (default: a throwaway server, started as the tests do)")
	peerRuns := fs.Int("peer-runs", 3, "plain-SQL runs per measurement (the median is printed)")
	noPeer := fs.Bool("no-peer", false, "skip the plain-SQL peer")
	batch := fs.Int("batch", 200_000, "leases per SeedHistory call")
	profile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *leases < 1 || *pools < 1 || *people < 1 || *runs < 1 || *peerRuns < 1 || *batch < 1 || *first < 0 {
		return &exitError{code: 2, err: errors.New("leases, pools, people, runs, peer-runs and batch must be positive")}
	}
	dbPath, cleanup, err := benchDB(*db)
	if err != nil {
		return err
	}
	defer cleanup()
	st, err := openStore(ctx, dbPath, newLogger(env.Stderr, "warn"))
	if err != nil {
		return err
	}
	defer st.Close()
	stopProfile, err := cpuProfile(*profile)
	if err != nil {
		return err
	}
	defer stopProfile()

	run := strings.ToLower(fmt.Sprintf("y%x", time.Now().UnixNano()%0xffffff))
	began := time.Now()
	y, err := benchmark.NewYear(ctx, st, benchmark.YearConfig{Leases: *leases, Pools: *pools, People: *people, Run: run, Batch: *batch, Seed: 1})
	if err != nil {
		return err
	}
	seats, capacity := y.Capacity()
	fmt.Fprintf(env.Stdout, "bench report: %s store, a year (%s to %s) of %d leases over %d concurrent pools (%d seats, %d with overdraft) and %d people\n",
		st.Dialect(), y.From.Format(time.DateOnly), y.To.AddDate(0, 0, -1).Format(time.DateOnly), *leases, *pools, seats, capacity, *people)
	fmt.Fprintf(env.Stdout, "setup:        SKUs, pools and %d people created in %s\n", *people, since(began))

	var peer *benchmark.Peer
	if !*noPeer {
		if peer, err = benchmark.OpenPeer(ctx, *pg); err != nil {
			return err
		}
		defer peer.Close()
	}
	marks := []int{*leases}
	if *first > 0 && *first < *leases {
		marks = []int{*first, *leases}
	}
	var seedTime, peerLoad time.Duration
	var ratio float64
	for _, mark := range marks {
		loaded, err := y.Load(ctx, mark, peer)
		if err != nil {
			return err
		}
		seedTime += loaded.Seed
		peerLoad += loaded.Peer
		fmt.Fprintf(env.Stdout, "\nat %d leases (%d refusals):\n", y.Loaded, y.Denials)
		fmt.Fprintf(env.Stdout, "  seed:       %d leases and %d refusals in %s: %.0f leases/s (generating them took %s more)\n",
			loaded.Leases, loaded.Denials, since2(loaded.Seed), float64(loaded.Leases)/loaded.Seed.Seconds(), since2(loaded.Generate))
		began := time.Now()
		days, err := st.RollupUsage(ctx)
		if err != nil {
			return err
		}
		took := time.Since(began)
		fmt.Fprintf(env.Stdout, "  rollup:     RollupUsage swept %d pool-days in %s: %.0f leases/s of the %d loaded since the last rollup\n",
			days, since2(took), float64(loaded.Leases)/took.Seconds(), loaded.Leases)
		var us []report.Utilization
		med, err := benchmark.Median(*runs, func() error {
			var err error
			us, err = benchmark.UtilizationReport(ctx, st, y.Pools(), y.From, y.To)
			return err
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "  report:     full year, %d pools by day (ReportData + Summarise): median %s of %d runs\n", len(us), since2(med), *runs)
		fmt.Fprintf(env.Stdout, "  figures:    %s\n", yearFigures(us))
		if peer == nil {
			continue
		}
		if err := peer.Prepare(ctx); err != nil {
			return err
		}
		var rows []benchmark.PeerDay
		pmed, err := benchmark.Median(*peerRuns, func() error {
			var err error
			rows, err = peer.Query(ctx, y.Pools(), y.From, y.To)
			return err
		})
		if err != nil {
			return err
		}
		agree, differ := benchmark.ComparePeer(us, rows)
		fmt.Fprintf(env.Stdout, "  plain SQL:  %s, the same leases copied in %s; window query over start/end events: median %s of %d runs\n",
			peer.Version(ctx), since2(peerLoad), since2(pmed), *peerRuns)
		fmt.Fprintf(env.Stdout, "  agreement:  %d pool-days with the same peak, p50, p90, p95 and p99 in both, %d differ\n", agree, len(differ))
		for _, d := range differ[:min(len(differ), 5)] {
			fmt.Fprintf(env.Stdout, "              %s\n", d)
		}
		ratio = pmed.Seconds() / med.Seconds()
		fmt.Fprintf(env.Stdout, "  ratio plain SQL / seatkeeper at %d leases: %.2f\n", y.Loaded, ratio)
		if len(differ) > 0 {
			return &exitError{code: 4, err: fmt.Errorf("plain SQL and the report disagree on %d pool-days", len(differ))}
		}
	}
	fmt.Fprintf(env.Stdout, "\nseed:         %d leases in %s of SeedHistory: %.0f leases/s\n", y.Loaded, since2(seedTime), float64(y.Loaded)/seedTime.Seconds())
	if peer != nil {
		fmt.Fprintf(env.Stdout, "ratio plain SQL / seatkeeper: %.2f\n", ratio)
	}
	return nil
}

// yearFigures sums up the report: how full the pools got and how often
// they refused.
func yearFigures(us []report.Utilization) string {
	var maxed, truly int
	lo, hi, p95lo, p95hi := 1e9, 0.0, 1e9, 0.0
	for _, u := range us {
		maxed += u.Overall.MaxedOut
		truly += u.Overall.TrueDenials
		if u.Capacity > 0 {
			peak, p95 := float64(u.Overall.Peak)/float64(u.Capacity), float64(u.Overall.P95)/float64(u.Capacity)
			lo, hi, p95lo, p95hi = min(lo, peak), max(hi, peak), min(p95lo, p95), max(p95hi, p95)
		}
	}
	return fmt.Sprintf("pools peak at %.0f-%.0f%% of capacity, p95 %.0f-%.0f%%; %d refusals, %d of them true denials (no seat within 10 minutes)",
		100*lo, 100*hi, 100*p95lo, 100*p95hi, maxed, truly)
}

func since(t time.Time) string { return since2(time.Since(t)) }

// since2 rounds a duration for printing.
func since2(d time.Duration) string {
	switch {
	case d >= 10*time.Second:
		return d.Round(100 * time.Millisecond).String()
	case d >= time.Second:
		return d.Round(10 * time.Millisecond).String()
	}
	return d.Round(10 * time.Microsecond).String()
}
