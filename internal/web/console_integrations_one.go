package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/seatkeeper/seatkeeper/internal/api"
	"github.com/seatkeeper/seatkeeper/internal/plural"
)

// One integration: its settings with the form that changes them, and its
// token's rotation, disabling and deletion, each confirmed first.

func (p *Pages) integration(ctx context.Context, c *consoleVisit, id string) (api.Integration, error) {
	var in api.Integration
	err := p.call(ctx, c, http.MethodGet, "/api/v1/integrations/"+url.PathEscape(id), nil, &in)
	return in, err
}

func (p *Pages) integrationPage(w http.ResponseWriter, r *http.Request, c *consoleVisit) {
	in, err := p.integration(r.Context(), c, r.PathValue("id"))
	if err != nil {
		p.fail(w, r, c.v, err)
		return
	}
	data := p.integrationData(c, in)
	data["Flash"] = consoleFlash(r, integrationsDone)
	p.render(w, "console_integrations_one.html", http.StatusOK, data)
}

func (p *Pages) integrationData(c *consoleVisit, in api.Integration) map[string]any {
	data := p.consoleData(c, "integrations", in.Name)
	data["In"], data["Modes"], data["Bad"] = consoleIntegrationRowOf(in), consoleIntegrationModes, ""
	data["Form"] = consoleIntegrationForm{Name: in.Name, Mode: in.Mode, Hold: strconv.Itoa(in.HoldSeconds), MaxSeats: strconv.Itoa(in.MaxSeats)}
	q := url.Values{"subject": {"integration:" + in.Name}}
	data["TrailLink"] = "/admin/audit?" + q.Encode()
	q = url.Values{"actor": {in.ServiceAccount}}
	data["CallsLink"] = "/admin/audit?" + q.Encode()
	return data
}

// integrationUpdate changes the mode, seat hold and seat cap. A change of
// mode changes what the integration may do for unlicensed people, so it
// is shown for confirmation first; hold and cap apply at once.
func (p *Pages) integrationUpdate(w http.ResponseWriter, r *http.Request, c *consoleVisit) {
	in, err := p.integration(r.Context(), c, r.PathValue("id"))
	if err != nil {
		p.fail(w, r, c.v, err)
		return
	}
	f := consoleIntegrationForm{Name: in.Name, Mode: r.PostForm.Get("mode"), Hold: strings.TrimSpace(r.PostForm.Get("hold_seconds")), MaxSeats: strings.TrimSpace(r.PostForm.Get("max_seats"))}
	body := map[string]any{}
	if f.Mode != in.Mode {
		body["mode"] = f.Mode
	}
	err = consoleIntegrationFormInt(f.Hold, "hold_seconds", "The seat hold", body)
	if err == nil {
		err = consoleIntegrationFormInt(f.MaxSeats, "max_seats", "The seat cap", body)
	}
	if v, ok := body["hold_seconds"]; ok && v == in.HoldSeconds {
		delete(body, "hold_seconds")
	}
	if v, ok := body["max_seats"]; ok && v == in.MaxSeats {
		delete(body, "max_seats")
	}
	if err == nil && len(body) == 0 {
		doneTo(w, r, "/admin/integrations/"+url.PathEscape(in.Name), "unchanged")
		return
	}
	if _, mode := body["mode"]; err == nil && mode && r.PostForm.Get("confirmed") != "yes" && integrationModeMeans(f.Mode) != "" {
		lines := []string{in.Name + " changes from " + in.Mode + " to " + f.Mode + " mode at its next call: it " + integrationModeMeans(f.Mode) + "."}
		if f.Mode == "monitor" {
			lines = append(lines, "Fulfiller actions for people without a seat are then no longer refused or held: they are only flagged.")
		}
		if v, ok := body["hold_seconds"]; ok {
			lines = append(lines, "Seats taken for its calls are kept "+plural.Of(v.(int), "second")+" after each call.")
		}
		if v, ok := body["max_seats"]; ok {
			lines = append(lines, "It holds at most "+integrationCapWords(v.(int))+".")
		}
		p.integrationConfirmPage(w, c, integrationConfirmation{Title: "Change " + in.Name + "'s mode", Lines: lines, Button: "Change the mode",
			Action: "/admin/integrations/" + url.PathEscape(in.Name),
			Hidden: []integrationHidden{{"mode", f.Mode}, {"hold_seconds", f.Hold}, {"max_seats", f.MaxSeats}},
			Back:   "/admin/integrations/" + url.PathEscape(in.Name)})
		return
	}
	if err == nil {
		err = p.call(r.Context(), c, http.MethodPut, "/api/v1/integrations/"+url.PathEscape(in.Name), body, nil)
	}
	if err != nil {
		status, fl := p.integrationExplain(r, err)
		data := p.integrationData(c, in)
		data["Form"], data["Flash"], data["Bad"] = f, fl, refusedField(err)
		p.render(w, "console_integrations_one.html", status, data)
		return
	}
	doneTo(w, r, "/admin/integrations/"+url.PathEscape(in.Name), "changed")
}

