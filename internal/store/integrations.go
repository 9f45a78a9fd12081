package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/desk"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

const integrationSelect = `SELECT i.id, i.name, i.mode, i.user_id, COALESCE(u.user_name, ''), i.token_id, i.created_at, i.updated_at
	FROM integrations i LEFT JOIN users u ON u.id = i.user_id`

func scanIntegration(r rowScanner) (desk.Integration, error) {
	var in desk.Integration
	var mode string
	var created, updated int64
	err := r.Scan(&in.ID, &in.Name, &mode, &in.User, &in.UserName, &in.Token, &created, &updated)
	in.Mode, in.CreatedAt, in.UpdatedAt = desk.Mode(mode), fromMicro(created), fromMicro(updated)
	return in, err
}

// liveIntegration finds a live integration by id or name (any case).
func liveIntegration(row func(q string, args ...any) *sql.Row, key, lock string) (desk.Integration, error) {
	in, err := scanIntegration(row(integrationSelect+` WHERE i.deleted_at = 0 AND (i.id = ? OR i.name_lower = ?)`+lock, key, strings.ToLower(key)))
	if errors.Is(err, sql.ErrNoRows) {
		return in, notFound("integration", key)
	}
	if err != nil {
		return in, fmt.Errorf("store: integration: %w", err)
	}
	return in, nil
}

