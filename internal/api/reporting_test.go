package api

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"image"
	_ "image/png" // PNG exports are decoded
	"io"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/report"
	"github.com/seatkeeper/seatkeeper/internal/reporting"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

// The tests in this file drive the reports (DESIGN §3.7) end to end: real
// sessions and refusals through the API, the reports and their exports read
// back over loopback HTTP, and share links.

// reportDay is the Wednesday the report tests happen on (10:00 UTC, in
// working time): the clock is pinned to it so every figure is exact.
var reportDay = time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)

// pin sets the test clock to at.
func (e *testEnv) pin(at time.Time) {
	e.clock.advance(at.Sub(e.clock.now()))
}

// reportPeriod is March 2026, around reportDay.
const reportPeriod = "from=2026-03-01&to=2026-03-31"

// seedReports builds the history the report tests read, on the pinned
// clock:
//   - dan holds a named seat of agents-named (2 seats, 95/month) since 40
//     days before reportDay and never used it; eve holds one since reportDay;
//   - floating (2 concurrent seats, 140/month): ann and bob take both seats
//     a minute apart, cid is refused licence_maxed_out a minute later, ann
//     logs out five minutes after that and cid gets the seat at once;
//   - the reports are read five minutes later (reportDay + 12m).
func seedReports(t *testing.T) *testEnv {
	t.Helper()
	e := newTestEnv(t)
	e.pin(reportDay.AddDate(0, 0, -40))
	e.must(201, "POST", "/api/v1/skus", skuAgentJSON)
	e.must(201, "POST", "/api/v1/pools", `{"id":"agents-named","sku":"agent","model":"named","seats":2,"monthly_price":95}`)
	e.must(201, "POST", "/api/v1/pools", `{"id":"floating","sku":"agent","model":"concurrent","seats":2,"idle_timeout":"30m","monthly_price":140}`)
	for i, n := range []string{"ann", "bob", "cid", "dan", "eve"} {
		e.must(201, "POST", "/api/v1/users", person(n, "E50"+strconv.Itoa(i)))
	}
	e.must(201, "PUT", "/api/v1/pools/agents-named/members/dan@example.com", nil)
	e.pin(reportDay)
	e.must(201, "PUT", "/api/v1/pools/agents-named/members/eve@example.com", nil)
	for _, n := range []string{"ann", "bob", "cid"} {
		e.must(201, "PUT", "/api/v1/pools/floating/members/"+n+"@example.com", nil)
	}
	var ann sessionJSON
	e.must(201, "POST", "/api/v1/sessions", `{"user":"ann@example.com"}`).into(t, &ann)
	e.clock.advance(time.Minute)
	e.must(201, "POST", "/api/v1/sessions", `{"user":"bob@example.com"}`)
	e.clock.advance(time.Minute)
	wantError(t, e.call("POST", "/api/v1/sessions", `{"user":"cid@example.com"}`), 409, "licence_maxed_out", "pool")
	e.clock.advance(5 * time.Minute)
	e.must(204, "DELETE", "/api/v1/sessions/"+ann.ID, nil)
	e.must(201, "POST", "/api/v1/sessions", `{"user":"cid@example.com"}`)
	e.clock.advance(5 * time.Minute)
	return e
}

func poolUsage(t *testing.T, u reporting.UsageReport, pool string) reporting.PoolUsage {
	t.Helper()
	for _, p := range u.Pools {
		if p.Pool == pool {
			return p
		}
	}
	t.Fatalf("report %s has no pool %q: %+v", u.Report, pool, u.Pools)
	return reporting.PoolUsage{}
}

func near(got, want, within float64) bool { return got >= want-within && got <= want+within }

func TestReportUtilization(t *testing.T) {
	e := seedReports(t)
	var u reporting.UsageReport
	e.must(200, "GET", "/api/v1/reports/utilization?"+reportPeriod, nil).into(t, &u)
	if u.Report != "utilization" || !u.From.Equal(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)) || !u.To.Equal(time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("header %+v, want utilization of [1 Mar, 1 Apr)", u.Header)
	}
	if u.Bucket != "day" || u.Tolerance != "10m" || u.Working != "08:00–18:00 Mon–Fri UTC" {
		t.Errorf("bucket %q tolerance %q working %q, want the defaults", u.Bucket, u.Tolerance, u.Working)
	}
	if len(u.Pools) != 2 || u.Pools[0].Pool != "agents-named" || u.Pools[1].Pool != "floating" {
		t.Fatalf("pools %+v, want agents-named and floating", u.Pools)
	}
	f := poolUsage(t, u, "floating")
	o := f.Overall
	if f.Seats != 2 || f.Capacity != 2 || f.SKU != "agent" || f.Model != "concurrent" || f.Registered != 3 {
		t.Errorf("floating: seats %d capacity %d sku %s model %s registered %d, want 2 2 agent concurrent 3", f.Seats, f.Capacity, f.SKU, f.Model, f.Registered)
	}
	// Three leases, both seats held from +1m to +12m (ann until +7m, then
	// cid), one refusal met five minutes later: not a true denial within
	// the default ten minutes.
	if o.Peak != 2 || o.Starts != 3 || o.ActivePeople != 3 || o.MaxedOut != 1 || o.TrueDenials != 0 {
		t.Errorf("floating overall %+v, want peak 2, starts 3, active 3, maxed_out 1, true_denials 0", o)
	}
	if !near(float64(o.AtCapacitySeconds), 660, 5) {
		t.Errorf("at capacity %ds, want 660s (11 minutes)", o.AtCapacitySeconds)
	}
	if len(f.Denials) != 1 || f.Denials[0] != (reporting.ReasonCount{Reason: "licence_maxed_out", Count: 1}) {
		t.Errorf("floating denials %+v, want one licence_maxed_out", f.Denials)
	}
	if f.Queue != (reporting.QueueStats{}) {
		t.Errorf("floating queue %+v, want none (the pool has no queue)", f.Queue)
	}
	// Day buckets up to today (1 to 4 March), the refusal and the peak on
	// the 4th.
	if len(f.Buckets) != 4 {
		t.Fatalf("%d buckets, want the 4 days of March observed", len(f.Buckets))
	}
	for _, b := range f.Buckets {
		onDay := b.Start.Equal(report.DayStart(reportDay))
		if (b.MaxedOut == 1) != onDay || (b.Peak == 2) != onDay || (b.Starts == 3) != onDay {
			t.Errorf("bucket %s: %+v (the history is all on %s)", b.Start, b.Stats, reportDay.Format(time.DateOnly))
		}
	}
	// Wednesday 10:00: the heat map's busiest hour.
	if f.HeatPeak[2][10] != 2 {
		t.Errorf("heat_peak[Wed][10] = %d, want 2", f.HeatPeak[2][10])
	}
	n := poolUsage(t, u, "agents-named")
	if n.Seats != 2 || n.Overall.Peak != 2 || n.Registered != 2 || n.Overall.MaxedOut != 0 {
		t.Errorf("agents-named %+v overall %+v, want 2 seats, both held, 2 registered", n.Utilization, n.Overall)
	}

	// A tolerance shorter than the five minutes makes the refusal a true one.
	e.must(200, "GET", "/api/v1/reports/utilization?"+reportPeriod+"&tolerance=1m", nil).into(t, &u)
	if o := poolUsage(t, u, "floating").Overall; o.MaxedOut != 1 || o.TrueDenials != 1 || u.Tolerance != "1m" {
		t.Errorf("tolerance 1m: %+v (tolerance %s), want maxed_out 1, true_denials 1", o, u.Tolerance)
	}
	// One pool; hourly buckets; a period before the history has none of it.
	e.must(200, "GET", "/api/v1/reports/utilization?"+reportPeriod+"&pool=floating&bucket=hour", nil).into(t, &u)
	if len(u.Pools) != 1 || u.Pool != "floating" || u.Bucket != "hour" || len(u.Pools[0].Buckets) != 4*24 {
		t.Errorf("pool=floating&bucket=hour: pool %q bucket %q, %d pools, %d buckets, want floating's %d hours", u.Pool, u.Bucket, len(u.Pools), len(u.Pools[0].Buckets), 4*24)
	}
	e.must(200, "GET", "/api/v1/reports/utilization?from=2026-02-01&to=2026-02-10", nil).into(t, &u)
	if o := poolUsage(t, u, "floating").Overall; o.Peak != 0 || o.Starts != 0 || o.MaxedOut != 0 {
		t.Errorf("February: %+v, want nothing", o)
	}
	// Each read is audited with its parameters.
	last := e.lastAudit(1)[0]
	if last["action"] != "report.view" || last["subject"] != "report:utilization" || !strings.Contains(last["detail"].(string), "format=json") ||
		!strings.Contains(last["detail"].(string), "from=2026-02-01T00%3A00%3A00Z") {
		t.Errorf("last audit entry %v, want report.view of report:utilization with the period", last)
	}
}

