package licensing

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// t0 is the moment every engine test starts at.
var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// testClock is the injected clock: tests move it instead of sleeping.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func (c *testClock) Advance(d time.Duration) { c.Set(c.Now().Add(d)) }

func testSKUs() []SKU {
	return []SKU{
		{Key: "agent", Name: "Agent", Tier: TierFulfiller, MonthlyPrice: 95},
		{Key: "change", Name: "Change", Tier: TierModule, Requires: []string{"agent"}, MonthlyPrice: 30},
		{Key: "requester", Name: "Requester", Tier: TierRequester},
		{Key: "stakeholder", Name: "Stakeholder", Tier: TierStakeholder, MonthlyPrice: 10},
	}
}

// testPools covers every pool shape the decision cares about: two named agent
// pools at different prices, two concurrent ones, pools outside their dates
// (cheapest of all, so a validity bug would show as a wrong Via), a module
// pool and a stakeholder pool.
func testPools(tb testing.TB) []Pool {
	tb.Helper()
	pools := []Pool{
		{ID: "agents-named", SKU: "agent", Model: ModelNamed, Seats: 40, MonthlyPrice: 95},
		{ID: "agents-named-cheap", SKU: "agent", Model: ModelNamed, Seats: 5, MonthlyPrice: 80},
		{ID: "agents-floating", SKU: "agent", Model: ModelConcurrent, Seats: 10, MonthlyPrice: 140},
		{ID: "agents-floating-cheap", SKU: "agent", Model: ModelConcurrent, Seats: 2, MonthlyPrice: 120},
		{ID: "agents-old", SKU: "agent", Model: ModelNamed, Seats: 5, MonthlyPrice: 5,
			Starts: t0.AddDate(-1, 0, 0), Ends: t0.Add(-time.Hour)},
		{ID: "agents-next", SKU: "agent", Model: ModelNamed, Seats: 5, MonthlyPrice: 5, Starts: t0.Add(24 * time.Hour)},
		{ID: "agents-floating-old", SKU: "agent", Model: ModelConcurrent, Seats: 5, MonthlyPrice: 1, Ends: t0.Add(-time.Hour)},
		{ID: "change-named", SKU: "change", Model: ModelNamed, Seats: 10, MonthlyPrice: 30},
		{ID: "stakeholders", SKU: "stakeholder", Model: ModelNamed, Seats: 10, MonthlyPrice: 10},
	}
	for i := range pools {
		if err := pools[i].Validate(); err != nil {
			tb.Fatalf("pool %s: %v", pools[i].ID, err)
		}
	}
	return pools
}

func member(user string, pools ...string) []Member {
	ms := make([]Member, len(pools))
	for i, p := range pools {
		ms[i] = Member{Pool: p, User: user, State: MemberActive, Source: SourceManual, Since: t0.AddDate(0, -1, 0)}
	}
	return ms
}

func person(id string, active bool, pools ...string) Person {
	return Person{
		User:    User{ID: "u-" + id, UserName: id, Kind: KindPerson, Active: active},
		Members: member("u-"+id, pools...),
	}
}

// testPeople are the cast of the engine tests; each is named for what they hold.
func testPeople() []Person {
	alice := person("alice", true, "agents-named", "change-named")
	alice.User.Email = "Alice@Example.com"
	alice.User.EmployeeID = "E100"
	alice.User.ExternalID = "00uAbC"

	erin := person("erin", true, "agents-floating")
	erin.Leases = []Lease{{ID: "l-erin", Pool: "agents-floating", User: "u-erin", StartedAt: t0.Add(-time.Minute),
		LastActivity: t0.Add(-time.Minute), ExpiresAt: t0.Add(30 * time.Minute)}}

	svc := person("slack-hub", true)
	svc.User.Kind = KindService

	kim := person("kim", true, "agents-named")
	kim.Members[0].State = MemberPending

	return []Person{
		alice,
		person("bob", true, "agents-named", "agents-floating"),
		person("carol", true, "agents-named", "agents-named-cheap", "agents-old"),
		person("dave", true, "agents-floating", "agents-floating-cheap", "agents-floating-old"),
		erin,
		person("frank", false, "agents-named", "change-named"),
		person("gina", true),
		svc,
		person("hank", true, "agents-old", "agents-next"),
		person("ivan", true, "change-named"),
		person("judy", true, "stakeholders"),
		kim,
		person("leo", true, "change-named", "agents-floating"),
	}
}

func testSessions() []Session {
	return []Session{
		{ID: "s-alice", User: "u-alice", StartedAt: t0},
		{ID: "s-dave", User: "u-dave", StartedAt: t0},
		{ID: "s-dave-lazy", User: "u-dave", Lazy: true, StartedAt: t0},
		{ID: "s-erin", User: "u-erin", StartedAt: t0},
		{ID: "s-leo-lazy", User: "u-leo", Lazy: true, StartedAt: t0},
		{ID: "s-gina-lazy", User: "u-gina", Lazy: true, StartedAt: t0},
	}
}

