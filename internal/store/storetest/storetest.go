// Package storetest is the store test suite that runs against every SQL
// database Seatkeeper supports (DESIGN §3.2: one schema, the same store test
// suite run against both). It is a non-test package so that the SQLite and
// PostgreSQL test packages can both import it:
//
//	func TestStore(t *testing.T) { storetest.Run(t, open) }
//
// Every subtest opens a fresh migrated store through open, with a clock the
// suite controls, so timeouts are reached by advancing the clock, never by
// sleeping.
package storetest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

// OpenFunc opens a fresh store for one subtest. It must call Migrate and
// SeedPolicy, use now as the store's clock, and close what it opened in
// t.Cleanup. The *sql.DB is a separate raw connection to the same database,
// used only to tamper with rows behind the store's back.
type OpenFunc = func(t *testing.T, now func() time.Time) (*store.Store, *sql.DB)

// Epoch is the instant every subtest's clock starts at.
var Epoch = time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)

// farFuture bounds history queries.
var farFuture = time.Date(2999, 1, 1, 0, 0, 0, 0, time.UTC)

// Clock is a settable clock: it moves only when told to (Advance), or by a
// fixed step on every reading once SetTick is used.
type Clock struct {
	mu   sync.Mutex
	now  time.Time
	tick time.Duration
}

// NewClock returns a clock stopped at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's reading, then moves it on by the tick (if any), so
// with a tick every reading is distinct.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.now
	c.now = c.now.Add(c.tick)
	return t
}

// Peek returns the clock's reading without ticking.
func (c *Clock) Peek() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// SetTick makes every reading move the clock on by d (0 stops it again).
func (c *Clock) SetTick(d time.Duration) {
	c.mu.Lock()
	c.tick = d
	c.mu.Unlock()
}

// env is one subtest's fresh store and helpers.
type env struct {
	t     *testing.T
	ctx   context.Context
	s     *store.Store
	raw   *sql.DB
	clock *Clock
	admin licensing.Actor
}

type testCase struct {
	name string
	fn   func(e *env)
}

type group struct {
	name  string
	cases []testCase
}

// Run runs the whole suite; each leaf subtest gets a fresh store from open.
func Run(t *testing.T, open OpenFunc) {
	groups := []group{
		{"Migrate", migrateTests()},
		{"SKU", skuTests()},
		{"Pool", poolTests()},
		{"User", userTests()},
		{"Named", namedTests()},
		{"Concurrent", concurrentTests()},
		{"Invariant", invariantTests()},
		{"Audit", auditTests()},
		{"AuditQuery", auditQueryTests()},
		{"Token", tokenTests()},
		{"Policy", policyTests()},
		{"Identity", identityTests()},
		{"Reconcile", reconcileTests()},
		{"GroupGrant", groupGrantTests()},
		{"Access", accessTests()},
		{"Reports", reportTests()},
		{"History", historyTests()},
		{"IntegrationSeats", integrationSeatTests()},
		{"IdentityKeys", identityKeyTests()},
		{"SharedKeys", sharedKeyTests()},
		{"Abuse", append(denialRepeatTests(), sessionCapTests()...)},
		{"Roles", roleTests()},
		{"ConsolePeople", consolePeopleTests()},
		{"Dashboard", dashboardTests()},
		{"ConsoleLeases", consoleLeaseTests()},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, tc := range g.cases {
				t.Run(tc.name, func(t *testing.T) {
					tc.fn(newEnv(t, open))
				})
			}
		})
	}
	runDesk(t, open)
}

