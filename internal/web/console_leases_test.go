package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

// leasesDecide asks the API whether u may move a ticket in session sid.
func leasesDecide(e *env, u licensing.User, sid string) (allow bool, reason string) {
	e.t.Helper()
	var d struct {
		Allow  bool   `json:"allow"`
		Reason string `json:"reason"`
	}
	if st := poolsAPI(e, "POST", "/api/v1/decide", fmt.Sprintf(`{"user":%q,"capability":"ticket.transition","session":%q}`, u.UserName, sid), &d); st != http.StatusOK {
		e.t.Fatalf("decide for %s: %d", u.UserName, st)
	}
	return d.Allow, d.Reason
}

var leaseRowRE = regexp.MustCompile(`<tr class="lease" id="lease-([^"]+)" data-user="([^"]+)"`)

// leaseRows lists the lease rows of a page as "user id".
func leaseRows(body string) map[string]string {
	out := map[string]string{}
	for _, m := range leaseRowRE.FindAllStringSubmatch(body, -1) {
		out[m[1]] = m[2]
	}
	return out
}

// TestConsoleLeasesReleaseAndEnd: the page lists who holds a seat, the
// sessions open and the queue; a force release (confirmed first, through
// the API, audited) returns the seat, and the person's next action needs a
// seat again — here refused, as the freed seat goes to the one queued; an
// administrator ends a session the same way.
func TestConsoleLeasesReleaseAndEnd(t *testing.T) {
	e, cat, admin := poolsAdmin(t)
	// Lazy sessions, as the agent pages open: a seat is leased at the
	// first agent action. Fred takes the one seat of agents-floating; flo,
	// refused, is queued.
	lazy := func(u licensing.User) string {
		var s struct {
			ID string `json:"id"`
		}
		if st := poolsAPI(e, "POST", "/api/v1/sessions", `{"user":"`+u.UserName+`","lazy":true}`, &s); st != http.StatusCreated {
			t.Fatalf("%s's session: %d", u.UserName, st)
		}
		return s.ID
	}
	fredSession := lazy(cat.fred)
	if allow, reason := leasesDecide(e, cat.fred, fredSession); !allow {
		t.Fatalf("fred's first action: %s", reason)
	}
	flo := struct{ ID string }{lazy(cat.flo)}
	if allow, _ := leasesDecide(e, cat.flo, flo.ID); allow {
		t.Fatalf("flo was let in to a full pool")
	}
	leases, err := e.st.LiveLeases(e.ctx, store.LiveFilter{Pool: "agents-floating"})
	if err != nil || len(leases) != 1 {
		t.Fatalf("LiveLeases: %v %v", leases, err)
	}
	lease := leases[0]

	page := admin.get("/admin/leases")
	if page.Status != http.StatusOK {
		t.Fatalf("/admin/leases: %d %.300s", page.Status, page.Body)
	}
	if rows := leaseRows(page.Body); rows[lease.ID] != "fred@example.com" || len(rows) != 1 {
		t.Errorf("lease rows %v, want fred's one lease %s", rows, lease.ID)
	}
	row := text(element(t, page.Body, "lease-"+lease.ID, "tr"))
	if !strings.Contains(row, "Fred Floating") || !strings.Contains(row, "agents-floating") {
		t.Errorf("lease row: %s", row)
	}
	if !hasID(page.Body, "session-"+fredSession) || !hasID(page.Body, "session-"+flo.ID) {
		t.Errorf("the open sessions lack fred's or flo's")
	}
	queue := element(t, page.Body, "queue-agents-floating", "table")
	if !strings.Contains(queue, `data-user="flo@example.com" data-position="1"`) {
		t.Errorf("agents-floating's queue lacks flo at position 1: %s", text(queue))
	}
	// Filters: by person, by pool; an unknown person is said so.
	if p := admin.get("/admin/leases?person=flo%40example.com"); len(leaseRows(p.Body)) != 0 || !hasID(p.Body, "session-"+flo.ID) || hasID(p.Body, "session-"+fredSession) {
		t.Errorf("filtered by flo: leases %v, flo's session %v, fred's %v", leaseRows(p.Body), hasID(p.Body, "session-"+flo.ID), hasID(p.Body, "session-"+fredSession))
	}
	if p := admin.get("/admin/leases?pool=agents-named"); len(leaseRows(p.Body)) != 0 || hasID(p.Body, "session-"+fredSession) {
		t.Errorf("filtered by agents-named: leases %v", leaseRows(p.Body))
	}
	if p := admin.get("/admin/leases?person=nobody%40example.com"); p.Status != http.StatusNotFound {
		t.Errorf("an unknown person: %d", p.Status)
	} else if _, code, _ := flashOf(t, p.Body); code != "not_found" {
		t.Errorf("an unknown person: code %q", code)
	}

	// Force release: said first, done once confirmed, by the API.
	confirm := admin.get("/admin/leases/" + lease.ID + "/release?pool=agents-floating")
	lines := text(element(t, confirm.Body, "confirm-lines", "ul"))
	if !strings.Contains(lines, "Release the seat of agents-floating that Fred Floating (fred@example.com) holds since") {
		t.Errorf("release confirmation: %s", lines)
	}
	if e.leases("agents-floating") != 1 {
		t.Fatalf("released before the confirmation")
	}
	done := admin.post("/admin/leases/"+lease.ID+"/release", url.Values{"confirmed": {"yes"}, "pool": {"agents-floating"}})
	if done.Status != http.StatusSeeOther || done.Location() != "/admin/leases?pool=agents-floating&done=released" {
		t.Fatalf("release: %d %q %.400s", done.Status, done.Location(), done.Body)
	}
	if l, _ := e.st.Lease(e.ctx, lease.ID); l.EndedAt.IsZero() || l.EndReason != licensing.EndAdmin {
		t.Errorf("released lease: ended %v reason %q", l.EndedAt, l.EndReason)
	}
	if a := poolsAuditActor(e, "lease.end", "pool:agents-floating/user:fred@example.com"); a != "web:lena@example.com" {
		t.Errorf("lease.end audited as %q", a)
	}
	// Fred's next agent action needs a seat again: flo, queued, comes first.
	if allow, reason := leasesDecide(e, cat.fred, fredSession); allow || reason != licensing.CodeMaxedOut {
		t.Errorf("fred's next action after the release: allow %v reason %q, want refused %s", allow, reason, licensing.CodeMaxedOut)
	}
	if allow, _ := leasesDecide(e, cat.flo, flo.ID); !allow {
		t.Errorf("flo, first in the queue, did not get the freed seat")
	}
	// Releasing it again is the API's conflict, on the confirmation.
	again := admin.post("/admin/leases/"+lease.ID+"/release", url.Values{"confirmed": {"yes"}})
	if _, code, _ := flashOf(t, again.Body); again.Status != http.StatusConflict || code != "conflict" {
		t.Errorf("release twice: %d %q", again.Status, code)
	}

	// End a session: flo's, holding the seat now.
	confirm = admin.get("/admin/sessions/" + flo.ID + "/end")
	if lines := text(element(t, confirm.Body, "confirm-lines", "ul")); !strings.Contains(lines, "End the session of Flo Floating (flo@example.com)") || !strings.Contains(lines, "1 seat (agents-floating)") {
		t.Errorf("end confirmation: %s", lines)
	}
	if done := admin.post("/admin/sessions/"+flo.ID+"/end", url.Values{"confirmed": {"yes"}}); done.Status != http.StatusSeeOther || done.Location() != "/admin/leases?done=ended" {
		t.Fatalf("end session: %d %q %.400s", done.Status, done.Location(), done.Body)
	}
	if ss, _ := e.st.GetSession(e.ctx, flo.ID); ss.EndedAt.IsZero() || ss.EndReason != licensing.EndAdmin {
		t.Errorf("ended session: %v %q", ss.EndedAt, ss.EndReason)
	}
	if e.leases("agents-floating") != 0 {
		t.Errorf("flo's seat did not return with her session")
	}
	if a := poolsAuditActor(e, "session.end", "user:flo@example.com"); a != "web:lena@example.com" {
		t.Errorf("session.end audited as %q", a)
	}
	if st := poolsAPI(e, "POST", "/api/v1/sessions/"+flo.ID+"/heartbeat", "", nil); st != http.StatusConflict {
		t.Errorf("heartbeat of the ended session: %d, want 409", st)
	}
}

