package reporting

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/report/mix"
	"github.com/seatkeeper/seatkeeper/internal/report/render"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

// MixOption is one licensing option for a SKU, costed and tried.
type MixOption struct {
	Name               string   `json:"name"`
	NamedSeats         int      `json:"named_seats"`
	ConcurrentSeats    int      `json:"concurrent_seats"`
	YearlyCost         float64  `json:"yearly_cost"`
	Model              string   `json:"blocking_model"` // erlang-b or engset
	Erlangs            float64  `json:"erlangs"`
	Sources            int      `json:"sources"`
	PredictedBlocking  float64  `json:"predicted_blocking"`
	ReplayedDenialRate float64  `json:"replayed_denial_rate"`
	Arrivals           int      `json:"arrivals"`
	Denied             int      `json:"denied"`
	NamedPeople        []string `json:"named_people,omitempty"` // recommended: the heavy users, heaviest first
}

// Backtest is the optimiser's advice tried on history it was not fitted on.
type Backtest struct {
	FitFrom         time.Time `json:"fit_from"`
	FitTo           time.Time `json:"fit_to"`
	TestFrom        time.Time `json:"test_from"`
	TestTo          time.Time `json:"test_to"`
	NamedSeats      int       `json:"named_seats"`
	ConcurrentSeats int       `json:"concurrent_seats"`
	Predicted       float64   `json:"predicted_denial_rate"`
	Replayed        float64   `json:"replayed_denial_rate"`
	RelativeError   float64   `json:"relative_error"` // (predicted - replayed) / replayed
}

// SKUMix is the optimiser's comparison for one fulfiller SKU.
type SKUMix struct {
	SKU          string      `json:"sku"`
	NamedPrice   float64     `json:"named_monthly_price"`
	ConcPrice    float64     `json:"concurrent_monthly_price"`
	People       int         `json:"people_with_demand"`
	Spells       int         `json:"spells"`
	Options      []MixOption `json:"options"`
	Backtest     *Backtest   `json:"backtest"`
	YearlySaving float64     `json:"yearly_saving"` // today's cost minus the recommended
	Note         string      `json:"note,omitempty"`
}

// MixReport is the named-versus-concurrent mix optimiser.
type MixReport struct {
	Header
	Target   float64  `json:"target_denial_rate"`
	Split    float64  `json:"fit_share"`
	Currency string   `json:"currency"`
	SKUs     []SKUMix `json:"skus"`
}

// Mix runs the optimiser for each fulfiller SKU (or q.SKU) over the period.
func (s *Service) Mix(ctx context.Context, q Query) (*MixReport, error) {
	return priced(ctx, s, q, true, mixFrom)
}

// demand is a SKU's recorded demand as the optimiser replays it: every
// spell of its pools (leases of concurrent pools, named holders' sessions)
// and every refusal, which was demand too (see collect).
type demand struct {
	intervals []mix.Interval
	people    []string
	index     map[string]int32
	holders   int // people with a spell
}

func (dm *demand) person(p string) int32 {
	i, ok := dm.index[p]
	if !ok {
		i = int32(len(dm.people))
		dm.index[p] = i
		dm.people = append(dm.people, p)
	}
	return i
}

