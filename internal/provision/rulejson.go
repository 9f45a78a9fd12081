package provision

import (
	"encoding/json"
	"fmt"

	"github.com/seatkeeper/seatkeeper/internal/entitle"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

// RuleJSON is a rule's JSON shape (DESIGN §5, POST /api/v1/rules), also the
// body stored in store.RuleRecord.
type RuleJSON struct {
	ID       string      `json:"id"`
	When     WhenJSON    `json:"when"`
	Grant    []GrantJSON `json:"grant"`
	Priority int         `json:"priority"`
	Enabled  *bool       `json:"enabled,omitempty"`
	Version  int         `json:"version,omitempty"`
}

// WhenJSON is a rule's condition.
type WhenJSON struct {
	JobCode      []string `json:"job_code,omitempty"`
	Department   []string `json:"department,omitempty"`
	CostCenter   []string `json:"cost_center,omitempty"`
	EmployeeType []string `json:"employee_type,omitempty"`
	Group        []string `json:"group,omitempty"`
}

// GrantJSON is one SKU a rule grants.
type GrantJSON struct {
	SKU   string `json:"sku"`
	Model string `json:"model,omitempty"`
}

// ParseRule decodes a rule body; a missing "enabled" means enabled. It does
// not validate (entitle.Rule.Validate does).
func ParseRule(body []byte) (entitle.Rule, error) {
	var j RuleJSON
	if err := json.Unmarshal(body, &j); err != nil {
		return entitle.Rule{}, licensing.FieldErrorf(licensing.CodeInvalid, "body", "the rule is not valid JSON: %v", err)
	}
	return j.Rule(), nil
}

// Rule converts the JSON shape to an entitle.Rule.
func (j RuleJSON) Rule() entitle.Rule {
	r := entitle.Rule{
		ID: j.ID, Version: j.Version, Priority: j.Priority, Enabled: j.Enabled == nil || *j.Enabled,
		When: entitle.Condition{JobCode: j.When.JobCode, Department: j.When.Department, CostCenter: j.When.CostCenter,
			EmployeeType: j.When.EmployeeType, Group: j.When.Group},
	}
	for _, g := range j.Grant {
		r.Grant = append(r.Grant, entitle.Grant{SKU: g.SKU, Model: licensing.Model(g.Model)})
	}
	return r
}

// ToJSON converts an entitle.Rule to its JSON shape.
func ToJSON(r entitle.Rule) RuleJSON {
	en := r.Enabled
	j := RuleJSON{ID: r.ID, Priority: r.Priority, Enabled: &en, Version: r.Version,
		When: WhenJSON{JobCode: r.When.JobCode, Department: r.When.Department, CostCenter: r.When.CostCenter,
			EmployeeType: r.When.EmployeeType, Group: r.When.Group},
		Grant: []GrantJSON{}}
	for _, g := range r.Grant {
		j.Grant = append(j.Grant, GrantJSON{SKU: g.SKU, Model: string(g.Model)})
	}
	return j
}

// FromRecord turns a stored rule into an entitle.Rule; the record's id,
// version, priority and enabled flag win over the body's.
func FromRecord(rec store.RuleRecord) (entitle.Rule, error) {
	r, err := ParseRule(rec.Body)
	if err != nil {
		return r, fmt.Errorf("rule %q: %w", rec.ID, err)
	}
	r.ID, r.Version, r.Priority, r.Enabled = rec.ID, rec.Version, rec.Priority, rec.Enabled
	return r, nil
}

// ToRecord turns an entitle.Rule into a record to store (version left to the
// store).
func ToRecord(r entitle.Rule) (store.RuleRecord, error) {
	j := ToJSON(r)
	j.Version, j.Enabled = 0, nil
	body, err := json.Marshal(j)
	if err != nil {
		return store.RuleRecord{}, err
	}
	return store.RuleRecord{ID: r.ID, Priority: r.Priority, Enabled: r.Enabled, Body: body}, nil
}