// TestConsoleLeasesRolesRefused: an identity administrator and an auditor
// see the live seats but may not release or end: the API's 403, nothing
// changes.
func TestConsoleLeasesRolesRefused(t *testing.T) {
	e := newEnv(t)
	cat := e.seed()
	sid := poolsHold(e, cat.fred)
	leases, _ := e.st.LiveLeases(e.ctx, store.LiveFilter{})
	if len(leases) != 1 {
		t.Fatalf("leases %v", leases)
	}
	for _, role := range []licensing.Role{licensing.RoleIdentityAdmin, licensing.RoleAuditor} {
		u := e.person(string(role)+"@example.com", "Role "+string(role))
		e.grant(u, role)
		b := e.login(u)
		page := b.get("/admin/leases")
		if page.Status != http.StatusOK || len(leaseRows(page.Body)) != 1 || hasID(page.Body, "release-"+leases[0].ID) || hasID(page.Body, "end-"+sid) {
			t.Errorf("%s: /admin/leases %d, rows %v, offered release %v, end %v", role, page.Status, leaseRows(page.Body), hasID(page.Body, "release-"+leases[0].ID), hasID(page.Body, "end-"+sid))
		}
		for _, path := range []string{"/admin/leases/" + leases[0].ID + "/release", "/admin/sessions/" + sid + "/end"} {
			if p := b.get(path); p.Status != http.StatusForbidden {
				t.Errorf("%s GET %s: %d", role, path, p.Status)
			}
			if p := b.post(path, url.Values{"confirmed": {"yes"}}); p.Status != http.StatusForbidden {
				t.Errorf("%s POST %s: %d", role, path, p.Status)
			}
		}
		if e.leases("agents-floating") != 1 {
			t.Fatalf("%s released a lease", role)
		}
		if ss, _ := e.st.GetSession(e.ctx, sid); !ss.EndedAt.IsZero() {
			t.Fatalf("%s ended a session", role)
		}
	}
}

