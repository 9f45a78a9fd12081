package benchmark

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/url"
	"path/filepath"
	"syscall"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/demo"
	mixopt "github.com/seatkeeper/seatkeeper/internal/report/mix"
	"github.com/seatkeeper/seatkeeper/internal/reporting"
	"github.com/seatkeeper/seatkeeper/internal/store"
	"github.com/seatkeeper/seatkeeper/internal/store/sqlite"
)

// The mix benchmark: Erlang B for a large pool, the optimiser (Recommend,
// Compare, Backtest) over a generated working-day year of a large desk, and
// the back-test on the demo company's year.

// CPUTime is the process's user plus system time so far. The mix bench
// prints it next to the wall time: on a shared machine the wall time also
// measures the neighbours, the CPU time only this process (all its cores).
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// Timing is what one measured call took.
type Timing struct {
	Wall, CPU time.Duration
}

// Time runs fn once and measures it.
func Time(fn func() error) (Timing, error) {
	w, c := time.Now(), CPUTime()
	err := fn()
	return Timing{Wall: time.Since(w), CPU: CPUTime() - c}, err
}

// ErlangBPerCall times mixopt.ErlangB for servers seats at a load of servers
// erlangs (the slowest case: no early exit), averaged over enough calls to
// take about 100 ms.
func ErlangBPerCall(servers int) (time.Duration, float64) {
	var b float64
	calls := 0
	start := time.Now()
	for time.Since(start) < 100*time.Millisecond {
		for range 16 {
			b = mixopt.ErlangB(servers, float64(servers))
			calls++
		}
	}
	return time.Since(start) / time.Duration(calls), b
}

// MixYear is a generated year of demand for one fulfiller SKU.
type MixYear struct {
	Demand []mixopt.Interval
	People int
	Start  time.Time // the year's first day (UTC)
	Today  mixopt.Option
	Prices mixopt.Prices
}

// NewMixYear generates a realistic working-day year (2025) for a desk of
// people: no work at weekends and on six public holidays, Mondays and the
// last two working days of a month busier, Fridays quieter; a tenth of the
// people are heavy users at the desk most of the day in a few sessions
// broken by lunch and meetings, the rest light users with a few short
// sessions a day, mostly around 10:00 and after lunch; a few on call at
// night. The light users' rate is set so that the year has about intervals
// intervals. Today's option names the heaviest tenth of the people and
// gives the rest a concurrent pool near the busy-hour load.
func NewMixYear(people, intervals int, seed uint64) MixYear {
	rng := rand.New(rand.NewPCG(seed, seed^0x5eed))
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	y := MixYear{People: people, Start: start, Prices: mixopt.Prices{NamedMonthly: 100, ConcurrentMonthly: 250}}
	// A heavy user has about 3.1 sessions on the 93 % of working days at
	// the desk; a light user's rate scales with each day's busyness.
	const heavyShare, heavySessions = 0.1, 0.93 * 3.1
	var days, busy float64
	for d := start; d.Year() == 2025; d = d.AddDate(0, 0, 1) {
		if f, work := busyness(d); work {
			days, busy = days+1, busy+f
		} else {
			busy += 0.02
		}
	}
	perPerson := float64(intervals) / float64(max(people, 1))
	light := max((perPerson-heavyShare*heavySessions*days)/((1-heavyShare)*busy), 0.05)
	heavy := make([]bool, people)
	rate := make([]float64, people)
	night := make([]bool, people)
	for p := range people {
		heavy[p] = rng.Float64() < heavyShare
		// Light users differ: lognormal rates with the given mean.
		const sigma = 0.75
		rate[p] = light * math.Exp(sigma*rng.NormFloat64()-sigma*sigma/2)
		night[p] = !heavy[p] && rng.Float64() < 0.004
	}
	y.Demand = make([]mixopt.Interval, 0, intervals+intervals/20)
	for d := start; d.Year() == 2025; d = d.AddDate(0, 0, 1) {
		day := d.Unix()
		factor, work := busyness(d)
		for p := range people {
			who := int32(p)
			if night[p] && d.YearDay()/7%25 == p%25 && rng.Float64() < 0.5 {
				s := day + int64(rng.Float64()*5*3600)
				y.Demand = append(y.Demand, mixopt.Interval{Person: who, Start: s, End: s + 900 + int64(rng.Float64()*1800), Logout: true})
			}
			switch {
			case heavy[p] && work && rng.Float64() < 0.93:
				y.Demand = deskDay(rng, y.Demand, who, day, factor > 1.2)
			case heavy[p]:
			default:
				f := factor
				if !work {
					f = 0.02
				}
				for n := poissonDraw(rng, rate[p]*f); n > 0; n-- {
					y.Demand = append(y.Demand, shortSession(rng, who, day))
				}
			}
		}
	}
	// Today: the heavy users named, a pool at the busy hour's load.
	for p := range people {
		if heavy[p] {
			y.Today.Named = append(y.Today.Named, int32(p))
		}
	}
	y.Today.Name, y.Today.IdleTimeout, y.Today.Linger = mixopt.Today, 1800, 300
	named := make([]bool, people)
	for _, p := range y.Today.Named {
		named[p] = true
	}
	if tr, err := mixopt.Fit(y.Demand, people, named, 1800, 300); err == nil {
		y.Today.Concurrent = int(math.Ceil(tr.Erlangs))
	}
	return y
}

