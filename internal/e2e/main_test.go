// Package e2e runs the real seatkeeper binary against real databases: two
// processes on one PostgreSQL, crashes mid-storm, restarts, the audit CLI and
// the serve command's environment (DESIGN §3.2, §3.3, §5).
//
// TestMain builds ./cmd/seatkeeper once and starts one throwaway PostgreSQL
// server (internal/pgtest); each test creates its own database or SQLite
// file. Set SEATKEEPER_E2E_RACE=1 to build the binary with -race, or
// SEATKEEPER_E2E_BIN=PATH to test an already built binary instead.
package e2e

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // registers the "sqlite" database/sql driver

	"github.com/seatkeeper/seatkeeper/internal/pgtest"
)

var (
	// pgSrv is the PostgreSQL server shared by the whole test binary.
	pgSrv *pgtest.Server
	// skBin is the seatkeeper binary built once by TestMain.
	skBin string
)

func TestMain(m *testing.M) {
	if bin := os.Getenv("SEATKEEPER_E2E_BIN"); bin != "" {
		skBin = bin
		pgtest.RunMain(m, func(s *pgtest.Server) { pgSrv = s })
		return
	}
	bin, err := buildBinary()
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: build seatkeeper: %v\n", err)
		os.Exit(1)
	}
	skBin = bin
	pgtest.RunMain(m, func(s *pgtest.Server) { pgSrv = s })
}

// binDirPrefix names the directories the binary is built into. RunMain exits
// the process itself, so the directory cannot be removed after the run;
// instead each run removes those left by runs finished long ago.
const binDirPrefix = "seatkeeper-e2e-bin-"

func buildBinary() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("go env GOMOD: not inside the module (got %q)", gomod)
	}
	root := filepath.Dir(gomod)

	removeStaleBinDirs()
	dir, err := os.MkdirTemp("", binDirPrefix)
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "seatkeeper")
	args := []string{"build", "-o", bin}
	if os.Getenv("SEATKEEPER_E2E_RACE") != "" {
		args = append(args, "-race")
	}
	args = append(args, "./cmd/seatkeeper")
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, b)
	}
	return bin, nil
}

func removeStaleBinDirs() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), binDirPrefix+"*"))
	for _, d := range dirs {
		if fi, err := os.Stat(d); err == nil && fi.IsDir() && time.Since(fi.ModTime()) > 6*time.Hour {
			os.RemoveAll(d)
		}
	}
}

// ---------------------------------------------------------------------------
// Processes

// logBuf collects a process's stderr, spotting the "seatkeeper serving" line
// (which carries the bound address) and the first-start admin token.
type logBuf struct {
	mu       sync.Mutex
	all      bytes.Buffer
	partial  []byte
	prev     string
	addr     string
	token    string
	readyCh  chan struct{}
	readySet bool
}

func newLogBuf() *logBuf { return &logBuf{readyCh: make(chan struct{})} }

func (b *logBuf) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.all.Write(p)
	b.partial = append(b.partial, p...)
	for {
		i := bytes.IndexByte(b.partial, '\n')
		if i < 0 {
			break
		}
		line := string(b.partial[:i])
		b.partial = b.partial[i+1:]
		b.line(line)
	}
	return len(p), nil
}

func (b *logBuf) line(line string) {
	if strings.HasPrefix(b.prev, "first start: admin token") && b.token == "" {
		b.token = strings.TrimSpace(line)
	}
	b.prev = line
	if !b.readySet && strings.Contains(line, `"seatkeeper serving"`) {
		var v struct {
			Msg  string `json:"msg"`
			Addr string `json:"addr"`
		}
		if json.Unmarshal([]byte(line), &v) == nil && v.Msg == "seatkeeper serving" && v.Addr != "" {
			b.addr = v.Addr
			b.readySet = true
			close(b.readyCh)
		}
	}
}

func (b *logBuf) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.all.String()
}

