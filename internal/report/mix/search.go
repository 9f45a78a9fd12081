package mix

import (
	"math"
	"slices"
	"sync"
)

// refineShare is the step, as a share of the first k, of the exact
// evaluations tried around it. Cost is flat near the optimum (each person
// near the threshold saves about as much as their named seat costs), so a
// coarse look on both sides finds what a finer one would within pennies.
const refineShare = 0.05

// outcome is one evaluated point of the search: the top k people named and
// the smallest pool within target for the rest.
type outcome struct {
	option           Option
	k                int
	arrivals, denied int
	cost             float64
	named            []bool
	slope            float64 // d ln(rate) / d seat measured near the answer, 0 if unknown
}

// worker holds one goroutine's buffers.
type worker struct {
	buf levels
	st  fastState
	r   replayer
}

// search finds the recommended option on one timeline.
type search struct {
	tl      *timeline
	p       Prices
	target  float64
	rank    ranking
	workers [2]worker
}

func newSearch(tl *timeline, p Prices, target float64) *search {
	s := &search{tl: tl, p: p, target: target}
	s.rank = tl.rank(target)
	return s
}

// better orders outcomes: cheaper, then fewer seats, then fewer named.
func better(a, b *outcome) bool {
	if d := a.cost - b.cost; math.Abs(d) > 1e-9*max(1, math.Abs(a.cost), math.Abs(b.cost)) {
		return d < 0
	}
	ta, tb := a.k+a.option.Concurrent, b.k+b.option.Concurrent
	if ta != tb {
		return ta < tb
	}
	return a.k < b.k
}

// best runs the search over k, the number of named seats.
func (s *search) best() *outcome {
	active := len(s.rank.order)
	pn, pc := s.p.NamedMonthly, s.p.ConcurrentMonthly
	k0 := 0
	switch {
	case pc == 0:
		k0 = 0
	case pn == 0:
		k0 = active
	default:
		ratio := pn / pc
		for k0 < active && s.rank.share[s.rank.order[k0]] > ratio {
			k0++
		}
	}
	allNamed := s.outcome(active, slices.Clone(s.tl.h.seen), 0, 0, 0, 0)
	if k0 == active {
		return allNamed
	}
	best := s.eval(k0, nil, &s.workers[0])
	if better(allNamed, best) {
		best = allNamed
	}
	// One step each side, in parallel; keep going while it pays.
	step := max(1, int(refineShare*float64(k0)))
	var side [2]*outcome
	var wg sync.WaitGroup
	for i, k := range []int{k0 - step, k0 + step} {
		if k < 0 || k >= active {
			continue
		}
		wg.Go(func() { side[i] = s.eval(k, best, &s.workers[i]) })
	}
	wg.Wait()
	for i, dir := range []int{-1, 1} {
		o := side[i]
		for o != nil && better(o, best) {
			best = o
			k := o.k + dir*step
			o = nil
			if k >= 0 && k < active {
				o = s.eval(k, best, &s.workers[0])
			}
		}
	}
	return best
}

// eval returns the outcome with the top k people named, guessing the pool
// from a nearby outcome when there is one.
func (s *search) eval(k int, near *outcome, w *worker) *outcome {
	named := make([]bool, s.tl.h.people)
	for _, p := range s.rank.order[:k] {
		named[p] = true
	}
	guess, slope := -1, 0.0
	if near != nil && near.k != len(s.rank.order) {
		// Each person named takes their share of peak time off the pool.
		g := float64(near.option.Concurrent)
		for j := min(k, near.k); j < max(k, near.k); j++ {
			d := s.rank.share[s.rank.order[j]]
			if k > near.k {
				g -= d
			} else {
				g += d
			}
		}
		guess, slope = int(math.Round(g)), near.slope
	}
	lv := s.tl.sweep(named, &w.buf)
	sz := s.sizer(lv, named, w)
	c, a, d := sz.minSeats(guess, slope)
	return s.outcome(k, named, c, a, d, sz.slope)
}

func (s *search) outcome(k int, named []bool, c, a, d int, slope float64) *outcome {
	o := &outcome{k: k, named: named, arrivals: a, denied: d, slope: slope}
	o.option = Option{
		Name:        Recommended,
		Named:       append([]int32(nil), s.rank.order[:k]...),
		Concurrent:  c,
		IdleTimeout: s.tl.idle,
		Linger:      s.tl.linger,
	}
	o.cost = o.option.Cost(s.p)
	return o
}

// sizer finds the smallest pool within target for one swept named set.
type sizer struct {
	tl     *timeline
	lv     *levels
	named  []bool
	w      *worker
	target float64
	probed map[int][2]int // seats → arrivals, denied
	slope  float64
}

