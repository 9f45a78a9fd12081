package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/peoplecsv"
	"github.com/seatkeeper/seatkeeper/internal/plural"
	"github.com/seatkeeper/seatkeeper/internal/provision"
)

// runImport imports people from a CSV file ("-" reads stdin).
func runImport(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet("import", env)
	var d dbFlags
	d.register(fs, env)
	dryRun := fs.Bool("dry-run", false, "report what would be created, updated and deactivated without writing")
	deactivate := fs.Bool("deactivate-missing", false, "deactivate active people the file does not list")
	clearEmpty := fs.Bool("clear-empty", false, "an empty cell clears the attribute (by default it leaves the stored value unchanged)")
	batch := fs.Int("batch", 500, "rows per transaction")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return &exitError{code: 2, err: errors.New("usage: seatkeeper import --db DB [--dry-run] [--deactivate-missing] [--clear-empty] people.csv")}
	}
	var in io.Reader
	var size int64
	if name := fs.Arg(0); name == "-" {
		in = env.Stdin
	} else {
		f, err := os.Open(name)
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
		defer f.Close()
		if fi, err := f.Stat(); err == nil {
			size = fi.Size()
		}
		in = f
	}
	st, err := openExisting(ctx, d.db, newLogger(env.Stderr, "warn"))
	if err != nil {
		return err
	}
	defer st.Close()
	p := newProgress(env.Stderr, size)
	actor := licensing.Actor{Name: "cli:" + orUnknown(env.Getenv("USER")), Source: "import"}
	rec := &provision.Reconciler{Store: st}
	im := &peoplecsv.Importer{
		Store:             st,
		Actor:             actor,
		DryRun:            *dryRun,
		DeactivateMissing: *deactivate,
		ClearEmpty:        *clearEmpty,
		BatchSize:         *batch,
		Progress:          p.update,
		// The entitlement rules follow every committed batch, as they
		// follow SCIM and API changes, and a leaver's seats go to the
		// grants waiting for them.
		Reconcile: func(ctx context.Context, ids []string, freed bool) error {
			return rec.Settle(ctx, actor, freed, ids...)
		},
	}
	stats, err := im.Run(ctx, in)
	p.done()
	for _, e := range stats.Errors {
		fmt.Fprintf(env.Stderr, "line %d: %v\n", e.Line, e.Err)
	}
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	took := time.Since(p.start).Round(time.Millisecond)
	if *dryRun {
		fmt.Fprintf(env.Stdout, "dry run, nothing written: %s: would create %d, update %d, deactivate %d; unchanged %d, failed %d (%s)\n",
			plural.Of(stats.Rows, "row"), stats.Created, stats.Updated, stats.Deactivated, stats.Unchanged, stats.Failed, took)
	} else {
		fmt.Fprintf(env.Stdout, "%s: created %d, updated %d, deactivated %d, unchanged %d, failed %d (%s)\n",
			plural.Of(stats.Rows, "row"), stats.Created, stats.Updated, stats.Deactivated, stats.Unchanged, stats.Failed, took)
	}
	if stats.Failed > 0 {
		return &exitError{code: 1, err: fmt.Errorf("import: %d of %s failed", stats.Failed, plural.Of(stats.Rows, "row"))}
	}
	return nil
}

// progress shows a bar on a terminal, and otherwise a line every 10,000 rows.
type progress struct {
	w        io.Writer
	tty      bool
	size     int64
	start    time.Time
	nextLine int
	drawn    bool
}

func newProgress(w io.Writer, size int64) *progress {
	p := &progress{w: w, size: size, start: time.Now(), nextLine: 10000}
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

func (p *progress) update(s peoplecsv.Stats) {
	rate := float64(s.Rows) / max(time.Since(p.start).Seconds(), 1e-3)
	if p.tty {
		const width = 30
		frac := 0.0
		if p.size > 0 {
			frac = min(float64(s.BytesRead)/float64(p.size), 1)
		}
		n := int(frac * width)
		fmt.Fprintf(p.w, "\r[%s%s] %3.0f%% %s, %.0f/s, %d failed ", strings.Repeat("=", n), strings.Repeat(" ", width-n), frac*100, plural.Of(s.Rows, "row"), rate, s.Failed)
		p.drawn = true
		return
	}
	for s.Rows >= p.nextLine {
		fmt.Fprintf(p.w, "import: %s (%d created, %d updated, %d failed), %.0f rows/s\n", plural.Of(s.Rows, "row"), s.Created, s.Updated, s.Failed, rate)
		p.nextLine += 10000
	}
}

func (p *progress) done() {
	if p.drawn {
		fmt.Fprintln(p.w)
	}
}
