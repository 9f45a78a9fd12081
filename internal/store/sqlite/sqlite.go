// Package sqlite opens Seatkeeper's embedded store: one SQLite file through
// the pure-Go modernc driver, in WAL mode with a single writer connection.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/seatkeeper/seatkeeper/internal/store"
)

// Dialect is SQLite's flavour of the shared store.
func Dialect() store.Dialect {
	return store.Dialect{
		Name:        "sqlite",
		Types:       map[string]string{"serial": "INTEGER PRIMARY KEY AUTOINCREMENT", "float": "REAL", "blob": "BLOB"},
		IsUnique:    isUnique,
		IsRetryable: isBusy,
		// modernc's driver re-parses SQL on every call without this.
		CacheStatements: true,
		// One writer connection: commit concurrent writes together.
		GroupCommit: true,
		Detach:      true,
	}
}

func code(err error) int {
	var e *sqlite.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return 0
}

func isUnique(err error) bool {
	c := code(err)
	return c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

func isBusy(err error) bool {
	c := code(err) & 0xff
	return c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED
}

// Open opens (creating if missing) the database file at path. Writes go
// through one connection so SQLite never answers SQLITE_BUSY between our own
// writers; reads use a pool. synchronous=NORMAL in WAL mode keeps every
// committed transaction when the process is killed (only an OS crash may
// lose the last ones), which is the durability §3.2 asks for.
func Open(ctx context.Context, path string, opts store.Options) (*store.Store, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("sqlite: create directory: %w", err)
		}
	}
	pragmas := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "busy_timeout(10000)", "foreign_keys(1)", "synchronous(NORMAL)", "cache_size(-65536)", "mmap_size(268435456)", "temp_store(MEMORY)"} {
		pragmas.Add("_pragma", p)
	}
	base := "file:" + path + "?" + pragmas.Encode()
	w, err := sql.Open("sqlite", base+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", base)
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open readers: %w", err)
	}
	n := max(4, runtime.GOMAXPROCS(0)*2)
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	return store.New(w, r, Dialect(), opts), nil
}