// newTestEngine returns an engine at t0 holding the test catalog, people and
// sessions, with the clock that drives it.
func newTestEngine(tb testing.TB) (*Engine, *testClock) {
	tb.Helper()
	clk := &testClock{t: t0}
	e := NewEngine(clk.Now)
	if err := e.SetCatalog(testSKUs(), testPools(tb), DefaultPolicy()); err != nil {
		tb.Fatalf("SetCatalog: %v", err)
	}
	e.LoadPeople(testPeople())
	e.LoadSessions(testSessions())
	// An ended session reaches the engine through PutSession, which drops it.
	e.PutSession(Session{ID: "s-dave-ended", User: "u-dave", StartedAt: t0.Add(-time.Hour), EndedAt: t0.Add(-time.Minute), EndReason: EndLogout})
	return e, clk
}

func sameDecision(got, want Decision) bool {
	if len(got.Missing) == 0 && len(want.Missing) == 0 {
		got.Missing, want.Missing = nil, nil
	}
	return reflect.DeepEqual(got, want)
}

func TestDecide(t *testing.T) {
	e, _ := newTestEngine(t)
	named := func(pool, sku string) Via { return Via{Kind: ViaNamed, Pool: pool, SKU: sku} }
	free := Via{Kind: ViaFree}
	tests := []struct {
		name                      string
		user, capability, session string
		want                      Decision
	}{
		// Free tier.
		{"requester capability for an agent", "u-alice", "ticket.create", "", Decision{Allow: true, Via: free, User: "u-alice"}},
		{"requester capability for a person with no seats", "u-gina", "portal.view", "", Decision{Allow: true, Via: free, User: "u-gina"}},
		{"requester capability for a service account", "u-slack-hub", "ticket.create", "", Decision{Allow: true, Via: free, User: "u-slack-hub"}},
		{"requester capability within a session", "u-gina", "chat.use", "s-gina-lazy", Decision{Allow: true, Via: free, User: "u-gina"}},

		// Unknown input.
		{"unknown capability", "u-alice", "ticket.teleport", "", Decision{Reason: ReasonUnknownCapability}},
		{"unknown user", "nobody", "ticket.create", "", Decision{Reason: ReasonUnknownUser}},
		{"empty user", "", "ticket.create", "", Decision{Reason: ReasonUnknownUser}},

		// Inactive people are denied everything, the free tier included.
		{"inactive agent capability", "u-frank", "ticket.transition", "", Decision{Reason: CodeInactive, User: "u-frank"}},
		{"inactive requester capability", "u-frank", "ticket.create", "", Decision{Reason: CodeInactive, User: "u-frank"}},
		{"inactive module capability", "u-frank", "change.approve", "", Decision{Reason: CodeInactive, User: "u-frank"}},

		// Named seats.
		{"named seat", "u-alice", "ticket.transition", "", Decision{Allow: true, Via: named("agents-named", "agent"), User: "u-alice"}},
		{"named seat within a session", "u-alice", "ticket.transition", "s-alice", Decision{Allow: true, Via: named("agents-named", "agent"), User: "u-alice"}},
		{"named seat preferred over a concurrent registration", "u-bob", "ticket.transition", "", Decision{Allow: true, Via: named("agents-named", "agent"), User: "u-bob"}},
		{"cheapest valid named pool", "u-carol", "ticket.transition", "", Decision{Allow: true, Via: named("agents-named-cheap", "agent"), User: "u-carol"}},
		{"pools outside their dates serve nobody", "u-hank", "ticket.transition", "", Decision{Reason: CodeNoLicence, Missing: []string{"agent"}, User: "u-hank"}},
		{"pending assignment is no seat", "u-kim", "ticket.transition", "", Decision{Reason: CodeNoLicence, Missing: []string{"agent"}, User: "u-kim"}},
		{"no seat at all", "u-gina", "ticket.transition", "", Decision{Reason: CodeNoLicence, Missing: []string{"agent"}, User: "u-gina"}},
		{"service account without a seat", "u-slack-hub", "ticket.transition", "", Decision{Reason: CodeNoLicence, Missing: []string{"agent"}, User: "u-slack-hub"}},

		// Modules.
		{"module and agent held", "u-alice", "change.approve", "", Decision{Allow: true, Via: named("change-named", "change"), User: "u-alice"}},
		{"module missing", "u-bob", "change.approve", "", Decision{Reason: CodeModuleMissing, Missing: []string{"change"}, User: "u-bob"}},
		{"module held, agent missing", "u-ivan", "change.approve", "", Decision{Reason: CodeNoLicence, Missing: []string{"agent"}, User: "u-ivan"}},
		{"module and agent missing", "u-gina", "change.approve", "", Decision{Reason: CodeModuleMissing, Missing: []string{"change", "agent"}, User: "u-gina"}},
		{"module held, agent only by checkout", "u-leo", "change.approve", "s-leo-lazy",
			Decision{Reason: ReasonCheckoutRequired, Checkout: "agents-floating", Missing: []string{"agent"}, User: "u-leo"}},
		{"module not in catalog", "u-alice", "asset.read", "", Decision{Reason: CodeModuleMissing, Missing: []string{"asset"}, User: "u-alice"}},

		// Concurrent seats.
		{"concurrent without a session", "u-dave", "ticket.transition", "", Decision{Reason: ReasonSessionRequired, Missing: []string{"agent"}, User: "u-dave"}},
		{"lazy session without a lease", "u-dave", "ticket.transition", "s-dave-lazy",
			Decision{Reason: ReasonCheckoutRequired, Checkout: "agents-floating-cheap", Missing: []string{"agent"}, User: "u-dave"}},
		{"non-lazy session without a lease", "u-dave", "ticket.transition", "s-dave", Decision{Reason: CodeNoLicence, Missing: []string{"agent"}, User: "u-dave"}},
		{"lease held", "u-erin", "ticket.transition", "s-erin",
			Decision{Allow: true, Via: Via{Kind: ViaConcurrent, Pool: "agents-floating", SKU: "agent", Lease: "l-erin"}, User: "u-erin"}},
		{"lease held, no session named", "u-erin", "ticket.transition", "",
			Decision{Allow: true, Via: Via{Kind: ViaConcurrent, Pool: "agents-floating", SKU: "agent", Lease: "l-erin"}, User: "u-erin"}},

		// Sessions.
		{"session of another user", "u-alice", "ticket.transition", "s-dave", Decision{Reason: ReasonSessionInvalid, User: "u-alice"}},
		{"ended session", "u-dave", "ticket.transition", "s-dave-ended", Decision{Reason: ReasonSessionInvalid, User: "u-dave"}},
		{"unknown session", "u-dave", "ticket.transition", "s-nope", Decision{Reason: ReasonSessionInvalid, User: "u-dave"}},

		// Stakeholders.
		{"stakeholder seat", "u-judy", "report.view", "", Decision{Allow: true, Via: named("stakeholders", "stakeholder"), User: "u-judy"}},
		{"agent seat covers stakeholder capability", "u-alice", "report.view", "", Decision{Allow: true, Via: named("agents-named", "agent"), User: "u-alice"}},
		{"agent lease covers stakeholder capability", "u-erin", "dashboard.view", "s-erin",
			Decision{Allow: true, Via: Via{Kind: ViaConcurrent, Pool: "agents-floating", SKU: "agent", Lease: "l-erin"}, User: "u-erin"}},
		{"stakeholder capability without a seat", "u-gina", "report.view", "", Decision{Reason: CodeNoLicence, Missing: []string{"agent", "stakeholder"}, User: "u-gina"}},
		{"stakeholder seat is no agent seat", "u-judy", "ticket.transition", "", Decision{Reason: CodeNoLicence, Missing: []string{"agent"}, User: "u-judy"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := e.Decide(tt.user, tt.capability, tt.session)
			if !sameDecision(got, tt.want) {
				t.Errorf("Decide(%q, %q, %q) = %+v, want %+v", tt.user, tt.capability, tt.session, got, tt.want)
			}
		})
	}
}

