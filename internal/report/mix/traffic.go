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
	return t
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

// Model tells which formula Predict uses for a pool of seats seats, so a
// report can label the prediction.
func (t *Traffic) Model(seats int) string {
	if t.Sources < engsetRatio*seats {
		return ModelEngset
	}
	return ModelErlangB
}

// Predict returns the blocking probability predicted for a concurrent pool
// of seats seats offered this traffic, and the model used.
//
// A year-average Erlang B would let nights and weekends hide the peaks, so
// the prediction is the arrival-weighted mean, minute by minute over the
// period, of the blocking at that minute's expected load m(t) (the
// quarter-hour loads of expectedLoads, interpolated).
//
// Pointwise B(c, m(t)) (the "modified offered load" approximation) assumes
// the pool settles at every instant, and at a sharp morning peak it does
// not: the people refused would have held seats for a whole hold time, and
// while the load stays near c the pool stays fuller than the steady state
// at m(t); pointwise Erlang B ran a third low on such peaks. So the pool's
// mean occupancy is taken as n(t) = m(t) − D(t), where D is what the
// refused would still hold: D(t) = Σ_u λ(u)B(u)·P(hold > t − u), with the
// hold-time distribution measured on the spells. The blocking at n(t) is
// that of the model's stationary occupancy with mean n(t): Erlang B(c, a)
// for the a with a(1 − B(c, a)) = n(t), or likewise Engset's truncated
// binomial. In steady state this is exactly Erlang B (or Engset); on the
// synthetic years of the tests it tracks the replay within a few per cent.
func (t *Traffic) Predict(seats int) (blocking float64, model string) {
	model = t.Model(seats)
	if t.Arrivals == 0 {
		return 0, model
	}
	if seats <= 0 {
		return 1, model
	}
	tab := newCarriedTable(model, seats, t.Sources, t.maxLoad())
	// D is kept exactly over the current five-minute block and by whole
	// blocks before it (their refusals taken at the block's middle), which
	// costs a fifth of a minute-by-minute convolution.
	const block = 5
	sur := t.survival
	k := len(sur)
	kb := k/block + 2
	past := make([]float64, kb) // refusals per block, ring by block index
	var cur [block]float64      // refusals per minute of the current block
	surAt := func(lag int) float64 {
		if lag < 1 {
			lag = 1
		}
		if lag > k {
			return 0
		}
		return sur[lag-1]
	}
	const steps = bucketSeconds / 60
	var num, den float64
	now, lastLoss := 0, math.MinInt/2
	bs := t.loads
	for i, b := range bs {
		den += b.arrivals
		prev, next := b.erlangs, b.erlangs
		if i > 0 {
			prev = bs[i-1].erlangs
		}
		if i+1 < len(bs) {
			next = bs[i+1].erlangs
		}
		quiet := now-lastLoss > k+block
		if quiet && max(prev, b.erlangs, next) < tab.quiet {
			now += steps // nothing refused now or within a hold
			continue
		}
		if quiet {
			clear(past)
		}
		rate := b.arrivals / steps // arrivals per minute
		for st := range steps {
			r := now % block
			q := now / block
			if r == 0 {
				var sum float64
				for _, x := range cur {
					sum += x
				}
				past[(q-1+kb)%kb] = sum
				cur = [block]float64{}
			}
			// m at the minute's middle, linear between quarter-hour centres.
			f := (float64(st)+0.5)/steps - 0.5
			m := b.erlangs
			if f > 0 {
				m += (next - b.erlangs) * f
			} else {
				m += (b.erlangs - prev) * f
			}
			var d float64
			if now-lastLoss <= k+block {
				for u := range r {
					d += cur[u] * surAt(r-u)
				}
				for j := 1; j < kb; j++ {
					if x := past[(q-j+kb)%kb]; x != 0 {
						d += x * surAt(block*j+r-block/2)
					}
				}
			}
			bl := tab.blocking(m - d)
			num += rate * bl
			cur[r] = rate * bl
			if bl > 0 {
				lastLoss = now
			}
			now++
		}
	}
	return num / den, model
}

func (t *Traffic) maxLoad() float64 {
	var m float64
	for _, b := range t.loads {
		m = max(m, b.erlangs)
	}
	return m
}

