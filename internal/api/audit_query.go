package api

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/audit"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

// auditFilterParams are the filters GET /api/v1/audit and its export take.
var auditFilterParams = []string{"actor", "acting_user", "action", "subject", "from", "to"}

// AuditFilterOf reads the audit filters of q (the API's parameters, which
// the licence console's links carry too). from and to are RFC 3339 times
// or dates; a date in to includes its day.
func AuditFilterOf(q url.Values) (store.AuditFilter, error) {
	f := store.AuditFilter{
		Actor: strings.TrimSpace(q.Get("actor")), ActingUser: strings.TrimSpace(q.Get("acting_user")),
		Action: strings.TrimSpace(q.Get("action")), Subject: strings.TrimSpace(q.Get("subject")),
	}
	for _, p := range []struct {
		name string
		dst  *time.Time
		day  time.Duration // added to a date
	}{{"from", &f.From, 0}, {"to", &f.To, 24 * time.Hour}} {
		v := strings.TrimSpace(q.Get(p.name))
		if v == "" {
			continue
		}
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			*p.dst = t.UTC()
			continue
		}
		d, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return f, licensing.FieldErrorf(licensing.CodeInvalid, p.name, "%s must be a date (2026-01-31) or an RFC 3339 time (2026-01-31T14:00:00Z)", p.name)
		}
		*p.dst = d.Add(p.day)
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.To.After(f.From) {
		return f, licensing.FieldErrorf(licensing.CodeInvalid, "to", "the period must end after it starts")
	}
	return f, nil
}

// onlyParams refuses a query parameter outside allowed, so a misspelt
// filter ("acting-user") fails instead of returning everything.
func onlyParams(q url.Values, allowed ...string) error {
	for k := range q {
		if !slices.Contains(allowed, k) {
			return licensing.FieldErrorf(licensing.CodeInvalid, k, "unknown parameter %q: use %s", k, strings.Join(allowed, ", "))
		}
	}
	return nil
}

// listAudit pages through the log: by default in chain order after a seq
// (a follower's tail), with order=desc newest first from a cursor; both
// filtered by actor, acting user, action, subject (prefix) and period.
// next, when more entries follow, is the cursor for the following page.
func (s *Server) listAudit(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if err := onlyParams(q, append([]string{"after", "before", "order", "limit"}, auditFilterParams...)...); err != nil {
		s.fail(w, r, err)
		return
	}
	limit, err := queryInt(r, "limit", 100, 1, 1000)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	aq := store.AuditQuery{Limit: limit}
	if aq.AuditFilter, err = AuditFilterOf(q); err != nil {
		s.fail(w, r, err)
		return
	}
	switch o := q.Get("order"); o {
	case "", "asc":
	case "desc":
		aq.Newest = true
	default:
		s.fail(w, r, licensing.FieldErrorf(licensing.CodeInvalid, "order", "order must be asc or desc"))
		return
	}
	for name, dst := range map[string]*int64{"after": &aq.After, "before": &aq.Before} {
		if v := q.Get(name); v != "" {
			if *dst, err = strconv.ParseInt(v, 10, 64); err != nil || *dst < 0 {
				s.fail(w, r, licensing.FieldErrorf(licensing.CodeInvalid, name, "%s must be a non-negative integer", name))
				return
			}
		}
	}
	page, err := s.store.QueryAudit(r.Context(), aq)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := map[string]any{"entries": page.Entries}
	if n := len(page.Entries); page.More && n > 0 {
		// The far end of the page in the direction read: the last entry,
		// or for a newer page (shown newest first) the first.
		next := page.Entries[n-1].Seq
		if aq.Newest && aq.After > 0 {
			next = page.Entries[0].Seq
		}
		out["next"] = next
	}
	writeJSON(w, http.StatusOK, out)
}

// getAuditEntry answers one entry in full.
func (s *Server) getAuditEntry(w http.ResponseWriter, r *http.Request) {
	seq, err := strconv.ParseInt(r.PathValue("seq"), 10, 64)
	if err != nil || seq < 1 {
		s.fail(w, r, licensing.FieldErrorf(licensing.CodeInvalid, "seq", "seq must be a positive integer"))
		return
	}
	e, err := s.store.AuditEntry(r.Context(), seq)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, e)
}

// exportAudit streams the chain, or the entries the filters select, as
// JSON Lines or CSV.
func (s *Server) exportAudit(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if err := onlyParams(q, append([]string{"format"}, auditFilterParams...)...); err != nil {
		s.fail(w, r, err)
		return
	}
	f, err := AuditFilterOf(q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var ex audit.Exporter
	switch q.Get("format") {
	case "", "jsonl":
		w.Header().Set("Content-Type", "application/x-ndjson")
		w.Header().Set("Content-Disposition", `attachment; filename="seatkeeper-audit.jsonl"`)
		ex = audit.NewJSONLExporter(w)
	case "csv":
		w.Header().Set("Content-Type", "text/csv")
		w.Header().Set("Content-Disposition", `attachment; filename="seatkeeper-audit.csv"`)
		ex = audit.NewCSVExporter(w)
	default:
		s.fail(w, r, licensing.FieldErrorf(licensing.CodeInvalid, "format", "format must be jsonl or csv"))
		return
	}
	if err := s.store.ExportAudit(r.Context(), f, ex.Write); err != nil {
		// Headers are gone; the truncated body and the log tell the story.
		s.log.Error("audit export", "err", err)
		return
	}
	if err := ex.Close(); err != nil {
		s.log.Error("audit export", "err", err)
	}
}
