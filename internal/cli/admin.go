package cli

import (
	"context"
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/audit"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/plural"
)

func runMigrate(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet("migrate", env)
	var d dbFlags
	d.register(fs, env)
	if err := parse(fs, args); err != nil {
		return err
	}
	st, err := openStore(ctx, d.db, newLogger(env.Stderr, "warn"))
	if err != nil {
		return err
	}
	defer st.Close()
	v, err := st.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "schema version %d\n", v)
	return nil
}

func runToken(ctx context.Context, env Env, args []string) error {
	const use = "usage: seatkeeper token create|list|revoke [flags] (seatkeeper token SUBCOMMAND --help lists its flags)"
	sub, err := subcommand(env, "token", use, args, "create", "list", "revoke")
	if sub == "" {
		return err
	}
	fs := newFlagSet("token "+sub, env)
	var d dbFlags
	d.register(fs, env)
	var name, scope *string
	var ttl *time.Duration
	if sub == "create" { // each subcommand lists only its own flags
		name = fs.String("name", "", "token name")
		scope = fs.String("scope", "", "admin, platform, scim or integration")
		ttl = fs.Duration("ttl", 0, "lifetime, 0 for none")
	}
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if want := map[string]int{"create": 0, "list": 0, "revoke": 1}[sub]; fs.NArg() != want {
		return &exitError{code: 2, err: fmt.Errorf("token %s takes %s, got %d: %s", sub, plural.Of(want, "argument"), fs.NArg(), use)}
	}
	st, err := openExisting(ctx, d.db, newLogger(env.Stderr, "warn"))
	if err != nil {
		return err
	}
	defer st.Close()
	actor := licensing.Actor{Name: "cli:" + orUnknown(env.Getenv("USER")), Source: "cli"}
	switch sub {
	case "create":
		t, secret, err := st.CreateToken(ctx, actor, *name, *scope, *ttl)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stderr, "created token %s (%s, scope %s); the secret is shown once:\n", t.ID, t.Name, t.Scope)
		fmt.Fprintln(env.Stdout, secret)
	case "list":
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tSCOPE\tCREATED\tEXPIRES\tREVOKED")
		list, err := st.ListTokens(ctx)
		if err != nil {
			return err
		}
		for _, t := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, t.Scope, stamp(t.CreatedAt), stamp(t.ExpiresAt), stamp(t.RevokedAt))
		}
		return tw.Flush()
	case "revoke":
		if err := st.RevokeToken(ctx, actor, fs.Arg(0)); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "revoked %s\n", fs.Arg(0))
	}
	return nil
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Format(time.RFC3339)
}

func orUnknown(u string) string {
	if u == "" {
		return "unknown"
	}
	return u
}

func runAudit(ctx context.Context, env Env, args []string) error {
	const use = "usage: seatkeeper audit verify|export [flags] (seatkeeper audit SUBCOMMAND --help lists its flags)"
	if sub, err := subcommand(env, "audit", use, args, "verify", "export"); sub == "" {
		return err
	}
	fs := newFlagSet("audit "+args[0], env)
	var d dbFlags
	d.register(fs, env)
	format := new(string)
	*format = "jsonl"
	if args[0] == "export" {
		fs.StringVar(format, "format", "jsonl", "export format: jsonl or csv")
	}
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return &exitError{code: 2, err: fmt.Errorf("audit %s: unexpected argument %q", args[0], fs.Arg(0))}
	}
	if *format != "jsonl" && *format != "csv" {
		return &exitError{code: 2, err: fmt.Errorf("unknown format %q: want jsonl or csv", *format)}
	}
	st, err := openExisting(ctx, d.db, newLogger(env.Stderr, "warn"))
	if err != nil {
		return err
	}
	defer st.Close()
	switch args[0] {
	case "verify":
		n, err := st.VerifyAudit(ctx)
		var ce *audit.ChainError
		if errors.As(err, &ce) {
			// The summary names the first bad entry, or the first missing
			// one with the range that is gone (a truncated log has no bad
			// entry to point at).
			fmt.Fprintf(env.Stdout, "audit chain BROKEN after %s: %s\n", plural.Of(n, "good entry"), ce.Summary())
			return &exitError{code: 3, err: err}
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "audit chain intact: %s\n", plural.Of(n, "entry"))
	case "export":
		var ex audit.Exporter
		switch *format {
		case "jsonl":
			ex = audit.NewJSONLExporter(env.Stdout)
		case "csv":
			ex = audit.NewCSVExporter(env.Stdout)
		default:
			return &exitError{code: 2, err: fmt.Errorf("unknown format %q: want jsonl or csv", *format)}
		}
		if err := st.ScanAudit(ctx, ex.Write); err != nil {
			return err
		}
		return ex.Close()
	default:
		return &exitError{code: 2, err: fmt.Errorf("unknown audit command %q", args[0])}
	}
	return nil
}
