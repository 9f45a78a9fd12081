package storetest

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

func identityTests() []testCase {
	return []testCase{
		{"identity_round_trip", func(e *env) {
			boss := e.user("boss")
			in := licensing.User{UserName: "ann@example.com", DisplayName: "Ann Lee", Email: "ann@example.com", EmployeeID: "E1", ExternalID: "00u1", JobCode: "ITSD-2", Kind: licensing.KindPerson, Active: true}
			id := store.Identity{GivenName: "Ann", FamilyName: "Lee", Organization: "Acme", Division: "EU", ManagerID: boss.ID,
				Emails: []store.Email{{Value: "ann@example.com", Type: "work", Primary: true}, {Value: "ann@home.example", Type: "home"}}}
			u, gotID, err := e.s.CreateIdentity(e.ctx, e.admin, in, id)
			if err != nil {
				e.t.Fatalf("CreateIdentity: %v", err)
			}
			if gotID.Version != 1 {
				e.t.Errorf("CreateIdentity version = %d, want 1", gotID.Version)
			}
			for _, key := range []string{u.ID, "ANN@example.com", "00u1", "E1"} {
				gu, gi, err := e.s.GetIdentity(e.ctx, key)
				if err != nil {
					e.t.Fatalf("GetIdentity(%q): %v", key, err)
				}
				want := id
				want.Version = 1
				if !reflect.DeepEqual(gi, want) || gu.ID != u.ID {
					e.t.Errorf("GetIdentity(%q) = %s %+v, want %s %+v", key, gu.ID, gi, u.ID, want)
				}
			}
			// A plain update keeps the identity and bumps the version.
			if _, err := e.s.UpdateUserFunc(e.ctx, e.admin, u.ID, func(o licensing.User) (licensing.User, error) { o.JobCode = "ITSD-3"; return o, nil }); err != nil {
				e.t.Fatalf("UpdateUserFunc: %v", err)
			}
			_, gi, _ := e.s.GetIdentity(e.ctx, u.ID)
			if gi.Version != 2 || gi.GivenName != "Ann" || gi.ManagerID != boss.ID {
				e.t.Errorf("after UpdateUserFunc identity = %+v, want version 2 with names and manager kept", gi)
			}
			// UpdateIdentity changes both in one go; clearing the manager.
			u2, gi2, err := e.s.UpdateIdentity(e.ctx, e.admin, "ann@example.com", func(o licensing.User, oi store.Identity) (licensing.User, store.Identity, error) {
				o.Department = "IT"
				oi.ManagerID, oi.FamilyName, oi.Emails = "", "Lee-Smith", nil
				return o, oi, nil
			})
			if err != nil {
				e.t.Fatalf("UpdateIdentity: %v", err)
			}
			if u2.Department != "IT" || u2.JobCode != "ITSD-3" || gi2.Version != 3 || gi2.ManagerID != "" || gi2.FamilyName != "Lee-Smith" {
				e.t.Errorf("UpdateIdentity = %+v %+v", u2, gi2)
			}
			_, gi, _ = e.s.GetIdentity(e.ctx, u.ID)
			if gi.Version != 3 || len(gi.Emails) != 0 || gi.Organization != "Acme" {
				e.t.Errorf("GetIdentity after UpdateIdentity = %+v", gi)
			}
			// Bad manager, self as manager, two primaries: refused, nothing written.
			for _, tc := range []struct {
				name string
				id   store.Identity
			}{
				{"unknown manager", store.Identity{ManagerID: "usr_nobody"}},
				{"own manager", store.Identity{ManagerID: u.ID}},
				{"two primaries", store.Identity{Emails: []store.Email{{Value: "a@x", Primary: true}, {Value: "b@x", Primary: true}}}},
			} {
				_, _, err := e.s.UpdateIdentity(e.ctx, e.admin, u.ID, func(o licensing.User, _ store.Identity) (licensing.User, store.Identity, error) { return o, tc.id, nil })
				wantCode(e.t, tc.name, err, licensing.CodeInvalid)
			}
			_, gi, _ = e.s.GetIdentity(e.ctx, u.ID)
			if gi.Version != 3 {
				e.t.Errorf("version after refused updates = %d, want 3", gi.Version)
			}
			// Duplicate user name, any case.
			_, _, err = e.s.CreateIdentity(e.ctx, e.admin, licensing.User{UserName: "ANN@EXAMPLE.COM", Kind: licensing.KindPerson, Active: true}, store.Identity{})
			wantCode(e.t, "CreateIdentity(duplicate)", err, licensing.CodeConflict)
			e.wantActions("user.create", "user.update")
		}},
		{"group_unique_case_insensitive", func(e *env) {
			g, err := e.s.CreateGroup(e.ctx, e.admin, store.Group{DisplayName: "Desk EU", ExternalID: "okta-1"})
			if err != nil {
				e.t.Fatalf("CreateGroup: %v", err)
			}
			for _, name := range []string{"Desk EU", "desk eu", " DESK EU "} {
				_, err := e.s.CreateGroup(e.ctx, e.admin, store.Group{DisplayName: name})
				wantCode(e.t, fmt.Sprintf("CreateGroup(%q)", name), err, licensing.CodeConflict)
			}
			_, err = e.s.CreateGroup(e.ctx, e.admin, store.Group{DisplayName: "  "})
			wantCode(e.t, "CreateGroup(blank)", err, licensing.CodeInvalid)
			for _, key := range []string{g.ID, "desk eu", "DESK EU"} {
				got, err := e.s.GetGroup(e.ctx, key)
				if err != nil || got.ID != g.ID || got.ExternalID != "okta-1" || got.Version != 1 {
					e.t.Errorf("GetGroup(%q) = %+v, %v", key, got, err)
				}
			}
			_, err = e.s.GetGroup(e.ctx, "nope")
			wantCode(e.t, "GetGroup(nope)", err, licensing.CodeNotFound)
			h, err := e.s.CreateGroup(e.ctx, e.admin, store.Group{DisplayName: "Other"})
			if err != nil {
				e.t.Fatalf("CreateGroup(Other): %v", err)
			}
			_, err = e.s.UpdateGroup(e.ctx, e.admin, h.ID, func(o store.Group) (store.Group, error) { o.DisplayName = "DESK eu"; return o, nil })
			wantCode(e.t, "rename onto an existing name", err, licensing.CodeConflict)
			list, err := e.s.ListGroups(e.ctx, store.GroupFilter{})
			if err != nil || len(list) != 2 || list[0].DisplayName != "Desk EU" || list[1].DisplayName != "Other" {
				e.t.Errorf("ListGroups = %+v, %v", list, err)
			}
			if err := e.s.DeleteGroup(e.ctx, e.admin, "other"); err != nil {
				e.t.Fatalf("DeleteGroup: %v", err)
			}
			wantCode(e.t, "DeleteGroup again", e.s.DeleteGroup(e.ctx, e.admin, "other"), licensing.CodeNotFound)
			e.wantActions("group.create", "group.delete")
		}},
		{"membership_reaches_engine_groups", func(e *env) {
			ann, bob, cat := e.user("ann", "vip"), e.user("bob"), e.user("cat")
			g, err := e.s.CreateGroup(e.ctx, e.admin, store.Group{DisplayName: "desk-eu", Members: []string{ann.ID, "bob"}})
			if err != nil {
				e.t.Fatalf("CreateGroup: %v", err)
			}
			if want := sortedIDs(ann, bob); !slices.Equal(g.Members, want) {
				e.t.Errorf("CreateGroup members = %v, want %v", g.Members, want)
			}
			e.wantGroups(ann, "vip", "desk-eu")
			e.wantGroups(bob, "desk-eu")
			e.wantInGroup("desk-eu", ann, bob)
			g, err = e.s.AddGroupMembers(e.ctx, e.admin, g.ID, []string{cat.ID, ann.ID})
			if err != nil || g.Version != 2 {
				e.t.Fatalf("AddGroupMembers = %+v, %v; want version 2", g, err)
			}
			e.wantInGroup("desk-eu", ann, bob, cat)
			_, err = e.s.AddGroupMembers(e.ctx, e.admin, g.ID, []string{"nobody"})
			wantCode(e.t, "AddGroupMembers(unknown)", err, licensing.CodeInvalid)
			if _, err := e.s.RemoveGroupMembers(e.ctx, e.admin, "DESK-EU", []string{bob.ID, "usr_gone"}); err != nil {
				e.t.Fatalf("RemoveGroupMembers: %v", err)
			}
			e.wantInGroup("desk-eu", ann, cat)
			e.wantGroups(bob)
			if _, err := e.s.ReplaceGroupMembers(e.ctx, e.admin, g.ID, []string{bob.ID}); err != nil {
				e.t.Fatalf("ReplaceGroupMembers: %v", err)
			}
			e.wantInGroup("desk-eu", bob)
			e.wantGroups(ann, "vip")
			e.wantGroups(cat)
			// A rename follows into every member's groups.
			if _, err := e.s.UpdateGroup(e.ctx, e.admin, g.ID, func(o store.Group) (store.Group, error) {
				o.DisplayName, o.Members = "desk-europe", append(o.Members, cat.ID)
				return o, nil
			}); err != nil {
				e.t.Fatalf("UpdateGroup: %v", err)
			}
			e.wantGroups(bob, "desk-europe")
			e.wantGroups(cat, "desk-europe")
			e.wantInGroup("desk-eu")
			e.wantInGroup("desk-europe", bob, cat)
			// Naming an existing group in a person's groups makes them a member.
			if _, err := e.s.UpdateUserFunc(e.ctx, e.admin, "ann", func(o licensing.User) (licensing.User, error) {
				o.Groups = append(o.Groups, "desk-europe")
				return o, nil
			}); err != nil {
				e.t.Fatalf("UpdateUserFunc: %v", err)
			}
			got, _ := e.s.GetGroup(e.ctx, "desk-europe")
			if want := sortedIDs(ann, bob, cat); !slices.Equal(got.Members, want) {
				e.t.Errorf("members after ann names the group = %v, want %v", got.Members, want)
			}
			mine, err := e.s.ListGroups(e.ctx, store.GroupFilter{Member: ann.ID})
			if err != nil || len(mine) != 1 || mine[0].DisplayName != "desk-europe" {
				e.t.Errorf("ListGroups(member ann) = %+v, %v", mine, err)
			}
			// Deleting the group takes it from everyone.
			if err := e.s.DeleteGroup(e.ctx, e.admin, g.ID); err != nil {
				e.t.Fatalf("DeleteGroup: %v", err)
			}
			e.wantGroups(ann, "vip")
			e.wantGroups(bob)
			e.wantInGroup("desk-europe")
			// Deleting a person takes them out of groups.
			g2, _ := e.s.CreateGroup(e.ctx, e.admin, store.Group{DisplayName: "x", Members: []string{"bob"}})
			if err := e.s.DeleteUser(e.ctx, e.admin, "bob"); err != nil {
				e.t.Fatalf("DeleteUser: %v", err)
			}
			if got, _ := e.s.GetGroup(e.ctx, g2.ID); len(got.Members) != 0 {
				e.t.Errorf("members after DeleteUser = %v, want none", got.Members)
			}
			e.wantActions("group.members")
		}},
		{"rules_crud_and_versions", func(e *env) {
			body := []byte(`{"when":{"job_code":["ITSD-*"]},"grant":[{"sku":"agent","model":"named"}]}`)
			r, err := e.s.CreateRule(e.ctx, e.admin, store.RuleRecord{ID: "desk-agents", Priority: 10, Enabled: true, Body: body})
			if err != nil || r.Version != 1 {
				e.t.Fatalf("CreateRule = %+v, %v", r, err)
			}
			_, err = e.s.CreateRule(e.ctx, e.admin, store.RuleRecord{ID: "desk-agents", Body: body})
			wantCode(e.t, "CreateRule(duplicate)", err, licensing.CodeConflict)
			_, err = e.s.CreateRule(e.ctx, e.admin, store.RuleRecord{ID: "bad", Body: []byte(`{"when":`)})
			wantCode(e.t, "CreateRule(bad JSON)", err, licensing.CodeInvalid)
			_, err = e.s.CreateRule(e.ctx, e.admin, store.RuleRecord{Body: body})
			wantCode(e.t, "CreateRule(no id)", err, licensing.CodeInvalid)
			if _, err := e.s.CreateRule(e.ctx, e.admin, store.RuleRecord{ID: "low", Priority: 1, Body: []byte(`{}`)}); err != nil {
				e.t.Fatalf("CreateRule(low): %v", err)
			}
			e.clock.Advance(time.Minute)
			body2 := []byte(`{"when":{"job_code":["ITSD-2"]},"grant":[{"sku":"agent","model":"named"}]}`)
			r, err = e.s.UpdateRule(e.ctx, e.admin, store.RuleRecord{ID: "desk-agents", Version: 1, Priority: 20, Body: body2})
			if err != nil || r.Version != 2 || !r.CreatedAt.Equal(Epoch) {
				e.t.Fatalf("UpdateRule = %+v, %v", r, err)
			}
			_, err = e.s.UpdateRule(e.ctx, e.admin, store.RuleRecord{ID: "desk-agents", Version: 1, Body: body2})
			wantCode(e.t, "UpdateRule(stale version)", err, licensing.CodeConflict)
			_, err = e.s.UpdateRule(e.ctx, e.admin, store.RuleRecord{ID: "nope", Body: body2})
			wantCode(e.t, "UpdateRule(unknown)", err, licensing.CodeNotFound)
			got, err := e.s.GetRule(e.ctx, "desk-agents")
			if err != nil || got.Version != 2 || got.Priority != 20 || got.Enabled || !jsonEqual(got.Body, body2) {
				e.t.Errorf("GetRule = %+v (%s), %v", got, got.Body, err)
			}
			list, err := e.s.ListRules(e.ctx)
			if err != nil || len(list) != 2 || list[0].ID != "desk-agents" || list[1].ID != "low" {
				e.t.Errorf("ListRules = %+v, %v", list, err)
			}
			if err := e.s.DeleteRule(e.ctx, e.admin, "desk-agents"); err != nil {
				e.t.Fatalf("DeleteRule: %v", err)
			}
			wantCode(e.t, "DeleteRule again", e.s.DeleteRule(e.ctx, e.admin, "desk-agents"), licensing.CodeNotFound)
			_, err = e.s.GetRule(e.ctx, "desk-agents")
			wantCode(e.t, "GetRule(deleted)", err, licensing.CodeNotFound)
			// Created again: the history goes on.
			r, err = e.s.CreateRule(e.ctx, e.admin, store.RuleRecord{ID: "desk-agents", Enabled: true, Body: body})
			if err != nil || r.Version != 4 {
				e.t.Fatalf("CreateRule(after delete) = %+v, %v; want version 4", r, err)
			}
			vs, err := e.s.RuleVersions(e.ctx, "desk-agents")
			if err != nil {
				e.t.Fatalf("RuleVersions: %v", err)
			}
			var seq []string
			for _, v := range vs {
				seq = append(seq, fmt.Sprintf("%d:%s:%s", v.Version, v.ChangedBy, compactJSON(v.Body)))
			}
			want := []string{"1:admin-token:" + compactJSON(body), "2:admin-token:" + compactJSON(body2), "3:admin-token:null", "4:admin-token:" + compactJSON(body)}
			if !slices.Equal(seq, want) {
				e.t.Errorf("RuleVersions = %v, want %v", seq, want)
			}
			e.wantActions("rule.create", "rule.update", "rule.delete")
		}},
		{"provisioning_timing", func(e *env) {
			ann := e.user("ann")
			received := e.clock.Peek()
			ev, err := e.s.RecordProvisioning(e.ctx, e.admin, ann.ID, "deactivate", received)
			if err != nil {
				e.t.Fatalf("RecordProvisioning: %v", err)
			}
			_, err = e.s.RecordProvisioning(e.ctx, e.admin, ann.ID, "", received)
			wantCode(e.t, "RecordProvisioning(no kind)", err, licensing.CodeInvalid)
			list, _ := e.s.ListProvisioning(e.ctx, ann.ID)
			if len(list) != 1 || !list[0].CompletedAt.IsZero() || list[0].Duration() != 0 {
				e.t.Errorf("ListProvisioning before completion = %+v", list)
			}
			if err := e.s.CompleteProvisioning(e.ctx, e.admin, ev, received.Add(42*time.Millisecond)); err != nil {
				e.t.Fatalf("CompleteProvisioning: %v", err)
			}
			wantCode(e.t, "CompleteProvisioning(unknown)", e.s.CompleteProvisioning(e.ctx, e.admin, ev+100, received), licensing.CodeNotFound)
			list, err = e.s.ListProvisioning(e.ctx, "")
			if err != nil || len(list) != 1 || list[0].Kind != "deactivate" || list[0].UserID != ann.ID || list[0].Duration() != 42*time.Millisecond || !list[0].ReceivedAt.Equal(received) {
				e.t.Errorf("ListProvisioning = %+v, %v", list, err)
			}
			e.wantActions("user.provision")
		}},
		{"import_batch", func(e *env) {
			e.user("boss")
			str := func(s string) *string { return &s }
			set := func(job string) func(*licensing.User, *store.Identity, bool) error {
				return func(u *licensing.User, id *store.Identity, _ bool) error {
					u.JobCode, id.Division = job, "EU"
					return nil
				}
			}
			rows := []store.PersonRow{
				{UserName: "ann", Apply: set("A"), Manager: str("boss")},
				{UserName: "bob", Apply: set("B"), Manager: str("cat")}, // cat comes later
				{UserName: "boss", Apply: set("X")},
				{UserName: "cat", EmployeeID: "E1", Apply: func(u *licensing.User, _ *store.Identity, _ bool) error {
					u.EmployeeID, u.Email = "E1", "boss@example.com"
					return nil
				}}, // boss's email: may be shared
			}
			res, err := e.s.ImportPeople(e.ctx, e.admin, rows, true)
			if err != nil {
				e.t.Fatalf("ImportPeople(dry run): %v", err)
			}
			if got := outcomes(res); got != "created created updated created" {
				e.t.Errorf("dry run outcomes = %s", got)
			}
			if list, _ := e.s.ListUsers(e.ctx, store.UserFilter{Limit: 10}); len(list) != 1 {
				e.t.Errorf("dry run wrote people: %v", names(list))
			}
			res, err = e.s.ImportPeople(e.ctx, e.admin, rows, false)
			if err != nil {
				e.t.Fatalf("ImportPeople: %v", err)
			}
			if got := outcomes(res); got != "created created updated created" || !res[1].ManagerMissing || res[0].ManagerMissing {
				e.t.Errorf("outcomes = %s (%+v)", got, res)
			}
			u, id, err := e.s.GetIdentity(e.ctx, "ann")
			boss, _ := e.s.GetUser(e.ctx, "boss")
			if err != nil || u.JobCode != "A" || id.Division != "EU" || id.ManagerID != boss.ID {
				e.t.Errorf("ann = %+v %+v, %v", u, id, err)
			}
			// Again: bob's manager, listed after him, is found now; nothing
			// else changes.
			res, _ = e.s.ImportPeople(e.ctx, e.admin, rows[:3], false)
			if got := outcomes(res); got != "unchanged updated unchanged" {
				e.t.Errorf("second import outcomes = %s", got)
			}
			res, _ = e.s.ImportPeople(e.ctx, e.admin, rows[:3], false)
			if got := outcomes(res); got != "unchanged unchanged unchanged" {
				e.t.Errorf("third import outcomes = %s", got)
			}
			cat, _ := e.s.GetUser(e.ctx, "cat")
			// Matched by external id when the user name changed.
			if _, err := e.s.UpdateUserFunc(e.ctx, e.admin, "bob", func(o licensing.User) (licensing.User, error) { o.ExternalID = "ext-b"; return o, nil }); err != nil {
				e.t.Fatal(err)
			}
			res, _ = e.s.ImportPeople(e.ctx, e.admin, []store.PersonRow{{UserName: "robert", ExternalID: "EXT-B", Apply: func(u *licensing.User, _ *store.Identity, _ bool) error {
				u.UserName, u.Active = "robert", false
				return nil
			}}}, false)
			if got := outcomes(res); got != "updated" || !res[0].Deactivated {
				e.t.Errorf("rename by external id = %s %+v", got, res)
			}
			gone, err := e.s.DeactivatePeopleExcept(e.ctx, e.admin, map[string]bool{u.ID: true, cat.ID: true}, false)
			if err != nil || len(gone) != 1 || gone[0] != boss.ID {
				e.t.Errorf("DeactivatePeopleExcept = %v, %v; want boss", gone, err)
			}
		}},
	}
}

