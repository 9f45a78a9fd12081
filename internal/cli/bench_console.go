package cli

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/benchmark"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/plural"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

// consoleTarget is the figure: every console page in 100 ms at p99.
const consoleTarget = 100 * time.Millisecond

// benchConsole seeds a company of --people people and --audit audit
// entries (once: a kept --db is reused), serves it in-process and times
// the licence console's pages as a signed-in licence administrator.
func benchConsole(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet("bench console", env)
	db := fs.String("db", "", "database (default: a new SQLite file in a temporary directory); a database seeded before is reused")
	people := fs.Int("people", 100_000, "people")
	entries := fs.Int("audit", 1_000_000, "audit entries in all")
	runs := fs.Int("runs", 50, "timed fetches of each page")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *people < 100 || *entries < *people || *runs < 1 {
		return &exitError{code: 2, err: errors.New("need at least 100 people, at least as many audit entries as people, and a run")}
	}
	dbPath, cleanup, err := benchDB(*db)
	if err != nil {
		return err
	}
	defer cleanup()
	const password = "bench-console-password"
	cfg := benchmark.ConsoleConfig{People: *people, Audit: *entries, Admin: benchmark.ConsoleAdmin, Password: password}
	began := time.Now()
	seeded := false
	addr, stop, err := benchServe(ctx, env, dbPath, func(ctx context.Context, st *store.Store) error {
		if _, err := st.GetUser(ctx, cfg.Admin); err == nil {
			return nil // seeded by an earlier run
		} else if licensing.ErrorCode(err) != licensing.CodeNotFound {
			return err
		}
		seeded = true
		return benchmark.SeedConsole(ctx, st, cfg)
	})
	if err != nil {
		return err
	}
	defer stop()
	if seeded {
		fmt.Fprintf(env.Stdout, "seeded:      %s and %s in %s\n", plural.Of(*people, "person"), plural.Of(*entries, "audit entry"), time.Since(began).Round(time.Second))
	}
	base := "http://" + addr
	b, err := benchmark.SignIn(ctx, base, cfg.Admin, password)
	if err != nil {
		return err
	}
	probe := benchmark.ConsolePerson(*people / 2)
	paths := []string{
		"/admin",
		"/admin/pools",
		"/admin/leases",
		"/admin/people",
		"/admin/people?q=" + url.QueryEscape(strings.TrimSuffix(probe, "@console.example")[:11]),
		"/admin/people?q=" + url.QueryEscape("Person 0"+probe[8:11]),
		"/admin/people/" + url.PathEscape(probe),
		"/admin/rules",
		"/admin/integrations",
		"/admin/audit",
		"/admin/audit?action=decision.deny",
		"/admin/audit?actor=" + url.QueryEscape("web:"+probe),
		"/admin/audit?subject=" + url.QueryEscape("user:"+probe),
	}
	timings, err := benchmark.TimePages(ctx, b, paths, *runs)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PAGE\tP50\tP99\tMAX")
	var worst benchmark.PageTiming
	for _, t := range timings {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.Path, ms(t.P50), ms(t.P99), ms(t.Max))
		if t.P99 > worst.P99 {
			worst = t
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	verdict := "met"
	if worst.P99 > consoleTarget {
		verdict = "MISSED"
	}
	fmt.Fprintf(env.Stdout, "console:     slowest p99 %s (%s) over %s × %s, target ≤ %s: %s\n",
		ms(worst.P99), worst.Path, plural.Of(len(paths), "page"), plural.Of(*runs, "run"), ms(consoleTarget), verdict)
	return stop()
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }
