package mix

import (
	"testing"
	"time"
)

func TestExploreBacktest(t *testing.T) {
	for _, sp := range []yearSpec{
		{people: 2000, heavy: 0.1, lightRate: 0.75, seed: 1},
		{people: 2000, heavy: 0.1, lightRate: 0.75, seed: 2},
		{people: 20000, heavy: 0.1, lightRate: 0.75, seed: 1},
	} {
		d := genYear(sp)
		split := time.Date(2025, 10, 1, 0, 0, 0, 0, time.UTC).Unix()
		res, err := Backtest(d, sp.people, split, Prices{100, 250}, 0.01, 1800, 300)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("people %d seed %d: named %d conc %d | fit pred %.5f repl %.5f model %s | test pred(own) %.5f repl %.5f | rel %.3f",
			sp.people, sp.seed, len(res.Option.Named), res.Option.Concurrent, res.Fit.PredictedBlocking, res.Fit.ReplayedDenialRate, res.Fit.Model,
			res.Test.PredictedBlocking, res.Test.ReplayedDenialRate, res.RelativeError)
	}
}
