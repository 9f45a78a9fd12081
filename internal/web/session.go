package web

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/seatkeeper/seatkeeper/internal/api"
	"github.com/seatkeeper/seatkeeper/internal/desk"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/signin"
)

// sessionCookie carries a signed-in person's browser session secret.
const sessionCookie = api.SessionCookie

// visit is a signed-in person's request.
type visit struct {
	who   api.Who
	ws    desk.WebSession
	actor licensing.Actor
	p     desk.Principal
}

// visitOf returns the signed-in person of r, if any, found the API's one
// way (Identify: the session lookup and its cache).
func (p *Pages) visitOf(r *http.Request) (*visit, error) {
	who, err := p.gate.Identify(r)
	if err != nil {
		return nil, err
	}
	if !who.Person() {
		return nil, licensing.Errorf(licensing.CodeUnauthorized, "not signed in")
	}
	return p.visitAs(who)
}

// visitAs is the visit of a person already identified.
func (p *Pages) visitAs(who api.Who) (*visit, error) {
	pr, err := p.desk.Person(who.Actor, who.Session.User, who.Session.SeatSession)
	if err != nil {
		// The engine does not know the person (yet): treat as signed out.
		return nil, licensing.Errorf(licensing.CodeUnauthorized, "unknown person")
	}
	return &visit{who: who, ws: who.Session, actor: who.Actor, p: pr}, nil
}

// person wraps a page that needs a signed-in person. A visitor without a
// session is sent to the sign-in page (back here afterwards, for a GET);
// every POST must come from this site's own form: same Origin and the
// session's CSRF token.
func (p *Pages) person(h func(http.ResponseWriter, *http.Request, *visit)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, err := p.visitOf(r)
		if err != nil {
			if licensing.ErrorCode(err) != licensing.CodeUnauthorized {
				p.fail(w, r, nil, err)
				return
			}
			p.toSignin(w, r)
			return
		}
		if r.Method == http.MethodPost && !p.checkForm(w, r, v) {
			return
		}
		h(w, r, v)
	}
}

// checkForm reads a posted form and refuses it unless it comes from this
// site with the session's CSRF token.
func (p *Pages) checkForm(w http.ResponseWriter, r *http.Request, v *visit) bool {
	return p.checkFormToken(w, r, v, v.ws.CSRF)
}

// checkFormToken reads a posted form and refuses it unless it comes from
// this site carrying want; v (nil for the administrator) draws the error.
func (p *Pages) checkFormToken(w http.ResponseWriter, r *http.Request, v *visit, want string) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			p.fail(w, r, v, licensing.Errorf(licensing.CodeTooLarge, "the form is larger than %d KiB", maxForm>>10))
		} else {
			p.fail(w, r, v, licensing.Errorf(licensing.CodeInvalid, "the form could not be read"))
		}
		return false
	}
	token := r.PostForm.Get("csrf")
	if !p.sameOrigin(r) || token == "" || subtle.ConstantTimeCompare([]byte(token), []byte(want)) != 1 {
		p.fail(w, r, v, licensing.Errorf(licensing.CodeForbidden, "the request was refused: it did not come from this site's own page; reload the page and try again"))
		return false
	}
	return true
}

// safeNext returns where to go after signing in: a relative path on this
// site, or "/". Anything that could leave the site ("//host", a scheme,
// a backslash browsers read as a slash) is dropped.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n\t") {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "/"
	}
	return u.RequestURI()
}

// asked is the page a sign-in was asked to go on to (safeNext), or "" when
// none was: the person then lands on the page for their work.
func asked(next string) string {
	if next == "" {
		return ""
	}
	return safeNext(next)
}

func (p *Pages) signinForm(w http.ResponseWriter, r *http.Request) {
	next := asked(r.URL.Query().Get("next"))
	if v, err := p.visitOf(r); err == nil {
		if next == "" {
			next = p.landing(v.ws)
		}
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	p.render(w, "signin.html", http.StatusOK, p.signinPage(next))
}

// signinPage is the sign-in page's data: where to go afterwards, and the
// OIDC provider's name when one is offered.
func (p *Pages) signinPage(next string) map[string]any {
	data := map[string]any{"Title": "Sign in", "Next": next}
	if p.oidc != nil {
		data["OIDC"] = p.oidc.Name()
	}
	return data
}

func (p *Pages) signin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	if !p.sameOrigin(r) || r.ParseForm() != nil {
		data := p.signinPage("")
		data["Error"] = "The request was refused."
		p.render(w, "signin.html", http.StatusForbidden, data)
		return
	}
	next := asked(r.PostForm.Get("next"))
	user := r.PostForm.Get("user")
	// The audit names the person by their user name, whichever of their
	// keys they typed; what was typed itself never reaches the log.
	a := licensing.Actor{Name: "web:unknown", Source: api.RemoteIP(r)}
	if u, ok := p.svc.Engine.User(strings.TrimSpace(user)); ok && len(user) <= 256 {
		a.Name = "web:" + u.UserName
	}
	ws, secret, err := p.auth.SignIn(r.Context(), a, user, r.PostForm.Get("password"))
	if err != nil {
		// The status is the API's for the code; only the words are the
		// page's, and they never say which of name or password was wrong.
		status, _ := p.explain(r, err)
		msg := "Signing in failed on our side; try again in a moment."
		switch licensing.ErrorCode(err) {
		case licensing.CodeUnauthorized:
			msg = "Wrong user name or password."
		case licensing.CodeInactive:
			msg = "Your account is inactive: ask the service desk."
		case licensing.CodeRateLimited:
			msg = "Too many failed sign-ins. Wait 15 minutes and try again."
		}
		data := p.signinPage(next)
		data["User"], data["Error"] = user, msg
		p.render(w, "signin.html", status, data)
		return
	}
	p.signedIn(w, r, a, ws, secret, next)
}

