package store

import (
	"context"
	"fmt"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/report"
)

// closedAfter is how long after midnight a day is rolled up: by then every
// lease that expired in it has been swept, and every refusal of it has had
// the whole horizon to be met by a later seat, so its history is final.
const closedAfter = report.RefusalHorizon + time.Hour

// rollupChunk is how many days one read sweeps before they are written.
const rollupChunk = 31

// RollupUsage sweeps every closed day not yet kept into usage_days and
// returns how many it kept. It is idempotent and cheap when up to date;
// serve runs it hourly, and reports build any day not kept yet live.
func (s *Store) RollupUsage(ctx context.Context) (int, error) {
	now := s.now()
	last := report.DayStart(now.Add(-closedAfter)) // first day not closed
	var pools []reportPool
	firsts := map[string]time.Time{}
	err := s.read(ctx, func(r *rtx) error {
		var err error
		if pools, err = r.reportPools(); err != nil {
			return err
		}
		for _, p := range pools {
			var kept, lease, member int64
			if err := r.queryRow(`SELECT COALESCE(MAX(day), -1) FROM usage_days WHERE pool_id = ?`, p.ID).Scan(&kept); err != nil {
				return fmt.Errorf("store: rollup: %w", err)
			}
			if kept >= 0 {
				firsts[p.ID] = fromMicro(kept).AddDate(0, 0, 1)
				continue
			}
			if err := r.queryRow(`SELECT COALESCE(MIN(started_at), 0) FROM leases WHERE pool_id = ?`, p.ID).Scan(&lease); err != nil {
				return fmt.Errorf("store: rollup: %w", err)
			}
			if err := r.queryRow(`SELECT COALESCE(MIN(since), 0) FROM members WHERE pool_id = ?`, p.ID).Scan(&member); err != nil {
				return fmt.Errorf("store: rollup: %w", err)
			}
			first := p.Created
			for _, v := range []int64{lease, member} {
				if v > 0 && fromMicro(v).Before(first) {
					first = fromMicro(v)
				}
			}
			firsts[p.ID] = report.DayStart(first)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, p := range pools {
		for from := firsts[p.ID]; from.Before(last); from = from.AddDate(0, 0, rollupChunk) {
			to := from.AddDate(0, 0, rollupChunk)
			if to.After(last) {
				to = last
			}
			var days []report.Day
			if err := s.read(ctx, func(r *rtx) error {
				var err error
				days, err = r.buildDays(p, from, to, time.Time{})
				return err
			}); err != nil {
				return n, err
			}
			if err := s.keepDays(ctx, days); err != nil {
				return n, err
			}
			n += len(days)
		}
	}
	return n, nil
}

// keepDays stores swept days, replacing any kept before.
func (s *Store) keepDays(ctx context.Context, days []report.Day) error {
	if len(days) == 0 {
		return nil
	}
	return s.write(ctx, func(t *tx) error {
		for _, d := range days {
			if _, err := t.exec(`INSERT INTO usage_days (pool_id, day, data, spells, built_at) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (pool_id, day) DO UPDATE SET data = excluded.data, spells = excluded.spells, built_at = excluded.built_at`,
				d.Pool, micro(d.Start), d.Encode(), d.EncodeSpells(), micro(t.now)); err != nil {
				return fmt.Errorf("store: keep day: %w", err)
			}
		}
		return nil
	})
}

// ForgetUsage drops the kept days of every pool from day from on, so they
// are swept again (after history was imported or corrected).
func (s *Store) ForgetUsage(ctx context.Context, from time.Time) error {
	return s.write(ctx, func(t *tx) error {
		_, err := t.exec(`DELETE FROM usage_days WHERE day >= ?`, micro(report.DayStart(from)))
		return err
	})
}

// usageDays returns every pool's days overlapping [from, to): the kept
// ones as stored and the rest (today, or days not rolled up yet) swept live
// from the history.
func (r *rtx) usageDays(pools []reportPool, from, to, now time.Time, spells bool) (map[string][]report.Day, error) {
	from = report.DayStart(from)
	if !to.Equal(report.DayStart(to)) {
		to = report.DayStart(to).AddDate(0, 0, 1)
	}
	out := map[string][]report.Day{}
	kept := map[string]map[int64]bool{}
	q := `SELECT pool_id, day, data, '' FROM usage_days WHERE day >= ? AND day < ?`
	if spells {
		q = `SELECT pool_id, day, data, spells FROM usage_days WHERE day >= ? AND day < ?`
	}
	rows, err := r.query(q, micro(from), micro(to))
	in := report.Interner{}
	if err != nil {
		return nil, fmt.Errorf("store: usage days: %w", err)
	}
	for rows.Next() {
		var pool string
		var day int64
		var data, sp []byte
		if err := rows.Scan(&pool, &day, &data, &sp); err != nil {
			rows.Close()
			return nil, err
		}
		d, err := report.DecodeDayInterned(pool, data, in)
		if err == nil && spells {
			err = d.DecodeSpells(sp)
		}
		if err != nil {
			continue // another encoding: swept again below
		}
		if kept[pool] == nil {
			kept[pool] = map[int64]bool{}
		}
		kept[pool][day] = true
		out[pool] = append(out[pool], d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	end := to
	if lim := report.DayStart(now).AddDate(0, 0, 1); end.After(lim) {
		end = lim
	}
	for _, p := range pools {
		// Sweep each run of days not kept in one read.
		for day := from; day.Before(end); {
			if kept[p.ID][micro(day)] {
				day = day.AddDate(0, 0, 1)
				continue
			}
			stop := day
			for stop.Before(end) && !kept[p.ID][micro(stop)] {
				stop = stop.AddDate(0, 0, 1)
			}
			days, err := r.buildDays(p, day, stop, now)
			if err != nil {
				return nil, err
			}
			out[p.ID] = append(out[p.ID], days...)
			day = stop
		}
	}
	return out, nil
}
