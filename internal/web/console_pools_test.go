package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// poolsAdmin seeds the catalog and signs in a licence administrator.
func poolsAdmin(t *testing.T) (*env, catalog, *user) {
	t.Helper()
	e := newEnv(t)
	cat := e.seed()
	lena := e.person("lena@example.com", "Lena Licence")
	e.grant(lena, licensing.RoleLicenceAdmin)
	return e, cat, e.login(lena)
}

// poolsAuditActor returns the actor of the newest audit entry of action on
// subject, or "" when there is none.
func poolsAuditActor(e *env, action, subject string) string {
	e.t.Helper()
	entries, err := e.st.ListAudit(e.ctx, 0, 10000)
	if err != nil {
		e.t.Fatalf("ListAudit: %v", err)
	}
	actor := ""
	for _, x := range entries {
		if x.Action == action && x.Subject == subject {
			actor = x.Actor
		}
	}
	return actor
}

// poolsHold starts a session for u through the API as the platform, as a
// desk would: it leases a seat of each concurrent pool u is registered
// for. It returns the session's id.
func poolsHold(e *env, u licensing.User) string {
	e.t.Helper()
	var s struct {
		ID string `json:"id"`
	}
	if st := poolsAPI(e, "POST", "/api/v1/sessions", `{"user":"`+u.UserName+`"}`, &s); st != http.StatusCreated {
		e.t.Fatalf("session for %s: %d", u.UserName, st)
	}
	return s.ID
}

// poolsAPI calls the API as the platform and decodes the answer into out.
func poolsAPI(e *env, method, path, body string, out any) int {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+e.platform)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil && resp.StatusCode < 300 {
			e.t.Fatalf("%s %s: decode: %v", method, path, err)
		}
	}
	return resp.StatusCode
}

func newPoolForm(extra url.Values) url.Values {
	f := url.Values{"id": {"agents-emea"}, "sku": {"agent"}, "model": {"concurrent"}, "seats": {"12"}, "overdraft": {"2"}, "monthly_price": {"120.50"},
		"warn_at": {"80"}, "starts": {"2026-01-01"}, "ends": {"2026-12-31"}, "idle_timeout": {"45m"}, "linger": {"2m"},
		"reservations": {"desk-eu = 3"}, "limits": {"contractors = 4"}, "queue": {"on"}, "queue_max_length": {"25"}, "queue_offer_ttl": {"10m"},
		"queue_priority": {"major-incident = 10"}}
	for k, v := range extra {
		f[k] = v
	}
	return f
}

