// Package peoplecsv imports people from a CSV file, for companies without
// SCIM (DESIGN §3.6). The header names the columns; user_name is required.
// Rows are written in batches, one transaction each; a row with errors is
// reported with its line number and skipped, and the import goes on.
//
// An empty cell leaves the stored value as it is unless Importer.ClearEmpty
// is set (`seatkeeper import --clear-empty`); every changed attribute is in
// the person's user.update audit entry, old → new.
package peoplecsv

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

// Columns are the columns a file may have.
var Columns = []string{
	"user_name", "display_name", "email", "employee_id", "external_id", "job_code", "department",
	"cost_center", "employee_type", "groups", "active", "manager", "given_name", "family_name",
	"organization", "division",
}

// Store is what the importer needs of the store.
type Store interface {
	ImportPeople(ctx context.Context, a licensing.Actor, rows []store.PersonRow, dryRun bool) ([]store.PersonResult, error)
	DeactivatePeopleExcept(ctx context.Context, a licensing.Actor, keep map[string]bool, dryRun bool) ([]string, error)
}

// RowError is a row that was skipped.
type RowError struct {
	Line int
	Err  error
}

func (e RowError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }

// Stats count what an import did (or, in a dry run, would do).
type Stats struct {
	Rows, Created, Updated, Unchanged, Failed, Deactivated int
	// BytesRead is how far into the input the import is, for progress.
	BytesRead int64
	Errors    []RowError
}

// Importer imports one file.
type Importer struct {
	Store Store
	Actor licensing.Actor
	// DryRun reports what would change without writing.
	DryRun bool
	// DeactivateMissing deactivates active people the file does not list.
	DeactivateMissing bool
	// ClearEmpty makes an empty cell clear the person's attribute; by
	// default an empty cell leaves the stored value unchanged.
	ClearEmpty bool
	// BatchSize is the rows per transaction (500 when 0).
	BatchSize int
	// Reconcile, when set, is called with the ids of the people each
	// committed batch created or updated (entitlement rules follow them);
	// freed tells whether it deactivated anyone, whose seats pending grants
	// may take.
	Reconcile func(ctx context.Context, userIDs []string, freed bool) error
	// Progress, when set, is called after every batch.
	Progress func(Stats)
}

// Run imports r. A row error does not stop it; a row whose manager is not
// found (in the database or further down the file) is written without the
// manager and reported as failed; the returned error is for
// what does (an unreadable header, a database failure).
func (im *Importer) Run(ctx context.Context, r io.Reader) (Stats, error) {
	var st Stats
	cr := &countingReader{r: r}
	rd, err := NewReader(bufio.NewReaderSize(cr, 64<<10))
	if err != nil {
		return st, err
	}
	size := im.BatchSize
	if size <= 0 {
		size = 500
	}
	seen := newSeen()
	keep := map[string]bool{}
	var batch []store.PersonRow
	var lines []int
	var pendingManagers []pendingManager
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		res, err := im.Store.ImportPeople(ctx, im.Actor, batch, im.DryRun)
		if err != nil {
			return err
		}
		var ids []string
		freed := false
		for i, r := range res {
			switch r.Outcome {
			case store.RowCreated:
				st.Created++
			case store.RowUpdated:
				st.Updated++
			case store.RowUnchanged:
				st.Unchanged++
			default:
				st.Failed++
				st.Errors = append(st.Errors, RowError{Line: lines[i], Err: r.Err})
				continue
			}
			if r.Deactivated {
				st.Deactivated++
				freed = true
			}
			if r.UserID != "" {
				keep[r.UserID] = true
			}
			if r.Outcome != store.RowUnchanged {
				ids = append(ids, r.UserID)
			}
			if r.ManagerMissing {
				pendingManagers = append(pendingManagers, pendingManager{line: lines[i], userID: r.UserID, manager: *batch[i].Manager})
			}
		}
		if im.Reconcile != nil && !im.DryRun && len(ids) > 0 {
			if err := im.Reconcile(ctx, ids, freed); err != nil {
				return fmt.Errorf("reconcile: %w", err)
			}
		}
		batch, lines = batch[:0], lines[:0]
		st.BytesRead = cr.n
		if im.Progress != nil {
			im.Progress(st)
		}
		return nil
	}
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			var re RowError
			if errors.As(err, &re) {
				st.Rows++
				st.Failed++
				st.Errors = append(st.Errors, re)
				continue
			}
			return st, err
		}
		st.Rows++
		if err := seen.check(rec); err != nil {
			st.Failed++
			st.Errors = append(st.Errors, RowError{Line: rec.Line, Err: err})
			continue
		}
		batch = append(batch, rec.PersonRow(im.ClearEmpty))
		lines = append(lines, rec.Line)
		if len(batch) >= size {
			if err := flush(); err != nil {
				return st, err
			}
		}
	}
	if err := flush(); err != nil {
		return st, err
	}
	// Managers listed later in the file than their reports.
	if err := im.fixManagers(ctx, pendingManagers, seen, &st); err != nil {
		return st, err
	}
	if im.DeactivateMissing {
		gone, err := im.Store.DeactivatePeopleExcept(ctx, im.Actor, keep, im.DryRun)
		if err != nil {
			return st, err
		}
		st.Deactivated += len(gone)
		if im.Reconcile != nil && !im.DryRun && len(gone) > 0 {
			if err := im.Reconcile(ctx, gone, true); err != nil {
				return st, fmt.Errorf("reconcile: %w", err)
			}
		}
	}
	st.BytesRead = cr.n
	return st, nil
}

type pendingManager struct {
	line    int
	userID  string
	manager string
}

// fixManagers sets the managers that did not exist yet when their reports
// were written. In a dry run nothing was written, so a manager the file
// itself lists counts as found.
func (im *Importer) fixManagers(ctx context.Context, pending []pendingManager, seen *seen, st *Stats) error {
	var rows []store.PersonRow
	var lines []int
	for _, p := range pending {
		if im.DryRun || p.userID == "" {
			if !seen.names[licensing.FoldKey(p.manager)] && !seen.employees[licensing.FoldKey(p.manager)] {
				st.Failed++
				st.Errors = append(st.Errors, RowError{Line: p.line, Err: fmt.Errorf("manager %q not found", p.manager)})
			}
			continue
		}
		m := p.manager
		rows = append(rows, store.PersonRow{ID: p.userID, Apply: func(*licensing.User, *store.Identity, bool) error { return nil }, Manager: &m})
		lines = append(lines, p.line)
	}
	for len(rows) > 0 {
		n := min(len(rows), 500)
		res, err := im.Store.ImportPeople(ctx, im.Actor, rows[:n], false)
		if err != nil {
			return err
		}
		for i, r := range res {
			if r.Outcome == store.RowFailed || r.ManagerMissing {
				err := r.Err
				if err == nil {
					err = fmt.Errorf("manager %q not found", *rows[i].Manager)
				}
				st.Failed++
				st.Errors = append(st.Errors, RowError{Line: lines[i], Err: err})
			}
		}
		rows, lines = rows[n:], lines[n:]
	}
	return nil
}

// countingReader counts the bytes read, for progress.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
