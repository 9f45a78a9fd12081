package scim

import "strings"

// Schema URNs used by Seatkeeper.
const (
	UserSchemaURN       = "urn:ietf:params:scim:schemas:core:2.0:User"
	GroupSchemaURN      = "urn:ietf:params:scim:schemas:core:2.0:Group"
	EnterpriseUserURN   = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	SeatkeeperUserURN   = "urn:ietf:params:scim:schemas:extension:seatkeeper:2.0:User"
	PatchOpSchema       = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	ListResponseSchema  = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	coreSchemaURNPrefix = "urn:ietf:params:scim:schemas:core:2.0:"
)

// Type is a SCIM attribute data type (RFC 7643 §2.3).
type Type string

// Attribute data types.
const (
	TypeString    Type = "string"
	TypeBoolean   Type = "boolean"
	TypeDecimal   Type = "decimal"
	TypeInteger   Type = "integer"
	TypeDateTime  Type = "dateTime"
	TypeReference Type = "reference"
	TypeBinary    Type = "binary"
	TypeComplex   Type = "complex"
)

// Mutability values (RFC 7643 §7).
const (
	ReadOnly  = "readOnly"
	ReadWrite = "readWrite"
	Immutable = "immutable"
	WriteOnly = "writeOnly"
)

// Returned values (RFC 7643 §7).
const (
	ReturnedAlways  = "always"
	ReturnedNever   = "never"
	ReturnedDefault = "default"
	ReturnedRequest = "request"
)

// Attribute describes one attribute of a schema. The field names and JSON tags
// follow RFC 7643 §7 so the /Schemas endpoint can serve the value as it is.
type Attribute struct {
	Name            string       `json:"name"`
	Type            Type         `json:"type"`
	MultiValued     bool         `json:"multiValued"`
	Description     string       `json:"description,omitempty"`
	Required        bool         `json:"required"`
	CaseExact       bool         `json:"caseExact"`
	Mutability      string       `json:"mutability"`
	Returned        string       `json:"returned"`
	Uniqueness      string       `json:"uniqueness"`
	CanonicalValues []string     `json:"canonicalValues,omitempty"`
	ReferenceTypes  []string     `json:"referenceTypes,omitempty"`
	SubAttributes   []*Attribute `json:"subAttributes,omitempty"`
}

// Sub returns the sub-attribute called name, matched case-insensitively.
func (a *Attribute) Sub(name string) *Attribute {
	if a == nil {
		return nil
	}
	for _, s := range a.SubAttributes {
		if strings.EqualFold(s.Name, name) {
			return s
		}
	}
	return nil
}

// Schema is a SCIM schema (RFC 7643 §7). A resource type's core schema lists
// its extensions; the attributes of an extension live in the resource under a
// key equal to the extension's ID.
type Schema struct {
	ID          string       `json:"id"`
	Name        string       `json:"name"`
	Description string       `json:"description,omitempty"`
	Attributes  []*Attribute `json:"attributes"`
	Extensions  []*Schema    `json:"-"`
}

// Attr returns the attribute called name, matched case-insensitively.
func (s *Schema) Attr(name string) *Attribute {
	if s == nil {
		return nil
	}
	for _, a := range s.Attributes {
		if strings.EqualFold(a.Name, name) {
			return a
		}
	}
	return nil
}

// Extension returns the extension schema with the given URN, matched
// case-insensitively.
func (s *Schema) Extension(urn string) *Schema {
	if s == nil {
		return nil
	}
	for _, e := range s.Extensions {
		if strings.EqualFold(e.ID, urn) {
			return e
		}
	}
	return nil
}

// commonAttributes are id, externalId and meta (RFC 7643 §3.1), shared by all
// resource types.
func commonAttributes() []*Attribute {
	return []*Attribute{
		{Name: "id", Type: TypeString, CaseExact: true, Mutability: ReadOnly, Returned: ReturnedAlways, Uniqueness: "server"},
		{Name: "externalId", Type: TypeString, CaseExact: true, Mutability: ReadWrite, Returned: ReturnedDefault, Uniqueness: "none"},
		{Name: "meta", Type: TypeComplex, Mutability: ReadOnly, Returned: ReturnedDefault, Uniqueness: "none", SubAttributes: []*Attribute{
			str("resourceType", ReadOnly, false),
			{Name: "created", Type: TypeDateTime, Mutability: ReadOnly, Returned: ReturnedDefault, Uniqueness: "none"},
			{Name: "lastModified", Type: TypeDateTime, Mutability: ReadOnly, Returned: ReturnedDefault, Uniqueness: "none"},
			{Name: "location", Type: TypeReference, CaseExact: true, Mutability: ReadOnly, Returned: ReturnedDefault, Uniqueness: "none", ReferenceTypes: []string{"uri"}},
			str("version", ReadOnly, true),
		}},
	}
}

