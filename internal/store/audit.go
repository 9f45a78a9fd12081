package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/audit"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// record adds an audit entry to the transaction. It is written when the
// transaction ends (flushAudit): under group commit the batch chains it into
// the log; otherwise it goes to audit_pending, in the same transaction as
// the change, for the chainer.
func (t *tx) record(a licensing.Actor, action, subject, result, detail string) error {
	t.audit = append(t.audit, audit.Entry{At: t.now, Actor: a.Name, ActingUser: a.ActingUser, Action: action, Subject: subject, Result: result, Source: a.Source, Detail: detail})
	return nil
}

// flushAudit writes the transaction's entries to audit_pending in one
// statement (one round trip, where each used to cost one).
func (t *tx) flushAudit() error {
	if len(t.audit) == 0 {
		return nil
	}
	const cols = 8
	q := `INSERT INTO audit_pending (at, actor, acting_user, action, subject, result, source, detail) VALUES ` +
		strings.TrimSuffix(strings.Repeat("("+placeholders(cols)+"), ", len(t.audit)), ", ")
	args := make([]any, 0, len(t.audit)*cols)
	for _, e := range t.audit {
		args = append(args, micro(e.At), e.Actor, e.ActingUser, e.Action, e.Subject, e.Result, e.Source, e.Detail)
	}
	if _, err := t.exec(q, args...); err != nil {
		return fmt.Errorf("store: audit: %w", err)
	}
	t.audited = true
	return nil
}

func (s *Store) kickChain() {
	select {
	case s.chainKick <- struct{}{}:
	default:
	}
}

// RunChainer chains pending audit entries whenever writes happen (and every
// second, for entries written by other processes) until ctx ends.
func (s *Store) RunChainer(ctx context.Context) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.chainKick:
		case <-tick.C:
		}
		if _, err := s.ChainPending(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("audit chain", "err", err)
		}
		// Pace the chainer: one chaining transaction per interval carries
		// every entry written meanwhile, instead of one per write. Readers
		// of the log chain synchronously, so they never see less.
		select {
		case <-ctx.Done():
			return
		case <-time.After(chainInterval):
		}
	}
}

const chainBatch = 2000

// chainInterval is the least time between two background chaining runs.
const chainInterval = 25 * time.Millisecond

// ChainPending moves pending audit entries into the hash chain in batches,
// returning how many it chained. One chainer runs at a time per database.
func (s *Store) ChainPending(ctx context.Context) (int, error) {
	if s.writeQ != nil {
		return 0, nil // group commit chains in the batch; nothing waits
	}
	total := 0
	for {
		n, err := s.chainBatch(ctx)
		total += n
		if err != nil || n < chainBatch {
			return total, err
		}
	}
}

func (s *Store) chainBatch(ctx context.Context) (int, error) {
	t, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("store: chain begin: %w", err)
	}
	defer func() { _ = t.Rollback() }()
	if s.d.LockKey != nil {
		if err := s.d.LockKey(ctx, t, "audit-chain"); err != nil {
			return 0, fmt.Errorf("store: chain lock: %w", err)
		}
	}
	rows, err := t.QueryContext(ctx, s.q(`SELECT id, at, actor, acting_user, action, subject, result, source, detail FROM audit_pending ORDER BY id LIMIT ?`), chainBatch)
	if err != nil {
		return 0, fmt.Errorf("store: chain pending: %w", err)
	}
	var ids []any
	var entries []audit.Entry
	for rows.Next() {
		var id, at int64
		var e audit.Entry
		if err := rows.Scan(&id, &at, &e.Actor, &e.ActingUser, &e.Action, &e.Subject, &e.Result, &e.Source, &e.Detail); err != nil {
			rows.Close()
			return 0, fmt.Errorf("store: chain scan: %w", err)
		}
		e.At = fromMicro(at)
		entries = append(entries, e)
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if len(entries) == 0 {
		return 0, nil
	}
	if _, err := s.appendChained(ctx, t, nil, entries); err != nil {
		return 0, err
	}
	// Delete exactly the rows chained: a row committed meanwhile stays pending.
	for start := 0; start < len(ids); start += 500 {
		end := min(start+500, len(ids))
		if _, err := t.ExecContext(ctx, s.q(`DELETE FROM audit_pending WHERE id IN (`+placeholders(end-start)+`)`), ids[start:end]...); err != nil {
			return 0, fmt.Errorf("store: chain delete: %w", err)
		}
	}
	if err := t.Commit(); err != nil {
		return 0, fmt.Errorf("store: chain commit: %w", err)
	}
	return len(entries), nil
}

