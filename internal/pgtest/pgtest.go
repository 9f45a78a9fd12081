// Package pgtest starts throwaway PostgreSQL servers for tests.
//
// A server is a real postgres process from the operating system's
// PostgreSQL installation (Debian's postgresql package: binaries under
// /usr/lib/postgresql/<version>/bin). It listens only on a Unix socket in a
// private directory, keeps fsync on, and is removed together with its data
// directory by Stop.
//
// PostgreSQL refuses to run as root. When the test binary runs as root, the
// server's directories are handed to the "postgres" OS user and initdb and
// postgres run as that user.
package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

const (
	// superuser is the bootstrap superuser created by initdb.
	superuser = "postgres"
	// osUser is the OS account that runs the server when we are root.
	osUser = "postgres"
	// readyTimeout bounds how long Start waits for connections.
	readyTimeout = 30 * time.Second
	// stopTimeout bounds how long Stop waits for a fast shutdown.
	stopTimeout = 30 * time.Second
	// maxSocketPath is the usable length of sockaddr_un.sun_path on Linux.
	maxSocketPath = 107
)

// Server is a running, throwaway PostgreSQL server.
type Server struct {
	binDir  string
	rootDir string // holds data/ and postgres.log; removed by Stop
	dataDir string
	sockDir string // short path for the Unix socket; removed by Stop
	logPath string
	port    int

	cmd     *exec.Cmd
	exited  chan struct{} // closed when the postmaster has exited
	waitErr error         // valid after exited is closed

	stopOnce sync.Once
	stopErr  error
}

// Start initialises a new cluster in a fresh directory under dir and starts a
// postgres server on it. If dir is empty, os.TempDir is used. Start returns
// once the server accepts connections; on failure it returns an error that
// includes the tail of the server log, and leaves nothing running.
//
// ctx bounds initdb and the wait for readiness; cancelling it after Start has
// returned does not stop the server. Call Stop to stop it.
func Start(ctx context.Context, dir string) (*Server, error) {
	binDir, err := findBinDir()
	if err != nil {
		return nil, err
	}
	cred, err := credential()
	if err != nil {
		return nil, err
	}

	if dir == "" {
		dir = os.TempDir()
	}
	rootDir, err := os.MkdirTemp(dir, "pgtest-")
	if err != nil {
		return nil, fmt.Errorf("pgtest: create server directory: %w", err)
	}
	sockDir, err := makeSocketDir()
	if err != nil {
		_ = os.RemoveAll(rootDir)
		return nil, err
	}
	s := &Server{
		binDir:  binDir,
		rootDir: rootDir,
		dataDir: filepath.Join(rootDir, "data"),
		sockDir: sockDir,
		logPath: filepath.Join(rootDir, "postgres.log"),
		port:    10000 + rand.IntN(50000),
	}
	if err := s.start(ctx, cred); err != nil {
		s.cleanup()
		return nil, err
	}
	return s, nil
}

// start prepares the directories, runs initdb, launches postgres and waits
// for it to accept connections. On error the caller removes the directories.
func (s *Server) start(ctx context.Context, cred *syscall.Credential) error {
	for _, d := range []string{s.rootDir, s.sockDir} {
		if err := prepareDir(d, cred); err != nil {
			return err
		}
	}

	initdb := exec.CommandContext(ctx, filepath.Join(s.binDir, "initdb"),
		"-D", s.dataDir,
		"-A", "trust",
		"-U", superuser,
		"-E", "UTF8",
		"--locale=C",
		"--no-sync",
	)
	s.configure(initdb, cred)
	if out, err := initdb.CombinedOutput(); err != nil {
		return fmt.Errorf("pgtest: initdb: %w\n%s", err, tail(out))
	}

	logFile, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("pgtest: create server log: %w", err)
	}
	defer logFile.Close() // the child keeps its own descriptor

	s.cmd = exec.Command(filepath.Join(s.binDir, "postgres"),
		"-D", s.dataDir,
		"-k", s.sockDir,
		"-p", strconv.Itoa(s.port),
		"-c", "listen_addresses=",
		"-c", "fsync=on",
		"-c", "max_connections=200",
		"-c", "shared_buffers=128MB",
	)
	s.configure(s.cmd, cred)
	s.cmd.Stdout = logFile
	s.cmd.Stderr = logFile
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("pgtest: start postgres: %w", err)
	}
	s.exited = make(chan struct{})
	go func() {
		s.waitErr = s.cmd.Wait()
		close(s.exited)
	}()

	if err := s.waitReady(ctx); err != nil {
		s.shutdown()
		return fmt.Errorf("pgtest: postgres did not become ready: %w\nserver log:\n%s",
			err, s.logTail())
	}
	return nil
}

