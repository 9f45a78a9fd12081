// Package provision keeps rule- and group-sourced seats in line with the
// entitlement rules and the pools assigned to SCIM groups: it previews a rule change, reconciles everyone after one, reconciles
// single people after a SCIM or CSV change, and grants pending seats when one
// frees.
package provision

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/entitle"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

// ChunkSize is the most changes ApplyDiff gets in one transaction.
const ChunkSize = 500

// Reconciler plans and applies rule diffs against the store.
type Reconciler struct {
	Store *store.Store
	Log   *slog.Logger
	cache entCache
}

func (r *Reconciler) log() *slog.Logger {
	if r.Log == nil {
		return slog.Default()
	}
	return r.Log
}

// Rules loads the stored rules and group grants and compiles them: every
// plan sees both, so a rule change never revokes a group's seat nor the
// other way round.
func (r *Reconciler) Rules(ctx context.Context) (*entitle.Set, error) {
	recs, err := r.Store.ListRules(ctx)
	if err != nil {
		return nil, err
	}
	rules := make([]entitle.Rule, 0, len(recs))
	for _, rec := range recs {
		ru, err := FromRecord(rec)
		if err != nil {
			return nil, err
		}
		rules = append(rules, ru)
	}
	set, err := entitle.Compile(rules)
	if err != nil {
		return nil, err
	}
	grants, err := r.Store.ListGroupGrants(ctx)
	if err != nil {
		return nil, err
	}
	gs := make([]entitle.GroupGrant, len(grants))
	for i, g := range grants {
		gs[i] = entitle.GroupGrant{Group: g.Group, Pool: g.Pool, SKU: g.SKU}
	}
	if set, err = set.WithGroupGrants(gs); err != nil {
		return nil, fmt.Errorf("provision: group grants: %w", err)
	}
	return set, nil
}

type world struct {
	users   []licensing.User
	members []licensing.Member
	pools   []licensing.Pool // in force now
	skuOf   func(string) string
}

func (r *Reconciler) pools(ctx context.Context) ([]licensing.Pool, func(string) string, error) {
	all, err := r.Store.ListPools(ctx)
	if err != nil {
		return nil, nil, err
	}
	now := r.Store.Now()
	sku := make(map[string]string, len(all))
	var valid []licensing.Pool
	for _, p := range all {
		sku[p.ID] = p.SKU
		if p.ValidAt(now) {
			valid = append(valid, p)
		}
	}
	return valid, func(id string) string { return sku[id] }, nil
}

func (r *Reconciler) load(ctx context.Context) (world, error) {
	var w world
	people, err := r.Store.LoadPeople(ctx)
	if err != nil {
		return w, err
	}
	w.users = make([]licensing.User, len(people))
	for i := range people {
		w.users[i] = people[i].User
		w.members = append(w.members, people[i].Members...)
	}
	w.pools, w.skuOf, err = r.pools(ctx)
	return w, err
}

// Preview plans the stored rules with candidate replacing its stored
// version (or, with remove, without the rule of candidate.ID) over everyone:
// who gains, who loses, what stays pending and which pools overflow.
// Nothing changes.
func (r *Reconciler) Preview(ctx context.Context, candidate entitle.Rule, remove bool) (entitle.Diff, error) {
	set, err := r.Rules(ctx)
	if err != nil {
		return entitle.Diff{}, err
	}
	if remove {
		set = set.Without(candidate.ID)
	} else if set, err = set.With(candidate); err != nil {
		return entitle.Diff{}, err
	}
	w, err := r.load(ctx)
	if err != nil {
		return entitle.Diff{}, err
	}
	return entitle.Plan(w.users, w.members, set, w.pools, w.skuOf), nil
}

// ReconcileAll plans the stored rules over everyone and applies the diff,
// in chunks of ChunkSize changes, losses first so freed seats go to gains.
func (r *Reconciler) ReconcileAll(ctx context.Context, a licensing.Actor) (entitle.Diff, error) {
	set, err := r.Rules(ctx)
	if err != nil {
		return entitle.Diff{}, err
	}
	w, err := r.load(ctx)
	if err != nil {
		return entitle.Diff{}, err
	}
	d := entitle.Plan(w.users, w.members, set, w.pools, w.skuOf)
	return d, r.apply(ctx, a, d)
}

