package render

import (
	"math"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/plot"
)

// niceScale returns a range [lo, hi] that contains [min, max] and a step
// of 1, 2, 2.5 or 5 times a power of ten giving at most maxTicks ticks.
// Values that people read off a chart ("12 seats", "€2,500") are easiest to
// read on such steps.
//
// When integer is set (all values are whole, such as seat counts) steps
// are whole too, so that no axis shows "7.5 seats".
func niceScale(min, max float64, maxTicks int, integer bool) (lo, hi, step float64) {
	if maxTicks < 2 {
		maxTicks = 2
	}
	if !(max > min) {
		max = min + 1
	}
	span := max - min
	raw := span / float64(maxTicks-1)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10, 20} {
		step = m * mag
		if integer && (step < 1 || step != math.Trunc(step)) {
			if step < 1 {
				step = 1
			} else {
				continue
			}
		}
		lo = math.Floor(min/step) * step
		hi = math.Ceil(max/step) * step
		if int(math.Round((hi-lo)/step))+1 <= maxTicks {
			break
		}
	}
	return lo, hi, step
}

// valueTicks returns labelled ticks from lo to hi by step.
func valueTicks(lo, hi, step float64) []plot.Tick {
	f := newValueFormat(math.Max(math.Abs(lo), math.Abs(hi)), step)
	n := int(math.Round((hi - lo) / step))
	ticks := make([]plot.Tick, 0, n+1)
	for i := 0; i <= n; i++ {
		v := lo + float64(i)*step
		if math.Abs(v) < step*1e-9 {
			v = 0
		}
		ticks = append(ticks, plot.Tick{Value: v, Label: f.format(v)})
	}
	return ticks
}

// valueFormat formats numbers at a fixed precision, with a k or M suffix
// for large magnitudes so that tick labels stay short.
type valueFormat struct {
	div    float64
	suffix string
	prec   int
	sci    bool // beyond 10¹⁵: scientific notation
}

// newValueFormat chooses a format for values up to magnitude mag that
// differ by at least step.
func newValueFormat(mag, step float64) valueFormat {
	f := valueFormat{div: 1}
	switch {
	case mag >= 1e15:
		f.sci = true
		return f
	case mag >= 1e12:
		f.div, f.suffix = 1e12, "T"
	case mag >= 1e9:
		f.div, f.suffix = 1e9, "G"
	case mag >= 1e6:
		f.div, f.suffix = 1e6, "M"
	case mag >= 1e4:
		f.div, f.suffix = 1e3, "k"
	}
	s := step / f.div
	if s > 0 && !math.IsInf(s, 0) {
		for f.prec < 6 && math.Abs(s*math.Pow10(f.prec)-math.Round(s*math.Pow10(f.prec))) > 1e-6*math.Max(1, s*math.Pow10(f.prec)) {
			f.prec++
		}
	}
	return f
}

func (f valueFormat) format(v float64) string {
	if math.IsNaN(v) {
		return ""
	}
	if f.sci {
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
	s := strconv.FormatFloat(v/f.div, 'f', f.prec, 64)
	if strings.Contains(s, ".") {
		// "5k" and "1" read faster than "5.0k" and "1.0".
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" || s == "0" {
		return "0"
	}
	return groupThousands(s) + f.suffix
}

// groupThousands puts commas between groups of three digits of the integer
// part of a formatted number.
func groupThousands(s string) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, hasFrac := strings.Cut(s, ".")
	if len(intPart) > 4 {
		var b strings.Builder
		pre := len(intPart) % 3
		if pre > 0 {
			b.WriteString(intPart[:pre])
		}
		for i := pre; i < len(intPart); i += 3 {
			if b.Len() > 0 {
				b.WriteByte(',')
			}
			b.WriteString(intPart[i : i+3])
		}
		intPart = b.String()
	}
	if hasFrac {
		intPart += "." + frac
	}
	if neg {
		intPart = "-" + intPart
	}
	return intPart
}

