package store

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// Share link lifetimes.
const (
	DefaultShareTTL = 7 * 24 * time.Hour
	MaxShareTTL     = 90 * 24 * time.Hour
)

// ShareLink is a frozen report anyone holding its token may open.
type ShareLink struct {
	ID, Report string
	Params     string // the report's query string
	Snapshot   []byte // the report as JSON, taken at TakenAt
	TakenAt    time.Time
	CreatedBy  string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	RevokedAt  time.Time
	RevokedBy  string
	Views      int
	LastView   time.Time
	KeyID      string
}

// State is "active", "expired", "revoked" or "retired" (its key was rotated).
func (l ShareLink) State(now time.Time, liveKey bool) string {
	switch {
	case !l.RevokedAt.IsZero():
		return "revoked"
	case !liveKey:
		return "retired"
	case !now.Before(l.ExpiresAt):
		return "expired"
	}
	return "active"
}

func sign(secret, linkID, keyID string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("seatkeeper-share\x00" + linkID + "\x00" + keyID))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// shareKey returns the live signing key, creating the first one.
func (t *tx) shareKey() (id, secret string, err error) {
	err = t.queryRow(`SELECT id, secret FROM share_keys WHERE retired_at = 0 ORDER BY created_at DESC LIMIT 1`).Scan(&id, &secret)
	if err == sql.ErrNoRows {
		return t.newShareKey()
	}
	return id, secret, err
}

func (t *tx) newShareKey() (string, string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", "", err
	}
	id, secret := newID("shk"), hex.EncodeToString(b)
	_, err := t.exec(`INSERT INTO share_keys (id, secret, created_at) VALUES (?, ?, ?)`, id, secret, micro(t.now))
	return id, secret, err
}

