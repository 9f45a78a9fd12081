package desk

import "time"

// WebSession is a signed-in person's browser session. Method says how they
// signed in ("local" now; "oidc" plugs in later) so both share one session
// shape. The session's seat session (SeatSession) holds their lease.
type WebSession struct {
	ID          string // stored hashed; the cookie carries the secret
	User        string
	UserName    string
	SeatSession string
	CSRF        string
	Method      string
	CreatedAt   time.Time
	ExpiresAt   time.Time
}
