package mix

// The exact replay of one named set at many pool sizes, without walking the
// whole history each time.
//
// Call I the system with unlimited seats and F the replayed pool with seats
// seats. Every lease of F lies inside a spell of I of the same person (F
// only ever refuses, and a refused person's later intervals can only start
// a shorter hold), so F ⊆ I at every instant, and an arrival can be refused
// only if at least seats other people hold in I: a "critical" event. A
// person is "diverged" while their state in F (holding or not, release
// time) differs from I; that starts with a refusal and ends when their I
// spell ends or a later interval gives them the same release time in both.
// Everyone else is in the same state in F as in I, so
//
//	|F(t) \ {p}| = others_I(t) − #{diverged q ≠ p in I(t) but not in F(t)}
//
// and the replay only has to visit critical events and the events of
// diverged people, keeping the small "deficit" count with timers. It is
// checked against the plain replay in the tests.

// timer is a pending change of a diverged person's state: at time at their
// F lease or I spell ends. ver tells stale timers from live ones.
type timer struct {
	at  int64
	p   int32
	ver uint32
}

// fastState holds the buffers of fastReplay, reused across calls.
type fastState struct {
	inD     []bool
	counted []bool // diverged and in I but not in F
	fEnd    []int64
	iEnd    []int64
	ver     []uint32
	timers  []timer
	queue   []int32 // next events of diverged people (min-heap of indices)
}

func (st *fastState) reset(people int) {
	if cap(st.inD) < people {
		st.inD = make([]bool, people)
		st.counted = make([]bool, people)
		st.fEnd = make([]int64, people)
		st.iEnd = make([]int64, people)
		st.ver = make([]uint32, people)
	}
	st.inD = st.inD[:people]
	st.counted = st.counted[:people]
	st.fEnd, st.iEnd, st.ver = st.fEnd[:people], st.iEnd[:people], st.ver[:people]
	clear(st.inD)
	clear(st.counted)
	st.timers = st.timers[:0]
	st.queue = st.queue[:0]
}

// replayLevels returns what replay would for the named set that lv was
// swept for, with seats seats: by fastReplay, unless so many events are
// critical that the plain replay, whose cost does not depend on
// congestion, is quicker.
func (tl *timeline) replayLevels(lv *levels, named []bool, seats int, st *fastState, r *replayer) (arrivals, denied int) {
	if !lv.fewCritical(seats) {
		return tl.h.replay(named, seats, tl.idle, tl.linger, r)
	}
	return tl.fastReplay(lv, seats, st)
}

// critEvent is an event that may be refused: a copy, so that replays
// stream a short list instead of the whole history.
type critEvent struct {
	i      int32
	others int32
	e      event
}

// critical counts the events at which at least c others hold a seat: the
// only ones a pool of c seats can refuse.
func (lv *levels) critical(c int) int64 {
	var n int64
	for l := max(c, 0); l < len(lv.atAny); l++ {
		n += lv.atAny[l]
	}
	return n
}

// fewCritical tells whether a pool of c seats has few enough critical
// events for the event-skipping replay to pay.
func (lv *levels) fewCritical(c int) bool {
	return lv.critical(c)*plainShare <= int64(len(lv.others))
}

// keepCritical lists the events with at least cmin others holding, for the
// replays of pools of cmin seats or more.
func (lv *levels) keepCritical(tl *timeline, cmin int) {
	lv.crit = lv.crit[:0]
	lv.critMin, lv.critOK = int32(max(cmin, 0)), true
	for i, o := range lv.others {
		if o >= lv.critMin {
			lv.crit = append(lv.crit, critEvent{int32(i), o, tl.h.events[i]})
		}
	}
}

// plainShare: the plain replay is used when more than 1/plainShare of the
// events are critical.
const plainShare = 10

