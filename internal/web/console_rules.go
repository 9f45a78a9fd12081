package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/api"
	"github.com/seatkeeper/seatkeeper/internal/entitle"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/provision"
)

// The console's Rules & groups: the entitlement rules, with an editor whose
// change is previewed (who gains, who loses, which pools overflow) before
// it is applied; the pools given to SCIM groups; and the grants waiting for
// a seat, with why. Changes are the API's own routes (p.call).

// registerConsoleRules adds the Rules & groups pages.
func (p *Pages) registerConsoleRules(mux *http.ServeMux) {
	mux.HandleFunc("GET /admin/rules", p.consolePage(p.rulesPage))
	mux.HandleFunc("GET /admin/rules/new", p.consolePage(p.ruleNew))
	mux.HandleFunc("GET /admin/rules/{id}/edit", p.consolePage(p.ruleEdit))
	mux.HandleFunc("POST /admin/rules/preview", p.consolePage(p.rulePreview))
	mux.HandleFunc("POST /admin/rules/apply", p.consolePage(p.ruleApply))
	mux.HandleFunc("GET /admin/rules/{id}/delete", p.consolePage(p.ruleDeleteConfirm))
	mux.HandleFunc("POST /admin/rules/{id}/delete", p.consolePage(p.ruleDelete))
	mux.HandleFunc("GET /admin/rules/groups/confirm", p.consolePage(p.groupGrantConfirm))
	mux.HandleFunc("POST /admin/rules/groups", p.consolePage(p.groupGrantPut))
	mux.HandleFunc("POST /admin/rules/groups/remove", p.consolePage(p.groupGrantRemove))
}

// rulesDone are the messages the area's actions redirect with.
var rulesDone = map[string]string{
	"rule-created": "The rule was created and everyone was reconciled: its seats were granted (or wait for a free seat).",
	"rule-updated": "The rule was changed and everyone was reconciled.",
	"rule-deleted": "The rule was deleted and its seats revoked (seats another rule, a group or a hand grants stay).",
}

// pendingShown bounds the waiting grants the page lists.
const pendingShown = 200

// ruleRow is a rule as the list shows it.
type ruleRow struct {
	Rule         provision.RuleJSON
	When, Grants string
	Enabled      bool
}

// whenText says a rule's condition in words.
func whenText(w provision.WhenJSON) string {
	var parts []string
	for _, f := range []struct {
		name string
		vals []string
	}{{"job code", w.JobCode}, {"department", w.Department}, {"cost centre", w.CostCenter}, {"employee type", w.EmployeeType}, {"group", w.Group}} {
		if len(f.vals) > 0 {
			parts = append(parts, f.name+" is "+strings.Join(f.vals, " or "))
		}
	}
	return strings.Join(parts, ", and ")
}

// grantsText says what a rule grants.
func grantsText(gs []provision.GrantJSON) string {
	parts := make([]string, len(gs))
	for i, g := range gs {
		parts[i] = g.SKU
		if g.Model != "" {
			parts[i] += " (" + g.Model + " pools only)"
		}
	}
	return strings.Join(parts, ", ")
}

// pendingRow is a grant waiting for a seat (GET /api/v1/pending), with
// where the page links it.
type pendingRow struct {
	api.PendingGrant
	Link, From string
}

// sourceText says where a seat (or a waiting grant) comes from.
func sourceText(source string) string {
	if id, ok := entitle.RuleOf(source); ok {
		return "Rule " + id
	}
	if g, ok := entitle.GroupOf(source); ok {
		return "Group " + g
	}
	if source == licensing.SourceManual {
		return "Assigned by hand"
	}
	return source
}

// groupGrantRow is a pool given to a group.
type groupGrantRow struct {
	Pool, SKU, Group, GrantedBy string
	Since                       time.Time
	Remove                      string // its confirmation page
}

func groupGrantLink(pool, group, action string) string {
	return "/admin/rules/groups/confirm?" + url.Values{"pool": {pool}, "group": {group}, "action": {action}}.Encode()
}

func (p *Pages) rulesPage(w http.ResponseWriter, r *http.Request, c *consoleVisit) {
	data, err := p.rulesData(r, c)
	if err != nil {
		p.fail(w, r, c.v, err)
		return
	}
	data["Flash"] = consoleFlash(r, rulesDone)
	p.render(w, "console_rules.html", http.StatusOK, data)
}