func newEnv(t *testing.T, open OpenFunc) *env {
	t.Helper()
	clock := NewClock(Epoch)
	s, raw := open(t, clock.Now)
	if s == nil || raw == nil {
		t.Fatalf("open returned store %v and raw connection %v, want both", s, raw)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	t.Cleanup(func() { checkHolderCounts(t, raw) })
	return &env{t: t, ctx: ctx, s: s, raw: raw, clock: clock, admin: licensing.Actor{Name: "admin-token", Source: "storetest"}}
}

// checkHolderCounts: whatever a subtest did, the holder counts the
// triggers keep equal a count of the members.
func checkHolderCounts(t *testing.T, raw *sql.DB) {
	t.Helper()
	rows, err := raw.Query(`SELECT p.id, coalesce((SELECT n FROM pool_holders h WHERE h.pool_id = p.id), 0),
		(SELECT count(*) FROM members m WHERE m.pool_id = p.id AND m.state = 'active' AND m.revoked_at = 0) FROM pools p`)
	if err != nil {
		t.Logf("holder counts not checked: %v", err)
		return
	}
	defer rows.Close()
	for rows.Next() {
		var pool string
		var kept, counted int
		if err := rows.Scan(&pool, &kept, &counted); err != nil {
			t.Errorf("holder counts: %v", err)
			return
		}
		if kept != counted {
			t.Errorf("pool %s: pool_holders says %d, members count %d", pool, kept, counted)
		}
	}
}

// ---- error helpers ----

// wantCode checks that err carries the stable code want and returns it.
func wantCode(t *testing.T, what string, err error, want string) *licensing.Error {
	t.Helper()
	if err == nil {
		t.Errorf("%s: got no error, want code %s", what, want)
		return nil
	}
	var le *licensing.Error
	if !errors.As(err, &le) {
		t.Errorf("%s: got error %q (not a *licensing.Error), want code %s", what, err, want)
		return nil
	}
	if le.Code != want {
		t.Errorf("%s: got code %s (%v), want %s", what, le.Code, err, want)
	}
	return le
}

func codeOf(err error) string { return licensing.ErrorCode(err) }

// ---- fixtures ----

func (e *env) putSKU(key string, tier licensing.Tier, requires ...string) licensing.SKU {
	e.t.Helper()
	k := licensing.SKU{Key: key, Name: strings.ToUpper(key[:1]) + key[1:], Tier: tier, Requires: requires, MonthlyPrice: 95}
	if err := e.s.PutSKU(e.ctx, e.admin, k, true); err != nil {
		e.t.Fatalf("PutSKU(%s): %v", key, err)
	}
	return k
}

// agent creates the usual fulfiller SKU "agent".
func (e *env) agent() { e.putSKU("agent", licensing.TierFulfiller) }

func (e *env) createPool(p licensing.Pool) licensing.Pool {
	e.t.Helper()
	if err := e.s.CreatePool(e.ctx, e.admin, p); err != nil {
		e.t.Fatalf("CreatePool(%s): %v", p.ID, err)
	}
	got, err := e.s.GetPool(e.ctx, p.ID)
	if err != nil {
		e.t.Fatalf("GetPool(%s): %v", p.ID, err)
	}
	return got
}

// concurrent creates a concurrent pool of the "agent" SKU; mod adjusts it.
func (e *env) concurrent(id string, seats int, mod ...func(*licensing.Pool)) licensing.Pool {
	e.t.Helper()
	p := licensing.Pool{ID: id, SKU: "agent", Model: licensing.ModelConcurrent, Seats: seats, IdleTimeout: 30 * time.Minute, MonthlyPrice: 140}
	for _, m := range mod {
		m(&p)
	}
	return e.createPool(p)
}

// named creates a named pool of the "agent" SKU; mod adjusts it.
func (e *env) named(id string, seats int, mod ...func(*licensing.Pool)) licensing.Pool {
	e.t.Helper()
	p := licensing.Pool{ID: id, SKU: "agent", Model: licensing.ModelNamed, Seats: seats, MonthlyPrice: 95}
	for _, m := range mod {
		m(&p)
	}
	return e.createPool(p)
}

func (e *env) user(name string, groups ...string) licensing.User {
	e.t.Helper()
	u, err := e.s.CreateUser(e.ctx, e.admin, licensing.User{UserName: name, Email: name + "@example.com", Groups: groups, Kind: licensing.KindPerson, Active: true})
	if err != nil {
		e.t.Fatalf("CreateUser(%s): %v", name, err)
	}
	return u
}

// users creates n people prefix01, prefix02, ...
func (e *env) users(prefix string, n int, groups ...string) []licensing.User {
	e.t.Helper()
	out := make([]licensing.User, n)
	for i := range out {
		out[i] = e.user(fmt.Sprintf("%s%02d", prefix, i+1), groups...)
	}
	return out
}

func (e *env) member(pool string, users ...licensing.User) {
	e.t.Helper()
	for _, u := range users {
		if _, _, err := e.s.PutMember(e.ctx, e.admin, pool, u.UserName, ""); err != nil {
			e.t.Fatalf("PutMember(%s, %s): %v", pool, u.UserName, err)
		}
	}
}

func (e *env) tryStart(u licensing.User, pools ...string) (licensing.Session, error) {
	return e.s.StartSession(e.ctx, e.admin, u.UserName, false, pools)
}

func (e *env) start(u licensing.User, pools ...string) licensing.Session {
	e.t.Helper()
	ss, err := e.tryStart(u, pools...)
	if err != nil {
		e.t.Fatalf("StartSession(%s, %v): %v", u.UserName, pools, err)
	}
	return ss
}

// refused checks that u cannot start a session on pools for want.
func (e *env) refused(u licensing.User, want string, pools ...string) *licensing.Error {
	e.t.Helper()
	_, err := e.tryStart(u, pools...)
	return wantCode(e.t, fmt.Sprintf("StartSession(%s, %v)", u.UserName, pools), err, want)
}

func (e *env) end(ss licensing.Session) {
	e.t.Helper()
	if err := e.s.EndSession(e.ctx, e.admin, ss.ID, licensing.EndLogout); err != nil {
		e.t.Fatalf("EndSession(%s): %v", ss.ID, err)
	}
}

func (e *env) active(pool string) []licensing.Lease {
	e.t.Helper()
	ls, err := e.s.ActiveLeases(e.ctx, pool)
	if err != nil {
		e.t.Fatalf("ActiveLeases(%s): %v", pool, err)
	}
	return ls
}

func (e *env) history(pool string) []licensing.Lease {
	e.t.Helper()
	ls, err := e.s.LeaseHistory(e.ctx, pool, time.Time{}, farFuture)
	if err != nil {
		e.t.Fatalf("LeaseHistory(%s): %v", pool, err)
	}
	return ls
}

// leaseOf returns the one lease of user in the pool's history.
func (e *env) leaseOf(pool string, u licensing.User) licensing.Lease {
	e.t.Helper()
	var found []licensing.Lease
	for _, l := range e.history(pool) {
		if l.User == u.ID {
			found = append(found, l)
		}
	}
	if len(found) != 1 {
		e.t.Fatalf("LeaseHistory(%s) holds %d leases of %s, want 1: %+v", pool, len(found), u.UserName, found)
	}
	return found[0]
}

func (e *env) members(pool string) []string {
	e.t.Helper()
	ms, err := e.s.ListMembers(e.ctx, pool)
	if err != nil {
		e.t.Fatalf("ListMembers(%s): %v", pool, err)
	}
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.UserName
	}
	return out
}

