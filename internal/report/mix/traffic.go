package mix

import (
	"fmt"
	"math"
)

// bucketSeconds is the width of the buckets over which offered traffic is
// measured. A quarter of an hour is short against a typical hold (so the
// load in a bucket is close to the instantaneous load the Erlang formula
// wants) and long enough to be a stable average.
const bucketSeconds = 900

const day = 86400

// engsetRatio selects the model: with fewer than engsetRatio sources per
// seat the population is small enough that a busy source measurably
// lowers the arrival rate and Engset is used; above it Engset and Erlang B
// agree within the noise of the data, and Erlang B needs no per-source
// figure.
const engsetRatio = 10

// Models reported in Evaluation.Model, named so that callers can show
// which formula a prediction came from.
const (
	ModelErlangB = "erlang-b"
	ModelEngset  = "engset"
)

// Traffic is the offered traffic of the non-named demand of one option,
// fitted on history: what Predict turns into a blocking probability.
//
// Everything is measured with unlimited seats, on spells: a person's
// intervals merged while each starts before the previous hold (End plus
// the idle timeout or linger) is over, so a spell is exactly one lease.
type Traffic struct {
	// Sources is the number of non-named people with any demand.
	Sources int
	// Arrivals is the number of spells of non-named people: the lease
	// requests there would be if nobody were ever refused.
	Arrivals int
	// Erlangs is the busy-hour offered traffic: for each hour of the week
	// (Monday 00:00–01:00 UTC is hour 0), the seat-seconds that spells of
	// non-named people held in that hour over the whole period, divided by
	// 3600 s times the number of such hours in the period; Erlangs is the
	// largest of these means (the time-consistent busy hour of ITU-T
	// E.500) and BusyHour is its hour of the week.
	Erlangs  float64
	BusyHour int
	// MeanHold is the mean spell length in seconds.
	MeanHold float64
	// RecordedDenials counts the intervals of non-named people that the
	// history records as true denials: what a replay of the option in force
	// at the time should come close to, which validates the replay.
	RecordedDenials int

	loads    []load    // every quarter-hour of the period
	survival []float64 // survival[j] = P(hold > j minutes)
	// shape is how the level with unlimited seats spreads about the
	// expected load at busy times (see measureShape); zero: not measured.
	shape shape
}

// shape is what measureShape measures at the busy instants: the mean
// level, its variance about the expected load over that mean, and the sum
// and the sum of squares of each person's share of the instants held.
type shape struct {
	mean, spread, sum, squares float64
}

// load is the traffic of one quarter-hour: spells started in it and its
// mean number of held seats with unlimited seats.
type load struct {
	arrivals float64
	erlangs  float64
}

// Fit measures the offered traffic of demand for the people not named
// under the given idle timeout and linger, so that a caller can show the
// traffic or predict pools of other sizes without replaying anything.
func Fit(demand []Interval, people int, named []bool, idle, linger int64) (*Traffic, error) {
	if err := checkTimes(0, idle, linger); err != nil {
		return nil, err
	}
	h, err := prepare(demand, people)
	if err != nil {
		return nil, err
	}
	full := make([]bool, people)
	copy(full, named)
	return newTimeline(h, idle, linger).fit(full), nil
}

