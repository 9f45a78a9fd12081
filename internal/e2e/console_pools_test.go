package e2e

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// The licence console's SKUs & pools and sessions & leases areas in a real
// Chromium against the real binary: a licence administrator (a person with
// the licence_admin role) creates a pool through the forms and force
// releases an agent's lease — and that agent's next action needs a seat
// again, refused while the pool is full — and an auditor is refused a
// change, with nothing changed.

const (
	poolsAdminName   = "lena@example.com"
	poolsAuditorName = "aldo@example.com"
)

// poolsRole grants a person a role through the API, as the admin token.
func poolsRole(t *testing.T, d deskServer, user, role string) {
	t.Helper()
	d.c.must(t, "PUT", "/api/v1/users/"+user+"/roles/"+role, nil, nil, http.StatusCreated)
}

// poolsSignIn signs in through the sign-in page and requires landing on
// land: the page for the person's work (the console for an administrator,
// the queue for an agent).
func poolsSignIn(b *tab, user, password, land string) {
	b.t.Helper()
	b.open("/signin")
	b.fill(`input[name=user]`, user)
	b.fill(`input[name=password]`, password)
	b.click(`#signin`)
	if p := b.path(); p != land {
		b.fatalf("signed in as %s: the browser is at %s, want %s", user, p, land)
	}
}

// TestBrowserConsoleCreatesPool: a licence administrator signs in, lands on
// the console, fills the new-pool form, reads what it will do, confirms,
// and finds the pool listed — and the API has it as the form said.
func TestBrowserConsoleCreatesPool(t *testing.T) {
	d := startDesk(t)
	d.agentSKU(t)
	d.person(t, poolsAdminName, "Lena Licence", "E900", password)
	poolsRole(t, d, poolsAdminName, "licence_admin")

	b := newTab(t, d.p.Base)
	poolsSignIn(b, poolsAdminName, password, "/admin")
	b.click(`#console-nav-pools`)
	b.click(`#new-pool`)
	if p := b.path(); p != "/admin/pools/new" {
		b.fatalf("New pool leads to %s", p)
	}
	b.fill(`#f-id`, "agents-emea")
	b.choose(`#f-sku`, "agent")
	b.choose(`#f-model`, "concurrent")
	b.fill(`#f-seats`, "8")
	b.fill(`#f-overdraft`, "1")
	b.fill(`#f-price`, "120")
	b.fill(`#f-idle`, "45m")
	b.do("set the dates", chromedp.SetValue(chromedp.CSS(`#f-starts`), "2026-01-01"), chromedp.SetValue(chromedp.CSS(`#f-ends`), "2026-12-31"))
	b.fill(`#f-reservations`, "desk-eu = 2")
	b.do("keep a queue", chromedp.Click(chromedp.CSS(`#f-queue`)))
	b.fill(`#f-queue-max`, "15")
	b.submit(`form#pool-form`)

	// Nothing is made before the confirmation, which says what will be.
	lines := b.text(`#confirm-lines`)
	for _, want := range []string{"Create the concurrent pool agents-emea of Agent (agent) with 8 seats", "Overdraft seats: 1", "Valid until (last day): 2026-12-31", "Idle timeout: 45m", "reserved", "at most 15 waiting"} {
		if !strings.Contains(lines, want) && !(want == "reserved" && strings.Contains(lines, "desk-eu = 2")) {
			b.fatalf("the confirmation says %q, lacking %q", lines, want)
		}
	}
	if st, _, _ := d.c.do("GET", "/api/v1/pools/agents-emea", nil); st != http.StatusNotFound {
		t.Fatalf("GET /api/v1/pools/agents-emea before the confirmation: %d, want 404", st)
	}
	b.submit(`form#confirm-form`)
	b.do("wait for the success flash", chromedp.WaitVisible(chromedp.CSS(`#flash.ok`)))
	if p := b.path(); p != "/admin/pools" {
		b.fatalf("after the confirmation the browser is at %s", p)
	}
	if s := b.text(`#pool-agents-emea .seats`); s != "8" {
		b.fatalf("the list shows agents-emea with %q seats, want 8", s)
	}
	var pool struct {
		Model        string         `json:"model"`
		Seats        int            `json:"seats"`
		Overdraft    int            `json:"overdraft"`
		Ends         string         `json:"ends"`
		IdleTimeout  string         `json:"idle_timeout"`
		Reservations map[string]int `json:"reservations"`
		Queue        *struct {
			MaxLength int `json:"max_length"`
		} `json:"queue"`
	}
	d.c.must(t, "GET", "/api/v1/pools/agents-emea", nil, &pool, http.StatusOK)
	if pool.Model != "concurrent" || pool.Seats != 8 || pool.Overdraft != 1 || pool.Ends != "2027-01-01T00:00:00Z" || pool.IdleTimeout != "45m0s" ||
		pool.Reservations["desk-eu"] != 2 || pool.Queue == nil || pool.Queue.MaxLength != 15 {
		t.Errorf("GET /api/v1/pools/agents-emea: %+v, not what the form said", pool)
	}
	// The creation is audited under the person's name.
	var audit struct {
		Entries []struct {
			Actor, Action, Subject string
		} `json:"entries"`
	}
	d.c.must(t, "GET", "/api/v1/audit?limit=1000", nil, &audit, http.StatusOK)
	if !slices.ContainsFunc(audit.Entries, func(e struct{ Actor, Action, Subject string }) bool {
		return e.Action == "pool.create" && e.Subject == "pool:agents-emea" && e.Actor == "web:"+poolsAdminName
	}) {
		t.Errorf("no pool.create of agents-emea by web:%s in the audit", poolsAdminName)
	}
}

