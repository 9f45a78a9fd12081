package desk_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/desk"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/seats"
	"github.com/seatkeeper/seatkeeper/internal/store"
	"github.com/seatkeeper/seatkeeper/internal/store/sqlite"
)

// deskEnv is a real desk over a real SQLite store.
type deskEnv struct {
	st    *store.Store
	seats *seats.Service
	desk  *desk.Service
}

func newDeskEnv(tb testing.TB) *deskEnv {
	tb.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "desk.db"), store.Options{Logger: log})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	if err := st.SeedPolicy(ctx); err != nil {
		tb.Fatal(err)
	}
	a := licensing.System("test")
	for _, k := range []licensing.SKU{{Key: "agent", Name: "Agent", Tier: licensing.TierFulfiller}, {Key: "requester", Name: "Requester", Tier: licensing.TierRequester},
		{Key: "change", Name: "Change", Tier: licensing.TierModule, Requires: []string{"agent"}}, {Key: "asset", Name: "Asset", Tier: licensing.TierModule, Requires: []string{"agent"}}} {
		if err := st.PutSKU(ctx, a, k, true); err != nil {
			tb.Fatal(err)
		}
	}
	for _, p := range []licensing.Pool{{ID: "agents", SKU: "agent", Model: licensing.ModelNamed, Seats: 5},
		{ID: "changes", SKU: "change", Model: licensing.ModelNamed, Seats: 5}, {ID: "assets", SKU: "asset", Model: licensing.ModelNamed, Seats: 5}} {
		if err := st.CreatePool(ctx, a, p); err != nil {
			tb.Fatal(err)
		}
	}
	for _, u := range []licensing.User{
		{UserName: "agent@example.com", EmployeeID: "E1", DisplayName: "Ada Agent", Kind: licensing.KindPerson, Active: true},
		{UserName: "req@example.com", EmployeeID: "E2", DisplayName: "Rui Requester", Kind: licensing.KindPerson, Active: true},
		// An agent with the change and asset modules.
		{UserName: "chg@example.com", EmployeeID: "E3", DisplayName: "Chen Change", Kind: licensing.KindPerson, Active: true},
	} {
		if _, err := st.CreateUser(ctx, a, u); err != nil {
			tb.Fatal(err)
		}
	}
	for _, m := range [][2]string{{"agents", "agent@example.com"}, {"agents", "chg@example.com"}, {"changes", "chg@example.com"}, {"assets", "chg@example.com"}} {
		if _, _, err := st.PutMember(ctx, a, m[0], m[1], ""); err != nil {
			tb.Fatal(err)
		}
	}
	svc := seats.New(st, licensing.NewEngine(nil), log, seats.Config{})
	if err := svc.Load(ctx); err != nil {
		tb.Fatal(err)
	}
	return &deskEnv{st: st, seats: svc, desk: desk.New(st, svc, svc.Engine, log)}
}

// BenchmarkDecisionOverhead measures what deciding adds to each desk
// action: Authorize is the whole check a handler runs before it touches the
// store (principal to decision to audit identity), for an agent on a named
// seat, a requester, and an integration acting for a licensed agent.
func BenchmarkDecisionOverhead(b *testing.B) {
	e := newDeskEnv(b)
	ctx := context.Background()
	agent, err := e.desk.Person(licensing.Actor{Name: "token:desk"}, "agent@example.com", "")
	if err != nil {
		b.Fatal(err)
	}
	req, err := e.desk.Person(licensing.Actor{Name: "token:desk"}, "req@example.com", "")
	if err != nil {
		b.Fatal(err)
	}
	in, _, err := e.st.CreateIntegration(ctx, licensing.System("test"), "slack-hub", desk.ModeEnforce)
	if err != nil {
		b.Fatal(err)
	}
	integ := e.desk.Acting(licensing.Actor{}, in, "E1")
	for _, c := range []struct {
		name       string
		p          desk.Principal
		capability string
	}{
		{"agent-transition", agent, "ticket.transition"},
		{"requester-create", req, "ticket.create"},
		{"integration-transition", integ, "ticket.transition"},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := e.desk.Authorize(ctx, c.p, c.capability); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("none", func(b *testing.B) {
		// The same call shape with the decision left out: the baseline.
		for b.Loop() {
			_ = desk.By{Actor: agent.Actor, User: agent.User, UserName: agent.UserName}
		}
	})
}
