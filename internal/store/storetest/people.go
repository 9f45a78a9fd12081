package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

func userTests() []testCase {
	return []testCase{
		{"create_and_get_by_any_key", func(e *env) {
			in := licensing.User{
				UserName: "Ann.Lee@Example.com", DisplayName: "Ann Lee", Email: "Ann.Lee@Example.com",
				EmployeeID: "E100", ExternalID: "00u1abcd", JobCode: "ITSD-2", Department: "IT", CostCenter: "CC-7",
				EmployeeType: "employee", Groups: []string{"desk-eu", "vip"}, Kind: licensing.KindPerson, Active: true,
			}
			u, err := e.s.CreateUser(e.ctx, e.admin, in)
			if err != nil {
				e.t.Fatalf("CreateUser: %v", err)
			}
			if u.ID == "" {
				e.t.Fatalf("CreateUser returned an empty id")
			}
			want := in
			want.ID, want.CreatedAt, want.UpdatedAt = u.ID, Epoch, Epoch
			for _, key := range []string{u.ID, "Ann.Lee@Example.com", "ann.lee@example.com", "ANN.LEE@EXAMPLE.COM", "E100", "00u1abcd"} {
				got, err := e.s.GetUser(e.ctx, key)
				if err != nil {
					e.t.Errorf("GetUser(%q): %v", key, err)
					continue
				}
				if !reflect.DeepEqual(got, want) {
					e.t.Errorf("GetUser(%q) = %+v, want %+v", key, got, want)
				}
			}
			// Email differs from the user name: both find the person.
			v, err := e.s.CreateUser(e.ctx, e.admin, licensing.User{UserName: "bob", Email: "Robert.Roe@example.com", Kind: licensing.KindPerson, Active: true})
			if err != nil {
				e.t.Fatalf("CreateUser(bob): %v", err)
			}
			if got, err := e.s.GetUser(e.ctx, "robert.roe@EXAMPLE.com"); err != nil || got.ID != v.ID {
				e.t.Errorf("GetUser(email of bob, other case) = %s, %v; want %s", got.ID, err, v.ID)
			}
			for _, key := range []string{"nobody", "e100x", "usr_nobody"} {
				_, err := e.s.GetUser(e.ctx, key)
				wantCode(e.t, fmt.Sprintf("GetUser(%q)", key), err, licensing.CodeNotFound)
			}
		}},
		{"empty_key_finds_nobody", func(e *env) {
			// bob has no employee or external id: an empty key must not
			// resolve to him (an empty acting-user header is nobody).
			e.user("bob")
			if got, err := e.s.GetUser(e.ctx, ""); err == nil {
				e.t.Errorf("STORE BUG: GetUser(\"\") = %s (%s), want code %s "+
					"(store.findUser matches the empty employee_id/external_id columns of people without them)", got.UserName, got.ID, licensing.CodeNotFound)
			} else {
				wantCode(e.t, "GetUser(\"\")", err, licensing.CodeNotFound)
			}
		}},
		{"duplicate_user_name_case_insensitive", func(e *env) {
			e.user("ann")
			for _, name := range []string{"ann", "ANN", "Ann"} {
				_, err := e.s.CreateUser(e.ctx, e.admin, licensing.User{UserName: name, Kind: licensing.KindPerson, Active: true})
				wantCode(e.t, fmt.Sprintf("CreateUser(%q) after \"ann\"", name), err, licensing.CodeConflict)
			}
			list, err := e.s.ListUsers(e.ctx, store.UserFilter{Limit: 100})
			if err != nil {
				e.t.Fatalf("ListUsers: %v", err)
			}
			if len(list) != 1 {
				e.t.Errorf("ListUsers after refused duplicates = %v, want only ann", names(list))
			}
		}},
		{"concurrent_creates_claim_each_key_once", func(e *env) {
			// Six writers race for one user name in different cases and
			// widths: exactly one wins. Two more share an email and an
			// external ID, which are not unique: both win.
			var wg sync.WaitGroup
			errs := make([]error, 8)
			spellings := []string{"racer", "Racer", "RACER", "ｒａｃｅｒ", "rAcEr", "ＲＡＣＥＲ"}
			for i := range 8 {
				wg.Go(func() {
					u := licensing.User{UserName: fmt.Sprintf("sharer%d", i), Email: "shared@example.com", ExternalID: "X-EXT", Kind: licensing.KindPerson, Active: true}
					if i < len(spellings) {
						u = licensing.User{UserName: spellings[i], Kind: licensing.KindPerson, Active: true}
					}
					_, errs[i] = e.s.CreateUser(e.ctx, e.admin, u)
				})
			}
			wg.Wait()
			won := 0
			for i, err := range errs[:6] {
				if err == nil {
					won++
				} else if licensing.ErrorCode(err) != licensing.CodeConflict {
					e.t.Errorf("racer %d: %v, want a conflict or success", i, err)
				}
			}
			if won != 1 {
				e.t.Errorf("%d writers took the user name racer, want 1 (%v)", won, errs[:6])
			}
			if errs[6] != nil || errs[7] != nil {
				e.t.Errorf("two people sharing an email and external ID: %v and %v, want both created", errs[6], errs[7])
			}
		}},
		{"invalid", func(e *env) {
			for _, tc := range []struct {
				name string
				u    licensing.User
			}{
				{"empty user_name", licensing.User{Active: true}},
				{"space in user_name", licensing.User{UserName: "ann lee", Active: true}},
				{"bad kind", licensing.User{UserName: "ann", Kind: "robot", Active: true}},
				{"bad group", licensing.User{UserName: "ann", Groups: []string{" desk-eu"}, Active: true}},
			} {
				_, err := e.s.CreateUser(e.ctx, e.admin, tc.u)
				wantCode(e.t, "CreateUser("+tc.name+")", err, licensing.CodeInvalid)
			}
			if list, _ := e.s.ListUsers(e.ctx, store.UserFilter{Limit: 100}); len(list) != 0 {
				e.t.Errorf("ListUsers after refused creates = %v, want none", names(list))
			}
		}},
		{"list_paging_and_filters", func(e *env) {
			// Mixed case: listing orders by the lower-cased user name.
			all := []string{"Alice", "bob", "Carol", "dave", "Erin", "frank", "Grace"}
			inEU := map[string]bool{"bob": true, "dave": true, "frank": true, "Grace": true}
			for _, n := range all {
				var groups []string
				if inEU[n] {
					groups = []string{"desk-eu"}
				}
				u := e.user(n, groups...)
				if n == "Erin" {
					u.Active = false
					if _, err := e.s.UpdateUser(e.ctx, e.admin, u); err != nil {
						e.t.Fatalf("UpdateUser(Erin inactive): %v", err)
					}
				}
			}
			page := func(f store.UserFilter) []string {
				e.t.Helper()
				var got []string
				for i := 0; ; i++ {
					list, err := e.s.ListUsers(e.ctx, f)
					if err != nil {
						e.t.Fatalf("ListUsers(%+v): %v", f, err)
					}
					if len(list) > f.Limit {
						e.t.Fatalf("ListUsers(%+v) returned %d users, want at most %d", f, len(list), f.Limit)
					}
					if len(list) == 0 || i > 20 {
						return got
					}
					got = append(got, names(list)...)
					f.After = list[len(list)-1].UserName
				}
			}
			active := true
			for _, tc := range []struct {
				name string
				f    store.UserFilter
				want []string
			}{
				{"all by 3", store.UserFilter{Limit: 3}, all},
				{"all by 1", store.UserFilter{Limit: 1}, all},
				{"after carol (other case)", store.UserFilter{Limit: 2, After: "CAROL"}, []string{"dave", "Erin", "frank", "Grace"}},
				{"group desk-eu by 2", store.UserFilter{Limit: 2, Group: "desk-eu"}, []string{"bob", "dave", "frank", "Grace"}},
				{"group nobody", store.UserFilter{Limit: 5, Group: "nobody"}, nil},
				{"active only", store.UserFilter{Limit: 4, Active: &active}, []string{"Alice", "bob", "Carol", "dave", "frank", "Grace"}},
			} {
				if got := page(tc.f); !equalStrings(got, tc.want) {
					e.t.Errorf("%s: ListUsers pages = %v, want %v", tc.name, got, tc.want)
				}
			}
			first, err := e.s.ListUsers(e.ctx, store.UserFilter{Limit: 2})
			if err != nil {
				e.t.Fatalf("ListUsers: %v", err)
			}
			if got := names(first); !equalStrings(got, []string{"Alice", "bob"}) {
				e.t.Errorf("ListUsers(limit 2) = %v, want [Alice bob]", got)
			}
		}},
		{"update", func(e *env) {
			u := e.user("ann", "desk-eu")
			e.user("bob")
			e.clock.Advance(time.Hour)
			u.DisplayName, u.Email, u.EmployeeID, u.JobCode = "Ann Lee-Smith", "ann.smith@example.com", "E200", "ITSD-3"
			u.Groups = []string{"desk-us"}
			got, err := e.s.UpdateUser(e.ctx, e.admin, u)
			if err != nil {
				e.t.Fatalf("UpdateUser: %v", err)
			}
			if !got.UpdatedAt.Equal(Epoch.Add(time.Hour)) || !got.CreatedAt.Equal(Epoch) {
				e.t.Errorf("UpdateUser times = created %v updated %v, want created %v updated %v", got.CreatedAt, got.UpdatedAt, Epoch, Epoch.Add(time.Hour))
			}
			stored, err := e.s.GetUser(e.ctx, "E200")
			if err != nil {
				e.t.Fatalf("GetUser(new employee id): %v", err)
			}
			if stored.ID != u.ID || stored.DisplayName != "Ann Lee-Smith" || stored.JobCode != "ITSD-3" || !equalStrings(stored.Groups, []string{"desk-us"}) {
				e.t.Errorf("GetUser after update = %+v, want the new attributes", stored)
			}
			if _, err := e.s.GetUser(e.ctx, "ann@example.com"); codeOf(err) != licensing.CodeNotFound {
				e.t.Errorf("GetUser(old email) error = %v, want code %s", err, licensing.CodeNotFound)
			}
			for grp, want := range map[string][]string{"desk-eu": nil, "desk-us": {"ann"}} {
				list, err := e.s.ListUsers(e.ctx, store.UserFilter{Limit: 10, Group: grp})
				if err != nil {
					e.t.Fatalf("ListUsers(group %s): %v", grp, err)
				}
				if got := names(list); !equalStrings(got, want) {
					e.t.Errorf("ListUsers(group %s) after update = %v, want %v", grp, got, want)
				}
			}
			// Renaming onto another person's user name (any case) is refused and changes nothing.
			clash := stored
			clash.UserName = "BOB"
			clash.DisplayName = "Should Not Stick"
			_, err = e.s.UpdateUser(e.ctx, e.admin, clash)
			wantCode(e.t, "UpdateUser(user_name onto BOB)", err, licensing.CodeConflict)
			if again, _ := e.s.GetUser(e.ctx, u.ID); again.UserName != "ann" || again.DisplayName != "Ann Lee-Smith" {
				e.t.Errorf("GetUser after refused rename = %+v, want user_name ann and display name unchanged", again)
			}
			ghost := licensing.User{ID: "usr_ghost", UserName: "ghost", Active: true}
			_, err = e.s.UpdateUser(e.ctx, e.admin, ghost)
			wantCode(e.t, "UpdateUser(missing)", err, licensing.CodeNotFound)
		}},
		{"delete_revokes_and_keeps_history", func(e *env) {
			e.agent()
			e.concurrent("float", 1)
			e.named("named", 1)
			u := e.user("ann")
			v := e.user("bob")
			e.member("float", u, v)
			e.member("named", u)
			ss := e.start(u, "float")
			e.clock.Advance(10 * time.Minute)
			if err := e.s.DeleteUser(e.ctx, e.admin, "ANN"); err != nil {
				e.t.Fatalf("DeleteUser(ANN): %v", err)
			}
			if _, err := e.s.GetUser(e.ctx, u.ID); codeOf(err) != licensing.CodeNotFound {
				e.t.Errorf("GetUser after delete: error %v, want code %s", err, licensing.CodeNotFound)
			}
			if n := len(e.active("float")); n != 0 {
				e.t.Errorf("ActiveLeases(float) after delete = %d, want 0", n)
			}
			l := e.leaseOf("float", u)
			if l.ID != ss.Leases[0].ID || !l.EndedAt.Equal(Epoch.Add(10*time.Minute)) || l.EndReason != "deleted" {
				e.t.Errorf("lease history after delete = %+v, want lease %s ended at %v with reason \"deleted\"", l, ss.Leases[0].ID, Epoch.Add(10*time.Minute))
			}
			got, err := e.s.GetSession(e.ctx, ss.ID)
			if err != nil {
				e.t.Fatalf("GetSession: %v", err)
			}
			if got.Active() || got.EndReason != "deleted" {
				e.t.Errorf("session after delete: ended %v reason %q, want ended with reason \"deleted\"", got.EndedAt, got.EndReason)
			}
			for _, pool := range []string{"float", "named"} {
				if ms := e.members(pool); slices.Contains(ms, "ann") {
					e.t.Errorf("ListMembers(%s) after delete = %v, want no ann", pool, ms)
				}
			}
			// The seats are free for others.
			e.start(v, "float")
			e.user("carol")
			if _, _, err := e.s.PutMember(e.ctx, e.admin, "named", "carol", ""); err != nil {
				e.t.Errorf("PutMember(named, carol) after ann's deletion: %v, want the freed seat", err)
			}
			wantCode(e.t, "DeleteUser(ann) again", e.s.DeleteUser(e.ctx, e.admin, u.ID), licensing.CodeNotFound)
		}},
	}
}

