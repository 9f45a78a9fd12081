package mix

import (
	"math"
	"testing"
)

// diagReplay is the plain replay recording, per quarter-hour, arrivals and denials, and retries.
func diagReplay(h *history, named []bool, seats int, idle, linger int64, origin int64) (arr, den map[int64]float64, fresh, retry, denFresh, denRetry int) {
	arr, den = map[int64]float64{}, map[int64]float64{}
	var w wheel
	w.reset(h.people)
	run := make([]int64, h.people)
	for i := range run {
		run[i] = -1
	}
	tails := [2]int64{idle, linger}
	for _, e := range h.events {
		p := int32(e.who >> 1)
		if named[p] {
			continue
		}
		s := int64(e.start)
		end := int64(e.end) + tails[e.who&1]
		isFresh := run[p] < s
		if isFresh {
			run[p] = end
		} else {
			run[p] = max(run[p], end)
		}
		if cur := w.hold[p]; cur >= s {
			if end > cur {
				w.hold[p] = end
			}
			continue
		}
		w.advance(s)
		b := (h.base + s - origin) / bucketSeconds
		arr[b]++
		if isFresh {
			fresh++
		} else {
			retry++
		}
		if w.held >= seats {
			den[b]++
			if isFresh {
				denFresh++
			} else {
				denRetry++
			}
			continue
		}
		w.add(p, end)
	}
	return
}

func TestExploreDiag(t *testing.T) {
	sp := yearSpec{people: 20000, heavy: 0.1, lightRate: 0.75, seed: 1}
	d := genYear(sp)
	p := Prices{100, 250}
	h, _ := prepare(d, sp.people)
	tl := newTimeline(h, 1800, 300)
	best := newSearch(tl, p, 0.01).best()
	tr := tl.fit(best.named)
	c := best.option.Concurrent
	origin := floorDiv(h.base, bucketSeconds) * bucketSeconds
	arr, den, fr, rt, df, dr := diagReplay(h, best.named, c, 1800, 300, origin)
	t.Logf("c=%d fresh %d retry %d denied fresh %d retry %d  rate %.5f  fresh-only rate %.5f", c, fr, rt, df, dr, float64(df+dr)/float64(fr+rt), float64(df)/float64(fr))
	// recompute buckets with index
	first := int64(math.MaxInt64)
	for _, s := range tl.spells {
		if !best.named[s.p] {
			first = min(first, int64(s.start))
		}
	}
	o2 := floorDiv(h.base+first, bucketSeconds) * bucketSeconds
	t.Logf("origin diff %d", o2-origin)
	// group by A/c
	type agg struct{ n, pred, rep, arrRep float64 }
	groups := map[int]*agg{}
	nb := 0
	// rebuild bucket loads with their index
	busy := map[int64]float64{}
	na := map[int64]float64{}
	for _, s := range tl.spells {
		if best.named[s.p] {
			continue
		}
		st, e := h.base+int64(s.start)-origin, h.base+s.end-origin
		b := st / bucketSeconds
		na[b]++
		for st < e {
			next := min(e, (b+1)*bucketSeconds)
			busy[b] += float64(next - st)
			st = next
			b++
		}
	}
	for b, n := range na {
		A := busy[b] / bucketSeconds
		g := int(math.Floor(A / float64(c) * 20))
		if groups[g] == nil {
			groups[g] = &agg{}
		}
		groups[g].n += n
		groups[g].pred += n * ErlangB(c, A)
		groups[g].rep += den[b]
		groups[g].arrRep += arr[b]
		nb++
	}
	for g := 14; g <= 30; g++ {
		if a := groups[g]; a != nil {
			t.Logf("A/c %.2f-%.2f: spells %.0f pred denials %.0f replay denials %.0f (replay arrivals %.0f)", float64(g)/20, float64(g+1)/20, a.n, a.pred, a.rep, a.arrRep)
		}
	}
	pb, _ := tr.Predict(c)
	t.Logf("predict %.5f", pb)
}
