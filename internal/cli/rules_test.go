package cli

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/provision"
)

const deskRule = `{"id":"desk-agents","when":{"job_code":["ITSD-*"]},"grant":[{"sku":"agent","model":"named"}],"priority":10}`

// rulesDB is a database with a two-seat named pool "desk" of SKU agent and
// four people, three on ITSD job codes.
func rulesDB(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "rules.db")
	st, err := openStore(ctx, db, newLogger(io.Discard, "error"))
	if err != nil {
		t.Fatal(err)
	}
	a := licensing.System("test")
	if err := st.PutSKU(ctx, a, licensing.SKU{Key: "agent", Name: "Agent", Tier: licensing.TierFulfiller}, true); err != nil {
		t.Fatal(err)
	}
	if err := st.CreatePool(ctx, a, licensing.Pool{ID: "desk", SKU: "agent", Model: licensing.ModelNamed, Seats: 2}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	csv := "user_name,job_code\nann@example.com,ITSD-1\nbob@example.com,ITSD-2\ncid@example.com,ITSD-3\ndee@example.com,HR-1\n"
	if r := runIn(t, csv, "import", "--db", db, "-"); r.err != nil {
		t.Fatalf("import: %v\n%s", r.err, r.stderr)
	}
	return db
}

// snapshot is what a command may change: the audit length, the desk pool's
// members ("user state source", sorted) and the rules.
func snapshot(t *testing.T, db string) (int64, []string, int) {
	t.Helper()
	ctx := context.Background()
	st, err := openStore(ctx, db, newLogger(io.Discard, "error"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	n, err := st.VerifyAudit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := st.ListMembers(ctx, "desk")
	if err != nil {
		t.Fatal(err)
	}
	var members []string
	for _, m := range ms {
		members = append(members, strings.TrimSuffix(m.UserName, "@example.com")+" "+m.State+" "+m.Source)
	}
	sort.Strings(members)
	rules, err := st.ListRules(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return n, members, len(rules)
}

// unchanged fails the test if the database moved since before.
func unchanged(t *testing.T, db, what string, audit int64, members []string, rules int) {
	t.Helper()
	a, m, r := snapshot(t, db)
	if a != audit || strings.Join(m, ",") != strings.Join(members, ",") || r != rules {
		t.Errorf("%s changed the database: audit %d→%d, members %v→%v, rules %d→%d", what, audit, a, members, m, rules, r)
	}
}

func writeFile(t *testing.T, body string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "rule.json")
	if err := os.WriteFile(f, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestRulesLifecycle(t *testing.T) {
	db := rulesDB(t)
	file := writeFile(t, deskRule)
	audit0, members0, _ := snapshot(t, db)
	if len(members0) != 0 {
		t.Fatalf("members before any rule: %v", members0)
	}

	// Preview: three want a seat, two exist; nothing is written.
	var pv provision.PreviewJSON
	r := ok(t, "rules", "preview", "--db", db, file, "--json")
	if err := json.Unmarshal([]byte(r.stdout), &pv); err != nil {
		t.Fatalf("preview --json: %v\n%s", err, r.stdout)
	}
	if len(pv.Gains) != 2 || len(pv.Pending) != 1 || len(pv.Losses) != 0 || len(pv.Overflows) != 1 || pv.Overflows[0] != (provision.OverflowJSON{Pool: "desk", ShortBy: 1}) {
		t.Errorf("preview = %+v, want 2 gains, 1 pending, desk short by 1", pv)
	}
	r = ok(t, "rules", "preview", "--db", db, file)
	for _, want := range []string{"nothing changed", "2 gain, 0 lose, 1 pending", "+ ann@example.com agent pool desk", "~ cid@example.com", "overflow: pool desk short by 1"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("preview lacks %q:\n%s", want, r.stdout)
		}
	}
	unchanged(t, db, "preview", audit0, members0, 0)

	// Create applies and reconciles everyone.
	r = ok(t, "rules", "create", "--db", db, file)
	for _, want := range []string{"rule desk-agents created, version 1", "2 granted, 0 revoked, 1 pending", "overflow: pool desk short by 1"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("create lacks %q:\n%s", want, r.stdout)
		}
	}
	_, members, n := snapshot(t, db)
	want := []string{"ann active rule:desk-agents", "bob active rule:desk-agents", "cid pending rule:desk-agents"}
	if strings.Join(members, ",") != strings.Join(want, ",") || n != 1 {
		t.Errorf("after create: members %v rules %d, want %v and 1 rule", members, n, want)
	}

	// list, as a table and as JSON; get.
	r = ok(t, "rules", "list", "--db", db)
	if lines := strings.Split(strings.TrimSpace(r.stdout), "\n"); len(lines) != 2 || !strings.HasPrefix(lines[0], "ID") ||
		!strings.Contains(lines[1], "desk-agents") || !strings.Contains(lines[1], "job_code=ITSD-*") || !strings.Contains(lines[1], "agent(named)") {
		t.Errorf("list table:\n%s", r.stdout)
	}
	var list struct{ Rules []provision.RuleJSON }
	if err := json.Unmarshal([]byte(ok(t, "rules", "list", "--json", "--db", db).stdout), &list); err != nil || len(list.Rules) != 1 || list.Rules[0].Version != 1 || list.Rules[0].Priority != 10 {
		t.Errorf("list --json = %+v (%v)", list, err)
	}
	var got provision.RuleJSON
	if err := json.Unmarshal([]byte(ok(t, "rules", "get", "--db", db, "desk-agents").stdout), &got); err != nil || got.ID != "desk-agents" || got.Version != 1 || got.Enabled == nil || !*got.Enabled {
		t.Errorf("get = %+v (%v)", got, err)
	}

	// Update from stdin narrows the rule to ITSD-1: bob loses, cid leaves the queue.
	r = runIn(t, `{"when":{"job_code":["ITSD-1"]},"grant":[{"sku":"agent","model":"named"}],"priority":5}`, "rules", "update", "--db", db, "desk-agents", "-")
	if r.err != nil || !strings.Contains(r.stdout, "version 2") || !strings.Contains(r.stdout, "0 granted, 2 revoked") {
		t.Errorf("update: %v\n%s%s", r.err, r.stdout, r.stderr)
	}
	if _, members, _ := snapshot(t, db); strings.Join(members, ",") != "ann active rule:desk-agents" {
		t.Errorf("after update: members %v, want ann only", members)
	}

	// Preview removing the rule: ann would lose; nothing is written.
	audit1, members1, _ := snapshot(t, db)
	r = ok(t, "rules", "preview", "--db", db, "--remove", "desk-agents")
	if !strings.Contains(r.stdout, "0 gain, 1 lose") || !strings.Contains(r.stdout, "- ann@example.com agent pool desk rule desk-agents") {
		t.Errorf("preview --remove:\n%s", r.stdout)
	}
	unchanged(t, db, "preview --remove", audit1, members1, 1)

	// Delete revokes; the history keeps every version.
	r = ok(t, "rules", "delete", "--db", db, "desk-agents")
	if !strings.Contains(r.stdout, "rule desk-agents deleted") || !strings.Contains(r.stdout, "0 granted, 1 revoked") {
		t.Errorf("delete:\n%s", r.stdout)
	}
	if _, members, n := snapshot(t, db); len(members) != 0 || n != 0 {
		t.Errorf("after delete: members %v, rules %d", members, n)
	}
	var hist struct {
		ID       string
		Versions []struct {
			Version   int
			Body      json.RawMessage
			Deleted   bool
			ChangedBy string `json:"changed_by"`
		}
	}
	if err := json.Unmarshal([]byte(ok(t, "rules", "versions", "--db", db, "desk-agents").stdout), &hist); err != nil {
		t.Fatal(err)
	}
	if v := hist.Versions; len(v) != 3 || v[0].Deleted || !v[2].Deleted || !strings.Contains(string(v[1].Body), "ITSD-1") || v[0].ChangedBy != "cli:unknown" {
		t.Errorf("versions = %+v", hist)
	}
}

func TestRulesBadInput(t *testing.T) {
	db := rulesDB(t)
	ok(t, "rules", "create", "--db", db, writeFile(t, deskRule))
	audit, members, rules := snapshot(t, db)

	for _, tc := range []struct {
		name  string
		stdin string
		args  []string
		code  int
		msg   string
	}{
		{"broken JSON", `{"id":"x",`, []string{"create", "-"}, 1, "not a valid rule"},
		{"unknown field", `{"id":"x","when":{"job_code":["A"]},"grant":[{"sku":"agent"}],"colour":"red"}`, []string{"create", "-"}, 1, `unknown field "colour"`},
		{"two objects", deskRule + deskRule, []string{"preview", "-"}, 1, "exactly one JSON object"},
		{"missing id", `{"when":{"job_code":["A"]},"grant":[{"sku":"agent"}]}`, []string{"create", "-"}, 1, "id must be"},
		{"no condition", `{"id":"x","grant":[{"sku":"agent"}]}`, []string{"preview", "-"}, 1, "condition"},
		{"unknown sku", `{"id":"x","when":{"job_code":["A"]},"grant":[{"sku":"nope"}]}`, []string{"create", "-"}, 1, `sku "nope" does not exist`},
		{"duplicate", deskRule, []string{"create", "-"}, 1, "already exists"},
		{"id differs", deskRule, []string{"update", "other", "-"}, 1, "differs"},
		{"stale version", `{"version":7,"when":{"job_code":["A"]},"grant":[{"sku":"agent"}]}`, []string{"update", "desk-agents", "-"}, 1, "version"},
		{"update unknown", `{"when":{"job_code":["A"]},"grant":[{"sku":"agent"}]}`, []string{"update", "nope", "-"}, 1, "not_found"},
		{"get unknown", "", []string{"get", "nope"}, 1, "nope"},
		{"versions unknown", "", []string{"versions", "nope"}, 1, "nope"},
		{"delete unknown", "", []string{"delete", "nope"}, 1, "nope"},
		{"preview remove unknown", "", []string{"preview", "--remove", "nope"}, 1, "nope"},
		{"missing file", "", []string{"create", filepath.Join(t.TempDir(), "none.json")}, 1, "no such file"},
		{"no subcommand", "", nil, 2, "no subcommand"},
		{"unknown subcommand", "", []string{"frob"}, 2, "frob"},
		{"create without file", "", []string{"create"}, 2, "argument"},
		{"update without file", "", []string{"update", "desk-agents"}, 2, "argument"},
		{"preview file and remove", deskRule, []string{"preview", "-", "--remove", "desk-agents"}, 2, "argument"},
		{"remove outside preview", "", []string{"delete", "desk-agents", "--remove", "x"}, 2, "preview only"},
		{"bad flag", "", []string{"list", "--nope"}, 2, "nope"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"rules"}, tc.args...)
			if len(tc.args) > 0 {
				args = append(args, "--db", db)
			}
			r := runIn(t, tc.stdin, args...)
			if r.err == nil || r.code != tc.code || !strings.Contains(r.err.Error(), tc.msg) {
				t.Errorf("err %v exit %d, want exit %d and %q", r.err, r.code, tc.code, tc.msg)
			}
			unchanged(t, db, tc.name, audit, members, rules)
		})
	}
}

func TestRulesUsesEnvDBAndIsInUsage(t *testing.T) {
	db := rulesDB(t)
	var out, errOut strings.Builder
	env := Env{Getenv: func(k string) string {
		if k == "SEATKEEPER_DB" {
			return db
		}
		return ""
	}, Stdin: strings.NewReader(deskRule), Stdout: &out, Stderr: &errOut}
	if err := Run(context.Background(), []string{"rules", "create", "-"}, env); err != nil {
		t.Fatalf("create with SEATKEEPER_DB: %v\n%s", err, errOut.String())
	}
	if _, _, n := snapshot(t, db); n != 1 {
		t.Errorf("rules in SEATKEEPER_DB = %d, want 1", n)
	}
	if r := ok(t, "help"); !strings.Contains(r.stdout, "rules list|get") {
		t.Errorf("usage lacks rules:\n%s", r.stdout)
	}
}
