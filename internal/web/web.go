// Package web serves Seatkeeper's browser pages: the requester portal
// (knowledge base, tickets, the chat bot), the agent console (queue, ticket
// actions, proposals), the multiplexing report, and the administrator's
// licence console under /admin. The pages are server-rendered HTML that
// works without JavaScript. People sign in with a local password or an
// OpenID Connect provider (package signin); the administrator with an admin
// token.
package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/seatkeeper/seatkeeper/internal/api"
	"github.com/seatkeeper/seatkeeper/internal/desk"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/plural"
	"github.com/seatkeeper/seatkeeper/internal/publicurl"
	"github.com/seatkeeper/seatkeeper/internal/reporting"
	"github.com/seatkeeper/seatkeeper/internal/seats"
	"github.com/seatkeeper/seatkeeper/internal/signin"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// maxForm bounds a form post: a ticket description or note of
// desk.MaxDescription bytes, percent-encoded, fits.
const maxForm = 128 << 10

// Pages serves the web UI.
type Pages struct {
	// gate is the API: the one way in (Identify) and the one way to act
	// (Call) for the pages too.
	gate *api.Server
	svc  *seats.Service
	desk *desk.Service
	auth *signin.Manager
	// oidc, when set, offers sign-in with an OpenID Connect provider.
	oidc *signin.OIDCProvider
	log  *slog.Logger
	tmpl *template.Template
	// public says where the pages are reached from outside.
	public *publicurl.Resolver
}

// Option configures Pages.
type Option func(*Pages)

// WithOIDC offers sign-in with an OpenID Connect provider beside the local
// accounts.
func WithOIDC(o *signin.OIDCProvider) Option {
	return func(p *Pages) { p.oidc = o }
}

// New parses the templates. The pages authenticate through gate, which
// learns the browser sessions of auth here.
func New(gate *api.Server, svc *seats.Service, dsk *desk.Service, auth *signin.Manager, log *slog.Logger, opts ...Option) *Pages {
	gate.SetSessions(auth)
	p := &Pages{gate: gate, svc: svc, desk: dsk, auth: auth, log: log, public: &publicurl.Resolver{}}
	for _, o := range opts {
		o(p)
	}
	p.tmpl = template.Must(template.New("").Funcs(p.funcs()).ParseFS(templateFS, "templates/*.html"))
	return p
}

func (p *Pages) funcs() template.FuncMap {
	return template.FuncMap{
		"when": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			return t.UTC().Format("2006-01-02 15:04 UTC")
		},
		"clock": func(t time.Time) string { return t.UTC().Format("15:04 UTC") },
		"label": label,
		"inc":   func(i int) int { return i + 1 },
		// duration writes 1m rather than 1m0s.
		"duration": reporting.ShortDuration,
		// personLink is a person's console page; source says where a seat
		// comes from ("Rule desk", "Group cab", "By hand").
		"personLink": personLink,
		"price":      priceText,
		"source":     sourceText,
		// noun is a noun as it reads after a count: "1 seat", "2 seats".
		"noun": func(n int, noun string) string { return plural.Noun(int64(n), noun) },
	}
}

// label turns a stored value ("in_progress") into words ("In progress").
func label(s any) string {
	return upperFirst(strings.ReplaceAll(fmt.Sprint(s), "_", " "))
}

// upperFirst capitalises the first character (not byte: messages may
// start with a name in any script).
func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 || r == utf8.RuneError {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

// NotFound answers a browser path no page serves with the HTML error page,
// not the API's JSON.
func (p *Pages) NotFound(w http.ResponseWriter, r *http.Request) {
	p.fail(w, r, nil, licensing.Errorf(licensing.CodeNotFound, "there is no page at %s", r.URL.Path))
}

// staticHandler serves the embedded stylesheet and icon.
func staticHandler() http.Handler {
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	fsrv := http.StripPrefix("/static/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		fsrv.ServeHTTP(w, r)
	})
}