func (e *env) denials() map[string]int64 {
	e.t.Helper()
	ds, err := e.s.DenialsByReason(e.ctx)
	if err != nil {
		e.t.Fatalf("DenialsByReason: %v", err)
	}
	out := map[string]int64{}
	for _, d := range ds {
		out[d.Reason] = d.Count
	}
	return out
}

func (e *env) sweep() int {
	e.t.Helper()
	n, err := e.s.Sweep(e.ctx, 24*time.Hour)
	if err != nil {
		e.t.Fatalf("Sweep: %v", err)
	}
	return n
}

// ---- raw SQL for tampering ----

// rebind turns '?' placeholders into $n for PostgreSQL.
func (e *env) rebind(q string) string {
	if e.s.Dialect() != "postgres" {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (e *env) rawExec(q string, args ...any) {
	e.t.Helper()
	if _, err := e.raw.ExecContext(e.ctx, e.rebind(q), args...); err != nil {
		e.t.Fatalf("raw %s: %v", q, err)
	}
}

// ---- small utilities ----

func sortedStrings(in []string) []string {
	out := append([]string(nil), in...)
	sort.Strings(out)
	return out
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func names(us []licensing.User) []string {
	out := make([]string, len(us))
	for i, u := range us {
		out[i] = u.UserName
	}
	return out
}
