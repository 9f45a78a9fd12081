package e2e

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// The browser tests drive the real pages in a real headless Chromium
// against the real binary, as the people of DESIGN §1 use them: a requester
// in the portal and the chat (free tier, no agent seat), an agent on a
// concurrent seat taken at their first agent action and returned at sign
// out, and an agent who meets a full pool and keeps reading (§3.1 lazy
// checkout, §3.4). They fail, never skip, without a browser.

const (
	requesterName = "rita@example.com"
	agentName     = "alex@example.com"
	password      = "correct horse battery staple"
)

// TestBrowserRequesterPortalAndChat: a requester signs in, submits a ticket
// through the form, asks the bot about a problem an article covers, says it
// did not help and opens a second ticket from the chat. Both tickets are
// theirs, and they hold no seat.
func TestBrowserRequesterPortalAndChat(t *testing.T) {
	d := startDesk(t)
	d.agentSKU(t)
	d.c.must(t, "POST", "/api/v1/pools", map[string]any{"id": "kb-writers", "sku": "agent", "model": "named", "seats": 1, "monthly_price": 95}, nil, http.StatusCreated)
	const writer = "wes@example.com"
	d.person(t, requesterName, "Rita Requester", "E100", password)
	d.person(t, writer, "Wes Writer", "E200", "")
	d.member(t, "kb-writers", writer) // a named agent seat: kb.write needs one
	const vpnArticle = "Fix VPN disconnects on home Wi-Fi"
	for _, a := range []map[string]any{
		{"title": vpnArticle, "body": "If the VPN keeps disconnecting when you work from home, switch your Wi-Fi router to 5 GHz and reconnect the VPN client.", "tags": []string{"vpn", "network"}},
		{"title": "Reset a forgotten password", "body": "Open the self-service password page, answer your security questions and choose a new password.", "tags": []string{"password", "access"}},
	} {
		mustAs(t, d.c, writer, "POST", "/api/v1/articles", a, nil, http.StatusCreated)
	}

	b := newTab(t, d.p.Base)
	b.signIn(requesterName, password)
	b.absent(`a#nav-agent`) // the portal offers the console to agents only

	// A ticket through the form.
	b.open("/tickets/new")
	b.do("wait for the new-ticket form", chromedp.WaitVisible(chromedp.CSS(`form#new-ticket`)))
	b.fill(`form#new-ticket input[name=title]`, "Printer on floor 3 jams")
	b.fill(`form#new-ticket textarea[name=description]`, "The printer by the lifts jams on every second page.")
	category := b.choose(`form#new-ticket select[name=category]`, "hardware")
	b.submit(`form#new-ticket`)
	first := b.ticketNumber()
	if st := b.ticketState(); st != "new" {
		b.fatalf("ticket %s from the form: #ticket-state %q, want new", first, st)
	}

	// The chat: an article first, then a ticket.
	b.open("/chat")
	b.fill(`form#chat-form [name=message]`, "My VPN keeps disconnecting when I work from home")
	b.do("send the first chat message", chromedp.Click(submitButton(`form#chat-form`)))
	b.waitText("user-msg", "VPN keeps disconnecting")
	b.waitText("bot-msg", vpnArticle)
	b.fill(`form#chat-form [name=message]`, "that didn't help, open a ticket")
	b.do("send the second chat message", chromedp.Click(submitButton(`form#chat-form`)))
	b.waitText("bot-msg", "open a ticket")
	b.do("wait for the bot's offer", chromedp.WaitVisible(chromedp.CSS(`form#chat-open-ticket`)))
	b.submit(`form#chat-open-ticket`)
	second := b.ticketNumber()
	if second == first {
		b.fatalf("the chat's ticket page shows %s, the form's ticket; want a new one", second)
	}
	if st := b.ticketState(); st != "new" {
		b.fatalf("ticket %s from the chat: #ticket-state %q, want new", second, st)
	}

	// The API sees both, as the requester's.
	var mine struct {
		Tickets []ticketOf `json:"tickets"`
	}
	mustAs(t, d.c, requesterName, "GET", "/api/v1/tickets?scope=mine", nil, &mine, http.StatusOK)
	var numbers []string
	for _, tk := range mine.Tickets {
		numbers = append(numbers, tk.Number)
	}
	for _, n := range []string{first, second} {
		if !slices.Contains(numbers, n) {
			t.Errorf("GET /api/v1/tickets?scope=mine as %s: %v, want %s among them", requesterName, numbers, n)
		}
	}
	formTicket := d.ticket(t, requesterName, first)
	if formTicket.Requester != requesterName || formTicket.Title != "Printer on floor 3 jams" || normState(formTicket.Category) != normState(category) || formTicket.State != "new" {
		t.Errorf("ticket %s from the form: %+v, want requester %s, the title typed, category %s, state new", first, formTicket, requesterName, category)
	}
	chatTicket := d.ticket(t, requesterName, second)
	if chatTicket.Requester != requesterName || chatTicket.State != "new" {
		t.Errorf("ticket %s from the chat: %+v, want requester %s, state new", second, chatTicket, requesterName)
	}
	if !strings.Contains(chatTicket.Title+" "+chatTicket.Description, "VPN") {
		t.Errorf("ticket %s from the chat: title %q, description %q; want the problem told to the bot (VPN) in them", second, chatTicket.Title, chatTicket.Description)
	}

	// The portal took no agent seat.
	if held := d.leases(t); len(held) != 0 {
		t.Errorf("GET /api/v1/leases after the requester's portal work: %v, want none", held)
	}
}

