package api

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"slices"
	"strings"

	"github.com/seatkeeper/seatkeeper/internal/desk"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

// The cookies a browser authenticates with: a person's session (set by
// the sign-in pages) and the console's break-glass admin token.
const (
	SessionCookie = "seatkeeper_session"
	TokenCookie   = "seatkeeper_token"
	// CSRFHeader carries a browser caller's form token on a script's
	// unsafe API call (a form carries it as the "csrf" field).
	CSRFHeader = "X-CSRF-Token"
)

// Sessions resolves a browser session's secret to the person's session
// (signin.Manager, with its cache). Codes: CodeUnauthorized.
type Sessions interface {
	Lookup(ctx context.Context, secret string) (desk.WebSession, error)
}

// Who is the authenticated side of a request: a token (a bearer token, or
// the console's token cookie) or a signed-in person. The pages and the API
// find it here, one way, and ask it what it may do.
type Who struct {
	Token store.Token // zero for a person
	// Session is a person's browser session (zero for a token); User is
	// that person as the engine knows them, with their roles.
	Session desk.WebSession
	User    licensing.User
	Actor   licensing.Actor
	// CSRF is the token a form or script of this caller must send back.
	CSRF string
	// via is how the caller came in: a bearer token, a browser cookie (an
	// unsafe call must then carry CSRF), or in-process (Call).
	via via
}

type via int

const (
	viaBearer via = iota
	viaCookie
	viaCall
)

// Person reports whether a signed-in person (not a token) is calling.
func (w Who) Person() bool { return w.Session.ID != "" }

// Admin reports whether the caller may do everything: an admin token or a
// licence administrator.
func (w Who) Admin() bool {
	if w.Person() {
		return w.User.HasRole(licensing.RoleLicenceAdmin)
	}
	return w.Token.Scope == store.ScopeAdmin
}

// Perm is what a route needs from a person (tokens are checked by scope).
type Perm int

const (
	// PermNone: no role opens it (a person's own desk work goes through
	// the pages; the platform routes take tokens).
	PermNone Perm = iota
	// PermRead reads the catalog, people, seats, reports: any role.
	PermRead
	// PermAudit reads the audit log and the tokens: licence administrators
	// and auditors.
	PermAudit
	// PermIdentity changes people, groups, rules and the seats they give:
	// licence and identity administrators.
	PermIdentity
	// PermLicence changes everything else: licence administrators.
	PermLicence
)

// Can reports whether w holds perm. A token's admin scope and a licence
// administrator hold every perm.
func (w Who) Can(perm Perm) bool {
	if perm == PermNone {
		// The desk's platform routes take tokens; a person works the desk
		// through the pages, where the engine decides every action.
		return !w.Person() && w.Admin()
	}
	if w.Admin() {
		return true
	}
	if !w.Person() {
		return false
	}
	has := w.User.HasRole
	switch perm {
	case PermRead:
		return w.User.Administrator()
	case PermAudit:
		return has(licensing.RoleAuditor)
	case PermIdentity:
		return has(licensing.RoleIdentityAdmin)
	}
	return false
}

// Administrator reports whether w may enter the console at all.
func (w Who) Administrator() bool { return w.Can(PermRead) }

// identityPaths are the admin routes an identity administrator may write.
var identityPaths = []string{"/api/v1/users", "/api/v1/rules"}

// permOf is what a person needs for a route registered with scopes.
func permOf(pattern string, scopes []string) Perm {
	method, path, _ := strings.Cut(pattern, " ")
	switch {
	case path == "/api/v1/openapi.json":
		return PermRead // the document, not the desk
	case slices.Contains(scopes, store.ScopeIntegration):
		return PermNone
	}
	if method == http.MethodGet {
		switch {
		case strings.HasPrefix(path, "/api/v1/shares"):
			return PermLicence // live share links open data without signing in
		case strings.HasPrefix(path, "/api/v1/audit") || strings.HasPrefix(path, "/api/v1/tokens") || path == "/metrics":
			return PermAudit
		}
		return PermRead
	}
	if path == "/api/v1/rules/preview" {
		return PermRead // changes nothing
	}
	if strings.Contains(path, "/members/") || strings.Contains(path, "/groups/") {
		return PermIdentity
	}
	for _, p := range identityPaths {
		if path == p || strings.HasPrefix(path, p+"/") {
			if strings.Contains(path, "/roles/") {
				return PermLicence // roles are the licence administrator's
			}
			return PermIdentity
		}
	}
	return PermLicence
}

// whoKey carries a Who resolved before the mux (Call).
type whoKey struct{}

// Identify finds who r comes from: a bearer token, else a person's session
// cookie, else the console's token cookie (break-glass). It is the one way in for the
// pages and the API. Codes: CodeUnauthorized.
func (s *Server) Identify(r *http.Request) (Who, error) {
	if w, ok := r.Context().Value(whoKey{}).(Who); ok {
		return w, nil
	}
	if r.Header.Get("Authorization") != "" {
		tok, err := s.bearer(r)
		if err != nil {
			return Who{}, err
		}
		return Who{Token: tok, Actor: licensing.Actor{Name: "token:" + tok.Name, Source: RemoteIP(r)}}, nil
	}
	var refusal error = licensing.Errorf(licensing.CodeUnauthorized, "missing bearer token")
	if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" && s.sessions != nil {
		w, err := s.person(r, c.Value)
		if err == nil || licensing.ErrorCode(err) != licensing.CodeUnauthorized {
			return w, err
		}
		refusal = err // a break-glass token may still open the console
	}
	if c, err := r.Cookie(TokenCookie); err == nil && c.Value != "" {
		tok, err := s.lookupToken(r.Context(), store.HashToken(c.Value))
		if err == nil && tok.Scope == store.ScopeAdmin {
			return Who{Token: tok, Actor: licensing.Actor{Name: "token:" + tok.Name, Source: RemoteIP(r)}, CSRF: TokenCSRF(c.Value), via: viaCookie}, nil
		}
	}
	return Who{}, refusal
}

// person finds the signed-in person behind a session cookie's secret.
func (s *Server) person(r *http.Request, secret string) (Who, error) {
	ws, err := s.sessions.Lookup(r.Context(), secret)
	if err != nil {
		return Who{}, err
	}
	u, ok := s.engine.User(ws.User)
	if !ok || !u.Active {
		return Who{}, licensing.Errorf(licensing.CodeUnauthorized, "your session has ended: sign in again")
	}
	return Who{Session: ws, User: u, Actor: licensing.Actor{Name: "web:" + ws.UserName, Source: RemoteIP(r)}, CSRF: ws.CSRF, via: viaCookie}, nil
}

// TokenCSRF is the form token of a console signed in with an admin token:
// derived from the secret, so it needs no state and no other token's
// holder can forge it.
func TokenCSRF(secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("seatkeeper-admin-form"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// CheckCSRF compares a token sent back with the caller's, in constant time.
func (w Who) CheckCSRF(sent string) bool {
	return w.CSRF != "" && sent != "" && subtle.ConstantTimeCompare([]byte(sent), []byte(w.CSRF)) == 1
}

// SetSessions lets people signed in to the pages call the API with their
// session cookie, as their roles allow.
func (s *Server) SetSessions(m Sessions) { s.sessions = m }
