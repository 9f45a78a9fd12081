package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/entitle"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/plural"
	"github.com/seatkeeper/seatkeeper/internal/provision"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

const rulesUsage = `usage: seatkeeper rules <subcommand> [--db DB] [args]

  list [--json]              the rules, highest priority first
  get ID                     one rule as JSON
  versions ID                a rule's history as JSON, deletions included
  create FILE                add a rule and reconcile everyone
  update ID FILE             replace a rule and reconcile everyone
  delete ID                  retire a rule and reconcile everyone
  preview FILE [--json]      who would gain, lose or wait, which pools overflow; changes nothing
  preview --remove ID [--json]
                             the same for deleting rule ID

FILE holds a rule as the API takes it ("-" reads stdin), e.g.
  {"id":"desk-agents","when":{"job_code":["ITSD-*"]},"grant":[{"sku":"agent","model":"named"}],"priority":10}
`

// maxRuleFile bounds a rule file, as the API bounds a request body.
const maxRuleFile = 1 << 20

// runRules manages entitlement rules (DESIGN §3.6) with the API's semantics:
// every write reconciles everyone.
func runRules(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, rulesUsage)
		return &exitError{code: 2, err: errors.New("rules: no subcommand given")}
	}
	sub, rest := args[0], args[1:]
	fs := newFlagSet("rules "+sub, env)
	fs.Usage = func() { fmt.Fprint(env.Stderr, rulesUsage); fs.PrintDefaults() }
	var d dbFlags
	d.register(fs, env)
	asJSON := fs.Bool("json", false, "print JSON (list, preview)")
	remove := fs.String("remove", "", "preview: the rule whose deletion to preview")
	want := map[string]int{"list": 0, "get": 1, "versions": 1, "create": 1, "update": 2, "delete": 1, "preview": 1}
	n, known := want[sub]
	if !known {
		fmt.Fprint(env.Stderr, rulesUsage)
		return &exitError{code: 2, err: fmt.Errorf("rules: unknown subcommand %q", sub)}
	}
	if err := parse(fs, rest); err != nil {
		return err
	}
	pos := fs.Args()
	if *remove != "" && sub != "preview" {
		return &exitError{code: 2, err: fmt.Errorf("rules %s: --remove applies to preview only", sub)}
	}
	if sub == "preview" && *remove != "" {
		n = 0 // --remove ID replaces the file
	}
	if len(pos) != n {
		fmt.Fprint(env.Stderr, rulesUsage)
		return &exitError{code: 2, err: fmt.Errorf("rules %s: want %s, got %d", sub, plural.Of(n, "argument"), len(pos))}
	}
	// Read the rule before opening the store: a bad file changes nothing.
	var rule entitle.Rule
	switch sub {
	case "create", "update", "preview":
		if *remove != "" {
			break
		}
		file, id := pos[len(pos)-1], ""
		if sub == "update" {
			id = pos[0]
		}
		var err error
		if rule, err = readRule(env, file, id); err != nil {
			return fmt.Errorf("rules %s: %w", sub, err)
		}
	}
	st, err := openExisting(ctx, d.db, newLogger(env.Stderr, "warn"))
	if err != nil {
		return err
	}
	defer st.Close()
	c := rulesCmd{st: st, out: env.Stdout, actor: licensing.Actor{Name: "cli:" + orUnknown(env.Getenv("USER")), Source: "cli"}}
	switch sub {
	case "list":
		err = c.list(ctx, *asJSON)
	case "get":
		err = c.get(ctx, pos[0])
	case "versions":
		err = c.versions(ctx, pos[0])
	case "create", "update":
		err = c.store(ctx, rule, sub == "create")
	case "delete":
		err = c.delete(ctx, pos[0])
	case "preview":
		err = c.preview(ctx, rule, *remove, *asJSON)
	}
	if err != nil {
		return fmt.Errorf("rules %s: %w", sub, err)
	}
	return nil
}