func TestReportDenials(t *testing.T) {
	e := seedReports(t)
	// A person with no seat at all is an unpooled denial.
	e.must(201, "POST", "/api/v1/users", person("fay", "E599"))
	var d decisionJSON
	e.must(200, "POST", "/api/v1/decide", `{"user":"fay@example.com","capability":"ticket.transition"}`).into(t, &d)
	if d.Allow || d.Reason != "no_licence" {
		t.Fatalf("fay's decision %+v, want no_licence", d)
	}
	var u reporting.UsageReport
	for _, c := range []struct {
		tol  string
		true int
	}{{"", 0}, {"&tolerance=4m", 1}, {"&tolerance=6m", 0}} {
		e.must(200, "GET", "/api/v1/reports/denials?"+reportPeriod+c.tol, nil).into(t, &u)
		o := poolUsage(t, u, "floating").Overall
		if u.Report != "denials" || o.MaxedOut != 1 || o.TrueDenials != c.true {
			t.Errorf("denials%s: report %q, %+v, want maxed_out 1, true_denials %d", c.tol, u.Report, o, c.true)
		}
	}
	if !reflect.DeepEqual(u.Unpooled, []reporting.ReasonCount{{Reason: "no_licence", Count: 1}}) {
		t.Errorf("unpooled denials %+v, want fay's no_licence", u.Unpooled)
	}
	// The reason table as CSV.
	r := e.must(200, "GET", "/api/v1/reports/denials?"+reportPeriod+"&format=csv&table=2", nil)
	rows := readCSV(t, r)
	if !reflect.DeepEqual(rows[0], []string{"reason", "count"}) || !slices2Contains(rows[1:], []string{"licence_maxed_out", "1"}) {
		t.Errorf("denials by reason %v, want a header and licence_maxed_out 1", rows)
	}
}

// slices2Contains reports whether rows holds row.
func slices2Contains(rows [][]string, row []string) bool {
	for _, r := range rows {
		if reflect.DeepEqual(r, row) {
			return true
		}
	}
	return false
}

func TestReportShelfwareAndCost(t *testing.T) {
	e := seedReports(t)
	var s reporting.ShelfwareReport
	e.must(200, "GET", "/api/v1/reports/shelfware?"+reportPeriod, nil).into(t, &s)
	if s.Report != "shelfware" || s.IdleDays != 30 || s.Currency != "EUR" || len(s.Holdings) != 2 {
		t.Fatalf("shelfware %+v, want 2 named holdings, idle_days 30, EUR", s)
	}
	byUser := map[string]reporting.Holding{}
	for _, h := range s.Holdings {
		byUser[h.User] = h
	}
	dan, eve := byUser["dan@example.com"], byUser["eve@example.com"]
	if dan.IdleDays != 40 || !dan.Never || !dan.Shelf || dan.LastUsed != nil || dan.YearlyCost != 1140 || dan.Pool != "agents-named" || dan.Source != "manual" {
		t.Errorf("dan %+v, want 40 idle days, never used, shelfware, 1140 a year", dan)
	}
	if eve.IdleDays != 0 || eve.Shelf || !eve.Never {
		t.Errorf("eve %+v, want 0 idle days, not shelfware", eve)
	}
	if s.Shelfware != 1 || s.NeverUsed != 2 || s.YearlySaving != 1140 {
		t.Errorf("totals shelfware %d never %d saving %v, want 1, 2, 1140", s.Shelfware, s.NeverUsed, s.YearlySaving)
	}
	e.must(200, "GET", "/api/v1/reports/shelfware?idle_days=41", nil).into(t, &s)
	if s.Shelfware != 0 || s.YearlySaving != 0 {
		t.Errorf("idle_days=41: shelfware %d saving %v, want none", s.Shelfware, s.YearlySaving)
	}

	var c reporting.CostReport
	e.must(200, "GET", "/api/v1/reports/cost?"+reportPeriod, nil).into(t, &c)
	if c.Report != "cost" || c.Currency != "EUR" || len(c.Pools) != 2 {
		t.Fatalf("cost %+v, want both pools in EUR", c)
	}
	named, float := c.Pools[0], c.Pools[1]
	// The whole of March: every seat's monthly price once.
	if named.Pool != "agents-named" || named.Spend != 190 || named.Shelfware != 1 || named.Unassigned != 0 || named.ResizeTo != 1 || named.YearlySaving != 1140 {
		t.Errorf("agents-named %+v, want spend 190, 1 shelfware seat, resize to 1, saving 1140", named)
	}
	if len(named.Months) != 1 || named.Months[0] != (report.MonthSpend{Month: "2026-03", Days: 31, Spend: 190}) {
		t.Errorf("agents-named months %+v, want March whole", named.Months)
	}
	if float.Pool != "floating" || float.Spend != 280 || float.ActivePeople != 3 || float.CostPerActive != 93.33 || float.Peak != 2 || float.ResizeTo != 2 || float.YearlySaving != 0 {
		t.Errorf("floating %+v, want spend 280, 3 active at 93.33, peak 2, no saving", float)
	}
	if c.Spend != 470 || c.ActivePeople != 3 || c.CostPerActive != 156.67 || c.ShelfwareCost != 1140 || c.YearlySaving != 1140 {
		t.Errorf("cost totals %+v, want spend 470, 3 active at 156.67, shelfware 1140, saving 1140", c)
	}
	// The currency setting labels every amount.
	e.must(200, "PUT", "/api/v1/reports/settings", `{"currency":"USD"}`)
	e.must(200, "GET", "/api/v1/reports/cost?pool=floating", nil).into(t, &c)
	if c.Currency != "USD" || len(c.Pools) != 1 || c.Pool != "floating" {
		t.Errorf("after USD, pool=floating: currency %q pools %+v", c.Currency, c.Pools)
	}
}