func TestDecideLeaseExpiry(t *testing.T) {
	e, clk := newTestEngine(t)
	tests := []struct {
		name      string
		at        time.Time
		session   string
		wantAllow bool
		wantWhy   string
	}{
		{"fresh lease", t0, "s-erin", true, ""},
		{"a moment before expiry", t0.Add(30*time.Minute - time.Nanosecond), "s-erin", true, ""},
		{"at expiry", t0.Add(30 * time.Minute), "s-erin", false, CodeNoLicence},
		{"past expiry, no session", t0.Add(31 * time.Minute), "", false, ReasonSessionRequired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk.Set(tt.at)
			got := e.Decide("u-erin", "ticket.transition", tt.session)
			if got.Allow != tt.wantAllow || got.Reason != tt.wantWhy {
				t.Errorf("at %v: Decide = %+v, want allow %v reason %q", tt.at, got, tt.wantAllow, tt.wantWhy)
			}
		})
	}
}

func TestDecidePoolValidityFollowsClock(t *testing.T) {
	e, clk := newTestEngine(t)
	tests := []struct {
		name     string
		at       time.Time
		wantPool string // "" for a denial
	}{
		{"before the old pool ended", t0.Add(-2 * time.Hour), "agents-old"},
		{"at the old pool's end", t0.Add(-time.Hour), ""},
		{"between the pools", t0, ""},
		{"at the next pool's start", t0.Add(24 * time.Hour), "agents-next"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk.Set(tt.at)
			got := e.Decide("u-hank", "ticket.transition", "")
			if got.Allow != (tt.wantPool != "") || got.Via.Pool != tt.wantPool {
				t.Errorf("at %v: Decide = %+v, want pool %q", tt.at, got, tt.wantPool)
			}
		})
	}
	// A concurrent pool out of its dates is never offered for checkout, though cheapest.
	clk.Set(t0.Add(-2 * time.Hour))
	if got := e.Decide("u-dave", "ticket.transition", "s-dave-lazy"); got.Checkout != "agents-floating-old" {
		t.Errorf("before its end: Checkout = %q, want %q", got.Checkout, "agents-floating-old")
	}
	clk.Set(t0)
	if got := e.Decide("u-dave", "ticket.transition", "s-dave-lazy"); got.Checkout != "agents-floating-cheap" {
		t.Errorf("after its end: Checkout = %q, want %q", got.Checkout, "agents-floating-cheap")
	}
}

