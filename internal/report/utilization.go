package report

import (
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// Bucket sizes a report may group by.
const (
	ByHour  = "hour"
	ByDay   = "day"
	ByWeek  = "week"
	ByMonth = "month"
)

// DefaultTolerance is how soon a seat must follow a licence_maxed_out for the
// denial to count as met (a retry or another pool served the person).
const DefaultTolerance = 10 * time.Minute

// WorkingTime says which hours count as working time (UTC).
type WorkingTime struct {
	From, To int // hours of the day, [From, To)
	Weekend  bool
}

// DefaultWorkingTime is Monday to Friday, 08:00 to 18:00.
var DefaultWorkingTime = WorkingTime{From: 8, To: 18}

func (w WorkingTime) has(t time.Time) bool {
	if !w.Weekend && (t.Weekday() == time.Saturday || t.Weekday() == time.Sunday) {
		return false
	}
	return t.Hour() >= w.From && t.Hour() < w.To
}

// Options shape a utilization summary.
type Options struct {
	From, To  time.Time // [From, To), whole hours
	Bucket    string
	Tolerance time.Duration
	Working   WorkingTime
}

// Validate checks the options a caller passed, naming the field at fault.
func (o *Options) Validate() error {
	switch o.Bucket {
	case "":
		o.Bucket = ByDay
	case ByHour, ByDay, ByWeek, ByMonth:
	default:
		return licensing.FieldErrorf(licensing.CodeInvalid, "bucket", "bucket must be hour, day, week or month")
	}
	if o.Tolerance == 0 {
		o.Tolerance = DefaultTolerance
	}
	if o.Tolerance < 0 || o.Tolerance > RefusalHorizon {
		return licensing.FieldErrorf(licensing.CodeInvalid, "tolerance", "tolerance must be between 1s and %s", RefusalHorizon)
	}
	if o.Working == (WorkingTime{}) {
		o.Working = DefaultWorkingTime
	}
	if o.Working.From < 0 || o.Working.To > 24 || o.Working.From >= o.Working.To {
		return licensing.FieldErrorf(licensing.CodeInvalid, "working_hours", "working hours must be FROM-TO with 0 <= FROM < TO <= 24")
	}
	if o.Bucket == ByHour && o.To.Sub(o.From) > 93*24*time.Hour {
		return licensing.FieldErrorf(licensing.CodeInvalid, "bucket", "hourly buckets cover at most 93 days; choose day, week or month")
	}
	return nil
}

// Stats are the figures of a pool over a bucket or the whole period.
type Stats struct {
	Peak              int     `json:"peak"`
	Mean              float64 `json:"mean"`
	P50               int     `json:"p50"`
	P90               int     `json:"p90"`
	P95               int     `json:"p95"`
	P99               int     `json:"p99"`
	AtCapacityShare   float64 `json:"at_capacity_share"` // of working time
	AtCapacitySeconds int64   `json:"at_capacity_seconds"`
	OverdraftSeconds  int64   `json:"overdraft_seconds"`
	OverdraftPeak     int     `json:"overdraft_peak"`
	Starts            int     `json:"starts"`
	ActivePeople      int     `json:"active_people"`
	MaxedOut          int     `json:"maxed_out"`
	TrueDenials       int     `json:"true_denials"`
	ObservedSeconds   int64   `json:"observed_seconds"`
	WorkingSeconds    int64   `json:"working_seconds"`
}

// Bucket is one period's figures.
type Bucket struct {
	Start time.Time `json:"start"`
	Stats
}

// TrueUp flags a month in which overdraft seats were used.
type TrueUp struct {
	Month            string `json:"month"` // YYYY-MM
	OverdraftPeak    int    `json:"overdraft_peak"`
	OverdraftSeconds int64  `json:"overdraft_seconds"`
}

// Utilization is a pool's usage over a period.
type Utilization struct {
	Pool     string   `json:"pool"`
	Seats    int      `json:"seats"`
	Capacity int      `json:"capacity"`
	Overall  Stats    `json:"overall"`
	Buckets  []Bucket `json:"buckets"`
	// Heat is the mean held seats per hour of the week (Monday first) and
	// HeatPeak the highest: when the peaks come.
	Heat     [7][24]float64 `json:"heat_mean"`
	HeatPeak [7][24]int     `json:"heat_peak"`
	TrueUps  []TrueUp       `json:"true_ups"`
}

// acc accumulates a time-weighted distribution of held seats.
type acc struct {
	sec                  []int64
	total, work, capWork int64
	capacity, over       int64
	peak, overPeak       int
	starts, maxed, truly int
	people               map[string]struct{}
	activeN              int // active people counted without a set (one day)
}

func (a *acc) hour(h *Hour, working bool, seats int32) {
	for _, l := range h.Levels {
		for int(l.Held) >= len(a.sec) {
			a.sec = append(a.sec, 0)
		}
		a.sec[l.Held] += int64(l.Seconds)
		a.total += int64(l.Seconds)
		if working {
			a.work += int64(l.Seconds)
		}
	}
	if working {
		a.capWork += int64(h.AtCapacity)
	}
	a.capacity += int64(h.AtCapacity)
	a.over += int64(h.Over)
	a.peak = max(a.peak, int(h.Peak))
	if h.Over > 0 {
		a.overPeak = max(a.overPeak, int(h.Peak-seats))
	}
	a.starts += int(h.Starts)
}

func (a *acc) person(p string) {
	if a.people == nil {
		a.people = map[string]struct{}{}
	}
	a.people[p] = struct{}{}
}

func (a *acc) quantile(q float64) int {
	if a.total == 0 {
		return 0
	}
	want := int64(q * float64(a.total))
	var cum int64
	for n, s := range a.sec {
		cum += s
		if cum > want || (cum == want && cum == a.total) {
			return n
		}
	}
	return len(a.sec) - 1
}

func (a *acc) stats() Stats {
	s := Stats{Peak: a.peak, P50: a.quantile(0.50), P90: a.quantile(0.90), P95: a.quantile(0.95), P99: a.quantile(0.99),
		AtCapacitySeconds: a.capacity, OverdraftSeconds: a.over, OverdraftPeak: a.overPeak, Starts: a.starts,
		ActivePeople: len(a.people) + a.activeN, MaxedOut: a.maxed, TrueDenials: a.truly, ObservedSeconds: a.total, WorkingSeconds: a.work}
	if a.total > 0 {
		var sum int64
		for n, v := range a.sec {
			sum += int64(n) * v
		}
		s.Mean = float64(sum) / float64(a.total)
	}
	if a.work > 0 {
		s.AtCapacityShare = float64(a.capWork) / float64(a.work)
	}
	return s
}

// BucketStart is the start of the bucket holding t: hours, UTC days,
// ISO weeks (Monday) and calendar months.
func BucketStart(t time.Time, bucket string) time.Time {
	t = t.UTC()
	switch bucket {
	case ByHour:
		return t.Truncate(time.Hour)
	case ByWeek:
		d := DayStart(t)
		return d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
	case ByMonth:
		return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	}
	return DayStart(t)
}

// Summarise reduces a pool's days (in any order) to its figures over o's
// period. Its cost grows with the days, not with the leases they held.
func Summarise(pool string, days []Day, o Options) Utilization {
	u := Utilization{Pool: pool, Buckets: []Bucket{}, TrueUps: []TrueUp{}}
	var all acc
	buckets := map[time.Time]*acc{}
	months := map[string]*TrueUp{}
	var heatSum, heatSec [7][24]int64
	tol := int32(o.Tolerance / time.Second)
	get := func(t time.Time) *acc {
		k := BucketStart(t, o.Bucket)
		b := buckets[k]
		if b == nil {
			b = &acc{}
			buckets[k] = b
		}
		return b
	}
	in := func(t time.Time) bool { return !t.Before(o.From) && t.Before(o.To) }
	var latest time.Time
	for i := range days {
		d := &days[i]
		if !d.Start.Before(latest) {
			latest = d.Start
			u.Seats, u.Capacity = int(d.Seats), int(d.Capacity)
		}
		for h := range d.Hours {
			at := d.Start.Add(time.Duration(h) * time.Hour)
			if !in(at) {
				continue
			}
			hr := &d.Hours[h]
			w := o.Working.has(at)
			all.hour(hr, w, d.Seats)
			get(at).hour(hr, w, d.Seats)
			wd := (int(at.Weekday()) + 6) % 7
			for _, l := range hr.Levels {
				heatSum[wd][h] += int64(l.Held) * int64(l.Seconds)
				heatSec[wd][h] += int64(l.Seconds)
			}
			u.HeatPeak[wd][h] = max(u.HeatPeak[wd][h], int(hr.Peak))
			if hr.Over > 0 {
				m := at.Format("2006-01")
				tu := months[m]
				if tu == nil {
					tu = &TrueUp{Month: m}
					months[m] = tu
				}
				tu.OverdraftSeconds += int64(hr.Over)
				tu.OverdraftPeak = max(tu.OverdraftPeak, int(hr.Peak-d.Seats))
			}
		}
		if d.SpellsRead {
			for _, s := range d.Spells {
				at := d.Start.Add(time.Duration(s.Start) * time.Second)
				if in(at) {
					all.person(d.People[s.Person])
					get(at).person(d.People[s.Person])
				}
			}
		} else if in(d.Start) || in(d.Start.Add(DaySeconds*time.Second-time.Second)) {
			// Without the spells, active people count by the day; a day's
			// people are distinct, so a daily bucket needs no set.
			b := get(d.Start)
			for _, p := range d.People[:d.Active] {
				all.person(p)
				if o.Bucket != ByDay {
					b.person(p)
				}
			}
			if o.Bucket == ByDay {
				b.activeN += int(d.Active)
			}
		}
		for _, r := range d.Refusals {
			at := d.Start.Add(time.Duration(r.At) * time.Second)
			if !in(at) {
				continue
			}
			b := get(at)
			all.maxed++
			b.maxed++
			if r.MetAfter < 0 || r.MetAfter > tol {
				all.truly++
				b.truly++
			}
		}
	}
	u.Overall = all.stats()
	for k, b := range buckets {
		u.Buckets = append(u.Buckets, Bucket{Start: k, Stats: b.stats()})
	}
	sortBuckets(u.Buckets)
	for wd := range heatSum {
		for h := range heatSum[wd] {
			if heatSec[wd][h] > 0 {
				u.Heat[wd][h] = float64(heatSum[wd][h]) / float64(heatSec[wd][h])
			}
		}
	}
	for _, tu := range months {
		u.TrueUps = append(u.TrueUps, *tu)
	}
	sortTrueUps(u.TrueUps)
	return u
}
