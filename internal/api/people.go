package api

import (
	"net/http"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

type userJSON struct {
	ID           string     `json:"id,omitempty"`
	UserName     string     `json:"user_name"`
	DisplayName  string     `json:"display_name"`
	Email        string     `json:"email"`
	EmployeeID   string     `json:"employee_id"`
	ExternalID   string     `json:"external_id"`
	JobCode      string     `json:"job_code"`
	Department   string     `json:"department"`
	CostCenter   string     `json:"cost_center"`
	EmployeeType string     `json:"employee_type"`
	Groups       []string   `json:"groups"`
	Kind         string     `json:"kind"`
	Active       *bool      `json:"active,omitempty"`
	CreatedAt    *time.Time `json:"created_at,omitempty"`
	UpdatedAt    *time.Time `json:"updated_at,omitempty"`
	// Roles are answered, never written here: a role is granted on its own
	// route, audited as such.
	Roles []string `json:"roles,omitempty"`
}

// userOut answers u with the roles the engine knows them by (the store's
// user row does not carry them).
func (s *Server) userOut(u licensing.User) userJSON {
	if e, ok := s.engine.User(u.ID); ok {
		u.Roles = e.Roles
	}
	active := u.Active
	groups := u.Groups
	if groups == nil {
		groups = []string{}
	}
	return userJSON{ID: u.ID, UserName: u.UserName, DisplayName: u.DisplayName, Email: u.Email, EmployeeID: u.EmployeeID,
		ExternalID: u.ExternalID, JobCode: u.JobCode, Department: u.Department, CostCenter: u.CostCenter, EmployeeType: u.EmployeeType,
		Groups: groups, Kind: string(u.Kind), Active: &active, CreatedAt: &u.CreatedAt, UpdatedAt: &u.UpdatedAt, Roles: roleNames(u.Roles)}
}

func (j userJSON) domain() licensing.User {
	u := licensing.User{UserName: j.UserName, DisplayName: j.DisplayName, Email: j.Email, EmployeeID: j.EmployeeID,
		ExternalID: j.ExternalID, JobCode: j.JobCode, Department: j.Department, CostCenter: j.CostCenter,
		EmployeeType: j.EmployeeType, Groups: j.Groups, Kind: licensing.Kind(j.Kind), Active: true}
	if j.Active != nil {
		u.Active = *j.Active
	}
	return u
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) {
	limit, err := queryInt(r, "limit", 100, 1, 1000)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	f := store.UserFilter{After: q.Get("after"), Limit: limit, Group: q.Get("group")}
	if v := q.Get("active"); v != "" {
		b := v == "true"
		if !b && v != "false" {
			s.fail(w, r, licensing.FieldErrorf(licensing.CodeInvalid, "active", "active must be true or false"))
			return
		}
		f.Active = &b
	}
	list, err := s.store.ListUsers(r.Context(), f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]userJSON, len(list))
	for i, u := range list {
		out[i] = s.userOut(u)
	}
	resp := map[string]any{"users": out}
	if len(list) == limit {
		resp["next"] = list[len(list)-1].UserName
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request) {
	u, err := s.store.GetUser(r.Context(), r.PathValue("user"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.userOut(u))
}

// mayManage refuses a change to an administrator by a person who is not a
// licence administrator: an identity administrator who could rewrite an
// administrator's keys (external ID, email) could sign in as them.
func (s *Server) mayManage(r *http.Request, id string) error {
	who := callerOf(r.Context()).who
	if !who.Person() || who.Can(PermLicence) {
		return nil
	}
	if u, ok := s.engine.User(id); ok && u.Administrator() {
		return licensing.Errorf(licensing.CodeForbidden, "the person %s holds an administrative role: only a licence administrator changes them", u.UserName)
	}
	return nil
}

// check refuses what a person's write may not carry. It keeps this API
// strict where SCIM is liberal: the store keeps an identity provider's
// placeholder emails as sent, but a person written here gets a valid
// address or none. Roles have their own audited route.
func (in userJSON) check() error {
	if in.Roles != nil {
		return licensing.FieldErrorf(licensing.CodeInvalid, "roles", "roles are granted with PUT /api/v1/users/{user}/roles/{role}")
	}
	if in.Email != "" && !licensing.ValidEmail(in.Email) {
		return licensing.FieldErrorf(licensing.CodeInvalid, "email", "email is not a valid address")
	}
	return nil
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request) {
	var in userJSON
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if in.ID != "" || in.CreatedAt != nil || in.UpdatedAt != nil {
		s.fail(w, r, licensing.FieldErrorf(licensing.CodeInvalid, "id", "id, created_at and updated_at are assigned by Seatkeeper"))
		return
	}
	if err := in.check(); err != nil {
		s.fail(w, r, err)
		return
	}
	u, err := s.store.CreateUser(r.Context(), actorOf(r), in.domain())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.settle(r, false, u.ID)
	writeJSON(w, http.StatusCreated, s.userOut(u))
}

// updateUser replaces a person's attributes; an omitted "active" keeps the
// current state (read in the update's own transaction) so a partial client
// can neither deactivate someone by accident nor undo a deactivation.
func (s *Server) updateUser(w http.ResponseWriter, r *http.Request) {
	var in userJSON
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := in.check(); err != nil {
		s.fail(w, r, err)
		return
	}
	u, err := s.store.UpdateUserFunc(r.Context(), actorOf(r), r.PathValue("user"), func(old licensing.User) (licensing.User, error) {
		if err := s.mayManage(r, old.ID); err != nil {
			return old, err
		}
		if in.ID != "" && in.ID != old.ID {
			return old, licensing.FieldErrorf(licensing.CodeInvalid, "id", "id cannot change")
		}
		u := in.domain()
		u.ID = old.ID
		if in.Active == nil {
			u.Active = old.Active
		}
		if u.Kind == "" {
			u.Kind = old.Kind
		}
		return u, nil
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.settle(r, !u.Active, u.ID)
	writeJSON(w, http.StatusOK, s.userOut(u))
}

func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request) {
	if u, n := s.engine.UserLookup(r.PathValue("user")); n == 1 {
		if err := s.mayManage(r, u.ID); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	if err := s.store.DeleteUser(r.Context(), actorOf(r), r.PathValue("user")); err != nil {
		s.fail(w, r, err)
		return
	}
	s.settle(r, true)
	w.WriteHeader(http.StatusNoContent)
}

type memberJSON struct {
	User     string     `json:"user"`
	UserID   string     `json:"user_id"`
	Pool     string     `json:"pool"`
	Source   string     `json:"source"`
	Since    time.Time  `json:"since"`
	State    string     `json:"state"`
	Reason   string     `json:"reason,omitempty"`
	LastUsed *time.Time `json:"last_used,omitempty"`
}

func memberOut(m licensing.Member) memberJSON {
	j := memberJSON{User: m.UserName, UserID: m.User, Pool: m.Pool, Source: m.Source, Since: m.Since, State: m.State, Reason: m.Reason}
	if !m.LastUsed.IsZero() {
		j.LastUsed = &m.LastUsed
	}
	return j
}

func (s *Server) listMembers(w http.ResponseWriter, r *http.Request) {
	list, err := s.store.ListMembers(r.Context(), r.PathValue("pool"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]memberJSON, len(list))
	for i, m := range list {
		out[i] = memberOut(m)
	}
	writeJSON(w, http.StatusOK, map[string]any{"members": out})
}

// putMember takes no body (or an empty object): the path says it all.
func (s *Server) putMember(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength != 0 { // -1 (chunked) too: an unread body could hide anything
		var in struct{}
		if err := decode(w, r, &in); err != nil && !(r.ContentLength < 0 && isEmptyBody(err)) {
			s.fail(w, r, err)
			return
		}
	}
	m, created, err := s.store.PutMember(r.Context(), actorOf(r), r.PathValue("pool"), r.PathValue("user"), licensing.SourceManual)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// A module seat without the fulfiller it requires is granted (the
	// fulfiller may follow) but the answer says so.
	warnings, err := s.memberWarnings(r.Context(), m)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, ifStatus(created, http.StatusCreated, http.StatusOK), memberAnswer{memberJSON: memberOut(m), Warnings: warnings})
}

func ifStatus(c bool, a, b int) int {
	if c {
		return a
	}
	return b
}

func (s *Server) deleteMember(w http.ResponseWriter, r *http.Request) {
	if err := s.store.DeleteMember(r.Context(), actorOf(r), r.PathValue("pool"), r.PathValue("user")); err != nil {
		s.fail(w, r, err)
		return
	}
	s.settle(r, true)
	w.WriteHeader(http.StatusNoContent)
}
