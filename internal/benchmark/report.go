package benchmark

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/pgtest"
	"github.com/seatkeeper/seatkeeper/internal/report"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

// The report benchmark: a generated year of concurrent-pool history is
// loaded with store.SeedHistory, swept into usage days by RollupUsage, and a
// full-year per-pool per-day utilization report is timed against the plain
// SQL answer to the same question over the raw leases in PostgreSQL.

// YearConfig shapes a generated year of history.
type YearConfig struct {
	Leases, Pools, People int
	// Run names the run's SKUs, pools and people, so runs against one
	// database never clash.
	Run string
	// Now ends the year at its UTC midnight (zero: the store's clock).
	Now time.Time
	// Batch is how many leases one SeedHistory call loads (default 200,000).
	Batch int
	// Seed makes the year reproducible.
	Seed uint64
}

// Year is a generated year of history, loaded into a store piece by piece.
type Year struct {
	st       *store.Store
	cfg      YearConfig
	rng      *rand.Rand
	From, To time.Time // the year's whole UTC days, [From, To)
	now      int64
	pools    []*genPool

	day     int64 // next day to generate
	pending []store.HistLease
	refused []store.HistDenial
	Loaded  int // leases loaded so far
	Denials int // refusals loaded so far
}

// genPool is one concurrent pool in the generator: its people, seats and
// the events still to run.
type genPool struct {
	id              string
	seats, capacity int
	people          []string
	busy            []bool // holding a seat or waiting to retry
	held            int
	quota           []int // leases to start on each day of the year
	events          []genEvent
	seq             int
}

type genEvent struct {
	at      int64
	release bool
	person  int
	active  int64
	logout  bool
	seq     int
}

func (p *genPool) less(a, b genEvent) bool {
	if a.at != b.at {
		return a.at < b.at
	}
	if a.release != b.release {
		return a.release // a seat freed before anyone asks at the same second
	}
	return a.seq < b.seq
}

func (p *genPool) push(e genEvent) {
	p.seq++
	e.seq = p.seq
	h := append(p.events, e)
	for i := len(h) - 1; i > 0; {
		up := (i - 1) / 2
		if !p.less(h[i], h[up]) {
			break
		}
		h[i], h[up] = h[up], h[i]
		i = up
	}
	p.events = h
}

