package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"math"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/plural"
	"github.com/seatkeeper/seatkeeper/internal/report/mix"
	"github.com/seatkeeper/seatkeeper/internal/reporting"
)

// reportView is a computed (or frozen) report as its page shows it: the
// headline figures, the section's paragraphs, every chart and heat map as
// inline SVG, and every table. The same view serves the report pages and
// the share links, so a shared figure reads exactly as it did.
type reportView struct {
	Name, Title string
	Period      string
	TakenAt     time.Time
	Taken       string // TakenAt for people
	Contents    []option
	Figures     []figure
	Paragraphs  []string
	Charts      []chartView
	Tables      []tableView
	// The download links; empty on a share link, which offers none.
	PDFHref, JSONHref, PackHref string
}

// figure is one headline number: Value, what it counts (Label), and of
// what (Title: a pool, a SKU) when the report has several.
type figure struct {
	Key, Title, Value, Label, Note string
	Warn                           bool
}

// chartView is a chart or heat map: N is its number in exports (charts
// first, heat maps after), Wide and Narrow its SVG for screens and phones.
type chartView struct {
	N                int
	Title            string
	Heat             bool
	Wide, Narrow     template.HTML
	Failed           bool
	SVGHref, PNGHref string
}

// tableView is a table with the rows the page shows.
type tableView struct {
	N       int
	Title   string
	Head    []cell
	Rows    [][]cell
	Note    string
	Total   int // rows in the table (and its CSV)
	CSVHref string
}

// cell is a table cell; figures are right-aligned.
type cell struct {
	Text string
	Num  bool
}

// tableRowsShown bounds the rows a page shows of one table; the CSV has
// them all.
const tableRowsShown = 500

// Chart sizes on the page, in points: the exports' size for screens and
// print, and a narrower drawing (same fonts, fewer ticks) for phones.
const (
	wideW, wideH     = 720, 320
	narrowW, narrowH = 300, 250
)

// reportView builds the page's view of a report. query is its query string
// for download links ("" on a share link).
func (p *Pages) reportView(rep reporting.Presenter, name string, query url.Values) reportView {
	s := rep.Section()
	h := headerOf(rep)
	v := reportView{Name: name, Title: s.Title, Period: periodText(h.From, h.To), TakenAt: h.TakenAt, Taken: readableTime(h.TakenAt),
		Figures: figures(rep), Paragraphs: s.Paragraphs}
	// href is a download of this report: its query and what to export.
	href := func(kv ...string) string {
		if query == nil {
			return ""
		}
		q := url.Values{}
		for k, vs := range query {
			q[k] = vs
		}
		for i := 0; i+1 < len(kv); i += 2 {
			q.Set(kv[i], kv[i+1])
		}
		return "/reports/" + name + "/export?" + q.Encode()
	}
	if query != nil {
		v.PDFHref, v.JSONHref, v.PackHref = href("format", "pdf"), href("format", "json"), "/reports/pack.pdf?"+query.Encode()
	}
	n := 0
	for _, c := range s.Charts {
		n++
		cv := p.chart(n, c.Title, false,
			func(w io.Writer) error { return c.SVG(w, wideW, wideH) },
			func(w io.Writer) error { return c.SVG(w, narrowW, narrowH) })
		cv.SVGHref, cv.PNGHref = href("format", "svg", "chart", strconv.Itoa(n)), href("format", "png", "chart", strconv.Itoa(n))
		v.Charts = append(v.Charts, cv)
	}
	for _, hm := range s.Heatmaps {
		n++
		cv := p.chart(n, hm.Title, true,
			func(w io.Writer) error { return hm.SVG(w, wideW, wideH) },
			func(w io.Writer) error { return hm.SVG(w, narrowW, narrowH) })
		cv.SVGHref, cv.PNGHref = href("format", "svg", "chart", strconv.Itoa(n)), href("format", "png", "chart", strconv.Itoa(n))
		v.Charts = append(v.Charts, cv)
	}
	v.Charts = groupCharts(v.Charts)
	v.Contents = []option{{"#figures", "Key figures"}}
	if len(v.Charts) > 0 {
		v.Contents = append(v.Contents, option{"#charts", "Charts"})
	}
	for i, t := range s.Tables {
		v.Contents = append(v.Contents, option{"#table-" + strconv.Itoa(i+1), t.Title})
	}
	if len(v.Paragraphs) > 0 {
		v.Contents = append(v.Contents, option{"#notes", "How these figures are made"})
	}
	for i, t := range s.Tables {
		tv := tableView{N: i + 1, Title: t.Title, Note: t.Note, Total: len(t.Rows), CSVHref: href("format", "csv", "table", strconv.Itoa(i+1))}
		num := make([]bool, len(t.Columns))
		for j, c := range t.Columns {
			num[j] = numericColumn(t.Rows, j)
			tv.Head = append(tv.Head, cell{columnTitle(c), num[j]})
		}
		for _, row := range t.Rows[:min(len(t.Rows), tableRowsShown)] {
			cells := make([]cell, len(row))
			for j, x := range row {
				cells[j] = cell{x, j < len(num) && num[j]}
			}
			tv.Rows = append(tv.Rows, cells)
		}
		v.Tables = append(v.Tables, tv)
	}
	return v
}

