package storetest

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/audit"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

func auditTests() []testCase {
	return []testCase{
		{"chain_verifies_after_mixed_operations", testAuditMixed},
		{"tamper_edit_actor_at_seq_5", func(e *env) {
			tamperCase(e, func(n int64) { e.rawExec(`UPDATE audit_log SET actor = ? WHERE seq = ?`, "mallory", 5) },
				5, audit.KindHashMismatch)
		}},
		{"tamper_delete_seq_5", func(e *env) {
			tamperCase(e, func(n int64) { e.rawExec(`DELETE FROM audit_log WHERE seq = ?`, 5) },
				5, audit.KindSeqGap)
		}},
		{"tamper_delete_head", func(e *env) {
			// The oldest entries gone: the first missing one, seq 1, is
			// named at position 1 with what is missing.
			tamperCase(e, func(n int64) { e.rawExec(`DELETE FROM audit_log WHERE seq <= ?`, 3) },
				1, audit.KindSeqGap)
		}},
		{"tamper_delete_everything", func(e *env) {
			tamperCase(e, func(n int64) { e.rawExec(`DELETE FROM audit_log`) }, 1, audit.KindTruncated)
		}},
		{"tamper_delete_tail", func(e *env) {
			tamperCase(e, func(n int64) { e.rawExec(`DELETE FROM audit_log WHERE seq > ?`, n-3) }, -2, audit.KindTruncated)
		}},
		{"tamper_swap_seq_4_and_5", func(e *env) {
			tamperCase(e, func(n int64) { e.swapAudit(4, 5) }, 4, audit.KindHashMismatch)
		}},
		{"tamper_delete_last", func(e *env) {
			tamperCase(e, func(n int64) { e.rawExec(`DELETE FROM audit_log WHERE seq = ?`, n) },
				0, audit.KindTruncated)
		}},
		{"tamper_delete_last_then_more_writes", func(e *env) {
			// The truncation must stay visible after the store goes on
			// writing: the chainer must not quietly re-issue the deleted
			// seq and move the recorded head over the gap.
			n := e.chained()
			e.rawExec(`DELETE FROM audit_log WHERE seq = ?`, n)
			e.user("after-tamper")
			if _, err := e.s.ChainPending(e.ctx); err != nil {
				e.t.Logf("ChainPending after the tampering: %v", err)
			}
			if count, err := e.s.VerifyAudit(e.ctx); err == nil {
				e.t.Errorf("STORE BUG: VerifyAudit after deleting entry %d and one more write = %d entries, no error; "+
					"want the deletion reported (store.chainBatch chains after the last row instead of the recorded audit_head, "+
					"re-using seq %d and overwriting the head)", n, count, n)
			}
		}},
	}
}

// chained writes at least 12 audited changes, chains them and returns the
// newest seq.
func (e *env) chained() int64 {
	e.t.Helper()
	e.users("a", 12)
	if _, err := e.s.ChainPending(e.ctx); err != nil {
		e.t.Fatalf("ChainPending: %v", err)
	}
	n, err := e.s.VerifyAudit(e.ctx)
	if err != nil {
		e.t.Fatalf("VerifyAudit before tampering: %v", err)
	}
	if n < 10 {
		e.t.Fatalf("VerifyAudit count = %d, want at least 10 entries to tamper with", n)
	}
	return n
}

