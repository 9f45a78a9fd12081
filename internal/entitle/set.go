package entitle

import (
	"cmp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// Entitlement is one SKU a person should hold and the grantor that wins it:
// a rule id, or for a group grant its source "scim-group:NAME" (SourceOf
// turns either into the Member.Source to record).
type Entitlement struct {
	SKU         string
	Model       licensing.Model
	Rule        string
	RuleVersion int
	// Pool, when set, is the only pool the seat may come from (a group
	// grant names its pool).
	Pool string
}

// Set is a compiled, immutable set of enabled rules, safe for concurrent use.
//
// Whole-value conditions are inverted at compile time: each field maps a
// lower-cased value to the bitset of rules that accept it, so a person's
// values are looked up once per evaluation and each rule costs a few bit
// tests; job-code prefixes and globs are matched per rule.
type Set struct {
	rules    []Rule // as given, for With and Without
	compiled []compiled
	words    int
	// Value → rules accepting it, per whole-value field; job-code exact
	// values share the scheme.
	job, dept, cost, etype, group map[string][]uint64
	// Group grants (WithGroupGrants), keyed by exact group name;
	// managesGroups says whether SCIM-group seats are the planner's to
	// revoke.
	groupGrants   []GroupGrant
	byGroup       map[string][]GroupGrant
	managesGroups bool
}

type compiled struct {
	id       string
	version  int
	priority int
	grants   []Grant
	// has* say which fields constrain the rule.
	hasJob, hasDept, hasCost, hasEtype, hasGroup bool
	// patterns are the job-code prefixes and globs; exact job codes are in
	// Set.job.
	patterns []pattern
}

// Compile validates rules and compiles the enabled ones. Rule ids must be
// unique. The errors are those of Rule.Validate, or CodeConflict for a
// duplicate id.
func Compile(rules []Rule) (*Set, error) {
	s := &Set{rules: slices.Clone(rules)}
	seen := make(map[string]bool, len(rules))
	enabled := make([]*Rule, 0, len(rules))
	for i := range s.rules {
		r := &s.rules[i]
		if err := r.Validate(); err != nil {
			return nil, err
		}
		if seen[r.ID] {
			return nil, licensing.FieldErrorf(licensing.CodeConflict, "id", "rule %q is given twice", r.ID)
		}
		seen[r.ID] = true
		if r.Enabled {
			enabled = append(enabled, r)
		}
	}
	// Highest priority first, then lowest id: the first rule to grant a
	// SKU during evaluation is the winner.
	slices.SortFunc(enabled, func(a, b *Rule) int {
		if c := cmp.Compare(b.Priority, a.Priority); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	s.words = (len(enabled) + 63) / 64
	s.job, s.dept, s.cost = map[string][]uint64{}, map[string][]uint64{}, map[string][]uint64{}
	s.etype, s.group = map[string][]uint64{}, map[string][]uint64{}
	s.compiled = make([]compiled, len(enabled))
	for i, r := range enabled {
		c := compiled{
			id: r.ID, version: r.Version, priority: r.Priority, grants: slices.Clone(r.Grant),
			hasJob: len(r.When.JobCode) > 0, hasDept: len(r.When.Department) > 0,
			hasCost: len(r.When.CostCenter) > 0, hasEtype: len(r.When.EmployeeType) > 0,
			hasGroup: len(r.When.Group) > 0,
		}
		for _, v := range r.When.JobCode {
			p, _ := compilePattern(v) // validated above
			if p.kind == kindExact {
				s.add(s.job, p.lit, i)
			} else {
				c.patterns = append(c.patterns, p)
			}
		}
		for _, f := range []struct {
			m      map[string][]uint64
			values []string
		}{{s.dept, r.When.Department}, {s.cost, r.When.CostCenter}, {s.etype, r.When.EmployeeType}, {s.group, r.When.Group}} {
			for _, v := range f.values {
				s.add(f.m, strings.ToLower(v), i)
			}
		}
		s.compiled[i] = c
	}
	return s, nil
}

func (s *Set) add(m map[string][]uint64, key string, rule int) {
	b := m[key]
	if b == nil {
		b = make([]uint64, s.words)
		m[key] = b
	}
	b[rule/64] |= 1 << (rule % 64)
}

// Rules returns the rules the set was compiled from, disabled ones included.
func (s *Set) Rules() []Rule { return slices.Clone(s.rules) }

// Len is the number of enabled rules evaluated for each person.
func (s *Set) Len() int { return len(s.compiled) }

// With returns a new set in which r replaces the rule with its id, or is
// added: what a preview of a new or changed rule evaluates.
func (s *Set) With(r Rule) (*Set, error) {
	rules := make([]Rule, 0, len(s.rules)+1)
	for _, x := range s.rules {
		if x.ID != r.ID {
			rules = append(rules, x)
		}
	}
	next, err := Compile(append(rules, r))
	if err != nil {
		return nil, err
	}
	return s.carryGroups(next), nil
}

// Without returns a new set lacking the rule id: the preview of a deletion.
func (s *Set) Without(id string) *Set {
	rules := make([]Rule, 0, len(s.rules))
	for _, x := range s.rules {
		if x.ID != id {
			rules = append(rules, x)
		}
	}
	out, err := Compile(rules)
	if err != nil {
		panic("entitle: a subset of valid rules failed to compile: " + err.Error())
	}
	return s.carryGroups(out)
}

// lookup returns the rules accepting value v of one field, lower-casing v on
// the stack when it is short ASCII so that a miss allocates nothing.
func lookup(m map[string][]uint64, v string) []uint64 {
	if len(m) == 0 || v == "" {
		return nil
	}
	var buf [64]byte
	if len(v) <= len(buf) {
		ascii := true
		for i := 0; i < len(v); i++ {
			c := v[i]
			if c >= utf8.RuneSelf {
				ascii = false
				break
			}
			buf[i] = lower(c)
		}
		if ascii {
			return m[string(buf[:len(v)])]
		}
	}
	return m[strings.ToLower(v)]
}

func has(bits []uint64, i int) bool { return bits != nil && bits[i/64]&(1<<(i%64)) != 0 }

// Evaluate returns the SKUs u should hold under the set, sorted by SKU, each
// with its winning rule. Inactive people and service accounts get nothing.
// A person no rule matches costs no allocation.
func (s *Set) Evaluate(u licensing.User) []Entitlement {
	return s.appendEntitlements(nil, &u)
}

func (s *Set) appendEntitlements(out []Entitlement, u *licensing.User) []Entitlement {
	if !u.Active || u.Kind == licensing.KindService {
		return out
	}
	start := len(out)
	if len(s.byGroup) > 0 && len(u.Groups) > 0 {
		out = s.appendGroupEntitlements(out, u)
	}
	if len(s.compiled) == 0 {
		if len(out) > start+1 {
			slices.SortFunc(out[start:], func(a, b Entitlement) int { return strings.Compare(a.SKU, b.SKU) })
		}
		return out
	}
	job := foldInput(u.JobCode)
	jobBits := lookup(s.job, job)
	dept := lookup(s.dept, u.Department)
	cost := lookup(s.cost, u.CostCenter)
	etype := lookup(s.etype, u.EmployeeType)
	var groupStore [16][]uint64
	groups := groupStore[:0]
	if len(s.group) > 0 {
		for _, g := range u.Groups {
			if b := lookup(s.group, g); b != nil {
				groups = append(groups, b)
			}
		}
	}
	for i := range s.compiled {
		c := &s.compiled[i]
		if c.hasDept && !has(dept, i) || c.hasCost && !has(cost, i) || c.hasEtype && !has(etype, i) {
			continue
		}
		if c.hasGroup && !anyHas(groups, i) {
			continue
		}
		if c.hasJob && !has(jobBits, i) && !matchAny(c.patterns, job) {
			continue
		}
	grants:
		for _, g := range c.grants {
			for _, e := range out[start:] {
				if e.SKU == g.SKU {
					continue grants // a higher-ranked rule already won it
				}
			}
			out = append(out, Entitlement{SKU: g.SKU, Model: g.Model, Rule: c.id, RuleVersion: c.version})
		}
	}
	slices.SortFunc(out[start:], func(a, b Entitlement) int { return strings.Compare(a.SKU, b.SKU) })
	return out
}

func anyHas(groups [][]uint64, i int) bool {
	for _, b := range groups {
		if has(b, i) {
			return true
		}
	}
	return false
}

func matchAny(ps []pattern, job string) bool {
	if job == "" {
		return false
	}
	for i := range ps {
		if ps[i].match(job) {
			return true
		}
	}
	return false
}
