package licensing

import (
	"fmt"
	"testing"
	"time"
)

// benchEngine builds a company of n people: a named agent pool, a concurrent
// agent pool and the change module, each person on one of them.
func benchEngine(tb testing.TB, n int) *Engine {
	tb.Helper()
	e := NewEngine(time.Now)
	skus := []SKU{
		{Key: "agent", Name: "Agent", Tier: TierFulfiller, MonthlyPrice: 95},
		{Key: "change", Name: "Change", Tier: TierModule, Requires: []string{"agent"}, MonthlyPrice: 30},
		{Key: "requester", Name: "Requester", Tier: TierRequester},
	}
	pools := []Pool{
		{ID: "agents-named", SKU: "agent", Model: ModelNamed, Seats: n, MonthlyPrice: 95},
		{ID: "agents-floating", SKU: "agent", Model: ModelConcurrent, Seats: n, MonthlyPrice: 140},
		{ID: "change-named", SKU: "change", Model: ModelNamed, Seats: n, MonthlyPrice: 30},
	}
	for i := range pools {
		if err := pools[i].Validate(); err != nil {
			tb.Fatal(err)
		}
	}
	if err := e.SetCatalog(skus, pools, DefaultPolicy()); err != nil {
		tb.Fatal(err)
	}
	people := make([]Person, n)
	for i := range people {
		u := User{ID: fmt.Sprintf("u%06d", i), UserName: fmt.Sprintf("user%06d@example.com", i), Kind: KindPerson, Active: true}
		people[i] = Person{User: u, Members: []Member{{Pool: "agents-named", User: u.ID, State: MemberActive}, {Pool: "change-named", User: u.ID, State: MemberActive}}}
	}
	e.LoadPeople(people)
	return e
}

// BenchmarkDecideAllow is the hot path of every desk request: an agent on a
// named seat asking for a fulfiller capability, among 100,000 people.
func BenchmarkDecideAllow(b *testing.B) {
	e := benchEngine(b, 100_000)
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = fmt.Sprintf("u%06d", (i*97)%100_000)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			d := e.Decide(keys[i&1023], "ticket.transition", "")
			if !d.Allow {
				b.Fatal("denied")
			}
			i++
		}
	})
}

// BenchmarkDecideAllowModule checks a module capability (two requirement groups).
func BenchmarkDecideAllowModule(b *testing.B) {
	e := benchEngine(b, 100_000)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if d := e.Decide("u000042", "change.approve", ""); !d.Allow {
			b.Fatal("denied", d.Reason)
		}
	}
}
