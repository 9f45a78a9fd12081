package api

import (
	"strings"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/store"
)

// TestScopes checks who may call what (DESIGN §5): admin everything,
// platform decisions and sessions for anyone plus reads, scim nothing under
// /api/v1, integration decisions and sessions for its acting user only.
func TestScopes(t *testing.T) {
	e := newTestEnv(t)
	e.seedDesk()
	e.must(201, "PUT", "/api/v1/pools/agents-named/members/ann@example.com", nil)
	platform := e.token("desk", store.ScopePlatform, 0)
	scim := e.token("okta", store.ScopeSCIM, 0)
	integration := e.newIntegration("hub", "enforce").Token
	orphan := e.token("orphan", store.ScopeIntegration, 0) // an integration-scoped token of no integration
	revoked := e.token("old", store.ScopeAdmin, 0)
	e.must(204, "DELETE", "/api/v1/tokens/old", nil)

	const acting = "Seatkeeper-Acting-User"
	decideAnn := `{"user":"ann@example.com","capability":"ticket.transition"}`
	decideBob := `{"user":"bob@example.com","capability":"ticket.transition"}`
	newPool := `{"id":"more","sku":"agent","model":"named","seats":1}`

	for _, tc := range []struct {
		name         string
		method, path string
		token        string
		body         any
		hdr          []string
		status       int
		code, field  string // for error answers
	}{
		{"no token", "GET", "/api/v1/pools", "", nil, nil, 401, "unauthorized", ""},
		{"no token on decide", "POST", "/api/v1/decide", "", decideAnn, nil, 401, "unauthorized", ""},
		{"no token on metrics", "GET", "/metrics", "", nil, nil, 401, "unauthorized", ""},
		{"basic auth", "GET", "/api/v1/pools", "", nil, []string{"Authorization", "Basic YWRtaW46YWRtaW4="}, 401, "unauthorized", ""},
		{"empty bearer", "GET", "/api/v1/pools", "", nil, []string{"Authorization", "Bearer "}, 401, "unauthorized", ""},
		{"wrong token", "GET", "/api/v1/pools", "sk_notatoken", nil, nil, 401, "unauthorized", ""},
		{"revoked token", "GET", "/api/v1/pools", revoked, nil, nil, 401, "unauthorized", ""},
		// RFC 7235 §2.1: the auth scheme is case-insensitive.
		{"lower-case bearer scheme", "GET", "/api/v1/pools", "", nil, []string{"Authorization", "bearer " + e.admin}, 200, "", ""},

		{"admin creates pools", "POST", "/api/v1/pools", e.admin, newPool, nil, 201, "", ""},

		{"platform decides", "POST", "/api/v1/decide", platform, decideAnn, nil, 200, "", ""},
		{"platform decides for anyone", "POST", "/api/v1/decide", platform, decideBob, nil, 200, "", ""},
		{"platform starts sessions", "POST", "/api/v1/sessions", platform, `{"user":"bob@example.com"}`, nil, 201, "", ""},
		{"platform lists sessions", "GET", "/api/v1/sessions", platform, nil, nil, 200, "", ""},
		{"platform reads pools", "GET", "/api/v1/pools", platform, nil, nil, 200, "", ""},
		{"platform reads a pool", "GET", "/api/v1/pools/agents-named", platform, nil, nil, 200, "", ""},
		{"platform reads members", "GET", "/api/v1/pools/agents-named/members", platform, nil, nil, 200, "", ""},
		{"platform reads users", "GET", "/api/v1/users", platform, nil, nil, 200, "", ""},
		{"platform reads policy", "GET", "/api/v1/policy", platform, nil, nil, 200, "", ""},
		{"platform reads metrics", "GET", "/metrics", platform, nil, nil, 200, "", ""},
		{"platform reads openapi", "GET", "/api/v1/openapi.json", platform, nil, nil, 200, "", ""},
		{"platform cannot create pools", "POST", "/api/v1/pools", platform, newPool, nil, 403, "forbidden", ""},
		{"platform cannot grant seats", "PUT", "/api/v1/pools/agents-named/members/bob@example.com", platform, nil, nil, 403, "forbidden", ""},
		{"platform reads group grants", "GET", "/api/v1/pools/agents-named/groups", platform, nil, nil, 200, "", ""},
		{"platform cannot assign pools to groups", "PUT", "/api/v1/pools/agents-named/groups/desk-eu", platform, nil, nil, 403, "forbidden", ""},
		{"platform cannot take pools from groups", "DELETE", "/api/v1/pools/agents-named/groups/desk-eu", platform, nil, nil, 403, "forbidden", ""},
		{"scim cannot assign pools to groups", "PUT", "/api/v1/pools/agents-named/groups/desk-eu", scim, nil, nil, 403, "forbidden", ""},
		{"integration cannot read group grants", "GET", "/api/v1/pools/agents-named/groups", integration, nil, []string{acting, "ann@example.com"}, 403, "forbidden", ""},
		{"platform cannot create users", "POST", "/api/v1/users", platform, person("zed", "E999"), nil, 403, "forbidden", ""},
		{"platform cannot change policy", "PUT", "/api/v1/policy/ticket.transition", platform, `{"tier":"requester"}`, nil, 403, "forbidden", ""},
		{"platform cannot read audit", "GET", "/api/v1/audit", platform, nil, nil, 403, "forbidden", ""},
		{"platform cannot list tokens", "GET", "/api/v1/tokens", platform, nil, nil, 403, "forbidden", ""},
		{"platform cannot mint tokens", "POST", "/api/v1/tokens", platform, `{"name":"x","scope":"admin"}`, nil, 403, "forbidden", ""},

		{"scim cannot read pools", "GET", "/api/v1/pools", scim, nil, nil, 403, "forbidden", ""},
		{"scim cannot decide", "POST", "/api/v1/decide", scim, decideAnn, nil, 403, "forbidden", ""},
		{"scim cannot start sessions", "POST", "/api/v1/sessions", scim, `{"user":"ann@example.com"}`, nil, 403, "forbidden", ""},
		{"scim cannot create users", "POST", "/api/v1/users", scim, person("zed", "E999"), nil, 403, "forbidden", ""},
		{"scim cannot read openapi", "GET", "/api/v1/openapi.json", scim, nil, nil, 403, "forbidden", ""},
		{"scim cannot read metrics", "GET", "/metrics", scim, nil, nil, 403, "forbidden", ""},

		{"integration without acting user", "POST", "/api/v1/decide", integration, decideAnn, nil, 400, "invalid_request", acting},
		{"integration with blank acting user", "POST", "/api/v1/decide", integration, decideAnn, []string{acting, "  "}, 400, "invalid_request", acting},
		{"integration session without acting user", "POST", "/api/v1/sessions", integration, `{"user":"ann@example.com"}`, nil, 400, "invalid_request", acting},
		{"integration with overlong acting user", "POST", "/api/v1/decide", integration, decideAnn, []string{acting, strings.Repeat("a", 300)}, 400, "invalid_request", acting},
		{"integration decides for its acting user", "POST", "/api/v1/decide", integration, `{"capability":"ticket.transition"}`, []string{acting, "ann@example.com"}, 200, "", ""},
		{"integration names the same person", "POST", "/api/v1/decide", integration, decideAnn, []string{acting, "E100"}, 200, "", ""},
		{"integration cannot act for another user", "POST", "/api/v1/decide", integration, decideBob, []string{acting, "ann@example.com"}, 403, "forbidden", "user"},
		{"integration cannot start another's session", "POST", "/api/v1/sessions", integration, `{"user":"bob@example.com"}`, []string{acting, "ann@example.com"}, 403, "forbidden", "user"},
		{"integration cannot read pools", "GET", "/api/v1/pools", integration, nil, []string{acting, "ann@example.com"}, 403, "forbidden", ""},
		{"integration cannot list sessions", "GET", "/api/v1/sessions", integration, nil, []string{acting, "ann@example.com"}, 403, "forbidden", ""},
		{"integration cannot grant seats", "PUT", "/api/v1/pools/agents-named/members/bob@example.com", integration, nil, []string{acting, "ann@example.com"}, 403, "forbidden", ""},

		// The service desk (DESIGN §3.4, §3.5): scim may call none of it.
		{"scim cannot list tickets", "GET", "/api/v1/tickets", scim, nil, []string{acting, "ann@example.com"}, 403, "forbidden", ""},
		{"scim cannot submit tickets", "POST", "/api/v1/tickets", scim, `{"title":"x"}`, []string{acting, "bob@example.com"}, 403, "forbidden", ""},
		{"scim cannot read a ticket", "GET", "/api/v1/tickets/INC-000001", scim, nil, nil, 403, "forbidden", ""},
		{"scim cannot update a ticket", "PATCH", "/api/v1/tickets/INC-000001", scim, `{"priority":"high"}`, nil, 403, "forbidden", ""},
		{"scim cannot transition", "POST", "/api/v1/tickets/INC-000001/transition", scim, `{"to":"in_progress"}`, nil, 403, "forbidden", ""},
		{"scim cannot assign", "POST", "/api/v1/tickets/INC-000001/assign", scim, `{"assignee":""}`, nil, 403, "forbidden", ""},
		{"scim cannot comment", "POST", "/api/v1/tickets/INC-000001/comments", scim, `{"body":"x"}`, nil, 403, "forbidden", ""},
		{"scim cannot write work notes", "POST", "/api/v1/tickets/INC-000001/work-notes", scim, `{"body":"x"}`, nil, 403, "forbidden", ""},
		{"scim cannot list articles", "GET", "/api/v1/articles", scim, nil, nil, 403, "forbidden", ""},
		{"scim cannot write articles", "POST", "/api/v1/articles", scim, `{"title":"x"}`, nil, 403, "forbidden", ""},
		{"scim cannot read an article", "GET", "/api/v1/articles/art_x", scim, nil, nil, 403, "forbidden", ""},
		{"scim cannot update an article", "PUT", "/api/v1/articles/art_x", scim, `{"title":"x"}`, nil, 403, "forbidden", ""},
		{"scim cannot delete an article", "DELETE", "/api/v1/articles/art_x", scim, nil, nil, 403, "forbidden", ""},
		{"scim cannot chat", "POST", "/api/v1/chat", scim, `{"message":"hi"}`, nil, 403, "forbidden", ""},
		{"scim cannot list integrations", "GET", "/api/v1/integrations", scim, nil, nil, 403, "forbidden", ""},
		{"scim cannot create integrations", "POST", "/api/v1/integrations", scim, `{"name":"x","mode":"enforce"}`, nil, 403, "forbidden", ""},
		{"scim cannot read an integration", "GET", "/api/v1/integrations/x", scim, nil, nil, 403, "forbidden", ""},
		{"scim cannot change an integration", "PUT", "/api/v1/integrations/x", scim, `{"mode":"monitor"}`, nil, 403, "forbidden", ""},
		{"scim cannot delete an integration", "DELETE", "/api/v1/integrations/x", scim, nil, nil, 403, "forbidden", ""},
		{"scim cannot list proposals", "GET", "/api/v1/proposals", scim, nil, nil, 403, "forbidden", ""},
		{"scim cannot read a proposal", "GET", "/api/v1/proposals/prp_x", scim, nil, nil, 403, "forbidden", ""},
		{"scim cannot confirm proposals", "POST", "/api/v1/proposals/prp_x/confirm", scim, nil, nil, 403, "forbidden", ""},
		{"scim cannot reject proposals", "POST", "/api/v1/proposals/prp_x/reject", scim, nil, nil, 403, "forbidden", ""},
		{"scim cannot read the multiplexing report", "GET", "/api/v1/reports/multiplexing", scim, nil, nil, 403, "forbidden", ""},

		// Platform: the desk for any person, reads of integrations and the
		// report, but no integration management.
		{"platform submits for a person", "POST", "/api/v1/tickets", platform, `{"title":"VPN down"}`, []string{acting, "bob@example.com"}, 201, "", ""},
		{"platform reads the queue for an agent", "GET", "/api/v1/tickets", platform, nil, []string{acting, "ann@example.com"}, 200, "", ""},
		{"platform reads articles for a person", "GET", "/api/v1/articles", platform, nil, []string{acting, "bob@example.com"}, 200, "", ""},
		{"platform reads integrations", "GET", "/api/v1/integrations", platform, nil, nil, 200, "", ""},
		{"platform reads the multiplexing report", "GET", "/api/v1/reports/multiplexing", platform, nil, nil, 200, "", ""},
		{"platform without a person cannot read the queue", "GET", "/api/v1/tickets", platform, nil, nil, 403, "no_licence", ""},
		{"platform without a person cannot submit", "POST", "/api/v1/tickets", platform, `{"title":"x"}`, nil, 400, "invalid_request", acting},
		{"platform cannot create integrations", "POST", "/api/v1/integrations", platform, `{"name":"x","mode":"enforce"}`, nil, 403, "forbidden", ""},
		{"platform cannot change integrations", "PUT", "/api/v1/integrations/x", platform, `{"mode":"monitor"}`, nil, 403, "forbidden", ""},
		{"platform cannot delete integrations", "DELETE", "/api/v1/integrations/x", platform, nil, nil, 403, "forbidden", ""},

		// Integration tokens: the desk only, never the readers' routes; a
		// token that belongs to no integration acts for nobody.
		{"integration cannot list integrations", "GET", "/api/v1/integrations", integration, nil, []string{acting, "ann@example.com"}, 403, "forbidden", ""},
		{"integration cannot read an integration", "GET", "/api/v1/integrations/x", integration, nil, []string{acting, "ann@example.com"}, 403, "forbidden", ""},
		{"integration cannot read the multiplexing report", "GET", "/api/v1/reports/multiplexing", integration, nil, []string{acting, "ann@example.com"}, 403, "forbidden", ""},
		{"integration cannot create integrations", "POST", "/api/v1/integrations", integration, `{"name":"x","mode":"enforce"}`, []string{acting, "ann@example.com"}, 403, "forbidden", ""},
		{"integration cannot change integrations", "PUT", "/api/v1/integrations/x", integration, `{"mode":"monitor"}`, []string{acting, "ann@example.com"}, 403, "forbidden", ""},
		{"integration cannot delete integrations", "DELETE", "/api/v1/integrations/x", integration, nil, []string{acting, "ann@example.com"}, 403, "forbidden", ""},
		{"integration without acting user on the desk", "POST", "/api/v1/tickets", integration, `{"title":"x"}`, nil, 400, "invalid_request", acting},
		{"integration token of no integration", "POST", "/api/v1/tickets", orphan, `{"title":"x"}`, []string{acting, "bob@example.com"}, 403, "forbidden", ""},
		{"integration token of no integration cannot decide", "POST", "/api/v1/decide", orphan, `{"capability":"ticket.transition"}`, []string{acting, "ann@example.com"}, 403, "forbidden", ""},
		{"integration token of no integration starts no session", "POST", "/api/v1/sessions", orphan, `{}`, []string{acting, "ann@example.com"}, 403, "forbidden", ""},

		// Access review, pending grants, leaver timing: readers only.
		{"platform reads the access review", "GET", "/api/v1/access-review", platform, nil, nil, 200, "", ""},
		{"platform reads pending grants", "GET", "/api/v1/pending", platform, nil, nil, 200, "", ""},
		{"platform reads provisioning events", "GET", "/api/v1/provisioning", platform, nil, nil, 200, "", ""},
		{"scim cannot read the access review", "GET", "/api/v1/access-review", scim, nil, nil, 403, "forbidden", ""},
		{"scim cannot read pending grants", "GET", "/api/v1/pending", scim, nil, nil, 403, "forbidden", ""},
		{"scim cannot read provisioning events", "GET", "/api/v1/provisioning", scim, nil, nil, 403, "forbidden", ""},
		{"integration cannot read the access review", "GET", "/api/v1/access-review", integration, nil, []string{acting, "ann@example.com"}, 403, "forbidden", ""},
		{"integration cannot read pending grants", "GET", "/api/v1/pending", integration, nil, []string{acting, "ann@example.com"}, 403, "forbidden", ""},
		{"integration cannot read provisioning events", "GET", "/api/v1/provisioning", integration, nil, []string{acting, "ann@example.com"}, 403, "forbidden", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.request(tc.method, tc.path, tc.token, tc.body, tc.hdr...)
			if tc.code == "" {
				if r.Status != tc.status {
					t.Fatalf("status %d, want %d; body %s", r.Status, tc.status, r)
				}
				return
			}
			wantError(t, r, tc.status, tc.code, tc.field)
			if tc.status == 401 && !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("WWW-Authenticate %q, want a Bearer challenge", r.Header.Get("WWW-Authenticate"))
			}
		})
	}
}