// formatValues picks one short format for a set of values, such as the
// cells of a heatmap: whole numbers if all are whole, else one decimal, and
// a k or M suffix (one decimal below 100k or 100M) for large values.
func formatValues(vals []float64) valueFormat {
	mag, whole := 0.0, true
	for _, v := range vals {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		mag = math.Max(mag, math.Abs(v))
		if v != math.Trunc(v) {
			whole = false
		}
	}
	f := valueFormat{div: 1}
	switch {
	case mag >= 1e15:
		f.sci = true
	case mag >= 1e12:
		f.div, f.suffix = 1e12, "T"
	case mag >= 1e9:
		f.div, f.suffix = 1e9, "G"
	case mag >= 1e6:
		f.div, f.suffix = 1e6, "M"
	case mag >= 1e4:
		f.div, f.suffix = 1e3, "k"
	}
	switch {
	case f.div > 1 && mag/f.div < 100:
		f.prec = 1
	case f.div == 1 && !whole:
		f.prec = 1
	}
	return f
}

// Time axes.

// unixSeconds converts a time to the axis coordinate used for time axes.
func unixSeconds(t time.Time) float64 {
	return float64(t.Unix()) + float64(t.Nanosecond())/1e9
}

func fromUnixSeconds(v float64, loc *time.Location) time.Time {
	sec, frac := math.Modf(v)
	return time.Unix(int64(sec), int64(frac*1e9)).In(loc)
}

type timeUnit int

const (
	unitMinute timeUnit = iota
	unitHour
	unitDay
	unitMonth
	unitYear
)

type timeLevel struct {
	unit timeUnit
	n    int
	// widest is a label at least as wide as any this level produces; it
	// decides how many labels fit.
	widest string
}

var timeLevels = []timeLevel{
	{unitMinute, 1, "00:00"}, {unitMinute, 5, "00:00"}, {unitMinute, 10, "00:00"},
	{unitMinute, 15, "00:00"}, {unitMinute, 30, "00:00"},
	{unitHour, 1, "28 Sep"}, {unitHour, 2, "28 Sep"}, {unitHour, 3, "28 Sep"},
	{unitHour, 6, "28 Sep"}, {unitHour, 12, "28 Sep"},
	{unitDay, 1, "28 Sep"}, {unitDay, 2, "28 Sep"}, {unitDay, 7, "28 Sep"},
	{unitMonth, 1, "Sep 2026"}, {unitMonth, 3, "Sep 2026"}, {unitMonth, 6, "Sep 2026"},
	{unitYear, 1, "2026"}, {unitYear, 2, "2026"}, {unitYear, 5, "2026"},
	{unitYear, 10, "2026"}, {unitYear, 25, "2026"}, {unitYear, 50, "2026"},
	{unitYear, 100, "2026"},
}

// timeTicks returns ticks on calendar boundaries in loc between min and
// max (Unix seconds), choosing the finest level whose labels fit:
// labelsFit(widest) says how many labels of that width fit on the axis.
// Hours are labelled "15:04" (midnight as the date), days "2 Jan", months
// "Jan" (January and the first tick with the year) and years "2026".
func timeTicks(min, max float64, loc *time.Location, labelsFit func(widest string) int) []plot.Tick {
	if !(max > min) {
		return nil
	}
	for _, lv := range timeLevels {
		limit := labelsFit(lv.widest)
		if limit < 2 {
			limit = 2
		}
		ts, ok := levelTimes(lv, min, max, loc, limit)
		if !ok {
			continue
		}
		if len(ts) == 0 {
			// The range is shorter than the finest step: label both ends.
			return []plot.Tick{
				{Value: min, Label: fromUnixSeconds(min, loc).Format("15:04:05")},
				{Value: max, Label: fromUnixSeconds(max, loc).Format("15:04:05")},
			}
		}
		ticks := make([]plot.Tick, len(ts))
		for i, t := range ts {
			ticks[i] = plot.Tick{Value: unixSeconds(t), Label: timeLabel(lv.unit, t, i == 0)}
		}
		return ticks
	}
	return nil
}

