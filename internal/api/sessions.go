package api

import (
	"net/http"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/desk"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

type leaseJSON struct {
	ID        string     `json:"id"`
	Pool      string     `json:"pool"`
	User      string     `json:"user,omitempty"`
	Slot      int        `json:"slot"`
	Overdraft bool       `json:"overdraft"`
	StartedAt time.Time  `json:"started_at"`
	ExpiresAt time.Time  `json:"expires_at"`
	EndedAt   *time.Time `json:"ended_at,omitempty"`
	EndReason string     `json:"end_reason,omitempty"`
	// Integration names the integration whose call took the seat; it
	// lives HoldSeconds after the last such call.
	Integration string `json:"integration,omitempty"`
	HoldSeconds int    `json:"hold_seconds,omitempty"`
}

func leaseOut(l licensing.Lease) leaseJSON {
	j := leaseJSON{ID: l.ID, Pool: l.Pool, User: l.User, Slot: l.Slot, Overdraft: l.Overdraft, StartedAt: l.StartedAt, ExpiresAt: l.ExpiresAt, EndReason: l.EndReason,
		Integration: l.Integration, HoldSeconds: int(l.Hold / time.Second)}
	if !l.EndedAt.IsZero() {
		j.EndedAt = &l.EndedAt
	}
	return j
}

type sessionJSON struct {
	ID          string      `json:"id"`
	User        string      `json:"user"`
	UserID      string      `json:"user_id"`
	Lazy        bool        `json:"lazy"`
	Integration string      `json:"integration,omitempty"`
	StartedAt   time.Time   `json:"started_at"`
	LastSeen    time.Time   `json:"last_seen"`
	EndedAt     *time.Time  `json:"ended_at,omitempty"`
	EndReason   string      `json:"end_reason,omitempty"`
	Leases      []leaseJSON `json:"leases"`
}

func (s *Server) sessionOut(ss licensing.Session) sessionJSON {
	name := ss.User
	if u, ok := s.engine.User(ss.User); ok {
		name = u.UserName
	}
	j := sessionJSON{ID: ss.ID, User: name, UserID: ss.User, Lazy: ss.Lazy, Integration: ss.Integration, StartedAt: ss.StartedAt, LastSeen: ss.LastSeen, EndReason: ss.EndReason, Leases: []leaseJSON{}}
	if !ss.EndedAt.IsZero() {
		j.EndedAt = &ss.EndedAt
	}
	for _, l := range ss.Leases {
		lj := leaseOut(l)
		lj.User = ""
		j.Leases = append(j.Leases, lj)
	}
	return j
}

// subject returns whom a call acts for: the body's user, or for an
// integration the acting user, who must then be the same person.
func (s *Server) subject(r *http.Request, bodyUser string) (string, error) {
	c := callerOf(r.Context())
	if c.token.Scope != store.ScopeIntegration {
		if bodyUser == "" {
			return "", licensing.FieldErrorf(licensing.CodeInvalid, "user", "user is required")
		}
		return bodyUser, nil
	}
	acting := c.actor.ActingUser
	if bodyUser != "" {
		a, okA := s.engine.Resolve(acting)
		b, okB := s.engine.Resolve(bodyUser)
		if !okA || !okB || a != b {
			return "", licensing.FieldErrorf(licensing.CodeForbidden, "user", "an integration acts only for its acting user")
		}
	}
	return acting, nil
}

// ownSession checks an integration touches only the sessions it started
// for its acting user: never a person's own, which it could keep alive.
func (s *Server) ownSession(r *http.Request, ss licensing.Session) error {
	c := callerOf(r.Context())
	if c.token.Scope != store.ScopeIntegration {
		return nil
	}
	in, err := s.integrationOf(r, c.token)
	if err != nil {
		return err
	}
	if id, ok := s.engine.Resolve(c.actor.ActingUser); !ok || id != ss.User || ss.Integration != in.ID {
		return licensing.Errorf(licensing.CodeNotFound, "session %q not found", ss.ID)
	}
	return nil
}

// integrationCall is the actor and seat hold of a call: for an
// integration's token the actor names the integration and the hold is its
// own; for anyone else the hold is 0 (the pool's idle timeout applies).
func (s *Server) integrationCall(r *http.Request) (licensing.Actor, time.Duration, error) {
	c := callerOf(r.Context())
	a := c.actor
	if c.token.Scope != store.ScopeIntegration {
		return a, 0, nil
	}
	in, err := s.integrationOf(r, c.token)
	if err != nil {
		return a, 0, err
	}
	a.Integration = in.ID
	return a, desk.HoldOf(in), nil
}

// checkOwnSession reads the session only when the caller is an integration,
// the one kind of caller restricted to one person's sessions.
func (s *Server) checkOwnSession(r *http.Request, id string) error {
	if callerOf(r.Context()).token.Scope != store.ScopeIntegration {
		return nil
	}
	ss, err := s.store.GetSession(r.Context(), id)
	if err != nil {
		return err
	}
	return s.ownSession(r, ss)
}

func (s *Server) startSession(w http.ResponseWriter, r *http.Request) {
	var in struct {
		User string `json:"user"`
		Lazy bool   `json:"lazy"`
	}
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	user, err := s.subject(r, in.User)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// An integration's session is always lazy: it takes a seat only when a
	// call needs one, held briefly (DESIGN §3.5).
	a, _, err := s.integrationCall(r)
	var ss licensing.Session
	if err == nil {
		ss, err = s.seats.StartSession(r.Context(), a, user, in.Lazy || a.Integration != "")
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, s.sessionOut(ss))
}

func (s *Server) getSession(w http.ResponseWriter, r *http.Request) {
	ss, err := s.store.GetSession(r.Context(), r.PathValue("id"))
	if err == nil {
		err = s.ownSession(r, ss)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.sessionOut(ss))
}

func (s *Server) listSessions(w http.ResponseWriter, r *http.Request) {
	limit, err := queryInt(r, "limit", 100, 1, 1000)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f := store.SessionFilter{Limit: limit, ActiveOnly: r.URL.Query().Get("active") == "true"}
	if u := r.URL.Query().Get("user"); u != "" {
		id, ok := s.engine.Resolve(u)
		if !ok {
			s.fail(w, r, licensing.FieldErrorf(licensing.CodeNotFound, "user", "user %q not found", u))
			return
		}
		f.User = id
	}
	list, err := s.store.ListSessions(r.Context(), f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]sessionJSON, len(list))
	for i, ss := range list {
		out[i] = s.sessionOut(ss)
	}
	writeJSON(w, http.StatusOK, map[string]any{"sessions": out})
}