func namedTests() []testCase {
	return []testCase{
		{"assign_up_to_seats_then_maxed_out", func(e *env) {
			e.agent()
			e.named("named", 2)
			us := e.users("u", 3)
			for _, u := range us[:2] {
				m, created, err := e.s.PutMember(e.ctx, e.admin, "named", u.UserName, "")
				if err != nil {
					e.t.Fatalf("PutMember(%s): %v", u.UserName, err)
				}
				if !created || m.State != licensing.MemberActive || m.Reason != "" || m.Source != licensing.SourceManual || m.User != u.ID {
					e.t.Errorf("PutMember(%s) = %+v, created %v; want a new active manual member", u.UserName, m, created)
				}
			}
			_, created, err := e.s.PutMember(e.ctx, e.admin, "named", us[2].UserName, "")
			var le *licensing.Error
			if !errors.As(err, &le) || le.Code != licensing.CodeMaxedOut {
				e.t.Errorf("PutMember(third on 2 seats) error = %v, want *licensing.Error with code %s", err, licensing.CodeMaxedOut)
			}
			if created {
				e.t.Errorf("PutMember(third on 2 seats) created = true, want false")
			}
			if got := e.denials()[licensing.CodeMaxedOut]; got != 1 {
				e.t.Errorf("DenialsByReason()[%s] = %d, want 1", licensing.CodeMaxedOut, got)
			}
			if got := e.members("named"); !equalStrings(got, []string{"u01", "u02"}) {
				e.t.Errorf("ListMembers(named) = %v, want [u01 u02]", got)
			}
		}},
		{"put_member_idempotent", func(e *env) {
			e.agent()
			e.named("named", 1)
			u := e.user("ann")
			first, created, err := e.s.PutMember(e.ctx, e.admin, "named", "ann", "")
			if err != nil || !created {
				e.t.Fatalf("PutMember(ann) = created %v, %v; want created", created, err)
			}
			e.clock.Advance(time.Hour)
			again, created, err := e.s.PutMember(e.ctx, e.admin, "named", u.ID, "rule:desk-agents")
			if err != nil {
				e.t.Fatalf("PutMember(ann) again: %v", err)
			}
			if created {
				e.t.Errorf("PutMember(ann) again: created = true, want false")
			}
			if !again.Since.Equal(first.Since) || again.Source != licensing.SourceManual {
				e.t.Errorf("PutMember(ann) again = %+v, want the original membership %+v", again, first)
			}
			if got := e.members("named"); !equalStrings(got, []string{"ann"}) {
				e.t.Errorf("ListMembers(named) = %v, want [ann]", got)
			}
		}},
		{"overdraft", func(e *env) {
			e.agent()
			e.named("named", 2, func(p *licensing.Pool) { p.Overdraft = 1 })
			us := e.users("u", 4)
			for i, u := range us[:3] {
				m, _, err := e.s.PutMember(e.ctx, e.admin, "named", u.UserName, "")
				if err != nil {
					e.t.Fatalf("PutMember(%s): %v", u.UserName, err)
				}
				want := ""
				if i == 2 {
					want = "overdraft"
				}
				if m.Reason != want {
					e.t.Errorf("PutMember(%s) reason = %q, want %q", u.UserName, m.Reason, want)
				}
			}
			_, _, err := e.s.PutMember(e.ctx, e.admin, "named", us[3].UserName, "")
			wantCode(e.t, "PutMember(fourth on 2+1 seats)", err, licensing.CodeMaxedOut)
			ms, err := e.s.ListMembers(e.ctx, "named")
			if err != nil {
				e.t.Fatalf("ListMembers: %v", err)
			}
			if len(ms) != 3 || ms[2].Reason != "overdraft" {
				e.t.Errorf("ListMembers(named) = %+v, want 3 with the third flagged overdraft", ms)
			}
			usage, err := e.s.Usage(e.ctx)
			if err != nil {
				e.t.Fatalf("Usage: %v", err)
			}
			if len(usage) != 1 || usage[0].Held != 3 || usage[0].Overdraft != 1 {
				e.t.Errorf("Usage = %+v, want held 3 with overdraft 1", usage)
			}
		}},
		{"cooldown", func(e *env) {
			e.agent()
			e.named("named", 1, func(p *licensing.Pool) { p.Cooldown = 30 * 24 * time.Hour })
			ann, bob := e.user("ann"), e.user("bob")
			e.member("named", ann)
			e.clock.Advance(2 * time.Hour)
			if err := e.s.DeleteMember(e.ctx, e.admin, "named", ann.UserName); err != nil {
				e.t.Fatalf("DeleteMember(ann): %v", err)
			}
			_, _, err := e.s.PutMember(e.ctx, e.admin, "named", bob.UserName, "")
			wantCode(e.t, "PutMember(bob) within the cool-down of ann's seat", err, licensing.CodeMaxedOut)
			e.clock.Advance(29 * 24 * time.Hour)
			_, _, err = e.s.PutMember(e.ctx, e.admin, "named", bob.UserName, "")
			wantCode(e.t, "PutMember(bob) 29 days after", err, licensing.CodeMaxedOut)
			e.clock.Advance(2 * 24 * time.Hour) // 31 days after the assignment
			if _, created, err := e.s.PutMember(e.ctx, e.admin, "named", bob.UserName, ""); err != nil || !created {
				e.t.Errorf("PutMember(bob) 31 days after: created %v, %v; want the seat", created, err)
			}
		}},
		{"cooldown_same_person_takes_seat_back", func(e *env) {
			// The cool-down stops a seat moving to someone else
			// (store.namedHeld: "seats revoked within their cool-down,
			// which may not move to anyone else yet"); giving it back to
			// the person who had it is no move.
			e.agent()
			e.named("named", 1, func(p *licensing.Pool) { p.Cooldown = 30 * 24 * time.Hour })
			ann := e.user("ann")
			e.member("named", ann)
			if err := e.s.DeleteMember(e.ctx, e.admin, "named", ann.UserName); err != nil {
				e.t.Fatalf("DeleteMember(ann): %v", err)
			}
			if _, _, err := e.s.PutMember(e.ctx, e.admin, "named", ann.UserName, ""); err != nil {
				e.t.Errorf("STORE BUG: PutMember(ann) right after revoking ann's own seat: %v; want the seat back "+
					"(namedHeld counts ann's own revoked row against her; exclude the requesting user's rows from the cool-down count)", err)
			}
		}},
		{"service_account_refused_fulfiller", func(e *env) {
			e.agent()
			e.putSKU("reports", licensing.TierStakeholder)
			e.named("named", 5)
			e.createPool(licensing.Pool{ID: "viewers", SKU: "reports", Model: licensing.ModelNamed, Seats: 5})
			hub, err := e.s.CreateUser(e.ctx, e.admin, licensing.User{UserName: "slack-hub", Kind: licensing.KindService, Active: true})
			if err != nil {
				e.t.Fatalf("CreateUser(service): %v", err)
			}
			_, _, err = e.s.PutMember(e.ctx, e.admin, "named", hub.UserName, "")
			wantCode(e.t, "PutMember(service account, fulfiller pool)", err, licensing.CodeConflict)
			if got := e.members("named"); len(got) != 0 {
				e.t.Errorf("ListMembers(named) = %v, want none", got)
			}
			if _, _, err := e.s.PutMember(e.ctx, e.admin, "viewers", hub.UserName, ""); err != nil {
				e.t.Errorf("PutMember(service account, stakeholder pool): %v, want allowed", err)
			}
			// A person holding a fulfiller seat cannot be turned into a service account.
			ann := e.user("ann")
			e.member("named", ann)
			ann.Kind = licensing.KindService
			_, err = e.s.UpdateUser(e.ctx, e.admin, ann)
			wantCode(e.t, "UpdateUser(person with fulfiller seat -> service)", err, licensing.CodeConflict)
			if got, _ := e.s.GetUser(e.ctx, ann.ID); got.Kind != licensing.KindPerson {
				e.t.Errorf("GetUser(ann).Kind after refused change = %s, want person", got.Kind)
			}
			// Nor can the SKU a service account holds be raised to an agent tier.
			err = e.s.PutSKU(e.ctx, e.admin, licensing.SKU{Key: "reports", Name: "reports", Tier: licensing.TierFulfiller}, false)
			wantCode(e.t, "PutSKU(stakeholder SKU a service account holds -> fulfiller)", err, licensing.CodeConflict)
			if got, _ := e.s.GetSKU(e.ctx, "reports"); got.Tier != licensing.TierStakeholder {
				e.t.Errorf("GetSKU(reports).Tier after refused change = %s, want stakeholder", got.Tier)
			}
		}},
		{"inactive_user_refused", func(e *env) {
			e.agent()
			e.named("named", 5)
			e.concurrent("float", 5)
			u, err := e.s.CreateUser(e.ctx, e.admin, licensing.User{UserName: "leaver", Kind: licensing.KindPerson, Active: false})
			if err != nil {
				e.t.Fatalf("CreateUser(inactive): %v", err)
			}
			for _, pool := range []string{"named", "float"} {
				_, _, err := e.s.PutMember(e.ctx, e.admin, pool, u.UserName, "")
				wantCode(e.t, "PutMember("+pool+", inactive)", err, licensing.CodeInactive)
			}
			_, err = e.s.StartSession(e.ctx, e.admin, u.UserName, true, nil)
			wantCode(e.t, "StartSession(inactive)", err, licensing.CodeInactive)
		}},
		{"revoke_refusals", func(e *env) {
			e.agent()
			e.named("named", 1)
			e.user("ann")
			wantCode(e.t, "DeleteMember(not a member)", e.s.DeleteMember(e.ctx, e.admin, "named", "ann"), licensing.CodeNotFound)
			wantCode(e.t, "DeleteMember(missing pool)", e.s.DeleteMember(e.ctx, e.admin, "nope", "ann"), licensing.CodeNotFound)
			wantCode(e.t, "DeleteMember(missing user)", e.s.DeleteMember(e.ctx, e.admin, "named", "nobody"), licensing.CodeNotFound)
			_, _, err := e.s.PutMember(e.ctx, e.admin, "nope", "ann", "")
			wantCode(e.t, "PutMember(missing pool)", err, licensing.CodeNotFound)
			_, _, err = e.s.PutMember(e.ctx, e.admin, "named", "nobody", "")
			wantCode(e.t, "PutMember(missing user)", err, licensing.CodeNotFound)
		}},
	}
}
