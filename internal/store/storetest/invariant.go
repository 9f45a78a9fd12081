package storetest

import (
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

const (
	stormWorkers    = 40
	stormIterations = 25
	stormSeats      = 5
)

func invariantTests() []testCase {
	return []testCase{
		{"storm_40x25_on_5_seats", func(e *env) { storm(e, false) }},
		{"storm_with_pool_updates", func(e *env) { storm(e, true) }},
	}
}

func ifUpdates(updates bool, s string) string {
	if updates {
		return s
	}
	return ""
}

// raise lifts max to v if v is higher.
func raise(max *atomic.Int64, v int64) {
	for {
		m := max.Load()
		if v <= m || max.CompareAndSwap(m, v) {
			return
		}
	}
}

// maxHolders replays a pool's lease history and returns the most leases
// held at once, counting an end before a start at the same instant.
func maxHolders(ls []licensing.Lease) (peak int, at time.Time) {
	type event struct {
		at    time.Time
		delta int
	}
	evs := make([]event, 0, 2*len(ls))
	for _, l := range ls {
		evs = append(evs, event{l.StartedAt, +1})
		if !l.EndedAt.IsZero() {
			evs = append(evs, event{l.EndedAt, -1})
		}
	}
	sort.Slice(evs, func(i, j int) bool {
		if !evs[i].at.Equal(evs[j].at) {
			return evs[i].at.Before(evs[j].at)
		}
		return evs[i].delta < evs[j].delta
	})
	n := 0
	for _, ev := range evs {
		n += ev.delta
		if n > peak {
			peak, at = n, ev.at
		}
	}
	return peak, at
}

// storm has 40 people start and end sessions 25 times each against a 5-seat
// pool, all at once, and checks that no more than 5 ever held a seat: as seen
// by the callers while it ran, and as the lease history tells afterwards.
// With updates, an administrator keeps rewriting the pool meanwhile.
func storm(e *env, updates bool) {
	e.agent()
	pool := e.concurrent("storm", stormSeats)
	us := e.users("p", stormWorkers)
	e.member("storm", us...)

	// Every reading of the clock is a distinct instant (1ms apart), so the
	// history orders what the store did.
	e.clock.SetTick(time.Millisecond)
	defer e.clock.SetTick(0)

	var (
		holding, peakHolding atomic.Int64
		grants, refusals     atomic.Int64
		updatesDone          atomic.Int64
		errMu                sync.Mutex
		errs                 []string
	)
	fail := func(format string, args ...any) {
		errMu.Lock()
		if len(errs) < 20 {
			errs = append(errs, fmt.Sprintf(format, args...))
		}
		errMu.Unlock()
	}
	stop := make(chan struct{})
	var admin sync.WaitGroup
	if updates {
		admin.Go(func() {
			p := pool
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				// Capacity stays 5; only the idle timeout moves.
				p.IdleTimeout = 30*time.Minute + time.Duration(i%2)*time.Minute
				if err := e.s.UpdatePool(e.ctx, e.admin, p); err != nil {
					fail("UpdatePool(%d): %v", i, err)
					return
				}
				updatesDone.Add(1)
			}
		})
	}
	// A watcher reads the active leases all along: each read is one
	// statement, a consistent snapshot of what the database holds.
	var peakActive atomic.Int64
	var diagnosis atomic.Pointer[string]
	var watcher sync.WaitGroup
	watcher.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			ls, err := e.s.ActiveLeases(e.ctx, "storm")
			if err != nil {
				fail("ActiveLeases during the storm: %v", err)
				return
			}
			raise(&peakActive, int64(len(ls)))
			if len(ls) > stormSeats && diagnosis.Load() == nil {
				d := e.seatlessLeases("storm")
				diagnosis.Store(&d)
			}
		}
	})
	var workers sync.WaitGroup
	for w := range stormWorkers {
		u := us[w]
		workers.Go(func() {
			for i := range stormIterations {
				ss, err := e.s.StartSession(e.ctx, e.admin, u.ID, false, []string{"storm"})
				if err != nil {
					if codeOf(err) == licensing.CodeMaxedOut {
						refusals.Add(1)
						continue
					}
					fail("%s iteration %d: StartSession: %v", u.UserName, i, err)
					return
				}
				grants.Add(1)
				// The caller holds the seat from StartSession's return to
				// EndSession's call: a subset of the time the store does.
				raise(&peakHolding, holding.Add(1))
				// Work on the seat a little: the heartbeat must find it.
				if hb, err := e.s.Heartbeat(e.ctx, ss.ID); err != nil || len(hb.Leases) != 1 {
					fail("%s iteration %d: Heartbeat = %d leases, %v; want 1 lease", u.UserName, i, len(hb.Leases), err)
				}
				holding.Add(-1)
				if err := e.s.EndSession(e.ctx, e.admin, ss.ID, licensing.EndLogout); err != nil {
					fail("%s iteration %d: EndSession: %v", u.UserName, i, err)
					return
				}
			}
		})
	}
	workers.Wait()
	close(stop)
	admin.Wait()
	watcher.Wait()
	e.clock.SetTick(0)
	for _, msg := range errs {
		e.t.Error(msg)
	}

	total := int64(stormWorkers * stormIterations)
	peak, peakAt := maxHolders(e.history("storm"))
	e.t.Logf("%s storm: %d granted, %d refused, %d pool updates; peak holders: callers %d, watcher %d, history %d",
		e.s.Dialect(), grants.Load(), refusals.Load(), updatesDone.Load(), peakHolding.Load(), peakActive.Load(), peak)
	if got := grants.Load() + refusals.Load(); len(errs) == 0 && got != total {
		e.t.Errorf("granted + refused = %d, want %d", got, total)
	}
	if refusals.Load() == 0 {
		e.t.Errorf("refusals = 0, want at least one (40 people on 5 seats)")
	}
	if p := peakHolding.Load(); p > stormSeats {
		e.t.Errorf("callers held %d seats at once, want at most %d", p, stormSeats)
	}
	if p := peakActive.Load(); p > stormSeats {
		e.t.Errorf("ActiveLeases showed %d leases at once, want at most %d", p, stormSeats)
	}
	if d := diagnosis.Load(); d != nil {
		e.t.Errorf("STORE BUG: when the watcher first saw more than %d leases: %s%s", stormSeats, *d, ifUpdates(updates,
			" (store.layoutSlots, run by UpdatePool, locks only the slots occupied in its snapshot, then deletes and re-inserts "+
				"every slot row: a checkout that commits in between loses its slot and no longer counts against the seats)"))
	}
	if updates && updatesDone.Load() == 0 {
		e.t.Errorf("no pool update completed during the storm, want some")
	}
	if n := len(e.active("storm")); n != 0 {
		e.t.Errorf("ActiveLeases after every session ended = %d, want 0", n)
	}
	hist := e.history("storm")
	if int64(len(hist)) != grants.Load() {
		e.t.Errorf("LeaseHistory holds %d leases, want one per grant (%d)", len(hist), grants.Load())
	}
	for _, l := range hist {
		if l.EndedAt.IsZero() || l.EndReason != licensing.EndLogout || l.EndedAt.Before(l.StartedAt) {
			e.t.Errorf("lease %+v: want ended by logout after it started", l)
			break
		}
	}
	if peak > stormSeats {
		e.t.Errorf("lease history: %d holders at once at %v, want at most %d", peak, peakAt, stormSeats)
	}
	// Seat accounting survived: exactly 5 seats are still there to take.
	for i, u := range us[:stormSeats+1] {
		_, err := e.tryStart(u, "storm")
		if i < stormSeats && err != nil {
			e.t.Errorf("after the storm, StartSession #%d: %v, want a seat", i+1, err)
		}
		if i == stormSeats && codeOf(err) != licensing.CodeMaxedOut {
			e.t.Errorf("after the storm, StartSession #%d: error %v, want %s (5 seats)", i+1, err, licensing.CodeMaxedOut)
		}
	}
}

// seatlessLeases reports, for a failure message, the active leases of a
// pool that occupy no seat slot (read through the raw connection).
func (e *env) seatlessLeases(pool string) string {
	var active, seatless int
	err := e.raw.QueryRowContext(e.ctx, e.rebind(`SELECT
		(SELECT count(*) FROM leases WHERE pool_id = ? AND ended_at = 0),
		(SELECT count(*) FROM leases l WHERE l.pool_id = ? AND l.ended_at = 0
			AND NOT EXISTS (SELECT 1 FROM pool_slots s WHERE s.pool_id = l.pool_id AND s.lease_id = l.id))`), pool, pool).Scan(&active, &seatless)
	if err != nil {
		return "diagnosis failed: " + err.Error()
	}
	return fmt.Sprintf("%d active leases, %d of them in no pool_slots row", active, seatless)
}