// configure sets the working directory, environment and, when running as
// root, the credentials of a PostgreSQL child process.
func (s *Server) configure(cmd *exec.Cmd, cred *syscall.Credential) {
	cmd.Dir = s.rootDir
	cmd.Env = append(os.Environ(), "LC_ALL=C", "LANG=C")
	if cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
}

// waitReady polls the server until a connection succeeds, the postmaster
// exits, ctx is done or readyTimeout elapses.
func (s *Server) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	var lastErr error
	for {
		attempt, cancelAttempt := context.WithTimeout(ctx, 2*time.Second)
		conn, err := pgx.Connect(attempt, s.DSN("postgres"))
		if err == nil {
			err = conn.Ping(attempt)
			_ = conn.Close(attempt)
		}
		cancelAttempt()
		if err == nil {
			return nil
		}
		lastErr = err

		select {
		case <-s.exited:
			return fmt.Errorf("postgres exited: %v", s.waitErr)
		case <-ctx.Done():
			return fmt.Errorf("%w (last connection error: %v)", ctx.Err(), lastErr)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// DSN returns a pgx-compatible connection string for database db on the
// server's Unix socket.
func (s *Server) DSN(db string) string {
	q := url.Values{}
	q.Set("host", s.sockDir)
	q.Set("port", strconv.Itoa(s.port))
	q.Set("sslmode", "disable")
	u := url.URL{
		Scheme:   "postgres",
		User:     url.User(superuser),
		Path:     "/" + db,
		RawQuery: q.Encode(),
	}
	return u.String()
}

// CreateDatabase creates a new, empty database called name and returns its
// DSN.
func (s *Server) CreateDatabase(ctx context.Context, name string) (string, error) {
	if name == "" {
		return "", errors.New("pgtest: create database: empty name")
	}
	conn, err := pgx.Connect(ctx, s.DSN("postgres"))
	if err != nil {
		return "", fmt.Errorf("pgtest: create database %q: connect: %w", name, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", fmt.Errorf("pgtest: create database %q: %w", name, err)
	}
	return s.DSN(name), nil
}

// Stop shuts the server down with a fast shutdown, waits for it to exit and
// removes its directories. Calling Stop more than once returns the result of
// the first call.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		if err := s.shutdown(); err != nil {
			s.stopErr = err
		}
		if err := s.cleanup(); err != nil && s.stopErr == nil {
			s.stopErr = err
		}
	})
	return s.stopErr
}

// shutdown sends SIGINT (fast shutdown) to the postmaster and waits for it to
// exit, falling back to SIGKILL after stopTimeout.
func (s *Server) shutdown() error {
	if s.exited == nil {
		return nil
	}
	select {
	case <-s.exited:
		return nil // already gone, e.g. it crashed
	default:
	}
	if err := s.cmd.Process.Signal(syscall.SIGINT); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("pgtest: stop postgres: %w", err)
	}
	select {
	case <-s.exited:
		return nil
	case <-time.After(stopTimeout):
		_ = s.cmd.Process.Kill()
		<-s.exited
		return fmt.Errorf("pgtest: stop postgres: no exit %v after SIGINT, killed\nserver log:\n%s",
			stopTimeout, s.logTail())
	}
}

// cleanup removes the server's directories.
func (s *Server) cleanup() error {
	var errs []error
	for _, d := range []string{s.rootDir, s.sockDir} {
		if err := os.RemoveAll(d); err != nil {
			errs = append(errs, fmt.Errorf("pgtest: remove %s: %w", d, err))
		}
	}
	return errors.Join(errs...)
}

// logTail returns the last lines of the server log.
func (s *Server) logTail() string {
	f, err := os.Open(s.logPath)
	if err != nil {
		return fmt.Sprintf("(cannot read server log: %v)", err)
	}
	defer f.Close()
	const max = 8 << 10
	if fi, err := f.Stat(); err == nil && fi.Size() > max {
		if _, err := f.Seek(-max, io.SeekEnd); err != nil {
			return fmt.Sprintf("(cannot read server log: %v)", err)
		}
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return fmt.Sprintf("(cannot read server log: %v)", err)
	}
	return tail(b)
}