func TestReportMixAndEvidence(t *testing.T) {
	e := seedReports(t)
	var m reporting.MixReport
	e.must(200, "GET", "/api/v1/reports/mix?"+reportPeriod+"&target=0.05&split=0.5", nil).into(t, &m)
	if m.Report != "mix" || m.Target != 0.05 || m.Split != 0.5 || m.Currency != "EUR" || len(m.SKUs) != 1 {
		t.Fatalf("mix %+v, want one SKU at target 0.05, split 0.5", m)
	}
	k := m.SKUs[0]
	if k.SKU != "agent" || k.NamedPrice != 95 || k.ConcPrice != 140 || k.People != 3 || len(k.Options) != 3 {
		t.Fatalf("agent mix %+v, want prices 95 and 140, 3 people with demand, 3 options", k)
	}
	names := []string{k.Options[0].Name, k.Options[1].Name, k.Options[2].Name}
	if !reflect.DeepEqual(names, []string{"all named", "today", "recommended"}) {
		t.Errorf("options %v, want all named, today, recommended", names)
	}
	today := k.Options[1]
	if today.NamedSeats != 2 || today.ConcurrentSeats != 2 || today.YearlyCost != 12*(2*95+2*140) {
		t.Errorf("today %+v, want 2 named and 2 concurrent seats at %d a year", today, 12*(2*95+2*140))
	}
	for _, o := range k.Options {
		if o.YearlyCost != float64(12*(o.NamedSeats*95+o.ConcurrentSeats*140)) {
			t.Errorf("option %s costs %v, want 12 × (%d × 95 + %d × 140)", o.Name, o.YearlyCost, o.NamedSeats, o.ConcurrentSeats)
		}
	}
	if rec := k.Options[2]; k.YearlySaving != today.YearlyCost-rec.YearlyCost {
		t.Errorf("yearly saving %v, want today %v - recommended %v", k.YearlySaving, today.YearlyCost, rec.YearlyCost)
	}
	wantError(t, e.call("GET", "/api/v1/reports/mix?sku=nope", nil), 404, "not_found", "sku")

	var ev reporting.EvidenceReport
	e.must(200, "GET", "/api/v1/reports/evidence?"+reportPeriod, nil).into(t, &ev)
	if ev.Report != "evidence" || len(ev.Controls) != 5 || len(ev.Holdings) != 5 {
		t.Fatalf("evidence: %d controls, %d holdings, want 5 and 5", len(ev.Controls), len(ev.Holdings))
	}
	for _, h := range ev.Holdings {
		if h.User == "" || h.Pool == "" || h.Source != "manual" || h.GrantedBy != "token:admin" || h.Since.IsZero() || h.State != "active" {
			t.Errorf("holding %+v lacks who, what, since or why", h)
		}
	}
	// In March: eve's seat and the three registrations; dan's is older.
	grants := map[string]bool{}
	for _, g := range ev.Grants {
		grants[g.User+"/"+g.Pool] = true
	}
	for _, want := range []string{"eve@example.com/agents-named", "ann@example.com/floating", "bob@example.com/floating", "cid@example.com/floating"} {
		if !grants[want] {
			t.Errorf("grants %v lack %s", grants, want)
		}
	}
	if grants["dan@example.com/agents-named"] {
		t.Errorf("dan's February grant is listed in March")
	}
	if !ev.Audit.Verified || ev.Audit.Entries < 10 || ev.Audit.HeadSeq != ev.Audit.Entries || len(ev.Audit.HeadHash) != 64 || ev.Audit.InPeriod == 0 {
		t.Errorf("audit chain %+v, want verified with its head", ev.Audit)
	}
	e.must(200, "GET", "/api/v1/reports/evidence?pool=floating", nil).into(t, &ev)
	if len(ev.Holdings) != 3 || ev.Pool != "floating" {
		t.Errorf("evidence pool=floating: %d holdings (pool %q), want 3", len(ev.Holdings), ev.Pool)
	}
}

// TestReportMixOnePerson: the optimiser with the smallest history there is
// (one person, one session; every option may name everyone) answers.
func TestReportMixOnePerson(t *testing.T) {
	e := newTestEnv(t)
	e.pin(reportDay)
	e.must(201, "POST", "/api/v1/skus", skuAgentJSON)
	e.must(201, "POST", "/api/v1/pools", `{"id":"floating","sku":"agent","model":"concurrent","seats":2,"monthly_price":140}`)
	e.must(201, "POST", "/api/v1/users", person("ann", "E1"))
	e.must(201, "PUT", "/api/v1/pools/floating/members/ann@example.com", nil)
	e.must(201, "POST", "/api/v1/sessions", `{"user":"ann@example.com"}`)
	e.clock.advance(time.Hour)
	for _, q := range []string{"", "?target=0.5", "?" + reportPeriod + "&split=0.1"} {
		var m reporting.MixReport
		e.must(200, "GET", "/api/v1/reports/mix"+q, nil).into(t, &m)
		if len(m.SKUs) != 1 || len(m.SKUs[0].Options) != 3 || m.SKUs[0].People != 1 {
			t.Errorf("mix%s: %+v, want one SKU, one person, three options", q, m.SKUs)
		}
	}
	e.must(200, "GET", "/api/v1/reports/pack", nil)
}

// readCSV checks a CSV answer and returns its records.
func readCSV(t *testing.T, r reply) [][]string {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("CSV Content-Type %q", ct)
	}
	rows, err := csv.NewReader(bytes.NewReader(r.Body)).ReadAll()
	if err != nil {
		t.Fatalf("CSV does not parse: %v; body %s", err, r)
	}
	if len(rows) == 0 {
		t.Fatalf("CSV is empty")
	}
	return rows
}

