package mix

import (
	"errors"
	"fmt"
	"math"
)

// ErrTarget is returned when a target denial rate is not strictly between 0
// and 1; callers map it to a 400 because the request, not the data, is wrong.
var ErrTarget = errors.New("mix: target denial rate must be strictly between 0 and 1")

// ErrDemand is returned (wrapped, with the offending interval) when demand
// names a person outside 0..people-1, people exceeds 2^30 or the demand
// spans more than 136 years, so that a caller bug is reported instead of
// silently miscounted.
var ErrDemand = errors.New("mix: invalid demand")

// ErrOption is returned (wrapped) when an option has a negative seat count,
// a negative idle timeout or linger or one over a year, or names a person
// outside 0..people-1 or twice.
var ErrOption = errors.New("mix: invalid option")

// Interval is one recorded spell of demand for a seat of the SKU by one
// person: what the optimiser replays through every candidate mix.
type Interval struct {
	// Person is an index into the caller's person table, 0..people-1.
	Person int32
	// Start is when the person started wanting a seat (unix seconds).
	Start int64
	// End is the last real activity (unix seconds), before any idle tail; an
	// End before Start is read as Start.
	End int64
	// Logout tells that the spell ended by logout, so the seat is held until
	// End+linger; otherwise it is held until End+idle timeout.
	Logout bool
	// Denied tells that the spell was recorded as a true denial (End is then
	// the caller's estimate). It is still replayed as demand, because it was
	// wanted; it only feeds the recorded counts.
	Denied bool
}

// event is the compact, sorted form of an Interval that every replay and
// fit streams over: 12 bytes instead of 32, so a year of demand stays in as
// little memory bandwidth as possible.
type event struct {
	start uint32 // seconds since history.base
	end   uint32 // seconds since history.base, ≥ start
	who   uint32 // person<<whoShift | flags
}

// Layout of event.who.
const (
	flagLogout = 1
	flagDenied = 2
	whoShift   = 2
	maxPeople  = 1 << (32 - whoShift)
)

// history is demand sorted once by start (stably, so ties keep the caller's
// order and every result is reproducible) and shared by all replays.
type history struct {
	base   int64
	events []event
	people int
	seen   []bool // per person: has at least one interval
}

// prepare validates demand, converts it to events relative to the earliest
// start and sorts them by start.
func prepare(demand []Interval, people int) (*history, error) {
	if people < 0 || people > maxPeople {
		return nil, fmt.Errorf("%w: %d people, more than %d", ErrDemand, people, maxPeople)
	}
	h := &history{people: people, seen: make([]bool, people)}
	if len(demand) == 0 {
		return h, nil
	}
	base, last := demand[0].Start, demand[0].Start
	for i := range demand {
		d := &demand[i]
		if d.Person < 0 || int(d.Person) >= people {
			return nil, fmt.Errorf("%w: interval %d: person %d not in 0..%d", ErrDemand, i, d.Person, people-1)
		}
		base = min(base, d.Start)
		last = max(last, d.Start, d.End)
	}
	if uint64(last)-uint64(base) > math.MaxUint32 {
		return nil, fmt.Errorf("%w: demand spans more than %d s", ErrDemand, int64(math.MaxUint32))
	}
	h.base = base
	evs := make([]event, len(demand))
	seen := h.seen
	sorted := true
	for i := range demand {
		d := &demand[i]
		e := event{start: uint32(d.Start - base), who: uint32(d.Person) << whoShift}
		e.end = e.start
		if d.End > d.Start {
			e.end = uint32(d.End - base)
		}
		if d.Logout {
			e.who |= flagLogout
		}
		if d.Denied {
			e.who |= flagDenied
		}
		seen[d.Person] = true
		if i > 0 && e.start < evs[i-1].start {
			sorted = false
		}
		evs[i] = e
	}
	if !sorted {
		evs = sortEvents(evs)
	}
	h.events = evs
	return h, nil
}
