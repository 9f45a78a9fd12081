package storetest

import (
	"reflect"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/desk"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/report"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

func reportTests() []testCase {
	return []testCase{
		{"usage_days_from_sessions_kept_equal_live", func(e *env) {
			e.agent()
			// Two hours' idle timeout: nobody heartbeats in this test, and a
			// lease counts as held until it ended or expired.
			e.concurrent("float", 2, func(p *licensing.Pool) {
				p.Queue, p.IdleTimeout = &licensing.QueueConfig{OfferTTL: time.Hour}, 2*time.Hour
			})
			ann, bob, cy := e.user("ann"), e.user("bob"), e.user("cy")
			e.member("float", ann, bob, cy)
			a := e.start(ann, "float")
			e.clock.Advance(30 * time.Minute)
			b := e.start(bob, "float")
			e.clock.Advance(15 * time.Minute)
			e.refused(cy, licensing.CodeMaxedOut, "float") // queued
			e.clock.Advance(5 * time.Minute)
			e.end(a)             // 09:50
			e.start(cy, "float") // seated after 5 minutes in the queue
			e.clock.Advance(10 * time.Minute)
			e.end(b)                        // 10:00
			e.clock.Advance(50 * time.Hour) // the day is kept once its refusals had the whole horizon
			day := report.DayStart(Epoch)
			live, err := e.s.ReportData(e.ctx, day, day.AddDate(0, 0, 1), true)
			if err != nil {
				e.t.Fatalf("ReportData: %v", err)
			}
			n, err := e.s.RollupUsage(e.ctx)
			if err != nil || n < 1 {
				e.t.Fatalf("RollupUsage = %d, %v", n, err)
			}
			kept, err := e.s.ReportData(e.ctx, day, day.AddDate(0, 0, 1), true)
			if err != nil {
				e.t.Fatalf("ReportData: %v", err)
			}
			if !reflect.DeepEqual(live.Days["float"], kept.Days["float"]) {
				e.t.Fatalf("kept day differs from the live sweep:\n kept %+v\n live %+v", kept.Days["float"], live.Days["float"])
			}
			d := kept.Days["float"][0]
			// 09:00-09:30 one held, 09:30-10:00 two (cy takes ann's seat at 09:50), then cy alone.
			h9 := d.Hours[9]
			if !reflect.DeepEqual(h9.Levels, []report.Level{{Held: 1, Seconds: 1800}, {Held: 2, Seconds: 1800}}) || h9.Starts != 3 {
				e.t.Fatalf("09:00 = %+v", h9)
			}
			if len(d.Refusals) != 1 || d.Refusals[0].MetAfter != 300 {
				e.t.Fatalf("refusals = %+v, want cy's met after 300 s", d.Refusals)
			}
			if len(kept.Queue) != 1 || !kept.Queue[0].Seated || kept.Queue[0].Left.Sub(kept.Queue[0].Joined) != 5*time.Minute {
				e.t.Fatalf("queue history = %+v, want one place seated after 5 minutes", kept.Queue)
			}
			if kept.Registered["float"] != 3 {
				e.t.Fatalf("registered = %v", kept.Registered)
			}
			if again, err := e.s.RollupUsage(e.ctx); err != nil || again != 0 {
				e.t.Fatalf("second RollupUsage = %d, %v; want nothing new", again, err)
			}
			// cy's lease, never heartbeaten, counts as held until it expired
			// (11:50), not until a sweep after an outage would end it.
			if h := d.Hours[12]; h.Peak != 0 || len(h.Levels) != 1 || h.Levels[0].Held != 0 {
				e.t.Fatalf("12:00 = %+v, want nothing held after cy's lease expired at 11:50", h)
			}
			if h := d.Hours[11]; h.Peak != 1 || !reflect.DeepEqual(h.Levels, []report.Level{{Held: 0, Seconds: 600}, {Held: 1, Seconds: 3000}}) {
				e.t.Fatalf("11:00 = %+v, want cy held 50 minutes then nothing", h)
			}
		}},
		{"named_use_and_dormant_reclaim_undo", func(e *env) {
			e.agent()
			e.named("named", 2)
			ann, bob, cy := e.user("ann"), e.user("bob", "on-call"), e.user("cy")
			e.member("named", ann, bob)
			if err := e.s.RecordNamedUse(e.ctx, []store.NamedUse{{Pool: "named", User: ann.ID, At: Epoch.Add(time.Hour)}}); err != nil {
				e.t.Fatal(err)
			}
			if _, err := e.s.PutDormantPolicy(e.ctx, e.admin, store.DormantPolicy{Pool: "named", IdleDays: 30, GraceDays: 7, Action: store.DormantReclaim, UndoDays: 14, ExemptGroups: []string{"on-call"}}); err != nil {
				e.t.Fatal(err)
			}
			bad := store.DormantPolicy{Pool: "named", IdleDays: 0, Action: store.DormantReclaim}
			if _, err := e.s.PutDormantPolicy(e.ctx, e.admin, bad); codeOf(err) != licensing.CodeInvalid {
				e.t.Fatalf("idle_days 0: %v", err)
			}
			// Within the window nobody is warned.
			e.clock.Advance(20 * 24 * time.Hour)
			if out, err := e.s.SweepDormant(e.ctx, e.admin); err != nil || out.Warned != 0 {
				e.t.Fatalf("sweep at 20 days = %+v, %v", out, err)
			}
			e.clock.Advance(11 * 24 * time.Hour)
			out, err := e.s.SweepDormant(e.ctx, e.admin)
			if err != nil || out.Warned != 1 {
				e.t.Fatalf("sweep at 31 days = %+v, %v; want ann warned (bob is exempt)", out, err)
			}
			notices, _ := e.s.DormantNotices(e.ctx, store.NoticeFilter{User: ann.ID, OpenOnly: true})
			if len(notices) != 1 || notices[0].State != store.NoticeWarned || !notices[0].LastUsed.Equal(Epoch.Add(time.Hour)) {
				e.t.Fatalf("ann's notices = %+v", notices)
			}
			e.clock.Advance(8 * 24 * time.Hour)
			if out, err = e.s.SweepDormant(e.ctx, e.admin); err != nil || out.Reclaimed != 1 || out.Users[0] != ann.ID {
				e.t.Fatalf("sweep after grace = %+v, %v", out, err)
			}
			if got := e.members("named"); len(got) != 1 {
				e.t.Fatalf("members after reclaim = %v", got)
			}
			e.wantActions("seat.dormant_warn", "seat.dormant_reclaim")
			// The seat goes to cy; the undo then finds it taken.
			e.member("named", cy)
			err = e.s.UndoReclaim(e.ctx, e.admin, notices[0].ID)
			wantCode(e.t, "UndoReclaim with the seat taken", err, licensing.CodeMaxedOut)
			if err := e.s.DeleteMember(e.ctx, e.admin, "named", cy.UserName); err != nil {
				e.t.Fatal(err)
			}
			if err := e.s.UndoReclaim(e.ctx, e.admin, notices[0].ID); err != nil {
				e.t.Fatalf("UndoReclaim: %v", err)
			}
			if got := e.members("named"); len(got) != 2 {
				e.t.Fatalf("members after undo = %v", got)
			}
			wantCode(e.t, "UndoReclaim twice", e.s.UndoReclaim(e.ctx, e.admin, notices[0].ID), licensing.CodeConflict)
			wantCode(e.t, "UndoReclaim unknown", e.s.UndoReclaim(e.ctx, e.admin, "dmt_nope"), licensing.CodeNotFound)
		}},
		{"share_links_signed_expire_revoke_rotate", func(e *env) {
			l, token, err := e.s.CreateShare(e.ctx, e.admin, store.ShareLink{Report: "cost", Params: "from=2025-01-01", Snapshot: []byte(`{"spend":1}`), TakenAt: Epoch}, 0)
			if err != nil {
				e.t.Fatal(err)
			}
			if !l.ExpiresAt.Equal(Epoch.Add(store.DefaultShareTTL)) {
				e.t.Fatalf("expires %v", l.ExpiresAt)
			}
			got, err := e.s.OpenShare(e.ctx, token, "192.0.2.1")
			if err != nil || string(got.Snapshot) != `{"spend":1}` || got.Views != 1 {
				e.t.Fatalf("OpenShare = %+v, %v", got, err)
			}
			for name, bad := range map[string]string{"tampered": token[:len(token)-2] + "xx", "unknown": "shr_x." + l.KeyID + ".abc", "malformed": "nonsense"} {
				if _, err := e.s.OpenShare(e.ctx, bad, "192.0.2.1"); codeOf(err) != licensing.CodeNotFound {
					e.t.Errorf("%s token: %v", name, err)
				}
			}
			if _, _, err := e.s.CreateShare(e.ctx, e.admin, store.ShareLink{Report: "cost"}, 91*24*time.Hour); codeOf(err) != licensing.CodeInvalid {
				e.t.Errorf("91-day link: %v", err)
			}
			short, stoken, _ := e.s.CreateShare(e.ctx, e.admin, store.ShareLink{Report: "cost", Snapshot: []byte("{}")}, time.Hour)
			e.clock.Advance(2 * time.Hour)
			wantCode(e.t, "expired link", func() error { _, err := e.s.OpenShare(e.ctx, stoken, "x"); return err }(), licensing.CodeLinkExpired)
			if err := e.s.RevokeShare(e.ctx, e.admin, l.ID, "someone-else"); codeOf(err) != licensing.CodeNotFound {
				e.t.Errorf("revoke by another creator: %v", err)
			}
			if err := e.s.RevokeShare(e.ctx, e.admin, l.ID, ""); err != nil {
				e.t.Fatal(err)
			}
			wantCode(e.t, "revoked link", func() error { _, err := e.s.OpenShare(e.ctx, token, "x"); return err }(), licensing.CodeLinkRevoked)
			third, ttoken, _ := e.s.CreateShare(e.ctx, e.admin, store.ShareLink{Report: "cost", Snapshot: []byte("{}")}, 0)
			if n, err := e.s.RotateShareKey(e.ctx, e.admin); err != nil || n != 1 {
				e.t.Fatalf("RotateShareKey = %d, %v; want the one live link retired", n, err)
			}
			wantCode(e.t, "link of a rotated key", func() error { _, err := e.s.OpenShare(e.ctx, ttoken, "x"); return err }(), licensing.CodeNotFound)
			list, live, err := e.s.ListShares(e.ctx, "")
			if err != nil || len(list) != 3 {
				e.t.Fatalf("ListShares = %d, %v", len(list), err)
			}
			states := map[string]string{}
			for _, x := range list {
				states[x.ID] = x.State(e.clock.Peek(), live[x.KeyID])
			}
			if states[l.ID] != "revoked" || states[short.ID] != "retired" || states[third.ID] != "retired" {
				e.t.Fatalf("states = %v", states)
			}
			e.wantActions("report.share", "report.share_view", "report.share_revoke", "report.share_key_rotate")
			// A leaver's links end with their access.
			cfo := e.user("cfo")
			_, ctoken, err := e.s.CreateShare(e.ctx, licensing.Actor{Name: "web:cfo"}, store.ShareLink{Report: "cost", Snapshot: []byte("{}")}, 0)
			if err != nil {
				e.t.Fatal(err)
			}
			e.deactivate(cfo)
			wantCode(e.t, "a leaver's link", func() error { _, err := e.s.OpenShare(e.ctx, ctoken, "x"); return err }(), licensing.CodeLinkRevoked)
		}},
		{"evidence_data_one_snapshot", func(e *env) {
			e.agent()
			e.named("named", 5)
			ann, bob := e.user("ann"), e.user("bob")
			e.member("named", ann, bob)
			e.clock.Advance(time.Hour)
			if err := e.s.DeleteMember(e.ctx, e.admin, "named", bob.UserName); err != nil {
				e.t.Fatal(err)
			}
			e.deactivate(ann) // a leaver: the CSV import and SCIM time it
			if _, err := e.s.RecordProvisioning(e.ctx, e.admin, ann.ID, "deactivate", e.clock.Peek()); err != nil {
				e.t.Fatal(err)
			}
			hub, _ := e.integration("slack-hub", desk.ModeEnforce)
			for _, c := range []desk.Call{
				{Integration: hub.ID, At: e.clock.Peek(), ActingRaw: "bob@example.com", ActingUser: bob.ID, Capability: "ticket.transition", Fulfiller: true, Outcome: desk.OutcomeBlocked},
				{Integration: hub.ID, At: e.clock.Peek(), ActingRaw: "ghost@example.com", Capability: "ticket.create", Outcome: desk.OutcomeBlocked},
			} {
				if err := e.s.RecordCall(e.ctx, desk.By{Actor: e.admin, Call: &c}); err != nil {
					e.t.Fatal(err)
				}
			}
			d, err := e.s.EvidenceData(e.ctx, Epoch.Add(-time.Hour), Epoch.Add(24*time.Hour))
			if err != nil {
				e.t.Fatal(err)
			}
			if len(d.Changes) != 2 || d.Changes[1].RevokedAt.IsZero() && d.Changes[0].RevokedAt.IsZero() {
				e.t.Fatalf("changes = %+v, want two grants and bob's revocation", d.Changes)
			}
			if len(d.Leavers) != 1 || d.Leavers[0].UserName != "ann" {
				e.t.Fatalf("leavers = %+v", d.Leavers)
			}
			if len(d.Acting) != 2 || d.AuditHeadSeq == 0 || d.AuditInPeriod == 0 {
				e.t.Fatalf("acting = %+v, audit head %d, in period %d", d.Acting, d.AuditHeadSeq, d.AuditInPeriod)
			}
			for _, a := range d.Acting {
				if a.ActingUser == "bob" && (!a.Resolved || a.Unlicensed != 1) || a.ActingUser == "ghost@example.com" && a.Resolved {
					e.t.Errorf("acting row %+v", a)
				}
			}
		}},
	}
}
