package cli

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/store"
	"github.com/seatkeeper/seatkeeper/internal/store/sqlite"
)

// reportDB makes a database with one concurrent pool of two seats, three
// sessions on it and one refusal.
func reportDB(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "r.db")
	if r := run(t, "migrate", "--db", path); r.err != nil {
		t.Fatalf("migrate: %v", r.err)
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a := licensing.System("test")
	if err := st.PutSKU(ctx, a, licensing.SKU{Key: "agent", Name: "Agent", Tier: licensing.TierFulfiller, MonthlyPrice: 95}, true); err != nil {
		t.Fatal(err)
	}
	if err := st.CreatePool(ctx, a, licensing.Pool{ID: "float", SKU: "agent", Model: licensing.ModelConcurrent, Seats: 2, IdleTimeout: 30 * time.Minute, MonthlyPrice: 140}); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"ann", "bob", "cy"} {
		if _, err := st.CreateUser(ctx, a, licensing.User{UserName: n, Kind: licensing.KindPerson, Active: true}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := st.PutMember(ctx, a, "float", n, ""); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range []string{"ann", "bob"} {
		if _, err := st.StartSession(ctx, a, n, false, []string{"float"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.StartSession(ctx, a, "cy", false, []string{"float"}); licensing.ErrorCode(err) != licensing.CodeMaxedOut {
		t.Fatalf("third session: %v, want licence_maxed_out", err)
	}
	return path
}

func TestReportCommand(t *testing.T) {
	db := reportDB(t)
	r := run(t, "report", "utilization", "--db", db, "--format", "json")
	if r.err != nil {
		t.Fatalf("report utilization: %v\n%s", r.err, r.stderr)
	}
	var u struct {
		Pools []struct {
			Pool    string `json:"pool"`
			Overall struct {
				Peak     int `json:"peak"`
				MaxedOut int `json:"maxed_out"`
				Truly    int `json:"true_denials"`
			} `json:"overall"`
		} `json:"pools"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &u); err != nil {
		t.Fatalf("json: %v\n%s", err, r.stdout)
	}
	if len(u.Pools) != 1 || u.Pools[0].Overall.Peak != 2 || u.Pools[0].Overall.MaxedOut != 1 || u.Pools[0].Overall.Truly != 1 {
		t.Fatalf("utilization = %+v, want peak 2, one maxed-out denial not met", u.Pools)
	}
	r = run(t, "report", "cost", "--db", db, "--format", "csv")
	rows, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	if r.err != nil || err != nil || len(rows) != 2 || rows[0][0] != "pool" || rows[1][0] != "float" {
		t.Fatalf("cost csv = %q, %v, %v", r.stdout, r.err, err)
	}
	if r = run(t, "report", "evidence", "--db", db); r.err != nil || !strings.Contains(r.stdout, "CC6.3") || !strings.Contains(r.stdout, "verified") {
		t.Fatalf("evidence table: %v\n%s", r.err, r.stdout)
	}
	for name, args := range map[string][]string{
		"unknown report": {"report", "roi", "--db", db},
		"bad target":     {"report", "mix", "--db", db, "--target", "1"},
		"bad period":     {"report", "utilization", "--db", db, "--from", "2026-02-01", "--to", "2026-01-01"},
		"bad format":     {"report", "cost", "--db", db, "--format", "xml"},
		"unknown pool":   {"report", "cost", "--db", db, "--pool", "nope"},
		"no such table":  {"report", "cost", "--db", db, "--format", "csv", "--table", "9"},
		"missing db":     {"report", "cost", "--db", filepath.Join(t.TempDir(), "typo.db")},
	} {
		if r := run(t, args...); r.err == nil || r.code == 0 {
			t.Errorf("%s: exit %d, err %v; want a refusal", name, r.code, r.err)
		}
	}
}
