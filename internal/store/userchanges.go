package store

import (
	"slices"
	"strings"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// fieldChange is one changed attribute of a person in a user.update audit
// entry: the value before and after.
type fieldChange struct {
	From any `json:"from"`
	To   any `json:"to"`
}

// userChanges names every attribute of a person that an update changes,
// old → new, keyed by the attribute's column name (as the CSV import and
// the API call it). The identity attributes are compared when both oldID
// and id are given. It is the "changes" object of the user.update entry,
// so the audit says what changed, not only what the person is now.
func userChanges(old, u licensing.User, oldID, id *Identity) map[string]fieldChange {
	out := map[string]fieldChange{}
	str := func(name, a, b string) {
		if a != b {
			out[name] = fieldChange{a, b}
		}
	}
	str("user_name", old.UserName, u.UserName)
	str("display_name", old.DisplayName, u.DisplayName)
	str("email", old.Email, u.Email)
	str("employee_id", old.EmployeeID, u.EmployeeID)
	str("external_id", old.ExternalID, u.ExternalID)
	str("job_code", old.JobCode, u.JobCode)
	str("department", old.Department, u.Department)
	str("cost_center", old.CostCenter, u.CostCenter)
	str("employee_type", old.EmployeeType, u.EmployeeType)
	str("kind", string(old.Kind), string(u.Kind))
	if old.Active != u.Active {
		out["active"] = fieldChange{old.Active, u.Active}
	}
	if !slices.Equal(old.Groups, u.Groups) {
		out["groups"] = fieldChange{strings.Join(old.Groups, ";"), strings.Join(u.Groups, ";")}
	}
	if oldID != nil && id != nil {
		str("given_name", oldID.GivenName, id.GivenName)
		str("family_name", oldID.FamilyName, id.FamilyName)
		str("organization", oldID.Organization, id.Organization)
		str("division", oldID.Division, id.Division)
		str("manager", managerOf(*oldID), managerOf(*id))
		str("emails", emailList(oldID.Emails), emailList(id.Emails))
	}
	return out
}

// managerOf is the manager as the audit names them: the user id, or the
// reference not resolved yet.
func managerOf(id Identity) string {
	if id.ManagerID != "" {
		return id.ManagerID
	}
	return id.ManagerRef
}

func emailList(es []Email) string {
	vs := make([]string, len(es))
	for i, e := range es {
		vs[i] = e.Value
	}
	return strings.Join(vs, ";")
}

// userUpdateDetail is the detail of a user.update entry: the person as
// they are now (userDetail) and, under "changes", each changed attribute
// old → new.
func userUpdateDetail(old, u licensing.User, oldID, id *Identity) string {
	d := userDetail(u)
	d["changes"] = userChanges(old, u, oldID, id)
	return string(mustJSON(d))
}
