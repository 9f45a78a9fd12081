package provision

import (
	"context"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

// SweepDormant applies the dormant-seat policies (DESIGN §3.1) and gives
// every reclaimed seat to the longest-waiting pending grant at once.
func (r *Reconciler) SweepDormant(ctx context.Context, a licensing.Actor) (store.DormantOutcome, error) {
	out, err := r.Store.SweepDormant(ctx, a)
	if err != nil || len(out.Users) == 0 {
		return out, err
	}
	return out, r.Settle(ctx, a, true, out.Users...)
}

// Housekeep runs the hourly work of the reports until ctx ends: the day
// rollup of usage history, then the dormant-seat sweep. It runs once at
// start so a fresh server has its days kept.
func (r *Reconciler) Housekeep(ctx context.Context, a licensing.Actor, every time.Duration) {
	run := func() {
		if n, err := r.Store.RollupUsage(ctx); err != nil && ctx.Err() == nil {
			r.log().Warn("usage rollup", "err", err)
		} else if n > 0 {
			r.log().Info("usage days kept", "days", n)
		}
		if out, err := r.SweepDormant(ctx, a); err != nil && ctx.Err() == nil {
			r.log().Warn("dormant-seat sweep", "err", err)
		} else if out.Warned+out.Reclaimed+out.Suggested+out.Cleared > 0 {
			r.log().Info("dormant seats", "warned", out.Warned, "reclaimed", out.Reclaimed, "suggested", out.Suggested, "cleared", out.Cleared)
		}
	}
	run()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			run()
		}
	}
}
