package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

const userCols = `id, user_name, display_name, email, employee_id, external_id, job_code, department, cost_center, employee_type, groups, kind, active, created_at, updated_at`

func scanUser(r rowScanner) (licensing.User, error) {
	var u licensing.User
	var groups, kind string
	var created, updated int64
	if err := r.Scan(&u.ID, &u.UserName, &u.DisplayName, &u.Email, &u.EmployeeID, &u.ExternalID, &u.JobCode, &u.Department, &u.CostCenter, &u.EmployeeType, &groups, &kind, &u.Active, &created, &updated); err != nil {
		return u, err
	}
	u.Kind = licensing.Kind(kind)
	u.CreatedAt, u.UpdatedAt = fromMicro(created), fromMicro(updated)
	if err := json.Unmarshal([]byte(groups), &u.Groups); err != nil {
		return u, fmt.Errorf("user %s groups: %w", u.ID, err)
	}
	return u, nil
}

// Ambiguous is the refusal of a key that names several people.
func Ambiguous(key string, n int) error {
	return licensing.Errorf(licensing.CodeAmbiguous, "%q names %d people: use their user name or id", key, n)
}

// findUser resolves key (id, user name, email, employee ID or external ID).
func findUser(row func(q string, args ...any) *sql.Row, key, lock string) (licensing.User, error) {
	if strings.TrimSpace(key) == "" {
		return licensing.User{}, notFound("user", key)
	}
	lower := licensing.FoldKey(strings.TrimSpace(key))
	var u licensing.User
	err := sql.ErrNoRows
	if strings.HasPrefix(key, "usr_") {
		u, err = scanUser(row(`SELECT `+userCols+` FROM users WHERE id = ?`+lock, key))
	}
	if err == sql.ErrNoRows {
		u, err = scanUser(row(`SELECT `+userCols+` FROM users WHERE user_name_lower = ?`+lock, lower))
	}
	if err == sql.ErrNoRows {
		// The other keys may be shared: one that names several people is
		// refused, never resolved to an arbitrary one.
		var n int
		if err := row(`SELECT count(*) FROM users WHERE email_lower = ? OR employee_id_lower = ? OR external_id_lower = ?`, lower, lower, lower).Scan(&n); err != nil {
			return u, fmt.Errorf("store: find user: %w", err)
		}
		if n > 1 {
			return u, Ambiguous(key, n)
		}
		u, err = scanUser(row(`SELECT `+userCols+` FROM users WHERE email_lower = ? OR employee_id_lower = ? OR external_id_lower = ?`+lock, lower, lower, lower))
	}
	if err == sql.ErrNoRows {
		return u, notFound("user", key)
	}
	if err != nil {
		return u, fmt.Errorf("store: find user: %w", err)
	}
	return u, nil
}

// GetUser finds a person by id, user name, email, employee ID or external ID.
func (s *Store) GetUser(ctx context.Context, key string) (licensing.User, error) {
	return findUser(func(q string, args ...any) *sql.Row { return s.readRow(ctx, q, args...) }, key, "")
}

func (t *tx) user(key string) (licensing.User, error) { return findUser(t.queryRow, key, "") }

// userName names a person for an audit subject, as every entry does: by
// user name, or by the key given when no such person exists (an unknown
// user in a denial, say).
func (t *tx) userName(id string) string {
	var name string
	if err := t.queryRow(`SELECT user_name FROM users WHERE id = ?`, id).Scan(&name); err != nil {
		return id
	}
	return name
}

// userLock finds a person and locks the row with lock (the dialect's FOR
// UPDATE or FOR SHARE), ordering this transaction against changes to them.
func (t *tx) userLock(key, lock string) (licensing.User, error) {
	return findUser(t.queryRow, key, lock)
}

// UserFilter narrows ListUsers.
type UserFilter struct {
	After  string // user_name_lower to continue after
	Limit  int
	Group  string
	Active *bool
}

