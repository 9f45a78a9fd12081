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
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// Dialect is what differs between the SQL databases.
type Dialect struct {
	Name string
	// Numbered placeholders ($1) instead of '?'.
	Numbered bool
	// ForUpdate locks selected rows ("" where the database has one writer).
	ForUpdate string
	// SkipLocked is appended to the slot search so concurrent checkouts pick
	// different free slots instead of queueing on one.
	SkipLocked string
	// Types fills the {{serial}} and {{float}} tokens of the migrations.
	Types map[string]string
	// LockKey takes a transaction-scoped lock on a name (e.g. the audit chain
	// or a group limit); nil where the database has one writer.
	LockKey func(ctx context.Context, tx *sql.Tx, key string) error
	// IsUnique reports a unique-constraint violation.
	IsUnique func(error) bool
	// IsRetryable reports a transient conflict (deadlock, serialisation, busy).
	IsRetryable func(error) bool
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
	onChange func(keys []string)
	notifier Notifier

	chainKick chan struct{}
	queries   sync.Map // rebound query cache
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
	return &Store{db: db, rdb: rdb, d: d, now: opts.Now, log: opts.Logger, chainKick: make(chan struct{}, 1)}
}

// Dialect returns the store's dialect name ("sqlite" or "postgres").
func (s *Store) Dialect() string { return s.d.Name }

// Now returns the store's clock reading.
func (s *Store) Now() time.Time { return s.now() }

// OnChange registers the listener told, after every commit, what changed.
func (s *Store) OnChange(fn func(keys []string)) {
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
	keys    map[string]struct{}
	audited bool
	// refused is returned to the caller after the transaction commits, so a
	// refusal's own records (denial, queue place) are kept.
	refused error
}

// refuse commits what the transaction wrote and then fails the call with err.
func (t *tx) refuse(err error) error {
	t.refused = err
	return nil
}

func (t *tx) exec(query string, args ...any) (sql.Result, error) {
	return t.ExecContext(t.ctx, t.s.q(query), args...)
}

func (t *tx) query(query string, args ...any) (*sql.Rows, error) {
	return t.QueryContext(t.ctx, t.s.q(query), args...)
}

func (t *tx) queryRow(query string, args ...any) *sql.Row {
	return t.QueryRowContext(t.ctx, t.s.q(query), args...)
}

// changed records that key must be refreshed after commit.
func (t *tx) changed(keys ...string) {
	for _, k := range keys {
		t.keys[k] = struct{}{}
	}
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
		var keys map[string]struct{}
		var audited bool
		var refused error
		keys, audited, refused, err = s.writeOnce(ctx, fn)
		if err == nil {
			s.publish(keys)
			if audited {
				s.kickChain()
			}
			return refused
		}
		if s.d.IsRetryable == nil || !s.d.IsRetryable(err) {
			return err
		}
		time.Sleep(time.Duration(attempt+1) * time.Millisecond)
	}
	return err
}

func (s *Store) writeOnce(ctx context.Context, fn func(t *tx) error) (map[string]struct{}, bool, error, error) {
	sqlTx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, false, nil, fmt.Errorf("store: begin: %w", err)
	}
	t := &tx{Tx: sqlTx, s: s, ctx: ctx, now: s.now().UTC().Truncate(time.Microsecond), keys: map[string]struct{}{}}
	if err := fn(t); err != nil {
		_ = sqlTx.Rollback()
		return nil, false, nil, err
	}
	if err := sqlTx.Commit(); err != nil {
		return nil, false, nil, fmt.Errorf("store: commit: %w", err)
	}
	return t.keys, t.audited, t.refused, nil
}

func (s *Store) publish(set map[string]struct{}) {
	if len(set) == 0 {
		return
	}
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	s.mu.RLock()
	fn, n := s.onChange, s.notifier
	s.mu.RUnlock()
	if fn != nil {
		fn(keys)
	}
	if n != nil {
		n.Notify(keys)
	}
}

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
