package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/entitle"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/provision"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

// Access-review source filters: a class, or an exact stored source.
const (
	sourceRule  = "rule"
	sourceGroup = "scim-group"
)

// matchedJSON is what of a person a rule's conditions matched.
type matchedJSON struct {
	JobCode      string   `json:"job_code,omitempty"`
	Department   string   `json:"department,omitempty"`
	CostCenter   string   `json:"cost_center,omitempty"`
	EmployeeType string   `json:"employee_type,omitempty"`
	Groups       []string `json:"groups,omitempty"`
}

// whyJSON says why a seat is held: manual (by whom), a rule (which version,
// matching what) or a SCIM group.
type whyJSON struct {
	Kind        string       `json:"kind"`
	GrantedBy   string       `json:"granted_by,omitempty"`
	Rule        string       `json:"rule,omitempty"`
	RuleVersion int          `json:"rule_version,omitempty"`
	RuleDeleted bool         `json:"rule_deleted,omitempty"`
	Matched     *matchedJSON `json:"matched,omitempty"`
	Group       string       `json:"group,omitempty"`
}

// liveLeaseJSON is one concurrent seat a person holds now.
type liveLeaseJSON struct {
	Pool      string    `json:"pool"`
	Since     time.Time `json:"since"`
	ExpiresAt time.Time `json:"expires_at"`
}

// accessRowJSON is one line of the access review.
type accessRowJSON struct {
	UserID      string          `json:"user_id"`
	UserName    string          `json:"user_name"`
	DisplayName string          `json:"display_name"`
	Active      bool            `json:"active"`
	Pool        string          `json:"pool"`
	SKU         string          `json:"sku"`
	Model       string          `json:"model"`
	State       string          `json:"state"`
	Reason      string          `json:"reason,omitempty"`
	Since       time.Time       `json:"since"`
	LastUsed    *time.Time      `json:"last_used,omitempty"`
	Source      string          `json:"source"`
	Why         whyJSON         `json:"why"`
	Leases      []liveLeaseJSON `json:"leases"`
}

// accessReviewJSON is the answer of GET /api/v1/access-review.
type accessReviewJSON struct {
	Rows []accessRowJSON `json:"rows"`
	Next string          `json:"next,omitempty"`
}

// accessFilter reads the review's query; unknown people, pools and SKUs
// are refused (404 naming the field, as GET /api/v1/sessions?user= does)
// rather than answered with an empty review an auditor might take for
// "nobody".
func (s *Server) accessFilter(r *http.Request, defLimit, maxLimit int) (store.AccessFilter, error) {
	ctx, q := r.Context(), r.URL.Query()
	var f store.AccessFilter
	var err error
	if f.Limit, err = queryInt(r, "limit", defLimit, 1, maxLimit); err != nil {
		return f, err
	}
	if v := q.Get("user"); v != "" {
		u, err := s.store.GetUser(ctx, v)
		if err != nil {
			return f, unknownFilter(err, "user", v)
		}
		f.UserID = u.ID
	}
	if f.Pool = q.Get("pool"); f.Pool != "" {
		if _, err := s.store.GetPool(ctx, f.Pool); err != nil {
			return f, unknownFilter(err, "pool", f.Pool)
		}
	}
	if f.SKU = q.Get("sku"); f.SKU != "" {
		if _, err := s.store.GetSKU(ctx, f.SKU); err != nil {
			return f, unknownFilter(err, "sku", f.SKU)
		}
	}
	switch v := q.Get("source"); {
	case v == "", v == licensing.SourceManual:
		f.Source = v
	case v == sourceRule || v == sourceGroup:
		f.SourcePrefix = v + ":"
	case len(v) > len(entitle.SourcePrefix) && strings.HasPrefix(v, entitle.SourcePrefix), len(v) > len(entitle.GroupPrefix) && strings.HasPrefix(v, entitle.GroupPrefix):
		f.Source = v
	default:
		return f, licensing.FieldErrorf(licensing.CodeInvalid, "source", "source must be manual, rule, scim-group, rule:RULE_ID or scim-group:NAME")
	}
	switch f.State = q.Get("state"); f.State {
	case "", licensing.MemberActive, licensing.MemberPending:
	default:
		return f, licensing.FieldErrorf(licensing.CodeInvalid, "state", "state must be active or pending")
	}
	if v := q.Get("after"); v != "" {
		// The pool id comes last and never holds '|'; a user name may.
		i := strings.LastIndexByte(v, '|')
		if i <= 0 || i == len(v)-1 {
			return f, licensing.FieldErrorf(licensing.CodeInvalid, "after", "after must be the next value of a previous page (USER_NAME|POOL)")
		}
		f.AfterUser, f.AfterPool = v[:i], v[i+1:]
	}
	return f, nil
}

// unknownFilter names the field of a filter that names nothing.
func unknownFilter(err error, field, value string) error {
	if licensing.ErrorCode(err) == licensing.CodeNotFound {
		return licensing.FieldErrorf(licensing.CodeNotFound, field, "%s %q not found", field, value)
	}
	return err
}

