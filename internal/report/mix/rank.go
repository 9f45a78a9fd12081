package mix

import (
	"cmp"
	"slices"
)

// peakShare is the share of arrivals, those that find the most seats held,
// whose moments count as the peak when people are ranked for named seats.
// The pool is sized by its peaks, so presence during them is what a named
// seat saves; 5 % (or three times the target, if larger) covers the
// moments a pool sized for the target is full.
const peakShare = 0.05

// ranking orders people for named seats.
type ranking struct {
	order []int32   // people with demand, best candidate for a named seat first
	share []float64 // per person: share of peak time they hold a seat
}

// rank orders the people with demand by the share of peak time during
// which they hold a seat (ties by seconds held, then person). A person who
// holds a seat for a share δ of the peak takes δ of a concurrent seat when
// the pool is full, so naming them saves about δ concurrent seats: worth
// it when δ > named price / concurrent price. Total hours held would rank a
// night-shift worker, who never meets the peak, above a day worker.
func (tl *timeline) rank(target float64) ranking {
	people := tl.h.people
	r := ranking{share: make([]float64, people)}
	for p, seen := range tl.h.seen {
		if seen {
			r.order = append(r.order, int32(p))
		}
	}
	if len(tl.spells) == 0 {
		return r
	}
	// Levels on a grid of instants (a minute apart for a year): exact at
	// each instant, and fine enough for shares of peak time.
	var last int64
	for _, sp := range tl.spells {
		last = max(last, sp.end)
	}
	g := max(60, last>>20+1)
	nm := last/g + 2
	level := make([]int32, nm+1)
	for _, sp := range tl.spells {
		// Grid instants m·g with start ≤ m·g ≤ end.
		a, b := (int64(sp.start)+g-1)/g, sp.end/g
		if a <= b {
			level[a]++
			level[b+1]--
		}
	}
	for m := int64(1); m <= nm; m++ {
		level[m] += level[m-1]
	}
	// The threshold: the level that the peakShare of spells meet or exceed
	// at the last instant before they start.
	hist := make([]int64, tl.h.people+2)
	for _, sp := range tl.spells {
		hist[level[int64(sp.start)/g]]++
	}
	share := max(peakShare, 3*target)
	theta, tail := int32(len(hist)), int64(0)
	for theta > 1 && float64(tail+hist[theta-1]) <= share*float64(len(tl.spells)) {
		theta--
		tail += hist[theta]
	}
	// peak[m]: instants before m at or above the threshold.
	peak := make([]int32, nm+2)
	for m := int64(0); m <= nm; m++ {
		peak[m+1] = peak[m]
		if level[m] >= theta {
			peak[m+1]++
		}
	}
	if total := peak[nm+1]; total > 0 {
		at := make([]int64, people)
		for _, sp := range tl.spells {
			a, b := (int64(sp.start)+g-1)/g, sp.end/g
			if a <= b {
				at[sp.p] += int64(peak[b+1] - peak[a])
			}
		}
		for p, x := range at {
			r.share[p] = float64(x) / float64(total)
		}
	}
	slices.SortFunc(r.order, func(a, b int32) int {
		if c := cmp.Compare(r.share[b], r.share[a]); c != 0 {
			return c
		}
		if c := cmp.Compare(tl.held[b], tl.held[a]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	return r
}
