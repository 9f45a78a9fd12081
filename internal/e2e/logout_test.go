package e2e

import (
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"
)

// TestConcurrentLogoutReleasesSeat: a person with two sessions (two tabs)
// on one lease logs out of both at the same moment, through two processes
// on one PostgreSQL database. The seat must come back: a lease outliving
// every session that used it holds a seat nobody uses until its idle
// timeout (DESIGN §2 "lease": returns on logout).
func TestConcurrentLogoutReleasesSeat(t *testing.T) {
	const (
		pool   = "tabs"
		rounds = 40
	)
	dsn := newPGDatabase(t)
	a := startServe(t, "A", []string{"--addr", "127.0.0.1:0", "--db", dsn})
	if a.Token == "" {
		t.Fatal("no first-start admin token")
	}
	b := startServe(t, "B", []string{"--addr", "127.0.0.1:0", "--db", dsn})
	ca, cb := newClient(a.Base, a.Token), newClient(b.Base, a.Token)
	users := setupPool(t, ca, pool, 2, "30m", "tab", 1)
	waitFollowsRegistrations(t, cb, users, 10*time.Second)
	u := users[0]
	raw := openRaw(t, dsn)

	leaked := 0
	for round := range rounds {
		var s1, s2 sessionOut
		ca.must(t, "POST", "/api/v1/sessions", map[string]any{"user": u}, &s1, http.StatusCreated)
		cb.must(t, "POST", "/api/v1/sessions", map[string]any{"user": u}, &s2, http.StatusCreated)
		if len(s1.Leases) != 1 || len(s2.Leases) != 1 || s1.Leases[0].ID != s2.Leases[0].ID {
			t.Fatalf("round %d: two sessions of one person should share one lease: %+v, %+v", round, s1.Leases, s2.Leases)
		}
		lease := s1.Leases[0].ID
		var wg sync.WaitGroup
		start := make(chan struct{})
		for _, x := range []struct {
			c  *client
			id string
		}{{ca, s1.ID}, {cb, s2.ID}} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				status, body, err := x.c.do("DELETE", "/api/v1/sessions/"+x.id, nil)
				if err != nil || status != http.StatusNoContent {
					t.Errorf("DELETE /sessions/%s: %d %s %v", x.id, status, body, err)
				}
			}()
		}
		close(start)
		wg.Wait()
		if n := raw.count(t, `SELECT count(*) FROM leases WHERE id = ? AND ended_at = 0`, lease); n != 0 {
			leaked++
			if leaked <= 3 {
				t.Errorf("round %d: both sessions of %s logged out (204 each), yet lease %s is still active:%s", round, u, lease, describeLeftovers(t, raw, pool))
			}
			// End it so the next round starts clean.
			ca.must(t, "DELETE", "/api/v1/leases/"+lease, nil, nil, http.StatusNoContent)
		}
	}
	if leaked > 0 {
		t.Errorf("%d of %d concurrent double logouts left the lease (and its seat) held", leaked, rounds)
	}
	a.termOK(t)
	b.termOK(t)
}

// TestLoginDuringLogoutKeepsLease: a person logs out of one tab while
// opening another, through two processes on one PostgreSQL database. The
// new session's 201 names its lease; that lease must be held afterwards (the
// logout of the old tab may not end the lease the new tab was just given).
func TestLoginDuringLogoutKeepsLease(t *testing.T) {
	const (
		pool   = "relogin"
		rounds = 40
	)
	dsn := newPGDatabase(t)
	a := startServe(t, "A", []string{"--addr", "127.0.0.1:0", "--db", dsn})
	if a.Token == "" {
		t.Fatal("no first-start admin token")
	}
	b := startServe(t, "B", []string{"--addr", "127.0.0.1:0", "--db", dsn})
	ca, cb := newClient(a.Base, a.Token), newClient(b.Base, a.Token)
	users := setupPool(t, ca, pool, 2, "30m", "relog", 1)
	waitFollowsRegistrations(t, cb, users, 10*time.Second)
	u := users[0]
	raw := openRaw(t, dsn)

	lost := 0
	for round := range rounds {
		var old sessionOut
		ca.must(t, "POST", "/api/v1/sessions", map[string]any{"user": u}, &old, http.StatusCreated)
		var wg sync.WaitGroup
		start := make(chan struct{})
		var fresh sessionOut
		var freshStatus int
		var freshBody []byte
		wg.Add(2)
		go func() {
			defer wg.Done()
			<-start
			status, body, err := ca.do("DELETE", "/api/v1/sessions/"+old.ID, nil)
			if err != nil || status != http.StatusNoContent {
				t.Errorf("DELETE /sessions/%s: %d %s %v", old.ID, status, body, err)
			}
		}()
		go func() {
			defer wg.Done()
			<-start
			var err error
			freshStatus, freshBody, err = cb.do("POST", "/api/v1/sessions", map[string]any{"user": u})
			if err != nil {
				t.Errorf("POST /sessions: %v", err)
			}
		}()
		close(start)
		wg.Wait()
		if freshStatus != http.StatusCreated {
			// A refusal (e.g. a concurrent-take conflict) is an honest answer.
			t.Logf("round %d: new session answered %d %s", round, freshStatus, freshBody)
			continue
		}
		if err := json.Unmarshal(freshBody, &fresh); err != nil || len(fresh.Leases) != 1 {
			t.Fatalf("round %d: new session: %s", round, freshBody)
		}
		lease := fresh.Leases[0].ID
		var ended int64
		var reason string
		if err := raw.QueryRow(raw.q(`SELECT ended_at, end_reason FROM leases WHERE id = ?`), lease).Scan(&ended, &reason); err != nil {
			t.Fatal(err)
		}
		if ended != 0 {
			lost++
			if lost <= 3 {
				var d struct {
					Allow  bool   `json:"allow"`
					Reason string `json:"reason"`
				}
				cb.must(t, "POST", "/api/v1/decide", map[string]any{"user": u, "capability": "ticket.transition", "session": fresh.ID}, &d, http.StatusOK)
				allowNow, reasonNow := d.Allow, d.Reason
				time.Sleep(time.Second)
				cb.must(t, "POST", "/api/v1/decide", map[string]any{"user": u, "capability": "ticket.transition", "session": fresh.ID}, &d, http.StatusOK)
				t.Errorf("round %d: session %s was started (201) with lease %s (reused from session %s: %t), but that lease is ended (%s); ticket.transition in the new session on B: allow=%t reason=%q, and 1s later allow=%t reason=%q",
					round, fresh.ID, lease, old.ID, lease == old.Leases[0].ID, reason, allowNow, reasonNow, d.Allow, d.Reason)
			}
		}
		cb.must(t, "DELETE", "/api/v1/sessions/"+fresh.ID, nil, nil, http.StatusNoContent)
		if n := raw.count(t, `SELECT count(*) FROM leases WHERE pool_id = ? AND ended_at = 0`, pool); n != 0 {
			// Clean up whatever the race left (see TestConcurrentLogoutReleasesSeat).
			rows, _ := raw.Query(raw.q(`SELECT id FROM leases WHERE pool_id = ? AND ended_at = 0`), pool)
			var ids []string
			for rows.Next() {
				var id string
				rows.Scan(&id)
				ids = append(ids, id)
			}
			rows.Close()
			for _, id := range ids {
				ca.must(t, "DELETE", "/api/v1/leases/"+id, nil, nil, http.StatusNoContent)
			}
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d sessions started during a logout were given a lease that the logout ended", lost, rounds)
	}
	a.termOK(t)
	b.termOK(t)
}
