package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/seatkeeper/seatkeeper/internal/api"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/plural"
	"github.com/seatkeeper/seatkeeper/internal/provision"
)

// Group grants: a pool given to a SCIM group, so every active member holds
// a seat of it (PUT|DELETE /api/v1/pools/{pool}/groups/{group}). Both are
// confirmed first with what they will do to how many people; the answer's
// gains, waits and losses are then told.

// groupGrantIn is the answer of PUT and DELETE …/groups/{group}.
type groupGrantIn struct {
	Gains     []provision.ChangeJSON   `json:"gains"`
	Losses    []provision.ChangeJSON   `json:"losses"`
	Pending   []provision.ChangeJSON   `json:"pending"`
	Overflows []provision.OverflowJSON `json:"overflows"`
}

func groupPath(pool, group string) string {
	return "/api/v1/pools/" + url.PathEscape(pool) + "/groups/" + url.PathEscape(group)
}

// groupGrantConfirm says what giving a pool to a group (or taking it
// away) will do: how many active members, how many seats are free.
func (p *Pages) groupGrantConfirm(w http.ResponseWriter, r *http.Request, c *consoleVisit) {
	q := r.URL.Query()
	pool, group, remove := strings.TrimSpace(q.Get("pool")), strings.TrimSpace(q.Get("group")), q.Get("action") == "remove"
	ctx := r.Context()
	if !c.can(api.PermRead) {
		p.fail(w, r, c.v, licensing.Errorf(licensing.CodeForbidden, "reading groups needs a console role"))
		return
	}
	if pool == "" || group == "" {
		p.groupGrantRefused(w, r, c, licensing.FieldErrorf(licensing.CodeInvalid, "group", "choose a pool and name a group"))
		return
	}
	pl, err := p.svc.Store.GetPool(ctx, pool)
	if err != nil {
		p.groupGrantRefused(w, r, c, err)
		return
	}
	g, err := p.svc.Store.GetGroup(ctx, group)
	if err != nil {
		p.groupGrantRefused(w, r, c, err)
		return
	}
	active := 0
	for _, id := range g.Members {
		if u, ok := p.svc.Engine.User(id); ok && u.Active {
			active++
		}
	}
	free, err := p.svc.Store.PoolFree(ctx, pool)
	if err != nil {
		p.groupGrantRefused(w, r, c, err)
		return
	}
	members := plural.Of(active, "active member")
	pc := peopleConfirm{Back: "/admin/rules#group-grants"}
	if remove {
		pc.Title = fmt.Sprintf("Take pool %s away from group %s", pool, g.DisplayName)
		pc.Lines = []string{fmt.Sprintf("Revoke the seats of %s that group %s gave its %s.", pool, g.DisplayName, members),
			"Keep the seats of those who also hold one by a rule or by hand (they are given that reason instead).",
			"Give the freed seats to the longest-waiting grants of " + pool + "."}
		pc.Action, pc.Button = "/admin/rules/groups/remove", "Take the pool away"
	} else {
		pc.Title = fmt.Sprintf("Give pool %s to group %s", pool, g.DisplayName)
		each := "each of the " + members
		if active == 1 {
			each = "the one active member"
		}
		pc.Lines = []string{fmt.Sprintf("Give %s of group %s a seat of %s (%s, SKU %s) sourced from the group.", each, g.DisplayName, pool, pl.Model, pl.SKU),
			fmt.Sprintf("%s now; those who find none wait for a seat, longest first.", upperFirst(plural.Of(free, "seat")+" free")),
			"Give the same seat to whoever joins the group later, and take it back when they leave it or are deactivated."}
		pc.Action, pc.Button, pc.Safe = "/admin/rules/groups", "Give the pool to the group", true
	}
	if !c.can(api.PermIdentity) {
		pc.Disabled = "Only licence and identity administrators can change group grants."
	}
	pc.Hidden = []ruleHidden{{"pool", pool}, {"group", g.DisplayName}}
	data := p.consoleData(c, "rules", pc.Title)
	data["Confirm"] = pc
	p.render(w, "console_people_confirm.html", http.StatusOK, data)
}

// groupGrantRefused shows the rules page with the API's refusal.
func (p *Pages) groupGrantRefused(w http.ResponseWriter, r *http.Request, c *consoleVisit, err error) {
	status, fl := p.explain(r, err)
	data, derr := p.rulesData(r, c)
	if derr != nil {
		p.fail(w, r, c.v, err)
		return
	}
	data["Flash"] = fl
	p.render(w, "console_rules.html", status, data)
}

func (p *Pages) groupGrantPut(w http.ResponseWriter, r *http.Request, c *consoleVisit) {
	p.groupGrantChange(w, r, c, http.MethodPut)
}

func (p *Pages) groupGrantRemove(w http.ResponseWriter, r *http.Request, c *consoleVisit) {
	p.groupGrantChange(w, r, c, http.MethodDelete)
}

// groupGrantChange makes the grant (or takes it away) and shows the rules
// page with what reconciling the members did, in counts.
func (p *Pages) groupGrantChange(w http.ResponseWriter, r *http.Request, c *consoleVisit, method string) {
	pool, group := r.PostForm.Get("pool"), r.PostForm.Get("group")
	var out groupGrantIn
	if err := p.call(r.Context(), c, method, groupPath(pool, group), nil, &out); err != nil {
		p.groupGrantRefused(w, r, c, err)
		return
	}
	text := fmt.Sprintf("Pool %s was given to group %s: %s granted, %s waiting for a free seat.", pool, group,
		plural.Of(len(out.Gains), "seat"), plural.Of(len(out.Pending), "grant"))
	if method == http.MethodDelete {
		text = fmt.Sprintf("Pool %s was taken away from group %s: %s revoked.", pool, group, plural.Of(len(out.Losses), "seat"))
	}
	data, err := p.rulesData(r, c)
	if err != nil {
		p.fail(w, r, c.v, err)
		return
	}
	// The counts come from the API's answer, not from the address: shown
	// here rather than carried by a redirect.
	data["Flash"] = &flash{OK: true, Text: text}
	p.render(w, "console_rules.html", http.StatusOK, data)
}