// tamperCase tampers with a chain of ≥10 entries and expects VerifyAudit to
// name the entry at wantSeq with wantKind: the first bad entry, or the first
// missing one (wantSeq ≤ 0 counts back from the newest, n). The position is
// never 0: it is where that entry is, or belongs, in the stored order.
func tamperCase(e *env, tamper func(n int64), wantSeq int64, wantKind string) {
	e.t.Helper()
	n := e.chained()
	tamper(n)
	if wantSeq <= 0 {
		wantSeq += n
	}
	count, err := e.s.VerifyAudit(e.ctx)
	var ce *audit.ChainError
	if !errors.As(err, &ce) {
		e.t.Fatalf("VerifyAudit after tampering = %d, %v; want an *audit.ChainError at seq %d (%s)", count, err, wantSeq, wantKind)
	}
	if ce.Seq != wantSeq || ce.Kind != wantKind {
		e.t.Errorf("VerifyAudit error = seq %d kind %s (%v), want seq %d kind %s", ce.Seq, ce.Kind, err, wantSeq, wantKind)
	}
	// Entries before the bad one were accepted: every one before its
	// position. Nothing before the first missing entry was touched here,
	// so the position is the seq itself.
	if ce.Position != wantSeq {
		e.t.Errorf("VerifyAudit error position = %d, want %d", ce.Position, wantSeq)
	}
	if count != wantSeq-1 {
		e.t.Errorf("VerifyAudit count = %d, want %d (the good entries before the bad one)", count, wantSeq-1)
	}
	switch wantKind {
	case audit.KindTruncated:
		if ce.MissingFrom != wantSeq || ce.MissingTo != n {
			e.t.Errorf("VerifyAudit missing = %d to %d (%v), want %d to %d (up to the recorded head)", ce.MissingFrom, ce.MissingTo, err, wantSeq, n)
		}
	case audit.KindSeqGap:
		if ce.MissingFrom != wantSeq || ce.MissingTo < wantSeq || !strings.Contains(err.Error(), "missing") {
			e.t.Errorf("VerifyAudit missing = %d to %d (%v), want from %d", ce.MissingFrom, ce.MissingTo, err, wantSeq)
		}
	}
}

// swapAudit exchanges every column but seq between two audit rows.
func (e *env) swapAudit(a, b int64) {
	e.t.Helper()
	const cols = `at, actor, acting_user, action, subject, result, source, detail, prev_hash, hash`
	read := func(seq int64) []any {
		var at int64
		var s [9]string
		row := e.raw.QueryRowContext(e.ctx, e.rebind(`SELECT `+cols+` FROM audit_log WHERE seq = ?`), seq)
		if err := row.Scan(&at, &s[0], &s[1], &s[2], &s[3], &s[4], &s[5], &s[6], &s[7], &s[8]); err != nil {
			e.t.Fatalf("read audit seq %d: %v", seq, err)
		}
		out := []any{at}
		for _, v := range s {
			out = append(out, v)
		}
		return out
	}
	ra, rb := read(a), read(b)
	set := `UPDATE audit_log SET at = ?, actor = ?, acting_user = ?, action = ?, subject = ?, result = ?, source = ?, detail = ?, prev_hash = ?, hash = ? WHERE seq = ?`
	e.rawExec(set, append(rb, a)...)
	e.rawExec(set, append(ra, b)...)
}