func (p *genPool) pop() genEvent {
	h := p.events
	top := h[0]
	n := len(h) - 1
	h[0] = h[n]
	h = h[:n]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < n && p.less(h[l], h[m]) {
			m = l
		}
		if r < n && p.less(h[r], h[m]) {
			m = r
		}
		if m == i {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	p.events = h
	return top
}

const (
	genDay       = int64(86400)
	genIdle      = int64(30 * 60)
	meanHoldMins = 21.0 // a drawn spell plus its idle tail, on average
)

// NewYear creates the run's SKUs, pools and people in st and plans a year
// of cfg.Leases leases spread over working days with Monday and month-end
// peaks. Each pool's seats are sized so its busiest hours refuse some.
func NewYear(ctx context.Context, st *store.Store, cfg YearConfig) (*Year, error) {
	if cfg.Leases < 1 || cfg.Pools < 1 || cfg.People < cfg.Pools*4 {
		return nil, errors.New("benchmark: a year needs leases, pools and at least four people per pool")
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 200_000
	}
	if cfg.Run == "" {
		cfg.Run = strings.ToLower(fmt.Sprintf("r%x", time.Now().UnixNano()%0xffffff))
	}
	now := cfg.Now
	if now.IsZero() {
		now = st.Now()
	}
	y := &Year{st: st, cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, 0x5eed)), now: now.Unix()}
	y.To = report.DayStart(now)
	y.From = y.To.AddDate(0, 0, -365)
	y.day = y.From.Unix()
	days := int(y.To.Sub(y.From) / (24 * time.Hour))
	weights := make([]float64, days)
	var total float64
	for d := range weights {
		t := y.From.AddDate(0, 0, d)
		w := [...]float64{0.08, 1.15, 1, 1, 0.98, 0.85, 0.08}[t.Weekday()]
		if last := t.AddDate(0, 0, 2); last.Month() != t.Month() && w > 0.5 {
			w *= 1.2 // month end
		}
		weights[d] = w
		total += w
	}
	a := licensing.System("bench")
	for k := range cfg.Pools {
		p := &genPool{id: fmt.Sprintf("bench-report-%s-%02d", cfg.Run, k), quota: make([]int, days)}
		share := cfg.Leases / cfg.Pools
		if k < cfg.Leases%cfg.Pools {
			share++
		}
		// Whole leases per day whose running total follows the weights.
		var cum float64
		given, busiest := 0, 0
		for d, w := range weights {
			cum += w
			n := int(math.Round(float64(share)*cum/total)) - given
			p.quota[d], given = n, given+n
			busiest = max(busiest, n)
		}
		// Seats for a typical busy weekday's 10:00 peak: its arrival density
		// (see arrival) times the mean hold.
		// and a margin for chance, so only the busiest days (Mondays, month
		// ends) refuse.
		typical := float64(share) / total
		peak := typical * 0.0035 * meanHoldMins
		p.seats = max(2, int(math.Ceil(peak+2*math.Sqrt(peak))))
		p.capacity = p.seats
		if k%2 == 1 {
			p.capacity += max(1, p.seats/20) // an overdraft allowance on every other pool
		}
		perPool := cfg.People / cfg.Pools
		if perPool < 2*p.capacity {
			return nil, fmt.Errorf("benchmark: %d people per pool is too few for %d seats; ask for more people", perPool, p.capacity)
		}
		sku := licensing.SKU{Key: fmt.Sprintf("bench-report-%s-%02d", cfg.Run, k), Name: fmt.Sprintf("Bench product %d", k), Tier: licensing.TierFulfiller, MonthlyPrice: 100}
		if err := st.PutSKU(ctx, a, sku, true); err != nil {
			return nil, err
		}
		if err := st.CreatePool(ctx, a, licensing.Pool{ID: p.id, SKU: sku.Key, Model: licensing.ModelConcurrent, Seats: p.seats,
			Overdraft: p.capacity - p.seats, IdleTimeout: time.Duration(genIdle) * time.Second, MonthlyPrice: 140}); err != nil {
			return nil, err
		}
		y.pools = append(y.pools, p)
	}
	// People, in batches of one transaction each.
	const chunk = 5000
	for start := 0; start < cfg.People; start += chunk {
		var rows []store.PersonRow
		for i := start; i < min(start+chunk, cfg.People); i++ {
			name := fmt.Sprintf("%s-p%06d@report.example", cfg.Run, i)
			rows = append(rows, store.PersonRow{UserName: name, Apply: func(u *licensing.User, _ *store.Identity, _ bool) error {
				u.DisplayName, u.Email, u.JobCode = fmt.Sprintf("Person %06d", i), name, "ITSD-1"
				return nil
			}})
		}
		res, err := st.ImportPeople(ctx, a, rows, false)
		if err != nil {
			return nil, err
		}
		for j, r := range res {
			if r.Err != nil {
				return nil, fmt.Errorf("benchmark: person %d: %w", start+j, r.Err)
			}
			p := y.pools[(start+j)%cfg.Pools]
			p.people = append(p.people, r.UserID)
		}
	}
	for _, p := range y.pools {
		p.busy = make([]bool, len(p.people))
	}
	return y, nil
}

// Pools names the run's pools.
func (y *Year) Pools() []string {
	out := make([]string, len(y.pools))
	for i, p := range y.pools {
		out[i] = p.id
	}
	return out
}

// Capacity is the run's seats plus overdraft over every pool.
func (y *Year) Capacity() (seats, capacity int) {
	for _, p := range y.pools {
		seats += p.seats
		capacity += p.capacity
	}
	return seats, capacity
}

// arrival draws when a piece of work starts: mostly around 10:00, less
// after lunch, a little at any time of the working day.
func (y *Year) arrival() int64 {
	var s float64
	switch r := y.rng.Float64(); {
	case r < 0.55:
		s = 10*3600 + 65*60*y.rng.NormFloat64()
	case r < 0.9:
		s = 14.5*3600 + 65*60*y.rng.NormFloat64()
	default:
		s = 8*3600 + y.rng.Float64()*10*3600
	}
	return int64(min(max(s, 7*3600), 19*3600))
}

