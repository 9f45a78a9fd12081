package web

import "net/http"

// Register adds every page to mux; this is the one place that lists them.
func (p *Pages) Register(mux *http.ServeMux) {
	mux.Handle("GET /static/", staticHandler())
	// Browsers ask for /favicon.ico whatever the page says: the same icon.
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/static/favicon.svg"
		staticHandler().ServeHTTP(w, r2)
	})

	// The licence console: people with roles, or the break-glass admin
	// token. Each area registers its own pages.
	mux.HandleFunc("GET /admin", p.consolePage(p.console))
	p.registerConsoleIntegrations(mux)
	p.registerConsoleAudit(mux)
	p.registerConsolePeople(mux) // People, and Rules & groups
	p.registerConsolePools(mux)
	p.registerConsoleLeases(mux)
	mux.HandleFunc("GET /admin/signin", p.adminSigninForm)
	mux.HandleFunc("POST /admin/signin", p.adminSignin)
	mux.HandleFunc("POST /admin/signout", p.adminSignout)

	// People sign in with a local password, or with the OIDC provider
	// when one is configured.
	mux.HandleFunc("GET /signin", p.signinForm)
	mux.HandleFunc("POST /signin", p.signin)
	mux.HandleFunc("GET /signin/oidc", p.oidcBegin)
	mux.HandleFunc("GET /signin/oidc/callback", p.oidcCallback)
	mux.HandleFunc("POST /signout", p.person(p.signout))

	// The requester portal (free tier).
	mux.HandleFunc("GET /{$}", p.person(p.home))
	mux.HandleFunc("GET /kb", p.person(p.kbSearch))
	mux.HandleFunc("GET /kb/{id}", p.person(p.kbArticle))
	mux.HandleFunc("GET /tickets", p.person(p.myTickets))
	mux.HandleFunc("GET /tickets/new", p.person(p.newTicketForm))
	mux.HandleFunc("POST /tickets", p.person(p.createTicket))
	mux.HandleFunc("GET /tickets/{key}", p.person(p.ticket))
	mux.HandleFunc("POST /tickets/{key}/comments", p.person(p.comment))
	mux.HandleFunc("GET /chat", p.person(p.chatPage))
	mux.HandleFunc("POST /chat", p.person(p.chatPost))
	mux.HandleFunc("POST /chat/ticket", p.person(p.chatTicket))
	mux.HandleFunc("GET /approvals", p.person(p.approvals))
	mux.HandleFunc("POST /approvals/{id}/approve", p.person(p.answerApproval))
	mux.HandleFunc("POST /approvals/{id}/reject", p.person(p.answerApproval))

	// The agent console: every action decided by the engine.
	mux.HandleFunc("GET /agent", p.person(p.queue))
	mux.HandleFunc("GET /agent/tickets/{key}", p.person(p.agentTicket))
	mux.HandleFunc("POST /agent/tickets/{key}/transition", p.person(p.transition))
	mux.HandleFunc("POST /agent/tickets/{key}/assign", p.person(p.assign))
	mux.HandleFunc("POST /agent/tickets/{key}/update", p.person(p.updateFields))
	mux.HandleFunc("POST /agent/tickets/{key}/comments", p.person(p.agentNote))
	mux.HandleFunc("POST /agent/tickets/{key}/work-notes", p.person(p.agentNote))
	mux.HandleFunc("POST /agent/tickets/{key}/approvals", p.person(p.requestApproval))
	mux.HandleFunc("GET /agent/proposals", p.person(p.proposals))
	mux.HandleFunc("POST /agent/proposals/{id}/confirm", p.person(p.decideProposal))
	mux.HandleFunc("POST /agent/proposals/{id}/reject", p.person(p.decideProposal))

	// Reports: a person allowed report.view, or the administrator.
	mux.HandleFunc("GET /reports/multiplexing", p.multiplexing)
	mux.HandleFunc("GET /reports", p.reportIndex)
	mux.HandleFunc("GET /reports/pack.pdf", p.reportPack)
	mux.HandleFunc("GET /reports/{name}", p.reportPage)
	mux.HandleFunc("GET /reports/{name}/export", p.reportExport)
	mux.HandleFunc("GET /reports/shares", p.shares)
	mux.HandleFunc("POST /reports/shares", p.createShare)
	mux.HandleFunc("POST /reports/shares/{id}/revoke", p.revokeShare)
	// Dormant seats: the administrator reclaims or gives back.
	mux.HandleFunc("POST /reports/shelfware/notices/{id}/reclaim", p.reclaimNotice)
	mux.HandleFunc("POST /reports/shelfware/notices/{id}/undo", p.undoNotice)

	// A share link opens without signing in and without a seat.
	mux.HandleFunc("GET /share/{token}", p.openShare)
}