// fit measures Traffic for a named set with one entry per person.
func (tl *timeline) fit(named []bool) *Traffic {
	t := &Traffic{}
	for p, seen := range tl.h.seen {
		if seen && !named[p] {
			t.Sources++
		}
	}
	for _, e := range tl.h.events {
		if e.who&flagDenied != 0 && !named[e.who>>whoShift] {
			t.RecordedDenials++
		}
	}
	if t.Sources == 0 || len(tl.spells) == 0 {
		t.survival = []float64{1}
		return t
	}
	// Quarter-hours from the midnight (UTC) before the first spell to the
	// last end of any spell; busy seconds with a difference array of fully
	// covered quarter-hours plus the partial ones at each end.
	base := tl.h.base
	last := tl.lastEnd
	origin := floorDiv(base+int64(tl.spells[0].start), day) * day
	nb := (base+last-origin)/bucketSeconds + 2
	busyN := make([]int64, nb) // seconds in partly covered quarter-hours
	cover := make([]int64, nb+1)
	inst := make([]int32, nb+1) // held at each quarter-hour's start, differences
	arrN := make([]int32, nb)
	const most = 24 * 60
	hist := make([]int64, most+1)
	var held int64
	off := base - origin
	for _, sp := range tl.spells {
		if named[sp.p] {
			continue
		}
		s, e := int64(sp.start)+off, sp.end+off
		held += e - s
		hist[min((e-s)/60, most)]++
		bs, be := s/bucketSeconds, e/bucketSeconds
		if a := (s + bucketSeconds - 1) / bucketSeconds; a <= be {
			inst[a]++
			inst[be+1]--
		}
		arrN[bs]++
		if bs == be {
			busyN[bs] += e - s
			continue
		}
		busyN[bs] += (bs+1)*bucketSeconds - s
		busyN[be] += e - be*bucketSeconds
		cover[bs+1]++
		cover[be]--
	}
	busy := make([]float64, nb)
	arr := make([]float64, nb)
	var run int64
	for b := range busy {
		run += cover[b]
		busy[b] = float64(busyN[b] + run*bucketSeconds)
		arr[b] = float64(arrN[b])
		t.Arrivals += int(arrN[b])
	}
	t.MeanHold = float64(held) / float64(t.Arrivals)
	t.survival = survivalCurve(hist, float64(t.Arrivals))
	// Busy hour of the week.
	var sum, count [168]float64
	for b, x := range busy {
		sum[hourOfWeek(origin+int64(b)*bucketSeconds)] += x
	}
	for hr := floorDiv(origin, 3600); hr <= floorDiv(base+last, 3600); hr++ {
		count[hourOfWeek(hr*3600)]++
	}
	for hw := range sum {
		if count[hw] > 0 {
			if a := sum[hw] / (3600 * count[hw]); a > t.Erlangs {
				t.Erlangs, t.BusyHour = a, hw
			}
		}
	}
	t.loads = expectedLoads(busy, arr, origin)
	t.shape = tl.measureShape(named, t.loads, inst, off)
	return t
}

// measureShape measures how the level with unlimited seats spreads about
// the expected load when the pool is busy, the two figures Predict needs
// beyond the load itself.
//
// It looks at the start of every quarter-hour whose expected load m (the
// mean of the two quarter-hours either side) is at least half its largest,
// weighted by the arrivals around it, since blocking is counted per
// arrival and happens at busy times. There it takes the level n of the
// people not named and:
//
//   - spread: Σ w(n − m)² / Σ w·m, the variance of the level about the
//     expected load over its mean. Poisson traffic has 1; fewer people,
//     and a day's load that already tells much of where the level is (the
//     expected load follows each day's total), give less.
//   - steady: the share of the load that does not vary at all, because
//     some people hold a seat for most of the busy time. With p_i the
//     (weighted) share of the busy instants person i holds a seat, a pool
//     of such people has the variance Σp_i(1 − p_i), lower than the
//     binomial Σp̄(1 − p̄) of as many equal people by S·var(p) =
//     Σp_i² − (Σp_i)²/S (S the people not named with demand). That
//     difference, as a share of the mean level, is the steady share: a
//     person at the desk all day is a seat taken, not random traffic.
//
// Traffic.shape turns the sums into the steady share and the spread of
// the random part, (spread of the level) / (1 − steady).
func (tl *timeline) measureShape(named []bool, loads []load, inst []int32, off int64) shape {
	nb := len(loads)
	if nb < 2 {
		return shape{}
	}
	expected := func(b int) float64 { return (loads[b-1].erlangs + loads[b].erlangs) / 2 }
	var peak float64
	for b := 1; b < nb; b++ {
		peak = max(peak, expected(b))
	}
	if peak <= 0 {
		return shape{}
	}
	// cum[b] is the weight of the busy instants before instant b.
	cum := make([]float64, nb+1)
	var sw, swm, swv float64
	level := inst[0]
	for b := 1; b < nb; b++ {
		level += inst[b]
		cum[b+1] = cum[b]
		m := expected(b)
		w := (loads[b-1].arrivals + loads[b].arrivals) / 2
		if m < peak/2 || w == 0 {
			continue
		}
		d := float64(level) - m
		sw += w
		swm += w * m
		swv += w * d * d
		cum[b+1] += w
	}
	if sw == 0 || swm == 0 {
		return shape{}
	}
	share := make([]float64, tl.h.people)
	for _, sp := range tl.spells {
		if named[sp.p] {
			continue
		}
		s, e := int64(sp.start)+off, sp.end+off
		a, end := (s+bucketSeconds-1)/bucketSeconds, e/bucketSeconds+1
		if a < end && a <= int64(nb) {
			share[sp.p] += cum[min(end, int64(nb))] - cum[a]
		}
	}
	sh := shape{mean: swm / sw, spread: swv / swm}
	for _, x := range share {
		p := x / sw
		sh.sum += p
		sh.squares += p * p
	}
	return sh
}

