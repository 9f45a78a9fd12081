package web

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/seatkeeper/seatkeeper/internal/api"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/plural"
	"github.com/seatkeeper/seatkeeper/internal/provision"
)

// The rule editor: the form posts to a preview (POST /api/v1/rules/preview:
// who gains, who loses, who waits, which pools overflow; nothing changes),
// which shows the change with an Apply button carrying the same rule; Apply
// creates or replaces it (POST or PUT /api/v1/rules), and the API
// reconciles everyone.

// changesShown bounds each list of a preview; the counts are whole.
const changesShown = 200

// skuChoice is one SKU in the editor's grant list.
type skuChoice struct {
	Key, Name, Tier string
	Granted         bool
	Model           string
}

// ruleEditor is what the editor shows.
type ruleEditor struct {
	Form ruleForm
	SKUs []skuChoice
}

func (p *Pages) renderRuleEditor(w http.ResponseWriter, r *http.Request, c *consoleVisit, status int, f ruleForm, fl *flash, bad string) {
	skus, err := p.svc.Store.ListSKUs(r.Context())
	if err != nil {
		p.fail(w, r, c.v, err)
		return
	}
	ed := ruleEditor{Form: f}
	for _, k := range skus {
		m, granted := f.Grants[k.Key]
		ed.SKUs = append(ed.SKUs, skuChoice{Key: k.Key, Name: k.Name, Tier: string(k.Tier), Granted: granted, Model: m})
	}
	title := "New rule"
	if f.Update {
		title = "Change rule " + f.ID
	}
	data := p.consoleData(c, "rules", title)
	data["Editor"], data["Flash"], data["Bad"] = ed, fl, bad
	p.render(w, "console_rules_edit.html", status, data)
}

func (p *Pages) ruleNew(w http.ResponseWriter, r *http.Request, c *consoleVisit) {
	p.renderRuleEditor(w, r, c, http.StatusOK, ruleForm{Enabled: true, Priority: "0", Grants: map[string]string{}}, nil, "")
}

// storedRule reads a rule as the API answers it.
func (p *Pages) storedRule(r *http.Request, c *consoleVisit, id string) (provision.RuleJSON, error) {
	var rl provision.RuleJSON
	err := p.call(r.Context(), c, http.MethodGet, "/api/v1/rules/"+url.PathEscape(id), nil, &rl)
	return rl, err
}

func (p *Pages) ruleEdit(w http.ResponseWriter, r *http.Request, c *consoleVisit) {
	rl, err := p.storedRule(r, c, r.PathValue("id"))
	if err != nil {
		p.fail(w, r, c.v, err)
		return
	}
	p.renderRuleEditor(w, r, c, http.StatusOK, ruleFormOf(rl), nil, "")
}

// previewIn is the answer of POST /api/v1/rules/preview.
type previewIn struct {
	Gains     []provision.ChangeJSON   `json:"gains"`
	Losses    []provision.ChangeJSON   `json:"losses"`
	Pending   []provision.ChangeJSON   `json:"pending"`
	Overflows []provision.OverflowJSON `json:"overflows"`
}

// changeList is one list of a preview, cut to changesShown.
type changeList struct {
	Total int
	Rows  []changeRow
	More  int
}

// changeRow is one change with the person's name and page.
type changeRow struct {
	provision.ChangeJSON
	Name, Link string
}

// listOf cuts a list of changes, naming the people shown.
func (p *Pages) listOf(cs []provision.ChangeJSON) changeList {
	n := min(len(cs), changesShown)
	l := changeList{Total: len(cs), More: len(cs) - n, Rows: make([]changeRow, n)}
	for i, c := range cs[:n] {
		l.Rows[i] = changeRow{ChangeJSON: c, Name: c.User, Link: personLink(c.User)}
		if u, ok := p.svc.Engine.User(c.UserID); ok && u.DisplayName != "" {
			l.Rows[i].Name = u.DisplayName
		}
	}
	return l
}

// rulePreviewPage is a previewed change: a rule to apply, or one to delete.
type rulePreviewPage struct {
	Title                  string
	Summary                []string // the rule in words
	Gains, Losses, Pending changeList
	Overflows              []provision.OverflowJSON
	Counts                 string // the change in one sentence
	// Failed says why no preview could be made (the change can still be
	// confirmed, as a delete can).
	Failed string
	// Action is where the confirmed form posts, with Hidden; Edit, when
	// set, posts Hidden back to the editor.
	Action, Button, Edit, Back string
	Hidden                     []ruleHidden
	Danger                     bool
	Disabled                   string
}

// fill fills a page's lists and counts from a preview.
func (pg *rulePreviewPage) fill(p *Pages, pv previewIn) {
	pg.Gains, pg.Losses, pg.Pending, pg.Overflows = p.listOf(pv.Gains), p.listOf(pv.Losses), p.listOf(pv.Pending), pv.Overflows
	pg.Counts = fmt.Sprintf("%s gained, %s lost, %s waiting for a free seat, %s short of seats.",
		plural.Of(len(pv.Gains), "seat"), plural.Of(len(pv.Losses), "seat"), plural.Of(len(pv.Pending), "grant"), plural.Of(len(pv.Overflows), "pool"))
}