// apply hands d to the store in chunks, in the order losses, relabels,
// gains, pending.
func (r *Reconciler) apply(ctx context.Context, a licensing.Actor, d entitle.Diff) error {
	var chunk entitle.Diff
	n := 0
	flush := func() error {
		if n == 0 {
			return nil
		}
		res, err := r.Store.ApplyDiff(ctx, a, chunk)
		if err != nil {
			return err
		}
		if len(res.Deferred) > 0 {
			r.log().Info("rule grants deferred: pool full", "count", len(res.Deferred))
		}
		chunk, n = entitle.Diff{}, 0
		return nil
	}
	lists := []struct {
		src []entitle.Change
		dst func(*entitle.Diff) *[]entitle.Change
	}{
		{d.Losses, func(x *entitle.Diff) *[]entitle.Change { return &x.Losses }},
		{d.Relabels, func(x *entitle.Diff) *[]entitle.Change { return &x.Relabels }},
		{d.Gains, func(x *entitle.Diff) *[]entitle.Change { return &x.Gains }},
		{d.Pending, func(x *entitle.Diff) *[]entitle.Change { return &x.Pending }},
	}
	for _, l := range lists {
		for _, c := range l.src {
			p := l.dst(&chunk)
			*p = append(*p, c)
			if n++; n >= ChunkSize {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	return flush()
}

// ReconcilePeople reconciles the given people (by id) one at a time, each
// in its own transaction: what SCIM and the CSV import call after creating,
// changing or deactivating people. The returned diff is the union of what
// was applied.
func (r *Reconciler) ReconcilePeople(ctx context.Context, a licensing.Actor, userIDs []string) (entitle.Diff, error) {
	var all entitle.Diff
	if len(userIDs) == 0 {
		return all, nil
	}
	set, pools, skuOf, err := r.entitlements(ctx)
	if err != nil {
		return all, err
	}
	var errs []error
	for _, id := range userIDs {
		p, err := r.Store.LoadPerson(ctx, id)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		var heldErr error
		held := func(pool string) int {
			n, err := r.Store.ActiveHolders(ctx, pool)
			if err != nil && heldErr == nil {
				heldErr = err
			}
			return n
		}
		d := entitle.PlanPerson(p.User, p.Members, set, pools, skuOf, held)
		if heldErr != nil {
			errs = append(errs, heldErr)
			continue
		}
		if !hasChanges(d) {
			all.Overflows = append(all.Overflows, d.Overflows...)
			continue
		}
		if err := r.apply(ctx, a, d); err != nil {
			errs = append(errs, fmt.Errorf("reconcile %s: %w", id, err))
			continue
		}
		all.Gains = append(all.Gains, d.Gains...)
		all.Losses = append(all.Losses, d.Losses...)
		all.Pending = append(all.Pending, d.Pending...)
		all.Relabels = append(all.Relabels, d.Relabels...)
		all.Overflows = append(all.Overflows, d.Overflows...)
	}
	return all, errors.Join(errs...)
}

// Settle is what every write about people calls after it committed:
// reconcile the people it touched (by id) against the rules and group
// grants, then, when the write freed seats (freed) or the reconciliation
// revoked some, give them to pending grants at once rather than at the
// next periodic pass.
func (r *Reconciler) Settle(ctx context.Context, a licensing.Actor, freed bool, userIDs ...string) error {
	d, err := r.ReconcilePeople(ctx, a, userIDs)
	if freed || len(d.Losses) > 0 {
		_, ferr := r.FillPending(ctx, a)
		err = errors.Join(err, ferr)
	}
	return err
}

func hasChanges(d entitle.Diff) bool {
	return len(d.Gains)+len(d.Losses)+len(d.Pending)+len(d.Relabels) > 0
}

// FillPending retries pending grants, longest waiting person first: call it
// after a seat is revoked and from a periodic loop (Run).
func (r *Reconciler) FillPending(ctx context.Context, a licensing.Actor) (entitle.Diff, error) {
	pending, err := r.Store.PendingMembers(ctx)
	if err != nil {
		return entitle.Diff{}, err
	}
	seen := map[string]bool{}
	var ids []string
	for _, m := range pending {
		if !seen[m.User] {
			seen[m.User] = true
			ids = append(ids, m.User)
		}
	}
	return r.ReconcilePeople(ctx, a, ids)
}

// Run calls FillPending every interval until ctx ends.
func (r *Reconciler) Run(ctx context.Context, a licensing.Actor, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if d, err := r.FillPending(ctx, a); err != nil {
				r.log().Warn("fill pending grants", "err", err)
			} else if len(d.Gains) > 0 {
				r.log().Info("pending grants filled", "count", len(d.Gains))
			}
		}
	}
}
