package storetest

import (
	"fmt"
	"reflect"
	"slices"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/report"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

// historyDay is a day of the past every history subtest loads (the clock
// stands ten days after Epoch).
var historyDay = report.DayStart(Epoch).AddDate(0, 0, 2)

func at(h, m int) time.Time {
	return historyDay.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
}

// historyCompany creates a concurrent pool of 2 seats and 1 overdraft, a
// named pool of 2 seats and five people (eve a leaver), moves the clock
// ten days on and returns the people.
func (e *env) historyCompany() (ann, bob, cy, dee, eve licensing.User) {
	e.t.Helper()
	e.agent()
	e.concurrent("float", 2, func(p *licensing.Pool) {
		p.Overdraft = 1
		p.Queue = &licensing.QueueConfig{OfferTTL: time.Hour}
	})
	e.named("named", 2)
	ann, bob, cy, dee, eve = e.user("ann"), e.user("bob"), e.user("cy"), e.user("dee"), e.user("eve")
	e.member("float", bob, cy, dee)
	e.member("named", ann)
	e.deactivate(eve)
	e.clock.Advance(10 * 24 * time.Hour)
	return
}

// historyCount counts the audit's history.seed entries.
func (e *env) historyCount() int {
	e.t.Helper()
	entries, err := e.s.ListAudit(e.ctx, 0, 100000)
	if err != nil {
		e.t.Fatalf("ListAudit: %v", err)
	}
	n := 0
	for _, en := range entries {
		if en.Action == "history.seed" {
			n++
		}
	}
	return n
}

// overlapping reports two leases of the list that share a slot at once.
func overlapping(ls []licensing.Lease) string {
	for i, a := range ls {
		for _, b := range ls[i+1:] {
			if a.Slot == b.Slot && a.StartedAt.Before(b.EndedAt) && b.StartedAt.Before(a.EndedAt) {
				return fmt.Sprintf("%s and %s share slot %d", a.ID, b.ID, a.Slot)
			}
		}
	}
	return ""
}

func historyTests() []testCase {
	return []testCase{
		{"seeds_every_kind_and_reports_it", func(e *env) {
			ann, bob, cy, dee, eve := e.historyCompany()
			auditBefore := e.auditHead()
			h := store.History{
				Leases: []store.HistLease{
					{Pool: "float", User: bob.ID, Start: at(9, 0), End: at(10, 0)},
					{Pool: "float", User: cy.ID, Start: at(9, 30), LastActive: at(10, 30), End: at(11, 0), Reason: licensing.EndIdleTimeout},
					{Pool: "float", User: dee.ID, Start: at(9, 45), End: at(9, 55), Overdraft: true},
					// bob's seat at 10:00 goes at once to dee, who was queued.
					{Pool: "float", User: dee.ID, Start: at(10, 0), LastActive: at(10, 20), Logout: at(10, 20), End: at(10, 22)},
				},
				Sessions: []store.HistSession{
					{User: ann.ID, Start: at(8, 30), LastSeen: at(12, 0), End: at(12, 5), Source: "web"},
					{User: bob.ID, Start: at(9, 0), End: at(10, 0), Source: "web"},
				},
				Denials: []store.HistDenial{
					{At: at(9, 56), User: dee.ID, Pool: "float", Reason: licensing.CodeMaxedOut},
					{At: at(9, 57), User: ann.ID, Capability: "change.approve", Reason: licensing.CodeModuleMissing},
				},
				Queue: []store.HistQueue{{Pool: "float", User: dee.ID, Joined: at(9, 56), Left: at(10, 0), Seated: true}},
				Members: []store.HistMember{
					{Pool: "named", User: ann.ID, Since: Epoch.AddDate(0, -1, 0), LastUsed: at(12, 0)},
					{Pool: "float", User: bob.ID, Since: Epoch.AddDate(0, -2, 0)},
				},
				EndedMembers: []store.HistEndedMember{{Pool: "named", User: eve.ID, Since: Epoch.AddDate(0, -6, 0), Revoked: at(17, 0).Add(4 * time.Second), RevokedBy: "scim", Reason: "deactivated"}},
				Provisioning: []store.HistProvisioning{{User: eve.ID, Kind: "deactivate", Received: at(17, 0), Completed: at(17, 0).Add(4 * time.Second)}},
			}
			if err := e.s.SeedHistory(e.ctx, h); err != nil {
				e.t.Fatalf("SeedHistory: %v", err)
			}
			hist := e.history("float")
			if len(hist) != 4 {
				e.t.Fatalf("lease history = %+v, want 4 leases", hist)
			}
			if s := overlapping(hist); s != "" {
				e.t.Errorf("slots: %s", s)
			}
			for _, l := range hist {
				wantOver := l.User == dee.ID && l.StartedAt.Equal(at(9, 45))
				if l.Overdraft != wantOver || (l.Slot >= 2) != wantOver || l.EndedAt.IsZero() {
					e.t.Errorf("lease %+v: overdraft %v, want %v", l, l.Overdraft, wantOver)
				}
				if l.User == cy.ID && (l.EndReason != licensing.EndIdleTimeout || !l.LastActivity.Equal(at(10, 30))) {
					e.t.Errorf("cy's lease = %+v", l)
				}
			}
			// Nothing is held now: the slots were not touched.
			if got := e.active("float"); len(got) != 0 {
				e.t.Errorf("active leases after history = %+v", got)
			}
			var slots, touched int
			if err := e.raw.QueryRowContext(e.ctx, e.rebind(`SELECT count(*), coalesce(sum(CASE WHEN lease_id IS NOT NULL OR freed_at <> 0 THEN 1 ELSE 0 END), 0) FROM pool_slots WHERE pool_id = ?`), "float").Scan(&slots, &touched); err != nil || slots != 3 || touched != 0 {
				e.t.Errorf("pool_slots of float: %d rows, %d touched (%v); want 3 untouched", slots, touched, err)
			}
			e.start(bob, "float")
			e.start(cy, "float")
			e.start(dee, "float") // the overdraft seat, which history never kept

			d, err := e.s.ReportData(e.ctx, historyDay, historyDay.AddDate(0, 0, 1), true)
			if err != nil {
				e.t.Fatalf("ReportData: %v", err)
			}
			day := d.Days["float"][0]
			// 09:00 bob, 09:30 cy, 09:45-09:55 dee on overdraft, 10:00 dee again.
			wantLevels := []report.Level{{Held: 1, Seconds: 1800}, {Held: 2, Seconds: 900}, {Held: 3, Seconds: 600}, {Held: 2, Seconds: 300}}
			got9 := map[int32]int32{}
			for _, l := range day.Hours[9].Levels {
				got9[l.Held] += l.Seconds
			}
			want9 := map[int32]int32{}
			for _, l := range wantLevels {
				want9[l.Held] += l.Seconds
			}
			if !reflect.DeepEqual(got9, want9) || day.Hours[9].Peak != 3 || day.Hours[9].Over != 600 || day.Hours[9].Starts != 3 {
				e.t.Errorf("09:00 = %+v, want levels %v, peak 3, 600 s over, 3 starts", day.Hours[9], want9)
			}
			if len(day.Refusals) != 1 || day.Refusals[0].MetAfter != 240 {
				e.t.Errorf("refusals = %+v, want dee's met after 240 s", day.Refusals)
			}
			if len(d.Queue) != 1 || !d.Queue[0].Seated || d.Queue[0].User != dee.ID {
				e.t.Errorf("queue = %+v", d.Queue)
			}
			tally := map[string]int{}
			for _, x := range d.Denials {
				tally[x.Pool+"/"+x.Reason] += x.Count
			}
			if tally["float/"+licensing.CodeMaxedOut] != 1 || tally["/"+licensing.CodeModuleMissing] != 1 {
				e.t.Errorf("denial tallies = %v", tally)
			}
			named := d.Days["named"][0]
			if named.Hours[10].Peak != 2 || named.Hours[18].Peak != 1 {
				e.t.Errorf("named pool held %d at 10:00 and %d at 18:00, want ann and eve, then ann", named.Hours[10].Peak, named.Hours[18].Peak)
			}
			if len(named.Spells) != 1 || named.People[named.Spells[0].Person] != ann.ID {
				e.t.Errorf("named demand = %+v, want ann's session", named.Spells)
			}
			var annUse time.Time
			for _, x := range d.Holdings {
				if x.User.ID == ann.ID {
					annUse = x.LastUsed
					if !x.Since.Equal(Epoch.AddDate(0, -1, 0)) {
						e.t.Errorf("ann's seat since %s, want backdated", x.Since)
					}
				}
			}
			if !annUse.Equal(at(12, 0)) {
				e.t.Errorf("ann's last use = %s, want her session's last sight", annUse)
			}
			evs, err := e.s.ListProvisioning(e.ctx, eve.ID)
			if err != nil || len(evs) < 1 || evs[len(evs)-1].Duration() != 4*time.Second {
				e.t.Errorf("eve's provisioning = %+v, %v", evs, err)
			}
			// One audit entry for the lot.
			var seeds int
			for _, en := range e.auditAfter(auditBefore) {
				switch en.Action {
				case "history.seed":
					seeds++
					if en.Detail == "" {
						e.t.Errorf("history.seed without counts")
					}
				case "lease.start", "lease.end", "decision.deny", "session.start":
					if en.At.Before(Epoch.Add(10 * 24 * time.Hour)) {
						e.t.Errorf("history wrote an audit entry per row: %+v", en)
					}
				}
			}
			if seeds != 1 {
				e.t.Errorf("%d history.seed entries, want 1", seeds)
			}
			// The kept days equal the live sweep.
			if _, err := e.s.RollupUsage(e.ctx); err != nil {
				e.t.Fatalf("RollupUsage: %v", err)
			}
			kept, err := e.s.ReportData(e.ctx, historyDay, historyDay.AddDate(0, 0, 1), true)
			if err != nil {
				e.t.Fatalf("ReportData: %v", err)
			}
			if !reflect.DeepEqual(kept.Days["float"], d.Days["float"]) {
				e.t.Errorf("kept day differs from the live sweep:\n kept %+v\n live %+v", kept.Days["float"], d.Days["float"])
			}
		}},
		{"refuses_bad_history_whole", func(e *env) {
			ann, bob, cy, dee, eve := e.historyCompany()
			good := store.HistLease{Pool: "float", User: "bob", Start: at(9, 0), End: at(10, 0)}
			for _, tc := range []struct {
				name string
				h    store.History
				code string
			}{
				{"future lease", store.History{Leases: []store.HistLease{good, {Pool: "float", User: "cy", Start: at(9, 0), End: e.clock.Peek().Add(time.Minute)}}}, licensing.CodeInvalid},
				{"future denial", store.History{Denials: []store.HistDenial{{At: e.clock.Peek().Add(time.Hour), User: ann.ID, Reason: licensing.CodeNoLicence}}}, licensing.CodeInvalid},
				{"end before start", store.History{Leases: []store.HistLease{good, {Pool: "float", User: "cy", Start: at(10, 0), End: at(9, 0)}}}, licensing.CodeInvalid},
				{"session end before start", store.History{Sessions: []store.HistSession{{User: ann.ID, Start: at(10, 0), End: at(9, 0)}}}, licensing.CodeInvalid},
				{"open lease", store.History{Leases: []store.HistLease{{Pool: "float", User: "cy", Start: at(9, 0)}}}, licensing.CodeInvalid},
				{"unknown pool", store.History{Leases: []store.HistLease{good, {Pool: "nope", User: "cy", Start: at(9, 0), End: at(10, 0)}}}, licensing.CodeNotFound},
				{"unknown person", store.History{Leases: []store.HistLease{good, {Pool: "float", User: "usr_nobody", Start: at(9, 0), End: at(10, 0)}}}, licensing.CodeNotFound},
				{"lease of a named pool", store.History{Leases: []store.HistLease{{Pool: "named", User: ann.ID, Start: at(9, 0), End: at(10, 0)}}}, licensing.CodeInvalid},
				{"more than capacity", store.History{Leases: []store.HistLease{good,
					{Pool: "float", User: "cy", Start: at(9, 10), End: at(9, 50)},
					{Pool: "float", User: "dee", Start: at(9, 20), End: at(9, 40)},
					{Pool: "float", User: "ann", Start: at(9, 30), End: at(9, 35)}}}, licensing.CodeInvalid},
				{"two leases of one person", store.History{Leases: []store.HistLease{good, {Pool: "float", User: "bob", Start: at(9, 59), End: at(10, 30)}}}, licensing.CodeInvalid},
				{"overdraft with a seat free", store.History{Leases: []store.HistLease{good, {Pool: "float", User: "cy", Start: at(9, 30), End: at(10, 30), Overdraft: true}}}, licensing.CodeInvalid},
				{"backdating a seat not held", store.History{Members: []store.HistMember{{Pool: "named", User: "bob", Since: Epoch}}}, licensing.CodeNotFound},
				{"named pool over its seats", store.History{EndedMembers: []store.HistEndedMember{
					{Pool: "named", User: "bob", Since: at(8, 0), Revoked: at(12, 0)},
					{Pool: "named", User: "cy", Since: at(9, 0), Revoked: at(12, 0)}},
					Members: []store.HistMember{{Pool: "named", User: "ann", Since: Epoch}}}, licensing.CodeInvalid},
				{"one person's seat twice", store.History{EndedMembers: []store.HistEndedMember{{Pool: "named", User: "ann", Since: Epoch.AddDate(0, -1, 0), Revoked: at(12, 0)}}}, licensing.CodeInvalid},
				{"provisioning completed before received", store.History{Provisioning: []store.HistProvisioning{{User: eve.ID, Kind: "deactivate", Received: at(17, 0), Completed: at(16, 0)}}}, licensing.CodeInvalid},
			} {
				fixUsers(&tc.h, map[string]licensing.User{"ann": ann, "bob": bob, "cy": cy, "dee": dee, "eve": eve})
				err := e.s.SeedHistory(e.ctx, tc.h)
				wantCode(e.t, tc.name, err, tc.code)
			}
			if got := e.history("float"); len(got) != 0 {
				e.t.Errorf("refused history left leases: %+v", got)
			}
			if n := e.historyCount(); n != 0 {
				e.t.Errorf("refused history audited %d times", n)
			}
			// The live leases and the stored history count too.
			if err := e.s.SeedHistory(e.ctx, store.History{Leases: []store.HistLease{{Pool: "float", User: bob.ID, Start: at(9, 0), End: at(12, 0)}, {Pool: "float", User: cy.ID, Start: at(9, 0), End: at(12, 0)}}}); err != nil {
				e.t.Fatalf("SeedHistory: %v", err)
			}
			err := e.s.SeedHistory(e.ctx, store.History{Leases: []store.HistLease{
				{Pool: "float", User: dee.ID, Start: at(10, 0), End: at(11, 0)},
				{Pool: "float", User: ann.ID, Start: at(10, 30), End: at(11, 30)}}})
			wantCode(e.t, "over capacity beside stored history", err, licensing.CodeInvalid)
			err = e.s.SeedHistory(e.ctx, store.History{Leases: []store.HistLease{{Pool: "float", User: bob.ID, Start: at(11, 0), End: at(13, 0)}}})
			wantCode(e.t, "two leases beside stored history", err, licensing.CodeInvalid)
			live := e.start(dee, "float")
			e.clock.Advance(2 * time.Hour)
			since := e.clock.Peek().Add(-time.Hour)
			err = e.s.SeedHistory(e.ctx, store.History{Leases: []store.HistLease{
				{Pool: "float", User: bob.ID, Start: since, End: since.Add(30 * time.Minute)},
				{Pool: "float", User: cy.ID, Start: since, End: since.Add(30 * time.Minute)},
				{Pool: "float", User: ann.ID, Start: since, End: since.Add(30 * time.Minute)}}})
			wantCode(e.t, "over capacity beside a live lease", err, licensing.CodeInvalid)
			err = e.s.SeedHistory(e.ctx, store.History{Leases: []store.HistLease{{Pool: "float", User: dee.ID, Start: since, End: since.Add(30 * time.Minute)}}})
			wantCode(e.t, "a second lease beside a live one", err, licensing.CodeInvalid)
			e.end(live)
			if n := e.historyCount(); n != 1 {
				e.t.Errorf("%d history.seed entries, want 1", n)
			}
		}},
		{"large_batch_is_seated_and_rolled_up_again", func(e *env) {
			_, bob, cy, dee, _ := e.historyCompany()
			people := []licensing.User{bob, cy, dee}
			for i := range 7 {
				u := e.user(fmt.Sprintf("extra%d", i))
				e.member("float", u)
				people = append(people, u)
			}
			// Over two days, every person in turn holds a seat for 7-17
			// minutes; whoever's turn finds three held waits for the first
			// to end, so the pool is often full and on overdraft.
			var ls []store.HistLease
			free := []time.Time{{}, {}, {}}
			busy := map[string]time.Time{}
			t0 := historyDay.Add(-24 * time.Hour)
			for i := range 1234 {
				u := people[i%len(people)]
				start := t0.Add(time.Duration(i) * 71 * time.Second)
				k := slices.IndexFunc(free, func(f time.Time) bool { return !f.After(start) })
				if k < 0 || busy[u.ID].After(start) {
					continue
				}
				end := start.Add(time.Duration(7+i%11) * time.Minute)
				free[k], busy[u.ID] = end, end
				ls = append(ls, store.HistLease{Pool: "float", User: u.ID, Start: start, End: end})
			}
			if err := e.s.SeedHistory(e.ctx, store.History{Leases: ls[:len(ls)/2]}); err != nil {
				e.t.Fatalf("SeedHistory (first half): %v", err)
			}
			if _, err := e.s.RollupUsage(e.ctx); err != nil {
				e.t.Fatalf("RollupUsage: %v", err)
			}
			if err := e.s.SeedHistory(e.ctx, store.History{Leases: ls[len(ls)/2:]}); err != nil {
				e.t.Fatalf("SeedHistory (second half): %v", err)
			}
			if _, err := e.s.RollupUsage(e.ctx); err != nil {
				e.t.Fatalf("RollupUsage: %v", err)
			}
			hist := e.history("float")
			if len(hist) != len(ls) {
				e.t.Fatalf("%d leases stored, want %d", len(hist), len(ls))
			}
			if s := overlapping(hist); s != "" {
				e.t.Errorf("slots: %s", s)
			}
			over := 0
			for _, l := range hist {
				if l.Overdraft {
					over++
				}
			}
			if over == 0 {
				e.t.Errorf("no lease took the overdraft seat")
			}
			d, err := e.s.ReportData(e.ctx, t0, t0.AddDate(0, 0, 2), true)
			if err != nil {
				e.t.Fatalf("ReportData: %v", err)
			}
			starts := 0
			for _, day := range d.Days["float"] {
				for _, h := range day.Hours {
					starts += int(h.Starts)
					if h.Peak > day.Capacity {
						e.t.Errorf("%s: peak %d over capacity %d", day.Start, h.Peak, day.Capacity)
					}
				}
			}
			if starts != len(ls) {
				e.t.Errorf("the kept days count %d lease starts, want %d: the rollup missed the second batch", starts, len(ls))
			}
		}},
	}
}

// fixUsers turns the test's person names in refused histories into ids.
func fixUsers(h *store.History, by map[string]licensing.User) {
	id := func(v *string) {
		if u, ok := by[*v]; ok {
			*v = u.ID
		}
	}
	for i := range h.Leases {
		id(&h.Leases[i].User)
	}
	for i := range h.Members {
		id(&h.Members[i].User)
	}
	for i := range h.EndedMembers {
		id(&h.EndedMembers[i].User)
	}
}
