package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// Email is one of a person's addresses as SCIM carries them.
type Email struct {
	Value   string `json:"value"`
	Type    string `json:"type,omitempty"`
	Primary bool   `json:"primary,omitempty"`
	Display string `json:"display,omitempty"`
}

// Identity is what the identity provider says of a person beyond what the
// licensing engine needs (licensing.User): SCIM's names, addresses and
// organisation. It is kept beside the user row, not in licensing.User, so
// the engine's hot path carries none of it.
type Identity struct {
	GivenName    string
	FamilyName   string
	Organization string
	Division     string
	// ManagerID is the manager's user id, or "". ManagerRef is a reference
	// to a manager not provisioned yet, as sent (then ManagerID is ""); it
	// resolves when a person with that id, user name, external ID,
	// employee ID or email arrives.
	ManagerID  string
	ManagerRef string
	Emails     []Email
	// Extra holds the SCIM attributes Seatkeeper keeps without modelling
	// them (title, phone numbers, addresses …) as a JSON object, so an
	// identity provider reading a person back finds what it wrote.
	Extra json.RawMessage
	// Version is the SCIM ETag counter; every write to the person bumps it.
	// It is read-only: what a caller sets is ignored.
	Version int64
}

const identityCols = `given_name, family_name, organization, division, manager_id, manager_ref, emails, scim_extra, scim_version`

func scanIdentity(dest []any, id *Identity, emails *string) []any {
	return append(dest, &id.GivenName, &id.FamilyName, &id.Organization, &id.Division, &id.ManagerID, &id.ManagerRef, emails, (*rawJSON)(&id.Extra), &id.Version)
}

// rawJSON scans a JSON text column into a json.RawMessage.
type rawJSON json.RawMessage

func (r *rawJSON) Scan(v any) error {
	switch v := v.(type) {
	case string:
		*r = rawJSON(v)
	case []byte:
		*r = append(rawJSON(nil), v...)
	case nil:
		*r = nil
		return nil
	default:
		return fmt.Errorf("store: cannot scan %T as JSON", v)
	}
	if string(*r) == "{}" { // nothing kept reads as nothing
		*r = nil
	}
	return nil
}

// extraJSON is the stored form of Identity.Extra: a JSON object, "{}" when
// there is nothing.
func extraJSON(e json.RawMessage) (string, error) {
	if len(e) == 0 {
		return "{}", nil
	}
	var m map[string]any
	if err := json.Unmarshal(e, &m); err != nil {
		return "", licensing.FieldErrorf(licensing.CodeInvalid, "extra", "extra attributes must be a JSON object")
	}
	return string(e), nil
}

// findIdentity resolves key as findUser does and reads the identity too.
func findIdentity(row func(q string, args ...any) *sql.Row, key, lock string) (licensing.User, Identity, error) {
	u, err := findUser(row, key, lock)
	if err != nil {
		return u, Identity{}, err
	}
	var id Identity
	var emails string
	if err := row(`SELECT `+identityCols+` FROM users WHERE id = ?`, u.ID).Scan(scanIdentity(nil, &id, &emails)...); err != nil {
		return u, id, fmt.Errorf("store: read identity: %w", err)
	}
	if err := json.Unmarshal([]byte(emails), &id.Emails); err != nil {
		return u, id, fmt.Errorf("store: user %s emails: %w", u.ID, err)
	}
	return u, id, nil
}

// GetIdentity finds a person (by any key GetUser takes) with their identity.
// It returns CodeNotFound when nobody matches.
func (s *Store) GetIdentity(ctx context.Context, key string) (licensing.User, Identity, error) {
	return findIdentity(func(q string, args ...any) *sql.Row { return s.readRow(ctx, q, args...) }, key, "")
}

