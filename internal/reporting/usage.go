package reporting

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/report"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

// Service computes reports from the store.
type Service struct {
	Store *store.Store
}

// Header is what every report carries: its period and when it was taken.
type Header struct {
	Report  string    `json:"report"`
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
	Pool    string    `json:"pool,omitempty"`
	TakenAt time.Time `json:"taken_at"`
}

// QueueStats are a pool's queue places that began in the period.
type QueueStats struct {
	Joins   int     `json:"joins"`
	Seated  int     `json:"seated"`
	Left    int     `json:"left"`
	Waiting int     `json:"waiting"`
	WaitP50 float64 `json:"wait_p50_seconds"` // from joining to a seat, of those seated
	WaitP95 float64 `json:"wait_p95_seconds"`
}

// ReasonCount is denials of one reason.
type ReasonCount struct {
	Reason string `json:"reason"`
	Count  int    `json:"count"`
}

// PoolUsage is one pool's utilization with its registrations, queue and
// denials.
type PoolUsage struct {
	report.Utilization
	SKU        string        `json:"sku"`
	Model      string        `json:"model"`
	Registered int           `json:"registered"`
	Queue      QueueStats    `json:"queue"`
	Denials    []ReasonCount `json:"denials"`
}

// UsageReport is the utilization (and denials) report.
type UsageReport struct {
	Header
	Bucket    string      `json:"bucket"`
	Tolerance string      `json:"tolerance"`
	Working   string      `json:"working_hours"`
	Pools     []PoolUsage `json:"pools"`
	// Unpooled are denials no pool could have met (no_licence,
	// module_missing, inactive, …), by reason.
	Unpooled []ReasonCount `json:"unpooled_denials"`
}

// pick returns the pools a query covers, or not_found for an unknown one.
func pick(pools []store.ReportPool, name string) ([]store.ReportPool, error) {
	if name == "" {
		return pools, nil
	}
	for _, p := range pools {
		if p.ID == name {
			return []store.ReportPool{p}, nil
		}
	}
	return nil, licensing.FieldErrorf(licensing.CodeNotFound, "pool", "pool %q not found", name)
}

// Usage computes the utilization report: every figure from the exact lease,
// assignment, queue and denial history of the period.
func (s *Service) Usage(ctx context.Context, q Query) (*UsageReport, error) {
	d, err := s.Store.ReportData(ctx, q.From, q.To, q.Bucket == report.ByHour) // hours count their own active people
	if err != nil {
		return nil, err
	}
	return usageFrom(d, q, Utilization)
}

// Denials computes the denials and queue report (the utilization figures,
// shown for their denials and waits).
func (s *Service) Denials(ctx context.Context, q Query) (*UsageReport, error) {
	d, err := s.Store.ReportData(ctx, q.From, q.To, q.Bucket == report.ByHour) // hours count their own active people
	if err != nil {
		return nil, err
	}
	return usageFrom(d, q, Denials)
}

func usageFrom(d store.ReportData, q Query, name string) (*UsageReport, error) {
	pools, err := pick(d.Pools, q.Pool)
	if err != nil {
		return nil, err
	}
	out := &UsageReport{Header: Header{Report: name, From: q.From, To: q.To, Pool: q.Pool, TakenAt: d.Now},
		Bucket: q.Bucket, Tolerance: ShortDuration(q.Tolerance), Working: workingString(q.Working), Pools: []PoolUsage{}, Unpooled: []ReasonCount{}}
	queues := map[string][]store.QueuePlace{}
	for _, p := range d.Queue {
		queues[p.Pool] = append(queues[p.Pool], p)
	}
	denials := map[string][]ReasonCount{}
	for _, t := range d.Denials {
		if t.Pool == "" {
			out.Unpooled = append(out.Unpooled, ReasonCount{t.Reason, t.Count})
			continue
		}
		denials[t.Pool] = append(denials[t.Pool], ReasonCount{t.Reason, t.Count})
	}
	for _, p := range pools {
		if p.Tier == licensing.TierRequester {
			continue // the free tier holds no seats
		}
		u := report.Summarise(p.ID, d.Days[p.ID], q.options())
		if u.Seats == 0 && u.Capacity == 0 {
			u.Seats, u.Capacity = p.Seats, p.Seats+p.Overdraft
		}
		pu := PoolUsage{Utilization: u, SKU: p.SKU, Model: p.Model, Registered: d.Registered[p.ID],
			Queue: queueStats(queues[p.ID]), Denials: denials[p.ID]}
		if pu.Denials == nil {
			pu.Denials = []ReasonCount{}
		}
		out.Pools = append(out.Pools, pu)
	}
	return out, nil
}

// ShortDuration writes 10m rather than 10m0s, 1h rather than 1h0m0s.
func ShortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func workingString(w report.WorkingTime) string {
	days := " Mon–Fri UTC"
	if w.Weekend {
		days = " every day UTC"
	}
	return fmt.Sprintf("%02d:00–%02d:00", w.From, w.To) + days
}

func queueStats(places []store.QueuePlace) QueueStats {
	var s QueueStats
	var waits []float64
	for _, p := range places {
		s.Joins++
		switch {
		case p.Left.IsZero():
			s.Waiting++
		case p.Seated:
			s.Seated++
			waits = append(waits, p.Left.Sub(p.Joined).Seconds())
		default:
			s.Left++
		}
	}
	sort.Float64s(waits)
	s.WaitP50, s.WaitP95 = quantile(waits, 0.5), quantile(waits, 0.95)
	return s
}

// quantile is the nearest-rank quantile of sorted values (0 when empty).
func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func secondsDur(s int32) time.Duration { return time.Duration(s) * time.Second }

func sortedTimes[V any](m map[time.Time]V) []time.Time {
	out := make([]time.Time, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b time.Time) int { return a.Compare(b) })
	return out
}
