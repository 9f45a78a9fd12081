// Package desk is Seatkeeper's service-desk core: tickets with their state
// machine, comments, work notes and history, the knowledge base, and the
// integrations whose calls act on behalf of people. Its types are free of
// HTTP and SQL; the Service decides every action through the licensing
// engine before the store changes anything.
package desk

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// State is where a ticket is in its life.
type State string

// Ticket states (new → in progress → on hold → resolved → closed; reopen).
const (
	StateNew        State = "new"
	StateInProgress State = "in_progress"
	StateOnHold     State = "on_hold"
	StateResolved   State = "resolved"
	StateClosed     State = "closed"
)

// States lists every state in life order.
var States = []State{StateNew, StateInProgress, StateOnHold, StateResolved, StateClosed}

// next is the state machine. Resolved may go back to in progress (reopen);
// closed is final.
var next = map[State][]State{
	StateNew:        {StateInProgress, StateOnHold, StateResolved},
	StateInProgress: {StateOnHold, StateResolved},
	StateOnHold:     {StateInProgress, StateResolved},
	StateResolved:   {StateClosed, StateInProgress},
	StateClosed:     nil,
}

// Valid reports whether s is a known state.
func (s State) Valid() bool { _, ok := next[s]; return ok }

// Next returns the states s may move to.
func (s State) Next() []State { return next[s] }

// CheckTransition refuses a move the state machine does not allow.
func CheckTransition(from, to State) error {
	if !to.Valid() {
		return licensing.FieldErrorf(licensing.CodeInvalid, "to", "state must be one of new, in_progress, on_hold, resolved, closed")
	}
	for _, s := range next[from] {
		if s == to {
			return nil
		}
	}
	return licensing.FieldErrorf(licensing.CodeConflict, "to", "a ticket cannot move from %s to %s", from, to)
}

// Priority orders the queue.
type Priority string

// Priorities, most urgent first.
const (
	PriorityCritical Priority = "critical"
	PriorityHigh     Priority = "high"
	PriorityMedium   Priority = "medium"
	PriorityLow      Priority = "low"
)

// Valid reports whether p is a known priority.
func (p Priority) Valid() bool {
	switch p {
	case PriorityCritical, PriorityHigh, PriorityMedium, PriorityLow:
		return true
	}
	return false
}

// Kind tells an incident (or request) from a change: a change ticket is
// created and implemented under the change module.
type Kind string

// Ticket kinds.
const (
	KindIncident Kind = "incident"
	KindChange   Kind = "change"
)

// Valid reports whether k is a known ticket kind.
func (k Kind) Valid() bool { return k == KindIncident || k == KindChange }

// CreateCapability is the capability creating a ticket of kind k needs.
func (k Kind) CreateCapability() string {
	if k == KindChange {
		return "change.create"
	}
	return "ticket.create"
}

// Ticket is an incident, request or change.
type Ticket struct {
	ID   string
	Seq  int64
	Kind Kind
	// Asset is the tag of the asset the ticket concerns, "" when none.
	Asset         string
	Title         string
	Description   string
	Requester     string // user id
	RequesterName string // user name
	Assignee      string // user id, "" when unassigned
	AssigneeName  string
	Priority      Priority
	Category      string
	State         State
	CreatedAt     time.Time
	UpdatedAt     time.Time
	// Version increases with every change (optimistic checks, ETags).
	Version int64

	// Filled by GetTicket only.
	Comments  []Note
	WorkNotes []Note
	History   []HistoryEntry
	Approvals []Approval
}

// Number is the ticket's human number, e.g. INC-000123.
func (t Ticket) Number() string { return FormatNumber(t.Seq) }

// FormatNumber formats a ticket sequence number.
func FormatNumber(seq int64) string { return fmt.Sprintf("INC-%06d", seq) }

