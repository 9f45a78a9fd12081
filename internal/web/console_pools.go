package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/seatkeeper/seatkeeper/internal/api"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/plural"
	"github.com/seatkeeper/seatkeeper/internal/seats"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

// The console's SKUs & pools: the catalog with each pool's seats held, and
// forms that create, change and retire SKUs and pools. Each change is shown
// as what it will do before it is made, and is made by the API's own route
// (p.call), so it is decided, validated and audited as the API's.

// registerConsolePools adds the SKUs & pools pages.
func (p *Pages) registerConsolePools(mux *http.ServeMux) {
	mux.HandleFunc("GET /admin/pools", p.consolePage(p.poolsPage))
	mux.HandleFunc("GET /admin/pools/new", p.consolePage(p.poolNew))
	mux.HandleFunc("POST /admin/pools", p.consolePage(p.poolCreate))
	mux.HandleFunc("GET /admin/pools/{pool}/edit", p.consolePage(p.poolEdit))
	mux.HandleFunc("POST /admin/pools/{pool}", p.consolePage(p.poolUpdate))
	mux.HandleFunc("GET /admin/pools/{pool}/retire", p.consolePage(p.poolRetireConfirm))
	mux.HandleFunc("POST /admin/pools/{pool}/retire", p.consolePage(p.poolRetire))
	mux.HandleFunc("GET /admin/skus/new", p.consolePage(p.skuNew))
	mux.HandleFunc("POST /admin/skus", p.consolePage(p.skuCreate))
	mux.HandleFunc("GET /admin/skus/{key}/edit", p.consolePage(p.skuEdit))
	mux.HandleFunc("POST /admin/skus/{key}", p.consolePage(p.skuUpdate))
	mux.HandleFunc("GET /admin/skus/{key}/retire", p.consolePage(p.skuRetireConfirm))
	mux.HandleFunc("POST /admin/skus/{key}/retire", p.consolePage(p.skuRetire))
}

// poolsDone are the messages the area's actions redirect with.
var poolsDone = map[string]string{
	"pool-created": "The pool was created.",
	"pool-changed": "The pool was changed.",
	"pool-retired": "The pool was retired.",
	"sku-created":  "The SKU was created.",
	"sku-changed":  "The SKU was changed.",
	"sku-retired":  "The SKU was retired.",
}

// catalogPool is a pool as the list shows it.
type catalogPool struct {
	Pool    licensing.Pool
	SKUName string
	Usage   store.PoolUsage
	// State is "full" when every seat, overdraft included, is held;
	// "near" when the warning threshold is reached; else "".
	State string
	// InForce says whether the contract line serves anyone today.
	InForce bool
	// What the row says, in words: occupancy beside the count, the price,
	// the dates in force, the seat timers and the group rules.
	Seats, Price, Dates, Timers, Rules string
}

type catalogSKU struct {
	SKU             licensing.SKU
	Requires, Price string
	Pools           int
}

func (p *Pages) poolsPage(w http.ResponseWriter, r *http.Request, c *consoleVisit) {
	data, err := p.catalogData(r, c)
	if err != nil {
		p.fail(w, r, c.v, err)
		return
	}
	data["Flash"] = consoleFlash(r, poolsDone)
	p.render(w, "console_pools.html", http.StatusOK, data)
}

// catalogData reads the SKUs and pools with each pool's occupancy: a
// handful of rows however many people there are.
func (p *Pages) catalogData(r *http.Request, c *consoleVisit) (map[string]any, error) {
	ctx := r.Context()
	st := p.svc.Store
	skus, err := st.ListSKUs(ctx)
	if err != nil {
		return nil, err
	}
	pools, err := st.ListPools(ctx)
	if err != nil {
		return nil, err
	}
	usage, err := st.Usage(ctx)
	if err != nil {
		return nil, err
	}
	byPool := map[string]store.PoolUsage{}
	for _, u := range usage {
		byPool[u.Pool] = u
	}
	names := map[string]string{}
	for _, k := range skus {
		names[k.Key] = k.Name
	}
	now := st.Now()
	rows := make([]catalogPool, 0, len(pools))
	using := map[string]int{}
	for _, pl := range pools {
		u := byPool[pl.ID]
		using[pl.SKU]++
		rows = append(rows, catalogPool{Pool: pl, SKUName: names[pl.SKU], Usage: u, State: poolState(pl, u), InForce: pl.ValidAt(now),
			Seats: occupancy(pl, u), Price: priceText(pl.MonthlyPrice) + " a seat a month", Dates: datesText(pl), Timers: timersText(pl), Rules: rulesText(pl)})
	}
	skuRows := make([]catalogSKU, len(skus))
	for i, k := range skus {
		skuRows[i] = catalogSKU{SKU: k, Requires: strings.Join(k.Requires, ", "), Pools: using[k.Key], Price: priceText(k.MonthlyPrice)}
	}
	data := p.consoleData(c, "pools", "SKUs & pools")
	data["SKUs"], data["Pools"] = skuRows, rows
	return data, nil
}