// TestConsolePoolsCreateListsAndChanges: the list tells a full pool from
// one near capacity; a new pool and a change are each shown as what they
// will do, made only once confirmed, through the API (audited under the
// person's name), every field of the pool's JSON carried.
func TestConsolePoolsCreateListsAndChanges(t *testing.T) {
	e, cat, admin := poolsAdmin(t)
	poolsHold(e, cat.fred) // the one seat of agents-floating

	list := admin.get("/admin/pools")
	if list.Status != http.StatusOK {
		t.Fatalf("/admin/pools: %d %.300s", list.Status, list.Body)
	}
	for _, id := range []string{"pool-agents-named", "pool-agents-floating", "pool-stakeholders", "sku-agent", "new-pool", "new-sku"} {
		if !hasID(list.Body, id) {
			t.Errorf("/admin/pools lacks #%s", id)
		}
	}
	if st := attrOf(t, list.Body, "pool-agents-floating", "data-state"); st != "full" {
		t.Errorf("agents-floating with its one seat held: data-state %q, want full", st)
	}
	row := element(t, list.Body, "pool-agents-floating", "article")
	if !strings.Contains(row, ">full<") || strings.Contains(row, "near capacity") {
		t.Errorf("a full pool must read full, not near capacity: %s", text(row))
	}

	// The form's first post shows what will happen and changes nothing.
	form := newPoolForm(nil)
	confirm := admin.post("/admin/pools", form)
	if confirm.Status != http.StatusOK || !hasID(confirm.Body, "confirm-form") {
		t.Fatalf("first post: %d, want the confirmation; %.600s", confirm.Status, confirm.Body)
	}
	lines := text(element(t, confirm.Body, "confirm-lines", "ul"))
	for _, want := range []string{"Create the concurrent pool agents-emea of Service desk agent (agent) with 12 seats", "Overdraft seats: 2", "$120.5",
		"Valid from: 2026-01-01", "Valid until (last day): 2026-12-31", "Idle timeout: 45m", "Linger after sign-out: 2m", "desk-eu = 3", "contractors = 4", "at most 25 waiting"} {
		if !strings.Contains(lines, want) {
			t.Errorf("confirmation lacks %q: %s", want, lines)
		}
	}
	if _, err := e.st.GetPool(e.ctx, "agents-emea"); licensing.ErrorCode(err) != licensing.CodeNotFound {
		t.Fatalf("the pool exists before the confirmation: %v", err)
	}
	// Confirmed: made, and the list shows it.
	form.Set("confirmed", "yes")
	done := admin.post("/admin/pools", form)
	if done.Status != http.StatusSeeOther || done.Location() != "/admin/pools?done=pool-created" {
		t.Fatalf("confirmed create: %d %q; %.600s", done.Status, done.Location(), done.Body)
	}
	p, err := e.st.GetPool(e.ctx, "agents-emea")
	if err != nil {
		t.Fatalf("GetPool after create: %v", err)
	}
	day := func(s string) time.Time { d, _ := time.Parse("2006-01-02", s); return d }
	if p.Seats != 12 || p.Overdraft != 2 || p.MonthlyPrice != 120.5 || p.WarnAt != 0.8 || !p.Starts.Equal(day("2026-01-01")) || !p.Ends.Equal(day("2027-01-01")) ||
		p.IdleTimeout != 45*time.Minute || p.Linger != 2*time.Minute || p.Reservations["desk-eu"] != 3 || p.Limits["contractors"] != 4 ||
		p.Queue == nil || p.Queue.MaxLength != 25 || p.Queue.OfferTTL != 10*time.Minute || p.Queue.Priority["major-incident"] != 10 {
		t.Errorf("created pool %+v (queue %+v): not what the form said", p, p.Queue)
	}
	if a := poolsAuditActor(e, "pool.create", "pool:agents-emea"); a != "web:lena@example.com" {
		t.Errorf("pool.create audited as %q, want web:lena@example.com", a)
	}
	after := admin.get("/admin/pools?done=pool-created")
	if _, _, msg := flashOf(t, after.Body); msg != "The pool was created." || !hasID(after.Body, "pool-agents-emea") {
		t.Errorf("list after create: flash %q, has the pool %v", msg, hasID(after.Body, "pool-agents-emea"))
	}

	// The change form holds the pool as it is; a change is said in words.
	edit := admin.get("/admin/pools/agents-emea/edit")
	if edit.Status != http.StatusOK || attrOf(t, edit.Body, "f-ends", "value") != "2026-12-31" || attrOf(t, edit.Body, "f-idle", "value") != "45m" {
		t.Fatalf("edit form: %d, ends %q, idle %q", edit.Status, attrOf(t, edit.Body, "f-ends", "value"), attrOf(t, edit.Body, "f-idle", "value"))
	}
	change := newPoolForm(url.Values{"seats": {"10"}, "idle_timeout": {"1h"}})
	confirm = admin.post("/admin/pools/agents-emea", change)
	lines = text(element(t, confirm.Body, "confirm-lines", "ul"))
	if !strings.Contains(lines, "Change seats of agents-emea from 12 to 10") || !strings.Contains(lines, "Change idle timeout of agents-emea from 45m to 1h") || strings.Contains(lines, "linger") {
		t.Errorf("change confirmation: %s", lines)
	}
	if p, _ := e.st.GetPool(e.ctx, "agents-emea"); p.Seats != 12 {
		t.Fatalf("changed before the confirmation: seats %d", p.Seats)
	}
	// "Change something first" sends the form back with what was typed.
	back := change
	back.Set("edit", "yes")
	if f := admin.post("/admin/pools/agents-emea", back); !hasID(f.Body, "pool-form") || attrOf(t, f.Body, "f-seats", "value") != "10" {
		t.Errorf("back to the form: seats %q", attrOf(t, f.Body, "f-seats", "value"))
	}
	back.Del("edit")
	change.Set("confirmed", "yes")
	if done := admin.post("/admin/pools/agents-emea", change); done.Status != http.StatusSeeOther {
		t.Fatalf("confirmed change: %d %.600s", done.Status, done.Body)
	}
	if p, _ := e.st.GetPool(e.ctx, "agents-emea"); p.Seats != 10 || p.IdleTimeout != time.Hour || !p.Ends.Equal(day("2027-01-01")) {
		t.Errorf("after the change: seats %d, idle %v, ends %v", p.Seats, p.IdleTimeout, p.Ends)
	}
	if a := poolsAuditActor(e, "pool.update", "pool:agents-emea"); a != "web:lena@example.com" {
		t.Errorf("pool.update audited as %q", a)
	}
	// The same form again changes nothing and says so.
	change.Del("confirmed")
	if same := admin.post("/admin/pools/agents-emea", change); hasID(same.Body, "confirm-form") || !strings.Contains(same.Body, "Nothing to change") {
		t.Errorf("an unchanged form still asks to confirm: %.400s", same.Body)
	}

	// Retire: confirmed first; a pool people hold is refused with the API's conflict.
	ret := admin.get("/admin/pools/agents-floating/retire")
	if !hasID(ret.Body, "confirm-form") || !strings.Contains(ret.Body, "will be refused") {
		t.Errorf("retire confirmation of a held pool lacks the warning: %.600s", ret.Body)
	}
	refused := admin.post("/admin/pools/agents-floating/retire", url.Values{"confirmed": {"yes"}})
	if _, code, msg := flashOf(t, refused.Body); refused.Status != http.StatusConflict || code != "conflict" || !strings.Contains(msg, "2 members and 1 lease") {
		t.Errorf("retire a held pool: %d %q %q", refused.Status, code, msg)
	}
	if done := admin.post("/admin/pools/agents-emea/retire", url.Values{"confirmed": {"yes"}}); done.Status != http.StatusSeeOther || done.Location() != "/admin/pools?done=pool-retired" {
		t.Fatalf("retire an empty pool: %d %q", done.Status, done.Location())
	}
	if _, err := e.st.GetPool(e.ctx, "agents-emea"); licensing.ErrorCode(err) != licensing.CodeNotFound {
		t.Errorf("retired pool still there: %v", err)
	}
}

