package web_test

import (
	"cmp"
	"database/sql"
	"encoding/csv"
	"fmt"
	"html"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/audit"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// auditFixture seeds the catalog, writes a varied log (more than a page
// of several actions, actors, acting users and subjects) and signs in an
// auditor.
func auditFixture(t *testing.T) (*env, *user) {
	t.Helper()
	e := newEnv(t)
	e.seed()
	aldo := e.person("aldo@example.com", "Aldo Auditor")
	e.grant(aldo, licensing.RoleAuditor)
	for i := 0; i < 70; i++ {
		var a licensing.Actor
		var action, subject string
		switch i % 3 {
		case 0:
			a, action, subject = licensing.Actor{Name: "web:ann@example.com", Source: "10.0.0.1"}, "ticket.create", fmt.Sprintf("ticket:INC-%06d", i)
		case 1:
			a, action, subject = licensing.Actor{Name: "web:fred@example.com", Source: "10.0.0.2"}, "lease.start", "pool:agents-floating/user:fred@example.com"
		default:
			a, action, subject = licensing.Actor{Name: "slack-hub", ActingUser: "fred@example.com", Source: "10.0.0.3"}, "integration.blocked", "integration:slack-hub"
		}
		if err := e.st.RecordEvent(e.ctx, a, action, subject, "ok", fmt.Sprintf(`{"n":%d}`, i)); err != nil {
			t.Fatalf("RecordEvent: %v", err)
		}
	}
	return e, e.login(aldo)
}

// chain is the whole log as stored, oldest first.
func (e *env) chain() []audit.Entry {
	e.t.Helper()
	var all []audit.Entry
	if err := e.st.ScanAudit(e.ctx, func(x audit.Entry) error { all = append(all, x); return nil }); err != nil {
		e.t.Fatalf("ScanAudit: %v", err)
	}
	return all
}

// newestFirst is the brute-force filter: the entries keep selects, newest
// first by time then seq, as seqs.
func newestFirst(all []audit.Entry, keep func(audit.Entry) bool) []int64 {
	var out []audit.Entry
	for _, x := range all {
		if keep(x) {
			out = append(out, x)
		}
	}
	slices.SortFunc(out, func(a, b audit.Entry) int { return cmp.Or(b.At.Compare(a.At), cmp.Compare(b.Seq, a.Seq)) })
	seqs := []int64{}
	for _, x := range out {
		seqs = append(seqs, x.Seq)
	}
	return seqs
}

var entryRowRE = regexp.MustCompile(`<tr class="entry" id="entry-\d+" data-seq="(\d+)"`)

// rowSeqs lists the seqs of a page's entry rows, in page order.
func rowSeqs(body string) []int64 {
	out := []int64{}
	for _, m := range entryRowRE.FindAllStringSubmatch(body, -1) {
		n, _ := strconv.ParseInt(m[1], 10, 64)
		out = append(out, n)
	}
	return out
}

// walkOlder reads path and every older page after it, following the
// pager's links, and returns the seqs in order and the pages' paths.
func walkOlder(t *testing.T, b *user, path string) ([]int64, []string) {
	t.Helper()
	var seqs []int64
	var paths []string
	for n := 0; path != ""; n++ {
		p := b.get(path)
		if p.Status != 200 {
			t.Fatalf("GET %s: %d %.400s", path, p.Status, p.Body)
		}
		rows := rowSeqs(p.Body)
		if len(rows) > 50 || n > 20 {
			t.Fatalf("GET %s: %d rows (page %d)", path, len(rows), n)
		}
		seqs, paths = append(seqs, rows...), append(paths, path)
		path = ""
		if hasID(p.Body, "page-older") {
			path = attrOf(t, p.Body, "page-older", "href")
		}
	}
	return seqs, paths
}

func TestConsoleAuditFiltersAndPages(t *testing.T) {
	e, aldo := auditFixture(t)
	all := e.chain()
	mid, late := all[len(all)/3].At, all[2*len(all)/3].At
	for _, c := range []struct {
		query string
		keep  func(audit.Entry) bool
	}{
		{"", func(audit.Entry) bool { return true }},
		{"action=ticket.create", func(x audit.Entry) bool { return x.Action == "ticket.create" }},
		{"actor=web%3Afred%40example.com", func(x audit.Entry) bool { return x.Actor == "web:fred@example.com" }},
		{"acting_user=fred%40example.com", func(x audit.Entry) bool { return x.ActingUser == "fred@example.com" }},
		{"subject=pool%3Aagents-floating", func(x audit.Entry) bool { return strings.HasPrefix(x.Subject, "pool:agents-floating") }},
		{"action=lease.start&subject=pool%3A", func(x audit.Entry) bool { return x.Action == "lease.start" && strings.HasPrefix(x.Subject, "pool:") }},
		{"from=" + url.QueryEscape(mid.Format(time.RFC3339Nano)) + "&to=" + url.QueryEscape(late.Format(time.RFC3339Nano)),
			func(x audit.Entry) bool { return !x.At.Before(mid) && x.At.Before(late) }},
		{"action=no.such.thing", func(audit.Entry) bool { return false }},
	} {
		want := newestFirst(all, c.keep)
		got, paths := walkOlder(t, aldo, "/admin/audit?"+c.query)
		if !slices.Equal(got, want) {
			t.Errorf("?%s: pages show %v, want %v", c.query, got, want)
			continue
		}
		if len(want) > 50 && len(paths) < 2 {
			t.Errorf("?%s: %d entries on one page", c.query, len(want))
		}
		// The newer link of the second page leads back to the first.
		if len(paths) > 1 {
			second := aldo.get(paths[1])
			first := aldo.get(attrOf(t, second.Body, "page-newer", "href"))
			if s := rowSeqs(first.Body); !slices.Equal(s, want[:50]) || hasID(first.Body, "page-newer") {
				t.Errorf("?%s: newer page above the second = %v (newer link %v), want the first page", c.query, s, hasID(first.Body, "page-newer"))
			}
			if !hasID(second.Body, "page-newest") {
				t.Errorf("?%s: the second page has no link to the newest", c.query)
			}
		}
	}
	// The form shows the filters as typed; a time typed without a zone is UTC.
	p := aldo.get("/admin/audit?action=ticket.create&from=" + url.QueryEscape(mid.Format("2006-01-02 15:04")))
	if attrOf(t, p.Body, "f-action", "value") != "ticket.create" || !hasID(p.Body, "clear-filters") {
		t.Errorf("the filter form does not keep the action")
	}
	minute := mid.Truncate(time.Minute)
	if got, want := rowSeqs(p.Body), newestFirst(all, func(x audit.Entry) bool { return x.Action == "ticket.create" && !x.At.Before(minute) }); !slices.Equal(got, want[:min(50, len(want))]) {
		t.Errorf("from a minute: %v, want %v", got, want)
	}
	// A bad filter is the API's 400, naming the field.
	p = aldo.get("/admin/audit?from=soon")
	if _, code, msg := flashOf(t, p.Body); p.Status != 400 || code != "invalid_request" || attrOf(t, p.Body, "f-from", "aria-invalid") != "true" || !strings.Contains(msg, "date") {
		t.Errorf("from=soon: %d %q %q", p.Status, code, msg)
	}
	if p = aldo.get("/admin/audit?before=banana"); p.Status != 400 {
		t.Errorf("before=banana: %d, want 400", p.Status)
	}
	// The actions offered are the log's own.
	p = aldo.get("/admin/audit")
	for _, a := range []string{"ticket.create", "lease.start", "integration.blocked", "role.grant"} {
		if !strings.Contains(element(t, p.Body, "audit-actions", "datalist"), `value="`+a+`"`) {
			t.Errorf("the action list lacks %s", a)
		}
	}
}

func TestConsoleAuditEntryInFull(t *testing.T) {
	e, aldo := auditFixture(t)
	all := e.chain()
	x := all[len(all)-5]
	p := aldo.get(fmt.Sprintf("/admin/audit/%d?action=%s&before=%d", x.Seq, x.Action, x.Seq+1))
	if p.Status != 200 {
		t.Fatalf("entry %d: %d %.300s", x.Seq, p.Status, p.Body)
	}
	field := func(id, closing string) string { return text(element(t, p.Body, id, closing)) }
	for id, want := range map[string]string{
		"entry-seq": strconv.FormatInt(x.Seq, 10), "entry-at": x.At.UTC().Format("2006-01-02T15:04:05.000000Z07:00"),
		"entry-action": x.Action, "entry-subject": x.Subject, "entry-result": x.Result, "entry-source": x.Source,
		"entry-prev-hash": x.PrevHash, "entry-hash": x.Hash,
	} {
		closing := map[string]string{"entry-seq": "span", "entry-prev-hash": "code", "entry-hash": "code"}[id]
		if closing == "" {
			closing = "td"
		}
		if got := field(id, closing); !strings.HasPrefix(got, want) {
			t.Errorf("#%s = %q, want %q", id, got, want)
		}
	}
	if got := field("entry-actor", "td"); !strings.HasPrefix(got, x.Actor) {
		t.Errorf("actor %q, want %q", got, x.Actor)
	}
	if x.ActingUser != "" && !strings.HasPrefix(field("entry-acting", "td"), x.ActingUser) {
		t.Errorf("acting user %q, want %q", field("entry-acting", "td"), x.ActingUser)
	}
	if d := html.UnescapeString(element(t, p.Body, "entry-detail", "pre")); !strings.Contains(d, `"n":`) {
		t.Errorf("detail %q", d)
	}
	if attrOf(t, p.Body, "check-hash", "data-ok") != "true" || attrOf(t, p.Body, "check-link", "data-link") != "ok" {
		t.Errorf("checks: hash %q link %q", attrOf(t, p.Body, "check-hash", "data-ok"), attrOf(t, p.Body, "check-link", "data-link"))
	}
	if back := attrOf(t, p.Body, "back-to-list", "href"); back != fmt.Sprintf("/admin/audit?action=%s&before=%d", x.Action, x.Seq+1) {
		t.Errorf("back link %q keeps neither the filter nor the page", back)
	}
	if attrOf(t, p.Body, "entry-prev", "href") != fmt.Sprintf("/admin/audit/%d", x.Seq-1) || attrOf(t, p.Body, "entry-next", "href") != fmt.Sprintf("/admin/audit/%d", x.Seq+1) {
		t.Errorf("neighbours: %q %q", attrOf(t, p.Body, "entry-prev", "href"), attrOf(t, p.Body, "entry-next", "href"))
	}
	// The first entry starts the chain; the list links each row here.
	if p := aldo.get("/admin/audit/1"); attrOf(t, p.Body, "check-link", "data-link") != "genesis" || hasID(p.Body, "entry-prev") {
		t.Errorf("entry 1: link %q", attrOf(t, p.Body, "check-link", "data-link"))
	}
	list := aldo.get("/admin/audit")
	if !strings.Contains(list.Body, fmt.Sprintf(`href="/admin/audit/%d"`, all[len(all)-1].Seq)) {
		t.Errorf("the list does not link the newest entry")
	}
	for _, bad := range []string{"/admin/audit/999999", "/admin/audit/0", "/admin/audit/x"} {
		if p := aldo.get(bad); p.Status != 404 && p.Status != 400 || !hasID(p.Body, "console-nav-audit") {
			t.Errorf("GET %s: %d, want the console's 404 or 400 page", bad, p.Status)
		}
	}
}

// sqliteFile finds the test's SQLite file (newEnv puts it in a temporary
// directory of this test) and opens it beside the store, for tampering.
func sqliteFile(t *testing.T) *sql.DB {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(filepath.Dir(t.TempDir()), "*", "seatkeeper.db"))
	if len(files) != 1 {
		t.Fatalf("the test's database file: found %v", files)
	}
	db, err := sql.Open("sqlite", "file:"+files[0]+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestConsoleAuditVerify(t *testing.T) {
	e, aldo := auditFixture(t)
	all := e.chain()
	head, hash, err := e.st.AuditHead(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	p := aldo.get("/admin/audit/verify")
	if p.Status != 200 || text(element(t, p.Body, "verify-status", "h2")) != "Intact" || attrOf(t, p.Body, "verify-result", "data-ok") != "true" {
		t.Fatalf("verify: %d %.600s", p.Status, p.Body)
	}
	if got, want := text(element(t, p.Body, "verify-count", "b")), fmt.Sprintf("%d entries", len(all)); got != want {
		t.Errorf("count %q, want %q", got, want)
	}
	if text(element(t, p.Body, "head-seq", "span")) != strconv.FormatInt(head, 10) || text(element(t, p.Body, "head-hash", "code")) != hash {
		t.Errorf("head %q %q, want %d %s", text(element(t, p.Body, "head-seq", "span")), text(element(t, p.Body, "head-hash", "code")), head, hash)
	}
	// An entry changed behind the store's back: verify says where.
	bad := all[len(all)/2]
	db := sqliteFile(t)
	if _, err := db.Exec(`UPDATE audit_log SET detail = 'forged' WHERE seq = ?`, bad.Seq); err != nil {
		t.Fatal(err)
	}
	p = aldo.get("/admin/audit/verify")
	if text(element(t, p.Body, "verify-status", "h2")) != "Broken" || text(element(t, p.Body, "verify-bad-seq", "span")) != strconv.FormatInt(bad.Seq, 10) ||
		!strings.Contains(text(element(t, p.Body, "verify-summary", "p")), "changed after it was written") {
		t.Errorf("after tampering seq %d: %s", bad.Seq, text(element(t, p.Body, "verify-result", "section")))
	}
	if got, want := text(element(t, p.Body, "verify-count", "b")), fmt.Sprintf("%d entries", bad.Seq-1); got != want {
		t.Errorf("checked before the break %q, want %q", got, want)
	}
	if p := aldo.get(fmt.Sprintf("/admin/audit/%d", bad.Seq)); attrOf(t, p.Body, "check-hash", "data-ok") != "false" {
		t.Errorf("the forged entry's page says its hash matches")
	}
	// A deleted entry: the next one's link is missing.
	if _, err := db.Exec(`DELETE FROM audit_log WHERE seq = ?`, bad.Seq+3); err != nil {
		t.Fatal(err)
	}
	if p := aldo.get(fmt.Sprintf("/admin/audit/%d", bad.Seq+4)); attrOf(t, p.Body, "check-link", "data-link") != "missing" {
		t.Errorf("the entry after a deleted one: link %q, want missing", attrOf(t, p.Body, "check-link", "data-link"))
	}
}

func TestConsoleAuditExports(t *testing.T) {
	e, aldo := auditFixture(t)
	all := e.chain()
	p := aldo.get("/admin/audit?action=lease.start&subject=pool%3Aagents")
	jsonl, csvLink := attrOf(t, p.Body, "export-jsonl", "href"), attrOf(t, p.Body, "export-csv", "href")
	if !strings.HasPrefix(jsonl, "/api/v1/audit/export?") || !strings.Contains(jsonl, "action=lease.start") || !strings.Contains(csvLink, "format=csv") {
		t.Fatalf("export links %q %q", jsonl, csvLink)
	}
	want := newestFirst(all, func(x audit.Entry) bool {
		return x.Action == "lease.start" && strings.HasPrefix(x.Subject, "pool:agents")
	})
	slices.Reverse(want) // oldest first
	got := aldo.get(jsonl)
	if got.Status != 200 || !strings.HasPrefix(got.Header.Get("Content-Type"), "application/x-ndjson") || !strings.Contains(got.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("JSONL export: %d %q", got.Status, got.Header.Get("Content-Type"))
	}
	var seqs []int64
	if err := audit.ReadJSONL(strings.NewReader(got.Body), func(x audit.Entry) error { seqs = append(seqs, x.Seq); return nil }); err != nil {
		t.Fatalf("JSONL export does not read back: %v", err)
	}
	if !slices.Equal(seqs, want) {
		t.Errorf("JSONL export %v, want %v", seqs, want)
	}
	got = aldo.get(csvLink)
	rows, err := csv.NewReader(strings.NewReader(got.Body)).ReadAll()
	if err != nil || !strings.HasPrefix(got.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("CSV export: %v %q", err, got.Header.Get("Content-Type"))
	}
	if len(rows) != len(want)+1 || !slices.Equal(rows[0], []string{"seq", "at", "actor", "acting_user", "action", "subject", "result", "source", "detail", "prev_hash", "hash"}) {
		t.Errorf("CSV export: %d rows, header %v; want %d and the fields", len(rows), rows[0], len(want)+1)
	}
	for i, r := range rows[1:] {
		if r[0] != strconv.FormatInt(want[i], 10) || r[4] != "lease.start" {
			t.Errorf("CSV row %d: %v", i+1, r)
			break
		}
	}
	// Unfiltered, the export is the whole chain and verifies offline.
	got = aldo.get(attrOf(t, aldo.get("/admin/audit").Body, "export-jsonl", "href"))
	v := &audit.Verifier{}
	if err := audit.ReadJSONL(strings.NewReader(got.Body), v.Add); err != nil || v.Count() != int64(len(all)) {
		t.Errorf("whole export: %v, %d entries verified, want %d", err, v.Count(), len(all))
	}
}

func TestConsoleAuditByRole(t *testing.T) {
	e, _ := auditFixture(t)
	ida := e.person("ida@example.com", "Ida Identity")
	e.grant(ida, licensing.RoleIdentityAdmin)
	lena := e.person("lena@example.com", "Lena Licence")
	e.grant(lena, licensing.RoleLicenceAdmin)
	i := e.login(ida)
	for _, path := range []string{"/admin/audit", "/admin/audit/verify", "/admin/audit/1", "/admin/audit?action=lease.start"} {
		p := i.get(path)
		if _, code, _ := flashOf(t, p.Body); p.Status != 403 || code != "forbidden" || !hasID(p.Body, "console-nav-audit") || hasID(p.Body, "audit-list") || hasID(p.Body, "entry-hash") {
			t.Errorf("identity admin GET %s: %d %q, want the console's 403 page", path, p.Status, code)
		}
	}
	if p := i.get("/api/v1/audit/export?format=csv"); p.Status != 403 {
		t.Errorf("identity admin's export: %d, want 403", p.Status)
	}
	for _, u := range []licensing.User{lena} {
		if p := e.login(u).get("/admin/audit"); p.Status != 200 || !hasID(p.Body, "audit-list") {
			t.Errorf("%s: %d", u.UserName, p.Status)
		}
	}
	c := e.browser()
	e.signIn(c)
	if p := e.do(c, "GET", "/admin/audit/verify", nil, ""); p.Status != 200 || !hasID(p.Body, "verify-result") {
		t.Errorf("break-glass verify: %d", p.Status)
	}
	if p := e.do(c, "GET", "/api/v1/audit/export?format=jsonl&action=ticket.create", nil, ""); p.Status != 200 {
		t.Errorf("break-glass export: %d", p.Status)
	}
}
