package scimserver

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/scim"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

// userColumns are the User attributes a filter can be pushed down to SQL
// for; the rest are matched in memory.
var userColumns = map[string]scim.Column{
	"id":              {Name: "id"},
	"userName":        {Name: "user_name", Folded: "user_name_lower", Fold: licensing.FoldKey},
	"externalId":      {Name: "external_id"},
	"displayName":     {Name: "display_name"},
	"userType":        {Name: "employee_type"},
	"active":          {Name: "active", IntBool: true},
	"name.givenName":  {Name: "given_name"},
	"name.familyName": {Name: "family_name"},
	scim.EnterpriseUserURN + ":employeeNumber": {Name: "employee_id"},
	scim.EnterpriseUserURN + ":costCenter":     {Name: "cost_center"},
	scim.EnterpriseUserURN + ":department":     {Name: "department"},
	scim.EnterpriseUserURN + ":organization":   {Name: "organization"},
	scim.EnterpriseUserURN + ":division":       {Name: "division"},
	scim.EnterpriseUserURN + ":manager.value":  {Name: "manager_id"},
	scim.SeatkeeperUserURN + ":jobCode":        {Name: "job_code"},
}

// userSorts are the attributes (lower-cased) a User list can be sorted by.
var userSorts = map[string]string{
	"id": "id", "username": "user_name_lower", "externalid": "external_id", "displayname": "display_name",
	"name.givenname": "given_name", "name.familyname": "family_name", "emails": "email_lower", "emails.value": "email_lower",
	"active": "active", "usertype": "employee_type", "meta.created": "created_at", "meta.lastmodified": "updated_at",
	strings.ToLower(scim.EnterpriseUserURN + ":employeeNumber"): "employee_id",
	strings.ToLower(scim.EnterpriseUserURN + ":department"):     "department",
	strings.ToLower(scim.EnterpriseUserURN + ":costCenter"):     "cost_center",
	strings.ToLower(scim.SeatkeeperUserURN + ":jobCode"):        "job_code",
}

func (s *Server) queryUsers(w http.ResponseWriter, r *http.Request, p listParams) {
	ctx := r.Context()
	q, pushed, err := p.query(userColumns, userSorts, scim.UserSchema(), s.scanLimit)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	people, total, err := s.store.QueryPeople(ctx, q)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	if !pushed && len(people) > s.scanLimit {
		s.failErr(w, r, tooMany(s.scanLimit))
		return
	}
	rs, err := s.userResources(ctx, people, s.baseURL(r))
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	if !pushed {
		rs, total = p.page(rs)
	}
	respond(w, http.StatusOK, newList(p, total, rs, scim.UserSchema()))
}

// userResources renders people with their groups.
func (s *Server) userResources(ctx context.Context, people []store.Person, base string) ([]scim.Resource, error) {
	ids := make([]string, len(people))
	for i, p := range people {
		ids[i] = p.User.ID
	}
	groups, err := s.store.GroupsOf(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]scim.Resource, len(people))
	for i, p := range people {
		out[i] = userResource(p, groups[p.User.ID], base)
	}
	return out, nil
}

// person reads the person whose SCIM id is id; other keys the store knows
// people by (user name, email) are not SCIM ids and answer 404.
func (s *Server) person(ctx context.Context, id string) (store.Person, error) {
	u, ident, err := s.store.GetIdentity(ctx, id)
	if err == nil && u.ID != id {
		err = licensing.Errorf(licensing.CodeNotFound, "user %q not found", id)
	}
	return store.Person{User: u, Identity: ident}, err
}

// writeUser answers with a person as a User resource.
func (s *Server) writeUser(w http.ResponseWriter, r *http.Request, status int, p store.Person) {
	base := s.baseURL(r)
	res := userResource(p, nil, base)
	if status != http.StatusCreated { // a person just created is in no group
		rs, err := s.userResources(r.Context(), []store.Person{p}, base)
		if err != nil {
			s.failErr(w, r, err)
			return
		}
		res = rs[0]
	}
	w.Header().Set("ETag", etag(p.Identity.Version))
	if status == http.StatusCreated {
		w.Header().Set("Location", base+"/Users/"+p.User.ID)
	}
	q := r.URL.Query()
	respond(w, status, scim.Project(res, splitList(q.Get("attributes")), splitList(q.Get("excludedAttributes")), scim.UserSchema()))
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request, _ licensing.Actor) {
	p, err := s.person(r.Context(), r.PathValue("id"))
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	if notModified(w, r, p.Identity.Version) {
		return
	}
	s.writeUser(w, r, http.StatusOK, p)
}

