package storetest

import (
	"fmt"
	"strings"
	"sync"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

// sharedKeyTests (issue 11, parts 2–4): only the user name is unique; a
// shared email or ID is stored and refused as ambiguous when used to find
// someone; an invalid email is stored but finds nobody; a manager not
// provisioned yet is kept as a reference that resolves when they arrive.
func sharedKeyTests() []testCase {
	return []testCase{
		{"email_and_ids_may_be_shared", func(e *env) {
			mk := func(name, email, ext string) licensing.User {
				u, _, err := e.s.CreateIdentity(e.ctx, e.admin, licensing.User{UserName: name, Email: email, ExternalID: ext, Kind: licensing.KindPerson, Active: true}, store.Identity{})
				if err != nil {
					e.t.Fatalf("CreateIdentity(%s): %v", name, err)
				}
				return u
			}
			ann := mk("ann", "team@example.com", "ext-1")
			mk("bob", "Team@Example.com", "EXT-1")
			for _, key := range []string{"team@example.com", "ext-1"} {
				_, err := e.s.GetUser(e.ctx, key)
				if le := wantCode(e.t, "GetUser("+key+")", err, licensing.CodeAmbiguous); le != nil && !strings.Contains(le.Message, "2 people") {
					e.t.Errorf("ambiguous message %q, want the count of candidates", le.Message)
				}
			}
			if got, err := e.s.GetUser(e.ctx, "ann"); err != nil || got.ID != ann.ID {
				e.t.Errorf("GetUser(ann) = %v, %v; the user name stays unique", got.ID, err)
			}
			_, err := e.s.CreateUser(e.ctx, e.admin, licensing.User{UserName: "ANN", Kind: licensing.KindPerson, Active: true})
			wantCode(e.t, "CreateUser(ANN)", err, licensing.CodeConflict)
			// A placeholder email is stored as sent and finds nobody.
			mk("cy", "not an address", "")
			if got, err := e.s.GetUser(e.ctx, "cy"); err != nil || got.Email != "not an address" {
				e.t.Errorf("cy = %+v, %v; want the email stored as sent", got, err)
			}
			_, err = e.s.GetUser(e.ctx, "not an address")
			wantCode(e.t, "GetUser(an invalid email)", err, licensing.CodeNotFound)
		}},
		{"manager_reference_resolves_when_both_arrive_at_once", func(e *env) {
			// A report and their manager created at the same moment, 12 times:
			// whichever commits first, the reference ends resolved.
			for i := range 12 {
				var wg sync.WaitGroup
				var rep, mgr licensing.User
				var errR, errM error
				wg.Go(func() {
					rep, _, errR = e.s.CreateIdentity(e.ctx, e.admin, licensing.User{UserName: fmt.Sprintf("r%d", i), Kind: licensing.KindPerson, Active: true}, store.Identity{ManagerRef: fmt.Sprintf("MX%d", i)})
				})
				wg.Go(func() {
					mgr, _, errM = e.s.CreateIdentity(e.ctx, e.admin, licensing.User{UserName: fmt.Sprintf("m%d", i), ExternalID: fmt.Sprintf("mx%d", i), Kind: licensing.KindPerson, Active: true}, store.Identity{})
				})
				wg.Wait()
				if errR != nil || errM != nil {
					e.t.Fatalf("creates: %v, %v", errR, errM)
				}
				if _, id, err := e.s.GetIdentity(e.ctx, rep.ID); err != nil || id.ManagerID != mgr.ID || id.ManagerRef != "" {
					e.t.Errorf("pair %d: report's manager %q (reference %q), %v; want %s", i, id.ManagerID, id.ManagerRef, err, mgr.ID)
				}
			}
		}},
		{"manager_reference_resolves_on_arrival", func(e *env) {
			bob, bid, err := e.s.CreateIdentity(e.ctx, e.admin, licensing.User{UserName: "bob", Kind: licensing.KindPerson, Active: true}, store.Identity{ManagerRef: "Boss-Ext"})
			if err != nil {
				e.t.Fatalf("CreateIdentity(bob) with an unknown manager: %v", err)
			}
			if bid.ManagerID != "" || bid.ManagerRef != "Boss-Ext" {
				e.t.Errorf("bob's identity = %+v, want the reference kept as sent", bid)
			}
			boss, _, err := e.s.CreateIdentity(e.ctx, e.admin, licensing.User{UserName: "boss", ExternalID: "boss-ext", Kind: licensing.KindPerson, Active: true}, store.Identity{})
			if err != nil {
				e.t.Fatalf("CreateIdentity(boss): %v", err)
			}
			_, got, err := e.s.GetIdentity(e.ctx, bob.ID)
			if err != nil || got.ManagerID != boss.ID || got.ManagerRef != "" || got.Version <= bid.Version {
				e.t.Errorf("bob after boss arrived = %+v, %v; want manager %s, the reference gone, a new version", got, err, boss.ID)
			}
		}},
	}
}