// render executes a page into a buffer first, so a template error answers
// 500 instead of half a page.
func (p *Pages) render(w http.ResponseWriter, name string, status int, data any) {
	var buf bytes.Buffer
	if err := p.tmpl.ExecuteTemplate(&buf, name, data); err != nil {
		p.log.Error("render", "page", name, "err", err)
		status, buf = http.StatusInternalServerError, *bytes.NewBufferString("internal error\n")
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	// Pages carry private data and CSRF tokens: never cached.
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes()) // the client went away; nothing to do
}

// sameOrigin guards form posts against cross-site requests, on top of the
// SameSite cookies and CSRF tokens: a browser always sends Origin on a POST,
// and it must name the host the browser reached (the configured base URL's,
// when there is one).
func (p *Pages) sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return r.Header.Get("Sec-Fetch-Site") == "" || r.Header.Get("Sec-Fetch-Site") == "same-origin"
	}
	u, err := url.Parse(o)
	return err == nil && u.Host == p.public.Host(r)
}

// secure reports whether the browser reached us over HTTPS: directly, by
// the configured base URL, or through a trusted proxy that says so.
func (p *Pages) secure(r *http.Request) bool { return p.public.Secure(r) }

// WithPublicURL sets where the pages are reached from outside (serve
// --base-url, --trust-proxy): share links, origin checks, secure cookies.
func WithPublicURL(o *publicurl.Resolver) Option {
	return func(p *Pages) { p.public = o }
}

// flash is the message at the top of a page after an action.
type flash struct {
	OK            bool
	Code          string
	Text          string
	QueuePosition int
}

// done are the messages a successful action redirects with (?done=KEY):
// fixed texts, so a link cannot put words on the page.
var done = map[string]string{
	"created":    "Your ticket was created. The service desk will follow up here.",
	"comment":    "Your comment was added.",
	"work-note":  "The work note was added.",
	"transition": "The ticket's state was changed.",
	"assign":     "The ticket was assigned.",
	"unassign":   "The ticket was unassigned.",
	"confirm":    "The proposal was confirmed and its change applied.",
	"reject":     "The proposal was rejected.",

	"approval-requested": "The approval was requested.",
	"approval-approved":  "You approved the request.",
	"approval-rejected":  "You rejected the request.",
}

func doneFlash(r *http.Request) *flash {
	if t, ok := done[r.URL.Query().Get("done")]; ok {
		return &flash{OK: true, Text: t}
	}
	return nil
}

// explain turns a refusal into the flash that says what happened and what
// the person can do; an internal error is logged and told in general terms.
func (p *Pages) explain(r *http.Request, err error) (int, *flash) {
	e, ok := licensing.AsError(err)
	if !ok {
		p.log.Error("page action failed", "method", r.Method, "path", r.URL.Path, "err", err)
		return http.StatusInternalServerError, &flash{Code: licensing.CodeInternal, Text: "Something went wrong on our side; it has been logged. Try again in a moment."}
	}
	status := api.Status(e.Code)
	f := &flash{Code: e.Code, Text: sentence(e.Message), QueuePosition: e.QueuePosition}
	switch e.Code {
	case licensing.CodeMaxedOut:
		f.Text = "No agent seat is free right now, so this was not done: " + sentence(e.Message) + " You can keep reading."
	case licensing.CodeNoLicence:
		f.Text = "This needs an agent licence you do not hold: " + sentence(e.Message)
	case licensing.CodeModuleMissing:
		f.Text = "This needs a module licence you do not hold: " + sentence(e.Message)
	case licensing.CodeInactive:
		f.Text = "Your account is inactive: ask the service desk."
	}
	return status, f
}

// sentence makes an error message start with a capital and end with a stop.
// A message that starts with an identifier (a user name such as ann.lee, an
// email, a capability such as ticket.update, a quoted name) keeps its case:
// "Ann.lee" would name someone who does not exist. Messages are written to
// start with a word ("the person ann …"), so this is the fallback.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return s
	}
	if !startsWithIdentifier(s) {
		s = upperFirst(s)
	}
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}
