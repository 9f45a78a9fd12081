package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/benchmark"
	"github.com/seatkeeper/seatkeeper/internal/entitle"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/plural"
	"github.com/seatkeeper/seatkeeper/internal/provision"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

// benchSCIM serves a company with entitlement rules in-process and runs an
// identity provider's initial import over loopback HTTP: every create is
// audited and reconciled against the rules. Afterwards it checks that
// everyone arrived, that the rules granted exactly the seats their job
// codes call for, and that the audit chain verifies.
func benchSCIM(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet("bench scim", env)
	db := fs.String("db", "", "database (default: a new SQLite file in a temporary directory)")
	users := fs.Int("users", 100_000, "people to create")
	clients := fs.Int("clients", 16, "concurrent HTTP clients")
	profile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *users < 1 || *clients < 1 {
		return &exitError{code: 2, err: errors.New("users and clients must be positive")}
	}
	dbPath, cleanup, err := benchDB(*db)
	if err != nil {
		return err
	}
	defer cleanup()
	run := strings.ToLower(fmt.Sprintf("s%x", time.Now().UnixNano()%0xffffff))
	cfg := benchmark.SCIMConfig{Users: *users, Clients: *clients, Run: run}
	var pools scimPools
	var dialect string
	setup := func(ctx context.Context, s *store.Store) error {
		dialect = s.Dialect()
		var err error
		if pools, err = scimCompany(ctx, s, run, *users); err != nil {
			return err
		}
		_, cfg.Token, err = s.CreateToken(ctx, licensing.System("bench"), "bench-"+run, store.ScopeSCIM, time.Hour)
		return err
	}
	addr, stop, err := benchServe(ctx, env, dbPath, setup)
	if err != nil {
		return err
	}
	defer stop()
	cfg.BaseURL = "http://" + addr
	fmt.Fprintf(env.Stdout, "bench scim: %s store, %s created over SCIM by %s, each audited and reconciled against 2 rules over 2 named pools\n", dialect, plural.Of(*users, "user"), plural.Of(*clients, "client"))
	stopProfile, err := cpuProfile(*profile)
	if err != nil {
		return err
	}
	res, runErr := benchmark.SCIMImport(ctx, cfg)
	stopProfile()
	if err := stop(); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "creates:     %d answered 201, %s in %.1fs\n", res.Created, plural.Of(res.Errors, "error"), res.Elapsed.Seconds())
	fmt.Fprintf(env.Stdout, "throughput:  %.0f creates/s over the first %d, %.0f creates/s over all %d\n", res.FirstPerSecond(), res.Window, res.CreatesPerSecond(), res.Created)
	fmt.Fprintf(env.Stdout, "latency:     p50 %s  p99 %s\n", res.P50.Round(10*time.Microsecond), res.P99.Round(10*time.Microsecond))
	if runErr != nil {
		return &exitError{code: 5, err: runErr}
	}
	vst, err := openStore(ctx, dbPath, newLogger(env.Stderr, "warn"))
	if err != nil {
		return err
	}
	defer vst.Close()
	if err := pools.check(ctx, vst, run, *users); err != nil {
		return &exitError{code: 4, err: err}
	}
	fmt.Fprintf(env.Stdout, "rules:       %d agent seats and %d change modules granted, as the job codes call for\n", pools.wantAgents, pools.wantChange)
	resolved, err := checkLateManagers(ctx, vst, run, *users)
	if err != nil {
		return &exitError{code: 4, err: err}
	}
	fmt.Fprintf(env.Stdout, "identity:    %d people share a mailbox with another; %d managers named before they arrived, all resolved\n", *users/10, resolved)
	return verifyBenchAudit(ctx, env, vst)
}

// scimPools names a run's pools and what the rules should grant in them.
type scimPools struct {
	agents, change         string
	wantAgents, wantChange int
}

