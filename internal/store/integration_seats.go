package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/desk"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// seatHold is what a checkout in an integration's session obeys: how long
// the seat lives after the call, and how many of a pool's seats the
// integration may hold at once (DESIGN §3.5).
type seatHold struct {
	id, name string
	hold     time.Duration
	maxSeats int
}

// integrationHold reads the rules of the integration that started a
// session, locking its row so concurrent checkouts through it count its
// seats one after the other (the cap stays exact on PostgreSQL too).
func (t *tx) integrationHold(id string) (*seatHold, error) {
	var h seatHold
	var hold, deleted int64
	err := t.queryRow(`SELECT id, name, hold_ms, max_seats, deleted_at FROM integrations WHERE id = ?`+t.s.d.ForUpdate, id).Scan(&h.id, &h.name, &hold, &h.maxSeats, &deleted)
	if err != nil {
		return nil, fmt.Errorf("store: integration of session: %w", err)
	}
	if deleted != 0 {
		return nil, licensing.Errorf(licensing.CodeForbidden, "integration %q was deleted: its sessions take no seats", h.name)
	}
	h.hold = time.Duration(hold) * time.Millisecond
	return &h, nil
}

// checkIntegrationCap refuses a new seat of p when the integration holds
// its cap of p's seats already. Its seats past their hold end first, as the
// sweep would end them, so they never count against it.
func (t *tx) checkIntegrationCap(p licensing.Pool, h *seatHold) error {
	rows, err := t.query(`SELECT id FROM leases WHERE integration_id = ? AND pool_id = ? AND ended_at = 0 AND logout_at = 0 AND expires_at <= ?`, h.id, p.ID, micro(t.now))
	if err != nil {
		return fmt.Errorf("store: integration seats: %w", err)
	}
	var expired []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		expired = append(expired, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, id := range expired {
		if err := t.endLeaseIf(licensing.System("sweeper"), id, licensing.EndHoldExpired, true); err != nil {
			return err
		}
	}
	var held int
	if err := t.queryRow(`SELECT count(*) FROM leases WHERE integration_id = ? AND pool_id = ? AND ended_at = 0`, h.id, p.ID).Scan(&held); err != nil {
		return fmt.Errorf("store: integration seats: %w", err)
	}
	if limit := desk.SeatCap(h.maxSeats, p.Seats); held >= limit {
		return &licensing.Error{Code: licensing.CodeIntegrationCap, Field: "pool",
			Message: fmt.Sprintf("integration %q holds %d of pool %q's seats, as many as it may (max_seats %d): a seat frees when one of its calls' holds ends", h.name, held, p.ID, limit)}
	}
	return nil
}

// reuseHeld links an integration's session to the person's live lease. The
// call keeps the seat to its hold at most: a person's own lease keeps its
// expiry when that is later, so an integration never extends it further.
func (t *tx) reuseHeld(l licensing.Lease, h *seatHold, sid string) error {
	if until := t.now.Add(h.hold); until.After(l.ExpiresAt) {
		l.ExpiresAt = until
	}
	l.LastActivity = t.now
	if _, err := t.exec(`UPDATE leases SET last_activity = ?, expires_at = ? WHERE id = ? AND ended_at = 0`, micro(l.LastActivity), micro(l.ExpiresAt), l.ID); err != nil {
		return fmt.Errorf("store: reuse lease: %w", err)
	}
	t.leaseChanged(l, false)
	return t.linkSession(sid, l.ID)
}

// UpdateIntegration changes an integration's mode, seat hold or seat cap,
// audited with the values before and after.
func (s *Store) UpdateIntegration(ctx context.Context, a licensing.Actor, key string, u desk.IntegrationUpdate) (desk.Integration, error) {
	if err := u.Validate(); err != nil {
		return desk.Integration{}, err
	}
	var in desk.Integration
	err := s.write(ctx, func(t *tx) error {
		old, err := t.lockIntegration(key)
		if err != nil {
			return err
		}
		in = old
		var changes []string
		if u.Mode != nil && *u.Mode != old.Mode {
			in.Mode = *u.Mode
			changes = append(changes, fmt.Sprintf("mode %s->%s", old.Mode, in.Mode))
		}
		if u.Hold != nil && *u.Hold != old.Hold {
			in.Hold = *u.Hold
			changes = append(changes, fmt.Sprintf("hold %s->%s", old.Hold, in.Hold))
		}
		if u.MaxSeats != nil && *u.MaxSeats != old.MaxSeats {
			in.MaxSeats = *u.MaxSeats
			changes = append(changes, fmt.Sprintf("max_seats %d->%d", old.MaxSeats, in.MaxSeats))
		}
		if len(changes) == 0 {
			return nil
		}
		in.UpdatedAt = t.now
		if _, err := t.exec(`UPDATE integrations SET mode = ?, hold_ms = ?, max_seats = ?, updated_at = ? WHERE id = ?`,
			string(in.Mode), in.Hold.Milliseconds(), in.MaxSeats, micro(t.now), old.ID); err != nil {
			return fmt.Errorf("store: update integration: %w", err)
		}
		action := "integration.update"
		if len(changes) == 1 && u.Mode != nil && *u.Mode != old.Mode {
			action = "integration.mode" // the action auditors already filter on
		}
		return t.record(a, action, "integration:"+in.Name, "ok", strings.Join(changes, " "))
	})
	return in, err
}
