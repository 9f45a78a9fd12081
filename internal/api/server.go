// Package api serves Seatkeeper's JSON API under /api/v1, its OpenAPI
// document, health checks and Prometheus metrics.
package api

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/desk"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/provision"
	"github.com/seatkeeper/seatkeeper/internal/publicurl"
	"github.com/seatkeeper/seatkeeper/internal/reporting"
	"github.com/seatkeeper/seatkeeper/internal/seats"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

// ActingUserHeader names the real person behind a platform or integration call.
const ActingUserHeader = "Seatkeeper-Acting-User"

// Server is the HTTP API.
type Server struct {
	seats    *seats.Service
	store    *store.Store
	engine   *licensing.Engine
	desk     *desk.Service
	log      *slog.Logger
	metrics  *metrics
	mux      *http.ServeMux
	patterns []string
	// tokens caches token lookups for tokenTTL: every call authenticates, and
	// a database read per call was a measurable share of a checkout.
	tokens sync.Map // hash -> cachedToken
	integs integrations
	// rec keeps rule grants in line after writes about people and rules.
	rec *provision.Reconciler
	// reports computes the reports the API, pages and share links show.
	reports *reporting.Service
	// public says where the server is reached from outside (links).
	public *publicurl.Resolver
	// pageNotFound answers unknown browser paths (nil: JSON like the API).
	pageNotFound http.Handler
	// sessions finds people signed in to the pages (nil: tokens only).
	sessions Sessions
}

// SetPublicURL sets where the server is reached from outside (serve
// --base-url, --trust-proxy); without it links use the request's host.
func (s *Server) SetPublicURL(p *publicurl.Resolver) { s.public = p }

// New returns the API handler.
func New(svc *seats.Service, dsk *desk.Service, log *slog.Logger) *Server {
	s := &Server{seats: svc, store: svc.Store, engine: svc.Engine, desk: dsk, log: log, mux: http.NewServeMux(),
		rec: &provision.Reconciler{Store: svc.Store, Log: log}, reports: &reporting.Service{Store: svc.Store}, public: &publicurl.Resolver{}}
	s.metrics = newMetrics(svc)
	s.routes()
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// caller is the authenticated principal of a request.
type caller struct {
	token store.Token
	actor licensing.Actor
	who   Who
}

type callerKey struct{}

func callerOf(ctx context.Context) caller {
	c, _ := ctx.Value(callerKey{}).(caller)
	return c
}

func actorOf(r *http.Request) licensing.Actor { return callerOf(r.Context()).actor }

// auth authenticates the caller (Identify) and checks it may call the
// route: a token by its scope (admin is allowed everywhere), a person by
// their roles (perm). A browser's unsafe call must carry its CSRF token.
func (s *Server) auth(pattern string, scopes []string, h http.HandlerFunc) http.HandlerFunc {
	perm := permOf(pattern, scopes)
	return func(w http.ResponseWriter, r *http.Request) {
		who, err := s.Identify(r)
		if err != nil {
			w.Header().Set("WWW-Authenticate", Challenge(r))
			s.fail(w, r, err)
			return
		}
		if who.Person() {
			if !who.Can(perm) {
				s.fail(w, r, licensing.Errorf(licensing.CodeForbidden, "your roles do not allow %s", r.Pattern))
				return
			}
		} else if !scopeAllows(who.Token, scopes) {
			s.fail(w, r, licensing.Errorf(licensing.CodeForbidden, "token scope %q may not call %s", who.Token.Scope, r.Pattern))
			return
		}
		if who.via == viaCookie && !safeMethod(r.Method) && (!s.sameOrigin(r) || !who.CheckCSRF(r.Header.Get(CSRFHeader))) {
			s.fail(w, r, licensing.Errorf(licensing.CodeForbidden, "a browser's call must come from this site and carry its %s header", CSRFHeader))
			return
		}
		c := caller{token: who.Token, actor: who.Actor, who: who}
		if !who.Person() {
			acting, err := s.acting(r, who.Token)
			if err != nil {
				s.fail(w, r, err)
				return
			}
			c.actor.ActingUser = acting
		}
		h(w, r.WithContext(context.WithValue(r.Context(), callerKey{}, c)))
	}
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// sameOrigin reports whether a browser's request names this server as its
// origin (a browser always sends Origin on an unsafe call).
func (s *Server) sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		site := r.Header.Get("Sec-Fetch-Site")
		return site == "" || site == "same-origin"
	}
	u, err := url.Parse(o)
	return err == nil && u.Host == s.public.Host(r)
}

