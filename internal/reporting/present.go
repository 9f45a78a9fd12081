package reporting

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/plural"
	"github.com/seatkeeper/seatkeeper/internal/report/render"
)

// Presenter is a computed report that can be shown as one section of a
// pack: its paragraphs, charts, heat maps and tables. CSV, SVG, PNG and
// PDF exports, the pages and share links all draw from it.
type Presenter interface {
	Section() render.Section
	head() Header
}

func (h Header) head() Header { return h }

func period(h Header) string {
	return h.From.UTC().Format("2 Jan 2006 15:04") + " – " + h.To.UTC().Format("2 Jan 2006 15:04") + " UTC"
}

func takenNote(h Header) string {
	return "Period " + period(h) + ". Taken " + h.TakenAt.UTC().Format("2 Jan 2006 15:04:05") + " UTC from the exact lease, session, queue and denial history."
}

func pct(v float64) string { return strconv.FormatFloat(100*v, 'f', 1, 64) + "%" }
func num(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }
func itoa(v int) string    { return strconv.Itoa(v) }
func day(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02")
}
func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05")
}
func money(cur string, v float64) string { return cur + " " + strconv.FormatFloat(v, 'f', 2, 64) }
func secs(v float64) string {
	return (time.Duration(v * float64(time.Second))).Round(time.Second).String()
}

var weekdays = []string{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}

func hours() []string {
	out := make([]string, 24)
	for i := range out {
		out[i] = fmt.Sprintf("%02d", i)
	}
	return out
}

// Section shows utilization: per pool, held seats over time against the
// capacity, the hour-of-week heat map, and the figures table.
func (u *UsageReport) Section() render.Section {
	if u.Report == Denials {
		return u.denialsSection()
	}
	s := render.Section{Title: "Utilization", Paragraphs: []string{takenNote(u.Header),
		"Held seats are swept from every lease (concurrent pools) and assignment (named pools): percentiles are of time, so p95 is the count held or exceeded 5% of the time. At capacity is the share of working time (" + u.Working + ") with every seat held."}}
	t := render.Table{Title: "Utilization per pool", Columns: []string{"pool", "sku", "model", "seats", "capacity", "registered", "active people", "peak", "mean", "p50", "p90", "p95", "p99",
		"at capacity (working time)", "overdraft peak", "overdraft hours", "true-up months", "leases started", "maxed out", "true denials"}, Note: "True denials: licence_maxed_out not followed within " + u.Tolerance + " by a seat of the same SKU for the same person in any pool."}
	for _, p := range u.Pools {
		o := p.Overall
		var months []string
		for _, m := range p.TrueUps {
			months = append(months, m.Month)
		}
		t.Rows = append(t.Rows, []string{p.Pool, p.SKU, p.Model, itoa(p.Seats), itoa(p.Capacity), itoa(p.Registered), itoa(o.ActivePeople), itoa(o.Peak), num(o.Mean),
			itoa(o.P50), itoa(o.P90), itoa(o.P95), itoa(o.P99), pct(o.AtCapacityShare), itoa(o.OverdraftPeak), num(float64(o.OverdraftSeconds) / 3600), strings.Join(months, " "),
			itoa(o.Starts), itoa(o.MaxedOut), itoa(o.TrueDenials)})
		c := render.Chart{Title: "Held seats — " + p.Pool, YLabel: "seats", Kind: render.Step,
			Marks: []render.Mark{{Label: "seats", Y: float64(p.Seats)}}}
		if p.Capacity > p.Seats {
			c.Marks = append(c.Marks, render.Mark{Label: "seats + overdraft", Y: float64(p.Capacity)})
		}
		peak, p95, mean := render.Series{Name: "peak"}, render.Series{Name: "p95"}, render.Series{Name: "mean"}
		for _, b := range p.Buckets {
			peak.X, peak.Y = append(peak.X, b.Start), append(peak.Y, float64(b.Peak))
			p95.X, p95.Y = append(p95.X, b.Start), append(p95.Y, float64(b.P95))
			mean.X, mean.Y = append(mean.X, b.Start), append(mean.Y, b.Mean)
		}
		c.Series = []render.Series{peak, p95, mean}
		s.Charts = append(s.Charts, c)
		h := render.Heatmap{Title: "Mean held seats by hour of week — " + p.Pool, Rows: weekdays, Cols: hours()}
		for wd := range p.Heat {
			h.Values = append(h.Values, append([]float64(nil), p.Heat[wd][:]...))
		}
		s.Heatmaps = append(s.Heatmaps, h)
	}
	b := render.Table{Title: "Per " + u.Bucket, Columns: []string{"pool", "bucket start", "peak", "mean", "p50", "p95", "p99", "at capacity", "overdraft peak", "active people", "leases started", "maxed out", "true denials"}}
	for _, p := range u.Pools {
		for _, x := range p.Buckets {
			b.Rows = append(b.Rows, []string{p.Pool, bucketLabel(u.Bucket, x.Start), itoa(x.Peak), num(x.Mean), itoa(x.P50), itoa(x.P95), itoa(x.P99), pct(x.AtCapacityShare), itoa(x.OverdraftPeak),
				itoa(x.ActivePeople), itoa(x.Starts), itoa(x.MaxedOut), itoa(x.TrueDenials)})
		}
	}
	s.Tables = []render.Table{t, b}
	return s
}

