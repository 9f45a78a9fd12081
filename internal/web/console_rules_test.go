package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/api"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

// holders lists who holds an active seat of pool, by user name.
func (e *env) holders(pool string) []string {
	e.t.Helper()
	list, err := e.st.ListMembers(e.ctx, pool)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, m := range list {
		if m.State == licensing.MemberActive {
			out = append(out, m.UserName)
		}
	}
	slices.Sort(out)
	return out
}

var gainRE = regexp.MustCompile(`<tr class="(gain|loss)" data-user="([^"]+)" data-pool="([^"]+)"`)

// previewed lists a preview's gains and losses as "kind user@pool" (its
// waiting grants include those already waiting).
func previewed(body string) []string {
	var out []string
	for _, m := range gainRE.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1]+" "+m[2]+"@"+m[3])
	}
	slices.Sort(out)
	return out
}

// hiddenForm reads the hidden fields of the form with id.
func hiddenForm(t *testing.T, body, id string) url.Values {
	t.Helper()
	f := element(t, body, id, "form")
	v := url.Values{}
	for _, m := range regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`).FindAllStringSubmatch(f, -1) {
		if m[1] != "csrf" {
			v.Add(m[1], unescape(m[2]))
		}
	}
	return v
}

func unescape(s string) string { return text(s + " ") }

func TestConsoleRulePreviewThenApply(t *testing.T) {
	e := newEnv(t)
	c := e.seedCompany()
	a := licensing.System("test")
	for _, u := range []licensing.User{
		{UserName: "tess@example.com", DisplayName: "Tess Desk", JobCode: "ITSD-2", Kind: licensing.KindPerson, Active: true},
		{UserName: "ugo@example.com", DisplayName: "Ugo Desk", JobCode: "itsd-7", Kind: licensing.KindPerson, Active: true},
		{UserName: "vic@example.com", DisplayName: "Vic Sales", JobCode: "SALES-1", Kind: licensing.KindPerson, Active: true},
	} {
		if _, err := e.st.CreateUser(e.ctx, a, u); err != nil {
			t.Fatal(err)
		}
	}
	ida := c.adm.identity
	// The editor offers the SKUs with their pools' models.
	ed := ida.get("/admin/rules/new")
	if ed.Status != http.StatusOK || !hasID(ed.Body, "g-agent") || !hasID(ed.Body, "m-agent") {
		t.Fatalf("editor: %d", ed.Status)
	}
	form := url.Values{"id": {"desk"}, "priority": {"10"}, "enabled": {"yes"}, "job_code": {"ITSD-*\n"}, "grant": {"agent"}, "model_agent": {"concurrent"}}
	pv := ida.post("/admin/rules/preview", form)
	if pv.Status != http.StatusOK {
		t.Fatalf("preview: %d %.400s", pv.Status, pv.Body)
	}
	if got, want := previewed(pv.Body), []string{"gain tess@example.com@agents-floating", "gain ugo@example.com@agents-floating"}; !slices.Equal(got, want) {
		t.Errorf("preview rows %v, want %v", got, want)
	}
	if got := text(element(t, pv.Body, "preview-counts", "p")); !strings.Contains(got, "2 seats gained, 0 seats lost") {
		t.Errorf("preview counts: %q", got)
	}
	// Nothing changed yet.
	if h := e.holders("agents-floating"); slices.Contains(h, "tess@example.com") {
		t.Fatalf("the preview granted seats: %v", h)
	}
	if _, err := e.st.GetRule(e.ctx, "desk"); licensing.ErrorCode(err) != licensing.CodeNotFound {
		t.Fatalf("the preview stored the rule: %v", err)
	}
	// "Change the rule" brings the editor back as typed.
	back := ida.post("/admin/rules/preview", func() url.Values { v := hiddenForm(t, pv.Body, "edit-form"); return v }())
	if attrOf(t, back.Body, "r-id", "value") != "desk" || !strings.Contains(element(t, back.Body, "r-job_code", "textarea"), "ITSD-*") || !strings.Contains(element(t, back.Body, "m-agent", "select"), `value="concurrent" selected`) {
		t.Errorf("the editor lost the rule")
	}
	// Apply carries the very rule shown.
	p := ida.post("/admin/rules/apply", hiddenForm(t, pv.Body, "apply-form"))
	if p.Status != http.StatusSeeOther || p.Location() != "/admin/rules?done=rule-created" {
		t.Fatalf("apply: %d %q %.400s", p.Status, p.Location(), p.Body)
	}
	h := e.holders("agents-floating")
	if !slices.Contains(h, "tess@example.com") || !slices.Contains(h, "ugo@example.com") || slices.Contains(h, "vic@example.com") {
		t.Errorf("after apply, agents-floating holders %v", h)
	}
	if !e.audited("rule.create", "rule:desk", "web:ida@example.com") {
		t.Errorf("the rule is not audited as ida's")
	}
	list := ida.get("/admin/rules")
	if row := text(element(t, list.Body, "rule-desk", "tr")); !strings.Contains(row, "job code is ITSD-*") || !strings.Contains(row, "agent (concurrent pools only)") {
		t.Errorf("the rule's row: %q", row)
	}

	// Change it: the preview shows who loses; the stored version goes with it.
	ed = ida.get("/admin/rules/desk/edit")
	if !strings.Contains(tagOf(t, ed.Body, "r-id"), " readonly") || hidden(t, ed.Body, "version") != "1" || hidden(t, ed.Body, "mode") != "update" {
		t.Errorf("the editor of a stored rule: name editable or version not carried")
	}
	form = url.Values{"mode": {"update"}, "version": {"1"}, "id": {"desk"}, "priority": {"10"}, "enabled": {"yes"}, "job_code": {"ITSD-2"}, "grant": {"agent"}, "model_agent": {"concurrent"}}
	pv = ida.post("/admin/rules/preview", form)
	if got, want := previewed(pv.Body), []string{"loss ugo@example.com@agents-floating"}; !slices.Equal(got, want) {
		t.Errorf("narrowing preview %v, want %v", got, want)
	}
	if p := ida.post("/admin/rules/apply", hiddenForm(t, pv.Body, "apply-form")); p.Status != http.StatusSeeOther || !strings.HasSuffix(p.Location(), "rule-updated") {
		t.Fatalf("apply the change: %d %q", p.Status, p.Location())
	}
	if h := e.holders("agents-floating"); slices.Contains(h, "ugo@example.com") {
		t.Errorf("ugo keeps the seat the narrowed rule no longer gives: %v", h)
	}
	if !strings.Contains(element(t, pv.Body, "preview-pending", "table"), "Pool full") {
		t.Errorf("the preview does not say why grants wait")
	}
	// Applying a preview of a version since changed: the API's conflict.
	if p := ida.post("/admin/rules/apply", hiddenForm(t, pv.Body, "apply-form")); p.Status != api.Status(licensing.CodeConflict) {
		t.Errorf("a stale apply: %d", p.Status)
	}

	// Delete: confirmed with the losses it causes.
	del := ida.get("/admin/rules/desk/delete")
	if got, want := previewed(del.Body), []string{"loss tess@example.com@agents-floating"}; !slices.Equal(got, want) {
		t.Errorf("delete preview %v, want %v", got, want)
	}
	if p := ida.post(attrOf(t, del.Body, "apply-form", "action"), nil); p.Status != http.StatusSeeOther || !strings.HasSuffix(p.Location(), "rule-deleted") {
		t.Fatalf("delete: %d %q", p.Status, p.Location())
	}
	if h := e.holders("agents-floating"); slices.Contains(h, "tess@example.com") {
		t.Errorf("tess keeps the deleted rule's seat")
	}
}

func TestConsoleRulesRefusals(t *testing.T) {
	e := newEnv(t)
	c := e.seedCompany()
	form := url.Values{"id": {"desk"}, "job_code": {"ITSD-*"}, "grant": {"agent"}}
	// An auditor may read the rules and preview one (a preview changes
	// nothing) but not apply: the API's 403.
	if p := c.adm.auditing.get("/admin/rules"); p.Status != http.StatusOK || hasID(p.Body, "new-rule") || !hasID(p.Body, "rules-disabled") {
		t.Errorf("the auditor's rules page: %d", p.Status)
	}
	if p := c.adm.auditing.post("/admin/rules/preview", form); p.Status != http.StatusOK {
		t.Errorf("auditor's preview: %d", p.Status)
	}
	for _, path := range []string{"/admin/rules/apply"} {
		p := c.adm.auditing.post(path, form)
		if _, code, _ := flashOf(t, p.Body); p.Status != http.StatusForbidden || code != licensing.CodeForbidden {
			t.Errorf("auditor %s: %d %q", path, p.Status, code)
		}
	}
	// A rule without a condition, or granting an unknown SKU: the API's
	// invalid_request, the form as typed with the field marked.
	p := c.adm.identity.post("/admin/rules/preview", url.Values{"id": {"desk"}, "grant": {"agent"}})
	if _, code, _ := flashOf(t, p.Body); p.Status != http.StatusBadRequest || code != licensing.CodeInvalid || !hasID(p.Body, "when-error") {
		t.Errorf("no condition: %d %q", p.Status, code)
	}
	p = c.adm.identity.post("/admin/rules/preview", url.Values{"id": {"desk"}, "job_code": {"X"}, "grant": {"ghost"}})
	if _, code, _ := flashOf(t, p.Body); p.Status != http.StatusBadRequest || code != licensing.CodeInvalid || attrOf(t, p.Body, "r-grants", "aria-invalid") != "true" {
		t.Errorf("unknown SKU: %d %q", p.Status, code)
	}
	p = c.adm.identity.post("/admin/rules/preview", url.Values{"id": {"desk"}, "priority": {"high"}, "job_code": {"X"}, "grant": {"agent"}})
	if _, code, _ := flashOf(t, p.Body); p.Status != http.StatusBadRequest || code != licensing.CodeInvalid || attrOf(t, p.Body, "r-priority", "aria-invalid") != "true" {
		t.Errorf("a priority that is no number: %d %q", p.Status, code)
	}
	if p := c.adm.identity.get("/admin/rules/ghost/edit"); p.Status != http.StatusNotFound {
		t.Errorf("an unknown rule: %d", p.Status)
	}
}

func TestConsoleGroupGrantsAndPending(t *testing.T) {
	e := newEnv(t)
	c := e.seedCompany()
	a := licensing.System("test")
	if _, err := e.st.CreateGroup(e.ctx, a, store.Group{DisplayName: "Finance", Members: []string{c.rita.ID, c.rob.ID, c.pia.ID}}); err != nil {
		t.Fatal(err)
	}
	ida := c.adm.identity
	page := ida.get("/admin/rules")
	// The existing grant (Night → agents-named) and the one who waits.
	if !strings.Contains(element(t, page.Body, "group-grant-table", "table"), `data-pool="agents-named" data-group="Night"`) {
		t.Errorf("the Night group grant is not listed")
	}
	pending := text(element(t, page.Body, "pending-table", "table"))
	if !strings.Contains(pending, "Group Night") || !strings.Contains(pending, "Pool full") {
		t.Errorf("the waiting grant: %q", pending)
	}
	// Giving stakeholders to Finance: confirmed with the count, then done.
	conf := ida.get("/admin/rules/groups/confirm?action=grant&pool=stakeholders&group=finance")
	lines := text(element(t, conf.Body, "confirm-lines", "ul"))
	if !strings.Contains(lines, "Give each of the 3 active members of group Finance a seat of stakeholders") || !strings.Contains(lines, "3 seats free now") {
		t.Errorf("group grant confirmation: %q", lines)
	}
	p := ida.post("/admin/rules/groups", hiddenForm(t, conf.Body, "confirm-form"))
	if class, _, msg := flashOf(t, p.Body); p.Status != http.StatusOK || class != "ok" || !strings.Contains(msg, "2 seats granted") {
		// sam holds one of the five; pia already holds one by rule
		// (relabelled, not gained); rita and rob gain.
		t.Errorf("group grant: %d %q %q", p.Status, class, msg)
	}
	if h := e.holders("stakeholders"); !slices.Contains(h, "rita@example.com") || !slices.Contains(h, "rob@example.com") {
		t.Errorf("stakeholders holders %v", h)
	}
	if !e.audited("group_grant.create", "pool:stakeholders/group:Finance", "web:ida@example.com") {
		t.Errorf("the group grant is not audited")
	}
	// An unknown group: the API's not_found on the rules page.
	if p := ida.get("/admin/rules/groups/confirm?action=grant&pool=stakeholders&group=nobody"); p.Status != http.StatusNotFound {
		t.Errorf("an unknown group: %d", p.Status)
	}
	// The auditor may not give pools to groups.
	if p := c.adm.auditing.post("/admin/rules/groups", url.Values{"pool": {"stakeholders"}, "group": {"Finance"}}); p.Status != http.StatusForbidden {
		t.Errorf("auditor group grant: %d", p.Status)
	}
	// Taking it away revokes the group's seats, keeps the rule's.
	page = ida.get("/admin/rules")
	conf = ida.get(regexpFind(t, page.Body, `href="(/admin/rules/groups/confirm\?action=remove[^"]*group=Finance[^"]*)"`))
	p = ida.post("/admin/rules/groups/remove", hiddenForm(t, conf.Body, "confirm-form"))
	if class, _, msg := flashOf(t, p.Body); class != "ok" || !strings.Contains(msg, "2 seats revoked") {
		t.Errorf("remove: %d %q %q", p.Status, class, msg)
	}
	if h := e.holders("stakeholders"); slices.Contains(h, "rita@example.com") || !slices.Contains(h, "pia@example.com") {
		t.Errorf("after removal: %v", h)
	}
}

// tagOf is the opening tag of the element with id.
func tagOf(t *testing.T, body, id string) string {
	t.Helper()
	tag := element(t, body, id, "")
	if j := strings.Index(tag, ">"); j >= 0 {
		tag = tag[:j]
	}
	return tag
}
