package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/audit"
)

func (s *Server) verifyAudit(w http.ResponseWriter, r *http.Request) {
	c, err := s.store.CheckAudit(r.Context())
	n := c.Count
	// The recorded head the chain was checked against: an auditor keeps it
	// elsewhere to catch a rewrite of the whole chain.
	head := map[string]any{"seq": c.HeadSeq, "hash": c.HeadHash}
	var ce *audit.ChainError
	if errors.As(err, &ce) {
		bad := map[string]any{"seq": ce.Seq, "position": ce.Position, "kind": ce.Kind, "message": ce.Summary()}
		if ce.MissingFrom > 0 {
			// Entries are gone (seq_gap, truncated): seq is the first
			// missing one, and the range says how many.
			bad["missing_from"], bad["missing_to"] = ce.MissingFrom, ce.MissingTo
		}
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "count": n, "head": head, "first_bad": bad})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "count": n, "head": head})
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
