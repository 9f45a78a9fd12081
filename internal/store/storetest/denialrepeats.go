package storetest

import (
	"fmt"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// auditTotal is the number of audit entries (chained or not yet).
func (e *env) auditTotal() int {
	e.t.Helper()
	list, err := e.s.ListAudit(e.ctx, 0, 1_000_000)
	if err != nil {
		e.t.Fatalf("ListAudit: %v", err)
	}
	return len(list)
}

func (e *env) denialTotal(reason string) int64 {
	e.t.Helper()
	counts, err := e.s.DenialsByReason(e.ctx)
	if err != nil {
		e.t.Fatalf("DenialsByReason: %v", err)
	}
	for _, c := range counts {
		if c.Reason == reason {
			return c.Count
		}
	}
	return 0
}

// denialRepeatTests (issue 10, part 8): one token repeating a refused call
// cannot grow the audit log by an entry each; the count is kept.
func denialRepeatTests() []testCase {
	return []testCase{
		{"repeats_within_a_second_share_an_entry", func(e *env) {
			ann := e.user("ann")
			tok := licensing.Actor{Name: "token:hammer", Source: "storetest"}
			before := e.auditTotal()
			for i := 0; i < 50; i++ {
				if err := e.s.RecordDenial(e.ctx, tok, ann.ID, "", "ticket.transition", licensing.CodeNoLicence); err != nil {
					e.t.Fatalf("RecordDenial: %v", err)
				}
			}
			// Unknown people: inventing names does not escape the grouping.
			for i := 0; i < 30; i++ {
				if err := e.s.RecordDenial(e.ctx, tok, fmt.Sprintf("ghost%d", i), "", "ticket.transition", licensing.ReasonUnknownUser); err != nil {
					e.t.Fatalf("RecordDenial: %v", err)
				}
			}
			if n := e.auditTotal() - before; n != 2 {
				e.t.Errorf("80 denials in one second wrote %d audit entries before the flush, want 2 (one per key)", n)
			}
			if err := e.s.FlushDenials(e.ctx); err != nil {
				e.t.Fatalf("FlushDenials: %v", err)
			}
			list, err := e.s.ListAudit(e.ctx, 0, 1_000_000)
			if err != nil {
				e.t.Fatalf("ListAudit: %v", err)
			}
			var repeated []string
			for _, en := range list[before:] {
				if en.Action == "decision.deny" && strings.HasPrefix(en.Detail, "repeated=") {
					repeated = append(repeated, en.Result+" "+en.Detail)
				}
			}
			if len(list)-before != 4 || len(repeated) != 2 {
				e.t.Errorf("after the flush %d entries with repeats %v, want 4: each key's first and one with its count", len(list)-before, repeated)
			}
			if got := e.denialTotal(licensing.CodeNoLicence); got != 50 {
				e.t.Errorf("no_licence denials counted %d, want all 50", got)
			}
			if got := e.denialTotal(licensing.ReasonUnknownUser); got != 30 {
				e.t.Errorf("unknown_user denials counted %d, want all 30", got)
			}
			// A new second, a new first entry, written at once.
			e.clock.Advance(time.Second)
			before = e.auditTotal()
			if err := e.s.RecordDenial(e.ctx, tok, ann.ID, "", "ticket.transition", licensing.CodeNoLicence); err != nil {
				e.t.Fatalf("RecordDenial: %v", err)
			}
			// Another capability or person is another key.
			if err := e.s.RecordDenial(e.ctx, tok, ann.ID, "", "ticket.read_all", licensing.CodeNoLicence); err != nil {
				e.t.Fatalf("RecordDenial: %v", err)
			}
			if n := e.auditTotal() - before; n != 2 {
				e.t.Errorf("two distinct denials in a new second wrote %d entries, want 2", n)
			}
			if err := e.s.FlushDenials(e.ctx); err != nil {
				e.t.Fatalf("FlushDenials: %v", err)
			}
			if n := e.auditTotal() - before; n != 2 {
				e.t.Errorf("a flush with no repeats wrote %d more entries, want none", n-2)
			}
			if _, err := e.s.VerifyAudit(e.ctx); err != nil {
				e.t.Errorf("VerifyAudit: %v", err)
			}
		}},
	}
}
