package store

import (
	"fmt"
	"slices"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/report"
)

// ReportPool is a pool as the reports see it: its contract line with the
// price that applies (the pool's, else its SKU's) and the SKU's tier.
type ReportPool struct {
	ID, SKU, Model   string
	Tier             licensing.Tier
	Seats, Overdraft int
	Starts, Ends     time.Time
	IdleTimeout      time.Duration
	Linger           time.Duration
	MonthlyPrice     float64
	Created          time.Time
}

type reportPool = ReportPool

func (r *rtx) reportPools() ([]reportPool, error) {
	rows, err := r.query(`SELECT p.id, p.sku, p.model, k.tier, p.seats, p.overdraft, p.starts, p.ends, p.idle_timeout_ms, p.linger_ms,
		CASE WHEN p.monthly_price > 0 THEN p.monthly_price ELSE k.monthly_price END, p.created_at
		FROM pools p JOIN skus k ON k.key = p.sku ORDER BY p.id`)
	if err != nil {
		return nil, fmt.Errorf("store: report pools: %w", err)
	}
	defer rows.Close()
	var out []reportPool
	for rows.Next() {
		var p reportPool
		var tier string
		var starts, ends, idle, linger, created int64
		if err := rows.Scan(&p.ID, &p.SKU, &p.Model, &tier, &p.Seats, &p.Overdraft, &starts, &ends, &idle, &linger, &p.MonthlyPrice, &created); err != nil {
			return nil, err
		}
		p.Tier = licensing.Tier(tier)
		p.Starts, p.Ends, p.Created = fromMicro(starts), fromMicro(ends), fromMicro(created)
		p.IdleTimeout, p.Linger = time.Duration(idle)*time.Millisecond, time.Duration(linger)*time.Millisecond
		out = append(out, p)
	}
	return out, rows.Err()
}

