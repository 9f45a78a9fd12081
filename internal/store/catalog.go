package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/plural"
)

const skuCols = `key, name, tier, requires, monthly_price`

func scanSKU(r rowScanner) (licensing.SKU, error) {
	var k licensing.SKU
	var tier, req string
	if err := r.Scan(&k.Key, &k.Name, &tier, &req, &k.MonthlyPrice); err != nil {
		return k, err
	}
	k.Tier = licensing.Tier(tier)
	if err := json.Unmarshal([]byte(req), &k.Requires); err != nil {
		return k, fmt.Errorf("sku %s requires: %w", k.Key, err)
	}
	return k, nil
}

// Catalog is everything the engine's catalog holds.
type Catalog struct {
	SKUs   []licensing.SKU
	Pools  []licensing.Pool
	Policy licensing.Policy
}

// LoadCatalog reads SKUs, pools and policy.
func (s *Store) LoadCatalog(ctx context.Context) (Catalog, error) {
	var c Catalog
	var err error
	if c.SKUs, err = s.ListSKUs(ctx); err != nil {
		return c, err
	}
	if c.Pools, err = s.ListPools(ctx); err != nil {
		return c, err
	}
	c.Policy, err = s.GetPolicy(ctx)
	return c, err
}

// checkCatalog verifies that the catalog after a change still compiles.
func (t *tx) checkCatalog() error {
	c, err := t.s.loadCatalogTx(t)
	if err != nil {
		return err
	}
	return licensing.CheckCatalog(c.SKUs, c.Pools, c.Policy)
}

func (s *Store) loadCatalogTx(t *tx) (Catalog, error) {
	var c Catalog
	rows, err := t.query(`SELECT ` + skuCols + ` FROM skus ORDER BY key`)
	if err != nil {
		return c, err
	}
	for rows.Next() {
		k, err := scanSKU(rows)
		if err != nil {
			rows.Close()
			return c, err
		}
		c.SKUs = append(c.SKUs, k)
	}
	rows.Close()
	rows, err = t.query(`SELECT ` + poolCols + ` FROM pools ORDER BY id`)
	if err != nil {
		return c, err
	}
	for rows.Next() {
		p, err := scanPool(rows)
		if err != nil {
			rows.Close()
			return c, err
		}
		c.Pools = append(c.Pools, p)
	}
	rows.Close()
	c.Policy, err = queryPolicy(t.ctx, t.s, t.Tx)
	return c, err
}

