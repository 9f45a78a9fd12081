package peoplecsv_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/peoplecsv"
	"github.com/seatkeeper/seatkeeper/internal/store"
	"github.com/seatkeeper/seatkeeper/internal/store/sqlite"
)

func TestReaderParsing(t *testing.T) {
	in := "\ufeffUser_Name,display_name,groups,active\r\n" +
		"ann@example.com,\"Lee, Ann\",\"desk-eu; vip\",yes\r\n" +
		"bob@example.com,\"Bob \"\"the builder\"\"\",,0\r\n" +
		"\r\n" +
		"cat@example.com,\"multi\nline\",g1,TRUE\r\n"
	rd, err := peoplecsv.NewReader(strings.NewReader(in))
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	var got []string
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		u, _ := rec.Get("user_name")
		d, _ := rec.Get("display_name")
		g, _ := rec.Get("groups")
		a, _ := rec.Get("active")
		got = append(got, fmt.Sprintf("%d|%s|%s|%s|%s", rec.Line, u, d, g, a))
	}
	want := []string{
		"2|ann@example.com|Lee, Ann|desk-eu; vip|yes",
		`3|bob@example.com|Bob "the builder"||0`,
		"5|cat@example.com|multi\nline|g1|TRUE",
	}
	if !slices.Equal(got, want) {
		t.Errorf("records = %q, want %q", got, want)
	}
}

func TestReaderHeaderErrors(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"unknown column", "user_name,shoe_size\n", `unknown column "shoe_size"`},
		{"no user_name", "email\n", "user_name column is required"},
		{"repeated", "user_name,email,EMAIL\n", `"email" appears twice`},
		{"empty", "", "empty"},
		{"blank name", "user_name,,email\n", "column 2 has no name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := peoplecsv.NewReader(strings.NewReader(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("NewReader(%q) = %v, want an error containing %q", tc.in, err, tc.want)
			}
		})
	}
}

func TestReaderRowErrors(t *testing.T) {
	in := "user_name,active\nann,maybe\n,true\nbob,true,extra\ncat,no\n"
	rd, err := peoplecsv.NewReader(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			break
		}
		if re, ok := err.(peoplecsv.RowError); ok {
			got = append(got, fmt.Sprintf("line %d error", re.Line))
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("line %d ok", rec.Line))
	}
	want := []string{"line 2 error", "line 3 error", "line 4 error", "line 5 ok"}
	if !slices.Equal(got, want) {
		t.Errorf("rows = %v, want %v", got, want)
	}
}

func openStore(t testing.TB) *store.Store {
	t.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "p.db"), store.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}

var admin = licensing.Actor{Name: "test", Source: "test"}

func importString(t *testing.T, s *store.Store, in string, mod ...func(*peoplecsv.Importer)) peoplecsv.Stats {
	t.Helper()
	im := &peoplecsv.Importer{Store: s, Actor: admin, BatchSize: 2}
	for _, m := range mod {
		m(im)
	}
	st, err := im.Run(context.Background(), strings.NewReader(in))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return st
}

func TestImport(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	in := "user_name,email,employee_id,external_id,job_code,groups,active,manager,given_name\n" +
		"ann@example.com,ann@example.com,E1,x-ann,ITSD-2,desk-eu;vip,true,boss@example.com,Ann\n" + // boss comes later
		"bob@example.com,bob@example.com,E2,x-bob,HR-1,,true,E1,Bob\n" +
		"ann@example.com,,,,,,,,\n" + // duplicate in the file
		"cat@example.com,,E3,,,,perhaps,,\n" + // bad active
		"dan@example.com,ann@example.com,E4,,,,true,,\n" + // ann's email: may be shared
		"eve@example.com,,E5,,,,true,nobody,\n" + // unknown manager
		"boss@example.com,,E0,,,,true,,Boss\n"
	var batches [][]string
	st := importString(t, s, in, func(im *peoplecsv.Importer) {
		im.Reconcile = func(_ context.Context, ids []string, _ bool) error { batches = append(batches, ids); return nil }
	})
	// eve is written without her manager, and her line reported.
	if st.Rows != 7 || st.Created != 5 || st.Failed != 3 {
		t.Errorf("stats = %+v, want 7 rows, 5 created, 3 failed", st)
	}
	var lines []int
	for _, e := range st.Errors {
		lines = append(lines, e.Line)
	}
	slices.Sort(lines)
	if !slices.Equal(lines, []int{4, 5, 7}) {
		t.Errorf("failed lines = %v (%v), want 4 5 7", lines, st.Errors)
	}
	if len(batches) == 0 {
		t.Errorf("Reconcile never called")
	}
	u, id, err := s.GetIdentity(ctx, "ann@example.com")
	boss, _ := s.GetUser(ctx, "boss@example.com")
	if err != nil || u.JobCode != "ITSD-2" || !slices.Equal(u.Groups, []string{"desk-eu", "vip"}) || id.GivenName != "Ann" || id.ManagerID != boss.ID {
		t.Errorf("ann = %+v %+v, %v (boss %s)", u, id, err, boss.ID)
	}
	if len(id.Emails) != 1 || id.Emails[0].Value != "ann@example.com" || !id.Emails[0].Primary {
		t.Errorf("ann emails = %+v", id.Emails)
	}
	_, bid, _ := s.GetIdentity(ctx, "bob@example.com")
	if bid.ManagerID != u.ID {
		t.Errorf("bob's manager = %q, want ann %q (by employee id)", bid.ManagerID, u.ID)
	}

	// Update by external id: a new user name, a column left out keeps its value.
	st = importString(t, s, "user_name,external_id,department,active\nann.lee@example.com,X-ANN,IT,false\n")
	if st.Updated != 1 || st.Deactivated != 1 || st.Failed != 0 {
		t.Errorf("update stats = %+v", st)
	}
	u2, _, err := s.GetIdentity(ctx, "ann.lee@example.com")
	if err != nil || u2.ID != u.ID || u2.Department != "IT" || u2.JobCode != "ITSD-2" || u2.Active {
		t.Errorf("after update by external id = %+v, %v", u2, err)
	}
	// Unchanged rows are not written.
	st = importString(t, s, "user_name,external_id,department,active\nann.lee@example.com,X-ANN,IT,false\n")
	if st.Unchanged != 1 || st.Updated != 0 {
		t.Errorf("re-import stats = %+v", st)
	}
}

