package web

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/api"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/reporting"
)

// Share links (DESIGN §3.7): a reader of a report freezes it into a
// signed, expiring, revocable link that anyone holding it may open without
// signing in and without a seat. The administrator lists and revokes every
// link; a stakeholder only their own.

// shareForm is the Share form under a report: the report, its query as
// hidden fields, and the lifetimes offered.
type shareForm struct {
	Report   string
	Params   []option
	Expiries []option
}

// shareExpiries are the lifetimes a link may be given; 7 days is the
// default.
var shareExpiries = []option{{"1", "1 day"}, {"7", "7 days"}, {"30", "30 days"}, {"90", "90 days"}}

// shareRow is a link as the shares page lists it.
type shareRow struct {
	ID, Report, ReportTitle, Period, State, CreatedBy string
	CreatedAt, ExpiresAt, LastView, RevokedAt         time.Time
	Views                                             int
	Active                                            bool
}

// reportParams are the query parameters a share link may carry (what
// reporting.Parse reads).
var reportParams = []string{"from", "to", "pool", "sku", "bucket", "tolerance", "working_hours", "idle_days", "target", "split"}

// createShare freezes the report of the posted form into a link and shows
// it, once, on the shares page.
func (p *Pages) createShare(w http.ResponseWriter, r *http.Request) {
	rd, ok := p.reportReader(w, r)
	if !ok {
		return
	}
	if !rd.admin && !rd.stakeholder {
		p.failFor(w, r, rd, licensing.Errorf(licensing.CodeForbidden, "share links are published by the licence administrator or a stakeholder; ask one of them"))
		return
	}
	f := r.PostForm
	report := f.Get("report")
	if !reporting.KnownReport(report) {
		p.failFor(w, r, rd, licensing.FieldErrorf(licensing.CodeInvalid, "report", "report must be one of %s", strings.Join(reporting.Names, ", ")))
		return
	}
	days := f.Get("expires")
	if days == "" {
		days = "7"
	}
	valid := false
	for _, o := range shareExpiries {
		valid = valid || o.Value == days
	}
	if !valid {
		p.failFor(w, r, rd, licensing.FieldErrorf(licensing.CodeInvalid, "expires", "a share link lasts 1, 7, 30 or 90 days"))
		return
	}
	params := url.Values{}
	for _, k := range reportParams {
		if v := f.Get(k); v != "" {
			params.Set(k, v)
		}
	}
	n := map[string]time.Duration{"1": 24 * time.Hour, "7": 7 * 24 * time.Hour, "30": 30 * 24 * time.Hour, "90": 90 * 24 * time.Hour}[days]
	l, link, err := api.ShareReport(r, p.public.Base(r), p.svc.Store, p.reports(), rd.actor, report, params, n.String())
	if err != nil {
		p.failFor(w, r, rd, err)
		return
	}
	p.sharesPage(w, r, rd, http.StatusCreated, map[string]any{"NewLink": link, "NewID": l.ID, "NewExpires": l.ExpiresAt})
}

// shares lists the reader's links (every link for the administrator).
func (p *Pages) shares(w http.ResponseWriter, r *http.Request) {
	rd, ok := p.reportReader(w, r)
	if !ok {
		return
	}
	p.sharesPage(w, r, rd, http.StatusOK, map[string]any{"Flash": reportFlash(r.URL.Query())})
}

func (p *Pages) sharesPage(w http.ResponseWriter, r *http.Request, rd *reader, status int, extra map[string]any) {
	links, live, err := p.svc.Store.ListShares(r.Context(), rd.owner())
	if err != nil {
		p.failFor(w, r, rd, err)
		return
	}
	now := p.svc.Store.Now()
	rows := make([]shareRow, 0, len(links))
	for _, l := range links {
		row := shareRow{ID: l.ID, Report: l.Report, ReportTitle: specs[l.Report].Title, Period: paramsPeriod(l.Params), State: l.State(now, live[l.KeyID]),
			CreatedBy: p.creatorName(l.CreatedBy), CreatedAt: l.CreatedAt, ExpiresAt: l.ExpiresAt, LastView: l.LastView, RevokedAt: l.RevokedAt, Views: l.Views}
		row.Active = row.State == "active"
		rows = append(rows, row)
	}
	data := p.readerData(rd, "Shared links")
	for k, v := range extra {
		data[k] = v
	}
	data["Links"] = rows
	p.render(w, "reports_shares.html", status, data)
}

