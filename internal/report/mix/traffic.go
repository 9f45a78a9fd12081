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

// Models reported in Evaluation.Model.
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

	buckets  []load    // every quarter-hour of the period
	survival []float64 // survival[j]: share of spells held longer than j minutes
}

// load is the traffic of one quarter-hour: spells started in it and its
// mean number of held seats with unlimited seats.
type load struct {
	arrivals float64
	erlangs  float64
}

// Fit measures the offered traffic of demand for the people not named
// under the given idle timeout and linger.
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
	var first, last int64 = math.MaxInt64, math.MinInt64
	for _, sp := range tl.spells {
		if !named[sp.p] {
			first = min(first, int64(sp.start))
			last = max(last, sp.end)
		}
	}
	if first > last {
		return t
	}
	base := tl.h.base
	origin := floorDiv(base+first, day) * day
	nb := (base+last-origin)/bucketSeconds + 1
	busy := make([]float64, nb)
	arr := make([]float64, nb)
	var held float64
	for _, sp := range tl.spells {
		if named[sp.p] {
			continue
		}
		t.Arrivals++
		s, e := base+int64(sp.start)-origin, base+sp.end-origin
		held += float64(e - s)
		b := s / bucketSeconds
		arr[b]++
		for s < e {
			next := min(e, (b+1)*bucketSeconds)
			busy[b] += float64(next - s)
			s = next
			b++
		}
	}
	t.MeanHold = held / float64(t.Arrivals)
	t.survival = survivalCurve(tl.spells, named)
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
	t.buckets = expectedLoads(busy, arr, origin)
	return t
}

// expectedLoads turns the measured load of each quarter-hour into the
// expected load the Erlang formulas want, for the quarter-hours with
// arrivals.
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
		weekday[d] = int((floorDiv(start, day) + 3) % 7)
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
	return int((floorDiv(t, 3600) + 72) % 168)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// Model tells which formula Predict uses for a pool of seats seats.
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
// the prediction is the arrival-weighted mean over quarter-hours of the
// blocking at that quarter-hour's measured load: Σ n_b·B(seats, A_b) / Σ n_b
// with n_b the spells started in quarter-hour b and A_b its mean number of
// held seats with unlimited seats. Using the measured load rather than
// arrival rate × mean hold is the "modified offered load" approximation for
// time-varying loss systems, which stays accurate when the load swings
// within a hold time. B is Erlang B, or Engset with β = p/(1-p), p = A_b /
// sources, when the population is small (see Model).
func (t *Traffic) Predict(seats int) (blocking float64, model string) {
	model = t.Model(seats)
	if t.Arrivals == 0 {
		return 0, model
	}
	if seats <= 0 {
		return 1, model
	}
	if model == ModelErlangB && !pointwise {
		return t.predictLagged(seats), model
	}
	// Skip quarter-hours too quiet to block measurably; Engset never
	// blocks more than Erlang B at the same load.
	quiet := quietLoad(seats)
	var num, den float64
	for _, b := range t.buckets {
		den += b.arrivals
		if b.erlangs < quiet || b.arrivals == 0 {
			continue
		}
		var x float64
		if model == ModelEngset {
			p := min(b.erlangs/float64(t.Sources), 1-1e-12)
			x = Engset(seats, t.Sources, p/(1-p))
		} else {
			x = ErlangB(seats, b.erlangs)
		}
		num += b.arrivals * x
	}
	return num / den, model
}

var pointwise = false

var convolve = true

