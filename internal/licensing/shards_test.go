package licensing

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestShardMapMatchesMap drives a shardMap and a plain map with the same
// random puts, deletes and replacements and compares them throughout.
func TestShardMapMatchesMap(t *testing.T) {
	s := newShardMap[int]()
	want := map[string]int{}
	rng := rand.New(rand.NewPCG(1, 2))
	key := func() string { return fmt.Sprintf("k%d", rng.IntN(5000)) }
	check := func(step int) {
		t.Helper()
		if s.Len() != len(want) {
			t.Fatalf("step %d: Len %d, want %d", step, s.Len(), len(want))
		}
		seen := 0
		s.Range(func(k string, v int) bool {
			if w, ok := want[k]; !ok || w != v {
				t.Fatalf("step %d: Range gave %s=%d, want %d (present %v)", step, k, v, w, ok)
			}
			seen++
			return true
		})
		if seen != len(want) {
			t.Fatalf("step %d: Range saw %d, want %d", step, seen, len(want))
		}
		for range 50 {
			k := key()
			v, ok := s.Get(k)
			if w, wok := want[k]; ok != wok || v != w {
				t.Fatalf("step %d: Get(%s) = %d %v, want %d %v", step, k, v, ok, w, wok)
			}
		}
	}
	for step := range 3000 {
		puts := map[string]int{}
		var dels []string
		for range rng.IntN(5) {
			puts[key()] = rng.Int()
		}
		for range rng.IntN(3) {
			dels = append(dels, key())
		}
		s.Update(puts, dels)
		for _, k := range dels {
			delete(want, k)
		}
		for k, v := range puts { // a key both put and deleted ends up put
			want[k] = v
		}
		if step%500 == 0 {
			check(step)
		}
	}
	check(3000)
	s.Replace(map[string]int{"a": 1, "b": 2})
	want = map[string]int{"a": 1, "b": 2}
	check(3001)
}
