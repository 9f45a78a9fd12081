package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestTwoProcessesOnePostgres runs two servers on one PostgreSQL database
// and storms both at once: the pool never has more holders than seats
// (DESIGN §3.1 "also with several server processes on one database", §3.2),
// and each process follows the other's changes.
func TestTwoProcessesOnePostgres(t *testing.T) {
	const (
		pool    = "agents-floating"
		seats   = 5
		nUsers  = 60
		workers = 32
		storm   = 4 * time.Second
	)
	dsn := newPGDatabase(t)
	if res := runCLI(t, nil, "migrate", "--db", dsn); res.Code != 0 {
		t.Fatalf("migrate: %s", res)
	}
	token := createToken(t, dsn, "e2e-admin", "admin")

	a := startServe(t, "A", []string{"--addr", "127.0.0.1:0", "--db", dsn})
	b := startServe(t, "B", []string{"--addr", "127.0.0.1:0", "--db", dsn})
	if a.Token != "" || b.Token != "" {
		t.Errorf("serve printed a first-start token although one exists (A %q, B %q)", a.Token, b.Token)
	}
	ca, cb := newClient(a.Base, token), newClient(b.Base, token)

	users := setupPool(t, ca, pool, seats, "30m", "agent", nUsers)

	// B learns of the pool and every registration from A through
	// LISTEN/NOTIFY; until then it would start sessions without a lease.
	waitFollowsRegistrations(t, cb, users, 10*time.Second)

	// The storm.
	var created, maxedOut, conflicts, ended atomic.Int64
	var mu sync.Mutex
	var problems []string
	problem := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		if len(problems) < 20 {
			problems = append(problems, fmt.Sprintf(format, args...))
		}
	}
	// While the storm runs, sample the database: in every snapshot the
	// active leases and the occupied slots are at most the seats.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	samplerDone := make(chan struct{})
	var maxActive, maxOccupied, samples int
	deadline := time.Now().Add(storm)
	go func() {
		defer close(samplerDone)
		for time.Now().Before(deadline) {
			var active, occupied int
			err := conn.QueryRow(ctx, `SELECT (SELECT count(*) FROM leases WHERE pool_id = $1 AND ended_at = 0), (SELECT count(lease_id) FROM pool_slots WHERE pool_id = $1)`, pool).Scan(&active, &occupied)
			if err != nil {
				problem("sampler: %v", err)
				return
			}
			samples++
			maxActive, maxOccupied = max(maxActive, active), max(maxOccupied, occupied)
			time.Sleep(time.Millisecond)
		}
	}()
	var wg sync.WaitGroup
	for w := range workers {
		c, name := ca, "A"
		if w%2 == 1 {
			c, name = cb, "B"
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
			for time.Now().Before(deadline) {
				u := users[rng.IntN(len(users))]
				status, body, err := c.do("POST", "/api/v1/sessions", map[string]any{"user": u})
				if err != nil {
					problem("%s: POST /sessions: %v", name, err)
					return
				}
				switch status {
				case http.StatusCreated:
					created.Add(1)
					var s sessionOut
					if err := json.Unmarshal(body, &s); err != nil {
						problem("%s: session body %s: %v", name, body, err)
						return
					}
					if len(s.Leases) != 1 || s.Leases[0].Pool != pool {
						problem("%s: session for %s started with leases %+v, want exactly one lease in %s", name, u, s.Leases, pool)
					}
					time.Sleep(time.Duration(rng.IntN(3001)) * time.Microsecond)
					status, body, err := c.do("DELETE", "/api/v1/sessions/"+s.ID, nil)
					if err != nil {
						problem("%s: DELETE /sessions/%s: %v", name, s.ID, err)
						return
					}
					if status != http.StatusNoContent {
						problem("%s: DELETE /sessions/%s: %d %s", name, s.ID, status, body)
					} else {
						ended.Add(1)
					}
				case http.StatusConflict:
					switch code := errorCode(body); code {
					case "licence_maxed_out":
						maxedOut.Add(1)
					case "conflict":
						// Two workers started sessions for one person at the
						// same moment; the store asks the loser to retry.
						conflicts.Add(1)
					default:
						problem("%s: POST /sessions: 409 with code %q: %s", name, code, body)
					}
				default:
					problem("%s: POST /sessions for %s: %d %s", name, u, status, body)
				}
			}
		}()
	}
	wg.Wait()
	<-samplerDone
	t.Logf("sampled the database %d times during the storm: at most %d active leases, %d occupied slots", samples, maxActive, maxOccupied)
	if maxActive > seats || maxOccupied > seats {
		t.Errorf("during the storm the database held %d active leases and %d occupied slots at once; the pool has %d seats", maxActive, maxOccupied, seats)
	}
	t.Logf("storm: %d sessions started (%d ended), %d licence_maxed_out, %d conflict", created.Load(), ended.Load(), maxedOut.Load(), conflicts.Load())
	for _, p := range problems {
		t.Error(p)
	}
	if created.Load() == 0 || maxedOut.Load() == 0 {
		t.Errorf("want both 201s and 409 licence_maxed_out during the storm, got %d and %d", created.Load(), maxedOut.Load())
	}

	// The seat invariant over the whole history, from the leases' times.
	var poolID string
	if err := conn.QueryRow(ctx, `SELECT id FROM pools WHERE id = $1`, pool).Scan(&poolID); err != nil {
		t.Fatal(err)
	}
	rows, err := conn.Query(ctx, `SELECT id, slot, started_at, ended_at FROM leases WHERE pool_id = $1`, poolID)
	if err != nil {
		t.Fatal(err)
	}
	var spans []leaseSpan
	for rows.Next() {
		var s leaseSpan
		if err := rows.Scan(&s.id, &s.slot, &s.start, &s.end); err != nil {
			t.Fatal(err)
		}
		spans = append(spans, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	peak, at := maxHeld(spans)
	t.Logf("%d leases in history; at most %d held at once (by stored started_at/ended_at)", len(spans), peak)
	if peak > seats {
		t.Errorf("by the leases' stored times, %d leases were held at once in a %d-seat pool:%s", peak, seats, describePeak(at))
	}
	if int64(len(spans)) < created.Load()/int64(workers) {
		t.Errorf("only %d leases recorded for %d sessions started", len(spans), created.Load())
	}
	raw := openRaw(t, dsn)
	if active := checkSlots(t, raw, pool, seats); active != 0 {
		t.Errorf("%d leases still active after every session was ended (each was ended with 204):%s", active, describeLeftovers(t, raw, pool))
	}
	if n := raw.count(t, `SELECT count(*) FROM (SELECT pool_id, user_id FROM leases WHERE ended_at = 0 GROUP BY pool_id, user_id HAVING count(*) > 1) d`); n != 0 {
		t.Errorf("%d people hold two active leases in one pool", n)
	}

	// Each process follows the other: a session started on A is honoured
	// by B, and one started on B by A.
	checkFollows(t, ca, cb, "A", "B", users[0])
	checkFollows(t, cb, ca, "B", "A", users[1])

	a.termOK(t)
	b.termOK(t)
	if n := verifyAudit(t, dsn); n == 0 {
		t.Errorf("audit verify counted 0 entries after the storm")
	}
}

// waitFollowsRegistrations polls c until its engine knows every user as
// registered for a concurrent pool: a decision without a session then says
// session_required rather than no_licence or unknown_user.
func waitFollowsRegistrations(t *testing.T, c *client, users []string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	pending := append([]string(nil), users...)
	var last string
	for len(pending) > 0 {
		var still []string
		for _, u := range pending {
			var d struct {
				Allow  bool   `json:"allow"`
				Reason string `json:"reason"`
			}
			status, body, err := c.do("POST", "/api/v1/decide", map[string]any{"user": u, "capability": "ticket.transition"})
			if err == nil && status == http.StatusOK && json.Unmarshal(body, &d) == nil && d.Reason == "session_required" {
				continue
			}
			last = fmt.Sprintf("%s: %d %s %v", u, status, strings.TrimSpace(string(body)), err)
			still = append(still, u)
		}
		pending = still
		if len(pending) == 0 {
			return
		}
		if time.Now().After(deadline) {
			sort.Strings(pending)
			t.Fatalf("second process did not learn %d of %d registrations within %v (e.g. %v; last answer %s)", len(pending), len(users), within, pending[:min(5, len(pending))], last)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// checkFollows starts a session on from and polls to until it allows a
// fulfiller action in that session (within 2 s), then ends the session on
// from and polls to until it no longer allows it.
func checkFollows(t *testing.T, from, to *client, fromName, toName, user string) {
	t.Helper()
	var s sessionOut
	from.must(t, "POST", "/api/v1/sessions", map[string]any{"user": user}, &s, http.StatusCreated)
	if len(s.Leases) != 1 {
		t.Fatalf("session on %s for %s has leases %+v, want one", fromName, user, s.Leases)
	}
	req := map[string]any{"user": user, "capability": "ticket.transition", "session": s.ID}
	var d struct {
		Allow  bool   `json:"allow"`
		Reason string `json:"reason"`
		Via    *struct {
			Kind  string `json:"kind"`
			Pool  string `json:"pool"`
			Lease string `json:"lease"`
		} `json:"via"`
	}
	start := time.Now()
	for {
		to.must(t, "POST", "/api/v1/decide", req, &d, http.StatusOK)
		if d.Allow {
			break
		}
		if time.Since(start) > 2*time.Second {
			t.Fatalf("%s did not allow ticket.transition in session %s started on %s within 2s (last reason %q)", toName, s.ID, fromName, d.Reason)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("%s honoured a session started on %s after %v", toName, fromName, time.Since(start).Round(time.Millisecond))
	if d.Via == nil || d.Via.Kind != "concurrent" || d.Via.Lease != s.Leases[0].ID {
		t.Errorf("%s allowed via %+v, want concurrent lease %s", toName, d.Via, s.Leases[0].ID)
	}

	from.must(t, "DELETE", "/api/v1/sessions/"+s.ID, nil, nil, http.StatusNoContent)
	start = time.Now()
	for {
		to.must(t, "POST", "/api/v1/decide", req, &d, http.StatusOK)
		if !d.Allow {
			return
		}
		if time.Since(start) > 2*time.Second {
			t.Fatalf("%s still allows ticket.transition 2s after session %s ended on %s", toName, s.ID, fromName)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// describeLeftovers lists the active leases of a pool with the sessions that
// used them, to show how a lease outlived all of its sessions.
func describeLeftovers(t *testing.T, db *rawDB, pool string) string {
	t.Helper()
	rows, err := db.Query(db.q(`SELECT l.id, l.user_id, l.started_at, s.id, s.started_at, s.ended_at, s.end_reason
		FROM leases l JOIN session_leases sl ON sl.lease_id = l.id JOIN sessions s ON s.id = sl.session_id
		WHERE l.pool_id = ? AND l.ended_at = 0 ORDER BY l.id, s.started_at`), pool)
	if err != nil {
		return err.Error()
	}
	defer rows.Close()
	var b strings.Builder
	last := ""
	for rows.Next() {
		var lid, uid, sid, reason string
		var lstart, sstart, send int64
		if err := rows.Scan(&lid, &uid, &lstart, &sid, &sstart, &send, &reason); err != nil {
			return err.Error()
		}
		if lid != last {
			fmt.Fprintf(&b, "\n  lease %s (user %s, started %d) is active; its sessions:", lid, uid, lstart)
			last = lid
		}
		fmt.Fprintf(&b, "\n    session %s started %d ended %d (%s)", sid, sstart, send, reason)
	}
	return b.String()
}
