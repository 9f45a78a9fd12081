package entitle

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

func member(user, pool, source, state string) licensing.Member {
	return licensing.Member{User: user, UserName: user + "@example.com", Pool: pool, Source: source, State: state,
		Since: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
}

// smallCompany is a hand-built company whose diff is worked out in
// TestPlanSmallCompany.
func smallCompany(t testing.TB) ([]licensing.User, []licensing.Member, *Set, []licensing.Pool) {
	pools := []licensing.Pool{
		{ID: "agent-named", SKU: "agent", Model: licensing.ModelNamed, Seats: 2, MonthlyPrice: 50},
		{ID: "agent-named-b", SKU: "agent", Model: licensing.ModelNamed, Seats: 1, Overdraft: 1, MonthlyPrice: 70},
		{ID: "agent-float", SKU: "agent", Model: licensing.ModelConcurrent, Seats: 5, MonthlyPrice: 90},
		{ID: "change-named", SKU: "change", Model: licensing.ModelNamed, Seats: 2, MonthlyPrice: 20},
	}
	set, err := Compile([]Rule{
		rule("desk", 10, Condition{JobCode: []string{"ITSD-*"}}, named("agent")),
		rule("chg", 5, Condition{Department: []string{"Change"}}, named("change")),
		rule("helpers", 1, Condition{Group: []string{"helpers"}}, Grant{SKU: "agent"}),
	})
	if err != nil {
		t.Fatal(err)
	}
	inactive := func(u *licensing.User) { u.Active = false }
	service := func(u *licensing.User) { u.Kind = licensing.KindService }
	people := []licensing.User{
		person("ann", "ITSD-1"), person("bob", "ITSD-2"), person("cat", "ITSD-3"),
		person("dan", "ITSD-4"), person("eve", "ITSD-5"),
		person("fay", "ITSD-6"),                     // holds agent manually: gains nothing
		person("gus", "SALES-1"),                    // rule seat no rule grants any more
		person("hal", "", groups("helpers")),        // either model: named full → concurrent
		person("ivy", "", dept("Change"), inactive), // leaver: loses the rule seat
		person("jon", "ITSD-9", service),            // service account: nothing
		person("kim", "", dept("change")),           // takes the seat ivy frees
		person("lee", "ITSD-7"),                     // pending since before: served first
		person("mia", "ITSD-8"),                     // seat owed to a deleted rule: relabelled
		person("nat", "HR-1"),                       // manual change seat: never removed
		person("oli", "ITSD-10"),                    // agent from a SCIM group: gains nothing
	}
	current := []licensing.Member{
		member("fay", "agent-named", licensing.SourceManual, licensing.MemberActive),
		member("gus", "agent-named-b", "rule:old-rule", licensing.MemberActive),
		member("ivy", "change-named", "rule:chg", licensing.MemberActive),
		member("lee", "agent-named", "rule:desk", licensing.MemberPending),
		member("mia", "agent-float", "rule:legacy", licensing.MemberActive),
		member("nat", "change-named", licensing.SourceManual, licensing.MemberActive),
		member("oli", "agent-float", "scim-group:agents", licensing.MemberActive),
		member("zed", "agent-float", "rule:desk", licensing.MemberActive), // deleted person
		member("zoe", "agent-named-b", licensing.SourceManual, licensing.MemberActive),
	}
	current[8].UserName = "zoe@example.com"
	return people, current, set, pools
}

func ch(user, sku, pool, rule, reason string) Change {
	return Change{User: user, UserName: user + "@example.com", SKU: sku, Pool: pool, Rule: rule, Reason: reason}
}

func TestPlanSmallCompany(t *testing.T) {
	people, current, set, pools := smallCompany(t)
	got := Plan(people, current, set, pools, nil)
	// agent-named: fay (manual) + lee (was pending) = 2/2. agent-named-b:
	// zoe (manual), gus leaves → ann takes the last of seats+overdraft.
	// bob, cat, dan, eve wait on the cheapest named pool: short by 4.
	want := Diff{
		Gains: []Change{
			ch("ann", "agent", "agent-named-b", "desk", ""),
			ch("hal", "agent", "agent-float", "helpers", ""),
			ch("kim", "change", "change-named", "chg", ""),
			ch("lee", "agent", "agent-named", "desk", ReasonSeatFreed),
		},
		Losses: []Change{
			ch("gus", "agent", "agent-named-b", "old-rule", ReasonNotEntitled),
			ch("ivy", "change", "change-named", "chg", ReasonInactive),
			ch("zed", "agent", "agent-float", "desk", ReasonUnknownUser),
		},
		Pending: []Change{
			ch("bob", "agent", "agent-named", "desk", ReasonPoolFull),
			ch("cat", "agent", "agent-named", "desk", ReasonPoolFull),
			ch("dan", "agent", "agent-named", "desk", ReasonPoolFull),
			ch("eve", "agent", "agent-named", "desk", ReasonPoolFull),
		},
		Relabels:  []Change{ch("mia", "agent", "agent-float", "desk", ReasonRuleChanged)},
		Overflows: []Overflow{{Pool: "agent-named", ShortBy: 4}},
	}
	for _, c := range []struct {
		name      string
		got, want any
	}{
		{"gains", got.Gains, want.Gains},
		{"losses", got.Losses, want.Losses},
		{"pending", got.Pending, want.Pending},
		{"relabels", got.Relabels, want.Relabels},
		{"overflows", got.Overflows, want.Overflows},
	} {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", c.name, c.got, c.want)
		}
	}
}

