package mix

import (
	"math/bits"
	"sync"
)

// spell is one hold of a seat by one person with unlimited seats: the
// person's intervals merged while each starts no later than the hold of the
// ones before it ends (End plus its idle timeout or linger). Spells are what
// every traffic figure is measured on, and the level of the unlimited
// system at each arrival is what brackets the replays.
type spell struct {
	start uint32 // seconds since history.base
	p     int32
	end   int64 // last second held (inclusive)
}

// timeline is the history read under one idle timeout and linger: which
// events start a spell, each person's next event, and the spells sorted by
// start and by end. It does not depend on who is named or on the number of
// seats, so it is built once per option's timers and shared.
type timeline struct {
	h            *history
	idle, linger int64
	fresh        []uint64 // bit i: event i starts a spell (with unlimited seats)
	nextSame     []int32  // index of the same person's next event, or -1
	spells       []spell  // by start
	endWho       []int32  // person of each spell, in order of spell end
	endBefore    []int32  // per event: spells that ended before its start
	held         []int64  // per person: seconds held in spells
	lastEnd      int64    // the latest spell end
}

func (tl *timeline) tail(e event) int64 {
	if e.who&flagLogout != 0 {
		return tl.linger
	}
	return tl.idle
}

func (tl *timeline) isFresh(i int) bool { return tl.fresh[i>>6]&(1<<(uint(i)&63)) != 0 }

// newTimeline merges every person's intervals into spells.
func newTimeline(h *history, idle, linger int64) *timeline {
	n := len(h.events)
	tl := &timeline{
		h: h, idle: idle, linger: linger,
		fresh:    make([]uint64, (n+63)/64),
		nextSame: make([]int32, n),
		held:     make([]int64, h.people),
		spells:   make([]spell, 0, n),
	}
	// Each person's next event, on another core meanwhile.
	var wg sync.WaitGroup
	wg.Go(func() {
		last := make([]int32, h.people) // the person's last event
		for i := range last {
			last[i] = -1
		}
		for i, e := range h.events {
			p := e.who >> whoShift
			if l := last[p]; l >= 0 {
				tl.nextSame[l] = int32(i)
			}
			last[p] = int32(i)
			tl.nextSame[i] = -1
		}
	})
	run := make([]int64, h.people) // running end of the person's spell
	cur := make([]int32, h.people) // index of the person's current spell
	for i := range run {
		run[i] = -1
	}
	tails := [2]int64{idle, linger}
	for i, e := range h.events {
		p := int32(e.who >> whoShift)
		s := int64(e.start)
		end := int64(e.end) + tails[e.who&flagLogout]
		if r := run[p]; r >= s {
			run[p] = max(r, end)
			continue
		}
		if run[p] >= 0 {
			tl.spells[cur[p]].end = run[p] // the person's previous spell is over
		}
		tl.fresh[i>>6] |= 1 << (uint(i) & 63)
		run[p] = end
		cur[p] = int32(len(tl.spells))
		tl.spells = append(tl.spells, spell{start: e.start, p: p})
	}
	for p, r := range run {
		if r >= 0 {
			tl.spells[cur[p]].end = r
		}
	}
	for _, sp := range tl.spells {
		tl.held[sp.p] += sp.end - int64(sp.start)
		tl.lastEnd = max(tl.lastEnd, sp.end)
	}
	tl.sortEnds()
	wg.Wait()
	return tl
}

// sortEnds orders the spells by end (packing end and person into one word
// for a radix sort) into endWho, and counts for each event the spells that
// ended before it started into endBefore. With those two arrays the level
// of any named set at every event is a branch-free pass (see sweep).
func (tl *timeline) sortEnds() {
	m := len(tl.spells)
	whoBits := uint(bits.Len(uint(tl.h.people)))
	var maxEnd int64
	for _, sp := range tl.spells {
		maxEnd = max(maxEnd, sp.end)
	}
	keyBits := uint(bits.Len64(uint64(maxEnd)))
	if keyBits+whoBits > 64 {
		// Only timers of many years with a huge person table get here.
		// Saturating ends keeps every comparison with a start (< 2^32)
		// right: a saturated end is after all of them.
		keyBits = 64 - whoBits
		maxEnd = int64(1)<<keyBits - 1
	}
	keys := make([]uint64, m)
	for i, sp := range tl.spells {
		keys[i] = uint64(min(sp.end, maxEnd))<<whoBits | uint64(sp.p)
	}
	keys = sortKeys(keys, int(whoBits), int(whoBits+keyBits))
	tl.endWho = make([]int32, m)
	mask := uint64(1)<<whoBits - 1
	for i, k := range keys {
		tl.endWho[i] = int32(k & mask)
	}
	tl.endBefore = make([]int32, len(tl.h.events))
	k := 0
	for i, e := range tl.h.events {
		s := uint64(e.start)
		for k < m && keys[k]>>whoBits < s {
			k++
		}
		tl.endBefore[i] = int32(k)
	}
}

// levels is the unlimited-seat system seen by the non-named demand of one
// named set: for each event the number of other non-named people holding a
// seat at its start, and how those levels are distributed.
type levels struct {
	others   []int32 // per event; -1 for events of named people
	arrivals int     // spells of non-named people: requests with unlimited seats
	// atFresh[l] counts spells that started when l others held a seat;
	// atAny[l] counts every non-named event likewise.
	atFresh, atAny []int64
	ended          []int32 // scratch
	// crit lists the events with at least critMin others, when critOK.
	crit    []critEvent
	critMin int32
	critOK  bool
}

// sweep measures levels for the named set; buf is reused when big enough.
func (tl *timeline) sweep(named []bool, buf *levels) *levels {
	lv := buf
	if lv == nil {
		lv = &levels{}
	}
	n := len(tl.h.events)
	if cap(lv.others) < n {
		lv.others = make([]int32, n)
	}
	lv.others = lv.others[:n]
	lv.atFresh = resize(lv.atFresh, tl.h.people+1)
	lv.atAny = resize(lv.atAny, tl.h.people+1)
	lv.arrivals = 0
	lv.critOK = false
	// Branch-free: keep is 1 for people not named, so named people's
	// spells and events count for nothing; ended[k] is the number of
	// non-named spells among the first k to end.
	keep := make([]int32, len(named))
	for p, nm := range named {
		if !nm {
			keep[p] = 1
		}
	}
	if cap(lv.ended) < len(tl.endWho)+1 {
		lv.ended = make([]int32, len(tl.endWho)+1)
	}
	ended := lv.ended[:len(tl.endWho)+1]
	ended[0] = 0
	for k, p := range tl.endWho {
		ended[k+1] = ended[k] + keep[p]
	}
	started := int32(0)
	others := lv.others
	atFresh, atAny := lv.atFresh, lv.atAny
	fresh, before := tl.fresh, tl.endBefore
	for i, e := range tl.h.events {
		kp := keep[e.who>>whoShift]
		f := int32(fresh[i>>6]>>(uint(i)&63)) & 1
		l := started - ended[before[i]] - 1 + f
		started += f & kp
		// Named people's events get -1 and are not counted.
		l = l*kp - (1 - kp)
		others[i] = l
		li := max(l, 0)
		atFresh[li] += int64(f & kp)
		atAny[li] += int64(kp)
	}
	lv.arrivals = int(started)
	return lv
}

func resize(a []int64, n int) []int64 {
	if cap(a) < n {
		return make([]int64, n)
	}
	a = a[:n]
	clear(a)
	return a
}
