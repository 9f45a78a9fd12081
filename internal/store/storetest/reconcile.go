package storetest

import (
	"github.com/seatkeeper/seatkeeper/internal/entitle"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

func reconcileTests() []testCase {
	return []testCase{
		{"ApplyDiff", func(e *env) {
			e.agent()
			e.named("agents", 2)
			ann, bob, cat, dan := e.user("ann"), e.user("bob"), e.user("cat"), e.user("dan")
			e.member("agents", dan) // manual
			rule := func(u licensing.User, reason string) entitle.Change {
				return entitle.Change{User: u.ID, UserName: u.UserName, SKU: "agent", Pool: "agents", Rule: "desk", Reason: reason}
			}
			// One seat left: ann gains it, bob's gain is deferred (the pool
			// filled inside the transaction), cat waits.
			res, err := e.s.ApplyDiff(e.ctx, e.admin, entitle.Diff{
				Gains:   []entitle.Change{rule(ann, ""), rule(bob, "")},
				Pending: []entitle.Change{rule(cat, entitle.ReasonPoolFull)},
			})
			if err != nil {
				e.t.Fatalf("ApplyDiff: %v", err)
			}
			if res.Granted != 1 || len(res.Deferred) != 1 || res.Deferred[0].User != bob.ID || res.Pending != 2 {
				e.t.Fatalf("ApplyDiff = %+v, want 1 granted, bob deferred, 2 pending", res)
			}
			e.wantMembers("agents", map[string]string{"ann": "active rule:desk", "bob": "pending rule:desk pool_full", "cat": "pending rule:desk pool_full", "dan": "active manual"})
			pend, err := e.s.PendingMembers(e.ctx)
			if err != nil || len(pend) != 2 {
				e.t.Fatalf("PendingMembers = %v, %v; want 2", pend, err)
			}
			// A rule never revokes a manual grant: the whole call fails.
			_, err = e.s.ApplyDiff(e.ctx, e.admin, entitle.Diff{Losses: []entitle.Change{rule(ann, entitle.ReasonNotEntitled), rule(dan, entitle.ReasonNotEntitled)}})
			wantCode(e.t, "ApplyDiff(loss of a manual seat)", err, licensing.CodeConflict)
			e.wantMembers("agents", map[string]string{"ann": "active rule:desk", "bob": "pending rule:desk pool_full", "cat": "pending rule:desk pool_full", "dan": "active manual"})
			// Revoking ann's rule seat frees it; bob's pending row becomes
			// active in the same call; relabel cat's pending row.
			res, err = e.s.ApplyDiff(e.ctx, e.admin, entitle.Diff{
				Losses: []entitle.Change{rule(ann, entitle.ReasonNotEntitled)},
				Gains:  []entitle.Change{rule(bob, entitle.ReasonSeatFreed)},
			})
			if err != nil || res.Revoked != 1 || res.Granted != 1 {
				e.t.Fatalf("ApplyDiff = %+v, %v; want 1 revoked, 1 granted", res, err)
			}
			relabel := rule(bob, entitle.ReasonRuleChanged)
			relabel.Rule = "desk2"
			if res, err = e.s.ApplyDiff(e.ctx, e.admin, entitle.Diff{Relabels: []entitle.Change{relabel}}); err != nil || res.Relabelled != 1 {
				e.t.Fatalf("ApplyDiff(relabel) = %+v, %v", res, err)
			}
			e.wantMembers("agents", map[string]string{"bob": "active rule:desk2 seat_freed", "cat": "pending rule:desk pool_full", "dan": "active manual"})
			e.wantActions("rule.grant", "rule.pending", "rule.revoke", "rule.relabel")
		}},
		{"ApplyDiff never seats a service account", func(e *env) {
			e.agent()
			e.named("agents", 2)
			svc, err := e.s.CreateUser(e.ctx, e.admin, licensing.User{UserName: "hub", Kind: licensing.KindService, Active: true})
			if err != nil {
				e.t.Fatal(err)
			}
			res, err := e.s.ApplyDiff(e.ctx, e.admin, entitle.Diff{Gains: []entitle.Change{{User: svc.ID, UserName: "hub", SKU: "agent", Pool: "agents", Rule: "desk"}}})
			if err != nil || res.Granted != 0 || res.Skipped != 1 {
				e.t.Fatalf("ApplyDiff(service account gain) = %+v, %v; want skipped", res, err)
			}
			e.wantMembers("agents", map[string]string{})
		}},
	}
}

// wantMembers compares a pool's members, each as "state source[ reason]".
func (e *env) wantMembers(pool string, want map[string]string) {
	e.t.Helper()
	ms, err := e.s.ListMembers(e.ctx, pool)
	if err != nil {
		e.t.Fatalf("ListMembers(%s): %v", pool, err)
	}
	got := map[string]string{}
	for _, m := range ms {
		s := m.State + " " + m.Source
		if m.Reason != "" {
			s += " " + m.Reason
		}
		got[m.UserName] = s
	}
	if len(got) != len(want) {
		e.t.Errorf("members of %s = %v, want %v", pool, got, want)
		return
	}
	for k, v := range want {
		if got[k] != v {
			e.t.Errorf("members of %s = %v, want %v", pool, got, want)
			return
		}
	}
}
