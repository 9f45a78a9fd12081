package cli

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// TestRulesWarnModuleWithoutFulfiller: a rule granting a module to people
// without the fulfiller seat it requires is applied, and `rules create`
// warns about each of them; the preview reads "1 overflowing pool".
func TestRulesWarnModuleWithoutFulfiller(t *testing.T) {
	db := rulesDB(t)
	ctx := context.Background()
	st, err := openStore(ctx, db, newLogger(io.Discard, "error"))
	if err != nil {
		t.Fatal(err)
	}
	a := licensing.System("test")
	if err := st.PutSKU(ctx, a, licensing.SKU{Key: "change", Name: "Change", Tier: licensing.TierModule, Requires: []string{"agent"}}, true); err != nil {
		t.Fatal(err)
	}
	if err := st.CreatePool(ctx, a, licensing.Pool{ID: "change-mgmt", SKU: "change", Model: licensing.ModelNamed, Seats: 10}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.PutMember(ctx, a, "desk", "ann@example.com", ""); err != nil {
		t.Fatal(err)
	}
	st.Close()

	r := ok(t, "rules", "preview", "--db", db, writeFile(t, deskRule))
	if !strings.Contains(r.stdout, "1 pending, 1 overflowing pool\n") {
		t.Errorf("preview stdout %q, want \"1 overflowing pool\"", r.stdout)
	}

	// Everyone on an ITSD job code gets the module; only ann holds an agent seat.
	rule := `{"id":"itsd-change","when":{"job_code":["ITSD-*"]},"grant":[{"sku":"change","model":"named"}],"priority":5}`
	r = ok(t, "rules", "create", "--db", db, writeFile(t, rule))
	for _, who := range []string{"bob@example.com", "cid@example.com"} {
		want := "warning: " + who + " holds a seat of the module change (pool change-mgmt, rule:itsd-change) but no seat of agent, which it requires"
		if !strings.Contains(r.stdout, want) {
			t.Errorf("rules create stdout %q, want %q", r.stdout, want)
		}
	}
	if strings.Contains(r.stdout, "warning: ann@example.com") {
		t.Errorf("rules create warned about ann, who holds the agent seat: %q", r.stdout)
	}
}