// tail returns the last n lines of the log.
func (b *logBuf) tail(n int) string {
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// proc is a running `seatkeeper serve`.
type proc struct {
	name  string
	cmd   *exec.Cmd
	log   *logBuf
	out   *logBuf
	Addr  string
	Base  string // http://Addr
	Token string // the first-start admin token, if this start printed one

	done    chan struct{}
	waitErr error
}

// cleanEnv is the test's environment without SEATKEEPER_* variables, so a
// developer's settings never leak into the processes under test.
func cleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SEATKEEPER_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// startServe runs `seatkeeper serve ARGS` with the extra environment and
// waits until it logs that it serves. The process is killed at cleanup if it
// is still running.
func startServe(t testing.TB, name string, args []string, env ...string) *proc {
	t.Helper()
	p := &proc{name: name, log: newLogBuf(), out: newLogBuf(), done: make(chan struct{})}
	p.cmd = exec.Command(skBin, append([]string{"serve"}, args...)...)
	p.cmd.Env = cleanEnv(env...)
	p.cmd.Dir = t.TempDir() // a default ./seatkeeper.db never lands in the repo
	p.cmd.Stderr = p.log
	p.cmd.Stdout = p.out
	p.cmd.WaitDelay = 5 * time.Second
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("%s: start: %v", name, err)
	}
	go func() {
		p.waitErr = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("%s: last stderr lines:\n%s", name, p.log.tail(30))
		}
	})
	select {
	case <-p.log.readyCh:
	case <-p.done:
		t.Fatalf("%s: exited before serving (%v); stderr:\n%s", name, p.waitErr, p.log.tail(40))
	case <-time.After(30 * time.Second):
		t.Fatalf("%s: not serving after 30s; stderr:\n%s%s", name, p.log.tail(10), p.stackDump())
	}
	p.log.mu.Lock()
	p.Addr, p.Token = p.log.addr, p.log.token
	p.log.mu.Unlock()
	p.Base = "http://" + p.Addr
	return p
}

// stackDump makes a hung process print its goroutines (SIGQUIT) and returns
// the stack of its main goroutine, to show where it is stuck.
func (p *proc) stackDump() string {
	if p.exited() {
		return ""
	}
	_ = p.cmd.Process.Signal(syscall.SIGQUIT)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		return "\n(no goroutine dump after SIGQUIT)"
	}
	out := p.log.String()
	i := strings.Index(out, "\ngoroutine 1 ")
	if i < 0 {
		return "\n(no goroutine 1 in the dump)"
	}
	block := out[i+1:]
	if j := strings.Index(block, "\n\n"); j >= 0 {
		block = block[:j]
	}
	return "\nmain goroutine after SIGQUIT:\n" + block
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// kill sends SIGKILL (kill -9) and waits for the process to be gone.
func (p *proc) kill() {
	if p.exited() {
		return
	}
	_ = p.cmd.Process.Kill()
	<-p.done
}

// term sends SIGTERM and waits up to timeout for the exit. It returns the exit
// status, or fails the test if the process does not exit in time (the process
// is then killed).
func (p *proc) term(t testing.TB, timeout time.Duration) int {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("%s: SIGTERM: %v", p.name, err)
	}
	select {
	case <-p.done:
	case <-time.After(timeout):
		p.kill()
		t.Fatalf("%s: did not exit within %v of SIGTERM; stderr:\n%s", p.name, timeout, p.log.tail(30))
	}
	return p.cmd.ProcessState.ExitCode()
}

// termOK sends SIGTERM and requires exit status 0 within 15 s.
func (p *proc) termOK(t testing.TB) {
	t.Helper()
	if code := p.term(t, 15*time.Second); code != 0 {
		t.Errorf("%s: exit status %d after SIGTERM, want 0 (%v); stderr:\n%s", p.name, code, p.waitErr, p.log.tail(30))
	}
}

// cliResult is the outcome of one CLI command.
type cliResult struct {
	Stdout, Stderr string
	Code           int
}

func (r cliResult) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.Code, r.Stdout, r.Stderr)
}

// runCLI runs a seatkeeper command to completion.
func runCLI(t testing.TB, env []string, args ...string) cliResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, skBin, args...)
	cmd.Env = cleanEnv(env...)
	cmd.Dir = t.TempDir()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := cliResult{Stdout: stdout.String(), Stderr: stderr.String()}
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			res.Code = ee.ExitCode()
		} else {
			t.Fatalf("seatkeeper %s: %v", strings.Join(args, " "), err)
		}
	}
	if ctx.Err() != nil {
		t.Fatalf("seatkeeper %s: timed out; %s", strings.Join(args, " "), res)
	}
	return res
}

// createToken runs `token create` and returns the token from the last line.
func createToken(t testing.TB, db, name, scope string) string {
	t.Helper()
	res := runCLI(t, nil, "token", "create", "--db", db, "--name", name, "--scope", scope)
	if res.Code != 0 {
		t.Fatalf("token create: %s", res)
	}
	lines := strings.Split(strings.TrimRight(res.Stdout, "\n"), "\n")
	tok := strings.TrimSpace(lines[len(lines)-1])
	if tok == "" || strings.ContainsAny(tok, " \t") {
		t.Fatalf("token create: last stdout line %q is not a bare token; %s", tok, res)
	}
	return tok
}

var intactRe = regexp.MustCompile(`intact: (\d+) entries`)

// verifyAudit runs `audit verify` and requires exit 0; it returns the count.
func verifyAudit(t testing.TB, db string) int {
	t.Helper()
	res := runCLI(t, nil, "audit", "verify", "--db", db)
	if res.Code != 0 {
		t.Fatalf("audit verify --db %s: want exit 0; %s", db, res)
	}
	m := intactRe.FindStringSubmatch(res.Stdout)
	if m == nil {
		t.Fatalf("audit verify: no count in output; %s", res)
	}
	var n int
	fmt.Sscan(m[1], &n)
	return n
}

