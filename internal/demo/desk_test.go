package demo_test

import (
	"context"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/demo"
	"github.com/seatkeeper/seatkeeper/internal/desk"
	"github.com/seatkeeper/seatkeeper/internal/signin"
)

// TestSeedDesk checks the desk demo covers every case it promises, once.
func TestSeedDesk(t *testing.T) {
	ctx := context.Background()
	st := seeded(t)
	ins, err := demo.SeedDesk(ctx, st)
	if err != nil {
		t.Fatalf("SeedDesk: %v", err)
	}
	modes := map[string]string{}
	for _, in := range ins {
		modes[in.Mode] = in.Name
		if in.Token == "" {
			t.Fatalf("integration %s without a token", in.Name)
		}
	}
	if len(modes) != 3 || modes["enforce"] == "" || modes["propose"] == "" || modes["monitor"] == "" {
		t.Fatalf("integrations by mode %v", modes)
	}
	for _, p := range demo.Personas {
		_, hash, err := st.Account(ctx, p.UserName)
		if err != nil || !signin.CheckPassword(hash, demo.Password) {
			t.Fatalf("persona %s cannot sign in: %v", p.UserName, err)
		}
	}
	arts, err := st.ListArticles(ctx)
	if err != nil || len(arts) < 8 {
		t.Fatalf("articles: %d %v", len(arts), err)
	}
	list, err := st.ListTickets(ctx, desk.TicketFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	states := map[desk.State]int{}
	for _, tk := range list {
		states[tk.State]++
	}
	for _, s := range desk.States {
		if states[s] == 0 {
			t.Errorf("no demo ticket is %s: %v", s, states)
		}
	}
	// Every mode has something to show in the report and the proposals.
	rep, err := st.MultiplexingReport(ctx, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]desk.Usage{}
	for _, u := range rep.Integrations {
		got[u.Name] = u
	}
	if u := got[modes["enforce"]]; u.Blocked != 1 || u.LicensedActions != 1 {
		t.Errorf("enforce integration %+v, want one blocked and one licensed call", u)
	}
	if u := got[modes["propose"]]; u.Proposed != 1 {
		t.Errorf("propose integration %+v, want one proposal", u)
	}
	if u := got[modes["monitor"]]; u.Flagged != 2 || u.UnknownActing != 1 {
		t.Errorf("monitor integration %+v, want two flagged calls, one by an unknown person", u)
	}
	if ps, err := st.ListProposals(ctx, desk.ProposalPending, 10); err != nil || len(ps) != 1 {
		t.Errorf("pending proposals %+v, %v; want one", ps, err)
	}
	again, err := demo.SeedDesk(ctx, st)
	if err != nil || len(again) != 0 {
		t.Fatalf("second SeedDesk: %v %v", again, err)
	}
	hold, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := demo.HoldOverflow(hold, st, time.Hour); err != nil {
		t.Fatal(err)
	}
	if free, err := st.PoolFree(ctx, "agents-overflow"); err != nil || free != 0 {
		t.Fatalf("overflow pool free %d, %v; want full", free, err)
	}
	// Holding again (a restart) reuses the session rather than failing.
	if err := demo.HoldOverflow(hold, st, time.Hour); err != nil {
		t.Fatalf("second HoldOverflow: %v", err)
	}
}
