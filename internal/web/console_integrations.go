package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/api"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/plural"
)

// The console's integrations and tokens: the service accounts that call
// for people and the API's bearer tokens. Every change goes through the
// API's own route (p.call), so it is decided, validated and audited as the
// API's; a secret is shown once, on the answer to the change that made it,
// and never again; each destructive change is confirmed first, saying
// what it will do.

// registerConsoleIntegrations adds the integrations and tokens pages.
func (p *Pages) registerConsoleIntegrations(mux *http.ServeMux) {
	mux.HandleFunc("GET /admin/integrations", p.consolePage(p.integrationsPage))
	mux.HandleFunc("POST /admin/integrations", p.consolePage(p.integrationCreate))
	mux.HandleFunc("GET /admin/integrations/{id}", p.consolePage(p.integrationPage))
	mux.HandleFunc("POST /admin/integrations/{id}", p.consolePage(p.integrationUpdate))
	mux.HandleFunc("GET /admin/integrations/{id}/{action}", p.consolePage(p.integrationAsk))
	mux.HandleFunc("POST /admin/integrations/{id}/rotate", p.consolePage(p.integrationRotate))
	mux.HandleFunc("POST /admin/integrations/{id}/disable", p.consolePage(p.integrationDisable))
	mux.HandleFunc("POST /admin/integrations/{id}/delete", p.consolePage(p.integrationDelete))
	mux.HandleFunc("GET /admin/tokens", p.consolePage(func(w http.ResponseWriter, r *http.Request, _ *consoleVisit) {
		http.Redirect(w, r, "/admin/integrations#tokens", http.StatusSeeOther)
	}))
	mux.HandleFunc("POST /admin/tokens", p.consolePage(p.tokenCreate))
	mux.HandleFunc("GET /admin/tokens/{id}/revoke", p.consolePage(p.tokenRevokeConfirm))
	mux.HandleFunc("POST /admin/tokens/{id}/revoke", p.consolePage(p.tokenRevoke))
}

// integrationsDone are the messages the area's actions redirect with.
var integrationsDone = map[string]string{
	"changed":       "The integration was changed: its next call follows the new settings.",
	"unchanged":     "Nothing was changed: the values were already so.",
	"disabled":      "The integration was disabled: its token is revoked and its calls are refused.",
	"deleted":       "The integration was deleted: its token is revoked and its calls are refused.",
	"token-revoked": "The token was revoked: calls with it are refused.",
}

// consoleTokenJSON is the API's token (GET /api/v1/tokens).
type consoleTokenJSON struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Scope     string     `json:"scope"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at"`
	RevokedAt *time.Time `json:"revoked_at"`
	Token     string     `json:"token"`
}

// consoleIntegrationModes are the modes with what each does, in the form's order.
var consoleIntegrationModes = []struct{ Mode, Label, Means string }{
	{"enforce", "Enforce", "refuses a fulfiller action for a named person who holds no seat of their own"},
	{"propose", "Propose", "holds each fulfiller change until a licensed agent confirms it in the agent console"},
	{"monitor", "Monitor", "lets every call pass and flags unlicensed fulfiller actions in the multiplexing report"},
}

func integrationModeMeans(mode string) string {
	for _, m := range consoleIntegrationModes {
		if m.Mode == mode {
			return m.Means
		}
	}
	return ""
}

// consoleTokenScopes are the scopes a token may be created with here; an
// integration's token comes with its integration.
var consoleTokenScopes = []struct{ Scope, Means string }{
	{"platform", "decisions and sessions for any person, and reads: a service desk's back end"},
	{"scim", "the SCIM endpoint only: your identity provider"},
	{"admin", "everything the API does: automation and break-glass"},
}

// consoleTokenLifetimes are the lifetimes the token form offers (the API's ttl).
var consoleTokenLifetimes = []struct{ TTL, Label string }{
	{"", "No expiry"}, {"24h", "1 day"}, {"720h", "30 days"}, {"2160h", "90 days"}, {"8760h", "1 year"},
}

// consoleIntegrationRow is an integration as the pages show it.
type consoleIntegrationRow struct {
	api.Integration
	Means, Hold, Cap string
}

