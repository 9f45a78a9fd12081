package report

import "time"

// MonthSpend is what a pool costs in one calendar month of a period.
type MonthSpend struct {
	Month string  `json:"month"` // YYYY-MM
	Days  float64 `json:"days"`  // days of the month paid for
	Spend float64 `json:"spend"`
}

// Spend is a contract line's cost per month over [from, to): seats × monthly
// price, prorated by the days of each month that fall within both the
// period and the line's validity dates (zero starts or ends: open).
func Spend(seats int, monthly float64, starts, ends, from, to time.Time) []MonthSpend {
	if !starts.IsZero() && starts.After(from) {
		from = starts
	}
	if !ends.IsZero() && ends.Before(to) {
		to = ends
	}
	var out []MonthSpend
	for m := time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, time.UTC); m.Before(to); m = m.AddDate(0, 1, 0) {
		next := m.AddDate(0, 1, 0)
		a, b := m, next
		if from.After(a) {
			a = from
		}
		if to.Before(b) {
			b = to
		}
		if !b.After(a) {
			continue
		}
		share := b.Sub(a).Hours() / next.Sub(m).Hours()
		out = append(out, MonthSpend{Month: m.Format("2006-01"), Days: b.Sub(a).Hours() / 24, Spend: round2(float64(seats) * monthly * share)})
	}
	return out
}

func round2(v float64) float64 {
	if v < 0 {
		return -round2(-v)
	}
	return float64(int64(v*100+0.5)) / 100
}
