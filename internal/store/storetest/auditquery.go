package storetest

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/audit"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

// auditQueryTests (issue 12, part 2): the audit log's filters, keyset
// pages in both directions, filtered export, one entry, the actions list
// and the verification's head, checked against a brute-force filter of
// the whole log; and the plans of every filter walk an index of
// migration 18 without a sort (EXPLAIN).
func auditQueryTests() []testCase {
	return []testCase{
		{"filters_and_pages_match_brute_force", func(e *env) {
			all := e.auditFixture()
			mid := all[len(all)/3].At
			late := all[2*len(all)/3].At
			for _, f := range []store.AuditFilter{
				{},
				{Action: "ticket.create"},
				{Actor: "web:ann"},
				{ActingUser: "ann"},
				{Subject: "pool:desk"},
				{Subject: "pool:desk/"},
				{Subject: "user:é"},
				{From: mid},
				{To: late},
				{From: mid, To: late},
				{Action: "lease.start", Subject: "pool:desk"},
				{Actor: "slack", ActingUser: "ann", From: mid},
				{Action: "no.such.action"},
			} {
				want := filterEntries(all, f)
				for _, limit := range []int{1, 4, 1000} {
					e.checkPages(f, limit, want)
				}
				// Chain order (a follower's tail) after a cursor.
				after := all[5].Seq
				var tail []audit.Entry
				for _, x := range want {
					if x.Seq > after {
						tail = append(tail, x)
					}
				}
				slices.SortFunc(tail, func(a, b audit.Entry) int { return cmp.Compare(a.Seq, b.Seq) })
				page, err := e.s.QueryAudit(e.ctx, store.AuditQuery{AuditFilter: f, After: after, Limit: 1000})
				if err != nil {
					e.t.Fatalf("QueryAudit chain order %+v: %v", f, err)
				}
				if got := seqsOf(page.Entries); !slices.Equal(got, seqsOf(tail)) || page.More {
					e.t.Errorf("chain order after %d, filter %+v: %v (more %v), want %v", after, f, got, page.More, seqsOf(tail))
				}
				// Export: the filtered entries oldest first by time; the
				// whole log in chain order.
				var got []audit.Entry
				if err := e.s.ExportAudit(e.ctx, f, func(x audit.Entry) error { got = append(got, x); return nil }); err != nil {
					e.t.Fatalf("ExportAudit %+v: %v", f, err)
				}
				wantExport := slices.Clone(want)
				slices.Reverse(wantExport)
				if f.Empty() {
					wantExport = slices.Clone(all)
				}
				if !slices.Equal(seqsOf(got), seqsOf(wantExport)) {
					e.t.Errorf("ExportAudit %+v = %v, want %v", f, seqsOf(got), seqsOf(wantExport))
				}
			}
		}},
		{"cursors_and_periods_are_checked", func(e *env) {
			e.auditFixture()
			for _, q := range []store.AuditQuery{
				{Limit: 0},
				{Limit: 5, Before: 3}, // before needs newest first
				{Limit: 5, Newest: true, Before: 3, After: 2},
				{Limit: 5, Newest: true, Before: 987654321}, // no such entry
				{Limit: 5, AuditFilter: store.AuditFilter{From: Epoch.Add(time.Hour), To: Epoch}},
			} {
				_, err := e.s.QueryAudit(e.ctx, q)
				wantCode(e.t, fmt.Sprintf("QueryAudit(%+v)", q), err, licensing.CodeInvalid)
			}
		}},
		{"entry_actions_and_head", func(e *env) {
			all := e.auditFixture()
			x := all[7]
			got, err := e.s.AuditEntry(e.ctx, x.Seq)
			if err != nil || got != x {
				e.t.Errorf("AuditEntry(%d) = %+v, %v; want %+v", x.Seq, got, err, x)
			}
			_, err = e.s.AuditEntry(e.ctx, all[len(all)-1].Seq+100)
			wantCode(e.t, "AuditEntry past the head", err, licensing.CodeNotFound)
			acts, err := e.s.AuditActions(e.ctx)
			if err != nil {
				e.t.Fatal(err)
			}
			var want []string
			for _, x := range all {
				want = append(want, x.Action)
			}
			slices.Sort(want)
			if want = slices.Compact(want); !slices.Equal(acts, want) {
				e.t.Errorf("AuditActions = %v, want %v", acts, want)
			}
			c, err := e.s.CheckAudit(e.ctx)
			last := all[len(all)-1]
			if err != nil || c.Count != int64(len(all)) || c.HeadSeq != last.Seq || c.HeadHash != last.Hash {
				e.t.Errorf("CheckAudit = %+v, %v; want %d entries, head %d %s", c, err, len(all), last.Seq, last.Hash)
			}
			e.rawExec(`UPDATE audit_log SET detail = ? WHERE seq = ?`, "forged", x.Seq)
			c, err = e.s.CheckAudit(e.ctx)
			var ce *audit.ChainError
			if !asChainError(err, &ce) || ce.Seq != x.Seq || c.HeadSeq != last.Seq {
				e.t.Errorf("CheckAudit after editing seq %d = %+v, %v; want the chain broken there, against head %d", x.Seq, c, err, last.Seq)
			}
		}},
		{"plans_walk_an_index_without_sorting", func(e *env) {
			rows := e.bulkAudit(30000)
			newest := rows[len(rows)-1]
			mid := rows[len(rows)/2]
			// broad filters match a good share of the log: their pages must
			// walk an index in page order, never sort the matches. A narrow
			// one may be gathered and sorted (few rows): PostgreSQL chooses
			// by its statistics; SQLite does so for a narrow subject prefix
			// only (fewer matches than the store's threshold).
			for _, c := range []struct {
				f     store.AuditFilter
				broad bool
			}{
				{store.AuditFilter{}, true},
				{store.AuditFilter{Action: "lease.start"}, true},
				{store.AuditFilter{Subject: "pool:"}, true},
				{store.AuditFilter{From: mid.At, To: newest.At}, true},
				{store.AuditFilter{Action: "lease.start", From: mid.At}, true},
				{store.AuditFilter{Action: "token.revoke"}, false},
				{store.AuditFilter{Actor: "web:person-00042"}, false},
				{store.AuditFilter{ActingUser: "person-00007"}, false},
				{store.AuditFilter{Subject: "pool:p3/user:person-00042"}, false},
			} {
				for _, q := range []store.AuditQuery{
					{AuditFilter: c.f, Newest: true, Limit: 50},
					{AuditFilter: c.f, Newest: true, Limit: 50, Before: mid.Seq},
					{AuditFilter: c.f, Newest: true, Limit: 50, After: mid.Seq},
				} {
					plan, err := e.s.ExplainAuditQuery(e.ctx, q)
					if err != nil {
						e.t.Fatalf("ExplainAuditQuery(%+v): %v", q, err)
					}
					sortOK := !c.broad && (e.s.Dialect() == "postgres" || c.f.Subject != "")
					e.walksIndex(plan, fmt.Sprintf("%+v", q), sortOK)
				}
			}
			// The broad prefix reads along the time index (SQLite) and still
			// answers exactly: the newest matches, in order.
			page, err := e.s.QueryAudit(e.ctx, store.AuditQuery{AuditFilter: store.AuditFilter{Subject: "pool:p1"}, Newest: true, Limit: 5})
			if err != nil {
				e.t.Fatal(err)
			}
			want := filterEntries(rows, store.AuditFilter{Subject: "pool:p1"})[:5]
			if !slices.Equal(seqsOf(page.Entries), seqsOf(want)) || !page.More {
				e.t.Errorf("broad prefix page = %v (more %v), want %v", seqsOf(page.Entries), page.More, seqsOf(want))
			}
		}},
	}
}

