package web

import (
	"net/http"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/api"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/signin"
)

// oidcCookie carries an OIDC sign-in in progress: the id of its attempt
// (state, nonce and PKCE verifier stay on the server). It is sent only to
// the OIDC paths, and Lax so the provider's redirect back carries it.
const (
	oidcCookie = "seatkeeper_oidc"
	oidcPath   = "/signin/oidc"
)

// oidcBegin sends the browser to the provider, to come back to next.
func (p *Pages) oidcBegin(w http.ResponseWriter, r *http.Request) {
	if p.oidc == nil {
		http.NotFound(w, r)
		return
	}
	next := asked(r.URL.Query().Get("next"))
	id, authURL, err := p.oidc.Begin(next)
	if err != nil {
		p.oidcFailed(w, r, next, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: id, Path: oidcPath, HttpOnly: true, Secure: p.secure(r),
		SameSite: http.SameSiteLaxMode, MaxAge: int((10 * time.Minute).Seconds())})
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, authURL, http.StatusFound)
}

// oidcCallback finishes the sign-in the provider sent the browser back
// from: the same session cookie as a local sign-in, then on to next.
func (p *Pages) oidcCallback(w http.ResponseWriter, r *http.Request) {
	if p.oidc == nil {
		http.NotFound(w, r)
		return
	}
	var attempt string
	if c, err := r.Cookie(oidcCookie); err == nil {
		attempt = c.Value
	}
	// The attempt is used once, whatever happens now.
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: "", Path: oidcPath, HttpOnly: true, Secure: p.secure(r),
		SameSite: http.SameSiteLaxMode, MaxAge: -1})
	q := r.URL.Query()
	source := api.RemoteIP(r)
	actor := func(userName string) licensing.Actor {
		if userName == "" {
			userName = "unknown"
		}
		return licensing.Actor{Name: "web:" + userName, Source: source}
	}
	cb := signin.Callback{Attempt: attempt, State: q.Get("state"), Code: q.Get("code"), Error: q.Get("error")}
	ws, secret, next, err := p.oidc.Finish(r.Context(), cb, actor)
	if err != nil {
		p.oidcFailed(w, r, "/", err)
		return
	}
	p.signedIn(w, r, actor(ws.UserName), ws, secret, asked(next))
}

// oidcFailed shows the sign-in page with what went wrong: a refusal says
// why, with the API's status for its code; a failure on our side or the
// provider's is logged and told in general terms.
func (p *Pages) oidcFailed(w http.ResponseWriter, r *http.Request, next string, err error) {
	var status int
	var msg string
	if e, ok := licensing.AsError(err); ok {
		status, msg = api.Status(e.Code), sentence(e.Message)
	} else {
		p.log.Error("oidc sign-in failed", "err", err)
		status, msg = http.StatusBadGateway, "Signing in with "+p.oidc.Name()+" failed; try again in a moment."
	}
	data := p.signinPage(next)
	data["Error"] = msg
	p.render(w, "signin.html", status, data)
}