func integrationCapWords(n int) string {
	if n == 0 {
		return "a tenth of each pool's seats, at least 1"
	}
	return plural.Of(n, "seat") + " of each pool"
}

// integrationAsk says what rotating, disabling or deleting will do.
func (p *Pages) integrationAsk(w http.ResponseWriter, r *http.Request, c *consoleVisit) {
	in, err := p.integration(r.Context(), c, r.PathValue("id"))
	if err != nil {
		p.fail(w, r, c.v, err)
		return
	}
	name, back := in.Name, "/admin/integrations/"+url.PathEscape(in.Name)
	ct := integrationConfirmation{Back: back, Action: back + "/" + r.PathValue("action"), Danger: true}
	held := "Seats it holds for people are returned within its seat hold (" + plural.Of(in.HoldSeconds, "second") + ")."
	switch r.PathValue("action") {
	case "rotate":
		ct.Title, ct.Button, ct.Danger = "Rotate "+name+"'s token", "Rotate the token", in.Enabled
		ct.Lines = []string{"Rotating " + name + "'s token stops its calls with the current token at once: they are refused (401 unauthorized).",
			"The next page shows the new token once: give it to " + name + "'s administrator, and its calls are accepted again."}
		if !in.Enabled {
			ct.Lines[0] = name + " is disabled: a new token enables it again."
		}
	case "disable":
		ct.Title, ct.Button = "Disable "+name, "Disable "+name
		ct.Lines = []string{"Disabling " + name + " revokes its token: its calls stop at once (401 unauthorized).", held,
			"Its mode, seat rules, service account and history stay; rotating its token enables it again."}
		if !in.Enabled {
			ct.Lines, ct.Action = []string{name + " is already disabled: there is nothing to do."}, ""
		}
	case "delete":
		ct.Title, ct.Button = "Delete "+name, "Delete "+name
		ct.Lines = []string{"Deleting " + name + " revokes its token, so its calls stop at once (401 unauthorized), and removes it from the list.", held,
			"Its service account, its calls in the reports and its audit trail stay; the name can be used again."}
	default:
		p.NotFound(w, r)
		return
	}
	p.integrationConfirmPage(w, c, ct)
}

func (p *Pages) integrationRotate(w http.ResponseWriter, r *http.Request, c *consoleVisit) {
	var in api.Integration
	id := r.PathValue("id")
	if err := p.call(r.Context(), c, http.MethodPost, "/api/v1/integrations/"+url.PathEscape(id)+"/rotate-token", nil, &in); err != nil {
		p.integrationRefused(w, r, c, id, err)
		return
	}
	p.showIntegrationSecret(w, c, integrationSecret{Title: in.Name + " has a new token", Name: in.Name, Secret: in.Token, Integration: true,
		What: "The old token is refused from now on; " + in.Name + " calls with this one.",
		Next: "/admin/integrations/" + url.PathEscape(in.Name), NextLabel: "Back to " + in.Name})
}

func (p *Pages) integrationDisable(w http.ResponseWriter, r *http.Request, c *consoleVisit) {
	id := r.PathValue("id")
	if err := p.call(r.Context(), c, http.MethodPost, "/api/v1/integrations/"+url.PathEscape(id)+"/disable", nil, nil); err != nil {
		p.integrationRefused(w, r, c, id, err)
		return
	}
	doneTo(w, r, "/admin/integrations/"+url.PathEscape(id), "disabled")
}

func (p *Pages) integrationDelete(w http.ResponseWriter, r *http.Request, c *consoleVisit) {
	id := r.PathValue("id")
	if err := p.call(r.Context(), c, http.MethodDelete, "/api/v1/integrations/"+url.PathEscape(id), nil, nil); err != nil {
		p.integrationRefused(w, r, c, id, err)
		return
	}
	doneTo(w, r, "/admin/integrations", "deleted")
}

// integrationRefused shows the integration's page again with the API's
// refusal (or the error page when it is gone).
func (p *Pages) integrationRefused(w http.ResponseWriter, r *http.Request, c *consoleVisit, id string, err error) {
	in, gerr := p.integration(r.Context(), c, id)
	if gerr != nil {
		p.fail(w, r, c.v, err)
		return
	}
	status, f := p.integrationExplain(r, err)
	data := p.integrationData(c, in)
	data["Flash"] = f
	p.render(w, "console_integrations_one.html", status, data)
}
