package api

import (
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/desk"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

// SessionHeader names the seat session a platform call works in, so a
// concurrent seat can be leased for it.
const SessionHeader = "Seatkeeper-Session"

// integrations caches the integration behind each integration token for
// tokenTTL, like the tokens themselves; changes through this process's API
// drop the entry at once.
type integrations struct{ m sync.Map } // token id -> cachedIntegration

type cachedIntegration struct {
	in desk.Integration
	at time.Time
}

func (c *integrations) forget() { c.m.Clear() }

// principal turns the authenticated caller into the desk's principal.
func (s *Server) principal(r *http.Request) (desk.Principal, error) {
	c := callerOf(r.Context())
	raw := c.actor.ActingUser
	if c.token.Scope == store.ScopeIntegration {
		in, err := s.integrationOf(r, c.token)
		if err != nil {
			return desk.Principal{}, err
		}
		return s.desk.Acting(c.actor, in, raw), nil
	}
	session := strings.TrimSpace(r.Header.Get(SessionHeader))
	if raw == "" {
		if session != "" {
			return desk.Principal{}, licensing.FieldErrorf(licensing.CodeInvalid, SessionHeader, "a session needs its person in the %s header", ActingUserHeader)
		}
		return desk.Principal{Actor: c.actor, Admin: c.token.Scope == store.ScopeAdmin}, nil
	}
	p, err := s.desk.Person(c.actor, raw, session)
	if e, ok := licensing.AsError(err); ok {
		return desk.Principal{}, licensing.FieldErrorf(e.Code, ActingUserHeader, "%s", e.Message)
	}
	if owner, ok := s.engine.SessionUser(session); session != "" && (!ok || owner != p.User) {
		return desk.Principal{}, licensing.FieldErrorf(licensing.CodeUnauthorized, SessionHeader, "session %q is not a live session of %s", session, p.UserName)
	}
	p.Actor.ActingUser = p.UserName
	return p, nil
}

func (s *Server) integrationOf(r *http.Request, tok store.Token) (desk.Integration, error) {
	now := s.store.Now()
	if v, ok := s.integs.m.Load(tok.ID); ok {
		if c := v.(cachedIntegration); now.Sub(c.at) < tokenTTL {
			return c.in, nil
		}
	}
	in, err := s.desk.Store().IntegrationByToken(r.Context(), tok.ID)
	if licensing.ErrorCode(err) == licensing.CodeNotFound {
		return in, licensing.Errorf(licensing.CodeForbidden, "token %q belongs to no integration: create one with POST /api/v1/integrations", tok.Name)
	}
	if err != nil {
		return in, err
	}
	s.integs.m.Store(tok.ID, cachedIntegration{in: in, at: now})
	return in, nil
}

// decodeFor decodes a desk call's body (which may be empty when optional)
// and resolves whom it acts for; when either fails it has answered.
func (s *Server) decodeFor(w http.ResponseWriter, r *http.Request, v any, optional bool) (desk.Principal, bool) {
	if err := decode(w, r, v); err != nil && !(optional && isEmptyBody(err)) {
		s.fail(w, r, err)
		return desk.Principal{}, false
	}
	p, err := s.principal(r)
	if err != nil {
		s.fail(w, r, err)
		return desk.Principal{}, false
	}
	return p, true
}

// recordUnresolved records an integration's call whose acting user named
// several people, refused, so the multiplexing report lists it among the
// unresolved acting values. Recording is best effort: the call is refused
// either way.
func (s *Server) recordUnresolved(r *http.Request, tok store.Token, acting string) {
	in, err := s.integrationOf(r, tok)
	if err != nil {
		return
	}
	a := licensing.Actor{Name: in.UserName, ActingUser: "unverified:" + acting, Source: RemoteIP(r), Integration: in.ID}
	call := &desk.Call{Integration: in.ID, ActingRaw: acting, Outcome: desk.OutcomeBlocked}
	if err := s.desk.Store().RecordCall(r.Context(), desk.By{Actor: a, User: in.User, UserName: in.UserName, Via: in.Name, ActingUser: a.ActingUser, Call: call}); err != nil {
		s.log.Warn("record an ambiguous acting user", "integration", in.Name, "err", err)
	}
}