func TestReportExports(t *testing.T) {
	e := seedReports(t)
	base := "/api/v1/reports/"

	// CSV: the per-pool table with its header row.
	r := e.must(200, "GET", base+"utilization?"+reportPeriod+"&format=csv", nil)
	if cd := r.Header.Get("Content-Disposition"); cd != `attachment; filename="seatkeeper-utilization-20260301-20260401-1.csv"` {
		t.Errorf("Content-Disposition %q", cd)
	}
	rows := readCSV(t, r)
	head := rows[0]
	if len(rows) != 3 || head[0] != "pool" || !slicesContain(head, "peak") || !slicesContain(head, "true denials") {
		t.Fatalf("utilization CSV %v, want a header and two pools", rows)
	}
	col := func(name string) int {
		for i, h := range head {
			if h == name {
				return i
			}
		}
		t.Fatalf("no column %q in %v", name, head)
		return -1
	}
	if f := rows[2]; f[0] != "floating" || f[col("peak")] != "2" || f[col("maxed out")] != "1" || f[col("true denials")] != "0" || f[col("leases started")] != "3" {
		t.Errorf("floating row %v", f)
	}
	rows = readCSV(t, e.must(200, "GET", base+"utilization?"+reportPeriod+"&format=csv&table=2", nil))
	if rows[0][0] != "pool" || rows[0][1] != "bucket start" || len(rows) != 1+2*4 {
		t.Errorf("per-bucket CSV: header %v, %d rows, want 8 (2 pools, 4 days)", rows[0], len(rows)-1)
	}
	for _, name := range reporting.Names {
		rows := readCSV(t, e.must(200, "GET", base+name+"?format=csv", nil))
		if len(rows[0]) < 2 {
			t.Errorf("%s CSV header %v", name, rows[0])
		}
	}

	// SVG: well-formed XML with an svg root, for charts and heat maps.
	for _, q := range []string{"utilization?format=svg", "utilization?format=svg&chart=2", "utilization?format=svg&chart=3", "denials?format=svg&chart=2", "cost?format=svg", "mix?format=svg"} {
		r := e.must(200, "GET", base+q, nil)
		if ct := r.Header.Get("Content-Type"); ct != "image/svg+xml" {
			t.Errorf("%s: Content-Type %q", q, ct)
		}
		dec := xml.NewDecoder(bytes.NewReader(r.Body))
		root := ""
		for {
			tok, err := dec.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: SVG is not XML: %v", q, err)
			}
			if se, ok := tok.(xml.StartElement); ok && root == "" {
				root = se.Name.Local
			}
		}
		if root != "svg" {
			t.Errorf("%s: root element %q, want svg", q, root)
		}
	}

	// PNG decodes, at the export size.
	r = e.must(200, "GET", base+"utilization?format=png&chart=1", nil)
	img, kind, err := image.Decode(bytes.NewReader(r.Body))
	if err != nil || kind != "png" {
		t.Fatalf("PNG does not decode: %v (%s)", err, kind)
	}
	if b := img.Bounds(); b.Dx() != 1200 || b.Dy() != 540 || r.Header.Get("Content-Type") != "image/png" {
		t.Errorf("PNG %v, Content-Type %q", b, r.Header.Get("Content-Type"))
	}

	// PDF: each report, and the pack of all of them.
	for _, name := range append(append([]string(nil), reporting.Names...), "pack") {
		r := e.must(200, "GET", base+name+"?"+reportPeriod+"&format=pdf", nil)
		if !bytes.HasPrefix(r.Body, []byte("%PDF-")) || !bytes.Contains(r.Body[max(0, len(r.Body)-64):], []byte("%%EOF")) || r.Header.Get("Content-Type") != "application/pdf" {
			t.Errorf("%s PDF: %d bytes starting %q, Content-Type %q", name, len(r.Body), r.Body[:min(8, len(r.Body))], r.Header.Get("Content-Type"))
		}
	}
	r = e.must(200, "GET", base+"pack?"+reportPeriod, nil)
	if cd := r.Header.Get("Content-Disposition"); cd != `attachment; filename="seatkeeper-pack-20260301-20260401.pdf"` || !bytes.HasPrefix(r.Body, []byte("%PDF-")) {
		t.Errorf("pack: Content-Disposition %q", cd)
	}
	last := e.lastAudit(1)[0]
	if last["action"] != "report.view" || last["subject"] != "report:pack" || !strings.HasSuffix(last["detail"].(string), "format=pdf") {
		t.Errorf("pack audit entry %v", last)
	}
}

func slicesContain(v []string, s string) bool {
	for _, x := range v {
		if x == s {
			return true
		}
	}
	return false
}

// reportState is what bad report and share input must leave alone.
func (e *testEnv) reportState() string {
	e.t.Helper()
	var b strings.Builder
	b.WriteString(strconv.Itoa(e.auditCount()))
	for _, p := range []string{"/api/v1/shares", "/api/v1/reports/settings", "/api/v1/dormant/policies", "/api/v1/dormant/notices", "/api/v1/pools"} {
		b.WriteString("\n" + string(e.must(200, "GET", p, nil).Body))
	}
	return b.String()
}