// TestConsolePoolsRefusals: the API's refusals come back on the form, with
// its code and status, the field marked and what was typed kept; nothing
// changes.
func TestConsolePoolsRefusals(t *testing.T) {
	e, cat, admin := poolsAdmin(t)
	e.person("ned@example.com", "Ned Named", "agents-named") // agents-named: 2 of 2 assigned
	poolsHold(e, cat.fred)                                   // agents-floating: 1 of 1 held
	named := url.Values{"seats": {"1"}, "overdraft": {"0"}, "monthly_price": {"95"}, "warn_at": {"90"}, "confirmed": {"yes"}}
	floating := url.Values{"seats": {"0"}, "overdraft": {"0"}, "monthly_price": {"140"}, "warn_at": {"90"}, "idle_timeout": {"30m"}, "queue": {"on"}, "queue_max_length": {"10"}, "confirmed": {"yes"}}
	with := func(v url.Values, k, s string) url.Values {
		c := url.Values{}
		for kk, vv := range v {
			c[kk] = append([]string(nil), vv...)
		}
		c.Set(k, s)
		return c
	}
	for _, tc := range []struct {
		name, path string
		form       url.Values
		status     int
		code, bad  string
		says, kept string // in the flash; a field value the form keeps
	}{
		{"shrink a named pool below its holders", "/admin/pools/agents-named", named, 409, "conflict", "seats",
			`Pool "agents-named" has 2 seats assigned: revoke 1 before shrinking to 1 seat.`, "1"},
		{"shrink a concurrent pool below its holders", "/admin/pools/agents-floating", floating, 409, "conflict", "seats",
			`Pool "agents-floating" has 1 seat held now: release 1 lease before shrinking to 0 seats.`, "0"},
		{"valid until before valid from", "/admin/pools", newPoolForm(url.Values{"starts": {"2026-05-01"}, "ends": {"2026-04-30"}, "confirmed": {"yes"}}), 400, "invalid_request", "ends", "ends must be after starts", ""},
		{"a day that is no day", "/admin/pools", newPoolForm(url.Values{"starts": {"next monday"}, "confirmed": {"yes"}}), 400, "invalid_request", "starts", "starts must be an RFC 3339 time", ""},
		{"idle timeout not a duration", "/admin/pools/agents-floating", with(floating, "idle_timeout", "soon"), 400, "invalid_request", "idle_timeout", "idle_timeout must be a non-negative duration", "soon"},
		{"idle timeout too short", "/admin/pools/agents-floating", with(floating, "idle_timeout", "10s"), 400, "invalid_request", "idle_timeout", "idle_timeout must be from 1m0s to 720h0m0s", "10s"},
		{"linger too long", "/admin/pools/agents-floating", with(floating, "linger", "2h"), 400, "invalid_request", "linger", "linger must be 0 or from 1s to 1h", ""},
		{"queue place time not a duration", "/admin/pools/agents-floating", with(floating, "queue_offer_ttl", "later"), 400, "invalid_request", "queue.offer_ttl", "offer_ttl", ""},
		{"cooldown too short", "/admin/pools/agents-named", with(named, "cooldown", "5m"), 400, "invalid_request", "cooldown", "cooldown must be 0 or from 1h", ""},
		{"seats not a number", "/admin/pools/agents-named", with(named, "seats", "ten"), 400, "invalid_request", "seats", `Seats must be a whole number, not "ten"`, "ten"},
		{"a reservation line without its number", "/admin/pools/agents-floating", with(floating, "reservations", "desk-eu"), 400, "invalid_request", "reservations", "must read group = number", ""},
		{"reservations above the seats", "/admin/pools/agents-floating", with(with(floating, "seats", "1"), "reservations", "desk-eu = 5"), 400, "invalid_request", "reservations", "reservations map group names", ""},
		{"an unknown SKU", "/admin/pools", newPoolForm(url.Values{"sku": {"nope"}, "confirmed": {"yes"}}), 404, "not_found", "sku", `Sku "nope" not found`, ""},
		{"a pool id taken", "/admin/pools", newPoolForm(url.Values{"id": {"agents-named"}, "model": {"named"}, "reservations": nil, "limits": nil, "queue": nil, "linger": nil, "confirmed": {"yes"}}), 409, "conflict", "id", "already exists", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before, _ := e.st.ListPools(e.ctx)
			p := admin.post(tc.path, tc.form)
			class, code, msg := flashOf(t, p.Body)
			if p.Status != tc.status || class != "error" || code != tc.code || !strings.Contains(strings.ToLower(msg), strings.ToLower(tc.says)) {
				t.Fatalf("%d flash %q %q %q; want %d %s saying %q", p.Status, class, code, msg, tc.status, tc.code, tc.says)
			}
			if !hasID(p.Body, "pool-form") {
				t.Fatalf("the refusal does not show the form again: %.500s", p.Body)
			}
			if !strings.Contains(p.Body, `name="`+formName(tc.bad)+`"`) || !strings.Contains(element(t, p.Body, fieldID(tc.bad), ""), `aria-invalid="true"`) {
				t.Errorf("field %s not marked", tc.bad)
			}
			if tc.kept != "" {
				if v := attrOf(t, p.Body, fieldID(tc.bad), "value"); v != tc.kept {
					t.Errorf("the form lost what was typed: %s = %q, want %q", tc.bad, v, tc.kept)
				}
			}
			after, _ := e.st.ListPools(e.ctx)
			if len(after) != len(before) {
				t.Errorf("pools %d → %d after a refusal", len(before), len(after))
			}
			for i := range after {
				if i < len(before) && (after[i].Seats != before[i].Seats || after[i].IdleTimeout != before[i].IdleTimeout || after[i].Linger != before[i].Linger) {
					t.Errorf("pool %s changed after a refusal", after[i].ID)
				}
			}
		})
	}
}