// revokeShare ends a link at once; a stakeholder may end only their own.
func (p *Pages) revokeShare(w http.ResponseWriter, r *http.Request) {
	rd, ok := p.reportReader(w, r)
	if !ok {
		return
	}
	if err := p.svc.Store.RevokeShare(r.Context(), rd.actor, r.PathValue("id"), rd.owner()); err != nil {
		p.failFor(w, r, rd, err)
		return
	}
	http.Redirect(w, r, "/reports/shares?done=revoked", http.StatusSeeOther)
}

// openShare shows a share link's frozen report to anyone holding it: no
// sign-in, no seat, no navigation into the rest of the site. The store
// checks the signature and audits the view, or the refusal; a refused link
// shows why and nothing of the report.
func (p *Pages) openShare(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Robots-Tag", "noindex, nofollow")
	l, err := p.svc.Store.OpenShare(r.Context(), r.PathValue("token"), api.RemoteIP(r))
	var rep reporting.Presenter
	if err == nil {
		rep, err = decodeSnapshot(l.Report, l.Snapshot)
	}
	if err != nil {
		p.shareRefused(w, r, err)
		return
	}
	view := p.reportView(rep, l.Report, nil)
	p.render(w, "share.html", http.StatusOK, map[string]any{"Title": view.Title, "Report": view,
		"TakenAt": readableTime(l.TakenAt), "SharedBy": p.creatorName(l.CreatedBy), "ExpiresAt": readableTime(l.ExpiresAt)})
}

// shareRefused tells a visitor why a link does not open: it expired or was
// revoked (410), or it is not a valid link (404: malformed, unknown,
// tampered with or retired are not told apart).
func (p *Pages) shareRefused(w http.ResponseWriter, r *http.Request, err error) {
	e, ok := licensing.AsError(err)
	if !ok {
		p.log.Error("open share link", "err", err)
		p.render(w, "share_refused.html", http.StatusInternalServerError, map[string]any{"Title": "Something went wrong", "Kind": "internal"})
		return
	}
	data := map[string]any{"Title": "Link not valid", "Kind": "invalid"}
	switch e.Code {
	case licensing.CodeLinkExpired:
		data = map[string]any{"Title": "Link expired", "Kind": "expired", "Message": sentence(e.Message)}
	case licensing.CodeLinkRevoked:
		data = map[string]any{"Title": "Link revoked", "Kind": "revoked", "Message": sentence(e.Message)}
	case licensing.CodeNotFound:
	default:
		status, _ := p.explain(r, err)
		p.render(w, "share_refused.html", status, map[string]any{"Title": "Something went wrong", "Kind": "internal"})
		return
	}
	p.render(w, "share_refused.html", api.Status(e.Code), data)
}

// creatorName is how a link's creator is shown: a person by their name,
// the administrator's token as the licence administrator.
func (p *Pages) creatorName(actor string) string {
	if name, ok := strings.CutPrefix(actor, "web:"); ok {
		if u, found := p.svc.Engine.User(name); found && u.DisplayName != "" {
			return u.DisplayName
		}
		return name
	}
	if name, ok := strings.CutPrefix(actor, "token:"); ok {
		return "the licence administrator (" + name + ")"
	}
	return actor
}

// readableTime writes a moment for people: 2 Dec 2026 14:05 UTC.
func readableTime(t time.Time) string { return t.UTC().Format("2 Jan 2006 15:04 MST") }

// paramsPeriod is the period a link's stored query covers.
func paramsPeriod(params string) string {
	v, err := url.ParseQuery(params)
	if err != nil {
		return ""
	}
	from, err1 := time.Parse(time.RFC3339, v.Get("from"))
	to, err2 := time.Parse(time.RFC3339, v.Get("to"))
	if err1 != nil || err2 != nil {
		return ""
	}
	out := periodText(from, to)
	if pool := v.Get("pool"); pool != "" {
		out += " · " + pool
	}
	return out
}
