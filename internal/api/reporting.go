package api

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/reporting"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

// ReportQuery reads a report's query string and export parameters, the
// same for the API, the pages and share links.
func ReportQuery(v url.Values, now time.Time) (reporting.Query, reporting.Export, error) {
	q, err := reporting.Parse(v, now, "table", "chart")
	if err != nil {
		return q, reporting.Export{}, err
	}
	e, err := reporting.ParseExport(v.Get("format"), v.Get("table"), v.Get("chart"))
	return q, e, err
}

// report answers GET /api/v1/reports/{name}: the report as JSON, or one
// of its tables as CSV, a chart as SVG or PNG, or the report as PDF
// (?format=). "pack" is every report in one PDF. Each read is audited.
func (s *Server) report(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if name != "pack" && !reporting.KnownReport(name) {
		s.fail(w, r, licensing.FieldErrorf(licensing.CodeNotFound, "name", "no report %q (reports: %s, pack)", name, strings.Join(reporting.Names, ", ")))
		return
	}
	q, e, err := ReportQuery(r.URL.Query(), s.store.Now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if name == "pack" {
		// The pack is one PDF of every report: asking it for another format
		// or for one table or chart is refused, not silently ignored.
		if f := r.URL.Query().Get("format"); f != "" && f != "pdf" {
			s.fail(w, r, licensing.FieldErrorf(licensing.CodeInvalid, "format", "the pack is a PDF: format must be pdf"))
			return
		}
		for _, k := range []string{"table", "chart"} {
			if r.URL.Query().Has(k) {
				s.fail(w, r, licensing.FieldErrorf(licensing.CodeInvalid, k, "the pack is a whole PDF: %s picks an export of one report", k))
				return
			}
		}
	}
	var buf bytes.Buffer
	if name == "pack" {
		all, err := s.reports.Pack(r.Context(), q)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		e = reporting.Export{Format: "pdf"}
		if err := reporting.WritePack(&buf, "Seatkeeper report pack", all); err != nil {
			s.fail(w, r, err)
			return
		}
		w.Header().Set("Content-Disposition", `attachment; filename="seatkeeper-pack-`+q.From.UTC().Format("20060102")+`-`+q.To.UTC().Format("20060102")+`.pdf"`)
	} else {
		p, err := s.reports.Run(r.Context(), name, q)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if err := reporting.Write(&buf, p, e); err != nil {
			s.fail(w, r, err)
			return
		}
		if e.Format != "json" {
			w.Header().Set("Content-Disposition", `attachment; filename="`+e.Filename(p)+`"`)
		}
	}
	if err := s.store.RecordEvent(r.Context(), actorOf(r), "report.view", "report:"+name, "ok", q.Values().Encode()+"&format="+e.Format); err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", e.ContentType())
	_, _ = w.Write(buf.Bytes())
}

type settingsJSON struct {
	Currency string `json:"currency"`
}

func (s *Server) getReportSettings(w http.ResponseWriter, r *http.Request) {
	cur, err := s.store.Setting(r.Context(), reporting.CurrencySetting, reporting.DefaultCurrency)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, settingsJSON{Currency: cur})
}

// putReportSettings sets the one currency every cost is shown in (an ISO
// 4217 code: prices are stored as plain numbers in it).
func (s *Server) putReportSettings(w http.ResponseWriter, r *http.Request) {
	var in settingsJSON
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if len(in.Currency) != 3 || strings.ToUpper(in.Currency) != in.Currency || strings.Trim(in.Currency, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
		s.fail(w, r, licensing.FieldErrorf(licensing.CodeInvalid, "currency", "currency must be a three-letter ISO 4217 code such as EUR or USD"))
		return
	}
	if err := s.store.PutSetting(r.Context(), actorOf(r), reporting.CurrencySetting, in.Currency); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, in)
}

// ---- share links ----

type shareIn struct {
	Report    string            `json:"report"`
	Params    map[string]string `json:"params"`
	ExpiresIn string            `json:"expires_in"`
}