func TestReportBadInput(t *testing.T) {
	e := seedReports(t)
	before := e.reportState()
	for _, c := range []struct {
		path         string
		status       int
		code, field  string
		alsoForEvery bool // the same answer from every report
	}{
		{"utilization?from=2026-03-10&to=2026-03-01", 400, "invalid_request", "from", true},
		{"utilization?from=2026-03-10&to=2026-03-10T00:30:00Z", 400, "invalid_request", "from", false}, // not a whole hour apart
		{"utilization?from=yesterday", 400, "invalid_request", "from", true},
		{"utilization?to=2026-13-01", 400, "invalid_request", "to", true},
		{"utilization?from=2020-01-01&to=2026-01-01", 400, "invalid_request", "to", true},
		{"utilization?pool=nope", 404, "not_found", "pool", false},
		{"denials?pool=nope", 404, "not_found", "pool", false},
		{"shelfware?pool=nope", 404, "not_found", "pool", false},
		{"cost?pool=nope", 404, "not_found", "pool", false},
		{"evidence?pool=nope", 404, "not_found", "pool", false},
		{"pack?pool=nope", 404, "not_found", "pool", false},
		{"mix?pool=nope", 400, "invalid_request", "pool", false}, // the mix works per SKU
		{"cost?sku=agent", 400, "invalid_request", "sku", false}, // sku shapes the mix only
		{"nope", 404, "not_found", "name", false},
		{"Utilization", 404, "not_found", "name", false},
		{"multiplexing-x", 404, "not_found", "name", false},
		{"mix?target=0", 400, "invalid_request", "target", true},
		{"mix?target=1", 400, "invalid_request", "target", true},
		{"mix?target=-1", 400, "invalid_request", "target", true},
		{"mix?target=x", 400, "invalid_request", "target", true},
		{"mix?target=NaN", 400, "invalid_request", "target", false},
		{"mix?split=0.95", 400, "invalid_request", "split", false},
		{"mix?sku=nope", 404, "not_found", "sku", false},
		{"utilization?format=xls", 400, "invalid_request", "format", true},
		{"utilization?colour=red", 400, "invalid_request", "colour", true},
		{"utilization?from=2026-03-01&from=2026-03-02", 400, "invalid_request", "from", true},
		{"utilization?bucket=year", 400, "invalid_request", "bucket", true},
		{"utilization?bucket=hour&from=2026-01-01&to=2026-06-01", 400, "invalid_request", "bucket", false},
		{"utilization?tolerance=-5m", 400, "invalid_request", "tolerance", true},
		{"utilization?tolerance=48h", 400, "invalid_request", "tolerance", false},
		{"utilization?tolerance=soon", 400, "invalid_request", "tolerance", false},
		{"utilization?working_hours=18-8", 400, "invalid_request", "working_hours", false},
		{"utilization?working_hours=8to18", 400, "invalid_request", "working_hours", false},
		{"utilization?working_hours=8-25", 400, "invalid_request", "working_hours", false},
		{"shelfware?idle_days=0", 400, "invalid_request", "idle_days", false},
		{"shelfware?idle_days=ten", 400, "invalid_request", "idle_days", false},
		{"utilization?format=csv&table=99", 404, "not_found", "table", false},
		{"evidence?format=csv&table=7", 404, "not_found", "table", false},
		{"utilization?format=csv&table=0", 400, "invalid_request", "table", false},
		{"utilization?format=csv&table=x", 400, "invalid_request", "table", false},
		{"utilization?format=svg&chart=5", 404, "not_found", "chart", false}, // 2 charts, 2 heat maps
		{"utilization?format=png&chart=-1", 400, "invalid_request", "chart", false},
		{"shelfware?format=svg", 404, "not_found", "chart", false}, // no charts at all
		{"utilization?format=json&table=2", 400, "invalid_request", "table", false},
		{"utilization?format=csv&chart=2", 400, "invalid_request", "chart", false},
		{"pack?format=csv", 400, "invalid_request", "format", false},
		{"pack?format=json", 400, "invalid_request", "format", false},
		{"pack?format=csv&table=1", 400, "invalid_request", "format", false},
		{"pack?format=svg&chart=1", 400, "invalid_request", "format", false},
	} {
		names := []string{""}
		if c.alsoForEvery {
			names = append(names, reporting.Names...)
			names = append(names, "pack")
		}
		for _, n := range names {
			path := c.path
			if n != "" {
				_, q, _ := strings.Cut(c.path, "?")
				path = n + "?" + q
			}
			r := e.call("GET", "/api/v1/reports/"+path, nil)
			if c.status == 200 {
				if r.Status != 200 {
					t.Errorf("%s: status %d, want 200; body %s", path, r.Status, r)
				}
				continue
			}
			wantError(t, r, c.status, c.code, c.field)
		}
	}
	// An unknown path under reports that is no report.
	wantError(t, e.call("GET", "/api/v1/reports/utilization/x", nil), 404, "not_found", "-")
	wantError(t, e.call("POST", "/api/v1/reports/utilization", nil), 405, "method_not_allowed", "-")

	// Settings.
	for _, body := range []string{`{"currency":"usd"}`, `{"currency":"EURO"}`, `{"currency":"E1R"}`, `{"currency":""}`, `{}`} {
		wantError(t, e.call("PUT", "/api/v1/reports/settings", body), 400, "invalid_request", "currency")
	}
	wantError(t, e.call("PUT", "/api/v1/reports/settings", `{"currency":"USD","rate":1}`), 400, "invalid_request", "rate")
	wantError(t, e.call("PUT", "/api/v1/reports/settings", `{"currency":`), 400, "invalid_request", "-")
	wantError(t, e.call("PUT", "/api/v1/reports/settings", nil), 400, "invalid_request", "-")
	wantError(t, e.call("PUT", "/api/v1/reports/settings", `{"currency":1}`), 400, "invalid_request", "currency")

	// Share links.
	for _, c := range []struct {
		body        string
		status      int
		code, field string
	}{
		{`{"report":"nope"}`, 400, "invalid_request", "report"},
		{`{"report":"pack"}`, 400, "invalid_request", "report"},
		{`{"report":""}`, 400, "invalid_request", "report"},
		{`{}`, 400, "invalid_request", "report"},
		{`{"report":"cost","expires_in":"2184h"}`, 400, "invalid_request", "expires_in"}, // 91 days
		{`{"report":"cost","expires_in":"0s"}`, 400, "invalid_request", "expires_in"},
		{`{"report":"cost","expires_in":"-1h"}`, 400, "invalid_request", "expires_in"},
		{`{"report":"cost","expires_in":"30s"}`, 400, "invalid_request", "expires_in"},
		{`{"report":"cost","expires_in":"a week"}`, 400, "invalid_request", "expires_in"},
		{`{"report":"cost","expires_in":168}`, 400, "invalid_request", "expires_in"},
		{`{"report":"cost","params":{"from":"2026-03-10","to":"2026-03-01"}}`, 400, "invalid_request", "from"},
		{`{"report":"cost","params":{"colour":"red"}}`, 400, "invalid_request", "colour"},
		{`{"report":"cost","params":{"table":"1"}}`, 400, "invalid_request", "table"},
		{`{"report":"cost","params":{"pool":"nope"}}`, 404, "not_found", "pool"},
		{`{"report":"mix","params":{"target":"1"}}`, 400, "invalid_request", "target"},
		{`{"report":"cost","params":{"from":1}}`, 400, "invalid_request", "-"},
		{`{"report":"cost","params":["from"]}`, 400, "invalid_request", "params"},
		{`{"report":"cost","ttl":"1h"}`, 400, "invalid_request", "ttl"},
		{`{"report":"cost"`, 400, "invalid_request", "-"},
		{`{"report":"cost"} {}`, 400, "invalid_request", "-"},
		{`["cost"]`, 400, "invalid_request", "-"},
		{``, 400, "invalid_request", "-"},
		{`{"report":"` + strings.Repeat("x", 1<<20) + `"}`, 413, "request_too_large", "-"},
	} {
		wantError(t, e.call("POST", "/api/v1/shares", c.body), c.status, c.code, c.field)
	}
	wantError(t, e.call("DELETE", "/api/v1/shares/shr_nope", nil), 404, "not_found", "-")
	if after := e.reportState(); after != before {
		t.Errorf("bad input changed something:\nbefore %s\nafter  %s", before, after)
	}
}