func str(name, mutability string, caseExact bool) *Attribute {
	return &Attribute{Name: name, Type: TypeString, CaseExact: caseExact, Mutability: mutability, Returned: ReturnedDefault, Uniqueness: "none"}
}

func boolean(name string) *Attribute {
	return &Attribute{Name: name, Type: TypeBoolean, Mutability: ReadWrite, Returned: ReturnedDefault, Uniqueness: "none"}
}

// multi builds the usual multi-valued complex attribute with value, display,
// type and primary sub-attributes (emails, phoneNumbers, roles …).
func multi(name string, valueType Type, types ...string) *Attribute {
	return &Attribute{Name: name, Type: TypeComplex, MultiValued: true, Mutability: ReadWrite, Returned: ReturnedDefault, Uniqueness: "none",
		SubAttributes: []*Attribute{
			{Name: "value", Type: valueType, Mutability: ReadWrite, Returned: ReturnedDefault, Uniqueness: "none"},
			str("display", ReadWrite, false),
			{Name: "type", Type: TypeString, Mutability: ReadWrite, Returned: ReturnedDefault, Uniqueness: "none", CanonicalValues: types},
			boolean("primary"),
		}}
}

func newUserSchema() *Schema {
	attrs := commonAttributes()
	attrs = append(attrs,
		&Attribute{Name: "userName", Type: TypeString, Required: true, Mutability: ReadWrite, Returned: ReturnedDefault, Uniqueness: "server"},
		&Attribute{Name: "name", Type: TypeComplex, Mutability: ReadWrite, Returned: ReturnedDefault, Uniqueness: "none", SubAttributes: []*Attribute{
			str("formatted", ReadWrite, false), str("familyName", ReadWrite, false), str("givenName", ReadWrite, false),
			str("middleName", ReadWrite, false), str("honorificPrefix", ReadWrite, false), str("honorificSuffix", ReadWrite, false),
		}},
		str("displayName", ReadWrite, false), str("nickName", ReadWrite, false),
		&Attribute{Name: "profileUrl", Type: TypeReference, Mutability: ReadWrite, Returned: ReturnedDefault, Uniqueness: "none", ReferenceTypes: []string{"external"}},
		str("title", ReadWrite, false), str("userType", ReadWrite, false), str("preferredLanguage", ReadWrite, false),
		str("locale", ReadWrite, false), str("timezone", ReadWrite, false),
		boolean("active"),
		&Attribute{Name: "password", Type: TypeString, Mutability: WriteOnly, Returned: ReturnedNever, Uniqueness: "none"},
		multi("emails", TypeString, "work", "home", "other"),
		multi("phoneNumbers", TypeString, "work", "home", "mobile", "fax", "pager", "other"),
		multi("ims", TypeString),
		multi("photos", TypeReference, "photo", "thumbnail"),
		&Attribute{Name: "addresses", Type: TypeComplex, MultiValued: true, Mutability: ReadWrite, Returned: ReturnedDefault, Uniqueness: "none", SubAttributes: []*Attribute{
			str("formatted", ReadWrite, false), str("streetAddress", ReadWrite, false), str("locality", ReadWrite, false),
			str("region", ReadWrite, false), str("postalCode", ReadWrite, false), str("country", ReadWrite, false),
			{Name: "type", Type: TypeString, Mutability: ReadWrite, Returned: ReturnedDefault, Uniqueness: "none", CanonicalValues: []string{"work", "home", "other"}},
			boolean("primary"),
		}},
		&Attribute{Name: "groups", Type: TypeComplex, MultiValued: true, Mutability: ReadOnly, Returned: ReturnedDefault, Uniqueness: "none", SubAttributes: []*Attribute{
			str("value", ReadOnly, false),
			{Name: "$ref", Type: TypeReference, Mutability: ReadOnly, Returned: ReturnedDefault, Uniqueness: "none", ReferenceTypes: []string{"User", "Group"}},
			str("display", ReadOnly, false),
			str("type", ReadOnly, false),
		}},
		multi("entitlements", TypeString),
		multi("roles", TypeString),
		multi("x509Certificates", TypeBinary),
	)
	return &Schema{ID: UserSchemaURN, Name: "User", Description: "User Account", Attributes: attrs,
		Extensions: []*Schema{newEnterpriseSchema(), newSeatkeeperSchema()}}
}