// busyness is how busy a day is against an ordinary Wednesday, and whether
// it is a working day.
func busyness(d time.Time) (float64, bool) {
	if !workday(d) {
		return 0, false
	}
	f := [...]float64{time.Monday: 1.22, time.Tuesday: 1.04, time.Wednesday: 1, time.Thursday: 0.96, time.Friday: 0.84}[d.Weekday()]
	left := 0
	for x := d.AddDate(0, 0, 1); x.Month() == d.Month(); x = x.AddDate(0, 0, 1) {
		if workday(x) {
			left++
		}
	}
	if left < 2 {
		f *= 1.3 // month-end close
	}
	return f, true
}

func workday(d time.Time) bool {
	switch d.Weekday() {
	case time.Saturday, time.Sunday:
		return false
	}
	switch d.Format("01-02") {
	case "01-01", "04-18", "04-21", "05-01", "12-25", "12-26": // 2025's holidays
		return false
	}
	return true
}

// deskDay appends a heavy user's day: in around 8:00, lunch around 12:00,
// out around 17:00 (earlier in and later out at month-end), each half in
// sessions split by meetings (longer than the idle timeout) and coffee
// (shorter).
func deskDay(rng *rand.Rand, out []mixopt.Interval, who int32, day int64, late bool) []mixopt.Interval {
	clock := func(mean, sd, lo, hi float64) float64 { return min(max(mean+sd*rng.NormFloat64(), lo), hi) }
	in, lunch := clock(8, 0.5, 6.5, 10.5), clock(12, 0.33, 11, 13.5)
	back, out2 := lunch+0.5+0.5*rng.Float64(), clock(17, 0.67, 15, 20)
	if late {
		in, out2 = in-0.25, out2+0.5
	}
	for _, half := range [2][2]float64{{in, lunch}, {back, out2}} {
		a, b := half[0], half[1]
		logout := rng.Float64() < 0.5
		for a < b {
			end, gap := b, 0.0
			if r := rng.Float64(); r < 0.2 && b-a > 1.5 {
				end, gap = a+0.5+rng.Float64()*(b-a-1), 0.75+0.75*rng.Float64() // a meeting
			} else if r < 0.45 && b-a > 1 {
				end, gap = a+0.3+rng.Float64()*(b-a-0.5), 0.1+0.15*rng.Float64() // coffee
			}
			at := func(h float64) int64 { return day + int64(h*3600) }
			out = append(out, mixopt.Interval{Person: who, Start: at(a), End: at(end), Logout: end >= b && logout})
			a = end + gap
		}
	}
	return out
}