// TestBrowserConsoleForceRelease: an agent takes the one seat of a
// concurrent pool with an agent action; the licence administrator force
// releases it in the console; another agent takes the freed seat; the
// first agent's next action is refused (licence_maxed_out): the seat they
// had is gone.
func TestBrowserConsoleForceRelease(t *testing.T) {
	d := startDesk(t)
	d.agentSKU(t)
	d.c.must(t, "POST", "/api/v1/pools", map[string]any{"id": "floating", "sku": "agent", "model": "concurrent", "seats": 1, "idle_timeout": "30m", "monthly_price": 140}, nil, http.StatusCreated)
	const other = "hana@example.com"
	d.person(t, requesterName, "Rita Requester", "E100", "")
	d.person(t, agentName, "Alex Agent", "E300", password)
	d.person(t, other, "Hana Holder", "E400", "")
	d.person(t, poolsAdminName, "Lena Licence", "E900", password)
	poolsRole(t, d, poolsAdminName, "licence_admin")
	d.member(t, "floating", agentName)
	d.member(t, "floating", other)
	number := d.newTicket(t, requesterName, "Printer offline", "The printer on floor 2 is offline.", "hardware")

	agent := newTab(t, d.p.Base)
	poolsSignIn(agent, agentName, password, "/agent")
	agent.open("/agent/tickets/" + number)
	agent.choose(`form#transition select[name=to]`, "in_progress")
	agent.submit(`form#transition`)
	agent.do("wait for the success flash", chromedp.WaitVisible(chromedp.CSS(`#flash.ok`)))
	if held := d.leases(t); !slices.Equal(held, []string{agentName + "@floating"}) {
		t.Fatalf("leases after the agent's action: %v", held)
	}

	admin := newTab(t, d.p.Base)
	poolsSignIn(admin, poolsAdminName, password, "/admin")
	admin.click(`#console-nav-leases`)
	row := `tr.lease[data-user="` + agentName + `"]`
	if s := admin.text(row); !strings.Contains(s, "Alex Agent") || !strings.Contains(s, "floating") {
		admin.fatalf("the lease row says %q", s)
	}
	admin.click(row + ` a.button`)
	if s := admin.text(`#confirm-lines`); !strings.Contains(s, "Release the seat of floating that Alex Agent ("+agentName+")") {
		admin.fatalf("the release confirmation says %q", s)
	}
	admin.submit(`form#confirm-form`)
	admin.do("wait for the success flash", chromedp.WaitVisible(chromedp.CSS(`#flash.ok`)))
	admin.absent(row)
	if held := d.leases(t); len(held) != 0 {
		t.Fatalf("leases after the force release: %v, want none", held)
	}

	// Someone else takes the freed seat; the agent's next action needs a
	// seat again and is refused.
	var s sessionOut
	d.c.must(t, "POST", "/api/v1/sessions", map[string]any{"user": other}, &s, http.StatusCreated)
	if len(s.Leases) != 1 {
		t.Fatalf("%s did not get the freed seat: %+v", other, s)
	}
	// The agent's ticket page, loaded while they held the seat, still
	// offers the action: it is refused now.
	agent.choose(`form#transition select[name=to]`, "on_hold")
	agent.submit(`form#transition`)
	agent.do("wait for the refusal", chromedp.WaitVisible(chromedp.CSS(`#flash.error`)))
	if code := agent.attr(`#flash.error`, "data-code"); code != "licence_maxed_out" {
		agent.fatalf("the agent's action after the release: data-code %q, want licence_maxed_out", code)
	}
	if st := agent.ticketState(); st != "in_progress" {
		agent.fatalf("ticket %s after the refused action: %s, want in_progress", number, st)
	}
	if held := d.leases(t); !slices.Equal(held, []string{other + "@floating"}) {
		t.Errorf("leases at the end: %v, want only %s's", held, other)
	}
	if k := agent.standing(); k != "read_only" {
		agent.fatalf("/agent after the release: #standing data-kind %q, want read_only", k)
	}
}

