package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/seatkeeper/seatkeeper/internal/desk"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// approvalRow is an approval as the portal lists it.
type approvalRow struct {
	desk.Approval
	Number string
}

// pendingApprovals lists what the person is asked to approve.
func (p *Pages) pendingApprovals(r *http.Request, v *visit) ([]approvalRow, error) {
	list, err := p.desk.ListApprovals(r.Context(), v.p, desk.ApprovalPending, 200)
	if err != nil {
		return nil, err
	}
	rows := make([]approvalRow, len(list))
	for i, a := range list {
		rows[i] = approvalRow{Approval: a, Number: desk.FormatNumber(a.TicketSeq)}
	}
	return rows, nil
}

// approvals is the portal page of approvals waiting for the person's
// answer (free tier: answering takes no seat).
func (p *Pages) approvals(w http.ResponseWriter, r *http.Request, v *visit) {
	p.showApprovals(w, r, v, http.StatusOK, doneFlash(r))
}

func (p *Pages) showApprovals(w http.ResponseWriter, r *http.Request, v *visit, status int, f *flash) {
	rows, err := p.pendingApprovals(r, v)
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	data := p.base(v, "Approvals")
	data["Approvals"], data["Flash"] = rows, f
	p.render(w, "approvals.html", status, data)
}

func (p *Pages) answerApproval(w http.ResponseWriter, r *http.Request, v *visit) {
	approve := strings.HasSuffix(r.URL.Path, "/approve")
	_, err := p.desk.AnswerApproval(r.Context(), v.p, r.PathValue("id"), approve, strings.TrimSpace(r.PostForm.Get("comment")))
	if err != nil {
		if p.lost(w, r, err) {
			return
		}
		status, f := p.explain(r, err)
		p.showApprovals(w, r, v, status, f)
		return
	}
	key := "approval-rejected"
	if approve {
		key = "approval-approved"
	}
	http.Redirect(w, r, "/approvals?done="+key, http.StatusSeeOther)
}

// requestApproval asks a person, from the agent's ticket page, to approve.
func (p *Pages) requestApproval(w http.ResponseWriter, r *http.Request, v *visit) {
	who := strings.TrimSpace(r.PostForm.Get("approver"))
	kept := map[string]string{"approver": who}
	var err error
	if who == "" {
		err = licensing.FieldErrorf(licensing.CodeInvalid, "approver", "name the person who should approve")
	} else {
		_, err = p.desk.RequestApproval(r.Context(), v.p, r.PathValue("key"), who)
	}
	if err != nil {
		if p.lost(w, r, err) {
			return
		}
		status, f := p.explain(r, err)
		p.showAgentTicket(w, r, v, status, f, kept)
		return
	}
	http.Redirect(w, r, "/agent/tickets/"+url.PathEscape(r.PathValue("key"))+"?done=approval-requested", http.StatusSeeOther)
}
