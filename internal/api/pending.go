package api

import (
	"cmp"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

// pendingGrantJSON is one grant waiting for a seat.
type pendingGrantJSON struct {
	UserID   string    `json:"user_id"`
	UserName string    `json:"user_name"`
	Pool     string    `json:"pool"`
	SKU      string    `json:"sku"`
	Source   string    `json:"source"`
	Reason   string    `json:"reason"`
	Since    time.Time `json:"since"`
}

// pendingPoolJSON is how many grants wait on one pool.
type pendingPoolJSON struct {
	Pool    string `json:"pool"`
	Pending int    `json:"pending"`
}

// pendingJSON is the answer of GET /api/v1/pending.
type pendingJSON struct {
	Pending []pendingGrantJSON `json:"pending"`
	Pools   []pendingPoolJSON  `json:"pools"`
}

// pending lists every grant waiting for a seat, longest waiting first, and
// how many wait per pool (the figure seatkeeper_pool_pending_grants exports).
func (s *Server) pending(w http.ResponseWriter, r *http.Request) {
	rows, err := s.store.AccessReview(r.Context(), store.AccessFilter{State: licensing.MemberPending})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := pendingJSON{Pending: make([]pendingGrantJSON, 0, len(rows)), Pools: []pendingPoolJSON{}}
	perPool := map[string]int{}
	for _, a := range rows {
		m := a.Member
		out.Pending = append(out.Pending, pendingGrantJSON{UserID: m.User, UserName: m.UserName, Pool: m.Pool, SKU: a.SKU, Source: m.Source, Reason: m.Reason, Since: m.Since})
		perPool[m.Pool]++
	}
	// Stable: equal waits keep the review's (user_name, pool) order.
	slices.SortStableFunc(out.Pending, func(a, b pendingGrantJSON) int { return a.Since.Compare(b.Since) })
	for p, n := range perPool {
		out.Pools = append(out.Pools, pendingPoolJSON{Pool: p, Pending: n})
	}
	slices.SortFunc(out.Pools, func(a, b pendingPoolJSON) int { return cmp.Compare(a.Pool, b.Pool) })
	writeJSON(w, http.StatusOK, out)
}

// provisioningJSON is one identity-provider call about a leaver, timed from
// its arrival to the last revocation it caused.
type provisioningJSON struct {
	ID          int64      `json:"id"`
	UserID      string     `json:"user_id"`
	Kind        string     `json:"kind"`
	ReceivedAt  time.Time  `json:"received_at"`
	CompletedAt *time.Time `json:"completed_at,omitempty"`
	DurationMS  *int64     `json:"duration_ms,omitempty"`
}

// provisioning lists provisioning events, oldest first, of one person
// (?user=) or everyone. A deleted leaver is found by user id only.
func (s *Server) provisioning(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	userID := ""
	if v := r.URL.Query().Get("user"); v != "" {
		u, err := s.store.GetUser(ctx, v)
		switch {
		case err == nil:
			userID = u.ID
		case licensing.ErrorCode(err) == licensing.CodeNotFound && strings.HasPrefix(v, "usr_"):
			userID = v
		default:
			s.fail(w, r, unknownFilter(err, "user", v))
			return
		}
	}
	evs, err := s.store.ListProvisioning(ctx, userID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]provisioningJSON, len(evs))
	for i, e := range evs {
		out[i] = provisioningJSON{ID: e.ID, UserID: e.UserID, Kind: e.Kind, ReceivedAt: e.ReceivedAt}
		if !e.CompletedAt.IsZero() {
			done, ms := e.CompletedAt, e.Duration().Milliseconds()
			out[i].CompletedAt, out[i].DurationMS = &done, &ms
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"events": out})
}