func outcomes(res []store.PersonResult) string {
	var s []string
	for _, r := range res {
		s = append(s, r.Outcome)
	}
	return fmt.Sprint(s)[1 : len(fmt.Sprint(s))-1]
}

func sortedIDs(us ...licensing.User) []string {
	var out []string
	for _, u := range us {
		out = append(out, u.ID)
	}
	slices.Sort(out)
	return out
}

// wantGroups checks a person's engine-facing groups, in the user record and
// in what the engine loads.
func (e *env) wantGroups(u licensing.User, want ...string) {
	e.t.Helper()
	got, err := e.s.GetUser(e.ctx, u.ID)
	if err != nil {
		e.t.Fatalf("GetUser(%s): %v", u.UserName, err)
	}
	p, err := e.s.LoadPerson(e.ctx, u.ID)
	if err != nil {
		e.t.Fatalf("LoadPerson(%s): %v", u.UserName, err)
	}
	g, pg := slices.Clone(got.Groups), slices.Clone(p.User.Groups)
	slices.Sort(g)
	slices.Sort(pg)
	w := slices.Clone(want)
	slices.Sort(w)
	if len(w) == 0 {
		w = nil
	}
	if len(g) == 0 {
		g = nil
	}
	if len(pg) == 0 {
		pg = nil
	}
	if !slices.Equal(g, w) || !slices.Equal(pg, w) {
		e.t.Errorf("%s groups = %v (engine %v), want %v", u.UserName, g, pg, w)
	}
}

