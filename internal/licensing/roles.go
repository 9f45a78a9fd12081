package licensing

import "slices"

// Role is an administrative role a person may hold (DESIGN §3.8). Roles
// say what a person may manage; they never consume a seat.
type Role string

const (
	// RoleLicenceAdmin may do everything the console and the API do.
	RoleLicenceAdmin Role = "licence_admin"
	// RoleIdentityAdmin manages people, groups, group grants, rules and
	// the seats they give.
	RoleIdentityAdmin Role = "identity_admin"
	// RoleAuditor reads everything, exports and verifies the audit log,
	// and changes nothing.
	RoleAuditor Role = "auditor"
)

// Roles lists every role, strongest first.
var Roles = []Role{RoleLicenceAdmin, RoleIdentityAdmin, RoleAuditor}

// ParseRole checks a role's name. Codes: CodeInvalid.
func ParseRole(s string) (Role, error) {
	r := Role(s)
	if !slices.Contains(Roles, r) {
		return "", FieldErrorf(CodeInvalid, "role", "unknown role %q: use licence_admin, identity_admin or auditor", s)
	}
	return r, nil
}

// HasRole reports whether u holds r.
func (u *User) HasRole(r Role) bool { return slices.Contains(u.Roles, r) }

// Administrator reports whether u holds any role.
func (u *User) Administrator() bool { return len(u.Roles) > 0 }
