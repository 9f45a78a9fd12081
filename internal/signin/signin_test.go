package signin

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/seats"
	"github.com/seatkeeper/seatkeeper/internal/store"
	"github.com/seatkeeper/seatkeeper/internal/store/sqlite"
)

// clock is the store's and engine's clock; tests move it instead of sleeping.
type clock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.off += d
	c.mu.Unlock()
}

// fixture is a real SQLite store with the seats service, one concurrent
// agent pool of one seat, and people with passwords.
type fixture struct {
	t     *testing.T
	ctx   context.Context
	st    *store.Store
	svc   *seats.Service
	m     *Manager
	clk   *clock
	ann   licensing.User // agent on the floating pool, password annPassword
	bob   licensing.User // requester without a password
	actor licensing.Actor
}

const annPassword = "ann's long passphrase"

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	clk := &clock{}
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
	a := licensing.System("test")
	if err := st.PutSKU(ctx, a, licensing.SKU{Key: "agent", Name: "Agent", Tier: licensing.TierFulfiller, MonthlyPrice: 95}, true); err != nil {
		t.Fatalf("PutSKU: %v", err)
	}
	if err := st.CreatePool(ctx, a, licensing.Pool{ID: "floating", SKU: "agent", Model: licensing.ModelConcurrent, Seats: 1, MonthlyPrice: 140}); err != nil {
		t.Fatalf("CreatePool: %v", err)
	}
	f := &fixture{t: t, ctx: ctx, st: st, clk: clk, actor: licensing.Actor{Name: "web", Source: "127.0.0.1"}}
	f.ann = f.person("ann@example.com")
	f.bob = f.person("bob@example.com")
	if _, _, err := st.PutMember(ctx, a, "floating", f.ann.ID, ""); err != nil {
		t.Fatalf("PutMember: %v", err)
	}
	h, err := HashPassword(annPassword)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetPassword(ctx, a, f.ann.UserName, h); err != nil {
		t.Fatalf("SetPassword: %v", err)
	}
	f.svc = seats.New(st, licensing.NewEngine(clk.now), log, seats.Config{})
	if err := f.svc.Load(ctx); err != nil {
		t.Fatalf("Load: %v", err)
	}
	f.m = New(st, f.svc, log)
	return f
}

func (f *fixture) person(name string) licensing.User {
	f.t.Helper()
	u, err := f.st.CreateUser(f.ctx, licensing.System("test"), licensing.User{UserName: name, Email: name, Kind: licensing.KindPerson, Active: true})
	if err != nil {
		f.t.Fatalf("CreateUser %s: %v", name, err)
	}
	return u
}

func (f *fixture) signIn() (string, string) {
	f.t.Helper()
	ws, secret, err := f.m.SignIn(f.ctx, f.actor, f.ann.UserName, annPassword)
	if err != nil {
		f.t.Fatalf("SignIn: %v", err)
	}
	return ws.SeatSession, secret
}

func (f *fixture) activeSessions(user string) []licensing.Session {
	f.t.Helper()
	list, err := f.st.ListSessions(f.ctx, store.SessionFilter{User: user, ActiveOnly: true, Limit: 100})
	if err != nil {
		f.t.Fatalf("ListSessions: %v", err)
	}
	return list
}

func (f *fixture) leases() int {
	f.t.Helper()
	list, err := f.st.ActiveLeases(f.ctx, "floating")
	if err != nil {
		f.t.Fatalf("ActiveLeases: %v", err)
	}
	return len(list)
}