// generate runs the pools through day d, adding the leases (and refusals)
// that start in it.
func (y *Year) generate(d int64) {
	n := int((d - y.From.Unix()) / genDay)
	for _, p := range y.pools {
		if n < len(p.quota) {
			for range p.quota[n] {
				active := int64(60 * min(max(math.Exp(math.Log(14)+0.7*y.rng.NormFloat64()), 2), 180))
				p.push(genEvent{at: d + y.arrival(), person: -1, active: active, logout: y.rng.Float64() < 0.85})
			}
		}
		until := d + genDay
		if n >= len(p.quota) {
			until = math.MaxInt64
		}
		for len(p.events) > 0 && p.events[0].at < until {
			y.step(p, p.pop())
		}
	}
}

// step runs one event: a seat freed, or someone asking for one (a
// newcomer, or a retry a few minutes after a refusal).
func (y *Year) step(p *genPool, e genEvent) {
	if e.release {
		p.held--
		p.busy[e.person] = false
		return
	}
	if e.person < 0 {
		// Whoever is free asks; with everyone busy, the work waits a minute.
		for range 64 {
			if k := y.rng.IntN(len(p.people)); !p.busy[k] {
				e.person = k
				break
			}
		}
		if e.person < 0 {
			e.at += 60
			p.push(e)
			return
		}
		p.busy[e.person] = true
	}
	if p.held >= p.capacity {
		y.refused = append(y.refused, store.HistDenial{At: time.Unix(e.at, 0).UTC(), User: p.people[e.person], Pool: p.id, Reason: licensing.CodeMaxedOut})
		e.at += int64(60 + y.rng.IntN(300))
		p.push(e)
		return
	}
	last := e.at + e.active
	end, reason := last, licensing.EndLogout
	if !e.logout {
		end, reason = last+genIdle, licensing.EndIdleTimeout
	}
	if end >= y.now {
		end = y.now - 1
		last = min(last, end)
	}
	if end <= e.at {
		p.busy[e.person] = false
		return // past the end of the year
	}
	p.held++
	y.pending = append(y.pending, store.HistLease{Pool: p.id, User: p.people[e.person], Start: time.Unix(e.at, 0).UTC(),
		LastActive: time.Unix(last, 0).UTC(), End: time.Unix(end, 0).UTC(), Reason: reason})
	p.push(genEvent{at: end, release: true, person: e.person})
}

// LoadResult is what one Load call did.
type LoadResult struct {
	Leases, Denials int
	Generate        time.Duration // drawing the history
	Seed            time.Duration // in store.SeedHistory
	Peer            time.Duration // copying the leases to the peer
}

// Load generates and loads leases until upTo have been loaded in all (or
// the year is over), in SeedHistory calls of cfg.Batch leases with the
// refusals among them; when peer is not nil every lease is copied there too.
func (y *Year) Load(ctx context.Context, upTo int, peer *Peer) (LoadResult, error) {
	var r LoadResult
	end := y.To.Unix()
	for y.Loaded < upTo {
		began := time.Now()
		for len(y.pending) < y.cfg.Batch && y.day <= end {
			y.generate(y.day)
			y.day += genDay
		}
		r.Generate += time.Since(began)
		if len(y.pending) == 0 {
			break
		}
		n := min(len(y.pending), y.cfg.Batch, upTo-y.Loaded)
		batch := y.pending[:n]
		// The refusals go with the leases: all of them with a whole batch,
		// those before its last start with a part.
		var denials []store.HistDenial
		if n == len(y.pending) {
			denials, y.refused = y.refused, nil
		} else {
			cut := batch[n-1].Start
			keep := y.refused[:0:0]
			for _, d := range y.refused {
				if d.At.After(cut) {
					keep = append(keep, d)
				} else {
					denials = append(denials, d)
				}
			}
			y.refused = keep
		}
		k := len(denials)
		began = time.Now()
		if err := y.st.SeedHistory(ctx, store.History{Actor: licensing.System("bench"), Leases: batch, Denials: denials}); err != nil {
			return r, err
		}
		r.Seed += time.Since(began)
		if peer != nil {
			began = time.Now()
			if err := peer.Append(ctx, batch); err != nil {
				return r, err
			}
			r.Peer += time.Since(began)
		}
		y.Loaded += n
		y.Denials += k
		r.Leases += n
		r.Denials += k
		y.pending = slices.Delete(y.pending, 0, n)
	}
	return r, nil
}

