package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/plural"
	"github.com/seatkeeper/seatkeeper/internal/report"
)

// History is past activity loaded in bulk by SeedHistory: a demo company's
// year, an import from the licence server Seatkeeper replaces, or a
// benchmark's generated load. Every row is over (nothing in it is still
// held), so the engine and the pools' slot rows are not touched; the rows
// land in the tables the reports read, exactly as live traffic would have
// left them. People and pools are named by id and must exist.
type History struct {
	// Actor is who loads the history, for its one audit entry
	// (licensing.System("history") when zero).
	Actor        licensing.Actor
	Leases       []HistLease
	Sessions     []HistSession
	Denials      []HistDenial
	Queue        []HistQueue
	Members      []HistMember
	EndedMembers []HistEndedMember
	Provisioning []HistProvisioning
}

// HistLease is an ended lease of a concurrent pool. The store seats it in
// a slot as a checkout would have (regular seats first, overdraft last) and
// refuses history that would ever have held more leases than the pool's
// seats plus overdraft, or two leases of one person in one pool at once,
// counting the leases already stored.
type HistLease struct {
	Pool, User string
	Start      time.Time
	LastActive time.Time // the last activity; zero: End
	End        time.Time
	// Logout is when the person logged out, for a lease that lingered
	// after it (zero: End when Reason is logout).
	Logout time.Time
	Reason string // licensing.End*; "" is logout
	// Overdraft, when set, asserts that the lease took an overdraft seat
	// (every regular seat was held as it started). Leases not marked that
	// find every regular seat held are seated on overdraft all the same.
	Overdraft bool
}

// HistSession is an ended working session.
type HistSession struct {
	User     string
	Start    time.Time
	LastSeen time.Time // zero: End
	End      time.Time
	Reason   string // "" is logout
	Source   string
	Lazy     bool
}

// HistDenial is a refused decision or checkout.
type HistDenial struct {
	At                     time.Time
	User, Pool, Capability string // Pool "" for denials no pool could meet
	Reason                 string // e.g. licensing.CodeMaxedOut
	Actor                  string // "" is the History's actor
}

// HistQueue is a queue place that ended: seated, or left unseated.
type HistQueue struct {
	Pool, User   string
	Joined, Left time.Time
	Seated       bool
}

// HistMember backdates a current membership (assignment or registration)
// and records its last use: the seat has been held since Since, and was
// last used at LastUsed. Zero leaves either as it is; a later LastUsed
// than the stored one wins.
type HistMember struct {
	Pool, User      string
	Since, LastUsed time.Time
}

// HistEndedMember is a membership that ended, such as a leaver's seat.
type HistEndedMember struct {
	Pool, User        string
	Source            string // "" is licensing.SourceManual
	GrantedBy         string
	Since, Revoked    time.Time
	LastUsed          time.Time
	RevokedBy, Reason string
}

// HistProvisioning is an identity provider's request about a person (a
// leaver's deactivation) and when its last revocation was done.
type HistProvisioning struct {
	User, Kind          string
	Received, Completed time.Time // Completed zero: never completed
}

// histRows is how many rows one INSERT statement carries.
const histRows = 500

func (h *History) empty() bool {
	return len(h.Leases)+len(h.Sessions)+len(h.Denials)+len(h.Queue)+len(h.Members)+len(h.EndedMembers)+len(h.Provisioning) == 0
}

func histErr(field string, i int, format string, args ...any) error {
	return licensing.FieldErrorf(licensing.CodeInvalid, fmt.Sprintf("%s[%d]", field, i), format, args...)
}

// span checks one interval of a row: both ends set, in order, not after now.
func histSpan(field string, i int, start, end, now time.Time, optionalEnd bool) error {
	switch {
	case start.IsZero():
		return histErr(field, i, "%s %d has no start", field, i)
	case end.IsZero() && !optionalEnd:
		return histErr(field, i, "%s %d has no end: history holds only what is over", field, i)
	case !end.IsZero() && end.Before(start):
		return histErr(field, i, "%s %d ends (%s) before it starts (%s)", field, i, end.Format(time.RFC3339), start.Format(time.RFC3339))
	case start.After(now) || end.After(now):
		return histErr(field, i, "%s %d lies in the future (now is %s)", field, i, now.Format(time.RFC3339))
	}
	return nil
}

