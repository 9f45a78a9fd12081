// Package scimserver serves SCIM 2.0 (RFC 7643/7644) at /scim/v2 over the
// store: Users, Groups and the discovery endpoints, for Okta, Microsoft
// Entra ID and any other identity provider. Every change reconciles the
// people it touched against the entitlement rules, and a leaver's
// deactivation or deletion is timed from the call to the last revocation.
package scimserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/provision"
	"github.com/seatkeeper/seatkeeper/internal/publicurl"
	"github.com/seatkeeper/seatkeeper/internal/scim"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

// Prefix is where the endpoint is mounted.
const Prefix = "/scim/v2"

// ContentType is what every answer is sent as.
const ContentType = "application/scim+json"

// maxBody bounds a request body; a group of 20,000 members fits.
const maxBody = 4 << 20

// Scope is the token scope the endpoint requires (admin also passes).
const Scope = store.ScopeSCIM

// Authenticator checks a request's credentials for scope and returns the
// actor it acts as, or an error with a licensing code (unauthorized,
// forbidden).
type Authenticator func(r *http.Request, scope string) (licensing.Actor, error)

// Server is the SCIM endpoint.
type Server struct {
	store *store.Store
	rec   *provision.Reconciler
	auth  Authenticator
	log   *slog.Logger
	// scanLimit bounds a filter matched in memory (maxScan by default).
	scanLimit int
	public    *publicurl.Resolver
}

// Option adjusts a Server.
type Option func(*Server)

// WithScanLimit sets how many resources a filter SQL cannot express may
// be matched against in memory before it is refused with tooMany.
func WithScanLimit(n int) Option { return func(s *Server) { s.scanLimit = n } }

// New returns the endpoint over st, authenticating with auth.
func New(st *store.Store, auth Authenticator, log *slog.Logger, opts ...Option) *Server {
	if log == nil {
		log = slog.Default()
	}
	s := &Server{store: st, rec: &provision.Reconciler{Store: st, Log: log}, auth: auth, log: log, scanLimit: maxScan, public: &publicurl.Resolver{}}
	for _, o := range opts {
		o(s)
	}
	return s
}

// resourceNames are the first path segments after Prefix, as routed; a
// client may spell them in any case (Entra, Okta and others do not agree).
var resourceNames = []string{"Users", "Groups", "ServiceProviderConfig", "ResourceTypes", "Schemas"}

// methods are those a 405 may list in Allow, in the order listed.
var methods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// Register adds the endpoint's routes to mux: one handler at Prefix+"/"
// that canonicalises the path (see canonicalPath) and routes it.
func (s *Server) Register(mux *http.ServeMux) {
	routes := http.NewServeMux()
	h := func(pattern string, fn func(w http.ResponseWriter, r *http.Request, a licensing.Actor)) {
		routes.HandleFunc(pattern, s.wrap(fn))
	}
	h("GET "+Prefix+"/ServiceProviderConfig", s.serviceProviderConfig)
	h("GET "+Prefix+"/ResourceTypes", s.resourceTypes)
	h("GET "+Prefix+"/ResourceTypes/{id}", s.resourceType)
	h("GET "+Prefix+"/Schemas", s.schemas)
	h("GET "+Prefix+"/Schemas/{id}", s.schema)

	listUsers, searchUsers := s.collection(s.queryUsers)
	h("GET "+Prefix+"/Users", listUsers)
	h("POST "+Prefix+"/Users/.search", searchUsers)
	h("POST "+Prefix+"/Users", s.createUser)
	h("GET "+Prefix+"/Users/{id}", s.getUser)
	h("PUT "+Prefix+"/Users/{id}", s.replaceUser)
	h("PATCH "+Prefix+"/Users/{id}", s.patchUser)
	h("DELETE "+Prefix+"/Users/{id}", s.deleteUser)

	listGroups, searchGroups := s.collection(s.queryGroups)
	h("GET "+Prefix+"/Groups", listGroups)
	h("POST "+Prefix+"/Groups/.search", searchGroups)
	h("POST "+Prefix+"/Groups", s.createGroup)
	h("GET "+Prefix+"/Groups/{id}", s.getGroup)
	h("PUT "+Prefix+"/Groups/{id}", s.replaceGroup)
	h("PATCH "+Prefix+"/Groups/{id}", s.patchGroup)
	h("DELETE "+Prefix+"/Groups/{id}", s.deleteGroup)

	mux.Handle(Prefix+"/", s.route(routes))
}

