package mix

import "math/bits"

// wheelBits sets the span of the timing wheel: 2^16 one-second slots, about
// 18 hours. Leases that end further ahead wait in a small overflow heap.
const (
	wheelBits = 16
	wheelSize = 1 << wheelBits
	wheelMask = wheelSize - 1
)

// wheel is the set of held leases of one concurrent pool, keyed by release
// time: a timing wheel of one-second slots with an intrusive list per slot
// and a bitmap of non-empty slots. Replays process arrivals in time order,
// so releases are popped in time order too and every operation is O(1)
// amortised, where a binary heap costs O(log seats) cache-missing steps per
// release (it was four times slower on a year of data).
//
// Keys are lazy: a lease is filed under the release time known when it was
// filed; when its slot comes due and the person's real release time (hold)
// is later, because the lease was extended, it is filed again there.
type wheel struct {
	head []int32 // per slot: first person in the slot's list, or -1
	next []int32 // per person: next person in the same slot
	bits []uint64
	cur  int64   // every key before cur has been processed
	over []lease // leases due at cur+wheelSize or later (min-heap)
	inW  int     // leases filed in the wheel
	held int     // leases held (wheel and overflow)
	hold []int64 // per person: real release time, or -1 when not holding
}

// lease is a lease filed in the overflow heap.
type lease struct {
	end int64
	p   int32
}

func (w *wheel) reset(people int) {
	if w.head == nil {
		w.head = make([]int32, wheelSize)
		w.bits = make([]uint64, wheelSize/64)
		for i := range w.head {
			w.head[i] = -1
		}
	} else if w.inW > 0 {
		for i, b := range w.bits {
			for b != 0 {
				j := bits.TrailingZeros64(b)
				b &= b - 1
				w.head[i*64+j] = -1
			}
			w.bits[i] = 0
		}
	}
	if cap(w.next) < people {
		w.next = make([]int32, people)
		w.hold = make([]int64, people)
	}
	w.next = w.next[:people]
	w.hold = w.hold[:people]
	for i := range w.hold {
		w.hold[i] = -1
	}
	w.cur, w.inW, w.held = 0, 0, 0
	w.over = w.over[:0]
}

// add files a new lease of p until end (end ≥ w.cur).
func (w *wheel) add(p int32, end int64) {
	w.hold[p] = end
	w.held++
	w.file(p, end)
}

func (w *wheel) file(p int32, end int64) {
	if end-w.cur >= wheelSize {
		w.over = append(w.over, lease{end, p})
		heapUp(w.over)
		return
	}
	slot := end & wheelMask
	w.next[p] = w.head[slot]
	w.head[slot] = p
	w.bits[slot>>6] |= 1 << (slot & 63)
	w.inW++
}

// advance releases every lease whose release time is before s.
func (w *wheel) advance(s int64) {
	for w.cur < s {
		for len(w.over) > 0 && w.over[0].end < w.cur+wheelSize {
			o := w.over[0]
			heapPop(&w.over)
			w.file(o.p, o.end)
		}
		if w.inW == 0 {
			if len(w.over) == 0 {
				w.cur = s
				return
			}
			w.cur = min(s, w.over[0].end-wheelSize+1)
			continue
		}
		limit := min(s, w.cur+wheelSize)
		for t := w.cur; t < limit; {
			idx := t & wheelMask
			m := w.bits[idx>>6] >> (idx & 63)
			if m == 0 {
				t += 64 - idx&63
				continue
			}
			t += int64(bits.TrailingZeros64(m))
			if t >= limit {
				break
			}
			w.due(t)
			t++
		}
		w.cur = limit
	}
}

// due processes the slot of time t: leases that really end at t are
// released, extended ones are filed again under their real release time.
func (w *wheel) due(t int64) {
	slot := t & wheelMask
	p := w.head[slot]
	w.head[slot] = -1
	w.bits[slot>>6] &^= 1 << (slot & 63)
	save := w.cur
	w.cur = t
	for p >= 0 {
		nx := w.next[p]
		w.inW--
		if h := w.hold[p]; h > t {
			w.file(p, h)
		} else {
			w.hold[p] = -1
			w.held--
		}
		p = nx
	}
	w.cur = save
}

func heapUp(hp []lease) {
	i := len(hp) - 1
	x := hp[i]
	for i > 0 {
		par := (i - 1) / 2
		if hp[par].end <= x.end {
			break
		}
		hp[i] = hp[par]
		i = par
	}
	hp[i] = x
}

func heapPop(php *[]lease) {
	hp := *php
	n := len(hp) - 1
	hp[0] = hp[n]
	hp = hp[:n]
	*php = hp
	if n == 0 {
		return
	}
	i := 0
	x := hp[0]
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if c+1 < n && hp[c+1].end < hp[c].end {
			c++
		}
		if hp[c].end >= x.end {
			break
		}
		hp[i] = hp[c]
		i = c
	}
	hp[i] = x
}
