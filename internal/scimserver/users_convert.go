package scimserver

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/scim"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

// A SCIM User maps onto licensing.User (what the engine and the rules
// read) and store.Identity (the rest of what the identity provider says):
//
//	userName, externalId, displayName, active  → User
//	userType                                   → User.EmployeeType
//	emails                                     → Identity.Emails; the primary (else work, else first) → User.Email
//	name.givenName, name.familyName            → Identity
//	enterprise employeeNumber                  → User.EmployeeID
//	enterprise costCenter, department          → User
//	enterprise organization, division, manager → Identity
//	seatkeeper jobCode                         → User.JobCode
//
// Anything else the schema knows (title, phone numbers, addresses, the rest
// of name …) is kept as it was sent in Identity.Extra.

// userResource renders a person as a SCIM User.
func userResource(p store.Person, groups []store.GroupRef, base string) scim.Resource {
	u, id := p.User, p.Identity
	r := scim.Resource{}
	if len(id.Extra) > 0 {
		dec := json.NewDecoder(bytes.NewReader(id.Extra))
		dec.UseNumber()
		_ = dec.Decode(&r) // the store only keeps objects
	}
	if r == nil {
		r = scim.Resource{}
	}
	schemas := []any{scim.UserSchemaURN}
	r["id"] = u.ID
	set(r, "externalId", u.ExternalID)
	r["userName"] = u.UserName
	set(r, "displayName", u.DisplayName)
	set(r, "userType", u.EmployeeType)
	r["active"] = u.Active
	name, _ := r["name"].(map[string]any)
	if name == nil {
		name = map[string]any{}
	}
	set(name, "givenName", id.GivenName)
	set(name, "familyName", id.FamilyName)
	if len(name) > 0 {
		r["name"] = name
	}
	emails := make([]any, 0, len(id.Emails))
	for _, e := range id.Emails {
		m := map[string]any{"value": e.Value}
		set(m, "type", e.Type)
		set(m, "display", e.Display)
		if e.Primary {
			m["primary"] = true
		}
		emails = append(emails, m)
	}
	if len(emails) == 0 && u.Email != "" {
		emails = append(emails, map[string]any{"value": u.Email, "type": "work", "primary": true})
	}
	if len(emails) > 0 {
		r["emails"] = emails
	}
	if len(groups) > 0 {
		gs := make([]any, 0, len(groups))
		for _, g := range groups {
			gs = append(gs, map[string]any{"value": g.ID, "display": g.DisplayName, "$ref": base + "/Groups/" + g.ID, "type": "direct"})
		}
		r["groups"] = gs
	}
	ent := map[string]any{}
	set(ent, "employeeNumber", u.EmployeeID)
	set(ent, "costCenter", u.CostCenter)
	set(ent, "department", u.Department)
	set(ent, "organization", id.Organization)
	set(ent, "division", id.Division)
	switch {
	case id.ManagerID != "":
		ent["manager"] = map[string]any{"value": id.ManagerID, "$ref": base + "/Users/" + id.ManagerID}
	case id.ManagerRef != "":
		// Not provisioned yet: the reference as the provider sent it.
		ent["manager"] = map[string]any{"value": id.ManagerRef}
	}
	if len(ent) > 0 {
		r[scim.EnterpriseUserURN] = ent
		schemas = append(schemas, scim.EnterpriseUserURN)
	}
	if u.JobCode != "" {
		r[scim.SeatkeeperUserURN] = map[string]any{"jobCode": u.JobCode}
		schemas = append(schemas, scim.SeatkeeperUserURN)
	}
	r["schemas"] = schemas
	r["meta"] = map[string]any{
		"resourceType": "User",
		"created":      timeString(u.CreatedAt),
		"lastModified": timeString(u.UpdatedAt),
		"location":     base + "/Users/" + u.ID,
		"version":      etag(id.Version),
	}
	return r
}

func set(m map[string]any, k, v string) {
	if v != "" {
		m[k] = v
	} else {
		delete(m, k)
	}
}

