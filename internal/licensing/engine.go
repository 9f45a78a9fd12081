package licensing

import (
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// personView is the immutable per-person state Decide reads.
type personView struct {
	// Hot fields first: Decide reads these on every call, so they share
	// the view's first cache line; the full User comes last.
	id     string
	active bool
	// cat and resolved are pools resolved against the catalog current when
	// the view was built: Decide uses them while that catalog is current,
	// saving a map lookup per seat.
	cat      *catalogView
	resolved []*poolView
	pools    []string // pool ids of active assignments and registrations
	// used is, per entry of pools, the last decision (unix seconds of the
	// engine's coarse clock) allowed under that named seat, not yet
	// flushed; views copied for a lease change share it.
	used   []atomic.Int64
	leases []*leaseView
	// name is the folded user name, aliases the other folded keys.
	name    string
	aliases []string
	user    User
	// gen counts the writes to this person, so a reload read from the store
	// is only installed if no newer write came in meanwhile.
	gen uint64
}

type leaseView struct {
	Lease
	// touched is the last activity seen by Decide (unix nanoseconds), flushed
	// to the store in the background so the hot path never writes.
	touched atomic.Int64
	// held is the latest time an integration's call asked the lease be
	// kept to (unix nanoseconds), flushed like touched.
	held atomic.Int64
}

// carry keeps old's unflushed activity on its replacement.
func (l *leaseView) carry(old *leaseView) {
	l.touched.Store(old.touched.Load())
	l.held.Store(old.held.Load())
}

// holdUntil raises held to until unless it is later already.
func (l *leaseView) holdUntil(until int64) {
	for {
		old := l.held.Load()
		if old >= until || l.held.CompareAndSwap(old, until) {
			return
		}
	}
}

type sessionView struct {
	id, user    string
	integration string // the integration that started it, "" if none
	lazy        bool
	active      bool
}

// Engine decides requests from an in-memory snapshot. Reads never lock: the
// catalog is one atomically swapped pointer and people and sessions live in
// copy-on-write shards. Writes come from the store after it commits.
type Engine struct {
	now      func() time.Time
	catalog  atomic.Pointer[catalogView]
	people   *shardMap[*personView]
	names    *shardMap[string] // folded user name -> id
	aliases  *shardMap[string] // folded other key -> ids joined by sep
	sessions *shardMap[*sessionView]
	writeMu  sync.Mutex // orders person writes so alias updates stay consistent
	// coarse is a clock (unix seconds) moved on by Tick, so marking a
	// named seat's last use costs Decide a load, not a clock reading.
	coarse atomic.Int64
	// ended remembers recently ended leases (under writeMu) so a late
	// PutLease of one, published out of order, cannot bring it back.
	ended endedLeases
}

// endedLeases is a set of lease ids kept for at least endedKeep: two
// generations, the older dropped whole when the newer is endedKeep old, so
// adding and asking are O(1).
type endedLeases struct {
	cur, prev map[string]struct{}
	since     time.Time
}

const endedKeep = 5 * time.Minute

func (s *endedLeases) add(id string, now time.Time) {
	if s.cur == nil || now.Sub(s.since) > endedKeep {
		s.prev, s.cur, s.since = s.cur, map[string]struct{}{}, now
	}
	s.cur[id] = struct{}{}
}

func (s *endedLeases) has(id string) bool {
	_, a := s.cur[id]
	_, b := s.prev[id]
	return a || b
}

// NewEngine returns an empty engine using now as its clock.
func NewEngine(now func() time.Time) *Engine {
	if now == nil {
		now = time.Now
	}
	e := &Engine{
		now:      now,
		people:   newShardMap[*personView](),
		names:    newShardMap[string](),
		aliases:  newShardMap[string](),
		sessions: newShardMap[*sessionView](),
	}
	c, _ := compileCatalog(nil, nil, Policy{})
	e.catalog.Store(c)
	e.coarse.Store(now().Unix())
	return e
}

// Tick moves the clock that stamps named seats' last use on to now; the
// background flush calls it, so last use is exact to the flush interval.
func (e *Engine) Tick(now time.Time) { e.coarse.Store(now.Unix()) }

// SetCatalog replaces SKUs, pools and policy at once.
func (e *Engine) SetCatalog(skus []SKU, pools []Pool, policy Policy) error {
	c, err := compileCatalog(skus, pools, policy)
	if err != nil {
		return err
	}
	e.catalog.Store(c)
	return nil
}

// CheckCatalog reports whether a catalog would compile, without applying it.
func CheckCatalog(skus []SKU, pools []Pool, policy Policy) error {
	_, err := compileCatalog(skus, pools, policy)
	return err
}

// Pool returns a pool of the current catalog.
func (e *Engine) Pool(id string) (Pool, bool) {
	p, ok := e.catalog.Load().pools[id]
	if !ok {
		return Pool{}, false
	}
	return p.Pool, true
}

// SKU returns a SKU of the current catalog.
func (e *Engine) SKU(key string) (SKU, bool) {
	c := e.catalog.Load()
	i, ok := c.skus[key]
	if !ok {
		return SKU{}, false
	}
	return c.skuArr[i], true
}

// Policy returns a copy of the current policy.
func (e *Engine) Policy() Policy {
	p := Policy{}
	for k, v := range e.catalog.Load().policy {
		p[k] = v
	}
	return p
}

func (e *Engine) buildPerson(p Person) *personView {
	v := &personView{id: p.User.ID, active: p.User.Active, user: p.User, cat: e.catalog.Load()}
	v.name, v.aliases = p.User.keys()
	for _, m := range p.Members {
		if m.State != MemberActive {
			continue
		}
		// The model is resolved against the catalog at decision time, so a
		// catalog change needs no rebuild of people.
		v.pools = append(v.pools, m.Pool)
	}
	for _, l := range p.Leases {
		if l.EndedAt.IsZero() {
			v.leases = append(v.leases, &leaseView{Lease: l})
		}
	}
	v.used = make([]atomic.Int64, len(v.pools))
	v.resolved = make([]*poolView, len(v.pools))
	for i, id := range v.pools {
		v.resolved[i] = v.cat.pools[id] // nil when unknown: skipped
	}
	return v
}

// PersonGen returns the write count of a person, for PutPersonIfGen.
func (e *Engine) PersonGen(id string) uint64 {
	if v, ok := e.people.Get(id); ok {
		return v.gen
	}
	return 0
}

// PutPersonIfGen installs p only if the person has not been written since
// PersonGen returned gen: a reload read before a newer patch must not undo
// it. It reports whether p was installed.
func (e *Engine) PutPersonIfGen(p Person, gen uint64) bool {
	v := e.buildPerson(p)
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	if e.genLocked(p.User.ID) != gen {
		return false
	}
	e.putLocked(p, v)
	return true
}

func (e *Engine) genLocked(id string) uint64 {
	if old, ok := e.people.Get(id); ok {
		return old.gen
	}
	return 0
}

// PutPerson installs the current state of one person.
func (e *Engine) PutPerson(p Person) {
	v := e.buildPerson(p)
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	e.putLocked(p, v)
}

func (e *Engine) putLocked(p Person, v *personView) {
	v.gen = e.genLocked(p.User.ID) + 1
	for i := 0; i < len(v.leases); i++ {
		if e.ended.has(v.leases[i].ID) {
			v.leases = append(v.leases[:i], v.leases[i+1:]...)
			i--
		}
	}
	old, ok := e.people.Get(p.User.ID)
	if ok {
		carryTouches(old, v)
	} else {
		old = nil
	}
	e.reindex(p.User.ID, old, v)
	e.people.Put(p.User.ID, v)
}

// carryTouches keeps unflushed activity across a rebuild of the person.
func carryTouches(old, v *personView) {
	for i, op := range old.pools {
		if t := old.used[i].Load(); t != 0 {
			for j, np := range v.pools {
				if np == op {
					v.used[j].Store(t)
				}
			}
		}
	}
	for _, ol := range old.leases {
		for _, nl := range v.leases {
			if nl.ID == ol.ID {
				nl.carry(ol)
			}
		}
	}
}

// RemovePerson forgets a person.
func (e *Engine) RemovePerson(id string) {
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	if old, ok := e.people.Get(id); ok {
		e.reindex(id, old, nil)
	}
	e.people.Delete(id)
}

// LoadPeople replaces every person at once (start-up and full reloads).
func (e *Engine) LoadPeople(people []Person) {
	all := make(map[string]*personView, len(people))
	names := make(map[string]string, len(people))
	aliases := make(map[string]string, len(people)*3)
	for _, p := range people {
		v := e.buildPerson(p)
		all[p.User.ID] = v
		names[v.name] = p.User.ID
		for _, a := range v.aliases {
			aliases[a] = withID(aliases[a], p.User.ID)
		}
	}
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	e.people.Replace(all)
	e.names.Replace(names)
	e.aliases.Replace(aliases)
}

// PutSession installs a session; ended sessions are dropped.
func (e *Engine) PutSession(s Session) {
	if !s.Active() {
		e.sessions.Delete(s.ID)
		return
	}
	e.sessions.Put(s.ID, &sessionView{id: s.ID, user: s.User, integration: s.Integration, lazy: s.Lazy, active: true})
}

// LoadSessions replaces every session at once.
func (e *Engine) LoadSessions(sessions []Session) {
	all := make(map[string]*sessionView, len(sessions))
	for _, s := range sessions {
		if s.Active() {
			all[s.ID] = &sessionView{id: s.ID, user: s.User, integration: s.Integration, lazy: s.Lazy, active: true}
		}
	}
	e.sessions.Replace(all)
}

// person finds the view of the person behind key: by id with one lookup (the
// hot path), else through an alias.
func (e *Engine) person(key string) (*personView, bool) {
	if p, ok := e.people.Get(key); ok {
		return p, true
	}
	id, ok := e.Resolve(key)
	if !ok {
		return nil, false
	}
	// Missing when removed since Resolve, or an alias seen before its
	// person: writers update aliases and people one after the other.
	return e.people.Get(id)
}

// UserLookup returns the person behind key and how many people the key
// names (see Lookup): the person only when it is one.
func (e *Engine) UserLookup(key string) (User, int) {
	id, n := e.Lookup(key)
	if n != 1 {
		return User{}, n
	}
	v, ok := e.people.Get(id)
	if !ok {
		return User{}, 0
	}
	return v.user, 1
}

// User returns the person behind key.
func (e *Engine) User(key string) (User, bool) {
	id, ok := e.Resolve(key)
	if !ok {
		return User{}, false
	}
	v, ok := e.people.Get(id)
	if !ok {
		return User{}, false
	}
	return v.user, true
}

// PeopleCount is the number of people known.
func (e *Engine) PeopleCount() int { return e.people.Len() }

// LeaseTouch is activity on a lease not yet written to the store: At is a
// person's own use (zero if none), HeldUntil the latest an integration's
// call asked the lease be kept to (zero if none).
type LeaseTouch struct {
	Lease     string
	At        time.Time
	HeldUntil time.Time
}

// NamedUse is a decision allowed under a named seat, not yet flushed.
type NamedUse struct {
	User, Pool string
	At         time.Time
}

// TakeNamedUse returns the last use of each named seat seen since the last
// call, so the caller can record it without a write per decision.
func (e *Engine) TakeNamedUse() []NamedUse {
	var out []NamedUse
	e.people.Range(func(id string, v *personView) bool {
		for i := range v.used {
			if t := v.used[i].Swap(0); t != 0 {
				out = append(out, NamedUse{User: id, Pool: v.pools[i], At: time.Unix(t, 0)})
			}
		}
		return true
	})
	return out
}

// TakeTouches returns lease activity recorded since the last call, so the
// caller can extend the leases' expiry in the store.
func (e *Engine) TakeTouches() []LeaseTouch {
	var out []LeaseTouch
	e.people.Range(func(_ string, v *personView) bool {
		for _, l := range v.leases {
			t, h := l.touched.Swap(0), l.held.Swap(0)
			if t == 0 && h == 0 {
				continue
			}
			lt := LeaseTouch{Lease: l.ID}
			if t != 0 {
				lt.At = time.Unix(0, t)
			}
			if h != 0 {
				lt.HeldUntil = time.Unix(0, h)
			}
			out = append(out, lt)
		}
		return true
	})
	return out
}

// PoolsToLease returns, for each SKU the person may only use through a
// concurrent pool, the cheapest valid pool they are registered for: the leases
// a non-lazy session takes at start. A SKU held on a named seat is skipped.
func (e *Engine) PoolsToLease(userID string) []string {
	c := e.catalog.Load()
	p, ok := e.people.Get(userID)
	if !ok {
		return nil
	}
	now := e.now()
	named := map[string]bool{}
	best := map[string]*poolView{}
	for _, id := range p.pools {
		pv, ok := c.pools[id]
		if !ok || !pv.ValidAt(now) || pv.tier == TierRequester {
			continue
		}
		if pv.Model == ModelNamed {
			named[pv.SKU] = true
			continue
		}
		if b := best[pv.SKU]; b == nil || pv.MonthlyPrice < b.MonthlyPrice {
			best[pv.SKU] = pv
		}
	}
	var out []string
	for sku, pv := range best {
		if !named[sku] {
			out = append(out, pv.ID)
		}
	}
	sort.Strings(out)
	return out
}

// PutLease installs a lease the store just took or extended for a person,
// without rebuilding the rest of the person.
func (e *Engine) PutLease(l Lease) { e.patchLeases(l.User, l.ID, &l) }

// DropLease removes an ended lease from a person.
func (e *Engine) DropLease(userID, leaseID string) { e.patchLeases(userID, leaseID, nil) }

func (e *Engine) patchLeases(userID, leaseID string, l *Lease) {
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	if l == nil {
		e.ended.add(leaseID, e.now())
	} else if e.ended.has(leaseID) {
		return // ended already: this is a late, out-of-order update
	}
	old, ok := e.people.Get(userID)
	if !ok {
		return
	}
	next := *old
	next.gen = old.gen + 1
	next.leases = make([]*leaseView, 0, len(old.leases)+1)
	for _, lv := range old.leases {
		if lv.ID != leaseID {
			next.leases = append(next.leases, lv)
		}
	}
	if l != nil {
		nv := &leaseView{Lease: *l}
		for _, lv := range old.leases {
			if lv.ID == leaseID {
				nv.carry(lv)
			}
		}
		next.leases = append(next.leases, nv)
	}
	e.people.Put(userID, &next)
}

// Leases returns the person's active leases, with expiry moved on by any
// activity the engine has seen but not yet flushed.
func (e *Engine) Leases(key string) []Lease {
	p, ok := e.person(key)
	if !ok {
		return nil
	}
	out := make([]Lease, 0, len(p.leases))
	for _, l := range p.leases {
		c := l.Lease
		if t := l.touched.Load(); t != 0 {
			if seen := time.Unix(0, t); seen.After(c.LastActivity) {
				c.ExpiresAt = c.ExpiresAt.Add(seen.Sub(c.LastActivity))
				c.LastActivity = seen
			}
		}
		if h := l.held.Load(); h != 0 {
			if until := time.Unix(0, h); until.After(c.ExpiresAt) {
				c.ExpiresAt = until
			}
		}
		out = append(out, c)
	}
	return out
}

// Requirement returns what capability needs, without copying the policy.
func (e *Engine) Requirement(capability string) (Requirement, bool) {
	r, ok := e.catalog.Load().policy[capability]
	return r, ok
}

// SessionUser returns the person (id) of a live session.
func (e *Engine) SessionUser(id string) (string, bool) {
	s, ok := e.sessions.Get(id)
	if !ok {
		return "", false
	}
	return s.user, true
}

// SessionIntegration returns the integration (id) that started a live
// session, "" for a person's own.
func (e *Engine) SessionIntegration(id string) (string, bool) {
	s, ok := e.sessions.Get(id)
	if !ok {
		return "", false
	}
	return s.integration, true
}
