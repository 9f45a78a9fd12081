package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/plural"
)

func (s *Store) listMembers(ctx context.Context, where string, args ...any) ([]licensing.Member, error) {
	return listMembersIn(func(q string, args ...any) (*sql.Rows, error) { return s.readRows(ctx, q, args...) }, where, args...)
}

// listMembersIn is listMembers on any reader (a read transaction's query).
func listMembersIn(query func(q string, args ...any) (*sql.Rows, error), where string, args ...any) ([]licensing.Member, error) {
	rows, err := query((`SELECT m.pool_id, m.user_id, u.user_name, m.source, m.state, m.reason, m.granted_by, m.since,
		COALESCE((SELECT MAX(l.started_at) FROM leases l WHERE l.user_id = m.user_id AND l.pool_id = m.pool_id), 0) FROM members m JOIN users u ON u.id = m.user_id WHERE m.revoked_at = 0 AND ` + where + ` ORDER BY m.pool_id, u.user_name_lower`), args...)
	if err != nil {
		return nil, fmt.Errorf("store: list members: %w", err)
	}
	defer rows.Close()
	out := []licensing.Member{}
	for rows.Next() {
		var m licensing.Member
		var since, used int64
		if err := rows.Scan(&m.Pool, &m.User, &m.UserName, &m.Source, &m.State, &m.Reason, &m.GrantedBy, &since, &used); err != nil {
			return nil, fmt.Errorf("store: scan member: %w", err)
		}
		m.Since, m.LastUsed = fromMicro(since), fromMicro(used)
		out = append(out, m)
	}
	return out, rows.Err()
}

// ListMembers returns a pool's current members.
func (s *Store) ListMembers(ctx context.Context, pool string) ([]licensing.Member, error) {
	if _, err := s.GetPool(ctx, pool); err != nil {
		return nil, err
	}
	return s.listMembers(ctx, `m.pool_id = ?`, pool)
}

// holdersQuery reads a pool's active members from the count the triggers of
// migration 0009 keep, instead of counting them.
const holdersQuery = `SELECT coalesce((SELECT n FROM pool_holders WHERE pool_id = ?), 0)`

// namedHeld counts the seats of a named pool that are taken: current
// assignments plus seats revoked within their cool-down, which may not move
// to anyone else yet (the vendor's reassignment rule).
// A seat in cool-down may go back to the person it was taken from, so
// that person's own revoked rows (forUser) are not counted.
func (t *tx) namedHeld(p licensing.Pool, now time.Time, forUser string) (int, error) {
	var n int
	if p.Cooldown == 0 {
		err := t.queryRow(holdersQuery, p.ID).Scan(&n)
		return n, err
	}
	err := t.queryRow(`SELECT count(DISTINCT user_id) FROM members WHERE pool_id = ? AND state = 'active' AND (revoked_at = 0 OR (since > ? AND user_id <> ?))`,
		p.ID, micro(now.Add(-p.Cooldown)), forUser).Scan(&n)
	return n, err
}