// modelled are the keys userFromResource takes out of a resource; what is
// left goes to Identity.Extra.
var modelled = []string{"schemas", "id", "meta", "groups", "password", "externalId", "userName", "displayName", "active", "userType", "emails",
	scim.EnterpriseUserURN, scim.SeatkeeperUserURN}

// userFromResource reads a canonical User resource (as scim.ParseResource
// or scim.ApplyPatch return it) into a person, starting from old (kind and
// groups are Seatkeeper's, not the identity provider's). manager is the
// manager's resolved user id.
func userFromResource(r scim.Resource, old licensing.User, manager string) (licensing.User, store.Identity, error) {
	u := licensing.User{ID: old.ID, Kind: old.Kind, Groups: old.Groups, CreatedAt: old.CreatedAt}
	if u.Kind == "" {
		u.Kind = licensing.KindPerson
	}
	var id store.Identity
	u.UserName = str(r["userName"])
	u.ExternalID = str(r["externalId"])
	u.DisplayName = str(r["displayName"])
	u.EmployeeType = str(r["userType"])
	// A joiner without "active" is active; a person whose update leaves it
	// out (a PUT without it, a PATCH removing it) keeps their state, so a
	// leaver is never switched back on by omission.
	u.Active = old.ID == "" || old.Active
	if b, ok := r["active"].(bool); ok {
		u.Active = b
	}
	if name, ok := r["name"].(map[string]any); ok {
		id.GivenName, id.FamilyName = str(name["givenName"]), str(name["familyName"])
	}
	if u.DisplayName == "" {
		u.DisplayName = strings.TrimSpace(id.GivenName + " " + id.FamilyName)
	}
	emails, _ := r["emails"].([]any)
	for _, e := range emails {
		m, _ := e.(map[string]any)
		if v := str(m["value"]); v != "" {
			p, _ := m["primary"].(bool)
			id.Emails = append(id.Emails, store.Email{Value: v, Type: strings.ToLower(str(m["type"])), Primary: p, Display: str(m["display"])})
		}
	}
	u.Email = mainEmail(id.Emails)
	if ent, ok := r[scim.EnterpriseUserURN].(map[string]any); ok {
		u.EmployeeID = str(ent["employeeNumber"])
		u.CostCenter = str(ent["costCenter"])
		u.Department = str(ent["department"])
		id.Organization = str(ent["organization"])
		id.Division = str(ent["division"])
	}
	id.ManagerID = manager
	if sk, ok := r[scim.SeatkeeperUserURN].(map[string]any); ok {
		u.JobCode = str(sk["jobCode"])
	}
	extra := scim.Resource{}
	for k, v := range r {
		extra[k] = v
	}
	for _, k := range modelled {
		delete(extra, k)
	}
	if name, ok := extra["name"].(map[string]any); ok {
		rest := map[string]any{}
		for k, v := range name {
			if k != "givenName" && k != "familyName" {
				rest[k] = v
			}
		}
		if len(rest) == 0 {
			delete(extra, "name")
		} else {
			extra["name"] = rest
		}
	}
	b, err := json.Marshal(extra)
	if err != nil {
		return u, id, err
	}
	id.Extra = b
	return u, id, nil
}

// managerValue is the manager reference a resource carries, or "".
func managerValue(r scim.Resource) string {
	ent, _ := r[scim.EnterpriseUserURN].(map[string]any)
	m, _ := ent["manager"].(map[string]any)
	return strings.TrimSpace(str(m["value"]))
}

// mainEmail picks the address the engine and sign-in know a person by: the
// primary one, else the work one, else the first.
func mainEmail(es []store.Email) string {
	for _, e := range es {
		if e.Primary {
			return e.Value
		}
	}
	for _, e := range es {
		if e.Type == "work" {
			return e.Value
		}
	}
	if len(es) > 0 {
		return es[0].Value
	}
	return ""
}

func str(v any) string {
	s, _ := v.(string)
	return strings.TrimSpace(s)
}
