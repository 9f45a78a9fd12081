package mix

import (
	"cmp"
	"math/rand/v2"
	"slices"
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
		span := []int64{10, 500, 5000, 300000}[round%4] + rng.Int64N(100)
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
		for _, list := range []bool{false, true} {
			if list {
				// Replays from the list of critical events (or from the
				// levels below its threshold).
				lv.keepCritical(tl, rng.IntN(people+1))
			}
			for seats := 0; seats <= people+1; seats++ {
				wa, wd := h.replay(named, seats, idle, linger, &r)
				ga, gd := tl.fastReplay(lv, seats, &st)
				if wa != ga || wd != gd {
					t.Fatalf("round %d seats %d list %v: fast replay (%d arrivals, %d denied), plain (%d, %d)", round, seats, list, ga, gd, wa, wd)
				}
			}
		}
	}
}

// naiveReplay is the replay written the obvious way, O(events × people),
// as a reference for the timing wheel.
func naiveReplay(d []Interval, named []bool, seats int, idle, linger int64) (arrivals, denied int) {
	order := slices.Clone(d)
	slices.SortStableFunc(order, func(a, b Interval) int { return cmp.Compare(a.Start, b.Start) })
	hold := map[int32]int64{}
	for _, x := range order {
		if int(x.Person) < len(named) && named[x.Person] {
			continue
		}
		end := max(x.End, x.Start) + idle
		if x.Logout {
			end = max(x.End, x.Start) + linger
		}
		if h, ok := hold[x.Person]; ok && h >= x.Start {
			hold[x.Person] = max(h, end)
			continue
		}
		held := 0
		for q, h := range hold {
			if h >= x.Start {
				held++
			} else {
				delete(hold, q)
			}
		}
		arrivals++
		if held >= seats {
			denied++
			continue
		}
		hold[x.Person] = end
	}
	return arrivals, denied
}

// TestReplayMatchesNaive checks the timing wheel against the obvious
// replay, with holds from seconds to several days so that the wheel's
// overflow and long jumps are exercised.
func TestReplayMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 17))
	for round := range 300 {
		people := 1 + rng.IntN(20)
		span := []int64{100, 5000, 200000, 2000000}[round%4]
		d := randomHistory(rng, people, rng.IntN(200), span)
		idle := []int64{0, 30, 1800, 100000}[rng.IntN(4)]
		linger := rng.Int64N(300)
		named := make([]bool, people)
		for p := range named {
			named[p] = rng.IntN(5) == 0
		}
		for seats := 0; seats <= people; seats += 1 + seats/3 {
			wa, wd, err := Replay(d, named, seats, idle, linger)
			if err != nil {
				t.Fatal(err)
			}
			na, nd := naiveReplay(d, named, seats, idle, linger)
			if wa != na || wd != nd {
				t.Fatalf("round %d, %d seats, idle %d: Replay (%d, %d), naive (%d, %d)", round, seats, idle, wa, wd, na, nd)
			}
		}
	}
}