func TestPoolsToLease(t *testing.T) {
	e, clk := newTestEngine(t)
	tests := []struct {
		name string
		user string
		at   time.Time
		want []string
	}{
		{"named seat excludes its SKU", "u-bob", t0, nil},
		{"named only", "u-alice", t0, nil},
		{"cheapest valid concurrent pool", "u-dave", t0, []string{"agents-floating-cheap"}},
		{"expired pool is cheapest while valid", "u-dave", t0.Add(-2 * time.Hour), []string{"agents-floating-old"}},
		{"module on a named seat, agent concurrent", "u-leo", t0, []string{"agents-floating"}},
		{"no seats", "u-gina", t0, nil},
		{"unknown person", "u-nobody", t0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk.Set(tt.at)
			if got := e.PoolsToLease(tt.user); !slices.Equal(got, tt.want) {
				t.Errorf("PoolsToLease(%q) = %q, want %q", tt.user, got, tt.want)
			}
		})
	}
}

func TestDecideByAlias(t *testing.T) {
	e, _ := newTestEngine(t)
	for _, key := range []string{
		"u-alice",
		"alice", "ALICE",
		"alice@example.com", "Alice@Example.com", "ALICE@EXAMPLE.COM",
		"E100", "e100",
		"00uAbC", "00uabc", "00UABC",
	} {
		t.Run(key, func(t *testing.T) {
			got := e.Decide(key, "ticket.transition", "")
			if !got.Allow || got.User != "u-alice" {
				t.Errorf("Decide(%q) = %+v, want allow for u-alice", key, got)
			}
			if id, ok := e.Resolve(key); !ok || id != "u-alice" {
				t.Errorf("Resolve(%q) = %q, %v, want u-alice, true", key, id, ok)
			}
		})
	}
	if u, ok := e.User("E100"); !ok || u.ID != "u-alice" {
		t.Errorf("User(E100) = %+v, %v, want u-alice", u, ok)
	}
}

func TestPutPersonReplacesAliases(t *testing.T) {
	e, _ := newTestEngine(t)
	alice := testPeople()[0]
	alice.User.Email = "alice.smith@example.com"
	alice.User.EmployeeID = ""
	e.PutPerson(alice)

	tests := []struct {
		key    string
		wantID string
	}{
		{"alice@example.com", ""},
		{"e100", ""},
		{"alice.smith@example.com", "u-alice"},
		{"Alice.Smith@Example.com", "u-alice"},
		{"alice", "u-alice"},
		{"00uabc", "u-alice"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			got := e.Decide(tt.key, "ticket.create", "")
			if got.User != tt.wantID {
				t.Errorf("Decide(%q).User = %q (%+v), want %q", tt.key, got.User, got, tt.wantID)
			}
		})
	}
}

// Email, employee ID and external ID are not unique (RFC 7643 §4.1.1: only
// userName is), so two people may share one. A shared key names nobody
// until one of them drops it; dropping it must not take it from the other.
func TestSharedAliases(t *testing.T) {
	e, _ := newTestEngine(t)
	rehire := person("alice2", true, "agents-named")
	rehire.User.Email = "alice@example.com"
	e.PutPerson(rehire)
	if id, n := e.Lookup("Alice@Example.com"); id != "" || n != 2 {
		t.Fatalf("a shared email: Lookup = %q, %d; want nobody, 2 candidates", id, n)
	}
	if _, ok := e.Resolve("alice@example.com"); ok {
		t.Errorf("Resolve of a shared email found someone")
	}
	// The user name stays unique and wins over another's email.
	if id, n := e.Lookup("alice2"); id != "u-alice2" || n != 1 {
		t.Errorf("Lookup(alice2) = %q, %d; want u-alice2", id, n)
	}

	old := testPeople()[0]
	old.User.Email = ""
	old.User.Active = false
	e.PutPerson(old)
	if id, _ := e.Resolve("alice@example.com"); id != "u-alice2" {
		t.Errorf("after the old account dropped the email, Resolve(email) = %q, want u-alice2", id)
	}
	if id, _ := e.Resolve("e100"); id != "u-alice" {
		t.Errorf("Resolve(e100) = %q, want u-alice", id)
	}

	e.RemovePerson("u-alice")
	if id, _ := e.Resolve("alice@example.com"); id != "u-alice2" {
		t.Errorf("after removing the old account, Resolve(email) = %q, want u-alice2", id)
	}
	if _, ok := e.Resolve("e100"); ok {
		t.Errorf("after removing the old account, Resolve(e100) found someone")
	}
	if a := testing.AllocsPerRun(100, func() { e.Lookup("alice2") }); a != 0 {
		t.Errorf("Lookup by an exact user name allocates %v times, want 0", a)
	}
}

