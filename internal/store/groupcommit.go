package store

import (
	"context"
	"fmt"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/audit"
)

// Group commit: where the database has a single writer (SQLite), concurrent
// write requests are run one after another inside one transaction, each in
// its own savepoint, and committed together. A request that fails rolls back
// to its savepoint without touching its neighbours; the commit, which is the
// expensive part (WAL frames and syscalls), is paid once per batch.

const maxBatch = 128

// gatherWindow is how long the committer waits for more jobs after the first.
const gatherWindow = 300 * time.Microsecond

type writeJob struct {
	ctx  context.Context
	fn   func(t *tx) error
	done chan writeResult
}

type writeResult struct {
	changes []Change
	audited bool
	refused error
	err     error
}

// runCommitter serves write jobs until the queue closes.
func (s *Store) runCommitter() {
	defer close(s.committerDone)
	gather := time.NewTimer(0)
	<-gather.C
	for first := range s.writeQ {
		batch := []writeJob{first}
		// Wait a moment for company: a commit costs about as much as the
		// work of several jobs, so fuller batches raise throughput for a
		// fraction of a millisecond of latency.
		gather.Reset(gatherWindow)
		waiting := true
	drain:
		for len(batch) < maxBatch {
			select {
			case j, ok := <-s.writeQ:
				if !ok {
					break drain
				}
				batch = append(batch, j)
			case <-gather.C:
				waiting = false
				break drain
			}
		}
		if waiting && !gather.Stop() {
			<-gather.C
		}
		s.commitBatch(batch)
	}
}

func (s *Store) commitBatch(batch []writeJob) {
	results := make([]writeResult, len(batch))
	var entries []audit.Entry
	fail := func(err error) {
		for _, j := range batch {
			j.done <- writeResult{err: err}
		}
	}
	sqlTx, err := s.db.BeginTx(context.Background(), nil)
	if err != nil {
		fail(fmt.Errorf("store: begin: %w", err))
		return
	}
	for i, j := range batch {
		if err := j.ctx.Err(); err != nil {
			results[i].err = err
			continue
		}
		if _, err := s.txExec(context.Background(), sqlTx, "SAVEPOINT job"); err != nil {
			results[i].err = fmt.Errorf("store: savepoint: %w", err)
			continue
		}
		t := &tx{Tx: sqlTx, s: s, ctx: s.detach(j.ctx), now: s.now().UTC().Truncate(time.Microsecond)}
		if err := j.fn(t); err != nil {
			results[i].err = err
			if _, rerr := s.txExec(context.Background(), sqlTx, "ROLLBACK TO SAVEPOINT job"); rerr != nil {
				_ = sqlTx.Rollback()
				fail(fmt.Errorf("store: rollback to savepoint: %w", rerr))
				return
			}
		} else {
			results[i] = writeResult{changes: t.changes, refused: t.refused}
			entries = append(entries, t.audit...)
		}
		if _, err := s.txExec(context.Background(), sqlTx, "RELEASE SAVEPOINT job"); err != nil {
			_ = sqlTx.Rollback()
			fail(fmt.Errorf("store: release savepoint: %w", err))
			return
		}
	}
	if len(entries) > 0 {
		// The head is read in the batch's transaction, not cached: another
		// process (a CLI command on the same file) may have chained since.
		if _, err := s.appendChained(context.Background(), sqlTx, nil, entries); err != nil {
			_ = sqlTx.Rollback()
			fail(err)
			return
		}
	}
	if err := sqlTx.Commit(); err != nil {
		fail(fmt.Errorf("store: commit: %w", err))
		return
	}
	for i, j := range batch {
		j.done <- results[i]
	}
}

// writeGrouped hands fn to the committer and waits for its batch to commit.
func (s *Store) writeGrouped(ctx context.Context, fn func(t *tx) error) (writeResult, error) {
	j := writeJob{ctx: ctx, fn: fn, done: make(chan writeResult, 1)}
	s.closeMu.RLock()
	if s.closed {
		s.closeMu.RUnlock()
		return writeResult{}, errClosed
	}
	select {
	case s.writeQ <- j:
		s.closeMu.RUnlock()
	case <-ctx.Done():
		s.closeMu.RUnlock()
		return writeResult{}, ctx.Err()
	}
	// Once queued, wait for the outcome even if ctx ends: the job may
	// already be committed, and the caller must learn of it.
	r := <-j.done
	return r, r.err
}
