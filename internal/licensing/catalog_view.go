package licensing

import (
	"fmt"
	"sort"
)

// skuSet is a bitset over the catalog's SKU indexes, so the decision loop
// tests membership without maps or allocation.
type skuSet []uint64

func (s skuSet) has(i int) bool { return i >= 0 && i/64 < len(s) && s[i/64]&(1<<(i%64)) != 0 }

func (s skuSet) add(i int) { s[i/64] |= 1 << (i % 64) }

// need is one requirement group: any SKU of the set satisfies it.
type need struct {
	set skuSet
	// names are reported as missing when nothing in the set is held.
	names  []string
	module bool
}

// capView is a compiled policy entry.
type capView struct {
	tier  Tier
	needs []need
}

type poolView struct {
	Pool
	skuIdx int
	tier   Tier
}

// catalogView is the immutable, compiled catalog and policy.
type catalogView struct {
	skus   map[string]int // key -> index
	skuArr []SKU
	pools  map[string]*poolView
	caps   map[string]*capView
	policy Policy
}

// compileCatalog checks references and precomputes everything Decide needs.
func compileCatalog(skus []SKU, pools []Pool, policy Policy) (*catalogView, error) {
	c := &catalogView{
		skus:   make(map[string]int, len(skus)),
		pools:  make(map[string]*poolView, len(pools)),
		caps:   make(map[string]*capView, len(policy)),
		policy: policy,
	}
	sorted := append([]SKU(nil), skus...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Key < sorted[j].Key })
	for i, s := range sorted {
		c.skus[s.Key] = i
	}
	c.skuArr = sorted
	for _, s := range sorted {
		for _, r := range s.Requires {
			i, ok := c.skus[r]
			if !ok {
				return nil, FieldErrorf(CodeInvalid, "requires", "SKU %q requires unknown SKU %q", s.Key, r)
			}
			if sorted[i].Tier != TierFulfiller {
				return nil, FieldErrorf(CodeInvalid, "requires", "SKU %q may only require fulfiller SKUs, %q is %s", s.Key, r, sorted[i].Tier)
			}
		}
	}
	for _, p := range pools {
		i, ok := c.skus[p.SKU]
		if !ok {
			return nil, FieldErrorf(CodeNotFound, "sku", "pool %q names unknown SKU %q", p.ID, p.SKU)
		}
		c.pools[p.ID] = &poolView{Pool: p, skuIdx: i, tier: sorted[i].Tier}
	}
	for capName, req := range policy {
		cv, err := c.compileRequirement(req)
		if err != nil {
			return nil, fmt.Errorf("capability %s: %w", capName, err)
		}
		c.caps[capName] = cv
	}
	return c, nil
}

func (c *catalogView) newSet() skuSet { return make(skuSet, len(c.skuArr)/64+1) }

func (c *catalogView) tierSet(tiers ...Tier) (skuSet, []string) {
	set := c.newSet()
	var names []string
	for i, s := range c.skuArr {
		for _, t := range tiers {
			if s.Tier == t {
				set.add(i)
				names = append(names, s.Key)
			}
		}
	}
	return set, names
}

func (c *catalogView) compileRequirement(req Requirement) (*capView, error) {
	cv := &capView{tier: req.Tier}
	switch req.Tier {
	case TierRequester:
	case TierStakeholder:
		set, names := c.tierSet(TierStakeholder, TierFulfiller)
		cv.needs = []need{{set: set, names: names}}
	case TierFulfiller:
		if len(req.SKUs) == 0 {
			set, names := c.tierSet(TierFulfiller)
			cv.needs = []need{{set: set, names: names}}
			break
		}
		set := c.newSet()
		for _, k := range req.SKUs {
			if i, ok := c.skus[k]; ok {
				set.add(i)
			}
		}
		cv.needs = []need{{set: set, names: append([]string(nil), req.SKUs...)}}
	case TierModule:
		// Module groups come first so Via names the module seat; then each
		// fulfiller SKU the modules require.
		var required []string
		for _, k := range req.SKUs {
			set := c.newSet()
			if i, ok := c.skus[k]; ok {
				set.add(i)
				required = append(required, c.skuArr[i].Requires...)
			}
			cv.needs = append(cv.needs, need{set: set, names: []string{k}, module: true})
		}
		seen := map[string]bool{}
		for _, r := range required {
			if seen[r] {
				continue
			}
			seen[r] = true
			set := c.newSet()
			set.add(c.skus[r])
			cv.needs = append(cv.needs, need{set: set, names: []string{r}})
		}
	default:
		return nil, FieldErrorf(CodeInvalid, "tier", "unknown tier %q", req.Tier)
	}
	return cv, nil
}