// collect gathers the spells and refusals of the SKU's pools that started
// in the period.
//
// A refusal the person got over by waiting, in the pool's queue until a
// seat came or by trying again within the tolerance, was demand from the
// refusal on: the seat that met it (the person's next spell) is moved back
// to the refusal, keeping its length. Kept where it was, the wait would
// look like demand the pool met in time, so a replay with more seats than
// the recorded pool could never refuse it, and a larger pool would look
// better than it is. Any other true denial never ran: it is added as
// demand for the person's median spell (30 minutes without one).
func (dm *demand) collect(d store.ReportData, q Query, pools []store.ReportPool) {
	own := map[string]bool{}
	for _, p := range pools {
		own[p.ID] = true
	}
	active := map[int32][]int64{}
	mine := map[int32][]int{} // each person's intervals, by start
	for _, p := range pools {
		for _, day := range d.Days[p.ID] {
			base := day.Start.Unix()
			for _, sp := range day.Spells {
				at := day.Start.Add(time.Duration(sp.Start) * time.Second)
				if at.Before(q.From) || !at.Before(q.To) {
					continue
				}
				i := dm.person(day.People[sp.Person])
				start := base + int64(sp.Start)
				mine[i] = append(mine[i], len(dm.intervals))
				dm.intervals = append(dm.intervals, mix.Interval{Person: i, Start: start, End: start + int64(sp.Active), Logout: sp.Logout})
				active[i] = append(active[i], int64(sp.Active))
			}
		}
	}
	dm.holders = len(active)
	for _, v := range mine {
		slices.SortStableFunc(v, func(a, b int) int { return cmp.Compare(dm.intervals[a].Start, dm.intervals[b].Start) })
	}
	// Seated queue places by person and second joined.
	seated := map[string]map[int64]bool{}
	for _, w := range d.Queue {
		if w.Seated && own[w.Pool] {
			if seated[w.User] == nil {
				seated[w.User] = map[int64]bool{}
			}
			seated[w.User][w.Joined.Unix()] = true
		}
	}
	queued := func(user string, at int64) bool {
		for dt := int64(-2); dt <= 2; dt++ {
			if seated[user][at+dt] {
				return true
			}
		}
		return false
	}
	type refusal struct {
		person   int32
		at       int64
		met      int32
		waited   bool // seated from the queue it joined
		trueDeny bool
	}
	var refs []refusal
	tol := int32(q.Tolerance / time.Second)
	for _, p := range pools {
		for _, day := range d.Days[p.ID] {
			for _, r := range day.Refusals {
				at := day.Start.Add(time.Duration(r.At) * time.Second)
				if at.Before(q.From) || !at.Before(q.To) {
					continue
				}
				user := day.People[r.Person]
				refs = append(refs, refusal{person: dm.person(user), at: at.Unix(), met: r.MetAfter, waited: r.MetAfter >= 0 && queued(user, at.Unix()),
					trueDeny: r.MetAfter < 0 || r.MetAfter > tol})
			}
		}
	}
	slices.SortStableFunc(refs, func(a, b refusal) int { return cmp.Compare(a.at, b.at) })
	// Match each refusal got over to the spell that met it (on the recorded
	// starts), then move the spells: a spell that met several refusals
	// moves to the first, the others were asking for the same seat.
	moveTo := map[int]int64{}
	denied := map[int]bool{}
	for _, r := range refs {
		if r.met >= 0 && (r.met <= tol || r.waited) {
			v := mine[r.person]
			k, _ := slices.BinarySearchFunc(v, r.at, func(i int, at int64) int { return cmp.Compare(dm.intervals[i].Start, at) })
			if k < len(v) && dm.intervals[v[k]].Start <= r.at+int64(r.met)+1 {
				if _, dup := moveTo[v[k]]; !dup {
					moveTo[v[k]] = r.at
				}
				denied[v[k]] = denied[v[k]] || r.trueDeny
				continue
			}
		}
		if !r.trueDeny {
			continue
		}
		dur := median(active[r.person])
		if dur == 0 {
			dur = 30 * 60
		}
		dm.intervals = append(dm.intervals, mix.Interval{Person: r.person, Start: r.at, End: r.at + dur, Denied: true})
	}
	for i, at := range moveTo {
		x := &dm.intervals[i]
		x.End -= x.Start - at
		x.Start, x.Denied = at, denied[i]
	}
}

func mixFrom(d store.ReportData, q Query, currency string) (*MixReport, error) {
	if q.Pool != "" {
		if _, err := pick(d.Pools, q.Pool); err != nil {
			return nil, err
		}
	}
	out := &MixReport{Header: Header{Report: Mix, From: q.From, To: q.To, TakenAt: d.Now}, Target: q.Target, Split: q.Split, Currency: currency, SKUs: []SKUMix{}}
	skus := map[string][]store.ReportPool{}
	for _, p := range d.Pools {
		if p.Tier == licensing.TierFulfiller && (q.SKU == "" || q.SKU == p.SKU) {
			skus[p.SKU] = append(skus[p.SKU], p)
		}
	}
	if q.SKU != "" && len(skus) == 0 {
		return nil, licensing.FieldErrorf(licensing.CodeNotFound, "sku", "no fulfiller SKU %q with pools", q.SKU)
	}
	for _, sku := range sortedKeys(skus) {
		m, err := skuMix(d, q, sku, skus[sku])
		if err != nil {
			return nil, err
		}
		out.SKUs = append(out.SKUs, m)
	}
	return out, nil
}

