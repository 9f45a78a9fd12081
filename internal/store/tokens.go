package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// Token scopes (DESIGN §5).
const (
	ScopeAdmin       = "admin"
	ScopePlatform    = "platform"
	ScopeSCIM        = "scim"
	ScopeIntegration = "integration"
)

// ValidScope reports whether s is a known scope.
func ValidScope(s string) bool {
	switch s {
	case ScopeAdmin, ScopePlatform, ScopeSCIM, ScopeIntegration:
		return true
	}
	return false
}

// Token is an API token's record; the secret itself is never stored.
type Token struct {
	ID        string
	Name      string
	Scope     string
	CreatedAt time.Time
	ExpiresAt time.Time
	RevokedAt time.Time
	LastUsed  time.Time
}

// HashToken is how a bearer token is stored and looked up. Tokens carry 160
// random bits, so a fast hash suffices; a slow one would tax every request.
func HashToken(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// CreateToken makes a token and returns its secret, shown only this once.
func (s *Store) CreateToken(ctx context.Context, a licensing.Actor, name, scope string, ttl time.Duration) (Token, string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 128 {
		return Token{}, "", licensing.FieldErrorf(licensing.CodeInvalid, "name", "name is required (at most 128 characters)")
	}
	if !ValidScope(scope) {
		return Token{}, "", licensing.FieldErrorf(licensing.CodeInvalid, "scope", "scope must be admin, platform, scim or integration")
	}
	if ttl < 0 {
		return Token{}, "", licensing.FieldErrorf(licensing.CodeInvalid, "ttl", "ttl must not be negative")
	}
	var tok Token
	var secret string
	err := s.write(ctx, func(t *tx) error {
		var err error
		if tok, secret, err = t.createToken(name, scope, ttl); err != nil {
			return err
		}
		return t.record(a, "token.create", "token:"+tok.ID, "ok", "name="+name+" scope="+scope)
	})
	return tok, secret, err
}

// createToken stores a new token with a fresh secret; the caller has checked
// name and scope and writes the audit entry.
func (t *tx) createToken(name, scope string, ttl time.Duration) (Token, string, error) {
	secret := "sk_" + strings.ToLower(rand.Text()) + strings.ToLower(rand.Text())
	tok := Token{ID: newID("tok"), Name: name, Scope: scope, CreatedAt: t.now}
	if ttl > 0 {
		tok.ExpiresAt = t.now.Add(ttl)
	}
	if _, err := t.exec(`INSERT INTO tokens (id, name, scope, hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
		tok.ID, name, scope, HashToken(secret), micro(t.now), micro(tok.ExpiresAt)); err != nil {
		return Token{}, "", fmt.Errorf("store: create token: %w", err)
	}
	return tok, secret, nil
}

const tokenCols = `id, name, scope, created_at, expires_at, revoked_at, last_used`

func scanToken(r rowScanner) (Token, error) {
	var tk Token
	var c, e, rv, u int64
	err := r.Scan(&tk.ID, &tk.Name, &tk.Scope, &c, &e, &rv, &u)
	tk.CreatedAt, tk.ExpiresAt, tk.RevokedAt, tk.LastUsed = fromMicro(c), fromMicro(e), fromMicro(rv), fromMicro(u)
	return tk, err
}

// LookupToken finds a live token by its secret's hash.
func (s *Store) LookupToken(ctx context.Context, hash string) (Token, error) {
	tk, err := scanToken(s.readRow(ctx, (`SELECT ` + tokenCols + ` FROM tokens WHERE hash = ?`), hash))
	if err == sql.ErrNoRows {
		return tk, licensing.Errorf(licensing.CodeUnauthorized, "unknown token")
	}
	if err != nil {
		return tk, fmt.Errorf("store: lookup token: %w", err)
	}
	if !tk.RevokedAt.IsZero() {
		return tk, licensing.Errorf(licensing.CodeUnauthorized, "token revoked")
	}
	if !tk.ExpiresAt.IsZero() && !s.now().Before(tk.ExpiresAt) {
		return tk, licensing.Errorf(licensing.CodeUnauthorized, "token expired")
	}
	return tk, nil
}

// ListTokens lists tokens (never their secrets).
func (s *Store) ListTokens(ctx context.Context) ([]Token, error) {
	rows, err := s.readRows(ctx, `SELECT `+tokenCols+` FROM tokens ORDER BY created_at`)
	if err != nil {
		return nil, fmt.Errorf("store: list tokens: %w", err)
	}
	defer rows.Close()
	out := []Token{}
	for rows.Next() {
		tk, err := scanToken(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, tk)
	}
	return out, rows.Err()
}

// RevokeToken revokes a token by id or name.
func (s *Store) RevokeToken(ctx context.Context, a licensing.Actor, key string) error {
	return s.write(ctx, func(t *tx) error {
		res, err := t.exec(`UPDATE tokens SET revoked_at = ? WHERE (id = ? OR name = ?) AND revoked_at = 0`, micro(t.now), key, key)
		if err != nil {
			return fmt.Errorf("store: revoke token: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("token", key)
		}
		return t.record(a, "token.revoke", "token:"+key, "ok", "")
	})
}
