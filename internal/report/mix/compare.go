package mix

import (
	"fmt"
	"slices"
	"sync"
)

// Evaluation is one option of a comparison with what it costs and how well
// it serves the history: the model's prediction next to the replay, so the
// CIO sees both the forecast and the evidence.
type Evaluation struct {
	Option
	// YearlyCost is 12 × (named seats × named price + concurrent seats ×
	// concurrent price).
	YearlyCost float64
	// Sources is the number of people with demand who are not named.
	Sources int
	// Erlangs is the busy-hour offered traffic of the non-named demand, and
	// BusyHour its hour of the week (see Traffic).
	Erlangs  float64
	BusyHour int
	// Model is ModelErlangB or ModelEngset (see Traffic.Model).
	Model string
	// PredictedBlocking is the model's blocking probability for the
	// concurrent pool (see Traffic.Predict).
	PredictedBlocking float64
	// Arrivals and Denied are the replay's requests for a concurrent seat
	// and refusals (see Replay); ReplayedDenialRate is Denied / Arrivals,
	// 0 without arrivals.
	Arrivals, Denied   int
	ReplayedDenialRate float64
	// RecordedDenials is Traffic.RecordedDenials: the true denials the
	// history records for the people not named.
	RecordedDenials int
}

// Compare evaluates three options side by side for demand at prices p:
// everyone with demand on a named seat, today's option, and the
// recommended mix (Recommend with today's idle timeout and linger and the
// given target). It returns them in that order.
func Compare(demand []Interval, people int, today Option, p Prices, target float64) ([]Evaluation, error) {
	if err := checkRequest(p, target); err != nil {
		return nil, err
	}
	if err := checkOption(today, people); err != nil {
		return nil, err
	}
	h, err := prepare(demand, people)
	if err != nil {
		return nil, err
	}
	tl := newTimeline(h, today.IdleTimeout, today.Linger)

	// Today's option is evaluated while the search runs.
	cur := today
	cur.Name = Today
	var now Evaluation
	var wg sync.WaitGroup
	wg.Go(func() {
		named := make([]bool, people)
		for _, q := range cur.Named {
			named[q] = true
		}
		var w worker
		now = tl.evaluate(cur, named, p, &w, nil)
	})
	s := newSearch(tl, p, target)
	best := s.best()
	rec := tl.evaluate(best.option, best.named, p, nil, &[2]int{best.arrivals, best.denied})
	wg.Wait()

	all := Option{Name: AllNamed, IdleTimeout: today.IdleTimeout, Linger: today.Linger}
	for q, seen := range h.seen {
		if seen {
			all.Named = append(all.Named, int32(q))
		}
	}
	everyone := Evaluation{Option: all, YearlyCost: all.Cost(p), Model: ModelErlangB}
	return []Evaluation{everyone, now, rec}, nil
}

// checkOption validates an option given by the caller.
func checkOption(o Option, people int) error {
	if err := checkTimes(o.Concurrent, o.IdleTimeout, o.Linger); err != nil {
		return err
	}
	seen := make(map[int32]bool, len(o.Named))
	for _, q := range o.Named {
		if q < 0 || int(q) >= people {
			return fmt.Errorf("%w: named person %d not in 0..%d", ErrOption, q, people-1)
		}
		if seen[q] {
			return fmt.Errorf("%w: person %d named twice", ErrOption, q)
		}
		seen[q] = true
	}
	return nil
}

// evaluate fits, predicts and (unless the replay's counts are given)
// replays one option on the timeline, whose timers must be the option's.
func (tl *timeline) evaluate(o Option, named []bool, p Prices, w *worker, counts *[2]int) Evaluation {
	tr := tl.fit(named)
	e := Evaluation{
		Option:     o,
		YearlyCost: o.Cost(p),
		Sources:    tr.Sources,
		Erlangs:    tr.Erlangs,
		BusyHour:   tr.BusyHour,

		RecordedDenials: tr.RecordedDenials,
	}
	e.PredictedBlocking, e.Model = tr.Predict(o.Concurrent)
	if counts == nil {
		lv := tl.sweep(named, &w.buf)
		a, d := tl.replayLevels(lv, named, o.Concurrent, &w.st, &w.r)
		counts = &[2]int{a, d}
	}
	e.Arrivals, e.Denied = counts[0], counts[1]
	if e.Arrivals > 0 {
		e.ReplayedDenialRate = float64(e.Denied) / float64(e.Arrivals)
	}
	e.Named = slices.Clone(o.Named)
	return e
}