// ListSKUs returns every SKU by key.
func (s *Store) ListSKUs(ctx context.Context) ([]licensing.SKU, error) {
	rows, err := s.readRows(ctx, `SELECT `+skuCols+` FROM skus ORDER BY key`)
	if err != nil {
		return nil, fmt.Errorf("store: list skus: %w", err)
	}
	defer rows.Close()
	out := []licensing.SKU{}
	for rows.Next() {
		k, err := scanSKU(rows)
		if err != nil {
			return nil, fmt.Errorf("store: scan sku: %w", err)
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// GetSKU returns one SKU.
func (s *Store) GetSKU(ctx context.Context, key string) (licensing.SKU, error) {
	k, err := scanSKU(s.readRow(ctx, (`SELECT ` + skuCols + ` FROM skus WHERE key = ?`), key))
	if err == sql.ErrNoRows {
		return k, notFound("sku", key)
	}
	return k, err
}

// PutSKU creates (create=true) or updates a SKU.
func (s *Store) PutSKU(ctx context.Context, a licensing.Actor, k licensing.SKU, create bool) error {
	if err := k.Validate(); err != nil {
		return err
	}
	if k.Requires == nil {
		k.Requires = []string{}
	}
	req, _ := json.Marshal(k.Requires)
	return s.write(ctx, func(t *tx) error {
		var err error
		var res sql.Result
		if create {
			res, err = t.exec(`INSERT INTO skus (key, name, tier, requires, monthly_price, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING`,
				k.Key, k.Name, string(k.Tier), string(req), k.MonthlyPrice, micro(t.now), micro(t.now))
		} else {
			res, err = t.exec(`UPDATE skus SET name = ?, tier = ?, requires = ?, monthly_price = ?, updated_at = ? WHERE key = ?`,
				k.Name, string(k.Tier), string(req), k.MonthlyPrice, micro(t.now), k.Key)
		}
		if err != nil {
			return fmt.Errorf("store: put sku: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if create {
				return licensing.FieldErrorf(licensing.CodeConflict, "key", "sku %q already exists", k.Key)
			}
			return notFound("sku", k.Key)
		}
		if err := t.checkCatalog(); err != nil {
			if create {
				return err
			}
			return asConflict(err)
		}
		if !create && (k.Tier == licensing.TierFulfiller || k.Tier == licensing.TierModule) {
			// Raising a SKU to an agent tier must not hand its service
			// account members an agent seat (multiplexing).
			var n int
			if err := t.queryRow(`SELECT count(*) FROM members m JOIN pools p ON p.id = m.pool_id JOIN users u ON u.id = m.user_id
				WHERE p.sku = ? AND m.revoked_at = 0 AND u.kind = ?`, k.Key, string(licensing.KindService)).Scan(&n); err != nil {
				return fmt.Errorf("store: put sku: %w", err)
			}
			if n > 0 {
				hold := "hold"
				if n == 1 {
					hold = "holds"
				}
				return licensing.FieldErrorf(licensing.CodeConflict, "tier", "%s %s seats of %s: a %s SKU would give them agent seats; revoke those first", plural.Of(n, "service account"), hold, k.Key, k.Tier)
			}
		}
		t.changed(KeyCatalog)
		return t.record(a, ifElse(create, "sku.create", "sku.update"), "sku:"+k.Key, "ok", string(mustJSON(k)))
	})
}

// DeleteSKU removes a SKU no pool uses.
func (s *Store) DeleteSKU(ctx context.Context, a licensing.Actor, key string) error {
	return s.write(ctx, func(t *tx) error {
		var n int
		if err := t.queryRow(`SELECT count(*) FROM pools WHERE sku = ?`, key).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return licensing.Errorf(licensing.CodeConflict, "sku %q is used by %s", key, plural.Of(n, "pool"))
		}
		res, err := t.exec(`DELETE FROM skus WHERE key = ?`, key)
		if err != nil {
			return fmt.Errorf("store: delete sku: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("sku", key)
		}
		if err := t.checkCatalog(); err != nil {
			return asConflict(err)
		}
		t.changed(KeyCatalog)
		return t.record(a, "sku.delete", "sku:"+key, "ok", "")
	})
}

// GetPolicy returns the capability policy.
func (s *Store) GetPolicy(ctx context.Context) (licensing.Policy, error) {
	return queryPolicy(ctx, s, s.rdb)
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func queryPolicy(ctx context.Context, s *Store, db querier) (licensing.Policy, error) {
	rows, err := db.QueryContext(ctx, `SELECT capability, tier, skus FROM policy`)
	if err != nil {
		return nil, fmt.Errorf("store: policy: %w", err)
	}
	defer rows.Close()
	p := licensing.Policy{}
	for rows.Next() {
		var c, tier, skus string
		if err := rows.Scan(&c, &tier, &skus); err != nil {
			return nil, err
		}
		r := licensing.Requirement{Tier: licensing.Tier(tier)}
		if err := json.Unmarshal([]byte(skus), &r.SKUs); err != nil {
			return nil, fmt.Errorf("store: policy %s: %w", c, err)
		}
		if len(r.SKUs) == 0 {
			r.SKUs = nil
		}
		p[c] = r
	}
	return p, rows.Err()
}

// SeedPolicy writes the default policy once, on a new database.
func (s *Store) SeedPolicy(ctx context.Context) error {
	return s.write(ctx, func(t *tx) error {
		var n int
		if err := t.queryRow(`SELECT count(*) FROM settings WHERE key = 'policy_seeded'`).Scan(&n); err != nil || n > 0 {
			return err
		}
		def := licensing.DefaultPolicy()
		for _, c := range def.Capabilities() {
			if err := t.putCapability(c, def[c]); err != nil {
				return err
			}
		}
		if _, err := t.exec(`INSERT INTO settings (key, value) VALUES ('policy_seeded', '1')`); err != nil {
			return err
		}
		t.changed(KeyCatalog)
		return t.record(licensing.System("migrate"), "policy.seed", "policy", "ok", fmt.Sprintf("%d capabilities", len(def)))
	})
}

func (t *tx) putCapability(c string, r licensing.Requirement) error {
	skus := r.SKUs
	if skus == nil {
		skus = []string{}
	}
	sort.Strings(skus)
	b, _ := json.Marshal(skus)
	_, err := t.exec(`INSERT INTO policy (capability, tier, skus) VALUES (?, ?, ?) ON CONFLICT (capability) DO UPDATE SET tier = excluded.tier, skus = excluded.skus`, c, string(r.Tier), string(b))
	return err
}

// PutCapability sets one capability's requirement.
func (s *Store) PutCapability(ctx context.Context, a licensing.Actor, c string, r licensing.Requirement) error {
	if err := r.Validate(c); err != nil {
		return err
	}
	return s.write(ctx, func(t *tx) error {
		if err := t.putCapability(c, r); err != nil {
			return fmt.Errorf("store: put capability: %w", err)
		}
		if err := t.checkCatalog(); err != nil {
			return err
		}
		t.changed(KeyCatalog)
		return t.record(a, "policy.set", "capability:"+c, "ok", string(mustJSON(r)))
	})
}

// DeleteCapability removes a capability: the engine then denies it as unknown.
func (s *Store) DeleteCapability(ctx context.Context, a licensing.Actor, c string) error {
	return s.write(ctx, func(t *tx) error {
		res, err := t.exec(`DELETE FROM policy WHERE capability = ?`, c)
		if err != nil {
			return fmt.Errorf("store: delete capability: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("capability", c)
		}
		t.changed(KeyCatalog)
		return t.record(a, "policy.delete", "capability:"+c, "ok", "")
	})
}

// asConflict reports a change that would break other catalog entries (a
// module requiring a deleted SKU, say) as a conflict with the current state.
func asConflict(err error) error {
	if e, ok := licensing.AsError(err); ok {
		return &licensing.Error{Code: licensing.CodeConflict, Message: e.Message}
	}
	return err
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		return []byte(`"` + err.Error() + `"`)
	}
	return b
}

func ifElse[T any](c bool, a, b T) T {
	if c {
		return a
	}
	return b
}

func durMS(d time.Duration) int64 { return d.Milliseconds() }
func msDur(v int64) time.Duration { return time.Duration(v) * time.Millisecond }
