package licensing

import (
	"hash/maphash"
	"sync"
	"sync/atomic"
)

const shardCount = 1024

// shardMap is a copy-on-write map split into shards: readers load one
// immutable shard table through an atomic pointer and never lock; a writer
// copies only its shard (1/1024th of the entries) and swaps it in. Each
// shard is an open-addressing table keyed by the same hash that picked the
// shard, so a lookup hashes its key once, and a copy reuses the stored
// hashes instead of hashing every key again: with 100,000 people and their
// aliases, an identity provider's import updates the engine for every
// joiner, and rebuilding a Go map per update was a tenth of the work.
type shardMap[V any] struct {
	seed   maphash.Seed
	shards [shardCount]shard[V]
}

type shard[V any] struct {
	mu sync.Mutex // serialises writers only
	t  atomic.Pointer[table[V]]
}

// table is one shard's immutable contents: the probe arrays readers search.
type table[V any] struct {
	n      int      // entries
	hashes []uint64 // 0 marks an empty slot; stored hashes have bit 0 set
	keys   []string
	vals   []V
	mask   uint64
}

func newShardMap[V any]() *shardMap[V] {
	s := &shardMap[V]{seed: maphash.MakeSeed()}
	for i := range s.shards {
		s.shards[i].t.Store(newTable[V](0))
	}
	return s
}

func (s *shardMap[V]) hash(key string) uint64 { return maphash.String(s.seed, key) | 1 }

// newTable returns an empty table for n entries, at most half full so
// probes stay short.
func newTable[V any](n int) *table[V] {
	size := uint64(8)
	for size < uint64(2*n) {
		size *= 2
	}
	return &table[V]{hashes: make([]uint64, size), keys: make([]string, size), vals: make([]V, size), mask: size - 1}
}

// insert adds an entry known to be absent, with its hash h.
func (t *table[V]) insert(h uint64, k string, v V) {
	i := (h / shardCount) & t.mask
	for t.hashes[i] != 0 {
		i = (i + 1) & t.mask
	}
	t.hashes[i], t.keys[i], t.vals[i] = h, k, v
	t.n++
}

// build lays out m in a table.
func (s *shardMap[V]) build(m map[string]V) *table[V] {
	t := newTable[V](len(m))
	for k, v := range m {
		t.insert(s.hash(k), k, v)
	}
	return t
}

// Get is lock-free and does not allocate.
func (s *shardMap[V]) Get(key string) (V, bool) {
	h := s.hash(key)
	t := s.shards[h%shardCount].t.Load()
	for i := (h / shardCount) & t.mask; ; i = (i + 1) & t.mask {
		switch t.hashes[i] {
		case 0:
			var zero V
			return zero, false
		case h:
			if t.keys[i] == key {
				return t.vals[i], true
			}
		}
	}
}

// change is what one Update does to one shard: the keys it replaces or
// removes (matched by their stored hash first, not through a map that
// would hash every key of the shard) and the entries it puts.
type change[V any] struct {
	skip []keyHash
	puts []entry[V]
}

type keyHash struct {
	h uint64
	k string
}

type entry[V any] struct {
	keyHash
	v V
}

// Update applies several puts and deletes, atomically per shard; a key both
// put and deleted ends up put.
func (s *shardMap[V]) Update(puts map[string]V, dels []string) {
	byShard := map[*shard[V]]*change[V]{}
	of := func(k string) (*change[V], keyHash) {
		h := s.hash(k)
		sh := &s.shards[h%shardCount]
		c := byShard[sh]
		if c == nil {
			c = &change[V]{}
			byShard[sh] = c
		}
		return c, keyHash{h, k}
	}
	for _, k := range dels {
		c, kh := of(k)
		c.skip = append(c.skip, kh)
	}
	for k, v := range puts {
		c, kh := of(k)
		c.skip = append(c.skip, kh)
		c.puts = append(c.puts, entry[V]{kh, v})
	}
	for sh, c := range byShard {
		sh.mu.Lock()
		old := sh.t.Load()
		next := newTable[V](old.n + len(c.puts))
	copying:
		for i, h := range old.hashes {
			if h == 0 {
				continue
			}
			for _, x := range c.skip {
				if x.h == h && x.k == old.keys[i] {
					continue copying
				}
			}
			next.insert(h, old.keys[i], old.vals[i])
		}
		for _, e := range c.puts {
			next.insert(e.h, e.k, e.v)
		}
		sh.t.Store(next)
		sh.mu.Unlock()
	}
}

// Put stores one entry.
func (s *shardMap[V]) Put(key string, v V) { s.Update(map[string]V{key: v}, nil) }

// Delete removes one entry.
func (s *shardMap[V]) Delete(key string) { s.Update(nil, []string{key}) }

// Replace swaps in entirely new contents, used by a full reload.
func (s *shardMap[V]) Replace(all map[string]V) {
	parts := make([]map[string]V, shardCount)
	for i := range parts {
		parts[i] = make(map[string]V, len(all)/shardCount+1)
	}
	for k, v := range all {
		parts[s.hash(k)%shardCount][k] = v
	}
	for i := range s.shards {
		t := s.build(parts[i])
		sh := &s.shards[i]
		sh.mu.Lock()
		sh.t.Store(t)
		sh.mu.Unlock()
	}
}

// Range calls fn for every entry of a consistent view of each shard.
func (s *shardMap[V]) Range(fn func(string, V) bool) {
	for i := range s.shards {
		t := s.shards[i].t.Load()
		for j, h := range t.hashes {
			if h != 0 && !fn(t.keys[j], t.vals[j]) {
				return
			}
		}
	}
}

// Len counts the entries.
func (s *shardMap[V]) Len() int {
	n := 0
	for i := range s.shards {
		n += s.shards[i].t.Load().n
	}
	return n
}
