package store

import (
	"context"
	"fmt"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/audit"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// seedAuditBatch bounds the entries of one transaction (8 parameters each,
// under every dialect's limit per statement).
const seedAuditBatch = 2000

// SeedAudit appends past entries to the audit log as given (their times,
// actors, subjects and details), chained like every other entry: for
// carrying over another system's log, and for measuring the console at
// the scale of years of entries. It writes batches of at most 2,000 in one
// transaction each; an entry in the future or without an action is refused
// with CodeInvalid before anything is written.
func (s *Store) SeedAudit(ctx context.Context, entries []audit.Entry) error {
	now := s.now()
	for i, e := range entries {
		if e.Action == "" || e.At.IsZero() || e.At.After(now) {
			return licensing.FieldErrorf(licensing.CodeInvalid, fmt.Sprintf("entries[%d]", i), "entry %d needs an action and a time not after %s", i, now.Format(time.RFC3339))
		}
	}
	for start := 0; start < len(entries); start += seedAuditBatch {
		batch := entries[start:min(start+seedAuditBatch, len(entries))]
		err := s.write(ctx, func(t *tx) error {
			for _, e := range batch {
				t.audit = append(t.audit, audit.Entry{At: e.At, Actor: e.Actor, ActingUser: e.ActingUser, Action: e.Action, Subject: e.Subject, Result: e.Result, Source: e.Source, Detail: e.Detail})
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("store: seed audit: %w", err)
		}
	}
	return nil
}