// readRule reads and checks a rule file strictly, as the API reads a body:
// unknown fields and trailing data are errors. A non-empty id (update) must
// match the body's, which may leave it out.
func readRule(env Env, name, id string) (entitle.Rule, error) {
	var in io.Reader = env.Stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return entitle.Rule{}, err
		}
		defer f.Close()
		in = f
	}
	body, err := io.ReadAll(io.LimitReader(in, maxRuleFile+1))
	if err != nil {
		return entitle.Rule{}, fmt.Errorf("read %s: %w", name, err)
	}
	if len(body) > maxRuleFile {
		return entitle.Rule{}, fmt.Errorf("%s: larger than %d bytes", name, maxRuleFile)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var j provision.RuleJSON
	if err := dec.Decode(&j); err != nil {
		return entitle.Rule{}, fmt.Errorf("%s: not a valid rule: %w", name, err)
	}
	if dec.More() {
		return entitle.Rule{}, fmt.Errorf("%s: must hold exactly one JSON object", name)
	}
	if id != "" {
		if j.ID != "" && j.ID != id {
			return entitle.Rule{}, fmt.Errorf("%s: id %q differs from %q", name, j.ID, id)
		}
		j.ID = id
	}
	rule := j.Rule()
	if err := rule.Validate(); err != nil {
		return rule, fmt.Errorf("%s: %w", name, err)
	}
	return rule, nil
}

type rulesCmd struct {
	st    *store.Store
	out   io.Writer
	actor licensing.Actor
}