func TestDryRunWritesNothing(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	importString(t, s, "user_name,job_code\nold@example.com,A\nkeep@example.com,B\n")
	before, _ := s.ListAudit(ctx, 0, 1000)
	st := importString(t, s, "user_name,job_code,manager\nkeep@example.com,C,new@example.com\nnew@example.com,D,\n", func(im *peoplecsv.Importer) {
		im.DryRun, im.DeactivateMissing = true, true
	})
	if st.Created != 1 || st.Updated != 1 || st.Deactivated != 1 || st.Failed != 0 {
		t.Errorf("dry run stats = %+v, want 1 created, 1 updated, 1 deactivated", st)
	}
	list, _ := s.ListUsers(ctx, store.UserFilter{Limit: 10})
	if len(list) != 2 {
		t.Errorf("people after dry run = %+v", list)
	}
	for _, u := range list {
		if u.UserName == "keep@example.com" && u.JobCode != "B" {
			t.Errorf("dry run changed keep: %+v", u)
		}
		if !u.Active {
			t.Errorf("dry run deactivated %s", u.UserName)
		}
	}
	after, _ := s.ListAudit(ctx, 0, 1000)
	if len(after) != len(before) {
		t.Errorf("dry run wrote %d audit entries", len(after)-len(before))
	}
	// Missing people stay active unless asked.
	importString(t, s, "user_name\nkeep@example.com\n")
	if u, _ := s.GetUser(ctx, "old@example.com"); !u.Active {
		t.Errorf("old deactivated without --deactivate-missing")
	}
	st = importString(t, s, "user_name\nkeep@example.com\n", func(im *peoplecsv.Importer) { im.DeactivateMissing = true })
	if u, _ := s.GetUser(ctx, "old@example.com"); u.Active || st.Deactivated != 1 {
		t.Errorf("old still active (stats %+v) with --deactivate-missing", st)
	}
}

// BenchmarkImport imports 20,000 people into a fresh store per iteration
// and reports people/s (BENCHMARKS.md quotes it with the 100,000-person run
// of `seatkeeper import`).
func BenchmarkImport(b *testing.B) {
	const n = 20000
	var csv strings.Builder
	csv.WriteString("user_name,display_name,email,employee_id,external_id,job_code,department,groups,active,manager\n")
	for i := range n {
		mgr := ""
		if i >= 10 {
			mgr = fmt.Sprintf("u%06d@example.com", i%10)
		}
		fmt.Fprintf(&csv, "u%06d@example.com,Person %d,u%06d@example.com,E%06d,x%06d,ITSD-%d,IT,desk-eu;g%d,true,%s\n", i, i, i, i, i, i%5, i%10, mgr)
	}
	var took time.Duration
	for b.Loop() {
		b.StopTimer()
		s := openStore(b)
		b.StartTimer()
		start := time.Now()
		im := &peoplecsv.Importer{Store: s, Actor: admin}
		st, err := im.Run(context.Background(), strings.NewReader(csv.String()))
		took += time.Since(start)
		if err != nil || st.Created != n || st.Failed != 0 {
			b.Fatalf("Run = %+v, %v", st, err)
		}
	}
	b.ReportMetric(float64(n*b.N)/took.Seconds(), "people/s")
}

// TestImportIdentityLookAlikes (issue 10, part 3): a row whose key holds an
// invisible character fails on its line; a full-width or differently cased
// key is the same person, in the store and within one file.
func TestImportIdentityLookAlikes(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	st := importString(t, s, "user_name,email,employee_id\nagent@example.com,agent@example.com,E1\n")
	if st.Created != 1 {
		t.Fatalf("stats = %+v, want agent created", st)
	}
	agent, _ := s.GetUser(ctx, "agent@example.com")
	in := "user_name,email,employee_id,department\n" +
		"ａｇｅｎｔ@example.com,,,IT\n" + // full-width: agent, updated
		"zed\u200b@example.com,,E9,\n" + // zero-width: refused
		"kim@example.com,kim\u202e@example.com,E8,\n" + // bidi override: refused
		"lee@example.com,,E7,\n" +
		"LEE@EXAMPLE.COM,,,HR\n" // the same person twice in the file
	st = importString(t, s, in)
	if st.Updated != 1 || st.Created != 1 || st.Failed != 3 {
		t.Errorf("stats = %+v (%v), want 1 updated, 1 created, 3 failed", st, st.Errors)
	}
	var lines []int
	for _, e := range st.Errors {
		lines = append(lines, e.Line)
	}
	slices.Sort(lines)
	if !slices.Equal(lines, []int{3, 4, 6}) {
		t.Errorf("failed lines = %v (%v), want 3, 4 and 6", lines, st.Errors)
	}
	got, err := s.GetUser(ctx, "agent@example.com")
	if err != nil || got.ID != agent.ID || got.Department != "IT" {
		t.Errorf("agent after the import = %+v, %v; want the same person, department IT", got, err)
	}
	if _, err := s.GetUser(ctx, "zed@example.com"); licensing.ErrorCode(err) != licensing.CodeNotFound {
		t.Errorf("zed = %v, want not imported", err)
	}
}
