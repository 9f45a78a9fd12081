package licensing

import "time"

// Decide answers whether the person behind userKey may use capability now,
// within sessionID if given, and marks the seats it allowed under as used
// (a lease's activity, a named seat's last use). The allow path takes no
// lock and does not allocate; denials allocate their Missing list.
func (e *Engine) Decide(userKey, capability, sessionID string) Decision {
	return e.decide(userKey, capability, sessionID, true, 0)
}

// DecideHeld answers as Decide for a call an integration makes on a
// person's behalf: a lease it allows under is kept only until hold from now
// (never extended to the pool's idle timeout), so an integration cannot keep
// seats alive for people who are not present (DESIGN §3.5).
func (e *Engine) DecideHeld(userKey, capability, sessionID string, hold time.Duration) Decision {
	return e.decide(userKey, capability, sessionID, true, hold)
}

// Probe answers as Decide would without marking anything: for a page that
// only asks what to show (a navigation entry), which is no use of a seat.
func (e *Engine) Probe(userKey, capability, sessionID string) Decision {
	return e.decide(userKey, capability, sessionID, false, 0)
}

func (e *Engine) decide(userKey, capability, sessionID string, mark bool, hold time.Duration) Decision {
	c := e.catalog.Load()
	cv, ok := c.caps[capability]
	if !ok {
		return Decision{Reason: ReasonUnknownCapability}
	}
	p, ok := e.person(userKey)
	if !ok {
		if _, n := e.Lookup(userKey); n > 1 {
			return Decision{Reason: CodeAmbiguous} // a shared key names nobody
		}
		return Decision{Reason: ReasonUnknownUser}
	}
	id := p.id
	if !p.active {
		return Decision{Reason: CodeInactive, User: id}
	}
	var sess *sessionView
	if sessionID != "" {
		s, ok := e.sessions.Get(sessionID)
		if !ok || s.user != id {
			return Decision{Reason: ReasonSessionInvalid, User: id}
		}
		sess = s
	}
	if cv.tier == TierRequester {
		return Decision{Allow: true, Via: Via{Kind: ViaFree}, User: id}
	}
	clk := clock{now: e.now}
	var first Via
	// Leases used are marked active only once the whole request is allowed,
	// so a denied request never keeps a seat alive. A fixed array: no
	// allocation on the allow path.
	var used [4]*leaseView
	var named [4]int
	nUsed, nNamed := 0, 0
	for i := range cv.needs {
		n := &cv.needs[i]
		via, checkout, lease, seat := e.seatFor(c, p, n, &clk)
		if via.Kind != "" {
			if i == 0 {
				first = via
			}
			if lease != nil && nUsed < len(used) {
				used[nUsed] = lease
				nUsed++
			}
			if seat >= 0 && nNamed < len(named) {
				named[nNamed] = seat
				nNamed++
			}
			continue
		}
		return e.deny(c, p, cv, i, checkout, sess, &clk)
	}
	if !mark {
		return Decision{Allow: true, Via: first, User: id}
	}
	if hold > 0 {
		until := clk.get().Add(hold).UnixNano()
		for _, l := range used[:nUsed] {
			l.holdUntil(until)
		}
	} else {
		for _, l := range used[:nUsed] {
			l.touched.Store(clk.get().UnixNano())
		}
	}
	// A named seat's last use: stored only when the coarse clock moved, so
	// repeated decisions read a shared line and never write it.
	if nNamed > 0 {
		now := e.coarse.Load()
		for _, i := range named[:nNamed] {
			if p.used[i].Load() != now {
				p.used[i].Store(now)
			}
		}
	}
	return Decision{Allow: true, Via: first, User: id}
}

// seatFor finds the cheapest seat of p that satisfies n: a named seat first
// (with its index in p.pools, else -1), then a held lease. It returns the
// cheapest registered concurrent pool as checkout when only a lease could
// serve.
func (e *Engine) seatFor(c *catalogView, p *personView, n *need, clk *clock) (Via, string, *leaseView, int) {
	var best *poolView
	bestAt := -1
	var conc *poolView
	for i, id := range p.pools {
		var pv *poolView
		if p.cat == c {
			pv = p.resolved[i]
		} else {
			pv = c.pools[id]
		}
		if pv == nil || !n.set.has(pv.skuIdx) || !pv.validAt(clk) {
			continue
		}
		if pv.Model == ModelNamed {
			if best == nil || pv.MonthlyPrice < best.MonthlyPrice {
				best, bestAt = pv, i
			}
		} else if conc == nil || pv.MonthlyPrice < conc.MonthlyPrice {
			conc = pv
		}
	}
	if best != nil {
		return Via{Kind: ViaNamed, Pool: best.ID, SKU: best.SKU}, "", nil, bestAt
	}
	var lease *leaseView
	var lp *poolView
	for _, l := range p.leases {
		pv, ok := c.pools[l.Pool]
		if !ok || !n.set.has(pv.skuIdx) || !pv.validAt(clk) || !l.ExpiresAt.After(clk.get()) {
			continue
		}
		if lease == nil || pv.MonthlyPrice < lp.MonthlyPrice {
			lease, lp = l, pv
		}
	}
	if lease != nil {
		return Via{Kind: ViaConcurrent, Pool: lp.ID, SKU: lp.SKU, Lease: lease.ID}, "", lease, -1
	}
	if conc != nil {
		return Via{}, conc.ID, nil, -1
	}
	return Via{}, "", nil, -1
}

// deny builds the denial for the first unmet need i. A checkout is only
// asked for when every unmet need could be met by leasing, so a lazy session
// never takes a seat for a request that would fail anyway.
func (e *Engine) deny(c *catalogView, p *personView, cv *capView, i int, checkout string, sess *sessionView, clk *clock) Decision {
	d := Decision{User: p.id}
	module, unmet := false, false
	for j := i; j < len(cv.needs); j++ {
		n := &cv.needs[j]
		v, co, _, _ := e.seatFor(c, p, n, clk)
		if v.Kind != "" || co != "" {
			continue
		}
		// A need may name no SKU (no fulfiller SKU in the catalog yet), so
		// count unmet needs rather than missing names.
		module, unmet = module || n.module, true
		d.Missing = append(d.Missing, n.names...)
	}
	if unmet {
		d.Reason = CodeNoLicence
		if module {
			d.Reason = CodeModuleMissing
		}
		return d
	}
	d.Missing = append(d.Missing, cv.needs[i].names...)
	switch {
	case sess == nil:
		d.Reason = ReasonSessionRequired
	case sess.lazy:
		d.Reason = ReasonCheckoutRequired
		d.Checkout = checkout
	default:
		// A non-lazy session took its leases at start; one that is gone now
		// was ended (idle, revoked or by an admin).
		d.Reason = CodeNoLicence
	}
	return d
}

// clock reads the time at most once per decision, and only when a pool with
// validity dates or a lease needs it.
type clock struct {
	now func() time.Time
	t   time.Time
	set bool
}

func (c *clock) get() time.Time {
	if !c.set {
		c.t, c.set = c.now(), true
	}
	return c.t
}

func (p *poolView) validAt(c *clock) bool {
	if p.Starts.IsZero() && p.Ends.IsZero() {
		return true
	}
	return p.ValidAt(c.get())
}