// check validates every row on its own, before anything is read.
func (h *History) check(now time.Time) error {
	need := func(field string, i int, what, v string) error {
		if strings.TrimSpace(v) == "" {
			return histErr(field, i, "%s %d has no %s", field, i, what)
		}
		return nil
	}
	for i, l := range h.Leases {
		if err := errorsFirst(need("leases", i, "pool", l.Pool), need("leases", i, "user", l.User), histSpan("leases", i, l.Start, l.End, now, false)); err != nil {
			return err
		}
		if !l.LastActive.IsZero() && (l.LastActive.Before(l.Start) || l.LastActive.After(l.End)) {
			return histErr("leases", i, "lease %d: last activity outside the lease", i)
		}
		if !l.Logout.IsZero() && (l.Logout.Before(l.Start) || l.Logout.After(l.End)) {
			return histErr("leases", i, "lease %d: logout outside the lease", i)
		}
	}
	for i, ss := range h.Sessions {
		if err := errorsFirst(need("sessions", i, "user", ss.User), histSpan("sessions", i, ss.Start, ss.End, now, false)); err != nil {
			return err
		}
		if !ss.LastSeen.IsZero() && (ss.LastSeen.Before(ss.Start) || ss.LastSeen.After(ss.End)) {
			return histErr("sessions", i, "session %d: last seen outside the session", i)
		}
	}
	for i, d := range h.Denials {
		if err := errorsFirst(need("denials", i, "user", d.User), need("denials", i, "reason", d.Reason), histSpan("denials", i, d.At, d.At, now, false)); err != nil {
			return err
		}
	}
	for i, q := range h.Queue {
		if err := errorsFirst(need("queue", i, "pool", q.Pool), need("queue", i, "user", q.User), histSpan("queue", i, q.Joined, q.Left, now, false)); err != nil {
			return err
		}
	}
	for i, m := range h.Members {
		if err := errorsFirst(need("members", i, "pool", m.Pool), need("members", i, "user", m.User)); err != nil {
			return err
		}
		if m.Since.After(now) || m.LastUsed.After(now) {
			return histErr("members", i, "member %d lies in the future (now is %s)", i, now.Format(time.RFC3339))
		}
		if !m.Since.IsZero() && !m.LastUsed.IsZero() && m.LastUsed.Before(m.Since) {
			return histErr("members", i, "member %d was last used before it was held", i)
		}
	}
	for i, m := range h.EndedMembers {
		if err := errorsFirst(need("ended_members", i, "pool", m.Pool), need("ended_members", i, "user", m.User), histSpan("ended_members", i, m.Since, m.Revoked, now, false)); err != nil {
			return err
		}
		if !m.LastUsed.IsZero() && (m.LastUsed.Before(m.Since) || m.LastUsed.After(m.Revoked)) {
			return histErr("ended_members", i, "ended member %d was last used outside its tenure", i)
		}
	}
	for i, p := range h.Provisioning {
		if err := errorsFirst(need("provisioning", i, "user", p.User), need("provisioning", i, "kind", p.Kind), histSpan("provisioning", i, p.Received, p.Completed, now, true)); err != nil {
			return err
		}
	}
	return nil
}