// TestConsoleLeasesPages: the lists page with keyset cursors, newest
// first, every lease once.
func TestConsoleLeasesPages(t *testing.T) {
	e, _, admin := poolsAdmin(t)
	a := licensing.System("test")
	if err := e.st.CreatePool(e.ctx, a, licensing.Pool{ID: "big", SKU: "agent", Model: licensing.ModelConcurrent, Seats: 70}); err != nil {
		t.Fatal(err)
	}
	for i := range 63 {
		u := e.person(fmt.Sprintf("p%02d@example.com", i), fmt.Sprintf("Person %02d", i), "big")
		poolsHold(e, u)
	}
	seen := map[string]bool{}
	path := "/admin/leases?pool=big"
	pages := 0
	for path != "" {
		p := admin.get(path)
		rows := leaseRows(p.Body)
		if len(rows) == 0 || len(rows) > 50 {
			t.Fatalf("%s: %d rows", path, len(rows))
		}
		for id := range rows {
			if seen[id] {
				t.Errorf("lease %s on two pages", id)
			}
			seen[id] = true
		}
		pages++
		path = ""
		if hasID(p.Body, "leases-next") {
			path = strings.ReplaceAll(attrOf(t, p.Body, "leases-next", "href"), "&amp;", "&")
		}
	}
	if pages != 2 || len(seen) != 63 {
		t.Errorf("%d pages, %d leases; want 2 pages of all 63", pages, len(seen))
	}
}

// TestConsoleLeasesBreakGlass: the admin token's console (no person) reads
// both areas and releases a lease, audited under the token.
func TestConsoleLeasesBreakGlass(t *testing.T) {
	e := newEnv(t)
	cat := e.seed()
	poolsHold(e, cat.fred)
	c := e.browser()
	e.signIn(c)
	leases, _ := e.st.LiveLeases(e.ctx, store.LiveFilter{})
	csrf := ""
	for _, path := range []string{"/admin/pools", "/admin/leases", "/admin/pools/agents-floating/edit", "/admin/leases/" + leases[0].ID + "/release"} {
		p := e.do(c, "GET", path, nil, "")
		if p.Status != http.StatusOK {
			t.Fatalf("break-glass GET %s: %d %.300s", path, p.Status, p.Body)
		}
		if hasID(p.Body, "confirm-form") {
			csrf = csrfOf(t, p.Body)
		}
	}
	p := e.do(c, "POST", "/admin/leases/"+leases[0].ID+"/release", url.Values{"csrf": {csrf}, "confirmed": {"yes"}}, e.srv.URL)
	if p.Status != http.StatusSeeOther {
		t.Fatalf("break-glass release: %d %.300s", p.Status, p.Body)
	}
	if a := poolsAuditActor(e, "lease.end", "pool:agents-floating/user:fred@example.com"); a != "token:console-admin" {
		t.Errorf("lease.end audited as %q, want token:console-admin", a)
	}
}
