package storetest

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/audit"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

// consolePeopleTests (issue 12, part 2): the licence console's people
// search and a person's audit trail are exact under keyset paging, fold
// case and width, and are served by index ranges only (EXPLAIN).
func consolePeopleTests() []testCase {
	return []testCase{
		{"search_finds_each_attribute_folded", func(e *env) {
			mk := func(name, display, email, emp string) licensing.User {
				u, err := e.s.CreateUser(e.ctx, e.admin, licensing.User{UserName: name, DisplayName: display, Email: email, EmployeeID: emp, Kind: licensing.KindPerson, Active: true})
				if err != nil {
					e.t.Fatalf("CreateUser %s: %v", name, err)
				}
				return u
			}
			mk("ann.lee", "Ann Lee", "ann@example.com", "E100")
			mk("bob", "Élodie Martin", "elodie.m@example.com", "E200")
			mk("carl", "Carl Zed", "zed@example.com", "X-77")
			mk("dave", "Anna Dee", "dave@example.com", "E101")
			cases := []struct {
				q    string
				want []string // user names, in result order
			}{
				// ann.lee matches by display name, user name and email: once.
				{"ann", []string{"ann.lee", "dave"}},
				{"ÉLO", []string{"bob"}},
				{"elodie.m", []string{"bob"}},
				{"e10", []string{"ann.lee", "dave"}},
				{"x-7", []string{"carl"}},
				{"ＣＡＲＬ", []string{"carl"}}, // full width folds
				{"zed@", []string{"carl"}},
				{"nobody", nil},
			}
			for _, c := range cases {
				hits, more, err := e.s.SearchPeople(e.ctx, store.PeopleSearch{Query: c.q})
				if err != nil {
					e.t.Fatalf("SearchPeople(%q): %v", c.q, err)
				}
				got, want := hitNames(hits), c.want
				if !slices.Equal(got, want) || more {
					e.t.Errorf("SearchPeople(%q) = %v (more %v), want %v", c.q, got, more, want)
				}
			}
			hits, _, err := e.s.SearchPeople(e.ctx, store.PeopleSearch{Query: "ann"})
			// "ann lee" sorts before "ann.lee" and "ann@…": listed by display name.
			if err != nil || len(hits) != 2 || hits[0].Field != store.MatchDisplayName || hits[1].Field != store.MatchDisplayName {
				e.t.Errorf("ann's hits %+v err %v: want ann.lee, then dave, both by display name", hits, err)
			}
			var kept string
			if err := e.raw.QueryRow(`SELECT display_name_lower FROM users WHERE user_name = 'bob'`).Scan(&kept); err != nil || kept != "élodie martin" {
				e.t.Errorf("display_name_lower %q err %v, want élodie martin", kept, err)
			}
			// Rows written by another tool (or migration 17's SQL, whose
			// lower() folds ASCII only) are refolded in Go.
			if _, err := e.raw.Exec(`UPDATE users SET display_name_lower = 'Élodie martin' WHERE user_name = 'bob'`); err != nil {
				e.t.Fatal(err)
			}
			if hits, _, _ := e.s.SearchPeople(e.ctx, store.PeopleSearch{Query: "élodie"}); len(hits) != 0 {
				e.t.Fatalf("the unfolded row is found: %v", hitNames(hits))
			}
			if n, err := e.s.RefoldDisplayNames(e.ctx); err != nil || n != 1 {
				e.t.Errorf("RefoldDisplayNames = %d, %v; want 1 changed", n, err)
			}
			if hits, _, _ := e.s.SearchPeople(e.ctx, store.PeopleSearch{Query: "élodie"}); !slices.Equal(hitNames(hits), []string{"bob"}) {
				e.t.Errorf("after refolding élodie finds %v", hitNames(hits))
			}
			// Renaming keeps the folded column in step.
			if _, err := e.s.UpdateUserFunc(e.ctx, e.admin, "carl", func(u licensing.User) (licensing.User, error) {
				u.DisplayName = "Karl Zed"
				return u, nil
			}); err != nil {
				e.t.Fatal(err)
			}
			if hits, _, _ := e.s.SearchPeople(e.ctx, store.PeopleSearch{Query: "karl"}); !slices.Equal(hitNames(hits), []string{"carl"}) {
				e.t.Errorf("after the rename karl finds %v", hitNames(hits))
			}
		}},
		{"search_pages_exactly", func(e *env) {
			// Short names over a small alphabet make people match on several
			// attributes at once, in every order: the merge must keep each
			// person once, at their first place, across page boundaries.
			rng := rand.New(rand.NewPCG(1, 2))
			word := func(n int) string {
				b := make([]byte, n)
				for i := range b {
					b[i] = "abc"[rng.IntN(3)]
				}
				return string(b)
			}
			var all []licensing.User
			for i := 0; i < 120; i++ {
				u := licensing.User{UserName: fmt.Sprintf("%s%03d", word(2), i), DisplayName: strings.ToUpper(word(3)) + " " + word(2),
					Email: word(3) + fmt.Sprintf("%d@example.com", i), EmployeeID: strings.ToUpper(word(2)) + fmt.Sprint(i), Kind: licensing.KindPerson, Active: i%4 != 0}
				got, err := e.s.CreateUser(e.ctx, e.admin, u)
				if err != nil {
					e.t.Fatalf("CreateUser: %v", err)
				}
				all = append(all, got)
			}
			yes, no := true, false
			for _, q := range []string{"", "a", "ab", "B", "abc", "ca", "c1"} {
				for _, active := range []*bool{nil, &yes, &no} {
					want := expectSearch(all, q, active)
					for _, limit := range []int{1, 2, 3, 7, 50} {
						var got []string
						after := store.PeopleCursor{}
						for pages := 0; ; pages++ {
							hits, more, err := e.s.SearchPeople(e.ctx, store.PeopleSearch{Query: q, Active: active, After: after, Limit: limit})
							if err != nil {
								e.t.Fatalf("SearchPeople: %v", err)
							}
							if len(hits) > limit || (more && len(hits) != limit) {
								e.t.Fatalf("q %q limit %d: a page of %d, more %v", q, limit, len(hits), more)
							}
							got = append(got, hitNames(hits)...)
							if !more {
								break
							}
							after = hits[len(hits)-1].Cursor
							if pages > len(all) {
								e.t.Fatalf("q %q: paging does not end", q)
							}
						}
						if !slices.Equal(got, want) {
							e.t.Errorf("q %q active %v limit %d:\n got %v\nwant %v", q, deref(active), limit, got, want)
						}
					}
				}
			}
		}},
		{"search_and_trail_use_indexes", func(e *env) {
			e.bulkPeopleAndAudit(3000, 20000)
			yes := true
			for _, f := range []store.PeopleSearch{{}, {Query: "per"}, {Query: "person 01", Active: &yes}, {Query: "e00012"}, {Query: "p", After: store.PeopleCursor{Value: "person-001", UserName: "person-001@x.example"}}} {
				plans, err := e.s.ExplainPeopleSearch(e.ctx, f)
				if err != nil {
					e.t.Fatalf("ExplainPeopleSearch: %v", err)
				}
				for _, p := range plans {
					e.indexOnly(p, "users_search_")
				}
			}
			u, err := e.s.GetUser(e.ctx, "person-000007@x.example")
			if err != nil {
				e.t.Fatal(err)
			}
			plans, err := e.s.ExplainPersonTrail(e.ctx, u)
			if err != nil {
				e.t.Fatal(err)
			}
			for _, p := range plans {
				e.indexOnly(p, "audit_log_")
			}
		}},
		{"trail_pages_exactly", func(e *env) {
			e.clock.SetTick(time.Millisecond)
			e.agent()
			e.named("desk", 5)
			e.concurrent("float", 1)
			ann, bob := e.user("ann"), e.user("bob")
			e.member("desk", ann, bob)
			e.member("float", ann)
			ss := e.start(ann, "float")
			e.end(ss)
			if _, _, err := e.s.GrantRole(e.ctx, e.admin, "ann", licensing.RoleAuditor); err != nil {
				e.t.Fatal(err)
			}
			for i := 0; i < 7; i++ {
				if err := e.s.RecordEvent(e.ctx, licensing.Actor{Name: "web:ann", Source: "test"}, "ticket.create", fmt.Sprintf("ticket:INC-%d", i), "ok", ""); err != nil {
					e.t.Fatal(err)
				}
				if err := e.s.RecordEvent(e.ctx, licensing.Actor{Name: "slack", ActingUser: "ann", Source: "test"}, "ticket.comment", fmt.Sprintf("ticket:INC-%d", i), "ok", ""); err != nil {
					e.t.Fatal(err)
				}
				// Someone else's entry in between, naming ann only in words.
				if err := e.s.RecordEvent(e.ctx, licensing.Actor{Name: "web:bob", Source: "test"}, "ticket.create", "ticket:X", "ok", "about ann"); err != nil {
					e.t.Fatal(err)
				}
			}
			if err := e.s.DeleteMember(e.ctx, e.admin, "desk", "ann"); err != nil {
				e.t.Fatal(err)
			}
			if err := e.s.SeedAudit(e.ctx, []audit.Entry{{At: Epoch.Add(-time.Hour), Actor: "web:ann", Action: "signin", Subject: "user:ann", Result: "ok"}}); err != nil {
				e.t.Fatal(err)
			}
			all, err := e.s.ListAudit(e.ctx, 0, 10000)
			if err != nil {
				e.t.Fatal(err)
			}
			// Newest first by time, then seq; a past entry seeded last sorts
			// by its time.
			slices.SortStableFunc(all, func(a, b audit.Entry) int {
				if c := b.At.Compare(a.At); c != 0 {
					return c
				}
				return cmp.Compare(b.Seq, a.Seq)
			})
			var want []int64
			for _, a := range all {
				if a.Subject == "user:ann" || a.Actor == "web:ann" || a.ActingUser == "ann" || (strings.HasPrefix(a.Subject, "pool:") && strings.HasSuffix(a.Subject, "/user:ann")) {
					want = append(want, a.Seq)
				}
			}
			if len(want) < 20 {
				e.t.Fatalf("only %d entries name ann", len(want))
			}
			for _, limit := range []int{1, 4, 25} {
				var got []int64
				before := int64(0)
				for {
					page, more, err := e.s.PersonTrail(e.ctx, ann, before, limit)
					if err != nil {
						e.t.Fatal(err)
					}
					for _, en := range page {
						got = append(got, en.Seq)
					}
					if !more {
						break
					}
					before = page[len(page)-1].Seq
				}
				if !slices.Equal(got, want) {
					e.t.Errorf("limit %d: trail %v, want %v", limit, got, want)
				}
			}
		}},
		{"sign_in_and_queue_places", func(e *env) {
			e.agent()
			e.concurrent("float", 1, func(p *licensing.Pool) { p.Queue = &licensing.QueueConfig{MaxLength: 5} })
			ann, bob := e.user("ann"), e.user("bob")
			e.member("float", ann, bob)
			si, err := e.s.PersonSignIn(e.ctx, bob.ID)
			if err != nil || si.Password || len(si.Browser) != 0 {
				e.t.Errorf("bob's sign-in %+v err %v, want no password", si, err)
			}
			if err := e.s.SetPassword(e.ctx, e.admin, bob.ID, "hash"); err != nil {
				e.t.Fatal(err)
			}
			if si, err := e.s.PersonSignIn(e.ctx, bob.ID); err != nil || !si.Password || !si.PasswordSet.Equal(Epoch) {
				e.t.Errorf("bob's sign-in %+v err %v, want a password set at the epoch", si, err)
			}
			e.start(ann, "float")
			e.refused(bob, licensing.CodeMaxedOut, "float")
			places, err := e.s.QueuePlaces(e.ctx, bob.ID, []string{"float", "other"})
			if err != nil || len(places) != 1 || places[0].Pool != "float" || places[0].Position != 1 {
				e.t.Errorf("bob's queue places %+v err %v, want first in float", places, err)
			}
			if places, _ := e.s.QueuePlaces(e.ctx, ann.ID, []string{"float"}); len(places) != 0 {
				e.t.Errorf("ann, holding the seat, waits in %+v", places)
			}
		}},
	}
}

