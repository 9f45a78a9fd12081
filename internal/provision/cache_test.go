package provision

import (
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// TestReconcilePeopleSeesEveryWrite: the cached rules and pools are reloaded
// after a rule or a pool is written, however the write was made.
func TestReconcilePeopleSeesEveryWrite(t *testing.T) {
	e := newEnv(t)
	if _, err := e.r.ReconcilePeople(e.ctx, e.a, []string{e.ids["ann"]}); err != nil { // fills the cache
		t.Fatal(err)
	}
	e.storeRule(deskRule(agentGrant), false)
	d, err := e.r.ReconcilePeople(e.ctx, e.a, []string{e.ids["ann"]})
	if err != nil {
		t.Fatal(err)
	}
	wantChanges(t, "gains after a new rule", d.Gains, "ann/agent")
	e.storeRule(deskRule(reqGrant), true)
	d, err = e.r.ReconcilePeople(e.ctx, e.a, []string{e.ids["bob"]})
	if err != nil {
		t.Fatal(err)
	}
	wantChanges(t, "gains after a rule update", d.Gains, "bob/requester")
	// A new pool of a granted SKU is seen too: fill reqs, open a second one.
	p, err := e.st.GetPool(e.ctx, "reqs")
	if err != nil {
		t.Fatal(err)
	}
	p.Seats = 3
	if err := e.st.UpdatePool(e.ctx, e.a, p); err != nil {
		t.Fatal(err)
	}
	d, err = e.r.ReconcilePeople(e.ctx, e.a, []string{e.ids["cat"]})
	if err != nil {
		t.Fatal(err)
	}
	wantChanges(t, "pending in a full pool", d.Pending, "cat/requester/pool_full")
	if err := e.st.CreatePool(e.ctx, e.a, licensing.Pool{ID: "reqs-2", SKU: "requester", Model: licensing.ModelNamed, Seats: 5}); err != nil {
		t.Fatal(err)
	}
	d, err = e.r.ReconcilePeople(e.ctx, e.a, []string{e.ids["cat"]})
	if err != nil {
		t.Fatal(err)
	}
	wantChanges(t, "gains once a pool opens", d.Gains, "cat/requester/seat_freed")
}
