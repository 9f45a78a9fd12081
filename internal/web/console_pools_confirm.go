package web

import (
	"net/http"
	"net/url"
	"slices"
)

// confirmPage says what a change will do before it is made; its form posts
// the same fields again with confirmed=yes.
type confirmPage struct {
	Area, Title string
	Lines       []string
	Warnings    []string
	Action      string
	Fields      url.Values
	Button      string
	Back        string
	Danger      bool
	// Editable offers to go back to the form with what was typed.
	Editable bool
	Status   int
	Flash    *flash
}

// Hidden lists the fields to post again, in a stable order.
func (cp confirmPage) Hidden() []struct{ Name, Value string } {
	var out []struct{ Name, Value string }
	keys := make([]string, 0, len(cp.Fields))
	for k := range cp.Fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range cp.Fields[k] {
			out = append(out, struct{ Name, Value string }{k, v})
		}
	}
	return out
}

func (p *Pages) renderConfirm(w http.ResponseWriter, r *http.Request, c *consoleVisit, cp confirmPage) {
	data := p.consoleData(c, cp.Area, cp.Title)
	data["Confirm"], data["Flash"] = cp, cp.Flash
	status := cp.Status
	if status == 0 {
		status = http.StatusOK
	}
	p.render(w, "console_pools_confirm.html", status, data)
}
