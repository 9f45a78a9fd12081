// Package demo seeds a realistic company so a newcomer can click through
// every licensing case within a minute: SKUs of every tier, named and
// concurrent pools with reservations, limits, a queue and overdraft, and 300
// people with job codes and groups.
package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

// serviceAccount is the integration's account, seeded last.
const serviceAccount = "svc-slack-hub"

// People is how many people the demo company has.
const People = 300

var actor = licensing.Actor{Name: "demo", Source: "cli"}

// Seed fills an empty database; on one that already has SKUs it does nothing
// and reports false.
func Seed(ctx context.Context, st *store.Store) (bool, error) {
	skus, err := st.ListSKUs(ctx)
	if err != nil || len(skus) > 0 {
		if err == nil {
			// The service account is created last: without it an earlier
			// seed stopped half way, and pretending otherwise would hide it.
			if _, uerr := st.GetUser(ctx, serviceAccount); uerr != nil {
				return false, fmt.Errorf("this database holds a partly seeded demo (no %s); seed an empty database", serviceAccount)
			}
		}
		return false, err
	}
	for _, k := range []licensing.SKU{
		{Key: "agent", Name: "Service desk agent", Tier: licensing.TierFulfiller, MonthlyPrice: 95},
		{Key: "change", Name: "Change management", Tier: licensing.TierModule, Requires: []string{"agent"}, MonthlyPrice: 30},
		{Key: "asset", Name: "Asset management", Tier: licensing.TierModule, Requires: []string{"agent"}, MonthlyPrice: 25},
		{Key: "requester", Name: "Requester (self-service)", Tier: licensing.TierRequester},
		{Key: "stakeholder", Name: "Stakeholder (read-only)", Tier: licensing.TierStakeholder, MonthlyPrice: 10},
	} {
		if err := st.PutSKU(ctx, actor, k, true); err != nil {
			return false, fmt.Errorf("demo sku %s: %w", k.Key, err)
		}
	}
	// The store's clock, not the wall's: a test or bench seeding "as of" a
	// date gets the same year every time. The named contract began before
	// the seeded year and is up for renewal next month.
	now := st.Now()
	contract := now.UTC().Truncate(24*time.Hour).AddDate(-1, 0, -1)
	for _, p := range []licensing.Pool{
		{ID: "agents-named", SKU: "agent", Model: licensing.ModelNamed, Seats: 40, MonthlyPrice: 95, Cooldown: 30 * 24 * time.Hour, Starts: contract, Ends: contract.AddDate(1, 1, 0)},
		{ID: "agents-floating", SKU: "agent", Model: licensing.ModelConcurrent, Seats: 10, MonthlyPrice: 140, Overdraft: 1, Linger: 2 * time.Minute,
			Reservations: map[string]int{"desk-eu": 2}, Limits: map[string]int{"contractors": 3},
			Queue: &licensing.QueueConfig{MaxLength: 20, Priority: map[string]int{"major-incident": 10}}},
		{ID: "change-named", SKU: "change", Model: licensing.ModelNamed, Seats: 15, MonthlyPrice: 30},
		{ID: "asset-floating", SKU: "asset", Model: licensing.ModelConcurrent, Seats: 5, MonthlyPrice: 40, IdleTimeout: 15 * time.Minute},
		{ID: "stakeholders", SKU: "stakeholder", Model: licensing.ModelNamed, Seats: 20, MonthlyPrice: 10},
	} {
		if err := st.CreatePool(ctx, actor, p); err != nil {
			return false, fmt.Errorf("demo pool %s: %w", p.ID, err)
		}
	}
	rng := rand.New(rand.NewPCG(42, 7))
	for i := 0; i < People; i++ {
		u, pools := person(i, rng)
		created, err := st.CreateUser(ctx, actor, u)
		if err != nil {
			return false, fmt.Errorf("demo user %s: %w", u.UserName, err)
		}
		for _, p := range pools {
			if _, _, err := st.PutMember(ctx, actor, p, created.ID, licensing.SourceManual); err != nil {
				return false, fmt.Errorf("demo member %s/%s: %w", p, u.UserName, err)
			}
		}
	}
	if err := SeedHistory(ctx, st, now, rng); err != nil {
		return false, err
	}
	// A dormant-seat policy on the named agent seats, swept once, so the
	// dormant holders are warned on first start (DESIGN §3.1).
	if _, err := st.PutDormantPolicy(ctx, actor, store.DormantPolicy{Pool: "agents-named", IdleDays: 30, GraceDays: 14, Action: store.DormantReclaim, UndoDays: 14}); err != nil {
		return false, fmt.Errorf("demo dormant policy: %w", err)
	}
	if _, err := st.SweepDormant(ctx, actor); err != nil {
		return false, fmt.Errorf("demo dormant sweep: %w", err)
	}
	svc := licensing.User{UserName: serviceAccount, DisplayName: "Slack hub integration", Kind: licensing.KindService, Active: true}
	if _, err := st.CreateUser(ctx, actor, svc); err != nil {
		return false, fmt.Errorf("demo service account: %w", err)
	}
	return true, nil
}