// shortSession is a light user's session: most start mid-morning, many
// after lunch, the rest at any time of the working day; about 12 minutes
// (lognormal), a quarter ended by logout.
func shortSession(rng *rand.Rand, who int32, day int64) mixopt.Interval {
	var h float64
	switch r := rng.Float64(); {
	case r < 0.55:
		h = 10 + 1.15*rng.NormFloat64()
	case r < 0.9:
		h = 14.5 + 1.5*rng.NormFloat64()
	default:
		h = 7 + 12*rng.Float64()
	}
	s := day + int64(min(max(h, 6), 21)*3600)
	length := max(60, 720*math.Exp(0.8*rng.NormFloat64()))
	return mixopt.Interval{Person: who, Start: s, End: s + int64(length), Logout: rng.Float64() < 0.25}
}

func poissonDraw(rng *rand.Rand, mean float64) int {
	if mean <= 0 {
		return 0
	}
	limit, n, p := math.Exp(-mean), 0, rng.Float64()
	for p > limit {
		n++
		p *= rng.Float64()
	}
	return n
}

// MixRun is the optimiser's three calls on a generated year, timed.
type MixRun struct {
	Recommend, Compare, Backtest Timing
	Option                       mixopt.Option
	Evaluations                  []mixopt.Evaluation
	Back                         mixopt.BacktestResult
}

// RunMix times Recommend, Compare and Backtest (fitted on the first nine
// months) on the year at a target denial rate of 1 %.
func RunMix(y MixYear) (MixRun, error) {
	var r MixRun
	var err error
	const target = 0.01
	if r.Recommend, err = Time(func() error {
		var err error
		r.Option, err = mixopt.Recommend(y.Demand, y.People, y.Prices, target, y.Today.IdleTimeout, y.Today.Linger)
		return err
	}); err != nil {
		return r, err
	}
	if r.Compare, err = Time(func() error {
		var err error
		r.Evaluations, err = mixopt.Compare(y.Demand, y.People, y.Today, y.Prices, target)
		return err
	}); err != nil {
		return r, err
	}
	split := y.Start.AddDate(0, 9, 0).Unix()
	r.Backtest, err = Time(func() error {
		var err error
		r.Back, err = mixopt.Backtest(y.Demand, y.People, split, y.Prices, target, y.Today.IdleTimeout, y.Today.Linger)
		return err
	})
	return r, err
}

// DemoAsOf is the date the demo's year is seeded up to for the back-test,
// so the figure is reproducible: the demo draws its year relative to the
// store's clock, and its last three months hold a few dozen refusals.
var DemoAsOf = time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)

// DemoBacktest seeds the demo company (demo.Seed: a year of history up to
// now) into a new SQLite database in dir and runs the mix report over the
// last 365 days and today, as `seatkeeper report mix --from <a year back>`
// does.
func DemoBacktest(ctx context.Context, dir string) (*reporting.MixReport, error) {
	st, err := sqlite.Open(ctx, filepath.Join(dir, "demo.db"), store.Options{Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return DemoAsOf }})
	if err != nil {
		return nil, err
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		return nil, err
	}
	if err := st.SeedPolicy(ctx); err != nil {
		return nil, err
	}
	if ok, err := demo.Seed(ctx, st); err != nil {
		return nil, err
	} else if !ok {
		return nil, fmt.Errorf("bench mix: the demo database in %s was not empty", dir)
	}
	from := st.Now().UTC().AddDate(0, 0, -demo.HistoryDays).Format(time.DateOnly)
	q, err := reporting.Parse(url.Values{"from": {from}}, st.Now())
	if err != nil {
		return nil, err
	}
	svc := &reporting.Service{Store: st}
	return svc.Mix(ctx, q)
}
