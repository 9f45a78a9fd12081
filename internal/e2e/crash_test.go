package e2e

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestCrashDuringCheckoutStorm kills the server with SIGKILL in the middle of
// a checkout storm and checks, after a restart, that nothing acknowledged was
// lost and the seat bookkeeping is consistent (DESIGN §3.2 "crash-safe").
func TestCrashDuringCheckoutStorm(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		crashStorm(t, filepath.Join(t.TempDir(), "crash.db"))
	})
	t.Run("postgres", func(t *testing.T) {
		crashStorm(t, newPGDatabase(t))
	})
}

// stormLedger is what the clients were told: every lease acknowledged by a
// 201, and every session (with its lease) acknowledged as ended by a 204.
type stormLedger struct {
	mu            sync.Mutex
	leases        map[string]string // lease id → user
	sessions      map[string]string // session id → lease id
	endedSessions map[string]bool
	endedLeases   map[string]bool
	// inFlight are leases whose DELETE was cut off by the kill: they may or
	// may not have ended.
	inFlight map[string]bool
	problems []string
}

func (l *stormLedger) problem(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.problems) < 20 {
		l.problems = append(l.problems, fmt.Sprintf(format, args...))
	}
}

func crashStorm(t *testing.T, db string) {
	const (
		pool    = "storm"
		seats   = 20
		nUsers  = 200
		workers = 16
		runFor  = 1500 * time.Millisecond
	)
	p1 := startServe(t, "serve#1", []string{"--addr", "127.0.0.1:0", "--db", db})
	token := p1.Token
	if token == "" {
		t.Fatalf("no first-start admin token on a fresh database; stderr:\n%s", p1.log.tail(10))
	}
	c1 := newClient(p1.Base, token)
	users := setupPool(t, c1, pool, seats, "30m", "storm", nUsers)

	// Each worker owns its own users and starts a session only for one
	// without an open session, so no two sessions share a lease and a 204
	// on DELETE means that lease has ended.
	ledger := &stormLedger{leases: map[string]string{}, sessions: map[string]string{}, endedSessions: map[string]bool{}, endedLeases: map[string]bool{}, inFlight: map[string]bool{}}
	var started, refused, endedN atomic.Int64
	var stop atomic.Bool
	var wg sync.WaitGroup
	for w := range workers {
		var mine []string
		for i := w; i < len(users); i += workers {
			mine = append(mine, users[i])
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w)+1, uint64(time.Now().UnixNano())))
			open := map[string]sessionOut{} // user → acknowledged open session
			unknown := map[string]bool{}    // users whose last call had no clear answer
			for !stop.Load() {
				u := mine[rng.IntN(len(mine))]
				if unknown[u] {
					continue
				}
				if s, ok := open[u]; ok {
					if rng.IntN(10) >= 4 {
						continue // most sessions are never ended
					}
					status, body, err := c1.do("DELETE", "/api/v1/sessions/"+s.ID, nil)
					if err != nil {
						ledger.mu.Lock()
						ledger.inFlight[s.Leases[0].ID] = true
						ledger.mu.Unlock()
						return // the server is gone
					}
					if status != http.StatusNoContent {
						unknown[u] = true
						ledger.problem("DELETE /sessions/%s: %d %s", s.ID, status, body)
						continue
					}
					delete(open, u)
					endedN.Add(1)
					ledger.mu.Lock()
					ledger.endedSessions[s.ID] = true
					ledger.endedLeases[s.Leases[0].ID] = true
					ledger.mu.Unlock()
					continue
				}
				status, body, err := c1.do("POST", "/api/v1/sessions", map[string]any{"user": u})
				if err != nil {
					return // the server is gone
				}
				switch status {
				case http.StatusCreated:
					var s sessionOut
					if err := json.Unmarshal(body, &s); err != nil || len(s.Leases) != 1 {
						unknown[u] = true
						ledger.problem("POST /sessions for %s: 201 with %s (want one lease)", u, body)
						continue
					}
					started.Add(1)
					open[u] = s
					ledger.mu.Lock()
					ledger.leases[s.Leases[0].ID] = u
					ledger.sessions[s.ID] = s.Leases[0].ID
					ledger.mu.Unlock()
				case http.StatusConflict:
					if code := errorCode(body); code != "licence_maxed_out" {
						unknown[u] = true
						ledger.problem("POST /sessions for %s: 409 %s", u, body)
						continue
					}
					refused.Add(1)
				default:
					unknown[u] = true
					ledger.problem("POST /sessions for %s: %d %s", u, status, body)
				}
			}
		}()
	}
	time.Sleep(runFor)
	p1.kill() // kill -9, mid-storm
	stop.Store(true)
	wg.Wait()
	t.Logf("before the kill: %d leases acknowledged, %d ended, %d refused (licence_maxed_out)", started.Load(), endedN.Load(), refused.Load())
	for _, p := range ledger.problems {
		t.Error(p)
	}
	if started.Load() == 0 || endedN.Load() == 0 {
		t.Fatalf("the storm acknowledged %d leases and %d ends before the kill; want some of each", started.Load(), endedN.Load())
	}

	p2 := startServe(t, "serve#2", []string{"--addr", "127.0.0.1:0", "--db", db})
	if p2.Token != "" {
		t.Errorf("restart printed a new first-start token")
	}
	raw := openRaw(t, db)

	// Every acknowledged lease exists; the ended ones are ended, the others
	// are still held (their idle timeout is 30 minutes).
	leaseIDs := make([]string, 0, len(ledger.leases))
	for id := range ledger.leases {
		leaseIDs = append(leaseIDs, id)
	}
	sort.Strings(leaseIDs)
	missing, wronglyEnded, notEnded := 0, 0, 0
	for _, id := range leaseIDs {
		var ended int64
		var reason string
		err := raw.QueryRow(raw.q(`SELECT ended_at, end_reason FROM leases WHERE id = ?`), id).Scan(&ended, &reason)
		if err != nil {
			missing++
			if missing <= 5 {
				t.Errorf("acknowledged lease %s (user %s) is not in leases: %v", id, ledger.leases[id], err)
			}
			continue
		}
		switch {
		case ledger.endedLeases[id] && ended == 0:
			notEnded++
			if notEnded <= 5 {
				t.Errorf("lease %s was acknowledged as ended (204) but has ended_at = 0", id)
			}
		case !ledger.endedLeases[id] && !ledger.inFlight[id] && ended != 0:
			wronglyEnded++
			if wronglyEnded <= 5 {
				t.Errorf("lease %s was never ended by a client but has ended_at %d (%s) after the restart", id, ended, reason)
			}
		}
	}
	if missing+notEnded+wronglyEnded > 0 {
		t.Errorf("%d acknowledged leases missing, %d acknowledged ends lost, %d leases ended by no one", missing, notEnded, wronglyEnded)
	}
	for sid := range ledger.endedSessions {
		if n := raw.count(t, `SELECT count(*) FROM sessions WHERE id = ? AND ended_at <> 0`, sid); n != 1 {
			t.Errorf("session %s was acknowledged as ended but is not ended in sessions", sid)
		}
	}
	for sid := range ledger.sessions {
		if n := raw.count(t, `SELECT count(*) FROM sessions WHERE id = ?`, sid); n != 1 {
			t.Errorf("acknowledged session %s is not in sessions", sid)
		}
	}

	if n := raw.count(t, `SELECT count(*) FROM (SELECT pool_id, user_id FROM leases WHERE ended_at = 0 GROUP BY pool_id, user_id HAVING count(*) > 1) d`); n != 0 {
		t.Errorf("%d (pool, user) pairs have two active leases", n)
	}
	active := checkSlots(t, raw, pool, seats)
	t.Logf("after the restart: %d active leases in a %d-seat pool", active, seats)
	peak, at := maxHeld(loadSpans(t, raw, pool))
	if peak > seats {
		t.Errorf("by the leases' stored times, %d leases were held at once in a %d-seat pool:%s", peak, seats, describePeak(at))
	}

	// The restarted server serves the same state.
	c2 := newClient(p2.Base, token)
	var list struct {
		Leases []leaseOut `json:"leases"`
	}
	c2.must(t, "GET", "/api/v1/leases?pool="+pool, nil, &list, http.StatusOK)
	if len(list.Leases) != active {
		t.Errorf("GET /api/v1/leases after restart lists %d leases, the database has %d active", len(list.Leases), active)
	}

	p2.termOK(t)
	n := verifyAudit(t, db)
	if n == 0 {
		t.Errorf("audit verify counted 0 entries")
	}
	// No committed lease start or end lost its audit entry.
	details := map[string]map[string]bool{} // action → details
	rows, err := raw.Query(`SELECT action, detail FROM audit_log WHERE action IN ('lease.start', 'lease.end')`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var action, detail string
		if err := rows.Scan(&action, &detail); err != nil {
			t.Fatal(err)
		}
		if details[action] == nil {
			details[action] = map[string]bool{}
		}
		for _, f := range strings.Fields(detail) {
			if id, ok := strings.CutPrefix(f, "lease="); ok {
				details[action][id] = true
			}
		}
	}
	rows.Close()
	lostStart, lostEnd := 0, 0
	for _, id := range leaseIDs {
		if !details["lease.start"][id] {
			lostStart++
		}
		if ledger.endedLeases[id] && !details["lease.end"][id] {
			lostEnd++
		}
	}
	if lostStart+lostEnd > 0 {
		t.Errorf("audit log lacks %d lease.start and %d lease.end entries for acknowledged leases", lostStart, lostEnd)
	}
	if pending := raw.count(t, `SELECT count(*) FROM audit_pending`); pending != 0 {
		t.Errorf("%d audit entries still pending after a clean shutdown and verify", pending)
	}
}
