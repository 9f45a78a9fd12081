package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// Dormant-seat actions (DESIGN §3.1): reclaim the seat after the grace
// period, or only suggest it to an administrator.
const (
	DormantReclaim = "reclaim"
	DormantSuggest = "suggest"
)

// Notice states. Warned and suggested notices are open; the others closed.
const (
	NoticeWarned    = "warned"    // the holder is told; reclaim after the grace period
	NoticeSuggested = "suggested" // grace over on a suggest-only pool: an administrator decides
	NoticeReclaimed = "reclaimed" // the seat was taken back (undoable until undo_until)
	NoticeCleared   = "cleared"   // the holder used the seat again, or became exempt
	NoticeUndone    = "undone"    // an administrator gave the seat back
	NoticeRegranted = "regranted" // the seat was assigned again by hand
	NoticeClosed    = "closed"    // the seat went another way (revoked, leaver)
)

// DormantPolicy is a named pool's dormant-seat policy.
type DormantPolicy struct {
	Pool         string
	IdleDays     int
	GraceDays    int
	Action       string
	UndoDays     int
	ExemptUsers  []string // user names or ids
	ExemptGroups []string
	UpdatedAt    time.Time
	UpdatedBy    string
}

// Validate checks a policy's numbers and action.
func (p *DormantPolicy) Validate() error {
	switch {
	case p.IdleDays < 1 || p.IdleDays > 3650:
		return licensing.FieldErrorf(licensing.CodeInvalid, "idle_days", "idle_days must be 1 to 3650")
	case p.GraceDays < 0 || p.GraceDays > 365:
		return licensing.FieldErrorf(licensing.CodeInvalid, "grace_days", "grace_days must be 0 to 365")
	case p.UndoDays < 0 || p.UndoDays > 365:
		return licensing.FieldErrorf(licensing.CodeInvalid, "undo_days", "undo_days must be 0 to 365")
	case p.Action != DormantReclaim && p.Action != DormantSuggest:
		return licensing.FieldErrorf(licensing.CodeInvalid, "action", "action must be reclaim or suggest")
	}
	for _, g := range p.ExemptGroups {
		if !licensing.ValidGroup(g) {
			return licensing.FieldErrorf(licensing.CodeInvalid, "exempt_groups", "group %q is not a valid group name", g)
		}
	}
	for _, u := range p.ExemptUsers {
		if strings.TrimSpace(u) == "" || len(u) > 256 {
			return licensing.FieldErrorf(licensing.CodeInvalid, "exempt_users", "exempt_users must be user names or ids")
		}
	}
	return nil
}

// DormantNotice is one dormant holding's path through the policy.
type DormantNotice struct {
	ID, Pool, User, UserName string
	State                    string
	LastUsed                 time.Time // zero: never used
	WarnedAt, ReclaimAfter   time.Time
	ReclaimedAt, UndoUntil   time.Time
	Source                   string
	ResolvedAt               time.Time
	ResolvedBy               string
}

// Open reports whether the notice still waits on the holder or an admin.
func (n DormantNotice) Open() bool { return n.State == NoticeWarned || n.State == NoticeSuggested }