// route serves routes with the request's path canonicalised. Anything
// else under the prefix is a SCIM 404, or a SCIM 405 with Allow when the
// path is known but not the method; both authenticate first, as every
// route does.
func (s *Server) route(routes *http.ServeMux) http.Handler {
	notFound := s.wrap(func(w http.ResponseWriter, r *http.Request, _ licensing.Actor) {
		fail(w, &scim.Error{Status: http.StatusNotFound, Detail: "no such SCIM endpoint " + r.URL.Path})
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cr := canonicalRequest(r)
		if _, pattern := routes.Handler(cr); pattern != "" {
			routes.ServeHTTP(w, cr)
			return
		}
		var allow []string
		for _, m := range methods {
			probe := *cr
			probe.Method = m
			if _, pattern := routes.Handler(&probe); pattern != "" {
				allow = append(allow, m)
			}
		}
		if len(allow) == 0 {
			notFound(w, r)
			return
		}
		s.wrap(func(w http.ResponseWriter, r *http.Request, _ licensing.Actor) {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			fail(w, &scim.Error{Status: http.StatusMethodNotAllowed, Detail: r.Method + " is not allowed on " + r.URL.Path + "; allowed: " + strings.Join(allow, ", ")})
		})(w, r)
	})
}

// canonicalRequest is r with its path canonicalised (a shallow copy), or r
// itself when the path already is.
func canonicalRequest(r *http.Request) *http.Request {
	esc := r.URL.EscapedPath()
	rest, ok := strings.CutPrefix(esc, Prefix+"/")
	if !ok {
		return r
	}
	want := Prefix + "/" + canonicalPath(rest)
	if want == esc {
		return r
	}
	path, err := url.PathUnescape(want)
	if err != nil {
		return r
	}
	u := *r.URL
	u.Path, u.RawPath = path, ""
	if u.EscapedPath() != want {
		u.RawPath = want
	}
	cr := new(http.Request)
	*cr = *r
	cr.URL = &u
	return cr
}

// canonicalPath canonicalises rest, the escaped path after Prefix+"/": one
// trailing slash goes, the first segment is spelled as routed when it is a
// resource name in any case, and so is .search after Users or Groups.
// Everything else (resource ids, schema URNs) is left as sent.
func canonicalPath(rest string) string {
	rest = strings.TrimSuffix(rest, "/")
	segs := strings.Split(rest, "/")
	first, err := url.PathUnescape(segs[0])
	if err != nil {
		return rest
	}
	for _, name := range resourceNames {
		if !asciiEqualFold(first, name) {
			continue
		}
		segs[0] = name
		if len(segs) == 2 && (name == "Users" || name == "Groups") && asciiEqualFold(segs[1], ".search") {
			segs[1] = ".search"
		}
		return strings.Join(segs, "/")
	}
	return rest
}

// asciiEqualFold is strings.EqualFold for ASCII only: the Kelvin sign does
// not spell "Ks".
func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// wrap authenticates, checks the request's media type and answers SCIM
// errors for whatever the handler returns.
func (s *Server) wrap(fn func(w http.ResponseWriter, r *http.Request, a licensing.Actor)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a, err := s.auth(r, Scope)
		if err != nil {
			if licensing.ErrorCode(err) == licensing.CodeUnauthorized {
				w.Header().Set("WWW-Authenticate", `Bearer realm="seatkeeper-scim"`)
			}
			fail(w, toSCIM(err))
			return
		}
		if r.Body != nil && r.ContentLength != 0 && (r.Method == http.MethodPost || r.Method == http.MethodPut || r.Method == http.MethodPatch) {
			if ct := r.Header.Get("Content-Type"); ct != "" {
				mt, _, err := mime.ParseMediaType(ct)
				if err != nil || (mt != ContentType && mt != "application/json") {
					fail(w, &scim.Error{Status: http.StatusUnsupportedMediaType, Detail: "send application/scim+json or application/json"})
					return
				}
			}
		}
		fn(w, r, a)
	}
}

// readBody reads a request body of at most maxBody bytes.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, &scim.Error{Status: http.StatusRequestEntityTooLarge, Detail: fmt.Sprintf("request body larger than %d bytes", maxBody)}
	}
	if err != nil {
		return nil, &scim.Error{Status: http.StatusBadRequest, SCIMType: scim.InvalidSyntax, Detail: "cannot read request body"}
	}
	if len(b) == 0 {
		return nil, &scim.Error{Status: http.StatusBadRequest, SCIMType: scim.InvalidSyntax, Detail: "request body is empty"}
	}
	return b, nil
}

// readResource reads a POST or PUT body as a resource of schema; a PUT
// body may repeat the resource's id (Okta sends it) but not name another.
func readResource(w http.ResponseWriter, r *http.Request, schema *scim.Schema) (scim.Resource, error) {
	body, err := readBody(w, r)
	if err != nil {
		return nil, err
	}
	if r.Method == http.MethodPut {
		if id := bodyID(body); id != "" && id != r.PathValue("id") {
			return nil, &scim.Error{Status: http.StatusBadRequest, SCIMType: scim.Mutability, Detail: "id is immutable"}
		}
	}
	return scim.ParseResource(body, schema)
}

