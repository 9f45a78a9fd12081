package storetest

import (
	"time"

	"github.com/seatkeeper/seatkeeper/internal/entitle"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

// groupGrantTests cover pools assigned to SCIM groups: the grants
// themselves, and ApplyDiff writing the seats they give.
func groupGrantTests() []testCase {
	return []testCase{
		{"PutListDelete", func(e *env) {
			e.agent()
			e.named("agents", 2)
			e.named("spare", 1)
			ann, bob := e.user("ann"), e.user("bob")
			g := e.group("desk-eu", ann, bob)

			got, created, err := e.s.PutGroupGrant(e.ctx, e.admin, "agents", "DESK-EU")
			if err != nil || !created {
				e.t.Fatalf("PutGroupGrant = %+v, %v, %v; want created", got, created, err)
			}
			if got.GroupID != g.ID || got.Group != "desk-eu" || got.SKU != "agent" || got.GrantedBy != e.admin.Name ||
				!got.Since.Equal(Epoch) || !equalStrings(got.Members, sortedStrings([]string{ann.ID, bob.ID})) {
				e.t.Errorf("PutGroupGrant = %+v", got)
			}
			// Idempotent: the first grant's author and time stay.
			e.clock.Advance(time.Hour)
			again, created, err := e.s.PutGroupGrant(e.ctx, licensing.Actor{Name: "other"}, "agents", g.ID)
			if err != nil || created || again.GrantedBy != e.admin.Name || !again.Since.Equal(Epoch) {
				e.t.Errorf("PutGroupGrant again = %+v, %v, %v; want unchanged", again, created, err)
			}
			if _, _, err := e.s.PutGroupGrant(e.ctx, e.admin, "spare", "desk-eu"); err != nil {
				e.t.Fatalf("PutGroupGrant(spare): %v", err)
			}
			_, _, err = e.s.PutGroupGrant(e.ctx, e.admin, "nope", "desk-eu")
			wantCode(e.t, "PutGroupGrant(unknown pool)", err, licensing.CodeNotFound)
			_, _, err = e.s.PutGroupGrant(e.ctx, e.admin, "agents", "nobody")
			wantCode(e.t, "PutGroupGrant(unknown group)", err, licensing.CodeNotFound)

			e.wantGroupGrants("", "agents/desk-eu", "spare/desk-eu")
			e.wantGroupGrants("agents", "agents/desk-eu")
			_, err = e.s.PoolGroupGrants(e.ctx, "nope")
			wantCode(e.t, "PoolGroupGrants(unknown pool)", err, licensing.CodeNotFound)

			// A rename shows through; the grant is the group's, not its name's.
			if _, err := e.s.UpdateGroup(e.ctx, e.admin, g.ID, func(old store.Group) (store.Group, error) {
				old.DisplayName = "desk-europe"
				return old, nil
			}); err != nil {
				e.t.Fatalf("UpdateGroup: %v", err)
			}
			e.wantGroupGrants("agents", "agents/desk-europe")

			del, err := e.s.DeleteGroupGrant(e.ctx, e.admin, "agents", "desk-europe")
			if err != nil || del.Pool != "agents" || len(del.Members) != 2 {
				e.t.Fatalf("DeleteGroupGrant = %+v, %v", del, err)
			}
			_, err = e.s.DeleteGroupGrant(e.ctx, e.admin, "agents", "desk-europe")
			wantCode(e.t, "DeleteGroupGrant(again)", err, licensing.CodeNotFound)
			e.wantGroupGrants("", "spare/desk-europe")
			e.wantActions("group_grant.create", "group_grant.delete")
		}},
		{"GoWithGroupOrPool", func(e *env) {
			e.agent()
			e.named("agents", 2)
			e.named("spare", 1)
			e.group("desk-eu")
			e.group("desk-us")
			for _, pg := range [][2]string{{"agents", "desk-eu"}, {"agents", "desk-us"}, {"spare", "desk-us"}} {
				if _, _, err := e.s.PutGroupGrant(e.ctx, e.admin, pg[0], pg[1]); err != nil {
					e.t.Fatalf("PutGroupGrant(%v): %v", pg, err)
				}
			}
			if err := e.s.DeleteGroup(e.ctx, e.admin, "desk-eu"); err != nil {
				e.t.Fatalf("DeleteGroup: %v", err)
			}
			e.wantGroupGrants("", "agents/desk-us", "spare/desk-us")
			if err := e.s.DeletePool(e.ctx, e.admin, "spare"); err != nil {
				e.t.Fatalf("DeletePool: %v", err)
			}
			e.wantGroupGrants("", "agents/desk-us")
			// A group of the same name later starts with no grant.
			e.group("desk-eu")
			e.wantGroupGrants("", "agents/desk-us")
		}},
		{"ApplyDiff", func(e *env) {
			e.agent()
			e.named("agents", 2)
			ann, bob, dan := e.user("ann"), e.user("bob"), e.user("dan")
			e.member("agents", dan) // manual: one seat left
			src := entitle.GroupSource("desk-eu")
			grp := func(u licensing.User, reason string) entitle.Change {
				return entitle.Change{User: u.ID, UserName: u.UserName, SKU: "agent", Pool: "agents", Rule: src, Reason: reason}
			}
			res, err := e.s.ApplyDiff(e.ctx, e.admin, entitle.Diff{Gains: []entitle.Change{grp(ann, ""), grp(bob, "")}})
			if err != nil || res.Granted != 1 || len(res.Deferred) != 1 {
				e.t.Fatalf("ApplyDiff = %+v, %v; want ann granted, bob deferred", res, err)
			}
			e.wantMembers("agents", map[string]string{"ann": "active scim-group:desk-eu", "bob": "pending scim-group:desk-eu pool_full", "dan": "active manual"})

			// Renamed: a relabel rewrites the source of active and (through
			// Pending) waiting rows alike.
			renamed := entitle.GroupSource("desk-europe")
			relabel := grp(ann, entitle.ReasonRuleChanged)
			relabel.Rule = renamed
			pend := grp(bob, entitle.ReasonPoolFull)
			pend.Rule = renamed
			if res, err = e.s.ApplyDiff(e.ctx, e.admin, entitle.Diff{Relabels: []entitle.Change{relabel}, Pending: []entitle.Change{pend}}); err != nil || res.Relabelled != 1 || res.Pending != 1 {
				e.t.Fatalf("ApplyDiff(rename) = %+v, %v", res, err)
			}
			e.wantMembers("agents", map[string]string{"ann": "active scim-group:desk-europe", "bob": "pending scim-group:desk-europe pool_full", "dan": "active manual"})

			// A group seat may be revoked (ann left the group); the seat
			// goes to bob; a manual seat still may not be.
			loss := grp(ann, entitle.ReasonNotEntitled)
			loss.Rule = renamed
			gain := grp(bob, entitle.ReasonSeatFreed)
			gain.Rule = renamed
			if res, err = e.s.ApplyDiff(e.ctx, e.admin, entitle.Diff{Losses: []entitle.Change{loss}, Gains: []entitle.Change{gain}}); err != nil || res.Revoked != 1 || res.Granted != 1 {
				e.t.Fatalf("ApplyDiff(leaver) = %+v, %v", res, err)
			}
			_, err = e.s.ApplyDiff(e.ctx, e.admin, entitle.Diff{Losses: []entitle.Change{grp(dan, entitle.ReasonNotEntitled)}})
			wantCode(e.t, "ApplyDiff(loss of a manual seat)", err, licensing.CodeConflict)
			e.wantMembers("agents", map[string]string{"bob": "active scim-group:desk-europe seat_freed", "dan": "active manual"})
		}},
	}
}

// group creates a SCIM group of the given people.
func (e *env) group(name string, members ...licensing.User) store.Group {
	e.t.Helper()
	g, err := e.s.CreateGroup(e.ctx, e.admin, store.Group{DisplayName: name, Members: names(members)})
	if err != nil {
		e.t.Fatalf("CreateGroup(%s): %v", name, err)
	}
	return g
}

// wantGroupGrants compares the group grants of pool (all with "") as
// "pool/group".
func (e *env) wantGroupGrants(pool string, want ...string) {
	e.t.Helper()
	var gs []store.GroupGrant
	var err error
	if pool == "" {
		gs, err = e.s.ListGroupGrants(e.ctx)
	} else {
		gs, err = e.s.PoolGroupGrants(e.ctx, pool)
	}
	if err != nil {
		e.t.Fatalf("group grants of %q: %v", pool, err)
	}
	got := make([]string, len(gs))
	for i, g := range gs {
		got[i] = g.Pool + "/" + g.Group
	}
	if !equalStrings(got, want) {
		e.t.Errorf("group grants of %q = %v, want %v", pool, got, want)
	}
}
