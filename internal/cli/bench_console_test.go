package cli

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The console benchmark at a small size: it seeds, signs a licence
// administrator in, gets every console page 200 and prints each one's
// figures; a second run reuses the seeded database.
func TestBenchConsole(t *testing.T) {
	db := filepath.Join(t.TempDir(), "console.db")
	r := run(t, "bench", "console", "--db", db, "--people", "300", "--audit", "2000", "--runs", "2")
	if r.err != nil {
		t.Fatalf("bench console: %v (exit %d)\nstdout: %s\nstderr: %s", r.err, r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"seeded:      300 people and 2000 audit entries", "/admin/people?q=", "/admin/audit?action=decision.deny", "console:     slowest p99"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
	if n := len(regexp.MustCompile(`(?m)^/admin\S*\s+\d`).FindAllString(r.stdout, -1)); n != 13 {
		t.Errorf("%d page lines, want 13:\n%s", n, r.stdout)
	}
	again := run(t, "bench", "console", "--db", db, "--people", "300", "--audit", "2000", "--runs", "1")
	if again.err != nil || strings.Contains(again.stdout, "seeded:") {
		t.Errorf("second run: %v\n%s", again.err, again.stdout)
	}
	if r := run(t, "bench", "console", "--db", db, "--people", "10"); r.code != 2 {
		t.Errorf("--people 10: exit %d, want 2", r.code)
	}
}
