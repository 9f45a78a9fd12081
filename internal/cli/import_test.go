package cli

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/peoplecsv"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

func TestImportCommand(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "x.db")
	file := filepath.Join(dir, "people.csv")
	csv := "\ufeffuser_name,email,employee_id,job_code,groups,active\r\n" +
		"ann@example.com,ann@example.com,E1,ITSD-2,desk-eu;vip,true\r\n" +
		"bob@example.com,bob@example.com,E2,HR-1,,yes\r\n"
	if err := os.WriteFile(file, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}

	ok(t, "migrate", "--db", db)
	r := ok(t, "import", "--db", db, "--dry-run", file)
	if !strings.Contains(r.stdout, "dry run, nothing written: 2 rows: would create 2") {
		t.Errorf("dry run stdout = %q", r.stdout)
	}
	r = ok(t, "import", "--db", db, file)
	if !strings.Contains(r.stdout, "2 rows: created 2, updated 0") {
		t.Errorf("import stdout = %q", r.stdout)
	}
	// Not a terminal: no bar (and under 10,000 rows, no progress lines).
	if strings.Contains(r.stderr, "\r") {
		t.Errorf("progress bar drawn on a non-terminal: %q", r.stderr)
	}

	// From stdin: one row updated, one bad, one new; exit non-zero.
	r = runIn(t, "user_name,job_code,active\nann@example.com,ITSD-3,true\nbad@example.com,X,sometimes\ncat@example.com,Y,\n", "import", "--db", db, "-")
	if r.code != 1 {
		t.Errorf("import with a bad row: exit %d (%v), want 1", r.code, r.err)
	}
	if !strings.Contains(r.stderr, "line 3: active \"sometimes\"") {
		t.Errorf("stderr = %q, want the bad line named", r.stderr)
	}
	if !strings.Contains(r.stdout, "3 rows: created 1, updated 1, deactivated 0, unchanged 0, failed 1") {
		t.Errorf("stdout = %q", r.stdout)
	}

	// --deactivate-missing deactivates bob (not in the file).
	r = runIn(t, "user_name\nann@example.com\ncat@example.com\n", "import", "--db", db, "--deactivate-missing", "-")
	if r.err != nil || !strings.Contains(r.stdout, "deactivated 1") {
		t.Errorf("deactivate-missing: %v, stdout %q stderr %q", r.err, r.stdout, r.stderr)
	}

	// Header errors stop the import.
	r = runIn(t, "user_name,shoe_size\nann,42\n", "import", "--db", db, "-")
	if r.code == 0 || !strings.Contains(r.err.Error(), "unknown column") {
		t.Errorf("unknown column: exit %d, %v", r.code, r.err)
	}
	r = run(t, "import", "--db", db)
	if r.code != 2 {
		t.Errorf("import without a file: exit %d, want 2", r.code)
	}
}

func TestImportProgressLines(t *testing.T) {
	var b strings.Builder
	p := newProgress(&b, 0)
	for _, n := range []int{500, 9999, 10000, 10500, 25000} {
		p.update(peoplecsv.Stats{Rows: n, Created: n})
	}
	p.done()
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "import: 10000 rows") || !strings.HasPrefix(lines[1], "import: 25000 rows") {
		t.Errorf("progress on a non-terminal = %q, want lines at 10000 and 20000 (shown at 25000)", lines)
	}
}

// TestImportReconcilesRules: people imported with a matching job code get
// the rule's seats; those beyond the named pool's seats wait as pending.
func TestImportReconcilesRules(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "r.db")
	ok(t, "migrate", "--db", db)
	st, err := openStore(ctx, db, newLogger(io.Discard, "error"))
	if err != nil {
		t.Fatal(err)
	}
	a := licensing.System("test")
	if err := st.PutSKU(ctx, a, licensing.SKU{Key: "agent", Name: "Agent", Tier: licensing.TierFulfiller}, true); err != nil {
		t.Fatal(err)
	}
	if err := st.CreatePool(ctx, a, licensing.Pool{ID: "desk", SKU: "agent", Model: licensing.ModelNamed, Seats: 2}); err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"id":"desk-agents","when":{"job_code":["ITSD-*"]},"grant":[{"sku":"agent","model":"named"}],"priority":10}`)
	if _, err := st.CreateRule(ctx, a, store.RuleRecord{ID: "desk-agents", Priority: 10, Enabled: true, Body: body}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	csv := "user_name,job_code\nann@example.com,ITSD-1\nbob@example.com,ITSD-2\ncid@example.com,ITSD-3\ndee@example.com,HR-1\n"
	if r := runIn(t, csv, "import", "--db", db, "-"); r.err != nil {
		t.Fatalf("import: %v\n%s", r.err, r.stderr)
	}
	st, err = openStore(ctx, db, newLogger(io.Discard, "error"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	members, err := st.ListMembers(ctx, "desk")
	if err != nil {
		t.Fatal(err)
	}
	states := map[string]string{}
	for _, m := range members {
		if m.Source != "rule:desk-agents" {
			t.Errorf("member %s has source %q, want rule:desk-agents", m.UserName, m.Source)
		}
		states[m.UserName] = m.State
	}
	if states["ann@example.com"] != "active" || states["bob@example.com"] != "active" || states["cid@example.com"] != "pending" || states["dee@example.com"] != "" {
		t.Errorf("desk members after import = %v, want ann and bob active, cid pending, dee none", states)
	}
}

// TestImportLeaverSeatGoesToWaitingGrant: a row deactivating a seat holder
// frees the seat, and the same import gives it to the grant waiting for it.
func TestImportLeaverSeatGoesToWaitingGrant(t *testing.T) {
	db := rulesDB(t) // two desk seats, three ITSD people
	if r := runIn(t, deskRule, "rules", "create", "--db", db, "-"); r.err != nil {
		t.Fatalf("rules create: %v\n%s", r.err, r.stderr)
	}
	_, before, _ := snapshot(t, db)
	if want := []string{"ann active rule:desk-agents", "bob active rule:desk-agents", "cid pending rule:desk-agents"}; strings.Join(before, ",") != strings.Join(want, ",") {
		t.Fatalf("desk before = %v, want %v", before, want)
	}
	if r := runIn(t, "user_name,active\nann@example.com,false\n", "import", "--db", db, "-"); r.err != nil {
		t.Fatalf("import: %v\n%s", r.err, r.stderr)
	}
	_, after, _ := snapshot(t, db)
	if want := []string{"bob active rule:desk-agents", "cid active rule:desk-agents"}; strings.Join(after, ",") != strings.Join(want, ",") {
		t.Errorf("desk after ann left = %v, want %v", after, want)
	}
}
