package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/desk"
)

func TestPortalFlows(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cat := e.seed()
	b := e.login(cat.rita)

	// Home: search, new ticket, chat; no agent console for a requester.
	home := b.get("/")
	for _, id := range []string{"kb-search", "new-ticket", "open-chat", "nav-chat", "signout", "recent"} {
		if !hasID(home.Body, id) {
			t.Errorf("home lacks #%s", id)
		}
	}
	if hasID(home.Body, "nav-agent") {
		t.Errorf("a requester's home links to the agent console")
	}
	if !strings.Contains(home.Body, `name="viewport"`) {
		t.Errorf("home lacks the viewport meta tag")
	}
	checkSecurityHeaders(t, home)
	if cc := home.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store for a personal page", cc)
	}

	// Knowledge base: search, then the article.
	kb := b.get("/kb?q=" + url.QueryEscape("vpn keeps dropping"))
	if kb.Status != http.StatusOK {
		t.Fatalf("GET /kb: status %d; body %.400s", kb.Status, kb.Body)
	}
	res := element(t, kb.Body, "q", "ul") // from the search box to the results' end
	if !strings.Contains(res, "Connect to the VPN") || !strings.Contains(res, `class="snippet"`) {
		t.Fatalf("search results lack the VPN article with a snippet: %.800s", res)
	}
	if strings.Contains(res, "Add a printer") {
		t.Errorf("the VPN search lists the printer article")
	}
	link := regexpFind(t, kb.Body, `<li class="result"><a href="(/kb/[^"]+)">Connect to the VPN</a>`)
	art := b.get(link)
	if art.Status != http.StatusOK || !strings.Contains(art.Body, "office gateway") || !hasID(art.Body, "article") {
		t.Errorf("GET %s: status %d; body %.400s", link, art.Status, art.Body)
	}
	if all := b.get("/kb"); all.Status != http.StatusOK || strings.Count(all.Body, `class="result"`) != 3 {
		t.Errorf("GET /kb lists %d articles, want all 3", strings.Count(all.Body, `class="result"`))
	}
	if p := b.get("/kb?q=" + url.QueryEscape("quantum flux capacitor")); !hasID(p.Body, "no-results") {
		t.Errorf("a search without hits does not say so")
	}
	if p := b.get("/kb/art_missing"); p.Status != http.StatusNotFound {
		t.Errorf("GET a missing article: status %d, want 404", p.Status)
	}

	// New ticket: the form, a refused empty title, then the ticket.
	form := b.get("/tickets/new")
	if !hasID(form.Body, "new-ticket") {
		t.Fatalf("GET /tickets/new lacks form#new-ticket")
	}
	for _, c := range []string{"general", "network", "access", "hardware", "software"} {
		if !strings.Contains(form.Body, `<option value="`+c+`"`) {
			t.Errorf("category select lacks %q", c)
		}
	}
	p := b.post("/tickets", url.Values{"title": {"  "}, "description": {"kept text"}, "category": {"network"}})
	if p.Status != http.StatusBadRequest || !strings.Contains(p.Body, "kept text") {
		t.Errorf("empty title: status %d, want 400 with the description kept; body %.400s", p.Status, p.Body)
	}
	if p := b.post("/tickets", url.Values{"title": {"x"}, "category": {"plumbing"}}); p.Status != http.StatusBadRequest {
		t.Errorf("unknown category: status %d, want 400", p.Status)
	}
	p = b.post("/tickets", url.Values{"title": {"VPN drops every hour"}, "description": {"On the office wifi <b>too</b>."}, "category": {"network"}})
	if p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location(), "/tickets/INC-") {
		t.Fatalf("POST /tickets: status %d Location %q; body %.400s", p.Status, p.Location(), p.Body)
	}
	tp := b.get(p.Location())
	number := text(element(t, tp.Body, "ticket-number", "span"))
	if tp.Status != http.StatusOK || !strings.HasPrefix(number, "INC-") || attrOf(t, tp.Body, "ticket-state", "data-state") != "new" {
		t.Fatalf("ticket page: status %d, number %q, state %q", tp.Status, number, attrOf(t, tp.Body, "ticket-state", "data-state"))
	}
	if class, _, _ := flashOf(t, tp.Body); class != "ok" {
		t.Errorf("ticket page after creating has flash class %q, want ok", class)
	}
	if !strings.Contains(tp.Body, "On the office wifi &lt;b&gt;too&lt;/b&gt;.") {
		t.Errorf("the description is not shown escaped")
	}
	stored := e.ticket(number)
	if stored.Requester != cat.rita.ID || stored.Category != "network" || stored.Title != "VPN drops every hour" {
		t.Errorf("stored ticket %+v", stored)
	}

	// Comment on it.
	if !hasID(tp.Body, "comment") {
		t.Fatalf("ticket page lacks form#comment")
	}
	p = b.post("/tickets/"+number+"/comments", url.Values{"body": {"It happened again at 10:00."}})
	if p.Status != http.StatusSeeOther || p.Location() != "/tickets/"+number+"?done=comment" {
		t.Fatalf("comment: status %d Location %q; body %.400s", p.Status, p.Location(), p.Body)
	}
	tp = b.get(p.Location())
	if !strings.Contains(element(t, tp.Body, "comments", "section"), "It happened again at 10:00.") {
		t.Errorf("the comment is not on the page")
	}
	if p := b.post("/tickets/"+number+"/comments", url.Values{"body": {"   "}}); p.Status != http.StatusBadRequest {
		t.Errorf("empty comment: status %d, want 400", p.Status)
	}

	// My tickets, on the home page and the list.
	for _, path := range []string{"/", "/tickets"} {
		if rows := ticketRows(b.get(path).Body); len(rows) != 1 || rows[0] != number {
			t.Errorf("GET %s lists %v, want [%s]", path, rows, number)
		}
	}
}