func TestRemovePerson(t *testing.T) {
	e, _ := newTestEngine(t)
	before := e.PeopleCount()
	e.RemovePerson("u-alice")
	for _, key := range []string{"u-alice", "alice", "alice@example.com", "E100", "00uabc"} {
		if got := e.Decide(key, "ticket.create", ""); got.Reason != ReasonUnknownUser || got.Allow {
			t.Errorf("Decide(%q) after RemovePerson = %+v, want reason %q", key, got, ReasonUnknownUser)
		}
	}
	if got, want := e.PeopleCount(), before-1; got != want {
		t.Errorf("PeopleCount = %d, want %d", got, want)
	}
	if got := e.PoolsToLease("u-alice"); got != nil {
		t.Errorf("PoolsToLease after RemovePerson = %q, want nil", got)
	}
	// Others are untouched, and removing an unknown id is harmless.
	e.RemovePerson("u-nobody")
	if got := e.Decide("bob", "ticket.transition", ""); !got.Allow {
		t.Errorf("Decide(bob) = %+v, want allow", got)
	}
}

func TestPutPersonChangesSeats(t *testing.T) {
	e, _ := newTestEngine(t)
	gina := person("gina", true, "agents-named")
	e.PutPerson(gina)
	if got := e.Decide("gina", "ticket.transition", ""); !got.Allow || got.Via.Pool != "agents-named" {
		t.Errorf("after a grant: Decide = %+v, want allow via agents-named", got)
	}
	gina.User.Active = false
	e.PutPerson(gina)
	if got := e.Decide("gina", "portal.view", ""); got.Allow || got.Reason != CodeInactive {
		t.Errorf("after deactivation: Decide = %+v, want reason inactive", got)
	}
}

func TestSetCatalogChangesPolicy(t *testing.T) {
	e, _ := newTestEngine(t)
	policy := DefaultPolicy()
	policy["ticket.transition"] = Requirement{Tier: TierRequester}
	policy["report.export"] = Requirement{Tier: TierStakeholder}
	policy["ticket.read_all"] = Requirement{Tier: TierFulfiller, SKUs: []string{"agent"}}
	delete(policy, "kb.read")
	if err := e.SetCatalog(testSKUs(), testPools(t), policy); err != nil {
		t.Fatalf("SetCatalog: %v", err)
	}
	tests := []struct {
		name, user, capability string
		want                   Decision
	}{
		{"capability made free", "u-gina", "ticket.transition", Decision{Allow: true, Via: Via{Kind: ViaFree}, User: "u-gina"}},
		{"capability added", "u-judy", "report.export", Decision{Allow: true, Via: Via{Kind: ViaNamed, Pool: "stakeholders", SKU: "stakeholder"}, User: "u-judy"}},
		{"capability naming its SKUs", "u-judy", "ticket.read_all", Decision{Reason: CodeNoLicence, Missing: []string{"agent"}, User: "u-judy"}},
		{"capability removed", "u-alice", "kb.read", Decision{Reason: ReasonUnknownCapability}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := e.Decide(tt.user, tt.capability, ""); !sameDecision(got, tt.want) {
				t.Errorf("Decide(%q, %q) = %+v, want %+v", tt.user, tt.capability, got, tt.want)
			}
		})
	}
	if _, ok := e.Policy()["kb.read"]; ok {
		t.Errorf("Policy() still has kb.read")
	}

	// Dropping a pool from the catalog takes its seats away at once.
	var pools []Pool
	for _, p := range testPools(t) {
		if p.ID != "agents-named" {
			pools = append(pools, p)
		}
	}
	if err := e.SetCatalog(testSKUs(), pools, DefaultPolicy()); err != nil {
		t.Fatalf("SetCatalog: %v", err)
	}
	if got := e.Decide("u-alice", "ticket.transition", ""); got.Allow || got.Reason != CodeNoLicence {
		t.Errorf("after the pool was dropped: Decide = %+v, want no_licence", got)
	}
	if _, ok := e.Pool("agents-named"); ok {
		t.Errorf("Pool(agents-named) still found")
	}
}