func errorsFirst(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// histPool is what loading history needs of a pool.
type histPool struct {
	model            string
	seats, overdraft int
	idle             time.Duration
}

// SeedHistory loads past activity in one transaction: multi-row INSERTs of
// a few hundred rows through prepared statements, one audit entry
// (history.seed, with the counts) rather than one per row, and no slot row
// or engine state touched. Kept usage days from the history's first day on
// are dropped so the next RollupUsage sweeps them again. A row in the
// future, one that ends before it starts, an unknown person or pool, or
// leases a pool could never have held (more than its seats plus overdraft
// at once, or two of one person at once) refuse the whole batch with
// CodeInvalid or CodeNotFound and change nothing.
//
// A batch is one transaction: load millions of rows as a sequence of
// batches (a month at a time, say), each refused or kept whole.
func (s *Store) SeedHistory(ctx context.Context, h History) error {
	if h.empty() {
		return nil
	}
	if err := h.check(s.now()); err != nil {
		return err
	}
	a := h.Actor
	if a.Name == "" {
		a = licensing.System("history")
	}
	return s.write(ctx, func(t *tx) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		pools, err := t.histPools(&h)
		if err != nil {
			return err
		}
		if err := t.histUsers(&h); err != nil {
			return err
		}
		slots, err := t.placeLeases(h.Leases, pools)
		if err != nil {
			return err
		}
		if err := t.checkMemberHistory(&h, pools); err != nil {
			return err
		}
		if err := t.insertHistory(ctx, &h, pools, slots, a); err != nil {
			return err
		}
		first := h.first()
		// A seat taken at first can meet a refusal up to the horizon
		// before it, so the day sweeps from then on are stale.
		if _, err := t.exec(`DELETE FROM usage_days WHERE day >= ?`, micro(report.DayStart(first.Add(-report.RefusalHorizon)))); err != nil {
			return fmt.Errorf("store: history: forget usage: %w", err)
		}
		changed := map[string]bool{}
		for _, m := range h.Members {
			changed[m.User] = true
		}
		for _, m := range h.EndedMembers {
			changed[m.User] = true
		}
		for _, u := range slices.Sorted(maps.Keys(changed)) {
			t.changed(PersonKey(u))
		}
		last := h.last()
		return t.record(a, "history.seed", "history", "ok", string(mustJSON(map[string]any{
			"leases": len(h.Leases), "sessions": len(h.Sessions), "denials": len(h.Denials), "queue": len(h.Queue),
			"members": len(h.Members), "ended_members": len(h.EndedMembers), "provisioning": len(h.Provisioning),
			"from": first.UTC().Format(time.RFC3339), "to": last.UTC().Format(time.RFC3339),
		})))
	})
}

// first and last bound the history's times.
func (h *History) first() time.Time {
	var out time.Time
	see := func(t time.Time) {
		if !t.IsZero() && (out.IsZero() || t.Before(out)) {
			out = t
		}
	}
	for _, l := range h.Leases {
		see(l.Start)
	}
	for _, ss := range h.Sessions {
		see(ss.Start)
	}
	for _, d := range h.Denials {
		see(d.At)
	}
	for _, q := range h.Queue {
		see(q.Joined)
	}
	for _, m := range h.Members {
		see(m.Since)
		see(m.LastUsed)
	}
	for _, m := range h.EndedMembers {
		see(m.Since)
	}
	for _, p := range h.Provisioning {
		see(p.Received)
	}
	return out
}

func (h *History) last() time.Time {
	var out time.Time
	see := func(t time.Time) {
		if t.After(out) {
			out = t
		}
	}
	for _, l := range h.Leases {
		see(l.End)
	}
	for _, ss := range h.Sessions {
		see(ss.End)
	}
	for _, d := range h.Denials {
		see(d.At)
	}
	for _, q := range h.Queue {
		see(q.Left)
	}
	for _, m := range h.Members {
		see(m.Since)
		see(m.LastUsed)
	}
	for _, m := range h.EndedMembers {
		see(m.Revoked)
	}
	for _, p := range h.Provisioning {
		see(p.Received)
		see(p.Completed)
	}
	return out
}

