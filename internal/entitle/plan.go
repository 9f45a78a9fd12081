package entitle

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// Reasons carried by a Change.
const (
	// Pending.
	ReasonPoolFull = "pool_full" // every named pool that may serve the grant is full (Entra's CountViolation)
	ReasonNoPool   = "no_pool"   // no pool of the SKU and model exists
	// Gains.
	ReasonSeatFreed = "seat_freed" // a pending grant that now fits
	// Losses.
	ReasonNotEntitled    = "not_entitled" // no enabled rule or group grant gives the SKU any more
	ReasonInactive       = "inactive"
	ReasonServiceAccount = "service_account"
	ReasonUnknownUser    = "unknown_user" // the person is not among the people planned
	ReasonAlreadyHeld    = "already_held" // a pending rule grant for a SKU the person now holds otherwise
	ReasonPoolChanged    = "pool_changed" // a pending row whose grant now waits on another pool
	// Relabels.
	ReasonRuleChanged = "rule_changed"
)

// Change is one membership to add, remove, keep pending or relabel.
type Change struct {
	User     string
	UserName string
	SKU      string
	Pool     string
	// Rule is the grantor of the seat (gains, pending, relabels) or the
	// grantor that had granted it (losses): a rule id, or "scim-group:NAME"
	// for a group grant. SourceOf gives the Member.Source to record.
	Rule   string
	Reason string
}

// Overflow is a named pool whose demand exceeds its seats plus overdraft.
type Overflow struct {
	Pool    string
	ShortBy int
}

// Diff is what rules and group grants change, for the memberships they
// manage only: manual grants are never removed, and a person who holds a
// SKU through one gains nothing from a rule. SCIM-group memberships are
// managed only by a set given WithGroupGrants; otherwise they are kept as
// manual ones are.
//
// Applying a diff means: delete Losses, insert Gains as active (replacing a
// pending row of the same person and SKU), upsert Pending as pending rows
// with their reason, and rewrite the source of Relabels to SourceOf(Rule).
// Every list is sorted by user name, user, SKU and pool.
type Diff struct {
	Gains   []Change
	Losses  []Change
	Pending []Change
	// Relabels are seats kept but now owed to another rule, so the access
	// review names the right one.
	Relabels  []Change
	Overflows []Overflow
}

// Empty reports whether the diff changes nothing.
func (d *Diff) Empty() bool {
	return len(d.Gains) == 0 && len(d.Losses) == 0 && len(d.Pending) == 0 &&
		len(d.Relabels) == 0 && len(d.Overflows) == 0
}

// Plan computes the diff that brings current memberships in line with rules
// for all people: the reconciliation after a rule change, and the preview of
// one (compile the set with Set.With and plan; nothing changes).
//
// current is every membership of every pool (all sources, active and
// pending); pools are the pools in force now (the caller filters them with
// Pool.ValidAt and its clock); skuOf maps a membership's pool to its SKU,
// covering pools no longer in force (nil: look pools up).
//
// A grant takes the cheapest pool of its SKU (monthly price, then id) that
// its model allows and that has room: a named pool has room while its active
// holders, after this diff's losses, number fewer than seats plus overdraft;
// a concurrent pool registers without limit. A grant that fits nowhere is
// pending with ReasonPoolFull and counts towards the cheapest allowed pool's
// overflow. Seats go first to grants already pending (longest waiting
// first), then by user name.
func Plan(people []licensing.User, current []licensing.Member, rules *Set, pools []licensing.Pool, skuOf func(pool string) string) Diff {
	p := newPlanner(rules, pools, skuOf)
	for _, m := range current {
		if m.State != licensing.MemberPending {
			p.holders[m.Pool]++
		}
	}
	byUser := make(map[string][]licensing.Member, len(people))
	for _, m := range current {
		byUser[m.User] = append(byUser[m.User], m)
	}
	known := make(map[string]bool, len(people))
	for i := range people {
		u := &people[i]
		known[u.ID] = true
		p.person(u, byUser[u.ID])
	}
	for _, m := range current {
		if id, ok := p.managed(m.Source); ok && !known[m.User] {
			p.lose(m.User, m.UserName, p.sku(m.Pool), m, id, ReasonUnknownUser)
		}
	}
	return p.finish(nil)
}

