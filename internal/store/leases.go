package store

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/plural"
)

const leaseCols = `id, pool_id, user_id, slot, overdraft, started_at, last_activity, expires_at, ended_at, end_reason, integration_id, hold_ms`

func scanLease(r rowScanner) (licensing.Lease, error) {
	var l licensing.Lease
	var started, act, exp, ended, hold int64
	err := r.Scan(&l.ID, &l.Pool, &l.User, &l.Slot, &l.Overdraft, &started, &act, &exp, &ended, &l.EndReason, &l.Integration, &hold)
	l.StartedAt, l.LastActivity, l.ExpiresAt, l.EndedAt = fromMicro(started), fromMicro(act), fromMicro(exp), fromMicro(ended)
	l.Hold = time.Duration(hold) * time.Millisecond
	return l, err
}

func (s *Store) listLeases(ctx context.Context, where string, args ...any) ([]licensing.Lease, error) {
	return listLeasesIn(func(q string, args ...any) (*sql.Rows, error) { return s.readRows(ctx, q, args...) }, where, args...)
}

// listLeasesIn is listLeases on any reader (a read transaction's query).
func listLeasesIn(query rowsFunc, where string, args ...any) ([]licensing.Lease, error) {
	rows, err := query(`SELECT `+leaseCols+` FROM leases WHERE `+where+` ORDER BY started_at`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list leases: %w", err)
	}
	return scanLeases(rows)
}

