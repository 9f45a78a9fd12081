package api

import (
	"net/http"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

type dormantPolicyJSON struct {
	Pool         string     `json:"pool"`
	IdleDays     int        `json:"idle_days"`
	GraceDays    int        `json:"grace_days"`
	Action       string     `json:"action"`
	UndoDays     int        `json:"undo_days"`
	ExemptUsers  []string   `json:"exempt_users"`
	ExemptGroups []string   `json:"exempt_groups"`
	UpdatedAt    *time.Time `json:"updated_at,omitempty"`
	UpdatedBy    string     `json:"updated_by,omitempty"`
}

// dormantPolicyIn is the body of PUT /api/v1/pools/{pool}/dormant-policy:
// the policy without its read-only updated_at and updated_by.
type dormantPolicyIn struct {
	Pool         string   `json:"pool"`
	IdleDays     int      `json:"idle_days"`
	GraceDays    *int     `json:"grace_days"` // default 7
	Action       string   `json:"action"`
	UndoDays     *int     `json:"undo_days"` // default 14
	ExemptUsers  []string `json:"exempt_users"`
	ExemptGroups []string `json:"exempt_groups"`
}

func policyOut(p store.DormantPolicy) dormantPolicyJSON {
	return dormantPolicyJSON{Pool: p.Pool, IdleDays: p.IdleDays, GraceDays: p.GraceDays, Action: p.Action, UndoDays: p.UndoDays,
		ExemptUsers: nonNilStrings(p.ExemptUsers), ExemptGroups: nonNilStrings(p.ExemptGroups), UpdatedAt: timePtr(p.UpdatedAt), UpdatedBy: p.UpdatedBy}
}

func nonNilStrings(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

// NoticeJSON is a dormant-seat notice as the API and the portal show it.
type NoticeJSON struct {
	ID           string     `json:"id"`
	Pool         string     `json:"pool"`
	User         string     `json:"user"`
	State        string     `json:"state"`
	LastUsed     *time.Time `json:"last_used"`
	WarnedAt     time.Time  `json:"warned_at"`
	ReclaimAfter time.Time  `json:"reclaim_after"`
	ReclaimedAt  *time.Time `json:"reclaimed_at,omitempty"`
	UndoUntil    *time.Time `json:"undo_until,omitempty"`
	ResolvedAt   *time.Time `json:"resolved_at,omitempty"`
	ResolvedBy   string     `json:"resolved_by,omitempty"`
}

// NoticeOut converts a notice.
func NoticeOut(n store.DormantNotice) NoticeJSON {
	return NoticeJSON{ID: n.ID, Pool: n.Pool, User: n.UserName, State: n.State, LastUsed: timePtr(n.LastUsed), WarnedAt: n.WarnedAt, ReclaimAfter: n.ReclaimAfter,
		ReclaimedAt: timePtr(n.ReclaimedAt), UndoUntil: timePtr(n.UndoUntil), ResolvedAt: timePtr(n.ResolvedAt), ResolvedBy: n.ResolvedBy}
}

func (s *Server) listDormantPolicies(w http.ResponseWriter, r *http.Request) {
	ps, err := s.store.DormantPolicies(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := []dormantPolicyJSON{}
	for _, p := range ps {
		out = append(out, policyOut(p))
	}
	writeJSON(w, http.StatusOK, map[string]any{"policies": out})
}

func (s *Server) putDormantPolicy(w http.ResponseWriter, r *http.Request) {
	var in dormantPolicyIn
	if err := decodeAt(w, r, &in, &in.Pool, "pool", "pool"); err != nil {
		s.fail(w, r, err)
		return
	}
	if in.Action == "" {
		in.Action = store.DormantSuggest
	}
	grace, undo := 7, 14
	if in.GraceDays != nil {
		grace = *in.GraceDays
	}
	if in.UndoDays != nil {
		undo = *in.UndoDays
	}
	p, err := s.store.PutDormantPolicy(r.Context(), actorOf(r), store.DormantPolicy{Pool: in.Pool, IdleDays: in.IdleDays, GraceDays: grace,
		Action: in.Action, UndoDays: undo, ExemptUsers: in.ExemptUsers, ExemptGroups: in.ExemptGroups})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, policyOut(p))
}

func (s *Server) deleteDormantPolicy(w http.ResponseWriter, r *http.Request) {
	if err := s.store.DeleteDormantPolicy(r.Context(), actorOf(r), r.PathValue("pool")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// listDormantNotices lists notices (?user=, ?pool=, ?open=true).
func (s *Server) listDormantNotices(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := store.NoticeFilter{Pool: q.Get("pool")}
	switch q.Get("open") {
	case "", "false":
	case "true":
		f.OpenOnly = true
	default:
		s.fail(w, r, licensing.FieldErrorf(licensing.CodeInvalid, "open", "open must be true or false"))
		return
	}
	if u := q.Get("user"); u != "" {
		user, err := s.store.GetUser(r.Context(), u)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		f.User = user.ID
	}
	ns, err := s.store.DormantNotices(r.Context(), f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := []NoticeJSON{}
	for _, n := range ns {
		out = append(out, NoticeOut(n))
	}
	writeJSON(w, http.StatusOK, map[string]any{"notices": out})
}

// sweepDormant applies the policies now (serve does it hourly) and gives
// the freed seats to pending grants.
func (s *Server) sweepDormant(w http.ResponseWriter, r *http.Request) {
	out, err := s.store.SweepDormant(r.Context(), actorOf(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// As provision.Reconciler.SweepDormant, but the sweep is committed by
	// now: a failure to hand the freed seats on is logged, not answered.
	if len(out.Users) > 0 {
		s.settle(r, true, out.Users...)
	}
	writeJSON(w, http.StatusOK, map[string]int{"warned": out.Warned, "cleared": out.Cleared, "suggested": out.Suggested, "reclaimed": out.Reclaimed, "closed": out.Closed})
}

func (s *Server) reclaimDormant(w http.ResponseWriter, r *http.Request) {
	user, err := s.store.ReclaimNow(r.Context(), actorOf(r), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// The reclaim is committed: a failure to hand the seat on is logged and
	// retried by the filler, not answered as if the reclaim had failed.
	s.settle(r, true, user)
	s.noticeAnswer(w, r)
}

func (s *Server) undoDormant(w http.ResponseWriter, r *http.Request) {
	if err := s.store.UndoReclaim(r.Context(), actorOf(r), r.PathValue("id")); err != nil {
		s.fail(w, r, err)
		return
	}
	s.noticeAnswer(w, r)
}

func (s *Server) noticeAnswer(w http.ResponseWriter, r *http.Request) {
	ns, err := s.store.DormantNotices(r.Context(), store.NoticeFilter{})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for _, n := range ns {
		if n.ID == r.PathValue("id") {
			writeJSON(w, http.StatusOK, NoticeOut(n))
			return
		}
	}
	s.fail(w, r, licensing.Errorf(licensing.CodeNotFound, "notice %q not found", r.PathValue("id")))
}
