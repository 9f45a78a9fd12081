// Package seats runs licensing for a process: it keeps the engine's snapshot
// in step with the store (its own writes, and other processes' through the
// store's change feed), takes leases lazily at the first fulfiller action,
// records denials, and runs the background sweeps.
package seats

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

// Service ties the store and the engine together.
type Service struct {
	Store  *store.Store
	Engine *licensing.Engine
	log    *slog.Logger
	cfg    Config
	// near holds the pools last seen at or above their warning threshold;
	// only the sweep goroutine touches it.
	near map[string]bool
}

// Config tunes the background work.
type Config struct {
	// SessionIdle ends sessions without a heartbeat for this long.
	SessionIdle time.Duration
	// SweepEvery is how often expired leases are reclaimed.
	SweepEvery time.Duration
	// FlushEvery is how often activity seen by Decide extends leases.
	FlushEvery time.Duration
}

// New returns a service and subscribes it to the store's changes.
func New(st *store.Store, eng *licensing.Engine, log *slog.Logger, cfg Config) *Service {
	if cfg.SessionIdle == 0 {
		cfg.SessionIdle = licensing.DefaultIdleTimeout
	}
	if cfg.SweepEvery == 0 {
		cfg.SweepEvery = 5 * time.Second
	}
	if cfg.FlushEvery == 0 {
		cfg.FlushEvery = 10 * time.Second
	}
	s := &Service{Store: st, Engine: eng, log: log, cfg: cfg}
	st.OnChange(func(changes []store.Change) { s.applyChanges(context.Background(), changes) })
	return s
}

// Load fills the engine from the store.
func (s *Service) Load(ctx context.Context) error {
	if err := s.loadCatalog(ctx); err != nil {
		return err
	}
	people, err := s.Store.LoadPeople(ctx)
	if err != nil {
		return fmt.Errorf("seats: load people: %w", err)
	}
	s.Engine.LoadPeople(people)
	sessions, err := s.Store.LoadActiveSessions(ctx)
	if err != nil {
		return fmt.Errorf("seats: load sessions: %w", err)
	}
	s.Engine.LoadSessions(sessions)
	return nil
}

func (s *Service) loadCatalog(ctx context.Context) error {
	c, err := s.Store.LoadCatalog(ctx)
	if err != nil {
		return fmt.Errorf("seats: load catalog: %w", err)
	}
	if err := s.Engine.SetCatalog(c.SKUs, c.Pools, c.Policy); err != nil {
		return fmt.Errorf("seats: catalog: %w", err)
	}
	return nil
}

// applyChanges updates the engine after a local commit: leases and sessions
// from the data the transaction carried, everything else by reloading its
// key (once, after the patches, so it reads the final state).
func (s *Service) applyChanges(ctx context.Context, changes []store.Change) {
	var reload []string
	seen := map[string]bool{}
	for _, c := range changes {
		switch {
		case c.Lease != nil && c.Ended:
			s.Engine.DropLease(c.Lease.User, c.Lease.ID)
		case c.Lease != nil:
			s.Engine.PutLease(*c.Lease)
		case c.Session != nil:
			s.Engine.PutSession(*c.Session)
		case !seen[c.Key]:
			seen[c.Key] = true
			reload = append(reload, c.Key)
		}
	}
	s.apply(ctx, reload)
}

// apply refreshes the engine for changed keys. Errors are logged, not
// returned: the write they follow has committed, and the key is refreshed
// again at its next change (or by a full reload after a reconnect).
func (s *Service) apply(ctx context.Context, keys []string) {
	for _, k := range keys {
		if err := s.applyKey(ctx, k); err != nil {
			s.log.Error("refresh engine", "key", k, "err", err)
		}
	}
}

