package cli

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
)

// TestAuditVerifyCounts checks the count reads as English: one entry is
// "1 entry", not "1 entries".
func TestAuditVerifyCounts(t *testing.T) {
	db := filepath.Join(t.TempDir(), "x.db")
	ok(t, "migrate", "--db", db) // the policy seed: one entry
	if r := ok(t, "audit", "verify", "--db", db); r.stdout != "audit chain intact: 1 entry\n" {
		t.Errorf("audit verify of a one-entry chain printed %q, want \"audit chain intact: 1 entry\"", r.stdout)
	}
	ok(t, "token", "create", "--db", db, "--name", "a1", "--scope", "admin")
	if r := ok(t, "audit", "verify", "--db", db); r.stdout != "audit chain intact: 2 entries\n" {
		t.Errorf("audit verify printed %q, want 2 entries", r.stdout)
	}
}

// TestAuditVerifyTruncated deletes the newest and then the oldest entries
// and expects verify to name the first missing seq and the range gone —
// never "position 0", which told an auditor nothing.
func TestAuditVerifyTruncated(t *testing.T) {
	db := filepath.Join(t.TempDir(), "x.db")
	ok(t, "migrate", "--db", db)
	for _, name := range []string{"a1", "a2", "a3", "a4"} {
		ok(t, "token", "create", "--db", db, "--name", name, "--scope", "admin")
	}
	raw, err := sql.Open("sqlite", "file:"+db+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatalf("open raw: %v", err)
	}
	defer raw.Close()
	tamper := func(q string) {
		t.Helper()
		if _, err := raw.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}

	tamper(`DELETE FROM audit_log WHERE seq >= 4`) // seqs 4 and 5 gone from the end
	r := run(t, "audit", "verify", "--db", db)
	if r.code != 3 {
		t.Fatalf("verify of a truncated chain: err %v exit %d, want 3", r.err, r.code)
	}
	for _, want := range []string{"BROKEN after 3 good entries", "entry seq 4 (position 4): truncated", "seqs 4 to 5 are missing (2 entries)", "the recorded head is seq 5"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("verify of a truncated chain printed %q, want it to say %q", r.stdout, want)
		}
	}
	if strings.Contains(r.stdout, "position 0") {
		t.Errorf("verify of a truncated chain printed %q: position 0", r.stdout)
	}

	tamper(`DELETE FROM audit_log WHERE seq = 1`) // and the oldest
	r = run(t, "audit", "verify", "--db", db)
	if r.code != 3 || !strings.Contains(r.stdout, "BROKEN after 0 good entries: entry seq 1 (position 1): seq_gap: seq 1 is missing") {
		t.Errorf("verify of a chain without its first entry: exit %d, printed %q; want seq 1 named missing at position 1", r.code, r.stdout)
	}

	tamper(`DELETE FROM audit_log`)
	r = run(t, "audit", "verify", "--db", db)
	if r.code != 3 || !strings.Contains(r.stdout, "seqs 1 to 5 are missing (5 entries): the log is empty") {
		t.Errorf("verify of an emptied chain: exit %d, printed %q; want seqs 1 to 5 named missing", r.code, r.stdout)
	}
}
