package api

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/audit"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

func (s *Server) listAudit(w http.ResponseWriter, r *http.Request) {
	limit, err := queryInt(r, "limit", 100, 1, 1000)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	after := int64(0)
	if v := r.URL.Query().Get("after"); v != "" {
		if after, err = strconv.ParseInt(v, 10, 64); err != nil || after < 0 {
			s.fail(w, r, licensing.FieldErrorf(licensing.CodeInvalid, "after", "after must be a non-negative integer"))
			return
		}
	}
	list, err := s.store.ListAudit(r.Context(), after, limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": list})
}

// exportAudit streams the whole chain as JSON Lines or CSV.
func (s *Server) exportAudit(w http.ResponseWriter, r *http.Request) {
	var ex audit.Exporter
	switch f := r.URL.Query().Get("format"); f {
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
	if err := s.store.ScanAudit(r.Context(), ex.Write); err != nil {
		// Headers are gone; the truncated body and the log tell the story.
		s.log.Error("audit export", "err", err)
		return
	}
	if err := ex.Close(); err != nil {
		s.log.Error("audit export", "err", err)
	}
}

func (s *Server) verifyAudit(w http.ResponseWriter, r *http.Request) {
	n, err := s.store.VerifyAudit(r.Context())
	var ce *audit.ChainError
	if errors.As(err, &ce) {
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "count": n, "first_bad": map[string]any{"seq": ce.Seq, "position": ce.Position, "kind": ce.Kind, "message": ce.Error()}})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "count": n})
}

type tokenJSON struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Scope     string     `json:"scope"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
	Token     string     `json:"token,omitempty"`
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) {
	list, err := s.store.ListTokens(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]tokenJSON, len(list))
	for i, t := range list {
		out[i] = tokenJSON{ID: t.ID, Name: t.Name, Scope: t.Scope, CreatedAt: t.CreatedAt}
		if !t.ExpiresAt.IsZero() {
			out[i].ExpiresAt = &t.ExpiresAt
		}
		if !t.RevokedAt.IsZero() {
			out[i].RevokedAt = &t.RevokedAt
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"tokens": out})
}

// createToken returns the secret once; only its hash is stored.
func (s *Server) createToken(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name  string `json:"name"`
		Scope string `json:"scope"`
		TTL   string `json:"ttl"`
	}
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	ttl, err := parseDur("ttl", in.TTL)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	t, secret, err := s.store.CreateToken(r.Context(), actorOf(r), in.Name, in.Scope, ttl)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := tokenJSON{ID: t.ID, Name: t.Name, Scope: t.Scope, CreatedAt: t.CreatedAt, Token: secret}
	if !t.ExpiresAt.IsZero() {
		out.ExpiresAt = &t.ExpiresAt
	}
	writeJSON(w, http.StatusCreated, out)
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) {
	if err := s.store.RevokeToken(r.Context(), actorOf(r), r.PathValue("id")); err != nil {
		s.fail(w, r, err)
		return
	}
	s.tokens.Clear() // the path names an id or name, not a hash: forget them all
	w.WriteHeader(http.StatusNoContent)
}