// fastReplay returns what replay would for the named set that lv was swept
// for, with seats seats.
func (tl *timeline) fastReplay(lv *levels, seats int, st *fastState) (arrivals, denied int) {
	if lv.arrivals == 0 {
		return 0, 0
	}
	if seats <= 0 {
		// Nobody ever holds a lease: every request is refused, and a
		// person asks again at each interval.
		for _, o := range lv.others {
			if o >= 0 {
				arrivals++
			}
		}
		return arrivals, arrivals
	}
	st.reset(tl.h.people)
	evs := tl.h.events
	others := lv.others
	c := int32(seats)
	n := len(evs)
	deficit, extra := 0, 0
	// Critical events come from the swept list when it covers c, else
	// from a scan of the levels.
	crit := lv.crit
	useList := lv.critOK && lv.critMin <= c
	ci := 0
	for {
		next, ne := n, event{}
		if useList {
			for ci < len(crit) && crit[ci].others < c {
				ci++
			}
			if ci < len(crit) {
				next, ne = int(crit[ci].i), crit[ci].e
			}
		} else {
			for ci < n && others[ci] < c {
				ci++
			}
			next = ci
		}
		i := next
		if len(st.queue) > 0 && int(st.queue[0]) <= i {
			i = int(st.queue[0])
			popIndex(&st.queue)
		}
		if i >= n {
			break
		}
		var e event
		if i == next {
			ci++
			if useList {
				e = ne
			} else {
				e = evs[i]
			}
		} else {
			e = evs[i]
		}
		p := int32(e.who >> whoShift)
		s := int64(e.start)
		h := int64(e.end) + tl.tail(e)
		for len(st.timers) > 0 && st.timers[0].at <= s {
			t := st.timers[0]
			popTimer(&st.timers)
			q := t.p
			if t.ver != st.ver[q] || !st.inD[q] {
				continue
			}
			if st.iEnd[q] < s { // the I spell is over: F and I agree again
				if st.counted[q] {
					deficit--
				}
				st.inD[q], st.counted[q] = false, false
				st.ver[q]++
				continue
			}
			if nc := st.fEnd[q] < s; nc != st.counted[q] {
				st.counted[q] = nc
				if nc {
					deficit++
				} else {
					deficit--
				}
			}
		}
		fresh := tl.isFresh(i)
		if !st.inD[p] {
			// Same state in F and I: only a new request at a critical
			// event can differ.
			if !fresh || others[i] < c {
				continue
			}
			if int(others[i])-deficit < seats {
				continue
			}
			denied++
			st.inD[p], st.counted[p] = true, true
			st.fEnd[p], st.iEnd[p] = -1, h
			deficit++
			st.ver[p]++
			pushTimer(&st.timers, timer{h + 1, p, st.ver[p]})
			if nx := tl.nextSame[i]; nx >= 0 {
				pushIndex(&st.queue, nx)
			}
			continue
		}
		own := 0
		if st.counted[p] {
			own = 1
		}
		if st.fEnd[p] >= s {
			st.fEnd[p] = max(st.fEnd[p], h)
		} else {
			if !fresh {
				extra++
			}
			if others[i] >= c && int(others[i])-(deficit-own) >= seats {
				denied++
			} else {
				st.fEnd[p] = h
			}
		}
		if fresh {
			st.iEnd[p] = h
		} else {
			st.iEnd[p] = max(st.iEnd[p], h)
		}
		st.ver[p]++
		if st.fEnd[p] == st.iEnd[p] {
			deficit -= own
			st.inD[p], st.counted[p] = false, false
			continue
		}
		nc := st.fEnd[p] < s
		if nc {
			deficit += 1 - own
		} else {
			deficit -= own
			pushTimer(&st.timers, timer{st.fEnd[p] + 1, p, st.ver[p]})
		}
		st.counted[p] = nc
		pushTimer(&st.timers, timer{st.iEnd[p] + 1, p, st.ver[p]})
		if nx := tl.nextSame[i]; nx >= 0 {
			pushIndex(&st.queue, nx)
		}
	}
	return lv.arrivals + extra, denied
}

func pushTimer(hp *[]timer, t timer) {
	a := append(*hp, t)
	i := len(a) - 1
	for i > 0 {
		par := (i - 1) / 2
		if a[par].at <= t.at {
			break
		}
		a[i] = a[par]
		i = par
	}
	a[i] = t
	*hp = a
}

func popTimer(hp *[]timer) {
	a := *hp
	n := len(a) - 1
	x := a[n]
	a = a[:n]
	*hp = a
	if n == 0 {
		return
	}
	i := 0
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if c+1 < n && a[c+1].at < a[c].at {
			c++
		}
		if a[c].at >= x.at {
			break
		}
		a[i] = a[c]
		i = c
	}
	a[i] = x
}

func pushIndex(hp *[]int32, v int32) {
	a := append(*hp, v)
	i := len(a) - 1
	for i > 0 {
		par := (i - 1) / 2
		if a[par] <= v {
			break
		}
		a[i] = a[par]
		i = par
	}
	a[i] = v
	*hp = a
}

func popIndex(hp *[]int32) {
	a := *hp
	n := len(a) - 1
	x := a[n]
	a = a[:n]
	*hp = a
	if n == 0 {
		return
	}
	i := 0
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if c+1 < n && a[c+1] < a[c] {
			c++
		}
		if a[c] >= x {
			break
		}
		a[i] = a[c]
		i = c
	}
	a[i] = x
}
