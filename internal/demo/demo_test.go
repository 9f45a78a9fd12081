package demo_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/demo"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/seats"
	"github.com/seatkeeper/seatkeeper/internal/store"
	"github.com/seatkeeper/seatkeeper/internal/store/sqlite"
)

func openStore(t *testing.T) *store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "demo.db"), store.Options{Logger: slog.New(slog.DiscardHandler)})
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
	return st
}

func allUsers(t *testing.T, st *store.Store) []licensing.User {
	t.Helper()
	us, err := st.ListUsers(context.Background(), store.UserFilter{Limit: 100000})
	if err != nil {
		t.Fatalf("ListUsers: %v", err)
	}
	return us
}

// seeded returns a freshly seeded store.
func seeded(t *testing.T) *store.Store {
	t.Helper()
	st := openStore(t)
	ok, err := demo.Seed(context.Background(), st)
	if err != nil {
		t.Fatalf("Seed: %v", err)
	}
	if !ok {
		t.Fatalf("Seed on an empty store reported false")
	}
	return st
}

// TestSeed seeds one store (the slow part) and checks it from several sides.
func TestSeed(t *testing.T) {
	st := seeded(t)
	t.Run("company", func(t *testing.T) { checkCompany(t, st) })
	t.Run("second seed does nothing", func(t *testing.T) { checkSeedTwice(t, st) })
	t.Run("decisions", func(t *testing.T) { checkDecisions(t, st) })
	t.Run("second seed after use does nothing", func(t *testing.T) { checkSeedTwice(t, st) })
}

func checkCompany(t *testing.T, st *store.Store) {
	ctx := context.Background()

	skus, err := st.ListSKUs(ctx)
	if err != nil {
		t.Fatalf("ListSKUs: %v", err)
	}
	if len(skus) != 5 {
		t.Errorf("%d SKUs, want 5", len(skus))
	}
	tiers := map[licensing.Tier]bool{}
	for _, k := range skus {
		tiers[k.Tier] = true
	}
	for _, tier := range []licensing.Tier{licensing.TierFulfiller, licensing.TierModule, licensing.TierRequester, licensing.TierStakeholder} {
		if !tiers[tier] {
			t.Errorf("no SKU of tier %s", tier)
		}
	}

	pools, err := st.ListPools(ctx)
	if err != nil {
		t.Fatalf("ListPools: %v", err)
	}
	if len(pools) != 5 {
		t.Errorf("%d pools, want 5", len(pools))
	}
	models := map[licensing.Model]int{}
	byID := map[string]licensing.Pool{}
	for _, p := range pools {
		models[p.Model]++
		byID[p.ID] = p
	}
	if models[licensing.ModelNamed] == 0 || models[licensing.ModelConcurrent] == 0 {
		t.Errorf("pool models %v, want both named and concurrent", models)
	}
	// The floating agent pool shows off reservations, limits, a queue and overdraft.
	if f, ok := byID["agents-floating"]; !ok {
		t.Errorf("no agents-floating pool")
	} else if len(f.Reservations) == 0 || len(f.Limits) == 0 || f.Queue == nil || f.Overdraft == 0 {
		t.Errorf("agents-floating lacks reservations/limits/queue/overdraft: %+v", f)
	}

	users := allUsers(t, st)
	if len(users) != demo.People+demo.Leavers+1 {
		t.Fatalf("%d users, want %d people, %d leavers + 1 service account", len(users), demo.People, demo.Leavers)
	}
	var people, services int
	var svc licensing.User
	inactive := 0
	for _, u := range users {
		switch u.Kind {
		case licensing.KindPerson:
			people++
			if u.JobCode == "" {
				t.Errorf("person %s has no job code", u.UserName)
			}
			if len(u.Groups) == 0 {
				t.Errorf("person %s has no groups", u.UserName)
			}
			if u.DisplayName == "" || u.Email == "" || u.EmployeeID == "" {
				t.Errorf("person %s lacks display name, email or employee id: %+v", u.UserName, u)
			}
			if !u.Active {
				inactive++ // the history's leavers
			}
		case licensing.KindService:
			services++
			svc = u
		default:
			t.Errorf("user %s has kind %q", u.UserName, u.Kind)
		}
	}
	if people != demo.People+demo.Leavers || services != 1 || inactive != demo.Leavers {
		t.Errorf("%d people (%d inactive) and %d service accounts, want %d, %d leavers and 1", people, inactive, services, demo.People+demo.Leavers, demo.Leavers)
	}

	// Named pools are not over their seats.
	usage, err := st.Usage(ctx)
	if err != nil {
		t.Fatalf("Usage: %v", err)
	}
	if len(usage) != 5 {
		t.Errorf("usage of %d pools, want 5", len(usage))
	}
	for _, u := range usage {
		if u.Model != string(licensing.ModelNamed) {
			continue
		}
		if u.Held > u.Seats || u.Overdraft != 0 || u.Pending != 0 {
			t.Errorf("named pool %s: %d held (%d overdraft, %d pending) of %d seats", u.Pool, u.Held, u.Overdraft, u.Pending, u.Seats)
		}
		if u.Held == 0 {
			t.Errorf("named pool %s has nobody assigned", u.Pool)
		}
		if u.Queued != 0 {
			t.Errorf("pool %s has %d queued", u.Pool, u.Queued)
		}
	}
	for _, u := range usage {
		if u.Model == string(licensing.ModelConcurrent) && u.Members == 0 {
			t.Errorf("concurrent pool %s has nobody registered", u.Pool)
		}
		if u.Model == string(licensing.ModelConcurrent) && u.Held != 0 {
			t.Errorf("concurrent pool %s has %d leases held after seeding", u.Pool, u.Held)
		}
	}

	// The service account holds no seats at all.
	p, err := st.LoadPerson(ctx, svc.ID)
	if err != nil {
		t.Fatalf("LoadPerson(service account): %v", err)
	}
	if len(p.Members) != 0 || len(p.Leases) != 0 {
		t.Errorf("service account %s holds seats: members %+v leases %+v", svc.UserName, p.Members, p.Leases)
	}

	// The audit chain records the seeding and verifies.
	n, err := st.VerifyAudit(ctx)
	if err != nil {
		t.Fatalf("VerifyAudit: %v", err)
	}
	if n < int64(5+5+demo.People+1) {
		t.Errorf("audit holds %d entries, want at least one per SKU, pool and user", n)
	}
}

