package api

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/audit"
)

// TestAuditQueryFiltersCursorsAndExport: GET /api/v1/audit pages newest
// first by its cursors with every filter; a date in to includes its day;
// an unknown parameter is refused by name; the export carries the same
// filters; one entry reads in full; verify names the head it checked.
func TestAuditQueryFiltersCursorsAndExport(t *testing.T) {
	e := newTestEnv(t)
	e.seedDesk() // 2 SKUs, 2 pools, 5 people
	type page struct {
		Entries []audit.Entry `json:"entries"`
		Next    int64         `json:"next"`
	}
	var got []string
	q := "/api/v1/audit?order=desc&limit=2&action=user.create"
	for n := 0; n < 10; n++ {
		var p page
		e.must(200, "GET", q, nil).into(t, &p)
		for _, x := range p.Entries {
			got = append(got, strings.TrimPrefix(x.Subject, "user:"))
		}
		if p.Next == 0 {
			break
		}
		q = fmt.Sprintf("/api/v1/audit?order=desc&limit=2&action=user.create&before=%d", p.Next)
	}
	if want := []string{"eve@example.com", "dee@example.com", "cid@example.com", "bob@example.com", "ann@example.com"}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("user.create newest first: %v, want %v", got, want)
	}
	// Back up with after: the newer page above the oldest entry.
	var all page
	e.must(200, "GET", "/api/v1/audit?order=desc&action=user.create", nil).into(t, &all)
	var up page
	e.must(200, "GET", fmt.Sprintf("/api/v1/audit?order=desc&limit=2&action=user.create&after=%d", all.Entries[4].Seq), nil).into(t, &up)
	if len(up.Entries) != 2 || up.Entries[0].Seq != all.Entries[2].Seq || up.Entries[1].Seq != all.Entries[3].Seq || up.Next != all.Entries[2].Seq {
		t.Errorf("newer page above the oldest: %+v, want entries 3 and 4 of %d with next = the first", up, len(all.Entries))
	}
	// Subject prefix, actor, period: a date in to includes its day.
	var pools page
	e.must(200, "GET", "/api/v1/audit?order=desc&subject=pool:agents-&actor=token:admin", nil).into(t, &pools)
	if len(pools.Entries) != 2 || pools.Entries[0].Subject != "pool:agents-floating" || pools.Entries[1].Subject != "pool:agents-named" {
		t.Errorf("subject pool:agents- by token:admin: %+v", pools.Entries)
	}
	day := e.clock.now().UTC().Format(time.DateOnly)
	var today, before page
	e.must(200, "GET", "/api/v1/audit?order=desc&action=user.create&from="+day+"&to="+day, nil).into(t, &today)
	e.must(200, "GET", "/api/v1/audit?order=desc&action=user.create&to="+day+"T00:00:00Z", nil).into(t, &before)
	if len(today.Entries) != 5 || len(before.Entries) != 0 {
		t.Errorf("from=to=%s: %d entries (want 5); before its midnight: %d (want 0)", day, len(today.Entries), len(before.Entries))
	}
	wantError(t, e.call("GET", "/api/v1/audit?acting-user=ann", nil), 400, "invalid_request", "acting-user")
	wantError(t, e.call("GET", "/api/v1/audit?from=yesterday", nil), 400, "invalid_request", "from")
	wantError(t, e.call("GET", "/api/v1/audit?order=sideways", nil), 400, "invalid_request", "order")
	wantError(t, e.call("GET", "/api/v1/audit?order=desc&from=2026-02-01&to=2026-01-01", nil), 400, "invalid_request", "to")
	wantError(t, e.call("GET", "/api/v1/audit/export?format=csv&limit=3", nil), 400, "invalid_request", "limit")

	// The export takes the filters: the same entries, oldest first.
	r := e.must(200, "GET", "/api/v1/audit/export?action=user.create", nil)
	var seqs []int64
	if err := audit.ReadJSONL(strings.NewReader(string(r.Body)), func(x audit.Entry) error { seqs = append(seqs, x.Seq); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(seqs) != 5 || seqs[0] != all.Entries[4].Seq || seqs[4] != all.Entries[0].Seq {
		t.Errorf("filtered export: %v", seqs)
	}
	// One entry in full; verify names the head it checked against.
	var one audit.Entry
	e.must(200, "GET", fmt.Sprintf("/api/v1/audit/%d", all.Entries[0].Seq), nil).into(t, &one)
	if one != all.Entries[0] {
		t.Errorf("GET one entry: %+v, want %+v", one, all.Entries[0])
	}
	var v struct {
		OK    bool  `json:"ok"`
		Count int64 `json:"count"`
		Head  struct {
			Seq  int64  `json:"seq"`
			Hash string `json:"hash"`
		} `json:"head"`
	}
	e.must(200, "GET", "/api/v1/audit/verify", nil).into(t, &v)
	var newest page
	e.must(200, "GET", "/api/v1/audit?order=desc&limit=1", nil).into(t, &newest)
	if !v.OK || v.Head.Seq != v.Count || v.Head.Seq != newest.Entries[0].Seq || v.Head.Hash != newest.Entries[0].Hash {
		t.Errorf("verify %+v, newest entry %d %s", v, newest.Entries[0].Seq, newest.Entries[0].Hash)
	}
}
