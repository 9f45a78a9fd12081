package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// The licence console's People and Rules & groups areas in a real Chromium
// against the real binary: a licence administrator registers a person
// through the console and finds them by search; runs a rule preview, sees
// who gains, applies it, and the person holds the seat; an identity
// administrator registers and finds a person too, but is refused a role
// grant with the API's code.

const (
	peopleAdminName    = "lena@example.com"
	peopleIdentityName = "ida@example.com"
)

// peopleDesk is a server with an agent SKU and pool, a few people, and an
// administrator holding role, signed in through the sign-in page (they
// land on the console).
func peopleDesk(t *testing.T, admin, display, role string) (deskServer, *tab) {
	t.Helper()
	d := startDesk(t)
	d.agentSKU(t)
	d.c.must(t, "POST", "/api/v1/pools", map[string]any{"id": "agents-named", "sku": "agent", "model": "named", "seats": 5, "monthly_price": 95}, nil, http.StatusCreated)
	for _, p := range []struct{ name, display, emp, job string }{
		{"rita@example.com", "Rita Requester", "E100", "HR-1"},
		{"tess@example.com", "Tess Desk", "E200", "ITSD-2"},
		{"ugo@example.com", "Ugo Desk", "E201", "ITSD-7"},
		{"vic@example.com", "Vic Sales", "E300", "SALES-1"},
	} {
		d.c.must(t, "POST", "/api/v1/users", map[string]any{"user_name": p.name, "display_name": p.display, "email": p.name,
			"employee_id": p.emp, "job_code": p.job, "kind": "person"}, nil, http.StatusCreated)
	}
	d.person(t, admin, display, "E900", password)
	d.c.must(t, "PUT", "/api/v1/users/"+admin+"/roles/"+role, nil, nil, http.StatusCreated)
	b := newTab(t, d.p.Base)
	b.signInTo(admin, password, "/admin")
	return d, b
}

// registerAndFind registers Wanda Newhire through the People page's form,
// lands on her page, then finds her by the start of her name typed in
// lower case, and opens her page from the list.
func registerAndFind(b *tab) {
	b.t.Helper()
	b.click(`#console-nav-people`)
	if p := b.path(); p != "/admin/people" {
		b.fatalf("People leads to %s", p)
	}
	b.do("open the registration form", chromedp.Click(chromedp.CSS(`#register summary`)))
	b.fill(`#f-user_name`, "wanda@example.com")
	b.fill(`#f-display_name`, "Wanda Newhire")
	b.fill(`#f-email`, "wanda@example.com")
	b.fill(`#f-employee_id`, "E777")
	b.fill(`#f-job_code`, "HR-2")
	if st := b.submit(`form#register-form`); st != http.StatusOK {
		b.fatalf("register: status %d", st)
	}
	if p := b.path(); p != "/admin/people/wanda@example.com" {
		b.fatalf("after registering the browser is at %s", p)
	}
	if f := b.text(`#flash`); !strings.Contains(f, "registered") {
		b.fatalf("flash after registering: %q", f)
	}
	if got := b.text(`#person-name`); got != "Wanda Newhire" {
		b.fatalf("the new person's page names %q", got)
	}
	b.click(`#console-nav-people`)
	b.fill(`#q`, "wanda new")
	if st := b.submit(`form#search-form`); st != http.StatusOK {
		b.fatalf("search: status %d", st)
	}
	if got := b.text(`#people-table tbody`); !strings.Contains(got, "Wanda Newhire") || !strings.Contains(got, "display name") || strings.Contains(got, "Rita") {
		b.fatalf("the search lists %q, want Wanda alone, found by display name", got)
	}
	b.consoleShot("people-search")
	b.click(`tr.person[data-user="wanda@example.com"] a`)
	if p := b.path(); p != "/admin/people/wanda@example.com" {
		b.fatalf("the search result leads to %s", p)
	}
}

// TestBrowserConsoleRegistersPerson (a): a licence administrator registers
// a person and finds them by search; the API has them as typed.
func TestBrowserConsoleRegistersPerson(t *testing.T) {
	d, b := peopleDesk(t, peopleAdminName, "Lena Licence", "licence_admin")
	registerAndFind(b)
	var u struct {
		DisplayName string `json:"display_name"`
		EmployeeID  string `json:"employee_id"`
		JobCode     string `json:"job_code"`
		Active      bool   `json:"active"`
	}
	d.c.must(t, "GET", "/api/v1/users/wanda@example.com", nil, &u, http.StatusOK)
	if u.DisplayName != "Wanda Newhire" || u.EmployeeID != "E777" || u.JobCode != "HR-2" || !u.Active {
		t.Errorf("the API has %+v", u)
	}
	// The list, everyone by user name; and the full list of the area.
	b.click(`#console-nav-people`)
	b.consoleShot("people-list")
	if got := b.text(`#people-table tbody`); !strings.Contains(got, "Tess Desk") || !strings.Contains(got, "Wanda Newhire") {
		b.fatalf("the list: %q", got)
	}
}