func TestPlanModels(t *testing.T) {
	pools := []licensing.Pool{
		{ID: "cheap-float", SKU: "agent", Model: licensing.ModelConcurrent, MonthlyPrice: 10},
		{ID: "named", SKU: "agent", Model: licensing.ModelNamed, Seats: 1, MonthlyPrice: 40},
		{ID: "named-b", SKU: "agent", Model: licensing.ModelNamed, Seats: 1, MonthlyPrice: 40},
	}
	tests := []struct {
		name    string
		grant   Grant
		pools   []licensing.Pool
		gains   []Change
		pending []Change
		over    []Overflow
	}{
		{"either takes the cheapest", Grant{SKU: "agent"}, pools,
			[]Change{ch("a", "agent", "cheap-float", "r", "")}, nil, nil},
		{"named skips concurrent, ties by id", named("agent"), pools,
			[]Change{ch("a", "agent", "named", "r", "")}, nil, nil},
		{"concurrent only", Grant{SKU: "agent", Model: licensing.ModelConcurrent}, pools,
			[]Change{ch("a", "agent", "cheap-float", "r", "")}, nil, nil},
		{"no pool of the model", Grant{SKU: "agent", Model: licensing.ModelConcurrent}, pools[1:],
			nil, []Change{ch("a", "agent", "", "r", ReasonNoPool)}, nil},
		{"full named pool", named("agent"), []licensing.Pool{{ID: "tiny", SKU: "agent", Model: licensing.ModelNamed}},
			nil, []Change{ch("a", "agent", "tiny", "r", ReasonPoolFull)}, []Overflow{{Pool: "tiny", ShortBy: 1}}},
		{"overdraft counts as room", named("agent"), []licensing.Pool{{ID: "od", SKU: "agent", Model: licensing.ModelNamed, Overdraft: 1}},
			[]Change{ch("a", "agent", "od", "r", "")}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, err := Compile([]Rule{rule("r", 1, Condition{JobCode: []string{"x"}}, tt.grant)})
			if err != nil {
				t.Fatal(err)
			}
			d := Plan([]licensing.User{person("a", "X")}, nil, set, slices.Clone(tt.pools), nil)
			if !reflect.DeepEqual(d.Gains, tt.gains) || !reflect.DeepEqual(d.Pending, tt.pending) || !reflect.DeepEqual(d.Overflows, tt.over) {
				t.Errorf("got gains %+v pending %+v overflows %+v\nwant gains %+v pending %+v overflows %+v",
					d.Gains, d.Pending, d.Overflows, tt.gains, tt.pending, tt.over)
			}
		})
	}
}

