package peoplecsv_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/peoplecsv"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

// TestEmptyCellKeepsValue: an empty cell leaves the stored value unchanged
// (a blank in an HR export must not wipe a department or a manager); with
// ClearEmpty it clears it. Every changed attribute is audited old → new in
// the person's user.update entry.
func TestEmptyCellKeepsValue(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	importString(t, s, "user_name,display_name,email,department,job_code,groups,manager,given_name\n"+
		"boss@example.com,Boss,boss@example.com,EXEC,CEO,,,\n"+
		"ann@example.com,Ann Lee,ann@example.com,IT,ITSD-2,desk-eu;vip,boss@example.com,Ann\n")
	boss, _ := s.GetUser(ctx, "boss@example.com")

	// Blanks everywhere but the job code: only the job code changes.
	head := auditLen(t, s)
	st := importString(t, s, "user_name,display_name,email,department,job_code,groups,manager,given_name\n"+
		"ann@example.com,,,,ITSD-3,,,\n")
	if st.Updated != 1 || st.Failed != 0 {
		t.Fatalf("stats = %+v, want 1 updated", st)
	}
	u, id, err := s.GetIdentity(ctx, "ann@example.com")
	if err != nil || u.DisplayName != "Ann Lee" || u.Email != "ann@example.com" || u.Department != "IT" || u.JobCode != "ITSD-3" ||
		!slices.Equal(u.Groups, []string{"desk-eu", "vip"}) || id.ManagerID != boss.ID || id.GivenName != "Ann" || len(id.Emails) != 1 {
		t.Errorf("after a row of blanks = %+v %+v, %v; want everything kept but job_code ITSD-3", u, id, err)
	}
	changes := lastUpdateChanges(t, s, head)
	if len(changes) != 1 || changes["job_code"] != [2]any{"ITSD-2", "ITSD-3"} {
		t.Errorf("audited changes = %v, want job_code ITSD-2 → ITSD-3 alone", changes)
	}

	// A row of blanks alone changes nothing, and is not written.
	if st := importString(t, s, "user_name,department,groups,manager\nann@example.com,,,\n"); st.Unchanged != 1 || st.Updated != 0 {
		t.Errorf("blank row stats = %+v, want unchanged", st)
	}

	// --clear-empty: the blanks clear.
	head = auditLen(t, s)
	st = importString(t, s, "user_name,display_name,department,groups,manager,given_name\nann@example.com,Ann Lee,,,,\n",
		func(im *peoplecsv.Importer) { im.ClearEmpty = true })
	if st.Updated != 1 {
		t.Fatalf("clear-empty stats = %+v, want 1 updated", st)
	}
	u, id, _ = s.GetIdentity(ctx, "ann@example.com")
	if u.Department != "" || len(u.Groups) != 0 || id.ManagerID != "" || id.GivenName != "" || u.DisplayName != "Ann Lee" || u.JobCode != "ITSD-3" {
		t.Errorf("after clear-empty = %+v %+v; want department, groups, manager and given name cleared, the rest kept", u, id)
	}
	changes = lastUpdateChanges(t, s, head)
	want := map[string][2]any{
		"department": {"IT", ""}, "groups": {"desk-eu;vip", ""}, "manager": {boss.ID, ""}, "given_name": {"Ann", ""},
	}
	if len(changes) != len(want) {
		t.Errorf("audited changes = %v, want %v", changes, want)
	}
	for k, w := range want {
		if changes[k] != w {
			t.Errorf("audited change of %s = %v, want %v", k, changes[k], w)
		}
	}
}

// auditLen is the newest audit seq.
func auditLen(t *testing.T, s *store.Store) int64 {
	t.Helper()
	list, err := s.ListAudit(context.Background(), 0, 100000)
	if err != nil {
		t.Fatalf("ListAudit: %v", err)
	}
	if len(list) == 0 {
		return 0
	}
	return list[len(list)-1].Seq
}

// lastUpdateChanges returns the "changes" of the one user.update entry
// after seq, as field → [from, to].
func lastUpdateChanges(t *testing.T, s *store.Store, after int64) map[string][2]any {
	t.Helper()
	list, err := s.ListAudit(context.Background(), after, 1000)
	if err != nil {
		t.Fatalf("ListAudit: %v", err)
	}
	var updates []string
	for _, e := range list {
		if e.Action == "user.update" {
			updates = append(updates, e.Detail)
		}
	}
	if len(updates) != 1 {
		t.Fatalf("user.update entries after %d: %q, want one", after, updates)
	}
	var d struct {
		Changes map[string]struct{ From, To any }
	}
	if err := json.Unmarshal([]byte(updates[0]), &d); err != nil {
		t.Fatalf("user.update detail %q: %v", updates[0], err)
	}
	out := map[string][2]any{}
	for k, c := range d.Changes {
		out[k] = [2]any{c.From, c.To}
	}
	return out
}
