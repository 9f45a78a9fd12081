package desk

import (
	"context"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// By says who makes a change, for the ticket's history and notes and for
// the audit log.
type By struct {
	// Actor is the audit actor: the person, or the integration's service
	// account with the acting person.
	Actor licensing.Actor
	// User and UserName are the author: the person, or the service account.
	User     string
	UserName string
	// Via names the integration and ActingUser the person it acted for (the
	// raw value, marked unverified, when it matched nobody).
	Via        string
	ActingUser string
	// Stamp, when set, is added to the ticket as a work note in the same
	// transaction ("… via slack-hub on behalf of Jane Doe (E12345)").
	Stamp string
	// Call, when set, is recorded for the multiplexing report in the same
	// transaction.
	Call *Call
}

// Store is what the desk needs from storage. Every method is one
// transaction that also writes its audit entry.
type Store interface {
	// CreateTicket stores a new ticket for requester (a user id) and
	// assigns its number; the answer carries no notes or history.
	CreateTicket(ctx context.Context, by By, requester string, n NewTicket) (Ticket, error)
	// GetTicket finds a ticket by id or number, with its comments, work
	// notes and history.
	GetTicket(ctx context.Context, key string) (Ticket, error)
	// PeekTicket is GetTicket without notes and history.
	PeekTicket(ctx context.Context, key string) (Ticket, error)
	// ListTickets returns tickets newest first, without notes.
	ListTickets(ctx context.Context, f TicketFilter) ([]Ticket, error)
	// ChangeTicket applies ch (checking the state machine against the
	// locked row), recording history for each field that changed; the
	// answer carries no notes or history.
	ChangeTicket(ctx context.Context, by By, key string, ch Change) (Ticket, error)

	// RequestApproval asks approver (a user id) to approve the ticket
	// behind key, with a history row and the audit entry.
	RequestApproval(ctx context.Context, by By, key, approver string) (Approval, error)
	GetApproval(ctx context.Context, id string) (Approval, error)
	// ListApprovals returns approvals newest first.
	ListApprovals(ctx context.Context, f ApprovalFilter) ([]Approval, error)
	// AnswerApproval approves or rejects a pending approval (409 conflict
	// when it was answered already).
	AnswerApproval(ctx context.Context, by By, id string, approve bool, comment string) (Approval, error)

	CreateArticle(ctx context.Context, by By, a Article) (Article, error)
	UpdateArticle(ctx context.Context, by By, a Article) (Article, error)
	DeleteArticle(ctx context.Context, by By, id string) error
	GetArticle(ctx context.Context, id string) (Article, error)
	ListArticles(ctx context.Context) ([]Article, error)

	// CreateIntegration makes the service account (kind service), its
	// integration-scoped token and the integration; the token's secret is
	// returned once.
	CreateIntegration(ctx context.Context, a licensing.Actor, name string, mode Mode) (Integration, string, error)
	// GetIntegration finds one by id or name.
	GetIntegration(ctx context.Context, key string) (Integration, error)
	IntegrationByToken(ctx context.Context, tokenID string) (Integration, error)
	ListIntegrations(ctx context.Context) ([]Integration, error)
	SetIntegrationMode(ctx context.Context, a licensing.Actor, key string, mode Mode) (Integration, error)
	// UpdateIntegration changes its mode, seat hold or seat cap.
	UpdateIntegration(ctx context.Context, a licensing.Actor, key string, u IntegrationUpdate) (Integration, error)
	// DeleteIntegration revokes its token and removes it; its calls stay
	// in the report.
	DeleteIntegration(ctx context.Context, a licensing.Actor, key string) error
	// RecordCall records a refused integration call (with its audit entry
	// and denial).
	RecordCall(ctx context.Context, by By) error

	// CreateProposal holds ch for ticket key until an agent decides.
	CreateProposal(ctx context.Context, by By, key string, ch Change) (Proposal, error)
	GetProposal(ctx context.Context, id string) (Proposal, error)
	ListProposals(ctx context.Context, state ProposalState, limit int) ([]Proposal, error)
	// DecideProposal confirms (applying its change as by) or rejects a
	// pending proposal.
	DecideProposal(ctx context.Context, by By, id string, confirm bool, reason string) (Proposal, Ticket, error)

	MultiplexingReport(ctx context.Context, from, to time.Time) (MultiplexingReport, error)
	// RecordEvent audits something that changes nothing else (a report
	// viewed).
	RecordEvent(ctx context.Context, a licensing.Actor, action, subject, result, detail string) error
}

// SeatReader reads what the console shows about a person's seat.
type SeatReader interface {
	QueuePosition(ctx context.Context, pool, user string) (int, error)
	PoolFree(ctx context.Context, pool string) (int, error)
}
