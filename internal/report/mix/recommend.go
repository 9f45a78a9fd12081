package mix

import (
	"errors"
	"fmt"
	"math"
)

// ErrPrices is returned when a price is negative, infinite or NaN, since no
// cost comparison can be made with it.
var ErrPrices = errors.New("mix: prices must be finite and not negative")

// Prices are the monthly list prices of one seat of the SKU under each
// model; every option is costed with them.
type Prices struct {
	// NamedMonthly is the price of a named seat a month.
	NamedMonthly float64
	// ConcurrentMonthly is the price of a concurrent seat a month.
	ConcurrentMonthly float64
}

// Option is one way of licensing the SKU: who holds a named seat, how many
// concurrent seats everyone else shares, and the pool's timers, which set
// how long a seat stays held after use.
type Option struct {
	// Name is "all named", "today" or "recommended" in a comparison.
	Name string
	// Named lists the people who hold a named seat and so never take a
	// concurrent one; a recommendation lists the best candidate first.
	Named []int32
	// Concurrent is the number of concurrent seats shared by the others.
	Concurrent int
	// IdleTimeout is how long (seconds) a lease outlives the last activity
	// when the person does not log out.
	IdleTimeout int64
	// Linger is how long (seconds) a lease outlives a logout.
	Linger int64
}

// Option names that Compare gives its rows, so that callers can find them
// without spelling the strings.
const (
	AllNamed    = "all named"
	Today       = "today"
	Recommended = "recommended"
)

// Cost is what the option costs in a year at prices p: the figure the
// options are compared on.
func (o Option) Cost(p Prices) float64 {
	return 12 * (float64(len(o.Named))*p.NamedMonthly + float64(o.Concurrent)*p.ConcurrentMonthly)
}

// checkRequest validates the target and the prices of a request.
func checkRequest(p Prices, target float64) error {
	if !(target > 0 && target < 1) {
		return fmt.Errorf("%w (got %v)", ErrTarget, target)
	}
	for _, x := range []float64{p.NamedMonthly, p.ConcurrentMonthly} {
		if !(x >= 0) || math.IsInf(x, 1) {
			return fmt.Errorf("%w (got %v)", ErrPrices, x)
		}
	}
	return nil
}

// Recommend picks the cheapest mix for demand at prices p: which people hold
// named seats and how many concurrent seats the rest share so that the
// replayed denial rate of the concurrent pool (refused requests over
// requests, see Replay) is at most target, under the given idle timeout and
// linger. Empty demand recommends no seats at all.
//
// People are ranked by the share of peak time they hold a seat (see
// Evaluation); the number k of named seats starts where that share falls
// below named price / concurrent price, the point past which a named seat
// costs more than the concurrent seat share it saves, and is refined by a
// few exact evaluations around it. For each k tried the concurrent pool is
// the smallest that the replay finds within target, searched from an
// estimate with exact replays inside a proven upper bound.
func Recommend(demand []Interval, people int, p Prices, target float64, idle, linger int64) (Option, error) {
	if err := checkRequest(p, target); err != nil {
		return Option{}, err
	}
	if err := checkTimes(0, idle, linger); err != nil {
		return Option{}, err
	}
	h, err := prepare(demand, people)
	if err != nil {
		return Option{}, err
	}
	tl := newTimeline(h, idle, linger)
	s := newSearch(tl, p, target)
	return s.best().option, nil
}