func skuMix(d store.ReportData, q Query, sku string, pools []store.ReportPool) (SKUMix, error) {
	dm := &demand{index: map[string]int32{}}
	m := SKUMix{SKU: sku, Options: []MixOption{}}
	today := mix.Option{Name: "today"}
	// The timers are those of the largest concurrent pool (ties: the longer
	// idle timeout), which serves most of the demand: the longest of all
	// would let a one-seat pool with a 12-hour timeout hold every seat of
	// the replay for 12 hours after each spell without a logout.
	var idle, linger int64
	largest := -1
	for _, p := range pools {
		if p.Model == string(licensing.ModelNamed) {
			if m.NamedPrice == 0 || p.MonthlyPrice < m.NamedPrice {
				m.NamedPrice = p.MonthlyPrice
			}
			continue
		}
		today.Concurrent += p.Seats + p.Overdraft
		if m.ConcPrice == 0 || p.MonthlyPrice < m.ConcPrice {
			m.ConcPrice = p.MonthlyPrice
		}
		pi, pl := int64(p.IdleTimeout/time.Second), int64(p.Linger/time.Second)
		if n := p.Seats + p.Overdraft; n > largest || n == largest && pi > idle {
			largest, idle, linger = n, pi, pl
		}
	}
	if idle == 0 {
		idle = int64(licensing.DefaultIdleTimeout / time.Second)
	}
	today.IdleTimeout, today.Linger = idle, linger
	// Prices missing for a model are taken from the other at the usual
	// ratio (a concurrent seat lists at about 1.5 named seats).
	switch {
	case m.NamedPrice == 0 && m.ConcPrice == 0:
		m.Note = "no prices: costs are 0"
	case m.NamedPrice == 0:
		m.NamedPrice = m.ConcPrice / 1.5
		m.Note = "no named pool: named price assumed at concurrent ÷ 1.5"
	case m.ConcPrice == 0:
		m.ConcPrice = m.NamedPrice * 1.5
		m.Note = "no concurrent pool: concurrent price assumed at named × 1.5"
	}
	dm.collect(d, q, pools)
	for _, h := range d.Holdings {
		if h.SKU == sku {
			today.Named = append(today.Named, dm.person(h.User.ID))
		}
	}
	sort.Slice(dm.intervals, func(a, b int) bool { return dm.intervals[a].Start < dm.intervals[b].Start })
	m.People, m.Spells = dm.holders, len(dm.intervals)
	prices := mix.Prices{NamedMonthly: m.NamedPrice, ConcurrentMonthly: m.ConcPrice}
	evals, err := mix.Compare(dm.intervals, len(dm.people), today, prices, q.Target)
	if err != nil {
		return m, mixError(err)
	}
	names := userNames(d)
	for _, e := range evals {
		o := MixOption{Name: e.Name, NamedSeats: len(e.Named), ConcurrentSeats: e.Concurrent, YearlyCost: round2(e.YearlyCost), Model: e.Model, Erlangs: e.Erlangs,
			Sources: e.Sources, PredictedBlocking: e.PredictedBlocking, ReplayedDenialRate: e.ReplayedDenialRate, Arrivals: e.Arrivals, Denied: e.Denied}
		if e.Name == mix.Recommended {
			for _, i := range e.Named {
				o.NamedPeople = append(o.NamedPeople, names[dm.people[i]])
			}
		}
		m.Options = append(m.Options, o)
	}
	var todayCost, recCost float64
	for _, o := range m.Options {
		switch o.Name {
		case "today":
			todayCost = o.YearlyCost
		case mix.Recommended:
			recCost = o.YearlyCost
		}
	}
	m.YearlySaving = round2(todayCost - recCost)
	split := q.From.Add(time.Duration(float64(q.To.Sub(q.From)) * q.Split)).Truncate(time.Hour)
	bt, err := mix.Backtest(dm.intervals, len(dm.people), split.Unix(), prices, q.Target, idle, linger)
	if err == nil {
		m.Backtest = &Backtest{FitFrom: q.From, FitTo: split, TestFrom: split, TestTo: q.To, NamedSeats: len(bt.Fit.Named), ConcurrentSeats: bt.Fit.Concurrent,
			Predicted: bt.Predicted, Replayed: bt.Replayed, RelativeError: bt.RelativeError}
	} else if errors.Is(err, mix.ErrSplit) {
		m.Note = strings.TrimSpace(m.Note + " No back-test: the period has no demand on one side of the split.")
	} else {
		return m, mixError(err)
	}
	return m, nil
}

