package api

import "net/http"

// rotateIntegrationToken gives an integration a new token and revokes the
// old one at once; the answer carries the new secret, shown this once. A
// disabled integration is enabled again by it.
func (s *Server) rotateIntegrationToken(w http.ResponseWriter, r *http.Request) {
	in, secret, err := s.store.RotateIntegrationToken(r.Context(), actorOf(r), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// The old token and the integration behind it are cached: forget
	// both, so the old secret is refused from this answer on.
	s.integs.forget()
	s.tokens.Clear()
	j := integrationOut(in)
	j.Token = secret
	writeJSON(w, http.StatusOK, j)
}

// disableIntegration revokes an integration's token: its calls are
// refused at once; it keeps its settings and service account.
func (s *Server) disableIntegration(w http.ResponseWriter, r *http.Request) {
	in, err := s.store.DisableIntegration(r.Context(), actorOf(r), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.integs.forget()
	s.tokens.Clear()
	writeJSON(w, http.StatusOK, integrationOut(in))
}
