package benchmark

import (
	"fmt"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// Company builds an engine holding n people, each on a named agent seat and a
// named change-module seat, beside a concurrent agent pool: the shape of the
// decision benchmarks. It returns the engine and every person's id.
func Company(n int) (*licensing.Engine, []string, error) {
	e := licensing.NewEngine(time.Now)
	skus := []licensing.SKU{
		{Key: "agent", Name: "Agent", Tier: licensing.TierFulfiller, MonthlyPrice: 95},
		{Key: "change", Name: "Change", Tier: licensing.TierModule, Requires: []string{"agent"}, MonthlyPrice: 30},
		{Key: "requester", Name: "Requester", Tier: licensing.TierRequester},
	}
	pools := []licensing.Pool{
		{ID: "agents-named", SKU: "agent", Model: licensing.ModelNamed, Seats: n, MonthlyPrice: 95},
		{ID: "agents-floating", SKU: "agent", Model: licensing.ModelConcurrent, Seats: n, MonthlyPrice: 140},
		{ID: "change-named", SKU: "change", Model: licensing.ModelNamed, Seats: n, MonthlyPrice: 30},
	}
	for i := range pools {
		if err := pools[i].Validate(); err != nil {
			return nil, nil, err
		}
	}
	if err := e.SetCatalog(skus, pools, licensing.DefaultPolicy()); err != nil {
		return nil, nil, err
	}
	people := make([]licensing.Person, n)
	ids := make([]string, n)
	for i := range people {
		u := licensing.User{ID: fmt.Sprintf("u%06d", i), UserName: fmt.Sprintf("user%06d@example.com", i), Kind: licensing.KindPerson, Active: true}
		ids[i] = u.ID
		people[i] = licensing.Person{User: u, Members: []licensing.Member{
			{Pool: "agents-named", User: u.ID, State: licensing.MemberActive},
			{Pool: "change-named", User: u.ID, State: licensing.MemberActive}}}
	}
	e.LoadPeople(people)
	return e, ids, nil
}

// DecideAllow measures the allow path of Decide among the given engine's
// people with testing.Benchmark, so `seatkeeper bench decide` and `go test
// -bench` report the same loop.
func DecideAllow(b *testing.B, e *licensing.Engine, ids []string, capability string) {
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = ids[(i*97)%len(ids)]
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if d := e.Decide(keys[i&1023], capability, ""); !d.Allow {
				b.Error("denied: " + d.Reason)
				return
			}
			i++
		}
	})
}