type shareJSON struct {
	ID        string     `json:"id"`
	Report    string     `json:"report"`
	Params    string     `json:"params"`
	State     string     `json:"state"`
	TakenAt   time.Time  `json:"taken_at"`
	CreatedBy string     `json:"created_by"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt time.Time  `json:"expires_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
	Views     int        `json:"views"`
	LastView  *time.Time `json:"last_view,omitempty"`
	URL       string     `json:"url,omitempty"`
	Token     string     `json:"token,omitempty"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// ShareOut is a link as the API and the pages list it.
func ShareOut(l store.ShareLink, now time.Time, live bool) shareJSON {
	return shareJSON{ID: l.ID, Report: l.Report, Params: l.Params, State: l.State(now, live), TakenAt: l.TakenAt, CreatedBy: l.CreatedBy,
		CreatedAt: l.CreatedAt, ExpiresAt: l.ExpiresAt, RevokedAt: timePtr(l.RevokedAt), Views: l.Views, LastView: timePtr(l.LastView)}
}

// ShareReport freezes a report and makes a link to it under base (the
// server's public URL): the one way the API and the pages create links. It
// returns the link and its URL.
func ShareReport(r *http.Request, base string, st *store.Store, reps *reporting.Service, a licensing.Actor, report string, params url.Values, expiresIn string) (store.ShareLink, string, error) {
	if !reporting.KnownReport(report) {
		return store.ShareLink{}, "", licensing.FieldErrorf(licensing.CodeInvalid, "report", "report must be one of %s", strings.Join(reporting.Names, ", "))
	}
	var ttl time.Duration
	if expiresIn != "" {
		d, err := time.ParseDuration(expiresIn)
		// "0s" would otherwise fall back to the default lifetime; the range
		// is checked before the report is computed.
		if err != nil || d < time.Minute || d > store.MaxShareTTL {
			return store.ShareLink{}, "", licensing.FieldErrorf(licensing.CodeInvalid, "expires_in", "expires_in must be a duration from 1m to 2160h (90 days), such as 168h")
		}
		ttl = d
	}
	q, err := reporting.Parse(params, st.Now())
	if err != nil {
		return store.ShareLink{}, "", err
	}
	p, err := reps.Run(r.Context(), report, q)
	if err != nil {
		return store.ShareLink{}, "", err
	}
	var buf bytes.Buffer
	if err := reporting.Write(&buf, p, reporting.Export{Format: "json"}); err != nil {
		return store.ShareLink{}, "", err
	}
	l, token, err := st.CreateShare(r.Context(), a, store.ShareLink{Report: report, Params: q.Values().Encode(), Snapshot: buf.Bytes(), TakenAt: st.Now()}, ttl)
	if err != nil {
		return l, "", err
	}
	return l, base + "/share/" + token, nil
}

func (s *Server) createShare(w http.ResponseWriter, r *http.Request) {
	var in shareIn
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	params := url.Values{}
	for k, v := range in.Params {
		params.Set(k, v)
	}
	l, link, err := ShareReport(r, s.public.Base(r), s.store, s.reports, actorOf(r), in.Report, params, in.ExpiresIn)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := ShareOut(l, s.store.Now(), true)
	out.URL, out.Token = link, link[strings.LastIndex(link, "/")+1:]
	writeJSON(w, http.StatusCreated, out)
}

func (s *Server) listShares(w http.ResponseWriter, r *http.Request) {
	links, live, err := s.store.ListShares(r.Context(), "")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	now := s.store.Now()
	out := []shareJSON{}
	for _, l := range links {
		out = append(out, ShareOut(l, now, live[l.KeyID]))
	}
	writeJSON(w, http.StatusOK, map[string]any{"shares": out})
}

func (s *Server) revokeShare(w http.ResponseWriter, r *http.Request) {
	if err := s.store.RevokeShare(r.Context(), actorOf(r), r.PathValue("id"), ""); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) rotateShareKey(w http.ResponseWriter, r *http.Request) {
	n, err := s.store.RotateShareKey(r.Context(), actorOf(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"retired_links": n})
}
