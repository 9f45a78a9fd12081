package desk

import (
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// Mode is what an integration's fulfiller calls do when the acting person
// holds no seat of their own (DESIGN §3.5).
type Mode string

// Integration modes.
const (
	// ModeEnforce refuses the call with multiplexing_blocked.
	ModeEnforce Mode = "enforce"
	// ModePropose holds the change as a proposal a licensed agent confirms.
	ModePropose Mode = "propose"
	// ModeMonitor lets it pass and flags it for the multiplexing report.
	ModeMonitor Mode = "monitor"
)

// Valid reports whether m is a known mode.
func (m Mode) Valid() bool { return m == ModeEnforce || m == ModePropose || m == ModeMonitor }

// ParseMode checks a mode from input.
func ParseMode(s string) (Mode, error) {
	m := Mode(s)
	if !m.Valid() {
		return "", licensing.FieldErrorf(licensing.CodeInvalid, "mode", "mode must be enforce, propose or monitor")
	}
	return m, nil
}

// Integration is a named service account calling on people's behalf.
type Integration struct {
	ID   string
	Name string
	Mode Mode
	// User is the service account's user id; Token its token's id.
	User      string
	UserName  string
	Token     string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Outcome is what became of an integration's call.
type Outcome string

// Outcomes recorded per call for the multiplexing report.
const (
	OutcomeAllowed  Outcome = "allowed"  // acting person licensed, or a requester capability
	OutcomeBlocked  Outcome = "blocked"  // enforce: refused
	OutcomeProposed Outcome = "proposed" // propose: held for an agent
	OutcomeFlagged  Outcome = "flagged"  // monitor: passed, unlicensed
)

// Call is one integration call as the report sees it.
type Call struct {
	Integration string // integration id
	At          time.Time
	ActingRaw   string // the header's value
	ActingUser  string // resolved user id, "" when unknown
	Capability  string
	// Fulfiller marks a fulfiller or module capability; only those count
	// as licensed or unlicensed actions.
	Fulfiller bool
	Licensed  bool
	Outcome   Outcome
	Ticket    string // ticket id, when the call touched one
}

// ProposalState is where a proposal is.
type ProposalState string

// Proposal states.
const (
	ProposalPending   ProposalState = "pending"
	ProposalConfirmed ProposalState = "confirmed"
	ProposalRejected  ProposalState = "rejected"
)

// Proposal is a change an integration asked for on behalf of a person
// without a seat, held until a licensed agent confirms or rejects it.
type Proposal struct {
	ID          string
	Integration string
	IntegName   string
	Ticket      string
	TicketSeq   int64
	Capability  string
	Change      Change
	ActingRaw   string
	ActingUser  string // resolved user id, "" when unknown
	ActingName  string
	State       ProposalState
	CreatedAt   time.Time
	DecidedBy   string
	DecidedAt   time.Time
	Reason      string
}

// Usage is one integration's line in the multiplexing report.
type Usage struct {
	Integration     string
	Name            string
	Mode            Mode
	Actions         int
	DistinctActing  int
	LicensedActions int
	// UnlicensedActions counts fulfiller actions by people without a seat
	// (including unknown acting users).
	UnlicensedActions int
	Blocked           int
	Proposed          int
	Flagged           int
	UnknownActing     int      // calls whose acting user matched nobody
	UnknownValues     []string // distinct unknown values, first 20
	TopOffenders      []Offender
}

// Offender is an acting person with unlicensed fulfiller actions.
type Offender struct {
	User       string // user id, "" when unknown
	Name       string // user name or the raw acting value
	Unlicensed int
}

// MultiplexingReport is the report over a period.
type MultiplexingReport struct {
	From, To     time.Time
	Integrations []Usage
	// ServiceSeats lists service accounts holding fulfiller or module seats
	// (possible only from data older than the guard).
	ServiceSeats []licensing.Member
}
