package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/seatkeeper/seatkeeper/internal/api"
	"github.com/seatkeeper/seatkeeper/internal/audit"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// The console's audit log: the hash-chained log newest first, filtered
// and paged by the API's own query (GET /api/v1/audit, keyset cursors over
// the indexes of migration 18), one entry in full, the chain's
// verification, and exports of the filtered range (the API's streamed
// export, linked with the same filters). Auditors and licence
// administrators read it; other roles are refused.

// registerConsoleAudit adds the audit log pages.
func (p *Pages) registerConsoleAudit(mux *http.ServeMux) {
	mux.HandleFunc("GET /admin/audit", p.consolePage(p.auditPage))
	mux.HandleFunc("GET /admin/audit/verify", p.consolePage(p.auditVerify))
	mux.HandleFunc("GET /admin/audit/{seq}", p.consolePage(p.auditEntryPage))
}

// auditPageSize is how many entries a page of the console shows.
const auditPageSize = 50

// auditFilterKeys are the filters the pages carry, as the API names them.
var auditFilterKeys = []string{"actor", "acting_user", "action", "subject", "from", "to"}

// auditForm is the filter form as typed.
type auditForm struct{ Actor, ActingUser, Action, Subject, From, To string }

// auditFilters reads the filters of a page's query: the form as typed,
// and the API's parameters, where a time typed without a zone (UTC) is
// written in RFC 3339.
func auditFilters(q url.Values) (auditForm, url.Values) {
	f := auditForm{Actor: q.Get("actor"), ActingUser: q.Get("acting_user"), Action: q.Get("action"),
		Subject: q.Get("subject"), From: q.Get("from"), To: q.Get("to")}
	out := url.Values{}
	for _, k := range auditFilterKeys {
		v := strings.TrimSpace(q.Get(k))
		if v == "" {
			continue
		}
		if k == "from" || k == "to" {
			v = formTime(v)
		}
		out.Set(k, v)
	}
	return f, out
}

// formTime turns a time typed without a zone ("2026-03-01 14:00", UTC)
// into RFC 3339; anything else (a date, an RFC 3339 time, a typo) goes to
// the API as typed, which accepts or refuses it.
func formTime(v string) string {
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02T15:04:05"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC().Format(time.RFC3339)
		}
	}
	return v
}

// with returns q plus key=value, leaving q as it was.
func auditWith(q url.Values, kv ...string) url.Values {
	out := url.Values{}
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out.Set(kv[i], kv[i+1])
	}
	return out
}

// auditRow is an entry as the list shows it.
type auditRow struct {
	audit.Entry
	Link, Short string
}

// auditPager holds the links around a page.
type auditPager struct{ Newest, Newer, Older string }

var auditSeqRE = regexp.MustCompile(`^[0-9]+$`)

// refuseAudit answers people whose roles do not read the audit log.
func (p *Pages) refuseAudit(w http.ResponseWriter, r *http.Request, c *consoleVisit) bool {
	if c.can(api.PermAudit) {
		return false
	}
	data := p.consoleData(c, "audit", "Audit log")
	data["Flash"], data["Status"] = &flash{Code: licensing.CodeForbidden, Text: "The audit log is for auditors and licence administrators: your roles do not include either. Ask a licence administrator for the auditor role if you need it."}, http.StatusForbidden
	p.render(w, "console_audit_refused.html", http.StatusForbidden, data)
	return true
}

func (p *Pages) auditPage(w http.ResponseWriter, r *http.Request, c *consoleVisit) {
	if p.refuseAudit(w, r, c) {
		return
	}
	ctx, q := r.Context(), r.URL.Query()
	form, filters := auditFilters(q)
	apiQ := auditWith(filters, "order", "desc", "limit", strconv.Itoa(auditPageSize))
	before, after := q.Get("before"), q.Get("after")
	cursor := url.Values{}
	for k, v := range map[string]string{"before": before, "after": after} {
		if v != "" {
			apiQ.Set(k, v)
			cursor.Set(k, v)
		}
	}
	var page struct {
		Entries []audit.Entry `json:"entries"`
		Next    int64         `json:"next"`
	}
	data := p.consoleData(c, "audit", "Audit log")
	status := http.StatusOK
	if err := p.call(ctx, c, http.MethodGet, "/api/v1/audit?"+apiQ.Encode(), nil, &page); err != nil {
		var f *flash
		status, f = p.explain(r, err)
		data["Flash"], data["Bad"] = f, refusedField(err)
	}
	back := auditWith(filters)
	for k, v := range cursor {
		back[k] = v
	}
	rows := make([]auditRow, len(page.Entries))
	for i, e := range page.Entries {
		link := "/admin/audit/" + strconv.FormatInt(e.Seq, 10)
		if len(back) > 0 {
			link += "?" + back.Encode()
		}
		rows[i] = auditRow{Entry: e, Link: link, Short: auditShorten(e.Detail, 80)}
	}
	data["Form"], data["Rows"], data["Filtered"], data["PageSize"] = form, rows, len(filters) > 0, auditPageSize
	data["Pager"] = auditPagerOf(filters, before != "" && auditSeqRE.MatchString(before), after != "" && auditSeqRE.MatchString(after), page.Entries, page.Next)
	data["ExportJSONL"] = "/api/v1/audit/export?" + auditWith(filters, "format", "jsonl").Encode()
	data["ExportCSV"] = "/api/v1/audit/export?" + auditWith(filters, "format", "csv").Encode()
	if _, ok := data["Bad"]; !ok {
		data["Bad"] = ""
	}
	// Reads the store directly, as the API's audit routes would allow:
	// the caller may read the audit log (refuseAudit).
	if seq, _, err := p.svc.Store.AuditHead(ctx); err == nil {
		data["Head"] = seq
	}
	if acts, err := p.svc.Store.AuditActions(ctx); err == nil {
		data["Actions"] = acts
	}
	p.render(w, "console_audit.html", status, data)
}

// pagerOf links the page's neighbours: older below its last entry, newer
// above its first, and the newest page when this is not it.
func auditPagerOf(filters url.Values, byBefore, byAfter bool, list []audit.Entry, next int64) auditPager {
	var pg auditPager
	link := func(kv ...string) string { return "/admin/audit?" + auditWith(filters, kv...).Encode() }
	if byBefore || byAfter {
		pg.Newest = "/admin/audit"
		if len(filters) > 0 {
			pg.Newest += "?" + filters.Encode()
		}
	}
	if len(list) == 0 {
		return pg
	}
	first, last := strconv.FormatInt(list[0].Seq, 10), strconv.FormatInt(list[len(list)-1].Seq, 10)
	// Older: more follow below when reading down; reading up (after) came
	// from below, so there are.
	if (!byAfter && next > 0) || byAfter {
		pg.Older = link("before", last)
	}
	if byBefore || (byAfter && next > 0) {
		pg.Newer = link("after", first)
	}
	if byAfter && next == 0 {
		pg.Newest = "" // this is the newest page
	}
	return pg
}

// shorten cuts s to n characters with an ellipsis.
func auditShorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