func (u *UsageReport) denialsSection() render.Section {
	s := render.Section{Title: "Denials and queues", Paragraphs: []string{takenNote(u.Header),
		"A true denial is a licence_maxed_out that no seat of the same SKU met within " + u.Tolerance + " (a retry or another pool would have served the person). Queue waits are from joining to getting a seat."}}
	t := render.Table{Title: "Denials and queue per pool", Columns: []string{"pool", "maxed out", "true denials", "true denial rate", "queue joins", "seated", "left", "waiting", "wait p50", "wait p95"}}
	reasons := map[string]int{}
	maxed, truly := render.Series{Name: "maxed out"}, render.Series{Name: "true denials"}
	byStart := map[time.Time][2]int{}
	for _, p := range u.Pools {
		o := p.Overall
		rate := 0.0
		if o.Starts+o.TrueDenials > 0 {
			rate = float64(o.TrueDenials) / float64(o.Starts+o.TrueDenials)
		}
		t.Rows = append(t.Rows, []string{p.Pool, itoa(o.MaxedOut), itoa(o.TrueDenials), pct(rate), itoa(p.Queue.Joins), itoa(p.Queue.Seated), itoa(p.Queue.Left), itoa(p.Queue.Waiting), secs(p.Queue.WaitP50), secs(p.Queue.WaitP95)})
		for _, r := range p.Denials {
			reasons[r.Reason] += r.Count
		}
		for _, b := range p.Buckets {
			v := byStart[b.Start]
			byStart[b.Start] = [2]int{v[0] + b.MaxedOut, v[1] + b.TrueDenials}
		}
	}
	for _, r := range u.Unpooled {
		reasons[r.Reason] += r.Count
	}
	r := render.Table{Title: "Denials by reason", Columns: []string{"reason", "count"}}
	bar := render.Chart{Title: "Denials by reason", YLabel: "denials", Kind: render.Bar, Series: []render.Series{{Name: "denials"}}}
	for _, k := range sortedKeys(reasons) {
		r.Rows = append(r.Rows, []string{k, itoa(reasons[k])})
		bar.Categories = append(bar.Categories, k)
		bar.Series[0].Y = append(bar.Series[0].Y, float64(reasons[k]))
	}
	for _, k := range sortedTimes(byStart) {
		maxed.X, maxed.Y = append(maxed.X, k), append(maxed.Y, float64(byStart[k][0]))
		truly.X, truly.Y = append(truly.X, k), append(truly.Y, float64(byStart[k][1]))
	}
	s.Charts = []render.Chart{{Title: "Maxed out and true denials", YLabel: "denials", Kind: render.Bar, Series: []render.Series{maxed, truly}}, bar}
	s.Tables = []render.Table{t, r}
	return s
}

