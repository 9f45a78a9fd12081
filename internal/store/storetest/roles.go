package storetest

import (
	"slices"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

// roleTests (issue 12, part 1): administrators are people with roles;
// granting and revoking is audited, idempotent, loaded with the person for
// the engine, and gone with the person. A role takes no seat.
func roleTests() []testCase {
	return []testCase{
		{"grant_revoke_list_audited", func(e *env) {
			ann, bob := e.user("ann"), e.user("bob")
			h, granted, err := e.s.GrantRole(e.ctx, e.admin, "ANN", licensing.RoleAuditor)
			if err != nil || !granted || h.User != ann.ID || h.UserName != "ann" || h.GrantedBy != e.admin.Name {
				e.t.Fatalf("GrantRole: %+v granted %v err %v", h, granted, err)
			}
			if _, granted, err := e.s.GrantRole(e.ctx, e.admin, ann.ID, licensing.RoleAuditor); err != nil || granted {
				e.t.Errorf("a second grant: granted %v err %v, want an idempotent no-op", granted, err)
			}
			if _, _, err := e.s.GrantRole(e.ctx, e.admin, bob.UserName, licensing.RoleLicenceAdmin); err != nil {
				e.t.Fatal(err)
			}
			if _, _, err := e.s.GrantRole(e.ctx, e.admin, ann.UserName, licensing.RoleIdentityAdmin); err != nil {
				e.t.Fatal(err)
			}
			_, _, err = e.s.GrantRole(e.ctx, e.admin, ann.UserName, "owner")
			wantCode(e.t, "an unknown role", err, licensing.CodeInvalid)
			_, _, err = e.s.GrantRole(e.ctx, e.admin, "nobody", licensing.RoleAuditor)
			wantCode(e.t, "an unknown person", err, licensing.CodeNotFound)
			list, err := e.s.ListRoles(e.ctx)
			if err != nil {
				e.t.Fatal(err)
			}
			var got []string
			for _, h := range list {
				got = append(got, string(h.Role)+":"+h.UserName)
			}
			if want := []string{"auditor:ann", "identity_admin:ann", "licence_admin:bob"}; !slices.Equal(got, want) {
				e.t.Errorf("ListRoles = %v, want %v", got, want)
			}
			p, err := e.s.LoadPerson(e.ctx, ann.ID)
			if err != nil || !slices.Equal(p.User.Roles, []licensing.Role{licensing.RoleAuditor, licensing.RoleIdentityAdmin}) {
				e.t.Errorf("LoadPerson roles %v err %v", p.User.Roles, err)
			}
			people, err := e.s.LoadPeople(e.ctx)
			if err != nil {
				e.t.Fatal(err)
			}
			for _, p := range people {
				if p.User.ID == bob.ID && !slices.Equal(p.User.Roles, []licensing.Role{licensing.RoleLicenceAdmin}) {
					e.t.Errorf("LoadPeople: bob's roles %v", p.User.Roles)
				}
			}
			if err := e.s.RevokeRole(e.ctx, e.admin, ann.UserName, licensing.RoleAuditor); err != nil {
				e.t.Fatal(err)
			}
			wantCode(e.t, "revoking a role not held", e.s.RevokeRole(e.ctx, e.admin, ann.UserName, licensing.RoleAuditor), licensing.CodeNotFound)
			entries := e.auditAfter(0)
			var actions []string
			for _, x := range entries {
				if x.Action == "role.grant" || x.Action == "role.revoke" {
					actions = append(actions, x.Action+" "+x.Subject+" "+x.Detail)
				}
			}
			want := []string{"role.grant user:ann role=auditor", "role.grant user:bob role=licence_admin", "role.grant user:ann role=identity_admin", "role.revoke user:ann role=auditor"}
			if !slices.Equal(actions, want) {
				e.t.Errorf("audited %v, want %v", actions, want)
			}
			// The person goes, their roles with them.
			if err := e.s.DeleteUser(e.ctx, e.admin, bob.ID); err != nil {
				e.t.Fatal(err)
			}
			if list, _ := e.s.ListRoles(e.ctx); len(list) != 1 || list[0].UserName != "ann" {
				e.t.Errorf("roles after bob's deletion: %+v", list)
			}
		}},
		{"roles_take_no_seat", func(e *env) {
			e.agent()
			e.concurrent("floating", 1)
			ann := e.user("ann")
			if _, _, err := e.s.GrantRole(e.ctx, e.admin, ann.UserName, licensing.RoleLicenceAdmin); err != nil {
				e.t.Fatal(err)
			}
			u, err := e.s.Usage(e.ctx)
			if err != nil || len(u) != 1 || u[0].Held != 0 || u[0].Members != 0 {
				e.t.Errorf("usage after a role grant: %+v %v", u, err)
			}
		}},
	}
}

// dashboardTests: the dashboard's held-over-time series is exact: the most
// held at once per bucket, a lease counting until it ended or expired.
func dashboardTests() []testCase {
	return []testCase{
		{"held_series_per_bucket", func(e *env) {
			e.agent()
			e.concurrent("floating", 3, func(p *licensing.Pool) { p.IdleTimeout = 2 * time.Hour })
			e.named("named", 2)
			people := e.users("p", 3)
			for _, u := range people {
				if _, _, err := e.s.PutMember(e.ctx, e.admin, "floating", u.UserName, ""); err != nil {
					e.t.Fatal(err)
				}
			}
			// 09:00 ann takes a seat (ends 09:40); 09:20 bob (kept); 09:35 cy
			// (ends 09:36). Buckets of 15 min from 09:00 to 10:00: 1, 2, 3, 1
			// (only bob from 09:45 on).
			start := func(u licensing.User) licensing.Session {
				ss, err := e.s.StartSession(e.ctx, e.admin, u.UserName, true, nil)
				if err != nil {
					e.t.Fatalf("StartSession %s: %v", u.UserName, err)
				}
				if _, err := e.s.Checkout(e.ctx, e.admin, ss.ID, "floating"); err != nil {
					e.t.Fatalf("Checkout %s: %v", u.UserName, err)
				}
				return ss
			}
			ann := start(people[0])
			e.clock.Advance(20 * time.Minute)
			start(people[1])
			e.clock.Advance(15 * time.Minute)
			cy := start(people[2])
			e.clock.Advance(time.Minute)
			if err := e.s.EndSession(e.ctx, e.admin, cy.ID, licensing.EndLogout); err != nil {
				e.t.Fatal(err)
			}
			e.clock.Advance(4 * time.Minute)
			if err := e.s.EndSession(e.ctx, e.admin, ann.ID, licensing.EndLogout); err != nil {
				e.t.Fatal(err)
			}
			e.clock.Advance(20 * time.Minute) // 10:00
			d, err := e.s.ReadDashboard(e.ctx, time.Hour, 15*time.Minute)
			if err != nil {
				e.t.Fatal(err)
			}
			if got := d.Held["floating"]; !slices.Equal(got, []int{1, 2, 3, 1}) {
				e.t.Errorf("held series %v, want [1 2 3 1]", got)
			}
			if _, ok := d.Held["named"]; ok {
				e.t.Errorf("a named pool has a lease series")
			}
			var u store.PoolUsage
			for _, x := range d.Usage {
				if x.Pool == "floating" {
					u = x
				}
			}
			if u.Held != 1 || len(d.Pools) != 2 {
				e.t.Errorf("usage %+v pools %d", u, len(d.Pools))
			}
		}},
	}
}
