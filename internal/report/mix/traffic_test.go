package mix

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// poissonDays makes days of Poisson arrivals whose rate peaks at 10:00
// (a Gaussian of the given width in hours), with hold times of a constant
// plus a lognormal, like sessions followed by an idle timeout.
func poissonDays(seed uint64, days int, peakPerSec, widthH float64) []Interval {
	rng := rand.New(rand.NewPCG(seed, 1))
	start := time.Date(2025, 1, 6, 0, 0, 0, 0, time.UTC).Unix()
	var out []Interval
	for t := 0.0; t < float64(days)*86400; {
		t += rng.ExpFloat64() / peakPerSec
		h := math.Mod(t, 86400)/3600 - 10
		if rng.Float64() > math.Exp(-h*h/(2*widthH*widthH)) {
			continue
		}
		s := start + int64(t)
		hold := 1200 + 720*math.Exp(0.8*rng.NormFloat64())
		out = append(out, Interval{Person: int32(rng.IntN(1 << 20)), Start: s, End: s + int64(hold)})
	}
	return out
}

// TestPredictTracksReplay checks the model against the replay where the
// model's assumptions hold (many independent people, Poisson arrivals),
// with a sharp daily peak: pointwise Erlang B runs low there, the
// prediction must not.
func TestPredictTracksReplay(t *testing.T) {
	tests := []struct {
		name         string
		peak, widthH float64
		days         int
		loads        []float64 // pool size as a share of the busy-hour erlangs
		tolerance    float64
	}{
		{"moderate peak", 0.08, 2, 120, []float64{0.95, 1, 1.05}, 0.12},
		{"large sharp peak", 0.4, 1.15, 60, []float64{0.97, 1, 1.03}, 0.15},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := poissonDays(3, tt.days, tt.peak, tt.widthH)
			people := 1 << 20
			h, err := prepare(d, people)
			if err != nil {
				t.Fatal(err)
			}
			tl := newTimeline(h, 0, 0)
			named := make([]bool, people)
			tr := tl.fit(named)
			lv := tl.sweep(named, nil)
			var st fastState
			for _, f := range tt.loads {
				c := int(f * tr.Erlangs)
				a, den := tl.fastReplay(lv, c, &st)
				got := float64(den) / float64(a)
				pred, model := tr.Predict(c)
				if model != ModelErlangB {
					t.Fatalf("model %s for %d sources and %d seats", model, tr.Sources, c)
				}
				t.Logf("%d seats (%.0f erlangs): predicted %.5f, replayed %.5f", c, tr.Erlangs, pred, got)
				if rel := (pred - got) / got; math.Abs(rel) > tt.tolerance {
					t.Errorf("%d seats (%.0f erlangs): predicted %.5f, replayed %.5f (%.0f%%)", c, tr.Erlangs, pred, got, 100*rel)
				}
			}
		})
	}
}

// TestEngsetForSmallPopulations checks that a small population is
// predicted with Engset, which is closer to the replay than Erlang B.
func TestEngsetForSmallPopulations(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const sources = 30
	var d []Interval
	for p := range sources {
		tt := rng.Float64() * 3600
		for tt < 100*86400 {
			tt += rng.ExpFloat64() * 3600
			hold := rng.ExpFloat64() * 2400
			s := int64(1_735_689_600 + tt)
			d = append(d, Interval{Person: int32(p), Start: s, End: s + int64(hold)})
			tt += hold
		}
	}
	h, _ := prepare(d, sources)
	tl := newTimeline(h, 0, 0)
	named := make([]bool, sources)
	tr := tl.fit(named)
	const c = 20
	var st fastState
	a, den := tl.fastReplay(tl.sweep(named, nil), c, &st)
	got := float64(den) / float64(a)
	pred, model := tr.Predict(c)
	if model != ModelEngset {
		t.Fatalf("model %s, want engset for %d sources and %d seats", model, sources, c)
	}
	poisson := *tr
	poisson.Sources = 1 << 30
	erl, _ := poisson.Predict(c)
	if math.Abs(pred-got) >= math.Abs(erl-got) {
		t.Errorf("engset %.5f no closer than erlang-b %.5f to the replay %.5f", pred, erl, got)
	}
}