func TestPlanKeepsManualAndHeld(t *testing.T) {
	pools := []licensing.Pool{{ID: "p", SKU: "agent", Model: licensing.ModelNamed, Seats: 10}}
	set, err := Compile([]Rule{rule("desk", 1, Condition{JobCode: []string{"ITSD-*"}}, named("agent"))})
	if err != nil {
		t.Fatal(err)
	}
	people := []licensing.User{person("a", "SALES"), person("b", "ITSD-1"), person("c", "ITSD-2")}
	current := []licensing.Member{
		member("a", "p", licensing.SourceManual, licensing.MemberActive), // not entitled, manual: kept
		member("a", "p", "scim-group:agents", licensing.MemberActive),    // kept
		member("b", "p", "rule:desk", licensing.MemberActive),            // entitled, held: nothing
		member("c", "p", licensing.SourceManual, licensing.MemberActive), // manual now...
		member("c", "p", "rule:desk", licensing.MemberPending),           // ...so the stale pending row goes
	}
	d := Plan(people, current, set, pools, nil)
	want := Diff{Losses: []Change{ch("c", "agent", "p", "desk", ReasonAlreadyHeld)}}
	if !reflect.DeepEqual(d, want) {
		t.Errorf("Plan = %+v, want %+v", d, want)
	}
	if d := Plan(people[:2], current[:3], set, pools, nil); !d.Empty() {
		t.Errorf("steady state: Plan = %+v, want an empty diff", d)
	}
}

func TestPlanDeterministic(t *testing.T) {
	people, current, set, pools := smallCompany(t)
	want := Plan(people, current, set, pools, nil)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 20 {
		p, c, pl := slices.Clone(people), slices.Clone(current), slices.Clone(pools)
		r.Shuffle(len(p), func(i, j int) { p[i], p[j] = p[j], p[i] })
		r.Shuffle(len(c), func(i, j int) { c[i], c[j] = c[j], c[i] })
		r.Shuffle(len(pl), func(i, j int) { pl[i], pl[j] = pl[j], pl[i] })
		if got := Plan(p, c, set, pl, nil); !reflect.DeepEqual(got, want) {
			t.Fatalf("shuffle %d: Plan =\n%+v\nwant\n%+v", i, got, want)
		}
	}
}

func TestPlanPerson(t *testing.T) {
	people, current, set, pools := smallCompany(t)
	held := func(pool string) int {
		n := 0
		for _, m := range current {
			if m.Pool == pool && m.State != licensing.MemberPending {
				n++
			}
		}
		return n
	}
	mine := func(user string) []licensing.Member {
		var out []licensing.Member
		for _, m := range current {
			if m.User == user {
				out = append(out, m)
			}
		}
		return out
	}
	byID := func(id string) licensing.User {
		for _, u := range people {
			if u.ID == id {
				return u
			}
		}
		t.Fatalf("no person %s", id)
		return licensing.User{}
	}
	tests := []struct {
		user string
		want Diff
	}{
		// change-named holds ivy and nat: full until ivy's seat is revoked.
		{"kim", Diff{Pending: []Change{ch("kim", "change", "change-named", "chg", ReasonPoolFull)},
			Overflows: []Overflow{{Pool: "change-named", ShortBy: 1}}}},
		{"ivy", Diff{Losses: []Change{ch("ivy", "change", "change-named", "chg", ReasonInactive)}}},
		{"lee", Diff{Gains: []Change{ch("lee", "agent", "agent-named", "desk", ReasonSeatFreed)}}},
		{"ann", Diff{Gains: []Change{ch("ann", "agent", "agent-named", "desk", "")}}},
		{"gus", Diff{Losses: []Change{ch("gus", "agent", "agent-named-b", "old-rule", ReasonNotEntitled)}}},
		{"fay", Diff{}},
	}
	// agent-named holds only fay in current: one free seat for ann.
	for _, tt := range tests {
		t.Run(tt.user, func(t *testing.T) {
			got := PlanPerson(byID(tt.user), mine(tt.user), set, pools, nil, held)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("PlanPerson(%s) = %+v, want %+v", tt.user, got, tt.want)
			}
		})
	}
}