func (s *Service) applyKey(ctx context.Context, k string) error {
	kind, id, _ := strings.Cut(k, ":")
	switch kind {
	case "*":
		return s.Load(ctx)
	case store.KeyCatalog:
		return s.loadCatalog(ctx)
	case "person":
		// A reload is installed only if nothing wrote the person while it
		// was read; otherwise read again, so a stale read never undoes a
		// newer change (an ended lease coming back, say).
		for try := 0; ; try++ {
			gen := s.Engine.PersonGen(id)
			p, err := s.Store.LoadPerson(ctx, id)
			if licensing.ErrorCode(err) == licensing.CodeNotFound {
				s.Engine.RemovePerson(id)
				return nil
			}
			if err != nil {
				return err
			}
			if s.Engine.PutPersonIfGen(p, gen) || try == 4 {
				if try == 4 {
					s.Engine.PutPerson(p)
				}
				break
			}
		}
	case "session":
		ss, err := s.Store.GetSession(ctx, id)
		if err != nil {
			return err
		}
		s.Engine.PutSession(ss)
	}
	return nil
}

// Decide answers a request. For a lazy session it takes the lease the
// request needs; a full pool is answered as a denial with the queue place.
// Every denial is recorded for the reports.
func (s *Service) Decide(ctx context.Context, a licensing.Actor, user, capability, session string) (licensing.Decision, *licensing.Error, error) {
	return s.DecideHeld(ctx, a, user, capability, session, 0)
}

// DecideHeld is Decide for an integration's call: a lease it allows under
// is kept only for hold after the call (0: as Decide), and a lease it takes
// is the integration's, under its hold and seat cap.
func (s *Service) DecideHeld(ctx context.Context, a licensing.Actor, user, capability, session string, hold time.Duration) (licensing.Decision, *licensing.Error, error) {
	d := s.Engine.DecideHeld(user, capability, session, hold)
	for i := 0; i < 4 && d.Reason == licensing.ReasonCheckoutRequired; i++ {
		_, err := s.Store.Checkout(ctx, a, session, d.Checkout)
		if e, ok := licensing.AsError(err); ok {
			refused := licensing.Decision{Reason: e.Code, User: d.User, Missing: d.Missing, Via: licensing.Via{Pool: d.Checkout}}
			// A full pool's refusal (and queue place) is recorded by the
			// store itself; any other is recorded here.
			if e.Code != licensing.CodeMaxedOut {
				if err := s.Store.RecordDenial(ctx, a, d.User, d.Checkout, capability, e.Code); err != nil {
					return refused, nil, err
				}
			}
			return refused, e, nil
		}
		if err != nil {
			return d, nil, err
		}
		d = s.Engine.DecideHeld(user, capability, session, hold)
	}
	if !d.Allow {
		who := d.User
		if who == "" {
			who = user // unknown people are recorded by the key they gave
		}
		if err := s.Store.RecordDenial(ctx, a, who, d.Via.Pool, capability, d.Reason); err != nil {
			return d, nil, err
		}
	}
	return d, nil, nil
}

// StartSession opens a session, taking the person's concurrent seats now
// unless lazy.
func (s *Service) StartSession(ctx context.Context, a licensing.Actor, user string, lazy bool) (licensing.Session, error) {
	var pools []string
	if id, ok := s.Engine.Resolve(user); ok {
		user = id // the store finds people fastest by id
		if !lazy {
			pools = s.Engine.PoolsToLease(id)
		}
	}
	return s.Store.StartSession(ctx, a, user, lazy, pools)
}

// SessionLive reports, from memory, whether a seat session is live.
func (s *Service) SessionLive(id string) bool {
	_, ok := s.Engine.SessionUser(id)
	return ok
}

// Run does the background work until ctx ends: the audit chainer, lease
// sweeps (also once at start, reclaiming seats of a crashed process),
// flushing lease activity, and following other processes' changes.
func (s *Service) Run(ctx context.Context) {
	go s.Store.RunChainer(ctx)
	go func() {
		if err := s.Store.Follow(ctx, func(keys []string) { s.apply(ctx, keys) }); err != nil {
			s.log.Error("follow changes", "err", err)
		}
	}()
	s.sweep(ctx)
	sweep := time.NewTicker(s.cfg.SweepEvery)
	flush := time.NewTicker(s.cfg.FlushEvery)
	defer sweep.Stop()
	defer flush.Stop()
	for {
		select {
		case <-ctx.Done():
			s.flush(context.WithoutCancel(ctx))
			return
		case <-flush.C:
			s.flush(ctx)
		case <-sweep.C:
			s.sweep(ctx)
		}
	}
}

