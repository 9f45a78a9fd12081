package storetest

import (
	"reflect"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

func migrateTests() []testCase {
	return []testCase{
		{"idempotent", func(e *env) {
			e.agent() // data written before the second run must survive it
			for i := range 2 {
				n, err := e.s.Migrate(e.ctx)
				if err != nil {
					e.t.Fatalf("Migrate run %d: %v", i+2, err)
				}
				if n != 0 {
					e.t.Errorf("Migrate run %d applied %d migrations, want 0", i+2, n)
				}
			}
			v, err := e.s.SchemaVersion(e.ctx)
			if err != nil {
				e.t.Fatalf("SchemaVersion: %v", err)
			}
			// Both dialects share version numbers (0002 tunes PostgreSQL's slot
			// storage and is a no-op on SQLite; 0003 adds the desk, 0004 approvals;
			// 0007 group grants, 0008 SCIM extras, 0009 holder counts; 0010
			// reports, 0011 queue history triggers, 0012 integration seats, 0013
			// folded identity keys, 0014 denial repeats, 0015 manager references, 0016 roles, 0017 people search,
			// 0018 audit filters, 0019 pending proposals by ticket).
			if v != 19 {
				e.t.Errorf("SchemaVersion = %d, want 19", v)
			}
			if _, err := e.s.GetSKU(e.ctx, "agent"); err != nil {
				e.t.Errorf("GetSKU(agent) after re-migrating: %v, want the SKU", err)
			}
		}},
	}
}

func skuTests() []testCase {
	return []testCase{
		{"create_and_get", func(e *env) {
			e.agent()
			mod := e.putSKU("change", licensing.TierModule, "agent")
			got, err := e.s.GetSKU(e.ctx, "change")
			if err != nil {
				e.t.Fatalf("GetSKU(change): %v", err)
			}
			if !reflect.DeepEqual(got, mod) {
				e.t.Errorf("GetSKU(change) = %+v, want %+v", got, mod)
			}
			list, err := e.s.ListSKUs(e.ctx)
			if err != nil {
				e.t.Fatalf("ListSKUs: %v", err)
			}
			var keys []string
			for _, k := range list {
				keys = append(keys, k.Key)
			}
			if want := []string{"agent", "change"}; !equalStrings(keys, want) {
				e.t.Errorf("ListSKUs keys = %v, want %v", keys, want)
			}
			if _, err := e.s.GetSKU(e.ctx, "nope"); codeOf(err) != licensing.CodeNotFound {
				e.t.Errorf("GetSKU(nope) error = %v, want code %s", err, licensing.CodeNotFound)
			}
		}},
		{"duplicate_conflict", func(e *env) {
			e.agent()
			err := e.s.PutSKU(e.ctx, e.admin, licensing.SKU{Key: "agent", Name: "Other", Tier: licensing.TierStakeholder}, true)
			wantCode(e.t, "PutSKU(duplicate agent)", err, licensing.CodeConflict)
			got, err := e.s.GetSKU(e.ctx, "agent")
			if err != nil {
				e.t.Fatalf("GetSKU(agent): %v", err)
			}
			if got.Tier != licensing.TierFulfiller || got.Name != "Agent" {
				e.t.Errorf("after refused duplicate GetSKU(agent) = %+v, want the original fulfiller \"Agent\"", got)
			}
		}},
		{"update", func(e *env) {
			e.agent()
			upd := licensing.SKU{Key: "agent", Name: "Service Desk Agent", Tier: licensing.TierFulfiller, Requires: []string{}, MonthlyPrice: 99.5}
			if err := e.s.PutSKU(e.ctx, e.admin, upd, false); err != nil {
				e.t.Fatalf("PutSKU(update agent): %v", err)
			}
			got, err := e.s.GetSKU(e.ctx, "agent")
			if err != nil {
				e.t.Fatalf("GetSKU(agent): %v", err)
			}
			if !reflect.DeepEqual(got, upd) {
				e.t.Errorf("GetSKU(agent) after update = %+v, want %+v", got, upd)
			}
			err = e.s.PutSKU(e.ctx, e.admin, licensing.SKU{Key: "ghost", Tier: licensing.TierFulfiller}, false)
			wantCode(e.t, "PutSKU(update missing ghost)", err, licensing.CodeNotFound)
		}},
		{"invalid", func(e *env) {
			e.agent()
			e.putSKU("reports", licensing.TierStakeholder)
			for _, tc := range []struct {
				name string
				sku  licensing.SKU
				want string
			}{
				{"bad tier", licensing.SKU{Key: "x1", Tier: "platinum"}, licensing.CodeInvalid},
				{"empty tier", licensing.SKU{Key: "x2"}, licensing.CodeInvalid},
				{"bad key", licensing.SKU{Key: "Agent Plus", Tier: licensing.TierFulfiller}, licensing.CodeInvalid},
				{"negative price", licensing.SKU{Key: "x3", Tier: licensing.TierFulfiller, MonthlyPrice: -1}, licensing.CodeInvalid},
				{"module without requires", licensing.SKU{Key: "x4", Tier: licensing.TierModule}, licensing.CodeInvalid},
				{"module requires unknown SKU", licensing.SKU{Key: "x5", Tier: licensing.TierModule, Requires: []string{"nope"}}, licensing.CodeInvalid},
				{"module requires non-fulfiller", licensing.SKU{Key: "x6", Tier: licensing.TierModule, Requires: []string{"reports"}}, licensing.CodeInvalid},
				{"fulfiller with requires", licensing.SKU{Key: "x7", Tier: licensing.TierFulfiller, Requires: []string{"agent"}}, licensing.CodeInvalid},
			} {
				err := e.s.PutSKU(e.ctx, e.admin, tc.sku, true)
				wantCode(e.t, "PutSKU("+tc.name+")", err, tc.want)
				if _, err := e.s.GetSKU(e.ctx, tc.sku.Key); codeOf(err) != licensing.CodeNotFound {
					e.t.Errorf("%s: GetSKU(%q) after refused create: error %v, want code %s (nothing stored)", tc.name, tc.sku.Key, err, licensing.CodeNotFound)
				}
			}
		}},
		{"delete_in_use_conflict", func(e *env) {
			e.agent()
			e.named("agents-named", 2)
			err := e.s.DeleteSKU(e.ctx, e.admin, "agent")
			wantCode(e.t, "DeleteSKU(agent used by a pool)", err, licensing.CodeConflict)
			if _, err := e.s.GetSKU(e.ctx, "agent"); err != nil {
				e.t.Errorf("GetSKU(agent) after refused delete: %v, want the SKU", err)
			}
			// A fulfiller a module requires is in use too.
			e.putSKU("agent2", licensing.TierFulfiller)
			e.putSKU("change", licensing.TierModule, "agent2")
			if err := e.s.DeleteSKU(e.ctx, e.admin, "agent2"); err == nil {
				e.t.Errorf("DeleteSKU(agent2 required by module change) succeeded, want an error")
			}
			if _, err := e.s.GetSKU(e.ctx, "agent2"); err != nil {
				e.t.Errorf("GetSKU(agent2) after refused delete: %v, want the SKU", err)
			}
		}},
		{"delete_unused", func(e *env) {
			e.agent()
			e.putSKU("reports", licensing.TierStakeholder)
			if err := e.s.DeleteSKU(e.ctx, e.admin, "reports"); err != nil {
				e.t.Fatalf("DeleteSKU(reports): %v", err)
			}
			if _, err := e.s.GetSKU(e.ctx, "reports"); codeOf(err) != licensing.CodeNotFound {
				e.t.Errorf("GetSKU(reports) after delete: error %v, want code %s", err, licensing.CodeNotFound)
			}
			wantCode(e.t, "DeleteSKU(reports) again", e.s.DeleteSKU(e.ctx, e.admin, "reports"), licensing.CodeNotFound)
		}},
	}
}

func poolTests() []testCase {
	return []testCase{
		{"create_get_roundtrip", func(e *env) {
			e.agent()
			now := e.clock.Peek()
			want := licensing.Pool{
				ID: "agents-floating", SKU: "agent", Model: licensing.ModelConcurrent, Seats: 10,
				Starts: now.Add(-24 * time.Hour), Ends: now.AddDate(1, 0, 0),
				IdleTimeout: 45 * time.Minute, Linger: 5 * time.Minute, Overdraft: 2, WarnAt: 0.8,
				Reservations: map[string]int{"vip": 2}, Limits: map[string]int{"eu": 6},
				Queue:        &licensing.QueueConfig{MaxLength: 20, Priority: map[string]int{"vip": 5}, OfferTTL: 3 * time.Minute},
				MonthlyPrice: 140.25,
			}
			got := e.createPool(want)
			if !reflect.DeepEqual(got, want) {
				e.t.Errorf("GetPool(agents-floating) = %+v, want %+v", got, want)
			}
			named := e.named("agents-named", 3, func(p *licensing.Pool) { p.Cooldown = 30 * 24 * time.Hour })
			if named.IdleTimeout != licensing.DefaultIdleTimeout || named.WarnAt != licensing.DefaultWarnAt || named.Cooldown != 30*24*time.Hour {
				e.t.Errorf("GetPool(agents-named) = %+v, want default idle timeout %v, warn_at %v and cooldown 720h", named, licensing.DefaultIdleTimeout, licensing.DefaultWarnAt)
			}
			list, err := e.s.ListPools(e.ctx)
			if err != nil {
				e.t.Fatalf("ListPools: %v", err)
			}
			if len(list) != 2 || list[0].ID != "agents-floating" || list[1].ID != "agents-named" {
				e.t.Errorf("ListPools = %+v, want agents-floating and agents-named", list)
			}
		}},
		{"create_refusals", func(e *env) {
			e.agent()
			e.putSKU("portal", licensing.TierRequester)
			e.concurrent("p1", 2)
			for _, tc := range []struct {
				name string
				pool licensing.Pool
				want string
			}{
				{"duplicate id", licensing.Pool{ID: "p1", SKU: "agent", Model: licensing.ModelNamed, Seats: 1}, licensing.CodeConflict},
				{"unknown sku", licensing.Pool{ID: "p2", SKU: "nope", Model: licensing.ModelNamed, Seats: 1}, licensing.CodeNotFound},
				{"requester concurrent", licensing.Pool{ID: "p3", SKU: "portal", Model: licensing.ModelConcurrent, Seats: 1}, licensing.CodeInvalid},
				{"bad model", licensing.Pool{ID: "p4", SKU: "agent", Model: "floating", Seats: 1}, licensing.CodeInvalid},
				{"negative seats", licensing.Pool{ID: "p5", SKU: "agent", Model: licensing.ModelNamed, Seats: -1}, licensing.CodeInvalid},
				{"reservations exceed seats", licensing.Pool{ID: "p6", SKU: "agent", Model: licensing.ModelConcurrent, Seats: 1, Reservations: map[string]int{"vip": 2}}, licensing.CodeInvalid},
				{"cooldown on concurrent", licensing.Pool{ID: "p7", SKU: "agent", Model: licensing.ModelConcurrent, Seats: 1, Cooldown: time.Hour}, licensing.CodeInvalid},
			} {
				wantCode(e.t, "CreatePool("+tc.name+")", e.s.CreatePool(e.ctx, e.admin, tc.pool), tc.want)
			}
			got, err := e.s.GetPool(e.ctx, "p1")
			if err != nil || got.Seats != 2 || got.Model != licensing.ModelConcurrent {
				e.t.Errorf("GetPool(p1) after refused duplicate = %+v, %v; want the original 2-seat concurrent pool", got, err)
			}
		}},
		{"concurrent_capacity_is_seats_plus_overdraft", func(e *env) {
			e.agent()
			e.concurrent("float", 3, func(p *licensing.Pool) { p.Overdraft = 1 })
			us := e.users("u", 5)
			e.member("float", us...)
			var leases []licensing.Lease
			for _, u := range us[:4] {
				ss := e.start(u, "float")
				if len(ss.Leases) != 1 {
					e.t.Fatalf("StartSession(%s) leases = %+v, want 1", u.UserName, ss.Leases)
				}
				leases = append(leases, ss.Leases[0])
			}
			e.refused(us[4], licensing.CodeMaxedOut, "float")
			for i, l := range leases {
				if want := i == 3; l.Overdraft != want {
					e.t.Errorf("lease %d (%s) overdraft = %v, want %v", i+1, us[i].UserName, l.Overdraft, want)
				}
			}
			if n := len(e.active("float")); n != 4 {
				e.t.Errorf("ActiveLeases(float) = %d, want 4 (seats 3 + overdraft 1)", n)
			}
			usage, err := e.s.Usage(e.ctx)
			if err != nil {
				e.t.Fatalf("Usage: %v", err)
			}
			if len(usage) != 1 || usage[0].Held != 4 || usage[0].Overdraft != 1 || usage[0].Capacity != 4 || usage[0].Members != 5 {
				e.t.Errorf("Usage = %+v, want float held 4, overdraft 1, capacity 4, members 5", usage)
			}
		}},
		{"grow_admits_more", func(e *env) {
			e.agent()
			p := e.concurrent("float", 2)
			us := e.users("u", 5)
			e.member("float", us...)
			first := []licensing.Session{e.start(us[0], "float"), e.start(us[1], "float")}
			e.refused(us[2], licensing.CodeMaxedOut, "float")
			p.Seats = 4
			if err := e.s.UpdatePool(e.ctx, e.admin, p); err != nil {
				e.t.Fatalf("UpdatePool(seats 4): %v", err)
			}
			e.start(us[2], "float")
			e.start(us[3], "float")
			e.refused(us[4], licensing.CodeMaxedOut, "float")
			held := map[string]bool{}
			for _, l := range e.active("float") {
				held[l.ID] = true
			}
			for _, ss := range first {
				if !held[ss.Leases[0].ID] {
					e.t.Errorf("lease %s taken before growing is no longer active, want it kept", ss.Leases[0].ID)
				}
			}
			if len(held) != 4 {
				e.t.Errorf("ActiveLeases(float) = %d, want 5", len(held))
			}
		}},
		{"shrink_below_holders_conflict", func(e *env) {
			e.agent()
			p := e.concurrent("float", 4)
			us := e.users("u", 6)
			e.member("float", us...)
			var sessions []licensing.Session
			for _, u := range us[:3] {
				sessions = append(sessions, e.start(u, "float"))
			}
			shrunk := p
			shrunk.Seats = 2
			wantCode(e.t, "UpdatePool(seats 4 -> 2 with 3 holders)", e.s.UpdatePool(e.ctx, e.admin, shrunk), licensing.CodeConflict)
			got, err := e.s.GetPool(e.ctx, "float")
			if err != nil {
				e.t.Fatalf("GetPool: %v", err)
			}
			if got.Seats != 4 {
				e.t.Errorf("GetPool(float).Seats after refused shrink = %d, want 5", got.Seats)
			}
			if n := len(e.active("float")); n != 3 {
				e.t.Errorf("ActiveLeases after refused shrink = %d, want 3", n)
			}
			// Capacity is still 4: one more person fits, the next does not.
			e.start(us[3], "float")
			e.refused(us[4], licensing.CodeMaxedOut, "float")
			// With a holder gone, shrinking to what is held works and is enforced.
			e.end(sessions[0])
			shrunk.Seats = 3
			if err := e.s.UpdatePool(e.ctx, e.admin, shrunk); err != nil {
				e.t.Fatalf("UpdatePool(seats 3 with 3 holders): %v", err)
			}
			e.refused(us[5], licensing.CodeMaxedOut, "float")
			if n := len(e.active("float")); n != 3 {
				e.t.Errorf("ActiveLeases after shrink to 3 = %d, want 3", n)
			}
		}},
		{"named_shrink_below_members_conflict", func(e *env) {
			e.agent()
			p := e.named("named", 3)
			us := e.users("u", 3)
			e.member("named", us...)
			shrunk := p
			shrunk.Seats = 2
			wantCode(e.t, "UpdatePool(named seats 3 -> 2 with 3 members)", e.s.UpdatePool(e.ctx, e.admin, shrunk), licensing.CodeConflict)
			if got, _ := e.s.GetPool(e.ctx, "named"); got.Seats != 3 {
				e.t.Errorf("GetPool(named).Seats after refused shrink = %d, want 3", got.Seats)
			}
			if err := e.s.DeleteMember(e.ctx, e.admin, "named", us[0].UserName); err != nil {
				e.t.Fatalf("DeleteMember: %v", err)
			}
			if err := e.s.UpdatePool(e.ctx, e.admin, shrunk); err != nil {
				e.t.Errorf("UpdatePool(named seats 2 with 2 members): %v", err)
			}
		}},
		{"update_refusals", func(e *env) {
			e.agent()
			p := e.concurrent("float", 2)
			changed := p
			changed.Model = licensing.ModelNamed
			changed.Linger, changed.Queue = 0, nil
			wantCode(e.t, "UpdatePool(model change)", e.s.UpdatePool(e.ctx, e.admin, changed), licensing.CodeInvalid)
			ghost := p
			ghost.ID = "ghost"
			wantCode(e.t, "UpdatePool(missing)", e.s.UpdatePool(e.ctx, e.admin, ghost), licensing.CodeNotFound)
		}},
		{"delete_with_members_conflict", func(e *env) {
			e.agent()
			e.concurrent("float", 2)
			e.named("named", 2)
			u := e.user("ann")
			e.member("float", u)
			e.member("named", u)
			e.start(u, "float")
			for _, id := range []string{"float", "named"} {
				wantCode(e.t, "DeletePool("+id+" with a member)", e.s.DeletePool(e.ctx, e.admin, id), licensing.CodeConflict)
				if _, err := e.s.GetPool(e.ctx, id); err != nil {
					e.t.Errorf("GetPool(%s) after refused delete: %v", id, err)
				}
				if err := e.s.DeleteMember(e.ctx, e.admin, id, u.UserName); err != nil {
					e.t.Fatalf("DeleteMember(%s): %v", id, err)
				}
				if err := e.s.DeletePool(e.ctx, e.admin, id); err != nil {
					e.t.Fatalf("DeletePool(%s) with no members: %v", id, err)
				}
				if _, err := e.s.GetPool(e.ctx, id); codeOf(err) != licensing.CodeNotFound {
					e.t.Errorf("GetPool(%s) after delete: error %v, want code %s", id, err, licensing.CodeNotFound)
				}
			}
			wantCode(e.t, "DeletePool(missing)", e.s.DeletePool(e.ctx, e.admin, "float"), licensing.CodeNotFound)
			// The id can be used again, with a fresh set of seats.
			e.concurrent("float", 1)
			v := e.user("bob")
			e.member("float", u, v)
			e.start(u, "float")
			e.refused(v, licensing.CodeMaxedOut, "float")
		}},
	}
}

func policyTests() []testCase {
	return []testCase{
		{"seed_idempotent", func(e *env) {
			got, err := e.s.GetPolicy(e.ctx)
			if err != nil {
				e.t.Fatalf("GetPolicy: %v", err)
			}
			if want := licensing.DefaultPolicy(); !reflect.DeepEqual(got, want) {
				e.t.Errorf("GetPolicy after SeedPolicy = %v, want DefaultPolicy %v", got, want)
			}
			custom := licensing.Requirement{Tier: licensing.TierFulfiller}
			if err := e.s.PutCapability(e.ctx, e.admin, "ticket.create", custom); err != nil {
				e.t.Fatalf("PutCapability: %v", err)
			}
			if err := e.s.DeleteCapability(e.ctx, e.admin, "chat.use"); err != nil {
				e.t.Fatalf("DeleteCapability: %v", err)
			}
			for range 2 {
				if err := e.s.SeedPolicy(e.ctx); err != nil {
					e.t.Fatalf("SeedPolicy again: %v", err)
				}
			}
			got, err = e.s.GetPolicy(e.ctx)
			if err != nil {
				e.t.Fatalf("GetPolicy: %v", err)
			}
			if r := got["ticket.create"]; !reflect.DeepEqual(r, custom) {
				e.t.Errorf("ticket.create after re-seeding = %+v, want the admin's %+v kept", r, custom)
			}
			if r, ok := got["chat.use"]; ok {
				e.t.Errorf("chat.use after re-seeding = %+v, want it to stay deleted", r)
			}
			entries, err := e.s.ListAudit(e.ctx, 0, 1000)
			if err != nil {
				e.t.Fatalf("ListAudit: %v", err)
			}
			seeds := 0
			for _, en := range entries {
				if en.Action == "policy.seed" {
					seeds++
				}
			}
			if seeds != 1 {
				e.t.Errorf("audit holds %d policy.seed entries, want 1", seeds)
			}
		}},
		{"put_and_get", func(e *env) {
			e.agent()
			e.putSKU("agent-lite", licensing.TierFulfiller)
			e.putSKU("change", licensing.TierModule, "agent")
			for _, tc := range []struct {
				capability string
				req        licensing.Requirement
			}{
				{"ticket.escalate", licensing.Requirement{Tier: licensing.TierFulfiller, SKUs: []string{"agent-lite", "agent"}}},
				{"change.review", licensing.Requirement{Tier: licensing.TierModule, SKUs: []string{"change"}}},
				{"report.export", licensing.Requirement{Tier: licensing.TierStakeholder}},
				{"ticket.create", licensing.Requirement{Tier: licensing.TierFulfiller}}, // overwrite a default
			} {
				if err := e.s.PutCapability(e.ctx, e.admin, tc.capability, tc.req); err != nil {
					e.t.Fatalf("PutCapability(%s): %v", tc.capability, err)
				}
				pol, err := e.s.GetPolicy(e.ctx)
				if err != nil {
					e.t.Fatalf("GetPolicy: %v", err)
				}
				want := tc.req
				want.SKUs = sortedStrings(want.SKUs)
				if len(want.SKUs) == 0 {
					want.SKUs = nil
				}
				if got := pol[tc.capability]; !reflect.DeepEqual(got, want) {
					e.t.Errorf("GetPolicy()[%s] = %+v, want %+v", tc.capability, got, want)
				}
			}
		}},
		{"delete", func(e *env) {
			if err := e.s.PutCapability(e.ctx, e.admin, "ticket.escalate", licensing.Requirement{Tier: licensing.TierFulfiller}); err != nil {
				e.t.Fatalf("PutCapability: %v", err)
			}
			if err := e.s.DeleteCapability(e.ctx, e.admin, "ticket.escalate"); err != nil {
				e.t.Fatalf("DeleteCapability: %v", err)
			}
			pol, err := e.s.GetPolicy(e.ctx)
			if err != nil {
				e.t.Fatalf("GetPolicy: %v", err)
			}
			if r, ok := pol["ticket.escalate"]; ok {
				e.t.Errorf("GetPolicy()[ticket.escalate] after delete = %+v, want absent", r)
			}
			if len(pol) != len(licensing.DefaultPolicy()) {
				e.t.Errorf("GetPolicy() holds %d capabilities after delete, want the %d defaults", len(pol), len(licensing.DefaultPolicy()))
			}
			wantCode(e.t, "DeleteCapability(ticket.escalate) again", e.s.DeleteCapability(e.ctx, e.admin, "ticket.escalate"), licensing.CodeNotFound)
		}},
		{"invalid", func(e *env) {
			e.agent()
			before, err := e.s.GetPolicy(e.ctx)
			if err != nil {
				e.t.Fatalf("GetPolicy: %v", err)
			}
			for _, tc := range []struct {
				name       string
				capability string
				req        licensing.Requirement
			}{
				{"bad tier", "ticket.create", licensing.Requirement{Tier: "gold"}},
				{"empty tier", "ticket.escalate", licensing.Requirement{}},
				{"bad capability name", "Ticket", licensing.Requirement{Tier: licensing.TierFulfiller}},
				{"module without skus", "change.review", licensing.Requirement{Tier: licensing.TierModule}},
				{"requester with skus", "portal.search", licensing.Requirement{Tier: licensing.TierRequester, SKUs: []string{"agent"}}},
			} {
				wantCode(e.t, "PutCapability("+tc.name+")", e.s.PutCapability(e.ctx, e.admin, tc.capability, tc.req), licensing.CodeInvalid)
			}
			after, err := e.s.GetPolicy(e.ctx)
			if err != nil {
				e.t.Fatalf("GetPolicy: %v", err)
			}
			if !reflect.DeepEqual(after, before) {
				e.t.Errorf("GetPolicy after refused changes = %v, want unchanged %v", after, before)
			}
		}},
	}
}
