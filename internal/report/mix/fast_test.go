package mix

import (
	"math/rand/v2"
	"testing"
)

// randomHistory makes small histories dense in the corner cases: equal
// starts, abutting and overlapping intervals of one person, long holds.
func randomHistory(rng *rand.Rand, people, n int, span int64) []Interval {
	d := make([]Interval, n)
	for i := range d {
		s := rng.Int64N(span)
		d[i] = Interval{
			Person: int32(rng.IntN(people)),
			Start:  1_700_000_000 + s,
			End:    1_700_000_000 + s + rng.Int64N(span/4+1),
			Logout: rng.IntN(3) == 0,
		}
	}
	return d
}

// TestFastReplayMatchesReplay checks the event-skipping replay against the
// plain one over many random histories, named sets and pool sizes.
func TestFastReplayMatchesReplay(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for round := range 400 {
		people := 1 + rng.IntN(30)
		n := rng.IntN(300)
		span := int64(10 + rng.IntN(5000))
		d := randomHistory(rng, people, n, span)
		idle, linger := rng.Int64N(span/3+1), rng.Int64N(span/10+1)
		h, err := prepare(d, people)
		if err != nil {
			t.Fatal(err)
		}
		tl := newTimeline(h, idle, linger)
		named := make([]bool, people)
		for p := range named {
			named[p] = rng.IntN(4) == 0
		}
		lv := tl.sweep(named, nil)
		var r replayer
		var st fastState
		for seats := 0; seats <= people+1; seats++ {
			wa, wd, _ := h.replay(named, seats, idle, linger, &r)
			ga, gd := tl.fastReplay(lv, seats, &st)
			if wa != ga || wd != gd {
				t.Fatalf("round %d seats %d: fast replay (%d arrivals, %d denied), plain (%d, %d)", round, seats, ga, gd, wa, wd)
			}
		}
	}
}