// groupCharts puts each heat map right after the chart of the same pool
// ("Held seats — P", "… by hour of week — P"), so a pool's charts read
// together; their numbers (those of the downloads) stay.
func groupCharts(cs []chartView) []chartView {
	key := func(c chartView) string {
		if i := strings.LastIndex(c.Title, " — "); i >= 0 {
			return c.Title[i:]
		}
		return ""
	}
	out := make([]chartView, 0, len(cs))
	placed := make([]bool, len(cs))
	for i, c := range cs {
		if c.Heat {
			continue
		}
		out, placed[i] = append(out, c), true
		for j, h := range cs {
			if h.Heat && !placed[j] && key(h) != "" && key(h) == key(c) {
				out, placed[j] = append(out, h), true
			}
		}
	}
	for i, c := range cs {
		if !placed[i] {
			out = append(out, c)
		}
	}
	return out
}

// columnTitle writes a table's column name as a heading.
func columnTitle(c string) string {
	if c == "sku" {
		return "SKU"
	}
	return upperFirst(strings.ReplaceAll(c, "sku", "SKU"))
}

// chart draws one chart at both sizes; a drawing that fails is logged and
// shown as such, and the rest of the page still renders.
func (p *Pages) chart(n int, title string, heat bool, wide, narrow func(io.Writer) error) chartView {
	cv := chartView{N: n, Title: title, Heat: heat}
	var err error
	if cv.Wide, err = inlineSVG(wide); err == nil {
		cv.Narrow, err = inlineSVG(narrow)
	}
	if err != nil {
		p.log.Error("draw report chart", "chart", title, "err", err)
		cv.Failed, cv.Wide, cv.Narrow = true, "", ""
	}
	return cv
}

var (
	styleAttr = regexp.MustCompile(`style="([^"]*)"`)
	// svgPresentation are the style properties the renderer writes that
	// SVG also takes as presentation attributes.
	svgPresentation = map[string]bool{"fill": true, "fill-opacity": true, "stroke": true, "stroke-opacity": true, "stroke-width": true,
		"stroke-dasharray": true, "stroke-dashoffset": true, "stroke-linecap": true, "stroke-linejoin": true, "font-family": true,
		"font-size": true, "font-weight": true, "font-style": true, "font-variant": true, "opacity": true}
)

