package api

import (
	"net/http"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

type roleJSON struct {
	User      string    `json:"user"`
	UserName  string    `json:"user_name"`
	Role      string    `json:"role"`
	GrantedBy string    `json:"granted_by"`
	GrantedAt time.Time `json:"granted_at"`
}

func roleOut(h store.RoleHolder) roleJSON {
	return roleJSON{User: h.User, UserName: h.UserName, Role: string(h.Role), GrantedBy: h.GrantedBy, GrantedAt: h.GrantedAt}
}

func roleNames(rs []licensing.Role) []string {
	if len(rs) == 0 {
		return nil
	}
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = string(r)
	}
	return out
}

// listRoles answers every role held, by role then user name.
func (s *Server) listRoles(w http.ResponseWriter, r *http.Request) {
	hs, err := s.store.ListRoles(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]roleJSON, len(hs))
	for i, h := range hs {
		out[i] = roleOut(h)
	}
	writeJSON(w, http.StatusOK, map[string]any{"roles": out})
}

// putRole grants a role: 201 when new, 200 when the person held it.
func (s *Server) putRole(w http.ResponseWriter, r *http.Request) {
	if !s.emptyBody(w, r) {
		return
	}
	role, err := licensing.ParseRole(r.PathValue("role"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	h, granted, err := s.store.GrantRole(r.Context(), actorOf(r), r.PathValue("user"), role)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, ifStatus(granted, http.StatusCreated, http.StatusOK), roleOut(h))
}

func (s *Server) deleteRole(w http.ResponseWriter, r *http.Request) {
	role, err := licensing.ParseRole(r.PathValue("role"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.store.RevokeRole(r.Context(), actorOf(r), r.PathValue("user"), role); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
