package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/audit"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/plural"
)

// One audit entry in full, and the verification of the whole chain.

// auditEntryCheck is what one entry's own fields prove: its hash matches its
// content, and its previous hash the entry before it.
type auditEntryCheck struct {
	HashOK bool
	// Link is "ok", "broken", "missing" (the previous entry is gone) or
	// "genesis" (the first entry).
	Link string
}

func (p *Pages) auditEntryPage(w http.ResponseWriter, r *http.Request, c *consoleVisit) {
	if p.refuseAudit(w, r, c) {
		return
	}
	ctx := r.Context()
	var e audit.Entry
	if err := p.call(ctx, c, http.MethodGet, "/api/v1/audit/"+url.PathEscape(r.PathValue("seq")), nil, &e); err != nil {
		p.auditRefusedPage(w, r, c, err)
		return
	}
	check := auditEntryCheck{HashOK: e.ComputeHash() == e.Hash, Link: "genesis"}
	if e.Seq > 1 {
		var prev audit.Entry
		err := p.call(ctx, c, http.MethodGet, "/api/v1/audit/"+strconv.FormatInt(e.Seq-1, 10), nil, &prev)
		switch {
		case licensing.ErrorCode(err) == licensing.CodeNotFound:
			check.Link = "missing"
		case err != nil:
			p.auditRefusedPage(w, r, c, err)
			return
		case prev.Hash == e.PrevHash:
			check.Link = "ok"
		default:
			check.Link = "broken"
		}
	} else if e.PrevHash != audit.GenesisHash {
		check.Link = "broken"
	}
	// The list this entry was opened from: its filters and cursor.
	q := r.URL.Query()
	_, filters := auditFilters(q)
	back := auditWith(filters)
	for _, k := range []string{"before", "after"} {
		if v := q.Get(k); auditSeqRE.MatchString(v) {
			back.Set(k, v)
		}
	}
	data := p.consoleData(c, "audit", "Audit entry "+strconv.FormatInt(e.Seq, 10))
	data["E"], data["Check"], data["Detail"] = e, check, auditPrettyDetail(e.Detail)
	data["PrevSeq"], data["NextSeq"] = e.Seq-1, e.Seq+1
	data["Back"] = "/admin/audit"
	if len(back) > 0 {
		data["Back"] = "/admin/audit?" + back.Encode()
	}
	seqLink := func(n int64) string { return "/admin/audit/" + strconv.FormatInt(n, 10) }
	if e.Seq > 1 {
		data["PrevLink"] = seqLink(e.Seq - 1)
	}
	if head, _, err := p.svc.Store.AuditHead(ctx); err == nil && e.Seq < head {
		data["NextLink"] = seqLink(e.Seq + 1)
	}
	more := func(k, v string) string { return "/admin/audit?" + url.Values{k: {v}}.Encode() }
	data["ByActor"], data["ByAction"], data["BySubject"] = more("actor", e.Actor), more("action", e.Action), more("subject", e.Subject)
	if e.ActingUser != "" {
		data["ByActing"] = more("acting_user", e.ActingUser)
	}
	p.render(w, "console_audit_entry.html", http.StatusOK, data)
}

// prettyDetail indents a detail that is JSON; other text stays as is.
func auditPrettyDetail(s string) string {
	var b bytes.Buffer
	if json.Valid([]byte(s)) && json.Indent(&b, []byte(s), "", "  ") == nil && b.Len() > 0 && (s[0] == '{' || s[0] == '[') {
		return b.String()
	}
	return s
}

// auditVerifyJSON is the API's verification (GET /api/v1/audit/verify).
type auditVerifyJSON struct {
	OK    bool  `json:"ok"`
	Count int64 `json:"count"`
	Head  struct {
		Seq  int64  `json:"seq"`
		Hash string `json:"hash"`
	} `json:"head"`
	FirstBad *struct {
		Seq         int64  `json:"seq"`
		Position    int64  `json:"position"`
		Kind        string `json:"kind"`
		Message     string `json:"message"`
		MissingFrom int64  `json:"missing_from"`
		MissingTo   int64  `json:"missing_to"`
	} `json:"first_bad"`
}

// auditBreakWords says what each kind of break means, for an auditor.
var auditBreakWords = map[string]string{
	audit.KindHashMismatch: "this entry was changed after it was written: its hash no longer matches its content",
	audit.KindBrokenLink:   "this entry does not link to the one before it: an earlier entry was rewritten, or entries were deleted or reordered",
	audit.KindSeqGap:       "entries are missing here: they were deleted, or the log was reordered",
	audit.KindSeqOrder:     "entries are out of order or repeated here",
	audit.KindTruncated:    "entries are missing from the end: the log ends before the recorded newest entry",
	audit.KindHeadMismatch: "the newest entry does not match the recorded head: the end of the log was rewritten",
}

func (p *Pages) auditVerify(w http.ResponseWriter, r *http.Request, c *consoleVisit) {
	if p.refuseAudit(w, r, c) {
		return
	}
	start := time.Now()
	var v auditVerifyJSON
	if err := p.call(r.Context(), c, http.MethodGet, "/api/v1/audit/verify", nil, &v); err != nil {
		p.auditRefusedPage(w, r, c, err)
		return
	}
	data := p.consoleData(c, "audit", "Verify the audit log")
	data["V"], data["Took"] = v, time.Since(start).Round(time.Millisecond)
	data["Checked"] = auditCount(v.Count, "entry")
	data["At"] = p.svc.Store.Now()
	if v.FirstBad != nil {
		data["Means"] = auditBreakWords[v.FirstBad.Kind]
		if n := v.FirstBad.MissingTo - v.FirstBad.MissingFrom + 1; v.FirstBad.MissingFrom > 0 && n > 0 {
			data["Missing"] = auditCount(n, "entry")
		}
		data["BadLink"] = "/admin/audit/" + strconv.FormatInt(v.FirstBad.Seq, 10)
	}
	p.render(w, "console_audit_verify.html", http.StatusOK, data)
}

// auditRefusedPage shows a refusal of the API inside the console's frame.
func (p *Pages) auditRefusedPage(w http.ResponseWriter, r *http.Request, c *consoleVisit, err error) {
	status, f := p.explain(r, err)
	data := p.consoleData(c, "audit", "Audit log")
	data["Flash"], data["Status"] = f, status
	p.render(w, "console_audit_refused.html", status, data)
}

// countOf writes a count with thousands separated and its noun: "1
// entry", "1,000,000 entries".
func auditCount(n int64, noun string) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s + " " + plural.Noun(n, noun)
}
