package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/desk"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/seats"
	"github.com/seatkeeper/seatkeeper/internal/store"
	"github.com/seatkeeper/seatkeeper/internal/store/sqlite"
)

// testClock is the store's and engine's clock; tests move it forward to
// expire tokens without sleeping.
type testClock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	c.off += d
	c.mu.Unlock()
}

// testEnv is a real server over loopback: SQLite in a temporary directory,
// the engine, the seats service and the API handler.
type testEnv struct {
	t     *testing.T
	st    *store.Store
	svc   *seats.Service
	api   *Server
	srv   *httptest.Server
	clock *testClock
	admin string // admin bearer token
}

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	ctx := context.Background()
	clk := &testClock{}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "seatkeeper.db"), store.Options{Now: clk.now, Logger: log})
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	if err := st.SeedPolicy(ctx); err != nil {
		t.Fatalf("SeedPolicy: %v", err)
	}
	svc := seats.New(st, licensing.NewEngine(clk.now), log, seats.Config{})
	if err := svc.Load(ctx); err != nil {
		t.Fatalf("Load: %v", err)
	}
	s := New(svc, desk.New(st, svc, svc.Engine, log), log)
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close) // runs before st.Close
	e := &testEnv{t: t, st: st, svc: svc, api: s, srv: srv, clock: clk}
	e.admin = e.token("admin", store.ScopeAdmin, 0)
	return e
}

// token creates a bearer token through the store, as `seatkeeper token create` does.
func (e *testEnv) token(name, scope string, ttl time.Duration) string {
	e.t.Helper()
	_, secret, err := e.st.CreateToken(context.Background(), licensing.System("test"), name, scope, ttl)
	if err != nil {
		e.t.Fatalf("CreateToken(%q, %q): %v", name, scope, err)
	}
	return secret
}

// reply is one HTTP answer, read whole.
type reply struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r reply) String() string {
	b := string(r.Body)
	if len(b) > 600 {
		b = b[:600] + "…"
	}
	return b
}

// request sends method path with token (none when "") and body: nil for
// none, a string or []byte sent as is, io.Reader streamed (chunked),
// anything else as JSON. hdr holds extra header name/value pairs.
func (e *testEnv) request(method, path, token string, body any, hdr ...string) reply {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	case io.Reader:
		rd = b
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatalf("marshal body: %v", err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatalf("NewRequest %s %s: %v", method, path, err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return reply{Status: resp.StatusCode, Header: resp.Header, Body: data}
}

// call sends a request with the admin token.
func (e *testEnv) call(method, path string, body any, hdr ...string) reply {
	e.t.Helper()
	return e.request(method, path, e.admin, body, hdr...)
}

// must sends an admin request and fails the test unless the status is want.
func (e *testEnv) must(want int, method, path string, body any, hdr ...string) reply {
	e.t.Helper()
	r := e.call(method, path, body, hdr...)
	if r.Status != want {
		e.t.Fatalf("%s %s: status %d, want %d; body %s", method, path, r.Status, want, r)
	}
	return r
}

// obj decodes a JSON object answer.
func (r reply) obj(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("answer is not a JSON object: %v; body %s", err, r)
	}
	return m
}

// into decodes the answer into v.
func (r reply) into(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode answer into %T: %v; body %s", v, err, r)
	}
}

// apiError is the one error shape of DESIGN §5.
type apiError struct {
	Error struct {
		Code          string `json:"code"`
		Message       string `json:"message"`
		Field         string `json:"field"`
		RetryAfter    int    `json:"retry_after"`
		QueuePosition int    `json:"queue_position"`
	} `json:"error"`
}

// wantError checks status, code and (when field != "-") the field of an
// error answer, and that the answer is the JSON error shape with a message.
func wantError(t *testing.T, r reply, status int, code, field string) apiError {
	t.Helper()
	var e apiError
	if r.Status != status {
		t.Errorf("status %d, want %d; body %s", r.Status, status, r)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	if err := json.Unmarshal(r.Body, &e); err != nil {
		t.Errorf("error answer is not JSON: %v; body %s", err, r)
		return e
	}
	if e.Error.Code != code {
		t.Errorf("error code %q, want %q; body %s", e.Error.Code, code, r)
	}
	if e.Error.Message == "" {
		t.Errorf("error message is empty; body %s", r)
	}
	if field != "-" && e.Error.Field != field {
		t.Errorf("error field %q, want %q; body %s", e.Error.Field, field, r)
	}
	return e
}

// The §5 bodies, exactly as DESIGN.md writes them (seat counts aside).
const (
	skuAgentJSON  = `{"key":"agent","name":"Agent","tier":"fulfiller","requires":[],"monthly_price":95}`
	skuChangeJSON = `{"key":"change","name":"Change management","tier":"module","requires":["agent"],"monthly_price":30}`
	poolNamedJSON = `{"id":"agents-named","sku":"agent","model":"named","seats":1,"monthly_price":95}`
	poolFloatJSON = `{"id":"agents-floating","sku":"agent","model":"concurrent","seats":1,"idle_timeout":"30m","monthly_price":140}`
	userAnnJSON   = `{"user_name":"ann@example.com","display_name":"Ann Lee","email":"ann@example.com","employee_id":"E100","job_code":"ITSD-2","department":"IT","groups":["desk-eu"],"kind":"person"}`
)

// person returns a §5-shaped user body for name@example.com.
func person(name, employeeID string) string {
	return `{"user_name":"` + name + `@example.com","display_name":"` + name + `","email":"` + name + `@example.com","employee_id":"` + employeeID + `","job_code":"ITSD-2","department":"IT","groups":["desk-eu"],"kind":"person"}`
}

// seedDesk creates the agent and change SKUs, a one-seat named pool and a
// one-seat concurrent pool, and the people ann (E100), bob, cid, dee, eve.
func (e *testEnv) seedDesk() {
	e.t.Helper()
	e.must(201, "POST", "/api/v1/skus", skuAgentJSON)
	e.must(201, "POST", "/api/v1/skus", skuChangeJSON)
	e.must(201, "POST", "/api/v1/pools", poolNamedJSON)
	e.must(201, "POST", "/api/v1/pools", poolFloatJSON)
	e.must(201, "POST", "/api/v1/users", userAnnJSON)
	for i, n := range []string{"bob", "cid", "dee", "eve"} {
		e.must(201, "POST", "/api/v1/users", person(n, "E10"+string(rune('1'+i))))
	}
}

// auditCount returns how many entries the audit chain holds (verified).
func (e *testEnv) auditCount() int {
	e.t.Helper()
	var v struct {
		OK    bool `json:"ok"`
		Count int  `json:"count"`
	}
	e.must(200, "GET", "/api/v1/audit/verify", nil).into(e.t, &v)
	if !v.OK {
		e.t.Fatalf("audit chain does not verify")
	}
	return v.Count
}

// lastAudit returns the newest n audit entries, oldest first.
func (e *testEnv) lastAudit(n int) []map[string]any {
	e.t.Helper()
	total := e.auditCount()
	var out struct {
		Entries []map[string]any `json:"entries"`
	}
	e.must(200, "GET", "/api/v1/audit?after="+strconv.Itoa(max(0, total-n))+"&limit=1000", nil).into(e.t, &out)
	return out.Entries
}
