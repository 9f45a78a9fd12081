package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"text/tabwriter"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/reporting"
)

const reportUsage = `usage: seatkeeper report utilization|denials|shelfware|cost|mix|evidence [flags]

Prints a report from the exact history in the database.
`

// runReport prints one report as a text table, CSV (one table, --table N)
// or JSON, computed exactly as the API and the pages compute it.
func runReport(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprint(env.Stderr, reportUsage)
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return nil
		}
		return &exitError{code: 2, err: errors.New("report: name a report")}
	}
	name := args[0]
	if !reporting.KnownReport(name) {
		fmt.Fprint(env.Stderr, reportUsage)
		return &exitError{code: 2, err: fmt.Errorf("report: no report %q (reports: %s)", name, strings.Join(reporting.Names, ", "))}
	}
	fs := newFlagSet("report "+name, env)
	var d dbFlags
	d.register(fs, env)
	params := map[string]*string{}
	for _, p := range []struct{ flag, key, help string }{
		{"from", "from", "start of the period: a date (2026-01-01) or RFC 3339 time (default: 30 days before --to)"},
		{"to", "to", "end of the period, a date included whole (default: today)"},
		{"pool", "pool", "one pool (default: every pool)"},
		{"sku", "sku", "mix: one fulfiller SKU (default: each)"},
		{"bucket", "bucket", "utilization: hour, day, week or month"},
		{"tolerance", "tolerance", "how soon a seat must follow a denial for it to count as met (default 10m)"},
		{"working-hours", "working_hours", "working time FROM-TO in UTC hours (default 8-18)"},
		{"idle-days", "idle_days", "shelfware: days without use (default 30)"},
		{"target", "target", "mix: true-denial rate to size for, 0 < target < 1 (default 0.01)"},
		{"split", "split", "mix: share of the period the back-test fits on (default 0.75)"},
	} {
		params[p.key] = fs.String(p.flag, "", p.help)
	}
	format := fs.String("format", "table", "table, csv or json")
	table := fs.Int("table", 1, "csv: which table of the report (1-based)")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return &exitError{code: 2, err: fmt.Errorf("report: unexpected argument %q", fs.Arg(0))}
	}
	switch *format {
	case "table", "csv", "json":
	default:
		return &exitError{code: 2, err: fmt.Errorf("report: --format must be table, csv or json, not %q", *format)}
	}
	st, err := openExisting(ctx, d.db, newLogger(env.Stderr, "warn"))
	if err != nil {
		return err
	}
	defer st.Close()
	v := url.Values{}
	for k, p := range params {
		if *p != "" {
			v.Set(k, *p)
		}
	}
	q, err := reporting.Parse(v, st.Now())
	if err != nil {
		return &exitError{code: 2, err: flagError(err)}
	}
	svc := &reporting.Service{Store: st}
	p, err := svc.Run(ctx, name, q)
	if err != nil {
		return flagError(err)
	}
	if err := st.RecordEvent(ctx, licensing.System("cli"), "report.view", "report:"+name, "ok", q.Values().Encode()+"&format="+*format); err != nil {
		return err
	}
	switch *format {
	case "json":
		return reporting.Write(env.Stdout, p, reporting.Export{Format: "json"})
	case "csv":
		return flagError(reporting.Write(env.Stdout, p, reporting.Export{Format: "csv", Item: *table}))
	}
	return printSection(env.Stdout, p)
}

// flagError names the flag behind a report's field error.
func flagError(err error) error {
	e, ok := licensing.AsError(err)
	if !ok || e.Field == "" {
		return err
	}
	return fmt.Errorf("--%s: %s", strings.ReplaceAll(e.Field, "_", "-"), e.Message)
}

// printSection writes a report's paragraphs and tables for a terminal.
func printSection(w io.Writer, p reporting.Presenter) error {
	s := p.Section()
	fmt.Fprintf(w, "%s\n%s\n", s.Title, strings.Repeat("=", len([]rune(s.Title))))
	for _, para := range s.Paragraphs {
		fmt.Fprintf(w, "%s\n", para)
	}
	for _, t := range s.Tables {
		fmt.Fprintf(w, "\n%s\n", t.Title)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, strings.Join(t.Columns, "\t"))
		for _, r := range t.Rows {
			fmt.Fprintln(tw, strings.Join(r, "\t"))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		if len(t.Rows) == 0 {
			fmt.Fprintln(w, "(none)")
		}
		if t.Note != "" {
			fmt.Fprintln(w, t.Note)
		}
	}
	return nil
}