func testAuditMixed(e *env) {
	integration := licensing.Actor{Name: "slack-hub", ActingUser: "E100", Source: "10.0.0.7"}
	e.agent()
	e.concurrent("float", 1)
	e.named("named", 1)
	ann, err := e.s.CreateUser(e.ctx, e.admin, licensing.User{UserName: "ann", EmployeeID: "E100", Kind: licensing.KindPerson, Active: true})
	if err != nil {
		e.t.Fatalf("CreateUser: %v", err)
	}
	bob := e.user("bob")
	e.member("float", ann, bob)
	e.member("named", ann)
	_, _, _ = e.s.PutMember(e.ctx, e.admin, "named", "bob", "") // refused: a denial
	e.clock.Advance(time.Minute)
	ss, err := e.s.StartSession(e.ctx, integration, "ann", false, []string{"float"})
	if err != nil {
		e.t.Fatalf("StartSession: %v", err)
	}
	e.refused(bob, licensing.CodeMaxedOut, "float")
	e.end(ss)
	if _, _, err := e.s.CreateToken(e.ctx, e.admin, "ci", store.ScopeAdmin, 0); err != nil {
		e.t.Fatalf("CreateToken: %v", err)
	}
	if err := e.s.PutCapability(e.ctx, e.admin, "ticket.escalate", licensing.Requirement{Tier: licensing.TierFulfiller}); err != nil {
		e.t.Fatalf("PutCapability: %v", err)
	}
	if err := e.s.DeleteMember(e.ctx, e.admin, "named", "ann"); err != nil {
		e.t.Fatalf("DeleteMember: %v", err)
	}
	if err := e.s.DeleteUser(e.ctx, e.admin, "bob"); err != nil {
		e.t.Fatalf("DeleteUser: %v", err)
	}

	count, err := e.s.VerifyAudit(e.ctx)
	if err != nil {
		e.t.Fatalf("VerifyAudit: %v", err)
	}
	entries, err := e.s.ListAudit(e.ctx, 0, 100000)
	if err != nil {
		e.t.Fatalf("ListAudit: %v", err)
	}
	if int64(len(entries)) != count {
		e.t.Errorf("VerifyAudit count = %d, want %d (entries ListAudit returns)", count, len(entries))
	}
	if err := audit.Verify(entries); err != nil {
		e.t.Errorf("audit.Verify(ListAudit) = %v, want nil", err)
	}
	actions := map[string]int{}
	for i, en := range entries {
		if en.Seq != int64(i+1) {
			e.t.Errorf("entry %d has seq %d, want %d", i, en.Seq, i+1)
		}
		if en.Actor == "" || en.Action == "" || en.Subject == "" || en.Result == "" || en.At.IsZero() {
			e.t.Errorf("entry %d = %+v, want actor, action, subject, result and time set", en.Seq, en)
		}
		actions[en.Action]++
	}
	for _, a := range []string{"policy.seed", "sku.create", "pool.create", "user.create", "seat.assign", "pool.register",
		"decision.deny", "session.start", "lease.start", "lease.end", "session.end", "token.create", "policy.set", "seat.revoke", "user.delete"} {
		if actions[a] == 0 {
			e.t.Errorf("no %q entry in the audit log; actions seen: %v", a, actions)
		}
	}
	var start *audit.Entry
	for i := range entries {
		if entries[i].Action == "session.start" {
			start = &entries[i]
		}
	}
	if start != nil {
		if start.Actor != "slack-hub" || start.ActingUser != "E100" || start.Source != "10.0.0.7" || !start.At.Equal(Epoch.Add(time.Minute)) || !strings.Contains(start.Subject, "ann") {
			e.t.Errorf("session.start entry = %+v, want actor slack-hub, acting user E100, source 10.0.0.7, at %v, subject naming ann", *start, Epoch.Add(time.Minute))
		}
	}
	seq, hash, err := e.s.AuditHead(e.ctx)
	if err != nil {
		e.t.Fatalf("AuditHead: %v", err)
	}
	if last := entries[len(entries)-1]; seq != last.Seq || hash != last.Hash {
		e.t.Errorf("AuditHead = %d %s, want the last entry %d %s", seq, hash, last.Seq, last.Hash)
	}
	page, err := e.s.ListAudit(e.ctx, 5, 3)
	if err != nil {
		e.t.Fatalf("ListAudit(after 5, limit 3): %v", err)
	}
	var seqs []string
	for _, en := range page {
		seqs = append(seqs, fmt.Sprint(en.Seq))
	}
	if got := strings.Join(seqs, ","); got != "6,7,8" {
		e.t.Errorf("ListAudit(after 5, limit 3) seqs = %s, want 6,7,8", got)
	}
	// Chaining again adds nothing and still verifies.
	if n, err := e.s.ChainPending(e.ctx); err != nil || n != 0 {
		e.t.Errorf("ChainPending with nothing pending = %d, %v; want 0, nil", n, err)
	}
	if again, err := e.s.VerifyAudit(e.ctx); err != nil || again != count {
		e.t.Errorf("VerifyAudit again = %d, %v; want %d, nil", again, err, count)
	}
}

