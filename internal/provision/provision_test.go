package provision

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/entitle"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/store"
	"github.com/seatkeeper/seatkeeper/internal/store/sqlite"
)

type env struct {
	t   *testing.T
	ctx context.Context
	st  *store.Store
	r   *Reconciler
	a   licensing.Actor
	ids map[string]string // user name -> id
}

// newEnv: SKUs agent (fulfiller) and requester; pools agents (named, 2
// seats) and reqs (named, 10); ann, bob and cat work the service desk
// (ITSD-*), dan is in HR. ann and dan hold manual requester seats.
func newEnv(t *testing.T) *env { return newEnvAt(t, nil) }

// newEnvAt is newEnv with the store's clock.
func newEnvAt(t *testing.T, now func() time.Time) *env {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "prov.db"), store.Options{Logger: log, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, ctx: ctx, st: st, r: &Reconciler{Store: st, Log: log}, a: licensing.System("test"), ids: map[string]string{}}
	for _, k := range []licensing.SKU{{Key: "agent", Name: "Agent", Tier: licensing.TierFulfiller}, {Key: "requester", Name: "Requester", Tier: licensing.TierRequester}} {
		if err := st.PutSKU(ctx, e.a, k, true); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []licensing.Pool{{ID: "agents", SKU: "agent", Model: licensing.ModelNamed, Seats: 2}, {ID: "reqs", SKU: "requester", Model: licensing.ModelNamed, Seats: 10}} {
		if err := st.CreatePool(ctx, e.a, p); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range []licensing.User{{UserName: "ann", JobCode: "ITSD-1"}, {UserName: "bob", JobCode: "ITSD-2"}, {UserName: "cat", JobCode: "ITSD-3"}, {UserName: "dan", JobCode: "HR-1"}} {
		u.Kind, u.Active, u.Department = licensing.KindPerson, true, "IT"
		got, err := st.CreateUser(ctx, e.a, u)
		if err != nil {
			t.Fatal(err)
		}
		e.ids[u.UserName] = got.ID
	}
	for _, n := range []string{"ann", "dan"} {
		if _, _, err := st.PutMember(ctx, e.a, "reqs", n, licensing.SourceManual); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

func deskRule(grants ...entitle.Grant) entitle.Rule {
	return entitle.Rule{ID: "desk", Priority: 10, Enabled: true, When: entitle.Condition{JobCode: []string{"ITSD-*"}}, Grant: grants}
}

var (
	agentGrant = entitle.Grant{SKU: "agent", Model: licensing.ModelNamed}
	reqGrant   = entitle.Grant{SKU: "requester"}
)

// members returns pool -> user name -> "state source[ reason]".
func (e *env) members() map[string]map[string]string {
	e.t.Helper()
	out := map[string]map[string]string{}
	for _, pool := range []string{"agents", "reqs"} {
		ms, err := e.st.ListMembers(e.ctx, pool)
		if err != nil {
			e.t.Fatal(err)
		}
		out[pool] = map[string]string{}
		for _, m := range ms {
			s := m.State + " " + m.Source
			if m.Reason != "" {
				s += " " + m.Reason
			}
			out[pool][m.UserName] = s
		}
	}
	return out
}

func (e *env) wantMembers(pool string, want map[string]string) {
	e.t.Helper()
	got := e.members()[pool]
	if len(got) != len(want) {
		e.t.Fatalf("%s members = %v, want %v", pool, got, want)
	}
	for k, v := range want {
		if got[k] != v {
			e.t.Fatalf("%s members = %v, want %v", pool, got, want)
		}
	}
}

func names(cs []entitle.Change) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.UserName + "/" + c.SKU
		if c.Reason != "" {
			out[i] += "/" + c.Reason
		}
	}
	return out
}

func wantChanges(t *testing.T, what string, got []entitle.Change, want ...string) {
	t.Helper()
	g := names(got)
	if len(g) != len(want) {
		t.Fatalf("%s = %v, want %v", what, g, want)
	}
	for i := range want {
		if g[i] != want[i] {
			t.Fatalf("%s = %v, want %v", what, g, want)
		}
	}
}

func (e *env) storeRule(r entitle.Rule, update bool) {
	e.t.Helper()
	rec, err := ToRecord(r)
	if err != nil {
		e.t.Fatal(err)
	}
	if update {
		_, err = e.st.UpdateRule(e.ctx, e.a, rec)
	} else {
		_, err = e.st.CreateRule(e.ctx, e.a, rec)
	}
	if err != nil {
		e.t.Fatal(err)
	}
}

func TestRuleLifecycle(t *testing.T) {
	e := newEnv(t)
	before := e.members()

	// Preview: two agent seats, cat waits, the pool is short by one; ann
	// already holds a requester seat by hand so gains none. Nothing changes.
	d, err := e.r.Preview(e.ctx, deskRule(agentGrant, reqGrant), false)
	if err != nil {
		t.Fatal(err)
	}
	wantChanges(t, "preview gains", d.Gains, "ann/agent", "bob/agent", "bob/requester", "cat/requester")
	wantChanges(t, "preview pending", d.Pending, "cat/agent/pool_full")
	wantChanges(t, "preview losses", d.Losses)
	if len(d.Overflows) != 1 || d.Overflows[0] != (entitle.Overflow{Pool: "agents", ShortBy: 1}) {
		t.Fatalf("preview overflows = %+v, want agents short by 1", d.Overflows)
	}
	after := e.members()
	for pool := range before {
		if len(before[pool]) != len(after[pool]) {
			t.Fatalf("preview changed %s: %v -> %v", pool, before[pool], after[pool])
		}
	}
	if p, _ := e.st.PendingMembers(e.ctx); len(p) != 0 {
		t.Fatalf("preview stored pending rows: %v", p)
	}

	// Store the rule and reconcile: the preview is applied.
	e.storeRule(deskRule(agentGrant, reqGrant), false)
	d, err = e.r.ReconcileAll(e.ctx, e.a)
	if err != nil {
		t.Fatal(err)
	}
	wantChanges(t, "gains", d.Gains, "ann/agent", "bob/agent", "bob/requester", "cat/requester")
	e.wantMembers("agents", map[string]string{"ann": "active rule:desk", "bob": "active rule:desk", "cat": "pending rule:desk pool_full"})
	e.wantMembers("reqs", map[string]string{"ann": "active manual", "bob": "active rule:desk", "cat": "active rule:desk", "dan": "active manual"})
	if p, _ := e.st.PendingMembers(e.ctx); len(p) != 1 || p[0].UserName != "cat" || p[0].Reason != entitle.ReasonPoolFull {
		t.Fatalf("PendingMembers = %+v, want cat pool_full", p)
	}
	// Reconciling again changes nothing.
	d, err = e.r.ReconcileAll(e.ctx, e.a)
	if err != nil || len(d.Gains)+len(d.Losses)+len(d.Relabels) != 0 {
		t.Fatalf("second ReconcileAll = %+v, %v; want no gains or losses", d, err)
	}

	// A rule change dropping the requester grant revokes rule seats only:
	// ann's and dan's manual requester seats stay.
	d, err = e.r.Preview(e.ctx, deskRule(agentGrant), false)
	if err != nil {
		t.Fatal(err)
	}
	wantChanges(t, "preview losses", d.Losses, "bob/requester/not_entitled", "cat/requester/not_entitled")
	e.storeRule(deskRule(agentGrant), true)
	if _, err := e.r.ReconcileAll(e.ctx, e.a); err != nil {
		t.Fatal(err)
	}
	e.wantMembers("reqs", map[string]string{"ann": "active manual", "dan": "active manual"})

	// bob leaves: deactivation revokes every seat in the store's own
	// transaction, so reconciling him (as SCIM does) has nothing left to
	// remove; FillPending then gives his seat to cat.
	if _, err := e.st.UpdateUserFunc(e.ctx, e.a, "bob", func(u licensing.User) (licensing.User, error) { u.Active = false; return u, nil }); err != nil {
		t.Fatal(err)
	}
	d, err = e.r.ReconcilePeople(e.ctx, e.a, []string{e.ids["bob"]})
	if err != nil {
		t.Fatal(err)
	}
	wantChanges(t, "leaver losses", d.Losses)
	wantChanges(t, "leaver gains", d.Gains)
	e.wantMembers("agents", map[string]string{"ann": "active rule:desk", "cat": "pending rule:desk pool_full"})
	d, err = e.r.FillPending(e.ctx, e.a)
	if err != nil {
		t.Fatal(err)
	}
	wantChanges(t, "filled", d.Gains, "cat/agent/seat_freed")
	e.wantMembers("agents", map[string]string{"ann": "active rule:desk", "cat": "active rule:desk seat_freed"})
	if p, _ := e.st.PendingMembers(e.ctx); len(p) != 0 {
		t.Fatalf("PendingMembers after fill = %+v", p)
	}

	// Removing the rule: preview, then delete and reconcile — every rule
	// seat goes, the manual ones stay.
	d, err = e.r.Preview(e.ctx, entitle.Rule{ID: "desk"}, true)
	if err != nil {
		t.Fatal(err)
	}
	wantChanges(t, "preview removal", d.Losses, "ann/agent/not_entitled", "cat/agent/not_entitled")
	if err := e.st.DeleteRule(e.ctx, e.a, "desk"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.r.ReconcileAll(e.ctx, e.a); err != nil {
		t.Fatal(err)
	}
	e.wantMembers("agents", map[string]string{})
	e.wantMembers("reqs", map[string]string{"ann": "active manual", "dan": "active manual"})
}

// A seat revoked by hand (not by a rule) also lets FillPending grant the
// person waiting.
func TestFillPendingAfterRevoke(t *testing.T) {
	e := newEnv(t)
	e.storeRule(deskRule(agentGrant), false)
	if _, err := e.r.ReconcileAll(e.ctx, e.a); err != nil {
		t.Fatal(err)
	}
	e.wantMembers("agents", map[string]string{"ann": "active rule:desk", "bob": "active rule:desk", "cat": "pending rule:desk pool_full"})
	// Nothing frees: FillPending changes nothing.
	if d, err := e.r.FillPending(e.ctx, e.a); err != nil || len(d.Gains) != 0 {
		t.Fatalf("FillPending on a full pool = %+v, %v", d, err)
	}
	if err := e.st.DeleteMember(e.ctx, e.a, "agents", "ann"); err != nil {
		t.Fatal(err)
	}
	d, err := e.r.FillPending(e.ctx, e.a)
	if err != nil {
		t.Fatal(err)
	}
	wantChanges(t, "filled", d.Gains, "cat/agent/seat_freed")
	e.wantMembers("agents", map[string]string{"bob": "active rule:desk", "cat": "active rule:desk seat_freed"})
}

func TestRuleJSONRoundTrip(t *testing.T) {
	body := []byte(`{"id":"desk-agents","when":{"job_code":["ITSD-*"],"department":["IT"]},"grant":[{"sku":"agent","model":"named"}],"priority":10}`)
	r, err := ParseRule(body)
	if err != nil {
		t.Fatal(err)
	}
	if r.ID != "desk-agents" || !r.Enabled || r.Priority != 10 || r.When.JobCode[0] != "ITSD-*" || r.When.Department[0] != "IT" || r.Grant[0] != agentGrant {
		t.Fatalf("ParseRule = %+v", r)
	}
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	rec, err := ToRecord(r)
	if err != nil {
		t.Fatal(err)
	}
	back, err := FromRecord(rec)
	if err != nil {
		t.Fatal(err)
	}
	if back.ID != r.ID || back.Priority != r.Priority || !back.Enabled || len(back.Grant) != 1 || back.Grant[0] != agentGrant {
		t.Fatalf("round trip = %+v, want %+v", back, r)
	}
	if _, err := ParseRule([]byte(`{"id":`)); licensing.ErrorCode(err) != licensing.CodeInvalid {
		t.Fatalf("ParseRule(broken) = %v, want invalid", err)
	}
}

// reconcileGroup reconciles the members of a group grant just written, as
// the API does after PUT or DELETE /api/v1/pools/{pool}/groups/{group}, in
// user name order (ids are random) so who gets the last seat is known.
func (e *env) reconcileGroup(g store.GroupGrant) entitle.Diff {
	e.t.Helper()
	var ids []string
	for _, n := range []string{"ann", "bob", "cat", "dan"} {
		if slices.Contains(g.Members, e.ids[n]) {
			ids = append(ids, e.ids[n])
		}
	}
	d, err := e.r.ReconcilePeople(e.ctx, e.a, ids)
	if err != nil {
		e.t.Fatal(err)
	}
	return d
}

// TestGroupGrantLifecycle: a pool assigned to a SCIM group follows the
// group's members — joiners, leavers, a rename, a full pool, removal — and
// never removes a manual or rule seat.
func TestGroupGrantLifecycle(t *testing.T) {
	e := newEnv(t)
	e.storeRule(deskRule(reqGrant), false)
	if _, err := e.r.ReconcileAll(e.ctx, e.a); err != nil {
		t.Fatal(err)
	}
	e.wantMembers("reqs", map[string]string{"ann": "active manual", "bob": "active rule:desk", "cat": "active rule:desk", "dan": "active manual"})
	if _, err := e.st.CreateGroup(e.ctx, e.a, store.Group{DisplayName: "desk-eu", Members: []string{"ann", "bob", "cat", "dan"}}); err != nil {
		t.Fatal(err)
	}

	// agents has two seats: ann and bob get them, cat waits.
	g, created, err := e.st.PutGroupGrant(e.ctx, e.a, "agents", "DESK-EU")
	if err != nil || !created || g.Group != "desk-eu" || len(g.Members) != 4 {
		t.Fatalf("PutGroupGrant = %+v, %v, %v", g, created, err)
	}
	d := e.reconcileGroup(g)
	wantChanges(t, "gains", d.Gains, "ann/agent", "bob/agent")
	wantChanges(t, "pending", d.Pending, "cat/agent/pool_full", "dan/agent/pool_full")
	e.wantMembers("agents", map[string]string{"ann": "active scim-group:desk-eu", "bob": "active scim-group:desk-eu",
		"cat": "pending scim-group:desk-eu pool_full", "dan": "pending scim-group:desk-eu pool_full"})
	// The preview of a rule sees the group's seats as held: no gain, no
	// loss, only the group's waiters still pending.
	if d, err := e.r.Preview(e.ctx, deskRule(reqGrant), false); err != nil || len(d.Gains)+len(d.Losses)+len(d.Relabels) != 0 {
		t.Fatalf("Preview after the group grant = %+v, %v; want no gains or losses", d, err)
	}

	// reqs for the group too: the rule seats are now owed to the group and
	// the manual ones stay manual.
	g2, _, err := e.st.PutGroupGrant(e.ctx, e.a, "reqs", "desk-eu")
	if err != nil {
		t.Fatal(err)
	}
	d = e.reconcileGroup(g2)
	wantChanges(t, "relabels", d.Relabels, "bob/requester/rule_changed", "cat/requester/rule_changed")
	wantChanges(t, "gains", d.Gains)
	e.wantMembers("reqs", map[string]string{"ann": "active manual", "bob": "active scim-group:desk-eu", "cat": "active scim-group:desk-eu", "dan": "active manual"})

	// bob leaves the group: his agent seat goes, his requester seat falls
	// back to the rule; FillPending gives the freed seat to cat.
	if _, err := e.st.RemoveGroupMembers(e.ctx, e.a, "desk-eu", []string{"bob"}); err != nil {
		t.Fatal(err)
	}
	d, err = e.r.ReconcilePeople(e.ctx, e.a, []string{e.ids["bob"]})
	if err != nil {
		t.Fatal(err)
	}
	wantChanges(t, "leaver losses", d.Losses, "bob/agent/not_entitled")
	wantChanges(t, "leaver relabels", d.Relabels, "bob/requester/rule_changed")
	if d, err = e.r.FillPending(e.ctx, e.a); err != nil {
		t.Fatal(err)
	}
	wantChanges(t, "filled", d.Gains, "cat/agent/seat_freed")
	e.wantMembers("agents", map[string]string{"ann": "active scim-group:desk-eu", "cat": "active scim-group:desk-eu seat_freed",
		"dan": "pending scim-group:desk-eu pool_full"})

	// A rename relabels every seat the group gives.
	if _, err := e.st.UpdateGroup(e.ctx, e.a, "desk-eu", func(old store.Group) (store.Group, error) {
		old.DisplayName = "desk-europe"
		return old, nil
	}); err != nil {
		t.Fatal(err)
	}
	e.reconcileGroup(g)
	e.wantMembers("agents", map[string]string{"ann": "active scim-group:desk-europe", "cat": "active scim-group:desk-europe seat_freed",
		"dan": "pending scim-group:desk-europe pool_full"})

	// ann is deactivated: the store revokes her seats, and the next fill
	// gives hers to dan.
	if _, err := e.st.UpdateUserFunc(e.ctx, e.a, "ann", func(u licensing.User) (licensing.User, error) { u.Active = false; return u, nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := e.r.ReconcilePeople(e.ctx, e.a, []string{e.ids["ann"]}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.r.FillPending(e.ctx, e.a); err != nil {
		t.Fatal(err)
	}
	e.wantMembers("agents", map[string]string{"cat": "active scim-group:desk-europe seat_freed", "dan": "active scim-group:desk-europe seat_freed"})

	// Taking the pools away: the group's seats go, rule and manual seats
	// stay (cat's requester seat returns to the rule).
	for _, pool := range []string{"agents", "reqs"} {
		g, err := e.st.DeleteGroupGrant(e.ctx, e.a, pool, "desk-europe")
		if err != nil {
			t.Fatal(err)
		}
		e.reconcileGroup(g)
	}
	e.wantMembers("agents", map[string]string{})
	e.wantMembers("reqs", map[string]string{"bob": "active rule:desk", "cat": "active rule:desk", "dan": "active manual"})
	if d, err := e.r.ReconcileAll(e.ctx, e.a); err != nil || !d.Empty() {
		t.Fatalf("ReconcileAll after = %+v, %v; want nothing", d, err)
	}
	if gs, err := e.st.ListGroupGrants(e.ctx); err != nil || len(gs) != 0 {
		t.Fatalf("ListGroupGrants = %+v, %v; want none", gs, err)
	}
}