// acting checks the person a token's call names as acting user.
func (s *Server) acting(r *http.Request, tok store.Token) (string, error) {
	acting := strings.TrimSpace(r.Header.Get(ActingUserHeader))
	if acting == "" {
		if tok.Scope == store.ScopeIntegration {
			return "", licensing.FieldErrorf(licensing.CodeInvalid, ActingUserHeader, "an integration must name the acting user in the %s header", ActingUserHeader)
		}
		return "", nil
	}
	if len(acting) > 256 {
		return "", licensing.FieldErrorf(licensing.CodeInvalid, ActingUserHeader, "acting user is too long")
	}
	// A look-alike with an invisible character must not reach the
	// resolver, where it would match nobody and be recorded as a name.
	if err := licensing.CheckKey(ActingUserHeader, acting); err != nil {
		return "", err
	}
	// A shared email or ID is never resolved to an arbitrary person.
	if _, n := s.engine.Lookup(acting); n > 1 {
		if tok.Scope == store.ScopeIntegration {
			s.recordUnresolved(r, tok, acting)
		}
		return "", licensing.FieldErrorf(licensing.CodeAmbiguous, ActingUserHeader, "%q names %d people: name the acting user by user name", acting, n)
	}
	return acting, nil
}

func scopeAllows(tok store.Token, scopes []string) bool {
	return tok.Scope == store.ScopeAdmin || slices.Contains(scopes, tok.Scope)
}

// Challenge is the WWW-Authenticate value for a request refused 401: a
// plain Bearer challenge when it carried no token, invalid_token otherwise.
func Challenge(r *http.Request) string {
	scheme, secret, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(secret) == "" {
		return `Bearer realm="seatkeeper"`
	}
	return `Bearer realm="seatkeeper", error="invalid_token"`
}

// bearer looks up the request's bearer token.
func (s *Server) bearer(r *http.Request) (store.Token, error) {
	// The scheme name is case-insensitive (RFC 7235 §2.1).
	scheme, secret, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	secret = strings.TrimSpace(secret)
	if !strings.EqualFold(scheme, "Bearer") || secret == "" {
		return store.Token{}, licensing.Errorf(licensing.CodeUnauthorized, "missing bearer token")
	}
	return s.lookupToken(r.Context(), store.HashToken(secret))
}

// Authenticate checks that r carries a bearer token of scope (or admin) and
// returns the actor it acts as: what other surfaces, such as SCIM, use to
// share this server's tokens and their cache. Codes: CodeUnauthorized,
// CodeForbidden.
func (s *Server) Authenticate(r *http.Request, scope string) (licensing.Actor, error) {
	tok, err := s.bearer(r)
	if err != nil {
		return licensing.Actor{}, err
	}
	if !scopeAllows(tok, []string{scope}) {
		return licensing.Actor{}, licensing.Errorf(licensing.CodeForbidden, "token scope %q may not call %s", tok.Scope, r.URL.Path)
	}
	return licensing.Actor{Name: "token:" + tok.Name, Source: RemoteIP(r)}, nil
}

// settle reconciles the people a committed write touched and gives freed
// seats to pending grants (provision.Reconciler.Settle). The write stands
// either way; a failure is logged and retried by the periodic filler.
func (s *Server) settle(r *http.Request, freed bool, ids ...string) {
	if err := s.rec.Settle(r.Context(), actorOf(r), freed, ids...); err != nil {
		s.log.Warn("reconcile after a write", "path", r.URL.Path, "people", len(ids), "err", err)
	}
}

// tokenTTL bounds how long a revocation made by another process may take to
// bite here; revocations through this process's API apply at once.
const tokenTTL = 2 * time.Second

type cachedToken struct {
	tok store.Token
	err error
	at  time.Time
}

func (s *Server) lookupToken(ctx context.Context, hash string) (store.Token, error) {
	now := s.store.Now()
	if v, ok := s.tokens.Load(hash); ok {
		c := v.(cachedToken)
		if now.Sub(c.at) < tokenTTL {
			if c.err == nil && !c.tok.ExpiresAt.IsZero() && !now.Before(c.tok.ExpiresAt) {
				return c.tok, licensing.Errorf(licensing.CodeUnauthorized, "token expired")
			}
			return c.tok, c.err
		}
	}
	s.tokens.Delete(hash)
	tok, err := s.store.LookupToken(ctx, hash)
	// Only real tokens are cached (revoked and expired ones too): caching
	// every unknown string a client sends would let it grow memory at will.
	if err == nil || (licensing.ErrorCode(err) == licensing.CodeUnauthorized && tok.ID != "") {
		s.tokens.Store(hash, cachedToken{tok: tok, err: err, at: now})
	}
	return tok, err
}

// RemoteIP is the caller's address without its port, for audit entries.
func RemoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// logRequests logs each request at debug level and counts it.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		path := r.URL.Path
		if strings.HasPrefix(path, "/share/") {
			path = "/share/…" // a share token opens data: never in logs
		}
		s.log.Debug("http", "method", r.Method, "path", path, "status", sw.status, "dur", time.Since(start))
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// Mount lets another surface (the web pages) add its routes to the same mux.
func (s *Server) Mount(register func(*http.ServeMux)) { register(s.mux) }

// Handler returns the server wrapped in its middleware.
func (s *Server) Handler() http.Handler { return s.logRequests(s) }