func TestSetCatalogRejects(t *testing.T) {
	tests := []struct {
		name      string
		skus      func() []SKU
		pools     func(testing.TB) []Pool
		policy    Policy
		wantCode  string
		wantField string
	}{
		{
			name: "pool with unknown SKU",
			skus: testSKUs,
			pools: func(tb testing.TB) []Pool {
				return append(testPools(tb), Pool{ID: "ghost", SKU: "ghost", Model: ModelNamed, Seats: 1})
			},
			policy: DefaultPolicy(), wantCode: CodeNotFound, wantField: "sku",
		},
		{
			name: "module requiring a requester SKU",
			skus: func() []SKU {
				return append(testSKUs(), SKU{Key: "asset", Tier: TierModule, Requires: []string{"requester"}})
			},
			pools: testPools, policy: DefaultPolicy(), wantCode: CodeInvalid, wantField: "requires",
		},
		{
			name: "module requiring another module",
			skus: func() []SKU {
				return append(testSKUs(), SKU{Key: "asset", Tier: TierModule, Requires: []string{"change"}})
			},
			pools: testPools, policy: DefaultPolicy(), wantCode: CodeInvalid, wantField: "requires",
		},
		{
			name: "module requiring an unknown SKU",
			skus: func() []SKU {
				return append(testSKUs(), SKU{Key: "asset", Tier: TierModule, Requires: []string{"ghost"}})
			},
			pools: testPools, policy: DefaultPolicy(), wantCode: CodeInvalid, wantField: "requires",
		},
		{
			name: "capability with an unknown tier", skus: testSKUs, pools: testPools,
			policy: Policy{"ticket.transition": {Tier: "wizard"}}, wantCode: CodeInvalid, wantField: "tier",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, _ := newTestEngine(t)
			skus, pools := tt.skus(), tt.pools(t)
			err := e.SetCatalog(skus, pools, tt.policy)
			ae, ok := AsError(err)
			if !ok || ae.Code != tt.wantCode || ae.Field != tt.wantField {
				t.Fatalf("SetCatalog error = %v, want code %q field %q", err, tt.wantCode, tt.wantField)
			}
			if err2 := CheckCatalog(skus, pools, tt.policy); ErrorCode(err2) != tt.wantCode {
				t.Errorf("CheckCatalog error = %v, want code %q", err2, tt.wantCode)
			}
			// The catalog in force is unchanged.
			if got := e.Decide("u-alice", "change.approve", ""); !got.Allow || got.Via.Pool != "change-named" {
				t.Errorf("after the rejected catalog: Decide = %+v, want allow via change-named", got)
			}
		})
	}
}

// A new installation has the default policy before any agent SKU exists:
// desk work must be refused as unlicensed, never sent to a checkout of no pool.
func TestDecideWithoutAnySeatableSKU(t *testing.T) {
	clk := &testClock{t: t0}
	e := NewEngine(clk.Now)
	if err := e.SetCatalog([]SKU{{Key: "requester", Tier: TierRequester}}, nil, DefaultPolicy()); err != nil {
		t.Fatalf("SetCatalog: %v", err)
	}
	e.PutPerson(person("gina", true))
	e.PutSession(Session{ID: "s-gina-lazy", User: "u-gina", Lazy: true, StartedAt: t0})
	tests := []struct {
		name, capability, session string
		wantAllow                 bool
		wantReason                string
	}{
		{"free tier", "ticket.create", "", true, ""},
		{"agent capability", "ticket.transition", "", false, CodeNoLicence},
		{"agent capability in a lazy session", "ticket.transition", "s-gina-lazy", false, CodeNoLicence},
		{"stakeholder capability in a lazy session", "report.view", "s-gina-lazy", false, CodeNoLicence},
		{"module capability", "change.approve", "s-gina-lazy", false, CodeModuleMissing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := e.Decide("u-gina", tt.capability, tt.session)
			if got.Allow != tt.wantAllow || got.Reason != tt.wantReason || got.Checkout != "" {
				t.Errorf("Decide(%q, %q) = %+v, want allow %v reason %q and no checkout", tt.capability, tt.session, got, tt.wantAllow, tt.wantReason)
			}
		})
	}
}

