package mix

import (
	"math"
	"math/rand/v2"
	"testing"
)

func poissonYear(rng *rand.Rand, people int, rate func(t float64) float64, peak float64, meanHold float64, days int, hold func() float64) []Interval {
	var out []Interval
	t := 0.0
	T := float64(days) * 86400
	for {
		t += rng.ExpFloat64() / peak
		if t >= T {
			break
		}
		if rng.Float64() > rate(t)/peak {
			continue
		}
		h := hold()
		s := int64(1_735_689_600 + t)
		out = append(out, Interval{Person: int32(rng.IntN(people)), Start: s, End: s + int64(h)})
	}
	return out
}

func TestExploreStationary(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	cases := []struct {
		name string
		rate func(float64) float64
		peak float64
		hold func() float64
	}{
		{"flat-exp", func(float64) float64 { return 0.05 }, 0.05, func() float64 { return rng.ExpFloat64() * 2400 }},
		{"flat-const", func(float64) float64 { return 0.05 }, 0.05, func() float64 { return 2400 }},
		{"daily-exp", func(t float64) float64 {
			h := math.Mod(t, 86400) / 3600
			return 0.1 * math.Exp(-(h-10)*(h-10)/(2*2*2))
		}, 0.1, func() float64 { return rng.ExpFloat64() * 2400 }},
		{"daily-lognorm", func(t float64) float64 {
			h := math.Mod(t, 86400) / 3600
			return 0.1 * math.Exp(-(h-10)*(h-10)/(2*2*2))
		}, 0.1, func() float64 { return 1800 + 720*math.Exp(0.8*rng.NormFloat64()) }},
		{"daily-big", func(t float64) float64 {
			h := math.Mod(t, 86400) / 3600
			return 0.6 * math.Exp(-(h-10)*(h-10)/(2*1.15*1.15))
		}, 0.6, func() float64 { return 1800 + 720*math.Exp(0.8*rng.NormFloat64()) }},
		{"daily-big-dayvar", func(t float64) float64 {
			h := math.Mod(t, 86400) / 3600
			d := int(t / 86400)
			f := []float64{1.2, 1.05, 1, 0.97, 0.85}[d%5]
			if d%21 == 20 {
				f *= 1.3
			}
			return 0.5 * f * math.Exp(-(h-10)*(h-10)/(2*1.15*1.15))
		}, 0.5 * 1.56, func() float64 { return 1800 + 720*math.Exp(0.8*rng.NormFloat64()) }},
	}
	cases = cases[len(cases)-2:]
	for _, cs := range cases {
		d := poissonYear(rng, 100000, cs.rate, cs.peak, 2400, 200, cs.hold)
		h, _ := prepare(d, 100000)
		tl := newTimeline(h, 0, 0)
		named := make([]bool, 100000)
		tr := tl.fit(named)
		lv := tl.sweep(named, nil)
		var st fastState
		for _, c := range []int{int(tr.Erlangs * 0.95), int(tr.Erlangs), int(tr.Erlangs * 1.05), int(tr.Erlangs * 1.1)} {
			a, den := tl.fastReplay(lv, c, &st)
			pb, _ := tr.Predict(c)
			t.Logf("%s: erl %.1f c %d: predicted %.5f replay %.5f", cs.name, tr.Erlangs, c, pb, float64(den)/float64(a))
		}
	}
}
