package api

import (
	"net/http"

	"github.com/seatkeeper/seatkeeper/internal/desk"
)

// Scope sets for routes; admin may call everything.
var (
	adminOnly = []string{}
	readers   = []string{"platform"}
	platform  = []string{"platform", "integration"}
)

// routes is the one place that lists every route; the OpenAPI document is
// checked against it by a test.
func (s *Server) routes() {
	s.handlePublic("GET /healthz", s.healthz)
	s.handlePublic("GET /readyz", s.readyz)
	s.handle("GET /metrics", readers, s.metrics.serve)
	s.handle("GET /api/v1/openapi.json", platform, s.openapi)

	s.handle("GET /api/v1/skus", readers, s.listSKUs)
	s.handle("POST /api/v1/skus", adminOnly, s.createSKU)
	s.handle("GET /api/v1/skus/{key}", readers, s.getSKU)
	s.handle("PUT /api/v1/skus/{key}", adminOnly, s.updateSKU)
	s.handle("DELETE /api/v1/skus/{key}", adminOnly, s.deleteSKU)

	s.handle("GET /api/v1/pools", readers, s.listPools)
	s.handle("POST /api/v1/pools", adminOnly, s.createPool)
	s.handle("GET /api/v1/pools/{pool}", readers, s.getPool)
	s.handle("PUT /api/v1/pools/{pool}", adminOnly, s.updatePool)
	s.handle("DELETE /api/v1/pools/{pool}", adminOnly, s.deletePool)
	s.handle("GET /api/v1/pools/{pool}/members", readers, s.listMembers)
	s.handle("PUT /api/v1/pools/{pool}/members/{user}", adminOnly, s.putMember)
	s.handle("DELETE /api/v1/pools/{pool}/members/{user}", adminOnly, s.deleteMember)
	s.handle("GET /api/v1/pools/{pool}/groups", readers, s.listGroupGrants)
	s.handle("PUT /api/v1/pools/{pool}/groups/{group}", adminOnly, s.putGroupGrant)
	s.handle("DELETE /api/v1/pools/{pool}/groups/{group}", adminOnly, s.deleteGroupGrant)
	s.handle("GET /api/v1/usage", readers, s.usage)
	s.handle("GET /api/v1/dashboard", readers, s.dashboard)

	s.handle("GET /api/v1/rules", readers, s.listRules)
	s.handle("POST /api/v1/rules", adminOnly, s.createRule)
	s.handle("POST /api/v1/rules/preview", adminOnly, s.previewRule)
	s.handle("GET /api/v1/rules/{id}", readers, s.getRule)
	s.handle("PUT /api/v1/rules/{id}", adminOnly, s.updateRule)
	s.handle("DELETE /api/v1/rules/{id}", adminOnly, s.deleteRule)
	s.handle("GET /api/v1/access-review", readers, s.accessReview)
	s.handle("GET /api/v1/pending", readers, s.pending)
	s.handle("GET /api/v1/provisioning", readers, s.provisioning)

	s.handle("GET /api/v1/leases", readers, s.listLeases)
	s.handle("DELETE /api/v1/leases/{id}", adminOnly, s.endLease)

	s.handle("GET /api/v1/users", readers, s.listUsers)
	s.handle("POST /api/v1/users", adminOnly, s.createUser)
	s.handle("GET /api/v1/users/{user}", readers, s.getUser)
	s.handle("PUT /api/v1/users/{user}", adminOnly, s.updateUser)
	s.handle("DELETE /api/v1/users/{user}", adminOnly, s.deleteUser)
	s.handle("GET /api/v1/roles", readers, s.listRoles)
	s.handle("PUT /api/v1/users/{user}/roles/{role}", adminOnly, s.putRole)
	s.handle("DELETE /api/v1/users/{user}/roles/{role}", adminOnly, s.deleteRole)

	s.handle("GET /api/v1/sessions", readers, s.listSessions)
	s.handle("POST /api/v1/sessions", platform, s.startSession)
	s.handle("GET /api/v1/sessions/{id}", platform, s.getSession)
	s.handle("POST /api/v1/sessions/{id}/heartbeat", platform, s.heartbeat)
	s.handle("DELETE /api/v1/sessions/{id}", platform, s.endSession)
	s.handle("POST /api/v1/sessions/{id}/end", adminOnly, s.endSessionAdmin)
	s.handle("POST /api/v1/decide", platform, s.decide)

	s.handle("GET /api/v1/policy", readers, s.getPolicy)
	s.handle("PUT /api/v1/policy/{capability}", adminOnly, s.putCapability)
	s.handle("DELETE /api/v1/policy/{capability}", adminOnly, s.deleteCapability)

	s.handle("GET /api/v1/audit", adminOnly, s.listAudit)
	s.handle("GET /api/v1/audit/export", adminOnly, s.exportAudit)
	s.handle("GET /api/v1/audit/verify", adminOnly, s.verifyAudit)
	s.handle("GET /api/v1/audit/{seq}", adminOnly, s.getAuditEntry)

	s.handle("GET /api/v1/tokens", adminOnly, s.listTokens)
	s.handle("POST /api/v1/tokens", adminOnly, s.createToken)
	s.handle("DELETE /api/v1/tokens/{id}", adminOnly, s.revokeToken)

	s.handle("GET /api/v1/tickets", platform, s.listTickets)
	s.handle("POST /api/v1/tickets", platform, s.createTicket)
	s.handle("GET /api/v1/tickets/{id}", platform, s.getTicket)
	s.handle("PATCH /api/v1/tickets/{id}", platform, s.updateTicket)
	s.handle("POST /api/v1/tickets/{id}/transition", platform, s.transitionTicket)
	s.handle("POST /api/v1/tickets/{id}/assign", platform, s.assignTicket)
	s.handle("POST /api/v1/tickets/{id}/comments", platform, s.addNote(desk.KindComment))
	s.handle("POST /api/v1/tickets/{id}/work-notes", platform, s.addNote(desk.KindWorkNote))
	s.handle("POST /api/v1/tickets/{id}/approvals", platform, s.requestApproval)
	s.handle("GET /api/v1/approvals", platform, s.listApprovals)
	s.handle("POST /api/v1/approvals/{id}/approve", platform, s.answerApproval(true))
	s.handle("POST /api/v1/approvals/{id}/reject", platform, s.answerApproval(false))

	s.handle("GET /api/v1/articles", platform, s.listArticles)
	s.handle("POST /api/v1/articles", platform, s.saveArticle)
	s.handle("GET /api/v1/articles/{id}", platform, s.getArticle)
	s.handle("PUT /api/v1/articles/{id}", platform, s.saveArticle)
	s.handle("DELETE /api/v1/articles/{id}", platform, s.deleteArticle)
	s.handle("POST /api/v1/chat", platform, s.chat)

	s.handle("GET /api/v1/integrations", readers, s.listIntegrations)
	s.handle("POST /api/v1/integrations", adminOnly, s.createIntegration)
	s.handle("GET /api/v1/integrations/{id}", readers, s.getIntegration)
	s.handle("PUT /api/v1/integrations/{id}", adminOnly, s.updateIntegration)
	s.handle("DELETE /api/v1/integrations/{id}", adminOnly, s.deleteIntegration)
	s.handle("POST /api/v1/integrations/{id}/rotate-token", adminOnly, s.rotateIntegrationToken)
	s.handle("POST /api/v1/integrations/{id}/disable", adminOnly, s.disableIntegration)
	s.handle("GET /api/v1/proposals", platform, s.listProposals)
	s.handle("GET /api/v1/proposals/{id}", platform, s.getProposal)
	s.handle("POST /api/v1/proposals/{id}/confirm", platform, s.decideProposal(true))
	s.handle("POST /api/v1/proposals/{id}/reject", platform, s.decideProposal(false))
	s.handle("GET /api/v1/reports/multiplexing", readers, s.multiplexing)
	s.handle("GET /api/v1/reports/module-gaps", readers, s.moduleGaps)
	s.handle("GET /api/v1/reports/settings", readers, s.getReportSettings)
	s.handle("PUT /api/v1/reports/settings", adminOnly, s.putReportSettings)
	s.handle("GET /api/v1/reports/{name}", readers, s.report)
	s.handle("GET /api/v1/shares", adminOnly, s.listShares)
	s.handle("POST /api/v1/shares", adminOnly, s.createShare)
	s.handle("DELETE /api/v1/shares/{id}", adminOnly, s.revokeShare)
	s.handle("POST /api/v1/shares/rotate-key", adminOnly, s.rotateShareKey)
	s.handle("GET /api/v1/dormant/policies", readers, s.listDormantPolicies)
	s.handle("PUT /api/v1/pools/{pool}/dormant-policy", adminOnly, s.putDormantPolicy)
	s.handle("DELETE /api/v1/pools/{pool}/dormant-policy", adminOnly, s.deleteDormantPolicy)
	s.handle("GET /api/v1/dormant/notices", readers, s.listDormantNotices)
	s.handle("POST /api/v1/dormant/sweep", adminOnly, s.sweepDormant)
	s.handle("POST /api/v1/dormant/notices/{id}/reclaim", adminOnly, s.reclaimDormant)
	s.handle("POST /api/v1/dormant/notices/{id}/undo", adminOnly, s.undoDormant)

	s.mux.HandleFunc("/", s.noRoute)
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz answers ready once the database answers and the engine is loaded.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if err := s.store.Ping(r.Context()); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "database unavailable"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ready", "people": s.engine.PeopleCount()})
}

// handle registers an authenticated route and remembers its pattern for the
// OpenAPI check.
func (s *Server) handle(pattern string, scopes []string, h http.HandlerFunc) {
	s.patterns = append(s.patterns, pattern)
	s.mux.HandleFunc(pattern, s.auth(pattern, scopes, h))
}

// handlePublic registers one of the few unauthenticated probes.
func (s *Server) handlePublic(pattern string, h http.HandlerFunc) {
	s.patterns = append(s.patterns, pattern)
	s.mux.HandleFunc(pattern, h)
}

// Patterns lists every registered route as "METHOD /path".
func (s *Server) Patterns() []string { return append([]string(nil), s.patterns...) }
