package demo

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/seatkeeper/seatkeeper/internal/desk"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/seats"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

// seedCalls gives the multiplexing report and the proposals list something
// to show on the first start: each integration acts for a licensed agent,
// an unlicensed requester and someone unknown, through the real desk.
func seedCalls(ctx context.Context, st *store.Store, in map[desk.Mode]desk.Integration) error {
	svc := seats.New(st, licensing.NewEngine(nil), slog.New(slog.DiscardHandler), seats.Config{})
	if err := svc.Load(ctx); err != nil {
		return fmt.Errorf("demo calls: %w", err)
	}
	dsk := desk.New(st, svc, svc.Engine, slog.New(slog.DiscardHandler))
	list, err := st.ListTickets(ctx, desk.TicketFilter{States: []desk.State{desk.StateNew}, Limit: 1})
	if err != nil || len(list) == 0 {
		return fmt.Errorf("demo calls: no new ticket to act on (%v)", err)
	}
	tk := list[0].ID
	note := func(body string) desk.Change {
		return desk.Change{Note: &desk.Note{Kind: desk.KindWorkNote, Body: body}}
	}
	a := licensing.Actor{Source: "demo"}
	for _, c := range []struct {
		mode   desk.Mode
		acting string
		change desk.Change
		want   string // the error code the call meets, "" for none
	}{
		{desk.ModeEnforce, "agent@example.com", note("Asked the user for the VPN client log in Slack."), ""},
		{desk.ModeEnforce, "requester@example.com", desk.Change{State: desk.StateInProgress}, licensing.CodeMultiplexingBlocked},
		{desk.ModePropose, "requester@example.com", desk.Change{State: desk.StateInProgress}, ""},
		{desk.ModeMonitor, "requester@example.com", note("Synced from the old desk."), ""},
		{desk.ModeMonitor, "contractor-77@partner.example", note("Vendor update synced."), ""},
	} {
		_, err := dsk.Change(ctx, dsk.Acting(a, in[c.mode], c.acting), tk, c.change)
		if licensing.ErrorCode(err) != c.want {
			return fmt.Errorf("demo call by %s for %s: %v", in[c.mode].Name, c.acting, err)
		}
	}
	return nil
}