func hitNames(hits []store.PersonHit) []string {
	var out []string
	for _, h := range hits {
		out = append(out, h.User.UserName)
	}
	return out
}

func deref(b *bool) string {
	if b == nil {
		return "all"
	}
	return fmt.Sprint(*b)
}

// expectSearch is SearchPeople by brute force: each matching person at
// their smallest matching folded value, then by user name.
func expectSearch(all []licensing.User, q string, active *bool) []string {
	p := store.FoldDisplayName(q)
	type hit struct{ key, name string }
	var hits []hit
	for _, u := range all {
		if active != nil && u.Active != *active {
			continue
		}
		vals := []string{licensing.FoldKey(u.UserName)}
		if p != "" {
			vals = append(vals, store.FoldDisplayName(u.DisplayName), licensing.FoldKey(u.Email), licensing.FoldKey(u.EmployeeID))
		}
		best, ok := "", false
		for _, v := range vals {
			if strings.HasPrefix(v, p) && (!ok || v < best) {
				best, ok = v, true
			}
		}
		if ok {
			hits = append(hits, hit{best, licensing.FoldKey(u.UserName)})
		}
	}
	slices.SortFunc(hits, func(a, b hit) int {
		if c := strings.Compare(a.key, b.key); c != 0 {
			return c
		}
		return strings.Compare(a.name, b.name)
	})
	out := make([]string, 0, len(hits))
	for _, h := range hits {
		out = append(out, h.name)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// bulkPeopleAndAudit writes people and audit rows behind the store's back,
// enough that PostgreSQL's planner prefers an index where one serves, then
// refreshes the statistics. The audit rows sit far above the chain's head.
func (e *env) bulkPeopleAndAudit(people, entries int) {
	e.t.Helper()
	tx, err := e.raw.BeginTx(e.ctx, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	// Numbered placeholders on both: SQLite reads ?N, PostgreSQL $N.
	mark := "?"
	if e.s.Dialect() == "postgres" {
		mark = "$"
	}
	arg := func(i int) string { return fmt.Sprintf("%s%d", mark, i) }
	var cols []string
	for i := 1; i <= 11; i++ {
		cols = append(cols, arg(i))
	}
	insUser := `INSERT INTO users (id, user_name, user_name_lower, display_name, display_name_lower, email, email_lower, employee_id, employee_id_lower, kind, active, created_at, updated_at)
		VALUES (` + arg(1) + `, ` + arg(2) + `, ` + arg(2) + `, ` + arg(3) + `, ` + arg(4) + `, ` + arg(2) + `, ` + arg(2) + `, ` + arg(5) + `, ` + arg(6) + `, 'person', ` + arg(7) + `, 0, 0)`
	for i := 0; i < people; i++ {
		name := fmt.Sprintf("person-%06d@x.example", i)
		if _, err := tx.ExecContext(e.ctx, insUser, fmt.Sprintf("usr_bulk%06d", i), name, fmt.Sprintf("Person %06d", i), fmt.Sprintf("person %06d", i),
			fmt.Sprintf("E%06d", i), fmt.Sprintf("e%06d", i), 1-i%10/9); err != nil {
			e.t.Fatalf("bulk person: %v", err)
		}
	}
	insAudit := `INSERT INTO audit_log (seq, at, actor, acting_user, action, subject, result, source, detail, prev_hash, hash) VALUES (` + strings.Join(cols, ", ") + `)`
	for i := 0; i < entries; i++ {
		who := fmt.Sprintf("person-%06d@x.example", i%people)
		if _, err := tx.ExecContext(e.ctx, insAudit, int64(1_000_000_000+i), 0, "web:"+who, "", "lease.start", "pool:p/user:"+who, "ok", "", "", "x", "x"); err != nil {
			e.t.Fatalf("bulk audit: %v", err)
		}
	}
	if err := tx.Commit(); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.raw.ExecContext(e.ctx, `ANALYZE`); err != nil {
		e.t.Fatal(err)
	}
}

// indexOnly requires a query plan to read through an index named with
// prefix and never scan a table: SQLite's plan says SEARCH … USING INDEX
// (a SCAN, even of an index, reads it all); PostgreSQL's names an Index
// Scan (or Index Only / Bitmap Index Scan) and no Seq Scan.
func (e *env) indexOnly(plan, prefix string) {
	e.t.Helper()
	bad := strings.Contains(plan, "Seq Scan") || !strings.Contains(plan, prefix)
	if e.s.Dialect() == "sqlite" {
		bad = bad || strings.Contains(plan, "SCAN ") || !strings.Contains(plan, "SEARCH ")
	}
	if bad {
		e.t.Errorf("plan does not keep to an index %s*:\n%s", prefix, plan)
	}
}