// occupancy says who a pool's seats are with besides the count held.
func occupancy(pl licensing.Pool, u store.PoolUsage) string {
	parts := []string{}
	if pl.Model == licensing.ModelNamed {
		parts = append(parts, strconv.Itoa(u.Members)+" assigned")
	} else {
		parts = append(parts, strconv.Itoa(u.Members)+" registered")
	}
	parts = append(parts, strconv.Itoa(max(0, u.Capacity-u.Held))+" free")
	if u.Queued > 0 {
		parts = append(parts, strconv.Itoa(u.Queued)+" queued")
	}
	if u.Pending > 0 {
		parts = append(parts, plural.Of(u.Pending, "grant")+" waiting for a seat")
	}
	return strings.Join(parts, " · ")
}

// priceText writes dollars: "$95", "$12.50", or "free".
func priceText(v float64) string {
	if v == 0 {
		return "free"
	}
	if v == float64(int64(v)) {
		return "$" + strconv.FormatInt(int64(v), 10)
	}
	return "$" + strconv.FormatFloat(v, 'f', 2, 64)
}

// datesText says when a pool is in force, by its first and last days.
func datesText(pl licensing.Pool) string {
	from, until := startDay(pl.Starts), lastDay(pl.Ends)
	switch {
	case from != "" && until != "":
		return from + " to " + until
	case from != "":
		return "from " + from
	case until != "":
		return "until " + until
	}
	return "open-ended"
}

func timersText(pl licensing.Pool) string {
	if pl.Model == licensing.ModelNamed {
		if pl.Cooldown > 0 {
			return "reassignment cooldown " + shortDur(pl.Cooldown)
		}
		return "—"
	}
	s := "idle timeout " + shortDur(pl.IdleTimeout)
	if pl.Linger > 0 {
		s += " · linger " + shortDur(pl.Linger)
	}
	return s
}

func rulesText(pl licensing.Pool) string {
	var parts []string
	if len(pl.Reservations) > 0 {
		parts = append(parts, "reserved for "+oneLine(groupLines(pl.Reservations)))
	}
	if len(pl.Limits) > 0 {
		parts = append(parts, "at most "+oneLine(groupLines(pl.Limits)))
	}
	if q := pl.Queue; q != nil {
		qs := "wait queue"
		if q.MaxLength > 0 {
			qs += " of up to " + strconv.Itoa(q.MaxLength)
		}
		if len(q.Priority) > 0 {
			qs += ", priority " + oneLine(groupLines(q.Priority))
		}
		parts = append(parts, qs)
	}
	if len(parts) == 0 {
		return "—"
	}
	return strings.Join(parts, "; ")
}

// poolState tells a full pool (no seat left, overdraft included) from one
// past its warning threshold: a full pool is "full", never "near capacity".
func poolState(pl licensing.Pool, u store.PoolUsage) string {
	switch {
	case u.Held >= u.Capacity:
		return "full"
	case seats.NearCapacity(pl, u.Held):
		return "near"
	}
	return ""
}

// mayChange answers a page that offers a change the caller may not make
// with the API's refusal (the roles' table is api.Who.Can, as the API's
// routes use it); it reports whether the caller may.
func (p *Pages) mayChange(w http.ResponseWriter, r *http.Request, c *consoleVisit) bool {
	if c.can(api.PermLicence) {
		return true
	}
	p.fail(w, r, c.v, licensing.Errorf(licensing.CodeForbidden, "changing SKUs, pools, leases and sessions needs the licence administrator role (licence_admin)"))
	return false
}