// formName and fieldID map the API's field to the form's input name and id.
func formName(field string) string { return strings.ReplaceAll(field, ".", "_") }

func fieldID(field string) string {
	return map[string]string{"seats": "f-seats", "ends": "f-ends", "starts": "f-starts", "idle_timeout": "f-idle", "linger": "f-linger", "cooldown": "f-cooldown",
		"queue.offer_ttl": "f-queue-ttl", "reservations": "f-reservations", "sku": "f-sku", "id": "f-id"}[field]
}

// TestConsolePoolsRolesRefused: an identity administrator and an auditor
// read the catalog but are offered no change, and a change they post is the
// API's 403: nothing changes.
func TestConsolePoolsRolesRefused(t *testing.T) {
	e := newEnv(t)
	e.seed()
	ida := e.person("ida@example.com", "Ida Identity")
	e.grant(ida, licensing.RoleIdentityAdmin)
	aldo := e.person("aldo@example.com", "Aldo Auditor")
	e.grant(aldo, licensing.RoleAuditor)
	for _, u := range []licensing.User{ida, aldo} {
		b := e.login(u)
		list := b.get("/admin/pools")
		if list.Status != http.StatusOK || !hasID(list.Body, "pool-agents-named") {
			t.Fatalf("%s reads /admin/pools: %d", u.UserName, list.Status)
		}
		for _, id := range []string{"new-pool", "new-sku", "edit-agents-named", "retire-agents-named"} {
			if hasID(list.Body, id) {
				t.Errorf("%s is offered #%s", u.UserName, id)
			}
		}
		for _, path := range []string{"/admin/pools/new", "/admin/pools/agents-named/edit", "/admin/pools/agents-named/retire", "/admin/skus/new", "/admin/skus/agent/retire"} {
			if p := b.get(path); p.Status != http.StatusForbidden {
				t.Errorf("%s GET %s: %d, want 403", u.UserName, path, p.Status)
			}
		}
		for _, c := range []struct {
			path string
			form url.Values
		}{
			{"/admin/pools", newPoolForm(url.Values{"confirmed": {"yes"}})},
			{"/admin/pools", newPoolForm(nil)},
			{"/admin/pools/agents-named", url.Values{"seats": {"9"}, "confirmed": {"yes"}}},
			{"/admin/pools/agents-named/retire", url.Values{"confirmed": {"yes"}}},
			{"/admin/skus", url.Values{"key": {"extra"}, "tier": {"fulfiller"}, "confirmed": {"yes"}}},
			{"/admin/skus/agent", url.Values{"name": {"Renamed"}, "tier": {"fulfiller"}, "confirmed": {"yes"}}},
			{"/admin/skus/stakeholder/retire", url.Values{"confirmed": {"yes"}}},
		} {
			p := b.post(c.path, c.form)
			if _, code, _ := flashOf(t, p.Body); p.Status != http.StatusForbidden || code != "forbidden" {
				t.Errorf("%s POST %s: %d %q, want the 403 page", u.UserName, c.path, p.Status, code)
			}
		}
		if _, err := e.st.GetPool(e.ctx, "agents-emea"); licensing.ErrorCode(err) != licensing.CodeNotFound {
			t.Errorf("%s created a pool", u.UserName)
		}
		if p, _ := e.st.GetPool(e.ctx, "agents-named"); p.Seats != 2 {
			t.Errorf("%s changed agents-named: seats %d", u.UserName, p.Seats)
		}
		if k, err := e.st.GetSKU(e.ctx, "agent"); err != nil || k.Name != "Service desk agent" {
			t.Errorf("%s changed the agent SKU: %+v %v", u.UserName, k, err)
		}
		if _, err := e.st.GetSKU(e.ctx, "stakeholder"); err != nil {
			t.Errorf("%s retired a SKU: %v", u.UserName, err)
		}
	}
}

