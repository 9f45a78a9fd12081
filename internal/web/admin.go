package web

import (
	"context"
	"net/http"
	"sort"
	"strings"

	"github.com/seatkeeper/seatkeeper/internal/api"
	"github.com/seatkeeper/seatkeeper/internal/audit"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/seats"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

// adminCookie carries the break-glass admin token of the console
// (HttpOnly, SameSite=Strict); its path is "/" so the report pages accept
// it too. People with roles sign in like everyone else.
const adminCookie = api.TokenCookie

func (p *Pages) adminSigninForm(w http.ResponseWriter, r *http.Request) {
	p.render(w, "admin_signin.html", http.StatusOK, map[string]any{"Error": ""})
}

// adminSignin opens the console with an admin token: for the first start
// and break-glass. The token is checked the API's way (its cache too).
func (p *Pages) adminSignin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	if !p.sameOrigin(r) || r.ParseForm() != nil {
		p.render(w, "admin_signin.html", http.StatusForbidden, map[string]any{"Error": "The request was refused."})
		return
	}
	secret := strings.TrimSpace(r.PostForm.Get("token"))
	probe := r.Clone(r.Context())
	probe.Header = http.Header{"Authorization": {"Bearer " + secret}}
	who, err := p.gate.Identify(probe)
	if err != nil || !who.Admin() {
		p.render(w, "admin_signin.html", http.StatusUnauthorized, map[string]any{"Error": "That is not a valid admin token."})
		return
	}
	http.SetCookie(w, &http.Cookie{Name: adminCookie, Value: secret, Path: "/", HttpOnly: true, Secure: p.secure(r), SameSite: http.SameSiteStrictMode, MaxAge: 8 * 3600})
	http.Redirect(w, r, "/admin", http.StatusSeeOther)
}

func (p *Pages) adminSignout(w http.ResponseWriter, r *http.Request) {
	if p.sameOrigin(r) {
		http.SetCookie(w, &http.Cookie{Name: adminCookie, Value: "", Path: "/", HttpOnly: true, Secure: p.secure(r), SameSite: http.SameSiteStrictMode, MaxAge: -1})
	}
	http.Redirect(w, r, "/admin/signin", http.StatusSeeOther)
}

type poolRow struct {
	Pool     licensing.Pool
	SKUName  string
	Usage    store.PoolUsage
	Near     bool
	Holders  []string
	Capacity int
	// Waiting are the grants pending a seat of this pool, longest waiting
	// first (DESIGN §3.6: shown to admins, as Entra shows CountViolation).
	Waiting []licensing.Member
	// MoreWaiting counts those not listed.
	MoreWaiting int
}

// waitingShown bounds the pending grants a pool card lists.
const waitingShown = 20

func (p *Pages) console(w http.ResponseWriter, r *http.Request, c *consoleVisit) {
	ctx := r.Context()
	st := p.svc.Store
	pools, err := st.ListPools(ctx)
	usage, err2 := st.Usage(ctx)
	leases, err3 := st.ActiveLeases(ctx, "")
	pending, err4 := st.PendingMembers(ctx)
	if err := firstErr(err, err2, err3, err4); err != nil {
		p.log.Error("console", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	byPool := map[string]store.PoolUsage{}
	for _, u := range usage {
		byPool[u.Pool] = u
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
	rows := make([]poolRow, 0, len(pools))
	for _, pl := range pools {
		u := byPool[pl.ID]
		sku, _ := p.svc.Engine.SKU(pl.SKU)
		h := holders[pl.ID]
		sort.Strings(h)
		row := poolRow{Pool: pl, SKUName: sku.Name, Usage: u, Near: seats.NearCapacity(pl, u.Held), Holders: h, Capacity: u.Capacity}
		w := waiting[pl.ID]
		row.Waiting, row.MoreWaiting = w[:min(len(w), waitingShown)], max(0, len(w)-waitingShown)
		rows = append(rows, row)
	}
	recent, err := p.recentAudit(ctx, 25)
	if err != nil {
		p.log.Error("console audit", "err", err)
	}
	data := p.consoleData(c, "dashboard", "Dashboard")
	data["Pools"], data["Audit"], data["People"], data["Store"] = rows, recent, p.svc.Engine.PeopleCount(), st.Dialect()
	p.render(w, "admin_console.html", http.StatusOK, data)
}

// recentAudit returns the newest n entries, newest first.
func (p *Pages) recentAudit(ctx context.Context, n int) ([]audit.Entry, error) {
	if _, err := p.svc.Store.ChainPending(ctx); err != nil {
		return nil, err
	}
	seq, _, err := p.svc.Store.AuditHead(ctx)
	if err != nil {
		return nil, err
	}
	list, err := p.svc.Store.ListAudit(ctx, max(0, seq-int64(n)), n)
	for i, j := 0, len(list)-1; i < j; i, j = i+1, j-1 {
		list[i], list[j] = list[j], list[i]
	}
	return list, err
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
