package store

import (
	"context"
	"fmt"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/audit"
)

// Group commit: where the database has a single writer (SQLite), concurrent
// write requests are run one after another inside one transaction and
// committed together; the commit, the expensive part (WAL frames and
// syscalls), is paid once per batch. A request that fails is isolated by
// running the batch again with a savepoint per request, so it never touches
// its neighbours.

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
	// Optimistically run the batch without savepoints (two statements a job
	// saved); jobs almost never fail, and when one does the batch is rolled
	// back whole and run again with a savepoint around each job.
	results, ok := s.runBatch(batch, false)
	if !ok {
		results, _ = s.runBatch(batch, true)
	}
	for i, j := range batch {
		j.done <- results[i]
	}
}

// runBatch runs and commits batch in one transaction. Without savepoints it
// gives up (ok=false, nothing written) at the first failing job.
func (s *Store) runBatch(batch []writeJob, savepoints bool) (results []writeResult, ok bool) {
	results = make([]writeResult, len(batch))
	bg := context.Background()
	failAll := func(err error) ([]writeResult, bool) {
		for i := range results {
			results[i] = writeResult{err: err}
		}
		return results, true
	}
	sqlTx, err := s.db.BeginTx(bg, nil)
	if err != nil {
		return failAll(fmt.Errorf("store: begin: %w", err))
	}
	var entries []audit.Entry
	for i, j := range batch {
		if err := j.ctx.Err(); err != nil {
			results[i].err = err
			continue
		}
		if savepoints {
			if _, err := s.txExec(bg, sqlTx, "SAVEPOINT job"); err != nil {
				results[i].err = fmt.Errorf("store: savepoint: %w", err)
				continue
			}
		}
		t := &tx{Tx: sqlTx, s: s, ctx: s.detach(j.ctx), now: s.now().UTC().Truncate(time.Microsecond)}
		err := j.fn(t)
		switch {
		case err != nil && !savepoints:
			_ = sqlTx.Rollback()
			return nil, false
		case err != nil:
			results[i].err = err
			if _, rerr := s.txExec(bg, sqlTx, "ROLLBACK TO SAVEPOINT job"); rerr != nil {
				_ = sqlTx.Rollback()
				return failAll(fmt.Errorf("store: rollback to savepoint: %w", rerr))
			}
		default:
			results[i] = writeResult{changes: t.changes, refused: t.refused}
			entries = append(entries, t.audit...)
		}
		if savepoints {
			if _, err := s.txExec(bg, sqlTx, "RELEASE SAVEPOINT job"); err != nil {
				_ = sqlTx.Rollback()
				return failAll(fmt.Errorf("store: release savepoint: %w", err))
			}
		}
	}
	if len(entries) > 0 {
		// The head is read in the batch's transaction, not cached: another
		// process (a CLI command on the same file) may have chained since.
		if _, err := s.appendChained(bg, sqlTx, nil, entries); err != nil {
			_ = sqlTx.Rollback()
			return failAll(err)
		}
	}
	if err := sqlTx.Commit(); err != nil {
		return failAll(fmt.Errorf("store: commit: %w", err))
	}
	return results, true
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
