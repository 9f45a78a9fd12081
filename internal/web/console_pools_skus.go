package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// The SKU forms of the console's SKUs & pools area: create, change and
// retire a SKU, each confirmed first and made by the API's route.

// skuForm is a SKU as its form holds it.
type skuForm struct {
	Key, Name, Tier, Price string
	Requires               []string
}

type skuBody struct {
	Key          string   `json:"key,omitempty"`
	Name         string   `json:"name"`
	Tier         string   `json:"tier"`
	Requires     []string `json:"requires"`
	MonthlyPrice float64  `json:"monthly_price"`
}

func skuFormOf(k licensing.SKU) skuForm {
	return skuForm{Key: k.Key, Name: k.Name, Tier: string(k.Tier), Price: formNumber(k.MonthlyPrice), Requires: k.Requires}
}

func readSKUForm(v url.Values) skuForm {
	f := skuForm{Key: strings.TrimSpace(v.Get("key")), Name: strings.TrimSpace(v.Get("name")), Tier: v.Get("tier"), Price: strings.TrimSpace(v.Get("monthly_price"))}
	for _, k := range v["requires"] {
		if k != "" && !slices.Contains(f.Requires, k) {
			f.Requires = append(f.Requires, k)
		}
	}
	slices.Sort(f.Requires)
	return f
}

func (f skuForm) body() (skuBody, error) {
	price, err := decimal("monthly_price", "Monthly price", f.Price)
	req := f.Requires
	if req == nil {
		req = []string{}
	}
	return skuBody{Key: f.Key, Name: f.Name, Tier: f.Tier, Requires: req, MonthlyPrice: price}, err
}

func (f skuForm) values() url.Values {
	v := url.Values{"key": {f.Key}, "name": {f.Name}, "tier": {f.Tier}, "monthly_price": {f.Price}}
	for _, k := range f.Requires {
		v.Add("requires", k)
	}
	return v
}

func (f skuForm) lines() map[string]string {
	req := strings.Join(f.Requires, ", ")
	if req == "" {
		req = "nothing"
	}
	return map[string]string{"name": f.Name, "tier": f.Tier, "monthly price per seat": "$" + orNone(normNum(f.Price), "0"), "requires": req}
}

var skuLabels = []string{"name", "tier", "monthly price per seat", "requires"}

type skuFormPage struct {
	Form   skuForm
	Old    *licensing.SKU
	SKUs   []licensing.SKU // the fulfiller SKUs a module may require
	Action string
}

func (pg skuFormPage) Requires(key string) bool { return slices.Contains(pg.Form.Requires, key) }

func (p *Pages) renderSKUForm(w http.ResponseWriter, r *http.Request, c *consoleVisit, status int, pg skuFormPage, f *flash, bad string) {
	skus, err := p.svc.Store.ListSKUs(r.Context())
	if err != nil {
		p.fail(w, r, c.v, err)
		return
	}
	for _, k := range skus {
		if k.Tier == licensing.TierFulfiller && (pg.Old == nil || k.Key != pg.Old.Key) {
			pg.SKUs = append(pg.SKUs, k)
		}
	}
	title := "New SKU"
	if pg.Old != nil {
		title = "Change SKU " + pg.Old.Key
	}
	data := p.consoleData(c, "pools", title)
	data["Page"], data["Flash"], data["Bad"] = pg, f, bad
	data["Tiers"] = []licensing.Tier{licensing.TierFulfiller, licensing.TierModule, licensing.TierStakeholder, licensing.TierRequester}
	p.render(w, "console_pools_sku.html", status, data)
}

func (p *Pages) skuRefused(w http.ResponseWriter, r *http.Request, c *consoleVisit, pg skuFormPage, err error) {
	if licensing.ErrorCode(err) == licensing.CodeForbidden {
		p.fail(w, r, c.v, err)
		return
	}
	status, f, bad := p.refusalOf(r, err)
	p.renderSKUForm(w, r, c, status, pg, f, bad)
}

func (p *Pages) skuNew(w http.ResponseWriter, r *http.Request, c *consoleVisit) {
	if !p.mayChange(w, r, c) {
		return
	}
	p.renderSKUForm(w, r, c, http.StatusOK, skuFormPage{Form: skuForm{Tier: string(licensing.TierFulfiller), Price: "0"}, Action: "/admin/skus"}, nil, "")
}