// scimCompany creates the SKUs, two named pools large enough for everyone
// the rules grant, and the rules: desk job codes get an agent seat, change
// board job codes an agent seat and the change module.
func scimCompany(ctx context.Context, s *store.Store, run string, users int) (scimPools, error) {
	a := licensing.System("bench")
	p := scimPools{agents: "bench-scim-agents-" + run, change: "bench-scim-change-" + run}
	for i := range users {
		switch jc := benchmark.JobCode(i); {
		case strings.HasPrefix(jc, "ITSD-"):
			p.wantAgents++
		case strings.HasPrefix(jc, "CHG-"):
			p.wantAgents++
			p.wantChange++
		}
	}
	for _, k := range []licensing.SKU{
		{Key: "bench-scim-agent", Name: "Agent", Tier: licensing.TierFulfiller, MonthlyPrice: 95},
		{Key: "bench-scim-change", Name: "Change", Tier: licensing.TierModule, Requires: []string{"bench-scim-agent"}, MonthlyPrice: 30},
	} {
		if _, err := s.GetSKU(ctx, k.Key); licensing.ErrorCode(err) == licensing.CodeNotFound {
			if err := s.PutSKU(ctx, a, k, true); err != nil {
				return p, err
			}
		}
	}
	for _, pool := range []licensing.Pool{
		{ID: p.agents, SKU: "bench-scim-agent", Model: licensing.ModelNamed, Seats: p.wantAgents + 1},
		{ID: p.change, SKU: "bench-scim-change", Model: licensing.ModelNamed, Seats: p.wantChange + 1},
	} {
		if err := s.CreatePool(ctx, a, pool); err != nil {
			return p, err
		}
	}
	for _, r := range []entitle.Rule{
		{ID: "bench-desk-" + run, Priority: 10, Enabled: true, When: entitle.Condition{JobCode: []string{"ITSD-*"}},
			Grant: []entitle.Grant{{SKU: "bench-scim-agent", Model: licensing.ModelNamed}}},
		{ID: "bench-cab-" + run, Priority: 20, Enabled: true, When: entitle.Condition{JobCode: []string{"CHG-*"}},
			Grant: []entitle.Grant{{SKU: "bench-scim-agent", Model: licensing.ModelNamed}, {SKU: "bench-scim-change", Model: licensing.ModelNamed}}},
	} {
		rec, err := provision.ToRecord(r)
		if err != nil {
			return p, err
		}
		if _, err := s.CreateRule(ctx, a, rec); err != nil {
			return p, err
		}
	}
	return p, nil
}

// check counts the run's people and the seats the rules granted them.
func (p scimPools) check(ctx context.Context, s *store.Store, run string, users int) error {
	_, total, err := s.QueryPeople(ctx, store.DirectoryQuery{Where: "user_name_lower LIKE ?", Args: []any{run + "-%"}})
	if err != nil {
		return err
	}
	if total != users {
		return fmt.Errorf("%d people imported, want %d", total, users)
	}
	for pool, want := range map[string]int{p.agents: p.wantAgents, p.change: p.wantChange} {
		ms, err := s.ListMembers(ctx, pool)
		if err != nil {
			return err
		}
		active := 0
		for _, m := range ms {
			if m.State == licensing.MemberActive && strings.HasPrefix(m.Source, entitle.SourcePrefix) {
				active++
			}
		}
		if active != want {
			return fmt.Errorf("pool %s: %d rule seats granted, want %d", pool, active, want)
		}
	}
	return nil
}

// checkLateManagers checks that every manager reference the import sent
// before its person existed (every fiftieth person names the next) points
// at that person now.
func checkLateManagers(ctx context.Context, s *store.Store, run string, users int) (int, error) {
	n := 0
	for i := 0; i+1 < users; i += 50 {
		_, id, err := s.GetIdentity(ctx, benchmark.SCIMUserName(run, i))
		if err != nil {
			return n, err
		}
		mgr, err := s.GetUser(ctx, benchmark.SCIMUserName(run, i+1))
		if err != nil {
			return n, err
		}
		if id.ManagerID != mgr.ID || id.ManagerRef != "" {
			return n, fmt.Errorf("person %d: manager %q (reference %q), want %s", i, id.ManagerID, id.ManagerRef, mgr.ID)
		}
		n++
	}
	return n, nil
}