// inList runs query (ending in "IN (") over keys in chunks, calling fn
// for each row.
func (t *tx) inList(query string, keys []string, fn func(*sql.Rows) error) error {
	for start := 0; start < len(keys); start += histRows {
		chunk := keys[start:min(start+histRows, len(keys))]
		args := make([]any, len(chunk))
		for i, k := range chunk {
			args[i] = k
		}
		rows, err := t.QueryContext(t.ctx, t.s.q(query+placeholders(len(chunk))+")"), args...)
		if err != nil {
			return fmt.Errorf("store: history: %w", err)
		}
		for rows.Next() {
			if err := fn(rows); err != nil {
				rows.Close()
				return err
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("store: history: %w", err)
		}
	}
	return nil
}

// histPools reads every pool the history names, refusing unknown ones and
// leases or queue places of pools that are not concurrent.
func (t *tx) histPools(h *History) (map[string]histPool, error) {
	first := map[string]string{} // pool -> first field naming it
	name := func(pool, field string, i int) {
		if _, ok := first[pool]; !ok && pool != "" {
			first[pool] = fmt.Sprintf("%s[%d].pool", field, i)
		}
	}
	for i, l := range h.Leases {
		name(l.Pool, "leases", i)
	}
	for i, d := range h.Denials {
		name(d.Pool, "denials", i)
	}
	for i, q := range h.Queue {
		name(q.Pool, "queue", i)
	}
	for i, m := range h.Members {
		name(m.Pool, "members", i)
	}
	for i, m := range h.EndedMembers {
		name(m.Pool, "ended_members", i)
	}
	pools := map[string]histPool{}
	err := t.inList(`SELECT id, model, seats, overdraft, idle_timeout_ms FROM pools WHERE id IN (`, slices.Sorted(maps.Keys(first)), func(r *sql.Rows) error {
		var id string
		var p histPool
		var idle int64
		if err := r.Scan(&id, &p.model, &p.seats, &p.overdraft, &idle); err != nil {
			return err
		}
		p.idle = time.Duration(idle) * time.Millisecond
		pools[id] = p
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, id := range slices.Sorted(maps.Keys(first)) {
		if _, ok := pools[id]; !ok {
			return nil, licensing.FieldErrorf(licensing.CodeNotFound, first[id], "pool %q not found", id)
		}
	}
	for i, l := range h.Leases {
		if pools[l.Pool].model != string(licensing.ModelConcurrent) {
			return nil, licensing.FieldErrorf(licensing.CodeInvalid, fmt.Sprintf("leases[%d].pool", i), "pool %q is not concurrent: it holds no leases", l.Pool)
		}
	}
	for i, q := range h.Queue {
		if pools[q.Pool].model != string(licensing.ModelConcurrent) {
			return nil, licensing.FieldErrorf(licensing.CodeInvalid, fmt.Sprintf("queue[%d].pool", i), "pool %q is not concurrent: it has no queue", q.Pool)
		}
	}
	return pools, nil
}

// histUsers refuses history naming a person who does not exist.
func (t *tx) histUsers(h *History) error {
	first := map[string]string{}
	name := func(user, field string, i int) {
		if _, ok := first[user]; !ok {
			first[user] = fmt.Sprintf("%s[%d].user", field, i)
		}
	}
	for i, l := range h.Leases {
		name(l.User, "leases", i)
	}
	for i, ss := range h.Sessions {
		name(ss.User, "sessions", i)
	}
	for i, d := range h.Denials {
		name(d.User, "denials", i)
	}
	for i, q := range h.Queue {
		name(q.User, "queue", i)
	}
	for i, m := range h.Members {
		name(m.User, "members", i)
	}
	for i, m := range h.EndedMembers {
		name(m.User, "ended_members", i)
	}
	for i, p := range h.Provisioning {
		name(p.User, "provisioning", i)
	}
	found := make(map[string]bool, len(first))
	err := t.inList(`SELECT id FROM users WHERE id IN (`, slices.Sorted(maps.Keys(first)), func(r *sql.Rows) error {
		var id string
		if err := r.Scan(&id); err != nil {
			return err
		}
		found[id] = true
		return nil
	})
	if err != nil {
		return err
	}
	for _, id := range slices.Sorted(maps.Keys(first)) {
		if !found[id] {
			return licensing.FieldErrorf(licensing.CodeNotFound, first[id], "person %q not found", id)
		}
	}
	return nil
}

// forever is the end of a span still open.
const forever = math.MaxInt64

// hspan is one hold in a sweep: a lease (or membership) of the batch (row
// >= 0) or one already stored (row -1).
type hspan struct {
	start, end int64
	user       string
	slot       int
	row        int
}

// heap is a small binary min-heap.
type heap[T any] struct {
	v    []T
	less func(a, b T) bool
}

func (h *heap[T]) push(x T) {
	h.v = append(h.v, x)
	for i := len(h.v) - 1; i > 0; {
		p := (i - 1) / 2
		if !h.less(h.v[i], h.v[p]) {
			break
		}
		h.v[i], h.v[p] = h.v[p], h.v[i]
		i = p
	}
}

func (h *heap[T]) pop() T {
	top := h.v[0]
	n := len(h.v) - 1
	h.v[0] = h.v[n]
	h.v = h.v[:n]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < n && h.less(h.v[l], h.v[m]) {
			m = l
		}
		if r < n && h.less(h.v[r], h.v[m]) {
			m = r
		}
		if m == i {
			break
		}
		h.v[i], h.v[m] = h.v[m], h.v[i]
		i = m
	}
	return top
}

// storedHolds reads a pool's stored leases that overlap [from, to): those
// still held and those that ended after from. The queries bound ended_at
// alone, so they read the (pool, ended_at) index range and nothing older,
// however long the history.
func (t *tx) storedHolds(pool string, from, to int64) ([]hspan, error) {
	var out []hspan
	for _, q := range []string{
		`SELECT user_id, slot, started_at, ended_at FROM leases WHERE pool_id = ? AND ended_at = 0`,
		`SELECT user_id, slot, started_at, ended_at FROM leases WHERE pool_id = ? AND ended_at > ?`,
	} {
		args := []any{pool}
		if strings.Contains(q, "ended_at >") {
			args = append(args, from)
		}
		rows, err := t.query(q, args...)
		if err != nil {
			return nil, fmt.Errorf("store: history: stored leases: %w", err)
		}
		for rows.Next() {
			sp := hspan{row: -1}
			if err := rows.Scan(&sp.user, &sp.slot, &sp.start, &sp.end); err != nil {
				rows.Close()
				return nil, err
			}
			if sp.end == 0 {
				sp.end = forever
			}
			if sp.start < to {
				out = append(out, sp)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// placeLeases seats the history's leases: per pool, a sweep in start
// order over them and the stored leases they overlap gives each the lowest
// slot free for its whole span (regular seats before overdraft), and
// refuses the batch when a pool would ever hold more than its capacity or
// a person two leases of one pool at once. It returns each lease's slot.
func (t *tx) placeLeases(ls []HistLease, pools map[string]histPool) ([]int32, error) {
	slots := make([]int32, len(ls))
	byPool := map[string][]int{}
	for i, l := range ls {
		byPool[l.Pool] = append(byPool[l.Pool], i)
	}
	for _, pool := range slices.Sorted(maps.Keys(byPool)) {
		idx := byPool[pool]
		p := pools[pool]
		capacity := p.seats + p.overdraft
		spans := make([]hspan, 0, len(idx))
		lo, hi := int64(forever), int64(0)
		for _, i := range idx {
			sp := hspan{start: micro(ls[i].Start), end: micro(ls[i].End), user: ls[i].User, row: i}
			lo, hi = min(lo, sp.start), max(hi, sp.end)
			spans = append(spans, sp)
		}
		stored, err := t.storedHolds(pool, lo, hi)
		if err != nil {
			return nil, err
		}
		// The stored leases on each slot, by start (they never overlap).
		onSlot := map[int][]hspan{}
		for _, sp := range stored {
			onSlot[sp.slot] = append(onSlot[sp.slot], sp)
		}
		for k := range onSlot {
			slices.SortFunc(onSlot[k], func(a, b hspan) int { return cmpInt64(a.start, b.start) })
		}
		storedClash := func(slot int, s, e int64) bool {
			list := onSlot[slot]
			// The last stored lease starting before e is the only one that
			// can reach into [s, e).
			j, _ := slices.BinarySearchFunc(list, e, func(sp hspan, v int64) int { return cmpInt64(sp.start, v) })
			if j == 0 {
				return false
			}
			return list[j-1].end > s
		}
		spans = append(spans, stored...)
		// Start order; at one instant stored leases first, then the
		// batch's in their given order.
		slices.SortStableFunc(spans, func(a, b hspan) int {
			if c := cmpInt64(a.start, b.start); c != 0 {
				return c
			}
			return cmpInt64(int64(a.row), int64(b.row))
		})
		held := heap[hspan]{less: func(a, b hspan) bool { return a.end < b.end }}
		free := heap[int]{less: func(a, b int) bool { return a < b }}
		for k := range capacity {
			free.push(k)
		}
		newHeld := 0
		last := map[string]hspan{} // person -> their lease ending last so far
		for _, sp := range spans {
			// Releases come before acquisitions at the same instant.
			for len(held.v) > 0 && held.v[0].end <= sp.start {
				out := held.pop()
				if out.row >= 0 {
					newHeld--
					free.push(out.slot)
				}
			}
			if prev, ok := last[sp.user]; ok && prev.end > sp.start && (sp.row >= 0 || prev.row >= 0) {
				return nil, licensing.FieldErrorf(licensing.CodeInvalid, fmt.Sprintf("leases[%d]", max(sp.row, prev.row)), "person %q would hold two leases of pool %q at once (at %s)", sp.user, pool, fromMicro(sp.start).Format(time.RFC3339))
			}
			if prev, ok := last[sp.user]; !ok || sp.end >= prev.end {
				last[sp.user] = sp
			}
			if len(held.v) >= capacity && (sp.row >= 0 || newHeld > 0) {
				row := sp.row
				for _, x := range held.v {
					row = max(row, x.row)
				}
				return nil, licensing.FieldErrorf(licensing.CodeInvalid, fmt.Sprintf("leases[%d]", row), "pool %q would hold more than its %s and overdraft at once (at %s)", pool, plural.Of(capacity, "seat"), fromMicro(sp.start).Format(time.RFC3339))
			}
			field := fmt.Sprintf("leases[%d]", sp.row)
			if sp.row < 0 {
				held.push(sp)
				continue
			}
			var aside []int
			slot := -1
			for len(free.v) > 0 {
				k := free.pop()
				if !storedClash(k, sp.start, sp.end) {
					slot = k
					break
				}
				aside = append(aside, k)
			}
			for _, k := range aside {
				free.push(k)
			}
			if slot < 0 {
				return nil, licensing.FieldErrorf(licensing.CodeInvalid, field, "pool %q has no seat free for the whole lease from %s beside the leases stored", pool, fromMicro(sp.start).Format(time.RFC3339))
			}
			if ls[sp.row].Overdraft && slot < p.seats {
				return nil, licensing.FieldErrorf(licensing.CodeInvalid, field+".overdraft", "lease is marked overdraft but a regular seat of pool %q was free at %s", pool, fromMicro(sp.start).Format(time.RFC3339))
			}
			sp.slot = slot
			slots[sp.row] = int32(slot)
			held.push(sp)
			newHeld++
		}
	}
	return slots, nil
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// checkMemberHistory checks backdated and ended memberships: each
// backdated one must exist, nobody may hold one pool twice at once, and a
// named pool never more holders than seats.
func (t *tx) checkMemberHistory(h *History, pools map[string]histPool) error {
	touched := map[string]bool{}
	for _, m := range h.Members {
		touched[m.Pool] = true
	}
	for _, m := range h.EndedMembers {
		touched[m.Pool] = true
	}
	for _, pool := range slices.Sorted(maps.Keys(touched)) {
		p := pools[pool]
		// Every membership of the pool, current and ended.
		rows, err := t.query(`SELECT user_id, since, revoked_at FROM members WHERE pool_id = ? AND state = 'active'`, pool)
		if err != nil {
			return fmt.Errorf("store: history: members: %w", err)
		}
		var spans []hspan
		current := map[string]int{} // person -> index of their current membership
		for rows.Next() {
			sp := hspan{row: -1}
			if err := rows.Scan(&sp.user, &sp.start, &sp.end); err != nil {
				rows.Close()
				return err
			}
			if sp.end == 0 {
				sp.end = forever
				current[sp.user] = len(spans)
			}
			spans = append(spans, sp)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for i, m := range h.Members {
			if m.Pool != pool {
				continue
			}
			j, ok := current[m.User]
			if !ok {
				return licensing.FieldErrorf(licensing.CodeNotFound, fmt.Sprintf("members[%d]", i), "person %q holds no seat of pool %q to backdate", m.User, pool)
			}
			if !m.Since.IsZero() {
				spans[j].start, spans[j].row = micro(m.Since), i
			}
		}
		for i, m := range h.EndedMembers {
			if m.Pool == pool {
				spans = append(spans, hspan{start: micro(m.Since), end: micro(m.Revoked), user: m.User, row: len(h.Members) + i})
			}
		}
		field := func(row int) string {
			if row < len(h.Members) {
				return fmt.Sprintf("members[%d]", row)
			}
			return fmt.Sprintf("ended_members[%d]", row-len(h.Members))
		}
		slices.SortStableFunc(spans, func(a, b hspan) int { return cmpInt64(a.start, b.start) })
		held := heap[hspan]{less: func(a, b hspan) bool { return a.end < b.end }}
		newHeld := 0
		lastEnd := map[string]int64{}
		lastRow := map[string]int{}
		for _, sp := range spans {
			for len(held.v) > 0 && held.v[0].end <= sp.start {
				if held.pop().row >= 0 {
					newHeld--
				}
			}
			if end, ok := lastEnd[sp.user]; ok && end > sp.start && (sp.row >= 0 || lastRow[sp.user] >= 0) {
				row := max(sp.row, lastRow[sp.user])
				return licensing.FieldErrorf(licensing.CodeInvalid, field(row), "person %q would hold pool %q twice at once (at %s)", sp.user, pool, fromMicro(sp.start).Format(time.RFC3339))
			}
			if sp.end >= lastEnd[sp.user] {
				lastEnd[sp.user], lastRow[sp.user] = sp.end, sp.row
			}
			if p.model == string(licensing.ModelNamed) && len(held.v) >= p.seats && (sp.row >= 0 || newHeld > 0) {
				row := sp.row
				if row < 0 {
					for _, x := range held.v {
						row = max(row, x.row)
					}
				}
				return licensing.FieldErrorf(licensing.CodeInvalid, field(row), "named pool %q would have more than its %s held at %s", pool, plural.Of(p.seats, "seat"), fromMicro(sp.start).Format(time.RFC3339))
			}
			held.push(sp)
			if sp.row >= 0 {
				newHeld++
			}
		}
	}
	return nil
}

// histIDs makes ids for a batch's rows: the kind's prefix, a random part
// shared by the batch and a sequence number, so one batch's keys are
// ordered (index inserts stay local) and never collide with another
// batch's, nor with newID's (which has no second underscore).
func histIDs(prefix string) func() string {
	head := prefix + "_h" + strings.ToLower(rand.Text()[:10]) + "_"
	var n int64
	buf := make([]byte, 0, len(head)+16)
	return func() string {
		n++
		buf = append(buf[:0], head...)
		seq := strconv.FormatInt(n, 36)
		for range 8 - len(seq) {
			buf = append(buf, '0')
		}
		return string(append(buf, seq...))
	}
}

// bulkInsert writes n rows of cols into table with multi-row INSERTs of
// histRows rows through one statement prepared in the transaction (and one
// plain statement for the rest); row appends row i's values to args.
func (t *tx) bulkInsert(ctx context.Context, table string, cols []string, n int, row func(i int, args []any) []any) error {
	if n == 0 {
		return nil
	}
	tuple := "(" + placeholders(len(cols)) + ")"
	// On SQLite a multi-row INSERT that may abort half way keeps a
	// statement journal to undo its own rows, which cost a third of the
	// load; FAIL keeps them instead, and any error rolls the whole
	// transaction back anyway.
	insert := `INSERT INTO `
	if t.s.d.Name == "sqlite" {
		insert = `INSERT OR FAIL INTO `
	}
	stmt := func(rows int) string {
		return insert + table + ` (` + strings.Join(cols, ", ") + `) VALUES ` + strings.TrimSuffix(strings.Repeat(tuple+", ", rows), ", ")
	}
	var full *sql.Stmt
	if n >= histRows {
		var err error
		if full, err = t.PrepareContext(t.ctx, t.s.q(stmt(histRows))); err != nil {
			return fmt.Errorf("store: history: prepare %s: %w", table, err)
		}
		defer full.Close()
	}
	args := make([]any, 0, histRows*len(cols))
	for start := 0; start < n; start += histRows {
		if err := ctx.Err(); err != nil {
			return err
		}
		end := min(start+histRows, n)
		args = args[:0]
		for i := start; i < end; i++ {
			args = row(i, args)
		}
		var err error
		if end-start == histRows {
			_, err = full.ExecContext(t.ctx, args...)
		} else {
			_, err = t.ExecContext(t.ctx, t.s.q(stmt(end-start)), args...)
		}
		if err != nil {
			return fmt.Errorf("store: history: insert %s: %w", table, err)
		}
	}
	return nil
}

// insertHistory writes the checked rows.
func (t *tx) insertHistory(ctx context.Context, h *History, pools map[string]histPool, slots []int32, a licensing.Actor) error {
	// Leases go in by person: the index on people then takes them in one
	// ordered pass instead of at random places, and the others (by id, by
	// pool and time) stay local within a batch anyway.
	order := make([]int32, len(h.Leases))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int {
		x, y := &h.Leases[a], &h.Leases[b]
		if c := strings.Compare(x.User, y.User); c != 0 {
			return c
		}
		return x.Start.Compare(y.Start)
	})
	leaseID := histIDs("lse")
	err := t.bulkInsert(ctx, "leases", []string{"id", "pool_id", "user_id", "slot", "overdraft", "started_at", "last_activity", "expires_at", "logout_at", "ended_at", "end_reason"},
		len(h.Leases), func(j int, args []any) []any {
			i := order[j]
			l := &h.Leases[i]
			p := pools[l.Pool]
			last := l.LastActive
			if last.IsZero() {
				last = l.End
			}
			reason := l.Reason
			if reason == "" {
				reason = licensing.EndLogout
			}
			logout := l.Logout
			if logout.IsZero() && reason == licensing.EndLogout {
				logout = l.End
			}
			return append(args, leaseID(), l.Pool, l.User, int64(slots[i]), b2i(int(slots[i]) >= p.seats), micro(l.Start), micro(last),
				micro(last.Add(p.idle)), micro(logout), micro(l.End), reason)
		})
	if err != nil {
		return err
	}
	sessionID := histIDs("ses")
	err = t.bulkInsert(ctx, "sessions", []string{"id", "user_id", "lazy", "started_at", "last_seen", "ended_at", "end_reason", "source"},
		len(h.Sessions), func(i int, args []any) []any {
			ss := &h.Sessions[i]
			seen := ss.LastSeen
			if seen.IsZero() {
				seen = ss.End
			}
			reason := ss.Reason
			if reason == "" {
				reason = licensing.EndLogout
			}
			return append(args, sessionID(), ss.User, b2i(ss.Lazy), micro(ss.Start), micro(seen), micro(ss.End), reason, ss.Source)
		})
	if err != nil {
		return err
	}
	err = t.bulkInsert(ctx, "denials", []string{"at", "user_id", "pool_id", "capability", "reason", "actor"},
		len(h.Denials), func(i int, args []any) []any {
			d := &h.Denials[i]
			actor := d.Actor
			if actor == "" {
				actor = a.Name
			}
			return append(args, micro(d.At), d.User, d.Pool, d.Capability, d.Reason, actor)
		})
	if err != nil {
		return err
	}
	err = t.bulkInsert(ctx, "queue_history", []string{"pool_id", "user_id", "joined_at", "left_at", "seated"},
		len(h.Queue), func(i int, args []any) []any {
			q := &h.Queue[i]
			return append(args, q.Pool, q.User, micro(q.Joined), micro(q.Left), b2i(q.Seated))
		})
	if err != nil {
		return err
	}
	err = t.bulkInsert(ctx, "members", []string{"pool_id", "user_id", "source", "state", "reason", "granted_by", "since", "last_used", "revoked_at", "revoked_by", "revoke_reason"},
		len(h.EndedMembers), func(i int, args []any) []any {
			m := &h.EndedMembers[i]
			source := m.Source
			if source == "" {
				source = licensing.SourceManual
			}
			return append(args, m.Pool, m.User, source, string(licensing.MemberActive), "", m.GrantedBy, micro(m.Since), micro(m.LastUsed), micro(m.Revoked), m.RevokedBy, m.Reason)
		})
	if err != nil {
		return err
	}
	err = t.bulkInsert(ctx, "provisioning_events", []string{"user_id", "kind", "received_at", "completed_at"},
		len(h.Provisioning), func(i int, args []any) []any {
			p := &h.Provisioning[i]
			return append(args, p.User, p.Kind, micro(p.Received), micro(p.Completed))
		})
	if err != nil {
		return err
	}
	for _, m := range h.Members {
		if !m.Since.IsZero() {
			if _, err := t.exec(`UPDATE members SET since = ? WHERE pool_id = ? AND user_id = ? AND revoked_at = 0`, micro(m.Since), m.Pool, m.User); err != nil {
				return fmt.Errorf("store: history: backdate member: %w", err)
			}
		}
		if !m.LastUsed.IsZero() {
			if _, err := t.exec(`UPDATE members SET last_used = ? WHERE pool_id = ? AND user_id = ? AND revoked_at = 0 AND last_used < ?`, micro(m.LastUsed), m.Pool, m.User, micro(m.LastUsed)); err != nil {
				return fmt.Errorf("store: history: member use: %w", err)
			}
		}
	}
	return nil
}