// TestBrowserConsoleAuditorRefused: an auditor reads the catalog and the
// live seats but is offered no change; a change posted anyway (with the
// auditor's own form token) answers the 403 page, and nothing changed.
func TestBrowserConsoleAuditorRefused(t *testing.T) {
	d := startDesk(t)
	d.agentSKU(t)
	d.c.must(t, "POST", "/api/v1/pools", map[string]any{"id": "floating", "sku": "agent", "model": "concurrent", "seats": 3, "monthly_price": 140}, nil, http.StatusCreated)
	d.person(t, poolsAuditorName, "Aldo Auditor", "E901", password)
	poolsRole(t, d, poolsAuditorName, "auditor")

	b := newTab(t, d.p.Base)
	poolsSignIn(b, poolsAuditorName, password, "/admin")
	b.open("/admin/pools")
	b.text(`#pool-floating`)
	b.absent(`#new-pool`)
	b.absent(`#edit-floating`)
	b.absent(`#retire-floating`)
	if st := b.open("/admin/pools/new"); st != http.StatusForbidden {
		b.fatalf("/admin/pools/new for an auditor: %d, want 403", st)
	}
	b.open("/admin/leases")
	b.text(`#leases`)

	// Post the changes anyway, as a crafted form of this site would.
	for _, c := range []struct {
		action string
		fields map[string]string
	}{
		{"/admin/pools", map[string]string{"id": "stolen", "sku": "agent", "model": "named", "seats": "5", "confirmed": "yes"}},
		{"/admin/pools/floating", map[string]string{"seats": "1", "confirmed": "yes"}},
		{"/admin/pools/floating/retire", map[string]string{"confirmed": "yes"}},
	} {
		b.open("/admin/pools")
		fields, _ := json.Marshal(c.fields)
		action, _ := json.Marshal(c.action)
		script := `(() => { const f = document.createElement('form'); f.method = 'post'; f.action = ` + string(action) + `;
			const add = (k, v) => { const i = document.createElement('input'); i.type = 'hidden'; i.name = k; i.value = v; f.appendChild(i); };
			add('csrf', document.querySelector('form#signout input[name=csrf]').value);
			for (const [k, v] of Object.entries(` + string(fields) + `)) add(k, v);
			document.body.appendChild(f); f.submit(); })()`
		resp, err := chromedp.RunResponse(b.ctx, chromedp.Evaluate[chromedp.Void](script))
		if err != nil {
			b.fatalf("post %s: %v", c.action, err)
		}
		if resp.Status != http.StatusForbidden {
			b.fatalf("an auditor's POST %s: %d, want 403", c.action, resp.Status)
		}
		if code := b.attr(`#flash.error`, "data-code"); code != "forbidden" {
			b.fatalf("an auditor's POST %s: data-code %q, want forbidden", c.action, code)
		}
	}
	if st, _, _ := d.c.do("GET", "/api/v1/pools/stolen", nil); st != http.StatusNotFound {
		t.Errorf("the auditor's pool exists: %d", st)
	}
	var pool struct {
		Seats int `json:"seats"`
	}
	d.c.must(t, "GET", "/api/v1/pools/floating", nil, &pool, http.StatusOK)
	if pool.Seats != 3 {
		t.Errorf("floating has %d seats after the auditor's post, want 3", pool.Seats)
	}
}