func asChainError(err error, ce **audit.ChainError) bool {
	c, ok := err.(*audit.ChainError)
	*ce = c
	return ok
}

// auditFixture writes a varied log through the store — several actors,
// acting users, actions and subjects, some entries sharing an instant —
// and returns it as chained, oldest first.
func (e *env) auditFixture() []audit.Entry {
	e.t.Helper()
	type ev struct{ actor, acting, action, subject string }
	evs := []ev{
		{"web:ann", "", "ticket.create", "ticket:INC-1"},
		{"slack", "ann", "ticket.comment", "ticket:INC-1"},
		{"web:bob", "", "lease.start", "pool:desk/user:bob"},
		{"slack", "bob", "lease.start", "pool:desk/user:bob"},
		{"token:ci", "", "pool.update", "pool:desk"},
		{"token:ci", "", "pool.update", "pool:desk-2"},
		{"web:ann", "", "lease.end", "pool:desk/user:ann"},
		{"system", "", "user.update", "user:é@example.com"},
		{"slack", "unverified:ghost", "integration.blocked", "integration:slack"},
		{"web:ann", "", "ticket.create", "ticket:INC-2"},
	}
	for i := 0; i < 60; i++ {
		v := evs[i%len(evs)]
		// Every fourth entry shares its instant with the one before, so
		// pages must order by seq within one instant.
		if i%4 != 3 {
			e.clock.Advance(time.Second)
		}
		if err := e.s.RecordEvent(e.ctx, licensing.Actor{Name: v.actor, ActingUser: v.acting, Source: "test"}, v.action, v.subject, "ok", fmt.Sprintf("n=%d", i)); err != nil {
			e.t.Fatalf("RecordEvent: %v", err)
		}
	}
	var all []audit.Entry
	if err := e.s.ScanAudit(e.ctx, func(x audit.Entry) error { all = append(all, x); return nil }); err != nil {
		e.t.Fatal(err)
	}
	return all
}