// scanLeases reads every lease of rows (leaseCols) and closes them.
func scanLeases(rows *sql.Rows) ([]licensing.Lease, error) {
	defer rows.Close()
	out := []licensing.Lease{}
	for rows.Next() {
		l, err := scanLease(rows)
		if err != nil {
			return nil, fmt.Errorf("store: scan lease: %w", err)
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// ActiveLeases lists the leases held in a pool ("" for every pool).
func (s *Store) ActiveLeases(ctx context.Context, pool string) ([]licensing.Lease, error) {
	if pool == "" {
		return s.listLeases(ctx, `ended_at = 0 AND 1 = ?`, 1)
	}
	return s.listLeases(ctx, `ended_at = 0 AND pool_id = ?`, pool)
}

// LeaseHistory lists leases started in [from, to), ended ones included.
func (s *Store) LeaseHistory(ctx context.Context, pool string, from, to time.Time) ([]licensing.Lease, error) {
	return s.listLeases(ctx, `pool_id = ? AND started_at >= ? AND started_at < ?`, pool, micro(from), micro(to))
}

// Full is returned (as the *licensing.Error inside) when a concurrent pool
// has no seat for the person.
func maxedOut(pool string, position, retry int, why string) *licensing.Error {
	return &licensing.Error{Code: licensing.CodeMaxedOut, Field: "pool", Message: fmt.Sprintf("pool %q: %s", pool, why), QueuePosition: position, RetryAfter: retry}
}

// checkout gives u a lease in pool p for session sid, reusing the person's
// existing lease (one per person per pool). A nil lease with a *Error means
// the pool is full; the caller records the refusal. via is the integration
// whose session this is, nil for the person's own.
func (t *tx) checkout(a licensing.Actor, p licensing.Pool, u licensing.User, sid string, via *seatHold) (licensing.Lease, error) {
	now := t.now
	if !p.ValidAt(now) {
		return licensing.Lease{}, licensing.FieldErrorf(licensing.CodeNoLicence, "pool", "pool %q is outside its validity dates", p.ID)
	}
	// FOR UPDATE waits for a logout ending this lease and then re-checks
	// ended_at, so a new session never links to a lease that just ended.
	l, err := scanLease(t.queryRow(`SELECT `+leaseCols+` FROM leases WHERE pool_id = ? AND user_id = ? AND ended_at = 0`+t.s.d.ForUpdate, p.ID, u.ID))
	if err == nil {
		if via != nil {
			return l, t.reuseHeld(l, via, sid)
		}
		// The person's own use: a seat an integration took becomes theirs.
		l.LastActivity, l.ExpiresAt, l.Integration, l.Hold = now, now.Add(p.IdleTimeout), "", 0
		if _, err := t.exec(`UPDATE leases SET last_activity = ?, expires_at = ?, logout_at = 0, integration_id = '', hold_ms = 0 WHERE id = ? AND ended_at = 0`, micro(now), micro(l.ExpiresAt), l.ID); err != nil {
			return l, fmt.Errorf("store: reuse lease: %w", err)
		}
		t.leaseChanged(l, false)
		return l, t.linkSession(sid, l.ID)
	}
	if err != sql.ErrNoRows {
		return l, fmt.Errorf("store: find lease: %w", err)
	}
	var n int
	if err := t.queryRow(`SELECT count(*) FROM members WHERE pool_id = ? AND user_id = ? AND revoked_at = 0 AND state = 'active'`, p.ID, u.ID).Scan(&n); err != nil {
		return l, err
	}
	if n == 0 {
		return l, licensing.FieldErrorf(licensing.CodeNoLicence, "pool", "%q is not registered for pool %q", u.UserName, p.ID)
	}
	if err := t.checkLimits(p, u); err != nil {
		return l, err
	}
	if via != nil {
		if err := t.checkIntegrationCap(p, via); err != nil {
			return l, err
		}
	}
	if p.Queue != nil {
		if err := t.checkQueue(p, u); err != nil {
			return l, err
		}
	}
	id := newID("lse")
	slot, overdraft, freed, ok, err := t.takeSlot(p, u, id)
	if err != nil {
		return l, err
	}
	if !ok {
		return l, maxedOut(p.ID, 0, 0, "every seat is held")
	}
	// A lease starts no earlier than its slot was freed: a transaction that
	// began before the previous holder's logout committed may claim the slot
	// after it, and history must never show two holders of one slot at once.
	if freed.After(now) {
		now = freed
	}
	l = licensing.Lease{ID: id, Pool: p.ID, User: u.ID, Slot: slot, Overdraft: overdraft, StartedAt: now, LastActivity: now, ExpiresAt: now.Add(p.IdleTimeout)}
	if via != nil {
		l.Integration, l.Hold, l.ExpiresAt = via.id, via.hold, now.Add(via.hold)
	}
	if _, err := t.exec(`INSERT INTO leases (id, pool_id, user_id, slot, overdraft, started_at, last_activity, expires_at, integration_id, hold_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		l.ID, l.Pool, l.User, l.Slot, b2i(l.Overdraft), micro(now), micro(now), micro(l.ExpiresAt), l.Integration, l.Hold.Milliseconds()); err != nil {
		if t.s.d.IsUnique(err) {
			// Another session of the person took the lease a moment ago:
			// run the transaction again and it will reuse that lease.
			return l, fmt.Errorf("store: lease taken concurrently: %w", errRetry)
		}
		return l, fmt.Errorf("store: insert lease: %w", err)
	}
	if p.Queue != nil {
		if _, err := t.exec(`DELETE FROM queue_entries WHERE pool_id = ? AND user_id = ?`, p.ID, u.ID); err != nil {
			return l, err
		}
	}
	t.leaseChanged(l, false)
	detail := fmt.Sprintf("lease=%s slot=%d", l.ID, l.Slot)
	if overdraft {
		detail += " overdraft=true"
	}
	if via != nil {
		detail += fmt.Sprintf(" integration=%s hold=%s", via.name, via.hold)
	}
	if err := t.record(a, "lease.start", "pool:"+p.ID+"/user:"+u.UserName, ifElse(overdraft, "overdraft", "ok"), detail); err != nil {
		return l, err
	}
	return l, t.linkSession(sid, l.ID)
}

func (t *tx) linkSession(sid, leaseID string) error {
	if sid == "" {
		return nil
	}
	_, err := t.exec(`INSERT INTO session_leases (session_id, lease_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, sid, leaseID)
	return err
}

// takeSlot claims a free slot the person may use: their group's reserved
// slots first, then open ones, overdraft last. SKIP LOCKED (PostgreSQL) lets
// concurrent checkouts claim different slots without waiting on each other.
func (t *tx) takeSlot(p licensing.Pool, u licensing.User, leaseID string) (slot int, over bool, freed time.Time, ok bool, err error) {
	eligible, mine := slotEligibility(p, u)
	args := append([]any{leaseID, p.ID, p.ID}, mine...)
	q := `UPDATE pool_slots SET lease_id = ? WHERE pool_id = ? AND lease_id IS NULL AND slot = (SELECT slot FROM pool_slots WHERE pool_id = ? AND lease_id IS NULL AND ` + eligible +
		` ORDER BY overdraft, CASE WHEN reserved_for = '' THEN 1 ELSE 0 END, slot LIMIT 1` + t.s.d.SkipLocked + `) RETURNING slot, overdraft, freed_at`
	var freedAt int64
	err = t.queryRow(q, args...).Scan(&slot, &over, &freedAt)
	if err == sql.ErrNoRows {
		return 0, false, time.Time{}, false, nil
	}
	if err != nil {
		return 0, false, time.Time{}, false, fmt.Errorf("store: take slot: %w", err)
	}
	return slot, over, fromMicro(freedAt), true, nil
}

// slotEligibility is the SQL condition (and its arguments) for slots u may
// take: open ones and those reserved for one of u's groups.
func slotEligibility(p licensing.Pool, u licensing.User) (string, []any) {
	var mine []any
	for _, g := range u.Groups {
		if _, ok := p.Reservations[g]; ok {
			mine = append(mine, g)
		}
	}
	if len(mine) == 0 {
		return `reserved_for = ''`, nil
	}
	return `(reserved_for = '' OR reserved_for IN (` + placeholders(len(mine)) + `))`, mine
}

// checkLimits enforces per-group maxima (FlexLM MAX): a lease counts against
// every limited group its holder belongs to. The group lock serialises only
// checkouts of that group's members.
func (t *tx) checkLimits(p licensing.Pool, u licensing.User) error {
	groups := make([]string, 0, len(u.Groups))
	for _, g := range u.Groups {
		if _, ok := p.Limits[g]; ok {
			groups = append(groups, g)
		}
	}
	sort.Strings(groups)
	for _, g := range groups {
		if t.s.d.LockKey != nil {
			if err := t.s.d.LockKey(t.ctx, t.Tx, "limit/"+p.ID+"/"+g); err != nil {
				return err
			}
		}
		var n int
		if err := t.queryRow(`SELECT count(*) FROM leases l JOIN user_groups g ON g.user_id = l.user_id WHERE l.pool_id = ? AND l.ended_at = 0 AND g.grp = ?`, p.ID, g).Scan(&n); err != nil {
			return fmt.Errorf("store: limit count: %w", err)
		}
		if n >= p.Limits[g] {
			return maxedOut(p.ID, 0, 0, fmt.Sprintf("group %q holds its limit of %s", g, plural.Of(p.Limits[g], "seat")))
		}
	}
	return nil
}

// checkQueue lets a person through only ahead of nobody: while people wait,
// a freed seat goes to them in order of group priority, then arrival.
func (t *tx) checkQueue(p licensing.Pool, u licensing.User) error {
	if _, err := t.exec(`DELETE FROM queue_entries WHERE pool_id = ? AND last_seen < ?`, p.ID, micro(t.now.Add(-p.Queue.OfferTTL))); err != nil {
		return err
	}
	ahead, queued, err := t.queuePosition(p.ID, u.ID)
	if err != nil || ahead == 0 {
		return err
	}
	if !queued {
		ahead++ // everyone queued is ahead of a newcomer
	}
	eligible, args := slotEligibility(p, u)
	var free int
	if err := t.queryRow(`SELECT count(*) FROM pool_slots WHERE pool_id = ? AND lease_id IS NULL AND `+eligible, append([]any{p.ID}, args...)...).Scan(&free); err != nil {
		return err
	}
	if free >= ahead {
		return nil
	}
	return maxedOut(p.ID, 0, 0, "people are queued for this pool")
}

// queueOrder lists a pool's queue in the order seats are offered.
const queueOrder = `SELECT user_id FROM queue_entries WHERE pool_id = ? ORDER BY priority DESC, enqueued_at, user_id`

// queuePosition returns how many wait before u (counting u when queued as
// position 1-based) and whether u is queued.
func (t *tx) queuePosition(pool, user string) (int, bool, error) {
	rows, err := t.query(queueOrder, pool)
	if err != nil {
		return 0, false, err
	}
	return placeIn(rows, user)
}

// placeIn reads a queue (queueOrder) up to user: their 1-based place and
// whether they are in it, else the queue's length.
func placeIn(rows *sql.Rows, user string) (int, bool, error) {
	defer rows.Close()
	n := 0
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return 0, false, err
		}
		n++
		if id == user {
			return n, true, nil
		}
	}
	return n, false, rows.Err()
}

// refuseCheckout records a full pool: the denial, and a queue place when the
// pool queues. It returns the error with position and retry hint filled.
func (t *tx) refuseCheckout(a licensing.Actor, p licensing.Pool, u licensing.User, full *licensing.Error) error {
	if err := t.denial(a, u.ID, p.ID, "", licensing.CodeMaxedOut); err != nil {
		return err
	}
	if q := p.Queue; q != nil {
		prio := 0
		for g, v := range q.Priority {
			if u.InGroup(g) && v > prio {
				prio = v
			}
		}
		_, queued, err := t.queuePosition(p.ID, u.ID)
		if err != nil {
			return err
		}
		if queued {
			_, err = t.exec(`UPDATE queue_entries SET last_seen = ? WHERE pool_id = ? AND user_id = ?`, micro(t.now), p.ID, u.ID)
		} else {
			var n int
			if err := t.queryRow(`SELECT count(*) FROM queue_entries WHERE pool_id = ?`, p.ID).Scan(&n); err != nil {
				return err
			}
			if q.MaxLength > 0 && n >= q.MaxLength {
				full.Message += "; the queue is full"
			} else {
				// Arrival stamps strictly increase per pool, so two people
				// joining in the same microsecond still queue in order.
				_, err = t.exec(`INSERT INTO queue_entries (pool_id, user_id, priority, enqueued_at, last_seen)
					VALUES (?, ?, ?, (SELECT MAX(v) FROM (SELECT ? AS v UNION ALL SELECT MAX(enqueued_at) + 1 FROM queue_entries WHERE pool_id = ?) AS candidates), ?)`,
					p.ID, u.ID, prio, micro(t.now), p.ID, micro(t.now))
				if err == nil {
					err = t.record(a, "queue.join", "pool:"+p.ID+"/user:"+u.UserName, "queued", fmt.Sprintf("priority=%d", prio))
				}
			}
		}
		if err != nil {
			return fmt.Errorf("store: queue: %w", err)
		}
		if full.QueuePosition, _, err = t.queuePosition(p.ID, u.ID); err != nil {
			return err
		}
	}
	var next int64
	if err := t.queryRow(`SELECT COALESCE(MIN(expires_at), 0) FROM leases WHERE pool_id = ? AND ended_at = 0`, p.ID).Scan(&next); err != nil {
		return err
	}
	full.RetryAfter = 60
	if next > 0 {
		full.RetryAfter = max(1, min(int(fromMicro(next).Sub(t.now).Seconds())+1, 3600))
	}
	return t.refuse(full)
}

// endLease returns a lease's seat and keeps the lease as history.
func (t *tx) endLease(a licensing.Actor, leaseID, reason string) error {
	return t.endLeaseIf(a, leaseID, reason, false)
}

// endLeaseIf ends a lease; with expiredOnly it does so only if the lease is
// still expired when its row is updated, so a sweep never ends a lease that
// a login or heartbeat renewed after the sweep picked it.
func (t *tx) endLeaseIf(a licensing.Actor, leaseID, reason string, expiredOnly bool) error {
	var pool, user string
	var slot int64
	q := `UPDATE leases SET ended_at = ?, end_reason = ? WHERE id = ? AND ended_at = 0`
	args := []any{micro(t.now), reason, leaseID}
	if expiredOnly {
		q += ` AND expires_at <= ?`
		args = append(args, micro(t.now))
	}
	err := t.queryRow(q+` RETURNING pool_id, user_id, slot`, args...).Scan(&pool, &user, &slot)
	ended := licensing.Lease{ID: leaseID, Pool: pool, User: user, EndedAt: t.now, EndReason: reason}
	if err == sql.ErrNoRows {
		return nil // already ended, e.g. by another process's sweep
	}
	if err != nil {
		return fmt.Errorf("store: end lease: %w", err)
	}
	if _, err := t.exec(`UPDATE pool_slots SET lease_id = NULL, freed_at = ? WHERE pool_id = ? AND slot = ? AND lease_id = ?`, micro(t.now), pool, slot, leaseID); err != nil {
		return fmt.Errorf("store: free slot: %w", err)
	}
	t.leaseChanged(ended, true)
	return t.record(a, "lease.end", "pool:"+pool+"/user:"+t.userName(user), reason, "lease="+leaseID)
}

// EndLease ends a lease on an administrator's word.
func (s *Store) EndLease(ctx context.Context, a licensing.Actor, leaseID string) error {
	return s.write(ctx, func(t *tx) error {
		var ended int64
		err := t.queryRow(`SELECT ended_at FROM leases WHERE id = ?`, leaseID).Scan(&ended)
		if err == sql.ErrNoRows {
			return notFound("lease", leaseID)
		}
		if err != nil {
			return err
		}
		if ended != 0 {
			return licensing.Errorf(licensing.CodeConflict, "lease %q already ended", leaseID)
		}
		return t.endLease(a, leaseID, licensing.EndAdmin)
	})
}

// StartSession opens a session for a person and takes a lease in each pool
// (none when lazy). When a pool is full nothing is kept but the refusal.
func (s *Store) StartSession(ctx context.Context, a licensing.Actor, userKey string, lazy bool, pools []string) (licensing.Session, error) {
	if a.Integration != "" {
		// An integration's session takes seats only as its calls need them
		// (DESIGN §3.5): never all of the person's pools up front.
		lazy, pools = true, nil
	}
	var sess licensing.Session
	err := s.write(ctx, func(t *tx) error {
		// A share lock on the person: a deactivation (which locks the row for
		// update) either commits first and is seen here, or waits for this
		// session and then ends it.
		u, err := t.userLock(userKey, t.s.d.ForShare)
		if err != nil {
			return err
		}
		if !u.Active {
			return licensing.Errorf(licensing.CodeInactive, "user %q is inactive", u.UserName)
		}
		var full *licensing.Error
		var fullPool licensing.Pool
		run := func() error {
			sess = licensing.Session{ID: newID("ses"), User: u.ID, Lazy: lazy, StartedAt: t.now, LastSeen: t.now, Source: a.Source, Integration: a.Integration, Leases: []licensing.Lease{}}
			for _, id := range pools {
				p, err := t.pool(id, false)
				if err != nil {
					return err
				}
				l, err := t.checkout(a, p, u, sess.ID, nil)
				if e, ok := licensing.AsError(err); ok && e.Code == licensing.CodeMaxedOut {
					full, fullPool = e, p
				}
				if err != nil {
					return err // undoes the session and any lease taken
				}
				sess.Leases = append(sess.Leases, l)
			}
			// The session row comes after the checkouts: a refused first
			// checkout has written nothing, so one pool needs no savepoint.
			if _, err := t.exec(`INSERT INTO sessions (id, user_id, lazy, started_at, last_seen, source, integration_id) VALUES (?, ?, ?, ?, ?, ?, ?)`,
				sess.ID, u.ID, b2i(lazy), micro(t.now), micro(t.now), a.Source, a.Integration); err != nil {
				return fmt.Errorf("store: insert session: %w", err)
			}
			t.sessionChanged(sess)
			detail := fmt.Sprintf("session=%s lazy=%t leases=%d", sess.ID, lazy, len(sess.Leases))
			if a.Integration != "" {
				detail += " integration=" + a.Integration
			}
			return t.record(a, "session.start", "user:"+u.UserName, "ok", detail)
		}
		if len(pools) > 1 {
			err = t.attempt(run) // undo the leases already taken when a later pool is full
		} else {
			err = run()
		}
		if full != nil {
			return t.refuseCheckout(a, fullPool, u, full)
		}
		return err
	})
	return sess, err
}

// Checkout takes a lease for an open session (lazy checkout at the first
// fulfiller action).
func (s *Store) Checkout(ctx context.Context, a licensing.Actor, sessionID, poolID string) (licensing.Lease, error) {
	var l licensing.Lease
	err := s.write(ctx, func(t *tx) error {
		sess, err := t.sessionLock(sessionID, t.s.d.ForUpdate)
		if err != nil {
			return err
		}
		if !sess.Active() {
			return licensing.Errorf(licensing.CodeConflict, "session %q has ended", sessionID)
		}
		u, err := t.userLock(sess.User, t.s.d.ForShare)
		if err != nil {
			return err
		}
		p, err := t.pool(poolID, false)
		if err != nil {
			return err
		}
		var via *seatHold
		if sess.Integration != "" {
			if via, err = t.integrationHold(sess.Integration); err != nil {
				return err
			}
		}
		// A refused checkout writes nothing, so no savepoint is needed.
		l, err = t.checkout(a, p, u, sessionID, via)
		if e, ok := licensing.AsError(err); ok && e.Code == licensing.CodeMaxedOut {
			return t.refuseCheckout(a, p, u, e)
		}
		return err
	})
	return l, err
}

const sessionCols = `id, user_id, lazy, started_at, last_seen, ended_at, end_reason, source, integration_id`

func scanSession(r rowScanner) (licensing.Session, error) {
	var ss licensing.Session
	var started, seen, ended int64
	err := r.Scan(&ss.ID, &ss.User, &ss.Lazy, &started, &seen, &ended, &ss.EndReason, &ss.Source, &ss.Integration)
	ss.StartedAt, ss.LastSeen, ss.EndedAt = fromMicro(started), fromMicro(seen), fromMicro(ended)
	return ss, err
}

func (t *tx) session(id string) (licensing.Session, error) { return t.sessionLock(id, "") }

// sessionLock reads a session, locking its row with lock (the dialect's
// FOR UPDATE) so a concurrent logout cannot end it under the caller.
func (t *tx) sessionLock(id, lock string) (licensing.Session, error) {
	ss, err := scanSession(t.queryRow(`SELECT `+sessionCols+` FROM sessions WHERE id = ?`+lock, id))
	if err == sql.ErrNoRows {
		return ss, notFound("session", id)
	}
	return ss, err
}

// GetSession returns a session with its active leases.
func (s *Store) GetSession(ctx context.Context, id string) (licensing.Session, error) {
	ss, err := scanSession(s.readRow(ctx, (`SELECT ` + sessionCols + ` FROM sessions WHERE id = ?`), id))
	if err == sql.ErrNoRows {
		return ss, notFound("session", id)
	}
	if err != nil {
		return ss, fmt.Errorf("store: get session: %w", err)
	}
	ss.Leases, err = s.listLeases(ctx, `ended_at = 0 AND id IN (SELECT lease_id FROM session_leases WHERE session_id = ?)`, id)
	return ss, err
}

// SessionFilter narrows ListSessions.
type SessionFilter struct {
	User       string
	ActiveOnly bool
	Limit      int
}

// ListSessions lists sessions, newest first.
func (s *Store) ListSessions(ctx context.Context, f SessionFilter) ([]licensing.Session, error) {
	var where []string
	var args []any
	if f.User != "" {
		where = append(where, `user_id = ?`)
		args = append(args, f.User)
	}
	if f.ActiveOnly {
		where = append(where, `ended_at = 0`)
	}
	q := `SELECT ` + sessionCols + ` FROM sessions`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	q += ` ORDER BY started_at DESC LIMIT ?`
	args = append(args, f.Limit)
	rows, err := s.readRows(ctx, (q), args...)
	if err != nil {
		return nil, fmt.Errorf("store: list sessions: %w", err)
	}
	defer rows.Close()
	out := []licensing.Session{}
	for rows.Next() {
		ss, err := scanSession(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, ss)
	}
	return out, rows.Err()
}

// Heartbeat records activity: the session and its leases live on.
func (s *Store) Heartbeat(ctx context.Context, sessionID string) (licensing.Session, error) {
	var ss licensing.Session
	err := s.write(ctx, func(t *tx) error {
		var err error
		if ss, err = t.sessionLock(sessionID, t.s.d.ForUpdate); err != nil {
			return err
		}
		if !ss.Active() {
			return licensing.Errorf(licensing.CodeConflict, "session %q has ended (%s)", sessionID, ss.EndReason)
		}
		ss.LastSeen = t.now
		if _, err := t.exec(`UPDATE sessions SET last_seen = ? WHERE id = ?`, micro(t.now), sessionID); err != nil {
			return err
		}
		if ss.Integration != "" {
			// An integration's heartbeat keeps its session open, never a
			// seat: seats live only as long as its calls need them.
			return nil
		}
		_, err = t.exec(`UPDATE leases SET last_activity = ?, expires_at = ? + (SELECT idle_timeout_ms FROM pools WHERE pools.id = leases.pool_id) * 1000
			WHERE ended_at = 0 AND logout_at = 0 AND id IN (SELECT lease_id FROM session_leases WHERE session_id = ?)`, micro(t.now), micro(t.now), sessionID)
		if err != nil {
			return fmt.Errorf("store: heartbeat: %w", err)
		}
		t.changed(PersonKey(ss.User))
		return nil
	})
	if err != nil {
		return ss, err
	}
	return s.GetSession(ctx, sessionID)
}

// TouchLeases extends leases used since the last flush (activity seen by
// the engine on the decision path).
func (s *Store) TouchLeases(ctx context.Context, touches []licensing.LeaseTouch) error {
	if len(touches) == 0 {
		return nil
	}
	return s.write(ctx, func(t *tx) error {
		for _, tc := range touches {
			if !tc.At.IsZero() {
				// A seat an integration took lives for its hold after use,
				// any other for the pool's idle timeout.
				at := micro(tc.At)
				if err := t.touchLease(`UPDATE leases SET last_activity = ?, expires_at = ? + CASE WHEN hold_ms > 0 THEN hold_ms ELSE (SELECT idle_timeout_ms FROM pools WHERE pools.id = leases.pool_id) END * 1000
				WHERE id = ? AND ended_at = 0 AND logout_at = 0 AND last_activity < ? RETURNING user_id`, at, at, tc.Lease, at); err != nil {
					return err
				}
			}
			if !tc.HeldUntil.IsZero() {
				// An integration's call keeps the seat to its hold at most.
				until := micro(tc.HeldUntil)
				if err := t.touchLease(`UPDATE leases SET expires_at = ? WHERE id = ? AND ended_at = 0 AND expires_at < ? RETURNING user_id`, until, tc.Lease, until); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// touchLease runs one lease extension; the engine checks expiry, so it
// must see one that moved.
func (t *tx) touchLease(q string, args ...any) error {
	var user string
	err := t.queryRow(q, args...).Scan(&user)
	if err == sql.ErrNoRows {
		return nil
	}
	if err != nil {
		return fmt.Errorf("store: touch lease: %w", err)
	}
	t.changed(PersonKey(user))
	return nil
}

// EndSession logs a session out; its leases return unless another session
// of the person still uses them, at once or after the pool's linger.
func (s *Store) EndSession(ctx context.Context, a licensing.Actor, sessionID, reason string) error {
	return s.write(ctx, func(t *tx) error {
		// End it in one statement; only when that finds nothing is the row
		// read, to tell "not found" from "already ended".
		ss, err := scanSession(t.queryRow(`UPDATE sessions SET ended_at = ?, end_reason = ? WHERE id = ? AND ended_at = 0 RETURNING `+sessionCols, micro(t.now), reason, sessionID))
		if err == sql.ErrNoRows {
			if ss, err = t.session(sessionID); err != nil {
				return err
			}
			return licensing.Errorf(licensing.CodeConflict, "session %q already ended (%s)", sessionID, ss.EndReason)
		}
		if err != nil {
			return fmt.Errorf("store: end session: %w", err)
		}
		return t.endSessionLeases(a, ss, reason)
	})
}

func (t *tx) endSession(a licensing.Actor, ss licensing.Session, reason string) error {
	if _, err := t.exec(`UPDATE sessions SET ended_at = ?, end_reason = ? WHERE id = ? AND ended_at = 0`, micro(t.now), reason, ss.ID); err != nil {
		return fmt.Errorf("store: end session: %w", err)
	}
	return t.endSessionLeases(a, ss, reason)
}

// endSessionLeases returns the leases of a session just ended.
func (t *tx) endSessionLeases(a licensing.Actor, ss licensing.Session, reason string) error {
	// Lock the session's leases before counting their other sessions: two
	// tabs logging out at once must not each see the other still working
	// (and both keep the seat), and a login reusing a lease must not link to
	// one this logout is ending. The count runs after the lock, so it sees
	// whatever the transaction we waited for committed.
	rows, err := t.query(`SELECT l.id, l.pool_id, l.integration_id FROM leases l WHERE l.ended_at = 0 AND l.id IN (SELECT lease_id FROM session_leases WHERE session_id = ?) ORDER BY l.id`+t.s.d.ForUpdate, ss.ID)
	if err != nil {
		return fmt.Errorf("store: session leases: %w", err)
	}
	type item struct {
		id, pool, integration string
		linger                int64
		others                int
	}
	var items []item
	for rows.Next() {
		var it item
		if err := rows.Scan(&it.id, &it.pool, &it.integration); err != nil {
			rows.Close()
			return err
		}
		items = append(items, it)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for i := range items {
		it := &items[i]
		// Only the person's own sessions keep a seat on: an integration's
		// session linked to it must not hold it after the person left.
		if err := t.queryRow(`SELECT (SELECT count(*) FROM session_leases o JOIN sessions os ON os.id = o.session_id WHERE o.lease_id = ? AND os.ended_at = 0 AND os.integration_id = ''),
			(SELECT linger_ms FROM pools WHERE id = ?)`, it.id, it.pool).Scan(&it.others, &it.linger); err != nil {
			return fmt.Errorf("store: lease sessions: %w", err)
		}
	}
	for _, it := range items {
		switch {
		case it.others > 0:
			// Another tab or device of the person still works on this seat.
		case it.linger > 0 && reason == licensing.EndLogout && it.integration == "":
			// A seat an integration took returns at once: its person never
			// logged in, so there is no return to linger for.
			if _, err := t.exec(`UPDATE leases SET logout_at = ?, expires_at = ? WHERE id = ?`, micro(t.now), micro(t.now)+it.linger*1000, it.id); err != nil {
				return err
			}
		default:
			if err := t.endLease(a, it.id, reason); err != nil {
				return err
			}
		}
	}
	ss.EndedAt, ss.EndReason = t.now, reason
	t.sessionChanged(ss)
	return t.record(a, "session.end", "user:"+t.userName(ss.User), reason, "session="+ss.ID)
}

func (t *tx) endUserSessions(a licensing.Actor, userID, reason string) error {
	rows, err := t.query(`SELECT `+sessionCols+` FROM sessions WHERE user_id = ? AND ended_at = 0`, userID)
	if err != nil {
		return err
	}
	var list []licensing.Session
	for rows.Next() {
		ss, err := scanSession(rows)
		if err != nil {
			rows.Close()
			return err
		}
		list = append(list, ss)
	}
	rows.Close()
	for _, ss := range list {
		if err := t.endSession(a, ss, reason); err != nil {
			return err
		}
	}
	// Leases with no session (or lingering) end too.
	lrows, err := t.query(`SELECT id FROM leases WHERE user_id = ? AND ended_at = 0`, userID)
	if err != nil {
		return err
	}
	var ids []string
	for lrows.Next() {
		var id string
		if err := lrows.Scan(&id); err != nil {
			lrows.Close()
			return err
		}
		ids = append(ids, id)
	}
	lrows.Close()
	for _, id := range ids {
		if err := t.endLease(a, id, reason); err != nil {
			return err
		}
	}
	return nil
}

// Sweep ends leases past their expiry (idle timeout, or linger after
// logout) and sessions idle longer than sessionIdle. It runs on a timer and
// at start-up, so seats held when a process died come back. It returns how
// many leases it ended.
func (s *Store) Sweep(ctx context.Context, sessionIdle time.Duration) (int, error) {
	ended := 0
	err := s.write(ctx, func(t *tx) error {
		ended = 0
		rows, err := t.query(`SELECT id, logout_at, integration_id FROM leases WHERE ended_at = 0 AND expires_at <= ? ORDER BY expires_at LIMIT 1000`, micro(t.now))
		if err != nil {
			return fmt.Errorf("store: sweep: %w", err)
		}
		type item struct {
			id, integration string
			logout          int64
		}
		var items []item
		for rows.Next() {
			var it item
			if err := rows.Scan(&it.id, &it.logout, &it.integration); err != nil {
				rows.Close()
				return err
			}
			items = append(items, it)
		}
		rows.Close()
		sys := licensing.System("sweeper")
		for _, it := range items {
			reason := licensing.EndIdleTimeout
			switch {
			case it.logout != 0:
				reason = licensing.EndLogout
			case it.integration != "":
				reason = licensing.EndHoldExpired
			}
			if err := t.endLeaseIf(sys, it.id, reason, true); err != nil {
				return err
			}
			ended++
		}
		srows, err := t.query(`SELECT `+sessionCols+` FROM sessions WHERE ended_at = 0 AND last_seen < ? LIMIT 1000`, micro(t.now.Add(-sessionIdle)))
		if err != nil {
			return err
		}
		var list []licensing.Session
		for srows.Next() {
			ss, err := scanSession(srows)
			if err != nil {
				srows.Close()
				return err
			}
			list = append(list, ss)
		}
		srows.Close()
		for _, ss := range list {
			// Re-check idleness on the row itself: a heartbeat may have
			// committed since the list was read.
			res, err := t.exec(`UPDATE sessions SET ended_at = ?, end_reason = ? WHERE id = ? AND ended_at = 0 AND last_seen < ?`,
				micro(t.now), licensing.EndIdleTimeout, ss.ID, micro(t.now.Add(-sessionIdle)))
			if err != nil {
				return fmt.Errorf("store: sweep session: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				continue
			}
			if err := t.endSessionLeases(sys, ss, licensing.EndIdleTimeout); err != nil {
				return err
			}
		}
		return nil
	})
	return ended, err
}

// LoadActiveSessions reads every open session, for start-up.
func (s *Store) LoadActiveSessions(ctx context.Context) ([]licensing.Session, error) {
	return s.ListSessions(ctx, SessionFilter{ActiveOnly: true, Limit: 10_000_000})
}
