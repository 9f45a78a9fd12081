package mix

import (
	"errors"
	"testing"
)

// iv builds an interval at times relative to an arbitrary epoch.
func iv(p int32, start, end int64, logout bool) Interval {
	const t0 = 1_750_000_000
	return Interval{Person: p, Start: t0 + start, End: t0 + end, Logout: logout}
}

func TestReplayHandMade(t *testing.T) {
	const idle, linger = 10, 2
	tests := []struct {
		name         string
		demand       []Interval
		named        []bool
		seats        int
		wantArrivals int
		wantDenied   int
	}{
		{"empty", nil, nil, 3, 0, 0},
		{"idle tail holds the seat to End+idle inclusive",
			[]Interval{iv(0, 0, 10, false), iv(1, 20, 25, false)}, nil, 1, 2, 1},
		{"seat free the second after the idle tail",
			[]Interval{iv(0, 0, 10, false), iv(1, 21, 25, false)}, nil, 1, 2, 0},
		{"logout holds only the linger",
			[]Interval{iv(0, 0, 10, true), iv(1, 12, 25, false), iv(2, 30, 31, false)}, nil, 1, 3, 1},
		{"seat free the second after the linger",
			[]Interval{iv(0, 0, 10, true), iv(1, 13, 25, false)}, nil, 1, 2, 0},
		{"overlapping intervals of one person hold one lease",
			[]Interval{iv(0, 0, 10, false), iv(0, 5, 30, false), iv(1, 35, 36, false)}, nil, 1, 2, 1},
		{"an abutting interval extends the lease",
			[]Interval{iv(0, 0, 10, false), iv(0, 20, 25, true), iv(1, 27, 28, false), iv(1, 28, 40, false)}, nil, 1, 3, 1},
		{"two people, two seats, third refused",
			[]Interval{iv(0, 0, 100, false), iv(1, 1, 100, false), iv(2, 2, 3, false)}, nil, 2, 3, 1},
		{"named people are never refused and never counted",
			[]Interval{iv(0, 0, 100, false), iv(0, 50, 60, false), iv(1, 1, 2, false)}, []bool{true}, 0, 1, 1},
		{"a named person does not take a concurrent seat",
			[]Interval{iv(0, 0, 100, false), iv(1, 1, 2, false)}, []bool{true, false}, 1, 1, 0},
		{"a refused person asks again at the next interval",
			[]Interval{iv(1, 0, 100, false), iv(0, 10, 20, false), iv(0, 25, 30, false), iv(0, 200, 210, false)}, nil, 1, 4, 2},
		{"no seats refuses every interval",
			[]Interval{iv(0, 0, 10, false), iv(0, 5, 6, false)}, nil, 0, 2, 2},
		{"ties keep the order given",
			[]Interval{iv(3, 0, 10, false), iv(2, 0, 10, false), iv(1, 0, 10, false)}, nil, 2, 3, 1},
		{"unsorted demand is taken in start order",
			[]Interval{iv(1, 50, 60, false), iv(0, 0, 100, false)}, nil, 1, 2, 1},
		{"an End before Start is a zero-length activity",
			[]Interval{iv(0, 10, 5, false), iv(1, 20, 22, false)}, nil, 1, 2, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, d, err := Replay(tt.demand, tt.named, tt.seats, idle, linger)
			if err != nil {
				t.Fatal(err)
			}
			if a != tt.wantArrivals || d != tt.wantDenied {
				t.Errorf("Replay = %d arrivals, %d denied; want %d, %d", a, d, tt.wantArrivals, tt.wantDenied)
			}
			// The event-skipping replay must agree.
			people := 4
			h, err := prepare(tt.demand, people)
			if err != nil {
				t.Fatal(err)
			}
			tl := newTimeline(h, idle, linger)
			named := make([]bool, people)
			copy(named, tt.named)
			var st fastState
			fa, fd := tl.fastReplay(tl.sweep(named, nil), tt.seats, &st)
			if fa != a || fd != d {
				t.Errorf("fastReplay = %d, %d; Replay %d, %d", fa, fd, a, d)
			}
		})
	}
}

func TestReplayDeniedFlagIsDemand(t *testing.T) {
	d := []Interval{iv(0, 0, 100, false), iv(1, 10, 20, false)}
	d[1].Denied = true
	a, den, err := Replay(d, nil, 1, 0, 0)
	if err != nil || a != 2 || den != 1 {
		t.Fatalf("Replay = %d, %d, %v; want 2 arrivals, 1 denied", a, den, err)
	}
}

func TestReplayErrors(t *testing.T) {
	tests := []struct {
		name   string
		demand []Interval
		seats  int
		idle   int64
		want   error
	}{
		{"negative person", []Interval{{Person: -1}}, 1, 0, ErrDemand},
		{"negative seats", nil, -1, 0, ErrOption},
		{"negative idle timeout", nil, 1, -5, ErrOption},
		{"span over 136 years", []Interval{{Start: 0, End: 1}, {Start: 1 << 33, End: 1<<33 + 1}}, 1, 0, ErrDemand},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := Replay(tt.demand, nil, tt.seats, tt.idle, 0); !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestFastReplayOnSyntheticYear checks the event-skipping replay against
// the plain one on realistic data, around and far from the right size.
func TestFastReplayOnSyntheticYear(t *testing.T) {
	sp := yearSpec{people: 300, heavy: 0.1, lightRate: 0.75, seed: 9}
	h, err := prepare(genYear(sp), sp.people)
	if err != nil {
		t.Fatal(err)
	}
	tl := newTimeline(h, 1800, 300)
	named := make([]bool, sp.people)
	for p := range named {
		named[p] = p%7 == 0
	}
	lv := tl.sweep(named, nil)
	var st fastState
	var r replayer
	for _, c := range []int{0, 1, 5, 20, 30, 35, 40, 45, 60, 300} {
		wa, wd := h.replay(named, c, 1800, 300, &r)
		ga, gd := tl.fastReplay(lv, c, &st)
		if wa != ga || wd != gd {
			t.Errorf("%d seats: fast (%d, %d), plain (%d, %d)", c, ga, gd, wa, wd)
		}
	}
}