// wantInGroup checks who ListUsers finds in group g (the user_groups table).
func (e *env) wantInGroup(g string, want ...licensing.User) {
	e.t.Helper()
	list, err := e.s.ListUsers(e.ctx, store.UserFilter{Group: g, Limit: 100})
	if err != nil {
		e.t.Fatalf("ListUsers(group %s): %v", g, err)
	}
	var got, w []string
	for _, u := range list {
		got = append(got, u.UserName)
	}
	for _, u := range want {
		w = append(w, u.UserName)
	}
	slices.Sort(w)
	if !slices.Equal(got, w) {
		e.t.Errorf("people in group %s = %v, want %v", g, got, w)
	}
}

// wantActions checks that the audit log holds each action.
func (e *env) wantActions(actions ...string) {
	e.t.Helper()
	entries, err := e.s.ListAudit(e.ctx, 0, 100000)
	if err != nil {
		e.t.Fatalf("ListAudit: %v", err)
	}
	have := map[string]bool{}
	for _, en := range entries {
		have[en.Action] = true
	}
	for _, a := range actions {
		if !have[a] {
			e.t.Errorf("audit has no %s entry", a)
		}
	}
}

func compactJSON(b []byte) string {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return string(b)
	}
	out, _ := json.Marshal(v)
	return string(out)
}

func jsonEqual(a, b []byte) bool { return compactJSON(a) == compactJSON(b) }