// poolFormPage is what the pool form shows.
type poolFormPage struct {
	Form   poolForm
	Old    *licensing.Pool // nil for a new pool
	Usage  store.PoolUsage
	SKUs   []licensing.SKU
	Action string
}

func (p *Pages) renderPoolForm(w http.ResponseWriter, r *http.Request, c *consoleVisit, status int, pg poolFormPage, f *flash, bad string) {
	skus, err := p.svc.Store.ListSKUs(r.Context())
	if err != nil {
		p.fail(w, r, c.v, err)
		return
	}
	pg.SKUs = skus
	title := "New pool"
	if pg.Old != nil {
		title = "Change pool " + pg.Old.ID
	}
	data := p.consoleData(c, "pools", title)
	data["Page"], data["Flash"], data["Bad"] = pg, f, bad
	p.render(w, "console_pools_form.html", status, data)
}

func (p *Pages) poolNew(w http.ResponseWriter, r *http.Request, c *consoleVisit) {
	if !p.mayChange(w, r, c) {
		return
	}
	p.renderPoolForm(w, r, c, http.StatusOK, poolFormPage{Form: newPoolForm(r.URL.Query().Get("sku")), Action: "/admin/pools"}, nil, "")
}

// confirmed reports whether a form comes from its confirmation page.
func confirmed(r *http.Request) bool { return r.PostForm.Get("confirmed") == "yes" }

// editing reports whether the confirmation page sent the form back to be
// changed before anything is done.
func editing(r *http.Request) bool { return r.PostForm.Get("edit") == "yes" && !confirmed(r) }

func (p *Pages) poolCreate(w http.ResponseWriter, r *http.Request, c *consoleVisit) {
	if !confirmed(r) && !p.mayChange(w, r, c) {
		return
	}
	f := readPoolForm(r.PostForm)
	pg := poolFormPage{Form: f, Action: "/admin/pools"}
	if editing(r) {
		p.renderPoolForm(w, r, c, http.StatusOK, pg, nil, "")
		return
	}
	body, err := f.body(nil)
	if err == nil && confirmed(r) {
		err = p.call(r.Context(), c, http.MethodPost, "/api/v1/pools", body, nil)
		if err == nil {
			doneTo(w, r, "/admin/pools", "pool-created")
			return
		}
	}
	if err != nil {
		p.poolRefused(w, r, c, pg, err)
		return
	}
	sku, _ := p.svc.Engine.SKU(f.SKU)
	p.renderConfirm(w, r, c, confirmPage{Area: "pools", Title: "Create pool " + f.ID, Lines: poolSummary(f, orNone(sku.Name, "")),
		Action: "/admin/pools", Fields: f.values(), Editable: true, Button: "Create the pool", Back: "/admin/pools"})
}

// poolRefused shows the form again with what was typed and the API's
// refusal; a role's refusal is the 403 page.
func (p *Pages) poolRefused(w http.ResponseWriter, r *http.Request, c *consoleVisit, pg poolFormPage, err error) {
	if licensing.ErrorCode(err) == licensing.CodeForbidden {
		p.fail(w, r, c.v, err)
		return
	}
	status, f, bad := p.refusalOf(r, err)
	p.renderPoolForm(w, r, c, status, pg, f, bad)
}

// pool reads the pool of the path for a form.
func (p *Pages) pool(w http.ResponseWriter, r *http.Request, c *consoleVisit) (licensing.Pool, store.PoolUsage, bool) {
	pl, err := p.svc.Store.GetPool(r.Context(), r.PathValue("pool"))
	var u store.PoolUsage
	if err == nil {
		u, err = p.svc.Store.PoolUsageOf(r.Context(), pl.ID)
	}
	if err != nil {
		p.fail(w, r, c.v, err)
		return pl, u, false
	}
	return pl, u, true
}

func (p *Pages) poolEdit(w http.ResponseWriter, r *http.Request, c *consoleVisit) {
	if !p.mayChange(w, r, c) {
		return
	}
	pl, u, ok := p.pool(w, r, c)
	if !ok {
		return
	}
	p.renderPoolForm(w, r, c, http.StatusOK, poolFormPage{Form: poolFormOf(pl), Old: &pl, Usage: u, Action: "/admin/pools/" + pl.ID}, nil, "")
}