func TestReportScopes(t *testing.T) {
	e := seedReports(t)
	plat := e.token("desk", store.ScopePlatform, 0)
	scim := e.token("okta", store.ScopeSCIM, 0)
	integ := e.token("bot", store.ScopeIntegration, 0)
	var share shareJSON
	e.must(201, "POST", "/api/v1/shares", `{"report":"cost"}`).into(t, &share)
	before := e.reportState()

	// A platform token reads reports, exports and settings...
	for _, p := range []string{"/api/v1/reports/utilization", "/api/v1/reports/evidence?format=csv&table=2", "/api/v1/reports/pack", "/api/v1/reports/settings", "/api/v1/dormant/policies", "/api/v1/dormant/notices"} {
		if r := e.request("GET", p, plat, nil); r.Status != 200 {
			t.Errorf("platform GET %s: %d, want 200; body %s", p, r.Status, r)
		}
	}
	// ...but changes nothing and sees no share links.
	writes := []struct{ method, path, body string }{
		{"PUT", "/api/v1/reports/settings", `{"currency":"USD"}`},
		{"GET", "/api/v1/shares", ""},
		{"POST", "/api/v1/shares", `{"report":"cost"}`},
		{"DELETE", "/api/v1/shares/" + share.ID, ""},
		{"POST", "/api/v1/shares/rotate-key", ""},
		{"PUT", "/api/v1/pools/agents-named/dormant-policy", `{"idle_days":30}`},
		{"DELETE", "/api/v1/pools/agents-named/dormant-policy", ""},
		{"POST", "/api/v1/dormant/sweep", ""},
		{"POST", "/api/v1/dormant/notices/dmt_x/reclaim", ""},
		{"POST", "/api/v1/dormant/notices/dmt_x/undo", ""},
	}
	for _, w := range writes {
		var body any
		if w.body != "" {
			body = w.body
		}
		wantError(t, e.request(w.method, w.path, plat, body), 403, "forbidden", "-")
	}
	// SCIM and integration tokens read no reports (an integration is
	// refused on scope before its missing acting user).
	for _, tok := range []string{scim, integ} {
		for _, p := range []string{"/api/v1/reports/utilization", "/api/v1/reports/settings", "/api/v1/shares", "/api/v1/dormant/notices"} {
			wantError(t, e.request("GET", p, tok, nil), 403, "forbidden", "-")
		}
	}
	// No token, or a wrong one: 401 everywhere, with the challenge.
	for _, w := range append(writes, struct{ method, path, body string }{"GET", "/api/v1/reports/cost", ""}, struct{ method, path, body string }{"GET", "/api/v1/dormant/policies", ""}) {
		for _, tok := range []string{"", "not-a-token"} {
			var body any
			if w.body != "" {
				body = w.body
			}
			r := e.request(w.method, w.path, tok, body)
			wantError(t, r, 401, "unauthorized", "-")
			if !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("%s %s: WWW-Authenticate %q", w.method, w.path, r.Header.Get("WWW-Authenticate"))
			}
		}
	}
	// Reading is audited, so compare what the refused calls could change.
	after := e.reportState()
	strip := func(s string) string { _, rest, _ := strings.Cut(s, "\n"); return rest }
	if strip(after) != strip(before) {
		t.Errorf("refused calls changed something:\nbefore %s\nafter  %s", before, after)
	}
}

func TestReportSettings(t *testing.T) {
	e := newTestEnv(t)
	var s settingsJSON
	e.must(200, "GET", "/api/v1/reports/settings", nil).into(t, &s)
	if s.Currency != "EUR" {
		t.Errorf("default currency %q, want EUR", s.Currency)
	}
	e.must(200, "PUT", "/api/v1/reports/settings", `{"currency":"GBP"}`).into(t, &s)
	if s.Currency != "GBP" {
		t.Errorf("PUT answered %q", s.Currency)
	}
	e.must(200, "GET", "/api/v1/reports/settings", nil).into(t, &s)
	if s.Currency != "GBP" {
		t.Errorf("after PUT, currency %q, want GBP", s.Currency)
	}
	if last := e.lastAudit(1)[0]; last["action"] != "setting.update" || last["subject"] != "setting:"+reporting.CurrencySetting || last["detail"] != "GBP" {
		t.Errorf("setting the currency is not audited: %v", last)
	}
}

func TestShares(t *testing.T) {
	e := seedReports(t)
	ctx := context.Background()
	var a shareJSON
	r := e.must(201, "POST", "/api/v1/shares", `{"report":"cost","params":{"from":"2026-03-01","to":"2026-03-31","pool":"floating"},"expires_in":"48h"}`)
	r.into(t, &a)
	if a.ID == "" || a.Report != "cost" || a.State != "active" || a.Views != 0 || a.CreatedBy != "token:admin" || a.RevokedAt != nil {
		t.Errorf("created %+v", a)
	}
	if !a.ExpiresAt.Equal(a.CreatedAt.Add(48*time.Hour)) || a.TakenAt.IsZero() {
		t.Errorf("created %s, expires %s, want 48h later", a.CreatedAt, a.ExpiresAt)
	}
	if a.Params != "bucket=day&from=2026-03-01T00%3A00%3A00Z&pool=floating&to=2026-04-01T00%3A00%3A00Z" {
		t.Errorf("params %q", a.Params)
	}
	if a.URL != e.srv.URL+"/share/"+a.Token || len(strings.Split(a.Token, ".")) != 3 || !strings.HasPrefix(a.Token, a.ID+".") {
		t.Errorf("url %q token %q, want %s/share/TOKEN with ID.KEY.SIG", a.URL, a.Token, e.srv.URL)
	}
	// The frozen report opens with the token, and the view is counted.
	l, err := e.st.OpenShare(ctx, a.Token, "192.0.2.7")
	if err != nil {
		t.Fatalf("OpenShare: %v", err)
	}
	var frozen reporting.CostReport
	if err := json.Unmarshal(l.Snapshot, &frozen); err != nil || frozen.Spend != 280 || frozen.Pool != "floating" {
		t.Errorf("snapshot %s (%v), want floating's cost for March", l.Snapshot, err)
	}
	if _, err := e.st.OpenShare(ctx, a.Token[:len(a.Token)-2]+"xx", "192.0.2.7"); licensing.ErrorCode(err) != licensing.CodeNotFound {
		t.Errorf("a tampered token: %v, want not_found", err)
	}
	var b shareJSON
	e.must(201, "POST", "/api/v1/shares", `{"report":"evidence"}`).into(t, &b)
	if !b.ExpiresAt.Equal(b.CreatedAt.Add(7 * 24 * time.Hour)) {
		t.Errorf("default lifetime: created %s, expires %s, want 7 days", b.CreatedAt, b.ExpiresAt)
	}
	var c shareJSON
	e.must(201, "POST", "/api/v1/shares", `{"report":"utilization","expires_in":"1m"}`).into(t, &c)
	// Every parameter that shaped the frozen report is kept with the link.
	var m shareJSON
	e.must(201, "POST", "/api/v1/shares", `{"report":"mix","params":{"target":"0.05","split":"0.5","idle_days":"7","tolerance":"1m","working_hours":"7-19"}}`).into(t, &m)
	for _, want := range []string{"target=0.05", "split=0.5", "idle_days=7", "tolerance=1m0s", "working_hours=7-19"} {
		if !strings.Contains(m.Params, want) {
			t.Errorf("mix link params %q lack %s", m.Params, want)
		}
	}
	e.must(204, "DELETE", "/api/v1/shares/"+m.ID, nil)

	// The list: newest first, never a token or a URL.
	list := e.must(200, "GET", "/api/v1/shares", nil)
	for _, secret := range []string{a.Token, b.Token, c.Token, "/share/"} {
		if bytes.Contains(list.Body, []byte(secret)) {
			t.Errorf("the list shows %q: %s", secret, list)
		}
	}
	var shares struct {
		Shares []shareJSON `json:"shares"`
	}
	list.into(t, &shares)
	if len(shares.Shares) != 4 || shares.Shares[3].ID != a.ID || shares.Shares[3].Views != 1 || shares.Shares[3].LastView == nil {
		t.Fatalf("list %+v, want 4 links, a last with 1 view", shares.Shares)
	}
	for _, s := range shares.Shares {
		if s.Token != "" || s.URL != "" {
			t.Errorf("listed %+v with a token or url", s)
		}
	}

	// Revoke a: listed as revoked, opening it is link_revoked.
	e.must(204, "DELETE", "/api/v1/shares/"+a.ID, nil)
	wantError(t, e.call("DELETE", "/api/v1/shares/"+a.ID, nil), 409, "conflict", "-")
	if _, err := e.st.OpenShare(ctx, a.Token, "192.0.2.7"); licensing.ErrorCode(err) != licensing.CodeLinkRevoked {
		t.Errorf("a revoked link opens with %v, want link_revoked", err)
	}
	// c expires.
	e.clock.advance(2 * time.Minute)
	if _, err := e.st.OpenShare(ctx, c.Token, "192.0.2.7"); licensing.ErrorCode(err) != licensing.CodeLinkExpired {
		t.Errorf("an expired link opens with %v, want link_expired", err)
	}
	e.must(200, "GET", "/api/v1/shares", nil).into(t, &shares)
	states := map[string]shareJSON{}
	for _, s := range shares.Shares {
		states[s.ID] = s
	}
	if s := states[a.ID]; s.State != "revoked" || s.RevokedAt == nil {
		t.Errorf("revoked link listed %+v", s)
	}
	if states[b.ID].State != "active" || states[c.ID].State != "expired" {
		t.Errorf("states b %q c %q, want active and expired", states[b.ID].State, states[c.ID].State)
	}

	// Rotating the key retires the one live link (b).
	var rot struct {
		Retired int `json:"retired_links"`
	}
	e.must(200, "POST", "/api/v1/shares/rotate-key", nil).into(t, &rot)
	if rot.Retired != 1 {
		t.Errorf("rotate-key retired %d links, want 1", rot.Retired)
	}
	if _, err := e.st.OpenShare(ctx, b.Token, "192.0.2.7"); licensing.ErrorCode(err) != licensing.CodeNotFound {
		t.Errorf("a link of the retired key opens with %v, want not_found", err)
	}
	e.must(200, "GET", "/api/v1/shares", nil).into(t, &shares)
	for _, s := range shares.Shares {
		if want := map[string]string{a.ID: "revoked", b.ID: "retired", c.ID: "retired", m.ID: "revoked"}[s.ID]; s.State != want {
			t.Errorf("after rotation %s is %q, want %q", s.ID, s.State, want)
		}
	}
	var d shareJSON
	e.must(201, "POST", "/api/v1/shares", `{"report":"shelfware"}`).into(t, &d)
	if _, err := e.st.OpenShare(ctx, d.Token, "192.0.2.7"); err != nil {
		t.Errorf("a link made after rotation: %v", err)
	}
	e.must(200, "POST", "/api/v1/shares/rotate-key", nil).into(t, &rot)
	if rot.Retired != 1 {
		t.Errorf("second rotation retired %d, want 1 (d)", rot.Retired)
	}

	// Every step is audited.
	actions := map[string]int{}
	for _, en := range e.lastAudit(200) {
		actions[en["action"].(string)]++
	}
	if actions["report.share"] != 5 || actions["report.share_revoke"] != 2 || actions["report.share_key_rotate"] != 2 || actions["report.share_view"] < 5 {
		t.Errorf("audit actions %v, want 5 shares, 2 revokes, 2 rotations, the views", actions)
	}
}

