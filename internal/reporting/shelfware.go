package reporting

import (
	"context"
	"sort"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/store"
)

// Holding is one named seat with how long it has sat idle.
type Holding struct {
	Pool     string     `json:"pool"`
	SKU      string     `json:"sku"`
	User     string     `json:"user"`
	Name     string     `json:"display_name"`
	Source   string     `json:"source"`
	Since    time.Time  `json:"since"`
	LastUsed *time.Time `json:"last_used"` // null: never used
	IdleDays int        `json:"idle_days"` // since the last use, or since assignment when never used
	Never    bool       `json:"never_used"`
	Shelf    bool       `json:"shelfware"`
	// YearlyCost is what the seat costs a year.
	YearlyCost float64 `json:"yearly_cost"`
}

// ShelfwareReport lists named seats by idleness: shelfware is a seat not
// used for IdleDays or more, never-used seats are those with no recorded use
// since they were assigned.
type ShelfwareReport struct {
	Header
	IdleDays  int       `json:"idle_days"`
	Holdings  []Holding `json:"holdings"`
	Shelfware int       `json:"shelfware"`
	NeverUsed int       `json:"never_used"`
	// YearlySaving is what reclaiming every shelfware seat saves a year.
	YearlySaving float64 `json:"yearly_saving"`
	Currency     string  `json:"currency"`
}

// Shelfware computes the named-seat idleness report as of now.
func (s *Service) Shelfware(ctx context.Context, q Query) (*ShelfwareReport, error) {
	return priced(ctx, s, q, false, shelfwareFrom)
}

// priced reads the period's data and the currency, and builds a report
// shown in money from them.
func priced[T any](ctx context.Context, s *Service, q Query, spells bool, build func(store.ReportData, Query, string) (T, error)) (T, error) {
	var zero T
	d, err := s.Store.ReportData(ctx, q.From, q.To, spells)
	if err != nil {
		return zero, err
	}
	cur, err := s.currency(ctx)
	if err != nil {
		return zero, err
	}
	return build(d, q, cur)
}

func shelfwareFrom(d store.ReportData, q Query, currency string) (*ShelfwareReport, error) {
	if _, err := pick(d.Pools, q.Pool); err != nil {
		return nil, err
	}
	out := &ShelfwareReport{Header: Header{Report: Shelfware, From: q.From, To: q.To, Pool: q.Pool, TakenAt: d.Now}, IdleDays: q.IdleDays, Holdings: []Holding{}, Currency: currency}
	hs := holdings(d, q)
	// The idlest seats first: the list is read to decide what to reclaim.
	sort.SliceStable(hs, func(i, j int) bool { return hs[i].IdleDays > hs[j].IdleDays })
	for _, h := range hs {
		out.Holdings = append(out.Holdings, h)
		if h.Shelf {
			out.Shelfware++
			out.YearlySaving += h.YearlyCost
		}
		if h.Never {
			out.NeverUsed++
		}
	}
	out.YearlySaving = round2(out.YearlySaving)
	return out, nil
}

// holdings reads each named seat's idleness as of the snapshot.
func holdings(d store.ReportData, q Query) []Holding {
	var out []Holding
	for _, h := range d.Holdings {
		if q.Pool != "" && h.Pool != q.Pool {
			continue
		}
		x := Holding{Pool: h.Pool, SKU: h.SKU, User: h.User.UserName, Name: h.User.DisplayName, Source: h.Source, Since: h.Since, YearlyCost: round2(12 * h.MonthlyCost)}
		ref := h.Since
		if h.LastUsed.IsZero() || h.LastUsed.Before(h.Since) {
			x.Never = h.LastUsed.IsZero()
		}
		if !h.LastUsed.IsZero() {
			lu := h.LastUsed
			x.LastUsed = &lu
			if lu.After(ref) {
				ref = lu
			}
		}
		x.IdleDays = int(d.Now.Sub(ref) / (24 * time.Hour))
		x.Shelf = x.IdleDays >= q.IdleDays
		out = append(out, x)
	}
	return out
}

func round2(v float64) float64 {
	if v < 0 {
		return -round2(-v)
	}
	return float64(int64(v*100+0.5)) / 100
}

// CurrencySetting is the settings key of the reports' currency.
const CurrencySetting = "report.currency"

// DefaultCurrency is used until an administrator sets one.
const DefaultCurrency = "EUR"

func (s *Service) currency(ctx context.Context) (string, error) {
	return s.Store.Setting(ctx, CurrencySetting, DefaultCurrency)
}