// CreateIntegration makes the service account (kind service, user name the
// integration's name), its integration-scoped token and the integration.
// The account of a deleted integration of the same name is taken over.
func (s *Store) CreateIntegration(ctx context.Context, a licensing.Actor, name string, mode desk.Mode) (desk.Integration, string, error) {
	name = strings.TrimSpace(name)
	if !licensing.ValidKey(name) {
		return desk.Integration{}, "", licensing.FieldErrorf(licensing.CodeInvalid, "name", "name must be 1-64 lowercase letters, digits, '.', '_' or '-'")
	}
	if !mode.Valid() {
		return desk.Integration{}, "", licensing.FieldErrorf(licensing.CodeInvalid, "mode", "mode must be enforce, propose or monitor")
	}
	var in desk.Integration
	var secret string
	err := s.write(ctx, func(t *tx) error {
		if t.s.d.LockKey != nil {
			// Orders concurrent creates of one name; checkIdentity then
			// locks the service account's keys.
			if err := t.s.d.LockKey(t.ctx, t.Tx, "integration:"+name); err != nil {
				return err
			}
		}
		var n int
		if err := t.queryRow(`SELECT count(*) FROM integrations WHERE name_lower = ? AND deleted_at = 0`, name).Scan(&n); err != nil {
			return fmt.Errorf("store: integration: %w", err)
		}
		if n > 0 {
			return licensing.FieldErrorf(licensing.CodeConflict, "name", "integration %q already exists", name)
		}
		u, err := t.serviceAccount(name)
		if err != nil {
			return err
		}
		tok, sec, err := t.createToken("integration:"+name, ScopeIntegration, 0)
		if err != nil {
			return err
		}
		in = desk.Integration{ID: newID("int"), Name: name, Mode: mode, User: u.ID, UserName: u.UserName, Token: tok.ID, CreatedAt: t.now, UpdatedAt: t.now}
		if _, err := t.exec(`INSERT INTO integrations (id, name, name_lower, mode, user_id, token_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			in.ID, in.Name, name, string(mode), u.ID, tok.ID, micro(t.now), micro(t.now)); err != nil {
			if t.s.d.IsUnique(err) {
				return licensing.FieldErrorf(licensing.CodeConflict, "name", "integration %q already exists", name)
			}
			return fmt.Errorf("store: create integration: %w", err)
		}
		secret = sec
		return t.record(a, "integration.create", "integration:"+name, "ok", fmt.Sprintf("mode=%s user=%s token=%s", mode, u.ID, tok.ID))
	})
	if err != nil {
		return desk.Integration{}, "", err
	}
	return in, secret, nil
}

// serviceAccount creates the integration's service account, or takes over
// the one a deleted integration of that name left (reactivated).
func (t *tx) serviceAccount(name string) (licensing.User, error) {
	var id string
	err := t.queryRow(`SELECT id FROM users WHERE user_name_lower = ?`, name).Scan(&id)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return licensing.User{}, fmt.Errorf("store: integration account: %w", err)
	}
	if err == nil {
		u, err := t.user(id)
		if err != nil {
			return u, err
		}
		var n int
		if err := t.queryRow(`SELECT count(*) FROM integrations WHERE user_id = ?`, u.ID).Scan(&n); err != nil {
			return u, fmt.Errorf("store: integration account: %w", err)
		}
		if n == 0 || u.Kind != licensing.KindService {
			return u, licensing.FieldErrorf(licensing.CodeConflict, "name", "user name %q is taken by another account", name)
		}
		if !u.Active {
			if _, err := t.exec(`UPDATE users SET active = 1, updated_at = ? WHERE id = ?`, micro(t.now), u.ID); err != nil {
				return u, fmt.Errorf("store: integration account: %w", err)
			}
			u.Active = true
			t.changed(PersonKey(u.ID))
		}
		return u, nil
	}
	u := licensing.User{ID: newID("usr"), UserName: name, DisplayName: "Integration " + name, Kind: licensing.KindService, Active: true, CreatedAt: t.now, UpdatedAt: t.now}
	if err := u.Validate(); err != nil {
		return u, err
	}
	if err := t.checkIdentity(u); err != nil {
		if le, ok := licensing.AsError(err); ok && le.Code == licensing.CodeConflict {
			return u, licensing.FieldErrorf(licensing.CodeConflict, "name", "%s", le.Message)
		}
		return u, err
	}
	args := append([]any{u.ID}, userArgs(u)...)
	args = append(args, micro(t.now), micro(t.now))
	if _, err := t.exec(`INSERT INTO users (id, user_name, user_name_lower, display_name, email, email_lower, employee_id, external_id, job_code, department, cost_center, employee_type, groups, kind, active, created_at, updated_at) VALUES (`+placeholders(17)+`)`, args...); err != nil {
		if t.s.d.IsUnique(err) {
			return u, licensing.FieldErrorf(licensing.CodeConflict, "name", "user name %q is taken by another account", name)
		}
		return u, fmt.Errorf("store: integration account: %w", err)
	}
	t.changed(PersonKey(u.ID))
	return u, nil
}

// GetIntegration finds a live integration by id or name.
func (s *Store) GetIntegration(ctx context.Context, key string) (desk.Integration, error) {
	return liveIntegration(func(q string, args ...any) *sql.Row { return s.readRow(ctx, q, args...) }, key, "")
}

// IntegrationByToken finds the live integration a token belongs to.
func (s *Store) IntegrationByToken(ctx context.Context, tokenID string) (desk.Integration, error) {
	in, err := scanIntegration(s.readRow(ctx, integrationSelect+` WHERE i.deleted_at = 0 AND i.token_id = ?`, tokenID))
	if errors.Is(err, sql.ErrNoRows) {
		return in, licensing.Errorf(licensing.CodeNotFound, "no integration holds token %q", tokenID)
	}
	if err != nil {
		return in, fmt.Errorf("store: integration by token: %w", err)
	}
	return in, nil
}

// ListIntegrations returns the live integrations by name.
func (s *Store) ListIntegrations(ctx context.Context) ([]desk.Integration, error) {
	rows, err := s.readRows(ctx, integrationSelect+` WHERE i.deleted_at = 0 ORDER BY i.name_lower`)
	if err != nil {
		return nil, fmt.Errorf("store: list integrations: %w", err)
	}
	defer rows.Close()
	out := []desk.Integration{}
	for rows.Next() {
		in, err := scanIntegration(rows)
		if err != nil {
			return nil, fmt.Errorf("store: scan integration: %w", err)
		}
		out = append(out, in)
	}
	return out, rows.Err()
}

// SetIntegrationMode changes what an integration's unlicensed fulfiller
// calls do.
func (s *Store) SetIntegrationMode(ctx context.Context, a licensing.Actor, key string, mode desk.Mode) (desk.Integration, error) {
	if !mode.Valid() {
		return desk.Integration{}, licensing.FieldErrorf(licensing.CodeInvalid, "mode", "mode must be enforce, propose or monitor")
	}
	var in desk.Integration
	err := s.write(ctx, func(t *tx) error {
		old, err := t.lockIntegration(key)
		if err != nil {
			return err
		}
		if _, err := t.exec(`UPDATE integrations SET mode = ?, updated_at = ? WHERE id = ?`, string(mode), micro(t.now), old.ID); err != nil {
			return fmt.Errorf("store: integration mode: %w", err)
		}
		in = old
		in.Mode, in.UpdatedAt = mode, t.now
		return t.record(a, "integration.mode", "integration:"+in.Name, "ok", fmt.Sprintf("from=%s to=%s", old.Mode, mode))
	})
	return in, err
}

// lockIntegration finds a live integration and locks its row.
func (t *tx) lockIntegration(key string) (desk.Integration, error) {
	var id string
	err := t.queryRow(`SELECT id FROM integrations WHERE deleted_at = 0 AND (id = ? OR name_lower = ?)`+t.s.d.ForUpdate, key, strings.ToLower(key)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return desk.Integration{}, notFound("integration", key)
	}
	if err != nil {
		return desk.Integration{}, fmt.Errorf("store: lock integration: %w", err)
	}
	return liveIntegration(t.queryRow, id, "")
}

// DeleteIntegration revokes the integration's token and marks it deleted;
// its service account and calls stay.
func (s *Store) DeleteIntegration(ctx context.Context, a licensing.Actor, key string) error {
	return s.write(ctx, func(t *tx) error {
		in, err := t.lockIntegration(key)
		if err != nil {
			return err
		}
		if _, err := t.exec(`UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at = 0`, micro(t.now), in.Token); err != nil {
			return fmt.Errorf("store: revoke integration token: %w", err)
		}
		if _, err := t.exec(`UPDATE integrations SET deleted_at = ?, updated_at = ? WHERE id = ?`, micro(t.now), micro(t.now), in.ID); err != nil {
			return fmt.Errorf("store: delete integration: %w", err)
		}
		return t.record(a, "integration.delete", "integration:"+in.Name, "ok", "token="+in.Token)
	})
}

// addCall records one integration call for the multiplexing report; a call
// without a time gets the transaction's.
func (t *tx) addCall(c desk.Call) error {
	at := c.At
	if at.IsZero() {
		at = t.now
	}
	if _, err := t.exec(`INSERT INTO integration_calls (integration_id, at, acting_raw, acting_user, capability, fulfiller, licensed, outcome, ticket_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.Integration, micro(at), c.ActingRaw, c.ActingUser, c.Capability, b2i(c.Fulfiller), b2i(c.Licensed), string(c.Outcome), c.Ticket); err != nil {
		return fmt.Errorf("store: integration call: %w", err)
	}
	return nil
}

// RecordCall records an integration call that wrote nothing else: a
// refused one (with its audit entry and a multiplexing_blocked denial of the
// acting person, or of the raw value when it named nobody), or a flagged
// read.
func (s *Store) RecordCall(ctx context.Context, by desk.By) error {
	if by.Call == nil {
		return licensing.Errorf(licensing.CodeInvalid, "no call to record")
	}
	c := *by.Call
	return s.write(ctx, func(t *tx) error {
		if err := t.addCall(c); err != nil {
			return err
		}
		name := c.Integration
		if err := t.queryRow(`SELECT name FROM integrations WHERE id = ?`, c.Integration).Scan(&name); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: integration: %w", err)
		}
		acting := c.ActingUser
		if acting == "" {
			acting = c.ActingRaw
		}
		action := "integration.blocked"
		if c.Outcome != desk.OutcomeBlocked {
			action = "integration.read"
		}
		if err := t.record(by.Actor, action, "integration:"+name, string(c.Outcome),
			fmt.Sprintf("capability=%s acting=%s", c.Capability, acting)); err != nil {
			return err
		}
		if c.Outcome != desk.OutcomeBlocked {
			return nil
		}
		return t.denial(by.Actor, acting, "", c.Capability, licensing.CodeMultiplexingBlocked)
	})
}

// MultiplexingReport sums the integrations' calls in [from, to): every live
// integration, and deleted ones that called in the period.
func (s *Store) MultiplexingReport(ctx context.Context, from, to time.Time) (desk.MultiplexingReport, error) {
	r := desk.MultiplexingReport{From: from, To: to, Integrations: []desk.Usage{}}
	f, tt := micro(from), micro(to)
	rows, err := s.readRows(ctx, `SELECT i.id, i.name, i.mode, count(c.id),
		count(DISTINCT CASE WHEN c.acting_user <> '' THEN c.acting_user WHEN c.id IS NOT NULL THEN 'raw:' || c.acting_raw END),
		COALESCE(SUM(CASE WHEN c.fulfiller = 1 AND c.licensed = 1 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN c.fulfiller = 1 AND c.licensed = 0 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN c.outcome = 'blocked' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN c.outcome = 'proposed' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN c.outcome = 'flagged' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN c.id IS NOT NULL AND c.acting_user = '' THEN 1 ELSE 0 END), 0)
		FROM integrations i LEFT JOIN integration_calls c ON c.integration_id = i.id AND c.at >= ? AND c.at < ?
		GROUP BY i.id, i.name, i.name_lower, i.mode, i.deleted_at
		HAVING i.deleted_at = 0 OR count(c.id) > 0
		ORDER BY i.name_lower, i.id`, f, tt)
	if err != nil {
		return r, fmt.Errorf("store: multiplexing report: %w", err)
	}
	for rows.Next() {
		var u desk.Usage
		var mode string
		if err := rows.Scan(&u.Integration, &u.Name, &mode, &u.Actions, &u.DistinctActing, &u.LicensedActions, &u.UnlicensedActions, &u.Blocked, &u.Proposed, &u.Flagged, &u.UnknownActing); err != nil {
			rows.Close()
			return r, fmt.Errorf("store: multiplexing report: %w", err)
		}
		u.Mode, u.UnknownValues, u.TopOffenders = desk.Mode(mode), []string{}, []desk.Offender{}
		r.Integrations = append(r.Integrations, u)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return r, fmt.Errorf("store: multiplexing report: %w", err)
	}
	for i := range r.Integrations {
		u := &r.Integrations[i]
		if u.UnknownActing > 0 {
			if u.UnknownValues, err = s.unknownActing(ctx, u.Integration, f, tt); err != nil {
				return r, err
			}
		}
		if u.UnlicensedActions > 0 {
			if u.TopOffenders, err = s.topOffenders(ctx, u.Integration, f, tt); err != nil {
				return r, err
			}
		}
	}
	r.ServiceSeats, err = s.listMembers(ctx, `u.kind = ? AND m.state = ? AND m.pool_id IN (SELECT p.id FROM pools p JOIN skus k ON k.key = p.sku WHERE k.tier IN (?, ?))`,
		string(licensing.KindService), licensing.MemberActive, string(licensing.TierFulfiller), string(licensing.TierModule))
	return r, err
}

// unknownActing lists the first 20 distinct acting values that matched
// nobody.
func (s *Store) unknownActing(ctx context.Context, integration string, from, to int64) ([]string, error) {
	rows, err := s.readRows(ctx, `SELECT DISTINCT acting_raw FROM integration_calls WHERE integration_id = ? AND at >= ? AND at < ? AND acting_user = '' ORDER BY acting_raw LIMIT 20`, integration, from, to)
	if err != nil {
		return nil, fmt.Errorf("store: unknown acting users: %w", err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("store: unknown acting users: %w", err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// topOffenders names the five acting people (or unknown values) with the
// most unlicensed fulfiller actions.
func (s *Store) topOffenders(ctx context.Context, integration string, from, to int64) ([]desk.Offender, error) {
	rows, err := s.readRows(ctx, `SELECT c.acting_user, CASE WHEN c.acting_user = '' THEN c.acting_raw ELSE COALESCE(u.user_name, c.acting_user) END, count(*)
		FROM integration_calls c LEFT JOIN users u ON u.id = c.acting_user
		WHERE c.integration_id = ? AND c.at >= ? AND c.at < ? AND c.fulfiller = 1 AND c.licensed = 0
		GROUP BY 1, 2 ORDER BY 3 DESC, 2 LIMIT 5`, integration, from, to)
	if err != nil {
		return nil, fmt.Errorf("store: top offenders: %w", err)
	}
	defer rows.Close()
	out := []desk.Offender{}
	for rows.Next() {
		var o desk.Offender
		if err := rows.Scan(&o.User, &o.Name, &o.Unlicensed); err != nil {
			return nil, fmt.Errorf("store: top offenders: %w", err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}