// PlanPerson is Plan for one person, for reconciling on a SCIM create,
// update, group change or deactivation. mine are the person's memberships;
// held(pool) is the number of active holders the pool has now (all sources,
// the person included).
func PlanPerson(u licensing.User, mine []licensing.Member, rules *Set, pools []licensing.Pool, skuOf func(pool string) string, held func(pool string) int) Diff {
	p := newPlanner(rules, pools, skuOf)
	p.held = held
	touched := map[string]bool{}
	for _, m := range mine {
		touched[m.Pool] = true
		p.holdersOf(m.Pool)
	}
	p.person(&u, mine)
	return p.finish(touched)
}

type planner struct {
	rules   *Set
	skuOf   func(string) string
	byID    map[string]*licensing.Pool
	bySKU   map[string][]*licensing.Pool // cheapest first
	holders map[string]int
	held    func(string) int // nil in Plan, where holders is complete
	reqs    []request
	demand  map[string]int // pending grants per named pool
	diff    Diff
	scratch []Entitlement
}

type request struct {
	user  *licensing.User
	ent   Entitlement
	since time.Time
	// pending is the person's pending row for the SKU, if any (it points
	// into the caller's memberships, which outlive the plan).
	pending *licensing.Member
}

func newPlanner(rules *Set, pools []licensing.Pool, skuOf func(string) string) *planner {
	p := &planner{
		rules: rules, skuOf: skuOf,
		byID:    make(map[string]*licensing.Pool, len(pools)),
		bySKU:   map[string][]*licensing.Pool{},
		holders: map[string]int{},
		demand:  map[string]int{},
	}
	for i := range pools {
		pl := &pools[i]
		p.byID[pl.ID] = pl
		p.bySKU[pl.SKU] = append(p.bySKU[pl.SKU], pl)
	}
	for _, ps := range p.bySKU {
		slices.SortFunc(ps, func(a, b *licensing.Pool) int {
			if c := cmp.Compare(a.MonthlyPrice, b.MonthlyPrice); c != 0 {
				return c
			}
			return strings.Compare(a.ID, b.ID)
		})
	}
	return p
}

func (p *planner) sku(pool string) string {
	if p.skuOf != nil {
		if s := p.skuOf(pool); s != "" {
			return s
		}
	}
	if pl := p.byID[pool]; pl != nil {
		return pl.SKU
	}
	return ""
}

// managed is Managed, limited to rule sources unless the set manages
// SCIM-group seats.
func (p *planner) managed(source string) (string, bool) {
	if id, ok := RuleOf(source); ok {
		return id, true
	}
	if p.rules != nil && p.rules.managesGroups {
		if _, ok := GroupOf(source); ok {
			return source, true
		}
	}
	return "", false
}

func (p *planner) holdersOf(pool string) int {
	n, ok := p.holders[pool]
	if !ok && p.held != nil {
		n = p.held(pool)
		p.holders[pool] = n
	}
	return n
}

func (p *planner) lose(user, userName, sku string, m licensing.Member, rule, reason string) {
	if m.State != licensing.MemberPending {
		p.holders[m.Pool] = p.holdersOf(m.Pool) - 1
	}
	p.diff.Losses = append(p.diff.Losses, Change{User: user, UserName: userName, SKU: sku, Pool: m.Pool, Rule: rule, Reason: reason})
}

// person records one person's losses, relabels and seat requests.
func (p *planner) person(u *licensing.User, mine []licensing.Member) {
	var ents []Entitlement
	if p.rules != nil {
		p.scratch = p.rules.appendEntitlements(p.scratch[:0], u)
		ents = p.scratch
	}
	lossReason := ReasonNotEntitled
	switch {
	case u.Kind == licensing.KindService:
		lossReason = ReasonServiceAccount
	case !u.Active:
		lossReason = ReasonInactive
	}
	for _, m := range mine {
		id, ok := p.managed(m.Source)
		if !ok {
			continue
		}
		sku := p.sku(m.Pool)
		if !entitled(ents, sku) {
			p.lose(u.ID, u.UserName, sku, m, id, lossReason)
		}
	}
	for _, e := range ents {
		var pending *licensing.Member
		held := false
		for i := range mine {
			m := &mine[i]
			if p.sku(m.Pool) != e.SKU {
				continue
			}
			if m.State == licensing.MemberPending {
				if _, ok := p.managed(m.Source); ok {
					pending = m
				}
				continue
			}
			held = true
			if id, ok := p.managed(m.Source); ok && id != e.Rule {
				p.diff.Relabels = append(p.diff.Relabels, Change{User: u.ID, UserName: u.UserName, SKU: e.SKU, Pool: m.Pool, Rule: e.Rule, Reason: ReasonRuleChanged})
			}
		}
		if held {
			if pending != nil {
				id, _ := p.managed(pending.Source)
				p.lose(u.ID, u.UserName, e.SKU, *pending, id, ReasonAlreadyHeld)
			}
			continue
		}
		r := request{user: u, ent: e}
		if pending != nil {
			r.since, r.pending = pending.Since, pending
		}
		p.reqs = append(p.reqs, r)
	}
}

