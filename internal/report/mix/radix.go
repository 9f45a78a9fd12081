package mix

import (
	"math/bits"
	"runtime"
	"sync"
)

// Stable LSD radix sorts, split across the available cores: each pass
// counts digits per part, gives every part its own output offsets (part 0
// first for equal digits, which keeps the sort stable) and scatters the
// parts in parallel. Linear time and several times faster than a
// comparison sort on the millions of elements of a year.

// minParallel is the length below which sorting stays on one goroutine.
const minParallel = 1 << 16

func parts(n int) int {
	if n < minParallel {
		return 1
	}
	return min(runtime.GOMAXPROCS(0), 8)
}

// digitPlan returns the pass width for nbits key bits: as few passes of at
// most 11 bits (digit tables that stay in cache) as the keys need.
func digitPlan(nbits int) (width int) {
	passes := (nbits + 10) / 11
	return (nbits + passes - 1) / passes
}

// sortEvents sorts events by start; it returns the sorted slice, which may
// be a new one.
func sortEvents(a []event) []event {
	var hi uint32
	for i := range a {
		hi = max(hi, a[i].start)
	}
	nbits := bits.Len32(hi)
	if nbits == 0 || len(a) < 2 {
		return a
	}
	width := digitPlan(nbits)
	mask := uint32(1)<<width - 1
	np := parts(len(a))
	count := make([][]int, np)
	for w := range count {
		count[w] = make([]int, 1<<width)
	}
	b := make([]event, len(a))
	for shift := 0; shift < nbits; shift += width {
		sh := uint(shift)
		run(np, len(a), func(w, lo, hi int) {
			c := count[w]
			clear(c)
			for i := lo; i < hi; i++ {
				c[(a[i].start>>sh)&mask]++
			}
		})
		offsets(count)
		src, dst := a, b
		run(np, len(a), func(w, lo, hi int) {
			c := count[w]
			for i := lo; i < hi; i++ {
				d := (src[i].start >> sh) & mask
				dst[c[d]] = src[i]
				c[d]++
			}
		})
		a, b = b, a
	}
	return a
}

// sortKeys sorts a by its bits lo..hi-1; the other bits must not matter
// for the order wanted. It returns the sorted slice, which may be a new one.
func sortKeys(a []uint64, lo, hi int) []uint64 {
	if hi <= lo || len(a) < 2 {
		return a
	}
	width := digitPlan(hi - lo)
	mask := uint64(1)<<width - 1
	np := parts(len(a))
	count := make([][]int, np)
	for w := range count {
		count[w] = make([]int, 1<<width)
	}
	b := make([]uint64, len(a))
	for shift := lo; shift < hi; shift += width {
		sh := uint(shift)
		run(np, len(a), func(w, lo, hi int) {
			c := count[w]
			clear(c)
			for _, k := range a[lo:hi] {
				c[(k>>sh)&mask]++
			}
		})
		offsets(count)
		src, dst := a, b
		run(np, len(a), func(w, lo, hi int) {
			c := count[w]
			for _, k := range src[lo:hi] {
				d := (k >> sh) & mask
				dst[c[d]] = k
				c[d]++
			}
		})
		a, b = b, a
	}
	return a
}

// offsets turns per-part digit counts into per-part output positions.
func offsets(count [][]int) {
	pos := 0
	for d := range count[0] {
		for w := range count {
			n := count[w][d]
			count[w][d] = pos
			pos += n
		}
	}
}

// run calls f for np contiguous parts of 0..n, in parallel when np > 1.
func run(np, n int, f func(w, lo, hi int)) {
	if np == 1 {
		f(0, 0, n)
		return
	}
	var wg sync.WaitGroup
	for w := range np {
		lo, hi := n*w/np, n*(w+1)/np
		wg.Go(func() { f(w, lo, hi) })
	}
	wg.Wait()
}