// rulesData reads the rules, the group grants and the waiting grants, as
// the API answers them to the caller.
func (p *Pages) rulesData(r *http.Request, c *consoleVisit) (map[string]any, error) {
	ctx := r.Context()
	var rules struct {
		Rules []provision.RuleJSON `json:"rules"`
	}
	if err := p.call(ctx, c, http.MethodGet, "/api/v1/rules", nil, &rules); err != nil {
		return nil, err
	}
	rows := make([]ruleRow, len(rules.Rules))
	for i, rl := range rules.Rules {
		rows[i] = ruleRow{Rule: rl, When: whenText(rl.When), Grants: grantsText(rl.Grant), Enabled: rl.Enabled == nil || *rl.Enabled}
	}
	var pending struct {
		Pending []api.PendingGrant `json:"pending"`
		Pools   []struct {
			Pool    string `json:"pool"`
			Pending int    `json:"pending"`
		} `json:"pools"`
	}
	if err := p.call(ctx, c, http.MethodGet, "/api/v1/pending", nil, &pending); err != nil {
		return nil, err
	}
	waiting := make([]pendingRow, 0, min(len(pending.Pending), pendingShown))
	for _, pg := range pending.Pending[:min(len(pending.Pending), pendingShown)] {
		waiting = append(waiting, pendingRow{PendingGrant: pg, Link: personLink(pg.UserName), From: sourceText(pg.Source)})
	}
	if !c.can(api.PermRead) {
		return nil, licensing.Errorf(licensing.CodeForbidden, "reading group grants needs a console role")
	}
	grants, err := p.svc.Store.ListGroupGrants(ctx)
	if err != nil {
		return nil, err
	}
	ggs := make([]groupGrantRow, len(grants))
	for i, g := range grants {
		ggs[i] = groupGrantRow{Pool: g.Pool, SKU: g.SKU, Group: g.Group, GrantedBy: actorName(g.GrantedBy), Since: g.Since, Remove: groupGrantLink(g.Pool, g.Group, "remove")}
	}
	pools, err := p.svc.Store.ListPools(ctx)
	if err != nil {
		return nil, err
	}
	data := p.consoleData(c, "rules", "Rules & groups")
	data["Rules"], data["GroupGrants"], data["Pools"] = rows, ggs, pools
	data["Pending"], data["PendingTotal"], data["PendingPools"] = waiting, len(pending.Pending), pending.Pools
	data["PendingMore"] = len(pending.Pending) - len(waiting)
	return data, nil
}

// ruleForm is the rule editor as typed: one value a line per condition.
type ruleForm struct {
	ID, Priority                                  string
	Enabled                                       bool
	JobCode, Department, CostCenter, EmployeeType string
	Group                                         string
	Grants                                        map[string]string // SKU -> model ("" any)
	Version                                       int
	Update                                        bool // editing a stored rule
}

// ruleFormOf is the editor of a stored rule.
func ruleFormOf(rl provision.RuleJSON) ruleForm {
	f := ruleForm{ID: rl.ID, Priority: strconv.Itoa(rl.Priority), Enabled: rl.Enabled == nil || *rl.Enabled, Version: rl.Version, Update: true,
		JobCode: strings.Join(rl.When.JobCode, "\n"), Department: strings.Join(rl.When.Department, "\n"), CostCenter: strings.Join(rl.When.CostCenter, "\n"),
		EmployeeType: strings.Join(rl.When.EmployeeType, "\n"), Group: strings.Join(rl.When.Group, "\n"), Grants: map[string]string{}}
	for _, g := range rl.Grant {
		f.Grants[g.SKU] = g.Model
	}
	return f
}

// readRuleForm reads the editor (or the hidden copy the preview carries).
func readRuleForm(v url.Values) ruleForm {
	f := ruleForm{ID: strings.TrimSpace(v.Get("id")), Priority: strings.TrimSpace(v.Get("priority")), Enabled: v.Get("enabled") == "yes",
		JobCode: v.Get("job_code"), Department: v.Get("department"), CostCenter: v.Get("cost_center"), EmployeeType: v.Get("employee_type"),
		Group: v.Get("group"), Grants: map[string]string{}, Update: v.Get("mode") == "update"}
	f.Version, _ = strconv.Atoi(v.Get("version"))
	for _, sku := range v["grant"] {
		f.Grants[sku] = v.Get("model_" + sku)
	}
	return f
}

// conditionValues splits a condition's text into its values, one a line.
func conditionValues(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// body is the API's rule JSON (RuleInput). A priority that is no number is
// refused here with the API's code and field; the API checks the rest.
func (f ruleForm) body() (provision.RuleJSON, error) {
	prio := 0
	if f.Priority != "" {
		n, err := strconv.Atoi(f.Priority)
		if err != nil {
			return provision.RuleJSON{}, licensing.FieldErrorf(licensing.CodeInvalid, "priority", "priority must be a whole number")
		}
		prio = n
	}
	en := f.Enabled
	j := provision.RuleJSON{ID: f.ID, Priority: prio, Enabled: &en,
		When: provision.WhenJSON{JobCode: conditionValues(f.JobCode), Department: conditionValues(f.Department), CostCenter: conditionValues(f.CostCenter),
			EmployeeType: conditionValues(f.EmployeeType), Group: conditionValues(f.Group)},
		Grant: []provision.GrantJSON{}}
	if f.Update {
		j.Version = f.Version
	}
	for _, sku := range grantedSKUs(f.Grants) {
		j.Grant = append(j.Grant, provision.GrantJSON{SKU: sku, Model: f.Grants[sku]})
	}
	return j, nil
}

// hidden is the form again as hidden fields: what the preview's Apply
// (and its "change" button) carry, so the rule applied is the one shown.
func (f ruleForm) hidden() []ruleHidden {
	out := []ruleHidden{{"id", f.ID}, {"priority", f.Priority}, {"job_code", f.JobCode}, {"department", f.Department},
		{"cost_center", f.CostCenter}, {"employee_type", f.EmployeeType}, {"group", f.Group}, {"version", strconv.Itoa(f.Version)}}
	if f.Enabled {
		out = append(out, ruleHidden{"enabled", "yes"})
	}
	if f.Update {
		out = append(out, ruleHidden{"mode", "update"})
	}
	for _, sku := range grantedSKUs(f.Grants) {
		out = append(out, ruleHidden{"grant", sku}, ruleHidden{"model_" + sku, f.Grants[sku]})
	}
	return out
}

// ruleHidden is one hidden input.
type ruleHidden struct{ Name, Value string }

// grantedSKUs are the SKUs the form grants, sorted: one order for the
// body and the hidden copy.
func grantedSKUs(g map[string]string) []string {
	out := make([]string, 0, len(g))
	for k := range g {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
