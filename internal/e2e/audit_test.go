package e2e

import (
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestAuditVerifyCLI checks `seatkeeper audit verify` and `audit export` on a
// real database file, before and after tampering with it behind
// Seatkeeper's back (DESIGN §3.3, §5).
func TestAuditVerifyCLI(t *testing.T) {
	golden := activeSQLiteDB(t)

	n := verifyAudit(t, golden)
	raw := openRaw(t, golden)
	if rows := raw.count(t, `SELECT count(*) FROM audit_log`); rows != n {
		t.Errorf("verify reported %d entries, audit_log has %d rows", n, rows)
	}
	if n < 10 {
		t.Fatalf("only %d audit entries; the activity should have made more", n)
	}
	raw.Close()

	tamper := []struct {
		name    string
		sql     []string
		wantSeq int64
	}{
		{"edit", []string{`UPDATE audit_log SET actor = 'mallory' WHERE seq = 3`}, 3},
		{"delete", []string{`DELETE FROM audit_log WHERE seq = 4`}, 5},
		{"swap", nil, 5}, // rows 5 and 6 exchange their contents, seq stays
		{"delete-last", []string{`DELETE FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log)`}, int64(n - 1)},
	}
	for _, tc := range tamper {
		t.Run(tc.name, func(t *testing.T) {
			db := copyDB(t, golden)
			d, err := sql.Open("sqlite", "file:"+db)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			if tc.name == "swap" {
				swapAuditRows(t, d, 5, 6)
			}
			for _, q := range tc.sql {
				if _, err := d.Exec(q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			d.Close()

			res := runCLI(t, nil, "audit", "verify", "--db", db)
			if res.Code == 0 {
				t.Fatalf("audit verify after tampering (%s): exit 0, want non-zero; %s", tc.name, res)
			}
			seqRe := regexp.MustCompile(`\bseq ` + itoa(tc.wantSeq) + `\b`)
			if !seqRe.MatchString(res.Stdout + res.Stderr) {
				t.Errorf("audit verify after tampering (%s) does not name seq %d; %s", tc.name, tc.wantSeq, res)
			}
			t.Logf("%s: exit %d: %s", tc.name, res.Code, strings.TrimSpace(res.Stdout))
		})
	}

	t.Run("export", func(t *testing.T) {
		res := runCLI(t, nil, "audit", "export", "--db", golden, "--format", "csv")
		if res.Code != 0 {
			t.Fatalf("audit export --format csv: %s", res)
		}
		records, err := csv.NewReader(strings.NewReader(res.Stdout)).ReadAll()
		if err != nil {
			t.Fatalf("csv export does not parse: %v\n%s", err, res.Stdout)
		}
		wantHeader := []string{"seq", "at", "actor", "acting_user", "action", "subject", "result", "source", "detail", "prev_hash", "hash"}
		if len(records) == 0 || strings.Join(records[0], ",") != strings.Join(wantHeader, ",") {
			t.Errorf("csv header = %v, want %v", records[:min(1, len(records))], wantHeader)
		}
		if len(records) != n+1 {
			t.Errorf("csv export has %d rows, want header + %d entries", len(records), n)
		}
		for i, r := range records[1:] {
			if r[0] != itoa(int64(i+1)) {
				t.Errorf("csv row %d has seq %q, want %d", i+1, r[0], i+1)
				break
			}
		}

		res = runCLI(t, nil, "audit", "export", "--db", golden, "--format", "jsonl")
		if res.Code != 0 {
			t.Fatalf("audit export --format jsonl: %s", res)
		}
		lines := strings.Split(strings.TrimSuffix(res.Stdout, "\n"), "\n")
		if len(lines) != n {
			t.Errorf("jsonl export has %d lines, want %d", len(lines), n)
		}
		for i, line := range lines {
			var e map[string]any
			if err := json.Unmarshal([]byte(line), &e); err != nil {
				t.Fatalf("jsonl line %d is not one JSON object: %v\n%s", i+1, err, line)
			}
			for _, k := range wantHeader {
				if _, ok := e[k]; !ok {
					t.Errorf("jsonl line %d lacks %q: %s", i+1, k, line)
				}
			}
			if seq, _ := e["seq"].(float64); int(seq) != i+1 {
				t.Errorf("jsonl line %d has seq %v, want %d", i+1, e["seq"], i+1)
				break
			}
		}

		if res := runCLI(t, nil, "audit", "export", "--db", golden, "--format", "xml"); res.Code == 0 {
			t.Errorf("audit export --format xml: exit 0, want non-zero; %s", res)
		}
	})
}

// activeSQLiteDB serves a new SQLite database, puts some activity through
// the API (catalog, people, sessions, a refusal) and shuts the server down
// cleanly. It returns the database path.
func activeSQLiteDB(t *testing.T) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "audit.db")
	p := startServe(t, "serve", []string{"--addr", "127.0.0.1:0", "--db", db})
	if p.Token == "" {
		t.Fatalf("no first-start admin token")
	}
	c := newClient(p.Base, p.Token)
	users := setupPool(t, c, "audited", 2, "30m", "aud", 4)
	var ids []string
	for _, u := range users[:2] {
		var s sessionOut
		c.must(t, "POST", "/api/v1/sessions", map[string]any{"user": u}, &s, http.StatusCreated)
		ids = append(ids, s.ID)
	}
	c.must(t, "POST", "/api/v1/sessions", map[string]any{"user": users[2]}, nil, http.StatusConflict)
	for _, id := range ids {
		c.must(t, "DELETE", "/api/v1/sessions/"+id, nil, nil, http.StatusNoContent)
	}
	p.termOK(t)
	return db
}

// copyDB copies a SQLite database (and its WAL, if any) to a new directory.
func copyDB(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), filepath.Base(src))
	for _, suffix := range []string{"", "-wal"} {
		in, err := os.Open(src + suffix)
		if os.IsNotExist(err) && suffix != "" {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		out, err := os.Create(dst + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(out, in); err != nil {
			t.Fatal(err)
		}
		in.Close()
		if err := out.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// swapAuditRows exchanges every column but seq between two audit rows.
func swapAuditRows(t *testing.T, d *sql.DB, a, b int64) {
	t.Helper()
	const cols = `at, actor, acting_user, action, subject, result, source, detail, prev_hash, hash`
	read := func(seq int64) []any {
		vals := make([]any, 10)
		ptrs := make([]any, 10)
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := d.QueryRow(`SELECT `+cols+` FROM audit_log WHERE seq = ?`, seq).Scan(ptrs...); err != nil {
			t.Fatalf("read audit seq %d: %v", seq, err)
		}
		return vals
	}
	va, vb := read(a), read(b)
	set := `UPDATE audit_log SET at = ?, actor = ?, acting_user = ?, action = ?, subject = ?, result = ?, source = ?, detail = ?, prev_hash = ?, hash = ? WHERE seq = ?`
	tx, err := d.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(set, append(vb, a)...); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(set, append(va, b)...); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
