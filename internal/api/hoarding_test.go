package api

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// TestIntegrationCannotHoardSeats replays the hostile review's finding (issue
// 10, part 1): an enforce integration starting sessions for twelve acting
// people, body {}, and heartbeating them, must not take the pool's ten
// seats and its overdraft. Its sessions are lazy, a seat its call takes
// lives only the integration's hold after the call, it holds at most its cap
// at once, and the multiplexing report shows the seats held through it.
func TestIntegrationCannotHoardSeats(t *testing.T) {
	e := newTestEnv(t)
	e.seedDesk()
	e.must(201, "POST", "/api/v1/pools", `{"id":"floor","sku":"agent","model":"concurrent","seats":10,"overdraft":2,"idle_timeout":"30m","monthly_price":140}`)
	var people []string
	for i := 1; i <= 12; i++ {
		name := fmt.Sprintf("tech%02d", i)
		e.must(201, "POST", "/api/v1/users", person(name, fmt.Sprintf("T%03d", i)))
		e.must(201, "PUT", "/api/v1/pools/floor/members/"+name+"@example.com", nil)
		people = append(people, name+"@example.com")
	}
	hub := e.newIntegration("hub", "enforce")
	if hub.HoldSeconds != 60 || hub.MaxSeats != 0 {
		t.Errorf("new integration = %+v, want hold 60 s and max_seats 0 (a tenth of each pool)", hub)
	}
	as := func(who string) []string { return []string{"Seatkeeper-Acting-User", who} }
	held := func() []leaseJSON {
		t.Helper()
		var out struct {
			Leases []leaseJSON `json:"leases"`
		}
		e.must(200, "GET", "/api/v1/leases?pool=floor", nil).into(t, &out)
		return out.Leases
	}

	// The attack: a session per person, eager if it could be, then a call each.
	var sessions []sessionJSON
	for i, who := range people {
		body := `{}`
		if i%2 == 1 {
			body = `{"lazy":false}`
		}
		r := e.request("POST", "/api/v1/sessions", hub.Token, body, as(who)...)
		var ss sessionJSON
		if r.Status != 201 {
			t.Fatalf("start session for %s: %d %s", who, r.Status, r)
		}
		r.into(t, &ss)
		if !ss.Lazy || len(ss.Leases) != 0 || ss.Integration != hub.ID {
			t.Fatalf("integration session = %+v, want lazy with no lease, started by %s", ss, hub.ID)
		}
		sessions = append(sessions, ss)
	}
	if n := len(held()); n != 0 {
		t.Fatalf("%d seats held after twelve integration sessions, want none", n)
	}
	allowed, capped := 0, 0
	for i, who := range people {
		var d decisionOut
		e.request("POST", "/api/v1/decide", hub.Token, `{"capability":"ticket.transition","session":"`+sessions[i].ID+`"}`, as(who)...).into(t, &d)
		switch {
		case d.Allow:
			allowed++
		case d.Reason == "integration_seat_cap":
			capped++
		default:
			t.Errorf("decide for %s = %+v, want allowed or integration_seat_cap", who, d)
		}
	}
	leases := held()
	if allowed != 1 || capped != 11 || len(leases) != 1 {
		t.Fatalf("%d allowed, %d capped, %d seats held; want the cap of 1 (a tenth of 10 seats), the rest refused", allowed, capped, len(leases))
	}
	l := leases[0]
	if l.Integration != hub.ID || l.HoldSeconds != 60 || l.ExpiresAt.Sub(l.StartedAt) != time.Minute {
		t.Errorf("lease = %+v, want the integration's, expiring 60 s after it started (not the 30 m idle timeout)", l)
	}

	// Heartbeats keep the sessions, never the seat.
	e.clock.advance(45 * time.Second)
	for i, ss := range sessions {
		e.must(200, "POST", "/api/v1/sessions/"+ss.ID+"/heartbeat", nil, as(people[i])...)
	}
	if ls := held(); len(ls) != 1 || !ls[0].ExpiresAt.Equal(l.ExpiresAt) {
		t.Errorf("after heartbeats leases = %+v, want the one seat still expiring at %v", ls, l.ExpiresAt)
	}
	e.clock.advance(20 * time.Second)
	if _, err := e.st.Sweep(context.Background(), time.Hour); err != nil {
		t.Fatalf("Sweep: %v", err)
	}
	if ls := held(); len(ls) != 0 {
		t.Errorf("after the hold passed leases = %+v, want none", ls)
	}

	// A configured cap and hold, validated first.
	wantError(t, e.call("PUT", "/api/v1/integrations/hub", `{"hold_seconds":5}`), 400, "invalid_request", "hold_seconds")
	wantError(t, e.call("PUT", "/api/v1/integrations/hub", `{"max_seats":-1}`), 400, "invalid_request", "max_seats")
	wantError(t, e.call("PUT", "/api/v1/integrations/hub", `{}`), 400, "invalid_request", "")
	wantError(t, e.call("POST", "/api/v1/integrations", `{"name":"bad","mode":"enforce","hold_seconds":7200}`), 400, "invalid_request", "hold_seconds")
	e.must(404, "GET", "/api/v1/integrations/bad", nil)
	var changed integrationJSON
	e.must(200, "PUT", "/api/v1/integrations/hub", `{"max_seats":3,"hold_seconds":30}`).into(t, &changed)
	if changed.MaxSeats != 3 || changed.HoldSeconds != 30 || changed.Mode != "enforce" {
		t.Errorf("changed integration = %+v, want max 3, hold 30, mode kept", changed)
	}
	allowed = 0
	for i, who := range people {
		var d decisionOut
		e.request("POST", "/api/v1/decide", hub.Token, `{"capability":"ticket.transition","session":"`+sessions[i].ID+`"}`, as(who)...).into(t, &d)
		if d.Allow {
			allowed++
		}
	}
	if ls := held(); allowed != 3 || len(ls) != 3 || ls[0].HoldSeconds != 30 {
		t.Errorf("%d allowed with %d seats held (%+v), want the cap of 3 held 30 s", allowed, len(ls), ls)
	}

	// The integration may not use a person's own session, which would lease
	// under the idle timeout, nor keep it alive.
	var own sessionJSON
	e.must(201, "POST", "/api/v1/sessions", `{"user":"`+people[11]+`","lazy":true}`).into(t, &own)
	r := e.request("POST", "/api/v1/decide", hub.Token, `{"capability":"ticket.transition","session":"`+own.ID+`"}`, as(people[11])...)
	wantError(t, r, 403, "forbidden", "session")
	r = e.request("POST", "/api/v1/sessions/"+own.ID+"/heartbeat", hub.Token, nil, as(people[11])...)
	wantError(t, r, 404, "not_found", "")

	// The multiplexing report shows the seats held through it.
	var rep reportJSON
	e.must(200, "GET", "/api/v1/reports/multiplexing", nil).into(t, &rep)
	var u *integrationUsageJSON
	for i := range rep.Integrations {
		if rep.Integrations[i].Integration == "hub" {
			u = &rep.Integrations[i]
		}
	}
	if u == nil {
		t.Fatalf("report %+v lacks hub", rep)
	}
	if u.SeatsHeld != 3 || u.SeatsTaken != 4 || u.MaxSeats != 3 || u.HoldSeconds != 30 || len(u.Seats) != 1 ||
		u.Seats[0].Pool != "floor" || u.Seats[0].Peak != 3 || u.Seats[0].Cap != 3 || u.Seats[0].HeldNow != 3 {
		t.Errorf("report for hub = %+v, want 3 held now of a cap of 3, 4 taken, peak 3 in floor", *u)
	}
}