// TestConsoleSKUs: create, change and retire a SKU through the console;
// retiring one a pool still sells is the API's conflict.
func TestConsoleSKUs(t *testing.T) {
	e, _, admin := poolsAdmin(t)
	form := url.Values{"key": {"itsm-change"}, "name": {"Change management"}, "tier": {"module"}, "requires": {"agent"}, "monthly_price": {"30"}}
	confirm := admin.post("/admin/skus", form)
	if lines := text(element(t, confirm.Body, "confirm-lines", "ul")); !strings.Contains(lines, "Create the SKU itsm-change (Change management)") || !strings.Contains(lines, "Requires: agent") {
		t.Errorf("SKU confirmation: %s", lines)
	}
	form.Set("confirmed", "yes")
	if p := admin.post("/admin/skus", form); p.Status != http.StatusSeeOther || p.Location() != "/admin/pools?done=sku-created" {
		t.Fatalf("create SKU: %d %q %.400s", p.Status, p.Location(), p.Body)
	}
	if k, err := e.st.GetSKU(e.ctx, "itsm-change"); err != nil || k.Tier != licensing.TierModule || k.MonthlyPrice != 30 || len(k.Requires) != 1 {
		t.Fatalf("created SKU %+v %v", k, err)
	}
	change := url.Values{"name": {"Change & release"}, "tier": {"module"}, "requires": {"agent"}, "monthly_price": {"35"}}
	confirm = admin.post("/admin/skus/itsm-change", change)
	lines := text(element(t, confirm.Body, "confirm-lines", "ul"))
	if !strings.Contains(lines, "Change name of itsm-change from Change management to Change & release") || !strings.Contains(lines, "from $30 to $35") {
		t.Errorf("SKU change confirmation: %s", lines)
	}
	change.Set("confirmed", "yes")
	if p := admin.post("/admin/skus/itsm-change", change); p.Status != http.StatusSeeOther {
		t.Fatalf("change SKU: %d %.400s", p.Status, p.Body)
	}
	if k, _ := e.st.GetSKU(e.ctx, "itsm-change"); k.Name != "Change & release" || k.MonthlyPrice != 35 {
		t.Errorf("changed SKU %+v", k)
	}
	// A module without the SKU it requires is the API's refusal on the form.
	bad := url.Values{"key": {"lonely"}, "tier": {"module"}, "confirmed": {"yes"}}
	if p := admin.post("/admin/skus", bad); p.Status != http.StatusBadRequest || !hasID(p.Body, "sku-form") {
		t.Errorf("module without requires: %d", p.Status)
	} else if _, code, _ := flashOf(t, p.Body); code != "invalid_request" {
		t.Errorf("module without requires: code %q", code)
	}
	if p := admin.post("/admin/skus/agent/retire", url.Values{"confirmed": {"yes"}}); p.Status != http.StatusConflict {
		t.Errorf("retire a SKU pools sell: %d, want 409", p.Status)
	} else if _, code, msg := flashOf(t, p.Body); code != "conflict" || !strings.Contains(msg, "2 pools") {
		t.Errorf("retire a SKU pools sell: %q %q", code, msg)
	}
	if p := admin.post("/admin/skus/itsm-change/retire", url.Values{"confirmed": {"yes"}}); p.Status != http.StatusSeeOther {
		t.Fatalf("retire SKU: %d %.400s", p.Status, p.Body)
	}
	if _, err := e.st.GetSKU(e.ctx, "itsm-change"); licensing.ErrorCode(err) != licensing.CodeNotFound {
		t.Errorf("retired SKU still there: %v", err)
	}
	if a := poolsAuditActor(e, "sku.delete", "sku:itsm-change"); a != "web:lena@example.com" {
		t.Errorf("sku.delete audited as %q", a)
	}
}