// validateIdentity checks the manager exists (and is not the person) and
// normalises the emails.
func (t *tx) validateIdentity(userID string, id *Identity) error {
	id.GivenName, id.FamilyName = strings.TrimSpace(id.GivenName), strings.TrimSpace(id.FamilyName)
	if err := t.resolveManagerRef(userID, id); err != nil {
		return err
	}
	if id.ManagerID != "" {
		id.ManagerRef = "" // resolved
	}
	if id.ManagerID != "" {
		if id.ManagerID == userID {
			return licensing.FieldErrorf(licensing.CodeInvalid, "manager", "a person cannot be their own manager")
		}
		var n int
		if err := t.queryRow(`SELECT count(*) FROM users WHERE id = ?`, id.ManagerID).Scan(&n); err != nil {
			return fmt.Errorf("store: manager: %w", err)
		}
		if n == 0 {
			return licensing.FieldErrorf(licensing.CodeInvalid, "manager", "manager %q not found", id.ManagerID)
		}
	}
	primaries := 0
	for i := range id.Emails {
		id.Emails[i].Value = strings.TrimSpace(id.Emails[i].Value)
		if id.Emails[i].Value == "" {
			return licensing.FieldErrorf(licensing.CodeInvalid, "emails", "email %d has no value", i)
		}
		if id.Emails[i].Primary {
			primaries++
		}
	}
	if primaries > 1 {
		return licensing.FieldErrorf(licensing.CodeInvalid, "emails", "only one email may be primary")
	}
	return nil
}

func emailsJSON(e []Email) string {
	if e == nil {
		e = []Email{}
	}
	return string(mustJSON(e))
}

// CreateIdentity adds a person with their identity in one transaction,
// audited as user.create. Codes: CodeInvalid, CodeConflict (a key already
// names someone).
func (s *Store) CreateIdentity(ctx context.Context, a licensing.Actor, u licensing.User, id Identity) (licensing.User, Identity, error) {
	if err := u.Validate(); err != nil {
		return u, id, err
	}
	err := s.write(ctx, func(t *tx) error {
		var err error
		u, id, err = t.createIdentity(a, u, id)
		return err
	})
	return u, id, err
}

