package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/plural"
)

const poolCols = `id, sku, model, seats, starts, ends, idle_timeout_ms, linger_ms, overdraft, warn_at, reservations, limits, queue, cooldown_ms, monthly_price`

type queueJSON struct {
	MaxLength  int            `json:"max_length"`
	Priority   map[string]int `json:"priority,omitempty"`
	OfferTTLMS int64          `json:"offer_ttl_ms"`
}

func scanPool(r rowScanner) (licensing.Pool, error) {
	var p licensing.Pool
	var model, res, lim, queue string
	var starts, ends, idle, linger, cool int64
	if err := r.Scan(&p.ID, &p.SKU, &model, &p.Seats, &starts, &ends, &idle, &linger, &p.Overdraft, &p.WarnAt, &res, &lim, &queue, &cool, &p.MonthlyPrice); err != nil {
		return p, err
	}
	p.Model = licensing.Model(model)
	p.Starts, p.Ends = fromMicro(starts), fromMicro(ends)
	p.IdleTimeout, p.Linger, p.Cooldown = msDur(idle), msDur(linger), msDur(cool)
	if err := json.Unmarshal([]byte(res), &p.Reservations); err != nil {
		return p, fmt.Errorf("pool %s reservations: %w", p.ID, err)
	}
	if err := json.Unmarshal([]byte(lim), &p.Limits); err != nil {
		return p, fmt.Errorf("pool %s limits: %w", p.ID, err)
	}
	if len(p.Reservations) == 0 {
		p.Reservations = nil
	}
	if len(p.Limits) == 0 {
		p.Limits = nil
	}
	if queue != "" {
		var q queueJSON
		if err := json.Unmarshal([]byte(queue), &q); err != nil {
			return p, fmt.Errorf("pool %s queue: %w", p.ID, err)
		}
		p.Queue = &licensing.QueueConfig{MaxLength: q.MaxLength, Priority: q.Priority, OfferTTL: msDur(q.OfferTTLMS)}
	}
	return p, nil
}

func poolArgs(p licensing.Pool) []any {
	res, _ := json.Marshal(orEmpty(p.Reservations))
	lim, _ := json.Marshal(orEmpty(p.Limits))
	queue := ""
	if q := p.Queue; q != nil {
		b, _ := json.Marshal(queueJSON{MaxLength: q.MaxLength, Priority: q.Priority, OfferTTLMS: durMS(q.OfferTTL)})
		queue = string(b)
	}
	return []any{p.SKU, string(p.Model), p.Seats, micro(p.Starts), micro(p.Ends), durMS(p.IdleTimeout), durMS(p.Linger), p.Overdraft, p.WarnAt, string(res), string(lim), queue, durMS(p.Cooldown), p.MonthlyPrice}
}

func orEmpty(m map[string]int) map[string]int {
	if m == nil {
		return map[string]int{}
	}
	return m
}

