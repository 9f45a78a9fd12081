// Package web serves Seatkeeper's browser pages. This first page is the
// licence console: an administrator signs in with an admin token (kept in an
// HttpOnly, SameSite=Strict cookie) and sees every pool's seats, who holds
// them and the newest audit entries. The service-desk pages build on it.
package web

import (
	"context"
	"embed"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/audit"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/seats"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

//go:embed templates/*.html
var templateFS embed.FS

const cookieName = "seatkeeper_token"

// Pages serves the web UI.
type Pages struct {
	svc  *seats.Service
	log  *slog.Logger
	tmpl *template.Template
}

// New parses the templates.
func New(svc *seats.Service, log *slog.Logger) *Pages {
	funcs := template.FuncMap{
		"pct": func(a, b int) int {
			if b <= 0 {
				return 0
			}
			return min(100, a*100/b)
		},
		"when": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			return t.Format("2006-01-02 15:04:05")
		},
	}
	return &Pages{svc: svc, log: log, tmpl: template.Must(template.New("").Funcs(funcs).ParseFS(templateFS, "templates/*.html"))}
}

// Register adds the pages to mux.
func (p *Pages) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", p.console)
	mux.HandleFunc("GET /signin", p.signinForm)
	mux.HandleFunc("POST /signin", p.signin)
	mux.HandleFunc("POST /signout", p.signout)
}

// sameOrigin guards form posts against cross-site requests, on top of the
// SameSite=Strict cookie: a browser always sends Origin on a POST.
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return r.Header.Get("Sec-Fetch-Site") == "" || r.Header.Get("Sec-Fetch-Site") == "same-origin"
	}
	u, err := url.Parse(o)
	return err == nil && u.Host == r.Host
}

func (p *Pages) admin(ctx context.Context, r *http.Request) (store.Token, bool) {
	c, err := r.Cookie(cookieName)
	if err != nil || c.Value == "" {
		return store.Token{}, false
	}
	tok, err := p.svc.Store.LookupToken(ctx, store.HashToken(c.Value))
	return tok, err == nil && tok.Scope == store.ScopeAdmin
}

func (p *Pages) render(w http.ResponseWriter, name string, status int, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'unsafe-inline'")
	w.Header().Set("X-Frame-Options", "DENY")
	w.WriteHeader(status)
	if err := p.tmpl.ExecuteTemplate(w, name, data); err != nil {
		p.log.Error("render", "page", name, "err", err)
	}
}

func (p *Pages) signinForm(w http.ResponseWriter, r *http.Request) {
	p.render(w, "signin.html", http.StatusOK, map[string]any{"Error": ""})
}

func (p *Pages) signin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	if !sameOrigin(r) || r.ParseForm() != nil {
		p.render(w, "signin.html", http.StatusForbidden, map[string]any{"Error": "The request was refused."})
		return
	}
	secret := strings.TrimSpace(r.PostForm.Get("token"))
	tok, err := p.svc.Store.LookupToken(r.Context(), store.HashToken(secret))
	if err != nil || tok.Scope != store.ScopeAdmin {
		p.render(w, "signin.html", http.StatusUnauthorized, map[string]any{"Error": "That is not a valid admin token."})
		return
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: secret, Path: "/", HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode, MaxAge: 8 * 3600})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (p *Pages) signout(w http.ResponseWriter, r *http.Request) {
	if sameOrigin(r) {
		http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode, MaxAge: -1})
	}
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}

type poolRow struct {
	Pool     licensing.Pool
	SKUName  string
	Usage    store.PoolUsage
	Near     bool
	Holders  []string
	Capacity int
}

func (p *Pages) console(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if _, ok := p.admin(ctx, r); !ok {
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
		return
	}
	st := p.svc.Store
	pools, err := st.ListPools(ctx)
	usage, err2 := st.Usage(ctx)
	leases, err3 := st.ActiveLeases(ctx, "")
	if err := firstErr(err, err2, err3); err != nil {
		p.log.Error("console", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	byPool := map[string]store.PoolUsage{}
	for _, u := range usage {
		byPool[u.Pool] = u
	}
	holders := map[string][]string{}
	for _, l := range leases {
		name := l.User
		if u, ok := p.svc.Engine.User(l.User); ok {
			name = u.DisplayName
		}
		holders[l.Pool] = append(holders[l.Pool], name)
	}
	rows := make([]poolRow, 0, len(pools))
	for _, pl := range pools {
		u := byPool[pl.ID]
		sku, _ := p.svc.Engine.SKU(pl.SKU)
		h := holders[pl.ID]
		sort.Strings(h)
		rows = append(rows, poolRow{Pool: pl, SKUName: sku.Name, Usage: u, Near: seats.NearCapacity(pl, u.Held), Holders: h, Capacity: u.Capacity})
	}
	recent, err := p.recentAudit(ctx, 25)
	if err != nil {
		p.log.Error("console audit", "err", err)
	}
	p.render(w, "console.html", http.StatusOK, map[string]any{"Pools": rows, "Audit": recent, "People": p.svc.Engine.PeopleCount(), "Store": st.Dialect()})
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