// inlineSVG draws an SVG document for embedding in the page: without its
// XML prolog, and with its style attributes written as presentation
// attributes, which the pages' Content-Security-Policy (no inline styles)
// leaves alone. Its text was escaped by the renderer.
func inlineSVG(draw func(io.Writer) error) (template.HTML, error) {
	var buf bytes.Buffer
	if err := draw(&buf); err != nil {
		return "", err
	}
	doc := buf.String()
	i := strings.Index(doc, "<svg")
	if i < 0 {
		return "", fmt.Errorf("web: chart: no <svg> element")
	}
	doc = styleAttr.ReplaceAllStringFunc(doc[i:], func(attr string) string {
		var b strings.Builder
		for decl := range strings.SplitSeq(styleAttr.FindStringSubmatch(attr)[1], ";") {
			k, v, ok := strings.Cut(decl, ":")
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
			if !ok && k == "" {
				continue
			}
			if !ok || !svgPresentation[k] || strings.ContainsAny(v, `"<>&`) {
				return attr // not one we know: leave the whole attribute
			}
			if svgInherited[k+":"+v] {
				continue // what every element has: said once, on the root
			}
			b.WriteString(k + `="` + v + `" `)
		}
		return strings.TrimSpace(b.String())
	})
	doc = strings.Replace(doc, "<svg ", `<svg font-family="`+svgFont+`" `, 1)
	return template.HTML(doc), nil //nolint:gosec // the renderer's own SVG, its text escaped
}

// svgFont is the font the renderer names on every text element.
const svgFont = "'Liberation Sans',Arial,Helvetica,sans-serif"

// svgInherited are declarations dropped from each element: the initial
// values, and the font, which the root element sets for all (a page of
// heat maps has thousands of text elements).
var svgInherited = map[string]bool{"font-family:" + svgFont: true, "font-variant:normal": true, "font-style:normal": true,
	"font-weight:normal": true, "fill-opacity:1": true, "stroke-opacity:1": true}

// numericColumn reports whether a column holds figures (right-aligned).
func numericColumn(rows [][]string, j int) bool {
	seen := false
	for _, r := range rows {
		if j >= len(r) || r[j] == "" {
			continue
		}
		if !numeric.MatchString(r[j]) {
			return false
		}
		seen = true
	}
	return seen
}

var numeric = regexp.MustCompile(`^(?:[A-Z]{3} )?-?[0-9][0-9.,]*%?$|^(?:[0-9]+h)?(?:[0-9]+m)?(?:[0-9.]+s)?$`)

// headerOf is a report's period and time taken.
func headerOf(rep reporting.Presenter) reporting.Header {
	switch r := rep.(type) {
	case *reporting.UsageReport:
		return r.Header
	case *reporting.ShelfwareReport:
		return r.Header
	case *reporting.CostReport:
		return r.Header
	case *reporting.MixReport:
		return r.Header
	case *reporting.EvidenceReport:
		return r.Header
	}
	return reporting.Header{}
}

// decodeSnapshot reads a share link's frozen report back into its type.
func decodeSnapshot(report string, snap []byte) (reporting.Presenter, error) {
	var rep reporting.Presenter
	switch report {
	case reporting.Utilization, reporting.Denials:
		rep = &reporting.UsageReport{}
	case reporting.Shelfware:
		rep = &reporting.ShelfwareReport{}
	case reporting.Cost:
		rep = &reporting.CostReport{}
	case reporting.Mix:
		rep = &reporting.MixReport{}
	case reporting.Evidence:
		rep = &reporting.EvidenceReport{}
	default:
		return nil, fmt.Errorf("web: share link of unknown report %q", report)
	}
	if err := json.Unmarshal(snap, rep); err != nil {
		return nil, fmt.Errorf("web: share snapshot of %s: %w", report, err)
	}
	return rep, nil
}

// periodText writes a period for people: whole days as dates (the end
// inclusive), otherwise with the hours.
func periodText(from, to time.Time) string {
	from, to = from.UTC(), to.UTC()
	if from.IsZero() && to.IsZero() {
		return ""
	}
	day := 24 * time.Hour
	if from.Equal(from.Truncate(day)) && to.Equal(to.Truncate(day)) {
		last := to.AddDate(0, 0, -1)
		if last.Equal(from) {
			return from.Format("2 Jan 2006") + " (UTC)"
		}
		return from.Format("2 Jan 2006") + " – " + last.Format("2 Jan 2006") + " (UTC)"
	}
	return from.Format("2 Jan 2006 15:04") + " – " + to.Format("2 Jan 2006 15:04") + " UTC"
}

// ---- headline figures ----

