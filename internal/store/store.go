// Package store keeps Seatkeeper's state in SQL: one implementation over
// database/sql for both SQLite and PostgreSQL, which differ only in the small
// Dialect their packages supply. Every public method runs one transaction;
// after it commits, the keys of what changed are handed to the change
// listener (the engine refresher) and to the dialect's notifier, so other
// processes on the same database follow.
package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/audit"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// Dialect is what differs between the SQL databases.
type Dialect struct {
	Name string
	// Numbered placeholders ($1) instead of '?'.
	Numbered bool
	// ForUpdate and ForShare lock selected rows ("" where the database has
	// one writer).
	ForUpdate, ForShare string
	// SkipLocked is appended to the slot search so concurrent checkouts pick
	// different free slots instead of queueing on one.
	SkipLocked string
	// Types fills the {{serial}}, {{float}} and {{blob}} tokens of the
	// migrations.
	Types map[string]string
	// ReadTx opens a read-only transaction that sees one snapshot
	// (PostgreSQL needs REPEATABLE READ for that; SQLite's WAL reader has
	// one anyway).
	ReadTx *sql.TxOptions
	// LockKey takes a transaction-scoped lock on a name (e.g. the audit chain
	// or a group limit); nil where the database has one writer.
	LockKey func(ctx context.Context, tx *sql.Tx, key string) error
	// IsUnique reports a unique-constraint violation.
	IsUnique func(error) bool
	// IsRetryable reports a transient conflict (deadlock, serialisation, busy).
	IsRetryable func(error) bool
	// Detach runs statements without the caller's cancellation: modernc's
	// SQLite driver starts a goroutine per statement to watch a cancellable
	// context, which cost more than the statements. Statements here are
	// short; the caller's context is still checked before a job starts.
	Detach bool
	// GroupCommit batches concurrent writes into one transaction (for a
	// database with a single writer).
	GroupCommit bool
	// CacheStatements keeps prepared statements per connection; pgx does
	// that itself, SQLite's driver does not, and parsing SQL was the largest
	// cost of a checkout there.
	CacheStatements bool
	// Listen delivers change keys published by other processes until ctx
	// ends; nil where one process owns the database.
	Listen func(ctx context.Context, fn func(keys []string)) error
}

// Follow calls fn with the changes other processes make, until ctx ends. A
// key "*" means "reload everything" (e.g. after a reconnect).
func (s *Store) Follow(ctx context.Context, fn func(keys []string)) error {
	if s.d.Listen == nil {
		<-ctx.Done()
		return nil
	}
	return s.d.Listen(ctx, fn)
}

// Notifier carries change keys to other processes on the same database.
type Notifier interface {
	Notify(keys []string)
}

// Store is the SQL store.
type Store struct {
	db, rdb *sql.DB
	d       Dialect
	now     func() time.Time
	log     *slog.Logger

	mu       sync.RWMutex
	onChange func(changes []Change)
	notifier Notifier

	chainKick chan struct{}
	queries   sync.Map // rebound query cache
	wstmts    sync.Map // query -> *sql.Stmt on db
	rstmts    sync.Map // query -> *sql.Stmt on rdb
	wmiss     atomic.Bool
	rmiss     atomic.Bool

	writeQ        chan writeJob
	committerDone chan struct{}
	closeMu       sync.RWMutex // guards closed against sends on writeQ
	closed        bool
	closeOnce     sync.Once

	denials denialCoalescer
}

// stmt returns a cached prepared statement for query on db, or nil when the
// dialect does not cache or it is not prepared yet. Statements are prepared
// outside transactions (prepareWanted): with SQLite's single writer
// connection, preparing inside one would wait for itself.
func (s *Store) stmt(cache *sync.Map, miss *atomic.Bool, query string) *sql.Stmt {
	if !s.d.CacheStatements {
		return nil
	}
	v, ok := cache.Load(query)
	if !ok {
		cache.Store(query, (*sql.Stmt)(nil))
	}
	st, _ := v.(*sql.Stmt)
	if st == nil {
		miss.Store(true)
	}
	return st
}

