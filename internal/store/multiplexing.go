package store

import (
	"context"
	"fmt"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/desk"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// MultiplexingReport sums the integrations' calls in [from, to) and the
// seats held through them: every live integration, and deleted ones that
// called or held a seat in the period. It reads one snapshot.
func (s *Store) MultiplexingReport(ctx context.Context, from, to time.Time) (desk.MultiplexingReport, error) {
	r := desk.MultiplexingReport{From: from, To: to, Integrations: []desk.Usage{}}
	err := s.read(ctx, func(rt *rtx) error {
		var err error
		if r.Integrations, err = rt.integrationUsage(micro(from), micro(to)); err != nil {
			return err
		}
		for i := range r.Integrations {
			if err := rt.usageDetail(&r.Integrations[i], from, to); err != nil {
				return err
			}
		}
		r.ServiceSeats, err = listMembersIn(rt.query, `u.kind = ? AND m.state = ? AND m.pool_id IN (SELECT p.id FROM pools p JOIN skus k ON k.key = p.sku WHERE k.tier IN (?, ?))`,
			string(licensing.KindService), licensing.MemberActive, string(licensing.TierFulfiller), string(licensing.TierModule))
		return err
	})
	return r, err
}

func (rt *rtx) integrationUsage(f, tt int64) ([]desk.Usage, error) {
	rows, err := rt.query(`SELECT i.id, i.name, i.mode, i.hold_ms, i.max_seats, count(c.id),
		count(DISTINCT CASE WHEN c.acting_user <> '' THEN c.acting_user WHEN c.id IS NOT NULL THEN 'raw:' || c.acting_raw END),
		COALESCE(SUM(CASE WHEN c.fulfiller = 1 AND c.licensed = 1 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN c.fulfiller = 1 AND c.licensed = 0 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN c.outcome = 'blocked' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN c.outcome = 'proposed' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN c.outcome = 'flagged' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN c.id IS NOT NULL AND c.acting_user = '' THEN 1 ELSE 0 END), 0),
		(SELECT count(*) FROM leases l WHERE l.integration_id = i.id AND l.started_at < ? AND (l.ended_at = 0 OR l.ended_at > ?))
		FROM integrations i LEFT JOIN integration_calls c ON c.integration_id = i.id AND c.at >= ? AND c.at < ?
		GROUP BY i.id, i.name, i.name_lower, i.mode, i.hold_ms, i.max_seats, i.deleted_at
		HAVING i.deleted_at = 0 OR count(c.id) > 0 OR (SELECT count(*) FROM leases l WHERE l.integration_id = i.id AND l.started_at < ? AND (l.ended_at = 0 OR l.ended_at > ?)) > 0
		ORDER BY i.name_lower, i.id`, tt, f, f, tt, tt, f)
	if err != nil {
		return nil, fmt.Errorf("store: multiplexing report: %w", err)
	}
	defer rows.Close()
	out := []desk.Usage{}
	for rows.Next() {
		var u desk.Usage
		var mode string
		var hold int64
		var leased int
		if err := rows.Scan(&u.Integration, &u.Name, &mode, &hold, &u.MaxSeats, &u.Actions, &u.DistinctActing, &u.LicensedActions, &u.UnlicensedActions, &u.Blocked, &u.Proposed, &u.Flagged, &u.UnknownActing, &leased); err != nil {
			return nil, fmt.Errorf("store: multiplexing report: %w", err)
		}
		u.Mode, u.Hold, u.UnknownValues, u.TopOffenders, u.Seats = desk.Mode(mode), time.Duration(hold)*time.Millisecond, []string{}, []desk.Offender{}, []desk.PoolSeats{}
		out = append(out, u)
	}
	return out, rows.Err()
}

// usageDetail fills what needs a query of its own: the unknown acting
// values, the top offenders and the seats held through the integration.
func (rt *rtx) usageDetail(u *desk.Usage, from, to time.Time) error {
	f, tt := micro(from), micro(to)
	var err error
	if u.UnknownActing > 0 {
		if u.UnknownValues, err = rt.unknownActing(u.Integration, f, tt); err != nil {
			return err
		}
	}
	if u.UnlicensedActions > 0 {
		if u.TopOffenders, err = rt.topOffenders(u.Integration, f, tt); err != nil {
			return err
		}
	}
	return rt.integrationSeats(u, from, to)
}

// integrationSeats reads the leases taken through the integration that
// overlap [from, to), per pool: how many it took, the most it held at once,
// the seat-hours, and how many it holds now.
func (rt *rtx) integrationSeats(u *desk.Usage, from, to time.Time) error {
	now := micro(rt.s.Now())
	rows, err := rt.query(`SELECT l.pool_id, COALESCE(p.seats, 0), l.started_at, l.ended_at FROM leases l LEFT JOIN pools p ON p.id = l.pool_id
		WHERE l.integration_id = ? AND l.started_at < ? AND (l.ended_at = 0 OR l.ended_at > ?) ORDER BY l.pool_id, l.started_at`, u.Integration, micro(to), micro(from))
	if err != nil {
		return fmt.Errorf("store: integration seats: %w", err)
	}
	defer rows.Close()
	spans := map[string][]desk.Span{}
	var order []string
	seats := map[string]int{}
	for rows.Next() {
		var pool string
		var poolSeats int
		var start, end int64
		if err := rows.Scan(&pool, &poolSeats, &start, &end); err != nil {
			return fmt.Errorf("store: integration seats: %w", err)
		}
		if _, ok := spans[pool]; !ok {
			order = append(order, pool)
		}
		live := end == 0
		if live {
			end = now
		}
		spans[pool] = append(spans[pool], desk.Span{Start: fromMicro(start), End: fromMicro(end), Live: live})
		seats[pool] = poolSeats
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: integration seats: %w", err)
	}
	for _, pool := range order {
		ps := desk.SeatUse(spans[pool], from, to)
		ps.Pool, ps.Cap = pool, desk.SeatCap(u.MaxSeats, seats[pool])
		u.Seats = append(u.Seats, ps)
		u.SeatsHeld += ps.HeldNow
		u.SeatsTaken += ps.Taken
	}
	return nil
}

// unknownActing lists the first 20 distinct acting values that matched
// nobody.
func (rt *rtx) unknownActing(integration string, from, to int64) ([]string, error) {
	rows, err := rt.query(`SELECT DISTINCT acting_raw FROM integration_calls WHERE integration_id = ? AND at >= ? AND at < ? AND acting_user = '' ORDER BY acting_raw LIMIT 20`, integration, from, to)
	if err != nil {
		return nil, fmt.Errorf("store: unknown acting users: %w", err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("store: unknown acting users: %w", err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// topOffenders names the five acting people (or unknown values) with the
// most unlicensed fulfiller actions.
func (rt *rtx) topOffenders(integration string, from, to int64) ([]desk.Offender, error) {
	rows, err := rt.query(`SELECT c.acting_user, CASE WHEN c.acting_user = '' THEN c.acting_raw ELSE COALESCE(u.user_name, c.acting_user) END, count(*)
		FROM integration_calls c LEFT JOIN users u ON u.id = c.acting_user
		WHERE c.integration_id = ? AND c.at >= ? AND c.at < ? AND c.fulfiller = 1 AND c.licensed = 0
		GROUP BY 1, 2 ORDER BY 3 DESC, 2 LIMIT 5`, integration, from, to)
	if err != nil {
		return nil, fmt.Errorf("store: top offenders: %w", err)
	}
	defer rows.Close()
	out := []desk.Offender{}
	for rows.Next() {
		var o desk.Offender
		if err := rows.Scan(&o.User, &o.Name, &o.Unlicensed); err != nil {
			return nil, fmt.Errorf("store: top offenders: %w", err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}