// TestIntegrationActsForItsUser follows an integration's calls through to
// the decisions and the audit log.
func TestIntegrationActsForItsUser(t *testing.T) {
	e := newTestEnv(t)
	e.seedDesk()
	e.must(201, "PUT", "/api/v1/pools/agents-named/members/ann@example.com", nil)
	e.must(201, "PUT", "/api/v1/pools/agents-floating/members/cid@example.com", nil)
	hub := e.newIntegration("hub", "enforce").Token
	as := func(who string) []string { return []string{"Seatkeeper-Acting-User", who} }

	var d decisionOut
	r := e.request("POST", "/api/v1/decide", hub, `{"capability":"ticket.transition"}`, as("ann@example.com")...)
	if r.Status != 200 {
		t.Fatalf("decide: status %d; body %s", r.Status, r)
	}
	r.into(t, &d)
	if !d.Allow || d.Via == nil || d.Via.Kind != "named" || d.Via.Pool != "agents-named" {
		t.Errorf("integration decide for ann = %+v, want allow via named", d)
	}
	r = e.request("POST", "/api/v1/decide", hub, `{"capability":"ticket.transition"}`, as("bob@example.com")...)
	r.into(t, &d)
	if r.Status != 200 || d.Allow || d.Reason != "no_licence" {
		t.Errorf("integration decide for bob = %d %+v, want allow false no_licence", r.Status, d)
	}

	// Sessions: the integration starts cid's, and only cid's integration calls may touch it.
	var ss sessionOut
	r = e.request("POST", "/api/v1/sessions", hub, `{}`, as("cid@example.com")...)
	if r.Status != 201 {
		t.Fatalf("start session: status %d; body %s", r.Status, r)
	}
	r.into(t, &ss)
	if ss.User != "cid@example.com" || !ss.Lazy || len(ss.Leases) != 0 {
		t.Errorf("integration session = %+v, want cid's, lazy, with no lease until a call needs one", ss)
	}
	for _, tc := range []struct {
		name, method, path, who string
		status                  int
	}{
		{"another person cannot read it", "GET", "/api/v1/sessions/" + ss.ID, "ann@example.com", 404},
		{"another person cannot heartbeat it", "POST", "/api/v1/sessions/" + ss.ID + "/heartbeat", "ann@example.com", 404},
		{"another person cannot end it", "DELETE", "/api/v1/sessions/" + ss.ID, "ann@example.com", 404},
		{"its person reads it", "GET", "/api/v1/sessions/" + ss.ID, "cid@example.com", 200},
		{"its person heartbeats it", "POST", "/api/v1/sessions/" + ss.ID + "/heartbeat", "cid@example.com", 200},
		{"its person ends it", "DELETE", "/api/v1/sessions/" + ss.ID, "cid@example.com", 204},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.request(tc.method, tc.path, hub, nil, as(tc.who)...)
			if r.Status != tc.status {
				t.Errorf("status %d, want %d; body %s", r.Status, tc.status, r)
			}
		})
	}

	// The audit log names the service account and the real person.
	found := false
	for _, en := range e.lastAudit(20) {
		if en["action"] == "session.start" && en["actor"] == "token:integration:hub" && en["acting_user"] == "cid@example.com" {
			found = true
		}
	}
	if !found {
		t.Errorf("no session.start entry by token:integration:hub acting for cid@example.com in %v", e.lastAudit(20))
	}
}

// TestExpiredToken moves the store's clock past a token's ttl.
func TestExpiredToken(t *testing.T) {
	e := newTestEnv(t)
	tok := e.token("short", store.ScopePlatform, time.Hour)
	if r := e.request("GET", "/api/v1/pools", tok, nil); r.Status != 200 {
		t.Fatalf("fresh token: status %d; body %s", r.Status, r)
	}
	e.clock.advance(2 * time.Hour)
	r := e.request("GET", "/api/v1/pools", tok, nil)
	wantError(t, r, 401, "unauthorized", "")
	if h := r.Header.Get("WWW-Authenticate"); !strings.Contains(h, "invalid_token") {
		t.Errorf("WWW-Authenticate %q, want error=\"invalid_token\"", h)
	}
	// The admin token without a ttl still works.
	if r := e.request("GET", "/api/v1/pools", e.admin, nil); r.Status != 200 {
		t.Errorf("admin token after 2h: status %d", r.Status)
	}
}