// ParseNumber reads "INC-000123" (case-insensitive) back to 123.
func ParseNumber(s string) (int64, bool) {
	if len(s) < 5 || !strings.EqualFold(s[:4], "INC-") {
		return 0, false
	}
	var n int64
	for _, c := range s[4:] {
		if c < '0' || c > '9' || n > 1e15 {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, n > 0
}

// NoteKind tells a public comment from an internal work note.
type NoteKind string

// Note kinds.
const (
	KindComment  NoteKind = "comment"
	KindWorkNote NoteKind = "work_note"
)

// Note is a comment or work note.
type Note struct {
	ID     string
	Ticket string
	Kind   NoteKind
	// Author is who wrote it: a person's user name, or the service account's.
	Author   string
	AuthorID string
	// ActingUser and Via are set when an integration wrote on a person's
	// behalf: the person (or the raw value, marked unverified) and the
	// integration's name.
	ActingUser string
	Via        string
	Body       string
	At         time.Time
}

// HistoryEntry is one recorded change of a ticket field.
type HistoryEntry struct {
	At         time.Time
	Actor      string
	ActingUser string
	Via        string
	Field      string
	From       string
	To         string
}

// TicketFilter selects tickets for a queue or a requester's list.
type TicketFilter struct {
	Requester string  // user id
	Assignee  string  // user id; "none" for unassigned
	States    []State // any of
	Priority  Priority
	Category  string
	Text      string // in title or description
	// Before pages by sequence number (newest first: tickets with Seq <
	// Before).
	Before int64
	Limit  int
}

// Limits on ticket input, checked before anything is stored.
const (
	MaxTitle       = 200
	MaxDescription = 20000
	MaxBody        = 20000
	MaxCategory    = 64
)

// NewTicket is what a requester submits.
type NewTicket struct {
	Kind        Kind // "" is an incident
	Title       string
	Description string
	Category    string
	Priority    Priority
}

// Validate checks and normalises a submission.
func (n *NewTicket) Validate() error {
	n.Title, n.Category = strings.TrimSpace(n.Title), strings.ToLower(strings.TrimSpace(n.Category))
	switch {
	case n.Title == "":
		return licensing.FieldErrorf(licensing.CodeInvalid, "title", "title is required")
	case len(n.Title) > MaxTitle:
		return licensing.FieldErrorf(licensing.CodeInvalid, "title", "title is longer than %d bytes", MaxTitle)
	case len(n.Description) > MaxDescription:
		return licensing.FieldErrorf(licensing.CodeInvalid, "description", "description is longer than %d bytes", MaxDescription)
	case len(n.Category) > MaxCategory:
		return licensing.FieldErrorf(licensing.CodeInvalid, "category", "category is longer than %d bytes", MaxCategory)
	}
	if n.Kind == "" {
		n.Kind = KindIncident
	}
	if !n.Kind.Valid() {
		return licensing.FieldErrorf(licensing.CodeInvalid, "kind", "kind must be incident or change")
	}
	if n.Priority == "" {
		n.Priority = PriorityMedium
	}
	if !n.Priority.Valid() {
		return licensing.FieldErrorf(licensing.CodeInvalid, "priority", "priority must be critical, high, medium or low")
	}
	if n.Category == "" {
		n.Category = "general"
	}
	return nil
}

// Change is one change to a ticket: any of the fields set, plus a note.
// The store applies it in one transaction, recording history for each field
// that really changed. Proposals hold a Change until an agent confirms it.
type Change struct {
	State    State    `json:"state,omitempty"`
	Assignee *string  `json:"assignee,omitempty"` // user id; "" unassigns
	Priority Priority `json:"priority,omitempty"`
	Category string   `json:"category,omitempty"`
	Asset    *string  `json:"asset,omitempty"` // asset tag; "" unlinks
	Note     *Note    `json:"note,omitempty"`
}

// Capability returns the capability the change needs from its author.
func (c Change) Capability() string {
	switch {
	case c.State != "":
		return "ticket.transition"
	case c.Assignee != nil:
		return "ticket.assign"
	case c.Asset != nil:
		return "asset.assign"
	case c.Priority != "" || c.Category != "":
		return "ticket.update"
	case c.Note != nil && c.Note.Kind == KindWorkNote:
		return "ticket.work_note"
	}
	return "ticket.comment"
}

// CapabilityFor returns the capability the change needs on a ticket of
// kind k: moving a change ticket is implementing it (change module).
func (c Change) CapabilityFor(k Kind) string {
	if k == KindChange && c.State != "" {
		return "change.implement"
	}
	return c.Capability()
}

var assetTag = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// ValidAssetTag reports whether s is an asset tag: 1 to 64 of A-Z a-z 0-9 . _ -.
func ValidAssetTag(s string) bool { return assetTag.MatchString(s) }

// ValidateBody checks a comment or work note body.
func ValidateBody(body string) (string, error) {
	body = strings.TrimSpace(body)
	if body == "" {
		return "", licensing.FieldErrorf(licensing.CodeInvalid, "body", "body is required")
	}
	if len(body) > MaxBody {
		return "", licensing.FieldErrorf(licensing.CodeInvalid, "body", "body is longer than %d bytes", MaxBody)
	}
	return body, nil
}
