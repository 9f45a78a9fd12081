package scimserver

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/scim"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

var groupColumns = map[string]scim.Column{
	"id":          {Name: "id"},
	"displayName": {Name: "display_name", Folded: "display_name_lower"},
	"externalId":  {Name: "external_id"},
}

var groupSorts = map[string]string{
	"id": "id", "displayname": "display_name_lower", "externalid": "external_id",
	"meta.created": "created_at", "meta.lastmodified": "updated_at",
}

// groupResource renders a group; members carry their user id.
func groupResource(g store.Group, base string) scim.Resource {
	members := make([]any, 0, len(g.Members))
	for _, m := range g.Members {
		members = append(members, map[string]any{"value": m, "$ref": base + "/Users/" + m, "type": "User"})
	}
	r := scim.Resource{
		"schemas":     []any{scim.GroupSchemaURN},
		"id":          g.ID,
		"displayName": g.DisplayName,
		"members":     members,
		"meta": map[string]any{
			"resourceType": "Group",
			"created":      timeString(g.CreatedAt),
			"lastModified": timeString(g.UpdatedAt),
			"location":     base + "/Groups/" + g.ID,
			"version":      etag(g.Version),
		},
	}
	set(r, "externalId", g.ExternalID)
	return r
}

// groupFromResource reads a canonical Group resource over old.
func groupFromResource(r scim.Resource, old store.Group) (store.Group, error) {
	g := old
	g.DisplayName = str(r["displayName"])
	g.ExternalID = str(r["externalId"])
	g.Members = []string{}
	list, _ := r["members"].([]any)
	for _, m := range list {
		mm, _ := m.(map[string]any)
		if t := str(mm["type"]); t != "" && !strings.EqualFold(t, "User") {
			return g, badValue("member %q: only users can be members (nested groups are not supported)", str(mm["value"]))
		}
		if v := str(mm["value"]); v != "" {
			g.Members = append(g.Members, v)
		}
	}
	return g, nil
}

// wantsMembers reports whether a projection returns members, so a client
// that excluded them (Entra does) does not make us read them.
func wantsMembers(attributes, excluded []string) bool {
	is := func(a string) bool {
		a = strings.ToLower(a)
		return a == "members" || strings.HasPrefix(a, "members.") || a == strings.ToLower(scim.GroupSchemaURN+":members")
	}
	if len(attributes) > 0 {
		return slices.ContainsFunc(attributes, is)
	}
	return !slices.ContainsFunc(excluded, is)
}

func (s *Server) queryGroups(w http.ResponseWriter, r *http.Request, p listParams) {
	q, pushed, err := p.query(groupColumns, groupSorts, scim.GroupSchema(), s.scanLimit)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	// Members are read when the answer shows them or the filter needs them.
	members := wantsMembers(p.attributes, p.excluded) || !pushed && strings.Contains(strings.ToLower(p.filter.String()), "members")
	groups, total, err := s.store.QueryGroups(r.Context(), q, members)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	if !pushed && len(groups) > s.scanLimit {
		s.failErr(w, r, tooMany(s.scanLimit))
		return
	}
	base := s.baseURL(r)
	rs := make([]scim.Resource, len(groups))
	for i, g := range groups {
		rs[i] = groupResource(g, base)
	}
	if !pushed {
		rs, total = p.page(rs)
	}
	respond(w, http.StatusOK, newList(p, total, rs, scim.GroupSchema()))
}

// group reads the group whose SCIM id is id.
func (s *Server) group(ctx context.Context, id string) (store.Group, error) {
	g, err := s.store.GetGroup(ctx, id)
	if err == nil && g.ID != id {
		err = licensing.Errorf(licensing.CodeNotFound, "group %q not found", id)
	}
	return g, err
}

func (s *Server) writeGroup(w http.ResponseWriter, r *http.Request, status int, g store.Group) {
	base := s.baseURL(r)
	w.Header().Set("ETag", etag(g.Version))
	if status == http.StatusCreated {
		w.Header().Set("Location", base+"/Groups/"+g.ID)
	}
	q := r.URL.Query()
	respond(w, status, scim.Project(groupResource(g, base), splitList(q.Get("attributes")), splitList(q.Get("excludedAttributes")), scim.GroupSchema()))
}

