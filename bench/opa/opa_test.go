// Package opa compares Seatkeeper's decision with the same entitlement check
// written as a Rego policy and evaluated by embedded Open Policy Agent. It is
// a module of its own so the main module never depends on OPA.
package opa

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"

	"github.com/seatkeeper/seatkeeper/internal/benchmark"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// people is the size of the company in both benchmarks, as in
// internal/licensing's BenchmarkDecideAllow.
const people = 100_000

// policy is the one entitlement rule Seatkeeper applies to ticket.transition
// outside a session: the person is active and holds a seat in a pool whose SKU
// is a fulfiller SKU. Only a named pool's seat is held without a lease; a
// concurrent registration is not.
const policy = `package seatkeeper

default allow := false

allow if {
	input.capability == "ticket.transition"
	person := data.people[input.user]
	person.active == true
	some id in person.seats
	pool := data.pools[id]
	pool.model == "named"
	data.skus[pool.sku].tier == "fulfiller"
}
`

// benchKeys are the people asked about, spread over the company.
func benchKeys() []string {
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = userID((i * 97) % people)
	}
	return keys
}

func userID(i int) string { return fmt.Sprintf("u%06d", i) }

// opaData is the OPA document equivalent to benchEngine's catalog and people:
// every person holds a named agent seat and a named change seat.
func opaData(n int) map[string]any {
	ppl := make(map[string]any, n)
	for i := range n {
		ppl[userID(i)] = map[string]any{
			"active": true,
			"seats":  []any{"agents-named", "change-named"},
		}
	}
	return map[string]any{
		"skus": map[string]any{
			"agent":     map[string]any{"tier": "fulfiller"},
			"change":    map[string]any{"tier": "module"},
			"requester": map[string]any{"tier": "requester"},
		},
		"pools": map[string]any{
			"agents-named":    map[string]any{"sku": "agent", "model": "named"},
			"agents-floating": map[string]any{"sku": "agent", "model": "concurrent"},
			"change-named":    map[string]any{"sku": "change", "model": "named"},
		},
		"people": ppl,
	}
}

func prepare(tb testing.TB, store storage.Store) rego.PreparedEvalQuery {
	tb.Helper()
	q, err := rego.New(
		rego.Query("data.seatkeeper.allow"),
		rego.Module("seatkeeper.rego", policy),
		rego.Store(store),
	).PrepareForEval(context.Background())
	if err != nil {
		tb.Fatalf("PrepareForEval: %v", err)
	}
	return q
}

// The stores and engine of 100,000 people take seconds to build; the
// benchmark functions run several times (each -cpu value, each b.N ramp step),
// so they are built once.
var (
	opaDefault = sync.OnceValue(func() storage.Store { return inmem.NewFromObject(opaData(people)) })
	opaAST     = sync.OnceValue(func() storage.Store {
		return inmem.NewFromObjectWithOpts(opaData(people), inmem.OptReturnASTValuesOnRead(true))
	})
	engine100k = sync.OnceValue(func() *licensing.Engine { return benchEngine(people) })
)

// BenchmarkOPADecide evaluates the rule with embedded OPA: a query prepared
// once, data in the in-memory store, input {user, capability} per call.
//
// store=default is the store as inmem.NewFromObject builds it; store=ast
// keeps the data as AST values and passes the input pre-parsed, OPA's fastest
// embedded configuration.
func BenchmarkOPADecide(b *testing.B) {
	keys := benchKeys()
	b.Run("store=default", func(b *testing.B) {
		q := prepare(b, opaDefault())
		inputs := make([]map[string]any, len(keys))
		for i, k := range keys {
			inputs[i] = map[string]any{"user": k, "capability": "ticket.transition"}
		}
		runParallel(b, func(i int) bool {
			rs, err := q.Eval(context.Background(), rego.EvalInput(inputs[i&1023]))
			return err == nil && rs.Allowed()
		})
	})
	b.Run("store=ast", func(b *testing.B) {
		q := prepare(b, opaAST())
		inputs := make([]ast.Value, len(keys))
		for i, k := range keys {
			v, err := ast.InterfaceToValue(map[string]any{"user": k, "capability": "ticket.transition"})
			if err != nil {
				b.Fatal(err)
			}
			inputs[i] = v
		}
		runParallel(b, func(i int) bool {
			rs, err := q.Eval(context.Background(), rego.EvalParsedInput(inputs[i&1023]))
			return err == nil && rs.Allowed()
		})
	})
}