// ListPools returns every pool by id.
func (s *Store) ListPools(ctx context.Context) ([]licensing.Pool, error) {
	rows, err := s.readRows(ctx, `SELECT `+poolCols+` FROM pools ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("store: list pools: %w", err)
	}
	defer rows.Close()
	out := []licensing.Pool{}
	for rows.Next() {
		p, err := scanPool(rows)
		if err != nil {
			return nil, fmt.Errorf("store: scan pool: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// GetPool returns one pool.
func (s *Store) GetPool(ctx context.Context, id string) (licensing.Pool, error) {
	p, err := scanPool(s.readRow(ctx, (`SELECT ` + poolCols + ` FROM pools WHERE id = ?`), id))
	if err == sql.ErrNoRows {
		return p, notFound("pool", id)
	}
	return p, err
}

func (t *tx) pool(id string, lock bool) (licensing.Pool, error) {
	q := `SELECT ` + poolCols + ` FROM pools WHERE id = ?`
	if lock {
		q += t.s.d.ForUpdate
	}
	p, err := scanPool(t.queryRow(q, id))
	if err == sql.ErrNoRows {
		return p, notFound("pool", id)
	}
	return p, err
}

// CreatePool adds a pool and, for a concurrent pool, its seat slots.
func (s *Store) CreatePool(ctx context.Context, a licensing.Actor, p licensing.Pool) error {
	if err := p.Validate(); err != nil {
		return err
	}
	return s.write(ctx, func(t *tx) error {
		if err := t.checkSKUFits(p); err != nil {
			return err
		}
		args := append([]any{p.ID}, poolArgs(p)...)
		args = append(args, micro(t.now), micro(t.now))
		res, err := t.exec(`INSERT INTO pools (`+poolCols+`, created_at, updated_at) VALUES (`+placeholders(17)+`) ON CONFLICT (id) DO NOTHING`, args...)
		if err != nil {
			return fmt.Errorf("store: create pool: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return licensing.FieldErrorf(licensing.CodeConflict, "id", "pool %q already exists", p.ID)
		}
		if err := t.layoutSlots(p); err != nil {
			return err
		}
		t.changed(KeyCatalog)
		return t.record(a, "pool.create", "pool:"+p.ID, "ok", string(mustJSON(p)))
	})
}

func (t *tx) checkSKUFits(p licensing.Pool) error {
	var tier string
	err := t.queryRow(`SELECT tier FROM skus WHERE key = ?`, p.SKU).Scan(&tier)
	if err == sql.ErrNoRows {
		return licensing.FieldErrorf(licensing.CodeNotFound, "sku", "sku %q not found", p.SKU)
	}
	if err != nil {
		return err
	}
	if licensing.Tier(tier) == licensing.TierRequester && p.Model == licensing.ModelConcurrent {
		return licensing.FieldErrorf(licensing.CodeInvalid, "model", "requester SKUs are free-tier and need no concurrent pool")
	}
	return nil
}

// UpdatePool changes a pool. Shrinking below the seats held is refused.
func (s *Store) UpdatePool(ctx context.Context, a licensing.Actor, p licensing.Pool) error {
	if err := p.Validate(); err != nil {
		return err
	}
	return s.write(ctx, func(t *tx) error {
		old, err := t.pool(p.ID, true)
		if err != nil {
			return err
		}
		if old.Model != p.Model || old.SKU != p.SKU {
			return licensing.FieldErrorf(licensing.CodeInvalid, "model", "a pool's sku and model cannot change; create a new pool")
		}
		if p.Model == licensing.ModelNamed {
			held, err := t.namedHeld(p, t.now, "")
			if err != nil {
				return err
			}
			if held > p.Capacity() {
				return shrinkRefused(p, held)
			}
		}
		args := append(poolArgs(p), micro(t.now), p.ID)
		if _, err := t.exec(`UPDATE pools SET sku = ?, model = ?, seats = ?, starts = ?, ends = ?, idle_timeout_ms = ?, linger_ms = ?, overdraft = ?, warn_at = ?, reservations = ?, limits = ?, queue = ?, cooldown_ms = ?, monthly_price = ?, updated_at = ? WHERE id = ?`, args...); err != nil {
			return fmt.Errorf("store: update pool: %w", err)
		}
		if err := t.layoutSlots(p); err != nil {
			return err
		}
		t.changed(KeyCatalog)
		return t.record(a, "pool.update", "pool:"+p.ID, "ok", string(mustJSON(p)))
	})
}

// layoutSlots makes the slot rows match the pool: seats (the first ones
// reserved per group), then overdraft slots. Occupied slots keep their lease
// and are renumbered in place, so shrinking works while the remaining
// holders fit and is refused when they do not.
func (t *tx) layoutSlots(p licensing.Pool) error {
	if p.Model != licensing.ModelConcurrent {
		return nil
	}
	held, err := t.lockSlots(p.ID)
	if err != nil {
		return err
	}
	if len(held) > p.Capacity() {
		return shrinkRefused(p, len(held))
	}
	// New slots inherit the latest release, so no lease starts before a
	// holder of the old layout let go.
	var freed int64
	if err := t.queryRow(`SELECT COALESCE(MAX(freed_at), 0) FROM pool_slots WHERE pool_id = ?`, p.ID).Scan(&freed); err != nil {
		return fmt.Errorf("store: slots: %w", err)
	}
	if _, err := t.exec(`DELETE FROM pool_slots WHERE pool_id = ?`, p.ID); err != nil {
		return fmt.Errorf("store: clear slots: %w", err)
	}
	type slot struct {
		reserved  string
		overdraft bool
	}
	var slots []slot
	for _, g := range p.ReservedGroups() {
		for i := 0; i < p.Reservations[g]; i++ {
			slots = append(slots, slot{reserved: g})
		}
	}
	for len(slots) < p.Seats {
		slots = append(slots, slot{})
	}
	for i := 0; i < p.Overdraft; i++ {
		slots = append(slots, slot{overdraft: true})
	}
	// Holders keep seats; re-seat them in unreserved slots first so a
	// reservation change never evicts anyone.
	leaseOf := make([]any, len(slots))
	order := make([]int, 0, len(slots))
	for i, sl := range slots {
		if sl.reserved == "" && !sl.overdraft {
			order = append(order, i)
		}
	}
	for i, sl := range slots {
		if sl.reserved != "" {
			order = append(order, i)
		}
	}
	for i, sl := range slots {
		if sl.overdraft {
			order = append(order, i)
		}
	}
	for i, lease := range held {
		leaseOf[order[i]] = lease
		if slots[order[i]].overdraft {
			if _, err := t.exec(`UPDATE leases SET slot = ?, overdraft = 1 WHERE id = ?`, order[i], lease); err != nil {
				return err
			}
		} else if _, err := t.exec(`UPDATE leases SET slot = ?, overdraft = 0 WHERE id = ?`, order[i], lease); err != nil {
			return err
		}
	}
	const batch = 200
	for start := 0; start < len(slots); start += batch {
		end := min(start+batch, len(slots))
		args := make([]any, 0, (end-start)*6)
		q := `INSERT INTO pool_slots (pool_id, slot, reserved_for, overdraft, lease_id, freed_at) VALUES `
		for i := start; i < end; i++ {
			if i > start {
				q += ", "
			}
			q += "(?, ?, ?, ?, ?, ?)"
			args = append(args, p.ID, i, slots[i].reserved, b2i(slots[i].overdraft), leaseOf[i], freed)
		}
		if _, err := t.exec(q, args...); err != nil {
			return fmt.Errorf("store: layout slots: %w", err)
		}
	}
	return nil
}

// lockSlots locks every slot row of a pool and returns the leases holding
// them. Locking all rows, not only the occupied ones, waits out a checkout
// that has claimed a slot but not yet committed, so a relayout or delete
// never loses a holder.
func (t *tx) lockSlots(poolID string) ([]string, error) {
	rows, err := t.query(`SELECT slot, lease_id FROM pool_slots WHERE pool_id = ? ORDER BY slot`+t.s.d.ForUpdate, poolID)
	if err != nil {
		return nil, fmt.Errorf("store: slots: %w", err)
	}
	defer rows.Close()
	var held []string
	for rows.Next() {
		var slot int64
		var lease sql.NullString
		if err := rows.Scan(&slot, &lease); err != nil {
			return nil, err
		}
		if lease.Valid {
			held = append(held, lease.String)
		}
	}
	return held, rows.Err()
}

// DeletePool removes a pool nobody holds.
func (s *Store) DeletePool(ctx context.Context, a licensing.Actor, id string) error {
	return s.write(ctx, func(t *tx) error {
		if _, err := t.pool(id, true); err != nil {
			return err
		}
		if _, err := t.lockSlots(id); err != nil {
			return err
		}
		var members, leases int
		if err := t.queryRow(`SELECT count(*) FROM members WHERE pool_id = ? AND revoked_at = 0`, id).Scan(&members); err != nil {
			return err
		}
		if err := t.queryRow(`SELECT count(*) FROM leases WHERE pool_id = ? AND ended_at = 0`, id).Scan(&leases); err != nil {
			return err
		}
		if members > 0 || leases > 0 {
			return licensing.Errorf(licensing.CodeConflict, "pool %q still has %s and %s", id, plural.Of(members, "member"), plural.Of(leases, "lease"))
		}
		if _, err := t.exec(`DELETE FROM pool_slots WHERE pool_id = ?`, id); err != nil {
			return err
		}
		if _, err := t.exec(`DELETE FROM queue_entries WHERE pool_id = ?`, id); err != nil {
			return err
		}
		if _, err := t.exec(`DELETE FROM pools WHERE id = ?`, id); err != nil {
			return fmt.Errorf("store: delete pool: %w", err)
		}
		t.changed(KeyCatalog)
		return t.record(a, "pool.delete", "pool:"+id, "ok", "")
	})
}
