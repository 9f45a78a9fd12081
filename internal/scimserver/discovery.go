package scimserver

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/scim"
)

// The discovery endpoints (RFC 7644 §4) tell a client what this server
// supports, so it need not guess.

const (
	spcSchema          = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
	resourceTypeSchema = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
	schemaSchema       = "urn:ietf:params:scim:schemas:core:2.0:Schema"
)

func (s *Server) serviceProviderConfig(w http.ResponseWriter, r *http.Request, _ licensing.Actor) {
	respond(w, http.StatusOK, map[string]any{
		"schemas":          []string{spcSchema},
		"documentationUri": "https://github.com/seatkeeper/seatkeeper#scim",
		"patch":            map[string]any{"supported": true},
		"bulk":             map[string]any{"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
		"filter":           map[string]any{"supported": true, "maxResults": maxResults},
		"changePassword":   map[string]any{"supported": false},
		"sort":             map[string]any{"supported": true},
		"etag":             map[string]any{"supported": true},
		"authenticationSchemes": []any{map[string]any{
			"type": "oauthbearertoken", "name": "Bearer token", "primary": true,
			"description": "A Seatkeeper token of scope scim, created with `seatkeeper token create --scope scim`.",
		}},
		"meta": map[string]any{"resourceType": "ServiceProviderConfig", "location": s.baseURL(r) + "/ServiceProviderConfig"},
	})
}

func resourceTypes(base string) []map[string]any {
	user := map[string]any{
		"schemas": []string{resourceTypeSchema}, "id": "User", "name": "User", "endpoint": "/Users",
		"description": "People, whose attributes decide their licences", "schema": scim.UserSchemaURN,
		"schemaExtensions": []any{
			map[string]any{"schema": scim.EnterpriseUserURN, "required": false},
			map[string]any{"schema": scim.SeatkeeperUserURN, "required": false},
		},
		"meta": map[string]any{"resourceType": "ResourceType", "location": base + "/ResourceTypes/User"},
	}
	group := map[string]any{
		"schemas": []string{resourceTypeSchema}, "id": "Group", "name": "Group", "endpoint": "/Groups",
		"description": "Groups, which entitlement rules can match", "schema": scim.GroupSchemaURN,
		"meta": map[string]any{"resourceType": "ResourceType", "location": base + "/ResourceTypes/Group"},
	}
	return []map[string]any{user, group}
}

func listOf[T any](items []T) map[string]any {
	return map[string]any{"schemas": []string{scim.ListResponseSchema}, "totalResults": len(items), "startIndex": 1, "itemsPerPage": len(items), "Resources": items}
}

func (s *Server) resourceTypes(w http.ResponseWriter, r *http.Request, _ licensing.Actor) {
	respond(w, http.StatusOK, listOf(resourceTypes(s.baseURL(r))))
}

func (s *Server) resourceType(w http.ResponseWriter, r *http.Request, _ licensing.Actor) {
	for _, rt := range resourceTypes(s.baseURL(r)) {
		if strings.EqualFold(rt["id"].(string), r.PathValue("id")) {
			respond(w, http.StatusOK, rt)
			return
		}
	}
	fail(w, &scim.Error{Status: http.StatusNotFound, Detail: "no resource type " + r.PathValue("id")})
}

// schemaDocs renders every schema the server knows as RFC 7643 §7 resources.
func schemaDocs(base string) ([]map[string]any, error) {
	list := []*scim.Schema{scim.UserSchema(), scim.GroupSchema()}
	list = append(list, scim.UserSchema().Extensions...)
	out := make([]map[string]any, 0, len(list))
	for _, sc := range list {
		b, err := json.Marshal(sc)
		if err != nil {
			return nil, err
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, err
		}
		m["schemas"] = []string{schemaSchema}
		m["meta"] = map[string]any{"resourceType": "Schema", "location": base + "/Schemas/" + sc.ID}
		out = append(out, m)
	}
	return out, nil
}

func (s *Server) schemas(w http.ResponseWriter, r *http.Request, _ licensing.Actor) {
	docs, err := schemaDocs(s.baseURL(r))
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	respond(w, http.StatusOK, listOf(docs))
}

func (s *Server) schema(w http.ResponseWriter, r *http.Request, _ licensing.Actor) {
	docs, err := schemaDocs(s.baseURL(r))
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	for _, d := range docs {
		if strings.EqualFold(d["id"].(string), r.PathValue("id")) {
			respond(w, http.StatusOK, d)
			return
		}
	}
	fail(w, &scim.Error{Status: http.StatusNotFound, Detail: "no schema " + r.PathValue("id")})
}
