package mix

import (
	"sync"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the process's user and system time so far. Benchmarks report
// it per operation next to the wall time, because on a shared machine the
// wall time also measures the neighbours.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loop runs f b.N times and reports its CPU time per call.
func loop(b *testing.B, f func()) {
	b.Helper()
	start, n := cpuTime(), 0
	for b.Loop() {
		f()
		n++
	}
	b.ReportMetric(float64(cpuTime()-start)/float64(time.Millisecond)/float64(n), "cpu-ms/op")
}

var (
	bigOnce sync.Once
	bigYear []Interval
)

// benchYear is a synthetic year of 20,000 people (a tenth of them heavy
// users): about 5 million intervals, not sorted by start.
func benchYear() []Interval {
	bigOnce.Do(func() {
		bigYear = genYear(yearSpec{people: 20000, heavy: 0.1, lightRate: 0.75, seed: 1})
	})
	return bigYear
}

var benchPrices = Prices{NamedMonthly: 100, ConcurrentMonthly: 250}

// benchToday is a plausible "today" for the benchmark year: the first
// thousand people named and 2,500 concurrent seats.
func benchToday() Option {
	o := Option{Name: Today, Concurrent: 2500, IdleTimeout: 1800, Linger: 300}
	for q := range int32(1000) {
		o.Named = append(o.Named, q)
	}
	return o
}

func BenchmarkRecommend(b *testing.B) {
	d := benchYear()
	var o Option
	loop(b, func() {
		var err error
		if o, err = Recommend(d, 20000, benchPrices, 0.01, 1800, 300); err != nil {
			b.Fatal(err)
		}
	})
	b.ReportMetric(float64(len(d)), "intervals")
	b.ReportMetric(float64(len(o.Named)), "named")
	b.ReportMetric(float64(o.Concurrent), "concurrent")
}

func BenchmarkCompare(b *testing.B) {
	d := benchYear()
	today := benchToday()
	loop(b, func() {
		if _, err := Compare(d, 20000, today, benchPrices, 0.01); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkRecommendAndCompare is the budgeted figure: both calls, each
// with its own sort, as a report page makes them.
func BenchmarkRecommendAndCompare(b *testing.B) {
	d := benchYear()
	today := benchToday()
	loop(b, func() {
		if _, err := Recommend(d, 20000, benchPrices, 0.01, 1800, 300); err != nil {
			b.Fatal(err)
		}
		if _, err := Compare(d, 20000, today, benchPrices, 0.01); err != nil {
			b.Fatal(err)
		}
	})
}

func BenchmarkPrepare(b *testing.B) {
	d := benchYear()
	loop(b, func() {
		if _, err := prepare(d, 20000); err != nil {
			b.Fatal(err)
		}
	})
}

func BenchmarkTimeline(b *testing.B) {
	h, _ := prepare(benchYear(), 20000)
	loop(b, func() { newTimeline(h, 1800, 300) })
}

func BenchmarkSweep(b *testing.B) {
	h, _ := prepare(benchYear(), 20000)
	tl := newTimeline(h, 1800, 300)
	named := make([]bool, 20000)
	var lv levels
	loop(b, func() { tl.sweep(named, &lv) })
}

// recommendedSet is the named set and pool the benchmark year is
// recommended.
func recommendedSet(tl *timeline) ([]bool, int) {
	best := newSearch(tl, benchPrices, 0.01).best()
	return best.named, best.option.Concurrent
}

func BenchmarkReplayPlain(b *testing.B) {
	h, _ := prepare(benchYear(), 20000)
	named, c := recommendedSet(newTimeline(h, 1800, 300))
	var r replayer
	loop(b, func() { h.replay(named, c, 1800, 300, &r) })
}

func BenchmarkReplayFast(b *testing.B) {
	h, _ := prepare(benchYear(), 20000)
	tl := newTimeline(h, 1800, 300)
	named, c := recommendedSet(tl)
	lv := tl.sweep(named, nil)
	lv.keepCritical(tl, c-c/16)
	var st fastState
	var r replayer
	wa, wd := h.replay(named, c, 1800, 300, &r)
	loop(b, func() {
		if a, d := tl.fastReplay(lv, c, &st); a != wa || d != wd {
			b.Fatalf("fast %d/%d plain %d/%d", a, d, wa, wd)
		}
	})
}

func BenchmarkFitPredict(b *testing.B) {
	h, _ := prepare(benchYear(), 20000)
	tl := newTimeline(h, 1800, 300)
	named, c := recommendedSet(tl)
	loop(b, func() { tl.fit(named).Predict(c) })
}

func BenchmarkBacktest(b *testing.B) {
	d := benchYear()
	split := int64(1759276800) // 2025-10-01 00:00 UTC
	var res BacktestResult
	loop(b, func() {
		var err error
		if res, err = Backtest(d, 20000, split, benchPrices, 0.01, 1800, 300); err != nil {
			b.Fatal(err)
		}
	})
	b.ReportMetric(100*res.RelativeError, "error-%")
}