// filterEntries is the brute-force filter: entries f selects, newest first
// by time then seq.
func filterEntries(all []audit.Entry, f store.AuditFilter) []audit.Entry {
	var out []audit.Entry
	for _, x := range all {
		if (f.Actor == "" || x.Actor == f.Actor) && (f.ActingUser == "" || x.ActingUser == f.ActingUser) &&
			(f.Action == "" || x.Action == f.Action) && strings.HasPrefix(x.Subject, f.Subject) &&
			(f.From.IsZero() || !x.At.Before(f.From)) && (f.To.IsZero() || x.At.Before(f.To)) {
			out = append(out, x)
		}
	}
	slices.SortFunc(out, func(a, b audit.Entry) int {
		return cmp.Or(b.At.Compare(a.At), cmp.Compare(b.Seq, a.Seq))
	})
	return out
}

func seqsOf(list []audit.Entry) []int64 {
	out := []int64{}
	for _, x := range list {
		out = append(out, x.Seq)
	}
	return out
}

// checkPages reads f newest first in pages of limit down to the oldest,
// then back up with the newer-page cursor, and requires both walks to be
// want exactly, with More true on every page but the last.
func (e *env) checkPages(f store.AuditFilter, limit int, want []audit.Entry) {
	e.t.Helper()
	var got []audit.Entry
	var pages [][]audit.Entry
	q := store.AuditQuery{AuditFilter: f, Newest: true, Limit: limit}
	for n := 0; ; n++ {
		page, err := e.s.QueryAudit(e.ctx, q)
		if err != nil {
			e.t.Fatalf("QueryAudit(%+v): %v", q, err)
		}
		got = append(got, page.Entries...)
		pages = append(pages, page.Entries)
		if !page.More {
			break
		}
		if n > len(want)+1 || len(page.Entries) == 0 {
			e.t.Fatalf("filter %+v, limit %d: paging does not end (more on a page of %d)", f, limit, len(page.Entries))
		}
		q.Before = page.Entries[len(page.Entries)-1].Seq
	}
	if !slices.Equal(seqsOf(got), seqsOf(want)) {
		e.t.Errorf("filter %+v, limit %d, older pages: %v, want %v", f, limit, seqsOf(got), seqsOf(want))
		return
	}
	// Back up: from the oldest page, each newer page is the one above.
	for i := len(pages) - 1; i > 0; i-- {
		first := pages[i][0].Seq
		page, err := e.s.QueryAudit(e.ctx, store.AuditQuery{AuditFilter: f, Newest: true, Limit: limit, After: first})
		if err != nil {
			e.t.Fatalf("QueryAudit after %d: %v", first, err)
		}
		// The page above holds the limit entries just newer, which are the
		// previous page when every page above it was full.
		above := want[:slices.IndexFunc(want, func(x audit.Entry) bool { return x.Seq == first })]
		wantPage := above[max(0, len(above)-limit):]
		if !slices.Equal(seqsOf(page.Entries), seqsOf(wantPage)) || page.More != (len(above) > limit) {
			e.t.Errorf("filter %+v, limit %d, newer page above %d: %v (more %v), want %v (more %v)",
				f, limit, first, seqsOf(page.Entries), page.More, seqsOf(wantPage), len(above) > limit)
		}
	}
}