// expectedLoads turns the measured load of each quarter-hour into the
// expected load the Erlang formulas want.
//
// The measured load is one realisation: in a quarter-hour where it happens
// to sit at the pool size, the pool is full half the time, whereas Erlang B
// with that figure as the mean would add the Poisson spread a second time
// and predict a few per cent. So the expected load of a quarter-hour is its
// day's total traffic spread over the day with the average shape of that
// weekday: m = T_day × S_weekday(q) / Σ_q S_weekday(q). Day totals keep
// Mondays, month-ends and holidays apart; the shape averages out the
// chance of single quarter-hours. Days start at the quietest hour of the
// daily profile, so a desk far from UTC still has whole working days.
func expectedLoads(busy, arr []float64, origin int64) []load {
	const perDay = day / bucketSeconds
	var byQ [perDay]float64
	for b, x := range busy {
		byQ[b%perDay] += x
	}
	q0, quiet := 0, math.Inf(1)
	for q := range perDay {
		var w float64
		for j := range 3600 / bucketSeconds {
			w += byQ[(q+j)%perDay]
		}
		if w < quiet {
			q0, quiet = q, w
		}
	}
	// Bucket b belongs to day (b+perDay-q0)/perDay, slot (b+perDay-q0)%perDay.
	nd := (len(busy)+perDay)/perDay + 1
	total := make([]float64, nd)
	weekday := make([]int, nd)
	var shape [7][perDay]float64
	for d := range nd {
		start := origin + (int64(d)*perDay+int64(q0)-perDay)*bucketSeconds
		weekday[d] = int(floorMod(floorDiv(start, day)+3, 7))
	}
	for b, x := range busy {
		k := b + perDay - q0
		total[k/perDay] += x
		shape[weekday[k/perDay]][k%perDay] += x
	}
	var sum [7]float64
	for w := range shape {
		for _, x := range shape[w] {
			sum[w] += x
		}
	}
	out := make([]load, len(arr))
	for b, n := range arr {
		k := b + perDay - q0
		d, w := k/perDay, weekday[k/perDay]
		m := 0.0
		if sum[w] > 0 {
			m = total[d] * shape[w][k%perDay] / sum[w] / bucketSeconds
		}
		out[b] = load{n, m}
	}
	return out
}

// hourOfWeek is the hour of the week of unix time t in UTC, Monday 00:00
// being 0 (the epoch was a Thursday).
func hourOfWeek(t int64) int {
	return int(floorMod(floorDiv(t, 3600)+72, 168))
}

// floorDiv and floorMod round towards minus infinity, so that times before
// 1970 fall in the right hour and day.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func floorMod(a, b int64) int64 { return a - floorDiv(a, b)*b }

// String summarises the traffic for logs.
func (t *Traffic) String() string {
	return fmt.Sprintf("%d sources, %d arrivals, busy hour %d: %.1f erlangs, mean hold %.0f s", t.Sources, t.Arrivals, t.BusyHour, t.Erlangs, t.MeanHold)
}
