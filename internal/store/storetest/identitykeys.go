package storetest

import (
	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// identityKeyTests: keys are compared folded (NFKC and case folding), so a
// full-width or differently cased look-alike names the same person and can
// never be a second one; invisible characters are refused (issue 10, part 3).
func identityKeyTests() []testCase {
	return []testCase{
		{"look_alikes_name_the_same_person", func(e *env) {
			agent, err := e.s.CreateUser(e.ctx, e.admin, licensing.User{UserName: "agent", Email: "agent@example.com", EmployeeID: "E100", ExternalID: "ext-1", Kind: licensing.KindPerson, Active: true})
			if err != nil {
				e.t.Fatalf("CreateUser: %v", err)
			}
			// The user name is the unique key: a look-alike of it is refused.
			for _, u := range []licensing.User{{UserName: "ａｇｅｎｔ"}, {UserName: "AGENT"}} {
				u.Kind, u.Active = licensing.KindPerson, true
				_, err := e.s.CreateUser(e.ctx, e.admin, u)
				wantCode(e.t, "CreateUser look-alike "+u.UserName, err, licensing.CodeConflict)
			}
			for _, key := range []string{"ａｇｅｎｔ", "ＡＧＥＮＴ@ＥＸＡＭＰＬＥ．ＣＯＭ", "Ｅ１００", "e100", "EXT-1"} {
				if got, err := e.s.GetUser(e.ctx, key); err != nil || got.ID != agent.ID {
					e.t.Errorf("GetUser(%q) = %s, %v; want agent", key, got.UserName, err)
				}
			}
			// Other keys may be shared (RFC 7643 §4.1.1); a look-alike is the
			// same key, so sharing it makes the key ambiguous, never a second
			// person's.
			if _, err := e.s.CreateUser(e.ctx, e.admin, licensing.User{UserName: "x2", EmployeeID: "Ｅ１００", Kind: licensing.KindPerson, Active: true}); err != nil {
				e.t.Fatalf("CreateUser sharing an employee ID: %v", err)
			}
			_, err = e.s.GetUser(e.ctx, "e100")
			wantCode(e.t, "GetUser of a shared employee ID", err, licensing.CodeAmbiguous)
			for _, u := range []licensing.User{
				{UserName: "agent\u200b"},
				{UserName: "y1", Email: "agent\u200b@example.com"},
				{UserName: "y2", EmployeeID: "E100\u202e"},
				{UserName: "y3", ExternalID: "ext\x00"},
			} {
				u.Kind, u.Active = licensing.KindPerson, true
				_, err := e.s.CreateUser(e.ctx, e.admin, u)
				wantCode(e.t, "CreateUser with an invisible character", err, licensing.CodeInvalid)
			}
		}},
		{"rekey_refolds_kept_keys", func(e *env) {
			u, err := e.s.CreateUser(e.ctx, e.admin, licensing.User{UserName: "Straße", Email: "Ｂｅａ@example.com", EmployeeID: "Ｅ7", Kind: licensing.KindPerson, Active: true})
			if err != nil {
				e.t.Fatalf("CreateUser: %v", err)
			}
			// As SQL's lower() of an older version left them.
			if _, err := e.raw.Exec(`UPDATE users SET user_name_lower = 'straße', email_lower = 'ｂｅａ@example.com', employee_id_lower = 'ｅ7' WHERE user_name = 'Straße'`); err != nil {
				e.t.Fatalf("tamper: %v", err)
			}
			if _, err := e.s.GetUser(e.ctx, "STRASSE"); codeOf(err) != licensing.CodeNotFound {
				e.t.Fatalf("GetUser before the rekey = %v, want not found (the keys are stale)", err)
			}
			n, err := e.s.RekeyIdentities(e.ctx)
			if err != nil || n != 1 {
				e.t.Fatalf("RekeyIdentities = %d, %v; want 1 person changed", n, err)
			}
			for _, key := range []string{"STRASSE", "bea@example.com", "e7"} {
				if got, err := e.s.GetUser(e.ctx, key); err != nil || got.ID != u.ID {
					e.t.Errorf("GetUser(%q) after the rekey = %s, %v; want Straße", key, got.UserName, err)
				}
			}
			if n, err := e.s.RekeyIdentities(e.ctx); err != nil || n != 0 {
				e.t.Errorf("second RekeyIdentities = %d, %v; want nothing to change", n, err)
			}
		}},
	}
}
