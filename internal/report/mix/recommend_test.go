package mix

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// desk is a small hand-made desk: heavy people at their desk 8:00–17:00
// every working day, and light people with a 20-minute session a day
// between 9:00 and 16:00.
func desk(heavy, light, days int, seed uint64) []Interval {
	rng := rand.New(rand.NewPCG(seed, 2))
	d0 := time.Date(2025, 2, 3, 0, 0, 0, 0, time.UTC).Unix()
	var out []Interval
	for day := range days {
		if day%7 >= 5 {
			continue
		}
		t := d0 + int64(day)*86400
		for p := range heavy {
			out = append(out, Interval{Person: int32(p), Start: t + 8*hour, End: t + 17*hour, Logout: true})
		}
		for p := heavy; p < heavy+light; p++ {
			s := t + 9*hour + rng.Int64N(7*hour)
			out = append(out, Interval{Person: int32(p), Start: s, End: s + 1200})
		}
	}
	return out
}

func TestRecommendNamesHeavyUsers(t *testing.T) {
	const heavy, light = 8, 150
	d := desk(heavy, light, 40, 1)
	tests := []struct {
		name      string
		prices    Prices
		wantNamed int // heavy people named (-1: every active person)
	}{
		{"named seat cheaper than a heavy user's concurrent share", Prices{100, 250}, heavy},
		{"named seat as dear as a concurrent one", Prices{250, 250}, 0},
		{"named seats free", Prices{0, 250}, -1},
		{"concurrent seats free", Prices{100, 0}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := Recommend(d, heavy+light, tt.prices, 0.01, 1800, 300)
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantNamed < 0 {
				if len(o.Named) != heavy+light || o.Concurrent != 0 {
					t.Fatalf("named %d, concurrent %d; want all %d named, no concurrent", len(o.Named), o.Concurrent, heavy+light)
				}
				return
			}
			// The heavy users come first; a light user may be named too
			// when that happens to save a concurrent seat on this history.
			if len(o.Named) < tt.wantNamed || len(o.Named) > tt.wantNamed+light/50 {
				t.Fatalf("named %v; want the %d heavy users and at most %d others", o.Named, tt.wantNamed, light/50)
			}
			for _, p := range o.Named[:tt.wantNamed] {
				if p >= heavy {
					t.Errorf("named %v; want the %d heavy users first", o.Named, tt.wantNamed)
				}
			}
			checkMinimal(t, d, o, 0.01)
		})
	}
}

// checkMinimal checks that the option's replay is within target and that
// one concurrent seat fewer is not.
func checkMinimal(t *testing.T, d []Interval, o Option, target float64) {
	t.Helper()
	named := make([]bool, 0)
	for _, p := range o.Named {
		for int(p) >= len(named) {
			named = append(named, false)
		}
		named[p] = true
	}
	a, den, err := Replay(d, named, o.Concurrent, o.IdleTimeout, o.Linger)
	if err != nil {
		t.Fatal(err)
	}
	if a > 0 && float64(den) > target*float64(a) {
		t.Errorf("%d concurrent seats: replayed %d of %d refused, over the %v target", o.Concurrent, den, a, target)
	}
	if o.Concurrent > 0 {
		a, den, _ = Replay(d, named, o.Concurrent-1, o.IdleTimeout, o.Linger)
		if float64(den) <= target*float64(a) {
			t.Errorf("%d concurrent seats would do (%d of %d refused), recommended %d", o.Concurrent-1, den, a, o.Concurrent)
		}
	}
}

func TestRecommendSyntheticYear(t *testing.T) {
	sp := yearSpec{people: 600, heavy: 0.1, lightRate: 0.75, seed: 4}
	d := genYear(sp)
	p := Prices{100, 250}
	for _, target := range []float64{0.01, 0.05} {
		o, err := Recommend(d, sp.people, p, target, 1800, 300)
		if err != nil {
			t.Fatal(err)
		}
		checkMinimal(t, d, o, target)
		t.Logf("target %v: %d named, %d concurrent, %.0f a year", target, len(o.Named), o.Concurrent, o.Cost(p))
		// Nothing much cheaper a few named seats either way.
		for _, dk := range []int{-10, 10} {
			k := len(o.Named) + dk
			if c, ok := cheapestPool(d, sp.people, o, k, target); ok {
				if alt := 12 * (float64(k)*p.NamedMonthly + float64(c)*p.ConcurrentMonthly); alt < o.Cost(p)*0.995 {
					t.Errorf("target %v: %d named and %d concurrent cost %.0f, recommended %.0f", target, k, c, alt, o.Cost(p))
				}
			}
		}
	}
}

// cheapestPool finds by plain replays the smallest pool within target with
// the first k people of the recommendation's order named.
func cheapestPool(d []Interval, people int, o Option, k int, target float64) (int, bool) {
	h, _ := prepare(d, people)
	tl := newTimeline(h, o.IdleTimeout, o.Linger)
	order := tl.rank(target).order
	if k < 0 || k > len(order) {
		return 0, false
	}
	named := make([]bool, people)
	for _, p := range order[:k] {
		named[p] = true
	}
	var r replayer
	ok := func(c int) bool {
		a, den := h.replay(named, c, o.IdleTimeout, o.Linger, &r)
		return float64(den) <= target*float64(a)
	}
	lo, hi := -1, people // lo fails (or is below 0), hi does
	for hi-lo > 1 {
		if mid := (lo + hi) / 2; ok(mid) {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi, true
}

func TestRecommendEmptyDemand(t *testing.T) {
	o, err := Recommend(nil, 10, Prices{100, 250}, 0.01, 1800, 300)
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Named) != 0 || o.Concurrent != 0 || o.Name != Recommended {
		t.Errorf("empty demand: %+v; want no seats", o)
	}
}

func TestRecommendErrors(t *testing.T) {
	d := desk(1, 3, 3, 1)
	tests := []struct {
		name   string
		target float64
		prices Prices
		idle   int64
		people int
		want   error
	}{
		{"zero target", 0, Prices{1, 2}, 0, 4, ErrTarget},
		{"target of one", 1, Prices{1, 2}, 0, 4, ErrTarget},
		{"negative target", -0.1, Prices{1, 2}, 0, 4, ErrTarget},
		{"NaN target", math.NaN(), Prices{1, 2}, 0, 4, ErrTarget},
		{"negative price", 0.01, Prices{-1, 2}, 0, 4, ErrPrices},
		{"infinite price", 0.01, Prices{1, math.Inf(1)}, 0, 4, ErrPrices},
		{"negative idle timeout", 0.01, Prices{1, 2}, -1, 4, ErrOption},
		{"person outside the table", 0.01, Prices{1, 2}, 0, 3, ErrDemand},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Recommend(d, tt.people, tt.prices, tt.target, tt.idle, 0)
			if !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestRecommendDeterministic(t *testing.T) {
	d := desk(5, 80, 20, 3)
	a, _ := Recommend(d, 85, Prices{100, 250}, 0.02, 900, 60)
	shuffled := slices.Clone(d)
	rand.New(rand.NewPCG(1, 1)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	b, _ := Recommend(shuffled, 85, Prices{100, 250}, 0.02, 900, 60)
	if a.Concurrent != b.Concurrent || len(a.Named) != len(b.Named) {
		t.Errorf("input order changed the recommendation: %d+%d vs %d+%d", len(a.Named), a.Concurrent, len(b.Named), b.Concurrent)
	}
}
