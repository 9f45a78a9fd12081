package api

import (
	"net/http"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// endSessionAdmin ends a person's session on an administrator's word (the
// licence console's "end session"). DELETE /api/v1/sessions/{id} is the
// platform's logout, callable by integrations and with the pool's linger;
// this one is a licence administrator's: the end reason is admin, so the
// seats return at once (unless another open session of the person uses
// them) and the audit tells a forced end from a logout.
func (s *Server) endSessionAdmin(w http.ResponseWriter, r *http.Request) {
	if err := s.store.EndSession(r.Context(), actorOf(r), r.PathValue("id"), licensing.EndAdmin); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
