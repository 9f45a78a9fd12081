package store

import (
	"context"
	"database/sql"
	"fmt"
)

// rtx is a read-only transaction: every query in it sees one snapshot, so
// a read that combines several queries (a report, a person's page) never
// mixes states from before and after a write that came in between.
type rtx struct {
	*sql.Tx
	s   *Store
	ctx context.Context
}

// read runs fn in one read-only transaction on the read pool.
func (s *Store) read(ctx context.Context, fn func(r *rtx) error) error {
	ctx = s.detach(ctx)
	t, err := s.rdb.BeginTx(ctx, s.d.ReadTx)
	if err != nil {
		return fmt.Errorf("store: begin read: %w", err)
	}
	defer func() { _ = t.Rollback() }()
	if err := fn(&rtx{Tx: t, s: s, ctx: ctx}); err != nil {
		return err
	}
	return t.Commit()
}

func (r *rtx) query(query string, args ...any) (*sql.Rows, error) {
	return r.QueryContext(r.ctx, r.s.q(query), args...)
}

func (r *rtx) queryRow(query string, args ...any) *sql.Row {
	return r.QueryRowContext(r.ctx, r.s.q(query), args...)
}
