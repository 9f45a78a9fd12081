package licensing

import (
	"hash/maphash"
	"sync"
	"sync/atomic"
)

const shardCount = 4096

// shardMap is a copy-on-write map split into shards: readers load one
// immutable shard table through an atomic pointer and never lock; a writer
// copies only its shard (1/4096th of the entries) and swaps it in. Each
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

func (s *shardMap[V]) shardOf(key string) *shard[V] {
	return &s.shards[s.hash(key)%shardCount]
}

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

// Update applies several puts and deletes, atomically per shard.
func (s *shardMap[V]) Update(puts map[string]V, dels []string) {
	byShard := map[*shard[V]]struct{}{}
	for k := range puts {
		byShard[s.shardOf(k)] = struct{}{}
	}
	for _, k := range dels {
		byShard[s.shardOf(k)] = struct{}{}
	}
	for sh := range byShard {
		sh.mu.Lock()
		old := sh.t.Load()
		// Keys put or deleted in this shard are left out of the copy, then
		// the puts are added back. They are few, so they are matched by
		// their stored hash first, not through a map that would hash every
		// key of the shard.
		type keyHash struct {
			h uint64
			k string
		}
		var skip []keyHash
		adds := 0
		for _, k := range dels {
			if s.shardOf(k) == sh {
				skip = append(skip, keyHash{s.hash(k), k})
			}
		}
		for k := range puts {
			if s.shardOf(k) == sh {
				skip = append(skip, keyHash{s.hash(k), k})
				adds++
			}
		}
		next := newTable[V](old.n + adds)
	copying:
		for i, h := range old.hashes {
			if h == 0 {
				continue
			}
			for _, x := range skip {
				if x.h == h && x.k == old.keys[i] {
					continue copying
				}
			}
			next.insert(h, old.keys[i], old.vals[i])
		}
		for k, v := range puts {
			if s.shardOf(k) == sh {
				next.insert(s.hash(k), k, v)
			}
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
