package desk

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// Decider decides a person's request, taking a lazy session's lease when the
// request needs one and recording denials (the seats service).
type Decider interface {
	Decide(ctx context.Context, a licensing.Actor, user, capability, session string) (licensing.Decision, *licensing.Error, error)
}

// Service runs desk actions: each is decided by the engine first, then
// stored with its audit entry.
type Service struct {
	store  Store
	seats  Decider
	engine *licensing.Engine
	log    *slog.Logger
	kb     atomic.Pointer[kbIndex]
}

// New returns the desk service.
func New(st Store, seats Decider, eng *licensing.Engine, log *slog.Logger) *Service {
	return &Service{store: st, seats: seats, engine: eng, log: log}
}

// Store returns the desk's store.
func (s *Service) Store() Store { return s.store }

// gate is what an allowed action carries on to the store.
type gate struct {
	by      By
	propose bool // hold the change as a proposal (propose mode, unlicensed)
}

// Person returns the principal of a person acting for themselves. A
// service account is no person: people working through it would share its
// rights (multiplexing).
func (s *Service) Person(a licensing.Actor, userKey, session string) (Principal, error) {
	u, ok := s.engine.User(userKey)
	if !ok {
		return Principal{}, licensing.FieldErrorf(licensing.CodeNotFound, "user", "no person %q", userKey)
	}
	if u.Kind != licensing.KindPerson {
		return Principal{}, licensing.FieldErrorf(licensing.CodeForbidden, "user", "%s is a service account: it acts only as an integration, for a person it names", u.UserName)
	}
	return Principal{Actor: a, User: u.ID, UserName: u.UserName, Session: session}, nil
}

// Acting returns the principal of an integration's call for the person the
// raw header value names; a value matching nobody is kept, unverified.
func (s *Service) Acting(a licensing.Actor, in Integration, raw string) Principal {
	p := Principal{Actor: a, Integration: &in, ActingRaw: raw}
	if u, ok := s.engine.User(raw); ok && u.Kind == licensing.KindPerson {
		p.User, p.UserName = u.ID, u.UserName
	}
	// The audit actor is the service account itself (DESIGN §3.5).
	p.Actor.Name = in.UserName
	p.Actor.ActingUser = p.actingLabel()
	return p
}

// authorize decides capability for p. For an integration, the acting
// person's own seat counts; the mode says what happens without one.
func (s *Service) authorize(ctx context.Context, p Principal, capability, what string) (gate, error) {
	if p.Integration != nil {
		return s.authorizeIntegration(ctx, p, capability, what)
	}
	if p.User == "" {
		return gate{}, licensing.FieldErrorf(licensing.CodeInvalid, "Seatkeeper-Acting-User", "this call acts for a person: name them in the Seatkeeper-Acting-User header")
	}
	d, refused, err := s.seats.Decide(ctx, p.Actor, p.User, capability, p.Session)
	if err != nil {
		return gate{}, fmt.Errorf("desk: decide %s: %w", capability, err)
	}
	if refused != nil {
		return gate{}, refused
	}
	if !d.Allow {
		return gate{}, denial(d, capability)
	}
	return gate{by: By{Actor: p.Actor, User: p.User, UserName: p.UserName}}, nil
}

func (s *Service) authorizeIntegration(ctx context.Context, p Principal, capability, what string) (gate, error) {
	in := p.Integration
	u, known := s.engine.User(p.User)
	known = known && p.User != ""
	call := &Call{Integration: in.ID, ActingRaw: p.ActingRaw, ActingUser: p.User, Capability: capability, Outcome: OutcomeAllowed}
	g := gate{by: By{Actor: p.Actor, User: in.User, UserName: in.UserName, Via: in.Name, ActingUser: p.actingLabel(), Call: call}}
	via := " via " + in.Name + " on behalf of " + behalf(u, known, p.ActingRaw)
	g.by.Stamp = what + via
	// The integration's own account must be live, and an inactive person
	// is refused everything, whatever the mode.
	if acct, ok := s.engine.User(in.User); !ok || !acct.Active {
		return gate{}, licensing.Errorf(licensing.CodeInactive, "integration %q is disabled: its service account is inactive", in.Name)
	}
	if known && !u.Active {
		return gate{}, licensing.Errorf(licensing.CodeInactive, "the person %s is inactive", u.UserName)
	}
	req, ok := s.engine.Requirement(capability)
	if !ok {
		return gate{}, licensing.Errorf(licensing.CodeForbidden, "the action %s is not in the capability policy", capability)
	}
	if req.Tier == licensing.TierRequester {
		return g, nil
	}
	call.Fulfiller = true
	if known {
		// The person's own seat, outside any session of the integration's:
		// a named seat, or a lease they hold in their own session.
		// The call keeps a lease it uses only for the integration's hold.
		call.Licensed = s.engine.DecideHeld(p.User, capability, "", HoldOf(*in)).Allow
	}
	if call.Licensed {
		return g, nil
	}
	switch in.Mode {
	case ModeMonitor:
		call.Outcome = OutcomeFlagged
		return g, nil
	case ModePropose:
		call.Outcome = OutcomeProposed
		g.propose = true
		g.by.Stamp = "Proposed, awaiting an agent: " + what + via
		return g, nil
	}
	call.Outcome = OutcomeBlocked
	g.by.Stamp = ""
	if err := s.store.RecordCall(ctx, g.by); err != nil {
		return gate{}, fmt.Errorf("desk: record blocked call: %w", err)
	}
	who := p.actingLabel()
	return gate{}, licensing.Errorf(licensing.CodeMultiplexingBlocked,
		"the action %s needs a fulfiller seat of the acting person's own: %s holds none, and integration %q (enforce) may not lend its own", capability, who, in.Name)
}

// denial turns a refused decision into the error the caller sees.
func denial(d licensing.Decision, capability string) error {
	switch d.Reason {
	case licensing.CodeNoLicence:
		return licensing.Errorf(licensing.CodeNoLicence, "the action %s needs a seat of %s", capability, strings.Join(d.Missing, " or "))
	case licensing.CodeModuleMissing:
		return licensing.Errorf(licensing.CodeModuleMissing, "the action %s needs the %s module", capability, strings.Join(d.Missing, ", "))
	case licensing.CodeInactive:
		return licensing.Errorf(licensing.CodeInactive, "the person is inactive")
	case licensing.ReasonSessionRequired:
		return licensing.Errorf(licensing.CodeNoLicence, "the action %s needs a concurrent seat of %s: start a session first", capability, strings.Join(d.Missing, " or "))
	case licensing.ReasonSessionInvalid:
		return licensing.Errorf(licensing.CodeUnauthorized, "the session has ended: sign in again")
	case licensing.ReasonUnknownUser:
		return licensing.Errorf(licensing.CodeNotFound, "unknown person")
	case licensing.ReasonUnknownCapability:
		return licensing.Errorf(licensing.CodeForbidden, "the action %s is not in the capability policy", capability)
	}
	return licensing.Errorf(licensing.CodeForbidden, "the action %s was refused: %s", capability, d.Reason)
}

// Authorize decides capability for p exactly as an action would, without
// acting: the decision's share of every desk request (benchmarked).
func (s *Service) Authorize(ctx context.Context, p Principal, capability string) (By, error) {
	g, err := s.authorize(ctx, p, capability, capability)
	return g.by, err
}