// PutDormantPolicy sets a named pool's policy. Codes: CodeNotFound,
// CodeInvalid (not a named pool, bad numbers).
func (s *Store) PutDormantPolicy(ctx context.Context, a licensing.Actor, p DormantPolicy) (DormantPolicy, error) {
	if err := p.Validate(); err != nil {
		return p, err
	}
	p.ExemptUsers, p.ExemptGroups = nonNil(p.ExemptUsers), nonNil(p.ExemptGroups)
	err := s.write(ctx, func(t *tx) error {
		pool, err := t.pool(p.Pool, false)
		if err != nil {
			return err
		}
		if pool.Model != licensing.ModelNamed {
			return licensing.FieldErrorf(licensing.CodeInvalid, "pool", "pool %q is concurrent: its seats return on their own (idle timeout); a dormant policy is for named pools", p.Pool)
		}
		// An exemption must name a person: a typo would exempt nobody.
		for _, u := range p.ExemptUsers {
			if _, err := t.user(u); err != nil {
				return licensing.FieldErrorf(licensing.CodeInvalid, "exempt_users", "exempt_users: no person %q", u)
			}
		}
		p.UpdatedAt, p.UpdatedBy = t.now, a.Name
		users, groups := string(mustJSON(p.ExemptUsers)), string(mustJSON(p.ExemptGroups))
		if _, err := t.exec(`INSERT INTO dormant_policies (pool_id, idle_days, grace_days, action, undo_days, exempt_users, exempt_groups, updated_at, updated_by)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (pool_id) DO UPDATE SET idle_days = excluded.idle_days, grace_days = excluded.grace_days,
			action = excluded.action, undo_days = excluded.undo_days, exempt_users = excluded.exempt_users, exempt_groups = excluded.exempt_groups,
			updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
			p.Pool, p.IdleDays, p.GraceDays, p.Action, p.UndoDays, users, groups, micro(t.now), a.Name); err != nil {
			return fmt.Errorf("store: dormant policy: %w", err)
		}
		return t.record(a, "dormant.policy", "pool:"+p.Pool, "ok", string(mustJSON(map[string]any{"idle_days": p.IdleDays, "grace_days": p.GraceDays,
			"action": p.Action, "undo_days": p.UndoDays, "exempt_users": p.ExemptUsers, "exempt_groups": p.ExemptGroups})))
	})
	return p, err
}

func nonNil(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

// DeleteDormantPolicy removes a pool's policy; open notices are closed.
// Codes: CodeNotFound.
func (s *Store) DeleteDormantPolicy(ctx context.Context, a licensing.Actor, pool string) error {
	return s.write(ctx, func(t *tx) error {
		res, err := t.exec(`DELETE FROM dormant_policies WHERE pool_id = ?`, pool)
		if err != nil {
			return fmt.Errorf("store: delete dormant policy: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("dormant policy", pool)
		}
		if _, err := t.exec(`UPDATE dormant_notices SET state = ?, resolved_at = ?, resolved_by = ? WHERE pool_id = ? AND state IN (?, ?)`,
			NoticeClosed, micro(t.now), a.Name, pool, NoticeWarned, NoticeSuggested); err != nil {
			return err
		}
		return t.record(a, "dormant.policy", "pool:"+pool, "deleted", "")
	})
}

// DormantPolicies lists every policy, by pool.
func (s *Store) DormantPolicies(ctx context.Context) ([]DormantPolicy, error) {
	rows, err := s.readRows(ctx, `SELECT pool_id, idle_days, grace_days, action, undo_days, exempt_users, exempt_groups, updated_at, updated_by FROM dormant_policies ORDER BY pool_id`)
	if err != nil {
		return nil, fmt.Errorf("store: dormant policies: %w", err)
	}
	defer rows.Close()
	return scanPolicies(rows)
}

func scanPolicies(rows *sql.Rows) ([]DormantPolicy, error) {
	out := []DormantPolicy{}
	for rows.Next() {
		var p DormantPolicy
		var users, groups string
		var at int64
		if err := rows.Scan(&p.Pool, &p.IdleDays, &p.GraceDays, &p.Action, &p.UndoDays, &users, &groups, &at, &p.UpdatedBy); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(users), &p.ExemptUsers); err != nil {
			return nil, fmt.Errorf("store: policy %s exempt users: %w", p.Pool, err)
		}
		if err := json.Unmarshal([]byte(groups), &p.ExemptGroups); err != nil {
			return nil, fmt.Errorf("store: policy %s exempt groups: %w", p.Pool, err)
		}
		p.UpdatedAt = fromMicro(at)
		out = append(out, p)
	}
	return out, rows.Err()
}

// NoticeFilter narrows DormantNotices; empty fields do not filter.
type NoticeFilter struct {
	User, Pool string
	OpenOnly   bool
}

const noticeCols = `n.id, n.pool_id, n.user_id, u.user_name, n.state, n.last_used, n.warned_at, n.reclaim_after, n.reclaimed_at, n.undo_until, n.source, n.resolved_at, n.resolved_by`

func scanNotice(r rowScanner) (DormantNotice, error) {
	var n DormantNotice
	var used, warned, after, reclaimed, undo, resolved int64
	err := r.Scan(&n.ID, &n.Pool, &n.User, &n.UserName, &n.State, &used, &warned, &after, &reclaimed, &undo, &n.Source, &resolved, &n.ResolvedBy)
	n.LastUsed, n.WarnedAt, n.ReclaimAfter, n.ReclaimedAt, n.UndoUntil, n.ResolvedAt = fromMicro(used), fromMicro(warned), fromMicro(after), fromMicro(reclaimed), fromMicro(undo), fromMicro(resolved)
	return n, err
}

// DormantNotices lists notices, newest first.
func (s *Store) DormantNotices(ctx context.Context, f NoticeFilter) ([]DormantNotice, error) {
	rows, err := s.readRows(ctx, `SELECT `+noticeCols+` FROM dormant_notices n JOIN users u ON u.id = n.user_id
		WHERE (? = '' OR n.user_id = ?) AND (? = '' OR n.pool_id = ?) AND (? = 0 OR n.state IN ('warned', 'suggested'))
		ORDER BY n.warned_at DESC, n.id`, f.User, f.User, f.Pool, f.Pool, b2i(f.OpenOnly))
	if err != nil {
		return nil, fmt.Errorf("store: dormant notices: %w", err)
	}
	defer rows.Close()
	out := []DormantNotice{}
	for rows.Next() {
		n, err := scanNotice(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// DormantOutcome is what a sweep did.
type DormantOutcome struct {
	Warned, Cleared, Suggested, Reclaimed, Closed int
	// Users are the people whose seats were reclaimed (for reconciliation).
	Users []string
}

// holderRow is a current holder of a named pool with their last use.
type holderRow struct {
	user, name, source string
	groups             []string
	since, last        time.Time
}

func (t *tx) poolHolders(pool string) ([]holderRow, error) {
	rows, err := t.query(`SELECT m.user_id, u.user_name, u.groups, m.source, m.since, m.last_used
		FROM members m JOIN users u ON u.id = m.user_id WHERE m.pool_id = ? AND m.state = 'active' AND m.revoked_at = 0`, pool)
	if err != nil {
		return nil, fmt.Errorf("store: pool holders: %w", err)
	}
	defer rows.Close()
	var out []holderRow
	for rows.Next() {
		var h holderRow
		var groups string
		var since, used int64
		if err := rows.Scan(&h.user, &h.name, &groups, &h.source, &since, &used); err != nil {
			return nil, err
		}
		h.groups, h.since, h.last = parseGroups(groups), fromMicro(since), fromMicro(used)
		out = append(out, h)
	}
	return out, rows.Err()
}

func (p DormantPolicy) exempt(h holderRow) bool {
	for _, u := range p.ExemptUsers {
		if strings.EqualFold(u, h.name) || u == h.user {
			return true
		}
	}
	for _, g := range h.groups {
		if slices.Contains(p.ExemptGroups, g) {
			return true
		}
	}
	return false
}

// SweepDormant applies every dormant policy once: it warns holders idle for
// the window (seats assigned within it are left alone), clears notices of
// holders who came back or became exempt, and when the grace period is over
// reclaims the seat or marks it suggested. Every step is audited; reclaimed
// seats are returned in Users so the caller gives them to pending grants.
func (s *Store) SweepDormant(ctx context.Context, a licensing.Actor) (DormantOutcome, error) {
	var out DormantOutcome
	err := s.write(ctx, func(t *tx) error {
		out = DormantOutcome{}
		// One sweep at a time across processes (PostgreSQL).
		if t.s.d.LockKey != nil {
			if err := t.s.d.LockKey(t.ctx, t.Tx, "dormant-sweep"); err != nil {
				return err
			}
		}
		// A reclaim past its undo window is final: the rules and group
		// grants may offer the person a seat again.
		if _, err := t.exec(`UPDATE dormant_notices SET state = ?, resolved_at = ?, resolved_by = ? WHERE state = ? AND undo_until < ?`,
			NoticeClosed, micro(t.now), a.Name, NoticeReclaimed, micro(t.now)); err != nil {
			return fmt.Errorf("store: close reclaims: %w", err)
		}
		rows, err := t.query(`SELECT pool_id, idle_days, grace_days, action, undo_days, exempt_users, exempt_groups, updated_at, updated_by FROM dormant_policies ORDER BY pool_id`)
		if err != nil {
			return fmt.Errorf("store: dormant policies: %w", err)
		}
		policies, err := scanPolicies(rows)
		rows.Close()
		if err != nil {
			return err
		}
		for _, p := range policies {
			if err := t.sweepPool(a, p, &out); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

func (t *tx) sweepPool(a licensing.Actor, p DormantPolicy, out *DormantOutcome) error {
	holders, err := t.poolHolders(p.Pool)
	if err != nil {
		return err
	}
	rows, err := t.query(`SELECT `+noticeCols+` FROM dormant_notices n JOIN users u ON u.id = n.user_id WHERE n.pool_id = ? AND n.state IN ('warned', 'suggested')`, p.Pool)
	if err != nil {
		return fmt.Errorf("store: open notices: %w", err)
	}
	open := map[string]DormantNotice{}
	for rows.Next() {
		n, err := scanNotice(rows)
		if err != nil {
			rows.Close()
			return err
		}
		open[n.User] = n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	window := time.Duration(p.IdleDays) * 24 * time.Hour
	subject := func(name string) string { return "pool:" + p.Pool + "/user:" + name }
	for _, h := range holders {
		n, has := open[h.user]
		delete(open, h.user)
		ref := h.since
		if h.last.After(ref) {
			ref = h.last
		}
		switch {
		case has && (p.exempt(h) || h.last.After(n.WarnedAt)):
			if err := t.resolveNotice(n.ID, NoticeCleared, a.Name); err != nil {
				return err
			}
			out.Cleared++
			if err := t.record(a, "seat.dormant_clear", subject(h.name), ifElse(p.exempt(h), "exempt", "used"), "notice="+n.ID); err != nil {
				return err
			}
		case has && n.State == NoticeWarned && !t.now.Before(n.ReclaimAfter):
			if p.Action == DormantSuggest {
				if _, err := t.exec(`UPDATE dormant_notices SET state = ? WHERE id = ?`, NoticeSuggested, n.ID); err != nil {
					return err
				}
				out.Suggested++
				if err := t.record(a, "seat.dormant_suggest", subject(h.name), "suggested", "notice="+n.ID); err != nil {
					return err
				}
				continue
			}
			if err := t.reclaim(a, p, n, h.source); err != nil {
				return err
			}
			out.Reclaimed++
			out.Users = append(out.Users, h.user)
		case !has && !p.exempt(h) && t.now.Sub(ref) >= window:
			id := newID("dmt")
			after := t.now.Add(time.Duration(p.GraceDays) * 24 * time.Hour)
			if _, err := t.exec(`INSERT INTO dormant_notices (id, pool_id, user_id, state, last_used, warned_at, reclaim_after, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
				id, p.Pool, h.user, NoticeWarned, micro(h.last), micro(t.now), micro(after), h.source); err != nil {
				return fmt.Errorf("store: warn: %w", err)
			}
			out.Warned++
			if err := t.record(a, "seat.dormant_warn", subject(h.name), "warned", string(mustJSON(map[string]any{"notice": id,
				"last_used": zeroNil(h.last), "idle_days": int(t.now.Sub(ref) / (24 * time.Hour)), "reclaim_after": after, "action": p.Action}))); err != nil {
				return err
			}
		}
	}
	// Open notices whose holder no longer holds the seat went another way.
	for _, n := range open {
		if err := t.resolveNotice(n.ID, NoticeClosed, a.Name); err != nil {
			return err
		}
		out.Closed++
	}
	return nil
}

func zeroNil(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

func (t *tx) resolveNotice(id, state, by string) error {
	_, err := t.exec(`UPDATE dormant_notices SET state = ?, resolved_at = ?, resolved_by = ? WHERE id = ?`, state, micro(t.now), by, id)
	return err
}

// reclaim takes a dormant seat back, keeping the notice open to undo.
func (t *tx) reclaim(a licensing.Actor, p DormantPolicy, n DormantNotice, source string) error {
	if err := t.revokeMember(a, p.Pool, n.User, "dormant", false); err != nil {
		return err
	}
	undo := t.now.Add(time.Duration(p.UndoDays) * 24 * time.Hour)
	if _, err := t.exec(`UPDATE dormant_notices SET state = ?, reclaimed_at = ?, undo_until = ?, source = ?, resolved_by = ? WHERE id = ?`,
		NoticeReclaimed, micro(t.now), micro(undo), source, a.Name, n.ID); err != nil {
		return err
	}
	return t.record(a, "seat.dormant_reclaim", "pool:"+p.Pool+"/user:"+n.UserName, "reclaimed", string(mustJSON(map[string]any{"notice": n.ID, "undo_until": undo, "source": source})))
}

func (t *tx) notice(id string) (DormantNotice, error) {
	n, err := scanNotice(t.queryRow(`SELECT `+noticeCols+` FROM dormant_notices n JOIN users u ON u.id = n.user_id WHERE n.id = ?`+t.s.d.ForUpdate, id))
	if err == sql.ErrNoRows {
		return n, notFound("dormant notice", id)
	}
	return n, err
}

// ReclaimNow reclaims the seat of an open notice at an administrator's word
// (a suggest-only pool, or before the grace period ends). It returns the
// holder's id. Codes: CodeNotFound, CodeConflict (not open).
func (s *Store) ReclaimNow(ctx context.Context, a licensing.Actor, noticeID string) (string, error) {
	var user string
	err := s.write(ctx, func(t *tx) error {
		n, err := t.notice(noticeID)
		if err != nil {
			return err
		}
		if !n.Open() {
			return licensing.Errorf(licensing.CodeConflict, "notice %s is %s, not open", noticeID, n.State)
		}
		var p DormantPolicy
		rows, err := t.query(`SELECT pool_id, idle_days, grace_days, action, undo_days, exempt_users, exempt_groups, updated_at, updated_by FROM dormant_policies WHERE pool_id = ?`, n.Pool)
		if err != nil {
			return err
		}
		ps, err := scanPolicies(rows)
		rows.Close()
		if err != nil {
			return err
		}
		p = DormantPolicy{Pool: n.Pool, UndoDays: 30}
		if len(ps) == 1 {
			p = ps[0]
		}
		user = n.User
		return t.reclaim(a, p, n, n.Source)
	})
	return user, err
}

// UndoReclaim gives a reclaimed seat back while the notice's undo window is
// open and the pool has a free seat. Codes: CodeNotFound, CodeConflict (not
// reclaimed, window over), CodeMaxedOut (the seat went to someone else).
func (s *Store) UndoReclaim(ctx context.Context, a licensing.Actor, noticeID string) error {
	return s.write(ctx, func(t *tx) error {
		n, err := t.notice(noticeID)
		if err != nil {
			return err
		}
		if n.State != NoticeReclaimed {
			return licensing.Errorf(licensing.CodeConflict, "notice %s is %s: only a reclaimed seat can be given back", noticeID, n.State)
		}
		if t.now.After(n.UndoUntil) {
			return licensing.Errorf(licensing.CodeConflict, "the undo window of notice %s closed at %s", noticeID, n.UndoUntil.UTC().Format(time.RFC3339))
		}
		p, err := t.pool(n.Pool, true)
		if err != nil {
			return err
		}
		held, err := t.namedHeld(p, t.now, n.User)
		if err != nil {
			return err
		}
		if held >= p.Seats {
			return licensing.FieldErrorf(licensing.CodeMaxedOut, "pool", "pool %q has no free seat: the reclaimed seat went to someone else (%d of %d held)", p.ID, held, p.Seats)
		}
		var active bool
		if err := t.queryRow(`SELECT active FROM users WHERE id = ?`, n.User).Scan(&active); err != nil {
			return err
		}
		if !active {
			return licensing.Errorf(licensing.CodeInactive, "user %q is inactive", n.UserName)
		}
		var exists int
		if err := t.queryRow(`SELECT count(*) FROM members WHERE pool_id = ? AND user_id = ? AND revoked_at = 0`, p.ID, n.User).Scan(&exists); err != nil {
			return err
		}
		if exists == 0 {
			// since is now: the holder gets a fresh idle window.
			if _, err := t.exec(`INSERT INTO members (pool_id, user_id, source, state, granted_by, since, last_used) VALUES (?, ?, ?, 'active', ?, ?, ?)`,
				p.ID, n.User, ifElse(n.Source == "", licensing.SourceManual, n.Source), a.Name, micro(t.now), micro(n.LastUsed)); err != nil {
				return fmt.Errorf("store: undo reclaim: %w", err)
			}
			t.changed(PersonKey(n.User))
		}
		if err := t.resolveNotice(n.ID, NoticeUndone, a.Name); err != nil {
			return err
		}
		return t.record(a, "seat.dormant_undo", "pool:"+p.ID+"/user:"+n.UserName, "ok", "notice="+n.ID)
	})
}

// dormantReclaimed reports whether a reclaim of the person's seat of sku
// stands: rule and group grants then leave the person alone until an
// administrator undoes it or assigns a seat by hand.
func (t *tx) dormantReclaimed(user, sku string) (bool, error) {
	var n int
	err := t.queryRow(`SELECT count(*) FROM dormant_notices d JOIN pools p ON p.id = d.pool_id WHERE d.user_id = ? AND p.sku = ? AND d.state = ?`, user, sku, NoticeReclaimed).Scan(&n)
	return n > 0, err
}