func TestSignInStartsALazySession(t *testing.T) {
	f := newFixture(t)
	before := f.clk.now()
	// The user name field takes any of the person's keys, padded or not.
	ws, secret, err := f.m.SignIn(f.ctx, f.actor, "  ann@example.com ", annPassword)
	if err != nil {
		t.Fatalf("SignIn: %v", err)
	}
	if ws.User != f.ann.ID || ws.UserName != f.ann.UserName || ws.Method != MethodLocal {
		t.Errorf("web session %+v, want ann's, method local", ws)
	}
	if len(secret) != 43 || len(ws.CSRF) != 43 || secret == ws.CSRF {
		t.Errorf("secret %d chars, CSRF %d chars (equal: %v); want two distinct 32-byte tokens", len(secret), len(ws.CSRF), secret == ws.CSRF)
	}
	if ws.ID != HashSecret(secret) || ws.ID == secret {
		t.Errorf("session id %q is not the hash of the secret", ws.ID)
	}
	if got := ws.ExpiresAt.Sub(ws.CreatedAt); got != Lifetime {
		t.Errorf("lifetime %v, want %v", got, Lifetime)
	}
	if ws.CreatedAt.Before(before.Add(-time.Second)) {
		t.Errorf("created %v, before the sign-in at %v", ws.CreatedAt, before)
	}
	// The seat session is lazy: no seat is taken at sign-in.
	sess := f.activeSessions(f.ann.ID)
	if len(sess) != 1 || sess[0].ID != ws.SeatSession || !sess[0].Lazy || len(sess[0].Leases) != 0 {
		t.Fatalf("seat sessions %+v, want one lazy session %s without leases", sess, ws.SeatSession)
	}
	if n := f.leases(); n != 0 {
		t.Errorf("%d leases after sign-in, want 0", n)
	}
	got, err := f.m.Lookup(f.ctx, secret)
	if err != nil || got.ID != ws.ID || got.CSRF != ws.CSRF || got.SeatSession != ws.SeatSession {
		t.Errorf("Lookup: %+v, %v; want the session", got, err)
	}
	// The seat is taken at the first agent action, in that session.
	d, refused, err := f.svc.Decide(f.ctx, f.actor, f.ann.ID, "ticket.transition", ws.SeatSession)
	if err != nil || refused != nil || !d.Allow || d.Via.Kind != licensing.ViaConcurrent {
		t.Fatalf("Decide: %+v, %v, %v; want allowed on a lease", d, refused, err)
	}
	if n := f.leases(); n != 1 {
		t.Errorf("%d leases after the first agent action, want 1", n)
	}
}

func TestSignInRefusalsLookAlike(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct{ name, user, pw string }{
		{"unknown user", "nobody@example.com", annPassword},
		{"no account", f.bob.UserName, annPassword},
		{"wrong password", f.ann.UserName, annPassword + "!"},
		{"short password", f.ann.UserName, "short"},
		{"huge password", f.ann.UserName, strings.Repeat("x", 5000)},
		{"empty user", "", annPassword},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ws, secret, err := f.m.SignIn(f.ctx, f.actor, tc.user, tc.pw)
			e, _ := licensing.AsError(err)
			if e == nil || e.Code != licensing.CodeUnauthorized || e.Message != "wrong user name or password" {
				t.Fatalf("SignIn: %v, want unauthorized %q", err, "wrong user name or password")
			}
			if secret != "" || ws.ID != "" {
				t.Errorf("a refused sign-in returned a session %+v / %q", ws, secret)
			}
		})
	}
	if s := f.activeSessions(""); len(s) != 0 {
		t.Errorf("refused sign-ins left %d seat sessions", len(s))
	}
	// Refusals that reached the account lookup are audited, naming only
	// people who exist.
	entries, err := f.st.ListAudit(f.ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	subjects := map[string]int{}
	for _, e := range entries {
		if e.Action == "signin" && e.Result == "refused" {
			subjects[e.Subject]++
		}
	}
	if subjects["user:unknown"] != 2 || subjects["user:"+f.ann.UserName] != 1 || len(subjects) != 2 {
		t.Errorf("refused sign-ins audited as %v", subjects)
	}
}

func TestSignInInactive(t *testing.T) {
	f := newFixture(t)
	if _, err := f.st.UpdateUserFunc(f.ctx, licensing.System("test"), f.ann.ID, func(u licensing.User) (licensing.User, error) {
		u.Active = false
		return u, nil
	}); err != nil {
		t.Fatalf("deactivate: %v", err)
	}
	_, _, err := f.m.SignIn(f.ctx, f.actor, f.ann.UserName, annPassword)
	if licensing.ErrorCode(err) != licensing.CodeInactive {
		t.Fatalf("SignIn of an inactive person: %v, want inactive", err)
	}
	// A wrong password says nothing about the account's state.
	_, _, err = f.m.SignIn(f.ctx, f.actor, f.ann.UserName, "not the password")
	if licensing.ErrorCode(err) != licensing.CodeUnauthorized {
		t.Errorf("wrong password of an inactive person: %v, want unauthorized", err)
	}
}