// ---------------------------------------------------------------------------
// HTTP

// sharedTransport keeps enough idle connections for the storms.
var sharedTransport = &http.Transport{
	MaxIdleConns:        256,
	MaxIdleConnsPerHost: 64,
	IdleConnTimeout:     30 * time.Second,
}

type client struct {
	base, token string
	hc          *http.Client
}

func newClient(base, token string) *client {
	return &client{base: base, token: token, hc: &http.Client{Transport: sharedTransport, Timeout: 30 * time.Second}}
}

// do sends one request with an optional JSON body and returns the status and
// the response body.
func (c *client) do(method, path string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, b, err
	}
	return resp.StatusCode, b, nil
}

// must sends a request and fails the test unless the status is one of want;
// it decodes the answer into out when out is not nil.
func (c *client) must(t testing.TB, method, path string, body, out any, want ...int) {
	t.Helper()
	status, b, err := c.do(method, path, body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	ok := false
	for _, w := range want {
		ok = ok || status == w
	}
	if !ok {
		t.Fatalf("%s %s: status %d, want %v; body: %s", method, path, status, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: decode %s: %v", method, path, b, err)
		}
	}
}

type leaseOut struct {
	ID         string `json:"id"`
	Pool       string `json:"pool"`
	User       string `json:"user"`
	Slot       int    `json:"slot"`
	EndReason  string `json:"end_reason"`
	ExpiresAt  string `json:"expires_at"`
	StartedAt  string `json:"started_at"`
	EndedAtRaw any    `json:"ended_at"`
}

type sessionOut struct {
	ID     string     `json:"id"`
	User   string     `json:"user"`
	Leases []leaseOut `json:"leases"`
}

type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Field   string `json:"field"`
	} `json:"error"`
}

func errorCode(b []byte) string {
	var e apiError
	_ = json.Unmarshal(b, &e)
	return e.Error.Code
}

// setupPool creates the agent SKU (if missing), a concurrent pool and n
// registered users named prefix00…, and returns the user names.
func setupPool(t testing.TB, c *client, pool string, seats int, idle string, prefix string, n int) []string {
	t.Helper()
	status, b, err := c.do("POST", "/api/v1/skus", map[string]any{"key": "agent", "name": "Agent", "tier": "fulfiller", "requires": []string{}, "monthly_price": 95})
	if err != nil || (status != http.StatusCreated && status != http.StatusConflict) {
		t.Fatalf("POST /api/v1/skus: %d %s %v", status, b, err)
	}
	c.must(t, "POST", "/api/v1/pools", map[string]any{"id": pool, "sku": "agent", "model": "concurrent", "seats": seats, "idle_timeout": idle, "monthly_price": 140}, nil, http.StatusCreated)
	users := make([]string, n)
	for i := range users {
		u := fmt.Sprintf("%s%03d@example.com", prefix, i)
		users[i] = u
		c.must(t, "POST", "/api/v1/users", map[string]any{
			"user_name": u, "display_name": fmt.Sprintf("User %d", i), "email": u,
			"employee_id": fmt.Sprintf("E%s%03d", prefix, i), "kind": "person",
		}, nil, http.StatusCreated)
		c.must(t, "PUT", "/api/v1/pools/"+pool+"/members/"+u, nil, nil, http.StatusCreated, http.StatusOK)
	}
	return users
}

// ---------------------------------------------------------------------------
// Databases