func tokenTests() []testCase {
	return []testCase{
		{"create_and_lookup", func(e *env) {
			tok, secret, err := e.s.CreateToken(e.ctx, e.admin, "ci", store.ScopePlatform, 0)
			if err != nil {
				e.t.Fatalf("CreateToken: %v", err)
			}
			if len(secret) < 32 || tok.ID == "" || tok.Name != "ci" || tok.Scope != store.ScopePlatform || !tok.CreatedAt.Equal(Epoch) || !tok.ExpiresAt.IsZero() {
				e.t.Errorf("CreateToken = %+v, secret %d chars; want id, name ci, scope platform, created %v, no expiry and a long secret", tok, len(secret), Epoch)
			}
			got, err := e.s.LookupToken(e.ctx, store.HashToken(secret))
			if err != nil {
				e.t.Fatalf("LookupToken: %v", err)
			}
			if got.ID != tok.ID || got.Scope != store.ScopePlatform || got.Name != "ci" {
				e.t.Errorf("LookupToken = %+v, want %+v", got, tok)
			}
			_, other, err := e.s.CreateToken(e.ctx, e.admin, "ci-2", store.ScopeSCIM, 0)
			if err != nil {
				e.t.Fatalf("CreateToken(ci-2): %v", err)
			}
			if other == secret {
				e.t.Errorf("two tokens share the secret %q", secret)
			}
			for _, bad := range []string{store.HashToken(secret + "x"), secret, ""} {
				_, err := e.s.LookupToken(e.ctx, bad)
				wantCode(e.t, fmt.Sprintf("LookupToken(%.12q…)", bad), err, licensing.CodeUnauthorized)
			}
		}},
		{"revoke", func(e *env) {
			tok, secret, err := e.s.CreateToken(e.ctx, e.admin, "ci", store.ScopeAdmin, 0)
			if err != nil {
				e.t.Fatalf("CreateToken: %v", err)
			}
			_, keep, err := e.s.CreateToken(e.ctx, e.admin, "keep", store.ScopeAdmin, 0)
			if err != nil {
				e.t.Fatalf("CreateToken(keep): %v", err)
			}
			if err := e.s.RevokeToken(e.ctx, e.admin, tok.ID); err != nil {
				e.t.Fatalf("RevokeToken: %v", err)
			}
			_, err = e.s.LookupToken(e.ctx, store.HashToken(secret))
			wantCode(e.t, "LookupToken(revoked)", err, licensing.CodeUnauthorized)
			if _, err := e.s.LookupToken(e.ctx, store.HashToken(keep)); err != nil {
				e.t.Errorf("LookupToken(other token) after revoking ci: %v, want it still valid", err)
			}
			wantCode(e.t, "RevokeToken(again)", e.s.RevokeToken(e.ctx, e.admin, tok.ID), licensing.CodeNotFound)
			if err := e.s.RevokeToken(e.ctx, e.admin, "keep"); err != nil {
				e.t.Errorf("RevokeToken(by name keep): %v", err)
			}
			_, err = e.s.LookupToken(e.ctx, store.HashToken(keep))
			wantCode(e.t, "LookupToken(revoked by name)", err, licensing.CodeUnauthorized)
			list, err := e.s.ListTokens(e.ctx)
			if err != nil {
				e.t.Fatalf("ListTokens: %v", err)
			}
			for _, tk := range list {
				if tk.RevokedAt.IsZero() {
					e.t.Errorf("ListTokens: %s has no revoked_at, want set", tk.Name)
				}
			}
		}},
		{"expiry", func(e *env) {
			tok, secret, err := e.s.CreateToken(e.ctx, e.admin, "temp", store.ScopeIntegration, time.Hour)
			if err != nil {
				e.t.Fatalf("CreateToken: %v", err)
			}
			if !tok.ExpiresAt.Equal(Epoch.Add(time.Hour)) {
				e.t.Errorf("ExpiresAt = %v, want %v", tok.ExpiresAt, Epoch.Add(time.Hour))
			}
			e.clock.Advance(59 * time.Minute)
			if _, err := e.s.LookupToken(e.ctx, store.HashToken(secret)); err != nil {
				e.t.Errorf("LookupToken 59m into a 1h token: %v, want valid", err)
			}
			e.clock.Advance(time.Minute)
			_, err = e.s.LookupToken(e.ctx, store.HashToken(secret))
			wantCode(e.t, "LookupToken(at expiry)", err, licensing.CodeUnauthorized)
			e.clock.Advance(time.Hour)
			_, err = e.s.LookupToken(e.ctx, store.HashToken(secret))
			wantCode(e.t, "LookupToken(1h after expiry)", err, licensing.CodeUnauthorized)
		}},
		{"invalid", func(e *env) {
			for _, tc := range []struct {
				name, tokName, scope string
				ttl                  time.Duration
			}{
				{"bad scope", "ci", "root", 0},
				{"empty scope", "ci", "", 0},
				{"empty name", "  ", store.ScopeAdmin, 0},
				{"negative ttl", "ci", store.ScopeAdmin, -time.Second},
			} {
				_, secret, err := e.s.CreateToken(e.ctx, e.admin, tc.tokName, tc.scope, tc.ttl)
				wantCode(e.t, "CreateToken("+tc.name+")", err, licensing.CodeInvalid)
				if secret != "" {
					e.t.Errorf("CreateToken(%s) returned a secret, want none", tc.name)
				}
			}
			if list, _ := e.s.ListTokens(e.ctx); len(list) != 0 {
				e.t.Errorf("ListTokens after refused creates = %+v, want none", list)
			}
		}},
		{"list_has_no_secrets", func(e *env) {
			secrets := map[string]string{}
			for _, name := range []string{"ci", "scim-okta"} {
				_, secret, err := e.s.CreateToken(e.ctx, e.admin, name, store.ScopeSCIM, 0)
				if err != nil {
					e.t.Fatalf("CreateToken(%s): %v", name, err)
				}
				secrets[name] = secret
			}
			list, err := e.s.ListTokens(e.ctx)
			if err != nil {
				e.t.Fatalf("ListTokens: %v", err)
			}
			if len(list) != 2 || list[0].Name != "ci" || list[1].Name != "scim-okta" {
				e.t.Errorf("ListTokens = %+v, want ci and scim-okta", list)
			}
			dump := fmt.Sprintf("%+v %#v", list, list)
			for name, secret := range secrets {
				if strings.Contains(dump, secret) || strings.Contains(dump, store.HashToken(secret)) {
					e.t.Errorf("ListTokens output carries the secret (or its hash) of %s: %s", name, dump)
				}
			}
			// The database keeps only the hash.
			rows, err := e.raw.QueryContext(e.ctx, `SELECT id, name, scope, hash FROM tokens`)
			if err != nil {
				e.t.Fatalf("raw tokens: %v", err)
			}
			defer rows.Close()
			for rows.Next() {
				var cols [4]string
				if err := rows.Scan(&cols[0], &cols[1], &cols[2], &cols[3]); err != nil {
					e.t.Fatalf("raw tokens scan: %v", err)
				}
				for _, secret := range secrets {
					for _, c := range cols {
						if strings.Contains(c, secret) {
							e.t.Errorf("tokens row %v stores a secret in clear", cols[:3])
						}
					}
				}
			}
			if err := rows.Err(); err != nil {
				e.t.Fatalf("raw tokens: %v", err)
			}
			// The audit log does not carry secrets either.
			entries, err := e.s.ListAudit(e.ctx, 0, 1000)
			if err != nil {
				e.t.Fatalf("ListAudit: %v", err)
			}
			for _, en := range entries {
				for _, secret := range secrets {
					if strings.Contains(fmt.Sprintf("%+v", en), secret) {
						e.t.Errorf("audit entry %d carries a token secret", en.Seq)
					}
				}
			}
		}},
	}
}