// prepareWanted prepares the statements seen since the last call.
func (s *Store) prepareWanted(ctx context.Context, cache *sync.Map, miss *atomic.Bool, db *sql.DB) {
	if !miss.Swap(false) {
		return
	}
	cache.Range(func(k, v any) bool {
		if st, _ := v.(*sql.Stmt); st == nil {
			if st, err := db.PrepareContext(ctx, k.(string)); err == nil && !cache.CompareAndSwap(k, v, st) {
				_ = st.Close() // another goroutine prepared it first
			}
		}
		return true
	})
}

// detach drops ctx's cancellation where the dialect asks for it.
func (s *Store) detach(ctx context.Context) context.Context {
	if s.d.Detach {
		return context.WithoutCancel(ctx)
	}
	return ctx
}

// readRows runs a read query on the read pool.
func (s *Store) readRows(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	query = s.q(query)
	ctx = s.detach(ctx)
	if st := s.stmt(&s.rstmts, &s.rmiss, query); st != nil {
		return st.QueryContext(ctx, args...)
	} else if s.rmiss.Load() {
		// Prepared in the background: every read connection may be busy
		// with a row its caller has yet to scan.
		go s.prepareWanted(context.WithoutCancel(ctx), &s.rstmts, &s.rmiss, s.rdb)
	}
	return s.rdb.QueryContext(ctx, query, args...)
}

// readRow runs a one-row read query on the read pool.
func (s *Store) readRow(ctx context.Context, query string, args ...any) *sql.Row {
	query = s.q(query)
	ctx = s.detach(ctx)
	if st := s.stmt(&s.rstmts, &s.rmiss, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	} else if s.rmiss.Load() {
		// Prepared in the background: every read connection may be busy
		// with a row its caller has yet to scan.
		go s.prepareWanted(context.WithoutCancel(ctx), &s.rstmts, &s.rmiss, s.rdb)
	}
	return s.rdb.QueryRowContext(ctx, query, args...)
}

// Options configure a Store.
type Options struct {
	Now    func() time.Time
	Logger *slog.Logger
}

// New wraps open databases: db takes writes, rdb reads (they may be the same).
func New(db, rdb *sql.DB, d Dialect, opts Options) *Store {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	s := &Store{db: db, rdb: rdb, d: d, now: opts.Now, log: opts.Logger, chainKick: make(chan struct{}, 1)}
	if d.GroupCommit {
		s.writeQ = make(chan writeJob, maxBatch)
		s.committerDone = make(chan struct{})
		go s.runCommitter()
	}
	return s
}

// Dialect returns the store's dialect name ("sqlite" or "postgres").
func (s *Store) Dialect() string { return s.d.Name }

// Now returns the store's clock reading.
func (s *Store) Now() time.Time { return s.now() }

// Change is one thing a committed transaction changed. Key names it for a
// reload; Lease or Session, when set, carry the new state so the local engine
// can apply it without reading it back.
type Change struct {
	Key     string
	Lease   *licensing.Lease
	Ended   bool
	Session *licensing.Session
}

// OnChange registers the listener told, after every commit, what changed.
func (s *Store) OnChange(fn func(changes []Change)) {
	s.mu.Lock()
	s.onChange = fn
	s.mu.Unlock()
}

// SetNotifier registers the cross-process notifier.
func (s *Store) SetNotifier(n Notifier) {
	s.mu.Lock()
	s.notifier = n
	s.mu.Unlock()
}

