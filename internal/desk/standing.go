package desk

import (
	"context"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// Standing kinds: what licence a person works under right now.
const (
	StandingNamed      = "named"     // a named seat of Pool
	StandingLease      = "lease"     // a concurrent lease, until LeaseExpires
	StandingOnDemand   = "on_demand" // registered; a lease is taken at the first agent action
	StandingReadOnly   = "read_only" // registered, but the pool is full: reading only
	StandingRequester  = "requester" // no agent seat: the free tier
	StandingNoneActive = "inactive"  // deactivated
)

// Standing is what the agent console shows about the person's licence.
type Standing struct {
	Kind          string
	Pool          string
	LeaseExpires  time.Time
	QueuePosition int
	Missing       []string
}

// Standing reports the licence p works under for agent work, reading the
// pool's occupancy and queue when p holds no seat yet.
func (s *Service) Standing(ctx context.Context, p Principal, seats SeatReader) (Standing, error) {
	d := s.engine.Decide(p.User, "ticket.transition", p.Session)
	switch {
	case d.Allow && d.Via.Kind == licensing.ViaNamed:
		return Standing{Kind: StandingNamed, Pool: d.Via.Pool}, nil
	case d.Allow:
		st := Standing{Kind: StandingLease, Pool: d.Via.Pool}
		for _, l := range s.engine.Leases(p.User) {
			if l.ID == d.Via.Lease {
				st.LeaseExpires = l.ExpiresAt
			}
		}
		return st, nil
	case d.Reason == licensing.CodeInactive:
		return Standing{Kind: StandingNoneActive}, nil
	case d.Reason != licensing.ReasonCheckoutRequired && d.Reason != licensing.ReasonSessionRequired:
		return Standing{Kind: StandingRequester, Missing: d.Missing}, nil
	}
	pool := d.Checkout
	if pool == "" {
		pool = s.firstPool(p.User)
	}
	st := Standing{Kind: StandingOnDemand, Pool: pool}
	if pool == "" {
		return st, nil
	}
	pos, err := seats.QueuePosition(ctx, pool, p.User)
	if err != nil {
		return st, err
	}
	free, err := seats.PoolFree(ctx, pool)
	if err != nil {
		return st, err
	}
	if pos > 0 || free == 0 {
		st.Kind, st.QueuePosition = StandingReadOnly, pos
	}
	return st, nil
}

// firstPool names a concurrent pool that could serve p's agent work.
func (s *Service) firstPool(user string) string {
	u, ok := s.engine.User(user)
	if !ok {
		return ""
	}
	for _, id := range s.engine.PoolsToLease(u.ID) {
		return id
	}
	return ""
}