func newEnterpriseSchema() *Schema {
	return &Schema{ID: EnterpriseUserURN, Name: "EnterpriseUser", Description: "Enterprise User", Attributes: []*Attribute{
		str("employeeNumber", ReadWrite, false), str("costCenter", ReadWrite, false), str("organization", ReadWrite, false),
		str("division", ReadWrite, false), str("department", ReadWrite, false),
		{Name: "manager", Type: TypeComplex, Mutability: ReadWrite, Returned: ReturnedDefault, Uniqueness: "none", SubAttributes: []*Attribute{
			str("value", ReadWrite, false),
			{Name: "$ref", Type: TypeReference, Mutability: ReadWrite, Returned: ReturnedDefault, Uniqueness: "none", ReferenceTypes: []string{"User"}},
			str("displayName", ReadOnly, false),
		}},
	}}
}

func newSeatkeeperSchema() *Schema {
	return &Schema{ID: SeatkeeperUserURN, Name: "SeatkeeperUser", Description: "Seatkeeper entitlement attributes", Attributes: []*Attribute{
		str("jobCode", ReadWrite, false),
	}}
}

func newGroupSchema() *Schema {
	attrs := commonAttributes()
	attrs = append(attrs,
		&Attribute{Name: "displayName", Type: TypeString, Required: true, Mutability: ReadWrite, Returned: ReturnedDefault, Uniqueness: "server"},
		&Attribute{Name: "members", Type: TypeComplex, MultiValued: true, Mutability: ReadWrite, Returned: ReturnedDefault, Uniqueness: "none", SubAttributes: []*Attribute{
			{Name: "value", Type: TypeString, Mutability: Immutable, Returned: ReturnedDefault, Uniqueness: "none"},
			{Name: "$ref", Type: TypeReference, Mutability: Immutable, Returned: ReturnedDefault, Uniqueness: "none", ReferenceTypes: []string{"User", "Group"}},
			str("display", ReadOnly, false),
			{Name: "type", Type: TypeString, Mutability: Immutable, Returned: ReturnedDefault, Uniqueness: "none", CanonicalValues: []string{"User", "Group"}},
		}},
	)
	return &Schema{ID: GroupSchemaURN, Name: "Group", Description: "Group", Attributes: attrs}
}

var (
	userSchema  = newUserSchema()
	groupSchema = newGroupSchema()
)

// UserSchema returns the User schema with the enterprise and Seatkeeper
// extensions. It is shared: callers must not modify it.
func UserSchema() *Schema { return userSchema }

// GroupSchema returns the Group schema. It is shared: callers must not modify it.
func GroupSchema() *Schema { return groupSchema }

// resolved is an attribute path looked up in a schema.
type resolved struct {
	urn  string     // extension URN, "" for the core schema
	attr *Attribute // nil when the schema does not know the attribute
	sub  *Attribute // nil when no sub-attribute was named or it is unknown
	name string     // canonical attribute name
	sn   string     // canonical sub-attribute name, "" if none
}

// resolve looks p up in s. An unknown attribute resolves with attr == nil and
// the spelling of p; s == nil resolves everything that way.
func resolve(s *Schema, p AttrPath) resolved {
	r := resolved{urn: p.URN, name: p.Name, sn: p.Sub}
	target := s
	if p.URN != "" && s != nil {
		if strings.EqualFold(p.URN, s.ID) {
			r.urn = ""
		} else if e := s.Extension(p.URN); e != nil {
			r.urn, target = e.ID, e
		} else {
			target = nil
		}
	}
	if target == nil {
		return r
	}
	if r.attr = target.Attr(p.Name); r.attr != nil {
		r.name = r.attr.Name
		if p.Sub != "" {
			if r.sub = r.attr.Sub(p.Sub); r.sub != nil {
				r.sn = r.sub.Name
			}
		}
	}
	return r
}

// known reports whether every part of the path is defined by the schema.
func (r resolved) known() bool {
	return r.attr != nil && (r.sn == "" || r.sub != nil)
}

// caseExact reports whether string comparisons on the resolved attribute are
// case-sensitive. Unknown attributes compare case-insensitively.
func (r resolved) caseExact() bool {
	if r.sub != nil {
		return r.sub.CaseExact
	}
	if r.sn == "" && r.attr != nil {
		if r.attr.Type == TypeComplex {
			if v := r.attr.Sub("value"); v != nil {
				return v.CaseExact
			}
		}
		return r.attr.CaseExact
	}
	return false
}

// typ returns the data type of the resolved leaf, "" when unknown.
func (r resolved) typ() Type {
	if r.sub != nil {
		return r.sub.Type
	}
	if r.sn == "" && r.attr != nil {
		if r.attr.Type == TypeComplex {
			if v := r.attr.Sub("value"); v != nil {
				return v.Type
			}
		}
		return r.attr.Type
	}
	return ""
}