func (p *Pages) poolUpdate(w http.ResponseWriter, r *http.Request, c *consoleVisit) {
	if !confirmed(r) && !p.mayChange(w, r, c) {
		return
	}
	pl, u, ok := p.pool(w, r, c)
	if !ok {
		return
	}
	f := readPoolForm(r.PostForm)
	// A pool's id, SKU and model stay (the API refuses to change them).
	f.ID, f.SKU, f.Model = pl.ID, pl.SKU, string(pl.Model)
	pg := poolFormPage{Form: f, Old: &pl, Usage: u, Action: "/admin/pools/" + pl.ID}
	if editing(r) {
		p.renderPoolForm(w, r, c, http.StatusOK, pg, nil, "")
		return
	}
	body, err := f.body(&pl)
	if err == nil && confirmed(r) {
		err = p.call(r.Context(), c, http.MethodPut, "/api/v1/pools/"+url.PathEscape(pl.ID), body, nil)
		if err == nil {
			doneTo(w, r, "/admin/pools", "pool-changed")
			return
		}
	}
	if err != nil {
		p.poolRefused(w, r, c, pg, err)
		return
	}
	lines := poolChanges(pl.ID, poolFormOf(pl), f)
	if len(lines) == 0 {
		p.renderPoolForm(w, r, c, http.StatusOK, pg, &flash{OK: true, Text: "Nothing to change: the form says what the pool already is."}, "")
		return
	}
	cp := confirmPage{Area: "pools", Title: "Change pool " + pl.ID, Lines: lines, Action: "/admin/pools/" + pl.ID, Fields: f.values(), Editable: true,
		Button: "Make the change", Back: "/admin/pools"}
	if n, err := strconv.Atoi(f.Seats); err == nil {
		over, _ := strconv.Atoi(f.Overdraft)
		if n+over < u.Held {
			after := plural.Of(n, "seat")
			if over > 0 {
				after += " plus " + plural.Of(over, "overdraft seat")
			}
			cp.Warnings = append(cp.Warnings, "Held now: "+plural.Of(u.Held, "seat")+". With "+after+", "+pl.ID+" would hold "+strconv.Itoa(n+over)+
				", so the change will be refused until "+strconv.Itoa(u.Held-n-over)+" of them are released or revoked.")
		}
	}
	p.renderConfirm(w, r, c, cp)
}

func (p *Pages) poolRetireConfirm(w http.ResponseWriter, r *http.Request, c *consoleVisit) {
	if !p.mayChange(w, r, c) {
		return
	}
	pl, u, ok := p.pool(w, r, c)
	if !ok {
		return
	}
	p.renderConfirm(w, r, c, retirePoolPage(pl, u))
}

func retirePoolPage(pl licensing.Pool, u store.PoolUsage) confirmPage {
	cp := confirmPage{Area: "pools", Title: "Retire pool " + pl.ID, Danger: true,
		Lines:  []string{"Retire the pool " + pl.ID + " (" + plural.Of(pl.Seats, "seat") + " of " + pl.SKU + "): it is deleted and serves nobody from now on. Its history stays in the audit log and the reports."},
		Action: "/admin/pools/" + pl.ID + "/retire", Button: "Retire the pool", Back: "/admin/pools"}
	leases := 0
	if pl.Model == licensing.ModelConcurrent {
		leases = u.Held
	}
	if u.Members > 0 || leases > 0 || u.Pending > 0 {
		cp.Warnings = append(cp.Warnings, "Only a pool nobody is assigned to or holds can be retired: "+pl.ID+" has "+plural.Of(u.Members, "member")+" and "+plural.Of(leases, "lease")+" now, so this will be refused until they are revoked and released.")
	}
	return cp
}

func (p *Pages) poolRetire(w http.ResponseWriter, r *http.Request, c *consoleVisit) {
	id := r.PathValue("pool")
	err := p.call(r.Context(), c, http.MethodDelete, "/api/v1/pools/"+url.PathEscape(id), nil, nil)
	if err == nil {
		doneTo(w, r, "/admin/pools", "pool-retired")
		return
	}
	pl, u, ok := p.pool(w, r, c)
	if !ok || licensing.ErrorCode(err) == licensing.CodeForbidden {
		if ok {
			p.fail(w, r, c.v, err)
		}
		return
	}
	cp := retirePoolPage(pl, u)
	cp.Status, cp.Flash, _ = p.refusalOf(r, err)
	p.renderConfirm(w, r, c, cp)
}
