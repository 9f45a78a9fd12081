package mix

import "math"

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
