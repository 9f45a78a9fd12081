package storetest

import (
	"time"

	"github.com/seatkeeper/seatkeeper/internal/desk"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// ---- approvals, change tickets and assets ----

func approvalTests() []testCase {
	return []testCase{
		{"request_and_answer", testApprovalAnswer},
		{"answered_once", testApprovalOnce},
		{"change_kind_and_asset", testTicketKindAsset},
	}
}

func testApprovalAnswer(e *env) {
	ann, bob, cat := e.user("ann"), e.user("bob"), e.user("cat")
	tk := e.newTicket(by(ann), ann, "new laptop")
	e.clock.Advance(time.Minute)
	head := e.auditHead()
	a, err := e.s.RequestApproval(e.ctx, by(bob), tk.Number(), cat.UserName)
	if err != nil {
		e.t.Fatalf("RequestApproval: %v", err)
	}
	if a.ID == "" || a.Ticket != tk.ID || a.TicketSeq != tk.Seq || a.Approver != cat.ID || a.ApproverName != "cat" ||
		a.RequestedBy != "bob" || a.State != desk.ApprovalPending || !a.CreatedAt.Equal(Epoch.Add(time.Minute)) || !a.DecidedAt.IsZero() {
		e.t.Errorf("requested approval %+v", a)
	}
	if _, err := e.s.RequestApproval(e.ctx, by(bob), tk.ID, "nobody"); licensing.ErrorCode(err) != licensing.CodeNotFound {
		e.t.Errorf("RequestApproval(nobody) = %v, want not_found", err)
	}
	if _, err := e.s.RequestApproval(e.ctx, by(bob), "INC-999999", cat.ID); licensing.ErrorCode(err) != licensing.CodeNotFound {
		e.t.Errorf("RequestApproval(no ticket) = %v, want not_found", err)
	}
	pending, err := e.s.ListApprovals(e.ctx, desk.ApprovalFilter{Approver: cat.ID, State: desk.ApprovalPending})
	if err != nil || len(pending) != 1 || pending[0].ID != a.ID {
		e.t.Errorf("pending for cat = %+v, %v", pending, err)
	}
	if other, _ := e.s.ListApprovals(e.ctx, desk.ApprovalFilter{Approver: bob.ID}); len(other) != 0 {
		e.t.Errorf("approvals for bob = %+v, want none", other)
	}
	e.clock.Advance(time.Minute)
	got, err := e.s.AnswerApproval(e.ctx, by(cat), a.ID, true, "ok")
	if err != nil || got.State != desk.ApprovalApproved || got.Comment != "ok" || !got.DecidedAt.Equal(Epoch.Add(2*time.Minute)) {
		e.t.Errorf("AnswerApproval = %+v, %v", got, err)
	}
	if again, _ := e.s.GetApproval(e.ctx, a.ID); again.State != desk.ApprovalApproved {
		e.t.Errorf("stored approval %+v", again)
	}
	if pending, _ := e.s.ListApprovals(e.ctx, desk.ApprovalFilter{Approver: cat.ID, State: desk.ApprovalPending}); len(pending) != 0 {
		e.t.Errorf("still pending: %+v", pending)
	}
	full := e.getTicket(tk.ID)
	if len(full.Approvals) != 1 || full.Approvals[0].State != desk.ApprovalApproved || full.Version != 3 {
		e.t.Errorf("ticket approvals %+v version %d", full.Approvals, full.Version)
	}
	var hist []desk.HistoryEntry
	for _, h := range full.History {
		if h.Field == "approval" {
			hist = append(hist, h)
		}
	}
	if len(hist) != 2 || hist[0].Actor != "bob" || hist[0].To != "requested from cat" || hist[1].Actor != "cat" || hist[1].From != "pending" || hist[1].To != "approved by cat" {
		e.t.Errorf("approval history %+v", hist)
	}
	es := e.auditAfter(head)
	if len(es) != 2 || es[0].Action != "approval.request" || es[0].Actor != "bob" || es[1].Action != "approval.approve" || es[1].Actor != "cat" || es[1].Subject != "approval:"+a.ID {
		e.t.Errorf("audit = %+v, want approval.request then approval.approve", es)
	}
	if _, err := e.s.GetApproval(e.ctx, "apr_missing"); licensing.ErrorCode(err) != licensing.CodeNotFound {
		e.t.Errorf("GetApproval(missing) = %v", err)
	}
}

func testApprovalOnce(e *env) {
	ann, cat := e.user("ann"), e.user("cat")
	tk := e.newTicket(by(ann), ann, "access")
	a, err := e.s.RequestApproval(e.ctx, by(ann), tk.ID, cat.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	head := e.auditHead()
	if _, err := e.s.AnswerApproval(e.ctx, by(cat), a.ID, false, ""); err != nil {
		e.t.Fatalf("reject: %v", err)
	}
	_, err = e.s.AnswerApproval(e.ctx, by(cat), a.ID, true, "")
	wantCode(e.t, "AnswerApproval(twice)", err, licensing.CodeConflict)
	if got, _ := e.s.GetApproval(e.ctx, a.ID); got.State != desk.ApprovalRejected {
		e.t.Errorf("state %s, want rejected", got.State)
	}
	if es := e.auditAfter(head); len(es) != 1 || es[0].Action != "approval.reject" {
		e.t.Errorf("audit = %v, want one approval.reject", actions(es))
	}
}

func testTicketKindAsset(e *env) {
	ann, bob := e.user("ann"), e.user("bob")
	inc := e.newTicket(by(ann), ann, "broken")
	if inc.Kind != desk.KindIncident || e.getTicket(inc.ID).Kind != desk.KindIncident {
		e.t.Errorf("default kind %q", inc.Kind)
	}
	ch := e.newTicket(by(bob), ann, "patch", func(n *desk.NewTicket) { n.Kind = desk.KindChange })
	if got := e.getTicket(ch.Number()); got.Kind != desk.KindChange {
		e.t.Errorf("stored kind %q", got.Kind)
	}
	if _, err := e.s.CreateTicket(e.ctx, by(bob), ann.ID, desk.NewTicket{Title: "x", Kind: "problem"}); licensing.ErrorCode(err) != licensing.CodeInvalid {
		e.t.Errorf("kind problem: %v", err)
	}
	head := e.auditHead()
	got := e.change(by(bob), ch, desk.Change{State: desk.StateInProgress})
	if es := e.auditAfter(head); len(es) != 1 || es[0].Action != "change.implement" {
		e.t.Errorf("audit = %v, want change.implement", actions(es))
	}
	got = e.change(by(bob), got, desk.Change{Asset: ptr("SRV-01")})
	if got.Asset != "SRV-01" || got.History[len(got.History)-1] != (desk.HistoryEntry{At: Epoch, Actor: "bob", Field: "asset", To: "SRV-01"}) {
		e.t.Errorf("asset %q history %+v", got.Asset, got.History)
	}
	if list, _ := e.s.ListTickets(e.ctx, desk.TicketFilter{}); len(list) != 2 || list[0].Asset != "SRV-01" || list[0].Kind != desk.KindChange {
		e.t.Errorf("listed %+v", list)
	}
	_, err := e.s.ChangeTicket(e.ctx, by(bob), ch.ID, desk.Change{Asset: ptr("no spaces")})
	wantCode(e.t, "ChangeTicket(bad asset)", err, licensing.CodeInvalid)
	got = e.change(by(bob), got, desk.Change{Asset: ptr("")})
	if got.Asset != "" || got.History[len(got.History)-1].From != "SRV-01" {
		e.t.Errorf("unlinked asset %q", got.Asset)
	}
}