// CreateShare stores a link to a frozen report and returns it with its
// token (shown once; only a signature check can tell a token is right).
// Codes: CodeInvalid (ttl out of range).
func (s *Store) CreateShare(ctx context.Context, a licensing.Actor, l ShareLink, ttl time.Duration) (ShareLink, string, error) {
	if ttl == 0 {
		ttl = DefaultShareTTL
	}
	if ttl < time.Minute || ttl > MaxShareTTL {
		return l, "", licensing.FieldErrorf(licensing.CodeInvalid, "expires_in", "a share link lives from 1 minute to 90 days")
	}
	var token string
	err := s.write(ctx, func(t *tx) error {
		keyID, secret, err := t.shareKey()
		if err != nil {
			return fmt.Errorf("store: share key: %w", err)
		}
		l.ID, l.KeyID, l.CreatedBy, l.CreatedAt, l.ExpiresAt = newID("shr"), keyID, a.Name, t.now, t.now.Add(ttl)
		if _, err := t.exec(`INSERT INTO share_links (id, key_id, report, params, snapshot, taken_at, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			l.ID, keyID, l.Report, l.Params, string(l.Snapshot), micro(l.TakenAt), a.Name, micro(t.now), micro(l.ExpiresAt)); err != nil {
			return fmt.Errorf("store: create share: %w", err)
		}
		token = l.ID + "." + keyID + "." + sign(secret, l.ID, keyID)
		return t.record(a, "report.share", "share:"+l.ID, "created", string(mustJSON(map[string]any{"report": l.Report, "params": l.Params, "expires_at": l.ExpiresAt})))
	})
	return l, token, err
}

const shareCols = `s.id, s.key_id, s.report, s.params, s.snapshot, s.taken_at, s.created_by, s.created_at, s.expires_at, s.revoked_at, s.revoked_by, s.views, s.last_view`

func scanShare(r rowScanner) (ShareLink, error) {
	var l ShareLink
	var snap string
	var taken, created, expires, revoked, last int64
	err := r.Scan(&l.ID, &l.KeyID, &l.Report, &l.Params, &snap, &taken, &l.CreatedBy, &created, &expires, &revoked, &l.RevokedBy, &l.Views, &last)
	l.Snapshot = []byte(snap)
	l.TakenAt, l.CreatedAt, l.ExpiresAt, l.RevokedAt, l.LastView = fromMicro(taken), fromMicro(created), fromMicro(expires), fromMicro(revoked), fromMicro(last)
	return l, err
}

// errBadLink is the one answer for a token that is malformed, unknown or
// wrongly signed: which of them is not told.
var errBadLink = licensing.Errorf(licensing.CodeNotFound, "this share link is not valid")

// OpenShare checks a token and, when the link is live, counts and audits
// the view (with the viewer's address) and returns the link. Codes:
// CodeNotFound (malformed, unknown, tampered, retired key), CodeLinkExpired,
// CodeLinkRevoked. A refused view of an existing link is audited too.
func (s *Store) OpenShare(ctx context.Context, token, from string) (ShareLink, error) {
	var l ShareLink
	a := licensing.Actor{Name: "share-link", Source: from}
	err := s.write(ctx, func(t *tx) error {
		// A malformed or unknown token is refused without an audit entry:
		// anyone may send one, and each would grow the chain. Views and
		// refusals of real links are audited.
		parts := strings.Split(token, ".")
		if len(parts) != 3 || len(token) > 200 {
			return t.refuse(errBadLink)
		}
		var err error
		l, err = scanShare(t.queryRow(`SELECT `+shareCols+` FROM share_links s WHERE s.id = ?`, parts[0]))
		if err == sql.ErrNoRows {
			return t.refuse(errBadLink)
		}
		if err != nil {
			return fmt.Errorf("store: open share: %w", err)
		}
		var secret string
		var retired int64
		err = t.queryRow(`SELECT secret, retired_at FROM share_keys WHERE id = ?`, l.KeyID).Scan(&secret, &retired)
		if err != nil && err != sql.ErrNoRows {
			return err
		}
		if err == sql.ErrNoRows || parts[1] != l.KeyID || !hmac.Equal([]byte(parts[2]), []byte(sign(secret, l.ID, l.KeyID))) {
			return t.refuseLink(a, l.ID, "tampered", errBadLink)
		}
		switch l.State(t.now, retired == 0) {
		case "retired":
			return t.refuseLink(a, l.ID, "retired", errBadLink)
		case "revoked":
			return t.refuseLink(a, l.ID, "revoked", licensing.Errorf(licensing.CodeLinkRevoked, "this share link was revoked on %s", l.RevokedAt.UTC().Format("2 Jan 2006 15:04 MST")))
		case "expired":
			return t.refuseLink(a, l.ID, "expired", licensing.Errorf(licensing.CodeLinkExpired, "this share link expired on %s", l.ExpiresAt.UTC().Format("2 Jan 2006 15:04 MST")))
		}
		if _, err := t.exec(`UPDATE share_links SET views = views + 1, last_view = ? WHERE id = ?`, micro(t.now), l.ID); err != nil {
			return err
		}
		l.Views++
		l.LastView = t.now
		return t.record(a, "report.share_view", "share:"+l.ID, "ok", string(mustJSON(map[string]any{"report": l.Report, "address": from, "view": l.Views})))
	})
	return l, err
}

// refuseLink audits a refused link and fails the call with err.
func (t *tx) refuseLink(a licensing.Actor, id, why string, err error) error {
	if rerr := t.record(a, "report.share_view", "share:"+id, why, string(mustJSON(map[string]any{"address": a.Source}))); rerr != nil {
		return rerr
	}
	return t.refuse(err)
}

// ListShares lists links, newest first; createdBy "" lists everyone's.
// Live reports whether each link's key is still live.
func (s *Store) ListShares(ctx context.Context, createdBy string) ([]ShareLink, map[string]bool, error) {
	var out []ShareLink
	live := map[string]bool{}
	err := s.read(ctx, func(r *rtx) error {
		rows, err := r.query(`SELECT `+shareCols+` FROM share_links s WHERE ? = '' OR s.created_by = ? ORDER BY s.created_at DESC, s.id`, createdBy, createdBy)
		if err != nil {
			return fmt.Errorf("store: list shares: %w", err)
		}
		for rows.Next() {
			l, err := scanShare(rows)
			if err != nil {
				rows.Close()
				return err
			}
			l.Snapshot = nil // lists never carry the frozen data
			out = append(out, l)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		rows, err = r.query(`SELECT id FROM share_keys WHERE retired_at = 0`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return err
			}
			live[id] = true
		}
		return rows.Err()
	})
	return out, live, err
}

// RevokeShare ends a link at once. createdBy "" may revoke any link;
// otherwise only that creator's. Codes: CodeNotFound, CodeConflict
// (already revoked).
func (s *Store) RevokeShare(ctx context.Context, a licensing.Actor, id, createdBy string) error {
	return s.write(ctx, func(t *tx) error {
		var by string
		var revoked int64
		err := t.queryRow(`SELECT created_by, revoked_at FROM share_links WHERE id = ?`, id).Scan(&by, &revoked)
		if err == sql.ErrNoRows || (err == nil && createdBy != "" && by != createdBy) {
			return notFound("share link", id)
		}
		if err != nil {
			return err
		}
		if revoked != 0 {
			return licensing.Errorf(licensing.CodeConflict, "share link %s is already revoked", id)
		}
		if _, err := t.exec(`UPDATE share_links SET revoked_at = ?, revoked_by = ? WHERE id = ?`, micro(t.now), a.Name, id); err != nil {
			return err
		}
		return t.record(a, "report.share_revoke", "share:"+id, "ok", "")
	})
}

// RotateShareKey retires the signing key: every link signed with it stops
// opening (as after a leak), and new links use a new key. It returns how
// many live links were retired.
func (s *Store) RotateShareKey(ctx context.Context, a licensing.Actor) (int, error) {
	var n int
	err := s.write(ctx, func(t *tx) error {
		if err := t.queryRow(`SELECT count(*) FROM share_links s JOIN share_keys k ON k.id = s.key_id WHERE k.retired_at = 0 AND s.revoked_at = 0 AND s.expires_at > ?`, micro(t.now)).Scan(&n); err != nil {
			return err
		}
		if _, err := t.exec(`UPDATE share_keys SET retired_at = ? WHERE retired_at = 0`, micro(t.now)); err != nil {
			return err
		}
		id, _, err := t.newShareKey()
		if err != nil {
			return err
		}
		return t.record(a, "report.share_key_rotate", "share-key:"+id, "ok", fmt.Sprintf("retired_links=%d", n))
	})
	return n, err
}