func consoleIntegrationRowOf(in api.Integration) consoleIntegrationRow {
	cap := "a tenth of each pool (at least 1 seat)"
	if in.MaxSeats > 0 {
		cap = plural.Of(in.MaxSeats, "seat") + " of each pool"
	}
	return consoleIntegrationRow{Integration: in, Means: integrationModeMeans(in.Mode), Hold: plural.Of(in.HoldSeconds, "second"), Cap: cap}
}

// consoleTokenRow is a token as the list shows it.
type consoleTokenRow struct {
	consoleTokenJSON
	State       string // "live", "revoked", "expired"
	Integration string // the integration calling with it, if any
	Yours       bool   // the break-glass token this console is open with
}

// consoleIntegrationForm is what the create form holds, kept on a refusal.
type consoleIntegrationForm struct{ Name, Mode, Hold, MaxSeats string }

// consoleTokenForm is what the token form holds, kept on a refusal.
type consoleTokenForm struct{ Name, Scope, TTL string }

func (p *Pages) integrationsPage(w http.ResponseWriter, r *http.Request, c *consoleVisit) {
	data, err := p.integrationsData(r.Context(), c, r.URL.Query().Get("tokens") == "all")
	if err != nil {
		p.fail(w, r, c.v, err)
		return
	}
	data["Flash"] = consoleFlash(r, integrationsDone)
	p.render(w, "console_integrations.html", http.StatusOK, data)
}

// integrationsData is the list page: the integrations for every role, the
// tokens for those who may read them (auditors, licence administrators),
// live ones unless all.
func (p *Pages) integrationsData(ctx context.Context, c *consoleVisit, all bool) (map[string]any, error) {
	var list struct {
		Integrations []api.Integration `json:"integrations"`
	}
	if err := p.call(ctx, c, http.MethodGet, "/api/v1/integrations", nil, &list); err != nil {
		return nil, err
	}
	data := p.consoleData(c, "integrations", "Integrations & tokens")
	rows := make([]consoleIntegrationRow, len(list.Integrations))
	byToken := map[string]string{}
	for i, in := range list.Integrations {
		rows[i] = consoleIntegrationRowOf(in)
		byToken[in.TokenID] = in.Name
	}
	data["Integrations"], data["Modes"], data["Scopes"], data["Lifetimes"] = rows, consoleIntegrationModes, consoleTokenScopes, consoleTokenLifetimes
	data["Form"], data["TokenForm"], data["Bad"] = consoleIntegrationForm{}, consoleTokenForm{}, ""
	if !c.can(api.PermAudit) {
		return data, nil
	}
	tokens, err := p.consoleTokenRows(ctx, c, byToken)
	if err != nil {
		return nil, err
	}
	var shown []consoleTokenRow
	hidden := 0
	for _, t := range tokens {
		if all || t.State == "live" {
			shown = append(shown, t)
		} else {
			hidden++
		}
	}
	data["Tokens"], data["AllTokens"] = shown, all
	if hidden > 0 {
		data["HiddenTokens"] = plural.Of(hidden, "revoked or expired token")
	}
	return data, nil
}

// consoleTokenRows lists the tokens, each with its state and the integration
// that calls with it.
func (p *Pages) consoleTokenRows(ctx context.Context, c *consoleVisit, byToken map[string]string) ([]consoleTokenRow, error) {
	var out struct {
		Tokens []consoleTokenJSON `json:"tokens"`
	}
	if err := p.call(ctx, c, http.MethodGet, "/api/v1/tokens", nil, &out); err != nil {
		return nil, err
	}
	now := p.svc.Store.Now()
	rows := make([]consoleTokenRow, len(out.Tokens))
	for i, t := range out.Tokens {
		st := "live"
		switch {
		case t.RevokedAt != nil:
			st = "revoked"
		case t.ExpiresAt != nil && !now.Before(*t.ExpiresAt):
			st = "expired"
		}
		rows[i] = consoleTokenRow{consoleTokenJSON: t, State: st, Integration: byToken[t.ID], Yours: !c.who.Person() && c.who.Token.ID == t.ID}
	}
	return rows, nil
}

