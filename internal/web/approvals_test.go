package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/desk"
)

var approvalRowRE = regexp.MustCompile(`<tr class="approval" data-id="([^"]+)">`)

// TestApprovalsPage: an agent asks from the ticket page; the approvers see
// it linked from their portal home and answer it on /approvals, without any
// seat (a person registered for a concurrent pool takes no lease); only the
// named approver answers, once.
func TestApprovalsPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cat := e.seed()
	vpn, _, _ := e.tickets(t, cat)

	nina := e.login(cat.nina)
	p := nina.get("/agent/tickets/" + vpn.Number())
	if p.Status != http.StatusOK || !hasID(p.Body, "request-approval") || !strings.Contains(p.Body, `name="approver"`) {
		t.Fatalf("agent ticket page lacks form#request-approval: status %d; body %.800s", p.Status, p.Body)
	}
	for _, who := range []string{"rita@example.com", "fred@example.com"} {
		r := nina.post("/agent/tickets/"+vpn.Number()+"/approvals", url.Values{"approver": {who}})
		if r.Status != http.StatusSeeOther || r.Location() != "/agent/tickets/"+vpn.Number()+"?done=approval-requested" {
			t.Fatalf("request approval from %s: status %d Location %q; body %.600s", who, r.Status, r.Location(), r.Body)
		}
	}
	r := nina.post("/agent/tickets/"+vpn.Number()+"/approvals", url.Values{"approver": {"nobody@example.com"}})
	if class, _, _ := flashOf(t, r.Body); r.Status != http.StatusNotFound || class != "error" || !strings.Contains(r.Body, `value="nobody@example.com"`) {
		t.Errorf("unknown approver: status %d flash %q, want 404 with the typed value kept", r.Status, class)
	}
	p = nina.get("/agent/tickets/" + vpn.Number())
	if list := text(element(t, p.Body, "approvals", "section")); !strings.Contains(list, "rita@example.com") || !strings.Contains(list, "Pending") {
		t.Errorf("agent ticket page approvals: %s", list)
	}

	// Rita (requester): the home page links to her approval.
	rita := e.login(cat.rita)
	home := rita.get("/")
	if !hasID(home.Body, "pending-approvals") {
		t.Fatalf("portal home lacks the pending-approvals link: %.1200s", home.Body)
	}
	p = rita.get("/approvals")
	ids := approvalRowRE.FindAllStringSubmatch(p.Body, -1)
	if p.Status != http.StatusOK || len(ids) != 1 {
		t.Fatalf("GET /approvals: status %d, %d rows; body %.1200s", p.Status, len(ids), p.Body)
	}
	id := ids[0][1]
	for _, want := range []string{`class="approve inline" method="post" action="/approvals/` + id + `/approve"`, `class="reject inline" method="post" action="/approvals/` + id + `/reject"`} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("approvals page lacks %s", want)
		}
	}
	// Without the CSRF token nothing happens.
	if r := e.do(rita.c, "POST", "/approvals/"+id+"/approve", url.Values{}, e.srv.URL); r.Status != http.StatusForbidden {
		t.Errorf("approve without CSRF: status %d, want 403", r.Status)
	}
	// Someone else cannot answer it.
	rob := e.login(cat.rob)
	if r := rob.post("/approvals/"+id+"/approve", nil); r.Status != http.StatusForbidden {
		t.Errorf("rob answering rita's approval: status %d, want 403", r.Status)
	}
	r = rita.post("/approvals/"+id+"/approve", url.Values{"comment": {"Go ahead"}})
	if r.Status != http.StatusSeeOther || r.Location() != "/approvals?done=approval-approved" {
		t.Fatalf("approve: status %d Location %q; body %.600s", r.Status, r.Location(), r.Body)
	}
	if r := rita.post("/approvals/"+id+"/reject", nil); r.Status != http.StatusConflict {
		t.Errorf("second answer: status %d, want 409", r.Status)
	}
	if p := rita.get("/approvals?done=approval-approved"); len(approvalRowRE.FindAllString(p.Body, -1)) != 0 {
		t.Errorf("answered approval still listed")
	}

	// Fred is registered for the concurrent pool: rejecting takes no seat.
	fred := e.login(cat.fred)
	p = fred.get("/approvals")
	ids = approvalRowRE.FindAllStringSubmatch(p.Body, -1)
	if len(ids) != 1 {
		t.Fatalf("fred's approvals: %d rows", len(ids))
	}
	if r := fred.post("/approvals/"+ids[0][1]+"/reject", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("fred rejects: status %d; body %.600s", r.Status, r.Body)
	}
	if n := e.leases("agents-floating"); n != 0 {
		t.Errorf("answering an approval took %d floating seats, want 0", n)
	}
	got := e.ticket(vpn.ID)
	states := map[string]desk.ApprovalState{}
	for _, a := range got.Approvals {
		states[a.ApproverName] = a.State
	}
	if states["rita@example.com"] != desk.ApprovalApproved || states["fred@example.com"] != desk.ApprovalRejected {
		t.Errorf("stored approvals %+v", got.Approvals)
	}
}
