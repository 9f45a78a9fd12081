// Package cli implements the seatkeeper command: serve, migrate, token,
// audit, demo and bench. Run takes its environment as arguments so tests
// can call it in-process.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/seatkeeper/seatkeeper/internal/store"
	"github.com/seatkeeper/seatkeeper/internal/store/postgres"
	"github.com/seatkeeper/seatkeeper/internal/store/sqlite"
)

// Env is what a command may touch of the outside world.
type Env struct {
	Getenv func(string) string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
}

// exitError carries a specific exit status.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// ExitCode maps an error from Run to a process exit status.
func ExitCode(err error) int {
	if err == nil {
		return 0
	}
	var e *exitError
	if errors.As(err, &e) {
		return e.code
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 1
}

const usage = `usage: seatkeeper <command> [flags]

commands:
  serve                 run the server (--addr, --db; SEATKEEPER_ADDR, SEATKEEPER_DB)
  migrate               apply database migrations
  token create|list|revoke
                        manage API tokens (the secret is printed once)
  audit verify|export   check the audit hash chain, or export it (--format jsonl|csv)
  demo                  seed a realistic company and serve it
  passwd                set a person's sign-in password (read from stdin)
  import                create and update people from a CSV file (--dry-run, --deactivate-missing)
  rules list|get|versions|create|update|delete|preview
                        manage entitlement rules; writes reconcile everyone, preview changes nothing
  report utilization|denials|shelfware|cost|mix|evidence
                        print a report (--from, --to, --pool, --format table|csv|json)
  bench checkout        measure session starts over HTTP and check the seat invariant
  bench decide          the in-memory decision benchmark
  bench desk            the service-desk mix over HTTP
  bench scim            an identity provider's initial import over SCIM, with rules and audit
  bench report          a year of lease history: rollup, the year's report at 1M and 5M leases, plain SQL beside it
  bench mix             the mix optimiser: Erlang B, Recommend/Compare/Backtest on a large year, the demo's back-test
`

// Run runs one seatkeeper command.
func Run(ctx context.Context, args []string, env Env) error {
	stdout, stderr := env.Stdout, env.Stderr
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return &exitError{code: 2, err: errors.New("no command given")}
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return runServe(ctx, env, rest)
	case "migrate":
		return runMigrate(ctx, env, rest)
	case "token":
		return runToken(ctx, env, rest)
	case "audit":
		return runAudit(ctx, env, rest)
	case "demo":
		return runDemo(ctx, env, rest)
	case "bench":
		return runBench(ctx, env, rest)
	case "passwd":
		return runPasswd(ctx, env, rest)
	case "import":
		return runImport(ctx, env, rest)
	case "rules":
		return runRules(ctx, env, rest)
	case "report":
		return runReport(ctx, env, rest)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return &exitError{code: 2, err: fmt.Errorf("unknown command %q", cmd)}
}

// dbFlags are the flags every database command shares.
type dbFlags struct {
	db string
}

func (d *dbFlags) register(fs *flag.FlagSet, env Env) {
	def := env.Getenv("SEATKEEPER_DB")
	if def == "" {
		def = "seatkeeper.db"
	}
	fs.StringVar(&d.db, "db", def, "database: a file path or sqlite:PATH for SQLite, postgres://… for PostgreSQL (env SEATKEEPER_DB)")
}

func newFlagSet(name string, env Env) *flag.FlagSet {
	fs := flag.NewFlagSet("seatkeeper "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &exitError{code: 2, err: err}
	}
	return nil
}

// openStore opens the store named by db and applies migrations.
func openStore(ctx context.Context, db string, log *slog.Logger) (*store.Store, error) {
	var st *store.Store
	var err error
	opts := store.Options{Logger: log}
	switch {
	case strings.HasPrefix(db, "postgres://"), strings.HasPrefix(db, "postgresql://"):
		st, err = postgres.Open(ctx, db, opts)
	default:
		st, err = sqlite.Open(ctx, strings.TrimPrefix(db, "sqlite:"), opts)
	}
	if err != nil {
		return nil, err
	}
	if _, err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, err
	}
	if err := st.SeedPolicy(ctx); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}