func TestRequesterSeesNoWorkNotesNorOthersTickets(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cat := e.seed()
	tk, err := e.desk.CreateTicket(e.ctx, mustPerson(t, e, cat.rita), newTicket("Laptop will not boot"))
	if err != nil {
		t.Fatalf("CreateTicket: %v", err)
	}
	nina := mustPerson(t, e, cat.nina) // a named agent: no session needed
	if _, err := e.desk.Change(e.ctx, nina, tk.ID, desk.Change{Note: &desk.Note{Kind: desk.KindWorkNote, Body: "Internal: disk is failing, order a new one."}}); err != nil {
		t.Fatalf("work note: %v", err)
	}
	if _, err := e.desk.Change(e.ctx, nina, tk.ID, desk.Change{Note: &desk.Note{Kind: desk.KindComment, Body: "We are on it."}}); err != nil {
		t.Fatalf("comment: %v", err)
	}

	rita := e.login(cat.rita)
	p := rita.get("/tickets/" + tk.Number())
	if p.Status != http.StatusOK {
		t.Fatalf("the requester's own ticket: status %d", p.Status)
	}
	if strings.Contains(p.Body, "disk is failing") || hasID(p.Body, "work-notes") || hasID(p.Body, "history") {
		t.Errorf("the requester sees internal work notes or history: %.1200s", p.Body)
	}
	if !strings.Contains(p.Body, "We are on it.") {
		t.Errorf("the requester does not see the agent's comment")
	}
	// The console's page of the same ticket sends her back to the portal.
	if p := rita.get("/agent/tickets/" + tk.Number()); p.Status != http.StatusSeeOther || p.Location() != "/tickets/"+tk.Number() {
		t.Errorf("requester on /agent/tickets: status %d Location %q; want 303 to the portal page", p.Status, p.Location())
	}

	rob := e.login(cat.rob)
	for _, path := range []string{"/tickets/" + tk.Number(), "/tickets/" + tk.ID, "/agent/tickets/" + tk.Number()} {
		p := rob.get(path)
		if p.Status != http.StatusNotFound || strings.Contains(p.Body, "Laptop will not boot") {
			t.Errorf("another requester's GET %s: status %d, want 404 without the ticket", path, p.Status)
		}
	}
	if rows := ticketRows(rob.get("/tickets").Body); len(rows) != 0 {
		t.Errorf("rob's ticket list shows %v", rows)
	}
	p = rob.post("/tickets/"+tk.Number()+"/comments", url.Values{"body": {"mine now"}})
	if p.Status < 400 {
		t.Errorf("rob commenting on rita's ticket: status %d, want a refusal", p.Status)
	}
	if p := rob.post("/agent/tickets/"+tk.Number()+"/transition", url.Values{"to": {"resolved"}}); p.Status < 400 {
		t.Errorf("rob transitioning rita's ticket: status %d, want a refusal", p.Status)
	}
	if p := rob.get("/agent"); p.Status != http.StatusForbidden {
		t.Errorf("a requester's GET /agent: status %d, want 403", p.Status)
	} else if _, code, _ := flashOf(t, p.Body); code != "no_licence" {
		t.Errorf("a requester's GET /agent: data-code %q, want no_licence", code)
	}
	got := e.ticket(tk.ID)
	if got.State != desk.StateNew || len(got.Comments) != 1 {
		t.Errorf("rob's refused posts changed the ticket: state %s, %d comments", got.State, len(got.Comments))
	}
}
