package store

import (
	"io/fs"
	"strconv"
	"strings"
	"testing"
)

// TestMigrationVersionsUnique: each dialect sees every migration version
// once. Migrate records versions, not names, so a second file with a
// number already used would be skipped without a word on every database
// that applied the first.
func TestMigrationVersionsUnique(t *testing.T) {
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, dialect := range []string{"sqlite", "postgres"} {
		seen := map[int]string{}
		for _, name := range names {
			base := strings.TrimPrefix(name, "migrations/")
			if parts := strings.Split(strings.TrimSuffix(base, ".sql"), "."); len(parts) > 1 && parts[len(parts)-1] != dialect {
				continue
			}
			v, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
			if err != nil {
				t.Errorf("%s: bad version: %v", name, err)
				continue
			}
			if other, dup := seen[v]; dup {
				t.Errorf("%s: version %d is also %s: one of them would never run on %s", base, v, other, dialect)
			}
			seen[v] = base
		}
	}
}