// UtilizationReport is the report the benchmark times: the year's usage
// days of every pool (one snapshot read) summarised per pool by day.
func UtilizationReport(ctx context.Context, st *store.Store, pools []string, from, to time.Time) ([]report.Utilization, error) {
	d, err := st.ReportData(ctx, from, to, false)
	if err != nil {
		return nil, err
	}
	o := report.Options{From: from, To: to, Bucket: report.ByDay}
	if err := o.Validate(); err != nil {
		return nil, err
	}
	out := make([]report.Utilization, 0, len(pools))
	for _, p := range pools {
		out = append(out, report.Summarise(p, d.Days[p], o))
	}
	return out, nil
}

// Median runs fn runs times and returns the median duration and the last
// run's error.
func Median(runs int, fn func() error) (time.Duration, error) {
	var ds []time.Duration
	for range max(runs, 1) {
		began := time.Now()
		if err := fn(); err != nil {
			return 0, err
		}
		ds = append(ds, time.Since(began))
	}
	slices.Sort(ds)
	return ds[len(ds)/2], nil
}

// Peer is the plain-SQL side of the comparison: the same leases in a
// PostgreSQL table, and one query answering the report's question.
type Peer struct {
	conn  *pgx.Conn
	srv   *pgtest.Server
	table string
}

// OpenPeer connects to dsn, or starts a throwaway PostgreSQL server when
// dsn is "" (as the tests do), and creates an empty lease table.
func OpenPeer(ctx context.Context, dsn string) (*Peer, error) {
	p := &Peer{table: "bench_peer_leases"}
	if dsn == "" {
		srv, err := pgtest.Start(ctx, "")
		if err != nil {
			return nil, err
		}
		p.srv = srv
		if dsn, err = srv.CreateDatabase(ctx, "peer"); err != nil {
			_ = srv.Stop()
			return nil, err
		}
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		p.Close()
		return nil, fmt.Errorf("benchmark: peer: %w", err)
	}
	p.conn = conn
	for _, q := range []string{
		`DROP TABLE IF EXISTS ` + p.table,
		`CREATE TABLE ` + p.table + ` (pool_id TEXT NOT NULL, user_id TEXT NOT NULL, started_at BIGINT NOT NULL, ended_at BIGINT NOT NULL)`,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			p.Close()
			return nil, fmt.Errorf("benchmark: peer: %w", err)
		}
	}
	return p, nil
}

// Version names the peer's server.
func (p *Peer) Version(ctx context.Context) string {
	var v string
	if err := p.conn.QueryRow(ctx, `SHOW server_version`).Scan(&v); err != nil {
		return "?"
	}
	return "PostgreSQL " + v
}

// Close drops the connection (and the throwaway server).
func (p *Peer) Close() {
	if p.conn != nil {
		_ = p.conn.Close(context.Background())
	}
	if p.srv != nil {
		_ = p.srv.Stop()
	}
}

// Append copies leases into the peer's table (times as stored:
// microseconds).
func (p *Peer) Append(ctx context.Context, leases []store.HistLease) error {
	_, err := p.conn.CopyFrom(ctx, pgx.Identifier{p.table}, []string{"pool_id", "user_id", "started_at", "ended_at"},
		pgx.CopyFromSlice(len(leases), func(i int) ([]any, error) {
			l := &leases[i]
			return []any{l.Pool, l.User, l.Start.UnixMicro(), l.End.UnixMicro()}, nil
		}))
	if err != nil {
		return fmt.Errorf("benchmark: peer copy: %w", err)
	}
	return nil
}

// Prepare indexes and analyses the table, as a reporting database would
// be; it may be called again after more leases arrive.
func (p *Peer) Prepare(ctx context.Context) error {
	for _, q := range []string{
		`CREATE INDEX IF NOT EXISTS ` + p.table + `_pool_time ON ` + p.table + ` (pool_id, started_at)`,
		`ANALYZE ` + p.table,
		// What a reporting session would set: enough memory to sort the
		// year's events without spilling to disk.
		`SET work_mem = '512MB'`,
	} {
		if _, err := p.conn.Exec(ctx, q); err != nil {
			return fmt.Errorf("benchmark: peer: %w", err)
		}
	}
	return nil
}

// PeerDay is the plain SQL's answer for one pool and day.
type PeerDay struct {
	Pool                     string
	Day                      time.Time
	Peak, P50, P90, P95, P99 int
}

