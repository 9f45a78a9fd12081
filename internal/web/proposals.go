package web

import (
	"net/http"
	"strings"

	"github.com/seatkeeper/seatkeeper/internal/desk"
)

// proposalRow is a pending proposal as the console lists it.
type proposalRow struct {
	desk.Proposal
	Number string
	Acting string // the acting person, or the raw value marked unverified
	What   string // the change in words
}

func (p *Pages) proposals(w http.ResponseWriter, r *http.Request, v *visit) {
	p.showProposals(w, r, v, http.StatusOK, doneFlash(r))
}

// recentlyDecided is how many decided proposals the page shows under the
// pending ones, so a proposal closed as superseded is seen as such.
const recentlyDecided = 20

func (p *Pages) showProposals(w http.ResponseWriter, r *http.Request, v *visit, status int, f *flash) {
	list, err := p.desk.ListProposals(r.Context(), v.p, desk.ProposalPending, 200)
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	recent, err := p.desk.ListProposals(r.Context(), v.p, "", 200+recentlyDecided)
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	rows := make([]proposalRow, 0, len(list))
	for _, pr := range list {
		rows = append(rows, p.proposalRow(pr))
	}
	var decided []proposalRow
	for _, pr := range recent {
		if pr.State != desk.ProposalPending && len(decided) < recentlyDecided {
			decided = append(decided, p.proposalRow(pr))
		}
	}
	sv, err := p.standing(r, v)
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	data := p.base(v, "Proposals")
	data["Proposals"], data["Decided"], data["Flash"], data["Standing"] = rows, decided, f, sv
	p.render(w, "proposals.html", status, data)
}

func (p *Pages) proposalRow(pr desk.Proposal) proposalRow {
	acting := pr.ActingRaw + " (unverified)"
	if u, ok := p.svc.Engine.User(pr.ActingUser); ok && pr.ActingUser != "" {
		acting = u.DisplayName + " (" + u.UserName + ")"
	} else if pr.ActingName != "" {
		acting = pr.ActingName
	}
	return proposalRow{Proposal: pr, Number: desk.FormatNumber(pr.TicketSeq), Acting: acting, What: p.describe(pr.Change)}
}

// name is a person's user name by id, or the id.
func (p *Pages) name(id string) string {
	if u, ok := p.svc.Engine.User(id); ok {
		return u.UserName
	}
	return id
}

// describe says what a change does, in words.
func (p *Pages) describe(ch desk.Change) string {
	var parts []string
	if ch.State != "" {
		parts = append(parts, "state → "+label(ch.State))
	}
	if ch.Assignee != nil {
		if *ch.Assignee == "" {
			parts = append(parts, "unassign")
		} else {
			parts = append(parts, "assign to "+p.name(*ch.Assignee))
		}
	}
	if ch.Priority != "" {
		parts = append(parts, "priority → "+label(ch.Priority))
	}
	if ch.Category != "" {
		parts = append(parts, "category → "+ch.Category)
	}
	if ch.Note != nil {
		parts = append(parts, label(ch.Note.Kind)+": “"+excerpt(ch.Note.Body, 200)+"”")
	}
	return strings.Join(parts, "; ")
}

func (p *Pages) decideProposal(w http.ResponseWriter, r *http.Request, v *visit) {
	confirm := strings.HasSuffix(r.URL.Path, "/confirm")
	pr, _, err := p.desk.DecideProposal(r.Context(), v.p, r.PathValue("id"), confirm, strings.TrimSpace(r.PostForm.Get("reason")))
	if err != nil {
		if p.lost(w, r, err) {
			return
		}
		status, f := p.explain(r, err)
		p.showProposals(w, r, v, status, f)
		return
	}
	key := "reject"
	switch {
	case pr.State == desk.ProposalSuperseded:
		key = "superseded"
	case confirm:
		key = "confirm"
	}
	http.Redirect(w, r, "/agent/proposals?done="+key, http.StatusSeeOther)
}

// The proposals page's own done messages, beside web.go's.
func init() {
	done["superseded"] = "The ticket already holds that change, so nothing was applied: the proposal is closed as superseded."
}