// TestBrowserAgentTransitionTakesAndReturnsLease: an agent registered on a
// concurrent pool with free seats signs in on demand, takes the seat with
// their first agent action (a transition), and returns it by signing out.
func TestBrowserAgentTransitionTakesAndReturnsLease(t *testing.T) {
	d := startDesk(t)
	d.agentSKU(t)
	d.c.must(t, "POST", "/api/v1/pools", map[string]any{"id": "floating", "sku": "agent", "model": "concurrent", "seats": 2, "idle_timeout": "30m", "monthly_price": 140}, nil, http.StatusCreated)
	d.person(t, requesterName, "Rita Requester", "E100", "")
	d.person(t, agentName, "Alex Agent", "E300", password)
	d.member(t, "floating", agentName)
	number := d.newTicket(t, requesterName, "VPN down", "The VPN drops every few minutes.", "network")

	b := newTab(t, d.p.Base)
	b.signInTo(agentName, password, "/agent")
	b.do("wait for the console link", chromedp.WaitVisible(chromedp.CSS(`a#nav-agent`)))
	if held := d.leases(t); len(held) != 0 {
		t.Errorf("GET /api/v1/leases after the agent signed in: %v, want none (the seat is taken at the first agent action)", held)
	}
	if k := b.standing(); k != "on_demand" {
		b.fatalf("/agent before any agent action: #standing data-kind %q, want on_demand", k)
	}
	b.do("wait for "+number+" in the queue", chromedp.WaitVisible(chromedp.CSS(`tr.ticket[data-number="`+number+`"]`)))

	b.open("/agent/tickets/" + number)
	if n := b.ticketNumber(); n != number {
		b.fatalf("/agent/tickets/%s shows #ticket-number %s", number, n)
	}
	if st := b.ticketState(); st != "new" {
		b.fatalf("ticket %s before the transition: #ticket-state %q, want new", number, st)
	}
	b.choose(`form#transition select[name=to]`, "in_progress")
	b.submit(`form#transition`)
	b.do("wait for the success flash", chromedp.WaitVisible(chromedp.CSS(`#flash.ok`)))
	if st := b.ticketState(); st != "in_progress" {
		b.fatalf("ticket %s after the transition: #ticket-state %q, want in_progress", number, st)
	}
	if k := b.standing(); k != "lease" {
		b.fatalf("/agent after the transition: #standing data-kind %q, want lease", k)
	}
	if tk := d.ticket(t, requesterName, number); tk.State != "in_progress" {
		t.Errorf("GET /api/v1/tickets/%s: state %q, want in_progress", number, tk.State)
	}
	if held := d.leases(t); !slices.Equal(held, []string{agentName + "@floating"}) {
		t.Errorf("GET /api/v1/leases after the transition: %v, want one lease of %s on floating", held, agentName)
	}

	b.signOut()
	if held := d.leases(t); len(held) != 0 {
		t.Errorf("GET /api/v1/leases after signing out: %v, want none (the seat returns at sign out)", held)
	}
	b.open("/agent")
	if p := b.path(); p != "/signin" {
		b.fatalf("/agent after signing out: the browser is at %s, want /signin", p)
	}
}

