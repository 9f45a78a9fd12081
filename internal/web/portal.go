package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/seatkeeper/seatkeeper/internal/bot"
	"github.com/seatkeeper/seatkeeper/internal/desk"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// categories are the ticket categories a requester picks from.
var categories = []string{bot.CategoryGeneral, bot.CategoryNetwork, bot.CategoryAccess, bot.CategoryHardware, bot.CategorySoftware}

func validCategory(c string) bool {
	for _, x := range categories {
		if c == x {
			return true
		}
	}
	return false
}

func (p *Pages) home(w http.ResponseWriter, r *http.Request, v *visit) {
	list, err := p.desk.ListTickets(r.Context(), v.p, desk.TicketFilter{Limit: 5}, false)
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	pending, err := p.pendingApprovals(r, v)
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	// A holder whose named seat is going dormant is told here (DESIGN §3.1).
	warnings, err := p.dormantWarnings(r.Context(), v)
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	data := p.base(v, "Self-service")
	data["Tickets"], data["PendingApprovals"], data["Dormant"] = list, len(pending), warnings
	p.render(w, "home.html", http.StatusOK, data)
}

// kbResult is one line of a knowledge-base search.
type kbResult struct {
	ID, Title, Snippet string
}

func (p *Pages) kbSearch(w http.ResponseWriter, r *http.Request, v *visit) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if len(q) > 500 {
		p.fail(w, r, v, licensing.FieldErrorf(licensing.CodeInvalid, "q", "the search is longer than 500 bytes"))
		return
	}
	arts, hits, err := p.desk.SearchArticles(r.Context(), v.p, q, 20)
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	var results []kbResult
	for _, a := range arts {
		results = append(results, kbResult{ID: a.ID, Title: a.Title, Snippet: excerpt(a.Body, 160)})
	}
	for _, h := range hits {
		results = append(results, kbResult{ID: h.Article.ID, Title: h.Article.Title, Snippet: h.Snippet})
	}
	data := p.base(v, "Knowledge base")
	data["Query"], data["Results"] = q, results
	p.render(w, "kb.html", http.StatusOK, data)
}

func excerpt(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

func (p *Pages) kbArticle(w http.ResponseWriter, r *http.Request, v *visit) {
	a, err := p.desk.GetArticle(r.Context(), v.p, r.PathValue("id"))
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	data := p.base(v, a.Title)
	data["Article"] = a
	p.render(w, "article.html", http.StatusOK, data)
}

func (p *Pages) myTickets(w http.ResponseWriter, r *http.Request, v *visit) {
	list, err := p.desk.ListTickets(r.Context(), v.p, desk.TicketFilter{Limit: 200}, false)
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	data := p.base(v, "My tickets")
	data["Tickets"] = list
	p.render(w, "tickets.html", http.StatusOK, data)
}

func (p *Pages) newTicketForm(w http.ResponseWriter, r *http.Request, v *visit) {
	data := p.base(v, "New ticket")
	data["Categories"], data["Form"] = categories, desk.NewTicket{Category: bot.CategoryGeneral}
	p.render(w, "new_ticket.html", http.StatusOK, data)
}

func (p *Pages) createTicket(w http.ResponseWriter, r *http.Request, v *visit) {
	n := desk.NewTicket{Title: r.PostForm.Get("title"), Description: r.PostForm.Get("description"), Category: r.PostForm.Get("category")}
	p.openTicket(w, r, v, n)
}

// openTicket creates a ticket and sends the person to it, or shows the form
// again with what went wrong.
func (p *Pages) openTicket(w http.ResponseWriter, r *http.Request, v *visit, n desk.NewTicket) {
	var err error
	if n.Category = strings.ToLower(strings.TrimSpace(n.Category)); n.Category == "" {
		n.Category = bot.CategoryGeneral
	}
	if !validCategory(n.Category) {
		err = licensing.FieldErrorf(licensing.CodeInvalid, "category", "category must be one of %s", strings.Join(categories, ", "))
	}
	var t desk.Ticket
	if err == nil {
		t, err = p.desk.CreateTicket(r.Context(), v.p, n)
	}
	if err != nil {
		if p.lost(w, r, err) {
			return
		}
		status, f := p.explain(r, err)
		data := p.base(v, "New ticket")
		data["Categories"], data["Form"], data["Flash"] = categories, n, f
		p.render(w, "new_ticket.html", status, data)
		return
	}
	http.Redirect(w, r, "/tickets/"+url.PathEscape(t.Number())+"?done=created", http.StatusSeeOther)
}

// ticket is the portal's view of one ticket: a requester sees their own
// without work notes; an agent sees any with notes and history.
func (p *Pages) ticket(w http.ResponseWriter, r *http.Request, v *visit) {
	p.showTicket(w, r, v, http.StatusOK, doneFlash(r), "")
}

func (p *Pages) showTicket(w http.ResponseWriter, r *http.Request, v *visit, status int, f *flash, body string) {
	t, access, err := p.desk.GetTicket(r.Context(), v.p, r.PathValue("key"))
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	data := p.base(v, t.Number()+" "+t.Title)
	data["Ticket"], data["All"], data["Flash"], data["Body"] = t, access == desk.AccessAll, f, body
	p.render(w, "ticket.html", status, data)
}

func (p *Pages) comment(w http.ResponseWriter, r *http.Request, v *visit) {
	body := r.PostForm.Get("body")
	key := r.PathValue("key")
	res, err := p.desk.Change(r.Context(), v.p, key, desk.Change{Note: &desk.Note{Kind: desk.KindComment, Body: body}})
	if err != nil {
		if p.lost(w, r, err) {
			return
		}
		status, f := p.explain(r, err)
		p.showTicket(w, r, v, status, f, body)
		return
	}
	http.Redirect(w, r, "/tickets/"+url.PathEscape(res.Ticket.Number())+"?done=comment", http.StatusSeeOther)
}