// manager resolves a manager reference (a SCIM id, or any key the store
// finds people by) to a user id; "" stays "". have is the current
// manager, which needs no lookup. A reference that names nobody yet (or
// several people) is kept as sent, to resolve when its person arrives:
// providers do not order their creates, and a person is never refused for
// their manager.
func (s *Server) manager(ctx context.Context, value, have string) (id, ref string, err error) {
	if value == "" || value == have {
		return value, "", nil
	}
	u, err := s.store.GetUser(ctx, value)
	switch licensing.ErrorCode(err) {
	case "":
		return u.ID, "", nil
	case licensing.CodeNotFound, licensing.CodeAmbiguous:
		return "", value, nil
	}
	return "", "", err
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request, a licensing.Actor) {
	ctx := r.Context()
	res, err := readResource(w, r, scim.UserSchema())
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	mgr, ref, err := s.manager(ctx, managerValue(res), "")
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	u, id, err := userFromResource(res, licensing.User{}, mgr)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	id.ManagerRef = ref
	u, id, err = s.store.CreateIdentity(ctx, a, u, id)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	s.reconcile(ctx, a, false, u.ID)
	s.writeUser(w, r, http.StatusCreated, store.Person{User: u, Identity: id})
}

func (s *Server) replaceUser(w http.ResponseWriter, r *http.Request, a licensing.Actor) {
	res, err := readResource(w, r, scim.UserSchema())
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	s.changeUser(w, r, a, func(scim.Resource) (scim.Resource, error) { return res, nil })
}

func (s *Server) patchUser(w http.ResponseWriter, r *http.Request, a licensing.Actor) {
	ops, err := readPatch(w, r)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	s.changeUser(w, r, a, func(cur scim.Resource) (scim.Resource, error) {
		return scim.ApplyPatch(cur, ops, scim.UserSchema())
	})
}

// changeUser applies edit to the person's current resource inside one
// store transaction (so concurrent changes are never lost), honouring
// If-Match, then reconciles them and times a deactivation.
func (s *Server) changeUser(w http.ResponseWriter, r *http.Request, a licensing.Actor, edit func(cur scim.Resource) (scim.Resource, error)) {
	ctx := r.Context()
	received := s.store.Now()
	key, base := r.PathValue("id"), s.baseURL(r)
	var wasActive bool
	u, id, err := s.store.UpdateIdentity(ctx, a, key, func(old licensing.User, oldID store.Identity) (licensing.User, store.Identity, error) {
		if old.ID != key {
			return old, oldID, licensing.Errorf(licensing.CodeNotFound, "user %q not found", key)
		}
		if !matches(r.Header.Get("If-Match"), oldID.Version) {
			return old, oldID, errPrecondition
		}
		wasActive = old.Active
		res, err := edit(userResource(store.Person{User: old, Identity: oldID}, nil, base))
		if err != nil {
			return old, oldID, err
		}
		mgr, ref, err := s.manager(ctx, managerValue(res), oldID.ManagerID)
		if err != nil {
			return old, oldID, err
		}
		u, id, err := userFromResource(res, old, mgr)
		id.ManagerRef = ref
		return u, id, err
	})
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	if wasActive && !u.Active {
		_ = s.leaver(ctx, a, u.ID, "deactivate", received, func() error {
			s.reconcile(ctx, a, true, u.ID)
			return nil
		})
	} else {
		s.reconcile(ctx, a, false, u.ID)
	}
	s.writeUser(w, r, http.StatusOK, store.Person{User: u, Identity: id})
}

func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request, a licensing.Actor) {
	ctx := r.Context()
	received := s.store.Now()
	key := r.PathValue("id")
	p, err := s.person(ctx, key)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	err = s.leaver(ctx, a, p.User.ID, "delete", received, func() error {
		err := s.store.DeleteUserIf(ctx, a, p.User.ID, func(u licensing.User, id store.Identity) error {
			if !matches(r.Header.Get("If-Match"), id.Version) {
				return errPrecondition
			}
			return nil
		})
		if err != nil {
			return err
		}
		s.reconcile(ctx, a, true)
		return nil
	})
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// leaver times an identity provider's call about a leaver: received is when
// the call arrived, revoke does (or finishes) the revocations, and the time
// it returns is when the last seat went. The event is recorded only once
// the revocations succeeded, so a refused call writes nothing; recording it
// is best effort, logged and never turned into a failed call.
func (s *Server) leaver(ctx context.Context, a licensing.Actor, userID, kind string, received time.Time, revoke func() error) error {
	if err := revoke(); err != nil {
		return err
	}
	done := s.store.Now()
	ev, err := s.store.RecordProvisioning(ctx, a, userID, kind, received)
	if err == nil {
		err = s.store.CompleteProvisioning(ctx, a, ev, done)
	}
	if err != nil {
		s.log.Warn("scim: record leaver timing", "user", userID, "kind", kind, "err", err)
	}
	return nil
}