// bulkAudit inserts n entries straight into the log (hashes aside: no
// verification here) with many actors, few actions, pools and people, a
// second apart, and analyses the tables as a live database would be; it
// returns them oldest first.
func (e *env) bulkAudit(n int) []audit.Entry {
	e.t.Helper()
	tx, err := e.raw.BeginTx(e.ctx, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	ins := e.rebind(`INSERT INTO audit_log (seq, at, actor, acting_user, action, subject, result, source, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, 'ok', 'bulk', '', 'x', 'x')`)
	actions := []string{"lease.start", "lease.end", "decision.deny", "session.start", "session.end", "ticket.create"}
	var out []audit.Entry
	for i := 0; i < n; i++ {
		x := audit.Entry{Seq: int64(2_000_000_000 + i), At: Epoch.Add(time.Duration(i) * time.Second),
			Actor: fmt.Sprintf("web:person-%05d", i%500), Action: actions[i%len(actions)],
			Subject: fmt.Sprintf("pool:p%d/user:person-%05d", i%5, i%500)}
		if i%1000 == 0 {
			x.Action = "token.revoke"
		}
		if i%3 == 0 {
			x.ActingUser = fmt.Sprintf("person-%05d", i%100)
		}
		if _, err := tx.ExecContext(e.ctx, ins, x.Seq, x.At.UnixMicro(), x.Actor, x.ActingUser, x.Action, x.Subject); err != nil {
			e.t.Fatalf("bulk audit: %v", err)
		}
		out = append(out, x)
	}
	if err := tx.Commit(); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.raw.ExecContext(e.ctx, `ANALYZE`); err != nil {
		e.t.Fatal(err)
	}
	return out
}

// walksIndex requires a page's plan to read an audit_log index of
// migration 18 in the page's order: no sort (SQLite's TEMP B-TREE,
// PostgreSQL's Sort node) unless sortOK, and no table scan.
func (e *env) walksIndex(plan, what string, sortOK bool) {
	e.t.Helper()
	bad := !strings.Contains(plan, "audit_log_") || strings.Contains(plan, "Seq Scan") ||
		!sortOK && (strings.Contains(plan, "TEMP B-TREE") || strings.Contains(plan, "Sort"))
	if e.s.Dialect() == "sqlite" {
		// A SCAN is a whole index or table, except the time index read in
		// order from its newest end (no filter, no cursor), which a LIMIT stops.
		for _, l := range strings.Split(plan, "\n") {
			if strings.Contains(l, "SCAN ") && !strings.Contains(l, "USING INDEX audit_log_at") {
				bad = true
			}
		}
	}
	if bad {
		e.t.Errorf("%s: the plan does not walk an audit_log index in order:\n%s", what, plan)
	}
}