// predictLagged is the Erlang B prediction corrected for the pool's memory.
//
// Pointwise, B(c, m(t)) assumes the pool settles at every instant; after a
// surge it does not: the people it refused would have held seats for a
// whole hold time, and while the load stays near c the pool stays fuller
// than the steady state at m(t), so pointwise Erlang B runs low by a third
// at a sharp morning peak. The pool's mean occupancy is n(t) = m(t) − D(t),
// where D, the seats the refused would still hold, obeys
// D' = λ(t)B(t) − D/h (h the mean hold); B(t) is the Erlang blocking of the
// truncated-Poisson occupancy with mean n(t), which is B(c, a) for the a
// with a(1 − B(c, a)) = n(t). In steady state this is exactly Erlang B.
// It steps one minute at a time, with m(t) interpolated between
// quarter-hours.
func (t *Traffic) predictLagged(c int) float64 {
	tab := newCarriedTable(c, t.maxLoad())
	h := t.MeanHold
	if h <= 0 {
		h = 1
	}
	const steps = bucketSeconds / 60
	decay := math.Exp(-60 / h)
	var num, den, dd float64
	bs := t.buckets
	sur := t.survival
	K := len(sur)
	ring := make([]float64, K+1)
	pos, lastLoss := 0, -1<<62
	step := 0
	for i, b := range bs {
		den += b.arrivals
		next := b.erlangs
		if i+1 < len(bs) {
			next = bs[i+1].erlangs
		}
		if dd == 0 && max(b.erlangs, next) < tab.quiet && (!convolve || step-lastLoss > K) {
			step += steps
			continue
		}
		rate := b.arrivals / bucketSeconds
		for k := range steps {
			// m at the step's middle, interpolated towards the next bucket.
			f := (float64(k) + 0.5) / steps
			m := b.erlangs
			if f > 0.5 {
				m += (next - b.erlangs) * (f - 0.5)
			} else if i > 0 {
				m += (b.erlangs - bs[i-1].erlangs) * (f - 0.5)
			}
			if convolve {
				if step-lastLoss > K {
					clear(ring)
				}
				// D = Σ_j lost(t−j)·P(hold > j min).
				dd = 0
				for j := 1; j <= K && j <= step-lastLoss; j++ {
					dd += ring[(pos-j+len(ring)*2)%len(ring)] * sur[j-1]
				}
			}
			bl := tab.blocking(max(m-dd, 0))
			num += rate * 60 * bl
			if convolve {
				lost := rate * 60 * bl
				ring[pos%len(ring)] = lost
				if lost > 0 {
					lastLoss = step
				}
				pos++
				dd = 0
			} else {
				dd = dd*decay + rate*bl*h*(1-decay)
				if dd < 1e-9 {
					dd = 0
				}
			}
			step++
		}
	}
	return num / den
}

// survivalCurve is the share of spells held longer than j minutes, for j
// up to where it falls below 1e-4 (at most a day).
func survivalCurve(spells []spell, named []bool) []float64 {
	const most = 24 * 60
	hist := make([]float64, most+1)
	var n float64
	for _, sp := range spells {
		if named[sp.p] {
			continue
		}
		j := min((sp.end-int64(sp.start))/60, most)
		hist[j]++
		n++
	}
	sur := make([]float64, 0, most+1)
	left := n
	for j := 0; j <= most; j++ {
		left -= hist[j]
		x := left / n
		if x < 1e-4 {
			break
		}
		// held longer than j minutes: duration/60 > j
		sur = append(sur, x)
	}
	return sur
}

func (t *Traffic) maxLoad() float64 {
	var m float64
	for _, b := range t.buckets {
		m = max(m, b.erlangs)
	}
	return m
}

// carriedTable maps a pool's mean occupancy n to its blocking for a fixed
// pool of c seats, through the offered load a with a(1 − B(c, a)) = n.
type carriedTable struct {
	c     int
	quiet float64   // below this offered load blocking is under 1e-12
	n, b  []float64 // carried load and blocking on a grid of offered loads
}

func newCarriedTable(c int, maxLoad float64) *carriedTable {
	tab := &carriedTable{c: c, quiet: quietLoad(c)}
	lo := tab.quiet
	hi := max(3*float64(c), maxLoad*1.5, lo+1)
	const size = 2048
	tab.n = make([]float64, size)
	tab.b = make([]float64, size)
	// Denser near c, where blocking changes fastest: a grid in u with
	// a = lo + (hi-lo)·u².
	for i := range size {
		u := float64(i) / (size - 1)
		a := lo + (hi-lo)*u*u
		bl := ErlangB(c, a)
		tab.n[i], tab.b[i] = a*(1-bl), bl
	}
	return tab
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
