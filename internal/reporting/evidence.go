package reporting

import (
	"context"
	"errors"
	"sort"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/audit"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

// Control is one audit framework control the evidence pack answers.
type Control struct {
	ID        string   `json:"id"`
	Framework string   `json:"framework"`
	Title     string   `json:"title"`
	Evidence  []string `json:"evidence"` // the sections of the pack that answer it
}

// Controls lays the pack out against SOC 2 and ISO 27001.
var Controls = []Control{
	{ID: "CC6.1", Framework: "SOC 2", Title: "Logical access is restricted to authorised people, through identified accounts", Evidence: []string{"holdings", "integrations"}},
	{ID: "CC6.2", Framework: "SOC 2", Title: "Access is granted on authorisation, and registered", Evidence: []string{"grants", "holdings"}},
	{ID: "CC6.3", Framework: "SOC 2", Title: "Access is changed and removed when roles change or people leave", Evidence: []string{"revocations", "leavers"}},
	{ID: "A.5.18", Framework: "ISO 27001", Title: "Access rights are provisioned, reviewed, modified and removed", Evidence: []string{"holdings", "grants", "revocations", "leavers"}},
	{ID: "A.8.15", Framework: "ISO 27001", Title: "Logs of activities are produced, kept, protected and analysed", Evidence: []string{"audit"}},
}

// HeldSeat is one row of who holds what and why.
type HeldSeat struct {
	User       string    `json:"user"`
	Name       string    `json:"display_name"`
	Active     bool      `json:"active"`
	Pool       string    `json:"pool"`
	SKU        string    `json:"sku"`
	Model      string    `json:"model"`
	State      string    `json:"state"`
	Source     string    `json:"source"` // manual, rule:ID, scim-group:NAME
	GrantedBy  string    `json:"granted_by"`
	Since      time.Time `json:"since"`
	JobCode    string    `json:"job_code"`
	Department string    `json:"department"`
}

// Change is a grant or revocation in the period.
type Change struct {
	At     time.Time `json:"at"`
	Kind   string    `json:"kind"` // grant or revoke
	User   string    `json:"user"`
	Pool   string    `json:"pool"`
	SKU    string    `json:"sku"`
	Source string    `json:"source"`
	By     string    `json:"by"`
	Reason string    `json:"reason,omitempty"`
}

// LeaverRow times one leaver.
type LeaverRow struct {
	User            string     `json:"user"`
	Kind            string     `json:"kind"` // deactivate, delete (SCIM), csv-deactivate, csv-missing
	ReceivedAt      time.Time  `json:"received_at"`
	RevokedAt       *time.Time `json:"revoked_at"` // null while in progress
	SecondsToRevoke float64    `json:"seconds_to_revoke"`
}

// ActingRow is an integration's use on behalf of one person.
type ActingRow struct {
	Integration    string `json:"integration"`
	Mode           string `json:"mode"`
	ServiceAccount string `json:"service_account"`
	ActingUser     string `json:"acting_user"`
	Resolved       bool   `json:"resolved"`
	Calls          int    `json:"calls"`
	Fulfiller      int    `json:"fulfiller_actions"`
	Unlicensed     int    `json:"unlicensed_fulfiller_actions"`
}

// AuditChain is the chain's state, so an auditor can check any entry.
type AuditChain struct {
	Verified bool   `json:"verified"`
	Entries  int64  `json:"entries"`
	HeadSeq  int64  `json:"head_seq"`
	HeadHash string `json:"head_hash"`
	// InPeriod counts the entries written in the report's period.
	InPeriod int64  `json:"in_period"`
	Problem  string `json:"problem,omitempty"`
	BadSeq   int64  `json:"bad_seq,omitempty"`
}

// EvidenceReport is the access-review evidence pack.
type EvidenceReport struct {
	Header
	Controls     []Control   `json:"controls"`
	Holdings     []HeldSeat  `json:"holdings"`
	Grants       []Change    `json:"grants"`
	Revocations  []Change    `json:"revocations"`
	Leavers      []LeaverRow `json:"leavers"`
	LeaverP50    float64     `json:"leaver_p50_seconds"`
	LeaverMax    float64     `json:"leaver_max_seconds"`
	Integrations []ActingRow `json:"integrations"`
	Audit        AuditChain  `json:"audit"`
}

// Evidence builds the pack: the snapshot's holdings and the period's
// changes, leavers and integration use, then the audit chain verified.
func (s *Service) Evidence(ctx context.Context, q Query) (*EvidenceReport, error) {
	if q.Pool != "" {
		// An unknown pool is not_found, as in the other reports, not an
		// empty pack that reads as "nobody holds anything".
		if _, err := s.Store.GetPool(ctx, q.Pool); err != nil {
			if licensing.ErrorCode(err) == licensing.CodeNotFound {
				return nil, licensing.FieldErrorf(licensing.CodeNotFound, "pool", "pool %q not found", q.Pool)
			}
			return nil, err
		}
	}
	d, err := s.Store.EvidenceData(ctx, q.From, q.To)
	if err != nil {
		return nil, err
	}
	out := evidenceFrom(d, q)
	n, verr := s.Store.VerifyAudit(ctx)
	out.Audit.Entries, out.Audit.Verified = n, verr == nil
	if verr != nil {
		var ce *audit.ChainError
		if !errors.As(verr, &ce) {
			return nil, verr
		}
		out.Audit.Problem, out.Audit.BadSeq = ce.Error(), ce.Seq
	}
	return out, nil
}

func evidenceFrom(d store.EvidenceData, q Query) *EvidenceReport {
	out := &EvidenceReport{Header: Header{Report: Evidence, From: q.From, To: q.To, Pool: q.Pool, TakenAt: d.Now}, Controls: Controls,
		Holdings: []HeldSeat{}, Grants: []Change{}, Revocations: []Change{}, Leavers: []LeaverRow{}, Integrations: []ActingRow{},
		Audit: AuditChain{HeadSeq: d.AuditHeadSeq, HeadHash: d.AuditHeadHash, InPeriod: d.AuditInPeriod}}
	for _, a := range d.Access {
		if q.Pool != "" && a.Member.Pool != q.Pool {
			continue
		}
		out.Holdings = append(out.Holdings, HeldSeat{User: a.User.UserName, Name: a.User.DisplayName, Active: a.User.Active, Pool: a.Member.Pool,
			SKU: a.SKU, Model: string(a.Model), State: a.Member.State, Source: a.Member.Source, GrantedBy: a.Member.GrantedBy, Since: a.Member.Since,
			JobCode: a.User.JobCode, Department: a.User.Department})
	}
	in := func(t time.Time) bool { return !t.Before(q.From) && t.Before(q.To) }
	for _, c := range d.Changes {
		if q.Pool != "" && c.Pool != q.Pool {
			continue
		}
		if in(c.Since) {
			out.Grants = append(out.Grants, Change{At: c.Since, Kind: "grant", User: c.User, Pool: c.Pool, SKU: c.SKU, Source: c.Source, By: c.GrantedBy})
		}
		if !c.RevokedAt.IsZero() && in(c.RevokedAt) {
			out.Revocations = append(out.Revocations, Change{At: c.RevokedAt, Kind: "revoke", User: c.User, Pool: c.Pool, SKU: c.SKU, Source: c.Source, By: c.RevokedBy, Reason: c.RevokeReason})
		}
	}
	sort.SliceStable(out.Revocations, func(i, j int) bool { return out.Revocations[i].At.Before(out.Revocations[j].At) })
	var took []float64
	for _, l := range d.Leavers {
		r := LeaverRow{User: l.UserName, Kind: l.Kind, ReceivedAt: l.ReceivedAt}
		if !l.RevokedAt.IsZero() {
			at := l.RevokedAt
			r.RevokedAt = &at
			r.SecondsToRevoke = at.Sub(l.ReceivedAt).Seconds()
			took = append(took, r.SecondsToRevoke)
		}
		out.Leavers = append(out.Leavers, r)
	}
	sort.Float64s(took)
	out.LeaverP50 = quantile(took, 0.5)
	if len(took) > 0 {
		out.LeaverMax = took[len(took)-1]
	}
	for _, a := range d.Acting {
		out.Integrations = append(out.Integrations, ActingRow{Integration: a.Integration, Mode: a.Mode, ServiceAccount: a.ServiceAccount,
			ActingUser: a.ActingUser, Resolved: a.Resolved, Calls: a.Calls, Fulfiller: a.Fulfiller, Unlicensed: a.Unlicensed})
	}
	return out
}