func TestFitBusyHour(t *testing.T) {
	// Two people each Monday 10:00–11:00 for four weeks, one on Tuesday.
	monday := time.Date(2025, 3, 3, 10, 0, 0, 0, time.UTC).Unix()
	var d []Interval
	for w := range int64(4) {
		s := monday + w*7*86400
		d = append(d, Interval{Person: 0, Start: s, End: s + 3600}, Interval{Person: 1, Start: s, End: s + 3600})
		d = append(d, Interval{Person: 2, Start: s + 86400, End: s + 86400 + 3600, Denied: true})
	}
	tr, err := Fit(d, 3, nil, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if tr.RecordedDenials != 4 {
		t.Errorf("%d recorded denials, want 4", tr.RecordedDenials)
	}
	if tr.BusyHour != 10 || !approx(tr.Erlangs, 2, 1e-9) || tr.Sources != 3 || tr.Arrivals != 12 || tr.MeanHold != 3600 {
		t.Errorf("busy hour %d with %v erlangs, %d sources, %d arrivals, mean hold %v; want hour 10 (Monday 10:00), 2 erlangs, 3, 12, 3600",
			tr.BusyHour, tr.Erlangs, tr.Sources, tr.Arrivals, tr.MeanHold)
	}
	named := []bool{true}
	tr, _ = Fit(d, 3, named, 0, 0)
	if tr.Sources != 2 || !approx(tr.Erlangs, 1, 1e-9) {
		t.Errorf("with person 0 named: %d sources, %v erlangs; want 2, 1", tr.Sources, tr.Erlangs)
	}
}

func TestPredictEdges(t *testing.T) {
	empty, err := Fit(nil, 0, nil, 60, 0)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := empty.Predict(3); b != 0 {
		t.Errorf("no traffic: predicted %v, want 0", b)
	}
	d := []Interval{iv(0, 0, 100, false), iv(1, 50, 300, false)}
	tr, _ := Fit(d, 2, nil, 0, 0)
	if b, _ := tr.Predict(0); b != 1 {
		t.Errorf("no seats: predicted %v, want 1", b)
	}
	if m := tr.Model(1); m != ModelEngset {
		t.Errorf("2 sources, 1 seat: model %s, want engset", m)
	}
	big := &Traffic{Sources: 1000}
	if m := big.Model(100); m != ModelErlangB {
		t.Errorf("1000 sources, 100 seats: model %s, want erlang-b", m)
	}
}

// TestEngsetCarried checks the BPP loss system of the prediction table,
// with the peakedness of a binomial of s sources, against Engset, and its
// mean occupancy against a direct sum.
func TestEngsetCarried(t *testing.T) {
	tests := []struct {
		name    string
		c, s    int
		a       float64
		wantOcc float64
	}{
		{"five of twenty", 5, 20, 4, 3.348826790614325},
		{"ten of thirty", 10, 30, 12, 8.83851810611216},
		{"twenty of twenty-five", 20, 25, 19, 18.11596540948091},
		{"as many seats as sources", 3, 3, 2, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.a / float64(tt.s)
			occ, b := bppCarried(tt.c, tt.a, 1-p)
			if want := Engset(tt.c, tt.s, p/(1-p)); !approx(b, want, 1e-9) && !(want == 0 && b < 1e-12) {
				t.Errorf("blocking %v, Engset %v", b, want)
			}
			if !approx(occ, tt.wantOcc, 1e-8) {
				t.Errorf("mean occupancy %v, want %v", occ, tt.wantOcc)
			}
		})
	}
}

// TestBPPCarried checks the Poisson and shifted cases of the table: with
// peakedness 1 it is Erlang B, and a steady share of whole seats takes
// exactly those seats off the pool.
func TestBPPCarried(t *testing.T) {
	for _, c := range []int{1, 5, 40} {
		for _, a := range []float64{0.5, 3, 30} {
			n, b := bppCarried(c, a, 1)
			if want := ErlangB(c, a); !approx(b, want, 1e-9) || !approx(n, a*(1-want), 1e-9) {
				t.Errorf("c %d, a %v: blocking %v, occupancy %v; Erlang B %v, %v", c, a, b, n, want, a*(1-want))
			}
		}
	}
	// 10 erlangs, a fifth of them steady: 2 seats taken, 8 erlangs of
	// Poisson traffic on the 10 seats left.
	n, b := shiftedBPP(12, 10, 0.2, 1)
	if want := ErlangB(10, 8); !approx(b, want, 1e-9) || !approx(n, 2+8*(1-want), 1e-9) {
		t.Errorf("shifted: blocking %v, occupancy %v; want %v, %v", b, n, want, 2+8*(1-want))
	}
	if n, b := shiftedBPP(3, 10, 0.5, 1); n != 3 || b != 1 {
		t.Errorf("steady part over the pool: %v, %v; want 3, 1", n, b)
	}
}
