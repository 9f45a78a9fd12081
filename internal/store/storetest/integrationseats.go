package storetest

import (
	"fmt"
	"sync"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/desk"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// integrationFixture: a concurrent pool "float" of 10 seats and 2 over,
// twelve registered people and an enforce integration "hub" with the
// default hold and cap; the actor is its service account.
func (e *env) integrationFixture() ([]licensing.User, desk.Integration, licensing.Actor) {
	e.t.Helper()
	e.agent()
	e.concurrent("float", 10, func(p *licensing.Pool) { p.Overdraft = 2 })
	people := e.users("p", 12)
	e.member("float", people...)
	in, _, err := e.s.CreateIntegration(e.ctx, e.admin, "hub", desk.ModeEnforce)
	if err != nil {
		e.t.Fatalf("CreateIntegration: %v", err)
	}
	return people, in, licensing.Actor{Name: in.UserName, Source: "storetest", Integration: in.ID}
}

// integrationSession starts u's session as the integration would.
func (e *env) integrationSession(a licensing.Actor, u licensing.User) licensing.Session {
	e.t.Helper()
	// Asking for every pool up front is ignored: an integration's session
	// is lazy.
	ss, err := e.s.StartSession(e.ctx, a, u.UserName, false, []string{"float"})
	if err != nil {
		e.t.Fatalf("StartSession(%s) by the integration: %v", u.UserName, err)
	}
	return ss
}

func integrationSeatTests() []testCase {
	return []testCase{
		{"lazy_held_and_capped", func(e *env) {
			people, in, a := e.integrationFixture()
			if in.Hold != desk.DefaultHold || in.MaxSeats != 0 {
				e.t.Errorf("new integration hold %v max %d, want %v and 0 (a tenth of each pool)", in.Hold, in.MaxSeats, desk.DefaultHold)
			}
			var sessions []licensing.Session
			for _, u := range people {
				ss := e.integrationSession(a, u)
				if !ss.Lazy || len(ss.Leases) != 0 || ss.Integration != in.ID {
					e.t.Fatalf("integration session = %+v, want lazy, no lease, integration %s", ss, in.ID)
				}
				sessions = append(sessions, ss)
			}
			if n := len(e.active("float")); n != 0 {
				e.t.Fatalf("%d leases after twelve integration sessions, want none until a call needs one", n)
			}
			l, err := e.s.Checkout(e.ctx, a, sessions[0].ID, "float")
			if err != nil {
				e.t.Fatalf("first checkout through the integration: %v", err)
			}
			if l.Integration != in.ID || l.Hold != desk.DefaultHold || !l.ExpiresAt.Equal(Epoch.Add(desk.DefaultHold)) {
				e.t.Errorf("lease = %+v, want the integration's, held %v to %v (not the 30m idle timeout)", l, desk.DefaultHold, Epoch.Add(desk.DefaultHold))
			}
			// A tenth of 10 seats: one at a time.
			_, err = e.s.Checkout(e.ctx, a, sessions[1].ID, "float")
			wantCode(e.t, "second checkout over the cap", err, licensing.CodeIntegrationCap)
			// A heartbeat keeps the session, never the seat.
			e.clock.Advance(30 * time.Second)
			if _, err := e.s.Heartbeat(e.ctx, sessions[0].ID); err != nil {
				e.t.Fatalf("Heartbeat: %v", err)
			}
			if got := e.active("float"); len(got) != 1 || !got[0].ExpiresAt.Equal(Epoch.Add(desk.DefaultHold)) {
				e.t.Errorf("after a heartbeat leases = %+v, want one still expiring at %v", got, Epoch.Add(desk.DefaultHold))
			}
			// Past the hold the seat is the next call's.
			e.clock.Advance(31 * time.Second)
			if _, err := e.s.Checkout(e.ctx, a, sessions[1].ID, "float"); err != nil {
				e.t.Fatalf("checkout after the first seat's hold passed: %v", err)
			}
			if got := e.leaseOf("float", people[0]); got.EndReason != licensing.EndHoldExpired {
				e.t.Errorf("first lease = %+v, want ended %s", got, licensing.EndHoldExpired)
			}
			// A configured cap.
			three := 3
			if _, err := e.s.UpdateIntegration(e.ctx, e.admin, "hub", desk.IntegrationUpdate{MaxSeats: &three}); err != nil {
				e.t.Fatalf("UpdateIntegration: %v", err)
			}
			for i := 2; i < 4; i++ {
				if _, err := e.s.Checkout(e.ctx, a, sessions[i].ID, "float"); err != nil {
					e.t.Fatalf("checkout %d under a cap of 3: %v", i, err)
				}
			}
			_, err = e.s.Checkout(e.ctx, a, sessions[4].ID, "float")
			wantCode(e.t, "fourth checkout over a cap of 3", err, licensing.CodeIntegrationCap)
			rep, err := e.s.MultiplexingReport(e.ctx, Epoch, Epoch.Add(time.Hour))
			if err != nil {
				e.t.Fatalf("MultiplexingReport: %v", err)
			}
			if len(rep.Integrations) != 1 {
				e.t.Fatalf("report integrations = %+v, want hub", rep.Integrations)
			}
			u := rep.Integrations[0]
			if u.SeatsHeld != 3 || u.SeatsTaken != 4 || u.MaxSeats != 3 || u.Hold != desk.DefaultHold || len(u.Seats) != 1 ||
				u.Seats[0].Pool != "float" || u.Seats[0].Peak != 3 || u.Seats[0].Cap != 3 || u.Seats[0].HeldNow != 3 {
				e.t.Errorf("report = %+v, want 3 held now, 4 taken, peak 3 of cap 3 in float", u)
			}
			// Ending the integration's session returns its seat at once.
			if err := e.s.EndSession(e.ctx, a, sessions[2].ID, licensing.EndLogout); err != nil {
				e.t.Fatalf("EndSession: %v", err)
			}
			if n := len(e.active("float")); n != 2 {
				e.t.Errorf("%d leases after the integration ended one session, want 2", n)
			}
			// The sweep ends the rest when their hold passes.
			e.clock.Advance(desk.DefaultHold + time.Second)
			if _, err := e.s.Sweep(e.ctx, time.Hour); err != nil {
				e.t.Fatalf("Sweep: %v", err)
			}
			if got := e.active("float"); len(got) != 0 {
				e.t.Errorf("leases after the hold passed = %+v, want none", got)
			}
			if got := e.leaseOf("float", people[3]); got.EndReason != licensing.EndHoldExpired {
				e.t.Errorf("swept lease = %+v, want ended %s", got, licensing.EndHoldExpired)
			}
		}},
		{"own_lease_reused_not_extended", func(e *env) {
			people, _, a := e.integrationFixture()
			ann, bob := people[0], people[1]
			own := e.start(ann, "float") // ann's own session: idle timeout 30m
			e.clock.Advance(time.Minute)
			is := e.integrationSession(a, ann)
			l, err := e.s.Checkout(e.ctx, a, is.ID, "float")
			if err != nil {
				e.t.Fatalf("integration checkout of ann's held seat: %v", err)
			}
			if l.ID != own.Leases[0].ID || l.Integration != "" || !l.ExpiresAt.Equal(own.Leases[0].ExpiresAt) {
				e.t.Errorf("reused lease = %+v, want ann's own %s, still expiring at %v", l, own.Leases[0].ID, own.Leases[0].ExpiresAt)
			}
			// Her own seat does not count against the integration's cap.
			if _, err := e.s.Checkout(e.ctx, a, e.integrationSession(a, bob).ID, "float"); err != nil {
				e.t.Errorf("bob's checkout through the integration: %v", err)
			}
			// When she logs out the integration's session does not keep it.
			e.end(own)
			if got := e.leaseOf("float", ann); got.EndedAt.IsZero() {
				e.t.Errorf("ann's lease %+v lives on after her logout through the integration's session", got)
			}
		}},
		{"touches_keep_to_the_hold", func(e *env) {
			people, _, a := e.integrationFixture()
			ann, bob := people[0], people[1]
			own := e.start(ann, "float")
			il, err := e.s.Checkout(e.ctx, a, e.integrationSession(a, bob).ID, "float")
			if err != nil {
				e.t.Fatalf("Checkout: %v", err)
			}
			at := Epoch.Add(20 * time.Second)
			touches := []licensing.LeaseTouch{
				{Lease: own.Leases[0].ID, HeldUntil: at.Add(desk.DefaultHold)}, // an integration's call on ann's own seat
				{Lease: il.ID, At: at}, // use of the integration's seat
			}
			if err := e.s.TouchLeases(e.ctx, touches); err != nil {
				e.t.Fatalf("TouchLeases: %v", err)
			}
			if got := e.leaseOf("float", ann); !got.ExpiresAt.Equal(own.Leases[0].ExpiresAt) {
				e.t.Errorf("ann's own lease expires %v after an integration's call, want still %v", got.ExpiresAt, own.Leases[0].ExpiresAt)
			}
			if got := e.leaseOf("float", bob); !got.ExpiresAt.Equal(at.Add(desk.DefaultHold)) {
				e.t.Errorf("the integration's lease expires %v after use at %v, want its hold later, %v", got.ExpiresAt, at, at.Add(desk.DefaultHold))
			}
			// A later hold raises a seat's expiry, an earlier one never lowers it.
			far := Epoch.Add(40 * time.Minute)
			if err := e.s.TouchLeases(e.ctx, []licensing.LeaseTouch{{Lease: own.Leases[0].ID, HeldUntil: far}}); err != nil {
				e.t.Fatalf("TouchLeases: %v", err)
			}
			if got := e.leaseOf("float", ann); !got.ExpiresAt.Equal(far) {
				e.t.Errorf("ann's lease expires %v, want raised to %v", got.ExpiresAt, far)
			}
		}},
		{"cap_exact_under_concurrency", func(e *env) {
			people, _, a := e.integrationFixture()
			two := 2
			if _, err := e.s.UpdateIntegration(e.ctx, e.admin, "hub", desk.IntegrationUpdate{MaxSeats: &two}); err != nil {
				e.t.Fatalf("UpdateIntegration: %v", err)
			}
			var sessions []licensing.Session
			for _, u := range people[:8] {
				sessions = append(sessions, e.integrationSession(a, u))
			}
			var wg sync.WaitGroup
			errs := make([]error, len(sessions))
			for i, ss := range sessions {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, errs[i] = e.s.Checkout(e.ctx, a, ss.ID, "float")
				}()
			}
			wg.Wait()
			won := 0
			for i, err := range errs {
				switch codeOf(err) {
				case "":
					if err != nil {
						e.t.Errorf("checkout %d: %v", i, err)
					}
					won++
				case licensing.CodeIntegrationCap:
				default:
					e.t.Errorf("checkout %d: %v, want ok or %s", i, err, licensing.CodeIntegrationCap)
				}
			}
			if held := len(e.active("float")); won != 2 || held != 2 {
				e.t.Errorf("%d of 8 concurrent checkouts won and %d leases are held, want exactly the cap of 2", won, held)
			}
		}},
		{"rules_validated", func(e *env) {
			_, _, _ = e.integrationFixture()
			short, long, neg := 5*time.Second, 2*time.Hour, -1
			for _, u := range []desk.IntegrationUpdate{{Hold: &short}, {Hold: &long}, {MaxSeats: &neg}} {
				_, err := e.s.UpdateIntegration(e.ctx, e.admin, "hub", u)
				wantCode(e.t, fmt.Sprintf("UpdateIntegration(%+v)", u), err, licensing.CodeInvalid)
			}
			in, err := e.s.GetIntegration(e.ctx, "hub")
			if err != nil || in.Hold != desk.DefaultHold || in.MaxSeats != 0 {
				e.t.Errorf("after refused updates hub = %+v, %v; want unchanged", in, err)
			}
		}},
	}
}