// holds reads a pool's holds overlapping [from, to): leases of a concurrent
// pool, active assignments of a named one. Two index ranges on (pool,
// ended_at): those still held, and those that ended after from.
func (r *rtx) holds(p reportPool, from, to time.Time) ([]report.Hold, error) {
	var qs []string
	if p.Model == string(licensing.ModelNamed) {
		qs = []string{
			`SELECT user_id, since, revoked_at, 0, '', 0 FROM members WHERE pool_id = ? AND state = 'active' AND revoked_at = 0 AND since < ? AND ? >= 0`,
			`SELECT user_id, since, revoked_at, 0, '', 0 FROM members WHERE pool_id = ? AND state = 'active' AND revoked_at > ? AND since < ?`,
		}
	} else {
		qs = []string{
			// started_at + 0: the range is found by (pool_id, ended_at);
			// the planner must not walk every lease started before the day.
			`SELECT user_id, started_at, ended_at, last_activity, end_reason, expires_at FROM leases WHERE pool_id = ? AND ended_at = 0 AND started_at + 0 < ? AND ? >= 0`,
			`SELECT user_id, started_at, ended_at, last_activity, end_reason, expires_at FROM leases WHERE pool_id = ? AND ended_at > ? AND started_at + 0 < ?`,
		}
	}
	var out []report.Hold
	for i, q := range qs {
		args := []any{p.ID, micro(to), 0}
		if i == 1 {
			args = []any{p.ID, micro(from), micro(to)}
		}
		rows, err := r.query(q, args...)
		if err != nil {
			return nil, fmt.Errorf("store: holds of %s: %w", p.ID, err)
		}
		for rows.Next() {
			var h report.Hold
			var s, e, last, expires int64
			var reason string
			if err := rows.Scan(&h.Person, &s, &e, &last, &reason, &expires); err != nil {
				rows.Close()
				return nil, err
			}
			// A lease is held until it ended or expired, whichever came
			// first: one that expired while no process ran is ended by the
			// sweep after the restart, but nobody held it meanwhile. An open
			// one past its expiry ends there for the report too.
			if expires > 0 && (e == 0 && expires < micro(r.s.now()) || e > expires) {
				e = expires
			}
			h.Start, h.End, h.LastActive, h.Logout = fromMicro(s), fromMicro(e), fromMicro(last), reason == licensing.EndLogout
			out = append(out, h)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(out, func(a, b report.Hold) int { return a.Start.Compare(b.Start) })
	return out, nil
}

// namedDemand reads the sessions that holders of a named pool started in
// [from, to) while they held the seat: the named seat's real use.
func (r *rtx) namedDemand(p reportPool, from, to time.Time) ([]report.Hold, error) {
	rows, err := r.query(`SELECT s.user_id, s.started_at, s.ended_at, s.last_seen, s.end_reason FROM sessions s
		JOIN members m ON m.user_id = s.user_id AND m.pool_id = ? AND m.state = 'active' AND m.since <= s.started_at AND (m.revoked_at = 0 OR m.revoked_at > s.started_at)
		WHERE s.started_at >= ? AND s.started_at < ? ORDER BY s.started_at`, p.ID, micro(from), micro(to))
	if err != nil {
		return nil, fmt.Errorf("store: sessions of %s: %w", p.ID, err)
	}
	defer rows.Close()
	var out []report.Hold
	for rows.Next() {
		var h report.Hold
		var s, e, last int64
		var reason string
		if err := rows.Scan(&h.Person, &s, &e, &last, &reason); err != nil {
			return nil, err
		}
		h.Start, h.End, h.LastActive, h.Logout = fromMicro(s), fromMicro(e), fromMicro(last), reason == licensing.EndLogout
		if h.End.IsZero() {
			h.End = h.LastActive
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// refusals reads a pool's licence_maxed_out denials in [from, to), each
// with the first seat of the same SKU the person held afterwards within
// the horizon (a lease of any pool of the SKU, or a named assignment).
func (r *rtx) refusals(p reportPool, from, to time.Time) ([]report.RawRefusal, error) {
	rows, err := r.query(`SELECT user_id, at FROM denials WHERE pool_id = ? AND reason = ? AND at >= ? AND at < ? ORDER BY at`,
		p.ID, licensing.CodeMaxedOut, micro(from), micro(to))
	if err != nil {
		return nil, fmt.Errorf("store: refusals of %s: %w", p.ID, err)
	}
	var out []report.RawRefusal
	users := map[string]bool{}
	for rows.Next() {
		var x report.RawRefusal
		var at int64
		if err := rows.Scan(&x.Person, &at); err != nil {
			rows.Close()
			return nil, err
		}
		x.At = fromMicro(at)
		users[x.Person] = true
		out = append(out, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, err
	}
	// The later seats of the refused people, in one pass over the window.
	horizon := micro(to.Add(report.RefusalHorizon))
	seats := map[string][]int64{}
	for _, q := range []string{
		// By pool through the (pool_id, started_at) index: a join on the
		// SKU would scan every lease of the history.
		`SELECT user_id, started_at FROM leases WHERE pool_id IN (SELECT id FROM pools WHERE sku = ?) AND started_at >= ? AND started_at <= ?`,
		`SELECT user_id, since FROM members WHERE pool_id IN (SELECT id FROM pools WHERE sku = ? AND model = 'named') AND state = 'active' AND since >= ? AND since <= ?`,
	} {
		rows, err := r.query(q, p.SKU, micro(from), horizon)
		if err != nil {
			return nil, fmt.Errorf("store: seats after refusals: %w", err)
		}
		for rows.Next() {
			var u string
			var at int64
			if err := rows.Scan(&u, &at); err != nil {
				rows.Close()
				return nil, err
			}
			if users[u] {
				seats[u] = append(seats[u], at)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	for _, v := range seats {
		slices.Sort(v)
	}
	for i := range out {
		v := seats[out[i].Person]
		at := micro(out[i].At)
		if j, _ := slices.BinarySearch(v, at); j < len(v) && v[j]-at <= report.RefusalHorizon.Microseconds() {
			out[i].Met = fromMicro(v[j])
		}
	}
	return out, nil
}

// buildDays sweeps pool p's days in [from, to) (UTC midnights) from the
// history, with one read of each kind for the whole range.
func (r *rtx) buildDays(p reportPool, from, to, now time.Time) ([]report.Day, error) {
	held, err := r.holds(p, from, to)
	if err != nil {
		return nil, err
	}
	demand := held
	if p.Model == string(licensing.ModelNamed) {
		if demand, err = r.namedDemand(p, from, to); err != nil {
			return nil, err
		}
	}
	refused, err := r.refusals(p, from, to)
	if err != nil {
		return nil, err
	}
	capacity := p.Seats + p.Overdraft
	if p.Model == string(licensing.ModelNamed) {
		capacity = p.Seats
	}
	var out []report.Day
	hi, di, ri := 0, 0, 0
	var open []report.Hold // holds that may still overlap the next day
	for day := from; day.Before(to); day = day.AddDate(0, 0, 1) {
		next := day.AddDate(0, 0, 1)
		for hi < len(held) && held[hi].Start.Before(next) {
			open = append(open, held[hi])
			hi++
		}
		keep := open[:0]
		var overlapping []report.Hold
		for _, h := range open {
			if !h.End.IsZero() && !h.End.After(day) {
				continue
			}
			overlapping = append(overlapping, h)
			if h.End.IsZero() || h.End.After(next) {
				keep = append(keep, h)
			}
		}
		open = keep
		dj := di
		for dj < len(demand) && demand[dj].Start.Before(next) {
			dj++
		}
		rj := ri
		for rj < len(refused) && refused[rj].At.Before(next) {
			rj++
		}
		out = append(out, report.BuildDay(report.DayInput{Pool: p.ID, Start: day, Seats: p.Seats, Capacity: capacity,
			Held: overlapping, Demand: demand[di:dj], Refusals: refused[ri:rj], Now: now}))
		di, ri = dj, rj
	}
	return out, nil
}