// Flush writes the activity the engine has seen (lease touches, named
// seats' last use) and the repeated denials counted, now, as the background
// loop does every FlushEvery.
func (s *Service) Flush(ctx context.Context) { s.flush(ctx) }

func (s *Service) flush(ctx context.Context) {
	if err := s.Store.TouchLeases(ctx, s.Engine.TakeTouches()); err != nil && !errors.Is(err, context.Canceled) {
		s.log.Error("flush lease activity", "err", err)
	}
	s.Engine.Tick(s.Store.Now())
	var uses []store.NamedUse
	for _, u := range s.Engine.TakeNamedUse() {
		uses = append(uses, store.NamedUse{Pool: u.Pool, User: u.User, At: u.At})
	}
	if err := s.Store.RecordNamedUse(ctx, uses); err != nil && !errors.Is(err, context.Canceled) {
		s.log.Error("flush named seat use", "err", err)
	}
	if err := s.Store.FlushDenials(ctx); err != nil && !errors.Is(err, context.Canceled) {
		s.log.Error("flush repeated denials", "err", err)
	}
}

func (s *Service) sweep(ctx context.Context) {
	s.flush(ctx)
	n, err := s.Store.Sweep(ctx, s.cfg.SessionIdle)
	if err != nil {
		if !errors.Is(err, context.Canceled) {
			s.log.Error("sweep leases", "err", err)
		}
		return
	}
	if n > 0 {
		s.log.Info("reclaimed expired leases", "count", n)
	}
	s.warnNearCapacity(ctx)
}

// warnNearCapacity logs when a pool reaches its warning threshold (as
// ServiceNow's near-capacity notice) and when it drops below again, once
// each; metrics carry the flag at every scrape.
func (s *Service) warnNearCapacity(ctx context.Context) {
	usage, err := s.Store.Usage(ctx)
	if err != nil {
		s.log.Error("usage", "err", err)
		return
	}
	if s.near == nil {
		s.near = map[string]bool{}
	}
	for _, u := range usage {
		p, ok := s.Engine.Pool(u.Pool)
		near := ok && NearCapacity(p, u.Held)
		switch {
		case near && !s.near[u.Pool]:
			s.log.Warn("pool near capacity", "pool", u.Pool, "held", u.Held, "seats", u.Seats, "warn_at", p.WarnAt, "overdraft_in_use", u.Overdraft)
		case !near && s.near[u.Pool]:
			s.log.Info("pool back below its warning threshold", "pool", u.Pool, "held", u.Held, "seats", u.Seats)
		}
		s.near[u.Pool] = near
	}
}

// NearCapacity reports whether held seats reach the pool's warning threshold.
func NearCapacity(p licensing.Pool, held int) bool {
	return p.Seats > 0 && float64(held) >= p.WarnAt*float64(p.Seats)
}

// Pool states, as the console and the API show them: a full pool is full,
// not "near capacity".
const (
	StateOK        = "ok"
	StateNear      = "near_capacity"
	StateOverdraft = "overdraft"
	StateFull      = "full"
)

// State says how full a pool is: full when no seat can be taken (every
// seat and overdraft seat held), overdraft when it holds more than it
// bought, near capacity at its warning threshold, ok otherwise.
func State(p licensing.Pool, held, capacity int) string {
	switch {
	case capacity > 0 && held >= capacity:
		return StateFull
	case held > p.Seats:
		return StateOverdraft
	case NearCapacity(p, held):
		return StateNear
	}
	return StateOK
}