func TestSignOutReturnsTheLease(t *testing.T) {
	f := newFixture(t)
	seat, secret := f.signIn()
	if _, refused, err := f.svc.Decide(f.ctx, f.actor, f.ann.ID, "ticket.transition", seat); err != nil || refused != nil {
		t.Fatalf("Decide: %v %v", refused, err)
	}
	if n := f.leases(); n != 1 {
		t.Fatalf("%d leases, want 1", n)
	}
	if err := f.m.SignOut(f.ctx, f.actor, secret); err != nil {
		t.Fatalf("SignOut: %v", err)
	}
	if n := f.leases(); n != 0 {
		t.Errorf("%d leases after sign-out, want 0: the seat must return", n)
	}
	if s := f.activeSessions(f.ann.ID); len(s) != 0 {
		t.Errorf("seat sessions after sign-out: %+v", s)
	}
	ss, err := f.st.GetSession(f.ctx, seat)
	if err != nil || ss.EndReason != licensing.EndLogout {
		t.Errorf("seat session end reason %q (%v), want logout", ss.EndReason, err)
	}
	if _, err := f.m.Lookup(f.ctx, secret); licensing.ErrorCode(err) != licensing.CodeUnauthorized {
		t.Errorf("Lookup after sign-out: %v, want unauthorized", err)
	}
	// Signing out twice, or with nonsense, is no error.
	for _, s := range []string{secret, "", "nonsense", strings.Repeat("x", 1000)} {
		if err := f.m.SignOut(f.ctx, f.actor, s); err != nil {
			t.Errorf("SignOut(%.10q): %v, want nil", s, err)
		}
	}
}

func TestLookupRefusesUnknownAndExpired(t *testing.T) {
	f := newFixture(t)
	_, secret := f.signIn()
	for _, s := range []string{"", "nonsense", HashSecret(secret), secret + "x", strings.Repeat("y", 300)} {
		if _, err := f.m.Lookup(f.ctx, s); licensing.ErrorCode(err) != licensing.CodeUnauthorized {
			t.Errorf("Lookup(%.12q): %v, want unauthorized", s, err)
		}
	}
	// Heartbeats keep the seat session alive across the seat sweeper's
	// idle time while the person keeps using the pages…
	for i := 0; i < 3; i++ {
		f.clk.advance(20 * time.Minute)
		if _, err := f.m.Lookup(f.ctx, secret); err != nil {
			t.Fatalf("Lookup after %d×20 min of use: %v", i+1, err)
		}
		if _, err := f.st.Sweep(f.ctx, 30*time.Minute); err != nil {
			t.Fatalf("Sweep: %v", err)
		}
	}
	if s := f.activeSessions(f.ann.ID); len(s) != 1 {
		t.Fatalf("seat sessions after an hour of use: %d, want 1", len(s))
	}
	// …and the browser session ends at its lifetime all the same.
	f.clk.advance(Lifetime)
	if _, err := f.m.Lookup(f.ctx, secret); licensing.ErrorCode(err) != licensing.CodeUnauthorized {
		t.Errorf("Lookup after the lifetime: %v, want unauthorized", err)
	}
	n, err := f.m.Sweep(f.ctx)
	if err != nil || n != 1 {
		t.Errorf("Sweep: %d, %v; want 1 removed", n, err)
	}
}

func TestLookupEndsWithItsSeatSession(t *testing.T) {
	f := newFixture(t)
	seat, secret := f.signIn()
	// An administrator ends the seat session (or the idle sweep does).
	if err := f.st.EndSession(f.ctx, licensing.System("test"), seat, licensing.EndAdmin); err != nil {
		t.Fatalf("EndSession: %v", err)
	}
	f.clk.advance(2 * time.Minute) // past the heartbeat spacing
	if _, err := f.m.Lookup(f.ctx, secret); licensing.ErrorCode(err) != licensing.CodeUnauthorized {
		t.Fatalf("Lookup after the seat session ended: %v, want unauthorized", err)
	}
	if _, err := f.st.GetWebSession(f.ctx, HashSecret(secret)); licensing.ErrorCode(err) != licensing.CodeUnauthorized {
		t.Errorf("the browser session outlived its seat session: %v", err)
	}
}

