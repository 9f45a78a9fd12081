package licensing

import (
	"hash/maphash"
	"sync"
	"sync/atomic"
)

const shardCount = 64

// shardMap is a copy-on-write map split into shards: readers load one
// immutable shard map through an atomic pointer and never lock; a writer
// copies only its shard (1/64th of the entries) and swaps it in.
type shardMap[V any] struct {
	seed   maphash.Seed
	shards [shardCount]shard[V]
}

type shard[V any] struct {
	mu sync.Mutex // serialises writers only
	m  atomic.Pointer[map[string]V]
}

func newShardMap[V any]() *shardMap[V] {
	s := &shardMap[V]{seed: maphash.MakeSeed()}
	for i := range s.shards {
		m := map[string]V{}
		s.shards[i].m.Store(&m)
	}
	return s
}

func (s *shardMap[V]) shardOf(key string) *shard[V] {
	return &s.shards[maphash.String(s.seed, key)%shardCount]
}

// Get is lock-free and does not allocate.
func (s *shardMap[V]) Get(key string) (V, bool) {
	v, ok := (*s.shardOf(key).m.Load())[key]
	return v, ok
}

// Update applies several puts (and deletes, where del is true) atomically per shard.
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
		old := *sh.m.Load()
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
		sh.m.Store(&next)
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
		parts[maphash.String(s.seed, k)%shardCount][k] = v
	}
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		sh.m.Store(&parts[i])
		sh.mu.Unlock()
	}
}

// Range calls fn for every entry of a consistent view of each shard.
func (s *shardMap[V]) Range(fn func(string, V) bool) {
	for i := range s.shards {
		for k, v := range *s.shards[i].m.Load() {
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
		n += len(*s.shards[i].m.Load())
	}
	return n
}
