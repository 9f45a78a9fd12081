package demo

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

// HistoryDays is how many days of history SeedHistory gives the company:
// the year before the day it runs.
const HistoryDays = 365

// Leavers is how many former employees the history holds: people who left
// during the year (deactivated by the identity provider, their seats
// revoked within seconds).
const Leavers = 6

// The demo pools the history fills (see Seed).
const (
	poolNamed    = "agents-named"
	poolFloating = "agents-floating"
	poolChange   = "change-named"
	poolAsset    = "asset-floating"
	poolStake    = "stakeholders"
)

// Seconds of the simulation clock.
const (
	minute = int64(60)
	hour   = 60 * minute
	day    = 24 * hour
)

// Pool timing as Seed configures it.
const (
	floatIdle   = 30 * minute // agents-floating: the default idle timeout
	floatLinger = 2 * minute
	assetIdle   = 15 * minute
	queueMax    = 20 // agents-floating's queue MaxLength
	contractMax = 3  // agents-floating's limit for contractors
)

// role is what a person of the demo does at work.
type role int

const (
	roleRequester role = iota
	roleNamed          // named desk agent (some with the change module)
	roleFloat          // floating desk agent
	roleAsset          // asset management: floating agent seat plus the asset module
	roleStake          // finance stakeholder reading reports
)

// hperson is one person as the history sees them, with the simulation's
// state.
type hperson struct {
	id, name   string
	role       role
	change     bool // holds a change-named seat
	eu         bool // desk-eu: may use the reserved seats
	contractor bool
	major      bool // major-incident: first in the queue
	heavy      bool // works on a floating seat most of the day
	partTime   bool
	never      bool  // holds a named seat and never uses it
	stop       int64 // no activity from then on (dormant, or left); 0: none
	leaver     bool
	vacation   []int // first days (index) of a week off

	// simulation
	fHeld, aHeld bool
	fEnd         int64
	waiting      bool
	lastUse      map[string]int64 // named pool -> last use
}

// hyear generates the year.
type hyear struct {
	rng        *rand.Rand
	start, end int64 // [start, end): whole UTC days
	now        int64
	busyFrom   int64 // the month of the migration project: more work, overdraft allowed
	busyTo     int64
	people     []*hperson
	h          store.History
	float      *fpool
	asset      *fpool
	events     evheap
	seq        int
}

// SeedHistory gives the seeded company a year of history before now: a
// working-day curve (a morning peak about 10:00, a smaller one after lunch,
// Mondays and month ends busier, no work on weekends and public holidays),
// heavy and light users, refusals when agents-floating is full (most met by
// a queue place within minutes, some not), a migration month that needs the
// overdraft seat, named holders' sessions with some seats gone dormant and a
// couple never used, and leavers deactivated by the identity provider.
// Leases are simulated seat by seat, so no pool ever holds more than its
// seats (plus overdraft) and nobody two leases of a pool at once. It then
// rolls the closed days up so the reports read them at once.
func SeedHistory(ctx context.Context, st *store.Store, now time.Time, rng *rand.Rand) error {
	y := &hyear{rng: rng, now: now.Unix()}
	y.end = dayStart(now.Unix())
	y.start = y.end - HistoryDays*day
	// The migration month: the calendar month four months back.
	m := time.Unix(y.end, 0).UTC().AddDate(0, -4, 0)
	busy := time.Date(m.Year(), m.Month(), 1, 0, 0, 0, 0, time.UTC)
	y.busyFrom, y.busyTo = busy.Unix(), busy.AddDate(0, 1, 0).Unix()
	if err := y.cast(ctx, st); err != nil {
		return err
	}
	y.float = &fpool{id: poolFloating}
	for range 2 {
		y.float.slots = append(y.float.slots, fslot{reserved: true, holder: -1})
	}
	for range 8 {
		y.float.slots = append(y.float.slots, fslot{holder: -1})
	}
	y.float.slots = append(y.float.slots, fslot{overdraft: true, holder: -1})
	y.asset = &fpool{id: poolAsset}
	for range 5 {
		y.asset.slots = append(y.asset.slots, fslot{holder: -1})
	}
	for d := y.start; d < y.end; d += day {
		y.day(d)
	}
	y.drain(math.MaxInt64)
	if err := y.members(ctx, st); err != nil {
		return err
	}
	if err := st.SeedHistory(ctx, y.h); err != nil {
		return fmt.Errorf("demo history: %w", err)
	}
	if _, err := st.RollupUsage(ctx); err != nil {
		return fmt.Errorf("demo history: rollup: %w", err)
	}
	return nil
}

