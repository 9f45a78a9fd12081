package web

import (
	"context"
	"net/http"
	"strings"

	"github.com/seatkeeper/seatkeeper/internal/api"
	"github.com/seatkeeper/seatkeeper/internal/audit"
)

// adminCookie carries the break-glass admin token of the console
// (HttpOnly, SameSite=Strict); its path is "/" so the report pages accept
// it too. People with roles sign in like everyone else.
const adminCookie = api.TokenCookie

func (p *Pages) adminSigninForm(w http.ResponseWriter, r *http.Request) {
	p.render(w, "admin_signin.html", http.StatusOK, map[string]any{"Error": ""})
}

// adminSignin opens the console with an admin token: for the first start
// and break-glass. The token is checked the API's way (its cache too).
func (p *Pages) adminSignin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	if !p.sameOrigin(r) || r.ParseForm() != nil {
		p.render(w, "admin_signin.html", http.StatusForbidden, map[string]any{"Error": "The request was refused."})
		return
	}
	secret := strings.TrimSpace(r.PostForm.Get("token"))
	probe := r.Clone(r.Context())
	probe.Header = http.Header{"Authorization": {"Bearer " + secret}}
	who, err := p.gate.Identify(probe)
	if err != nil || !who.Admin() {
		p.render(w, "admin_signin.html", http.StatusUnauthorized, map[string]any{"Error": "That is not a valid admin token."})
		return
	}
	http.SetCookie(w, &http.Cookie{Name: adminCookie, Value: secret, Path: "/", HttpOnly: true, Secure: p.secure(r), SameSite: http.SameSiteStrictMode, MaxAge: 8 * 3600})
	http.Redirect(w, r, "/admin", http.StatusSeeOther)
}

func (p *Pages) adminSignout(w http.ResponseWriter, r *http.Request) {
	if p.sameOrigin(r) {
		http.SetCookie(w, &http.Cookie{Name: adminCookie, Value: "", Path: "/", HttpOnly: true, Secure: p.secure(r), SameSite: http.SameSiteStrictMode, MaxAge: -1})
	}
	http.Redirect(w, r, "/admin/signin", http.StatusSeeOther)
}

// recentAudit returns the newest n entries, newest first.
func (p *Pages) recentAudit(ctx context.Context, n int) ([]audit.Entry, error) {
	if _, err := p.svc.Store.ChainPending(ctx); err != nil {
		return nil, err
	}
	seq, _, err := p.svc.Store.AuditHead(ctx)
	if err != nil {
		return nil, err
	}
	list, err := p.svc.Store.ListAudit(ctx, max(0, seq-int64(n)), n)
	for i, j := 0, len(list)-1; i < j; i, j = i+1, j-1 {
		list[i], list[j] = list[j], list[i]
	}
	return list, err
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
