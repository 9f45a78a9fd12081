package mix

import (
	"math"
	"testing"
)

// Reference values computed exactly (rational arithmetic) from
// B = (A^N/N!) / Σ_{k≤N} A^k/k! and the Engset call congestion
// E = C(S-1,c)β^c / Σ_{j≤c} C(S-1,j)β^j.
func TestErlangBKnownValues(t *testing.T) {
	tests := []struct {
		name    string
		servers int
		erlangs float64
		want    float64
	}{
		{"one server one erlang", 1, 1, 0.5},
		{"ten servers five erlangs", 10, 5, 0.018384570336648132},
		{"five servers two erlangs", 5, 2, 0.03669724770642202},
		{"twenty servers fifteen erlangs", 20, 15, 0.04559321558981184},
		{"hundred servers eighty erlangs", 100, 80, 0.003992028604553197},
		{"three servers half an erlang", 3, 0.5, 0.012658227848101266},
		{"fifty at fifty", 50, 50, 0.1047874555035522},
		{"ten thousand at ten thousand", 10000, 10000, 0.007936563248852871},
		{"ten thousand at nine thousand", 10000, 9000, 2.0916197944303886e-26},
		{"no servers", 0, 3, 1},
		{"negative servers", -2, 3, 1},
		{"no traffic", 5, 0, 0},
		{"negative traffic", 5, -1, 0},
		{"infinite traffic", 5, math.Inf(1), 1},
		{"underflow to zero", 10000, 10, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ErlangB(tt.servers, tt.erlangs)
			if !approx(got, tt.want, 1e-9) {
				t.Errorf("ErlangB(%d, %v) = %v, want %v", tt.servers, tt.erlangs, got, tt.want)
			}
		})
	}
	if !math.IsNaN(ErlangB(3, math.NaN())) {
		t.Error("ErlangB with NaN traffic should be NaN")
	}
}

func TestErlangBMonotone(t *testing.T) {
	for _, n := range []int{1, 7, 60, 700} {
		prev := 0.0
		for a := 0.0; a < 2*float64(n); a += float64(n) / 37 {
			b := ErlangB(n, a)
			if b < prev || b < 0 || b > 1 {
				t.Fatalf("ErlangB(%d, %v) = %v after %v: not increasing in traffic within [0,1]", n, a, b, prev)
			}
			prev = b
		}
	}
	for _, a := range []float64{0.3, 5, 80, 900} {
		prev := 1.0
		for n := 0; n < 3*int(a)+10; n++ {
			b := ErlangB(n, a)
			if b > prev {
				t.Fatalf("ErlangB(%d, %v) = %v after %v: not decreasing in servers", n, a, b, prev)
			}
			prev = b
		}
	}
}

func TestEngsetKnownValues(t *testing.T) {
	tests := []struct {
		name             string
		servers, sources int
		beta             float64
		want             float64
	}{
		{"one server two sources", 1, 2, 1, 0.5},
		{"two of ten", 2, 10, 0.1, 0.1592920353982301},
		{"five of twenty", 5, 20, 0.3, 0.2618612137531806},
		{"ten of thirty", 10, 30, 0.5, 0.2406790563328576},
		{"as many servers as sources", 3, 3, 1, 0},
		{"more servers than sources", 9, 3, 1, 0},
		{"no servers", 0, 4, 0.2, 1},
		{"no sources", 2, 0, 0.2, 0},
		{"no traffic", 2, 5, 0, 0},
		{"infinite traffic", 2, 5, math.Inf(1), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Engset(tt.servers, tt.sources, tt.beta)
			if !approx(got, tt.want, 1e-9) {
				t.Errorf("Engset(%d, %d, %v) = %v, want %v", tt.servers, tt.sources, tt.beta, got, tt.want)
			}
		})
	}
}

// TestEngsetTendsToErlangB checks the limit of many sources with the same
// offered traffic, and that a small population blocks less.
func TestEngsetTendsToErlangB(t *testing.T) {
	const c, a = 20, 15.0
	want := ErlangB(c, a)
	prev := 0.0
	for _, s := range []int{30, 100, 1000, 100000} {
		p := a / float64(s)
		got := Engset(c, s, p/(1-p))
		if got <= prev || got > want {
			t.Errorf("Engset(%d, %d) = %v: want increasing towards ErlangB %v (previous %v)", c, s, got, want, prev)
		}
		prev = got
	}
	if !approx(prev, want, 1e-3) {
		t.Errorf("Engset with 100000 sources = %v, want about %v", prev, want)
	}
}

// approx reports whether got is within rel relative error of want (or both
// tiny).
func approx(got, want, rel float64) bool {
	if want == 0 {
		return math.Abs(got) < 1e-300
	}
	return math.Abs(got-want) <= rel*math.Abs(want)
}

func BenchmarkErlangB10000(b *testing.B) {
	for b.Loop() {
		ErlangB(10000, 9500)
	}
}

func BenchmarkEngset10000(b *testing.B) {
	for b.Loop() {
		Engset(10000, 50000, 0.25)
	}
}
