package store

import (
	"context"
	"fmt"
	"time"
)

// SeatChange is a grant or revocation in a period.
type SeatChange struct {
	Pool, SKU, Model, User, Source string
	GrantedBy                      string
	Since                          time.Time
	RevokedAt                      time.Time // zero: still held
	RevokedBy, RevokeReason        string
}

// Leaver is a person who left in the period with the time to revoke.
type Leaver struct {
	User, UserName, Kind  string
	ReceivedAt, RevokedAt time.Time // RevokedAt zero: still in progress
}

// ActingUse is how often an integration acted for one person.
type ActingUse struct {
	Integration, Mode, ServiceAccount string
	ActingUser                        string // the resolved person's user name, or the raw value when unresolved
	Resolved                          bool
	Calls, Fulfiller, Unlicensed      int
}

// EvidenceData is what the evidence pack reads, in one snapshot.
type EvidenceData struct {
	Now     time.Time
	Access  []AccessRow
	Changes []SeatChange
	Leavers []Leaver
	Acting  []ActingUse
	// AuditCount and AuditHead/AuditHash are the chain's size and head at
	// the snapshot; entries in the period are counted by AuditInPeriod.
	AuditInPeriod int64
	AuditHeadSeq  int64
	AuditHeadHash string
}

// EvidenceData reads the access review, the period's grants, revocations,
// leavers and integration use, and the audit head, in one snapshot.
func (s *Store) EvidenceData(ctx context.Context, from, to time.Time) (EvidenceData, error) {
	// Entries still waiting for the chainer (PostgreSQL) are chained first,
	// so the head and counts include everything committed.
	if _, err := s.ChainPending(ctx); err != nil {
		return EvidenceData{}, err
	}
	d := EvidenceData{Now: s.now()}
	f, t := micro(from), micro(to)
	err := s.read(ctx, func(r *rtx) error {
		rows, err := r.query(accessQuery, "", "", "", "", "", "", "", "", "", "", "", 0, "", "", "", "", int64(1<<31-1))
		if err != nil {
			return fmt.Errorf("store: evidence access: %w", err)
		}
		if d.Access, err = scanAccess(rows); err != nil {
			return err
		}
		rows, err = r.query(`SELECT m.pool_id, p.sku, p.model, u.user_name, m.source, m.granted_by, m.since, m.revoked_at, m.revoked_by, m.revoke_reason
			FROM members m JOIN pools p ON p.id = m.pool_id JOIN users u ON u.id = m.user_id
			WHERE m.state = 'active' AND ((m.since >= ? AND m.since < ?) OR (m.revoked_at >= ? AND m.revoked_at < ?)) ORDER BY m.since, m.id`, f, t, f, t)
		if err != nil {
			return fmt.Errorf("store: evidence changes: %w", err)
		}
		for rows.Next() {
			var c SeatChange
			var since, revoked int64
			if err := rows.Scan(&c.Pool, &c.SKU, &c.Model, &c.User, &c.Source, &c.GrantedBy, &since, &revoked, &c.RevokedBy, &c.RevokeReason); err != nil {
				rows.Close()
				return err
			}
			c.Since, c.RevokedAt = fromMicro(since), fromMicro(revoked)
			d.Changes = append(d.Changes, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		rows, err = r.query(`SELECT e.user_id, u.user_name, e.kind, e.received_at, e.completed_at FROM provisioning_events e JOIN users u ON u.id = e.user_id
			WHERE e.received_at >= ? AND e.received_at < ? ORDER BY e.received_at, e.id`, f, t)
		if err != nil {
			return fmt.Errorf("store: evidence leavers: %w", err)
		}
		for rows.Next() {
			var l Leaver
			var rec, done int64
			if err := rows.Scan(&l.User, &l.UserName, &l.Kind, &rec, &done); err != nil {
				rows.Close()
				return err
			}
			l.ReceivedAt, l.RevokedAt = fromMicro(rec), fromMicro(done)
			d.Leavers = append(d.Leavers, l)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		rows, err = r.query(`SELECT i.name, i.mode, COALESCE(su.user_name, ''), COALESCE(au.user_name, c.acting_raw), c.acting_user <> '',
			count(*), sum(c.fulfiller), sum(CASE WHEN c.fulfiller = 1 AND c.licensed = 0 THEN 1 ELSE 0 END)
			FROM integration_calls c JOIN integrations i ON i.id = c.integration_id
			LEFT JOIN users su ON su.id = i.user_id LEFT JOIN users au ON au.id = c.acting_user
			WHERE c.at >= ? AND c.at < ?
			GROUP BY i.name, i.mode, su.user_name, COALESCE(au.user_name, c.acting_raw), c.acting_user <> ''
			ORDER BY i.name, count(*) DESC`, f, t)
		if err != nil {
			return fmt.Errorf("store: evidence integrations: %w", err)
		}
		for rows.Next() {
			var a ActingUse
			if err := rows.Scan(&a.Integration, &a.Mode, &a.ServiceAccount, &a.ActingUser, &a.Resolved, &a.Calls, &a.Fulfiller, &a.Unlicensed); err != nil {
				rows.Close()
				return err
			}
			d.Acting = append(d.Acting, a)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if err := r.queryRow(`SELECT count(*) FROM audit_log WHERE at >= ? AND at < ?`, f, t).Scan(&d.AuditInPeriod); err != nil {
			return fmt.Errorf("store: evidence audit: %w", err)
		}
		return nil
	})
	if err != nil {
		return d, err
	}
	d.AuditHeadSeq, d.AuditHeadHash, err = s.AuditHead(ctx)
	return d, err
}
