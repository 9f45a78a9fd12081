package desk

import "time"

// ApprovalState is where an approval is.
type ApprovalState string

// Approval states.
const (
	ApprovalPending  ApprovalState = "pending"
	ApprovalApproved ApprovalState = "approved"
	ApprovalRejected ApprovalState = "rejected"
)

// Valid reports whether s is a known approval state.
func (s ApprovalState) Valid() bool {
	return s == ApprovalPending || s == ApprovalApproved || s == ApprovalRejected
}

// Approval is a person asked to approve a ticket, and their answer.
type Approval struct {
	ID          string
	Ticket      string // ticket id
	TicketSeq   int64
	TicketTitle string
	TicketKind  Kind
	Approver    string // user id
	// ApproverName and RequestedBy are user names.
	ApproverName string
	RequestedBy  string
	State        ApprovalState
	Comment      string
	CreatedAt    time.Time
	DecidedAt    time.Time
}

// ApprovalFilter selects approvals.
type ApprovalFilter struct {
	Approver string // user id
	Ticket   string // ticket id
	State    ApprovalState
	Limit    int
}
