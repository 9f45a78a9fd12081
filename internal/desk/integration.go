package desk

import (
	"slices"
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
	User     string
	UserName string
	Token    string
	// Hold is how long a seat taken for one of its calls lives after the
	// call; MaxSeats the most seats of one pool it holds at once (0: the
	// default share, see SeatCap).
	Hold     time.Duration
	MaxSeats int
	// Disabled: its token is revoked, so its calls are refused; a new
	// token (rotation) enables it again.
	Disabled  bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Bounds of an integration's seat hold: long enough that a burst of calls
// for one person reuses one seat, short enough that no one who is absent
// keeps a seat through a service account.
const (
	DefaultHold = time.Minute
	MinHold     = 10 * time.Second
	MaxHold     = time.Hour
)

// SeatCap is the most seats of a pool of poolSeats an integration with
// maxSeats may hold at once: maxSeats when set, else a tenth of the pool
// (rounded up, at least one).
func SeatCap(maxSeats, poolSeats int) int {
	if maxSeats > 0 {
		return maxSeats
	}
	return max(1, (poolSeats+9)/10)
}

// HoldOf is how long a call through in keeps a seat: its hold, the
// default when unset.
func HoldOf(in Integration) time.Duration {
	if in.Hold > 0 {
		return in.Hold
	}
	return DefaultHold
}

// IntegrationUpdate is a change to an integration; nil fields stay.
type IntegrationUpdate struct {
	Mode     *Mode
	Hold     *time.Duration
	MaxSeats *int
}

// Validate checks the fields set.
func (u IntegrationUpdate) Validate() error {
	if u.Mode != nil && !u.Mode.Valid() {
		return licensing.FieldErrorf(licensing.CodeInvalid, "mode", "mode must be enforce, propose or monitor")
	}
	if u.Hold != nil && (*u.Hold < MinHold || *u.Hold > MaxHold) {
		return licensing.FieldErrorf(licensing.CodeInvalid, "hold_seconds", "hold_seconds must be from %d to %d", int(MinHold.Seconds()), int(MaxHold.Seconds()))
	}
	if u.MaxSeats != nil && (*u.MaxSeats < 0 || *u.MaxSeats > 1_000_000) {
		return licensing.FieldErrorf(licensing.CodeInvalid, "max_seats", "max_seats must be from 0 (a tenth of each pool) to 1000000")
	}
	return nil
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

// Proposal states. Confirmed, rejected and superseded are final.
const (
	ProposalPending   ProposalState = "pending"
	ProposalConfirmed ProposalState = "confirmed"
	ProposalRejected  ProposalState = "rejected"
	// ProposalSuperseded closes a proposal whose change the ticket already
	// holds (someone made the move meanwhile): confirming it would change
	// nothing, and it must not wait for an agent forever.
	ProposalSuperseded ProposalState = "superseded"
)

// Valid reports whether s is a known proposal state.
func (s ProposalState) Valid() bool {
	switch s {
	case ProposalPending, ProposalConfirmed, ProposalRejected, ProposalSuperseded:
		return true
	}
	return false
}

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
	// The seats held through it: its hold and cap, the seats it holds now
	// and took in the period, and per pool.
	Hold       time.Duration
	MaxSeats   int
	SeatsHeld  int
	SeatsTaken int
	Seats      []PoolSeats
}

// PoolSeats is the seats of one pool held through an integration.
type PoolSeats struct {
	Pool string
	// Cap is the most it may hold at once; Peak the most it did in the
	// period; HeldNow what it holds now.
	Cap, Peak, HeldNow int
	Taken              int     // seats its calls took in the period
	SeatHours          float64 // seat time held through it in the period
}

// Span is one seat held through an integration; Live when it still is
// (End is then now).
type Span struct {
	Start, End time.Time
	Live       bool
}

// SeatUse sums spans (of one pool) over [from, to): how many started in
// it, the most held at once, the seat-hours inside it, and how many are
// live.
func SeatUse(spans []Span, from, to time.Time) PoolSeats {
	var out PoolSeats
	type edge struct {
		at    time.Time
		delta int
	}
	edges := make([]edge, 0, 2*len(spans))
	for _, sp := range spans {
		if sp.Live {
			out.HeldNow++
		}
		if !sp.Start.Before(from) && sp.Start.Before(to) {
			out.Taken++
		}
		start, end := maxTime(sp.Start, from), minTime(sp.End, to)
		if !end.After(start) {
			continue
		}
		out.SeatHours += end.Sub(start).Hours()
		edges = append(edges, edge{start, 1}, edge{end, -1})
	}
	// Ends sort before starts at one instant: a seat handed on is not two.
	slices.SortFunc(edges, func(a, b edge) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return a.delta - b.delta
	})
	level := 0
	for _, e := range edges {
		level += e.delta
		out.Peak = max(out.Peak, level)
	}
	// The live seats are all held at once now, inside the period when it
	// runs to now (a seat taken this instant has no length yet).
	live := 0
	for _, sp := range spans {
		if sp.Live && !sp.End.Before(from) && !sp.End.After(to) {
			live++
		}
	}
	out.Peak = max(out.Peak, live)
	return out
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
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
