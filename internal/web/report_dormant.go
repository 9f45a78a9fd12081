package web

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

// Dormant named seats (DESIGN §3.1) on the pages: the shelfware page shows
// each named pool's policy and, to the administrator, the notices with
// their actions; the portal warns a holder whose seat is going dormant.

// policyRow is a named pool's dormant-seat policy, or its absence.
type policyRow struct {
	Pool    string
	Seats   int
	Has     bool
	Policy  store.DormantPolicy
	Exempts string
}

// noticeRow is a notice with what the administrator may do with it.
type noticeRow struct {
	store.DormantNotice
	Name       string
	CanReclaim bool
	CanUndo    bool
}

// dormantData adds the named pools' policies and, for the administrator,
// the notices to the shelfware page.
func (p *Pages) dormantData(ctx context.Context, rd *reader, data map[string]any) error {
	pools, err := p.svc.Store.ListPools(ctx)
	if err != nil {
		return err
	}
	ps, err := p.svc.Store.DormantPolicies(ctx)
	if err != nil {
		return err
	}
	byPool := map[string]store.DormantPolicy{}
	for _, pol := range ps {
		byPool[pol.Pool] = pol
	}
	var rows []policyRow
	for _, pl := range pools {
		if pl.Model != licensing.ModelNamed {
			continue
		}
		pol, has := byPool[pl.ID]
		rows = append(rows, policyRow{Pool: pl.ID, Seats: pl.Seats, Has: has, Policy: pol, Exempts: strings.Join(append(append([]string{}, pol.ExemptUsers...), pol.ExemptGroups...), ", ")})
	}
	data["Policies"] = rows
	if !rd.admin {
		return nil
	}
	ns, err := p.svc.Store.DormantNotices(ctx, store.NoticeFilter{})
	if err != nil {
		return err
	}
	now := p.svc.Store.Now()
	var notices []noticeRow
	for _, n := range ns {
		row := noticeRow{DormantNotice: n, Name: n.UserName, CanReclaim: n.Open(), CanUndo: n.State == store.NoticeReclaimed && !now.After(n.UndoUntil)}
		if u, ok := p.svc.Engine.User(n.User); ok && u.DisplayName != "" {
			row.Name = u.DisplayName
		}
		notices = append(notices, row)
	}
	data["Notices"], data["NoticesShown"] = notices, true
	return nil
}

// reclaimNotice reclaims the seat of an open notice at the administrator's
// word, then gives it to the longest-waiting pending grant, as the API does.
func (p *Pages) reclaimNotice(w http.ResponseWriter, r *http.Request) {
	rd, ok := p.dormantAdmin(w, r)
	if !ok {
		return
	}
	user, err := p.svc.Store.ReclaimNow(r.Context(), rd.actor, r.PathValue("id"))
	if err == nil {
		err = p.reconciler().Settle(r.Context(), rd.actor, true, user)
	}
	if err != nil {
		p.failFor(w, r, rd, err)
		return
	}
	http.Redirect(w, r, "/reports/shelfware?done=reclaimed#notices", http.StatusSeeOther)
}

// undoNotice gives a reclaimed seat back within the notice's undo window.
func (p *Pages) undoNotice(w http.ResponseWriter, r *http.Request) {
	rd, ok := p.dormantAdmin(w, r)
	if !ok {
		return
	}
	if err := p.svc.Store.UndoReclaim(r.Context(), rd.actor, r.PathValue("id")); err != nil {
		p.failFor(w, r, rd, err)
		return
	}
	http.Redirect(w, r, "/reports/shelfware?done=undone#notices", http.StatusSeeOther)
}

// dormantAdmin admits the administrator only: reclaiming a seat is theirs.
func (p *Pages) dormantAdmin(w http.ResponseWriter, r *http.Request) (*reader, bool) {
	rd, ok := p.reportReader(w, r)
	if ok && !rd.admin {
		p.failFor(w, r, rd, licensing.Errorf(licensing.CodeForbidden, "only the licence administrator reclaims seats or gives them back"))
		return nil, false
	}
	return rd, ok
}

// dormantWarning is the portal's warning to a holder of a seat going
// dormant.
type dormantWarning struct {
	Pool                string
	LastUsed            time.Time // zero: never used
	ReclaimAfter        time.Time
	Suggested, Reclaims bool
}

// dormantWarnings lists the person's open notices, with whether the pool
// reclaims the seat itself or leaves it to an administrator.
func (p *Pages) dormantWarnings(ctx context.Context, v *visit) ([]dormantWarning, error) {
	ns, err := p.svc.Store.DormantNotices(ctx, store.NoticeFilter{User: v.ws.User, OpenOnly: true})
	if err != nil || len(ns) == 0 {
		return nil, err
	}
	ps, err := p.svc.Store.DormantPolicies(ctx)
	if err != nil {
		return nil, err
	}
	action := map[string]string{}
	for _, pol := range ps {
		action[pol.Pool] = pol.Action
	}
	var out []dormantWarning
	for _, n := range ns {
		out = append(out, dormantWarning{Pool: n.Pool, LastUsed: n.LastUsed, ReclaimAfter: n.ReclaimAfter,
			Suggested: n.State == store.NoticeSuggested, Reclaims: action[n.Pool] == store.DormantReclaim})
	}
	return out, nil
}
