package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// KeyRules is the change key of any rule write: reconcilers reload the rules.
const KeyRules = "rules"

// RuleRecord is an entitlement rule as stored. The body is the rule's JSON,
// whose shape the entitle package owns; the store checks only that it is
// JSON.
type RuleRecord struct {
	ID        string
	Version   int // starts at 1; every update or delete adds one
	Priority  int
	Enabled   bool
	Body      []byte
	CreatedAt time.Time
	UpdatedAt time.Time
}

// RuleVersion is one entry of a rule's history. A deletion is recorded as a
// version whose body is JSON null.
type RuleVersion struct {
	RuleID    string
	Version   int
	Body      []byte
	ChangedBy string
	At        time.Time
}

const ruleCols = `id, version, priority, body, enabled, created_at, updated_at`

func scanRule(r rowScanner) (RuleRecord, error) {
	var rr RuleRecord
	var body string
	var created, updated int64
	err := r.Scan(&rr.ID, &rr.Version, &rr.Priority, &body, &rr.Enabled, &created, &updated)
	rr.Body, rr.CreatedAt, rr.UpdatedAt = []byte(body), fromMicro(created), fromMicro(updated)
	return rr, err
}

func validateRule(r *RuleRecord) error {
	r.ID = strings.TrimSpace(r.ID)
	if r.ID == "" {
		return licensing.FieldErrorf(licensing.CodeInvalid, "id", "a rule needs an id")
	}
	if len(r.Body) == 0 || !json.Valid(r.Body) {
		return licensing.FieldErrorf(licensing.CodeInvalid, "body", "the rule body must be JSON")
	}
	return nil
}

// GetRule returns a rule that is not deleted. Codes: CodeNotFound.
func (s *Store) GetRule(ctx context.Context, id string) (RuleRecord, error) {
	r, err := scanRule(s.readRow(ctx, `SELECT `+ruleCols+` FROM rules WHERE id = ? AND deleted_at = 0`, id))
	if err == sql.ErrNoRows {
		return r, notFound("rule", id)
	}
	if err != nil {
		return r, fmt.Errorf("store: get rule: %w", err)
	}
	return r, nil
}

