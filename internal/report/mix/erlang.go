package mix

import "math"

// ErlangB returns the probability that an arrival finds all servers busy in
// a loss system with Poisson arrivals offered erlangs of traffic (the Erlang
// B formula). It is the textbook model for sizing a concurrent pool whose
// users are many and independent, and it is insensitive to the distribution
// of hold times, which is why it suits session data.
//
// It uses the recursion 1/B(j) = 1 + j/A · 1/B(j-1), which never overflows
// into a wrong answer: once 1/B exceeds 1e300 the blocking is reported as 0.
// The cost is O(servers) multiplications (about 10 µs for 10,000 servers).
// With no servers every arrival is blocked (1); with no traffic nothing is
// (0); NaN traffic gives NaN.
func ErlangB(servers int, erlangs float64) float64 {
	switch {
	case math.IsNaN(erlangs):
		return math.NaN()
	case servers <= 0:
		return 1
	case erlangs <= 0:
		return 0
	case math.IsInf(erlangs, 1):
		return 1
	}
	inv := 1.0
	r := 1 / erlangs
	for j := 1; j <= servers; j++ {
		inv = 1 + float64(j)*r*inv
		if inv > 1e300 {
			return 0
		}
	}
	return 1 / inv
}

// Engset returns the call congestion (the probability that an arrival is
// blocked) of a loss system with servers seats shared by a finite number of
// sources, each of which, while idle, offers offeredPerIdleSource erlangs
// (β, the arrival rate of an idle source times the mean hold time). It is
// the right model when the registered population is small compared with the
// pool, because every busy source is one fewer that can arrive, so blocking
// is lower than Erlang B predicts for the same traffic.
//
// An arriving source sees the other sources-1, so the call congestion is the
// time congestion of sources-1 sources:
// E = C(S-1,c)β^c / Σ_{j≤c} C(S-1,j)β^j, computed with the stable recursion
// 1/E(j) = 1 + j/((S-j)β) · 1/E(j-1) in O(servers). When there are at least
// as many servers as sources nobody is ever blocked (0); with no servers and
// at least one source every arrival is (1). As sources grow with
// sources·β/(1+β) fixed it tends to ErlangB.
func Engset(servers, sources int, offeredPerIdleSource float64) float64 {
	beta := offeredPerIdleSource
	switch {
	case math.IsNaN(beta):
		return math.NaN()
	case sources <= 0:
		return 0
	case servers <= 0:
		return 1
	case servers >= sources:
		return 0
	case beta <= 0:
		return 0
	case math.IsInf(beta, 1):
		return 1
	}
	inv := 1.0
	rb := 1 / beta
	for j := 1; j <= servers; j++ {
		inv = 1 + float64(j)/float64(sources-j)*rb*inv
		if inv > 1e300 {
			return 0
		}
	}
	return 1 / inv
}
