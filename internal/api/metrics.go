package api

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/seats"
)

// metrics owns a private registry (no global state): decisions counted as
// they happen, seats and denials read from the store at scrape time so every
// process reports the database's truth.
type metrics struct {
	reg       *prometheus.Registry
	decisions *prometheus.CounterVec
	allowed   prometheus.Counter
	handler   http.Handler
}

func newMetrics(svc *seats.Service) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.decisions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "seatkeeper_decisions_total", Help: "Decisions answered by this process, by result and reason.",
	}, []string{"result", "reason"})
	m.allowed = m.decisions.WithLabelValues("allow", "")
	m.reg.MustRegister(m.decisions, &poolCollector{svc: svc},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.handler = promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
	return m
}

func (m *metrics) serve(w http.ResponseWriter, r *http.Request) { m.handler.ServeHTTP(w, r) }

func (m *metrics) decided(d licensing.Decision) {
	if d.Allow {
		m.allowed.Inc()
		return
	}
	m.decisions.WithLabelValues("deny", d.Reason).Inc()
}

var (
	descSeats     = prometheus.NewDesc("seatkeeper_pool_seats", "Seats bought in the pool.", []string{"pool", "model"}, nil)
	descHeld      = prometheus.NewDesc("seatkeeper_pool_seats_held", "Seats held (named: assigned; concurrent: leased).", []string{"pool", "model"}, nil)
	descFree      = prometheus.NewDesc("seatkeeper_pool_seats_free", "Seats free, overdraft included.", []string{"pool", "model"}, nil)
	descOver      = prometheus.NewDesc("seatkeeper_pool_overdraft_in_use", "Seats held above the pool's count (for true-up).", []string{"pool"}, nil)
	descQueued    = prometheus.NewDesc("seatkeeper_pool_queued", "People waiting in the pool's queue.", []string{"pool"}, nil)
	descPending   = prometheus.NewDesc("seatkeeper_pool_pending_grants", "Grants waiting for a seat.", []string{"pool"}, nil)
	descNear      = prometheus.NewDesc("seatkeeper_pool_near_capacity", "1 when held seats reach the pool's warning threshold.", []string{"pool"}, nil)
	descDenials   = prometheus.NewDesc("seatkeeper_denials_total", "Denials recorded in the database, by reason.", []string{"reason"}, nil)
	descUp        = prometheus.NewDesc("seatkeeper_store_up", "1 when the store answered the scrape.", nil, nil)
	descEnginePpl = prometheus.NewDesc("seatkeeper_engine_people", "People in this process's decision snapshot.", nil, nil)
)

type poolCollector struct{ svc *seats.Service }

func (c *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descSeats, descHeld, descFree, descOver, descQueued, descPending, descNear, descDenials, descUp, descEnginePpl} {
		ch <- d
	}
}

func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ch <- prometheus.MustNewConstMetric(descEnginePpl, prometheus.GaugeValue, float64(c.svc.Engine.PeopleCount()))
	usage, err := c.svc.Store.Usage(ctx)
	denials, err2 := c.svc.Store.DenialsByReason(ctx)
	if err != nil || err2 != nil {
		ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, 1)
	for _, u := range usage {
		p, _ := c.svc.Engine.Pool(u.Pool)
		ch <- prometheus.MustNewConstMetric(descSeats, prometheus.GaugeValue, float64(u.Seats), u.Pool, u.Model)
		ch <- prometheus.MustNewConstMetric(descHeld, prometheus.GaugeValue, float64(u.Held), u.Pool, u.Model)
		ch <- prometheus.MustNewConstMetric(descFree, prometheus.GaugeValue, float64(max(0, u.Capacity-u.Held)), u.Pool, u.Model)
		ch <- prometheus.MustNewConstMetric(descOver, prometheus.GaugeValue, float64(u.Overdraft), u.Pool)
		ch <- prometheus.MustNewConstMetric(descQueued, prometheus.GaugeValue, float64(u.Queued), u.Pool)
		ch <- prometheus.MustNewConstMetric(descPending, prometheus.GaugeValue, float64(u.Pending), u.Pool)
		near := 0.0
		if seats.NearCapacity(p, u.Held) {
			near = 1
		}
		ch <- prometheus.MustNewConstMetric(descNear, prometheus.GaugeValue, near, u.Pool)
	}
	for _, d := range denials {
		ch <- prometheus.MustNewConstMetric(descDenials, prometheus.CounterValue, float64(d.Count), d.Reason)
	}
}
