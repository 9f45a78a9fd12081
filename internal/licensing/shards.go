package licensing

import (
	"hash/maphash"
	"sync"
	"sync/atomic"
)

const shardCount = 1024

// shardMap is a copy-on-write map split into shards: readers load one
// immutable shard table through an atomic pointer and never lock; a writer
// copies only its shard (1/64th of the entries) and swaps it in. Each shard
// is an open-addressing table keyed by the same hash that picked the shard,
// so a lookup hashes its key once.
type shardMap[V any] struct {
	seed   maphash.Seed
	shards [shardCount]shard[V]
}

type shard[V any] struct {
	mu sync.Mutex // serialises writers only
	t  atomic.Pointer[table[V]]
}

// table is one shard's immutable contents: the map writers copy from, and
// the probe arrays readers search.
type table[V any] struct {
	m      map[string]V
	hashes []uint64 // 0 marks an empty slot; stored hashes have bit 0 set
	keys   []string
	vals   []V
	mask   uint64
}

func newShardMap[V any]() *shardMap[V] {
	s := &shardMap[V]{seed: maphash.MakeSeed()}
	for i := range s.shards {
		s.shards[i].t.Store(s.build(map[string]V{}))
	}
	return s
}

func (s *shardMap[V]) hash(key string) uint64 { return maphash.String(s.seed, key) | 1 }

func (s *shardMap[V]) shardOf(key string) *shard[V] {
	return &s.shards[s.hash(key)%shardCount]
}

// build lays out m in a table at most half full, so probes stay short.
func (s *shardMap[V]) build(m map[string]V) *table[V] {
	size := uint64(8)
	for size < uint64(2*len(m)) {
		size *= 2
	}
	t := &table[V]{m: m, hashes: make([]uint64, size), keys: make([]string, size), vals: make([]V, size), mask: size - 1}
	for k, v := range m {
		h := s.hash(k)
		i := (h / shardCount) & t.mask
		for t.hashes[i] != 0 {
			i = (i + 1) & t.mask
		}
		t.hashes[i], t.keys[i], t.vals[i] = h, k, v
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
		old := sh.t.Load().m
		next := make(map[string]V, len(old)+1)
		for k, v := range old {
			next[k] = v
		}
		for _, k := range dels {
			if s.shardOf(k) == sh {
				delete(next, k)
			}
		}
		for k, v := range puts {
			if s.shardOf(k) == sh {
				next[k] = v
			}
		}
		sh.t.Store(s.build(next))
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
		for k, v := range s.shards[i].t.Load().m {
			if !fn(k, v) {
				return
			}
		}
	}
}

// Len counts the entries.
func (s *shardMap[V]) Len() int {
	n := 0
	for i := range s.shards {
		n += len(s.shards[i].t.Load().m)
	}
	return n
}
