package store

import (
	"context"
	"fmt"

	"github.com/seatkeeper/seatkeeper/internal/desk"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// RotateIntegrationToken gives a live integration a new token and revokes
// the one it had, in one transaction: calls with the old token are refused
// from the commit on, and a disabled integration is enabled again. The new
// secret is returned this once; only its hash is stored.
func (s *Store) RotateIntegrationToken(ctx context.Context, a licensing.Actor, key string) (desk.Integration, string, error) {
	var in desk.Integration
	var secret string
	err := s.write(ctx, func(t *tx) error {
		cur, err := t.lockIntegration(key)
		if err != nil {
			return err
		}
		if _, err := t.exec(`UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at = 0`, micro(t.now), cur.Token); err != nil {
			return fmt.Errorf("store: rotate integration token: %w", err)
		}
		tok, sec, err := t.createToken("integration:"+cur.Name, ScopeIntegration, 0)
		if err != nil {
			return err
		}
		if _, err := t.exec(`UPDATE integrations SET token_id = ?, updated_at = ? WHERE id = ?`, tok.ID, micro(t.now), cur.ID); err != nil {
			return fmt.Errorf("store: rotate integration token: %w", err)
		}
		in, secret = cur, sec
		in.Token, in.Disabled, in.UpdatedAt = tok.ID, false, t.now
		return t.record(a, "integration.token_rotate", "integration:"+cur.Name, "ok", fmt.Sprintf("old_token=%s new_token=%s was_disabled=%t", cur.Token, tok.ID, cur.Disabled))
	})
	if err != nil {
		return desk.Integration{}, "", err
	}
	return in, secret, nil
}

// DisableIntegration revokes a live integration's token, so its calls are
// refused, and keeps the integration, its service account and settings:
// RotateIntegrationToken enables it again. Disabling a disabled one is a
// conflict, so a repeated click says so instead of claiming a change.
func (s *Store) DisableIntegration(ctx context.Context, a licensing.Actor, key string) (desk.Integration, error) {
	var in desk.Integration
	err := s.write(ctx, func(t *tx) error {
		cur, err := t.lockIntegration(key)
		if err != nil {
			return err
		}
		if cur.Disabled {
			return licensing.Errorf(licensing.CodeConflict, "integration %q is already disabled: rotate its token to enable it", cur.Name)
		}
		if _, err := t.exec(`UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at = 0`, micro(t.now), cur.Token); err != nil {
			return fmt.Errorf("store: disable integration: %w", err)
		}
		if _, err := t.exec(`UPDATE integrations SET updated_at = ? WHERE id = ?`, micro(t.now), cur.ID); err != nil {
			return fmt.Errorf("store: disable integration: %w", err)
		}
		in = cur
		in.Disabled, in.UpdatedAt = true, t.now
		return t.record(a, "integration.disable", "integration:"+cur.Name, "ok", "token="+cur.Token)
	})
	return in, err
}