// newPGDatabase creates a fresh PostgreSQL database for the test.
func newPGDatabase(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	name := strings.ToLower(regexp.MustCompile(`[^A-Za-z0-9]+`).ReplaceAllString(t.Name(), "_"))
	if len(name) > 40 {
		name = name[:40]
	}
	name = fmt.Sprintf("e2e_%s_%d", name, time.Now().UnixNano()%1_000_000_000)
	dsn, err := pgSrv.CreateDatabase(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	return dsn
}

// rawDB opens the database behind a --db value directly: SQLite through
// modernc.org/sqlite, PostgreSQL through pgx's database/sql driver.
type rawDB struct {
	*sql.DB
	pg bool
}

func openRaw(t testing.TB, db string) *rawDB {
	t.Helper()
	var d *sql.DB
	var err error
	pg := strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
	if pg {
		d, err = sql.Open("pgx", db)
	} else {
		path := strings.TrimPrefix(db, "sqlite:")
		d, err = sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if err := d.Ping(); err != nil {
		t.Fatalf("open %s: %v", db, err)
	}
	return &rawDB{DB: d, pg: pg}
}

// q rebinds '?' placeholders for PostgreSQL.
func (r *rawDB) q(query string) string {
	if !r.pg {
		return query
	}
	var b strings.Builder
	n := 0
	for _, c := range query {
		if c == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

func (r *rawDB) count(t testing.TB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := r.QueryRow(r.q(query), args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// ---------------------------------------------------------------------------
// Seat invariants

// leaseSpan is one lease's life in stored unix microseconds (end 0 = active).
type leaseSpan struct {
	id         string
	slot       int
	start, end int64
}

// maxHeld computes the most leases held at once by sweeping start and end
// events in time order, ends before starts at equal times. It returns the
// maximum and the leases held at the first moment it was reached.
func maxHeld(spans []leaseSpan) (int, []leaseSpan) {
	type ev struct {
		at    int64
		delta int
		i     int
	}
	evs := make([]ev, 0, 2*len(spans))
	for i, s := range spans {
		evs = append(evs, ev{s.start, +1, i})
		if s.end != 0 {
			evs = append(evs, ev{s.end, -1, i})
		}
	}
	sortEvents := func(a, b ev) int {
		if a.at != b.at {
			if a.at < b.at {
				return -1
			}
			return 1
		}
		return a.delta - b.delta // -1 (end) before +1 (start)
	}
	slices.SortFunc(evs, sortEvents)
	held := map[int]bool{}
	best := 0
	var at []leaseSpan
	for _, e := range evs {
		if e.delta > 0 {
			held[e.i] = true
		} else {
			delete(held, e.i)
		}
		if len(held) > best {
			best = len(held)
			at = at[:0]
			for i := range held {
				at = append(at, spans[i])
			}
		}
	}
	return best, at
}

// checkSlots checks the pool_slots rows against the active leases of pool:
// no more occupied slots than capacity, the occupied count equals the
// active leases, and each active lease is in exactly one slot. It returns
// the number of active leases.
func checkSlots(t testing.TB, db *rawDB, pool string, capacity int) int {
	t.Helper()
	active := db.count(t, `SELECT count(*) FROM leases WHERE pool_id = ? AND ended_at = 0`, pool)
	occupied := db.count(t, `SELECT count(lease_id) FROM pool_slots WHERE pool_id = ?`, pool)
	slots := db.count(t, `SELECT count(*) FROM pool_slots WHERE pool_id = ?`, pool)
	if slots != capacity {
		t.Errorf("pool %s has %d slot rows, want %d", pool, slots, capacity)
	}
	if occupied > capacity {
		t.Errorf("pool %s: %d slots hold a lease, capacity %d", pool, occupied, capacity)
	}
	if active > capacity {
		t.Errorf("pool %s: %d active leases, capacity %d", pool, active, capacity)
	}
	if occupied != active {
		t.Errorf("pool %s: %d occupied slots but %d active leases", pool, occupied, active)
	}
	rows, err := db.Query(db.q(`SELECT l.id, (SELECT count(*) FROM pool_slots s WHERE s.lease_id = l.id) FROM leases l WHERE l.pool_id = ? AND l.ended_at = 0`), pool)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("active lease %s occupies %d slots, want exactly 1", id, n)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	stray := db.count(t, `SELECT count(*) FROM pool_slots s WHERE s.pool_id = ? AND s.lease_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM leases l WHERE l.id = s.lease_id AND l.ended_at = 0)`, pool)
	if stray != 0 {
		t.Errorf("pool %s: %d slots hold a lease that is not active", pool, stray)
	}
	return active
}

// loadSpans reads every lease of a pool.
func loadSpans(t testing.TB, db *rawDB, pool string) []leaseSpan {
	t.Helper()
	rows, err := db.Query(db.q(`SELECT id, slot, started_at, ended_at FROM leases WHERE pool_id = ?`), pool)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []leaseSpan
	for rows.Next() {
		var s leaseSpan
		if err := rows.Scan(&s.id, &s.slot, &s.start, &s.end); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// describePeak explains a peak above capacity: which leases overlapped and
// on which slots. Overlapping leases on one slot mean the stored times do not
// match the order in which the slot was really freed and taken.
func describePeak(at []leaseSpan) string {
	slices.SortFunc(at, func(a, b leaseSpan) int { return a.slot - b.slot })
	var b strings.Builder
	bySlot := map[int]int{}
	for _, s := range at {
		bySlot[s.slot]++
		end := "active"
		if s.end != 0 {
			end = fmt.Sprint(s.end)
		}
		fmt.Fprintf(&b, "\n  lease %s slot %d started %d ended %s", s.id, s.slot, s.start, end)
	}
	for slot, n := range bySlot {
		if n > 1 {
			fmt.Fprintf(&b, "\n  slot %d appears %d times at the peak: its leases' stored times overlap although the slot row can hold only one lease", slot, n)
		}
	}
	return b.String()
}
