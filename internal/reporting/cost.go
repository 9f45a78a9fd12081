package reporting

import (
	"context"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/report"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

// PoolCost is one pool's spend over the period and what it returns.
type PoolCost struct {
	Pool          string              `json:"pool"`
	SKU           string              `json:"sku"`
	Model         string              `json:"model"`
	Seats         int                 `json:"seats"`
	MonthlyPrice  float64             `json:"monthly_price"`
	Months        []report.MonthSpend `json:"months"`
	Spend         float64             `json:"spend"`
	ActivePeople  int                 `json:"active_people"`
	CostPerActive float64             `json:"cost_per_active_user"` // 0 when nobody was active
	Peak          int                 `json:"peak"`
	// Shelfware seats (named) and unassigned seats cost money for nothing.
	Shelfware  int `json:"shelfware_seats"`
	Unassigned int `json:"unassigned_seats"`
	// ResizeTo is the seats the period's peak needed (concurrent pools);
	// YearlySaving is what reclaiming shelfware and unassigned seats, or
	// resizing to the peak, would save a year.
	ResizeTo     int     `json:"resize_to"`
	YearlySaving float64 `json:"yearly_saving"`
}

// CostReport is spend per pool and month with what it returns.
type CostReport struct {
	Header
	Currency      string     `json:"currency"`
	Pools         []PoolCost `json:"pools"`
	Spend         float64    `json:"spend"`
	ActivePeople  int        `json:"active_people"`
	CostPerActive float64    `json:"cost_per_active_user"`
	ShelfwareCost float64    `json:"shelfware_yearly_cost"`
	YearlySaving  float64    `json:"yearly_saving"`
}

// Cost computes spend and savings over the period.
func (s *Service) Cost(ctx context.Context, q Query) (*CostReport, error) {
	return priced(ctx, s, q, false, costFrom)
}

func costFrom(d store.ReportData, q Query, currency string) (*CostReport, error) {
	pools, err := pick(d.Pools, q.Pool)
	if err != nil {
		return nil, err
	}
	usage, err := usageFrom(d, q, Cost)
	if err != nil {
		return nil, err
	}
	byPool := map[string]PoolUsage{}
	for _, u := range usage.Pools {
		byPool[u.Pool] = u
	}
	shelf := map[string]int{}
	held := map[string]int{}
	for _, h := range holdings(d, q) {
		held[h.Pool]++
		if h.Shelf {
			shelf[h.Pool]++
		}
	}
	out := &CostReport{Header: Header{Report: Cost, From: q.From, To: q.To, Pool: q.Pool, TakenAt: d.Now}, Currency: currency, Pools: []PoolCost{}}
	everyone := map[string]bool{}
	for _, p := range pools {
		if p.Tier == licensing.TierRequester && p.MonthlyPrice == 0 {
			continue
		}
		u := byPool[p.ID]
		c := PoolCost{Pool: p.ID, SKU: p.SKU, Model: p.Model, Seats: p.Seats, MonthlyPrice: p.MonthlyPrice,
			Months: spendByDay(p, d.Days[p.ID], q), ActivePeople: u.Overall.ActivePeople, Peak: u.Overall.Peak}
		for _, m := range c.Months {
			c.Spend += m.Spend
		}
		c.Spend = round2(c.Spend)
		if c.ActivePeople > 0 {
			c.CostPerActive = round2(c.Spend / float64(c.ActivePeople))
		}
		if p.Model == string(licensing.ModelNamed) {
			c.Shelfware, c.Unassigned = shelf[p.ID], max(0, p.Seats-held[p.ID])
			c.ResizeTo = p.Seats - c.Shelfware - c.Unassigned
		} else {
			c.ResizeTo = min(p.Seats, u.Overall.Peak)
		}
		c.YearlySaving = round2(float64(p.Seats-c.ResizeTo) * p.MonthlyPrice * 12)
		out.ShelfwareCost += float64(c.Shelfware) * p.MonthlyPrice * 12
		out.Spend += c.Spend
		out.YearlySaving += c.YearlySaving
		out.Pools = append(out.Pools, c)
		for _, day := range d.Days[p.ID] {
			if day.Start.Add(24*time.Hour).After(q.From) && day.Start.Before(q.To) {
				for _, who := range day.People[:day.Active] {
					everyone[who] = true
				}
			}
		}
	}
	out.Spend, out.ShelfwareCost, out.YearlySaving = round2(out.Spend), round2(out.ShelfwareCost), round2(out.YearlySaving)
	out.ActivePeople = len(everyone)
	if out.ActivePeople > 0 {
		out.CostPerActive = round2(out.Spend / float64(out.ActivePeople))
	}
	return out, nil
}

// spendByDay is a pool's spend per month over the period, each day billed
// at the seats the pool had that day (kept with the day), prorated by the
// pool's validity dates: resizing a pool does not rewrite past months.
// Days still to come are billed at today's seats; sums stay exact until
// the month is rounded to cents.
func spendByDay(p store.ReportPool, days []report.Day, q Query) []report.MonthSpend {
	seats := map[time.Time]int32{}
	for _, d := range days {
		seats[d.Start] = d.Seats
	}
	byMonth := map[string]*report.MonthSpend{}
	for day := report.DayStart(q.From); day.Before(q.To); day = day.AddDate(0, 0, 1) {
		// Days still to come are billed at today's seats.
		n, ok := seats[day]
		if !ok {
			n = int32(p.Seats)
		}
		d := report.Day{Start: day, Seats: n}
		from, to := d.Start, d.Start.AddDate(0, 0, 1)
		for _, lo := range []time.Time{q.From, p.Starts} {
			if !lo.IsZero() && from.Before(lo) {
				from = lo
			}
		}
		for _, hi := range []time.Time{q.To, p.Ends} {
			if !hi.IsZero() && to.After(hi) {
				to = hi
			}
		}
		if !to.After(from) {
			continue
		}
		month := time.Date(d.Start.Year(), d.Start.Month(), 1, 0, 0, 0, 0, time.UTC)
		share := to.Sub(from).Hours() / month.AddDate(0, 1, 0).Sub(month).Hours()
		k := month.Format("2006-01")
		x := byMonth[k]
		if x == nil {
			x = &report.MonthSpend{Month: k}
			byMonth[k] = x
		}
		x.Days += to.Sub(from).Hours() / 24
		x.Spend += float64(d.Seats) * p.MonthlyPrice * share
	}
	out := []report.MonthSpend{}
	for _, k := range sortedKeys(byMonth) {
		x := *byMonth[k]
		x.Days, x.Spend = round2(x.Days), round2(x.Spend)
		out = append(out, x)
	}
	return out
}
