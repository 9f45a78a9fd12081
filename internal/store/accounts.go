package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/seatkeeper/seatkeeper/internal/desk"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// SetPassword stores the password hash of an active person for local
// sign-in, replacing any earlier one. The hash is computed by the caller.
func (s *Store) SetPassword(ctx context.Context, a licensing.Actor, userKey, hash string) error {
	if hash == "" {
		return licensing.FieldErrorf(licensing.CodeInvalid, "password", "password hash is required")
	}
	return s.write(ctx, func(t *tx) error {
		u, err := t.user(userKey)
		if err != nil {
			return err
		}
		if !u.Active {
			return licensing.Errorf(licensing.CodeInactive, "user %q is inactive", u.UserName)
		}
		if u.Kind != licensing.KindPerson {
			return licensing.FieldErrorf(licensing.CodeInvalid, "user", "%s is a service account: only people sign in", u.UserName)
		}
		if _, err := t.exec(`INSERT INTO accounts (user_id, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (user_id) DO UPDATE SET password_hash = excluded.password_hash, updated_at = excluded.updated_at`,
			u.ID, hash, micro(t.now), micro(t.now)); err != nil {
			return fmt.Errorf("store: set password: %w", err)
		}
		n, err := t.endWebSessions(a, u.ID)
		if err != nil {
			return err
		}
		return t.record(a, "account.password", "user:"+u.UserName, "ok", fmt.Sprintf("signed_out=%d", n))
	})
}

// endWebSessions signs a person out everywhere (a new password must lock
// out whoever knew the old one): their browser sessions go, and the seat
// sessions those held end, returning their leases.
func (t *tx) endWebSessions(a licensing.Actor, userID string) (int, error) {
	rows, err := t.query(`SELECT seat_session FROM web_sessions WHERE user_id = ?`, userID)
	if err != nil {
		return 0, fmt.Errorf("store: web sessions: %w", err)
	}
	var seats []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, fmt.Errorf("store: web sessions: %w", err)
		}
		seats = append(seats, id)
	}
	rows.Close()
	if _, err := t.exec(`DELETE FROM web_sessions WHERE user_id = ?`, userID); err != nil {
		return 0, fmt.Errorf("store: end web sessions: %w", err)
	}
	for _, id := range seats {
		ss, err := t.session(id)
		if licensing.ErrorCode(err) == licensing.CodeNotFound || (err == nil && !ss.EndedAt.IsZero()) {
			continue
		}
		if err != nil {
			return 0, err
		}
		if err := t.endSession(a, ss, licensing.EndLogout); err != nil {
			return 0, err
		}
	}
	return len(seats), nil
}

// Account returns a person and their stored password hash.
func (s *Store) Account(ctx context.Context, userKey string) (licensing.User, string, error) {
	u, err := s.GetUser(ctx, userKey)
	if err != nil {
		return u, "", err
	}
	var hash string
	err = s.readRow(ctx, `SELECT password_hash FROM accounts WHERE user_id = ?`, u.ID).Scan(&hash)
	if errors.Is(err, sql.ErrNoRows) {
		return u, "", licensing.Errorf(licensing.CodeNotFound, "user %q has no local account", u.UserName)
	}
	if err != nil {
		return u, "", fmt.Errorf("store: account: %w", err)
	}
	return u, hash, nil
}

