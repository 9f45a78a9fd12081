package entitle

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

func person(id, job string, mod ...func(*licensing.User)) licensing.User {
	u := licensing.User{ID: id, UserName: id + "@example.com", JobCode: job, Kind: licensing.KindPerson, Active: true}
	for _, m := range mod {
		m(&u)
	}
	return u
}

func dept(d string) func(*licensing.User) { return func(u *licensing.User) { u.Department = d } }
func groups(g ...string) func(*licensing.User) {
	return func(u *licensing.User) { u.Groups = g }
}

func rule(id string, prio int, when Condition, grants ...Grant) Rule {
	return Rule{ID: id, Version: 1, Priority: prio, When: when, Grant: grants, Enabled: true}
}

func named(sku string) Grant { return Grant{SKU: sku, Model: licensing.ModelNamed} }

func TestEvaluate(t *testing.T) {
	desk := rule("desk", 10, Condition{JobCode: []string{"ITSD-*", "it??-[12]"}, Department: []string{"IT", "Service Desk"}}, named("agent"))
	chg := rule("chg", 5, Condition{Group: []string{"cab", "change-mgrs"}}, named("change"))
	contractors := rule("contractors", 20, Condition{EmployeeType: []string{"Contractor"}, CostCenter: []string{"CC-9"}},
		Grant{SKU: "agent", Model: licensing.ModelConcurrent})
	// Same priority as desk: the lower id ("a-desk") wins the tie.
	tie := rule("a-desk", 10, Condition{JobCode: []string{"ITSD-9"}}, Grant{SKU: "agent"})
	off := rule("off", 1000, Condition{JobCode: []string{"*"}}, named("agent"))
	off.Enabled = false
	set, err := Compile([]Rule{desk, chg, contractors, tie, off})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		user licensing.User
		want []Entitlement
	}{
		{"prefix and department", person("ann", "ITSD-1", dept("IT")),
			[]Entitlement{{SKU: "agent", Model: licensing.ModelNamed, Rule: "desk", RuleVersion: 1}}},
		{"case-insensitive everywhere", person("ann", "itsd-1", dept("service desk")),
			[]Entitlement{{SKU: "agent", Model: licensing.ModelNamed, Rule: "desk", RuleVersion: 1}}},
		{"glob job code", person("bob", "ITOP-2", dept("it")),
			[]Entitlement{{SKU: "agent", Model: licensing.ModelNamed, Rule: "desk", RuleVersion: 1}}},
		{"AND: job without department", person("cat", "ITSD-1", dept("Sales")), nil},
		{"AND: department without job", person("cat", "SALES-1", dept("IT")), nil},
		{"no job code", person("cat", "", dept("IT")), nil},
		{"OR within group list", person("dan", "", groups("staff", "change-mgrs")),
			[]Entitlement{{SKU: "change", Model: licensing.ModelNamed, Rule: "chg", RuleVersion: 1}}},
		{"two rules two SKUs sorted", person("eve", "ITSD-3", dept("IT"), groups("cab")), []Entitlement{
			{SKU: "agent", Model: licensing.ModelNamed, Rule: "desk", RuleVersion: 1},
			{SKU: "change", Model: licensing.ModelNamed, Rule: "chg", RuleVersion: 1}}},
		{"higher priority wins the SKU", person("fay", "ITSD-3", dept("IT"), func(u *licensing.User) {
			u.EmployeeType, u.CostCenter = "contractor", "cc-9"
		}), []Entitlement{{SKU: "agent", Model: licensing.ModelConcurrent, Rule: "contractors", RuleVersion: 1}}},
		{"tie goes to lowest id", person("gus", "ITSD-9", dept("IT")),
			[]Entitlement{{SKU: "agent", Rule: "a-desk", RuleVersion: 1}}},
		{"inactive gets nothing", person("hal", "ITSD-1", dept("IT"), func(u *licensing.User) { u.Active = false }), nil},
		{"service account gets nothing", person("svc", "ITSD-1", dept("IT"), func(u *licensing.User) { u.Kind = licensing.KindService }), nil},
		{"disabled rule ignored", person("ivy", "SALES-1"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := set.Evaluate(tt.user); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Evaluate = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestEvaluateNoMatchDoesNotAllocate(t *testing.T) {
	set, err := Compile(benchRules(100))
	if err != nil {
		t.Fatal(err)
	}
	u := person("x", "WH-OPS-7", dept("Warehouse"), groups("staff", "night-shift"))
	u.CostCenter, u.EmployeeType = "CC-1", "Employee"
	if got := set.Evaluate(u); len(got) != 0 {
		t.Fatalf("Evaluate = %+v, want nothing", got)
	}
	if n := testing.AllocsPerRun(100, func() { set.Evaluate(u) }); n != 0 {
		t.Errorf("allocations per no-match evaluation = %v, want 0", n)
	}
}

func TestValidate(t *testing.T) {
	ok := rule("desk", 10, Condition{JobCode: []string{"ITSD-*"}}, named("agent"))
	many := make([]string, MaxPatternsPerField+1)
	for i := range many {
		many[i] = "x"
	}
	tests := []struct {
		name  string
		edit  func(*Rule)
		field string // "" when valid
	}{
		{"valid", func(*Rule) {}, ""},
		{"bad id", func(r *Rule) { r.ID = "Desk Agents" }, "id"},
		{"empty id", func(r *Rule) { r.ID = "" }, "id"},
		{"negative priority", func(r *Rule) { r.Priority = -1 }, "priority"},
		{"priority too high", func(r *Rule) { r.Priority = 1001 }, "priority"},
		{"priority max", func(r *Rule) { r.Priority = 1000 }, ""},
		{"no condition", func(r *Rule) { r.When = Condition{} }, "when"},
		{"bad glob", func(r *Rule) { r.When.JobCode = []string{"IT[12"} }, "when.job_code"},
		{"blank pattern", func(r *Rule) { r.When.JobCode = []string{" "} }, "when.job_code"},
		{"blank department", func(r *Rule) { r.When.Department = []string{""} }, "when.department"},
		{"too many patterns", func(r *Rule) { r.When.Group = many }, "when.group"},
		{"bracket in department is fine", func(r *Rule) { r.When.Department = []string{"R[&]D"} }, ""},
		{"no grant", func(r *Rule) { r.Grant = nil }, "grant"},
		{"bad sku", func(r *Rule) { r.Grant = []Grant{{SKU: "Agent!"}} }, "grant.sku"},
		{"duplicate sku", func(r *Rule) { r.Grant = []Grant{named("agent"), {SKU: "agent"}} }, "grant.sku"},
		{"bad model", func(r *Rule) { r.Grant = []Grant{{SKU: "agent", Model: "floating"}} }, "grant.model"},
		{"negative version", func(r *Rule) { r.Version = -1 }, "version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ok
			r.When.JobCode = append([]string(nil), ok.When.JobCode...)
			tt.edit(&r)
			err := r.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			var e *licensing.Error
			if !errors.As(err, &e) || e.Code != licensing.CodeInvalid || e.Field != tt.field {
				t.Fatalf("Validate = %v, want %s on field %s", err, licensing.CodeInvalid, tt.field)
			}
		})
	}
}

func TestCompileRejects(t *testing.T) {
	r := rule("desk", 1, Condition{JobCode: []string{"ITSD-*"}}, named("agent"))
	if _, err := Compile([]Rule{r, r}); licensing.ErrorCode(err) != licensing.CodeConflict {
		t.Errorf("duplicate ids: err = %v, want %s", err, licensing.CodeConflict)
	}
	bad := r
	bad.Priority = 5000
	if _, err := Compile([]Rule{bad}); licensing.ErrorCode(err) != licensing.CodeInvalid {
		t.Errorf("invalid rule: err = %v, want %s", err, licensing.CodeInvalid)
	}
}

func TestWithAndWithout(t *testing.T) {
	old := rule("desk", 1, Condition{JobCode: []string{"ITSD-*"}}, named("agent"))
	set, err := Compile([]Rule{old})
	if err != nil {
		t.Fatal(err)
	}
	changed := old
	changed.Version = 2
	changed.When = Condition{JobCode: []string{"OPS-*"}}
	next, err := set.With(changed)
	if err != nil {
		t.Fatal(err)
	}
	if next.Len() != 1 {
		t.Fatalf("With: %d rules, want the candidate to replace the old version", next.Len())
	}
	if got := next.Evaluate(person("a", "ITSD-1")); got != nil {
		t.Errorf("old version still applies: %+v", got)
	}
	if got := next.Evaluate(person("a", "ops-1")); len(got) != 1 || got[0].RuleVersion != 2 {
		t.Errorf("new version: %+v, want agent from version 2", got)
	}
	if got := set.Evaluate(person("a", "ITSD-1")); len(got) != 1 {
		t.Errorf("With changed the original set: %+v", got)
	}
	if got := next.Without("desk").Evaluate(person("a", "ops-1")); got != nil {
		t.Errorf("Without: %+v, want nothing", got)
	}
	if !strings.HasPrefix(Source("desk"), SourcePrefix) {
		t.Errorf("Source = %q", Source("desk"))
	}
	for src, want := range map[string]string{"rule:desk": "desk", "manual": "", "scim-group:agents": "", "rule:": ""} {
		if got, _ := RuleOf(src); got != want {
			t.Errorf("RuleOf(%q) = %q, want %q", src, got, want)
		}
	}
}
