package mix

import (
	"errors"
	"testing"
)

func TestCompare(t *testing.T) {
	const heavy, light = 6, 120
	d := desk(heavy, light, 30, 7)
	p := Prices{NamedMonthly: 100, ConcurrentMonthly: 250}
	today := Option{Name: "whatever", Named: []int32{0, 1, 50}, Concurrent: 12, IdleTimeout: 1800, Linger: 300}
	ev, err := Compare(d, heavy+light, today, p, 0.01)
	if err != nil {
		t.Fatal(err)
	}
	if len(ev) != 3 || ev[0].Name != AllNamed || ev[1].Name != Today || ev[2].Name != Recommended {
		t.Fatalf("got %d evaluations %v; want all named, today, recommended", len(ev), names(ev))
	}
	all, now, rec := ev[0], ev[1], ev[2]
	if len(all.Named) != heavy+light || all.Concurrent != 0 || all.YearlyCost != 12*100*(heavy+light) || all.Arrivals != 0 {
		t.Errorf("all named: %d named, %d concurrent, cost %v, %d arrivals", len(all.Named), all.Concurrent, all.YearlyCost, all.Arrivals)
	}
	if now.YearlyCost != 12*(3*100+12*250) || now.Sources != heavy+light-3 {
		t.Errorf("today: cost %v, %d sources", now.YearlyCost, now.Sources)
	}
	named := make([]bool, heavy+light)
	for _, q := range today.Named {
		named[q] = true
	}
	a, den, _ := Replay(d, named, 12, 1800, 300)
	if now.Arrivals != a || now.Denied != den || now.ReplayedDenialRate != float64(den)/float64(a) {
		t.Errorf("today replayed %d/%d (%v), Replay says %d/%d", now.Denied, now.Arrivals, now.ReplayedDenialRate, den, a)
	}
	if rec.ReplayedDenialRate > 0.01 || rec.YearlyCost > all.YearlyCost {
		t.Errorf("recommended: rate %v, cost %v (all named %v)", rec.ReplayedDenialRate, rec.YearlyCost, all.YearlyCost)
	}
	if rec.IdleTimeout != 1800 || rec.Linger != 300 {
		t.Errorf("recommended timers %d, %d; want today's", rec.IdleTimeout, rec.Linger)
	}
	for _, e := range ev[1:] {
		if e.Model != ModelErlangB && e.Model != ModelEngset || e.PredictedBlocking < 0 || e.PredictedBlocking > 1 || e.Erlangs <= 0 {
			t.Errorf("%s: model %q, predicted %v, erlangs %v", e.Name, e.Model, e.PredictedBlocking, e.Erlangs)
		}
	}
}

func names(ev []Evaluation) []string {
	var s []string
	for _, e := range ev {
		s = append(s, e.Name)
	}
	return s
}

func TestCompareErrors(t *testing.T) {
	d := desk(1, 3, 3, 1)
	p := Prices{1, 2}
	tests := []struct {
		name   string
		today  Option
		target float64
		want   error
	}{
		{"bad target", Option{}, 2, ErrTarget},
		{"negative seats", Option{Concurrent: -1}, 0.01, ErrOption},
		{"named outside the table", Option{Named: []int32{9}}, 0.01, ErrOption},
		{"named twice", Option{Named: []int32{1, 1}}, 0.01, ErrOption},
		{"negative linger", Option{Linger: -1}, 0.01, ErrOption},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Compare(d, 4, tt.today, p, tt.target); !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestCompareEmpty(t *testing.T) {
	ev, err := Compare(nil, 0, Option{Concurrent: 5, IdleTimeout: 60}, Prices{1, 2}, 0.01)
	if err != nil {
		t.Fatal(err)
	}
	if ev[0].YearlyCost != 0 || ev[1].YearlyCost != 12*5*2 || ev[2].YearlyCost != 0 {
		t.Errorf("costs %v, %v, %v; want 0, 120, 0", ev[0].YearlyCost, ev[1].YearlyCost, ev[2].YearlyCost)
	}
}