func entitled(ents []Entitlement, sku string) bool {
	for _, e := range ents {
		if e.SKU == sku {
			return true
		}
	}
	return false
}

// finish hands out seats, computes overflows (for the touched pools only,
// when given) and sorts the diff.
func (p *planner) finish(touched map[string]bool) Diff {
	slices.SortFunc(p.reqs, func(a, b request) int {
		if (a.pending != nil) != (b.pending != nil) {
			if a.pending != nil {
				return -1
			}
			return 1
		}
		if c := a.since.Compare(b.since); c != 0 {
			return c
		}
		return cmpChange(a.user.UserName, a.user.ID, a.ent.SKU, "", b.user.UserName, b.user.ID, b.ent.SKU, "")
	})
	for _, r := range p.reqs {
		c := Change{User: r.user.ID, UserName: r.user.UserName, SKU: r.ent.SKU, Rule: r.ent.Rule}
		var first *licensing.Pool
		var chosen *licensing.Pool
		for _, pl := range p.bySKU[r.ent.SKU] {
			if r.ent.Pool != "" && pl.ID != r.ent.Pool {
				continue
			}
			if r.ent.Model != "" && pl.Model != r.ent.Model {
				continue
			}
			if first == nil {
				first = pl
			}
			if pl.Model == licensing.ModelConcurrent || p.holdersOf(pl.ID) < pl.Capacity() {
				chosen = pl
				break
			}
		}
		switch {
		case chosen != nil:
			c.Pool = chosen.ID
			if r.pending != nil {
				c.Reason = ReasonSeatFreed
			}
			if chosen.Model == licensing.ModelNamed {
				p.holders[chosen.ID]++
			}
			p.diff.Gains = append(p.diff.Gains, c)
		case first == nil:
			c.Reason = ReasonNoPool
			p.diff.Pending = append(p.diff.Pending, c)
		default:
			c.Pool, c.Reason = first.ID, ReasonPoolFull
			if r.pending != nil && r.pending.Pool != first.ID {
				// The grant now waits on another pool (a group grant's, or
				// a cheaper one): the old pending row goes, so one person
				// never waits twice for one SKU.
				id, _ := p.managed(r.pending.Source)
				p.lose(r.user.ID, r.user.UserName, r.ent.SKU, *r.pending, id, ReasonPoolChanged)
			}
			p.demand[first.ID]++
			if touched != nil {
				touched[first.ID] = true
			}
			p.diff.Pending = append(p.diff.Pending, c)
		}
	}
	for id, pl := range p.byID {
		if pl.Model != licensing.ModelNamed || touched != nil && !touched[id] {
			continue
		}
		if short := p.holdersOf(id) + p.demand[id] - pl.Capacity(); short > 0 {
			p.diff.Overflows = append(p.diff.Overflows, Overflow{Pool: id, ShortBy: short})
		}
	}
	for _, l := range []*[]Change{&p.diff.Gains, &p.diff.Losses, &p.diff.Pending, &p.diff.Relabels} {
		slices.SortFunc(*l, func(a, b Change) int {
			return cmpChange(a.UserName, a.User, a.SKU, a.Pool, b.UserName, b.User, b.SKU, b.Pool)
		})
	}
	slices.SortFunc(p.diff.Overflows, func(a, b Overflow) int { return strings.Compare(a.Pool, b.Pool) })
	return p.diff
}

func cmpChange(aName, aUser, aSKU, aPool, bName, bUser, bSKU, bPool string) int {
	if c := strings.Compare(aName, bName); c != 0 {
		return c
	}
	if c := strings.Compare(aUser, bUser); c != 0 {
		return c
	}
	if c := strings.Compare(aSKU, bSKU); c != 0 {
		return c
	}
	return strings.Compare(aPool, bPool)
}