// levelTimes lists the tick times of a level inside [min, max]; ok is false
// when there would be more than limit of them.
func levelTimes(lv timeLevel, min, max float64, loc *time.Location, limit int) (ts []time.Time, ok bool) {
	start := fromUnixSeconds(min, loc)
	end := fromUnixSeconds(max, loc)
	y, mo, d := start.Date()
	var t time.Time
	var next func(time.Time) time.Time
	switch lv.unit {
	case unitMinute:
		t = time.Date(y, mo, d, start.Hour(), start.Minute()/lv.n*lv.n, 0, 0, loc)
		next = func(t time.Time) time.Time { return t.Add(time.Duration(lv.n) * time.Minute) }
	case unitHour:
		t = time.Date(y, mo, d, start.Hour()/lv.n*lv.n, 0, 0, 0, loc)
		next = func(t time.Time) time.Time {
			// Step by wall clock, so ticks stay on round hours across a
			// daylight-saving change.
			n := time.Date(t.Year(), t.Month(), t.Day(), t.Hour()+lv.n, 0, 0, 0, loc)
			if !n.After(t) {
				n = t.Add(time.Duration(lv.n) * time.Hour)
			}
			return n
		}
	case unitDay:
		t = time.Date(y, mo, d, 0, 0, 0, 0, loc)
		if lv.n == 7 {
			// Weeks start on Monday (ISO 8601).
			back := (int(t.Weekday()) + 6) % 7
			t = time.Date(y, mo, d-back, 0, 0, 0, 0, loc)
		} else if lv.n > 1 {
			t = time.Date(y, mo, d-(d-1)%lv.n, 0, 0, 0, 0, loc)
		}
		next = func(t time.Time) time.Time {
			n := time.Date(t.Year(), t.Month(), t.Day()+lv.n, 0, 0, 0, 0, loc)
			if lv.n == 2 && n.Month() != t.Month() {
				// Restart on the 1st of each month for even spacing of
				// labels people can find in a calendar.
				n = time.Date(n.Year(), n.Month(), 1, 0, 0, 0, 0, loc)
			}
			return n
		}
	case unitMonth:
		t = time.Date(y, time.Month((int(mo)-1)/lv.n*lv.n+1), 1, 0, 0, 0, 0, loc)
		next = func(t time.Time) time.Time {
			return time.Date(t.Year(), t.Month()+time.Month(lv.n), 1, 0, 0, 0, 0, loc)
		}
	default:
		t = time.Date(y/lv.n*lv.n, 1, 1, 0, 0, 0, 0, loc)
		next = func(t time.Time) time.Time { return time.Date(t.Year()+lv.n, 1, 1, 0, 0, 0, 0, loc) }
	}
	for guard := 0; !t.After(end) && guard < 10000; guard++ {
		if !t.Before(start) {
			if len(ts) == limit {
				return nil, false
			}
			ts = append(ts, t)
		}
		t = next(t)
	}
	return ts, true
}

func timeLabel(u timeUnit, t time.Time, first bool) string {
	switch u {
	case unitMinute, unitHour:
		if t.Hour() == 0 && t.Minute() == 0 {
			return t.Format("2 Jan")
		}
		return t.Format("15:04")
	case unitDay:
		return t.Format("2 Jan")
	case unitMonth:
		if first || t.Month() == time.January {
			return t.Format("Jan 2006")
		}
		return t.Format("Jan")
	default:
		return t.Format("2006")
	}
}

// timeCaption describes the span of a time axis, with its time zone, for
// the axis label: "Tue 3 Mar 2026 (UTC)", "1 Jan – 31 Mar 2026 (UTC)" or
// "1 Dec 2025 – 31 Jan 2026 (Europe/Paris)".
func timeCaption(first, last time.Time) string {
	zone := first.Location().String()
	if zone == "Local" || zone == "" {
		zone = first.Format("MST")
	}
	var span string
	switch {
	case sameDay(first, last):
		span = first.Format("Mon 2 Jan 2006")
	case first.Year() == last.Year():
		span = first.Format("2 Jan") + " – " + last.Format("2 Jan 2006")
	default:
		span = first.Format("2 Jan 2006") + " – " + last.Format("2 Jan 2006")
	}
	return span + " (" + zone + ")"
}

func sameDay(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}