// readPatch reads a PATCH body.
func readPatch(w http.ResponseWriter, r *http.Request) ([]scim.PatchOp, error) {
	body, err := readBody(w, r)
	if err != nil {
		return nil, err
	}
	return scim.DecodePatch(body)
}

// bodyID is the id a body carries, if any.
func bodyID(body []byte) string {
	var v struct {
		ID any `json:"id"`
	}
	_ = json.Unmarshal(body, &v)
	s, _ := v.ID.(string)
	return s
}

// respond writes v as SCIM JSON.
func respond(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", ContentType)
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func fail(w http.ResponseWriter, e *scim.Error) {
	respond(w, e.Status, e.Response())
}

// errPrecondition is what a change function returns when If-Match names
// another version.
var errPrecondition = &scim.Error{Status: http.StatusPreconditionFailed, Detail: "the resource has changed: its version does not match If-Match"}

// toSCIM maps store and engine errors to SCIM errors.
func toSCIM(err error) *scim.Error {
	var se *scim.Error
	if errors.As(err, &se) {
		return se
	}
	le, ok := licensing.AsError(err)
	if !ok {
		return &scim.Error{Status: http.StatusInternalServerError, Detail: "internal error"}
	}
	msg := le.Message
	switch le.Code {
	case licensing.CodeNotFound:
		return &scim.Error{Status: http.StatusNotFound, Detail: msg}
	case licensing.CodeConflict:
		return &scim.Error{Status: http.StatusConflict, SCIMType: scim.Uniqueness, Detail: msg}
	case licensing.CodeInvalid:
		return &scim.Error{Status: http.StatusBadRequest, SCIMType: scim.InvalidValue, Detail: msg}
	case licensing.CodeUnauthorized:
		return &scim.Error{Status: http.StatusUnauthorized, Detail: msg}
	case licensing.CodeForbidden:
		return &scim.Error{Status: http.StatusForbidden, Detail: msg}
	case licensing.CodeInactive, licensing.CodeAmbiguous:
		// A shared email or ID used as a reference names nobody.
		return &scim.Error{Status: http.StatusBadRequest, SCIMType: scim.InvalidValue, Detail: msg}
	case licensing.CodeRateLimited:
		return &scim.Error{Status: http.StatusTooManyRequests, Detail: msg}
	case licensing.CodeInternal:
		return &scim.Error{Status: http.StatusInternalServerError, Detail: "internal error"}
	}
	// Any other refusal (a full pool, a missing module …) is the request's
	// fault, not the server's: a 5xx would have the identity provider retry
	// it for ever.
	return &scim.Error{Status: http.StatusConflict, Detail: msg}
}

// failErr logs server-side failures and answers in SCIM's shape.
func (s *Server) failErr(w http.ResponseWriter, r *http.Request, err error) {
	e := toSCIM(err)
	if e.Status >= 500 {
		s.log.Error("scim", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	fail(w, e)
}

// etag is a resource version as a weak entity tag.
func etag(version int64) string { return `W/"` + strconv.FormatInt(version, 10) + `"` }

// matches reports whether an If-Match header admits version; no header
// admits everything.
func matches(ifMatch string, version int64) bool {
	ifMatch = strings.TrimSpace(ifMatch)
	if ifMatch == "" || ifMatch == "*" {
		return true
	}
	for _, t := range strings.Split(ifMatch, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if strings.Trim(t, `"`) == strconv.FormatInt(version, 10) {
			return true
		}
	}
	return false
}

// notModified answers 304 when If-None-Match names the current version.
func notModified(w http.ResponseWriter, r *http.Request, version int64) bool {
	inm := r.Header.Get("If-None-Match")
	if inm == "" || !matches(inm, version) || strings.TrimSpace(inm) == "*" {
		return false
	}
	w.Header().Set("ETag", etag(version))
	w.WriteHeader(http.StatusNotModified)
	return true
}

// baseURL is the endpoint's absolute public URL, for meta.location, $ref
// and Location.
func (s *Server) baseURL(r *http.Request) string { return s.public.Base(r) + Prefix }

// WithPublicURL sets where the server is reached from outside (serve
// --base-url, --trust-proxy).
func WithPublicURL(p *publicurl.Resolver) Option { return func(s *Server) { s.public = p } }

func timeString(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// reconcile settles the people a committed change touched (see
// provision.Reconciler.Settle). A failure is logged and left to the
// periodic filler, not reported as a failed write: the identity provider
// would retry a write that succeeded.
func (s *Server) reconcile(ctx context.Context, a licensing.Actor, freed bool, ids ...string) {
	if err := s.rec.Settle(ctx, a, freed, ids...); err != nil {
		s.log.Warn("scim: reconcile", "people", len(ids), "err", err)
	}
}
