package mix

import "math"

// Model names the classical formula that Predict generalises for a pool of
// seats seats, so a report can label the prediction: Engset when there are
// fewer than ten people per seat, else Erlang B. Both are computed the same
// way, with the spread measured on the history (see Predict); with Poisson
// spread and no steady share that is Erlang B exactly, and with the spread
// of equally busy people it is Engset.
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
// The blocking at a load is that of a loss system whose level with
// unlimited seats has mean m and the spread measured on the history (see
// measureShape): a steady share s of the load, s·m seats that people at
// their desks all through the busy hours simply hold, and the rest BPP
// traffic (Poisson, binomial or Pascal, see bppCarried) of mean (1 − s)·m
// and the measured peakedness z, meeting the c − s·m seats left. With
// s = 0 and z = 1 this is Erlang B; with z = 1 − m/S (S equally busy
// people) it is Engset. Erlang B alone takes the level as Poisson about m,
// which a desk of a few dozen people, some of them at the desk all day, is
// not: its level varies half as much, and Erlang B then predicts two to
// four times the blocking a replay finds.
//
// Pointwise blocking (the "modified offered load" approximation) assumes
// the pool settles at every instant, and at a sharp morning peak it does
// not: the people refused would have held seats for a whole hold time, and
// while the load stays near c the pool stays fuller than the steady state
// at m(t); pointwise Erlang B ran a third low on such peaks. So the pool's
// mean occupancy is taken as n(t) = m(t) − D(t), where D is what the
// refused would still hold: D(t) = Σ_u λ(u)B(u)·P(hold > t − u), with the
// hold-time distribution measured on the spells, and the blocking is that
// of the load whose mean occupancy is n(t). In steady state this is the
// loss system's own blocking; on the synthetic years of the tests it
// tracks the replay within about ten per cent.
func (t *Traffic) Predict(seats int) (blocking float64, model string) {
	model = t.Model(seats)
	if t.Arrivals == 0 {
		return 0, model
	}
	if seats <= 0 {
		return 1, model
	}
	tab := t.newCarriedTable(seats)
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
// pool, through the expected load m: on a grid of m it holds the mean
// occupancy n(m) of the pool and its blocking b(m).
type carriedTable struct {
	quiet float64   // below this load blocking is under 1e-12
	n, b  []float64 // increasing in m
}

func (t *Traffic) newCarriedTable(c int) *carriedTable {
	steady, spread := t.steadyAndSpread()
	at := func(m float64) (n, b float64) { return shiftedBPP(c, m, steady, spread) }
	tab := &carriedTable{quiet: quietLoad(c, at)}
	lo := tab.quiet
	hi := max(3*float64(c), 1.5*t.maxLoad(), lo+1)
	const size = 2048
	tab.n = make([]float64, size)
	tab.b = make([]float64, size)
	for i := range size {
		// Denser near the low end, where blocking changes fastest.
		u := float64(i) / (size - 1)
		tab.n[i], tab.b[i] = at(lo + (hi-lo)*u*u)
		if i > 0 && tab.n[i] <= tab.n[i-1] {
			// Interpolating between whole servers can flatten n(m) by a
			// rounding error; the inversion wants it increasing.
			tab.n[i] = math.Nextafter(tab.n[i-1], math.Inf(1))
		}
	}
	return tab
}

// steadyAndSpread returns the steady share of the load and the peakedness of the
// rest (see Predict and measureShape): Poisson for traffic that was not
// measured.
func (t *Traffic) steadyAndSpread() (steady, spread float64) {
	sh := t.shape
	if sh.mean <= 0 || sh.spread <= 0 || t.Sources <= 0 {
		return 0, 1
	}
	steady = min(max((sh.squares-sh.sum*sh.sum/float64(t.Sources))/sh.mean, 0), 0.99)
	return steady, max(sh.spread/(1-steady), 0.01)
}

// shiftedBPP returns the mean occupancy and the call congestion of a pool
// of c seats at expected load m when a share steady of the load is held
// steadily and the rest is BPP traffic of peakedness spread: the steady
// part D = steady·m takes D seats, and the random part, of mean m − D,
// meets the c − D seats left (between whole numbers of seats the blocking
// is interpolated geometrically, the occupancy linearly).
func shiftedBPP(c int, m, steady, spread float64) (n, blocking float64) {
	d := steady * m
	left := float64(c) - d
	if left <= 0 {
		return float64(c), 1
	}
	mu := m - d
	lo := math.Floor(left)
	f := left - lo
	n0, b0 := bppCarried(int(lo), mu, spread)
	if f == 0 {
		return d + n0, b0
	}
	n1, b1 := bppCarried(int(lo)+1, mu, spread)
	n = d + n0 + f*(n1-n0)
	if b0 > 0 && b1 > 0 {
		return n, math.Exp(math.Log(b0) + f*(math.Log(b1)-math.Log(b0)))
	}
	return n, b0 + f*(b1-b0)
}

// bppCarried returns the mean occupancy and the call congestion of a loss
// system of c servers offered BPP traffic of mean mu (the mean occupancy
// with unlimited servers) and peakedness z (its variance over its mean):
// in state j arrivals come at rate α + βj, with α = mu/z and β = 1 − 1/z,
// so that the unlimited system has mean mu and variance z·mu. z = 1 is
// Poisson traffic and Erlang B; z < 1 is a binomial of mu/(1−z) sources,
// Engset; z > 1 is Pascal traffic. The stationary distribution, truncated
// at c, is insensitive to the hold times, as Erlang B is.
func bppCarried(c int, mu, z float64) (n, blocking float64) {
	if c <= 0 {
		return 0, 1
	}
	if mu <= 0 {
		return 0, 0
	}
	alpha, beta := mu/z, 1-1/z
	// w_j ∝ Π_{i<j} λ_i/(i+1); arrivals weigh each state by its λ_j.
	w, sum, mean, arr := 1.0, 1.0, 0.0, alpha
	last := 0.0 // λ_c w_c
	for j := 0; j < c; j++ {
		lam := alpha + beta*float64(j)
		if lam <= 0 {
			// Every source is busy below c seats: nobody is refused.
			return mean / sum, 0
		}
		w *= lam / float64(j+1)
		next := max(alpha+beta*float64(j+1), 0)
		sum += w
		mean += float64(j+1) * w
		arr += next * w
		last = next * w
		if sum > 1e250 {
			w, sum, mean, arr, last = w/1e250, sum/1e250, mean/1e250, arr/1e250, last/1e250
		}
	}
	return mean / sum, last / arr
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

// quietLoad is the load below which the blocking of at is under 1e-12.
func quietLoad(seats int, at func(m float64) (n, b float64)) float64 {
	lo, hi := 0.0, float64(seats)
	for range 40 {
		mid := (lo + hi) / 2
		if _, b := at(mid); b < 1e-12 {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo
}