// Section shows the named seats by idleness.
func (r *ShelfwareReport) Section() render.Section {
	s := render.Section{Title: "Shelfware and dormant seats", Paragraphs: []string{
		fmt.Sprintf("%s unused for %s or more (shelfware), %d never used since assigned. Reclaiming the shelfware saves %s a year.", plural.Of(r.Shelfware, "named seat"), plural.Of(r.IdleDays, "day"), r.NeverUsed, money(r.Currency, r.YearlySaving)),
		"Last use is the last decision the engine allowed under the seat (exact to the 10-second flush). Taken " + stamp(r.TakenAt) + " UTC."}}
	t := render.Table{Title: "Named seats by idle days", Columns: []string{"pool", "user", "name", "source", "since", "last used", "idle days", "shelfware", "never used", "yearly cost"}}
	for _, h := range r.Holdings {
		last := "never"
		if h.LastUsed != nil {
			last = stamp(*h.LastUsed)
		}
		t.Rows = append(t.Rows, []string{h.Pool, h.User, h.Name, h.Source, day(h.Since), last, itoa(h.IdleDays), yes(h.Shelf), yes(h.Never), money(r.Currency, h.YearlyCost)})
	}
	s.Tables = []render.Table{t}
	return s
}

// bucketLabel shows a bucket's start as its size reads: an hour with its
// time, a day, week or month as a date.
func bucketLabel(bucket string, t time.Time) string {
	if bucket == "hour" {
		return t.UTC().Format("2006-01-02 15:04")
	}
	return day(t)
}

