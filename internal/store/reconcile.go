package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/seatkeeper/seatkeeper/internal/entitle"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// Applied is what ApplyDiff did.
type Applied struct {
	Granted    int
	Revoked    int
	Pending    int // pending rows inserted or updated (deferred gains included)
	Relabelled int
	// Deferred are gains whose named pool turned out full inside the
	// transaction; they were stored as pending with reason pool_full.
	Deferred []entitle.Change
	// Skipped counts changes that no longer applied (the row was gone or
	// already in the wanted state, the person inactive, or a pending grant
	// without a pool to wait for).
	Skipped int
}

// ApplyDiff applies a rule diff in one transaction (callers chunk large
// diffs): losses revoke rule- and SCIM-group-sourced memberships (a loss
// naming a manual membership fails the whole call with CodeConflict; the
// planner decides when a group seat may go), relabels rewrite the source,
// gains insert active memberships sourced entitle.SourceOf(change.Rule) — or
// pending with reason pool_full when the named
// pool is full by now, so no pool ever exceeds seats plus overdraft — and
// pending changes insert or refresh pending rows. Audited as rule.revoke,
// rule.relabel, rule.grant and rule.pending; each person touched is
// published as changed.
func (s *Store) ApplyDiff(ctx context.Context, a licensing.Actor, d entitle.Diff) (Applied, error) {
	var out Applied
	err := s.write(ctx, func(t *tx) error {
		out = Applied{}
		for _, c := range d.Losses {
			if err := t.ruleLoss(a, c, &out); err != nil {
				return err
			}
		}
		for _, c := range d.Relabels {
			if err := t.ruleRelabel(a, c, &out); err != nil {
				return err
			}
		}
		for _, c := range d.Gains {
			if err := t.ruleGain(a, c, &out); err != nil {
				return err
			}
		}
		for _, c := range d.Pending {
			if err := t.rulePending(a, c, &out); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

type memberRow struct {
	source, state, reason string
}

func (t *tx) memberRow(pool, user string) (memberRow, bool, error) {
	var m memberRow
	err := t.queryRow(`SELECT source, state, reason FROM members WHERE pool_id = ? AND user_id = ? AND revoked_at = 0`, pool, user).Scan(&m.source, &m.state, &m.reason)
	if err == sql.ErrNoRows {
		return m, false, nil
	}
	if err != nil {
		return m, false, fmt.Errorf("store: member: %w", err)
	}
	return m, true, nil
}

func ruleSubject(t *tx, pool, user string) string {
	return "pool:" + pool + "/user:" + t.userName(user)
}

func (t *tx) ruleLoss(a licensing.Actor, c entitle.Change, out *Applied) error {
	m, ok, err := t.memberRow(c.Pool, c.User)
	if err != nil {
		return err
	}
	if !ok {
		out.Skipped++
		return nil
	}
	if _, isRule := entitle.Managed(m.source); !isRule {
		return licensing.Errorf(licensing.CodeConflict, "a rule may not revoke %q's %s membership of pool %q", c.User, m.source, c.Pool)
	}
	if err := t.revokeRuleRow(a, c.Pool, c.User, m, c.Reason); err != nil {
		return err
	}
	out.Revoked++
	return nil
}

// revokeRuleRow ends a rule- or group-sourced membership (active or pending) and, for
// an active one, the person's lease and queue place in the pool.
func (t *tx) revokeRuleRow(a licensing.Actor, pool, user string, m memberRow, reason string) error {
	if _, err := t.exec(`UPDATE members SET revoked_at = ?, revoked_by = ?, revoke_reason = ? WHERE pool_id = ? AND user_id = ? AND revoked_at = 0`,
		micro(t.now), a.Name, reason, pool, user); err != nil {
		return fmt.Errorf("store: rule revoke: %w", err)
	}
	if m.state == licensing.MemberActive {
		var leaseID string
		err := t.queryRow(`SELECT id FROM leases WHERE pool_id = ? AND user_id = ? AND ended_at = 0`, pool, user).Scan(&leaseID)
		if err == nil {
			if err := t.endLease(a, leaseID, licensing.EndRevoked); err != nil {
				return err
			}
		} else if err != sql.ErrNoRows {
			return err
		}
		if _, err := t.exec(`DELETE FROM queue_entries WHERE pool_id = ? AND user_id = ?`, pool, user); err != nil {
			return err
		}
	}
	t.changed(PersonKey(user))
	return t.record(a, "rule.revoke", ruleSubject(t, pool, user), "ok", string(mustJSON(map[string]any{"source": m.source, "state": m.state, "reason": reason})))
}

func (t *tx) ruleRelabel(a licensing.Actor, c entitle.Change, out *Applied) error {
	m, ok, err := t.memberRow(c.Pool, c.User)
	if err != nil {
		return err
	}
	src := entitle.SourceOf(c.Rule)
	if _, isRule := entitle.Managed(m.source); !ok || !isRule || m.source == src {
		out.Skipped++
		return nil
	}
	if _, err := t.exec(`UPDATE members SET source = ? WHERE pool_id = ? AND user_id = ? AND revoked_at = 0`, src, c.Pool, c.User); err != nil {
		return fmt.Errorf("store: rule relabel: %w", err)
	}
	out.Relabelled++
	t.changed(PersonKey(c.User))
	return t.record(a, "rule.relabel", ruleSubject(t, c.Pool, c.User), "ok", string(mustJSON(map[string]any{"from": m.source, "to": src})))
}

func (t *tx) ruleGain(a licensing.Actor, c entitle.Change, out *Applied) error {
	p, err := t.pool(c.Pool, true)
	if err != nil {
		return err
	}
	u, err := t.user(c.User)
	if err != nil {
		return err
	}
	if !u.Active {
		out.Skipped++
		return nil
	}
	if u.Kind == licensing.KindService {
		// The planner never grants a service account a seat; should a diff
		// ask for one anyway, an agent or module seat is still refused, as
		// PutMember refuses it (people working through one account would
		// share one licence).
		var tier string
		if err := t.queryRow(`SELECT tier FROM skus WHERE key = ?`, p.SKU).Scan(&tier); err != nil {
			return fmt.Errorf("store: rule grant: %w", err)
		}
		if tier == string(licensing.TierFulfiller) || tier == string(licensing.TierModule) {
			out.Skipped++
			return nil
		}
	}
	// A dormant seat reclaimed stays reclaimed: the rule does not hand it
	// straight back (an administrator undoes or assigns by hand).
	if gone, err := t.dormantReclaimed(u.ID, p.SKU); err != nil || gone {
		out.Skipped++
		return err
	}
	// Rows the person has in any pool of the SKU: an active one means the
	// SKU is held already; a pending rule or group row elsewhere gives way
	// to this gain (the diff's "replacing a pending row").
	rows, err := t.query(`SELECT m.pool_id, m.source, m.state, m.reason FROM members m JOIN pools p ON p.id = m.pool_id WHERE m.user_id = ? AND p.sku = ? AND m.revoked_at = 0`, u.ID, p.SKU)
	if err != nil {
		return fmt.Errorf("store: rule grant: %w", err)
	}
	type other struct {
		pool string
		memberRow
	}
	var others []other
	for rows.Next() {
		var o other
		if err := rows.Scan(&o.pool, &o.source, &o.state, &o.reason); err != nil {
			rows.Close()
			return fmt.Errorf("store: rule grant: %w", err)
		}
		others = append(others, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: rule grant: %w", err)
	}
	var here *memberRow
	for i := range others {
		o := &others[i]
		if o.state == licensing.MemberActive {
			out.Skipped++
			return nil
		}
		if o.pool == p.ID {
			here = &o.memberRow
		}
	}
	reason := c.Reason
	if p.Model == licensing.ModelNamed {
		held, err := t.namedHeld(p, t.now, u.ID)
		if err != nil {
			return err
		}
		if held >= p.Capacity() {
			c.Reason = entitle.ReasonPoolFull
			out.Deferred = append(out.Deferred, c)
			return t.rulePending(a, c, out)
		}
		if held >= p.Seats {
			reason = "overdraft"
		}
	}
	for _, o := range others {
		if o.pool == p.ID {
			continue
		}
		if _, isRule := entitle.Managed(o.source); isRule {
			if err := t.revokeRuleRow(a, o.pool, u.ID, o.memberRow, entitle.ReasonSeatFreed); err != nil {
				return err
			}
		}
	}
	src := entitle.SourceOf(c.Rule)
	if here != nil {
		_, err = t.exec(`UPDATE members SET source = ?, state = ?, reason = ?, granted_by = ?, since = ? WHERE pool_id = ? AND user_id = ? AND revoked_at = 0`,
			src, licensing.MemberActive, reason, a.Name, micro(t.now), p.ID, u.ID)
	} else {
		_, err = t.exec(`INSERT INTO members (pool_id, user_id, source, state, reason, granted_by, since) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			p.ID, u.ID, src, licensing.MemberActive, reason, a.Name, micro(t.now))
	}
	if err != nil {
		if t.s.d.IsUnique(err) {
			return licensing.Errorf(licensing.CodeConflict, "membership changed concurrently; retry")
		}
		return fmt.Errorf("store: rule grant: %w", err)
	}
	out.Granted++
	t.changed(PersonKey(u.ID))
	return t.record(a, "rule.grant", "pool:"+p.ID+"/user:"+u.UserName, ifElse(reason == "", "ok", reason), "source="+src)
}

func (t *tx) rulePending(a licensing.Actor, c entitle.Change, out *Applied) error {
	if c.Pool == "" {
		// No pool of the SKU exists: nothing to wait on in the members
		// table; the next reconciliation after a pool is created grants it.
		out.Skipped++
		return nil
	}
	pp, err := t.pool(c.Pool, false)
	if err != nil {
		return err
	}
	if gone, err := t.dormantReclaimed(c.User, pp.SKU); err != nil || gone {
		out.Skipped++
		return err
	}
	src := entitle.SourceOf(c.Rule)
	m, ok, err := t.memberRow(c.Pool, c.User)
	if err != nil {
		return err
	}
	switch {
	case ok && m.state == licensing.MemberActive:
		out.Skipped++
		return nil
	case ok:
		if _, isRule := entitle.Managed(m.source); !isRule || (m.source == src && m.reason == c.Reason) {
			out.Skipped++
			return nil
		}
		if _, err := t.exec(`UPDATE members SET source = ?, reason = ? WHERE pool_id = ? AND user_id = ? AND revoked_at = 0`, src, c.Reason, c.Pool, c.User); err != nil {
			return fmt.Errorf("store: rule pending: %w", err)
		}
	default:
		if _, err := t.exec(`INSERT INTO members (pool_id, user_id, source, state, reason, granted_by, since) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			c.Pool, c.User, src, licensing.MemberPending, c.Reason, a.Name, micro(t.now)); err != nil {
			if t.s.d.IsUnique(err) {
				return licensing.Errorf(licensing.CodeConflict, "membership changed concurrently; retry")
			}
			return fmt.Errorf("store: rule pending: %w", err)
		}
	}
	out.Pending++
	t.changed(PersonKey(c.User))
	return t.record(a, "rule.pending", ruleSubject(t, c.Pool, c.User), c.Reason, "source="+src)
}

// PendingMembers returns every pending membership, longest waiting first.
func (s *Store) PendingMembers(ctx context.Context) ([]licensing.Member, error) {
	ms, err := s.listMembers(ctx, `m.state = ?`, licensing.MemberPending)
	if err != nil {
		return nil, err
	}
	sortMembersBySince(ms)
	return ms, nil
}

// ActiveHolders counts a pool's active members now (every source).
func (s *Store) ActiveHolders(ctx context.Context, pool string) (int, error) {
	var n int
	if err := s.readRow(ctx, holdersQuery, pool).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: active holders: %w", err)
	}
	return n, nil
}

func sortMembersBySince(ms []licensing.Member) {
	slices.SortStableFunc(ms, func(a, b licensing.Member) int { return a.Since.Compare(b.Since) })
}