// ListUsers pages through people by user name.
func (s *Store) ListUsers(ctx context.Context, f UserFilter) ([]licensing.User, error) {
	q := `SELECT ` + userCols + ` FROM users WHERE user_name_lower > ?`
	args := []any{licensing.FoldKey(f.After)}
	if f.Group != "" {
		q += ` AND id IN (SELECT user_id FROM user_groups WHERE grp = ?)`
		args = append(args, f.Group)
	}
	if f.Active != nil {
		q += ` AND active = ?`
		args = append(args, b2i(*f.Active))
	}
	q += ` ORDER BY user_name_lower LIMIT ?`
	args = append(args, f.Limit)
	rows, err := s.readRows(ctx, (q), args...)
	if err != nil {
		return nil, fmt.Errorf("store: list users: %w", err)
	}
	defer rows.Close()
	out := []licensing.User{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("store: scan user: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

func userArgs(u licensing.User) []any {
	groups := u.Groups
	if groups == nil {
		groups = []string{}
	}
	g, _ := json.Marshal(groups)
	email := "" // only a valid address finds a person
	if licensing.ValidEmail(u.Email) {
		email = licensing.FoldKey(u.Email)
	}
	return []any{u.UserName, licensing.FoldKey(u.UserName), u.DisplayName, FoldDisplayName(u.DisplayName), u.Email, email, u.EmployeeID, licensing.FoldKey(u.EmployeeID),
		u.ExternalID, licensing.FoldKey(u.ExternalID), u.JobCode, u.Department, u.CostCenter, u.EmployeeType, string(g), string(u.Kind), b2i(u.Active)}
}

// userWriteCols are the columns userArgs fills, in its order; the *_lower
// columns hold the identity keys folded (licensing.FoldKey), and the display
// name folded for the console's search (FoldDisplayName).
const userWriteCols = `user_name, user_name_lower, display_name, display_name_lower, email, email_lower, employee_id, employee_id_lower, external_id, external_id_lower, job_code, department, cost_center, employee_type, groups, kind, active`

// checkIdentity refuses a user name that already names someone else: it
// is the one unique key (RFC 7643 §4.1.1), and lookups try it first. Email,
// employee ID and external ID may be shared — also with another person's
// user name, as a shared mailbox is: creates arrive in any order, and none
// may be refused for it. Resolving by a shared key refuses it as ambiguous.
// It then resolves the manager references that waited for this person.
func (t *tx) checkIdentity(u licensing.User) error {
	name := licensing.FoldKey(u.UserName)
	// Two concurrent writes must not both take one user name, nor miss a
	// manager reference to this person written at the same moment (see
	// resolveManagerRef); writes of unrelated people never wait.
	locks := []string{"identity:" + name}
	for _, k := range personKeys(u) {
		locks = append(locks, "mgrref:"+k)
	}
	if err := t.lockKeys(locks...); err != nil {
		return err
	}
	var other string
	err := t.queryRow(`SELECT user_name FROM users WHERE id <> ? AND user_name_lower = ?`, u.ID, name).Scan(&other)
	if err == nil {
		return licensing.FieldErrorf(licensing.CodeConflict, "user_name", "user_name %q already identifies %q", u.UserName, other)
	}
	if err != sql.ErrNoRows {
		return fmt.Errorf("store: identity check: %w", err)
	}
	return t.resolveManagerRefs(u)
}

// personKeys are the folded keys a manager reference may name u by: id,
// user name, external ID, employee ID, a valid email.
func personKeys(u licensing.User) []string {
	keys := []string{licensing.FoldKey(u.ID), licensing.FoldKey(u.UserName)}
	for _, k := range []string{u.ExternalID, u.EmployeeID} {
		if k != "" {
			keys = append(keys, licensing.FoldKey(k))
		}
	}
	if licensing.ValidEmail(u.Email) {
		keys = append(keys, licensing.FoldKey(u.Email))
	}
	return keys
}

// lockKeys takes the dialect's transaction locks on keys, sorted, so two
// writers never take them in opposite orders (a deadlock is retried anyway).
func (t *tx) lockKeys(keys ...string) error {
	if t.s.d.LockKey == nil {
		return nil // one writer at a time already
	}
	slices.Sort(keys)
	for _, k := range slices.Compact(keys) {
		if err := t.s.d.LockKey(t.ctx, t.Tx, k); err != nil {
			return err
		}
	}
	return nil
}

// resolveManagerRef resolves, inside the write, a manager reference that
// named nobody when the request was read: the person may have arrived
// since. The reference's lock orders it against that person's own write,
// which resolves references the other way (resolveManagerRefs).
func (t *tx) resolveManagerRef(userID string, id *Identity) error {
	if id.ManagerID != "" || id.ManagerRef == "" {
		return nil
	}
	f := licensing.FoldKey(id.ManagerRef)
	if err := t.lockKeys("mgrref:" + f); err != nil {
		return err
	}
	var mgr string
	var n int
	err := t.queryRow(`SELECT COALESCE(MIN(id), ''), count(*) FROM users WHERE id <> ? AND (id = ? OR user_name_lower = ? OR external_id_lower = ? OR employee_id_lower = ? OR email_lower = ?)`,
		userID, id.ManagerRef, f, f, f, f).Scan(&mgr, &n)
	if err != nil {
		return fmt.Errorf("store: manager reference: %w", err)
	}
	if n == 1 {
		id.ManagerID, id.ManagerRef = mgr, ""
	}
	return nil
}

// resolveManagerRefs points people whose manager reference names u (by id,
// user name, external ID, employee ID or a valid email) at u.
func (t *tx) resolveManagerRefs(u licensing.User) error {
	var keys []any
	for _, k := range personKeys(u) {
		keys = append(keys, k)
	}
	args := append(append([]any{u.ID, micro(t.now)}, keys...), u.ID)
	// "manager_ref_lower <> ''" lets the partial index serve the update:
	// without it SQLite scans every person on every write.
	res, err := t.exec(`UPDATE users SET manager_id = ?, manager_ref = '', manager_ref_lower = '', scim_version = scim_version + 1, updated_at = ?
		WHERE manager_ref_lower <> '' AND manager_ref_lower IN (`+placeholders(len(keys))+`) AND id <> ?`, args...)
	if err != nil {
		return fmt.Errorf("store: resolve manager references: %w", err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return t.record(licensing.System("provisioning"), "user.manager_resolved", "user:"+u.UserName, "ok", fmt.Sprintf("people=%d", n))
	}
	return nil
}

// CreateUser adds a person or service account with the given Active state.
func (s *Store) CreateUser(ctx context.Context, a licensing.Actor, u licensing.User) (licensing.User, error) {
	if err := u.Validate(); err != nil {
		return u, err
	}
	err := s.write(ctx, func(t *tx) error {
		if u.ID == "" {
			u.ID = newID("usr")
		}
		u.CreatedAt, u.UpdatedAt = t.now, t.now
		if err := t.checkIdentity(u); err != nil {
			return err
		}
		args := append([]any{u.ID}, userArgs(u)...)
		args = append(args, micro(t.now), micro(t.now))
		res, err := t.exec(`INSERT INTO users (id, `+userWriteCols+`, created_at, updated_at) VALUES (`+placeholders(20)+`) ON CONFLICT DO NOTHING`, args...)
		if err != nil {
			return fmt.Errorf("store: create user: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return licensing.FieldErrorf(licensing.CodeConflict, "user_name", "user %q already exists", u.UserName)
		}
		if err := t.setGroups(u.ID, u.Groups); err != nil {
			return err
		}
		t.changed(PersonKey(u.ID))
		return t.record(a, "user.create", "user:"+u.UserName, "ok", string(mustJSON(userDetail(u))))
	})
	return u, err
}

func userDetail(u licensing.User) map[string]any {
	return map[string]any{"id": u.ID, "kind": u.Kind, "job_code": u.JobCode, "department": u.Department, "groups": u.Groups, "active": u.Active}
}

// setGroups writes a person's groups where the engine reads them
// (user_groups) and keeps their membership of SCIM groups (group_members) in
// step: naming a group that exists makes the person a member of it.
func (t *tx) setGroups(id string, groups []string) error {
	for _, q := range []string{`DELETE FROM user_groups WHERE user_id = ?`, `DELETE FROM group_members WHERE user_id = ?`} {
		if _, err := t.exec(q, id); err != nil {
			return fmt.Errorf("store: groups: %w", err)
		}
	}
	for _, g := range groups {
		if _, err := t.exec(`INSERT INTO user_groups (user_id, grp) VALUES (?, ?)`, id, g); err != nil {
			return fmt.Errorf("store: groups: %w", err)
		}
		if _, err := t.exec(`INSERT INTO group_members (group_id, user_id) SELECT id, ? FROM groups WHERE display_name_lower = ? ON CONFLICT DO NOTHING`, id, strings.ToLower(g)); err != nil {
			return fmt.Errorf("store: groups: %w", err)
		}
	}
	return nil
}

// UpdateUser replaces a person's attributes. Deactivating a person ends their
// sessions and leases and revokes every seat, in the same transaction.
func (s *Store) UpdateUser(ctx context.Context, a licensing.Actor, u licensing.User) (licensing.User, error) {
	return s.UpdateUserFunc(ctx, a, u.ID, func(licensing.User) (licensing.User, error) { return u, nil })
}

// UpdateUserFunc updates the person behind key to what change makes of their
// current record, read and locked in the same transaction: fields a caller
// leaves as they are (say, active) cannot undo a concurrent change.
func (s *Store) UpdateUserFunc(ctx context.Context, a licensing.Actor, key string, change func(old licensing.User) (licensing.User, error)) (licensing.User, error) {
	var u licensing.User
	err := s.write(ctx, func(t *tx) error {
		old, err := t.userLock(key, t.s.d.ForUpdate)
		if err != nil {
			return err
		}
		if u, err = change(old); err != nil {
			return err
		}
		if err := u.Validate(); err != nil {
			return err
		}
		u.ID, u.CreatedAt, u.UpdatedAt = old.ID, old.CreatedAt, t.now
		return t.updateUserRow(a, old, u, nil)
	})
	return u, err
}

// DeleteUser removes a person after revoking every seat and ending every
// lease and session; their history stays.
func (s *Store) DeleteUser(ctx context.Context, a licensing.Actor, key string) error {
	return s.DeleteUserIf(ctx, a, key, nil)
}

// DeleteUserIf is DeleteUser when check, given the person as locked in the
// transaction, returns nil (SCIM's If-Match); its error is returned as is.
func (s *Store) DeleteUserIf(ctx context.Context, a licensing.Actor, key string, check func(licensing.User, Identity) error) error {
	return s.write(ctx, func(t *tx) error {
		u, id, err := findIdentity(t.queryRow, key, t.s.d.ForUpdate)
		if err != nil {
			return err
		}
		if check != nil {
			if err := check(u, id); err != nil {
				return err
			}
		}
		if err := t.revokeEverything(a, u.ID, "deleted"); err != nil {
			return err
		}
		if _, err := t.exec(`DELETE FROM user_groups WHERE user_id = ?`, u.ID); err != nil {
			return err
		}
		// A leaver's password and browser sessions go with them.
		for _, q := range []string{`DELETE FROM queue_entries WHERE user_id = ?`, `DELETE FROM group_members WHERE user_id = ?`, `DELETE FROM accounts WHERE user_id = ?`, `DELETE FROM web_sessions WHERE user_id = ?`} {
			if _, err := t.exec(q, u.ID); err != nil {
				return fmt.Errorf("store: delete user: %w", err)
			}
		}
		if _, err := t.exec(`DELETE FROM users WHERE id = ?`, u.ID); err != nil {
			return fmt.Errorf("store: delete user: %w", err)
		}
		t.changed(PersonKey(u.ID))
		return t.record(a, "user.delete", "user:"+u.UserName, "ok", "")
	})
}

// revokeEverything ends a leaver's sessions and leases, revokes every seat
// and every share link the person published (SOC 2 CC6.3: a leaver's
// access ends, including what they handed out).
func (t *tx) revokeEverything(a licensing.Actor, userID, reason string) error {
	if err := t.endUserSessions(a, userID, reason); err != nil {
		return err
	}
	res, err := t.exec(`UPDATE share_links SET revoked_at = ?, revoked_by = ? WHERE revoked_at = 0 AND created_by = (SELECT 'web:' || user_name FROM users WHERE id = ?)`,
		micro(t.now), a.Name, userID)
	if err != nil {
		return fmt.Errorf("store: revoke a leaver's share links: %w", err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		if err := t.record(a, "report.share_revoke", "user:"+t.userName(userID), "leaver", fmt.Sprintf("links=%d", n)); err != nil {
			return err
		}
	}
	rows, err := t.query(`SELECT pool_id FROM members WHERE user_id = ? AND revoked_at = 0`, userID)
	if err != nil {
		return err
	}
	var pools []string
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			rows.Close()
			return err
		}
		pools = append(pools, p)
	}
	rows.Close()
	for _, p := range pools {
		if err := t.revokeMember(a, p, userID, reason, true); err != nil {
			return err
		}
	}
	return nil
}

// refuseServiceSeats stops a service account from holding fulfiller or
// module seats: several people would work through one seat (multiplexing).
func (t *tx) refuseServiceSeats(userID string) error {
	var n int
	err := t.queryRow(`SELECT count(*) FROM members m JOIN pools p ON p.id = m.pool_id JOIN skus k ON k.key = p.sku WHERE m.user_id = ? AND m.revoked_at = 0 AND k.tier IN ('fulfiller', 'module')`, userID).Scan(&n)
	if err != nil {
		return err
	}
	if n > 0 {
		return licensing.FieldErrorf(licensing.CodeConflict, "kind", "a service account cannot hold fulfiller or module seats; revoke them first")
	}
	return nil
}

// LoadPerson reads what the engine needs for one person, in one read
// transaction: the person, roles, seats and leases of one snapshot, never
// a seat from before a write and a lease from after it.
func (s *Store) LoadPerson(ctx context.Context, id string) (licensing.Person, error) {
	var p licensing.Person
	err := s.read(ctx, func(r *rtx) error {
		u, err := scanUser(r.queryRow(`SELECT `+userCols+` FROM users WHERE id = ?`, id))
		if err == sql.ErrNoRows {
			return notFound("user", id)
		}
		if err != nil {
			return fmt.Errorf("store: load person: %w", err)
		}
		roles, err := rolesIn(r.query, `user_id = ?`, id)
		if err != nil {
			return err
		}
		u.Roles = roles[id]
		p.User = u
		if p.Members, err = listMembersIn(r.query, `m.user_id = ?`, id); err != nil {
			return err
		}
		p.Leases, err = listLeasesIn(r.query, `user_id = ? AND ended_at = 0`, id)
		return err
	})
	return p, err
}

// LoadPeople reads every person with roles, seats and active leases, for
// start-up, in one read transaction (one snapshot).
func (s *Store) LoadPeople(ctx context.Context) ([]licensing.Person, error) {
	var out []licensing.Person
	err := s.read(ctx, func(r *rtx) error {
		rows, err := r.query(`SELECT ` + userCols + ` FROM users`)
		if err != nil {
			return fmt.Errorf("store: load people: %w", err)
		}
		idx := map[string]int{}
		for rows.Next() {
			u, err := scanUser(rows)
			if err != nil {
				rows.Close()
				return err
			}
			idx[u.ID] = len(out)
			out = append(out, licensing.Person{User: u})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("store: load people: %w", err)
		}
		roles, err := rolesIn(r.query, `1 = ?`, 1)
		if err != nil {
			return err
		}
		for id, rs := range roles {
			if i, ok := idx[id]; ok {
				out[i].User.Roles = rs
			}
		}
		members, err := listMembersIn(r.query, `1 = ?`, 1)
		if err != nil {
			return err
		}
		for _, m := range members {
			if i, ok := idx[m.User]; ok {
				out[i].Members = append(out[i].Members, m)
			}
		}
		leases, err := listLeasesIn(r.query, `ended_at = 0 AND 1 = ?`, 1)
		if err != nil {
			return err
		}
		for _, l := range leases {
			if i, ok := idx[l.User]; ok {
				out[i].Leases = append(out[i].Leases, l)
			}
		}
		return nil
	})
	return out, err
}

var _ = time.Second