var (
	first = []string{"Ann", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jon", "Kemi", "Luca", "Mara", "Nils", "Olga", "Priya", "Quinn", "Rosa", "Sam", "Tariq", "Uma", "Viktor", "Wen", "Xena", "Yusuf", "Zoe"}
	last  = []string{"Lee", "Novak", "Okafor", "Schmidt", "Garcia", "Tanaka", "Dubois", "Rossi", "Kowalski", "Haddad", "Larsen", "Silva", "Nguyen", "Moreau", "Berg"}
)

// person makes the i-th demo person and the pools they belong to. The first
// 140 work in IT: desk agents (named or floating), change managers, asset
// staff; the rest are requesters, with a few stakeholders in finance.
func person(i int, rng *rand.Rand) (licensing.User, []string) {
	fn, ln := first[i%len(first)], last[(i/len(first)+i)%len(last)]
	name := fmt.Sprintf("%s.%s%d@example.com", strings.ToLower(fn), strings.ToLower(ln), i)
	u := licensing.User{UserName: name, Email: name, DisplayName: fn + " " + ln, EmployeeID: fmt.Sprintf("E%05d", 10000+i),
		ExternalID: fmt.Sprintf("00u%08x", 0x5eed0000+i), Kind: licensing.KindPerson, Active: true, EmployeeType: "employee"}
	var pools []string
	region := []string{"desk-eu", "desk-us", "desk-apac"}[rng.IntN(3)]
	switch {
	case i < 35: // named desk agents
		u.JobCode, u.Department, u.CostCenter = fmt.Sprintf("ITSD-%d", 1+i%3), "IT", "CC-410"
		u.Groups = []string{region}
		pools = []string{"agents-named"}
		if i < 12 {
			u.JobCode, u.Groups = "ITCM-1", append(u.Groups, "cab")
			pools = append(pools, "change-named")
		}
	case i < 85: // floating agents: part-timers, second line, contractors
		u.JobCode, u.Department, u.CostCenter = fmt.Sprintf("ITSD-%d", 1+i%2), "IT", "CC-420"
		u.Groups = []string{region}
		if i%5 == 0 {
			u.EmployeeType, u.Groups = "contractor", append(u.Groups, "contractors")
		}
		if i%9 == 0 {
			u.Groups = append(u.Groups, "major-incident")
		}
		pools = []string{"agents-floating"}
	case i < 105: // asset management on floating asset seats, named agents
		u.JobCode, u.Department, u.CostCenter = "ITAM-1", "IT", "CC-430"
		u.Groups = []string{"asset-team"}
		pools = []string{"agents-floating", "asset-floating"}
	case i < 113: // finance stakeholders read reports
		u.JobCode, u.Department, u.CostCenter = "FIN-2", "Finance", "CC-200"
		u.Groups = []string{"finance"}
		pools = []string{"stakeholders"}
	default: // everyone else: free requester tier
		dept := []string{"Sales", "Engineering", "HR", "Operations", "Legal", "Marketing"}[rng.IntN(6)]
		u.JobCode, u.Department, u.CostCenter = fmt.Sprintf("%s-%d", upper3(dept), 1+rng.IntN(4)), dept, fmt.Sprintf("CC-%d", 500+rng.IntN(50))
		u.Groups = []string{"staff"}
	}
	return u, pools
}

func upper3(s string) string { return strings.ToUpper(s[:min(3, len(s))]) }
