// Package entitle holds entitlement rules — "when a person's attributes match,
// grant these SKUs" — their compiled evaluation and the planner that turns
// rules, people and pools into a diff of seats to grant, revoke or keep
// pending. It does no I/O: the store applies a Diff, the API previews one.
package entitle

import (
	"strings"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// Limits on a rule, so one rule cannot make evaluation slow.
const (
	MaxPriority         = 1000
	MaxPatternsPerField = 64
	MaxPatternLen       = 128
	MaxGrants           = 64
)

// SourcePrefix starts the Member.Source of every rule-sourced membership.
const SourcePrefix = "rule:"

// Source returns the Member.Source recorded for a seat granted by rule id.
func Source(ruleID string) string { return SourcePrefix + ruleID }

// RuleOf returns the rule id of a rule-sourced Member.Source; ok is false for
// manual and SCIM-group grants, which rules never touch.
func RuleOf(source string) (id string, ok bool) {
	id, ok = strings.CutPrefix(source, SourcePrefix)
	if !ok || id == "" {
		return "", false
	}
	return id, true
}

// Rule grants SKUs to the people its condition matches. Among the enabled
// rules that grant one SKU to a person, the highest Priority wins and a tie
// goes to the lowest ID, so the recorded reason is stable.
type Rule struct {
	ID       string
	Version  int
	Priority int
	When     Condition
	Grant    []Grant
	Enabled  bool
}

// Condition matches a person when every non-empty list matches one of the
// person's values (AND across fields, OR within a list). JobCode entries are
// patterns: exact ("ITSD-2"), prefix ("ITSD-*") or glob ("IT??-[12]", with
// path.Match syntax); every comparison ignores case. The other fields compare
// whole values, ignoring case; Group matches any of the person's groups.
type Condition struct {
	JobCode      []string
	Department   []string
	CostCenter   []string
	EmployeeType []string
	Group        []string
}

// Empty reports whether the condition has no list at all.
func (c *Condition) Empty() bool {
	return len(c.JobCode) == 0 && len(c.Department) == 0 && len(c.CostCenter) == 0 &&
		len(c.EmployeeType) == 0 && len(c.Group) == 0
}

// Grant is one SKU a rule grants. Model restricts the pools the seat may come
// from: named or concurrent pools only, or either ("") taking the cheapest
// pool with room.
type Grant struct {
	SKU   string
	Model licensing.Model
}

// Validate checks a rule on its own; whether its SKUs exist is the catalog's
// business. Errors are *licensing.Error with CodeInvalid and the JSON field
// at fault (as in POST /api/v1/rules).
func (r *Rule) Validate() error {
	if !licensing.ValidKey(r.ID) {
		return licensing.FieldErrorf(licensing.CodeInvalid, "id", "id must be 1-64 lowercase letters, digits, '.', '_' or '-'")
	}
	if r.Version < 0 {
		return licensing.FieldErrorf(licensing.CodeInvalid, "version", "version must not be negative")
	}
	if r.Priority < 0 || r.Priority > MaxPriority {
		return licensing.FieldErrorf(licensing.CodeInvalid, "priority", "priority must be between 0 and %d", MaxPriority)
	}
	if r.When.Empty() {
		return licensing.FieldErrorf(licensing.CodeInvalid, "when", "a rule needs at least one condition")
	}
	for _, f := range r.When.fields() {
		if len(f.values) > MaxPatternsPerField {
			return licensing.FieldErrorf(licensing.CodeInvalid, f.name, "at most %d values per condition", MaxPatternsPerField)
		}
		for _, v := range f.values {
			if strings.TrimSpace(v) == "" || len(v) > MaxPatternLen {
				return licensing.FieldErrorf(licensing.CodeInvalid, f.name, "values must be non-blank and at most %d bytes", MaxPatternLen)
			}
			if f.pattern {
				if _, err := compilePattern(v); err != nil {
					return licensing.FieldErrorf(licensing.CodeInvalid, f.name, "%q is not a valid pattern", v)
				}
			}
		}
	}
	if len(r.Grant) == 0 {
		return licensing.FieldErrorf(licensing.CodeInvalid, "grant", "a rule must grant at least one SKU")
	}
	if len(r.Grant) > MaxGrants {
		return licensing.FieldErrorf(licensing.CodeInvalid, "grant", "a rule grants at most %d SKUs", MaxGrants)
	}
	seen := make(map[string]bool, len(r.Grant))
	for _, g := range r.Grant {
		if !licensing.ValidKey(g.SKU) {
			return licensing.FieldErrorf(licensing.CodeInvalid, "grant.sku", "sku must be 1-64 lowercase letters, digits, '.', '_' or '-'")
		}
		if seen[g.SKU] {
			return licensing.FieldErrorf(licensing.CodeInvalid, "grant.sku", "sku %q is granted twice", g.SKU)
		}
		seen[g.SKU] = true
		switch g.Model {
		case "", licensing.ModelNamed, licensing.ModelConcurrent:
		default:
			return licensing.FieldErrorf(licensing.CodeInvalid, "grant.model", "model must be named, concurrent or empty")
		}
	}
	return nil
}

type conditionField struct {
	name    string
	values  []string
	pattern bool
}

func (c *Condition) fields() [5]conditionField {
	return [5]conditionField{
		{"when.job_code", c.JobCode, true},
		{"when.department", c.Department, false},
		{"when.cost_center", c.CostCenter, false},
		{"when.employee_type", c.EmployeeType, false},
		{"when.group", c.Group, false},
	}
}
