package cli

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/audit"
	"github.com/seatkeeper/seatkeeper/internal/signin"
	_ "github.com/seatkeeper/seatkeeper/internal/store/sqlite" // registers the "sqlite" driver
)

func noenv(string) string { return "" }

type result struct {
	err            error
	code           int
	stdout, stderr string
}

// run calls Run in-process with an empty environment.
func run(t *testing.T, args ...string) result {
	t.Helper()
	return runIn(t, "", args...)
}

// runIn is run with stdin.
func runIn(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := Run(ctx, args, Env{Getenv: noenv, Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errOut})
	r := result{err: err, stdout: out.String(), stderr: errOut.String()}
	if err != nil {
		r.code = ExitCode(err)
	}
	return r
}

// ok runs args and fails the test unless Run returns nil.
func ok(t *testing.T, args ...string) result {
	t.Helper()
	r := run(t, args...)
	if r.err != nil {
		t.Fatalf("seatkeeper %s: %v (exit %d)\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.err, r.code, r.stdout, r.stderr)
	}
	return r
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

// shortBenchtime keeps testing.Benchmark runs (bench decide) short.
func shortBenchtime(t *testing.T) {
	t.Helper()
	f := flag.Lookup("test.benchtime")
	if f == nil || f.Value.String() != "1s" {
		return
	}
	if err := f.Value.Set("100ms"); err != nil {
		t.Fatalf("set benchtime: %v", err)
	}
	t.Cleanup(func() { _ = f.Value.Set("1s") })
}

func TestNoArgsIsUsageError(t *testing.T) {
	r := run(t)
	if r.err == nil || r.code != 2 {
		t.Fatalf("no args: err %v exit %d, want exit 2", r.err, r.code)
	}
	if !strings.Contains(r.stderr, "usage: seatkeeper") {
		t.Errorf("no args: usage not on stderr: %q", r.stderr)
	}
	if r.stdout != "" {
		t.Errorf("no args wrote to stdout: %q", r.stdout)
	}
}

func TestUnknownCommand(t *testing.T) {
	r := run(t, "frobnicate")
	if r.err == nil || r.code != 2 {
		t.Fatalf("unknown command: err %v exit %d, want exit 2", r.err, r.code)
	}
	if !strings.Contains(r.err.Error(), "frobnicate") {
		t.Errorf("error %q does not name the command", r.err)
	}
	if !strings.Contains(r.stderr, "usage: seatkeeper") {
		t.Errorf("unknown command: usage not on stderr")
	}
	for _, args := range [][]string{{"token"}, {"token", "frob"}, {"audit"}, {"audit", "frob"}, {"bench"}, {"bench", "frob"}} {
		if args[len(args)-1] == "frob" {
			args = append(args, "--db", filepath.Join(t.TempDir(), "u.db"))
		}
		if r := run(t, args...); r.err == nil || r.code != 2 {
			t.Errorf("seatkeeper %v: err %v exit %d, want exit 2", args, r.err, r.code)
		}
	}
}

func TestHelp(t *testing.T) {
	for _, h := range []string{"help", "-h", "--help"} {
		r := run(t, h)
		if r.err != nil {
			t.Errorf("%s: %v", h, r.err)
		}
		for _, want := range []string{"usage: seatkeeper", "serve", "migrate", "token create", "audit verify", "demo", "bench checkout"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("%s: usage lacks %q: %s", h, want, r.stdout)
			}
		}
	}
	// A subcommand's -h is help too: on stdout, success, no database made.
	dir := t.TempDir()
	t.Chdir(dir)
	for _, args := range [][]string{{"migrate", "-h"}, {"token", "list", "--help"}, {"token", "--help"}, {"audit", "verify", "-h"}} {
		r := run(t, args...)
		if r.err != nil || r.code != 0 || strings.Contains(r.stdout+r.stderr, "help requested") {
			t.Errorf("%v: err %v exit %d, out %q: want plain help and success", args, r.err, r.code, r.stdout+r.stderr)
		}
		if !strings.Contains(r.stdout, "usage: seatkeeper") {
			t.Errorf("%v: help not on stdout: %q", args, r.stdout)
		}
	}
	if r := run(t, "migrate", "-h"); !strings.Contains(r.stdout, "-db") {
		t.Errorf("migrate -h: flag help lacks -db: %s", r.stdout)
	}
	// A subcommand's help lists its own flags only.
	if r := run(t, "token", "list", "-h"); strings.Contains(r.stdout, "-scope") || strings.Contains(r.stdout, "-ttl") {
		t.Errorf("token list -h lists token create's flags: %s", r.stdout)
	}
	if r := run(t, "token", "create", "-h"); !strings.Contains(r.stdout, "-scope") {
		t.Errorf("token create -h lacks -scope: %s", r.stdout)
	}
	// An unknown subcommand is a usage error and creates nothing.
	if r := run(t, "token", "frobnicate"); r.code != 2 {
		t.Errorf("token frobnicate: exit %d, want 2", r.code)
	}
	if _, err := os.Stat(filepath.Join(dir, "seatkeeper.db")); err == nil {
		t.Errorf("help or a typo created ./seatkeeper.db")
	}
	if r := ok(t, "version"); !strings.HasPrefix(r.stdout, "seatkeeper ") || !strings.Contains(r.stdout, "go1.") {
		t.Errorf("version = %q, want seatkeeper VERSION … goX", r.stdout)
	}
	// A bad flag is a usage error.
	if r := run(t, "migrate", "--nope"); r.code != 2 {
		t.Errorf("migrate --nope: exit %d, want 2", r.code)
	}
}

// TestExitCodeOfNil: Run returns nil on success (help, a finished command);
// mapping that to an exit status must give 0.
func TestExitCodeOfNil(t *testing.T) {
	if c := ExitCode(nil); c != 0 {
		t.Errorf("ExitCode(nil) = %d, want 0", c)
	}
	if c := ExitCode(errors.New("boom")); c != 1 {
		t.Errorf("ExitCode(plain error) = %d, want 1", c)
	}
	if c := ExitCode(&exitError{code: 4, err: errors.New("x")}); c != 4 {
		t.Errorf("ExitCode(exitError 4) = %d", c)
	}
}

func TestMigrate(t *testing.T) {
	db := filepath.Join(t.TempDir(), "x.db")
	r := ok(t, "migrate", "--db", db)
	if !regexp.MustCompile(`^schema version [1-9]\d*\n$`).MatchString(r.stdout) {
		t.Errorf("migrate stdout %q, want \"schema version N\"", r.stdout)
	}
	// Again: idempotent, same version.
	r2 := ok(t, "migrate", "--db", "sqlite:"+db)
	if r2.stdout != r.stdout {
		t.Errorf("second migrate %q, first %q", r2.stdout, r.stdout)
	}
}

func TestMigrateUsesEnvDB(t *testing.T) {
	db := filepath.Join(t.TempDir(), "env.db")
	var out, errOut bytes.Buffer
	getenv := func(k string) string {
		if k == "SEATKEEPER_DB" {
			return db
		}
		return ""
	}
	if err := Run(context.Background(), []string{"migrate"}, Env{Getenv: getenv, Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut}); err != nil {
		t.Fatalf("migrate with SEATKEEPER_DB: %v", err)
	}
	if !strings.HasPrefix(out.String(), "schema version") {
		t.Errorf("stdout %q", out.String())
	}
	if r := ok(t, "audit", "verify", "--db", db); !strings.Contains(r.stdout, "intact") {
		t.Errorf("env db not created at %s: %s", db, r.stdout)
	}
}

func TestTokens(t *testing.T) {
	db := filepath.Join(t.TempDir(), "x.db")
	ok(t, "migrate", "--db", db)
	r := ok(t, "token", "create", "--db", db, "--name", "ops-admin", "--scope", "admin")
	secret := lastLine(r.stdout)
	if !strings.HasPrefix(secret, "sk_") || strings.ContainsAny(secret, " \t") || len(secret) < 20 {
		t.Fatalf("token create: last stdout line %q is not a bare token", secret)
	}
	if strings.TrimSpace(r.stdout) != secret {
		t.Errorf("token create stdout holds more than the token: %q", r.stdout)
	}
	if !strings.Contains(r.stderr, "ops-admin") || !strings.Contains(r.stderr, "scope admin") {
		t.Errorf("token create stderr %q lacks name and scope", r.stderr)
	}
	if strings.Contains(r.stderr, secret) {
		t.Errorf("token create wrote the secret to stderr too")
	}

	ok(t, "token", "create", "--db", db, "--name", "desk", "--scope", "platform", "--ttl", "1h")
	r = ok(t, "token", "list", "--db", db)
	for _, want := range []string{"NAME", "SCOPE", "ops-admin", "admin", "desk", "platform"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("token list lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, secret) || strings.Contains(r.stdout, "sk_") {
		t.Errorf("token list shows a secret:\n%s", r.stdout)
	}

	// Bad input.
	for _, args := range [][]string{
		{"--name", "x", "--scope", "root"},
		{"--name", "x", "--scope", ""},
		{"--name", "", "--scope", "admin"},
		{"--name", "x", "--scope", "admin", "--ttl", "-1h"},
	} {
		r := run(t, append([]string{"token", "create", "--db", db}, args...)...)
		if r.err == nil || r.code == 0 {
			t.Errorf("token create %v: err %v exit %d, want an error", args, r.err, r.code)
		}
		if strings.Contains(r.stdout, "sk_") {
			t.Errorf("token create %v printed a token: %q", args, r.stdout)
		}
	}

	// Revoke.
	if r := run(t, "token", "revoke", "--db", db, "no-such-token"); r.err == nil || r.code == 0 {
		t.Errorf("revoke unknown: err %v exit %d, want an error", r.err, r.code)
	}
	if r := run(t, "token", "revoke", "--db", db); r.code != 2 {
		t.Errorf("revoke without a name: exit %d, want 2", r.code)
	}
	r = ok(t, "token", "revoke", "--db", db, "desk")
	if !strings.Contains(r.stdout, "revoked desk") {
		t.Errorf("revoke stdout %q", r.stdout)
	}
	if r := run(t, "token", "revoke", "--db", db, "desk"); r.err == nil {
		t.Errorf("revoking twice succeeded")
	}
	r = ok(t, "token", "list", "--db", db)
	var deskLine string
	for _, l := range strings.Split(r.stdout, "\n") {
		if strings.Contains(l, "desk") {
			deskLine = l
		}
	}
	fields := strings.Fields(deskLine)
	if len(fields) != 6 || fields[5] == "-" {
		t.Errorf("revoked token's list line %q lacks a revocation time", deskLine)
	}
}

func TestAudit(t *testing.T) {
	db := filepath.Join(t.TempDir(), "x.db")
	ok(t, "migrate", "--db", db)
	ok(t, "token", "create", "--db", db, "--name", "a1", "--scope", "admin")
	ok(t, "token", "create", "--db", db, "--name", "a2", "--scope", "scim")
	ok(t, "token", "revoke", "--db", db, "a2")

	r := ok(t, "audit", "verify", "--db", db)
	if !strings.Contains(r.stdout, "intact") || !strings.Contains(r.stdout, "4 entries") {
		t.Errorf("audit verify stdout %q, want intact with 4 entries (policy seed, 2 creates, 1 revoke)", r.stdout)
	}

	if r := run(t, "audit", "export", "--db", db, "--format", "xml"); r.code != 2 {
		t.Errorf("audit export --format xml: err %v exit %d, want 2", r.err, r.code)
	}

	r = ok(t, "audit", "export", "--db", db)
	var entries []audit.Entry
	if err := audit.ReadJSONL(strings.NewReader(r.stdout), func(e audit.Entry) error { entries = append(entries, e); return nil }); err != nil {
		t.Fatalf("ReadJSONL of the export: %v\n%s", err, r.stdout)
	}
	if len(entries) != 4 {
		t.Fatalf("export holds %d entries, want 4", len(entries))
	}
	if err := audit.Verify(entries); err != nil {
		t.Errorf("exported chain does not verify: %v", err)
	}
	if entries[0].Action != "policy.seed" || entries[3].Action != "token.revoke" {
		t.Errorf("exported actions %q … %q, want policy.seed … token.revoke", entries[0].Action, entries[3].Action)
	}
	if strings.Contains(r.stdout, "sk_") {
		t.Errorf("audit export holds a token secret")
	}

	r = ok(t, "audit", "export", "--db", db, "--format", "csv")
	if n := strings.Count(strings.TrimSpace(r.stdout), "\n") + 1; n != 5 {
		t.Errorf("csv export: %d lines, want a header and 4 rows:\n%s", n, r.stdout)
	}

	// Tampering is found and reported with exit 3.
	raw, err := sql.Open("sqlite", "file:"+db+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatalf("open raw: %v", err)
	}
	if _, err := raw.Exec(`UPDATE audit_log SET actor = 'mallory' WHERE seq = 2`); err != nil {
		t.Fatalf("tamper: %v", err)
	}
	raw.Close()
	r = run(t, "audit", "verify", "--db", db)
	if r.code != 3 {
		t.Errorf("verify of a tampered chain: err %v exit %d, want 3", r.err, r.code)
	}
	if !strings.Contains(r.stdout, "BROKEN") || !strings.Contains(r.stdout, "seq 2") {
		t.Errorf("verify of a tampered chain: stdout %q", r.stdout)
	}
}

func TestBenchCheckout(t *testing.T) {
	db := filepath.Join(t.TempDir(), "bench.db")
	r := run(t, "bench", "checkout", "--db", db, "--duration", "300ms", "--clients", "4", "--seats", "2", "--users", "20")
	if r.err != nil {
		t.Fatalf("bench checkout: %v (exit %d)\nstdout: %s\nstderr: %s", r.err, r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"bench checkout: sqlite store, pool of 2 seats, 20 people, 4 clients", "session starts:", "throughput", "latency", "holders"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("bench checkout output lacks %q:\n%s", want, r.stdout)
		}
	}
	m := regexp.MustCompile(`holders:\s+max (\d+) polled, max (\d+) from lease history, seats 2`).FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("no holders line:\n%s", r.stdout)
	}
	polled, _ := strconv.Atoi(m[1])
	hist, _ := strconv.Atoi(m[2])
	if polled > 2 || hist > 2 || hist == 0 {
		t.Errorf("holders polled %d, history %d; want at most 2 (and some in history)", polled, hist)
	}
	if regexp.MustCompile(`session starts:\s+0 acknowledged`).MatchString(r.stdout) {
		t.Errorf("no session started:\n%s", r.stdout)
	}
	if !regexp.MustCompile(`, 0 errors`).MatchString(r.stdout) {
		t.Errorf("errors reported:\n%s", r.stdout)
	}

	// A second run on the same database uses a pool of its own.
	if r := run(t, "bench", "checkout", "--db", db, "--duration", "100ms", "--clients", "2", "--seats", "1", "--users", "3"); r.err != nil {
		t.Errorf("second bench checkout on the same db: %v\n%s", r.err, r.stdout)
	}

	for _, args := range [][]string{{"--clients", "0"}, {"--seats", "0"}, {"--users", "0"}, {"--duration", "0s"}} {
		if r := run(t, append([]string{"bench", "checkout", "--db", db}, args...)...); r.code != 2 {
			t.Errorf("bench checkout %v: exit %d, want 2", args, r.code)
		}
	}
}

func TestBenchDesk(t *testing.T) {
	db := filepath.Join(t.TempDir(), "desk.db")
	r := run(t, "bench", "desk", "--db", db, "--duration", "500ms", "--clients", "4")
	if r.err != nil {
		t.Fatalf("bench desk: %v (exit %d)\nstdout: %s\nstderr: %s", r.err, r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"bench desk: sqlite store", "0 errors", "throughput:", "actions/s", "latency:", "audit:       chain of"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("bench desk output lacks %q:\n%s", want, r.stdout)
		}
	}
	if r := run(t, "bench", "desk", "--clients", "0"); r.code != 2 {
		t.Errorf("bench desk --clients 0: exit %d, want 2", r.code)
	}
}

func TestBenchSCIM(t *testing.T) {
	db := filepath.Join(t.TempDir(), "scim.db")
	r := run(t, "bench", "scim", "--db", db, "--users", "300", "--clients", "4")
	if r.err != nil {
		t.Fatalf("bench scim: %v (exit %d)\nstdout: %s\nstderr: %s", r.err, r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"bench scim: sqlite store, 300 users", "300 answered 201, 0 errors", "creates/s", "latency:",
		"rules:       75 agent seats and 15 change modules granted", "audit:       chain of"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("bench scim output lacks %q:\n%s", want, r.stdout)
		}
	}
	if r := run(t, "bench", "scim", "--users", "0"); r.code != 2 {
		t.Errorf("bench scim --users 0: exit %d, want 2", r.code)
	}
}

func TestPasswd(t *testing.T) {
	db := filepath.Join(t.TempDir(), "p.db")
	ok(t, "demo", "--seed-only", "--db", db)
	if r := runIn(t, "a-new-secret-1\n", "passwd", "--db", db, "--user", "requester@example.com"); r.err != nil || !strings.Contains(r.stdout, "password set") {
		t.Fatalf("passwd: %v %s %s", r.err, r.stdout, r.stderr)
	}
	st, err := openStore(context.Background(), db, newLogger(io.Discard, "error"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	_, hash, err := st.Account(context.Background(), "requester@example.com")
	if err != nil || !signin.CheckPassword(hash, "a-new-secret-1") || signin.CheckPassword(hash, "seatkeeper-demo") {
		t.Fatalf("stored password does not match: %v", err)
	}
	for _, c := range []struct {
		stdin string
		args  []string
	}{
		{"short\n", []string{"--user", "requester@example.com"}},
		{"long-enough-pw\n", []string{"--user", "nobody@example.com"}},
		{"long-enough-pw\n", []string{}},
	} {
		if r := runIn(t, c.stdin, append([]string{"passwd", "--db", db}, c.args...)...); r.err == nil {
			t.Errorf("passwd %v with %q succeeded", c.args, c.stdin)
		}
	}
}

func TestBenchDecide(t *testing.T) {
	shortBenchtime(t)
	r := ok(t, "bench", "decide", "--people", "1000")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 4 {
		t.Fatalf("bench decide: %d lines, want 4 (2 capabilities × 2 cpu counts):\n%s", len(lines), r.stdout)
	}
	re := regexp.MustCompile(`^decide allow (ticket\.transition|change\.approve)\s+1000 people, cpu [12]: +[0-9.]+ ns/op  (\d+) allocs/op  \d+ B/op$`)
	for _, l := range lines {
		m := re.FindStringSubmatch(l)
		if m == nil {
			t.Errorf("bench decide line %q does not match %s", l, re)
			continue
		}
		if m[2] != "0" {
			t.Errorf("bench decide allocates: %q", l)
		}
	}
	if !strings.Contains(r.stdout, "allocs/op") {
		t.Errorf("no allocs/op:\n%s", r.stdout)
	}
}

func TestDemoSeedOnly(t *testing.T) {
	db := filepath.Join(t.TempDir(), "d.db")
	r := ok(t, "demo", "--seed-only", "--db", db)
	tok := lastLine(r.stdout)
	if !strings.HasPrefix(tok, "sk_") || strings.TrimSpace(r.stdout) != tok {
		t.Errorf("demo stdout %q, want the admin token alone", r.stdout)
	}
	if !strings.Contains(r.stderr, "seeded") {
		t.Errorf("first demo run: stderr lacks \"seeded\": %s", r.stderr)
	}
	if !strings.Contains(r.stderr, tok) {
		t.Errorf("first demo run: stderr does not show the token")
	}

	r2 := ok(t, "demo", "--seed-only", "--db", db)
	tok2 := lastLine(r2.stdout)
	if !strings.HasPrefix(tok2, "sk_") {
		t.Errorf("second demo run: stdout %q, want a token", r2.stdout)
	}
	if strings.Contains(r2.stderr, "seeded") || strings.Contains(r2.stderr, "integration ") {
		t.Errorf("second demo run re-seeded: %s", r2.stderr)
	}
	for _, want := range []string{"integration slack-hub (enforce) token: sk_", "integration teams-bot (propose)", "integration legacy-itsm (monitor)", "requester@example.com", "nightshift@example.com"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("first demo run: stderr lacks %q:\n%s", want, r.stderr)
		}
	}

	// The chain stays intact and the demo's tokens are admin tokens.
	if r := ok(t, "audit", "verify", "--db", db); !strings.Contains(r.stdout, "intact") {
		t.Errorf("audit verify after demo: %s", r.stdout)
	}
	r = ok(t, "token", "list", "--db", db)
	if n := strings.Count(r.stdout, "demo-admin"); n != 2 {
		t.Errorf("token list shows %d demo-admin tokens, want 2:\n%s", n, r.stdout)
	}
}

// serveForTest runs `serve` in-process on a free loopback port with cfg
// (addr, log level and sweep filled in) until stop, which returns what
// serve returned.
func serveForTest(t *testing.T, env Env, cfg serveConfig) (addr string, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	cfg.addr, cfg.logLevel, cfg.sweepEvery = "127.0.0.1:0", "error", time.Second
	cfg.ready = func(a string) { ready <- a }
	go func() { done <- serve(ctx, env, cfg, nil) }()
	select {
	case addr = <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("serve ended early: %v", err)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatalf("serve did not become ready")
	}
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-done:
			case <-time.After(30 * time.Second):
				err = errors.New("serve did not stop")
			}
		})
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return addr, stop
}

