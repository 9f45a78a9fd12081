package desk

import (
	"strconv"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// Principal is who a desk call comes from: a signed-in person, a platform
// or admin token acting for a person, or an integration acting for one.
type Principal struct {
	// Actor is the audit actor as the API saw it (token or person name,
	// source address).
	Actor licensing.Actor
	// User is the person whose rights count (an id), "" when the call names
	// nobody (an admin token without an acting user) or an integration's
	// acting user matched nobody.
	User     string
	UserName string
	// Session is the person's seat session, if any: concurrent seats are
	// leased within it.
	Session string
	// Integration is set for an integration's calls; ActingRaw is the
	// header's value as sent.
	Integration *Integration
	ActingRaw   string
	// Admin marks an admin token: it may read everything without a person.
	Admin bool
}

// unverified marks an acting user that matched nobody, in notes and audit.
const unverified = "unverified:"

// actingLabel is how the acting person appears in audit entries and notes.
func (p Principal) actingLabel() string {
	if p.User != "" {
		return p.UserName
	}
	return unverified + p.ActingRaw
}

// behalf is how the acting person is named in a stamp: "Jane Doe (E12345)".
func behalf(u licensing.User, known bool, raw string) string {
	if !known {
		return strconv.Quote(raw) + " (unverified)"
	}
	name := u.DisplayName
	if name == "" {
		name = u.UserName
	}
	id := u.EmployeeID
	if id == "" {
		id = u.UserName
	}
	return name + " (" + id + ")"
}
