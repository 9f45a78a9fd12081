package storetest

import (
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

// consoleLeaseTests cover the licence console's live views: the leases and
// sessions held now, paged by keyset cursors, and each pool's queue.
func consoleLeaseTests() []testCase {
	return []testCase{
		{"live_leases_page_newest_first", func(e *env) {
			e.agent()
			e.concurrent("float", 30)
			e.concurrent("other", 5)
			people := e.users("p", 23)
			e.member("float", people...)
			e.member("other", people[0])
			var sessions []licensing.Session
			for _, u := range people {
				sessions = append(sessions, e.start(u, "float"))
				e.clock.Advance(time.Second)
			}
			e.start(people[0], "other")
			e.end(sessions[5]) // ended: history, not live
			var seen []string
			f := store.LiveFilter{Pool: "float", Limit: 10}
			for pages := 0; pages < 5; pages++ {
				list, err := e.s.LiveLeases(e.ctx, f)
				if err != nil {
					e.t.Fatalf("LiveLeases: %v", err)
				}
				for i, l := range list {
					if l.Pool != "float" || !l.EndedAt.IsZero() {
						e.t.Errorf("LiveLeases(float) listed %+v", l)
					}
					if i > 0 && list[i-1].StartedAt.Before(l.StartedAt) {
						e.t.Errorf("LiveLeases not newest first: %v before %v", list[i-1].StartedAt, l.StartedAt)
					}
					seen = append(seen, l.User)
				}
				if len(list) < f.Limit {
					break
				}
				last := list[len(list)-1]
				f.After = store.LiveCursor{At: last.StartedAt, ID: last.ID}
			}
			if len(seen) != 22 || seen[0] != people[22].ID || seen[21] != people[0].ID {
				e.t.Errorf("paged %d live leases (first %v, last %v), want the 22 held, newest first", len(seen), seen[0], seen[len(seen)-1])
			}
			byUser, err := e.s.LiveLeases(e.ctx, store.LiveFilter{User: people[0].ID})
			if err != nil || len(byUser) != 2 {
				e.t.Errorf("LiveLeases(user p01) = %d leases, %v; want float and other", len(byUser), err)
			}
		}},
		{"live_sessions_by_pool_and_person", func(e *env) {
			e.agent()
			e.concurrent("float", 5)
			e.concurrent("other", 5)
			ann, bob, cy := e.user("ann"), e.user("bob"), e.user("cy")
			e.member("float", ann, bob)
			e.member("other", cy)
			sa := e.start(ann, "float")
			e.clock.Advance(time.Second)
			sb := e.start(bob, "float")
			e.clock.Advance(time.Second)
			sc := e.start(cy, "other")
			e.clock.Advance(time.Second)
			e.end(sb)
			ids := func(f store.LiveFilter) []string {
				e.t.Helper()
				list, err := e.s.LiveSessions(e.ctx, f)
				if err != nil {
					e.t.Fatalf("LiveSessions(%+v): %v", f, err)
				}
				out := make([]string, len(list))
				for i, ss := range list {
					out[i] = ss.ID
					if len(ss.Leases) != 1 {
						e.t.Errorf("session %s lists %d leases, want its one", ss.ID, len(ss.Leases))
					}
				}
				return out
			}
			if got := ids(store.LiveFilter{}); len(got) != 2 || got[0] != sc.ID || got[1] != sa.ID {
				e.t.Errorf("LiveSessions() = %v, want cy's then ann's (most recently active first)", got)
			}
			if got := ids(store.LiveFilter{Pool: "float"}); len(got) != 1 || got[0] != sa.ID {
				e.t.Errorf("LiveSessions(float) = %v, want ann's", got)
			}
			if got := ids(store.LiveFilter{User: cy.ID}); len(got) != 1 || got[0] != sc.ID {
				e.t.Errorf("LiveSessions(cy) = %v, want cy's", got)
			}
			if got := ids(store.LiveFilter{Limit: 1, After: store.LiveCursor{At: sc.LastSeen, ID: sc.ID}}); len(got) != 1 || got[0] != sa.ID {
				e.t.Errorf("LiveSessions after cy's = %v, want ann's", got)
			}
		}},
		{"queue_of_in_offer_order", func(e *env) {
			e.agent()
			p := e.concurrent("float", 1, func(p *licensing.Pool) {
				p.Queue = &licensing.QueueConfig{MaxLength: 10, Priority: map[string]int{"vip": 5}, OfferTTL: time.Minute}
			})
			holder, ann, bob := e.user("holder"), e.user("ann"), e.user("bob", "vip")
			e.member("float", holder, ann, bob)
			e.start(holder, "float")
			e.refused(ann, licensing.CodeMaxedOut, "float")
			e.clock.Advance(time.Second)
			e.refused(bob, licensing.CodeMaxedOut, "float")
			q, err := e.s.QueueOf(e.ctx, p, 10)
			if err != nil {
				e.t.Fatalf("QueueOf: %v", err)
			}
			if len(q) != 2 || q[0].User != bob.ID || q[0].Position != 1 || q[0].Priority != 5 || q[1].User != ann.ID || q[1].Position != 2 || q[1].Since.IsZero() {
				e.t.Errorf("QueueOf(float) = %+v, want bob (vip) first, then ann", q)
			}
			// A place whose holder stopped asking lapses.
			e.clock.Advance(2 * time.Minute)
			if q, _ := e.s.QueueOf(e.ctx, p, 10); len(q) != 0 {
				e.t.Errorf("QueueOf after the places lapsed = %+v, want none", q)
			}
		}},
		{"lease_by_id", func(e *env) {
			e.agent()
			e.concurrent("float", 1)
			ann := e.user("ann")
			e.member("float", ann)
			ss := e.start(ann, "float")
			id := ss.Leases[0].ID
			e.end(ss)
			l, err := e.s.Lease(e.ctx, id)
			if err != nil || l.ID != id || l.EndedAt.IsZero() || l.EndReason != licensing.EndLogout {
				e.t.Errorf("Lease(%s) = %+v, %v; want the ended lease", id, l, err)
			}
			_, err = e.s.Lease(e.ctx, "lse_nope")
			wantCode(e.t, "Lease(unknown)", err, licensing.CodeNotFound)
		}},
	}
}
