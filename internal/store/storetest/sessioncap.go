package storetest

import (
	"fmt"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/desk"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// sessionCapTests (issue 10, part 8): a person keeps at most keep live
// browser sessions; a sign-in past it ends the oldest, with its seat session.
func sessionCapTests() []testCase {
	return []testCase{
		{"browser_sessions_capped_oldest_ends", func(e *env) {
			ann, bob := e.user("ann"), e.user("bob")
			var ids []string
			var seats []licensing.Session
			for i := 0; i < 5; i++ {
				ss, err := e.s.StartSession(e.ctx, e.admin, ann.UserName, true, nil)
				if err != nil {
					e.t.Fatalf("StartSession: %v", err)
				}
				id := fmt.Sprintf("h-%d", i)
				ws := desk.WebSession{ID: id, User: ann.ID, SeatSession: ss.ID, CSRF: "c", Method: "local", ExpiresAt: e.clock.Peek().Add(8 * time.Hour)}
				if err := e.s.CreateWebSession(e.ctx, e.admin, ws, 3); err != nil {
					e.t.Fatalf("CreateWebSession(%s): %v", id, err)
				}
				ids, seats = append(ids, id), append(seats, ss)
				e.clock.Advance(time.Second)
			}
			// bob's session is his own: never counted against ann's.
			if err := e.s.CreateWebSession(e.ctx, e.admin, desk.WebSession{ID: "h-bob", User: bob.ID, CSRF: "c", Method: "local", ExpiresAt: e.clock.Peek().Add(time.Hour)}, 3); err != nil {
				e.t.Fatalf("CreateWebSession(bob): %v", err)
			}
			for i, id := range ids {
				_, err := e.s.GetWebSession(e.ctx, id)
				ss := e.session(seats[i].ID)
				if i < 2 {
					wantCode(e.t, "GetWebSession of an evicted session "+id, err, licensing.CodeUnauthorized)
					if ss.Active() {
						e.t.Errorf("seat session of evicted %s still open", id)
					}
				} else if err != nil || !ss.Active() {
					e.t.Errorf("session %s: %v (seat session active %v), want live", id, err, ss.Active())
				}
			}
			if _, err := e.s.GetWebSession(e.ctx, "h-bob"); err != nil {
				e.t.Errorf("bob's session: %v", err)
			}
			n := 0
			for _, en := range e.auditAfter(0) {
				if en.Action == "signout" && en.Result == "session_cap" && en.Subject == "user:ann" {
					n++
				}
			}
			if n != 2 {
				e.t.Errorf("%d signout/session_cap audit entries, want 2", n)
			}
		}},
	}
}