func (s *Server) heartbeat(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	err := s.checkOwnSession(r, id)
	var ss licensing.Session
	if err == nil {
		ss, err = s.store.Heartbeat(r.Context(), id)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.sessionOut(ss))
}

func (s *Server) endSession(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	err := s.checkOwnSession(r, id)
	if err == nil {
		err = s.store.EndSession(r.Context(), actorOf(r), id, licensing.EndLogout)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type viaJSON struct {
	Kind  string `json:"kind"`
	Pool  string `json:"pool,omitempty"`
	SKU   string `json:"sku,omitempty"`
	Lease string `json:"lease,omitempty"`
}

type decisionJSON struct {
	Allow         bool     `json:"allow"`
	Via           *viaJSON `json:"via,omitempty"`
	Reason        string   `json:"reason"`
	Missing       []string `json:"missing,omitempty"`
	Pool          string   `json:"pool,omitempty"`
	RetryAfter    int      `json:"retry_after,omitempty"`
	QueuePosition int      `json:"queue_position,omitempty"`
}

func (s *Server) decide(w http.ResponseWriter, r *http.Request) {
	var in struct {
		User       string `json:"user"`
		Capability string `json:"capability"`
		Session    string `json:"session"`
	}
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if !licensing.ValidCapability(in.Capability) {
		s.fail(w, r, licensing.FieldErrorf(licensing.CodeInvalid, "capability", "capability must look like area.action"))
		return
	}
	user, err := s.subject(r, in.User)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	a, hold, err := s.integrationCall(r)
	if err == nil && a.Integration != "" && in.Session != "" {
		// Only a session the integration started: a person's own session
		// would lease seats under the pool's idle timeout, not the hold.
		if owner, ok := s.engine.SessionIntegration(in.Session); ok && owner != a.Integration {
			err = licensing.FieldErrorf(licensing.CodeForbidden, "session", "an integration decides only in sessions it started")
		}
	}
	var d licensing.Decision
	var full *licensing.Error
	if err == nil {
		d, full, err = s.seats.DecideHeld(r.Context(), a, user, in.Capability, in.Session, hold)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.metrics.decided(d)
	out := decisionJSON{Allow: d.Allow, Reason: d.Reason, Missing: d.Missing}
	if d.Allow {
		out.Via = &viaJSON{Kind: d.Via.Kind, Pool: d.Via.Pool, SKU: d.Via.SKU, Lease: d.Via.Lease}
	}
	if full != nil {
		out.Pool, out.RetryAfter, out.QueuePosition = d.Via.Pool, full.RetryAfter, full.QueuePosition
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) listLeases(w http.ResponseWriter, r *http.Request) {
	list, err := s.store.ActiveLeases(r.Context(), r.URL.Query().Get("pool"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]leaseJSON, len(list))
	for i, l := range list {
		out[i] = leaseOut(l)
		if u, ok := s.engine.User(l.User); ok {
			out[i].User = u.UserName
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"leases": out})
}

func (s *Server) endLease(w http.ResponseWriter, r *http.Request) {
	if err := s.store.EndLease(r.Context(), actorOf(r), r.PathValue("id")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