func mixError(err error) error {
	if errors.Is(err, mix.ErrTarget) {
		return licensing.FieldErrorf(licensing.CodeInvalid, "target", "%v", err)
	}
	return fmt.Errorf("reporting: mix: %w", err)
}

func median(v []int64) int64 {
	if len(v) == 0 {
		return 0
	}
	c := slices.Clone(v)
	slices.Sort(c)
	return c[len(c)/2]
}

// userNames maps user ids seen in the snapshot to user names.
func userNames(d store.ReportData) map[string]string {
	out := map[string]string{}
	for _, h := range d.Holdings {
		out[h.User.ID] = h.User.UserName
	}
	for id, n := range d.UserNames {
		out[id] = n
	}
	return out
}

// Section shows the options side by side and the back-test.
func (r *MixReport) Section() render.Section {
	s := render.Section{Title: "Named versus concurrent mix", Paragraphs: []string{
		fmt.Sprintf("For each fulfiller SKU: all named, today's mix, and the recommended mix — the heavy users on named seats and enough concurrent seats for everyone else at a true-denial rate of at most %s. Predicted blocking is Erlang B (Engset where the population is small); the replayed rate re-runs the recorded demand through the option's pools and idle timeouts.", pct(r.Target)),
		"Back-test: the recommendation is fitted on the first " + pct(r.Split) + " of the period and replayed on the rest; the relative error of the predicted against the replayed denial rate is published. " + takenNote(r.Header)}}
	t := render.Table{Title: "Options per SKU", Columns: []string{"sku", "option", "named seats", "concurrent seats", "yearly cost", "model", "erlangs", "predicted blocking", "replayed denial rate", "arrivals", "denied"}}
	bt := render.Table{Title: "Back-test", Columns: []string{"sku", "fit period", "test period", "named", "concurrent", "predicted", "replayed", "relative error"}}
	who := render.Table{Title: "Recommended named seats (heaviest first)", Columns: []string{"sku", "rank", "user"}}
	for _, m := range r.SKUs {
		if m.Note != "" {
			s.Paragraphs = append(s.Paragraphs, m.SKU+": "+m.Note)
		}
		c := render.Chart{Title: "Yearly cost per option — " + m.SKU, YLabel: r.Currency, Kind: render.Bar, Series: []render.Series{{Name: "yearly cost"}}}
		for _, o := range m.Options {
			t.Rows = append(t.Rows, []string{m.SKU, o.Name, itoa(o.NamedSeats), itoa(o.ConcurrentSeats), money(r.Currency, o.YearlyCost), o.Model, num(o.Erlangs), pct(o.PredictedBlocking), pct(o.ReplayedDenialRate), itoa(o.Arrivals), itoa(o.Denied)})
			c.Categories = append(c.Categories, o.Name)
			c.Series[0].Y = append(c.Series[0].Y, o.YearlyCost)
			for i, u := range o.NamedPeople {
				who.Rows = append(who.Rows, []string{m.SKU, itoa(i + 1), u})
			}
		}
		s.Charts = append(s.Charts, c)
		if b := m.Backtest; b != nil {
			bt.Rows = append(bt.Rows, []string{m.SKU, day(b.FitFrom) + " – " + day(b.FitTo), day(b.TestFrom) + " – " + day(b.TestTo), itoa(b.NamedSeats), itoa(b.ConcurrentSeats), pct(b.Predicted), pct(b.Replayed), pct(b.RelativeError)})
		}
	}
	s.Tables = []render.Table{t, bt, who}
	return s
}
