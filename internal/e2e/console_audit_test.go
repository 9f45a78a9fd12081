package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// roleDesk is a server with an agent pool, a requester, an integration
// (slack-hub, whose token it returns), and a person with role, signed in
// through the sign-in page; they land on the console.
func roleDesk(t *testing.T, person, display, role string) (deskServer, *tab, string) {
	t.Helper()
	d := startDesk(t)
	d.agentSKU(t)
	d.c.must(t, "POST", "/api/v1/pools", map[string]any{"id": "agents", "sku": "agent", "model": "concurrent", "seats": 2, "idle_timeout": "30m", "monthly_price": 95}, nil, http.StatusCreated)
	d.person(t, "rita@example.com", "Rita Requester", "E100", "")
	d.person(t, person, display, "E900", password)
	d.c.must(t, "PUT", "/api/v1/users/"+person+"/roles/"+role, nil, nil, http.StatusCreated)
	var hub struct {
		Token string `json:"token"`
	}
	d.c.must(t, "POST", "/api/v1/integrations", map[string]any{"name": "slack-hub", "mode": "enforce"}, &hub, http.StatusCreated)
	b := newTab(t, d.p.Base)
	b.signInTo(person, password, "/admin")
	return d, b, hub.Token
}

// hubCalls files a ticket for rita with slack-hub's token and returns the
// status.
func hubCalls(t *testing.T, d deskServer, token string) int {
	t.Helper()
	c := newClient(d.p.Base, token)
	req, _ := http.NewRequest("POST", c.base+"/api/v1/tickets", strings.NewReader(`{"title":"From Slack"}`))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Seatkeeper-Acting-User", "rita@example.com")
	resp, err := c.hc.Do(req)
	if err != nil {
		t.Fatalf("slack-hub's call: %v", err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestBrowserAuditorReadsVerifiesAndIsRefused: an auditor signs in,
// filters the audit log by action, opens an entry in full, verifies the
// chain and reads "Intact"; a change (revoking slack-hub's token) is not
// offered to them, and a forged post of it answers 403 with the token
// still calling.
func TestBrowserAuditorReadsVerifiesAndIsRefused(t *testing.T) {
	d, b, hubToken := roleDesk(t, "aldo@example.com", "Aldo Auditor", "auditor")

	if st := b.open("/admin/audit"); st != http.StatusOK {
		b.fatalf("the audit log: status %d", st)
	}
	b.consoleShot("audit-log")
	b.fill(`#f-action`, "user.create")
	if st := b.submit(`form#audit-filters`); st != http.StatusOK {
		b.fatalf("filter by action: status %d", st)
	}
	actions, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('tr.entry')).map(r => r.dataset.action)`))
	if err != nil {
		b.fatalf("read the rows: %v", err)
	}
	if len(actions) != 2 {
		b.fatalf("filtered by user.create: %d rows, want the 2 people created (rita and the auditor)", len(actions))
	}
	for _, a := range actions {
		if a != "user.create" {
			b.fatalf("filtered by user.create, a row of %q", a)
		}
	}
	b.consoleShot("audit-filtered")

	// One entry in full, hashes and all.
	b.click(`tr.entry a.entry-link`)
	if a := b.text(`#entry-action code`); a != "user.create" {
		b.fatalf("the entry opened is %q, want user.create", a)
	}
	if h := b.text(`#entry-hash`); len(h) != 64 {
		b.fatalf("the entry's hash %q is not 64 hex digits", h)
	}
	if len(b.text(`#entry-prev-hash`)) != 64 || b.attr(`#check-hash`, "data-ok") != "true" {
		b.fatalf("the entry's previous hash or its check is wrong")
	}
	b.consoleShot("audit-entry")

	// Verify the whole chain.
	b.click(`#back-to-list`)
	if st := b.click(`#verify-link`); st != http.StatusOK {
		b.fatalf("verify: status %d", st)
	}
	if s := b.text(`#verify-status`); s != "Intact" {
		b.fatalf("verify says %q, want Intact", s)
	}
	if n := firstInt(b.text(`#verify-count`)); n < 5 {
		b.fatalf("verify checked %d entries", n)
	}
	if len(b.text(`#head-hash`)) != 64 {
		b.fatalf("no head hash shown")
	}
	b.consoleShot("audit-verify")

	// A change: the auditor is offered none, and a forged post is refused.
	if st := b.open("/admin/integrations"); st != http.StatusOK {
		b.fatalf("integrations: status %d", st)
	}
	b.absent(`a[id^="revoke-"]`)
	b.absent(`form#create-token`)
	tok := b.text(`#integration-slack-hub [data-field=token]`)
	b.consoleShot("integrations-auditor")
	resp, err := chromedp.RunResponse(b.ctx, chromedp.Evaluate[chromedp.Void](`(() => {
		const f = document.createElement('form');
		f.method = 'post';
		f.action = '/admin/tokens/`+tok+`/revoke';
		for (const [k, v] of [['csrf', document.querySelector('input[name=csrf]').value], ['confirmed', 'yes']]) {
			const i = document.createElement('input');
			i.type = 'hidden'; i.name = k; i.value = v; f.appendChild(i);
		}
		document.body.appendChild(f);
		f.submit();
	})()`))
	if err != nil {
		b.fatalf("post the revoke: %v", err)
	}
	if resp.Status != http.StatusForbidden {
		b.fatalf("the auditor's revoke: status %d, want 403", resp.Status)
	}
	if code := b.attr(`#flash`, "data-code"); code != "forbidden" {
		b.fatalf("the refusal's code %q, want forbidden", code)
	}
	b.consoleShot("integrations-auditor-refused")
	if st := hubCalls(t, d, hubToken); st != http.StatusCreated {
		t.Errorf("slack-hub's token after the auditor's refused revoke: status %d, want 201 (still working)", st)
	}
}