// PutMember assigns a named seat or registers a person for a concurrent
// pool. It is idempotent; created tells whether anything changed.
func (s *Store) PutMember(ctx context.Context, a licensing.Actor, poolID, userKey, source string) (m licensing.Member, created bool, err error) {
	if source == "" {
		source = licensing.SourceManual
	}
	err = s.write(ctx, func(t *tx) error {
		p, err := t.pool(poolID, true)
		if err != nil {
			return err
		}
		u, err := t.user(userKey)
		if err != nil {
			return err
		}
		if !u.Active {
			return licensing.Errorf(licensing.CodeInactive, "user %q is inactive", u.UserName)
		}
		var tier string
		if err := t.queryRow(`SELECT tier FROM skus WHERE key = ?`, p.SKU).Scan(&tier); err != nil {
			return err
		}
		if u.Kind == licensing.KindService && (tier == string(licensing.TierFulfiller) || tier == string(licensing.TierModule)) {
			return licensing.FieldErrorf(licensing.CodeConflict, "user", "service account %q cannot hold a %s seat: people working through it would share one licence (multiplexing)", u.UserName, tier)
		}
		m = licensing.Member{Pool: p.ID, User: u.ID, UserName: u.UserName, Source: source, State: licensing.MemberActive, GrantedBy: a.Name, Since: t.now}
		var since, used int64
		err = t.queryRow(`SELECT source, state, reason, granted_by, since, last_used FROM members WHERE pool_id = ? AND user_id = ? AND revoked_at = 0`, p.ID, u.ID).
			Scan(&m.Source, &m.State, &m.Reason, &m.GrantedBy, &since, &used)
		if err == nil {
			m.Since, m.LastUsed = fromMicro(since), fromMicro(used)
			return nil
		}
		if err != sql.ErrNoRows {
			return fmt.Errorf("store: member: %w", err)
		}
		if p.Model == licensing.ModelNamed {
			held, err := t.namedHeld(p, t.now, u.ID)
			if err != nil {
				return err
			}
			if held >= p.Capacity() {
				if err := t.denial(a, u.ID, p.ID, "", licensing.CodeMaxedOut); err != nil {
					return err
				}
				return t.refuse(&licensing.Error{Code: licensing.CodeMaxedOut, Message: fmt.Sprintf("named pool %q is full (%d of %s)", p.ID, held, plural.Of(p.Capacity(), "seat"))})
			}
			if held >= p.Seats {
				m.Reason = "overdraft"
			}
		}
		if _, err := t.exec(`INSERT INTO members (pool_id, user_id, source, state, reason, granted_by, since) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			p.ID, u.ID, m.Source, m.State, m.Reason, m.GrantedBy, micro(t.now)); err != nil {
			if t.s.d.IsUnique(err) {
				return licensing.Errorf(licensing.CodeConflict, "membership changed concurrently; retry")
			}
			return fmt.Errorf("store: insert member: %w", err)
		}
		created = true
		t.changed(PersonKey(u.ID))
		if _, err := t.exec(`UPDATE dormant_notices SET state = ?, resolved_at = ?, resolved_by = ? WHERE pool_id = ? AND user_id = ? AND state = ?`,
			NoticeRegranted, micro(t.now), a.Name, p.ID, u.ID, NoticeReclaimed); err != nil {
			return fmt.Errorf("store: regrant: %w", err)
		}
		action := ifElse(p.Model == licensing.ModelNamed, "seat.assign", "pool.register")
		return t.record(a, action, "pool:"+p.ID+"/user:"+u.UserName, ifElse(m.Reason == "", "ok", m.Reason), "source="+m.Source)
	})
	return m, created, err
}

// DeleteMember revokes a named seat or a registration (ending any lease).
func (s *Store) DeleteMember(ctx context.Context, a licensing.Actor, poolID, userKey string) error {
	return s.write(ctx, func(t *tx) error {
		if _, err := t.pool(poolID, true); err != nil {
			return err
		}
		u, err := t.user(userKey)
		if err != nil {
			return err
		}
		return t.revokeMember(a, poolID, u.ID, licensing.EndRevoked, false)
	})
}

func (t *tx) revokeMember(a licensing.Actor, poolID, userID, reason string, quiet bool) error {
	res, err := t.exec(`UPDATE members SET revoked_at = ?, revoked_by = ?, revoke_reason = ? WHERE pool_id = ? AND user_id = ? AND revoked_at = 0`,
		micro(t.now), a.Name, reason, poolID, userID)
	if err != nil {
		return fmt.Errorf("store: revoke: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if quiet {
			return nil
		}
		return licensing.Errorf(licensing.CodeNotFound, "user %q is not a member of pool %q", userID, poolID)
	}
	var leaseID string
	err = t.queryRow(`SELECT id FROM leases WHERE pool_id = ? AND user_id = ? AND ended_at = 0`, poolID, userID).Scan(&leaseID)
	if err == nil {
		if err := t.endLease(a, leaseID, licensing.EndRevoked); err != nil {
			return err
		}
	} else if err != sql.ErrNoRows {
		return err
	}
	if _, err := t.exec(`DELETE FROM queue_entries WHERE pool_id = ? AND user_id = ?`, poolID, userID); err != nil {
		return err
	}
	t.changed(PersonKey(userID))
	return t.record(a, "seat.revoke", "pool:"+poolID+"/user:"+t.userName(userID), "ok", "reason="+reason)
}