// PeerQuery is the plain-SQL answer to the report's question, over the raw
// leases: per pool and UTC day, the peak and the time-weighted p50, p90,
// p95 and p99 of seats held. Each lease is +1 at its start and -1 at its
// end (whole seconds, as the usage days count them); a 0 at every midnight
// cuts the timeline into days. A running sum over the events in time order
// gives the seats held until the next event; the seconds spent at each
// count make each day's distribution, read at the percentiles as the
// report reads its own (the smallest count whose cumulative seconds exceed
// the share). $1 and $2 bound the period (unix seconds, whole days), $3
// lists the pools.
const PeerQuery = `
WITH leases AS (
    SELECT pool_id, GREATEST(started_at / 1000000, $1) AS s, LEAST(ended_at / 1000000, $2) AS e
      FROM %[1]s
     WHERE started_at < $2 * 1000000 AND ended_at > $1 * 1000000 AND pool_id = ANY($3)
), events AS (
    SELECT pool_id, s AS at, 1 AS delta FROM leases
    UNION ALL
    SELECT pool_id, e, -1 FROM leases
    UNION ALL
    SELECT pool_id, midnight, 0 FROM unnest($3::text[]) AS pool_id, generate_series($1, $2, 86400) AS midnight
), steps AS (
    SELECT pool_id, at, sum(delta) AS delta FROM events GROUP BY pool_id, at
), held AS (
    SELECT pool_id, at,
           (sum(delta) OVER (PARTITION BY pool_id ORDER BY at ROWS UNBOUNDED PRECEDING))::bigint AS n,
           lead(at) OVER (PARTITION BY pool_id ORDER BY at) - at AS secs
      FROM steps
), levels AS (
    SELECT pool_id, $1 + (at - $1) / 86400 * 86400 AS day, n, sum(secs)::bigint AS secs
      FROM held WHERE secs > 0
     GROUP BY 1, 2, 3
), cumulative AS (
    SELECT pool_id, day, n,
           sum(secs) OVER (PARTITION BY pool_id, day ORDER BY n ROWS UNBOUNDED PRECEDING) AS cum,
           sum(secs) OVER (PARTITION BY pool_id, day) AS total
      FROM levels
)
SELECT pool_id, day, max(n),
       min(n) FILTER (WHERE cum > floor(0.50::float8 * total)),
       min(n) FILTER (WHERE cum > floor(0.90::float8 * total)),
       min(n) FILTER (WHERE cum > floor(0.95::float8 * total)),
       min(n) FILTER (WHERE cum > floor(0.99::float8 * total))
  FROM cumulative
 GROUP BY pool_id, day
 ORDER BY pool_id, day`

// Query runs PeerQuery over [from, to) for pools.
func (p *Peer) Query(ctx context.Context, pools []string, from, to time.Time) ([]PeerDay, error) {
	rows, err := p.conn.Query(ctx, fmt.Sprintf(PeerQuery, p.table), from.Unix(), to.Unix(), pools)
	if err != nil {
		return nil, fmt.Errorf("benchmark: peer query: %w", err)
	}
	defer rows.Close()
	var out []PeerDay
	for rows.Next() {
		var d PeerDay
		var day int64
		if err := rows.Scan(&d.Pool, &day, &d.Peak, &d.P50, &d.P90, &d.P95, &d.P99); err != nil {
			return nil, fmt.Errorf("benchmark: peer query: %w", err)
		}
		d.Day = time.Unix(day, 0).UTC()
		out = append(out, d)
	}
	return out, rows.Err()
}

// ComparePeer checks the plain SQL's days against the report's: it returns
// how many pool-days agree and describes the first few that do not.
func ComparePeer(us []report.Utilization, days []PeerDay) (agree int, differ []string) {
	want := map[string]PeerDay{}
	for _, u := range us {
		for _, b := range u.Buckets {
			want[u.Pool+"/"+b.Start.Format(time.DateOnly)] = PeerDay{Pool: u.Pool, Day: b.Start, Peak: b.Peak, P50: b.P50, P90: b.P90, P95: b.P95, P99: b.P99}
		}
	}
	for _, d := range days {
		k := d.Pool + "/" + d.Day.Format(time.DateOnly)
		w, ok := want[k]
		switch {
		case !ok:
			differ = append(differ, fmt.Sprintf("%s: only the SQL has it", k))
		case w != d:
			differ = append(differ, fmt.Sprintf("%s: SQL %+v, report %+v", k, d, w))
		default:
			agree++
		}
		delete(want, k)
	}
	for k := range want {
		differ = append(differ, fmt.Sprintf("%s: only the report has it", k))
	}
	slices.Sort(differ)
	return agree, differ
}
