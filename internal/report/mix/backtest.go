package mix

import (
	"errors"
	"fmt"
	"sync"
)

// ErrSplit is returned when a back-test split leaves no demand on one side,
// since there is then nothing to fit or nothing to check.
var ErrSplit = errors.New("mix: the split must leave demand on both sides")

// BacktestResult is the evidence that the predictions can be trusted: the
// option recommended from the first part of a period, its predicted
// blocking from that part, and its replay on the rest.
type BacktestResult struct {
	// Split is the time that divides the fitted part (Start < Split) from
	// the tested part.
	Split int64
	// Option is the mix recommended from the fitted part.
	Option Option
	// Fit evaluates Option on the fitted part (its replay is within the
	// target by construction).
	Fit Evaluation
	// Test evaluates Option on the tested part: its replay is the outcome
	// being forecast; its own model figures are fitted on the tested part
	// and shown for diagnosis only.
	Test Evaluation
	// Predicted is Fit.PredictedBlocking, the forecast made before the
	// tested part; Replayed is Test.ReplayedDenialRate.
	Predicted, Replayed float64
	// RelativeError is (Predicted − Replayed) / Replayed, the figure
	// published with the report. It is 0 and RelativeDefined false when the
	// replay saw no refusal, where a ratio means nothing.
	RelativeError   float64
	RelativeDefined bool
}

// Backtest fits on the demand that started before split, recommends an
// option there (as Recommend), and replays that option on the demand that
// started at or after split, reporting predicted against replayed denial
// rate. The tested part starts with an empty pool: leases held across the
// split are not carried over.
func Backtest(demand []Interval, people int, split int64, p Prices, target float64, idle, linger int64) (BacktestResult, error) {
	res := BacktestResult{Split: split}
	if err := checkRequest(p, target); err != nil {
		return res, err
	}
	if err := checkTimes(0, idle, linger); err != nil {
		return res, err
	}
	var before, after []Interval
	for i := range demand {
		if demand[i].Start < split {
			before = append(before, demand[i])
		} else {
			after = append(after, demand[i])
		}
	}
	if len(before) == 0 || len(after) == 0 {
		return res, fmt.Errorf("%w (%d intervals before %d, %d after)", ErrSplit, len(before), split, len(after))
	}
	// The tested part is prepared while the fitted one is searched.
	var test *timeline
	var testErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		h, err := prepare(after, people)
		if err != nil {
			testErr = err
			return
		}
		test = newTimeline(h, idle, linger)
	})
	h, err := prepare(before, people)
	if err != nil {
		wg.Wait()
		return res, err
	}
	fit := newTimeline(h, idle, linger)
	best := newSearch(fit, p, target).best()
	res.Option = best.option
	res.Fit = fit.evaluate(best.option, best.named, p, nil, &[2]int{best.arrivals, best.denied})
	wg.Wait()
	if testErr != nil {
		return res, testErr
	}
	var w worker
	res.Test = test.evaluate(best.option, best.named, p, &w, nil)
	res.Predicted, res.Replayed = res.Fit.PredictedBlocking, res.Test.ReplayedDenialRate
	if res.Replayed > 0 {
		res.RelativeError = (res.Predicted - res.Replayed) / res.Replayed
		res.RelativeDefined = true
	}
	return res, nil
}
