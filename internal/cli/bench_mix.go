package cli

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/benchmark"
)

// benchMix times the mix optimiser: Erlang B for a pool of 10,000 seats,
// Recommend, Compare and Backtest over a generated working-day year of a
// large desk (wall and process CPU time per call), and the back-test on
// the demo company's year, seeded into a fresh database. It exits non-zero
// when the demo's back-test misses its predicted denial rate by more than
// ±20 % (relative).
func benchMix(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet("bench mix", env)
	people := fs.Int("people", 20_000, "people in the generated year")
	intervals := fs.Int("intervals", 5_000_000, "intervals (sessions) in the generated year, about")
	seed := fs.Uint64("seed", 1, "seed of the generated year")
	noDemo := fs.Bool("no-demo", false, "skip the back-test on the demo's year")
	profile := fs.String("cpuprofile", "", "write a CPU profile of the optimiser runs to this file")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *people < 1 || *intervals < 1 {
		return &exitError{code: 2, err: errors.New("people and intervals must be positive")}
	}

	per, b := benchmark.ErlangBPerCall(10_000)
	fmt.Fprintf(env.Stdout, "bench mix\nErlangB:     N = 10,000 at 10,000 erlangs (B = %.4f): %s per call (target ≤ 1 ms)\n", b, since2(per))

	began := time.Now()
	y := benchmark.NewMixYear(*people, *intervals, *seed)
	fmt.Fprintf(env.Stdout, "year:        %d intervals of %d people generated in %s (2025, working days; today: %d named + %d concurrent)\n",
		len(y.Demand), y.People, since(began), len(y.Today.Named), y.Today.Concurrent)
	stopProfile, err := cpuProfile(*profile)
	if err != nil {
		return err
	}
	r, err := benchmark.RunMix(y)
	stopProfile()
	if err != nil {
		return err
	}
	line := func(name string, t benchmark.Timing, what string) {
		fmt.Fprintf(env.Stdout, "%-12s wall %-9s cpu %-9s (target ≤ 2 s)  %s\n", name+":", since2(t.Wall), since2(t.CPU), what)
	}
	line("Recommend", r.Recommend, fmt.Sprintf("%d named + %d concurrent", len(r.Option.Named), r.Option.Concurrent))
	for i, e := range r.Evaluations[1:] {
		what := fmt.Sprintf("%s: %d + %d, predicted %s replayed %s", e.Name, len(e.Named), e.Concurrent, pct2(e.PredictedBlocking), pct2(e.ReplayedDenialRate))
		if i == 0 {
			line("Compare", r.Compare, what)
		} else {
			fmt.Fprintf(env.Stdout, "%-12s %52s%s\n", "", "", what)
		}
	}
	bt := r.Back
	line("Backtest", r.Backtest, fmt.Sprintf("fit to %s: %d + %d, predicted %s replayed %s, error %s",
		time.Unix(bt.Split, 0).UTC().Format(time.DateOnly), len(bt.Option.Named), bt.Option.Concurrent, pct2(bt.Predicted), pct2(bt.Replayed), relErr(bt.RelativeError, bt.RelativeDefined)))
	if *noDemo {
		return nil
	}

	dir, err := os.MkdirTemp("", "seatkeeper-bench-mix-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	began = time.Now()
	rep, err := benchmark.DemoBacktest(ctx, dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "\ndemo year:   %s to %s, seeded and reported in %s\n", rep.From.Format(time.DateOnly), rep.To.AddDate(0, 0, -1).Format(time.DateOnly), since(began))
	var bad []string
	for _, m := range rep.SKUs {
		for _, o := range m.Options[1:] {
			fmt.Fprintf(env.Stdout, "  %-10s %-12s %3d named + %3d concurrent: predicted %s replayed %s (%d of %d refused)\n",
				m.SKU, o.Name, o.NamedSeats, o.ConcurrentSeats, pct2(o.PredictedBlocking), pct2(o.ReplayedDenialRate), o.Denied, o.Arrivals)
		}
		b := m.Backtest
		if b == nil {
			fmt.Fprintf(env.Stdout, "  %-10s back-test:   none (%s)\n", m.SKU, m.Note)
			bad = append(bad, m.SKU)
			continue
		}
		defined := b.Replayed > 0
		fmt.Fprintf(env.Stdout, "  %-10s back-test    %3d named + %3d concurrent, fit %s–%s, test to %s: predicted %s replayed %s, relative error %s\n",
			m.SKU, b.NamedSeats, b.ConcurrentSeats, b.FitFrom.Format(time.DateOnly), b.FitTo.Format(time.DateOnly), b.TestTo.AddDate(0, 0, -1).Format(time.DateOnly),
			pct2(b.Predicted), pct2(b.Replayed), relErr(b.RelativeError, defined))
		if !defined || math.Abs(b.RelativeError) > 0.2 {
			bad = append(bad, m.SKU)
		}
	}
	if len(bad) > 0 {
		return &exitError{code: 4, err: fmt.Errorf("bench mix: the demo's back-test is outside ±20 %% for %v", bad)}
	}
	fmt.Fprintln(env.Stdout, "  back-test within ±20 % for every fulfiller SKU")
	return nil
}

func pct2(x float64) string { return fmt.Sprintf("%.2f %%", 100*x) }

func relErr(x float64, defined bool) string {
	if !defined {
		return "undefined (nothing refused in the tested part)"
	}
	return fmt.Sprintf("%+.1f %%", 100*x)
}
