// Package reporting assembles Seatkeeper's reports (DESIGN §3.7) from the
// store's snapshot and the pure figures of package report: utilization,
// denials and queues, shelfware and dormant seats, cost, the mix optimiser
// and audit evidence. The JSON API, the pages, share links and the CLI all
// ask it, so a figure is computed one way wherever it is shown.
package reporting

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/report"
)

// Report names, as they appear in paths, share links and the CLI.
const (
	Utilization = "utilization"
	Denials     = "denials"
	Shelfware   = "shelfware"
	Cost        = "cost"
	Mix         = "mix"
	Evidence    = "evidence"
)

// Names lists every report in the order the pages show them.
var Names = []string{Utilization, Denials, Shelfware, Cost, Mix, Evidence}

// KnownReport reports whether name is a report.
func KnownReport(name string) bool {
	for _, n := range Names {
		if n == name {
			return true
		}
	}
	return false
}

// MaxPeriod bounds a report's period.
const MaxPeriod = 3 * 366 * 24 * time.Hour

// DefaultTarget is the true-denial rate the optimiser sizes for.
const DefaultTarget = 0.01

// DefaultSplit is the share of the period the optimiser's back-test fits on.
const DefaultSplit = 0.75

// Query is what a report is asked for; Parse fills and checks it.
type Query struct {
	From, To  time.Time
	Pool      string // "" for every pool
	SKU       string // mix: "" for every fulfiller SKU
	Bucket    string
	Tolerance time.Duration
	Working   report.WorkingTime
	// IdleDays is the idle time after which a named seat is shelfware.
	IdleDays int
	// Target is the optimiser's true-denial rate, 0 < Target < 1.
	Target float64
	// Split is the share of the period the optimiser's back-test fits on.
	Split float64
}

// Values encodes q as the query string Parse reads, for links.
func (q Query) Values() url.Values {
	v := url.Values{}
	v.Set("from", q.From.UTC().Format(time.RFC3339))
	v.Set("to", q.To.UTC().Format(time.RFC3339))
	set := func(k, val string) {
		if val != "" {
			v.Set(k, val)
		}
	}
	set("pool", q.Pool)
	set("sku", q.SKU)
	set("bucket", q.Bucket)
	if q.Tolerance != report.DefaultTolerance && q.Tolerance != 0 {
		v.Set("tolerance", q.Tolerance.String())
	}
	if q.Working != report.DefaultWorkingTime && q.Working != (report.WorkingTime{}) {
		v.Set("working_hours", strconv.Itoa(q.Working.From)+"-"+strconv.Itoa(q.Working.To))
	}
	if q.IdleDays != 30 && q.IdleDays != 0 {
		v.Set("idle_days", strconv.Itoa(q.IdleDays))
	}
	if q.Target != DefaultTarget && q.Target != 0 {
		v.Set("target", strconv.FormatFloat(q.Target, 'g', -1, 64))
	}
	if q.Split != DefaultSplit && q.Split != 0 {
		v.Set("split", strconv.FormatFloat(q.Split, 'g', -1, 64))
	}
	return v
}

func invalid(field, format string, args ...any) error {
	return licensing.FieldErrorf(licensing.CodeInvalid, field, format, args...)
}

// parseTime reads an RFC 3339 time or a date (UTC midnight).
func parseTime(field, s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, invalid(field, "%s must be a date (2026-01-31) or an RFC 3339 time", field)
}

