package storetest

import (
	"fmt"

	"github.com/seatkeeper/seatkeeper/internal/entitle"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

func accessTests() []testCase {
	return []testCase{
		{"ReviewFiltersAndPages", testAccessReview},
		{"LiveLeasesOfUserNames", testAccessLeases},
		{"RulesEver", testRulesEver},
		{"ModuleGaps", testModuleGaps},
	}
}

// accessRows renders rows as "user pool sku state source reason".
func (e *env) accessRows(f store.AccessFilter) []string {
	e.t.Helper()
	rows, err := e.s.AccessReview(e.ctx, f)
	if err != nil {
		e.t.Fatalf("AccessReview(%+v): %v", f, err)
	}
	out := []string{}
	for _, r := range rows {
		if r.Member.User != r.User.ID || r.Member.UserName != r.User.UserName {
			e.t.Errorf("row %+v: member and user disagree", r)
		}
		out = append(out, fmt.Sprintf("%s %s %s %s %s %s", r.User.UserName, r.Member.Pool, r.SKU, r.Member.State, r.Member.Source, r.Member.Reason))
	}
	return out
}

func (e *env) wantAccess(f store.AccessFilter, want ...string) {
	e.t.Helper()
	got := e.accessRows(f)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		e.t.Errorf("AccessReview(%+v)\n got %q\nwant %q", f, got, want)
	}
}

func testAccessReview(e *env) {
	e.agent()
	e.putSKU("viewer", licensing.TierStakeholder)
	e.named("agents", 1)
	e.concurrent("floating", 1)
	e.createPool(licensing.Pool{ID: "views", SKU: "viewer", Model: licensing.ModelNamed, Seats: 5})
	// Upper case sorts by its lower-case form: Bob between ann and cat.
	ann, bob, cat := e.user("ann", "desk-eu"), e.user("Bob"), e.user("cat")
	e.member("agents", ann)
	e.member("floating", ann, cat)
	if _, _, err := e.s.PutMember(e.ctx, e.admin, "views", bob.UserName, "scim-group:viewers"); err != nil {
		e.t.Fatalf("PutMember(views, Bob): %v", err)
	}
	if _, err := e.s.ApplyDiff(e.ctx, e.admin, entitle.Diff{Pending: []entitle.Change{
		{User: bob.ID, UserName: bob.UserName, SKU: "agent", Pool: "agents", Rule: "desk", Reason: entitle.ReasonPoolFull},
	}}); err != nil {
		e.t.Fatalf("ApplyDiff: %v", err)
	}
	all := []string{
		"ann agents agent active manual ",
		"ann floating agent active manual ",
		"Bob agents agent pending rule:desk pool_full",
		"Bob views viewer active scim-group:viewers ",
		"cat floating agent active manual ",
	}
	e.wantAccess(store.AccessFilter{}, all...)
	e.wantAccess(store.AccessFilter{UserID: bob.ID}, all[2:4]...)
	e.wantAccess(store.AccessFilter{Pool: "floating"}, all[1], all[4])
	e.wantAccess(store.AccessFilter{SKU: "viewer"}, all[3])
	e.wantAccess(store.AccessFilter{State: licensing.MemberPending}, all[2])
	e.wantAccess(store.AccessFilter{Source: "manual"}, all[0], all[1], all[4])
	e.wantAccess(store.AccessFilter{SourcePrefix: "rule:"}, all[2])
	e.wantAccess(store.AccessFilter{SourcePrefix: "scim-group:"}, all[3])
	e.wantAccess(store.AccessFilter{Source: "rule:nope"})

	// Pages of two, continuing after the last row, cover every row once;
	// the cursor's user name may come in any case.
	var paged []string
	f := store.AccessFilter{Limit: 2}
	for range 5 {
		rows, err := e.s.AccessReview(e.ctx, f)
		if err != nil {
			e.t.Fatalf("AccessReview(%+v): %v", f, err)
		}
		for _, r := range rows {
			paged = append(paged, e.accessRows(store.AccessFilter{UserID: r.User.ID, Pool: r.Member.Pool})...)
		}
		if len(rows) < f.Limit {
			break
		}
		last := rows[len(rows)-1]
		f.AfterUser, f.AfterPool = last.User.UserName, last.Member.Pool
	}
	if fmt.Sprint(paged) != fmt.Sprint(all) {
		e.t.Errorf("paged\n got %q\nwant %q", paged, all)
	}
	e.wantAccess(store.AccessFilter{AfterUser: "BOB", AfterPool: "agents"}, all[3:]...)

	// Revoked seats leave the review; a leaver's leave with them.
	if err := e.s.DeleteMember(e.ctx, e.admin, "floating", cat.UserName); err != nil {
		e.t.Fatalf("DeleteMember: %v", err)
	}
	e.wantAccess(store.AccessFilter{Pool: "floating"}, all[1])
	e.deactivate(ann)
	e.wantAccess(store.AccessFilter{}, all[2:4]...)
}

func testAccessLeases(e *env) {
	e.agent()
	e.concurrent("floating", 3)
	ann, bob, cat := e.user("ann"), e.user("bob"), e.user("cat")
	e.member("floating", ann, bob, cat)
	e.start(ann, "floating")
	e.start(cat, "floating")
	ls, err := e.s.LiveLeasesOfUserNames(e.ctx, "ANN", "bob")
	if err != nil {
		e.t.Fatalf("LiveLeasesOfUserNames: %v", err)
	}
	if len(ls) != 1 || ls[0].User != ann.ID || ls[0].Pool != "floating" || ls[0].ExpiresAt.IsZero() || !ls[0].EndedAt.IsZero() {
		e.t.Fatalf("LiveLeasesOfUserNames(ann, bob) = %+v, want ann's one live lease", ls)
	}
	if ls, err = e.s.LiveLeasesOfUserNames(e.ctx, "ann", "cat"); err != nil || len(ls) != 2 {
		e.t.Fatalf("LiveLeasesOfUserNames(ann, cat) = %+v, %v; want 2", ls, err)
	}
}

func testRulesEver(e *env) {
	for _, id := range []string{"live", "gone"} {
		if _, err := e.s.CreateRule(e.ctx, e.admin, store.RuleRecord{ID: id, Priority: 1, Enabled: true, Body: []byte(`{"id":"` + id + `"}`)}); err != nil {
			e.t.Fatalf("CreateRule(%s): %v", id, err)
		}
	}
	if _, err := e.s.UpdateRule(e.ctx, e.admin, store.RuleRecord{ID: "gone", Priority: 2, Enabled: true, Body: []byte(`{"v":2}`)}); err != nil {
		e.t.Fatalf("UpdateRule: %v", err)
	}
	if err := e.s.DeleteRule(e.ctx, e.admin, "gone"); err != nil {
		e.t.Fatalf("DeleteRule: %v", err)
	}
	rs, err := e.s.RulesEver(e.ctx)
	if err != nil {
		e.t.Fatalf("RulesEver: %v", err)
	}
	got := []string{}
	for _, r := range rs {
		got = append(got, fmt.Sprintf("%s v%d p%d deleted=%v %s", r.ID, r.Version, r.Priority, r.Deleted, r.Body))
	}
	want := []string{`gone v2 p2 deleted=true {"v":2}`, `live v1 p1 deleted=false {"id":"live"}`}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		e.t.Errorf("RulesEver\n got %q\nwant %q", got, want)
	}
}