// integrationCreate makes an integration and shows its token, once.
func (p *Pages) integrationCreate(w http.ResponseWriter, r *http.Request, c *consoleVisit) {
	f := consoleIntegrationForm{Name: strings.TrimSpace(r.PostForm.Get("name")), Mode: r.PostForm.Get("mode"),
		Hold: strings.TrimSpace(r.PostForm.Get("hold_seconds")), MaxSeats: strings.TrimSpace(r.PostForm.Get("max_seats"))}
	body := map[string]any{"name": f.Name, "mode": f.Mode}
	err := consoleIntegrationFormInt(f.Hold, "hold_seconds", "The seat hold", body)
	if err == nil {
		err = consoleIntegrationFormInt(f.MaxSeats, "max_seats", "The seat cap", body)
	}
	var in api.Integration
	if err == nil {
		err = p.call(r.Context(), c, http.MethodPost, "/api/v1/integrations", body, &in)
	}
	if err != nil {
		p.integrationsRefused(w, r, c, err, func(d map[string]any) { d["Form"] = f })
		return
	}
	p.showIntegrationSecret(w, c, integrationSecret{
		Title: in.Name + " was created", Name: in.Name, Secret: in.Token, Integration: true,
		What: in.Name + " calls in " + in.Mode + " mode with this token, for the person it names in each call.",
		Next: "/admin/integrations/" + url.PathEscape(in.Name), NextLabel: "Open " + in.Name,
	})
}

// tokenCreate makes a token and shows its secret, once.
func (p *Pages) tokenCreate(w http.ResponseWriter, r *http.Request, c *consoleVisit) {
	f := consoleTokenForm{Name: strings.TrimSpace(r.PostForm.Get("name")), Scope: r.PostForm.Get("scope"), TTL: r.PostForm.Get("ttl")}
	var t consoleTokenJSON
	err := p.call(r.Context(), c, http.MethodPost, "/api/v1/tokens", map[string]string{"name": f.Name, "scope": f.Scope, "ttl": f.TTL}, &t)
	if err != nil {
		p.integrationsRefused(w, r, c, err, func(d map[string]any) { d["TokenForm"] = f })
		return
	}
	what := "A " + t.Scope + " token: " + tokenScopeMeans(t.Scope) + "."
	if t.ExpiresAt != nil {
		what += " It expires " + t.ExpiresAt.UTC().Format("2006-01-02 15:04 UTC") + "."
	}
	p.showIntegrationSecret(w, c, integrationSecret{Title: "The token " + t.Name + " was created", Name: t.Name, Secret: t.Token, What: what,
		Next: "/admin/integrations#tokens", NextLabel: "Back to the tokens"})
}

func tokenScopeMeans(scope string) string {
	for _, s := range consoleTokenScopes {
		if s.Scope == scope {
			return s.Means
		}
	}
	return scope
}

// integrationsRefused shows the list again with the API's refusal and
// what the person typed (keep puts it back).
func (p *Pages) integrationsRefused(w http.ResponseWriter, r *http.Request, c *consoleVisit, err error, keep func(map[string]any)) {
	status, f := p.integrationExplain(r, err)
	data, lerr := p.integrationsData(r.Context(), c, false)
	if lerr != nil {
		p.fail(w, r, c.v, err)
		return
	}
	keep(data)
	data["Flash"], data["Bad"] = f, refusedField(err)
	p.render(w, "console_integrations.html", status, data)
}

// explainChange is explain for a change the caller's roles may not make:
// the API names the route it refused, the page the role it takes.
func (p *Pages) integrationExplain(r *http.Request, err error) (int, *flash) {
	status, f := p.explain(r, err)
	if licensing.ErrorCode(err) == licensing.CodeForbidden {
		f.Text = "Your roles do not allow this change: creating, changing, rotating and revoking integrations and tokens need the licence administrator role."
	}
	return status, f
}

// badField is the form field a refusal names, to mark it.
func refusedField(err error) string {
	if e, ok := licensing.AsError(err); ok {
		return e.Field
	}
	return ""
}

// formInt puts a whole number typed into a form into body under key; an
// empty field leaves the API's default.
func consoleIntegrationFormInt(v, key, what string, body map[string]any) error {
	if v == "" {
		return nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return licensing.FieldErrorf(licensing.CodeInvalid, key, "%s must be a whole number", strings.ToLower(what[:1])+what[1:])
	}
	body[key] = n
	return nil
}