func dayStart(t int64) int64 { return t - ((t%day)+day)%day }

func at(t int64) time.Time { return time.Unix(t, 0).UTC() }

// cast reads the company's people, gives them their habits and adds the
// leavers.
func (y *hyear) cast(ctx context.Context, st *store.Store) error {
	users, err := st.ListUsers(ctx, store.UserFilter{Limit: 100000})
	if err != nil {
		return err
	}
	byIndex := map[int]licensing.User{}
	for _, u := range users {
		if u.Kind != licensing.KindPerson || !strings.HasPrefix(u.EmployeeID, "E") {
			continue
		}
		n, err := strconv.Atoi(u.EmployeeID[1:])
		if err != nil || n < 10000 || n >= 10000+People {
			continue
		}
		byIndex[n-10000] = u
	}
	for i := range People {
		u, ok := byIndex[i]
		if !ok {
			return fmt.Errorf("demo history: person %d is missing", i)
		}
		p := y.person(u, i)
		y.people = append(y.people, p)
	}
	y.habits()
	return y.leavers(ctx, st)
}

// habits picks who works how.
func (y *hyear) habits() {
	// Three full-timers on floating seats: two of the EU desk (on its
	// reserved seats) and one more.
	eu, other := 0, 0
	for _, p := range y.people {
		switch {
		case p.role != roleFloat || p.contractor:
		case p.eu && eu < 2:
			p.heavy, eu = true, eu+1
		case !p.eu && other < 1:
			p.heavy, other = true, other+1
		}
	}
	// Named seats that went quiet 45-120 days ago, and two never used.
	for k, i := range []int{27, 28, 29} {
		y.people[i].stop = y.end - int64(50+32*k+y.rng.IntN(6))*day
	}
	y.people[33].never, y.people[34].never = true, true
	y.people[111].stop = y.end - int64(70+y.rng.IntN(10))*day // a stakeholder who stopped reading
	y.people[112].never = true
}

func (y *hyear) person(u licensing.User, i int) *hperson {
	p := &hperson{id: u.ID, name: u.UserName, lastUse: map[string]int64{}}
	for _, g := range u.Groups {
		switch g {
		case "desk-eu":
			p.eu = true
		case "contractors":
			p.contractor = true
		case "major-incident":
			p.major = true
		}
	}
	switch {
	case i < 0: // a leaver: the caller says what they did
	case i < 35:
		p.role, p.change, p.partTime = roleNamed, i < 12, i%7 == 3
	case i < 85:
		p.role = roleFloat
	case i < 105:
		p.role = roleAsset
	case i < 113:
		p.role = roleStake
	}
	// A week off in summer and one more at random.
	july := time.Date(at(y.start).Year(), 7, 1, 0, 0, 0, 0, time.UTC)
	if july.Unix() < y.start-30*day {
		july = july.AddDate(1, 0, 0)
	}
	summer := int((july.Unix() - y.start) / day)
	p.vacation = []int{summer + y.rng.IntN(56), 10 + y.rng.IntN(HistoryDays-20)}
	return p
}

// leaver is a former employee of the demo.
type leaver struct {
	name, display, job, dept string
	groups                   []string
	role                     role
	daysAgo                  int
}

var leavers = []leaver{
	{"harriet.quist@example.com", "Harriet Quist", "ITSD-1", "IT", []string{"desk-eu"}, roleFloat, 205},
	{"ivo.brandt@example.com", "Ivo Brandt", "ITSD-2", "IT", []string{"desk-us"}, roleFloat, 45},
	{"june.ferreira@example.com", "June Ferreira", "ITSD-2", "IT", []string{"desk-apac"}, roleNamed, 150},
	{"kasper.lind@example.com", "Kasper Lind", "ITAM-1", "IT", []string{"asset-team"}, roleAsset, 95},
	{"lena.marsh@example.com", "Lena Marsh", "SAL-2", "Sales", []string{"staff"}, roleRequester, 300},
	{"milo.achebe@example.com", "Milo Achebe", "OPE-1", "Operations", []string{"staff"}, roleRequester, 20},
}

