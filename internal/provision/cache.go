package provision

import (
	"context"
	"sync"

	"github.com/seatkeeper/seatkeeper/internal/entitle"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// entitlements are the compiled rules and group grants and every pool, as
// of one store.EntitlementStamp.
type entitlements struct {
	stamp string
	set   *entitle.Set
	pools []licensing.Pool
	skus  map[string]string
}

// entCache keeps the last entitlements a reconciler loaded: an identity
// provider's import reconciles one person per request, and reloading and
// recompiling the rules for each was a tenth of a SCIM create.
type entCache struct {
	mu  sync.Mutex
	cur *entitlements
}

// entitlements returns the rules and the pools in force now, reloading
// them only when the store's stamp has moved (a write by any process).
func (r *Reconciler) entitlements(ctx context.Context) (*entitle.Set, []licensing.Pool, func(string) string, error) {
	stamp, err := r.Store.EntitlementStamp(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	r.cache.mu.Lock()
	cur := r.cache.cur
	r.cache.mu.Unlock()
	if cur == nil || cur.stamp != stamp {
		set, err := r.Rules(ctx)
		if err != nil {
			return nil, nil, nil, err
		}
		all, err := r.Store.ListPools(ctx)
		if err != nil {
			return nil, nil, nil, err
		}
		cur = &entitlements{stamp: stamp, set: set, pools: all, skus: make(map[string]string, len(all))}
		for _, p := range all {
			cur.skus[p.ID] = p.SKU
		}
		r.cache.mu.Lock()
		r.cache.cur = cur
		r.cache.mu.Unlock()
	}
	// Pools come into and go out of force with the clock, not with writes.
	now := r.Store.Now()
	var valid []licensing.Pool
	for _, p := range cur.pools {
		if p.ValidAt(now) {
			valid = append(valid, p)
		}
	}
	return cur.set, valid, func(id string) string { return cur.skus[id] }, nil
}