// integrationSecret is the one page that shows a secret: after the change that
// made it, never stored, never cached.
type integrationSecret struct {
	Title, Name, Secret, What, Next, NextLabel string
	Integration                                bool
}

func (p *Pages) showIntegrationSecret(w http.ResponseWriter, c *consoleVisit, s integrationSecret) {
	data := p.consoleData(c, "integrations", s.Title)
	data["Secret"] = s
	w.Header().Set("Cache-Control", "no-store")
	p.render(w, "console_integrations_secret.html", http.StatusOK, data)
}

func (p *Pages) tokenRevokeConfirm(w http.ResponseWriter, r *http.Request, c *consoleVisit) {
	t, err := p.consoleToken(r.Context(), c, r.PathValue("id"))
	if err != nil {
		p.fail(w, r, c.v, err)
		return
	}
	title := "Revoke the token " + t.Name
	lines := []string{"Revoking " + t.Name + " stops its calls at once: every request with it is refused (401 unauthorized).",
		"It cannot be undone: create a new token if one is needed again."}
	switch {
	case t.State != "live":
		p.integrationConfirmPage(w, c, integrationConfirmation{Title: "Revoke the token " + t.Name, Lines: []string{t.Name + " is already " + t.State + ": there is nothing to revoke."}, Back: "/admin/integrations#tokens"})
		return
	case t.Integration != "":
		title = "Revoke " + t.Integration + "'s token"
		lines = []string{"Revoking " + t.Integration + "'s token stops its calls at once: every request with it is refused (401 unauthorized).",
			t.Integration + " stays, shown as disabled; rotating its token on its page enables it again."}
	case t.Yours:
		lines = append(lines, "It is the token this console is open with: you will be signed out.")
	}
	p.integrationConfirmPage(w, c, integrationConfirmation{Title: title, Lines: lines, Danger: true, Button: "Revoke the token",
		Action: "/admin/tokens/" + url.PathEscape(t.ID) + "/revoke", Back: "/admin/integrations#tokens"})
}

func (p *Pages) tokenRevoke(w http.ResponseWriter, r *http.Request, c *consoleVisit) {
	id := r.PathValue("id")
	if err := p.call(r.Context(), c, http.MethodDelete, "/api/v1/tokens/"+url.PathEscape(id), nil, nil); err != nil {
		p.integrationsRefused(w, r, c, err, func(map[string]any) {})
		return
	}
	doneTo(w, r, "/admin/integrations", "token-revoked")
}

// consoleToken finds a token of the list by id (the API's list: the caller
// must be allowed to read the tokens).
func (p *Pages) consoleToken(ctx context.Context, c *consoleVisit, id string) (consoleTokenRow, error) {
	var list struct {
		Integrations []api.Integration `json:"integrations"`
	}
	if err := p.call(ctx, c, http.MethodGet, "/api/v1/integrations", nil, &list); err != nil {
		return consoleTokenRow{}, err
	}
	byToken := map[string]string{}
	for _, in := range list.Integrations {
		byToken[in.TokenID] = in.Name
	}
	rows, err := p.consoleTokenRows(ctx, c, byToken)
	if err != nil {
		return consoleTokenRow{}, err
	}
	for _, t := range rows {
		if t.ID == id {
			return t, nil
		}
	}
	return consoleTokenRow{}, licensing.Errorf(licensing.CodeNotFound, "there is no token %q", id)
}

// integrationConfirmation is a confirmation: what the change will do, then the form
// that makes it (Action; none when there is nothing to do).
type integrationConfirmation struct {
	Title  string
	Lines  []string
	Action string
	Hidden []integrationHidden
	Button string
	Danger bool
	Back   string
}

type integrationHidden struct{ Name, Value string }

func (p *Pages) integrationConfirmPage(w http.ResponseWriter, c *consoleVisit, ct integrationConfirmation) {
	data := p.consoleData(c, "integrations", ct.Title)
	data["Confirm"] = ct
	p.render(w, "console_integrations_confirm.html", http.StatusOK, data)
}
