package e2e

import (
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServeEnvAndSIGTERM checks the serve essentials of DESIGN §5:
// SEATKEEPER_ADDR and SEATKEEPER_DB instead of flags, the sqlite:PATH form,
// and a clean exit on SIGTERM.
func TestServeEnvAndSIGTERM(t *testing.T) {
	t.Run("env", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "env.db")
		p := startServe(t, "serve", nil, "SEATKEEPER_ADDR=127.0.0.1:0", "SEATKEEPER_DB=sqlite:"+path)
		host, port, err := net.SplitHostPort(p.Addr)
		if err != nil || host != "127.0.0.1" || port == "0" || port == "8080" {
			t.Errorf("serving on %q, want 127.0.0.1 on the port picked for SEATKEEPER_ADDR=127.0.0.1:0", p.Addr)
		}
		if _, err := os.Stat(path); err != nil {
			t.Errorf("SEATKEEPER_DB=sqlite:%s did not create %s: %v", path, path, err)
		}
		checkNoLiteralSQLiteFile(t, p.cmd.Dir, dir)
		if p.Token == "" {
			t.Fatalf("no first-start admin token on a fresh database")
		}
		c := newClient(p.Base, p.Token)
		c.must(t, "GET", "/healthz", nil, nil, http.StatusOK)
		c.must(t, "GET", "/readyz", nil, nil, http.StatusOK)
		c.must(t, "POST", "/api/v1/skus", map[string]any{"key": "agent", "name": "Agent", "tier": "fulfiller", "requires": []string{}, "monthly_price": 95}, nil, http.StatusCreated)
		sigtermWithin(t, p, 5*time.Second)

		// The other commands read SEATKEEPER_DB too, and see what serve wrote.
		res := runCLI(t, []string{"SEATKEEPER_DB=" + path}, "audit", "verify")
		if res.Code != 0 || !intactRe.MatchString(res.Stdout) {
			t.Errorf("audit verify with SEATKEEPER_DB: %s", res)
		}
	})

	t.Run("flag sqlite:PATH", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "flag.db")
		// The environment names another database: the flag wins.
		other := filepath.Join(dir, "other.db")
		p := startServe(t, "serve", []string{"--addr", "127.0.0.1:0", "--db", "sqlite:" + path}, "SEATKEEPER_DB="+other)
		if _, err := os.Stat(path); err != nil {
			t.Errorf("--db sqlite:%s did not create %s: %v", path, path, err)
		}
		if _, err := os.Stat(other); err == nil {
			t.Errorf("--db given, yet SEATKEEPER_DB's %s was created", other)
		}
		checkNoLiteralSQLiteFile(t, p.cmd.Dir, dir)
		c := newClient(p.Base, p.Token)
		c.must(t, "POST", "/api/v1/skus", map[string]any{"key": "agent", "name": "Agent", "tier": "fulfiller", "requires": []string{}, "monthly_price": 95}, nil, http.StatusCreated)
		sigtermWithin(t, p, 5*time.Second)
		// The plain path names the same database.
		if n := verifyAudit(t, path); n == 0 {
			t.Errorf("audit verify --db %s counted 0 entries", path)
		}
	})

	t.Run("SIGTERM with open connections", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "busy.db")
		p := startServe(t, "serve", []string{"--addr", "127.0.0.1:0", "--db", path})
		c := newClient(p.Base, p.Token)
		users := setupPool(t, c, "pool", 2, "30m", "term", 2)
		c.must(t, "POST", "/api/v1/sessions", map[string]any{"user": users[0]}, nil, http.StatusCreated)
		// An idle keep-alive connection is open now; shutdown must not wait
		// for it.
		sigtermWithin(t, p, 5*time.Second)
		if n := verifyAudit(t, path); n == 0 {
			t.Errorf("audit verify counted 0 entries")
		}
	})
}

// sigtermWithin sends SIGTERM and requires exit status 0 within d.
func sigtermWithin(t *testing.T, p *proc, d time.Duration) {
	t.Helper()
	start := time.Now()
	code := p.term(t, d)
	if code != 0 {
		t.Errorf("exit status %d after SIGTERM, want 0; stderr:\n%s", code, p.log.tail(20))
	}
	t.Logf("exited %d %v after SIGTERM", code, time.Since(start).Round(time.Millisecond))
	if !strings.Contains(p.log.String(), "shutting down") {
		t.Errorf("no shutdown logged after SIGTERM")
	}
}

// checkNoLiteralSQLiteFile fails if a file named like "sqlite:…" was created,
// i.e. the prefix was taken as part of a path.
func checkNoLiteralSQLiteFile(t *testing.T, dirs ...string) {
	t.Helper()
	for _, d := range dirs {
		entries, _ := os.ReadDir(d)
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), "sqlite:") {
				t.Errorf("file %q created in %s: the sqlite: prefix was kept as part of the path", e.Name(), d)
			}
		}
	}
}
