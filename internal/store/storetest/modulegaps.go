package storetest

import (
	"fmt"
	"slices"
	"strings"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// testModuleGaps: ModuleGaps lists who holds a module seat without a seat
// of the fulfiller SKU it requires — a named seat or a registration for a
// concurrent pool of it counts, a refused grant does not.
func testModuleGaps(e *env) {
	e.agent()
	e.named("agents", 1)
	e.concurrent("float", 1)
	e.putSKU("change", licensing.TierModule, "agent")
	e.createPool(licensing.Pool{ID: "change-mgmt", SKU: "change", Model: licensing.ModelNamed, Seats: 10, MonthlyPrice: 30})
	ann, bob, cid, dee := e.user("ann"), e.user("bob"), e.user("cid"), e.user("dee")
	e.member("agents", ann) // named agent seat
	e.member("float", bob)  // registered for the concurrent pool
	if _, _, err := e.s.PutMember(e.ctx, e.admin, "agents", dee.UserName, ""); licensing.ErrorCode(err) != licensing.CodeMaxedOut {
		e.t.Fatalf("PutMember(agents, dee) = %v, want refused: the one named seat is ann's", err)
	}
	e.member("change-mgmt", ann, bob) // both have their agent seat
	e.member("change-mgmt", cid, dee) // cid has none; dee was refused one

	gaps := func(user string) []string {
		e.t.Helper()
		list, err := e.s.ModuleGaps(e.ctx, user)
		if err != nil {
			e.t.Fatalf("ModuleGaps(%q): %v", user, err)
		}
		out := []string{}
		for _, g := range list {
			out = append(out, fmt.Sprintf("%s %s %s missing %s", g.UserName, g.Pool, g.SKU, strings.Join(g.Missing, ",")))
			if g.UserID == "" || g.Since.IsZero() || g.Source == "" {
				e.t.Errorf("ModuleGaps row %+v lacks its id, since or source", g)
			}
		}
		return out
	}
	want := []string{"cid change-mgmt change missing agent", "dee change-mgmt change missing agent"}
	if got := gaps(""); !slices.Equal(got, want) {
		e.t.Errorf("ModuleGaps = %q, want %q", got, want)
	}
	if got := gaps(cid.ID); !slices.Equal(got, want[:1]) {
		e.t.Errorf("ModuleGaps(cid) = %q, want %q", got, want[:1])
	}
	if got := gaps(ann.ID); len(got) != 0 {
		e.t.Errorf("ModuleGaps(ann) = %q, want none", got)
	}
	// Giving cid a seat of the fulfiller closes the gap; revoking bob's
	// registration opens one.
	e.member("float", cid)
	if err := e.s.DeleteMember(e.ctx, e.admin, "float", bob.UserName); err != nil {
		e.t.Fatalf("DeleteMember: %v", err)
	}
	want = []string{"bob change-mgmt change missing agent", "dee change-mgmt change missing agent"}
	if got := gaps(""); !slices.Equal(got, want) {
		e.t.Errorf("ModuleGaps after the changes = %q, want %q", got, want)
	}
}
