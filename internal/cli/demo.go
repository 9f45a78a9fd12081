package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/demo"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/plural"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

// runDemo seeds the demo company (once) and serves it, printing an admin
// token so the API can be tried at once.
func runDemo(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet("demo", env)
	var c serveConfig
	c.register(fs, env)
	fs.StringVar(&c.db, "db", "seatkeeper-demo.db", "database to seed and serve")
	seedOnly := fs.Bool("seed-only", false, "seed and exit without serving")
	if err := parse(fs, args); err != nil {
		return err
	}
	seed := func(ctx context.Context, st *store.Store) error {
		seeded, err := demo.Seed(ctx, st)
		if err != nil {
			return err
		}
		if seeded {
			fmt.Fprintf(env.Stderr, "seeded the demo company: %s, 5 SKUs, 5 pools\n", plural.Of(demo.People, "person"))
		}
		integrations, err := demo.SeedDesk(ctx, st)
		if err != nil {
			return err
		}
		for _, in := range integrations {
			fmt.Fprintf(env.Stderr, "integration %s (%s) token: %s\n", in.Name, in.Mode, in.Token)
		}
		if !*seedOnly {
			if err := demo.HoldOverflow(ctx, st, time.Minute); err != nil {
				return err
			}
		}
		fmt.Fprintf(env.Stderr, "sign in on the web pages with password %q as:\n", demo.Password)
		for _, p := range demo.Personas {
			fmt.Fprintf(env.Stderr, "  %-24s %s\n", p.UserName, p.Shows)
		}
		_, scimSecret, err := st.CreateToken(ctx, licensing.System("demo"), "demo-scim", store.ScopeSCIM, 0)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stderr, "SCIM token (for Okta or Entra ID, endpoint /scim/v2): %s\n", scimSecret)
		_, secret, err := st.CreateToken(ctx, licensing.System("demo"), "demo-admin", store.ScopeAdmin, 0)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stderr, "demo admin token: %s\n", secret)
		fmt.Fprintf(env.Stdout, "%s\n", secret)
		return nil
	}
	if *seedOnly {
		st, err := openStore(ctx, c.db, newLogger(env.Stderr, "warn"))
		if err != nil {
			return err
		}
		defer st.Close()
		return seed(ctx, st)
	}
	return serve(ctx, env, c, seed)
}