// leavers creates the year's leavers (inactive now) and their
// deactivation: the identity provider's call, every seat revoked seconds
// later, and a refused sign-in or two afterwards.
func (y *hyear) leavers(ctx context.Context, st *store.Store) error {
	for k, l := range leavers {
		u, err := st.CreateUser(ctx, actor, licensing.User{UserName: l.name, Email: l.name, DisplayName: l.display, EmployeeID: fmt.Sprintf("E%05d", 18000+k),
			ExternalID: fmt.Sprintf("00u%08x", 0x1ea0000+k), JobCode: l.job, Department: l.dept, CostCenter: "CC-410", EmployeeType: "employee",
			Groups: l.groups, Kind: licensing.KindPerson, Active: false})
		if err != nil {
			return fmt.Errorf("demo leaver %s: %w", l.name, err)
		}
		p := y.person(u, -1)
		p.role, p.leaver = l.role, true
		left := y.end - int64(l.daysAgo)*day + 16*hour + int64(y.rng.IntN(120))*minute
		p.stop = left
		y.people = append(y.people, p)
		done := left + 1 + int64(y.rng.IntN(6))
		y.h.Provisioning = append(y.h.Provisioning, store.HistProvisioning{User: u.ID, Kind: "deactivate", Received: at(left),
			Completed: at(left).Add(time.Duration(300+y.rng.IntN(700)) * time.Millisecond).Add(time.Duration(done-left) * time.Second)})
		revoked := y.h.Provisioning[len(y.h.Provisioning)-1].Completed
		since := at(y.start - int64(30+y.rng.IntN(200))*day)
		var pools []string
		switch l.role {
		case roleFloat:
			pools = []string{poolFloating}
		case roleNamed:
			pools = []string{poolNamed}
		case roleAsset:
			pools = []string{poolFloating, poolAsset}
		}
		for _, pool := range pools {
			y.h.EndedMembers = append(y.h.EndedMembers, store.HistEndedMember{Pool: pool, User: u.ID, GrantedBy: "demo", Since: since, Revoked: revoked,
				RevokedBy: "scim", Reason: "deactivated"})
		}
		if try := left + int64(1+y.rng.IntN(2))*day - 7*hour + int64(y.rng.IntN(60))*minute; try < y.end {
			y.h.Denials = append(y.h.Denials, store.HistDenial{At: at(try), User: u.ID, Capability: "ticket.view", Reason: licensing.CodeInactive, Actor: l.name})
		}
	}
	return nil
}

// Working days.

// easter is Easter Sunday of year (the anonymous Gregorian algorithm).
func easter(year int) time.Time {
	a, b, c := year%19, year/100, year%100
	d, e := b/4, b%4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i, k := c/4, c%4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	month := (h + l - 7*m + 114) / 31
	dd := (h+l-7*m+114)%31 + 1
	return time.Date(year, time.Month(month), dd, 0, 0, 0, 0, time.UTC)
}

// Holiday reports whether t's UTC day is one of the demo company's public
// holidays: New Year, Good Friday, Easter Monday, Labour Day, Christmas and
// Boxing Day.
func Holiday(t time.Time) bool {
	t = t.UTC()
	switch m, d := t.Month(), t.Day(); {
	case m == time.January && d == 1, m == time.May && d == 1, m == time.December && (d == 25 || d == 26):
		return true
	}
	e := easter(t.Year())
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return d.Equal(e.AddDate(0, 0, -2)) || d.Equal(e.AddDate(0, 0, 1))
}

// WorkingDay reports whether the demo company works on t's UTC day.
func WorkingDay(t time.Time) bool {
	wd := t.UTC().Weekday()
	return wd != time.Saturday && wd != time.Sunday && !Holiday(t)
}

