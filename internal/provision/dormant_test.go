package provision

import (
	"sync"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/store"
)

// TestDormantReclaimGoesToPendingGrant: a rule grants the two agent seats
// to ann and bob and leaves cat pending; bob's seat sits unused past the
// window and the grace period, is reclaimed, goes to cat (the longest
// waiting) in the same sweep, and the rule does not hand it back to bob.
func TestDormantReclaimGoesToPendingGrant(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	e := newEnvAt(t, clock)
	e.storeRule(deskRule(agentGrant), false)
	if _, err := e.r.ReconcileAll(e.ctx, e.a); err != nil {
		t.Fatal(err)
	}
	e.wantMembers("agents", map[string]string{"ann": "active rule:desk", "bob": "active rule:desk", "cat": "pending rule:desk pool_full"})
	if _, err := e.st.PutDormantPolicy(e.ctx, e.a, store.DormantPolicy{Pool: "agents", IdleDays: 30, GraceDays: 3, Action: store.DormantReclaim, UndoDays: 7}); err != nil {
		t.Fatal(err)
	}
	advance(31 * 24 * time.Hour)
	if err := e.st.RecordNamedUse(e.ctx, []store.NamedUse{{Pool: "agents", User: e.ids["ann"], At: clock()}}); err != nil {
		t.Fatal(err)
	}
	out, err := e.r.SweepDormant(e.ctx, e.a)
	if err != nil || out.Warned != 1 {
		t.Fatalf("sweep = %+v, %v; want bob warned (ann used her seat)", out, err)
	}
	advance(4 * 24 * time.Hour)
	if out, err = e.r.SweepDormant(e.ctx, e.a); err != nil || out.Reclaimed != 1 {
		t.Fatalf("sweep after grace = %+v, %v", out, err)
	}
	e.wantMembers("agents", map[string]string{"ann": "active rule:desk", "cat": "active rule:desk seat_freed"})
	if _, err := e.r.ReconcileAll(e.ctx, e.a); err != nil {
		t.Fatal(err)
	}
	e.wantMembers("agents", map[string]string{"ann": "active rule:desk", "cat": "active rule:desk seat_freed"})
}
