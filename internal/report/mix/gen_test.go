package mix

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// yearSpec describes a synthetic year of demand for one fulfiller SKU.
type yearSpec struct {
	people    int     // person table size
	heavy     float64 // share of heavy users (at the desk most of the day)
	lightRate float64 // mean sessions of a light user on an ordinary working day
	seed      uint64
}

// Holidays of the synthetic year (2025): New Year, Good Friday, Easter
// Monday, Labour Day, Christmas and Boxing Day.
var holidays2025 = map[string]bool{
	"2025-01-01": true, "2025-04-18": true, "2025-04-21": true,
	"2025-05-01": true, "2025-12-25": true, "2025-12-26": true,
}

const hour = 3600

// genYear generates a realistic year of a service desk's demand: working
// days Monday to Friday without holidays, a morning peak around 10:00 and a
// smaller one after lunch, busier Mondays and month-ends, heavy users who
// work most of the day in a few sessions (lunch and meetings break them,
// coffee breaks do not outlast the idle timeout) and light users with a few
// short sessions, and a small on-call rota working some nights. Seeded, so
// every run sees the same year.
func genYear(sp yearSpec) []Interval {
	rng := rand.New(rand.NewPCG(sp.seed, sp.seed^0x9e3779b97f4a7c15))
	heavy := make([]bool, sp.people)
	rate := make([]float64, sp.people)
	onCall := make([]bool, sp.people)
	for i := range sp.people {
		heavy[i] = rng.Float64() < sp.heavy
		const sigma = 0.8
		rate[i] = sp.lightRate * math.Exp(sigma*rng.NormFloat64()-sigma*sigma/2)
		onCall[i] = !heavy[i] && rng.Float64() < 0.005
	}
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	end := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var out []Interval
	if sp.people > 0 {
		out = make([]Interval, 0, int(float64(sp.people)*(sp.heavy*3.7+(1-sp.heavy)*sp.lightRate)*252*1.05))
	}
	for day := start; day.Before(end); day = day.AddDate(0, 0, 1) {
		d0 := day.Unix()
		work, factor := dayFactor(day)
		week := day.YearDay() / 7
		for p := range sp.people {
			if onCall[p] && week%20 == p%20 {
				for range poisson(rng, 0.4) {
					s := d0 + int64(rng.Float64()*6*hour)
					out = append(out, Interval{Person: int32(p), Start: s, End: s + int64(600+rng.Float64()*2400), Logout: true})
				}
			}
			if heavy[p] {
				present := 0.92
				if !work {
					present = 0.02
				}
				if rng.Float64() < present {
					out = heavyDay(rng, out, int32(p), d0, factor > 1.25)
				}
				continue
			}
			f := factor
			if !work {
				f = 0.03
			}
			for range poisson(rng, rate[p]*f) {
				out = append(out, lightSession(rng, int32(p), d0))
			}
		}
	}
	return out
}

// dayFactor tells whether day is a working day and how busy it is relative
// to an ordinary Wednesday.
func dayFactor(day time.Time) (work bool, factor float64) {
	wd := day.Weekday()
	if wd == time.Saturday || wd == time.Sunday || holidays2025[day.Format("2006-01-02")] {
		return false, 0
	}
	factor = [...]float64{0, 1.2, 1.05, 1, 0.97, 0.85, 0}[wd]
	// The last two working days of the month are month-end close.
	left := 0
	for d := day.AddDate(0, 0, 1); d.Month() == day.Month(); d = d.AddDate(0, 0, 1) {
		if w, _ := dayFactorPlain(d); w {
			left++
		}
	}
	if left < 2 {
		factor *= 1.3
	}
	return true, factor
}

func dayFactorPlain(day time.Time) (bool, float64) {
	wd := day.Weekday()
	return !(wd == time.Saturday || wd == time.Sunday || holidays2025[day.Format("2006-01-02")]), 1
}

func clampf(x, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, x)) }

