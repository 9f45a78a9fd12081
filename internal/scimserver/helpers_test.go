package scimserver_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/api"
	"github.com/seatkeeper/seatkeeper/internal/desk"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/pgtest"
	"github.com/seatkeeper/seatkeeper/internal/scimserver"
	"github.com/seatkeeper/seatkeeper/internal/seats"
	"github.com/seatkeeper/seatkeeper/internal/store"
	"github.com/seatkeeper/seatkeeper/internal/store/postgres"
	"github.com/seatkeeper/seatkeeper/internal/store/sqlite"
)

// env is the SCIM endpoint served as `seatkeeper serve` serves it: the API
// server (for its tokens) with the SCIM routes mounted, over loopback HTTP
// on a real SQLite store.
type env struct {
	t     *testing.T
	st    *store.Store
	svc   *seats.Service
	srv   *httptest.Server
	token string // scope scim
	admin string // scope admin
}

// pg is this package's throwaway PostgreSQL server: the tests that reach
// the directory queries run on both stores.
var pg *pgtest.Server

func TestMain(m *testing.M) { pgtest.RunMain(m, func(s *pgtest.Server) { pg = s }) }

var pgSeq atomic.Int64

// bothStores runs fn on SQLite and on PostgreSQL.
func bothStores(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, newEnv(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, newEnvOn(t, "postgres")) })
}

func newEnv(t *testing.T, opts ...scimserver.Option) *env { return newEnvOn(t, "sqlite", opts...) }

func newEnvOn(t *testing.T, dialect string, opts ...scimserver.Option) *env {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var st *store.Store
	var err error
	if dialect == "postgres" {
		dsn, derr := pg.CreateDatabase(ctx, fmt.Sprintf("scim_%03d", pgSeq.Add(1)))
		if derr != nil {
			t.Fatalf("CreateDatabase: %v", derr)
		}
		st, err = postgres.Open(ctx, dsn, store.Options{Logger: log})
	} else {
		st, err = sqlite.Open(ctx, filepath.Join(t.TempDir(), "seatkeeper.db"), store.Options{Logger: log})
	}
	if err != nil {
		t.Fatalf("open %s: %v", dialect, err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	if err := st.SeedPolicy(ctx); err != nil {
		t.Fatalf("SeedPolicy: %v", err)
	}
	svc := seats.New(st, licensing.NewEngine(time.Now), log, seats.Config{})
	if err := svc.Load(ctx); err != nil {
		t.Fatalf("Load: %v", err)
	}
	a := api.New(svc, desk.New(st, svc, svc.Engine, log), log)
	a.Mount(scimserver.New(st, a.Authenticate, log, opts...).Register)
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	e := &env{t: t, st: st, svc: svc, srv: srv}
	e.token = e.newToken("okta", store.ScopeSCIM)
	e.admin = e.newToken("admin", store.ScopeAdmin)
	return e
}

func (e *env) newToken(name, scope string) string {
	e.t.Helper()
	_, secret, err := e.st.CreateToken(context.Background(), licensing.System("test"), name, scope, 0)
	if err != nil {
		e.t.Fatalf("CreateToken: %v", err)
	}
	return secret
}

// resp is one answer: status, headers, and the body decoded as JSON (nil
// when empty).
type resp struct {
	Status int
	Header http.Header
	Raw    []byte
	Body   map[string]any
}

func (r resp) String() string { return string(r.Raw) }

// do sends a SCIM request with the scim token. body is sent as is when a
// string, else as JSON; hdr are extra name/value pairs (a "Authorization"
// pair replaces the token, "" removes it).
func (e *env) do(method, path string, body any, hdr ...string) resp {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatalf("marshal: %v", err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.srv.URL+scimserver.Prefix+path, rd)
	if err != nil {
		e.t.Fatalf("NewRequest: %v", err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	req.Header.Set("Authorization", "Bearer "+e.token)
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
			continue
		}
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatalf("read: %v", err)
	}
	out := resp{Status: res.StatusCode, Header: res.Header, Raw: raw}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out.Body); err != nil {
			e.t.Fatalf("%s %s: answer is not a JSON object: %v: %s", method, path, err, raw)
		}
		if ct := res.Header.Get("Content-Type"); ct != scimserver.ContentType {
			e.t.Errorf("%s %s: Content-Type %q, want %s", method, path, ct, scimserver.ContentType)
		}
	}
	return out
}

// must fails the test unless the answer has status want.
func (r resp) must(t *testing.T, want int) resp {
	t.Helper()
	if r.Status != want {
		t.Fatalf("status %d, want %d: %s", r.Status, want, r.Raw)
	}
	return r
}

// scimError checks r is a SCIM error with status and scimType ("" for none).
func (r resp) scimError(t *testing.T, status int, scimType string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Raw)
	}
	if got := r.Body["schemas"]; !jsonEqual(got, []any{"urn:ietf:params:scim:api:messages:2.0:Error"}) {
		t.Errorf("error schemas %v: %s", got, r.Raw)
	}
	if got, _ := r.Body["status"].(string); got != itoa(status) {
		t.Errorf("error status %q, want %q", got, itoa(status))
	}
	if got, _ := r.Body["scimType"].(string); got != scimType {
		t.Errorf("scimType %q, want %q: %s", got, scimType, r.Raw)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func jsonEqual(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

// get walks a decoded JSON value by keys and indexes ("emails", 0, "value").
func get(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			a, _ := v.([]any)
			if k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	return v
}

// user creates a user through SCIM and returns its id.
func (e *env) user(body map[string]any) string {
	e.t.Helper()
	if body["schemas"] == nil {
		body["schemas"] = []string{"urn:ietf:params:scim:schemas:core:2.0:User"}
	}
	r := e.do("POST", "/Users", body).must(e.t, http.StatusCreated)
	return r.Body["id"].(string)
}

// auditCount is the number of audit entries, to prove a refusal wrote
// nothing.
func (e *env) auditCount() int64 {
	e.t.Helper()
	n, err := e.st.VerifyAudit(context.Background())
	if err != nil {
		e.t.Fatalf("VerifyAudit: %v", err)
	}
	return n
}