// Close stops the notifier and closes both databases.
func (s *Store) Close() error {
	s.mu.RLock()
	n := s.notifier
	s.mu.RUnlock()
	var err error
	if c, ok := n.(io.Closer); ok {
		err = c.Close()
	}
	if s.writeQ != nil {
		s.closeOnce.Do(func() {
			s.closeMu.Lock()
			s.closed = true
			close(s.writeQ)
			s.closeMu.Unlock()
		})
		<-s.committerDone
	}
	for _, m := range []*sync.Map{&s.wstmts, &s.rstmts} {
		m.Range(func(_, v any) bool {
			if st, _ := v.(*sql.Stmt); st != nil {
				_ = st.Close()
			}
			return true
		})
	}
	err = errors.Join(err, s.db.Close())
	if s.rdb != s.db {
		err = errors.Join(err, s.rdb.Close())
	}
	return err
}

// Ping checks the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// q rebinds '?' placeholders to the dialect's, cached per query text.
func (s *Store) q(query string) string {
	if !s.d.Numbered {
		return query
	}
	if v, ok := s.queries.Load(query); ok {
		return v.(string)
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	out := b.String()
	s.queries.Store(query, out)
	return out
}

// tx is a write transaction that collects change keys and audit entries.
type tx struct {
	*sql.Tx
	s       *Store
	ctx     context.Context
	now     time.Time
	changes []Change
	audited bool
	audit   []audit.Entry // group commit: entries chained by the batch
	// refused is returned to the caller after the transaction commits, so a
	// refusal's own records (denial, queue place) are kept.
	refused error
}

// attempt runs fn inside a savepoint: when fn fails, what it wrote (and the
// changes and audit entries it queued) is undone and the transaction goes
// on, so a refusal can be recorded in the same transaction.
func (t *tx) attempt(fn func() error) error {
	if _, err := t.exec("SAVEPOINT attempt"); err != nil {
		return fmt.Errorf("store: savepoint: %w", err)
	}
	nChanges, nAudit := len(t.changes), len(t.audit)
	if err := fn(); err != nil {
		if _, rerr := t.exec("ROLLBACK TO SAVEPOINT attempt"); rerr != nil {
			return errors.Join(err, fmt.Errorf("store: rollback to savepoint: %w", rerr))
		}
		t.changes, t.audit = t.changes[:nChanges], t.audit[:nAudit]
		if _, rerr := t.exec("RELEASE SAVEPOINT attempt"); rerr != nil {
			return errors.Join(err, fmt.Errorf("store: release savepoint: %w", rerr))
		}
		return err
	}
	if _, err := t.exec("RELEASE SAVEPOINT attempt"); err != nil {
		return fmt.Errorf("store: release savepoint: %w", err)
	}
	return nil
}

// refuse commits what the transaction wrote and then fails the call with err.
func (t *tx) refuse(err error) error {
	t.refused = err
	return nil
}

// txExec runs a statement in t through the statement cache.
func (s *Store) txExec(ctx context.Context, t *sql.Tx, query string, args ...any) (sql.Result, error) {
	if st := s.stmt(&s.wstmts, &s.wmiss, query); st != nil {
		return t.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return t.ExecContext(ctx, query, args...)
}

func (t *tx) exec(query string, args ...any) (sql.Result, error) {
	query = t.s.q(query)
	if st := t.s.stmt(&t.s.wstmts, &t.s.wmiss, query); st != nil {
		return t.StmtContext(t.ctx, st).ExecContext(t.ctx, args...)
	}
	return t.ExecContext(t.ctx, query, args...)
}

func (t *tx) query(query string, args ...any) (*sql.Rows, error) {
	query = t.s.q(query)
	if st := t.s.stmt(&t.s.wstmts, &t.s.wmiss, query); st != nil {
		return t.StmtContext(t.ctx, st).QueryContext(t.ctx, args...)
	}
	return t.QueryContext(t.ctx, query, args...)
}

func (t *tx) queryRow(query string, args ...any) *sql.Row {
	query = t.s.q(query)
	if st := t.s.stmt(&t.s.wstmts, &t.s.wmiss, query); st != nil {
		return t.StmtContext(t.ctx, st).QueryRowContext(t.ctx, args...)
	}
	return t.QueryRowContext(t.ctx, query, args...)
}

// changed records that key must be reloaded after commit.
func (t *tx) changed(keys ...string) {
	for _, k := range keys {
		t.changes = append(t.changes, Change{Key: k})
	}
}

// leaseChanged records a lease taken or ended.
func (t *tx) leaseChanged(l licensing.Lease, ended bool) {
	t.changes = append(t.changes, Change{Key: PersonKey(l.User), Lease: &l, Ended: ended})
}

// sessionChanged records a session started or ended.
func (t *tx) sessionChanged(ss licensing.Session) {
	t.changes = append(t.changes, Change{Key: SessionKey(ss.ID), Session: &ss})
}

// Change keys.
const KeyCatalog = "catalog"

// PersonKey and SessionKey name what to refresh.
func PersonKey(id string) string  { return "person:" + id }
func SessionKey(id string) string { return "session:" + id }

// write runs fn in a write transaction, retrying transient conflicts, then
// publishes the changes.
func (s *Store) write(ctx context.Context, fn func(t *tx) error) error {
	var err error
	for attempt := 0; attempt < 8; attempt++ {
		var changes []Change
		var audited bool
		var refused error
		if s.writeQ != nil {
			var r writeResult
			r, err = s.writeGrouped(ctx, fn)
			changes, audited, refused = r.changes, r.audited, r.refused
		} else {
			changes, audited, refused, err = s.writeOnce(ctx, fn)
		}
		if err == nil {
			s.prepareWanted(ctx, &s.wstmts, &s.wmiss, s.db)
			s.publish(changes)
			if audited {
				s.kickChain()
			}
			return refused
		}
		if !errors.Is(err, errRetry) && (s.d.IsRetryable == nil || !s.d.IsRetryable(err)) {
			return err
		}
		time.Sleep(time.Duration(attempt+1) * time.Millisecond)
	}
	return err
}

func (s *Store) writeOnce(ctx context.Context, fn func(t *tx) error) ([]Change, bool, error, error) {
	sqlTx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, false, nil, fmt.Errorf("store: begin: %w", err)
	}
	t := &tx{Tx: sqlTx, s: s, ctx: ctx, now: s.now().UTC().Truncate(time.Microsecond)}
	if err := fn(t); err != nil {
		_ = sqlTx.Rollback()
		return nil, false, nil, err
	}
	if err := t.flushAudit(); err != nil {
		_ = sqlTx.Rollback()
		return nil, false, nil, err
	}
	if err := sqlTx.Commit(); err != nil {
		return nil, false, nil, fmt.Errorf("store: commit: %w", err)
	}
	return t.changes, t.audited, t.refused, nil
}

func (s *Store) publish(changes []Change) {
	if len(changes) == 0 {
		return
	}
	s.mu.RLock()
	fn, n := s.onChange, s.notifier
	s.mu.RUnlock()
	if fn != nil {
		fn(changes)
	}
	if n != nil {
		seen := make(map[string]bool, len(changes))
		keys := make([]string, 0, len(changes))
		for _, c := range changes {
			if !seen[c.Key] {
				seen[c.Key] = true
				keys = append(keys, c.Key)
			}
		}
		n.Notify(keys)
	}
}

// errClosed answers writes that arrive after Close (a request still running
// when shutdown timed out).
var errClosed = errors.New("store: closed")

// errRetry marks a conflict that running the transaction again resolves.
var errRetry = errors.New("transient conflict")

// newID returns a random identifier with a readable prefix.
func newID(prefix string) string { return prefix + "_" + strings.ToLower(rand.Text()) }

// micro converts a time to stored unix microseconds; the zero time is 0.
func micro(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// fromMicro converts stored microseconds back; 0 is the zero time.
func fromMicro(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMicro(v).UTC()
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// placeholders returns "?, ?, ?" for n arguments.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

func notFound(what, key string) error {
	return licensing.Errorf(licensing.CodeNotFound, "%s %q not found", what, key)
}