// previewCompany builds n generated people with rule, manual and pending
// memberships over five pools and twenty rules, plus a few known people.
func previewCompany(n int) ([]licensing.User, []licensing.Member, *Set, []licensing.Pool) {
	people := benchPeople(n)
	pools := []licensing.Pool{
		{ID: "p0", SKU: "sku-0", Model: licensing.ModelNamed, Seats: n / 20, MonthlyPrice: 10},
		{ID: "p1", SKU: "sku-1", Model: licensing.ModelConcurrent, Seats: n / 100, MonthlyPrice: 12},
		{ID: "p2", SKU: "sku-2", Model: licensing.ModelNamed, Seats: n / 50, Overdraft: 100, MonthlyPrice: 20},
		{ID: "p3", SKU: "sku-3", Model: licensing.ModelNamed, Seats: n / 100, MonthlyPrice: 30},
		{ID: "p4", SKU: "sku-4", Model: licensing.ModelConcurrent, Seats: n / 100, MonthlyPrice: 40},
	}
	var current []licensing.Member
	for i := range people {
		u := &people[i]
		switch i % 7 {
		case 0:
			current = append(current, licensing.Member{User: u.ID, UserName: u.UserName, Pool: fmt.Sprintf("p%d", i%5), Source: "rule:rule-004", State: licensing.MemberActive})
		case 3:
			current = append(current, licensing.Member{User: u.ID, UserName: u.UserName, Pool: "p2", Source: licensing.SourceManual, State: licensing.MemberActive})
		case 5:
			current = append(current, licensing.Member{User: u.ID, UserName: u.UserName, Pool: "p3", Source: "rule:rule-001", State: licensing.MemberPending})
		}
	}
	set, err := Compile(benchRules(20))
	if err != nil {
		panic(err)
	}
	return people, current, set, pools
}

func TestPreview100k(t *testing.T) {
	if testing.Short() {
		t.Skip("100,000 people")
	}
	people, current, set, pools := previewCompany(100_000)
	people = append(people, person("k1", "KNOWN-1"), person("k2", "known-2"), person("k3", "OTHER-1"),
		person("k4", "OTHER-2"), person("k5", "KNOWN-3", func(u *licensing.User) { u.Active = false }))
	pools = append(pools, licensing.Pool{ID: "pk", SKU: "sku-k", Model: licensing.ModelNamed, Seats: 1})
	current = append(current,
		member("k3", "pk", "rule:known", licensing.MemberActive),
		member("k4", "p0", licensing.SourceManual, licensing.MemberActive))
	next, err := set.With(rule("known", 999, Condition{JobCode: []string{"KNOWN-*"}}, named("sku-k")))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	d := Plan(people, current, next, pools, nil)
	t.Logf("preview of %d people, %d rules: %v; %d gains, %d losses, %d pending, %d relabels, %d overflows",
		len(people), next.Len(), time.Since(start), len(d.Gains), len(d.Losses), len(d.Pending), len(d.Relabels), len(d.Overflows))
	find := func(list []Change, user string) []Change {
		var out []Change
		for _, c := range list {
			if c.User == user {
				out = append(out, c)
			}
		}
		return out
	}
	checks := []struct {
		name string
		got  []Change
		want []Change
	}{
		{"k1 gains", find(d.Gains, "k1"), []Change{ch("k1", "sku-k", "pk", "known", "")}},
		{"k2 pending", find(d.Pending, "k2"), []Change{ch("k2", "sku-k", "pk", "known", ReasonPoolFull)}},
		{"k3 loses", find(d.Losses, "k3"), []Change{ch("k3", "sku-k", "pk", "known", ReasonNotEntitled)}},
		{"k4 keeps manual", find(d.Losses, "k4"), nil},
		{"k5 inactive", find(d.Gains, "k5"), nil},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s: got %+v, want %+v", c.name, c.got, c.want)
		}
	}
	// k3 leaves pk and k1 takes it; k2 waits: pk is short by one.
	if i := slices.IndexFunc(d.Overflows, func(o Overflow) bool { return o.Pool == "pk" }); i < 0 || d.Overflows[i].ShortBy != 1 {
		t.Errorf("overflows = %+v, want pk short by 1", d.Overflows)
	}
	for _, l := range [][]Change{d.Gains, d.Losses, d.Pending} {
		if !slices.IsSortedFunc(l, func(a, b Change) int {
			return cmpChange(a.UserName, a.User, a.SKU, a.Pool, b.UserName, b.User, b.SKU, b.Pool)
		}) {
			t.Errorf("changes not sorted")
		}
	}
	if len(d.Gains) == 0 || len(d.Losses) == 0 || len(d.Pending) == 0 {
		t.Errorf("a generated company should exercise gains, losses and pending: %d/%d/%d", len(d.Gains), len(d.Losses), len(d.Pending))
	}
}
