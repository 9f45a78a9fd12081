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
	"os"
	"runtime"
	"runtime/debug"
	"slices"
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
  role grant|revoke|list
                        give or take a person's administrative role (licence_admin, identity_admin, auditor)
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
  bench console         the licence console's pages at 100,000 people and 1,000,000 audit entries (p50/p99)
  bench mix             the mix optimiser: Erlang B, Recommend/Compare/Backtest on a large year, the demo's back-test
  version               print the version, commit and Go release

Every command but serve, migrate and demo refuses a database that does not exist.
Flags may come before or after arguments; "seatkeeper COMMAND --help" lists a command's own flags.
`

// Run runs one seatkeeper command. Asking for help (-h, --help) is not an
// error: the help goes to stdout and Run returns nil.
func Run(ctx context.Context, args []string, env Env) error {
	if err := dispatch(ctx, args, env); !errors.Is(err, flag.ErrHelp) {
		return err
	}
	return nil
}

func dispatch(ctx context.Context, args []string, env Env) error {
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
	case "role":
		return runRole(ctx, env, rest)
	case "import":
		return runImport(ctx, env, rest)
	case "rules":
		return runRules(ctx, env, rest)
	case "report":
		return runReport(ctx, env, rest)
	case "version", "--version":
		fmt.Fprintln(stdout, Version())
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return &exitError{code: 2, err: fmt.Errorf("unknown command %q", cmd)}
}

// subcommand reads the subcommand of cmd from args, before anything is
// opened (a typo creates no database): one of subs, or "" with what to
// return — the usage on stdout for help (nil), an exit 2 otherwise.
func subcommand(env Env, cmd, use string, args []string, subs ...string) (string, error) {
	switch {
	case len(args) == 0:
		return "", &exitError{code: 2, err: errors.New(use)}
	case slices.Contains(subs, args[0]):
		return args[0], nil
	case slices.Contains([]string{"-h", "-help", "--help", "help"}, args[0]):
		fmt.Fprintln(env.Stdout, use)
		return "", nil
	}
	return "", &exitError{code: 2, err: fmt.Errorf("unknown %s command %q: %s", cmd, args[0], use)}
}

// dbFlags are the flags every database command shares.
type dbFlags struct {
	db string
}

func (d *dbFlags) register(fs *flagSet, env Env) {
	def := env.Getenv("SEATKEEPER_DB")
	if def == "" {
		def = "seatkeeper.db"
	}
	fs.StringVar(&d.db, "db", def, "database: a file path or sqlite:PATH for SQLite, postgres://… for PostgreSQL (env SEATKEEPER_DB)")
}

// flagSet is a command's flags, with its help going to stdout.
type flagSet struct {
	*flag.FlagSet
	stdout io.Writer
}

func newFlagSet(name string, env Env) *flagSet {
	fs := flag.NewFlagSet("seatkeeper "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: seatkeeper %s [flags] [arguments]\n\nflags:\n", name)
		fs.PrintDefaults()
	}
	return &flagSet{FlagSet: fs, stdout: env.Stdout}
}

// parse parses flags wherever they stand among the arguments ("token revoke
// ID --db F" as well as "token revoke --db F ID"); fs.Args() then holds the
// arguments in order. Help is printed to stdout and returned as
// flag.ErrHelp, which Run turns into success.
func parse(fs *flagSet, args []string) error {
	for _, a := range args {
		if a == "--" {
			break
		}
		if a == "-h" || a == "-help" || a == "--help" {
			fs.SetOutput(fs.stdout)
			fs.Usage()
			return flag.ErrHelp
		}
	}
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return &exitError{code: 2, err: err}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			pos = append(pos, rest...) // everything after "--" is an argument
			break
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
	return fs.Parse(append([]string{"--"}, pos...))
}

// mustExist refuses a SQLite file that is not there: a command run against
// a mistyped path must not create an empty store and report on it (an
// intact audit chain of nothing is a false assurance).
func mustExist(db string) error {
	if strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://") {
		return nil
	}
	path := strings.TrimPrefix(db, "sqlite:")
	if _, err := os.Stat(path); err != nil {
		return &exitError{code: 2, err: fmt.Errorf("no database at %s: give --db or SEATKEEPER_DB (serve, migrate and demo create one)", path)}
	}
	return nil
}

// openExisting opens a store that must already exist (see mustExist).
func openExisting(ctx context.Context, db string, log *slog.Logger) (*store.Store, error) {
	if err := mustExist(db); err != nil {
		return nil, err
	}
	return openStore(ctx, db, log)
}

// Version names this build: the module version, the commit and its time
// when built from a checkout, and the Go release.
func Version() string {
	v, rev, at, dirty := "(devel)", "", "", false
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				at = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
	}
	out := "seatkeeper " + v
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if dirty {
			rev += "+changes"
		}
		out += " commit " + rev
		if at != "" {
			out += " " + at
		}
	}
	return out + " " + runtime.Version()
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
