package storetest

import (
	"slices"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

func (e *env) activeSessions(u licensing.User) []licensing.Session {
	e.t.Helper()
	list, err := e.s.ListSessions(e.ctx, store.SessionFilter{User: u.ID, ActiveOnly: true, Limit: 100})
	if err != nil {
		e.t.Fatalf("ListSessions(%s): %v", u.UserName, err)
	}
	return list
}

func (e *env) session(id string) licensing.Session {
	e.t.Helper()
	ss, err := e.s.GetSession(e.ctx, id)
	if err != nil {
		e.t.Fatalf("GetSession(%s): %v", id, err)
	}
	return ss
}

func leaseIDs(ls []licensing.Lease) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = l.ID
	}
	return sortedStrings(out)
}

func holdersOf(ls []licensing.Lease) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = l.User
	}
	return sortedStrings(out)
}

func concurrentTests() []testCase {
	return []testCase{
		{"session_takes_lease_per_pool", func(e *env) {
			e.agent()
			e.concurrent("float-a", 2)
			e.concurrent("float-b", 2, func(p *licensing.Pool) { p.IdleTimeout = time.Hour })
			e.concurrent("float-c", 2)
			u := e.user("ann")
			e.member("float-a", u)
			e.member("float-b", u)
			ss := e.start(u, "float-a", "float-b")
			if len(ss.Leases) != 2 {
				e.t.Fatalf("StartSession leases = %+v, want one per pool", ss.Leases)
			}
			for i, want := range []struct {
				pool    string
				expires time.Time
			}{{"float-a", Epoch.Add(30 * time.Minute)}, {"float-b", Epoch.Add(time.Hour)}} {
				l := ss.Leases[i]
				if l.Pool != want.pool || l.User != u.ID || !l.StartedAt.Equal(Epoch) || !l.ExpiresAt.Equal(want.expires) || !l.EndedAt.IsZero() {
					e.t.Errorf("lease %d = %+v, want pool %s, user %s, started %v, expires %v", i, l, want.pool, u.ID, Epoch, want.expires)
				}
			}
			got := e.session(ss.ID)
			if !got.Active() || got.User != u.ID || !slices.Equal(leaseIDs(got.Leases), leaseIDs(ss.Leases)) {
				e.t.Errorf("GetSession = %+v, want active with leases %v", got, leaseIDs(ss.Leases))
			}
			if n := len(e.active("")); n != 2 {
				e.t.Errorf("ActiveLeases(all) = %d, want 2", n)
			}
			// A pool the person is not registered for refuses the whole session.
			e.refused(u, licensing.CodeNoLicence, "float-a", "float-c")
			if n := len(e.activeSessions(u)); n != 1 {
				e.t.Errorf("active sessions after refused start = %d, want 1 (nothing kept)", n)
			}
			if n := len(e.active("float-c")); n != 0 {
				e.t.Errorf("ActiveLeases(float-c) = %d, want 0", n)
			}
			wantCode(e.t, "StartSession(unknown user)", func() error {
				_, err := e.s.StartSession(e.ctx, e.admin, "nobody", false, []string{"float-a"})
				return err
			}(), licensing.CodeNotFound)
		}},
		{"one_lease_per_person_shared_by_sessions", func(e *env) {
			e.agent()
			e.concurrent("float", 2)
			ann, bob := e.user("ann"), e.user("bob")
			e.member("float", ann, bob)
			s1 := e.start(ann, "float")
			e.clock.Advance(5 * time.Minute)
			s2 := e.start(ann, "float")
			if s1.Leases[0].ID != s2.Leases[0].ID {
				e.t.Errorf("second session lease = %s, want the first session's %s (one lease per person per pool)", s2.Leases[0].ID, s1.Leases[0].ID)
			}
			if want := Epoch.Add(35 * time.Minute); !s2.Leases[0].ExpiresAt.Equal(want) {
				e.t.Errorf("shared lease expires %v, want %v (renewed by the second session)", s2.Leases[0].ExpiresAt, want)
			}
			if n := len(e.active("float")); n != 1 {
				e.t.Errorf("ActiveLeases = %d, want 1", n)
			}
			// The second seat is still free for someone else.
			sb := e.start(bob, "float")
			e.end(sb)
			e.end(s1)
			if got := e.active("float"); len(got) != 1 || got[0].ID != s1.Leases[0].ID {
				e.t.Errorf("ActiveLeases after ending one of two sessions = %+v, want lease %s kept", got, s1.Leases[0].ID)
			}
			e.clock.Advance(time.Minute)
			e.end(s2)
			if n := len(e.active("float")); n != 0 {
				e.t.Errorf("ActiveLeases after ending both sessions = %d, want 0", n)
			}
			l := e.leaseOf("float", ann)
			if l.EndReason != licensing.EndLogout || !l.EndedAt.Equal(Epoch.Add(6*time.Minute)) {
				e.t.Errorf("ann's lease = %+v, want ended at %v with reason %s", l, Epoch.Add(6*time.Minute), licensing.EndLogout)
			}
			wantCode(e.t, "EndSession(already ended)", e.s.EndSession(e.ctx, e.admin, s2.ID, licensing.EndLogout), licensing.CodeConflict)
			wantCode(e.t, "EndSession(unknown)", e.s.EndSession(e.ctx, e.admin, "ses_nope", licensing.EndLogout), licensing.CodeNotFound)
		}},
		{"full_pool_refuses_with_retry_after", func(e *env) {
			e.agent()
			e.concurrent("float", 2)
			us := e.users("u", 3)
			e.member("float", us...)
			e.start(us[0], "float")
			e.start(us[1], "float")
			e.clock.Advance(10 * time.Minute)
			le := e.refused(us[2], licensing.CodeMaxedOut, "float")
			// The first seat falls idle 20 minutes from now at the latest.
			if le != nil && (le.RetryAfter <= 0 || le.RetryAfter > 20*60+1) {
				e.t.Errorf("RetryAfter = %d, want in (0, %d]", le.RetryAfter, 20*60+1)
			}
			if le != nil && le.QueuePosition != 0 {
				e.t.Errorf("QueuePosition = %d, want 0 (pool has no queue)", le.QueuePosition)
			}
			if n := len(e.activeSessions(us[2])); n != 0 {
				e.t.Errorf("refused person has %d active sessions, want 0", n)
			}
			if got := e.denials()[licensing.CodeMaxedOut]; got != 1 {
				e.t.Errorf("DenialsByReason()[%s] = %d, want 1", licensing.CodeMaxedOut, got)
			}
			if n := len(e.active("float")); n != 2 {
				e.t.Errorf("ActiveLeases = %d, want 2", n)
			}
		}},
		{"queue_positions_and_order", func(e *env) {
			e.agent()
			e.concurrent("float", 2, func(p *licensing.Pool) { p.Queue = &licensing.QueueConfig{} })
			us := e.users("u", 5)
			e.member("float", us...)
			first := e.start(us[0], "float")
			e.start(us[1], "float")
			position := func(u licensing.User, want int) {
				e.t.Helper()
				if le := e.refused(u, licensing.CodeMaxedOut, "float"); le != nil && le.QueuePosition != want {
					e.t.Errorf("%s: QueuePosition = %d, want %d", u.UserName, le.QueuePosition, want)
				}
			}
			position(us[2], 1)
			e.clock.Advance(time.Second)
			position(us[3], 2)
			e.clock.Advance(time.Second)
			position(us[2], 1) // asking again keeps the place
			e.end(first)
			position(us[4], 3) // a newcomer may not take the seat queued people wait for
			e.clock.Advance(time.Second)
			position(us[3], 2) // nor may the second in line
			ss := e.start(us[2], "float")
			if len(ss.Leases) != 1 {
				e.t.Errorf("first in line got leases %+v, want the freed seat", ss.Leases)
			}
			position(us[3], 1)
			usage, err := e.s.Usage(e.ctx)
			if err != nil {
				e.t.Fatalf("Usage: %v", err)
			}
			if len(usage) != 1 || usage[0].Queued != 2 || usage[0].Held != 2 {
				e.t.Errorf("Usage = %+v, want 2 held and 2 queued", usage)
			}
		}},
		{"queue_priority_jumps_ahead", func(e *env) {
			e.agent()
			e.concurrent("float", 1, func(p *licensing.Pool) {
				p.Queue = &licensing.QueueConfig{Priority: map[string]int{"vip": 10}}
			})
			holder, normal, vip := e.user("holder"), e.user("normal"), e.user("vip", "vip")
			e.member("float", holder, normal, vip)
			hs := e.start(holder, "float")
			if le := e.refused(normal, licensing.CodeMaxedOut, "float"); le != nil && le.QueuePosition != 1 {
				e.t.Errorf("normal: QueuePosition = %d, want 1", le.QueuePosition)
			}
			e.clock.Advance(time.Second)
			if le := e.refused(vip, licensing.CodeMaxedOut, "float"); le != nil && le.QueuePosition != 1 {
				e.t.Errorf("vip (priority 10, arrived later): QueuePosition = %d, want 1", le.QueuePosition)
			}
			if le := e.refused(normal, licensing.CodeMaxedOut, "float"); le != nil && le.QueuePosition != 2 {
				e.t.Errorf("normal after vip queued: QueuePosition = %d, want 2", le.QueuePosition)
			}
			e.end(hs)
			e.refused(normal, licensing.CodeMaxedOut, "float")
			e.start(vip, "float")
		}},
		{"queue_newcomer_cannot_jump_via_reserved_seat", func(e *env) {
			// A free seat reserved for another group is no seat for the
			// queue: it must not let a newcomer past a queued person.
			e.agent()
			e.concurrent("float", 3, func(p *licensing.Pool) {
				p.Reservations = map[string]int{"vip": 1}
				p.Queue = &licensing.QueueConfig{}
			})
			a, b, queued, newcomer := e.user("a"), e.user("b"), e.user("queued"), e.user("newcomer")
			e.member("float", a, b, queued, newcomer)
			sa := e.start(a, "float")
			e.start(b, "float")
			if le := e.refused(queued, licensing.CodeMaxedOut, "float"); le != nil && le.QueuePosition != 1 {
				e.t.Errorf("queued: QueuePosition = %d, want 1", le.QueuePosition)
			}
			e.end(sa) // one open seat and the vip seat are free
			if _, err := e.tryStart(newcomer, "float"); err == nil {
				e.t.Errorf("STORE BUG: newcomer took the freed seat while %q waits first in the queue; want %s "+
					"(store.checkQueue counts free slots reserved for other groups as free)", queued.UserName, licensing.CodeMaxedOut)
			} else {
				wantCode(e.t, "StartSession(newcomer)", err, licensing.CodeMaxedOut)
			}
			if _, err := e.tryStart(queued, "float"); err != nil {
				e.t.Errorf("STORE BUG: StartSession(first in queue) after a seat freed: %v, want the seat", err)
			}
		}},
		{"reservations", func(e *env) {
			e.agent()
			e.concurrent("float", 3, func(p *licensing.Pool) { p.Reservations = map[string]int{"vip": 1} })
			a, b, c := e.user("a"), e.user("b"), e.user("c")
			v1, v2 := e.user("v1", "vip"), e.user("v2", "vip")
			e.member("float", a, b, c, v1, v2)
			e.start(a, "float")
			e.start(b, "float")
			e.refused(c, licensing.CodeMaxedOut, "float")
			e.start(v1, "float")
			e.refused(v2, licensing.CodeMaxedOut, "float")
			if got, want := holdersOf(e.active("float")), sortedStrings([]string{a.ID, b.ID, v1.ID}); !slices.Equal(got, want) {
				e.t.Errorf("holders = %v, want %v", got, want)
			}
		}},
		{"reservation_used_first_by_its_group", func(e *env) {
			e.agent()
			e.concurrent("float", 3, func(p *licensing.Pool) { p.Reservations = map[string]int{"vip": 1} })
			v, a, b := e.user("v", "vip"), e.user("a"), e.user("b")
			e.member("float", v, a, b)
			// The vip takes the reserved seat, leaving both open seats to others.
			e.start(v, "float")
			e.start(a, "float")
			e.start(b, "float")
		}},
		{"limits", func(e *env) {
			e.agent()
			e.concurrent("float", 3, func(p *licensing.Pool) { p.Limits = map[string]int{"eu": 1} })
			eu1, eu2, us1 := e.user("eu1", "eu"), e.user("eu2", "eu"), e.user("us1", "us")
			e.member("float", eu1, eu2, us1)
			s1 := e.start(eu1, "float")
			e.refused(eu2, licensing.CodeMaxedOut, "float")
			e.start(us1, "float")
			e.end(s1)
			e.start(eu2, "float")
		}},
		{"linger", func(e *env) {
			e.agent()
			e.concurrent("float", 1, func(p *licensing.Pool) { p.Linger = 10 * time.Minute })
			ann, bob := e.user("ann"), e.user("bob")
			e.member("float", ann, bob)
			ss := e.start(ann, "float")
			e.clock.Advance(time.Minute)
			e.end(ss)
			got := e.active("float")
			if len(got) != 1 || !got[0].ExpiresAt.Equal(Epoch.Add(11*time.Minute)) {
				e.t.Errorf("ActiveLeases right after logout = %+v, want ann's lease lingering until %v", got, Epoch.Add(11*time.Minute))
			}
			e.refused(bob, licensing.CodeMaxedOut, "float")
			e.clock.Advance(9*time.Minute + 59*time.Second)
			if n := e.sweep(); n != 0 {
				e.t.Errorf("Sweep 1s before the linger ends ended %d leases, want 0", n)
			}
			e.clock.Advance(time.Second)
			if n := e.sweep(); n != 1 {
				e.t.Errorf("Sweep when the linger ends ended %d leases, want 1", n)
			}
			l := e.leaseOf("float", ann)
			if l.EndReason != licensing.EndLogout || !l.EndedAt.Equal(Epoch.Add(11*time.Minute)) {
				e.t.Errorf("ann's lease = %+v, want ended at %v with reason %s", l, Epoch.Add(11*time.Minute), licensing.EndLogout)
			}
			e.start(bob, "float")
		}},
		{"linger_relogin_keeps_lease", func(e *env) {
			e.agent()
			e.concurrent("float", 1, func(p *licensing.Pool) { p.Linger = 10 * time.Minute })
			ann := e.user("ann")
			e.member("float", ann)
			s1 := e.start(ann, "float")
			e.end(s1)
			e.clock.Advance(5 * time.Minute)
			s2 := e.start(ann, "float")
			if s2.Leases[0].ID != s1.Leases[0].ID {
				e.t.Errorf("login during linger got lease %s, want the lingering %s", s2.Leases[0].ID, s1.Leases[0].ID)
			}
			e.clock.Advance(10 * time.Minute) // past the old linger, within the idle timeout
			if n := e.sweep(); n != 0 {
				e.t.Errorf("Sweep after re-login ended %d leases, want 0 (the lease no longer lingers)", n)
			}
			if n := len(e.active("float")); n != 1 {
				e.t.Errorf("ActiveLeases = %d, want 1", n)
			}
		}},
		{"idle_timeout_and_heartbeat", func(e *env) {
			e.agent()
			e.concurrent("float", 1) // idle timeout 30m
			ann, bob := e.user("ann"), e.user("bob")
			e.member("float", ann, bob)
			ss := e.start(ann, "float")
			e.clock.Advance(20 * time.Minute)
			hb, err := e.s.Heartbeat(e.ctx, ss.ID)
			if err != nil {
				e.t.Fatalf("Heartbeat: %v", err)
			}
			if len(hb.Leases) != 1 || !hb.Leases[0].ExpiresAt.Equal(Epoch.Add(50*time.Minute)) || !hb.LastSeen.Equal(Epoch.Add(20*time.Minute)) {
				e.t.Errorf("Heartbeat = %+v, want last seen %v and the lease expiring at %v", hb, Epoch.Add(20*time.Minute), Epoch.Add(50*time.Minute))
			}
			e.clock.Advance(20 * time.Minute) // 40m after start: past the first timeout
			if n := e.sweep(); n != 0 {
				e.t.Errorf("Sweep 20m after a heartbeat ended %d leases, want 0", n)
			}
			e.refused(bob, licensing.CodeMaxedOut, "float")
			e.clock.Advance(10 * time.Minute) // 30m after the heartbeat
			if n := e.sweep(); n != 1 {
				e.t.Errorf("Sweep 30m after the last heartbeat ended %d leases, want 1", n)
			}
			l := e.leaseOf("float", ann)
			if l.EndReason != licensing.EndIdleTimeout || !l.EndedAt.Equal(Epoch.Add(50*time.Minute)) {
				e.t.Errorf("ann's lease = %+v, want ended at %v with reason %s", l, Epoch.Add(50*time.Minute), licensing.EndIdleTimeout)
			}
			if got := e.session(ss.ID); len(got.Leases) != 0 {
				e.t.Errorf("GetSession leases after idle timeout = %+v, want none", got.Leases)
			}
			e.start(bob, "float")
		}},
		{"idle_session_swept", func(e *env) {
			e.agent()
			e.concurrent("float", 1, func(p *licensing.Pool) { p.IdleTimeout = 8 * time.Hour })
			ann := e.user("ann")
			e.member("float", ann)
			ss := e.start(ann, "float")
			e.clock.Advance(2 * time.Hour)
			if _, err := e.s.Sweep(e.ctx, time.Hour); err != nil {
				e.t.Fatalf("Sweep: %v", err)
			}
			got := e.session(ss.ID)
			if got.Active() || got.EndReason != licensing.EndIdleTimeout {
				e.t.Errorf("session idle 2h after Sweep(1h): ended %v reason %q, want ended with %s", got.EndedAt, got.EndReason, licensing.EndIdleTimeout)
			}
			if l := e.leaseOf("float", ann); l.EndReason != licensing.EndIdleTimeout {
				e.t.Errorf("lease of the idle session = %+v, want ended with %s", l, licensing.EndIdleTimeout)
			}
		}},
		{"lazy_checkout", func(e *env) {
			e.agent()
			e.concurrent("float", 1)
			ann, bob := e.user("ann"), e.user("bob")
			e.member("float", ann, bob)
			ss, err := e.s.StartSession(e.ctx, e.admin, "ann", true, nil)
			if err != nil {
				e.t.Fatalf("StartSession(lazy): %v", err)
			}
			if !ss.Lazy || len(ss.Leases) != 0 || len(e.active("float")) != 0 {
				e.t.Errorf("lazy session = %+v with %d active leases, want lazy with no lease", ss, len(e.active("float")))
			}
			e.clock.Advance(3 * time.Minute)
			l, err := e.s.Checkout(e.ctx, e.admin, ss.ID, "float")
			if err != nil {
				e.t.Fatalf("Checkout: %v", err)
			}
			if l.Pool != "float" || l.User != ann.ID || !l.StartedAt.Equal(Epoch.Add(3*time.Minute)) {
				e.t.Errorf("Checkout lease = %+v, want ann's float lease started at %v", l, Epoch.Add(3*time.Minute))
			}
			if got := e.session(ss.ID); !slices.Equal(leaseIDs(got.Leases), []string{l.ID}) {
				e.t.Errorf("GetSession leases = %v, want [%s]", leaseIDs(got.Leases), l.ID)
			}
			again, err := e.s.Checkout(e.ctx, e.admin, ss.ID, "float")
			if err != nil || again.ID != l.ID {
				e.t.Errorf("second Checkout = %s, %v; want the same lease %s", again.ID, err, l.ID)
			}
			bs, err := e.s.StartSession(e.ctx, e.admin, "bob", true, nil)
			if err != nil {
				e.t.Fatalf("StartSession(bob lazy): %v", err)
			}
			_, err = e.s.Checkout(e.ctx, e.admin, bs.ID, "float")
			if le := wantCode(e.t, "Checkout(bob, full pool)", err, licensing.CodeMaxedOut); le != nil && le.RetryAfter <= 0 {
				e.t.Errorf("Checkout(bob, full pool) RetryAfter = %d, want > 0", le.RetryAfter)
			}
			if bss := e.session(bs.ID); !bss.Active() {
				e.t.Errorf("bob's lazy session ended after a refused checkout, want it kept (he keeps reading)")
			}
			e.end(ss)
			if _, err := e.s.Checkout(e.ctx, e.admin, bs.ID, "float"); err != nil {
				e.t.Errorf("Checkout(bob) after ann logged out: %v", err)
			}
			_, err = e.s.Checkout(e.ctx, e.admin, ss.ID, "float")
			wantCode(e.t, "Checkout(ended session)", err, licensing.CodeConflict)
			_, err = e.s.Checkout(e.ctx, e.admin, "ses_nope", "float")
			wantCode(e.t, "Checkout(unknown session)", err, licensing.CodeNotFound)
			_, err = e.s.Checkout(e.ctx, e.admin, bs.ID, "nope")
			wantCode(e.t, "Checkout(unknown pool)", err, licensing.CodeNotFound)
		}},
		{"admin_end_lease", func(e *env) {
			e.agent()
			e.concurrent("float", 1)
			ann, bob := e.user("ann"), e.user("bob")
			e.member("float", ann, bob)
			ss := e.start(ann, "float")
			e.clock.Advance(time.Minute)
			if err := e.s.EndLease(e.ctx, e.admin, ss.Leases[0].ID); err != nil {
				e.t.Fatalf("EndLease: %v", err)
			}
			l := e.leaseOf("float", ann)
			if l.EndReason != licensing.EndAdmin || !l.EndedAt.Equal(Epoch.Add(time.Minute)) {
				e.t.Errorf("lease after EndLease = %+v, want ended at %v with reason %s", l, Epoch.Add(time.Minute), licensing.EndAdmin)
			}
			wantCode(e.t, "EndLease(again)", e.s.EndLease(e.ctx, e.admin, l.ID), licensing.CodeConflict)
			wantCode(e.t, "EndLease(unknown)", e.s.EndLease(e.ctx, e.admin, "lse_nope"), licensing.CodeNotFound)
			e.start(bob, "float")
		}},
		{"validity_dates", func(e *env) {
			e.agent()
			e.concurrent("expired", 2, func(p *licensing.Pool) { p.Ends = Epoch.Add(-time.Hour) })
			e.concurrent("future", 2, func(p *licensing.Pool) { p.Starts = Epoch.Add(24 * time.Hour) })
			e.concurrent("window", 2, func(p *licensing.Pool) {
				p.Starts, p.Ends = Epoch.Add(-time.Hour), Epoch.Add(time.Hour)
			})
			ann := e.user("ann")
			e.member("expired", ann)
			e.member("future", ann)
			e.member("window", ann)
			for _, tc := range []struct {
				advance time.Duration
				pool    string
				want    string
			}{
				{0, "expired", licensing.CodeNoLicence},
				{0, "future", licensing.CodeNoLicence},
				{0, "window", ""},
				{time.Hour, "window", licensing.CodeNoLicence}, // Ends is exclusive
				{23 * time.Hour, "future", ""},
				{0, "expired", licensing.CodeNoLicence},
			} {
				e.clock.Advance(tc.advance)
				at := e.clock.Peek().Sub(Epoch)
				ss, err := e.tryStart(ann, tc.pool)
				if err == nil {
					e.end(ss)
				}
				lazy, lerr := e.s.StartSession(e.ctx, e.admin, "ann", true, nil)
				if lerr != nil {
					e.t.Fatalf("StartSession(lazy): %v", lerr)
				}
				_, cerr := e.s.Checkout(e.ctx, e.admin, lazy.ID, tc.pool)
				e.end(lazy)
				if tc.want == "" {
					if err != nil || cerr != nil {
						e.t.Errorf("at +%v pool %s: StartSession %v, Checkout %v; want both allowed", at, tc.pool, err, cerr)
					}
					continue
				}
				wantCode(e.t, "StartSession(+"+at.String()+", "+tc.pool+")", err, tc.want)
				wantCode(e.t, "Checkout(+"+at.String()+", "+tc.pool+")", cerr, tc.want)
			}
		}},
		{"lease_not_renewed_after_pool_ends", func(e *env) {
			// "A pool outside its dates serves nobody" (DESIGN §3.1): a lease
			// taken before the end date is not handed out again after it.
			e.agent()
			e.concurrent("window", 2, func(p *licensing.Pool) { p.Ends = Epoch.Add(time.Hour) })
			ann := e.user("ann")
			e.member("window", ann)
			e.start(ann, "window")
			e.clock.Advance(time.Hour + time.Minute)
			if ss, err := e.tryStart(ann, "window"); err == nil {
				e.t.Errorf("STORE BUG: StartSession(ann) after pool window ended returned lease(s) %+v, want %s "+
					"(store checkout reuses the person's open lease without checking Pool.ValidAt)", ss.Leases, licensing.CodeNoLicence)
			} else {
				wantCode(e.t, "StartSession(after the end date)", err, licensing.CodeNoLicence)
			}
		}},
		{"revoke_registration_ends_lease", func(e *env) {
			e.agent()
			e.concurrent("float", 1)
			ann, bob := e.user("ann"), e.user("bob")
			e.member("float", ann, bob)
			ss := e.start(ann, "float")
			e.clock.Advance(time.Minute)
			if err := e.s.DeleteMember(e.ctx, e.admin, "float", "ann"); err != nil {
				e.t.Fatalf("DeleteMember: %v", err)
			}
			l := e.leaseOf("float", ann)
			if l.EndReason != licensing.EndRevoked || !l.EndedAt.Equal(Epoch.Add(time.Minute)) {
				e.t.Errorf("lease after revoking the registration = %+v, want ended at %v with reason %s", l, Epoch.Add(time.Minute), licensing.EndRevoked)
			}
			if got := e.session(ss.ID); len(got.Leases) != 0 {
				e.t.Errorf("session leases after revocation = %+v, want none", got.Leases)
			}
			e.refused(ann, licensing.CodeNoLicence, "float")
			e.start(bob, "float")
			if got := e.members("float"); !slices.Equal(got, []string{"bob"}) {
				e.t.Errorf("ListMembers = %v, want [bob]", got)
			}
		}},
		{"deactivate_user_ends_everything", func(e *env) {
			e.agent()
			e.concurrent("float", 1, func(p *licensing.Pool) { p.Linger = time.Hour })
			e.named("named", 1)
			ann, bob, carol := e.user("ann"), e.user("bob"), e.user("carol")
			e.member("float", ann, bob)
			e.member("named", ann)
			s1 := e.start(ann, "float")
			s2 := e.start(ann, "float")
			e.clock.Advance(time.Minute)
			ann.Active = false
			if _, err := e.s.UpdateUser(e.ctx, e.admin, ann); err != nil {
				e.t.Fatalf("UpdateUser(active=false): %v", err)
			}
			for _, id := range []string{s1.ID, s2.ID} {
				if got := e.session(id); got.Active() || got.EndReason != licensing.EndInactive {
					e.t.Errorf("session %s after deactivation: ended %v reason %q, want ended with %s", id, got.EndedAt, got.EndReason, licensing.EndInactive)
				}
			}
			// Lingering is for logouts; a leaver's seat returns at once.
			if l := e.leaseOf("float", ann); l.EndReason != licensing.EndInactive || !l.EndedAt.Equal(Epoch.Add(time.Minute)) {
				e.t.Errorf("lease after deactivation = %+v, want ended at %v with reason %s", l, Epoch.Add(time.Minute), licensing.EndInactive)
			}
			for pool, want := range map[string][]string{"float": {"bob"}, "named": {}} {
				if got := e.members(pool); !slices.Equal(got, want) {
					e.t.Errorf("ListMembers(%s) after deactivation = %v, want %v", pool, got, want)
				}
			}
			_, err := e.s.StartSession(e.ctx, e.admin, "ann", true, nil)
			wantCode(e.t, "StartSession(deactivated)", err, licensing.CodeInactive)
			e.start(bob, "float")
			if _, _, err := e.s.PutMember(e.ctx, e.admin, "named", carol.UserName, ""); err != nil {
				e.t.Errorf("PutMember(named, carol) after ann's deactivation: %v, want the freed seat", err)
			}
		}},
	}
}
