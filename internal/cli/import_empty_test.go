package cli

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/store"
	"github.com/seatkeeper/seatkeeper/internal/store/sqlite"
)

// TestImportClearEmpty: `import` leaves a value an empty cell names
// unchanged, and clears it with --clear-empty; one row reads "1 row".
func TestImportClearEmpty(t *testing.T) {
	db := filepath.Join(t.TempDir(), "x.db")
	ok(t, "migrate", "--db", db)
	r := runIn(t, "user_name,department\nann@example.com,IT\n", "import", "--db", db, "-")
	if r.err != nil || !strings.Contains(r.stdout, "1 row: created 1") {
		t.Fatalf("import: %v, stdout %q", r.err, r.stdout)
	}
	department := func() string {
		t.Helper()
		st, err := sqlite.Open(context.Background(), db, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		u, err := st.GetUser(context.Background(), "ann@example.com")
		if err != nil {
			t.Fatal(err)
		}
		return u.Department
	}
	if r := runIn(t, "user_name,department\nann@example.com,\n", "import", "--db", db, "-"); r.err != nil || !strings.Contains(r.stdout, "unchanged 1") || department() != "IT" {
		t.Errorf("an empty cell without --clear-empty: %v, stdout %q, department %q; want unchanged IT", r.err, r.stdout, department())
	}
	if r := runIn(t, "user_name,department\nann@example.com,\n", "import", "--db", db, "--clear-empty", "-"); r.err != nil || !strings.Contains(r.stdout, "updated 1") || department() != "" {
		t.Errorf("an empty cell with --clear-empty: %v, stdout %q, department %q; want it cleared", r.err, r.stdout, department())
	}
}
