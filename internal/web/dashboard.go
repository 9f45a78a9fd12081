package web

import (
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/seatkeeper/seatkeeper/internal/api"
	"github.com/seatkeeper/seatkeeper/internal/audit"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/seats"
)

// poolCard is one pool on the dashboard: the API's figures, who holds its
// seats, who waits for one, and its seats held over the last hours.
type poolCard struct {
	api.DashboardPool
	StateLabel string
	Holders    []string
	// Waiting are the grants pending a seat of this pool, longest waiting
	// first (shown to admins, as Entra shows CountViolation).
	Waiting []licensing.Member
	// MoreWaiting counts those not listed.
	MoreWaiting int
	// OverdraftSeats are the seats the pool may hold past those bought.
	OverdraftSeats int
	// Spark is the held-over-time line's points (SVG), Peak its highest.
	Spark string
	Peak  int
}

// waitingShown bounds the pending grants a pool card lists, gapsShown the
// module seats without their fulfiller the dashboard lists.
const waitingShown, gapsShown = 20, 50

// stateLabels are the words for seats.State.
var stateLabels = map[string]string{
	seats.StateOK: "", seats.StateNear: "near capacity", seats.StateOverdraft: "in overdraft", seats.StateFull: "full",
}

// Spark line geometry: the SVG's view box, as dashboard.js draws it too.
const sparkW, sparkH = 240, 40

// spark draws a series as an SVG polyline's points, scaled to top (the
// pool's capacity, so a full pool touches the top).
func spark(series []int, top int) string {
	if len(series) == 0 {
		return ""
	}
	top = max(top, 1)
	var b strings.Builder
	for i, v := range series {
		x := 0.0
		if len(series) > 1 {
			x = float64(i) * sparkW / float64(len(series)-1)
		}
		y := sparkH - float64(min(v, top))*(sparkH-2)/float64(top) - 1
		fmt.Fprintf(&b, "%.1f,%.1f ", x, y)
	}
	return strings.TrimSpace(b.String())
}

// console is the live dashboard: the figures of GET /api/v1/dashboard
// (which dashboard.js polls to update the page without a reload), each
// pool's holders and waiting grants, and the newest audit entries. Without
// JavaScript the page shows the figures of its last load.
func (p *Pages) console(w http.ResponseWriter, r *http.Request, c *consoleVisit) {
	ctx := r.Context()
	var dash api.Dashboard
	if err := p.call(ctx, c, http.MethodGet, "/api/v1/dashboard", nil, &dash); err != nil {
		p.fail(w, r, c.v, err)
		return
	}
	st := p.svc.Store
	leases, err := st.ActiveLeases(ctx, "")
	pending, err2 := st.PendingMembers(ctx)
	if err := firstErr(err, err2); err != nil {
		p.fail(w, r, c.v, fmt.Errorf("dashboard: %w", err))
		return
	}
	holders := map[string][]string{}
	for _, l := range leases {
		name := l.User
		if u, ok := p.svc.Engine.User(l.User); ok {
			name = u.DisplayName
		}
		holders[l.Pool] = append(holders[l.Pool], name)
	}
	waiting := map[string][]licensing.Member{}
	for _, m := range pending {
		waiting[m.Pool] = append(waiting[m.Pool], m)
	}
	cards := make([]poolCard, 0, len(dash.Pools))
	for _, dp := range dash.Pools {
		h := holders[dp.ID]
		sort.Strings(h)
		card := poolCard{DashboardPool: dp, StateLabel: stateLabels[dp.State], Holders: h, Spark: spark(dp.History, dp.Capacity), OverdraftSeats: dp.Capacity - dp.Seats}
		for _, v := range dp.History {
			card.Peak = max(card.Peak, v)
		}
		wt := waiting[dp.ID]
		card.Waiting, card.MoreWaiting = wt[:min(len(wt), waitingShown)], max(0, len(wt)-waitingShown)
		cards = append(cards, card)
	}
	var gaps struct {
		Gaps []api.ModuleGap `json:"gaps"`
	}
	if err := p.call(ctx, c, http.MethodGet, "/api/v1/reports/module-gaps", nil, &gaps); err != nil {
		p.fail(w, r, c.v, err)
		return
	}
	var recent []audit.Entry
	if c.can(api.PermAudit) { // the log is the auditor's and the licence administrator's
		if recent, err = p.recentAudit(ctx, 25); err != nil {
			p.log.Error("console audit", "err", err)
		}
	}
	data := p.consoleData(c, "dashboard", "Dashboard")
	data["Dash"], data["Pools"], data["Audit"], data["People"], data["Store"] = dash, cards, recent, p.svc.Engine.PeopleCount(), st.Dialect()
	data["SparkW"], data["SparkH"] = sparkW, sparkH
	data["Gaps"], data["MoreGaps"] = gaps.Gaps[:min(len(gaps.Gaps), gapsShown)], max(0, len(gaps.Gaps)-gapsShown)
	p.render(w, "admin_console.html", http.StatusOK, data)
}
