package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/benchmark"
	"github.com/seatkeeper/seatkeeper/internal/desk"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/plural"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

// benchDesk serves a small company in-process and runs the desk mix over
// loopback HTTP: requesters, agents on named seats and three integrations
// acting for people. It verifies the audit chain afterwards.
func benchDesk(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet("bench desk", env)
	db := fs.String("db", "", "database (default: a new SQLite file in a temporary directory)")
	clients := fs.Int("clients", 16, "concurrent HTTP clients")
	dur := fs.Duration("duration", 10*time.Second, "how long to run")
	profile := fs.String("cpuprofile", "", "write a CPU profile of the run (server and clients) to this file")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *clients < 1 || *dur <= 0 {
		return &exitError{code: 2, err: errors.New("clients and duration must be positive")}
	}
	dbPath, cleanup, err := benchDB(*db)
	if err != nil {
		return err
	}
	defer cleanup()
	run := strings.ToLower(fmt.Sprintf("d%x", time.Now().UnixNano()%0xffffff))
	cfg := benchmark.DeskConfig{Clients: *clients, Duration: *dur}
	var st *store.Store
	setup := func(ctx context.Context, s *store.Store) error {
		st = s
		var err error
		cfg.Requesters, cfg.Agents, cfg.Unlicensed, err = deskCompany(ctx, s, run)
		if err != nil {
			return err
		}
		a := licensing.System("bench")
		if _, cfg.Platform, err = s.CreateToken(ctx, a, "bench-"+run, store.ScopePlatform, time.Hour); err != nil {
			return err
		}
		for mode, dst := range map[desk.Mode]*string{desk.ModeEnforce: &cfg.Enforce, desk.ModePropose: &cfg.Propose, desk.ModeMonitor: &cfg.Monitor} {
			if _, *dst, err = s.CreateIntegration(ctx, a, fmt.Sprintf("%s-%s", run, mode), mode); err != nil {
				return err
			}
		}
		return nil
	}
	addr, stop, err := benchServe(ctx, env, dbPath, setup)
	if err != nil {
		return err
	}
	defer stop()
	cfg.BaseURL = "http://" + addr
	fmt.Fprintf(env.Stdout, "bench desk: %s store, %s, %s, %s, 3 integrations, %s, %s\n",
		st.Dialect(), plural.Of(len(cfg.Requesters), "requester"), plural.Of(len(cfg.Agents), "agent"), plural.Of(len(cfg.Unlicensed), "unlicensed person"),
		plural.Of(*clients, "client"), *dur)
	stopProfile, err := cpuProfile(*profile)
	if err != nil {
		return err
	}
	res, runErr := benchmark.Desk(ctx, cfg)
	stopProfile()
	if err := stop(); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "actions:     %d answered, %s in %.1fs\n", res.Actions, plural.Of(res.Errors, "error"), res.Elapsed.Seconds())
	for _, k := range res.Kinds() {
		fmt.Fprintf(env.Stdout, "  %-24s %d\n", k, res.ByKind[k])
	}
	fmt.Fprintf(env.Stdout, "throughput:  %.0f actions/s\n", res.ActionsPerSecond())
	fmt.Fprintf(env.Stdout, "latency:     p50 %s  p99 %s\n", res.P50.Round(10*time.Microsecond), res.P99.Round(10*time.Microsecond))
	if runErr != nil {
		return &exitError{code: 5, err: runErr}
	}
	// Verify on a fresh store: the server has closed its own.
	vst, err := openStore(ctx, dbPath, newLogger(env.Stderr, "warn"))
	if err != nil {
		return err
	}
	defer vst.Close()
	return verifyBenchAudit(ctx, env, vst)
}

// deskCompany seeds the people of a desk run: requesters, agents on named
// seats, and people without seats whom integrations act for.
func deskCompany(ctx context.Context, s *store.Store, run string) (requesters, agents, unlicensed []string, err error) {
	a := licensing.System("bench")
	for _, k := range []licensing.SKU{
		{Key: "bench-desk-agent", Name: "Agent", Tier: licensing.TierFulfiller, MonthlyPrice: 95},
		{Key: "bench-desk-requester", Name: "Requester", Tier: licensing.TierRequester},
	} {
		if _, err := s.GetSKU(ctx, k.Key); licensing.ErrorCode(err) == licensing.CodeNotFound {
			if err := s.PutSKU(ctx, a, k, true); err != nil {
				return nil, nil, nil, err
			}
		}
	}
	pool := "bench-desk-" + run
	if err := s.CreatePool(ctx, a, licensing.Pool{ID: pool, SKU: "bench-desk-agent", Model: licensing.ModelNamed, Seats: 20}); err != nil {
		return nil, nil, nil, err
	}
	person := func(role string, i int) (string, error) {
		name := fmt.Sprintf("%s-%s%03d@bench.example", run, role, i)
		_, err := s.CreateUser(ctx, a, licensing.User{UserName: name, Email: name, DisplayName: fmt.Sprintf("Bench %s %d", role, i),
			EmployeeID: fmt.Sprintf("%s-%s%03d", strings.ToUpper(run), role, i), Kind: licensing.KindPerson, Active: true})
		return name, err
	}
	for i := 0; i < 20; i++ {
		name, err := person("agent", i)
		if err != nil {
			return nil, nil, nil, err
		}
		if _, _, err := s.PutMember(ctx, a, pool, name, ""); err != nil {
			return nil, nil, nil, err
		}
		agents = append(agents, name)
	}
	for i := 0; i < 200; i++ {
		name, err := person("req", i)
		if err != nil {
			return nil, nil, nil, err
		}
		requesters = append(requesters, name)
		if i < 50 {
			unlicensed = append(unlicensed, name)
		}
	}
	return requesters, agents, unlicensed, nil
}