// figures are the few numbers a licence manager or a CFO reads first.
func figures(rep reporting.Presenter) []figure {
	switch r := rep.(type) {
	case *reporting.UsageReport:
		if r.Report == reporting.Denials {
			return denialFigures(r)
		}
		return usageFigures(r)
	case *reporting.ShelfwareReport:
		return []figure{
			{Key: "shelfware", Value: strconv.Itoa(r.Shelfware), Label: fmt.Sprintf("%s unused for %s or more", plural.Noun(int64(r.Shelfware), "named seat"), plural.Of(r.IdleDays, "day")), Note: fmt.Sprintf("of %s assigned", plural.Of(len(r.Holdings), "named seat")), Warn: r.Shelfware > 0},
			{Key: "never-used", Value: strconv.Itoa(r.NeverUsed), Label: "never used since they were assigned"},
			{Key: "yearly-saving", Value: bigMoney(r.Currency, r.YearlySaving), Label: "a year saved by reclaiming the unused seats"},
		}
	case *reporting.CostReport:
		var runRate float64
		for _, pl := range r.Pools {
			runRate += float64(pl.Seats) * pl.MonthlyPrice * 12
		}
		return []figure{
			{Key: "spend", Value: bigMoney(r.Currency, r.Spend), Label: "spent over the period"},
			{Key: "run-rate", Value: bigMoney(r.Currency, runRate), Label: "a year at today's seats and prices"},
			{Key: "active-people", Value: strconv.Itoa(r.ActivePeople), Label: "people used a seat in the period"},
			{Key: "cost-per-active", Value: bigMoney(r.Currency, r.CostPerActive), Label: "spent per person who used a seat"},
			{Key: "shelfware-cost", Value: bigMoney(r.Currency, r.ShelfwareCost), Label: "a year on named seats nobody uses", Warn: r.ShelfwareCost > 0},
			{Key: "yearly-saving", Value: bigMoney(r.Currency, r.YearlySaving), Label: "a year to save", Note: "reclaim the unused named seats, size concurrent pools to their peak"},
		}
	case *reporting.MixReport:
		return mixFigures(r)
	case *reporting.EvidenceReport:
		chain := figure{Key: "audit", Value: strconv.FormatInt(r.Audit.Entries, 10), Label: "audit entries, hash chain verified intact"}
		if !r.Audit.Verified {
			chain = figure{Key: "audit", Value: "broken", Label: "the audit chain FAILED verification", Note: r.Audit.Problem, Warn: true}
		}
		return []figure{chain,
			{Key: "holdings", Value: strconv.Itoa(len(r.Holdings)), Label: "seats held, each with why"},
			{Key: "grants", Value: strconv.Itoa(len(r.Grants)), Label: "grants in the period"},
			{Key: "revocations", Value: strconv.Itoa(len(r.Revocations)), Label: "revocations in the period"},
			{Key: "leavers", Value: seconds(r.LeaverP50), Label: "median time from a leaver to every seat revoked", Note: fmt.Sprintf("%s, longest %s", plural.Of(len(r.Leavers), "leaver"), seconds(r.LeaverMax))},
		}
	}
	return nil
}

func usageFigures(r *reporting.UsageReport) []figure {
	var out []figure
	for _, pl := range r.Pools {
		o := pl.Overall
		f := figure{Key: "pool-" + pl.Pool, Title: pl.Pool, Value: fmt.Sprintf("%d of %d", o.Peak, pl.Seats), Label: "seats held at the peak",
			Note: fmt.Sprintf("p95 %d · every seat taken %s of working time · %s", o.P95, percent(o.AtCapacityShare), plural.Of(o.TrueDenials, "true denial")), Warn: o.TrueDenials > 0}
		if len(pl.TrueUps) > 0 {
			f.Note += fmt.Sprintf(" · overdraft used in %s: true-up due", plural.Of(len(pl.TrueUps), "month"))
			f.Warn = true
		}
		if pl.Model == string(licensing.ModelNamed) {
			f.Label = "named seats assigned"
			f.Note = fmt.Sprintf("%d of the holders used them in the period", o.ActivePeople)
		}
		out = append(out, f)
	}
	return out
}