func (t *tx) createIdentity(a licensing.Actor, u licensing.User, id Identity) (licensing.User, Identity, error) {
	if u.ID == "" {
		u.ID = newID("usr")
	}
	u.CreatedAt, u.UpdatedAt = t.now, t.now
	if err := t.checkIdentity(u); err != nil {
		return u, id, err
	}
	if err := t.validateIdentity(u.ID, &id); err != nil {
		return u, id, err
	}
	id.Version = 1
	extra, err := extraJSON(id.Extra)
	if err != nil {
		return u, id, err
	}
	args := append([]any{u.ID}, userArgs(u)...)
	args = append(args, micro(t.now), micro(t.now), id.GivenName, id.FamilyName, id.Organization, id.Division, id.ManagerID, id.ManagerRef, emailsJSON(id.Emails), extra, id.Version, licensing.FoldKey(id.ManagerRef))
	res, err := t.exec(`INSERT INTO users (id, `+userWriteCols+`, created_at, updated_at, `+identityCols+`, manager_ref_lower) VALUES (`+placeholders(30)+`) ON CONFLICT DO NOTHING`, args...)
	if err != nil {
		return u, id, fmt.Errorf("store: create user: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return u, id, licensing.FieldErrorf(licensing.CodeConflict, "user_name", "user %q already exists", u.UserName)
	}
	if err := t.setGroups(u.ID, u.Groups); err != nil {
		return u, id, err
	}
	t.changed(PersonKey(u.ID))
	return u, id, t.record(a, "user.create", "user:"+u.UserName, "ok", string(mustJSON(userDetail(u))))
}

// UpdateIdentity updates the person behind key, and their identity, to what
// change makes of their current record, read and locked in the same
// transaction, bumping the SCIM version. Deactivation revokes every seat and
// ends every session and lease, as UpdateUserFunc does. Codes: CodeNotFound,
// CodeInvalid, CodeConflict, and whatever change returns.
func (s *Store) UpdateIdentity(ctx context.Context, a licensing.Actor, key string, change func(old licensing.User, oldID Identity) (licensing.User, Identity, error)) (licensing.User, Identity, error) {
	var u licensing.User
	var id Identity
	err := s.write(ctx, func(t *tx) error {
		old, oldID, err := findIdentity(t.queryRow, key, t.s.d.ForUpdate)
		if err != nil {
			return err
		}
		if u, id, err = change(old, oldID); err != nil {
			return err
		}
		u, id, err = t.updateIdentity(a, old, oldID, u, id)
		return err
	})
	return u, id, err
}

func (t *tx) updateIdentity(a licensing.Actor, old licensing.User, oldID Identity, u licensing.User, id Identity) (licensing.User, Identity, error) {
	if err := u.Validate(); err != nil {
		return u, id, err
	}
	u.ID, u.CreatedAt, u.UpdatedAt = old.ID, old.CreatedAt, t.now
	if err := t.validateIdentity(u.ID, &id); err != nil {
		return u, id, err
	}
	id.Version = oldID.Version + 1
	if err := t.updateUserRowFrom(a, old, u, &oldID, &id); err != nil {
		return u, id, err
	}
	return u, id, nil
}

// updateUserRow writes u over old (and the identity columns when id is not
// nil), keeping the engine-facing groups in step and revoking a leaver's
// seats, audited as user.update.
func (t *tx) updateUserRow(a licensing.Actor, old, u licensing.User, id *Identity) error {
	return t.updateUserRowFrom(a, old, u, nil, id)
}

// updateUserRowFrom is updateUserRow knowing the identity before (oldID),
// so the audit entry names the changed identity attributes too.
func (t *tx) updateUserRowFrom(a licensing.Actor, old, u licensing.User, oldID, id *Identity) error {
	if err := t.checkIdentity(u); err != nil {
		return err
	}
	if old.Kind != u.Kind && u.Kind == licensing.KindService {
		if err := t.refuseServiceSeats(u.ID); err != nil {
			return err
		}
	}
	args := append(userArgs(u), micro(t.now))
	q := `UPDATE users SET ` + strings.Join(strings.Split(userWriteCols, ", "), " = ?, ") + ` = ?, updated_at = ?`
	if id != nil {
		extra, err := extraJSON(id.Extra)
		if err != nil {
			return err
		}
		q += `, given_name = ?, family_name = ?, organization = ?, division = ?, manager_id = ?, manager_ref = ?, manager_ref_lower = ?, emails = ?, scim_extra = ?, scim_version = ?`
		args = append(args, id.GivenName, id.FamilyName, id.Organization, id.Division, id.ManagerID, id.ManagerRef, licensing.FoldKey(id.ManagerRef), emailsJSON(id.Emails), extra, id.Version)
	} else {
		q += `, scim_version = scim_version + 1`
	}
	args = append(args, u.ID)
	if _, err := t.exec(q+` WHERE id = ?`, args...); err != nil {
		if t.s.d.IsUnique(err) {
			return licensing.FieldErrorf(licensing.CodeConflict, "user_name", "user %q already exists", u.UserName)
		}
		return fmt.Errorf("store: update user: %w", err)
	}
	if !sameStrings(old.Groups, u.Groups) {
		if err := t.setGroups(u.ID, u.Groups); err != nil {
			return err
		}
	}
	if old.Active && !u.Active {
		if err := t.revokeEverything(a, u.ID, licensing.EndInactive); err != nil {
			return err
		}
	}
	t.changed(PersonKey(u.ID))
	return t.record(a, "user.update", "user:"+u.UserName, "ok", userUpdateDetail(old, u, oldID, id))
}

func sameStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// ProvisioningEvent times one identity-provider call about a leaver: from
// its arrival to the last revocation it caused.
type ProvisioningEvent struct {
	ID          int64
	UserID      string
	Kind        string // "deactivate", "delete", …
	ReceivedAt  time.Time
	CompletedAt time.Time // zero while in progress
}

// Duration is how long the event took, or 0 while it is in progress.
func (e ProvisioningEvent) Duration() time.Duration {
	if e.CompletedAt.IsZero() {
		return 0
	}
	return e.CompletedAt.Sub(e.ReceivedAt)
}

// RecordProvisioning notes that the identity provider asked for kind about
// userID at receivedAt, audited as user.provision, and returns the event's
// id for CompleteProvisioning.
func (s *Store) RecordProvisioning(ctx context.Context, a licensing.Actor, userID, kind string, receivedAt time.Time) (int64, error) {
	if userID == "" || kind == "" {
		return 0, licensing.Errorf(licensing.CodeInvalid, "provisioning event needs a user and a kind")
	}
	var id int64
	err := s.write(ctx, func(t *tx) error {
		if err := t.queryRow(`INSERT INTO provisioning_events (user_id, kind, received_at) VALUES (?, ?, ?) RETURNING id`, userID, kind, micro(receivedAt)).Scan(&id); err != nil {
			return fmt.Errorf("store: record provisioning: %w", err)
		}
		return t.record(a, "user.provision", "user:"+t.userName(userID), "received", string(mustJSON(map[string]any{"event": id, "kind": kind, "user_id": userID})))
	})
	return id, err
}

// timeLeaver records a leaver whose revocations were done in this
// transaction (a CSV import's deactivation), so the evidence times CSV
// leavers as it times the identity provider's.
func (t *tx) timeLeaver(a licensing.Actor, userID, kind string, received time.Time) error {
	var id int64
	if err := t.queryRow(`INSERT INTO provisioning_events (user_id, kind, received_at, completed_at) VALUES (?, ?, ?, ?) RETURNING id`,
		userID, kind, micro(received), micro(t.now)).Scan(&id); err != nil {
		return fmt.Errorf("store: time leaver: %w", err)
	}
	return t.record(a, "user.provision", "user:"+t.userName(userID), "completed",
		string(mustJSON(map[string]any{"event": id, "kind": kind, "user_id": userID, "took_ms": t.now.Sub(received).Milliseconds()})))
}

// CompleteProvisioning notes when the event's last revocation was done.
// Codes: CodeNotFound.
func (s *Store) CompleteProvisioning(ctx context.Context, a licensing.Actor, eventID int64, completedAt time.Time) error {
	return s.write(ctx, func(t *tx) error {
		var userID, kind string
		var received int64
		err := t.queryRow(`SELECT user_id, kind, received_at FROM provisioning_events WHERE id = ?`, eventID).Scan(&userID, &kind, &received)
		if err == sql.ErrNoRows {
			return notFound("provisioning event", fmt.Sprint(eventID))
		}
		if err != nil {
			return fmt.Errorf("store: complete provisioning: %w", err)
		}
		if _, err := t.exec(`UPDATE provisioning_events SET completed_at = ? WHERE id = ?`, micro(completedAt), eventID); err != nil {
			return fmt.Errorf("store: complete provisioning: %w", err)
		}
		took := completedAt.Sub(fromMicro(received))
		return t.record(a, "user.provision", "user:"+t.userName(userID), "completed", string(mustJSON(map[string]any{"event": eventID, "kind": kind, "user_id": userID, "took_ms": took.Milliseconds()})))
	})
}

// ListProvisioning returns a person's provisioning events, oldest first, or
// everyone's when userID is "".
func (s *Store) ListProvisioning(ctx context.Context, userID string) ([]ProvisioningEvent, error) {
	q := `SELECT id, user_id, kind, received_at, completed_at FROM provisioning_events`
	var args []any
	if userID != "" {
		q += ` WHERE user_id = ?`
		args = append(args, userID)
	}
	rows, err := s.readRows(ctx, q+` ORDER BY received_at, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list provisioning: %w", err)
	}
	defer rows.Close()
	out := []ProvisioningEvent{}
	for rows.Next() {
		var e ProvisioningEvent
		var rec, done int64
		if err := rows.Scan(&e.ID, &e.UserID, &e.Kind, &rec, &done); err != nil {
			return nil, fmt.Errorf("store: list provisioning: %w", err)
		}
		e.ReceivedAt, e.CompletedAt = fromMicro(rec), fromMicro(done)
		out = append(out, e)
	}
	return out, rows.Err()
}
