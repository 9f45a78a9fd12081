package cli

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// runRole grants, revokes and lists the administrative roles people hold
// (licence_admin, identity_admin, auditor). Every change is audited; a
// role takes no seat.
func runRole(ctx context.Context, env Env, args []string) error {
	const use = "usage: seatkeeper role grant|revoke USER ROLE | role list (roles: licence_admin, identity_admin, auditor)"
	sub, err := subcommand(env, "role", use, args, "grant", "revoke", "list")
	if sub == "" {
		return err
	}
	fs := newFlagSet("role "+sub, env)
	var d dbFlags
	d.register(fs, env)
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if want := map[string]int{"grant": 2, "revoke": 2, "list": 0}[sub]; fs.NArg() != want {
		return &exitError{code: 2, err: fmt.Errorf("role %s takes %d argument(s), got %d: %s", sub, want, fs.NArg(), use)}
	}
	var role licensing.Role
	if sub != "list" {
		r, err := licensing.ParseRole(fs.Arg(1))
		if err != nil {
			return &exitError{code: 2, err: err}
		}
		role = r
	}
	st, err := openExisting(ctx, d.db, newLogger(env.Stderr, "warn"))
	if err != nil {
		return err
	}
	defer st.Close()
	actor := licensing.Actor{Name: "cli:" + orUnknown(env.Getenv("USER")), Source: "cli"}
	switch sub {
	case "grant":
		h, granted, err := st.GrantRole(ctx, actor, fs.Arg(0), role)
		if err != nil {
			return err
		}
		if !granted {
			fmt.Fprintf(env.Stdout, "%s already holds %s (granted by %s)\n", h.UserName, role, h.GrantedBy)
			return nil
		}
		fmt.Fprintf(env.Stdout, "granted %s to %s\n", role, h.UserName)
	case "revoke":
		if err := st.RevokeRole(ctx, actor, fs.Arg(0), role); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "revoked %s from %s\n", role, fs.Arg(0))
	case "list":
		hs, err := st.ListRoles(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ROLE\tUSER\tGRANTED BY\tSINCE")
		for _, h := range hs {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", h.Role, h.UserName, h.GrantedBy, h.GrantedAt.UTC().Format("2006-01-02 15:04"))
		}
		return tw.Flush()
	}
	return nil
}