// appendChained links entries onto the chain's head inside t, writes them
// and records the new head. The caller holds the chain (its lock, or the
// single writer). head, when non-nil, is the known newest entry; the new
// head is returned.
func (s *Store) appendChained(ctx context.Context, t *sql.Tx, head *audit.Entry, entries []audit.Entry) (*audit.Entry, error) {
	prev := head
	if prev == nil {
		// Chain from the recorded head, not from the newest row: if rows
		// were deleted from the end, the gap must stay visible to verify.
		var v string
		err := t.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = 'audit_head'`).Scan(&v)
		switch {
		case err == nil:
			seqStr, hash, _ := strings.Cut(v, " ")
			seq, perr := strconv.ParseInt(seqStr, 10, 64)
			if perr != nil {
				return nil, fmt.Errorf("store: chain head %q: %w", v, perr)
			}
			prev = &audit.Entry{Seq: seq, Hash: hash}
		case err != sql.ErrNoRows:
			return nil, fmt.Errorf("store: chain head: %w", err)
		}
	}
	for i := range entries {
		audit.Chain(prev, &entries[i])
		prev = &entries[i]
	}
	// Insert in chunks of fixed sizes so the multi-row statements stay few
	// and cached.
	for rest := entries; len(rest) > 0; {
		n := 1
		for _, size := range []int{64, 16, 4} {
			if len(rest) >= size {
				n = size
				break
			}
		}
		args := make([]any, 0, n*11)
		for _, e := range rest[:n] {
			args = append(args, e.Seq, micro(e.At), e.Actor, e.ActingUser, e.Action, e.Subject, e.Result, e.Source, e.Detail, e.PrevHash, e.Hash)
		}
		if _, err := s.txExec(ctx, t, s.q(auditInsert(n)), args...); err != nil {
			return nil, fmt.Errorf("store: chain insert: %w", err)
		}
		rest = rest[n:]
	}
	h := strconv.FormatInt(prev.Seq, 10) + " " + prev.Hash
	if _, err := s.txExec(ctx, t, s.q(`INSERT INTO settings (key, value) VALUES ('audit_head', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`), h); err != nil {
		return nil, fmt.Errorf("store: chain head: %w", err)
	}
	last := *prev
	return &last, nil
}

// auditInsert is the INSERT of n audit rows.
func auditInsert(n int) string {
	row := "(" + placeholders(11) + ")"
	return `INSERT INTO audit_log (seq, at, actor, acting_user, action, subject, result, source, detail, prev_hash, hash) VALUES ` + strings.TrimSuffix(strings.Repeat(row+", ", n), ", ")
}

type rowScanner interface{ Scan(dest ...any) error }

func scanEntry(r rowScanner) (audit.Entry, error) {
	var e audit.Entry
	var at int64
	err := r.Scan(&e.Seq, &at, &e.Actor, &e.ActingUser, &e.Action, &e.Subject, &e.Result, &e.Source, &e.Detail, &e.PrevHash, &e.Hash)
	e.At = fromMicro(at)
	return e, err
}

// ListAudit returns up to limit chained entries after seq.
func (s *Store) ListAudit(ctx context.Context, after int64, limit int) ([]audit.Entry, error) {
	if _, err := s.ChainPending(ctx); err != nil {
		return nil, err
	}
	rows, err := s.readRows(ctx, (`SELECT seq, at, actor, acting_user, action, subject, result, source, detail, prev_hash, hash FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?`), after, limit)
	if err != nil {
		return nil, fmt.Errorf("store: list audit: %w", err)
	}
	defer rows.Close()
	out := []audit.Entry{}
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return nil, fmt.Errorf("store: scan audit: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// ScanAudit calls fn for every chained entry in stored order (by seq as the
// rows say, so a reordering shows up as such).
func (s *Store) ScanAudit(ctx context.Context, fn func(audit.Entry) error) error {
	if _, err := s.ChainPending(ctx); err != nil {
		return err
	}
	return s.scanAudit(ctx, -1, fn)
}

// scanAudit reads entries with seq <= upTo (all when upTo < 0).
func (s *Store) scanAudit(ctx context.Context, upTo int64, fn func(audit.Entry) error) error {
	q, args := `SELECT seq, at, actor, acting_user, action, subject, result, source, detail, prev_hash, hash FROM audit_log ORDER BY seq`, []any(nil)
	if upTo >= 0 {
		q, args = `SELECT seq, at, actor, acting_user, action, subject, result, source, detail, prev_hash, hash FROM audit_log WHERE seq <= ? ORDER BY seq`, []any{upTo}
	}
	rows, err := s.readRows(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("store: scan audit: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return fmt.Errorf("store: scan audit: %w", err)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return rows.Err()
}

// AuditHead returns the seq and hash recorded for the newest chained entry.
func (s *Store) AuditHead(ctx context.Context) (int64, string, error) {
	var v string
	err := s.readRow(ctx, `SELECT value FROM settings WHERE key = 'audit_head'`).Scan(&v)
	if err == sql.ErrNoRows {
		return 0, "", nil
	}
	if err != nil {
		return 0, "", fmt.Errorf("store: audit head: %w", err)
	}
	seqStr, hash, _ := strings.Cut(v, " ")
	seq, err := strconv.ParseInt(seqStr, 10, 64)
	return seq, hash, err
}

// VerifyAudit checks the whole chain and the recorded head; it returns the
// number of entries, or the first bad entry as an *audit.ChainError.
func (s *Store) VerifyAudit(ctx context.Context) (int64, error) {
	c, err := s.CheckAudit(ctx)
	return c.Count, err
}

// RecordEvent writes an audit entry for something that changes no other
// state: a refused sign-in, a report viewed.
func (s *Store) RecordEvent(ctx context.Context, a licensing.Actor, action, subject, result, detail string) error {
	return s.write(ctx, func(t *tx) error { return t.record(a, action, subject, result, detail) })
}
