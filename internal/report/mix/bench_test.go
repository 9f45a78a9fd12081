package mix

import (
	"sync"
	"testing"
)

var (
	bigOnce sync.Once
	bigYear []Interval
)

// benchYear is a year of 20,000 people, about 5 million intervals.
func benchYear() []Interval {
	bigOnce.Do(func() {
		bigYear = genYear(yearSpec{people: 20000, heavy: 0.1, lightRate: 0.75, seed: 1})
	})
	return bigYear
}

func BenchmarkPrepare(b *testing.B) {
	d := benchYear()
	b.Logf("intervals %d", len(d))
	for b.Loop() {
		if _, err := prepare(d, 20000); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReplayOne(b *testing.B) {
	d := benchYear()
	h, _ := prepare(d, 20000)
	named := make([]bool, 20000)
	var r replayer
	for b.Loop() {
		a, den, _ := h.replay(named, 3000, 1800, 300, &r)
		b.ReportMetric(float64(den)/float64(a), "rate")
	}
}

func BenchmarkTimeline(b *testing.B) {
	h, _ := prepare(benchYear(), 20000)
	for b.Loop() {
		newTimeline(h, 1800, 300)
	}
}

func BenchmarkSweep(b *testing.B) {
	h, _ := prepare(benchYear(), 20000)
	tl := newTimeline(h, 1800, 300)
	named := make([]bool, 20000)
	var lv levels
	for b.Loop() {
		tl.sweep(named, &lv)
	}
}

func BenchmarkFastReplay(b *testing.B) {
	h, _ := prepare(benchYear(), 20000)
	tl := newTimeline(h, 1800, 300)
	named := make([]bool, 20000)
	lv := tl.sweep(named, nil)
	var st fastState
	var r replayer
	wa, wd, _ := h.replay(named, 3000, 1800, 300, &r)
	for b.Loop() {
		a, d := tl.fastReplay(lv, 3000, &st)
		if a != wa || d != wd {
			b.Fatalf("fast %d/%d plain %d/%d", a, d, wa, wd)
		}
	}
}

func BenchmarkRecommend(b *testing.B) {
	d := benchYear()
	p := Prices{NamedMonthly: 100, ConcurrentMonthly: 250}
	for b.Loop() {
		o, err := Recommend(d, 20000, p, 0.01, 1800, 300)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(o.Named)), "named")
		b.ReportMetric(float64(o.Concurrent), "concurrent")
	}
}