// TestReportingOpenAPI: the report, settings and share schemas are exactly
// the Go types' JSON, and rich answers of every report conform.
func TestReportingOpenAPI(t *testing.T) {
	e := seedReports(t)
	doc := loadDoc(t, e)
	schemaMatchesGo(t, doc, map[string]any{
		"UsageReport": reporting.UsageReport{}, "PoolUsage": reporting.PoolUsage{}, "UsageStats": report.Stats{}, "UsageBucket": report.Bucket{},
		"TrueUp": report.TrueUp{}, "QueueStats": reporting.QueueStats{}, "ReasonCount": reporting.ReasonCount{},
		"ShelfwareReport": reporting.ShelfwareReport{}, "ShelfwareHolding": reporting.Holding{},
		"CostReport": reporting.CostReport{}, "PoolCost": reporting.PoolCost{}, "MonthSpend": report.MonthSpend{},
		"MixReport": reporting.MixReport{}, "SKUMix": reporting.SKUMix{}, "MixOption": reporting.MixOption{}, "MixBacktest": reporting.Backtest{},
		"EvidenceReport": reporting.EvidenceReport{}, "EvidenceControl": reporting.Control{}, "HeldSeat": reporting.HeldSeat{}, "SeatChange": reporting.Change{},
		"LeaverRow": reporting.LeaverRow{}, "ActingUse": reporting.ActingRow{}, "AuditChain": reporting.AuditChain{},
		"ReportSettings": settingsJSON{}, "ShareCreate": shareIn{}, "Share": shareJSON{},
	})
	// A leaver and an integration's acting user, so the evidence has rows.
	dan, err := e.st.GetUser(context.Background(), "dan@example.com")
	if err != nil {
		t.Fatal(err)
	}
	id, err := e.st.RecordProvisioning(context.Background(), licensing.System("scim"), dan.ID, "deactivate", e.clock.now())
	if err != nil {
		t.Fatal(err)
	}
	if err := e.st.CompleteProvisioning(context.Background(), licensing.System("scim"), id, e.clock.now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	var hub integrationJSON
	e.must(201, "POST", "/api/v1/integrations", `{"name":"slack-hub","mode":"enforce"}`).into(t, &hub)
	e.request("POST", "/api/v1/tickets", hub.Token, `{"title":"From Slack"}`, ActingUserHeader, "eve@example.com")
	e.must(204, "DELETE", "/api/v1/pools/agents-named/members/eve@example.com", nil)

	hit := map[string]bool{}
	check := conformTo(t, doc, hit)
	call := func(op, path string, body any, hdr ...string) reply {
		t.Helper()
		method, _, _ := strings.Cut(op, " ")
		return check(op, e.call(method, path, body, hdr...))
	}
	reportAnswers(t, e, call, check, e.token("reader", store.ScopePlatform, 0))
	for _, q := range []string{"?" + reportPeriod, "?" + reportPeriod + "&bucket=week&tolerance=1m&pool=floating", "?bucket=month&idle_days=5", "?" + reportPeriod + "&split=0.2"} {
		for _, n := range reporting.Names {
			call("GET /api/v1/reports/{name}", "/api/v1/reports/"+n+q, nil)
		}
	}
	if len(hit) != 7 {
		t.Errorf("operations exercised: %v", hit)
	}
}

// schemaMatchesGo checks that each schema's properties are exactly the JSON
// names of its Go type, and that it refuses other properties.
func schemaMatchesGo(t *testing.T, doc map[string]any, types map[string]any) {
	t.Helper()
	schemas := digMap(doc, "components", "schemas")
	for name, typ := range types {
		s, ok := schemas[name].(map[string]any)
		if !ok {
			t.Errorf("components.schemas.%s missing", name)
			continue
		}
		got, want := keys(digMap(s, "properties")), jsonNames(reflect.TypeOf(typ))
		if !sameSet(got, want) {
			t.Errorf("schema %s: properties %v, want %v (json tags of %T)", name, got, want, typ)
		}
		if s["additionalProperties"] != false {
			t.Errorf("schema %s: additionalProperties %v, want false", name, s["additionalProperties"])
		}
		for _, r := range asSlice(s["required"]) {
			if !slicesContain(got, r.(string)) {
				t.Errorf("schema %s: required %q is not a property", name, r)
			}
		}
	}
}

// conformTo returns a check that validates an answer against the document
// (status listed, content type listed, JSON body against its schema) and
// marks the operation hit. A report's JSON is checked against the schema
// its name gives (the document's oneOf is beyond the test validator).
func conformTo(t *testing.T, doc map[string]any, hit map[string]bool) func(op string, r reply) reply {
	return func(op string, r reply) reply {
		t.Helper()
		hit[op] = true
		method, path, _ := strings.Cut(op, " ")
		resp := digMap(doc, "paths", path, strings.ToLower(method), "responses")[strconv.Itoa(r.Status)]
		if resp == nil {
			t.Errorf("%s answered %d, not in the document; body %s", op, r.Status, r)
			return r
		}
		content := digMap(resolve(t, doc, resp), "content")
		if len(r.Body) == 0 {
			if len(content) > 0 {
				t.Errorf("%s %d: empty body, document says %v", op, r.Status, keys(content))
			}
			return r
		}
		mt, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";")
		media, ok := content[mt].(map[string]any)
		if !ok {
			t.Errorf("%s %d: Content-Type %q not among %v", op, r.Status, mt, keys(content))
			return r
		}
		if mt != "application/json" {
			return r
		}
		var v any
		if err := json.Unmarshal(r.Body, &v); err != nil {
			t.Fatalf("%s: %v", op, err)
		}
		for _, p := range validate(t, doc, "", v, reportSchema(t, doc, v, media["schema"].(map[string]any))) {
			t.Errorf("%s %d: %s; body %s", op, r.Status, p, r)
		}
		return r
	}
}

