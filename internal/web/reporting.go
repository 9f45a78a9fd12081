package web

import (
	"bytes"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/api"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/provision"
	"github.com/seatkeeper/seatkeeper/internal/reporting"
)

// The report pages (DESIGN §3.7): an index, one page per report with its
// period form, inline charts, heat maps and tables, downloads of each of
// them, the pack as one PDF, and share links (report_share.go). The
// shelfware page also lists dormant-seat notices (report_dormant.go).
//
// Who may read them is one rule, the multiplexing report's: the
// administrator signed in to the licence console, or a signed-in person
// whose report.view decision allows (a stakeholder seat, or an agent one).

// reader is who reads a report page.
type reader struct {
	admin bool
	// stakeholder: a person on a stakeholder seat, who may share reports.
	stakeholder bool
	actor       licensing.Actor
	v           *visit // the signed-in person; nil for the administrator
	csrf        string // the token the page's forms carry
}

// owner is whose share links the reader lists and revokes: "" (everyone's)
// for the administrator, otherwise the person's own.
func (rd *reader) owner() string {
	if rd.admin {
		return ""
	}
	return rd.actor.Name
}

// reports is the report service over the pages' store.
func (p *Pages) reports() *reporting.Service { return &reporting.Service{Store: p.svc.Store} }

// reconciler settles pending grants after a reclaim freed a seat.
func (p *Pages) reconciler() *provision.Reconciler {
	return &provision.Reconciler{Store: p.svc.Store, Log: p.log}
}

// reportReader admits the reader of a report page or answers for it: the
// administrator, or a signed-in person allowed report.view. A visitor
// signed in as neither goes to the sign-in page; a person not allowed
// gets the 403 page. A POST must come from this site's own form with the
// reader's CSRF token.
func (p *Pages) reportReader(w http.ResponseWriter, r *http.Request) (*reader, bool) {
	who, err := p.gate.Identify(r)
	if err == nil && !who.Person() {
		// The break-glass admin token of the console.
		rd := &reader{admin: true, actor: who.Actor, csrf: who.CSRF}
		if r.Method == http.MethodPost && !p.checkFormToken(w, r, nil, rd.csrf) {
			return nil, false
		}
		return rd, true
	}
	var v *visit
	if err == nil {
		v, err = p.visitAs(who)
	}
	if licensing.ErrorCode(err) == licensing.CodeUnauthorized {
		p.toSignin(w, r)
		return nil, false
	}
	if err != nil {
		p.fail(w, r, nil, err)
		return nil, false
	}
	if r.Method == http.MethodPost && !p.checkForm(w, r, v) {
		return nil, false
	}
	// Reading reports is read-only: a probe, so a person registered for a
	// concurrent pool reads without taking a seat from the desk.
	if !p.mayReport(v) {
		p.fail(w, r, v, licensing.Errorf(licensing.CodeForbidden, "reports need a stakeholder or agent seat; ask your licence administrator for one"))
		return nil, false
	}
	return &reader{admin: who.Admin(), actor: v.actor, v: v, csrf: v.ws.CSRF, stakeholder: who.Admin() || p.stakeholder(v)}, true
}

// stakeholder reports whether the person reads reports on a stakeholder
// seat: with the administrator, the ones who may publish share links (an
// agent reads reports but does not publish them).
func (p *Pages) stakeholder(v *visit) bool {
	d := p.svc.Engine.Probe(v.ws.User, "report.view", v.ws.SeatSession)
	if !d.Allow || d.Via.SKU == "" {
		return false
	}
	k, ok := p.svc.Engine.SKU(d.Via.SKU)
	return ok && k.Tier == licensing.TierStakeholder
}

// checkAdminForm reads an administrator's posted form and refuses it
// unless it comes from this site with the admin pages' CSRF token.
func (p *Pages) checkAdminForm(w http.ResponseWriter, r *http.Request, rd *reader) bool {
	return p.checkFormToken(w, r, rd.v, rd.csrf)
}

// failFor renders the error page for a reader (with the person's
// navigation when a person reads).
func (p *Pages) failFor(w http.ResponseWriter, r *http.Request, rd *reader, err error) {
	p.fail(w, r, rd.v, err)
}

