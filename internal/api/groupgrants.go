package api

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/entitle"
	"github.com/seatkeeper/seatkeeper/internal/provision"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

// groupGrantJSON is a pool assigned to a SCIM group (group-based
// licensing): every active member holds a seat of the pool with source
// "scim-group:" + group.
type groupGrantJSON struct {
	Group     string    `json:"group"`
	GroupID   string    `json:"group_id"`
	Pool      string    `json:"pool"`
	SKU       string    `json:"sku"`
	GrantedBy string    `json:"granted_by"`
	Since     time.Time `json:"since"`
}

// groupGrantResultJSON answers PUT and DELETE: the grant and what
// reconciling the group's members changed. Relabels are included (unlike a
// rule preview) because assigning a pool relabels the seats members already
// held through a rule.
type groupGrantResultJSON struct {
	Grant     groupGrantJSON   `json:"grant"`
	Gains     []ruleChangeJSON `json:"gains"`
	Losses    []ruleChangeJSON `json:"losses"`
	Pending   []ruleChangeJSON `json:"pending"`
	Relabels  []ruleChangeJSON `json:"relabels"`
	Overflows []overflowJSON   `json:"overflows"`
}

func groupGrantOut(g store.GroupGrant) groupGrantJSON {
	return groupGrantJSON{Group: g.Group, GroupID: g.GroupID, Pool: g.Pool, SKU: g.SKU, GrantedBy: g.GrantedBy, Since: g.Since}
}

// overflowsNow replaces the overflows ReconcilePeople gathers (one per
// person planned, each counting only that person's demand) with one per
// pool: its active holders plus everyone waiting on it, beyond seats plus
// overdraft, as they stand after the reconciliation.
func (s *Server) overflowsNow(ctx context.Context, d *entitle.Diff) error {
	if len(d.Overflows) == 0 {
		return nil
	}
	pending, err := s.store.PendingMembers(ctx)
	if err != nil {
		return err
	}
	waiting := map[string]int{}
	for _, m := range pending {
		waiting[m.Pool]++
	}
	seen := map[string]bool{}
	var out []entitle.Overflow
	for _, o := range d.Overflows {
		if seen[o.Pool] {
			continue
		}
		seen[o.Pool] = true
		p, err := s.store.GetPool(ctx, o.Pool)
		if err != nil {
			return err
		}
		held, err := s.store.ActiveHolders(ctx, o.Pool)
		if err != nil {
			return err
		}
		if short := held + waiting[o.Pool] - p.Capacity(); short > 0 {
			out = append(out, entitle.Overflow{Pool: o.Pool, ShortBy: short})
		}
	}
	slices.SortFunc(out, func(a, b entitle.Overflow) int { return strings.Compare(a.Pool, b.Pool) })
	d.Overflows = out
	return nil
}

func groupGrantResult(g store.GroupGrant, d entitle.Diff) groupGrantResultJSON {
	p := provision.DiffJSON(d)
	return groupGrantResultJSON{Grant: groupGrantOut(g), Gains: p.Gains, Losses: p.Losses, Pending: p.Pending,
		Relabels: provision.ChangesJSON(d.Relabels), Overflows: p.Overflows}
}

func (s *Server) listGroupGrants(w http.ResponseWriter, r *http.Request) {
	gs, err := s.store.PoolGroupGrants(r.Context(), r.PathValue("pool"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]groupGrantJSON, len(gs))
	for i, g := range gs {
		out[i] = groupGrantOut(g)
	}
	writeJSON(w, http.StatusOK, map[string]any{"groups": out})
}

// putGroupGrant assigns the pool to the group and reconciles its members at
// once, so the answer says who got a seat and who waits. It takes no body
// (or an empty object), as PUT …/members/{user} does. Repeating it
// reconciles again, which repairs seats a failed reconciliation left.
func (s *Server) putGroupGrant(w http.ResponseWriter, r *http.Request) {
	if !s.emptyBody(w, r) {
		return
	}
	g, created, err := s.store.PutGroupGrant(r.Context(), actorOf(r), r.PathValue("pool"), r.PathValue("group"))
	s.reconcileGrant(w, r, g, err, ifStatus(created, http.StatusCreated, http.StatusOK))
}

// emptyBody refuses a body on a route that takes none but an empty
// object, answering for it.
func (s *Server) emptyBody(w http.ResponseWriter, r *http.Request) bool {
	if r.ContentLength != 0 { // -1 (chunked) too: an unread body could hide anything
		var in struct{}
		if err := decode(w, r, &in); err != nil && !(r.ContentLength < 0 && isEmptyBody(err)) {
			s.fail(w, r, err)
			return false
		}
	}
	return true
}

// reconcileGrant answers a group grant's write (or its error) after
// reconciling the group's members.
func (s *Server) reconcileGrant(w http.ResponseWriter, r *http.Request, g store.GroupGrant, err error, status int) {
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d, err := s.reconciler().ReconcilePeople(r.Context(), actorOf(r), g.Members)
	if err == nil {
		err = s.overflowsNow(r.Context(), &d)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, status, groupGrantResult(g, d))
}

// deleteGroupGrant takes the pool away from the group and reconciles its
// members: the seats the group gave go (or fall back to a rule that still
// grants them); manual seats stay.
func (s *Server) deleteGroupGrant(w http.ResponseWriter, r *http.Request) {
	g, err := s.store.DeleteGroupGrant(r.Context(), actorOf(r), r.PathValue("pool"), r.PathValue("group"))
	s.reconcileGrant(w, r, g, err, http.StatusOK)
}