func (s *Server) getGroup(w http.ResponseWriter, r *http.Request, _ licensing.Actor) {
	g, err := s.group(r.Context(), r.PathValue("id"))
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	if notModified(w, r, g.Version) {
		return
	}
	s.writeGroup(w, r, http.StatusOK, g)
}

func (s *Server) createGroup(w http.ResponseWriter, r *http.Request, a licensing.Actor) {
	ctx := r.Context()
	res, err := readResource(w, r, scim.GroupSchema())
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	g, err := groupFromResource(res, store.Group{})
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	if g, err = s.store.CreateGroup(ctx, a, g); err != nil {
		s.failErr(w, r, err)
		return
	}
	s.reconcile(ctx, a, false, g.Members...)
	s.writeGroup(w, r, http.StatusCreated, g)
}

func (s *Server) replaceGroup(w http.ResponseWriter, r *http.Request, a licensing.Actor) {
	res, err := readResource(w, r, scim.GroupSchema())
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	s.changeGroup(w, r, a, true, func(scim.Resource) (scim.Resource, error) { return res, nil })
}

func (s *Server) patchGroup(w http.ResponseWriter, r *http.Request, a licensing.Actor) {
	ops, err := readPatch(w, r)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	// Every PATCH answers 200 with the group after the change (RFC 7644
	// §3.5.2), as clients' validators expect; a client that does not want a
	// large group sent back asks with excludedAttributes=members.
	s.changeGroup(w, r, a, true, func(cur scim.Resource) (scim.Resource, error) {
		return scim.ApplyPatch(cur, ops, scim.GroupSchema())
	})
}

// changeGroup applies edit to the group's current resource inside one
// store transaction, honouring If-Match, then reconciles everyone whose
// groups changed.
func (s *Server) changeGroup(w http.ResponseWriter, r *http.Request, a licensing.Actor, answer bool, edit func(cur scim.Resource) (scim.Resource, error)) {
	ctx := r.Context()
	key, base := r.PathValue("id"), s.baseURL(r)
	var before store.Group
	g, err := s.store.UpdateGroup(ctx, a, key, func(old store.Group) (store.Group, error) {
		if old.ID != key {
			return old, licensing.Errorf(licensing.CodeNotFound, "group %q not found", key)
		}
		if !matches(r.Header.Get("If-Match"), old.Version) {
			return old, errPrecondition
		}
		before = old
		res, err := edit(groupResource(old, base))
		if err != nil {
			return old, err
		}
		return groupFromResource(res, old)
	})
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	s.reconcile(ctx, a, false, touched(before, g)...)
	if !answer {
		w.Header().Set("ETag", etag(g.Version))
		w.WriteHeader(http.StatusNoContent)
		return
	}
	s.writeGroup(w, r, http.StatusOK, g)
}

// touched are the people whose groups a change altered: those who joined
// or left, and every member when the group was renamed.
func touched(before, after store.Group) []string {
	if before.DisplayName != after.DisplayName {
		all := slices.Concat(before.Members, after.Members)
		slices.Sort(all)
		return slices.Compact(all)
	}
	var out []string
	for _, m := range after.Members {
		if _, ok := slices.BinarySearch(before.Members, m); !ok {
			out = append(out, m)
		}
	}
	for _, m := range before.Members {
		if _, ok := slices.BinarySearch(after.Members, m); !ok {
			out = append(out, m)
		}
	}
	return out
}

func (s *Server) deleteGroup(w http.ResponseWriter, r *http.Request, a licensing.Actor) {
	ctx := r.Context()
	key := r.PathValue("id")
	g, err := s.store.DeleteGroupIf(ctx, a, key, func(g store.Group) error {
		if g.ID != key {
			return licensing.Errorf(licensing.CodeNotFound, "group %q not found", key)
		}
		if !matches(r.Header.Get("If-Match"), g.Version) {
			return errPrecondition
		}
		return nil
	})
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	s.reconcile(ctx, a, false, g.Members...)
	w.WriteHeader(http.StatusNoContent)
}