// signedIn ends the browser's earlier session, if any — so its seat
// session does not hold a lease until it idles out — sets the new
// session's cookie and goes on to next.
func (p *Pages) signedIn(w http.ResponseWriter, r *http.Request, a licensing.Actor, ws desk.WebSession, secret, next string) {
	if old, err := r.Cookie(sessionCookie); err == nil && old.Value != "" {
		if err := p.auth.SignOut(r.Context(), a, old.Value); err != nil {
			p.log.Warn("end the earlier browser session", "err", err)
		}
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: secret, Path: "/", HttpOnly: true, Secure: p.secure(r),
		SameSite: http.SameSiteLaxMode, Expires: ws.ExpiresAt, MaxAge: int(signin.Lifetime.Seconds())})
	if next == "" {
		next = p.landing(ws)
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// landing is where a person goes after signing in when nothing asked for
// a page: the page for their work. Administrators land on the console,
// agents on the queue, stakeholders (the CFO) on the reports, everyone
// else on the portal. It only asks the engine: no seat is taken.
func (p *Pages) landing(ws desk.WebSession) string {
	u, ok := p.svc.Engine.User(ws.User)
	switch {
	case !ok:
		return "/"
	case u.Administrator():
		return "/admin"
	}
	v := &visit{ws: ws}
	switch {
	case p.agent(v):
		return "/agent"
	case p.mayReport(v):
		return "/reports"
	}
	return "/"
}

// signout ends the browser session and its seat session, so a lease held
// returns at once.
func (p *Pages) signout(w http.ResponseWriter, r *http.Request, v *visit) {
	c, err := r.Cookie(sessionCookie)
	if err == nil {
		if err := p.auth.SignOut(r.Context(), v.actor, c.Value); err != nil {
			p.fail(w, r, v, err)
			return
		}
	}
	p.clearSessionCookie(w, r)
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}

func (p *Pages) clearSessionCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true, Secure: p.secure(r), SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

// base is the data every signed-in page shares: the navigation and the
// sign-out form's CSRF token.
func (p *Pages) base(v *visit, title string) map[string]any {
	name := v.ws.UserName
	if u, ok := p.svc.Engine.User(v.ws.User); ok && u.DisplayName != "" {
		name = u.DisplayName
	}
	return map[string]any{"Title": title, "Me": name, "CSRF": v.ws.CSRF, "Agent": p.agent(v), "Reports": p.mayReport(v), "Console": v.who.Administrator()}
}

// agent reports whether the person may use the agent console: they hold an
// agent seat, or are registered for a concurrent pool (a lease is taken at
// their first action; reading needs none).
func (p *Pages) agent(v *visit) bool {
	d := p.svc.Engine.Probe(v.ws.User, "ticket.read_all", v.ws.SeatSession)
	return d.Allow || d.Reason == licensing.ReasonCheckoutRequired || d.Reason == licensing.ReasonSessionRequired
}

// fail renders an error page (with the navigation when signed in).
func (p *Pages) fail(w http.ResponseWriter, r *http.Request, v *visit, err error) {
	if p.lost(w, r, err) {
		return
	}
	status, f := p.explain(r, err)
	data := map[string]any{"Title": "Error"}
	if v != nil {
		data = p.base(v, "Error")
	}
	data["Flash"], data["Status"] = f, status
	p.render(w, "error.html", status, data)
}

// lost handles a refusal that means the person's session is gone — its
// seat session ended between the lookup and the action (idle, ended by an
// administrator, the person deactivated): they sign in again.
func (p *Pages) lost(w http.ResponseWriter, r *http.Request, err error) bool {
	if licensing.ErrorCode(err) != licensing.CodeUnauthorized {
		return false
	}
	if c, cerr := r.Cookie(sessionCookie); cerr == nil {
		if serr := p.auth.SignOut(r.Context(), licensing.System("web"), c.Value); serr != nil {
			p.log.Error("sign out a lost session", "err", serr)
		}
	}
	p.toSignin(w, r)
	return true
}

// toSignin sends a visitor without a live session to the sign-in page
// (back here afterwards, for a GET), dropping a dead session's cookie.
func (p *Pages) toSignin(w http.ResponseWriter, r *http.Request) {
	if _, cerr := r.Cookie(sessionCookie); cerr == nil {
		p.clearSessionCookie(w, r)
	}
	target := "/signin"
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		target += "?next=" + url.QueryEscape(r.URL.RequestURI())
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}