func yes(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// Section shows spend and what it returns.
func (c *CostReport) Section() render.Section {
	s := render.Section{Title: "Cost", Paragraphs: []string{fmt.Sprintf("Spend over the period %s, %d active people: %s per active person. Shelfware costs %s a year; reclaiming it and resizing concurrent pools to their peak would save %s a year.",
		money(c.Currency, c.Spend), c.ActivePeople, money(c.Currency, c.CostPerActive), money(c.Currency, c.ShelfwareCost), money(c.Currency, c.YearlySaving)),
		"Spend is seats × monthly price, prorated by the days of each month within the period and the pool's validity dates. " + takenNote(c.Header)}}
	t := render.Table{Title: "Spend per pool", Columns: []string{"pool", "sku", "model", "seats", "monthly price", "spend", "active people", "cost per active", "peak", "shelfware seats", "unassigned seats", "resize to", "yearly saving"}}
	m := render.Table{Title: "Spend per pool and month", Columns: []string{"pool", "month", "days", "spend"}}
	// Months are categories, not points in time: a bar per month, whatever
	// the period's length.
	chart := render.Chart{Title: "Spend per month", YLabel: c.Currency, Kind: render.Bar}
	months := map[string]bool{}
	for _, p := range c.Pools {
		for _, x := range p.Months {
			months[x.Month] = true
		}
	}
	chart.Categories = sortedKeys(months)
	for _, p := range c.Pools {
		t.Rows = append(t.Rows, []string{p.Pool, p.SKU, p.Model, itoa(p.Seats), money(c.Currency, p.MonthlyPrice), money(c.Currency, p.Spend), itoa(p.ActivePeople), money(c.Currency, p.CostPerActive),
			itoa(p.Peak), itoa(p.Shelfware), itoa(p.Unassigned), itoa(p.ResizeTo), money(c.Currency, p.YearlySaving)})
		ser := render.Series{Name: p.Pool, Y: make([]float64, len(chart.Categories))}
		for _, x := range p.Months {
			m.Rows = append(m.Rows, []string{p.Pool, x.Month, num(x.Days), money(c.Currency, x.Spend)})
			ser.Y[slices.Index(chart.Categories, x.Month)] = x.Spend
		}
		chart.Series = append(chart.Series, ser)
	}
	s.Charts = []render.Chart{chart}
	s.Tables = []render.Table{t, m}
	return s
}

// Section lays the evidence out against the controls.
func (e *EvidenceReport) Section() render.Section {
	chain := fmt.Sprintf("Audit chain: %s verified, head #%d %s; %s in the period.", plural.Of(e.Audit.Entries, "entry"), e.Audit.HeadSeq, e.Audit.HeadHash, plural.Of(e.Audit.InPeriod, "entry"))
	if !e.Audit.Verified {
		chain = "Audit chain FAILED verification: " + e.Audit.Problem
	}
	s := render.Section{Title: "Access-review evidence", Paragraphs: []string{"Laid out against SOC 2 CC6.1–CC6.3 and ISO 27001 A.5.18 and A.8.15. " + takenNote(e.Header), chain,
		"Any entry can be checked: `seatkeeper audit verify` recomputes every hash up to the head above; `GET /api/v1/audit?after=SEQ` returns entries with their prev_hash and hash."}}
	ctl := render.Table{Title: "Controls", Columns: []string{"framework", "control", "what it asks", "answered by"}}
	for _, c := range e.Controls {
		ctl.Rows = append(ctl.Rows, []string{c.Framework, c.ID, c.Title, strings.Join(c.Evidence, ", ")})
	}
	h := render.Table{Title: "Who holds what and why (holdings)", Columns: []string{"user", "name", "active", "pool", "sku", "model", "state", "source", "granted by", "since", "job code", "department"}}
	for _, x := range e.Holdings {
		h.Rows = append(h.Rows, []string{x.User, x.Name, yes(x.Active), x.Pool, x.SKU, x.Model, x.State, x.Source, x.GrantedBy, stamp(x.Since), x.JobCode, x.Department})
	}
	g := render.Table{Title: "Grants in the period (grants)", Columns: []string{"at", "user", "pool", "sku", "source", "by"}}
	for _, x := range e.Grants {
		g.Rows = append(g.Rows, []string{stamp(x.At), x.User, x.Pool, x.SKU, x.Source, x.By})
	}
	rv := render.Table{Title: "Revocations in the period (revocations)", Columns: []string{"at", "user", "pool", "sku", "source", "by", "reason"}}
	for _, x := range e.Revocations {
		rv.Rows = append(rv.Rows, []string{stamp(x.At), x.User, x.Pool, x.SKU, x.Source, x.By, x.Reason})
	}
	l := render.Table{Title: "Leavers and time to revoke (leavers)", Columns: []string{"user", "kind", "received", "every seat revoked", "time to revoke"},
		Note: fmt.Sprintf("Median time to revoke %s, longest %s.", secs(e.LeaverP50), secs(e.LeaverMax))}
	for _, x := range e.Leavers {
		done, took := "in progress", ""
		if x.RevokedAt != nil {
			done, took = stamp(*x.RevokedAt), secs(x.SecondsToRevoke)
		}
		l.Rows = append(l.Rows, []string{x.User, x.Kind, stamp(x.ReceivedAt), done, took})
	}
	in := render.Table{Title: "Integrations and their acting users (integrations)", Columns: []string{"integration", "mode", "service account", "acting user", "resolved", "calls", "fulfiller actions", "unlicensed fulfiller actions"}}
	for _, x := range e.Integrations {
		in.Rows = append(in.Rows, []string{x.Integration, x.Mode, x.ServiceAccount, x.ActingUser, yes(x.Resolved), itoa(x.Calls), itoa(x.Fulfiller), itoa(x.Unlicensed)})
	}
	s.Tables = []render.Table{ctl, h, g, rv, l, in}
	return s
}