// tail returns at most the last 40 lines of b.
func tail(b []byte) string {
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(lines) > 40 {
		lines = lines[len(lines)-40:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// RunMain is meant to be called from TestMain. It starts one server for the
// whole test binary, passes it to set (so the test package can keep it in a
// package-level variable), runs the tests, stops the server and exits with
// the tests' exit code. If the server cannot be started or stopped, RunMain
// prints the reason and exits with code 1: a missing PostgreSQL is a test
// failure, never a skip.
func RunMain(m *testing.M, set func(*Server)) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	srv, err := Start(ctx, "")
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: cannot start PostgreSQL test server: %v\n", err)
		os.Exit(1)
	}
	set(srv)
	code := m.Run()
	if err := srv.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: cannot stop PostgreSQL test server: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// findBinDir returns the directory holding initdb and postgres: the highest
// version under /usr/lib/postgresql, else pg_config --bindir, else the
// directory of initdb on PATH.
//
// pg_config is not preferred because on Debian it may come from libpq-dev
// and point at a version whose server is not installed.
func findBinDir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	type cand struct {
		dir string
		ver []int
	}
	var cands []cand
	for _, d := range dirs {
		if !hasServer(d) {
			continue
		}
		ver, ok := parseVersion(filepath.Base(filepath.Dir(d)))
		if !ok {
			continue
		}
		cands = append(cands, cand{d, ver})
	}
	if len(cands) > 0 {
		best := slices.MaxFunc(cands, func(a, b cand) int { return slices.Compare(a.ver, b.ver) })
		return best.dir, nil
	}
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		if d := strings.TrimSpace(string(out)); hasServer(d) {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		if d := filepath.Dir(p); hasServer(d) {
			return d, nil
		}
	}
	return "", errors.New("pgtest: no PostgreSQL server binaries (initdb, postgres) found " +
		"in /usr/lib/postgresql/*/bin, pg_config --bindir or PATH; install the postgresql package")
}

// hasServer reports whether dir contains initdb and postgres.
func hasServer(dir string) bool {
	for _, name := range []string{"initdb", "postgres"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			return false
		}
	}
	return true
}

// parseVersion parses a version directory name such as "15" or "9.6".
func parseVersion(s string) ([]int, bool) {
	var ver []int
	for _, part := range strings.Split(s, ".") {
		n, err := strconv.Atoi(part)
		if err != nil {
			return nil, false
		}
		ver = append(ver, n)
	}
	return ver, true
}

// credential returns the credentials PostgreSQL processes must run with:
// nil when not root, else those of the postgres OS user.
func credential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup(osUser)
	if err != nil {
		return nil, fmt.Errorf("pgtest: running as root, but cannot find OS user %q to run PostgreSQL: %w", osUser, err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("pgtest: uid of %q: %w", osUser, err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("pgtest: gid of %q: %w", osUser, err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// makeSocketDir creates a directory for the Unix socket whose path is short
// enough for sockaddr_un, preferring os.TempDir and falling back to /tmp.
func makeSocketDir() (string, error) {
	base := os.TempDir()
	// len("/pgtest-sock-1234567890/.s.PGSQL.65535")
	if len(base)+40 > maxSocketPath {
		base = "/tmp"
	}
	d, err := os.MkdirTemp(base, "pgtest-sock-")
	if err != nil {
		return "", fmt.Errorf("pgtest: create socket directory: %w", err)
	}
	return d, nil
}

// prepareDir makes dir usable by the PostgreSQL processes. When running as
// root (cred != nil) it chowns dir to the postgres user, sets it to 0755 and
// makes every ancestor traversable by others (adding only the search bit),
// since MkdirTemp and t.TempDir create 0700 directories owned by root.
func prepareDir(dir string, cred *syscall.Credential) error {
	if cred == nil {
		return nil
	}
	if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
		return fmt.Errorf("pgtest: chown %s: %w", dir, err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return fmt.Errorf("pgtest: chmod %s: %w", dir, err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	for p := filepath.Dir(abs); ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("pgtest: stat %s: %w", p, err)
		}
		if mode := fi.Mode(); mode.Perm()&0o001 == 0 {
			if err := os.Chmod(p, mode.Perm()|0o001|(mode&(os.ModeSticky|os.ModeSetgid|os.ModeSetuid))); err != nil {
				return fmt.Errorf("pgtest: make %s traversable: %w", p, err)
			}
		}
		if p == filepath.Dir(p) {
			return nil
		}
	}
}