func (p *Pages) skuCreate(w http.ResponseWriter, r *http.Request, c *consoleVisit) {
	if !confirmed(r) && !p.mayChange(w, r, c) {
		return
	}
	f := readSKUForm(r.PostForm)
	pg := skuFormPage{Form: f, Action: "/admin/skus"}
	if editing(r) {
		p.renderSKUForm(w, r, c, http.StatusOK, pg, nil, "")
		return
	}
	body, err := f.body()
	if err == nil && confirmed(r) {
		if err = p.call(r.Context(), c, http.MethodPost, "/api/v1/skus", body, nil); err == nil {
			doneTo(w, r, "/admin/pools", "sku-created")
			return
		}
	}
	if err != nil {
		p.skuRefused(w, r, c, pg, err)
		return
	}
	l := f.lines()
	lines := []string{"Create the SKU " + f.Key + " (" + orNone(f.Name, "") + ")"}
	for _, k := range skuLabels[1:] {
		lines = append(lines, upperFirst(k)+": "+l[k])
	}
	p.renderConfirm(w, r, c, confirmPage{Area: "pools", Title: "Create SKU " + f.Key, Lines: lines, Action: "/admin/skus", Fields: f.values(), Editable: true, Button: "Create the SKU", Back: "/admin/pools"})
}

func (p *Pages) sku(w http.ResponseWriter, r *http.Request, c *consoleVisit) (licensing.SKU, bool) {
	k, err := p.svc.Store.GetSKU(r.Context(), r.PathValue("key"))
	if err != nil {
		p.fail(w, r, c.v, err)
		return k, false
	}
	return k, true
}

func (p *Pages) skuEdit(w http.ResponseWriter, r *http.Request, c *consoleVisit) {
	if !p.mayChange(w, r, c) {
		return
	}
	k, ok := p.sku(w, r, c)
	if !ok {
		return
	}
	p.renderSKUForm(w, r, c, http.StatusOK, skuFormPage{Form: skuFormOf(k), Old: &k, Action: "/admin/skus/" + k.Key}, nil, "")
}

func (p *Pages) skuUpdate(w http.ResponseWriter, r *http.Request, c *consoleVisit) {
	if !confirmed(r) && !p.mayChange(w, r, c) {
		return
	}
	k, ok := p.sku(w, r, c)
	if !ok {
		return
	}
	f := readSKUForm(r.PostForm)
	f.Key = k.Key
	pg := skuFormPage{Form: f, Old: &k, Action: "/admin/skus/" + k.Key}
	if editing(r) {
		p.renderSKUForm(w, r, c, http.StatusOK, pg, nil, "")
		return
	}
	body, err := f.body()
	body.Key = ""
	if err == nil && confirmed(r) {
		if err = p.call(r.Context(), c, http.MethodPut, "/api/v1/skus/"+url.PathEscape(k.Key), body, nil); err == nil {
			doneTo(w, r, "/admin/pools", "sku-changed")
			return
		}
	}
	if err != nil {
		p.skuRefused(w, r, c, pg, err)
		return
	}
	from, to := skuFormOf(k).lines(), f.lines()
	var lines []string
	for _, l := range skuLabels {
		if from[l] != to[l] {
			lines = append(lines, "Change "+l+" of "+k.Key+" from "+from[l]+" to "+to[l])
		}
	}
	if len(lines) == 0 {
		p.renderSKUForm(w, r, c, http.StatusOK, pg, &flash{OK: true, Text: "Nothing to change: the form says what the SKU already is."}, "")
		return
	}
	p.renderConfirm(w, r, c, confirmPage{Area: "pools", Title: "Change SKU " + k.Key, Lines: lines, Action: "/admin/skus/" + k.Key, Fields: f.values(), Editable: true,
		Button: "Make the change", Back: "/admin/pools"})
}

func retireSKUPage(k licensing.SKU) confirmPage {
	return confirmPage{Area: "pools", Title: "Retire SKU " + k.Key, Danger: true,
		Lines:  []string{"Retire the SKU " + k.Key + " (" + k.Name + "): it is deleted from the catalog. A SKU a pool still sells, or a module requires, cannot be retired."},
		Action: "/admin/skus/" + k.Key + "/retire", Button: "Retire the SKU", Back: "/admin/pools"}
}

func (p *Pages) skuRetireConfirm(w http.ResponseWriter, r *http.Request, c *consoleVisit) {
	if !p.mayChange(w, r, c) {
		return
	}
	k, ok := p.sku(w, r, c)
	if !ok {
		return
	}
	p.renderConfirm(w, r, c, retireSKUPage(k))
}

func (p *Pages) skuRetire(w http.ResponseWriter, r *http.Request, c *consoleVisit) {
	err := p.call(r.Context(), c, http.MethodDelete, "/api/v1/skus/"+url.PathEscape(r.PathValue("key")), nil, nil)
	if err == nil {
		doneTo(w, r, "/admin/pools", "sku-retired")
		return
	}
	k, ok := p.sku(w, r, c)
	if !ok || licensing.ErrorCode(err) == licensing.CodeForbidden {
		if ok {
			p.fail(w, r, c.v, err)
		}
		return
	}
	cp := retireSKUPage(k)
	cp.Status, cp.Flash, _ = p.refusalOf(r, err)
	p.renderConfirm(w, r, c, cp)
}
