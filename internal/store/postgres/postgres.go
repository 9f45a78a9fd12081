// Package postgres opens Seatkeeper's scale-out store on PostgreSQL through
// pgx. Several processes may share one database: seat counts are enforced by
// the slot rows inside each transaction, and LISTEN/NOTIFY tells every
// process what the others changed.
package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/seatkeeper/seatkeeper/internal/store"
)

const channel = "seatkeeper_changes"

// Dialect is PostgreSQL's flavour of the shared store.
func Dialect(dsn, instance string, log *slog.Logger) store.Dialect {
	return store.Dialect{
		Name:        "postgres",
		Numbered:    true,
		ForUpdate:   " FOR UPDATE",
		ForShare:    " FOR SHARE",
		SkipLocked:  " FOR UPDATE SKIP LOCKED",
		Types:       map[string]string{"serial": "BIGSERIAL PRIMARY KEY", "float": "DOUBLE PRECISION", "blob": "BYTEA"},
		ReadTx:      &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true},
		LockKey:     lockKey,
		IsUnique:    func(err error) bool { return pgCode(err) == "23505" },
		IsRetryable: func(err error) bool { c := pgCode(err); return c == "40001" || c == "40P01" },
		Listen: func(ctx context.Context, fn func([]string)) error {
			return listen(ctx, dsn, instance, log, fn)
		},
	}
}

func pgCode(err error) string {
	var e *pgconn.PgError
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func lockKey(ctx context.Context, tx *sql.Tx, key string) error {
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, key)
	if err != nil {
		return fmt.Errorf("postgres: lock %s: %w", key, err)
	}
	return nil
}

// Open connects to dsn and returns the store with its change notifier set.
func Open(ctx context.Context, dsn string, opts store.Options) (*store.Store, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: bad dsn: %w", err)
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(32)
	db.SetMaxIdleConns(32)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	instance := strings.ToLower(fmt.Sprintf("%x", time.Now().UnixNano()))
	s := store.New(db, db, Dialect(dsn, instance, opts.Logger), opts)
	s.SetNotifier(newNotifier(ctx, db, instance, opts.Logger))
	return s, nil
}

// notifier batches change keys into few NOTIFYs sent outside the business
// transactions: NOTIFY inside a transaction takes a database-wide lock at
// commit, which would serialise every checkout behind one fsync.
type notifier struct {
	db       *sql.DB
	instance string
	log      *slog.Logger
	mu       sync.Mutex
	pending  map[string]struct{}
	kick     chan struct{}
	done     chan struct{}
	once     sync.Once
}

// Close stops the notifier's goroutine.
func (n *notifier) Close() error {
	n.once.Do(func() { close(n.done) })
	return nil
}

func newNotifier(ctx context.Context, db *sql.DB, instance string, log *slog.Logger) *notifier {
	n := &notifier{db: db, instance: instance, log: log, pending: map[string]struct{}{}, kick: make(chan struct{}, 1), done: make(chan struct{})}
	go n.run(context.WithoutCancel(ctx))
	return n
}

func (n *notifier) Notify(keys []string) {
	n.mu.Lock()
	for _, k := range keys {
		n.pending[k] = struct{}{}
	}
	n.mu.Unlock()
	select {
	case n.kick <- struct{}{}:
	default:
	}
}

// maxPayload stays under PostgreSQL's 8000-byte NOTIFY limit.
const maxPayload = 7000

func (n *notifier) run(ctx context.Context) {
	for {
		select {
		case <-n.done:
			return
		case <-n.kick:
		}
		time.Sleep(2 * time.Millisecond) // let a burst coalesce
		n.mu.Lock()
		keys := make([]string, 0, len(n.pending))
		for k := range n.pending {
			keys = append(keys, k)
		}
		n.pending = map[string]struct{}{}
		n.mu.Unlock()
		for len(keys) > 0 {
			var b strings.Builder
			b.WriteString(n.instance)
			for len(keys) > 0 && b.Len()+len(keys[0])+1 < maxPayload {
				b.WriteByte('\n')
				b.WriteString(keys[0])
				keys = keys[1:]
			}
			if _, err := n.db.ExecContext(ctx, `SELECT pg_notify($1, $2)`, channel, b.String()); err != nil {
				n.log.Warn("postgres notify", "err", err)
			}
		}
	}
}

// listen follows other processes' changes on a dedicated connection,
// reconnecting with back-off; after each (re)connect it asks for a full
// reload, since notifications may have been missed meanwhile.
func listen(ctx context.Context, dsn, instance string, log *slog.Logger, fn func([]string)) error {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		conn, err := pgx.Connect(ctx, dsn)
		if err == nil {
			_, err = conn.Exec(ctx, "LISTEN "+channel)
		}
		if err != nil {
			log.Warn("postgres listen", "err", err)
			if conn != nil {
				conn.Close(context.WithoutCancel(ctx))
			}
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, 5*time.Second)
			continue
		}
		backoff = 100 * time.Millisecond
		// Changes made before LISTEN took hold were never heard: reload
		// everything once listening, also on the first connect (the engine
		// was loaded before this follower started).
		fn([]string{"*"})
		for {
			note, err := conn.WaitForNotification(ctx)
			if err != nil {
				break
			}
			from, rest, _ := strings.Cut(note.Payload, "\n")
			if from == instance || rest == "" {
				continue
			}
			fn(strings.Split(rest, "\n"))
		}
		conn.Close(context.WithoutCancel(ctx))
	}
	return nil
}