// ruleSummary says a rule in words.
func ruleSummary(j provision.RuleJSON) []string {
	out := []string{"When " + orText(whenText(j.When), "(no condition)") + ",", "grant " + orText(grantsText(j.Grant), "(nothing)") + "."}
	out = append(out, fmt.Sprintf("Priority %d%s.", j.Priority, map[bool]string{true: "", false: "; disabled: it grants nothing"}[j.Enabled == nil || *j.Enabled]))
	return out
}

func orText(s, none string) string {
	if s == "" {
		return none
	}
	return s
}

// ruleRefused shows the editor again as typed with the API's refusal (a
// role's refusal too: the editor says what the role may not do).
func (p *Pages) ruleRefused(w http.ResponseWriter, r *http.Request, c *consoleVisit, f ruleForm, err error) {
	status, fl := p.explain(r, err)
	bad := ""
	if e, ok := licensing.AsError(err); ok {
		bad = e.Field
	}
	p.renderRuleEditor(w, r, c, status, f, fl, bad)
}

// rulePreview previews the edited rule, or (edit=yes) shows the editor
// again with it.
func (p *Pages) rulePreview(w http.ResponseWriter, r *http.Request, c *consoleVisit) {
	f := readRuleForm(r.PostForm)
	if r.PostForm.Get("edit") == "yes" {
		p.renderRuleEditor(w, r, c, http.StatusOK, f, nil, "")
		return
	}
	body, err := f.body()
	var pv previewIn
	if err == nil {
		err = p.call(r.Context(), c, http.MethodPost, "/api/v1/rules/preview", body, &pv)
	}
	if err != nil {
		p.ruleRefused(w, r, c, f, err)
		return
	}
	verb, title := "Create the rule", "Preview: new rule "+f.ID
	if f.Update {
		verb, title = "Apply the change", "Preview: change to rule "+f.ID
	}
	pg := rulePreviewPage{Title: title, Summary: ruleSummary(body), Action: "/admin/rules/apply", Button: verb,
		Edit: "/admin/rules/preview", Back: "/admin/rules", Hidden: f.hidden()}
	pg.fill(p, pv)
	p.renderRulePreview(w, c, pg)
}

func (p *Pages) renderRulePreview(w http.ResponseWriter, c *consoleVisit, pg rulePreviewPage) {
	data := p.consoleData(c, "rules", pg.Title)
	data["Preview"] = pg
	p.render(w, "console_rules_preview.html", http.StatusOK, data)
}

// ruleApply creates or replaces the rule the preview showed.
func (p *Pages) ruleApply(w http.ResponseWriter, r *http.Request, c *consoleVisit) {
	f := readRuleForm(r.PostForm)
	body, err := f.body()
	if err == nil {
		if f.Update {
			err = p.call(r.Context(), c, http.MethodPut, "/api/v1/rules/"+url.PathEscape(f.ID), body, nil)
		} else {
			err = p.call(r.Context(), c, http.MethodPost, "/api/v1/rules", body, nil)
		}
	}
	if err != nil {
		p.ruleRefused(w, r, c, f, err)
		return
	}
	doneTo(w, r, "/admin/rules", map[bool]string{true: "rule-updated", false: "rule-created"}[f.Update])
}

// ruleDeleteConfirm previews deleting a rule: the same rule disabled
// grants nothing, which is what deleting it leaves.
func (p *Pages) ruleDeleteConfirm(w http.ResponseWriter, r *http.Request, c *consoleVisit) {
	id := r.PathValue("id")
	rl, err := p.storedRule(r, c, id)
	if err != nil {
		p.fail(w, r, c.v, err)
		return
	}
	pg := rulePreviewPage{Title: "Delete rule " + id, Summary: ruleSummary(rl), Action: "/admin/rules/" + url.PathEscape(id) + "/delete",
		Button: "Delete the rule", Back: "/admin/rules", Danger: true}
	off := false
	probe := rl
	probe.Enabled, probe.Version = &off, 0
	var pv previewIn
	if err := p.call(r.Context(), c, http.MethodPost, "/api/v1/rules/preview", probe, &pv); err != nil {
		_, fl := p.explain(r, err)
		pg.Failed = "The effect could not be previewed: " + fl.Text
	} else {
		pg.fill(p, pv)
	}
	if !c.can(api.PermIdentity) {
		pg.Disabled = "Only licence and identity administrators can change rules."
	}
	p.renderRulePreview(w, c, pg)
}

func (p *Pages) ruleDelete(w http.ResponseWriter, r *http.Request, c *consoleVisit) {
	if err := p.call(r.Context(), c, http.MethodDelete, "/api/v1/rules/"+url.PathEscape(r.PathValue("id")), nil, nil); err != nil {
		status, fl := p.explain(r, err)
		data, derr := p.rulesData(r, c)
		if derr != nil {
			p.fail(w, r, c.v, err)
			return
		}
		data["Flash"] = fl
		p.render(w, "console_rules.html", status, data)
		return
	}
	doneTo(w, r, "/admin/rules", "rule-deleted")
}