func checkSeedTwice(t *testing.T, st *store.Store) {
	ctx := context.Background()
	before := len(allUsers(t, st))
	seqBefore, hashBefore, err := st.AuditHead(ctx)
	if err != nil {
		t.Fatalf("AuditHead: %v", err)
	}
	ok, err := demo.Seed(ctx, st)
	if err != nil {
		t.Fatalf("second Seed: %v", err)
	}
	if ok {
		t.Errorf("second Seed reported true")
	}
	if after := len(allUsers(t, st)); after != before {
		t.Errorf("users %d → %d after a second Seed", before, after)
	}
	if _, err := st.ChainPending(ctx); err != nil {
		t.Fatalf("ChainPending: %v", err)
	}
	seqAfter, hashAfter, err := st.AuditHead(ctx)
	if err != nil {
		t.Fatalf("AuditHead: %v", err)
	}
	if seqAfter != seqBefore || hashAfter != hashBefore {
		t.Errorf("audit head moved from %d to %d after a second Seed", seqBefore, seqAfter)
	}
	pools, err := st.ListPools(ctx)
	if err != nil || len(pools) != 5 {
		t.Errorf("pools after a second Seed: %d (%v), want 5", len(pools), err)
	}
}

func checkDecisions(t *testing.T, st *store.Store) {
	ctx := context.Background()
	svc := seats.New(st, licensing.NewEngine(nil), slog.New(slog.DiscardHandler), seats.Config{})
	if err := svc.Load(ctx); err != nil {
		t.Fatalf("Load: %v", err)
	}
	eng := svc.Engine
	if n := eng.PeopleCount(); n != demo.People+demo.Leavers+1 {
		t.Errorf("engine holds %d people, want %d", n, demo.People+demo.Leavers+1)
	}

	member := func(pool string) licensing.Member {
		t.Helper()
		ms, err := st.ListMembers(ctx, pool)
		if err != nil || len(ms) == 0 {
			t.Fatalf("ListMembers(%s): %d members, %v", pool, len(ms), err)
		}
		return ms[0]
	}

	// A named desk agent transitions tickets on the named seat.
	agent := member("agents-named")
	d := eng.Decide(agent.UserName, "ticket.transition", "")
	if !d.Allow || d.Via.Kind != licensing.ViaNamed || d.Via.Pool != "agents-named" {
		t.Errorf("named agent %s ticket.transition: %+v, want allow via named agents-named", agent.UserName, d)
	}

	// A requester-only person: free tier for ticket.create, no fulfiller work.
	var requester licensing.User
	for _, u := range allUsers(t, st) {
		if u.Kind == licensing.KindPerson && len(u.Groups) == 1 && u.Groups[0] == "staff" {
			requester = u
			break
		}
	}
	if requester.ID == "" {
		t.Fatalf("no requester-only person in the demo")
	}
	if p, err := st.LoadPerson(ctx, requester.ID); err != nil || len(p.Members) != 0 {
		t.Fatalf("requester %s: members %+v, %v; want none", requester.UserName, p.Members, err)
	}
	d = eng.Decide(requester.UserName, "ticket.create", "")
	if !d.Allow || d.Via.Kind != licensing.ViaFree {
		t.Errorf("requester %s ticket.create: %+v, want allow via free", requester.UserName, d)
	}
	d = eng.Decide(requester.UserName, "ticket.transition", "")
	if d.Allow {
		t.Errorf("requester %s ticket.transition allowed: %+v", requester.UserName, d)
	} else if d.Reason != licensing.CodeNoLicence {
		t.Errorf("requester ticket.transition reason %q, want %q", d.Reason, licensing.CodeNoLicence)
	}

	// A finance stakeholder reads reports, but does no desk work.
	fin := member("stakeholders")
	d = eng.Decide(fin.UserName, "report.view", "")
	if !d.Allow || d.Via.Pool != "stakeholders" {
		t.Errorf("stakeholder %s report.view: %+v, want allow via stakeholders", fin.UserName, d)
	}
	if d := eng.Decide(fin.UserName, "ticket.transition", ""); d.Allow {
		t.Errorf("stakeholder %s ticket.transition allowed: %+v", fin.UserName, d)
	}

	// A change manager approves changes; a plain named agent lacks the module.
	cab := member("change-named")
	if d := eng.Decide(cab.UserName, "change.approve", ""); !d.Allow || d.Via.Kind != licensing.ViaNamed {
		t.Errorf("change manager %s change.approve: %+v, want allow via named", cab.UserName, d)
	}

	// A floating agent needs a session to work.
	ms, err := st.ListMembers(ctx, "agents-floating")
	if err != nil {
		t.Fatalf("ListMembers: %v", err)
	}
	var floater string
	for _, m := range ms {
		if p, err := st.LoadPerson(ctx, m.User); err == nil && len(p.Members) == 1 {
			floater = m.UserName
			break
		}
	}
	if floater == "" {
		t.Fatalf("no floating-only agent")
	}
	if d := eng.Decide(floater, "ticket.transition", ""); d.Allow || d.Reason != licensing.ReasonSessionRequired {
		t.Errorf("floating agent %s without session: %+v, want session_required", floater, d)
	}
	sess, err := svc.StartSession(ctx, licensing.System("test"), floater, false)
	if err != nil {
		t.Fatalf("StartSession(%s): %v", floater, err)
	}
	if d := eng.Decide(floater, "ticket.transition", sess.ID); !d.Allow || d.Via.Kind != licensing.ViaConcurrent || d.Via.Pool != "agents-floating" {
		t.Errorf("floating agent %s with session: %+v, want allow via concurrent agents-floating", floater, d)
	}

	// The service account is never licensed for desk work.
	if d := eng.Decide("svc-slack-hub", "ticket.transition", ""); d.Allow {
		t.Errorf("service account ticket.transition allowed: %+v", d)
	}
}