// monthEnd reports whether d is one of the last two working days of its
// month.
func monthEnd(d int64) bool {
	t := at(d)
	n := 0
	for x := t.AddDate(0, 0, 1); x.Month() == t.Month(); x = x.AddDate(0, 0, 1) {
		if WorkingDay(x) {
			n++
		}
	}
	return n < 2
}

// Random shapes.

func (y *hyear) normal(mean, sd float64) float64 { return mean + sd*y.rng.NormFloat64() }

func (y *hyear) poisson(lambda float64) int {
	l, k, p := math.Exp(-lambda), 0, 1.0
	for {
		p *= y.rng.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

// clock is a time of day (seconds after midnight) drawn around mean hours.
func (y *hyear) clock(mean, sdMinutes float64) int64 {
	return int64(y.normal(mean*3600, sdMinutes*60))
}

// arrival draws when a short piece of desk work starts: mostly around
// 10:00, less after lunch, a little at any time of the working day.
func (y *hyear) arrival() int64 {
	var s float64
	switch r := y.rng.Float64(); {
	case r < 0.55:
		s = y.normal(10*3600, 65*60)
	case r < 0.90:
		s = y.normal(14.5*3600, 65*60)
	default:
		s = 8*3600 + y.rng.Float64()*10*3600
	}
	return int64(min(max(s, 7.5*3600), 18.75*3600))
}

// workLength draws a short spell of work (median 14 minutes).
func (y *hyear) workLength() int64 {
	m := math.Exp(y.normal(math.Log(14), 0.7))
	return int64(min(max(m, 3), 150) * 60)
}

func (p *hperson) away(y *hyear, d int64) bool {
	if p.stop != 0 && d >= dayStart(p.stop) {
		return true
	}
	n := int((d - y.start) / day)
	for _, v := range p.vacation {
		if n >= v && n < v+7 {
			return true
		}
	}
	return false
}

// day generates one day's work and runs the floating pools through it.
func (y *hyear) day(d int64) {
	t := at(d)
	working := WorkingDay(t)
	factor := [...]float64{time.Monday: 1.25, time.Tuesday: 1.05, time.Wednesday: 1, time.Thursday: 0.95, time.Friday: 0.8}[min(t.Weekday(), time.Friday)]
	if monthEnd(d) {
		factor *= 1.3
	}
	if d >= y.busyFrom && d < y.busyTo {
		factor *= 1.45
	}
	for i, p := range y.people {
		if p.never || p.away(y, d) {
			continue
		}
		switch {
		case !working:
			// A named agent on call every Saturday, in turn.
			if p.role == roleNamed && t.Weekday() == time.Saturday && !Holiday(t) && int(d/day)%35 == i%35 {
				if last, ok := y.session(p, d+y.clock(9.5, 20), 4*hour, true); ok {
					p.lastUse[poolNamed] = max(p.lastUse[poolNamed], last)
				}
			}
		case p.role == roleNamed:
			if y.rng.Float64() < 0.9 {
				y.namedDay(p, d)
			}
			if y.rng.Float64() < 0.04 && !p.change {
				y.deny(p, d+y.arrival(), "", "change.approve", licensing.CodeModuleMissing)
			}
		case p.role == roleFloat && p.heavy:
			if y.rng.Float64() < 0.92 {
				in, lunch := d+y.clock(8.4, 15), d+y.clock(12.25, 15)
				back, out := lunch+int64(30+y.rng.IntN(31))*minute, d+y.clock(17.25, 25)
				y.push(event{at: in, kind: evArrive, person: i, active: lunch - in, logout: true})
				y.push(event{at: back, kind: evArrive, person: i, active: out - back, logout: y.rng.Float64() < 0.8})
			}
		case p.role == roleFloat || p.role == roleAsset:
			// Asset staff work longer spells, mostly on the asset module.
			lambda, length := 0.44, int64(1)
			if p.role == roleAsset {
				lambda, length = 0.75, 3
			}
			for range y.poisson(lambda * factor) {
				y.push(event{at: d + y.arrival(), kind: evArrive, person: i, active: length * y.workLength(), logout: y.rng.Float64() < 0.85})
			}
		case p.role == roleStake:
			if (monthEnd(d) && y.rng.Float64() < 0.7) || (t.Weekday() == time.Monday && y.rng.Float64() < 0.25) {
				if last, ok := y.session(p, d+y.clock(11, 120), int64(10+y.rng.IntN(30))*minute, true); ok {
					p.lastUse[poolStake] = max(p.lastUse[poolStake], last)
				}
			}
		case p.role == roleRequester && !p.leaver:
			if y.rng.Float64() < 0.0015 {
				y.deny(p, d+y.arrival(), "", "ticket.transition", licensing.CodeNoLicence)
			}
		}
	}
	y.drain(d + day)
}

// namedDay is a named agent's day: two sessions around lunch (mornings
// only for part-timers), change approvals on Tuesdays for the CAB.
func (y *hyear) namedDay(p *hperson, d int64) {
	in, lunch := d+y.clock(8.6, 25), d+y.clock(12.3, 20)
	last, ok := y.session(p, in, lunch-in, true)
	if !p.partTime {
		back := lunch + int64(30+y.rng.IntN(31))*minute
		out := d + y.clock(17.2, 30)
		if l, k := y.session(p, back, out-back, y.rng.Float64() < 0.85); k {
			last, ok = l, true
		}
	}
	if !ok {
		return
	}
	p.lastUse[poolNamed] = max(p.lastUse[poolNamed], last)
	if p.change && at(d).Weekday() == time.Tuesday {
		p.lastUse[poolChange] = max(p.lastUse[poolChange], min(last, d+11*hour+int64(y.rng.IntN(90))*minute))
	}
}

// session records a session of active seconds (one not logged out ends at
// the idle timeout) and returns when it was last seen.
func (y *hyear) session(p *hperson, start, active int64, logout bool) (int64, bool) {
	active = max(active, 10*minute)
	last, end, reason := start+active, start+active, licensing.EndLogout
	if !logout {
		end, reason = last+floatIdle, licensing.EndIdleTimeout
	}
	if end >= y.now || (p.stop != 0 && end >= p.stop) {
		return 0, false
	}
	y.h.Sessions = append(y.h.Sessions, store.HistSession{User: p.id, Start: at(start), LastSeen: at(last), End: at(end), Reason: reason, Source: "web"})
	return last, true
}

func (y *hyear) deny(p *hperson, t int64, pool, capability, reason string) {
	if t >= y.now {
		return
	}
	y.h.Denials = append(y.h.Denials, store.HistDenial{At: at(t), User: p.id, Pool: pool, Capability: capability, Reason: reason, Actor: p.name})
}

// The floating pools, seat by seat.

type fslot struct {
	reserved, overdraft bool // reserved for desk-eu
	holder              int  // person, -1 free
}

type waiter struct {
	person          int
	joined, patient int64 // joined, and the last moment they still wait
	active          int64
	logout          bool
}

type fpool struct {
	id      string
	slots   []fslot
	waiting []waiter // the queue (agents-floating only)
}

// Event kinds, in the order they run at one instant: a seat freed is
// offered before anyone new asks.
const (
	evRelease = iota
	evGiveUp
	evAsset
	evArrive
)

type event struct {
	at     int64
	kind   int
	seq    int
	person int
	pool   *fpool
	slot   int
	active int64 // seconds of work
	logout bool
	tries  int
}

type evheap []event

func (h evheap) less(i, j int) bool {
	a, b := h[i], h[j]
	if a.at != b.at {
		return a.at < b.at
	}
	if a.kind != b.kind {
		return a.kind < b.kind
	}
	return a.seq < b.seq
}

func (y *hyear) push(e event) {
	y.seq++
	e.seq = y.seq
	h := append(y.events, e)
	for i := len(h) - 1; i > 0; {
		p := (i - 1) / 2
		if !h.less(i, p) {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
	y.events = h
}

func (y *hyear) pop() event {
	h := y.events
	top := h[0]
	n := len(h) - 1
	h[0] = h[n]
	h = h[:n]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < n && h.less(l, m) {
			m = l
		}
		if r < n && h.less(r, m) {
			m = r
		}
		if m == i {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	y.events = h
	return top
}

// drain runs every event before until.
func (y *hyear) drain(until int64) {
	for len(y.events) > 0 && y.events[0].at < until {
		e := y.pop()
		switch e.kind {
		case evRelease:
			y.release(e)
		case evGiveUp:
			y.giveUp(e)
		case evAsset:
			y.assetWork(e)
		case evArrive:
			y.arrive(e)
		}
	}
}

// overdraftOn: the vendor agreed the overdraft seat for the migration month
// only; the rest of the year the desk stays within its ten seats.
func (y *hyear) overdraftOn(t int64) bool { return t >= y.busyFrom && t < y.busyTo }

// freeSlot finds the seat a checkout would give person p at t: a seat
// reserved for their group first, then an open one, overdraft last.
func (y *hyear) freeSlot(fp *fpool, p *hperson, t int64) int {
	best := -1
	rank := func(s fslot) int {
		switch {
		case s.overdraft:
			return 2
		case s.reserved:
			return 0
		}
		return 1
	}
	for k, s := range fp.slots {
		if s.holder >= 0 || (s.reserved && !p.eu) || (s.overdraft && !y.overdraftOn(t)) {
			continue
		}
		if best < 0 || rank(s) < rank(fp.slots[best]) {
			best = k
		}
	}
	return best
}

func (y *hyear) contractorsHeld(fp *fpool) int {
	n := 0
	for _, s := range fp.slots {
		if s.holder >= 0 && y.people[s.holder].contractor {
			n++
		}
	}
	return n
}

func (y *hyear) eligible(fp *fpool, p *hperson, slot int, t int64) bool {
	s := fp.slots[slot]
	if s.holder >= 0 || (s.reserved && !p.eu) || (s.overdraft && !y.overdraftOn(t)) {
		return false
	}
	return fp != y.float || !p.contractor || y.contractorsHeld(fp) < contractMax
}

// seat gives person i slot k of fp at t for active seconds of work.
func (y *hyear) seat(fp *fpool, k, i int, t, active int64, logout bool) {
	p := y.people[i]
	idle, linger := floatIdle, floatLinger
	active = max(active, 2*minute)
	if fp == y.asset {
		idle, linger = assetIdle, 0
		active = max(p.fEnd-30-t, minute) // until the agent seat goes
	}
	last := t + active
	end, reason := last+linger, licensing.EndLogout
	if !logout {
		end, reason = last+idle, licensing.EndIdleTimeout
	}
	if p.leaver && end > p.stop {
		// The deactivation ends the lease at once.
		end, reason, logout = p.stop, licensing.EndInactive, false
		last = min(last, end)
	}
	if end >= y.now {
		end = y.now - 1
		last = min(last, end)
	}
	fp.slots[k].holder = i
	l := store.HistLease{Pool: fp.id, User: p.id, Start: at(t), LastActive: at(last), End: at(end), Reason: reason}
	if logout {
		l.Logout = at(last)
	}
	y.h.Leases = append(y.h.Leases, l)
	y.push(event{at: end, kind: evRelease, pool: fp, slot: k, person: i})
	if fp == y.float {
		p.fHeld, p.fEnd = true, end
		y.h.Sessions = append(y.h.Sessions, store.HistSession{User: p.id, Start: at(t), LastSeen: at(last), End: at(max(end-linger, last)), Reason: reason, Source: "web"})
		if p.role == roleAsset && y.rng.Float64() < 0.85 {
			// The module for the rest of the spell.
			y.push(event{at: t + int64(60+y.rng.IntN(180)), kind: evAsset, person: i, logout: true})
		}
	} else {
		p.aHeld = true
	}
}

func (y *hyear) arrive(e event) {
	p := y.people[e.person]
	if p.fHeld || p.waiting || (p.stop != 0 && e.at >= p.stop-hour) || e.at >= y.now-hour {
		return // still on the seat (the lease is reused), queued, or gone
	}
	fp := y.float
	if k := y.freeSlot(fp, p, e.at); k >= 0 && y.eligible(fp, p, k, e.at) {
		y.seat(fp, k, e.person, e.at, e.active, e.logout)
		return
	}
	y.deny(p, e.at, fp.id, "", licensing.CodeMaxedOut)
	if len(fp.waiting) >= queueMax {
		return
	}
	// Most wait their turn; a few give up after a minute or two.
	patience := int64(15+y.rng.IntN(30)) * minute
	if y.rng.Float64() < 0.12 {
		patience = int64(1+y.rng.IntN(4)) * minute
	}
	p.waiting = true
	w := waiter{person: e.person, joined: e.at, patient: e.at + patience, active: e.active, logout: e.logout}
	fp.waiting = append(fp.waiting, w)
	// The queue's order: major-incident people first, then by arrival.
	slices.SortStableFunc(fp.waiting, func(a, b waiter) int {
		pa, pb := y.people[a.person].major, y.people[b.person].major
		if pa != pb {
			if pa {
				return -1
			}
			return 1
		}
		return int(a.joined - b.joined)
	})
	y.push(event{at: w.patient, kind: evGiveUp, person: e.person})
}

func (y *hyear) release(e event) {
	fp, p := e.pool, y.people[e.person]
	fp.slots[e.slot].holder = -1
	if fp == y.asset {
		p.aHeld = false
		return
	}
	p.fHeld = false
	if e.at >= y.now-hour {
		return
	}
	// Offer the seat in queue order to the first who may take it.
	for j, w := range fp.waiting {
		q := y.people[w.person]
		if w.patient < e.at || (q.stop != 0 && e.at >= q.stop-hour) || !y.eligible(fp, q, e.slot, e.at) {
			continue
		}
		fp.waiting = slices.Delete(fp.waiting, j, j+1)
		q.waiting = false
		start := e.at + int64(5+y.rng.IntN(40))
		y.h.Queue = append(y.h.Queue, store.HistQueue{Pool: fp.id, User: q.id, Joined: at(w.joined), Left: at(start), Seated: true})
		fp.slots[e.slot].holder = w.person // held for the offer until it is taken
		y.seat(fp, e.slot, w.person, start, w.active, w.logout)
		return
	}
}

func (y *hyear) giveUp(e event) {
	fp, p := y.float, y.people[e.person]
	for j, w := range fp.waiting {
		if w.person == e.person && w.patient == e.at {
			fp.waiting = slices.Delete(fp.waiting, j, j+1)
			p.waiting = false
			y.h.Queue = append(y.h.Queue, store.HistQueue{Pool: fp.id, User: p.id, Joined: at(w.joined), Left: at(e.at), Seated: false})
			return
		}
	}
}

// assetWork is an asset person's module work inside their agent spell;
// when the five asset seats are held they try again a few minutes later,
// twice at most.
func (y *hyear) assetWork(e event) {
	p := y.people[e.person]
	if !p.fHeld || p.aHeld || e.at >= p.fEnd-2*minute {
		return
	}
	for k, s := range y.asset.slots {
		if s.holder < 0 {
			y.seat(y.asset, k, e.person, e.at, e.active, e.logout)
			return
		}
	}
	y.deny(p, e.at, poolAsset, "asset.update", licensing.CodeMaxedOut)
	if e.tries < 2 {
		e.at += int64(3+y.rng.IntN(6)) * minute
		e.tries++
		y.push(e)
	}
}

// members backdates every current seat to before the year began and
// records the named seats' last use.
func (y *hyear) members(ctx context.Context, st *store.Store) error {
	byID := map[string]*hperson{}
	for _, p := range y.people {
		byID[p.id] = p
	}
	for _, pool := range []string{poolNamed, poolFloating, poolChange, poolAsset, poolStake} {
		ms, err := st.ListMembers(ctx, pool)
		if err != nil {
			return err
		}
		for _, m := range ms {
			p := byID[m.User]
			if p == nil {
				continue
			}
			hm := store.HistMember{Pool: pool, User: m.User, Since: at(y.start - int64(1+y.rng.IntN(40))*day - int64(y.rng.IntN(8))*hour)}
			if v := p.lastUse[pool]; v > 0 {
				hm.LastUsed = at(v)
			}
			y.h.Members = append(y.h.Members, hm)
		}
	}
	// The leavers' named seats were used until they left.
	for i := range y.h.EndedMembers {
		em := &y.h.EndedMembers[i]
		if v := byID[em.User].lastUse[em.Pool]; v > 0 && !at(v).Before(em.Since) && !at(v).After(em.Revoked) {
			em.LastUsed = at(v)
		}
	}
	return nil
}