func (s *search) sizer(lv *levels, named []bool, w *worker) *sizer {
	return &sizer{tl: s.tl, lv: lv, named: named, w: w, target: s.target, probed: map[int][2]int{}}
}

// rate replays c seats and returns the denial rate.
func (z *sizer) rate(c int) float64 {
	r, ok := z.probed[c]
	if !ok {
		a, d := z.tl.replayLevels(z.lv, z.named, c, &z.w.st, &z.w.r)
		r = [2]int{a, d}
		z.probed[c] = r
	}
	if r[0] == 0 {
		return 0
	}
	return float64(r[1]) / float64(r[0])
}

// tail is the share of spells that started with at least c others holding.
func (z *sizer) tail(c int) float64 {
	var n int64
	for l := max(c, 0); l < len(z.lv.atFresh); l++ {
		n += z.lv.atFresh[l]
	}
	return float64(n) / float64(z.lv.arrivals)
}

// minSeats returns the smallest pool whose replay is within target, with
// that replay's counts.
//
// Upper bound, no replay needed: a request can be refused only when at
// least c others hold a seat in the unlimited system, and there are at
// least as many requests as spells, so the rate at c is at most
// #{events with ≥ c others} / spells. Below it the denial rate falls
// roughly exponentially with c, so the search takes secant steps on
// ln(rate) from the guess until the answer is bracketed (doubling the step
// when a step does not cross), then interpolates inside the bracket. A
// good guess needs three or four replays; replays far below the answer,
// the slow ones, are avoided.
func (z *sizer) minSeats(guess int, slope float64) (c, arrivals, denied int) {
	lv := z.lv
	if lv.arrivals == 0 {
		return 0, 0, 0
	}
	limit := z.target * float64(lv.arrivals)
	hi, tail := len(lv.atAny), int64(0)
	for hi > 1 && float64(tail+lv.atAny[hi-1]) <= limit {
		hi--
		tail += lv.atAny[hi]
	}
	lo := 0 // with no seat every request is refused
	if guess <= lo || guess >= hi {
		// Calibrate the unlimited system's tail on one replay at the bound.
		rh, th := z.rate(hi), z.tail(hi)
		rho := 1.0 / 3
		if rh > 0 && th > 0 {
			rho = rh / th
		}
		guess = hi
		for guess > 1 && rho*z.tail(guess-1) <= z.target {
			guess--
		}
		if guess == hi {
			guess = hi - 1
		}
	}
	if slope >= 0 {
		// From the unlimited system's tail near the guess.
		w := max(1, guess/50)
		if a, b := z.tail(guess-w), z.tail(guess+w); a > 0 && b > 0 && b < a {
			slope = math.Log(b/a) / float64(2*w)
		} else {
			slope = -0.05
		}
	}
	// Invariant: lo infeasible, hi feasible.
	c = min(max(guess, lo+1), hi)
	if cmin := c - max(8, c/16); lv.fewCritical(cmin) {
		lv.keepCritical(z.tl, cmin)
	}
	prevC, prevR := -1, 0.0
	lastSide, same, stepMin := 0, 0, 1
	for hi-lo > 1 {
		r := z.rate(c)
		side := 1
		if r <= z.target {
			hi = c
		} else {
			lo, side = c, -1
		}
		if hi-lo <= 1 {
			break
		}
		if prevC >= 0 && prevC != c && prevR > 0 && r > 0 && r != prevR {
			if sl := (math.Log(r) - math.Log(prevR)) / float64(c-prevC); sl < 0 {
				slope = sl
			}
		}
		if side == lastSide {
			same++
			stepMin *= 2
		} else {
			same, stepMin = 0, 1
		}
		_, hiProbed := z.probed[hi]
		var next int
		switch {
		case lo > 0 && hiProbed && same < 3:
			// Bracketed: interpolate linearly between the ends (regula
			// falsi; the rate is close to linear over a few seats).
			rl, rh := z.rate(lo), z.rate(hi)
			next = lo + int(math.Ceil(float64(hi-lo)*(rl-z.target)/(rl-rh)))
		case lo > 0 && hiProbed:
			next = lo + (hi-lo)/2 // the same end three times: bisect
		case r > 0:
			// Secant on ln(rate), at least stepMin towards the answer.
			step := math.Log(z.target/r) / slope
			next = c + int(math.Round(max(-float64(hi), min(float64(hi), step))))
			if side > 0 {
				next = min(next, c-stepMin)
			} else {
				next = max(next, c+stepMin)
			}
		default:
			next = c - stepMin
		}
		next = min(max(next, lo+1), hi-1)
		if _, done := z.probed[next]; done {
			next = lo + (hi-lo)/2
		}
		prevC, prevR, lastSide, c = c, r, side, next
	}
	z.slope = slope
	z.rate(hi)
	r := z.probed[hi]
	return hi, r[0], r[1]
}