// reportSchema picks, for a report's JSON, the member of the document's
// oneOf its discriminator names; other schemas are returned as they are.
func reportSchema(t *testing.T, doc map[string]any, v any, s map[string]any) map[string]any {
	t.Helper()
	if _, ok := s["oneOf"]; !ok {
		return s
	}
	m, _ := v.(map[string]any)
	name, _ := m["report"].(string)
	ref, _ := digMap(s, "discriminator", "mapping")[name].(string)
	if ref == "" {
		t.Errorf("report %q is not in the discriminator mapping %v", name, digMap(s, "discriminator", "mapping"))
		return s
	}
	return map[string]any{"$ref": ref}
}

// reportAnswers exercises the report, settings and share operations for
// TestOpenAPIAnswersConform (and TestReportingOpenAPI).
func reportAnswers(t *testing.T, e *testEnv, call func(op, path string, body any, hdr ...string) reply, check func(op string, r reply) reply, platformTok string) {
	t.Helper()
	// The oneOf of a report's JSON is checked member by member here, since
	// the document validator does not read oneOf.
	doc := loadDoc(t, e)
	rep := func(path string) reply {
		t.Helper()
		r := call("GET /api/v1/reports/{name}", path, nil)
		if r.Status == 200 && strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			var v any
			if err := json.Unmarshal(r.Body, &v); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			s := digMap(doc, "paths", "/api/v1/reports/{name}", "get", "responses", "200", "content", "application/json", "schema")
			for _, p := range validate(t, doc, "", v, reportSchema(t, doc, v, s)) {
				t.Errorf("GET %s: %s; body %s", path, p, r)
			}
		}
		return r
	}
	call("GET /api/v1/reports/settings", "/api/v1/reports/settings", nil)
	check("GET /api/v1/reports/settings", e.request("GET", "/api/v1/reports/settings", platformTok, nil))
	call("PUT /api/v1/reports/settings", "/api/v1/reports/settings", `{"currency":"EUR"}`)
	call("PUT /api/v1/reports/settings", "/api/v1/reports/settings", `{"currency":"euro"}`)                                // 400
	check("PUT /api/v1/reports/settings", e.request("PUT", "/api/v1/reports/settings", platformTok, `{"currency":"USD"}`)) // 403
	call("PUT /api/v1/reports/settings", "/api/v1/reports/settings", `{"currency":"`+strings.Repeat("x", 1<<20)+`"}`)      // 413
	for _, n := range reporting.Names {
		rep("/api/v1/reports/" + n)
		rep("/api/v1/reports/" + n + "?format=csv")
		rep("/api/v1/reports/" + n + "?format=pdf")
	}
	rep("/api/v1/reports/utilization?format=svg")
	rep("/api/v1/reports/cost?format=png")
	rep("/api/v1/reports/pack")
	rep("/api/v1/reports/nope")                            // 404
	rep("/api/v1/reports/utilization?pool=nope")           // 404
	rep("/api/v1/reports/mix?target=1")                    // 400
	rep("/api/v1/reports/utilization?format=csv&table=99") // 404
	check("GET /api/v1/reports/{name}", e.request("GET", "/api/v1/reports/cost", platformTok, nil))
	check("GET /api/v1/reports/{name}", e.request("GET", "/api/v1/reports/cost", "", nil)) // 401

	var s1, s2 shareJSON
	call("POST /api/v1/shares", "/api/v1/shares", `{"report":"cost","params":{"from":"2026-01-01"},"expires_in":"168h"}`).into(t, &s1)
	call("POST /api/v1/shares", "/api/v1/shares", `{"report":"evidence"}`).into(t, &s2)
	call("POST /api/v1/shares", "/api/v1/shares", `{"report":"pack"}`)                                  // 400
	call("POST /api/v1/shares", "/api/v1/shares", `{"report":"cost","expires_in":"2184h"}`)             // 400
	call("POST /api/v1/shares", "/api/v1/shares", `{"report":"cost","params":{"pool":"nope"}}`)         // 404
	call("POST /api/v1/shares", "/api/v1/shares", `{"report":"`+strings.Repeat("x", 1<<20)+`"}`)        // 413
	check("POST /api/v1/shares", e.request("POST", "/api/v1/shares", platformTok, `{"report":"cost"}`)) // 403
	call("GET /api/v1/shares", "/api/v1/shares", nil)
	check("GET /api/v1/shares", e.request("GET", "/api/v1/shares", platformTok, nil)) // 403
	call("DELETE /api/v1/shares/{id}", "/api/v1/shares/"+s1.ID, nil)
	call("DELETE /api/v1/shares/{id}", "/api/v1/shares/"+s1.ID, nil)   // 409
	call("DELETE /api/v1/shares/{id}", "/api/v1/shares/shr_nope", nil) // 404
	call("GET /api/v1/shares", "/api/v1/shares", nil)                  // with a revoked link
	call("POST /api/v1/shares/rotate-key", "/api/v1/shares/rotate-key", nil)
	check("POST /api/v1/shares/rotate-key", e.request("POST", "/api/v1/shares/rotate-key", platformTok, nil)) // 403
	call("GET /api/v1/shares", "/api/v1/shares", nil)                                                         // with a retired link
}
