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

// integrationSelect reads an integration with its token's state: a
// revoked (or missing) token means it is disabled.
const integrationSelect = `SELECT i.id, i.name, i.mode, i.user_id, COALESCE(u.user_name, ''), i.token_id, i.hold_ms, i.max_seats, COALESCE(t.revoked_at, 1), i.created_at, i.updated_at
	FROM integrations i LEFT JOIN users u ON u.id = i.user_id LEFT JOIN tokens t ON t.id = i.token_id`

func scanIntegration(r rowScanner) (desk.Integration, error) {
	var in desk.Integration
	var mode string
	var hold, revoked, created, updated int64
	err := r.Scan(&in.ID, &in.Name, &mode, &in.User, &in.UserName, &in.Token, &hold, &in.MaxSeats, &revoked, &created, &updated)
	in.Mode, in.CreatedAt, in.UpdatedAt, in.Disabled = desk.Mode(mode), fromMicro(created), fromMicro(updated), revoked != 0
	in.Hold = time.Duration(hold) * time.Millisecond
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
		in = desk.Integration{ID: newID("int"), Name: name, Mode: mode, User: u.ID, UserName: u.UserName, Token: tok.ID, Hold: desk.DefaultHold, CreatedAt: t.now, UpdatedAt: t.now}
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
	if _, err := t.exec(`INSERT INTO users (id, `+userWriteCols+`, created_at, updated_at) VALUES (`+placeholders(20)+`)`, args...); err != nil {
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
	return s.UpdateIntegration(ctx, a, key, desk.IntegrationUpdate{Mode: &mode})
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