func TestSignInAfterDeactivationIsRefusedAndSessionsEnd(t *testing.T) {
	f := newFixture(t)
	_, secret := f.signIn()
	if _, err := f.st.UpdateUserFunc(f.ctx, licensing.System("test"), f.ann.ID, func(u licensing.User) (licensing.User, error) {
		u.Active = false
		return u, nil
	}); err != nil {
		t.Fatalf("deactivate: %v", err)
	}
	// A leaver loses the pages at once, not at the next heartbeat.
	if _, err := f.m.Lookup(f.ctx, secret); licensing.ErrorCode(err) != licensing.CodeUnauthorized {
		t.Errorf("Lookup after deactivation: %v, want unauthorized", err)
	}
}

func TestStartNeedsAMethodAndAnActivePerson(t *testing.T) {
	f := newFixture(t)
	if _, _, err := f.m.Start(f.ctx, f.actor, f.bob.ID, ""); licensing.ErrorCode(err) != licensing.CodeInvalid {
		t.Errorf("Start without a method: %v, want invalid_request", err)
	}
	// Start is how another way in (OIDC) opens a session: no password.
	ws, secret, err := f.m.Start(f.ctx, f.actor, f.bob.ID, MethodOIDC)
	if err != nil || ws.User != f.bob.ID || ws.Method != MethodOIDC || secret == "" {
		t.Fatalf("Start for bob: %+v, %q, %v", ws, secret, err)
	}
	if _, _, err := f.m.Start(f.ctx, f.actor, "nobody", MethodOIDC); licensing.ErrorCode(err) != licensing.CodeNotFound {
		t.Errorf("Start for nobody: %v, want not_found", err)
	}
}

// TestSignInThrottled: after too many failures for one user name, even the
// right password is refused until the window passes; other people are not
// affected.
func TestSignInThrottled(t *testing.T) {
	f := newFixture(t)
	for i := 0; i < maxUserFails; i++ {
		if _, _, err := f.m.SignIn(f.ctx, f.actor, f.ann.UserName, "wrong-password-"+strconv.Itoa(i)); licensing.ErrorCode(err) != licensing.CodeUnauthorized {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	_, _, err := f.m.SignIn(f.ctx, f.actor, strings.ToUpper(f.ann.UserName), annPassword)
	if licensing.ErrorCode(err) != licensing.CodeRateLimited {
		t.Fatalf("right password after %d failures: %v, want rate_limited", maxUserFails, err)
	}
	f.clk.advance(failWindow)
	if _, _, err := f.m.SignIn(f.ctx, f.actor, f.ann.UserName, annPassword); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}

// TestSignInThrottledPerAccount: failures count against the account
// whichever of its keys is typed, so switching from the user name to the
// id (or employee ID, external ID) buys no fresh attempts.
func TestSignInThrottledPerAccount(t *testing.T) {
	f := newFixture(t)
	for i := 0; i < maxUserFails; i++ {
		key := f.ann.UserName
		if i%2 == 1 {
			key = f.ann.ID
		}
		if _, _, err := f.m.SignIn(f.ctx, f.actor, key, "wrong-password-"+strconv.Itoa(i)); licensing.ErrorCode(err) != licensing.CodeUnauthorized {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	for _, key := range []string{f.ann.ID, f.ann.UserName} {
		if _, _, err := f.m.SignIn(f.ctx, f.actor, key, annPassword); licensing.ErrorCode(err) != licensing.CodeRateLimited {
			t.Errorf("right password as %q after %d failures over two keys: %v, want rate_limited", key, maxUserFails, err)
		}
	}
}

// TestThrottleBoundsMemory: a flood of distinct names is remembered up to
// maxTracked keys.
func TestThrottleBoundsMemory(t *testing.T) {
	th := newThrottle()
	now := time.Unix(0, 0)
	for i := 0; i < maxTracked+500; i++ {
		th.fail(now, "user"+strconv.Itoa(i), "", "10.0.0.1")
	}
	if n := len(th.fails); n > maxTracked {
		t.Fatalf("%d keys tracked, want at most %d", n, maxTracked)
	}
	if err := th.allow(now, "someone-new", "10.0.0.1"); licensing.ErrorCode(err) != licensing.CodeRateLimited {
		t.Fatalf("a flooding source is not limited: %v", err)
	}
	if err := th.allow(now.Add(failWindow), "someone-new", "10.0.0.1"); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}