// TestBrowserConsoleRulePreviewThenApply (b): the rule editor's preview
// lists who gains before anything changes; Apply gives them the seat.
func TestBrowserConsoleRulePreviewThenApply(t *testing.T) {
	d, b := peopleDesk(t, peopleAdminName, "Lena Licence", "licence_admin")
	b.click(`#console-nav-rules`)
	b.click(`#new-rule`)
	b.fill(`#r-id`, "service-desk")
	b.fill(`#r-job_code`, "ITSD-*")
	b.do("grant the agent SKU", chromedp.Click(chromedp.CSS(`#g-agent`)))
	b.consoleShot("rule-editor")
	if st := b.submit(`form#rule-form`); st != http.StatusOK {
		b.fatalf("preview: status %d", st)
	}
	gains := b.text(`#preview-gains`)
	if !strings.Contains(gains, "tess@example.com") || !strings.Contains(gains, "ugo@example.com") || strings.Contains(gains, "vic@example.com") {
		b.fatalf("the preview's gains: %q", gains)
	}
	if c := b.text(`#preview-counts`); !strings.Contains(c, "2 seats gained") {
		b.fatalf("the preview's counts: %q", c)
	}
	b.consoleShot("rule-preview")
	// Nothing has changed yet.
	var members struct {
		Members []struct {
			User string `json:"user"`
		} `json:"members"`
	}
	d.c.must(t, "GET", "/api/v1/pools/agents-named/members", nil, &members, http.StatusOK)
	if len(members.Members) != 0 {
		t.Fatalf("the preview granted seats: %+v", members.Members)
	}
	if st := b.submit(`form#apply-form`); st != http.StatusOK {
		b.fatalf("apply: status %d", st)
	}
	if f := b.text(`#flash`); !strings.Contains(f, "rule was created") {
		b.fatalf("flash after applying: %q", f)
	}
	if row := b.text(`#rule-service-desk`); !strings.Contains(row, "ITSD-*") {
		b.fatalf("the rule's row: %q", row)
	}
	b.consoleShot("rules-list")
	d.c.must(t, "GET", "/api/v1/pools/agents-named/members", nil, &members, http.StatusOK)
	var held []string
	for _, m := range members.Members {
		held = append(held, m.User)
	}
	if strings.Join(held, ",") != "tess@example.com,ugo@example.com" {
		t.Errorf("agents-named members after apply: %v", held)
	}
	// Tess's page says she holds the seat, and why.
	b.open("/admin/people/" + url.PathEscape("tess@example.com"))
	if why := b.text(`#seat-agents-named .why`); !strings.Contains(why, "Rule service-desk") || !strings.Contains(why, "job code ITSD-2") {
		b.fatalf("tess's seat: %q", why)
	}
	b.consoleShot("person-page")
	// Deactivating her is confirmed with exactly what ends.
	b.click(`#deactivate-link`)
	if line := b.text(`#confirm-lines`); !strings.Contains(line, "Revoke the seat of pool agents-named") {
		b.fatalf("the deactivation confirmation: %q", line)
	}
	b.consoleShot("deactivate-confirm")
}

// TestBrowserConsoleIdentityAdminRefusedRoleGrant (c): an identity
// administrator registers and finds a person, sees the role form closed to
// them, and when it is forced open the API refuses the grant.
func TestBrowserConsoleIdentityAdminRefusedRoleGrant(t *testing.T) {
	d, b := peopleDesk(t, peopleIdentityName, "Ida Identity", "identity_admin")
	registerAndFind(b)
	if got := b.text(`#roles-disabled`); !strings.Contains(got, "Only licence administrators") {
		b.fatalf("the role form's note: %q", got)
	}
	if dis := b.attr(`#role-grant-form fieldset`, "disabled"); dis != "" && dis != "disabled" {
		b.fatalf("the role form's fieldset disabled=%q", dis)
	}
	// A page edited in the browser still meets the API's refusal.
	b.do("force the role form open", chromedp.Evaluate[chromedp.Void](`document.querySelector('#role-grant-form fieldset').disabled = false`))
	b.choose(`#grant-role`, "licence_admin")
	if st := b.submit(`form#role-grant-form`); st != http.StatusForbidden {
		b.fatalf("the forced role grant: status %d, want 403", st)
	}
	if code := b.attr(`#flash`, "data-code"); code != "forbidden" {
		b.fatalf("the refusal's code: %q", code)
	}
	b.consoleShot("role-refused")
	var u struct {
		Roles []string `json:"roles"`
	}
	d.c.must(t, "GET", "/api/v1/users/wanda@example.com", nil, &u, http.StatusOK)
	if len(u.Roles) != 0 {
		t.Errorf("the refused grant went through: %v", u.Roles)
	}
}
