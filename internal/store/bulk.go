package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// PersonRow is one person of a bulk import (ImportPeople).
type PersonRow struct {
	// ID, when set, finds the person by id alone (and they must exist).
	ID string
	// UserName, ExternalID and EmployeeID find the person, tried in that
	// order, each case-insensitively; a person no key finds is created.
	UserName, ExternalID, EmployeeID string
	// Apply edits the person: the current record when they exist, or a
	// fresh one (kind person, active, with the keys above) when they do not.
	Apply func(u *licensing.User, id *Identity, exists bool) error
	// Manager, when not nil, names the person's manager by user name or
	// employee ID ("" clears it).
	Manager *string
}

// Outcomes of a PersonRow.
const (
	RowCreated   = "created"
	RowUpdated   = "updated"
	RowUnchanged = "unchanged"
	RowFailed    = "failed"
)

// PersonResult is what became of one PersonRow.
type PersonResult struct {
	Outcome string
	UserID  string
	// Deactivated is set when an update turned an active person inactive.
	Deactivated bool
	// ManagerMissing is set when the manager was not found: the rest of the
	// row is written, and the caller may try again once more people exist.
	ManagerMissing bool
	Err            error
}

// errDryRun rolls a dry run's transaction back.
var errDryRun = errors.New("store: dry run")

// ImportPeople creates or updates people in one transaction, each row inside
// a savepoint so a row that fails (CodeInvalid, CodeConflict, …) is skipped
// and the others are written. Every write is audited as user.create or
// user.update, as one at a time would be. With dryRun nothing is written
// but the results are the same.
func (s *Store) ImportPeople(ctx context.Context, a licensing.Actor, rows []PersonRow, dryRun bool) ([]PersonResult, error) {
	var out []PersonResult
	err := s.write(ctx, func(t *tx) error {
		out = make([]PersonResult, len(rows))
		for i, r := range rows {
			res := &out[i]
			err := t.attempt(func() error { return t.importPerson(a, r, res) })
			if err != nil {
				if licensing.ErrorCode(err) == licensing.CodeInternal {
					return err
				}
				*res = PersonResult{Outcome: RowFailed, Err: err}
			}
		}
		if dryRun {
			return errDryRun
		}
		return nil
	})
	if errors.Is(err, errDryRun) {
		err = nil
	}
	return out, err
}

// matchPerson finds the person a row names: by user name, then external ID,
// then employee ID.
func (t *tx) matchPerson(r PersonRow) (licensing.User, Identity, bool, error) {
	if r.ID != "" {
		u, ident, err := findIdentity(t.queryRow, r.ID, t.s.d.ForUpdate)
		return u, ident, err == nil, err
	}
	tries := []struct{ col, v string }{{"user_name_lower", r.UserName}, {"external_id_lower", r.ExternalID}, {"employee_id_lower", r.EmployeeID}}
	for _, k := range tries {
		if strings.TrimSpace(k.v) == "" {
			continue
		}
		// Only the user name is unique: an external or employee ID shared
		// by several people names none of them.
		var id string
		var n int
		err := t.queryRow(`SELECT COALESCE(MIN(id), ''), count(*) FROM users WHERE `+k.col+` = ?`, licensing.FoldKey(strings.TrimSpace(k.v))).Scan(&id, &n)
		if err == sql.ErrNoRows || (err == nil && n == 0) {
			continue
		}
		if err != nil {
			return licensing.User{}, Identity{}, false, fmt.Errorf("store: match person: %w", err)
		}
		if n > 1 {
			return licensing.User{}, Identity{}, false, Ambiguous(k.v, n)
		}
		u, ident, err := findIdentity(t.queryRow, id, t.s.d.ForUpdate)
		return u, ident, err == nil, err
	}
	return licensing.User{}, Identity{}, false, nil
}

func (t *tx) importPerson(a licensing.Actor, r PersonRow, res *PersonResult) error {
	old, oldID, exists, err := t.matchPerson(r)
	if err != nil {
		return err
	}
	u, id := old, oldID
	u.Groups = slices.Clone(old.Groups)
	id.Emails = slices.Clone(oldID.Emails)
	if !exists {
		u = licensing.User{UserName: strings.TrimSpace(r.UserName), ExternalID: r.ExternalID, EmployeeID: r.EmployeeID, Kind: licensing.KindPerson, Active: true}
	}
	if err := r.Apply(&u, &id, exists); err != nil {
		return err
	}
	if r.Manager != nil {
		id.ManagerID = ""
		if m := licensing.FoldKey(strings.TrimSpace(*r.Manager)); m != "" {
			err := t.queryRow(`SELECT id FROM users WHERE user_name_lower = ? OR employee_id_lower = ? ORDER BY created_at LIMIT 1`, m, m).Scan(&id.ManagerID)
			switch {
			case err == sql.ErrNoRows:
				id.ManagerID, res.ManagerMissing = oldID.ManagerID, true
			case err != nil:
				return fmt.Errorf("store: manager: %w", err)
			}
		}
	}
	if err := u.Validate(); err != nil {
		return err
	}
	if !exists {
		u, _, err = t.createIdentity(a, u, id)
		res.Outcome, res.UserID = RowCreated, u.ID
		return err
	}
	res.UserID = old.ID
	id.Version = oldID.Version
	u.CreatedAt, u.UpdatedAt, u.ID = old.CreatedAt, old.UpdatedAt, old.ID
	if samePerson(u, id, old, oldID) {
		res.Outcome = RowUnchanged
		return nil
	}
	if _, _, err := t.updateIdentity(a, old, oldID, u, id); err != nil {
		return err
	}
	res.Outcome, res.Deactivated = RowUpdated, old.Active && !u.Active
	if res.Deactivated {
		return t.timeLeaver(a, old.ID, "csv-deactivate", t.now)
	}
	return nil
}

// DeactivatePeopleExcept deactivates every active person (not service
// accounts) whose id is not in keep, revoking their seats as UpdateUser
// does, and returns their ids. With dryRun nothing is written.
func (s *Store) DeactivatePeopleExcept(ctx context.Context, a licensing.Actor, keep map[string]bool, dryRun bool) ([]string, error) {
	var out []string
	err := s.write(ctx, func(t *tx) error {
		out = nil
		rows, err := t.query(`SELECT id FROM users WHERE active = 1 AND kind = ? ORDER BY user_name_lower`, string(licensing.KindPerson))
		if err != nil {
			return fmt.Errorf("store: deactivate: %w", err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return fmt.Errorf("store: deactivate: %w", err)
			}
			if !keep[id] {
				out = append(out, id)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("store: deactivate: %w", err)
		}
		if dryRun {
			return errDryRun
		}
		for _, id := range out {
			old, oldID, err := findIdentity(t.queryRow, id, t.s.d.ForUpdate)
			if err != nil {
				return err
			}
			u := old
			u.Active = false
			if _, _, err := t.updateIdentity(a, old, oldID, u, oldID); err != nil {
				return err
			}
			if err := t.timeLeaver(a, id, "csv-missing", t.now); err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, errDryRun) {
		err = nil
	}
	return out, err
}

// samePerson reports whether a person would be stored as they are.
func samePerson(u licensing.User, id Identity, old licensing.User, oldID Identity) bool {
	key := func(u licensing.User, id Identity) string {
		return string(mustJSON([]any{userArgs(u), id.GivenName, id.FamilyName, id.Organization, id.Division, id.ManagerID, emailsJSON(id.Emails)}))
	}
	return key(u, id) == key(old, oldID)
}
