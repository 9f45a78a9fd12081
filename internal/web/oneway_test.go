package web_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// TestPagesAndAPIShareOneWayIn: the pages and the API find the caller the
// same way and answer a refusal with the same status. A sign-out in the
// pages ends the cookie for the API at once; the same missing person is a
// 404 on a console page and on the API; the same forbidden change is a 403
// from the console's form and from the API with the person's cookie.
func TestPagesAndAPIShareOneWayIn(t *testing.T) {
	e := newEnv(t)
	e.seed()
	auditor := e.person("aldo@example.com", "Aldo Auditor")
	e.grant(auditor, licensing.RoleAuditor)
	b := e.login(auditor)

	if p := b.get("/api/v1/users/nobody@example.com"); p.Status != http.StatusNotFound {
		t.Errorf("API, unknown person: %d", p.Status)
	}
	if p := b.get("/admin/people/nobody@example.com"); p.Status != http.StatusNotFound {
		t.Errorf("console, unknown person: %d", p.Status)
	}
	if p := b.post("/admin/tokens", map[string][]string{"name": {"x"}, "scope": {"admin"}, "confirmed": {"yes"}}); p.Status != http.StatusForbidden {
		t.Errorf("console, an auditor's token create: %d", p.Status)
	}
	api := e.do(b.c, "POST", "/api/v1/tokens", nil, e.srv.URL, "Content-Type", "application/json", "X-CSRF-Token", b.csrf)
	if api.Status != http.StatusForbidden {
		t.Errorf("API with the cookie, an auditor's token create: %d %s", api.Status, api.Body)
	}

	// Signing out in the pages ends the session for the API at once,
	// cache or not.
	if p := b.get("/api/v1/pools"); p.Status != http.StatusOK {
		t.Fatalf("API with the cookie before sign-out: %d", p.Status)
	}
	secret := jarCookie(t, b.c, e.srv.URL, "seatkeeper_session")
	if p := b.post("/signout", nil); p.Status != http.StatusSeeOther {
		t.Fatalf("sign-out: %d", p.Status)
	}
	// The old cookie, replayed (a copy kept by another tab or a thief).
	replay := e.browser()
	u, _ := url.Parse(e.srv.URL)
	replay.Jar.SetCookies(u, []*http.Cookie{{Name: "seatkeeper_session", Value: secret, Path: "/"}})
	if p := e.do(replay, "GET", "/api/v1/pools", nil, ""); p.Status != http.StatusUnauthorized {
		t.Errorf("API with the old cookie after sign-out: %d, want 401", p.Status)
	}
	if p := e.do(replay, "GET", "/admin", nil, ""); p.Status != http.StatusSeeOther || p.Location() != "/signin?next=%2Fadmin" {
		t.Errorf("console with the old cookie after sign-out: %d %q", p.Status, p.Location())
	}
}