// CreateWebSession stores a signed-in person's browser session; ws.ID is
// already the hash of the cookie's secret. When keep > 0 the person keeps
// at most keep live sessions: the oldest beyond it end (their seat sessions
// too), so a script signing in in a loop cannot pile them up.
func (s *Store) CreateWebSession(ctx context.Context, a licensing.Actor, ws desk.WebSession, keep int) error {
	if ws.ID == "" || ws.CSRF == "" || ws.Method == "" {
		return licensing.Errorf(licensing.CodeInvalid, "a web session needs an id, a CSRF token and a method")
	}
	return s.write(ctx, func(t *tx) error {
		u, err := t.user(ws.User)
		if err != nil {
			return err
		}
		if !u.Active {
			return licensing.Errorf(licensing.CodeInactive, "user %q is inactive", u.UserName)
		}
		created := ws.CreatedAt
		if created.IsZero() {
			created = t.now
		}
		if !ws.ExpiresAt.After(t.now) {
			return licensing.FieldErrorf(licensing.CodeInvalid, "expires_at", "a web session must expire in the future")
		}
		if _, err := t.exec(`INSERT INTO web_sessions (id_hash, user_id, seat_session, csrf, method, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			ws.ID, u.ID, ws.SeatSession, ws.CSRF, ws.Method, micro(created), micro(ws.ExpiresAt)); err != nil {
			if t.s.d.IsUnique(err) {
				return licensing.Errorf(licensing.CodeConflict, "web session exists")
			}
			return fmt.Errorf("store: create web session: %w", err)
		}
		if err := t.record(a, "signin", "user:"+u.UserName, "ok", "method="+ws.Method); err != nil {
			return err
		}
		if keep > 0 {
			return t.capWebSessions(a, u, keep)
		}
		return nil
	})
}

// capWebSessions ends the person's oldest live browser sessions beyond keep.
func (t *tx) capWebSessions(a licensing.Actor, u licensing.User, keep int) error {
	rows, err := t.query(`SELECT id_hash, seat_session, method FROM web_sessions WHERE user_id = ? AND expires_at > ? ORDER BY created_at DESC, id_hash DESC`, u.ID, micro(t.now))
	if err != nil {
		return fmt.Errorf("store: web sessions: %w", err)
	}
	type old struct{ id, seat, method string }
	var extra []old
	for n := 0; rows.Next(); n++ {
		var o old
		if err := rows.Scan(&o.id, &o.seat, &o.method); err != nil {
			rows.Close()
			return fmt.Errorf("store: web sessions: %w", err)
		}
		if n >= keep {
			extra = append(extra, o)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, o := range extra {
		if _, err := t.exec(`DELETE FROM web_sessions WHERE id_hash = ?`, o.id); err != nil {
			return fmt.Errorf("store: end web session: %w", err)
		}
		if ss, err := t.session(o.seat); err == nil && ss.Active() {
			if err := t.endSession(a, ss, licensing.EndLogout); err != nil {
				return err
			}
		} else if err != nil && licensing.ErrorCode(err) != licensing.CodeNotFound {
			return err
		}
		if err := t.record(a, "signout", "user:"+u.UserName, "session_cap", fmt.Sprintf("method=%s keep=%d", o.method, keep)); err != nil {
			return err
		}
	}
	return nil
}

const webSessionSelect = `SELECT w.id_hash, w.user_id, COALESCE(u.user_name, ''), w.seat_session, w.csrf, w.method, w.created_at, w.expires_at
	FROM web_sessions w LEFT JOIN users u ON u.id = w.user_id`

func scanWebSession(r rowScanner) (desk.WebSession, error) {
	var ws desk.WebSession
	var created, expires int64
	err := r.Scan(&ws.ID, &ws.User, &ws.UserName, &ws.SeatSession, &ws.CSRF, &ws.Method, &created, &expires)
	ws.CreatedAt, ws.ExpiresAt = fromMicro(created), fromMicro(expires)
	return ws, err
}

// GetWebSession finds a live browser session by its id's hash. A session
// that is unknown, expired, or whose person is gone or inactive is
// refused alike.
func (s *Store) GetWebSession(ctx context.Context, idHash string) (desk.WebSession, error) {
	ws, err := scanWebSession(s.readRow(ctx, webSessionSelect+` WHERE w.id_hash = ? AND w.expires_at > ? AND u.active = 1`, idHash, micro(s.now())))
	if errors.Is(err, sql.ErrNoRows) {
		return desk.WebSession{}, licensing.Errorf(licensing.CodeUnauthorized, "session expired")
	}
	if err != nil {
		return desk.WebSession{}, fmt.Errorf("store: web session: %w", err)
	}
	return ws, nil
}

// DeleteWebSession signs a browser session out and returns it, so the
// caller can end its seat session.
func (s *Store) DeleteWebSession(ctx context.Context, a licensing.Actor, idHash string) (desk.WebSession, error) {
	var ws desk.WebSession
	err := s.write(ctx, func(t *tx) error {
		var err error
		ws, err = scanWebSession(t.queryRow(webSessionSelect+` WHERE w.id_hash = ?`, idHash))
		if errors.Is(err, sql.ErrNoRows) {
			return licensing.Errorf(licensing.CodeNotFound, "no such web session")
		}
		if err != nil {
			return fmt.Errorf("store: web session: %w", err)
		}
		if _, err := t.exec(`DELETE FROM web_sessions WHERE id_hash = ?`, idHash); err != nil {
			return fmt.Errorf("store: delete web session: %w", err)
		}
		name := ws.UserName
		if name == "" {
			name = ws.User
		}
		return t.record(a, "signout", "user:"+name, "ok", "method="+ws.Method)
	})
	return ws, err
}

// DeleteExpiredWebSessions removes the sessions that have expired and
// returns how many.
func (s *Store) DeleteExpiredWebSessions(ctx context.Context) (int, error) {
	var n int64
	err := s.write(ctx, func(t *tx) error {
		res, err := t.exec(`DELETE FROM web_sessions WHERE expires_at <= ?`, micro(t.now))
		if err != nil {
			return fmt.Errorf("store: expire web sessions: %w", err)
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return int(n), err
}
