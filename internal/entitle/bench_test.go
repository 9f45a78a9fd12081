package entitle

import (
	"fmt"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

var (
	benchDepts  = []string{"IT", "Service Desk", "Finance", "HR", "Sales", "Facilities", "Legal", "Engineering"}
	benchPrefix = []string{"ITSD", "ITOP", "FIN", "HR", "SLS", "FAC", "LEG", "ENG", "WH", "MKT"}
	benchGroups = []string{"staff", "cab", "change-mgrs", "night-shift", "vip", "field"}
)

// benchRules returns n rules mixing exact, prefix and glob job codes,
// departments, groups, employee types and cost centres.
func benchRules(n int) []Rule {
	rules := make([]Rule, n)
	for i := range rules {
		p := benchPrefix[i%len(benchPrefix)]
		var when Condition
		switch i % 4 {
		case 0:
			when.JobCode = []string{fmt.Sprintf("%s-%d*", p, i%9+1)}
			when.Department = []string{benchDepts[i%len(benchDepts)]}
		case 1:
			when.JobCode = []string{fmt.Sprintf("%s-?[%d-9]", p, i%5), fmt.Sprintf("%s-%d", p, i)}
		case 2:
			when.JobCode = []string{fmt.Sprintf("%s-%d", p, i), fmt.Sprintf("%s-%d", p, i+1)}
			when.Group = []string{benchGroups[i%len(benchGroups)]}
		case 3:
			when.Department = []string{benchDepts[i%len(benchDepts)]}
			when.EmployeeType = []string{"Contractor"}
			when.CostCenter = []string{fmt.Sprintf("CC-%d", i%7)}
		}
		grant := Grant{SKU: fmt.Sprintf("sku-%d", i%5)}
		if i%3 == 0 {
			grant.Model = licensing.ModelNamed
		}
		rules[i] = Rule{ID: fmt.Sprintf("rule-%03d", i), Version: 1, Priority: i % 50, When: when, Grant: []Grant{grant}, Enabled: true}
	}
	return rules
}

// benchPeople returns n people with realistic job codes ("ITSD-12"),
// departments, cost centres, employee types and groups.
func benchPeople(n int) []licensing.User {
	people := make([]licensing.User, n)
	for i := range people {
		u := &people[i]
		u.ID = fmt.Sprintf("u%06d", i)
		u.UserName = fmt.Sprintf("user%06d@example.com", i)
		u.JobCode = fmt.Sprintf("%s-%d", benchPrefix[(i*7)%len(benchPrefix)], (i*13)%40)
		u.Department = benchDepts[(i*3)%len(benchDepts)]
		u.CostCenter = fmt.Sprintf("CC-%d", i%7)
		u.EmployeeType = "Employee"
		if i%10 == 0 {
			u.EmployeeType = "Contractor"
		}
		u.Groups = []string{"staff", benchGroups[i%len(benchGroups)]}
		u.Kind = licensing.KindPerson
		u.Active = i%50 != 0
	}
	return people
}

func BenchmarkEvaluate(b *testing.B) {
	set, err := Compile(benchRules(100))
	if err != nil {
		b.Fatal(err)
	}
	people := benchPeople(1000)
	var out []Entitlement
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		u := &people[n%len(people)]
		out = set.appendEntitlements(out[:0], u)
		n++
	}
	b.ReportMetric(float64(n*set.Len())/b.Elapsed().Seconds(), "evals/s")
}

func BenchmarkPreview100k(b *testing.B) {
	people, current, set, pools := previewCompany(100_000)
	candidate := benchRules(21)[20]
	candidate.ID = "rule-004" // a changed version of an existing rule
	candidate.Version = 2
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		next, err := set.With(candidate)
		if err != nil {
			b.Fatal(err)
		}
		_ = Plan(people, current, next, pools, nil)
	}
	b.ReportMetric(b.Elapsed().Seconds()*1000/float64(b.N), "ms/preview")
}