// TestInterruptedSeedIsNotLeftHalfDone: seeding takes hundreds of writes
// (seconds on a slow disk) and is not one transaction. When the first
// `seatkeeper demo` is interrupted after the SKUs exist, every later Seed
// must not report "already seeded" (false, nil) over a company that lacks
// most of its people: it should finish the job or say the database is
// incomplete.
func TestInterruptedSeedIsNotLeftHalfDone(t *testing.T) {
	st := openStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var writes atomic.Int32
	st.OnChange(func([]store.Change) {
		if writes.Add(1) == 20 { // SKUs, pools and a few people are in
			cancel()
		}
	})
	if ok, err := demo.Seed(ctx, st); err == nil || ok {
		t.Fatalf("interrupted Seed: ok %v err %v, want an error", ok, err)
	}
	st.OnChange(nil)
	partial := len(allUsers(t, st))
	if partial >= demo.People {
		t.Fatalf("the interruption came too late: %d users", partial)
	}

	ok, err := demo.Seed(context.Background(), st)
	users := len(allUsers(t, st))
	if err == nil && users != demo.People+1 {
		t.Errorf("Seed after an interrupted seed: ok %v, err nil, %d users (want %d): the half-seeded company is taken for a seeded one", ok, users, demo.People+1)
	}
}
