package licensing

import (
	"net/mail"
	"strings"
	"time"
)

// Kind tells people from the service accounts that integrations use.
type Kind string

// Person kinds.
const (
	KindPerson  Kind = "person"
	KindService Kind = "service"
)

// User is a person or service account known to Seatkeeper.
type User struct {
	ID           string
	UserName     string
	DisplayName  string
	Email        string
	EmployeeID   string
	ExternalID   string
	JobCode      string
	Department   string
	CostCenter   string
	EmployeeType string
	Groups       []string
	Kind         Kind
	Active       bool
	// Roles are the administrative roles the person holds, sorted (kept in
	// their own table; loaded with the person for the engine).
	Roles     []Role
	CreatedAt time.Time
	UpdatedAt time.Time
}

// InGroup reports whether u belongs to group g.
func (u *User) InGroup(g string) bool {
	for _, x := range u.Groups {
		if x == g {
			return true
		}
	}
	return false
}

// Validate checks a user and normalises names so lookups are case-insensitive.
func (u *User) Validate() error {
	u.UserName = strings.TrimSpace(u.UserName)
	if u.UserName == "" || len(u.UserName) > 256 {
		return FieldErrorf(CodeInvalid, "user_name", "user_name is required (at most 256 characters)")
	}
	if strings.ContainsAny(u.UserName, " \t\r\n/") {
		return FieldErrorf(CodeInvalid, "user_name", "user_name must not contain spaces or '/'")
	}
	if err := u.checkKeys(); err != nil {
		return err
	}

	switch u.Kind {
	case "":
		u.Kind = KindPerson
	case KindPerson, KindService:
	default:
		return FieldErrorf(CodeInvalid, "kind", "kind must be person or service")
	}
	if u.DisplayName == "" {
		u.DisplayName = u.UserName
	}
	seen := make(map[string]bool, len(u.Groups))
	groups := u.Groups[:0:0]
	for _, g := range u.Groups {
		if !ValidGroup(g) {
			return FieldErrorf(CodeInvalid, "groups", "group %q must be 1-256 printable characters without surrounding spaces", g)
		}
		if !seen[g] {
			seen[g] = true
			groups = append(groups, g)
		}
	}
	u.Groups = groups
	return nil
}

// ValidEmail reports whether s is a plain valid address (no display name).
// Only such an email finds a person or signs them in; anything else an
// identity provider sends is stored as sent.
func ValidEmail(s string) bool {
	if s == "" {
		return false
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s
}

// Source says why a person holds a seat.
const (
	SourceManual = "manual"
)

// Member states.
const (
	MemberActive  = "active"
	MemberPending = "pending"
)

// Member is a named-seat assignment or a concurrent-pool registration.
type Member struct {
	Pool      string
	User      string
	UserName  string
	Source    string
	State     string
	Reason    string
	GrantedBy string
	Since     time.Time
	LastUsed  time.Time
}

// Lease is a held concurrent seat; one per person per pool.
type Lease struct {
	ID           string
	Pool         string
	User         string
	Slot         int
	Overdraft    bool
	StartedAt    time.Time
	LastActivity time.Time
	ExpiresAt    time.Time
	EndedAt      time.Time
	EndReason    string
	// Integration is the integration whose call took the lease ("" when the
	// person took it): such a lease lives for Hold after its last use.
	Integration string
	Hold        time.Duration
}

// Lease end reasons, kept in history for the utilisation reports.
const (
	EndLogout      = "logout"
	EndIdleTimeout = "idle_timeout"
	// EndHoldExpired ends a seat an integration took, its hold after the
	// last call having passed.
	EndHoldExpired = "hold_expired"
	EndRevoked     = "revoked"
	EndAdmin       = "admin"
	EndInactive    = "inactive"
)

// Session is a person's working session; it may share leases with the
// person's other sessions.
type Session struct {
	ID        string
	User      string
	Lazy      bool
	StartedAt time.Time
	LastSeen  time.Time
	EndedAt   time.Time
	EndReason string
	Source    string
	// Integration is the integration that started the session ("" for a
	// person's own): its leases are held only briefly and capped.
	Integration string
	Leases      []Lease
}

// Active reports whether the session has not ended.
func (s *Session) Active() bool { return s.EndedAt.IsZero() }

// Person is everything the engine needs to decide for one person.
type Person struct {
	User    User
	Members []Member
	// Leases are the person's active leases.
	Leases []Lease
}