// heavyDay appends a heavy user's working day: a morning and an afternoon
// block around lunch, each possibly split by a meeting (longer than the idle
// timeout) or a coffee break (shorter).
func heavyDay(rng *rand.Rand, out []Interval, p int32, d0 int64, monthEnd bool) []Interval {
	h := func(x float64) int64 { return d0 + int64(x*hour) }
	arrive := clampf(8+rng.NormFloat64()*0.5, 6.5, 10.5)
	lunch := clampf(12+rng.NormFloat64()/3, 11, 13.5)
	back := lunch + 0.5 + rng.Float64()*0.5
	leave := clampf(17+rng.NormFloat64()*0.67, 15, 20)
	if monthEnd {
		arrive -= 0.25
		leave += 0.5
	}
	block := func(a, b float64, logout bool) {
		for a < b {
			seg := b
			gap := 0.0
			switch r := rng.Float64(); {
			case r < 0.2 && b-a > 1.5:
				seg = a + 0.5 + rng.Float64()*(b-a-1) // meeting
				gap = 0.75 + rng.Float64()*0.75
			case r < 0.45 && b-a > 1:
				seg = a + 0.3 + rng.Float64()*(b-a-0.5) // coffee
				gap = 0.1 + rng.Float64()*0.15
			}
			last := seg >= b
			out = append(out, Interval{Person: p, Start: h(a), End: h(min(seg, b)), Logout: last && logout || !last && gap > 0.7 && rng.Float64() < 0.2})
			a = seg + gap
		}
	}
	block(arrive, lunch, rng.Float64() < 0.3)
	block(back, leave, rng.Float64() < 0.6)
	return out
}

// lightSession is one short session of a light user, most likely mid
// morning, else after lunch, else any time of the working day.
func lightSession(rng *rand.Rand, p int32, d0 int64) Interval {
	var t float64
	switch r := rng.Float64(); {
	case r < 0.55:
		t = 10 + rng.NormFloat64()*1.15
	case r < 0.9:
		t = 14.5 + rng.NormFloat64()*1.5
	default:
		t = 7 + rng.Float64()*12
	}
	t = clampf(t, 6, 21)
	dur := math.Max(60, 720*math.Exp(0.8*rng.NormFloat64()))
	s := d0 + int64(t*hour)
	return Interval{Person: p, Start: s, End: s + int64(dur), Logout: rng.Float64() < 0.25}
}

// poisson draws a Poisson variate by inversion; the means here are small.
func poisson(rng *rand.Rand, mean float64) int {
	if mean <= 0 {
		return 0
	}
	l := math.Exp(-mean)
	k, prod := 0, rng.Float64()
	for prod > l {
		k++
		prod *= rng.Float64()
	}
	return k
}

// TestGenYearIsRealistic checks the generator's shape: quiet weekends and
// holidays, busier Mondays than Fridays and month-ends than mid-months, and
// a morning peak around 10:00.
func TestGenYearIsRealistic(t *testing.T) {
	d := genYear(yearSpec{people: 1000, heavy: 0.1, lightRate: 0.75, seed: 5})
	perDay := map[string]int{}
	var byWeekday [7]int
	var byHour [24]int
	for _, x := range d {
		tm := time.Unix(x.Start, 0).UTC()
		perDay[tm.Format("2006-01-02")]++
		byWeekday[tm.Weekday()]++
		byHour[tm.Hour()]++
	}
	if n, w := perDay["2025-12-25"], perDay["2025-12-17"]; n*20 > w {
		t.Errorf("Christmas has %d intervals against %d on a Wednesday", n, w)
	}
	if byWeekday[time.Saturday]*20 > byWeekday[time.Wednesday] {
		t.Errorf("Saturday %d intervals against Wednesday %d", byWeekday[time.Saturday], byWeekday[time.Wednesday])
	}
	if byWeekday[time.Monday] <= byWeekday[time.Friday] {
		t.Errorf("Monday %d not busier than Friday %d", byWeekday[time.Monday], byWeekday[time.Friday])
	}
	// The last working day of March (Monday 31st) against a mid-month Monday.
	if perDay["2025-03-31"] <= perDay["2025-03-17"] {
		t.Errorf("month-end %d not busier than mid-month %d", perDay["2025-03-31"], perDay["2025-03-17"])
	}
	peak := 0
	for h := range byHour {
		if byHour[h] > byHour[peak] {
			peak = h
		}
	}
	if peak < 8 || peak > 11 {
		t.Errorf("busiest starting hour %d:00, want the morning", peak)
	}
}