// Parse reads a query string: from and to (default the last 30 days up to
// the end of today), pool, sku, bucket (hour, day, week, month), tolerance
// (a duration, default 10m), working_hours (FROM-TO, default 8-18),
// idle_days (default 30), target (default 0.01) and split (default 0.75).
// Unknown parameters are refused so a typo never silently changes a figure.
func Parse(v url.Values, now time.Time, known ...string) (Query, error) {
	allowed := map[string]bool{"from": true, "to": true, "pool": true, "sku": true, "bucket": true, "tolerance": true,
		"working_hours": true, "idle_days": true, "target": true, "split": true, "format": true}
	for _, k := range known {
		allowed[k] = true
	}
	for k, vals := range v {
		if !allowed[k] {
			return Query{}, invalid(k, "unknown parameter %q", k)
		}
		if len(vals) > 1 {
			return Query{}, invalid(k, "parameter %q is given more than once", k)
		}
	}
	q := Query{Pool: v.Get("pool"), SKU: v.Get("sku"), Bucket: v.Get("bucket"), IdleDays: 30, Target: DefaultTarget, Split: DefaultSplit}
	var err error
	q.To = report.DayStart(now).AddDate(0, 0, 1)
	if s := v.Get("to"); s != "" {
		if q.To, err = parseTime("to", s); err != nil {
			return Query{}, err
		}
		if len(s) == len(time.DateOnly) {
			q.To = q.To.AddDate(0, 0, 1) // a date includes its day
		}
	}
	q.From = q.To.AddDate(0, 0, -30)
	if s := v.Get("from"); s != "" {
		if q.From, err = parseTime("from", s); err != nil {
			return Query{}, err
		}
	}
	q.From, q.To = q.From.Truncate(time.Hour), q.To.Truncate(time.Hour)
	for _, t := range []struct {
		field string
		at    time.Time
	}{{"from", q.From}, {"to", q.To}} {
		if t.at.Year() < 2000 || t.at.Year() > 2200 {
			return Query{}, invalid(t.field, "%s must be a date between the years 2000 and 2200", t.field)
		}
	}
	if !q.From.Before(q.To) {
		return Query{}, invalid("from", "from must be before to (whole hours)")
	}
	if q.To.Sub(q.From) > MaxPeriod {
		return Query{}, invalid("to", "a period covers at most three years")
	}
	if s := v.Get("tolerance"); s != "" {
		if q.Tolerance, err = time.ParseDuration(s); err != nil || q.Tolerance < time.Second {
			return Query{}, invalid("tolerance", "tolerance must be a duration of at least 1s, such as 10m")
		}
	}
	if s := v.Get("working_hours"); s != "" {
		a, b, ok := strings.Cut(s, "-")
		from, err1 := strconv.Atoi(a)
		to, err2 := strconv.Atoi(b)
		if !ok || err1 != nil || err2 != nil {
			return Query{}, invalid("working_hours", "working_hours must be FROM-TO hours, such as 8-18")
		}
		q.Working = report.WorkingTime{From: from, To: to}
	}
	if s := v.Get("idle_days"); s != "" {
		if q.IdleDays, err = strconv.Atoi(s); err != nil || q.IdleDays < 1 || q.IdleDays > 3650 {
			return Query{}, invalid("idle_days", "idle_days must be a whole number of days from 1 to 3650")
		}
	}
	if s := v.Get("target"); s != "" {
		if q.Target, err = strconv.ParseFloat(s, 64); err != nil || !(q.Target > 0 && q.Target < 1) {
			return Query{}, invalid("target", "target must be a denial rate between 0 and 1, exclusive (0.01 is 1%%)")
		}
	}
	if s := v.Get("split"); s != "" {
		if q.Split, err = strconv.ParseFloat(s, 64); err != nil || !(q.Split >= 0.1 && q.Split <= 0.9) {
			return Query{}, invalid("split", "split must be the share of the period to fit on, from 0.1 to 0.9")
		}
	}
	o := q.options()
	if err := o.Validate(); err != nil {
		return Query{}, err
	}
	q.Bucket, q.Tolerance, q.Working = o.Bucket, o.Tolerance, o.Working
	return q, nil
}

func (q Query) options() report.Options {
	return report.Options{From: q.From, To: q.To, Bucket: q.Bucket, Tolerance: q.Tolerance, Working: q.Working}
}