func (c rulesCmd) printJSON(v any) error {
	enc := json.NewEncoder(c.out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func (c rulesCmd) list(ctx context.Context, asJSON bool) error {
	recs, err := c.st.ListRules(ctx)
	if err != nil {
		return err
	}
	rules := make([]provision.RuleJSON, 0, len(recs))
	for _, rec := range recs {
		r, err := provision.FromRecord(rec)
		if err != nil {
			return err
		}
		rules = append(rules, provision.ToJSON(r))
	}
	if asJSON {
		return c.printJSON(map[string]any{"rules": rules})
	}
	tw := tabwriter.NewWriter(c.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tVERSION\tPRIORITY\tENABLED\tWHEN\tGRANT")
	for _, r := range rules {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%t\t%s\t%s\n", r.ID, r.Version, r.Priority, r.Enabled == nil || *r.Enabled, whenSummary(r.When), grantSummary(r.Grant))
	}
	return tw.Flush()
}

func whenSummary(w provision.WhenJSON) string {
	var parts []string
	for _, f := range []struct {
		name string
		vals []string
	}{{"job_code", w.JobCode}, {"department", w.Department}, {"cost_center", w.CostCenter}, {"employee_type", w.EmployeeType}, {"group", w.Group}} {
		if len(f.vals) > 0 {
			parts = append(parts, f.name+"="+strings.Join(f.vals, "|"))
		}
	}
	return strings.Join(parts, " ")
}

func grantSummary(gs []provision.GrantJSON) string {
	parts := make([]string, len(gs))
	for i, g := range gs {
		parts[i] = g.SKU
		if g.Model != "" {
			parts[i] += "(" + g.Model + ")"
		}
	}
	return strings.Join(parts, ",")
}

func (c rulesCmd) get(ctx context.Context, id string) error {
	rec, err := c.st.GetRule(ctx, id)
	if err != nil {
		return err
	}
	r, err := provision.FromRecord(rec)
	if err != nil {
		return err
	}
	return c.printJSON(provision.ToJSON(r))
}

// versionJSON is one entry of a rule's history; a deletion has a null body.
type versionJSON struct {
	Version   int             `json:"version"`
	Body      json.RawMessage `json:"body"`
	Deleted   bool            `json:"deleted,omitempty"`
	ChangedBy string          `json:"changed_by"`
	At        time.Time       `json:"at"`
}

func (c rulesCmd) versions(ctx context.Context, id string) error {
	vs, err := c.st.RuleVersions(ctx, id)
	if err != nil {
		return err
	}
	if len(vs) == 0 {
		// The store answers an empty history for an id never used.
		return licensing.Errorf(licensing.CodeNotFound, "rule %q has no history", id)
	}
	out := make([]versionJSON, len(vs))
	for i, v := range vs {
		out[i] = versionJSON{Version: v.Version, Body: json.RawMessage(v.Body), Deleted: string(v.Body) == "null", ChangedBy: v.ChangedBy, At: v.At}
	}
	return c.printJSON(map[string]any{"id": id, "versions": out})
}

// checkGrants refuses a rule granting an unknown SKU, as the API does.
func (c rulesCmd) checkGrants(ctx context.Context, rule entitle.Rule) error {
	for _, g := range rule.Grant {
		if _, err := c.st.GetSKU(ctx, g.SKU); err != nil {
			if licensing.ErrorCode(err) == licensing.CodeNotFound {
				return licensing.FieldErrorf(licensing.CodeInvalid, "grant.sku", "sku %q does not exist", g.SKU)
			}
			return err
		}
	}
	return nil
}

// store creates or updates a rule, then reconciles everyone. A version in
// the file makes the update conditional on it, like the API's.
func (c rulesCmd) store(ctx context.Context, rule entitle.Rule, create bool) error {
	if err := c.checkGrants(ctx, rule); err != nil {
		return err
	}
	rec, err := provision.ToRecord(rule)
	if err != nil {
		return err
	}
	verb := "updated"
	if create {
		verb = "created"
		rec, err = c.st.CreateRule(ctx, c.actor, rec)
	} else {
		rec.Version = rule.Version
		rec, err = c.st.UpdateRule(ctx, c.actor, rec)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(c.out, "rule %s %s, version %d\n", rec.ID, verb, rec.Version)
	return c.reconcile(ctx)
}

func (c rulesCmd) delete(ctx context.Context, id string) error {
	if err := c.st.DeleteRule(ctx, c.actor, id); err != nil {
		return err
	}
	fmt.Fprintf(c.out, "rule %s deleted\n", id)
	return c.reconcile(ctx)
}

// reconcile applies the stored rules to everyone and prints what changed.
func (c rulesCmd) reconcile(ctx context.Context) error {
	rec := &provision.Reconciler{Store: c.st}
	d, err := rec.ReconcileAll(ctx, c.actor)
	if err != nil {
		return fmt.Errorf("rule stored, but reconciling people failed (rerun to retry): %w", err)
	}
	fmt.Fprintf(c.out, "reconciled: %d granted, %d revoked, %d pending, %d relabelled\n", len(d.Gains), len(d.Losses), len(d.Pending), len(d.Relabels))
	printOverflows(c.out, d.Overflows)
	return c.warnModuleGaps(ctx, d)
}

// warnModuleGaps warns about the people this reconciliation touched who now
// hold a module seat without the fulfiller seat it requires (a rule granted
// the module alone, or took the fulfiller away): the module does nothing
// for them until they get one.
func (c rulesCmd) warnModuleGaps(ctx context.Context, d entitle.Diff) error {
	touched := map[string]bool{}
	for _, ch := range append(slices.Clone(d.Gains), d.Losses...) {
		touched[ch.User] = true
	}
	if len(touched) == 0 {
		return nil
	}
	gaps, err := c.st.ModuleGaps(ctx, "")
	if err != nil {
		return err
	}
	for _, g := range gaps {
		if touched[g.UserID] {
			fmt.Fprintf(c.out, "warning: %s holds a seat of the module %s (pool %s, %s) but no seat of %s, which it requires\n",
				g.UserName, g.SKU, g.Pool, g.Source, strings.Join(g.Missing, " or "))
		}
	}
	return nil
}

func printOverflows(w io.Writer, overflows []entitle.Overflow) {
	for _, o := range overflows {
		fmt.Fprintf(w, "overflow: pool %s short by %d\n", o.Pool, o.ShortBy)
	}
}

// preview plans a new or changed rule (or removing one) over everyone and
// prints the diff; nothing is written.
func (c rulesCmd) preview(ctx context.Context, rule entitle.Rule, remove string, asJSON bool) error {
	if remove != "" {
		rec, err := c.st.GetRule(ctx, remove)
		if err != nil {
			return err
		}
		rule.ID = rec.ID
	} else if err := c.checkGrants(ctx, rule); err != nil {
		return err
	}
	rec := &provision.Reconciler{Store: c.st}
	d, err := rec.Preview(ctx, rule, remove != "")
	if err != nil {
		return err
	}
	if asJSON {
		return c.printJSON(provision.DiffJSON(d))
	}
	fmt.Fprintf(c.out, "preview of rule %s (nothing changed): %d gain, %d lose, %d pending, %s\n",
		rule.ID, len(d.Gains), len(d.Losses), len(d.Pending), plural.Of(len(d.Overflows), "overflowing pool"))
	for _, l := range []struct {
		mark string
		cs   []entitle.Change
	}{{"+", d.Gains}, {"-", d.Losses}, {"~", d.Pending}} {
		for _, ch := range l.cs {
			line := fmt.Sprintf("%s %s %s pool %s", l.mark, ch.UserName, ch.SKU, ch.Pool)
			if ch.Rule != "" {
				line += " rule " + ch.Rule
			}
			if ch.Reason != "" {
				line += " (" + ch.Reason + ")"
			}
			fmt.Fprintln(c.out, line)
		}
	}
	printOverflows(c.out, d.Overflows)
	return nil
}
