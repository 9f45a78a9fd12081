package mix

import (
	"errors"
	"math"
	"testing"
	"time"
)

// TestBacktestSyntheticYear fits on the first nine months of synthetic
// years and replays the last three: the predicted denial rate must be
// within ±20 % of the replayed one.
func TestBacktestSyntheticYear(t *testing.T) {
	split := time.Date(2025, 10, 1, 0, 0, 0, 0, time.UTC).Unix()
	tests := []struct {
		name string
		spec yearSpec
		p    Prices
	}{
		{"2,000 people", yearSpec{people: 2000, heavy: 0.1, lightRate: 0.75, seed: 1}, Prices{100, 250}},
		{"2,000 people, other seed", yearSpec{people: 2000, heavy: 0.1, lightRate: 0.75, seed: 2}, Prices{100, 250}},
		{"1,000 people, busier", yearSpec{people: 1000, heavy: 0.2, lightRate: 1.2, seed: 3}, Prices{120, 200}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := genYear(tt.spec)
			res, err := Backtest(d, tt.spec.people, split, tt.p, 0.01, 1800, 300)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%d named, %d concurrent; fit: predicted %.5f replayed %.5f; test: predicted %.5f replayed %.5f (own fit %.5f); error %+.1f%%",
				len(res.Option.Named), res.Option.Concurrent, res.Fit.PredictedBlocking, res.Fit.ReplayedDenialRate,
				res.Predicted, res.Replayed, res.Test.PredictedBlocking, 100*res.RelativeError)
			if !res.RelativeDefined || math.Abs(res.RelativeError) > 0.2 {
				t.Errorf("relative error %+.1f%% (defined %v), want within ±20%%", 100*res.RelativeError, res.RelativeDefined)
			}
			if res.Fit.ReplayedDenialRate > 0.01 {
				t.Errorf("fitted part replayed %v, over the target", res.Fit.ReplayedDenialRate)
			}
		})
	}
}

func TestBacktestErrors(t *testing.T) {
	d := desk(1, 3, 10, 1)
	first, last := d[0].Start, d[0].Start
	for _, x := range d {
		first, last = min(first, x.Start), max(last, x.Start)
	}
	tests := []struct {
		name   string
		split  int64
		target float64
		want   error
	}{
		{"split before all demand", first, 0.01, ErrSplit},
		{"split after all demand", last + 1, 0.01, ErrSplit},
		{"bad target", (first + last) / 2, 0, ErrTarget},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Backtest(d, 4, tt.split, Prices{1, 2}, tt.target, 60, 0); !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}