func TestTakeTouches(t *testing.T) {
	e, clk := newTestEngine(t)
	if got := e.TakeTouches(); len(got) != 0 {
		t.Fatalf("TakeTouches before any decision = %+v, want none", got)
	}
	e.Decide("u-alice", "ticket.transition", "") // a named seat has no lease to touch
	if got := e.TakeTouches(); len(got) != 0 {
		t.Fatalf("TakeTouches after a named decision = %+v, want none", got)
	}

	clk.Set(t0.Add(time.Minute))
	if d := e.Decide("u-erin", "ticket.transition", "s-erin"); !d.Allow {
		t.Fatalf("Decide(erin) = %+v, want allow", d)
	}
	clk.Set(t0.Add(2 * time.Minute))
	e.Decide("u-erin", "ticket.update", "s-erin")
	got := e.TakeTouches()
	if len(got) != 1 || got[0].Lease != "l-erin" || !got[0].At.Equal(t0.Add(2*time.Minute)) {
		t.Errorf("TakeTouches = %+v, want one touch of l-erin at %v", got, t0.Add(2*time.Minute))
	}
	if got := e.TakeTouches(); len(got) != 0 {
		t.Errorf("second TakeTouches = %+v, want none", got)
	}

	// Unflushed activity survives a rebuild of the person.
	clk.Set(t0.Add(3 * time.Minute))
	e.Decide("u-erin", "ticket.update", "s-erin")
	e.PutPerson(testPeople()[4])
	got = e.TakeTouches()
	if len(got) != 1 || got[0].Lease != "l-erin" || !got[0].At.Equal(t0.Add(3*time.Minute)) {
		t.Errorf("TakeTouches after PutPerson = %+v, want one touch of l-erin at %v", got, t0.Add(3*time.Minute))
	}

	// An expired lease is not used, so not touched.
	clk.Set(t0.Add(time.Hour))
	e.Decide("u-erin", "ticket.update", "s-erin")
	if got := e.TakeTouches(); len(got) != 0 {
		t.Errorf("TakeTouches after an expired lease = %+v, want none", got)
	}
}

func TestDecideAllowDoesNotAllocate(t *testing.T) {
	e, _ := newTestEngine(t)
	tests := []struct {
		name, user, capability, session string
	}{
		{"named seat", "u-alice", "ticket.transition", ""},
		{"named seat by user name", "alice", "ticket.transition", "s-alice"},
		{"module on named seats", "u-alice", "change.approve", ""},
		{"lease", "u-erin", "ticket.transition", "s-erin"},
		{"free tier", "u-gina", "ticket.create", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if d := e.Decide(tt.user, tt.capability, tt.session); !d.Allow {
				t.Fatalf("Decide = %+v, want allow", d)
			}
			allocs := testing.AllocsPerRun(1000, func() {
				e.Decide(tt.user, tt.capability, tt.session)
			})
			if allocs != 0 {
				t.Errorf("Decide(%q, %q, %q) allocates %v times per run, want 0", tt.user, tt.capability, tt.session, allocs)
			}
		})
	}
}

// TestDecideConcurrentWrites runs decisions while people, sessions and the
// catalog change underneath; under -race it checks the read path's lock-free
// snapshot, and every answer must be a well-formed decision.
func TestDecideConcurrentWrites(t *testing.T) {
	e, clk := newTestEngine(t)
	const churn = 32
	churnPerson := func(i, round int) Person {
		id := fmt.Sprintf("churn%02d", i)
		var p Person
		switch round % 4 {
		case 0:
			p = person(id, true, "agents-named", "change-named")
		case 1:
			p = person(id, true, "agents-floating")
			p.Leases = []Lease{{ID: "l-" + id, Pool: "agents-floating", User: "u-" + id, ExpiresAt: t0.Add(time.Hour)}}
		case 2:
			p = person(id, false, "agents-named")
		default:
			p = person(id, true, "stakeholders")
		}
		p.User.Email = id + "@example.com"
		if round%3 == 0 {
			p.User.EmployeeID = fmt.Sprintf("C%02d", i)
		}
		return p
	}
	for i := range churn {
		e.PutPerson(churnPerson(i, 0))
	}

	var keys []string
	for _, p := range testPeople() {
		keys = append(keys, p.User.ID, p.User.UserName)
	}
	for i := range churn {
		keys = append(keys, fmt.Sprintf("u-churn%02d", i), fmt.Sprintf("CHURN%02d@example.com", i), fmt.Sprintf("c%02d", i))
	}
	keys = append(keys, "nobody")
	caps := []string{"ticket.transition", "ticket.create", "change.approve", "report.view", "kb.read", "ticket.teleport"}
	sessions := []string{"", "", "s-erin", "s-dave-lazy", "s-churn", "s-nope"}

	validReasons := map[string]bool{
		ReasonUnknownCapability: true, ReasonUnknownUser: true, CodeInactive: true,
		ReasonSessionRequired: true, ReasonSessionInvalid: true, ReasonCheckoutRequired: true,
		CodeNoLicence: true, CodeModuleMissing: true,
	}
	check := func(d Decision) string {
		if d.Allow {
			switch {
			case d.Reason != "" || d.Missing != nil || d.Checkout != "" || d.User == "":
				return "allow with denial fields"
			case d.Via.Kind == ViaFree && d.Via != (Via{Kind: ViaFree}):
				return "free via names a seat"
			case d.Via.Kind == ViaNamed && (d.Via.Pool == "" || d.Via.Lease != ""):
				return "named via without pool"
			case d.Via.Kind == ViaConcurrent && (d.Via.Pool == "" || d.Via.Lease == ""):
				return "concurrent via without lease"
			case d.Via.Kind != ViaFree && d.Via.Kind != ViaNamed && d.Via.Kind != ViaConcurrent:
				return "unknown via"
			}
			return ""
		}
		switch {
		case !validReasons[d.Reason]:
			return "unknown reason"
		case d.Via != (Via{}):
			return "denial with via"
		case d.Reason == ReasonCheckoutRequired && d.Checkout == "":
			return "checkout without pool"
		case d.Reason != ReasonCheckoutRequired && d.Checkout != "":
			return "checkout on another reason"
		case (d.Reason == CodeNoLicence || d.Reason == CodeModuleMissing) && len(d.Missing) == 0:
			return "denial without missing SKUs"
		}
		return ""
	}

	var done atomic.Bool
	var decisions, allows atomic.Int64
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 1))
			for n := 0; !done.Load() || n < 1000; n++ {
				key := keys[rng.IntN(len(keys))]
				cp := caps[rng.IntN(len(caps))]
				sess := sessions[rng.IntN(len(sessions))]
				d := e.Decide(key, cp, sess)
				if bad := check(d); bad != "" {
					t.Errorf("Decide(%q, %q, %q) = %+v: %s", key, cp, sess, d, bad)
					return
				}
				decisions.Add(1)
				if d.Allow {
					allows.Add(1)
				}
				if n%64 == 0 {
					e.PoolsToLease(key)
					e.TakeTouches()
				}
			}
		}()
	}

	policies := []Policy{DefaultPolicy(), DefaultPolicy()}
	policies[1]["ticket.transition"] = Requirement{Tier: TierRequester}
	delete(policies[1], "report.view")
	for round := range 400 {
		i := round % churn
		switch round % 5 {
		case 0:
			e.RemovePerson(fmt.Sprintf("u-churn%02d", i))
		case 1:
			if err := e.SetCatalog(testSKUs(), testPools(t), policies[round%2]); err != nil {
				t.Fatalf("SetCatalog: %v", err)
			}
		case 2:
			s := Session{ID: "s-churn", User: fmt.Sprintf("u-churn%02d", i), Lazy: round%2 == 0, StartedAt: t0}
			if round%4 == 0 {
				s.EndedAt = t0
			}
			e.PutSession(s)
		case 3:
			clk.Advance(time.Second)
		}
		e.PutPerson(churnPerson(i, round))
		switch round % 100 {
		case 50:
			all := testPeople()
			for j := range churn {
				if j%2 == 0 {
					all = append(all, churnPerson(j, round+j))
				}
			}
			e.LoadPeople(all)
		case 99:
			e.LoadSessions(testSessions())
		}
	}
	done.Store(true)
	wg.Wait()
	if decisions.Load() == 0 || allows.Load() == 0 {
		t.Errorf("decisions = %d, allows = %d, want both above 0", decisions.Load(), allows.Load())
	}
}

