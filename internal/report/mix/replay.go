package mix

import "fmt"

// Replay re-runs recorded demand through one option's pools and reports how
// many requests for a concurrent seat there were and how many would have
// been refused: the ground truth every prediction is checked against.
//
// Intervals are taken in Start order (ties keep their order in demand). A
// person with named[person] true always has their named seat and never asks
// the concurrent pool, so they count in neither figure. Anyone else who does
// not already hold a lease asks for one (an arrival); they get it if fewer
// than seats leases are held at Start, else they are denied and hold
// nothing. A lease is held up to and including End+linger when the interval
// ended by logout, else End+idle; a lease whose release time is before Start
// is free again. An interval of a person who holds a lease at its Start
// (overlapping or abutting) extends that lease instead of asking again: one
// lease per person per pool. Intervals flagged Denied are replayed like any
// other, because the demand was real.
//
// named may be shorter than the person table (missing entries are not
// named). Replay sorts a copy of demand; use Compare or Recommend to replay
// many options over one sort.
func Replay(demand []Interval, named []bool, seats int, idle, linger int64) (arrivals, denied int, err error) {
	people := len(named)
	for i := range demand {
		people = max(people, int(demand[i].Person)+1)
	}
	if err := checkTimes(seats, idle, linger); err != nil {
		return 0, 0, err
	}
	h, err := prepare(demand, people)
	if err != nil {
		return 0, 0, err
	}
	full := make([]bool, people)
	copy(full, named)
	var r replayer
	arrivals, denied = h.replay(full, seats, idle, linger, &r)
	return arrivals, denied, nil
}

// maxTimer bounds idle timeouts and lingers: a lease held for more than a
// year after the last activity is a configuration error, and the bound
// keeps release times and the measured period small.
const maxTimer = 366 * 86400

func checkTimes(seats int, idle, linger int64) error {
	if seats < 0 || idle < 0 || linger < 0 || idle > maxTimer || linger > maxTimer {
		return fmt.Errorf("%w: seats %d, idle timeout %d s, linger %d s must not be negative, nor timers over a year", ErrOption, seats, idle, linger)
	}
	return nil
}

// replayer holds the buffers of a replay so that repeated replays (the
// search on seats) allocate nothing.
type replayer struct {
	w wheel
}

// replay is Replay over sorted events; named has one entry per person.
func (h *history) replay(named []bool, seats int, idle, linger int64, r *replayer) (arrivals, denied int) {
	w := &r.w
	w.reset(h.people)
	tails := [2]int64{idle, linger}
	hold := w.hold
	for _, e := range h.events {
		p := int32(e.who >> whoShift)
		if named[p] {
			continue
		}
		s := int64(e.start)
		end := int64(e.end) + tails[e.who&flagLogout]
		if cur := hold[p]; cur >= s {
			if end > cur {
				hold[p] = end
			}
			continue
		}
		w.advance(s)
		arrivals++
		if w.held >= seats {
			denied++
			continue
		}
		w.add(p, end)
	}
	return arrivals, denied
}