// BenchmarkSeatkeeperDecide asks Seatkeeper's engine the same question about
// the same people.
func BenchmarkSeatkeeperDecide(b *testing.B) {
	e := engine100k()
	keys := benchKeys()
	runParallel(b, func(i int) bool {
		return e.Decide(keys[i&1023], "ticket.transition", "").Allow
	})
}

// runParallel runs decide on every benchmark goroutine (-cpu sets how many)
// and fails the benchmark on the first answer that is not allow.
func runParallel(b *testing.B, decide func(i int) bool) {
	b.Helper()
	if !decide(0) {
		b.Fatal("first decision: want allow")
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for i := 0; pb.Next(); i++ {
			if !decide(i) {
				b.Error("decision: want allow")
				return
			}
		}
	})
}

// TestSameAnswers checks that the Rego rule and the engine agree, so the
// benchmarks compare like with like.
func TestSameAnswers(t *testing.T) {
	const n = 10
	e := benchEngine(n)
	data := opaData(n)
	ppl := data["people"].(map[string]any)
	// u000001 is inactive, u000002 holds only the change module, u000003 only a
	// concurrent registration (allowed by neither without a lease).
	ppl[userID(1)].(map[string]any)["active"] = false
	ppl[userID(2)].(map[string]any)["seats"] = []any{"change-named"}
	ppl[userID(3)].(map[string]any)["seats"] = []any{"agents-floating"}
	e.PutPerson(licensing.Person{User: licensing.User{ID: userID(1), UserName: "user1", Active: false},
		Members: members(userID(1), "agents-named", "change-named")})
	e.PutPerson(licensing.Person{User: licensing.User{ID: userID(2), UserName: "user2", Active: true},
		Members: members(userID(2), "change-named")})
	e.PutPerson(licensing.Person{User: licensing.User{ID: userID(3), UserName: "user3", Active: true},
		Members: members(userID(3), "agents-floating")})
	q := prepare(t, inmem.NewFromObject(data))

	tests := []struct {
		name, user, capability string
		want                   bool
	}{
		{"agent on a named seat", userID(0), "ticket.transition", true},
		{"inactive", userID(1), "ticket.transition", false},
		{"module only", userID(2), "ticket.transition", false},
		{"concurrent registration, no lease", userID(3), "ticket.transition", false},
		{"unknown person", "u999999", "ticket.transition", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs, err := q.Eval(context.Background(), rego.EvalInput(map[string]any{"user": tt.user, "capability": tt.capability}))
			if err != nil {
				t.Fatalf("OPA Eval: %v", err)
			}
			if got := rs.Allowed(); got != tt.want {
				t.Errorf("OPA allow = %v, want %v", got, tt.want)
			}
			if got := e.Decide(tt.user, tt.capability, "").Allow; got != tt.want {
				t.Errorf("Seatkeeper allow = %v, want %v", got, tt.want)
			}
		})
	}
}

func members(user string, pools ...string) []licensing.Member {
	ms := make([]licensing.Member, len(pools))
	for i, p := range pools {
		ms[i] = licensing.Member{Pool: p, User: user, State: licensing.MemberActive}
	}
	return ms
}

// benchEngine is the engine the repository's own decision benchmarks use
// (internal/benchmark.Company): every person on a named agent seat and a
// named change seat, beside a concurrent agent pool.
func benchEngine(n int) *licensing.Engine {
	e, _, err := benchmark.Company(n)
	if err != nil {
		panic(err)
	}
	return e
}
