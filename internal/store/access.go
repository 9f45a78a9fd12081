package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// AccessFilter narrows AccessReview. Empty fields do not filter.
type AccessFilter struct {
	UserID string
	Pool   string
	SKU    string
	State  string
	// Source is matched exactly, SourcePrefix as a prefix ("rule:",
	// "scim-group:"); at most one of them is set.
	Source       string
	SourcePrefix string
	// AfterUser (a user_name, any case) and AfterPool continue after that
	// row of the (user_name, pool) order.
	AfterUser string
	AfterPool string
	// Limit bounds the rows; 0 means all.
	Limit int
}

// AccessRow is one current membership (active or pending) with the holder's
// identity and attributes, for the access review: who holds what, since
// when and why.
type AccessRow struct {
	User   licensing.User
	Member licensing.Member
	SKU    string
	Model  licensing.Model
}

// One query string whatever the filter, so the statement is prepared once.
const accessQuery = `SELECT u.id, u.user_name, u.display_name, u.active, u.job_code, u.department, u.cost_center, u.employee_type, u.groups,
	m.pool_id, p.sku, p.model, m.source, m.state, m.reason, m.granted_by, m.since,
	COALESCE((SELECT MAX(l.started_at) FROM leases l WHERE l.user_id = m.user_id AND l.pool_id = m.pool_id), 0)
	FROM members m JOIN users u ON u.id = m.user_id JOIN pools p ON p.id = m.pool_id
	WHERE m.revoked_at = 0
	AND (? = '' OR m.user_id = ?) AND (? = '' OR m.pool_id = ?) AND (? = '' OR p.sku = ?) AND (? = '' OR m.state = ?)
	AND (? = '' OR m.source = ?) AND (? = '' OR substr(m.source, 1, ?) = ?)
	AND (u.user_name_lower > ? OR (u.user_name_lower = ? AND m.pool_id > ?))
	ORDER BY u.user_name_lower, m.pool_id LIMIT ?`

// AccessReview lists current memberships ordered by (user_name, pool), which
// is unique, so AfterUser/AfterPool page through it stably.
func (s *Store) AccessReview(ctx context.Context, f AccessFilter) ([]AccessRow, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = math.MaxInt32
	}
	after := licensing.FoldKey(f.AfterUser)
	rows, err := s.readRows(ctx, accessQuery, f.UserID, f.UserID, f.Pool, f.Pool, f.SKU, f.SKU, f.State, f.State,
		f.Source, f.Source, f.SourcePrefix, len(f.SourcePrefix), f.SourcePrefix, after, after, f.AfterPool, limit)
	if err != nil {
		return nil, fmt.Errorf("store: access review: %w", err)
	}
	return scanAccess(rows)
}

// scanAccess reads accessQuery's rows.
func scanAccess(rows *sql.Rows) ([]AccessRow, error) {
	defer rows.Close()
	out := []AccessRow{}
	for rows.Next() {
		var a AccessRow
		var groups, model string
		var since, used int64
		u, m := &a.User, &a.Member
		if err := rows.Scan(&u.ID, &u.UserName, &u.DisplayName, &u.Active, &u.JobCode, &u.Department, &u.CostCenter, &u.EmployeeType, &groups,
			&m.Pool, &a.SKU, &model, &m.Source, &m.State, &m.Reason, &m.GrantedBy, &since, &used); err != nil {
			return nil, fmt.Errorf("store: access review: %w", err)
		}
		if err := json.Unmarshal([]byte(groups), &u.Groups); err != nil {
			return nil, fmt.Errorf("store: user %s groups: %w", u.ID, err)
		}
		m.User, m.UserName, a.Model = u.ID, u.UserName, licensing.Model(model)
		m.Since, m.LastUsed = fromMicro(since), fromMicro(used)
		out = append(out, a)
	}
	return out, rows.Err()
}

// LiveLeasesOfUserNames lists the live leases of the people whose user names
// lie in [first, last] (any case), by person then start: the leases of one
// access-review page in one query.
func (s *Store) LiveLeasesOfUserNames(ctx context.Context, first, last string) ([]licensing.Lease, error) {
	return s.listLeases(ctx, `ended_at = 0 AND user_id IN (SELECT id FROM users WHERE user_name_lower >= ? AND user_name_lower <= ?)`,
		licensing.FoldKey(first), licensing.FoldKey(last))
}

// StoredRule is a rule as last stored, deleted or not.
type StoredRule struct {
	RuleRecord
	Deleted bool
}

// RulesEver returns every rule ever created, deleted ones with the last body
// they had (and that body's version): a seat may outlive the rule that
// granted it until reconciliation revokes it, and the review must still say
// why it was granted.
func (s *Store) RulesEver(ctx context.Context) ([]StoredRule, error) {
	rows, err := s.readRows(ctx, `SELECT `+ruleCols+`, deleted_at FROM rules ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("store: rules ever: %w", err)
	}
	defer rows.Close()
	out := []StoredRule{}
	for rows.Next() {
		var r StoredRule
		var body string
		var created, updated, deleted int64
		if err := rows.Scan(&r.ID, &r.Version, &r.Priority, &body, &r.Enabled, &created, &updated, &deleted); err != nil {
			return nil, fmt.Errorf("store: rules ever: %w", err)
		}
		r.Body, r.CreatedAt, r.UpdatedAt, r.Deleted = []byte(body), fromMicro(created), fromMicro(updated), deleted != 0
		if r.Deleted {
			// DeleteRule bumps the version but keeps the body it retires.
			r.Version--
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