// TestBrowserFullPoolReadsOnly: the only seat of a concurrent pool is held
// by another agent. The browser's agent can still read a ticket, is refused
// the transition with licence_maxed_out (the state stays), is queued, and
// the console says they read only.
func TestBrowserFullPoolReadsOnly(t *testing.T) {
	d := startDesk(t)
	d.agentSKU(t)
	d.c.must(t, "POST", "/api/v1/pools", map[string]any{
		"id": "floating", "sku": "agent", "model": "concurrent", "seats": 1, "idle_timeout": "30m", "monthly_price": 140,
		"queue": map[string]any{"max_length": 10},
	}, nil, http.StatusCreated)
	const holder = "hana@example.com"
	d.person(t, requesterName, "Rita Requester", "E100", "")
	d.person(t, holder, "Hana Holder", "E400", "")
	d.person(t, agentName, "Alex Agent", "E300", password)
	d.member(t, "floating", holder)
	d.member(t, "floating", agentName)
	number := d.newTicket(t, requesterName, "Laptop will not boot", "Black screen after the logo.", "hardware")
	var s sessionOut
	d.c.must(t, "POST", "/api/v1/sessions", map[string]any{"user": holder}, &s, http.StatusCreated)
	if len(s.Leases) != 1 {
		t.Fatalf("POST /api/v1/sessions for %s: leases %+v, want the pool's one seat", holder, s.Leases)
	}

	b := newTab(t, d.p.Base)
	b.signInTo(agentName, password, "/agent")
	b.open("/agent/tickets/" + number)
	if n := b.ticketNumber(); n != number {
		b.fatalf("/agent/tickets/%s shows #ticket-number %s", number, n)
	}
	if st := b.ticketState(); st != "new" {
		b.fatalf("ticket %s: #ticket-state %q, want new", number, st)
	}
	b.choose(`form#transition select[name=to]`, "in_progress")
	b.submit(`form#transition`)
	b.do("wait for the refusal", chromedp.WaitVisible(chromedp.CSS(`#flash.error`)))
	if code := b.attr(`#flash.error`, "data-code"); code != "licence_maxed_out" {
		b.fatalf("transition on a full pool: #flash.error data-code %q, want licence_maxed_out", code)
	}
	if st := b.ticketState(); st != "new" {
		b.fatalf("ticket %s after the refused transition: #ticket-state %q, want new", number, st)
	}

	if k := b.standing(); k != "read_only" {
		b.fatalf("/agent on a full pool: #standing data-kind %q, want read_only", k)
	}
	if pos := b.text(`#queue-position`); firstInt(pos) != 1 {
		b.fatalf("/agent: #queue-position says %q, want 1 (first in the pool's queue)", pos)
	}

	if tk := d.ticket(t, requesterName, number); tk.State != "new" {
		t.Errorf("GET /api/v1/tickets/%s after the refusal: state %q, want new", number, tk.State)
	}
	if held := d.leases(t); !slices.Equal(held, []string{holder + "@floating"}) {
		t.Errorf("GET /api/v1/leases: %v, want only %s's lease on floating", held, holder)
	}
}