// TestServeAnswersAndStops serves on port 0, checks health and the bootstrap
// token, and stops cleanly when the context ends.
func TestServeAnswersAndStops(t *testing.T) {
	db := filepath.Join(t.TempDir(), "serve.db")
	var out, errOut syncBuffer
	addr, stop := serveForTest(t, Env{Getenv: noenv, Stdout: &out, Stderr: &errOut}, serveConfig{db: db})
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatalf("GET /healthz: %v", err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /healthz: %d", resp.StatusCode)
	}
	// The web pages are mounted too.
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err = client.Get("http://" + addr + "/")
	if err != nil {
		t.Fatalf("GET /: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/signin") {
		t.Errorf("GET / without cookie: %d %q, want 303 to /signin", resp.StatusCode, resp.Header.Get("Location"))
	}
	if err := stop(); err != nil {
		t.Errorf("serve after cancel: %v", err)
	}
	if !strings.Contains(errOut.String(), "first start: admin token") || !strings.Contains(errOut.String(), "sk_") {
		t.Errorf("first start did not print a bootstrap token: %s", errOut.String())
	}
}

// syncBuffer is a bytes.Buffer safe for the server's concurrent logging.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestMissingDatabaseRefused (issue 12): a mistyped --db is refused by every
// command but serve, migrate and demo, and creates nothing — an "intact"
// audit chain of an empty new store would be a false assurance.
func TestMissingDatabaseRefused(t *testing.T) {
	dir := t.TempDir()
	typo := filepath.Join(dir, "typo.db")
	for _, args := range [][]string{
		{"audit", "verify", "--db", typo},
		{"audit", "export", "--db", typo},
		{"token", "list", "--db", typo},
		{"token", "create", "--db", typo, "--name", "x", "--scope", "admin"},
		{"report", "cost", "--db", typo},
		{"rules", "list", "--db", typo},
	} {
		r := run(t, args...)
		if r.err == nil || r.code == 0 || !strings.Contains(r.err.Error(), "no database at") {
			t.Errorf("%v: err %v exit %d, want a refusal naming the missing database", args, r.err, r.code)
		}
		if _, err := os.Stat(typo); err == nil {
			t.Fatalf("%v created %s", args, typo)
		}
	}
	// Flags may follow the arguments, as the README writes them.
	db := filepath.Join(dir, "x.db")
	ok(t, "migrate", "--db", db)
	ok(t, "token", "create", "--db", db, "--name", "ops", "--scope", "admin")
	if r := ok(t, "token", "revoke", "ops", "--db", db); !strings.Contains(r.stdout, "revoked ops") {
		t.Errorf("token revoke ID --db: %q", r.stdout)
	}
	if r := ok(t, "audit", "verify", "--db", db); !strings.Contains(r.stdout, "intact") {
		t.Errorf("audit verify: %q", r.stdout)
	}
}
