package entitle

import (
	"reflect"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

func withGroups(t *testing.T, rules []Rule, gs ...GroupGrant) *Set {
	t.Helper()
	set, err := Compile(rules)
	if err != nil {
		t.Fatal(err)
	}
	if set, err = set.WithGroupGrants(gs); err != nil {
		t.Fatal(err)
	}
	return set
}

func TestSourceHelpers(t *testing.T) {
	if got := SourceOf("desk"); got != "rule:desk" {
		t.Errorf("SourceOf(desk) = %q", got)
	}
	if got := SourceOf(GroupSource("Desk EU")); got != "scim-group:Desk EU" {
		t.Errorf("SourceOf(group) = %q", got)
	}
	for _, tc := range []struct {
		source, grantor string
		ok              bool
	}{
		{"rule:desk", "desk", true},
		{"scim-group:desk-eu", "scim-group:desk-eu", true},
		{"scim-group:", "", false},
		{"manual", "", false},
	} {
		if g, ok := Managed(tc.source); g != tc.grantor || ok != tc.ok {
			t.Errorf("Managed(%q) = %q, %v; want %q, %v", tc.source, g, ok, tc.grantor, tc.ok)
		}
	}
	if _, err := (&Set{}).WithGroupGrants([]GroupGrant{{Group: " ", Pool: "p", SKU: "agent"}}); licensing.ErrorCode(err) != licensing.CodeInvalid {
		t.Errorf("blank group: err %v, want invalid", err)
	}
}

func TestEvaluateGroupGrants(t *testing.T) {
	desk := rule("desk", 10, Condition{JobCode: []string{"ITSD-*"}}, named("agent"), named("change"))
	set := withGroups(t, []Rule{desk},
		GroupGrant{Group: "desk-us", Pool: "agents-us", SKU: "agent"},
		GroupGrant{Group: "desk-eu", Pool: "agents-eu", SKU: "agent"},
		GroupGrant{Group: "desk-eu", Pool: "kb-eu", SKU: "kb"},
	)
	// Both orders of the groups give the same winner: the lowest group.
	for _, gs := range [][]string{{"desk-us", "desk-eu"}, {"desk-eu", "desk-us"}} {
		got := set.Evaluate(person("a", "ITSD-1", groups(gs...)))
		want := []Entitlement{
			{SKU: "agent", Rule: "scim-group:desk-eu", Pool: "agents-eu"},
			{SKU: "change", Model: licensing.ModelNamed, Rule: "desk", RuleVersion: 1},
			{SKU: "kb", Rule: "scim-group:desk-eu", Pool: "kb-eu"},
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("groups %v: Evaluate =\n%+v\nwant\n%+v", gs, got, want)
		}
	}
	// Names match exactly, and only active people are granted.
	if got := set.Evaluate(person("b", "", groups("DESK-EU"))); len(got) != 0 {
		t.Errorf("other case: Evaluate = %+v, want nothing", got)
	}
	if got := set.Evaluate(person("c", "", groups("desk-eu"), func(u *licensing.User) { u.Active = false })); len(got) != 0 {
		t.Errorf("inactive: Evaluate = %+v, want nothing", got)
	}
	// Group grants alone, no rules; With and Without keep them.
	only := withGroups(t, nil, GroupGrant{Group: "g", Pool: "p", SKU: "agent"})
	if got := only.Evaluate(person("d", "", groups("g"))); len(got) != 1 || got[0].Pool != "p" {
		t.Errorf("no rules: Evaluate = %+v, want the group's seat", got)
	}
	next, err := only.With(desk)
	if err != nil {
		t.Fatal(err)
	}
	if got := next.Without("desk").Evaluate(person("d", "ITSD-1", groups("g"))); len(got) != 1 || got[0].Rule != "scim-group:g" {
		t.Errorf("With/Without lost the group grants: %+v", got)
	}
}

// TestPlanGroupGrants works through group-based licensing: joiners, leavers,
// renames, a full pool, and the seats that rules and admins own.
func TestPlanGroupGrants(t *testing.T) {
	pools := []licensing.Pool{
		{ID: "cheap", SKU: "agent", Model: licensing.ModelConcurrent, MonthlyPrice: 1},
		{ID: "eu", SKU: "agent", Model: licensing.ModelNamed, Seats: 3, MonthlyPrice: 50},
		{ID: "tiny", SKU: "change", Model: licensing.ModelNamed, Seats: 1, MonthlyPrice: 20},
	}
	set := withGroups(t, []Rule{rule("desk", 10, Condition{JobCode: []string{"ITSD-*"}}, Grant{SKU: "agent"})},
		GroupGrant{Group: "desk-eu", Pool: "eu", SKU: "agent"},
		GroupGrant{Group: "cab", Pool: "tiny", SKU: "change"},
	)
	inactive := func(u *licensing.User) { u.Active = false }
	people := []licensing.User{
		person("ann", "", groups("desk-eu")),           // joiner: a seat in eu, not the cheaper pool
		person("bob", ""),                              // left desk-eu: loses the seat
		person("cat", "", groups("desk-eu"), inactive), // deactivated: loses the seat
		person("dan", "", groups("Desk Europe")),       // desk-eu renamed: relabelled
		person("eve", "", groups("desk-eu")),           // holds agent manually: nothing
		person("fay", "ITSD-1", groups("desk-eu")),     // rule seat: now owed to the group
		person("gus", "ITSD-2"),                        // group seat, left the group, rule matches: kept
		person("hal", "", groups("cab")),               // tiny is full: pending pool_full
		person("ivy", "", groups("cab")),               // holds tiny manually
	}
	current := []licensing.Member{
		member("bob", "eu", "scim-group:desk-eu", licensing.MemberActive),
		member("cat", "eu", "scim-group:desk-eu", licensing.MemberActive),
		member("dan", "eu", "scim-group:desk-eu", licensing.MemberActive),
		member("eve", "cheap", licensing.SourceManual, licensing.MemberActive),
		member("fay", "cheap", "rule:desk", licensing.MemberActive),
		member("gus", "eu", "scim-group:desk-eu", licensing.MemberActive),
		member("ivy", "tiny", licensing.SourceManual, licensing.MemberActive),
	}
	// Renamed: dan's group is now "Desk Europe"; the grant follows it.
	set2, err := set.WithGroupGrants(append(set.GroupGrants(), GroupGrant{Group: "Desk Europe", Pool: "eu", SKU: "agent"}))
	if err != nil {
		t.Fatal(err)
	}
	got := Plan(people, current, set2, pools, nil)
	want := Diff{
		Gains: []Change{ch("ann", "agent", "eu", "scim-group:desk-eu", "")},
		Losses: []Change{
			ch("bob", "agent", "eu", "scim-group:desk-eu", ReasonNotEntitled),
			ch("cat", "agent", "eu", "scim-group:desk-eu", ReasonInactive),
		},
		Pending: []Change{ch("hal", "change", "tiny", "scim-group:cab", ReasonPoolFull)},
		Relabels: []Change{
			ch("dan", "agent", "eu", "scim-group:Desk Europe", ReasonRuleChanged),
			ch("fay", "agent", "cheap", "scim-group:desk-eu", ReasonRuleChanged),
			ch("gus", "agent", "eu", "desk", ReasonRuleChanged),
		},
		Overflows: []Overflow{{Pool: "tiny", ShortBy: 1}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Plan =\n%+v\nwant\n%+v", got, want)
	}

	// A set that was never given group grants leaves group seats alone.
	rulesOnly, err := Compile(set.Rules())
	if err != nil {
		t.Fatal(err)
	}
	d := Plan(people[1:3], current[:2], rulesOnly, pools, nil)
	if !d.Empty() {
		t.Errorf("rules only: Plan = %+v, want group seats kept", d)
	}
	// Nor does a rule change remove a group seat the group still grants.
	d = Plan(people[:1], []licensing.Member{member("ann", "eu", "scim-group:desk-eu", licensing.MemberActive)}, set, pools, nil)
	if !d.Empty() {
		t.Errorf("steady state: Plan = %+v, want an empty diff", d)
	}
}

// TestPlanPersonGroupPending checks one person's group grant against a full
// pool, and that a pending rule row waiting elsewhere gives way to it.
func TestPlanPersonGroupPending(t *testing.T) {
	pools := []licensing.Pool{
		{ID: "a", SKU: "agent", Model: licensing.ModelNamed, Seats: 1, MonthlyPrice: 10},
		{ID: "b", SKU: "agent", Model: licensing.ModelNamed, Seats: 1, MonthlyPrice: 20},
	}
	set := withGroups(t, []Rule{rule("desk", 1, Condition{JobCode: []string{"ITSD-*"}}, named("agent"))},
		GroupGrant{Group: "g", Pool: "b", SKU: "agent"})
	u := person("ann", "ITSD-1", groups("g"))
	mine := []licensing.Member{member("ann", "a", "rule:desk", licensing.MemberPending)}
	full := func(string) int { return 1 }
	got := PlanPerson(u, mine, set, pools, nil, full)
	want := Diff{
		Losses:    []Change{ch("ann", "agent", "a", "desk", ReasonPoolChanged)},
		Pending:   []Change{ch("ann", "agent", "b", "scim-group:g", ReasonPoolFull)},
		Overflows: []Overflow{{Pool: "b", ShortBy: 1}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("full: PlanPerson =\n%+v\nwant\n%+v", got, want)
	}
	// A seat frees in b: the pending group row is granted.
	mine = []licensing.Member{member("ann", "b", "scim-group:g", licensing.MemberPending)}
	got = PlanPerson(u, mine, set, pools, nil, func(string) int { return 0 })
	want = Diff{Gains: []Change{ch("ann", "agent", "b", "scim-group:g", ReasonSeatFreed)}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("freed: PlanPerson =\n%+v\nwant\n%+v", got, want)
	}
}