// ListRules returns the rules that are not deleted, highest priority first,
// then by id.
func (s *Store) ListRules(ctx context.Context) ([]RuleRecord, error) {
	rows, err := s.readRows(ctx, `SELECT `+ruleCols+` FROM rules WHERE deleted_at = 0 ORDER BY priority DESC, id`)
	if err != nil {
		return nil, fmt.Errorf("store: list rules: %w", err)
	}
	defer rows.Close()
	out := []RuleRecord{}
	for rows.Next() {
		r, err := scanRule(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list rules: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// RuleVersions returns a rule's history, oldest first, deletions included.
func (s *Store) RuleVersions(ctx context.Context, id string) ([]RuleVersion, error) {
	rows, err := s.readRows(ctx, `SELECT rule_id, version, body, changed_by, at FROM rule_versions WHERE rule_id = ? ORDER BY version`, id)
	if err != nil {
		return nil, fmt.Errorf("store: rule versions: %w", err)
	}
	defer rows.Close()
	out := []RuleVersion{}
	for rows.Next() {
		var v RuleVersion
		var body string
		var at int64
		if err := rows.Scan(&v.RuleID, &v.Version, &body, &v.ChangedBy, &at); err != nil {
			return nil, fmt.Errorf("store: rule versions: %w", err)
		}
		v.Body, v.At = []byte(body), fromMicro(at)
		out = append(out, v)
	}
	return out, rows.Err()
}

func (t *tx) ruleVersion(a licensing.Actor, id string, version int, body []byte) error {
	if _, err := t.exec(`INSERT INTO rule_versions (rule_id, version, body, changed_by, at) VALUES (?, ?, ?, ?, ?)`, id, version, string(body), a.Name, micro(t.now)); err != nil {
		return fmt.Errorf("store: rule version: %w", err)
	}
	t.changed(KeyRules)
	return nil
}

// CreateRule adds a rule at version 1, or brings back a deleted one under a
// new version, audited as rule.create. Codes: CodeInvalid, CodeConflict (a
// live rule has the id).
func (s *Store) CreateRule(ctx context.Context, a licensing.Actor, r RuleRecord) (RuleRecord, error) {
	if err := validateRule(&r); err != nil {
		return r, err
	}
	err := s.write(ctx, func(t *tx) error {
		var version int
		var deleted int64
		err := t.queryRow(`SELECT version, deleted_at FROM rules WHERE id = ?`+t.s.d.ForUpdate, r.ID).Scan(&version, &deleted)
		switch {
		case err == sql.ErrNoRows:
			r.Version = 1
			_, err = t.exec(`INSERT INTO rules (id, version, priority, body, enabled, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
				r.ID, r.Version, r.Priority, string(r.Body), b2i(r.Enabled), micro(t.now), micro(t.now))
		case err != nil:
		case deleted == 0:
			return licensing.FieldErrorf(licensing.CodeConflict, "id", "rule %q already exists", r.ID)
		default:
			r.Version = version + 1
			_, err = t.exec(`UPDATE rules SET version = ?, priority = ?, body = ?, enabled = ?, created_at = ?, updated_at = ?, deleted_at = 0 WHERE id = ?`,
				r.Version, r.Priority, string(r.Body), b2i(r.Enabled), micro(t.now), micro(t.now), r.ID)
		}
		if err != nil {
			if t.s.d.IsUnique(err) {
				return licensing.FieldErrorf(licensing.CodeConflict, "id", "rule %q already exists", r.ID)
			}
			return fmt.Errorf("store: create rule: %w", err)
		}
		r.CreatedAt, r.UpdatedAt = t.now, t.now
		if err := t.ruleVersion(a, r.ID, r.Version, r.Body); err != nil {
			return err
		}
		return t.record(a, "rule.create", "rule:"+r.ID, "ok", string(mustJSON(map[string]any{"version": r.Version, "priority": r.Priority, "enabled": r.Enabled, "body": json.RawMessage(r.Body)})))
	})
	return r, err
}

// UpdateRule replaces a live rule's priority, enabled flag and body under the
// next version, audited as rule.update. When r.Version is not 0 it must be
// the current version (an ETag check). Codes: CodeInvalid, CodeNotFound,
// CodeConflict (a stale version).
func (s *Store) UpdateRule(ctx context.Context, a licensing.Actor, r RuleRecord) (RuleRecord, error) {
	if err := validateRule(&r); err != nil {
		return r, err
	}
	err := s.write(ctx, func(t *tx) error {
		old, err := scanRule(t.queryRow(`SELECT `+ruleCols+` FROM rules WHERE id = ? AND deleted_at = 0`+t.s.d.ForUpdate, r.ID))
		if err == sql.ErrNoRows {
			return notFound("rule", r.ID)
		}
		if err != nil {
			return fmt.Errorf("store: update rule: %w", err)
		}
		if r.Version != 0 && r.Version != old.Version {
			return licensing.FieldErrorf(licensing.CodeConflict, "version", "rule %q is at version %d, not %d", r.ID, old.Version, r.Version)
		}
		r.Version, r.CreatedAt, r.UpdatedAt = old.Version+1, old.CreatedAt, t.now
		if _, err := t.exec(`UPDATE rules SET version = ?, priority = ?, body = ?, enabled = ?, updated_at = ? WHERE id = ?`,
			r.Version, r.Priority, string(r.Body), b2i(r.Enabled), micro(t.now), r.ID); err != nil {
			return fmt.Errorf("store: update rule: %w", err)
		}
		if err := t.ruleVersion(a, r.ID, r.Version, r.Body); err != nil {
			return err
		}
		return t.record(a, "rule.update", "rule:"+r.ID, "ok", string(mustJSON(map[string]any{"version": r.Version, "priority": r.Priority, "enabled": r.Enabled, "body": json.RawMessage(r.Body)})))
	})
	return r, err
}

// DeleteRule retires a live rule (its history stays), audited as
// rule.delete. Codes: CodeNotFound.
func (s *Store) DeleteRule(ctx context.Context, a licensing.Actor, id string) error {
	return s.write(ctx, func(t *tx) error {
		var version int
		err := t.queryRow(`SELECT version FROM rules WHERE id = ? AND deleted_at = 0`+t.s.d.ForUpdate, id).Scan(&version)
		if err == sql.ErrNoRows {
			return notFound("rule", id)
		}
		if err != nil {
			return fmt.Errorf("store: delete rule: %w", err)
		}
		version++
		if _, err := t.exec(`UPDATE rules SET version = ?, updated_at = ?, deleted_at = ? WHERE id = ?`, version, micro(t.now), micro(t.now), id); err != nil {
			return fmt.Errorf("store: delete rule: %w", err)
		}
		if err := t.ruleVersion(a, id, version, []byte("null")); err != nil {
			return err
		}
		return t.record(a, "rule.delete", "rule:"+id, "ok", string(mustJSON(map[string]any{"version": version})))
	})
}
