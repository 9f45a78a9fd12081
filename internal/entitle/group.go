package entitle

import (
	"slices"
	"strings"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// GroupPrefix starts the Member.Source of a seat held through a pool
// assigned to a SCIM group (group-based licensing, as Entra's group licence
// assignment).
const GroupPrefix = "scim-group:"

// GroupSource returns the Member.Source of a seat held through group name.
func GroupSource(name string) string { return GroupPrefix + name }

// GroupOf returns the group display name of a SCIM-group Member.Source.
func GroupOf(source string) (name string, ok bool) {
	name, ok = strings.CutPrefix(source, GroupPrefix)
	if !ok || name == "" {
		return "", false
	}
	return name, true
}

// SourceOf returns the Member.Source recorded for a change's grantor
// (Change.Rule, Entitlement.Rule): a rule id gives Source(id); a group
// grant's grantor is its whole source already, which no rule id can be
// mistaken for since rule ids cannot hold ':'.
func SourceOf(grantor string) string {
	if strings.HasPrefix(grantor, GroupPrefix) {
		return grantor
	}
	return Source(grantor)
}

// Managed returns the grantor of a membership the planner manages — a rule
// id for "rule:ID", the source itself for "scim-group:NAME" — and false for
// manual grants, which only an admin changes.
func Managed(source string) (grantor string, ok bool) {
	if id, ok := RuleOf(source); ok {
		return id, true
	}
	if _, ok := GroupOf(source); ok {
		return source, true
	}
	return "", false
}

// GroupGrant assigns a pool to a SCIM group: every active member of the
// group (by display name, as in licensing.User.Groups) should hold a seat of
// SKU from Pool, sourced GroupSource(Group). It behaves as an implicit rule
// that outranks every rule, because an admin naming a pool for a group is
// the more specific decision: new seats go to that pool and a kept seat is
// relabelled to the group.
type GroupGrant struct {
	Group string
	Pool  string
	SKU   string // the pool's SKU
}

// validate checks a group grant on its own.
func (g *GroupGrant) validate() error {
	if strings.TrimSpace(g.Group) == "" {
		return licensing.FieldErrorf(licensing.CodeInvalid, "group", "a group grant needs a group")
	}
	if !licensing.ValidKey(g.Pool) {
		return licensing.FieldErrorf(licensing.CodeInvalid, "pool", "pool must be 1-64 lowercase letters, digits, '.', '_' or '-'")
	}
	if !licensing.ValidKey(g.SKU) {
		return licensing.FieldErrorf(licensing.CodeInvalid, "sku", "sku must be 1-64 lowercase letters, digits, '.', '_' or '-'")
	}
	return nil
}

// WithGroupGrants returns a copy of s that also evaluates gs, replacing any
// group grants s had, and that manages SCIM-group memberships: planning with
// it revokes a "scim-group:" seat no grant or rule entitles any more. A set
// never given group grants (nil included in gs) leaves such seats alone, so
// callers that know nothing of groups cannot revoke them by accident.
func (s *Set) WithGroupGrants(gs []GroupGrant) (*Set, error) {
	out := *s
	out.groupGrants = make([]GroupGrant, len(gs))
	out.byGroup = make(map[string][]GroupGrant, len(gs))
	out.managesGroups = true
	for i, g := range gs {
		if err := g.validate(); err != nil {
			return nil, err
		}
		out.groupGrants[i] = g
		out.byGroup[g.Group] = append(out.byGroup[g.Group], g)
	}
	return &out, nil
}

// GroupGrants returns the group grants the set evaluates.
func (s *Set) GroupGrants() []GroupGrant { return slices.Clone(s.groupGrants) }

// carryGroups gives next (compiled from s's rules, changed) s's group grants.
func (s *Set) carryGroups(next *Set) *Set {
	next.groupGrants, next.byGroup, next.managesGroups = s.groupGrants, s.byGroup, s.managesGroups
	return next
}

// appendGroupEntitlements adds the entitlements u's groups grant, before any
// rule's, so they win their SKUs. Among several grants of one SKU the lowest
// (group, pool) wins, whatever the order of u.Groups, so the plan is stable.
// Group names match exactly: both sides come from the same groups table.
func (s *Set) appendGroupEntitlements(out []Entitlement, u *licensing.User) []Entitlement {
	start := len(out)
	for _, name := range u.Groups {
	grants:
		for _, g := range s.byGroup[name] {
			src := GroupSource(g.Group)
			for i := start; i < len(out); i++ {
				e := &out[i]
				if e.SKU != g.SKU {
					continue
				}
				if src < e.Rule || src == e.Rule && g.Pool < e.Pool {
					e.Rule, e.Pool = src, g.Pool
				}
				continue grants
			}
			out = append(out, Entitlement{SKU: g.SKU, Pool: g.Pool, Rule: src})
		}
	}
	return out
}