// TestDecideHeld: an integration's call keeps a lease only to its hold from
// now, never as a person's own activity (which the store extends by the
// pool's idle timeout), and the later of two holds wins.
func TestDecideHeld(t *testing.T) {
	e, clk := newTestEngine(t)
	t0 := clk.Now()
	if d := e.DecideHeld("u-erin", "ticket.transition", "s-erin", time.Minute); !d.Allow {
		t.Fatalf("DecideHeld(erin) = %+v, want allow", d)
	}
	clk.Set(t0.Add(10 * time.Second))
	e.DecideHeld("u-erin", "ticket.update", "", 30*time.Second) // ends sooner than the first hold
	got := e.TakeTouches()
	if len(got) != 1 || got[0].Lease != "l-erin" || !got[0].At.IsZero() || !got[0].HeldUntil.Equal(t0.Add(time.Minute)) {
		t.Fatalf("TakeTouches = %+v, want l-erin held until %v and no own activity", got, t0.Add(time.Minute))
	}
	// Held and own activity are reported side by side; a rebuild keeps both.
	e.DecideHeld("u-erin", "ticket.update", "", 2*time.Minute)
	e.Decide("u-erin", "ticket.update", "s-erin")
	e.PutPerson(testPeople()[4])
	got = e.TakeTouches()
	if len(got) != 1 || !got[0].At.Equal(t0.Add(10*time.Second)) || !got[0].HeldUntil.Equal(t0.Add(10*time.Second+2*time.Minute)) {
		t.Errorf("TakeTouches = %+v, want own activity at %v and held until %v", got, t0.Add(10*time.Second), t0.Add(10*time.Second+2*time.Minute))
	}
	// A denied call holds nothing.
	e.DecideHeld("u-erin", "nope.nope", "", time.Hour)
	if got := e.TakeTouches(); len(got) != 0 {
		t.Errorf("TakeTouches after a denial = %+v, want none", got)
	}
	allocs := testing.AllocsPerRun(1000, func() { e.DecideHeld("u-erin", "ticket.transition", "s-erin", time.Minute) })
	if allocs != 0 {
		t.Errorf("DecideHeld allocates %v times per run, want 0", allocs)
	}
}
