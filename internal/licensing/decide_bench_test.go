package licensing_test

import (
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/benchmark"
)

// BenchmarkDecideAllow is the hot path of every desk request: an agent on a
// named seat asking for a fulfiller capability, among 100,000 people.
func BenchmarkDecideAllow(b *testing.B) {
	e, ids, err := benchmark.Company(100_000)
	if err != nil {
		b.Fatal(err)
	}
	benchmark.DecideAllow(b, e, ids, "ticket.transition")
}

// BenchmarkDecideAllowModule checks a module capability: the module seat and
// the fulfiller seat it requires.
func BenchmarkDecideAllowModule(b *testing.B) {
	e, ids, err := benchmark.Company(100_000)
	if err != nil {
		b.Fatal(err)
	}
	benchmark.DecideAllow(b, e, ids, "change.approve")
}