// accessReview lists who holds what, since when and why (DESIGN §3.7).
// Every view is audited as evidence that access was reviewed.
func (s *Server) accessReview(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f, err := s.accessFilter(r, 500, 5000)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rows, err := s.store.AccessReview(ctx, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out, err := s.accessOut(ctx, rows)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if len(rows) == f.Limit {
		last := rows[len(rows)-1]
		out.Next = last.User.UserName + "|" + last.Member.Pool
	}
	q := r.URL.Query()
	detail, _ := json.Marshal(map[string]any{"user": q.Get("user"), "pool": f.Pool, "sku": f.SKU, "source": q.Get("source"), "state": f.State, "after": q.Get("after"), "rows": len(rows)})
	if err := s.store.RecordEvent(ctx, actorOf(r), "report.view", "report:access-review", "ok", string(detail)); err != nil {
		s.fail(w, r, fmt.Errorf("api: audit access review: %w", err))
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// accessOut explains each row and adds the holders' live leases.
func (s *Server) accessOut(ctx context.Context, rows []store.AccessRow) (accessReviewJSON, error) {
	out := accessReviewJSON{Rows: make([]accessRowJSON, 0, len(rows))}
	if len(rows) == 0 {
		return out, nil
	}
	ex, err := s.explainer(ctx)
	if err != nil {
		return out, err
	}
	leases, err := s.store.LiveLeasesOfUserNames(ctx, rows[0].User.UserName, rows[len(rows)-1].User.UserName)
	if err != nil {
		return out, fmt.Errorf("api: access review leases: %w", err)
	}
	byUser := map[string][]liveLeaseJSON{}
	for _, l := range leases {
		byUser[l.User] = append(byUser[l.User], liveLeaseJSON{Pool: l.Pool, Since: l.StartedAt, ExpiresAt: l.ExpiresAt})
	}
	for _, a := range rows {
		m := a.Member
		j := accessRowJSON{UserID: a.User.ID, UserName: a.User.UserName, DisplayName: a.User.DisplayName, Active: a.User.Active,
			Pool: m.Pool, SKU: a.SKU, Model: string(a.Model), State: m.State, Reason: m.Reason, Since: m.Since, Source: m.Source,
			Why: ex.why(a.User, m), Leases: byUser[a.User.ID]}
		if j.Leases == nil {
			j.Leases = []liveLeaseJSON{}
		}
		if !m.LastUsed.IsZero() {
			j.LastUsed = &m.LastUsed
		}
		out.Rows = append(out.Rows, j)
	}
	return out, nil
}

// explainer knows every rule ever stored, deleted ones too: a seat may
// outlive its rule until reconciliation revokes it.
type explainer struct{ rules map[string]*ruleMatcher }

// ruleMatcher holds a rule and one single-condition Set per field, so the
// entitle package itself says which of a person's values match.
type ruleMatcher struct {
	rule                          entitle.Rule
	deleted                       bool
	job, dept, cost, etype, group *entitle.Set
}

func (s *Server) explainer(ctx context.Context) (*explainer, error) {
	recs, err := s.store.RulesEver(ctx)
	if err != nil {
		return nil, err
	}
	ex := &explainer{rules: make(map[string]*ruleMatcher, len(recs))}
	for _, rec := range recs {
		rule, err := provision.FromRecord(rec.RuleRecord)
		if err != nil {
			return nil, fmt.Errorf("api: access review: %w", err)
		}
		c := rule.When
		ex.rules[rule.ID] = &ruleMatcher{rule: rule, deleted: rec.Deleted,
			job: single(entitle.Condition{JobCode: c.JobCode}), dept: single(entitle.Condition{Department: c.Department}),
			cost: single(entitle.Condition{CostCenter: c.CostCenter}), etype: single(entitle.Condition{EmployeeType: c.EmployeeType}),
			group: single(entitle.Condition{Group: c.Group})}
	}
	return ex, nil
}

// single compiles a one-condition rule, or nil when the condition is empty
// (or, for a stored rule gone bad, does not compile: it then matches nothing).
func single(c entitle.Condition) *entitle.Set {
	if c.Empty() {
		return nil
	}
	set, err := entitle.Compile([]entitle.Rule{{ID: "match", When: c, Grant: []entitle.Grant{{SKU: "match"}}, Enabled: true}})
	if err != nil {
		return nil
	}
	return set
}

// matches reports whether set accepts a probe person carrying only the
// attributes probe sets (active, so entitle does not skip them).
func matches(set *entitle.Set, probe licensing.User) bool {
	probe.Active, probe.Kind = true, licensing.KindPerson
	return set != nil && len(set.Evaluate(probe)) > 0
}

func (ex *explainer) why(u licensing.User, m licensing.Member) whyJSON {
	if m.Source == licensing.SourceManual {
		return whyJSON{Kind: "manual", GrantedBy: m.GrantedBy}
	}
	if g, ok := entitle.GroupOf(m.Source); ok {
		return whyJSON{Kind: sourceGroup, Group: g}
	}
	id, ok := entitle.RuleOf(m.Source)
	if !ok {
		return whyJSON{Kind: m.Source, GrantedBy: m.GrantedBy}
	}
	w := whyJSON{Kind: sourceRule, Rule: id}
	rm := ex.rules[id]
	if rm == nil {
		return w
	}
	w.RuleVersion, w.RuleDeleted = rm.rule.Version, rm.deleted
	var mt matchedJSON
	if matches(rm.job, licensing.User{JobCode: u.JobCode}) {
		mt.JobCode = u.JobCode
	}
	if matches(rm.dept, licensing.User{Department: u.Department}) {
		mt.Department = u.Department
	}
	if matches(rm.cost, licensing.User{CostCenter: u.CostCenter}) {
		mt.CostCenter = u.CostCenter
	}
	if matches(rm.etype, licensing.User{EmployeeType: u.EmployeeType}) {
		mt.EmployeeType = u.EmployeeType
	}
	for _, g := range u.Groups {
		if matches(rm.group, licensing.User{Groups: []string{g}}) {
			mt.Groups = append(mt.Groups, g)
		}
	}
	w.Matched = &mt
	return w
}