// readerData is the data every report page shares: a person's navigation,
// or the administrator's header.
func (p *Pages) readerData(rd *reader, title string) map[string]any {
	if rd.v == nil {
		return map[string]any{"Title": title, "AdminView": true, "FormCSRF": rd.csrf}
	}
	d := p.base(rd.v, title)
	d["Reports"], d["FormCSRF"] = true, rd.csrf
	return d
}

// mayReport reports whether the person's nav offers the reports: their
// report.view decision allows, or would at their first action (a
// concurrent agent seat taken on demand). It only asks the engine, so
// drawing the nav never takes a seat or records a denial.
func (p *Pages) mayReport(v *visit) bool {
	if v.who.Administrator() {
		return true // every role reads the reports, seat or not
	}
	d := p.svc.Engine.Probe(v.ws.User, "report.view", v.ws.SeatSession)
	return d.Allow || d.Reason == licensing.ReasonCheckoutRequired || d.Reason == licensing.ReasonSessionRequired
}

// reportDone are the messages a report action redirects with (?done=KEY):
// fixed texts, so a link cannot put words on the page.
var reportDone = map[string]string{
	"revoked":   "The share link was revoked: it no longer opens.",
	"reclaimed": "The seat was reclaimed and offered to the longest-waiting pending grant, if any.",
	"undone":    "The reclaimed seat was given back to its holder.",
}

func reportFlash(v url.Values) *flash {
	if t, ok := reportDone[v.Get("done")]; ok {
		return &flash{OK: true, Text: t}
	}
	return nil
}

// reportIndex lists the reports, with the pack's period form.
func (p *Pages) reportIndex(w http.ResponseWriter, r *http.Request) {
	rd, ok := p.reportReader(w, r)
	if !ok {
		return
	}
	now := p.svc.Store.Now()
	q, err := reporting.Parse(url.Values{}, now)
	if err != nil {
		p.failFor(w, r, rd, err)
		return
	}
	data := p.readerData(rd, "Reports")
	var list []reportSpec
	for _, n := range reporting.Names {
		list = append(list, specs[n])
	}
	data["List"], data["From"], data["To"] = list, dateOf(q.From), inclusiveDate(q.To)
	p.render(w, "reports_index.html", http.StatusOK, data)
}

