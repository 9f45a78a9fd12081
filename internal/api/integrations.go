package api

import (
	"net/http"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/desk"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

type integrationJSON struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	Mode           string `json:"mode"`
	ServiceAccount string `json:"service_account"`
	// HoldSeconds is how long a seat taken for one of its calls lives
	// after the call; MaxSeats the most seats of one pool it holds at once
	// (0: a tenth of the pool, at least one).
	HoldSeconds int `json:"hold_seconds"`
	MaxSeats    int `json:"max_seats"`
	// Enabled is false once its token is revoked (disabled); TokenID names
	// the token it calls with (never the secret, Token, shown once).
	Enabled   bool      `json:"enabled"`
	TokenID   string    `json:"token_id"`
	Token     string    `json:"token,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func integrationOut(in desk.Integration) integrationJSON {
	return integrationJSON{ID: in.ID, Name: in.Name, Mode: string(in.Mode), ServiceAccount: in.UserName,
		HoldSeconds: int(desk.HoldOf(in) / time.Second), MaxSeats: in.MaxSeats, Enabled: !in.Disabled, TokenID: in.Token,
		CreatedAt: in.CreatedAt, UpdatedAt: in.UpdatedAt}
}

// seatRules is the seat hold and cap of a create or update; absent fields
// stay as they are.
type seatRules struct {
	HoldSeconds *int `json:"hold_seconds"`
	MaxSeats    *int `json:"max_seats"`
}

type integrationCreateJSON struct {
	Name string `json:"name"`
	Mode string `json:"mode"`
	seatRules
}

type integrationUpdateJSON struct {
	Mode *string `json:"mode"`
	seatRules
}

func (sr seatRules) update(mode *desk.Mode) desk.IntegrationUpdate {
	u := desk.IntegrationUpdate{Mode: mode, MaxSeats: sr.MaxSeats}
	if sr.HoldSeconds != nil {
		h := time.Duration(*sr.HoldSeconds) * time.Second
		u.Hold = &h
	}
	return u
}

func (s *Server) createIntegration(w http.ResponseWriter, r *http.Request) {
	var in integrationCreateJSON
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	mode, err := desk.ParseMode(in.Mode)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// Checked before anything is made, so bad rules create nothing.
	rules := in.update(nil)
	if err := rules.Validate(); err != nil {
		s.fail(w, r, err)
		return
	}
	integ, secret, err := s.desk.CreateIntegration(r.Context(), actorOf(r), in.Name, mode)
	if err == nil && (rules.Hold != nil || rules.MaxSeats != nil) {
		integ, err = s.desk.Store().UpdateIntegration(r.Context(), actorOf(r), integ.ID, rules)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	j := integrationOut(integ)
	j.Token = secret
	w.Header().Set("Location", "/api/v1/integrations/"+integ.ID)
	writeJSON(w, http.StatusCreated, j)
}

func (s *Server) listIntegrations(w http.ResponseWriter, r *http.Request) {
	list, err := s.desk.Store().ListIntegrations(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]integrationJSON, len(list))
	for i, in := range list {
		out[i] = integrationOut(in)
	}
	writeJSON(w, http.StatusOK, map[string]any{"integrations": out})
}

func (s *Server) getIntegration(w http.ResponseWriter, r *http.Request) {
	in, err := s.desk.Store().GetIntegration(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, integrationOut(in))
}

func (s *Server) updateIntegration(w http.ResponseWriter, r *http.Request) {
	var in integrationUpdateJSON
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	var mode *desk.Mode
	if in.Mode != nil {
		m, err := desk.ParseMode(*in.Mode)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		mode = &m
	}
	u := in.update(mode)
	if u.Mode == nil && u.Hold == nil && u.MaxSeats == nil {
		s.fail(w, r, licensing.Errorf(licensing.CodeInvalid, "nothing to change: give mode, hold_seconds or max_seats"))
		return
	}
	integ, err := s.desk.Store().UpdateIntegration(r.Context(), actorOf(r), r.PathValue("id"), u)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.integs.forget()
	writeJSON(w, http.StatusOK, integrationOut(integ))
}

func (s *Server) deleteIntegration(w http.ResponseWriter, r *http.Request) {
	if err := s.desk.Store().DeleteIntegration(r.Context(), actorOf(r), r.PathValue("id")); err != nil {
		s.fail(w, r, err)
		return
	}
	s.integs.forget()
	s.tokens.Clear()
	w.WriteHeader(http.StatusNoContent)
}

// proposalChangeJSON is a held change as people read it: the assignee by
// user name, the note by kind and body.
type proposalChangeJSON struct {
	State    string            `json:"state,omitempty"`
	Assignee *string           `json:"assignee,omitempty"`
	Priority string            `json:"priority,omitempty"`
	Category string            `json:"category,omitempty"`
	Asset    *string           `json:"asset,omitempty"`
	Note     *proposalNoteJSON `json:"note,omitempty"`
}

type proposalNoteJSON struct {
	Kind string `json:"kind"`
	Body string `json:"body"`
}

type proposalJSON struct {
	ID          string             `json:"id"`
	Integration string             `json:"integration"`
	Ticket      string             `json:"ticket"`
	Capability  string             `json:"capability"`
	Change      proposalChangeJSON `json:"change"`
	ActingUser  string             `json:"acting_user"`
	Verified    bool               `json:"acting_user_verified"`
	State       string             `json:"state"`
	CreatedAt   time.Time          `json:"created_at"`
	DecidedBy   string             `json:"decided_by,omitempty"`
	DecidedAt   *time.Time         `json:"decided_at,omitempty"`
	Reason      string             `json:"reason,omitempty"`
}

func (s *Server) proposalOut(p desk.Proposal) proposalJSON {
	ch := proposalChangeJSON{State: string(p.Change.State), Priority: string(p.Change.Priority), Category: p.Change.Category, Asset: p.Change.Asset}
	if a := p.Change.Assignee; a != nil {
		name := *a
		if u, ok := s.engine.User(name); ok && name != "" {
			name = u.UserName
		}
		ch.Assignee = &name
	}
	if n := p.Change.Note; n != nil {
		ch.Note = &proposalNoteJSON{Kind: string(n.Kind), Body: n.Body}
	}
	j := proposalJSON{ID: p.ID, Integration: p.IntegName, Ticket: desk.FormatNumber(p.TicketSeq), Capability: p.Capability, Change: ch,
		ActingUser: p.ActingName, Verified: p.ActingUser != "", State: string(p.State), CreatedAt: p.CreatedAt, DecidedBy: p.DecidedBy, Reason: p.Reason}
	if j.ActingUser == "" {
		j.ActingUser = p.ActingRaw
	}
	if !p.DecidedAt.IsZero() {
		j.DecidedAt = &p.DecidedAt
	}
	return j
}

func (s *Server) listProposals(w http.ResponseWriter, r *http.Request) {
	p, err := s.principal(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	state := desk.ProposalState(r.URL.Query().Get("state"))
	if state != "" && !state.Valid() {
		s.fail(w, r, licensing.FieldErrorf(licensing.CodeInvalid, "state", "state must be pending, confirmed, rejected or superseded"))
		return
	}
	limit, err := queryInt(r, "limit", 100, 1, 1000)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	list, err := s.desk.ListProposals(r.Context(), p, state, limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]proposalJSON, len(list))
	for i, pr := range list {
		out[i] = s.proposalOut(pr)
	}
	writeJSON(w, http.StatusOK, map[string]any{"proposals": out})
}

func (s *Server) getProposal(w http.ResponseWriter, r *http.Request) {
	p, err := s.principal(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pr, err := s.desk.GetProposal(r.Context(), p, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.proposalOut(pr))
}

func (s *Server) decideProposal(confirm bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Reason string `json:"reason"`
		}
		p, ok := s.decodeFor(w, r, &in, true)
		if !ok {
			return
		}
		pr, t, err := s.desk.DecideProposal(r.Context(), p, r.PathValue("id"), confirm, in.Reason)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		out := map[string]any{"proposal": s.proposalOut(pr)}
		if confirm {
			out["ticket"] = ticketOut(t)
		}
		writeJSON(w, http.StatusOK, out)
	}
}

// multiplexing serves the multiplexing report over ?from=&to= (RFC 3339;
// default the last 30 days).
func (s *Server) multiplexing(w http.ResponseWriter, r *http.Request) {
	to, from := s.store.Now(), time.Time{}
	for name, dst := range map[string]*time.Time{"from": &from, "to": &to} {
		if v := r.URL.Query().Get(name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				s.fail(w, r, licensing.FieldErrorf(licensing.CodeInvalid, name, "%s must be an RFC 3339 time", name))
				return
			}
			*dst = t
		}
	}
	if from.IsZero() {
		from = to.Add(-30 * 24 * time.Hour)
	}
	rep, err := s.desk.Report(r.Context(), actorOf(r), from, to)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, reportOut(rep))
}