func denialFigures(r *reporting.UsageReport) []figure {
	var maxed, truly, starts, joins int
	var wait float64
	for _, pl := range r.Pools {
		maxed, truly, starts, joins = maxed+pl.Overall.MaxedOut, truly+pl.Overall.TrueDenials, starts+pl.Overall.Starts, joins+pl.Queue.Joins
		wait = math.Max(wait, pl.Queue.WaitP95)
	}
	other := 0
	for _, u := range r.Unpooled {
		other += u.Count
	}
	rate := 0.0
	if starts+truly > 0 {
		rate = float64(truly) / float64(starts+truly)
	}
	return []figure{
		{Key: "maxed-out", Value: strconv.Itoa(maxed), Label: "refusals because every seat was taken"},
		{Key: "true-denials", Value: strconv.Itoa(truly), Label: "true denials: not met later by a retry or another pool", Note: percent(rate) + " of seat requests", Warn: truly > 0},
		{Key: "queue-joins", Value: strconv.Itoa(joins), Label: "queue joins", Note: "longest p95 wait " + seconds(wait)},
		{Key: "other-refusals", Value: strconv.Itoa(other), Label: "refusals for a missing licence or module"},
	}
}

// mixFigures set today's mix beside the recommended one, with what each
// denies: the recommendation may cost more when today's denies too many.
func mixFigures(r *reporting.MixReport) []figure {
	var out []figure
	for _, m := range r.SKUs {
		var today, rec *reporting.MixOption
		for i := range m.Options {
			switch m.Options[i].Name {
			case "today":
				today = &m.Options[i]
			case mix.Recommended:
				rec = &m.Options[i]
			}
		}
		seatsOf := func(o *reporting.MixOption) string {
			return fmt.Sprintf("%d named + %d concurrent %s", o.NamedSeats, o.ConcurrentSeats, plural.Noun(int64(o.NamedSeats+o.ConcurrentSeats), "seat"))
		}
		target := " (target " + percent(r.Target) + ")"
		if today != nil {
			out = append(out, figure{Key: "mix-today-" + m.SKU, Title: m.SKU + " today", Value: bigMoney(r.Currency, today.YearlyCost), Label: "a year for " + seatsOf(today),
				Note: percent(today.ReplayedDenialRate) + " of requests truly denied on replay" + target, Warn: today.ReplayedDenialRate > r.Target})
		}
		if rec != nil {
			f := figure{Key: "mix-recommended-" + m.SKU, Title: m.SKU + " recommended", Value: bigMoney(r.Currency, rec.YearlyCost), Label: "a year for " + seatsOf(rec),
				Note: percent(rec.ReplayedDenialRate) + " truly denied on replay" + target}
			switch {
			case m.YearlySaving > 0:
				f.Note += " · saves " + bigMoney(r.Currency, m.YearlySaving) + " a year"
			case m.YearlySaving < 0 && today != nil && today.ReplayedDenialRate > r.Target:
				f.Note += " · costs " + bigMoney(r.Currency, -m.YearlySaving) + " a year more than today, which denies more than the target"
			case m.YearlySaving < 0:
				f.Note += " · costs " + bigMoney(r.Currency, -m.YearlySaving) + " a year more than today"
			}
			out = append(out, f)
		}
	}
	return out
}

// bigMoney is money for a headline: whole units from a thousand up.
func bigMoney(currency string, v float64) string {
	s := money(currency, v)
	if math.Abs(v) >= 1000 {
		s = strings.TrimSuffix(s, s[strings.LastIndex(s, "."):])
	}
	return s
}

// money writes an amount with its currency and thousands separators.
func money(currency string, v float64) string {
	neg := v < 0
	s := strconv.FormatFloat(math.Abs(v), 'f', 2, 64)
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	out := b.String() + "." + frac
	if neg {
		out = "−" + out
	}
	return currency + " " + out
}

func percent(v float64) string { return strconv.FormatFloat(100*v, 'f', 1, 64) + "%" }

func seconds(v float64) string {
	if v == 0 {
		return "0s"
	}
	return (time.Duration(v * float64(time.Second))).Round(time.Second).String()
}