// reportPage shows one report for the period asked. Bad input answers the
// page with its form and the error, with the error's status.
func (p *Pages) reportPage(w http.ResponseWriter, r *http.Request) {
	rd, ok := p.reportReader(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	name := r.PathValue("name")
	spec, known := specs[name]
	if !known {
		p.failFor(w, r, rd, licensing.Errorf(licensing.CodeNotFound, "there is no report %q", name))
		return
	}
	raw := r.URL.Query()
	data := p.readerData(rd, spec.Title)
	data["Flash"] = reportFlash(raw)
	raw.Del("done")
	q, err := reporting.Parse(raw, p.svc.Store.Now())
	var rep reporting.Presenter
	if err == nil {
		rep, err = p.reports().Run(ctx, name, q)
	}
	form, ferr := p.reportForm(r, spec, raw, q, err == nil)
	if err == nil {
		err = ferr
	}
	data["Spec"], data["Form"] = spec, form
	if err == nil {
		err = p.svc.Store.RecordEvent(ctx, rd.actor, "report.view", "report:"+name, "ok", q.Values().Encode()+"&format=html")
	}
	if err != nil {
		status, f := p.explain(r, err)
		data["Flash"], data["Status"] = f, status
		p.render(w, "reports_report.html", status, data)
		return
	}
	view := p.reportView(rep, name, q.Values())
	data["Report"] = view
	if rd.admin || rd.stakeholder {
		data["Share"] = shareForm{Report: name, Params: hiddenParams(q.Values()), Expiries: shareExpiries}
	}
	if name == reporting.Shelfware {
		if err := p.dormantData(ctx, rd, data); err != nil {
			p.failFor(w, r, rd, err)
			return
		}
	}
	p.render(w, "reports_report.html", http.StatusOK, data)
}

// reportExport downloads one table as CSV, one chart or heat map as SVG or
// PNG (?table=N, ?chart=N), the report as PDF or JSON; each is audited.
func (p *Pages) reportExport(w http.ResponseWriter, r *http.Request) {
	rd, ok := p.reportReader(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	name := r.PathValue("name")
	if !reporting.KnownReport(name) {
		p.failFor(w, r, rd, licensing.Errorf(licensing.CodeNotFound, "there is no report %q", name))
		return
	}
	q, e, err := api.ReportQuery(r.URL.Query(), p.svc.Store.Now())
	var rep reporting.Presenter
	if err == nil {
		rep, err = p.reports().Run(ctx, name, q)
	}
	var buf bytes.Buffer
	if err == nil {
		err = reporting.Write(&buf, rep, e)
	}
	if err == nil {
		err = p.svc.Store.RecordEvent(ctx, rd.actor, "report.view", "report:"+name, "ok", q.Values().Encode()+"&format="+e.Format)
	}
	if err != nil {
		p.failFor(w, r, rd, err)
		return
	}
	download(w, e.ContentType(), e.Filename(rep), buf.Bytes())
}

// reportPack downloads every report for one period as one PDF.
func (p *Pages) reportPack(w http.ResponseWriter, r *http.Request) {
	rd, ok := p.reportReader(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	q, err := reporting.Parse(r.URL.Query(), p.svc.Store.Now())
	var all []reporting.Presenter
	if err == nil {
		all, err = p.reports().Pack(ctx, q) // one snapshot, as the API's pack
	}
	var buf bytes.Buffer
	if err == nil {
		err = reporting.WritePack(&buf, "Seatkeeper report pack", all)
	}
	if err == nil {
		err = p.svc.Store.RecordEvent(ctx, rd.actor, "report.view", "report:pack", "ok", q.Values().Encode()+"&format=pdf")
	}
	if err != nil {
		p.failFor(w, r, rd, err)
		return
	}
	download(w, "application/pdf", "seatkeeper-pack-"+q.From.UTC().Format("20060102")+"-"+q.To.UTC().Format("20060102")+".pdf", buf.Bytes())
}

// download sends an export as an attachment. Exports carry private data:
// never cached.
func download(w http.ResponseWriter, contentType, filename string, b []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Disposition", `attachment; filename="`+filename+`"`)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	// An SVG opened on its own is a document: it runs nothing.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox")
	_, _ = w.Write(b)
}

// ---- the period form ----

// reportSpec describes a report's page: its title, what it answers and
// which parameters its form offers.
type reportSpec struct {
	Name, Title, Lede string
	Fields            []string // of pool, sku, bucket, tolerance, idle_days, target
}

var specs = map[string]reportSpec{
	reporting.Utilization: {reporting.Utilization, "Utilization", "How many seats of each pool were held over time, how often every seat was taken, and when the peaks come.", []string{"pool", "bucket", "tolerance"}},
	reporting.Denials:     {reporting.Denials, "Denials and queues", "Who was refused a seat, why, whether another pool or a retry met them later, and how long queues waited.", []string{"pool", "bucket", "tolerance"}},
	reporting.Shelfware:   {reporting.Shelfware, "Shelfware and dormant seats", "Named seats nobody has used for a while: what they cost and what reclaiming them saves.", []string{"pool", "idle_days"}},
	reporting.Cost:        {reporting.Cost, "Cost", "Spend per pool and month, cost per active person, and what reclaiming and resizing would save.", []string{"pool"}},
	reporting.Mix:         {reporting.Mix, "Named versus concurrent mix", "From the recorded sessions: who should hold named seats and how many concurrent seats cover everyone else, with the yearly cost of each option.", []string{"sku", "target", "tolerance"}},
	reporting.Evidence:    {reporting.Evidence, "Access-review evidence", "Who holds what and why, grants, revocations, leavers' time to revoke and integrations' acting users, against SOC 2 and ISO 27001.", []string{"pool"}},
}

// option is one choice of a select.
type option struct{ Value, Label string }

// reportForm is a report page's period form, filled from the query.
type reportForm struct {
	Name                                              string
	From, To                                          string
	Pool, SKU, Bucket, Tolerance, IdleDays, Target    string
	Has                                               map[string]bool
	Pools, SKUs, Buckets, Tolerances, Targets, Errors []option
}

// reportForm fills the form from the parsed query, or, when the query did
// not parse, from what was sent, so the reader can correct it.
func (p *Pages) reportForm(r *http.Request, spec reportSpec, raw url.Values, q reporting.Query, parsed bool) (reportForm, error) {
	f := reportForm{Name: spec.Name, Has: map[string]bool{}}
	for _, k := range spec.Fields {
		f.Has[k] = true
	}
	if !parsed {
		// The defaults, with what was sent over them.
		var err error
		if q, err = reporting.Parse(url.Values{}, p.svc.Store.Now()); err != nil {
			return f, err
		}
	}
	f.From, f.To, f.Pool, f.SKU, f.Bucket = dateOf(q.From), inclusiveDate(q.To), q.Pool, q.SKU, q.Bucket
	f.Tolerance, f.IdleDays, f.Target = reporting.ShortDuration(q.Tolerance), strconv.Itoa(q.IdleDays), strconv.FormatFloat(q.Target, 'g', -1, 64)
	if !parsed {
		for k, dst := range map[string]*string{"from": &f.From, "to": &f.To, "pool": &f.Pool, "sku": &f.SKU, "bucket": &f.Bucket,
			"tolerance": &f.Tolerance, "idle_days": &f.IdleDays, "target": &f.Target} {
			if v := raw.Get(k); v != "" {
				*dst = v
			}
		}
	}
	pools, err := p.svc.Store.ListPools(r.Context())
	if err != nil {
		return f, err
	}
	skus := map[string]bool{}
	f.Pools = []option{{"", "All pools"}}
	for _, pl := range pools {
		if spec.Name == reporting.Shelfware && pl.Model != licensing.ModelNamed {
			continue
		}
		f.Pools = append(f.Pools, option{pl.ID, pl.ID})
		if sku, ok := p.svc.Engine.SKU(pl.SKU); ok && sku.Tier == licensing.TierFulfiller {
			skus[pl.SKU] = true
		}
	}
	f.SKUs = []option{{"", "Every agent SKU"}}
	for _, k := range sortedSet(skus) {
		f.SKUs = append(f.SKUs, option{k, k})
	}
	f.Buckets = []option{{"hour", "Hour"}, {"day", "Day"}, {"week", "Week"}, {"month", "Month"}}
	f.Tolerances = withCurrent([]option{{"1m", "1 minute"}, {"5m", "5 minutes"}, {"10m", "10 minutes"}, {"30m", "30 minutes"}, {"1h", "1 hour"}, {"4h", "4 hours"}}, f.Tolerance)
	f.Targets = withCurrent([]option{{"0.005", "0.5%"}, {"0.01", "1%"}, {"0.02", "2%"}, {"0.05", "5%"}, {"0.1", "10%"}}, f.Target)
	return f, nil
}

// withCurrent adds the current value to a select's options when it is not
// one of them (a link may ask for any value).
func withCurrent(opts []option, cur string) []option {
	if cur == "" || slices.ContainsFunc(opts, func(o option) bool { return o.Value == cur }) {
		return opts
	}
	return append(opts, option{cur, cur})
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// dateOf is a time's UTC date for a date input.
func dateOf(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// inclusiveDate is the last day a period's exclusive end covers.
func inclusiveDate(to time.Time) string {
	to = to.UTC()
	if to.Equal(to.Truncate(24 * time.Hour)) {
		to = to.AddDate(0, 0, -1)
	}
	return to.Format(time.DateOnly)
}

// hiddenParams are a query's parameters as a form's hidden fields, in a
// stable order.
func hiddenParams(v url.Values) []option {
	var out []option
	for _, k := range sortedKeys(v) {
		out = append(out, option{k, v.Get(k)})
	}
	return out
}

func sortedKeys(v url.Values) []string {
	out := make([]string, 0, len(v))
	for k := range v {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
