package e2e

import (
	"database/sql"
	"encoding/json"
	"net/http"
	"path/filepath"
	"testing"
	"time"
)

// TestExpiredLeasesReclaimedAfterRestart: leases held by a process that was
// killed expire while it is down and are reclaimed once it is back (DESIGN
// §3.2 "expired leases are reclaimed after restart").
func TestExpiredLeasesReclaimedAfterRestart(t *testing.T) {
	const pool = "short-idle"
	db := filepath.Join(t.TempDir(), "sweep.db")
	p1 := startServe(t, "serve#1", []string{"--addr", "127.0.0.1:0", "--db", db})
	token := p1.Token
	if token == "" {
		t.Fatalf("no first-start admin token on a fresh database")
	}
	c1 := newClient(p1.Base, token)
	users := setupPool(t, c1, pool, 5, "1m", "idle", 3)
	var leaseIDs []string
	for _, u := range users {
		var s sessionOut
		c1.must(t, "POST", "/api/v1/sessions", map[string]any{"user": u}, &s, http.StatusCreated)
		if len(s.Leases) != 1 {
			t.Fatalf("session for %s has leases %+v, want one", u, s.Leases)
		}
		leaseIDs = append(leaseIDs, s.Leases[0].ID)
	}
	p1.kill()
	// The leases' idle timeout (a minute, the shortest allowed) passes while
	// the process is down: their expiry is moved into the past in the file.
	expireLeases(t, db)

	p2 := startServe(t, "serve#2", []string{"--addr", "127.0.0.1:0", "--db", db, "--sweep-every", "200ms"})
	c2 := newClient(p2.Base, token)
	start := time.Now()
	for {
		var list struct {
			Leases []leaseOut `json:"leases"`
		}
		c2.must(t, "GET", "/api/v1/leases?pool="+pool, nil, &list, http.StatusOK)
		if len(list.Leases) == 0 {
			t.Logf("expired leases reclaimed %v after the restart", time.Since(start).Round(time.Millisecond))
			break
		}
		if time.Since(start) > 5*time.Second {
			t.Fatalf("%d leases still active 5s after the restart: %+v", len(list.Leases), list.Leases)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// The API's audit trail says why each lease ended...
	var audit struct {
		Entries []struct {
			Action string `json:"action"`
			Result string `json:"result"`
			Detail string `json:"detail"`
			Actor  string `json:"actor"`
		} `json:"entries"`
	}
	c2.must(t, "GET", "/api/v1/audit?limit=1000", nil, &audit, http.StatusOK)
	endedBy := map[string]string{}
	for _, e := range audit.Entries {
		if e.Action == "lease.end" {
			endedBy[e.Detail] = e.Result
		}
	}
	for _, id := range leaseIDs {
		if r := endedBy["lease="+id]; r != "idle_timeout" {
			b, _ := json.Marshal(endedBy)
			t.Errorf("audit: lease %s ended with result %q, want idle_timeout (lease.end entries: %s)", id, r, b)
		}
	}
	p2.termOK(t)

	// ...and so does the database.
	raw := openRaw(t, db)
	for _, id := range leaseIDs {
		var ended int64
		var reason string
		if err := raw.QueryRow(`SELECT ended_at, end_reason FROM leases WHERE id = ?`, id).Scan(&ended, &reason); err != nil {
			t.Fatalf("lease %s: %v", id, err)
		}
		if ended == 0 || reason != "idle_timeout" {
			t.Errorf("lease %s: ended_at %d, end_reason %q; want ended with idle_timeout", id, ended, reason)
		}
	}
	checkSlots(t, raw, pool, 5)
	verifyAudit(t, db)
}

// expireLeases moves every live lease's expiry into the past, as time
// passing while no process runs would.
func expireLeases(t *testing.T, db string) {
	t.Helper()
	raw, err := sql.Open("sqlite", "file:"+db)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	past := time.Now().Add(-time.Minute).UnixMicro()
	if _, err := raw.Exec(`UPDATE leases SET expires_at = ?, last_activity = ? WHERE ended_at = 0`, past, past-60_000_000); err != nil {
		t.Fatalf("expire leases: %v", err)
	}
}