// survivalCurve is P(hold > j minutes), for j = 0, 1, … while it is at
// least 1e-4 (at most a day), from a histogram of holds in whole minutes.
func survivalCurve(hist []int64, n float64) []float64 {
	sur := []float64{1}
	left := n - float64(hist[0])
	for j := 1; j < len(hist) && left/n >= 1e-4; j++ {
		sur = append(sur, left/n)
		left -= float64(hist[j])
	}
	return sur
}

// carriedTable maps a pool's mean occupancy to its blocking for a fixed
// pool, through the model's offered-load parameter a: on a grid of a it
// holds the stationary mean occupancy n(a) and the blocking b(a).
type carriedTable struct {
	quiet float64   // below this load blocking is under 1e-12
	n, b  []float64 // increasing in a
}

func newCarriedTable(model string, c, sources int, maxLoad float64) *carriedTable {
	tab := &carriedTable{quiet: quietLoad(c)}
	lo := tab.quiet
	hi := max(3*float64(c), 1.5*maxLoad, lo+1)
	if model == ModelEngset {
		hi = float64(sources) * (1 - 1e-9)
		lo = min(lo, hi/2)
	}
	const size = 2048
	var ratio []float64
	if model == ModelEngset {
		ratio = engsetRatios(c, sources)
	}
	tab.n = make([]float64, size)
	tab.b = make([]float64, size)
	for i := range size {
		// Denser near the low end, where blocking changes fastest.
		u := float64(i) / (size - 1)
		a := lo + (hi-lo)*u*u
		if model == ModelEngset {
			tab.n[i], tab.b[i] = engsetCarried(c, sources, a, ratio)
		} else {
			bl := ErlangB(c, a)
			tab.n[i], tab.b[i] = a*(1-bl), bl
		}
	}
	return tab
}

// engsetCarried returns the mean occupancy and the call congestion of an
// Engset pool of c seats and the given sources, each busy with probability
// a/sources when nobody is refused. ratio[j-1] = (S-j+1)/j, from
// engsetRatios, saves a division per term.
func engsetCarried(c, sources int, a float64, ratio []float64) (n, blocking float64) {
	p := a / float64(sources)
	beta := p / (1 - p)
	// Occupancy: truncated binomial w_j ∝ C(S, j) β^j. Call congestion:
	// the same with S-1 sources (what an arriving source sees), whose
	// terms are v_j ∝ C(S-1, j) β^j = w_j (S-j)/S. Both rescaled as they
	// grow.
	w, sum, mean, vsum, v := 1.0, 1.0, 0.0, 1.0, 1.0
	top := min(c, sources)
	for j := 1; j <= top; j++ {
		w *= ratio[j-1] * beta
		v = w * float64(sources-j) / float64(sources)
		sum += w
		vsum += v
		mean += float64(j) * w
		if sum > 1e250 {
			w, sum, mean, vsum, v = w/1e250, sum/1e250, mean/1e250, vsum/1e250, v/1e250
		}
	}
	if c >= sources {
		return mean / sum, 0
	}
	return mean / sum, v / vsum
}

// engsetRatios returns (S-j+1)/j for j = 1..min(c, S).
func engsetRatios(c, sources int) []float64 {
	r := make([]float64, min(c, sources))
	for j := range r {
		r[j] = float64(sources-j) / float64(j+1)
	}
	return r
}

// blocking interpolates the blocking at mean occupancy n.
func (tab *carriedTable) blocking(n float64) float64 {
	if n <= tab.n[0] {
		return 0
	}
	last := len(tab.n) - 1
	if n >= tab.n[last] {
		return tab.b[last]
	}
	i, j := 0, last
	for j-i > 1 {
		mid := (i + j) / 2
		if tab.n[mid] <= n {
			i = mid
		} else {
			j = mid
		}
	}
	f := (n - tab.n[i]) / (tab.n[j] - tab.n[i])
	return tab.b[i] + f*(tab.b[j]-tab.b[i])
}

// quietLoad is the load below which Erlang B for seats is under 1e-12.
func quietLoad(seats int) float64 {
	lo, hi := 0.0, float64(seats)
	for range 40 {
		mid := (lo + hi) / 2
		if ErlangB(seats, mid) < 1e-12 {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo
}

// String summarises the traffic for logs.
func (t *Traffic) String() string {
	return fmt.Sprintf("%d sources, %d arrivals, busy hour %d: %.1f erlangs, mean hold %.0f s", t.Sources, t.Arrivals, t.BusyHour, t.Erlangs, t.MeanHold)
}
