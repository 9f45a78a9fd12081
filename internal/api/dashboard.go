package api

import (
	"net/http"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/seats"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

// The dashboard's window and resolution: the last six hours in quarters.
const (
	dashboardWindow = 6 * time.Hour
	dashboardBucket = 15 * time.Minute
)

// Dashboard is the live dashboard's answer (GET /api/v1/dashboard), which
// the console's page renders and its script polls.
type Dashboard struct {
	At            time.Time       `json:"at"`
	Since         time.Time       `json:"since"`
	BucketSeconds int             `json:"bucket_seconds"`
	Totals        DashboardTotals `json:"totals"`
	Pools         []DashboardPool `json:"pools"`
}

// DashboardTotals sums the pools.
type DashboardTotals struct {
	Held          int `json:"held"`
	Seats         int `json:"seats"`
	Full          int `json:"full_pools"`
	NearCapacity  int `json:"near_capacity_pools"`
	Queued        int `json:"queued"`
	DeniedToday   int `json:"denied_today"`
	PendingGrants int `json:"pending_grants"`
}

// DashboardPool is one pool now, and (concurrent pools) its seats held
// over the window: the most held at once per bucket, oldest first.
type DashboardPool struct {
	ID          string `json:"id"`
	SKU         string `json:"sku"`
	SKUName     string `json:"sku_name"`
	Model       string `json:"model"`
	Seats       int    `json:"seats"`
	Capacity    int    `json:"capacity"`
	Held        int    `json:"held"`
	Overdraft   int    `json:"overdraft_in_use"`
	Members     int    `json:"members"`
	Pending     int    `json:"pending_grants"`
	Queued      int    `json:"queued"`
	DeniedToday int    `json:"denied_today"`
	// State is ok, near_capacity, overdraft or full.
	State        string  `json:"state"`
	MonthlyPrice float64 `json:"monthly_price"`
	History      []int   `json:"history,omitempty"`
}

func (s *Server) dashboard(w http.ResponseWriter, r *http.Request) {
	d, err := s.store.ReadDashboard(r.Context(), dashboardWindow, dashboardBucket)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, dashboardOf(d, s.engine))
}

func dashboardOf(d store.Dashboard, eng *licensing.Engine) Dashboard {
	out := Dashboard{At: d.At, Since: d.Since, BucketSeconds: int(d.Bucket / time.Second), Pools: make([]DashboardPool, 0, len(d.Pools))}
	usage := map[string]store.PoolUsage{}
	for _, u := range d.Usage {
		usage[u.Pool] = u
	}
	t := &out.Totals
	for _, p := range d.Pools {
		u := usage[p.ID]
		sku, _ := eng.SKU(p.SKU)
		dp := DashboardPool{ID: p.ID, SKU: p.SKU, SKUName: sku.Name, Model: string(p.Model), Seats: p.Seats, Capacity: u.Capacity,
			Held: u.Held, Overdraft: u.Overdraft, Members: u.Members, Pending: u.Pending, Queued: u.Queued,
			DeniedToday: d.Denials[p.ID], State: seats.State(p, u.Held, u.Capacity), MonthlyPrice: p.MonthlyPrice, History: d.Held[p.ID]}
		out.Pools = append(out.Pools, dp)
		t.Held += dp.Held
		t.Seats += dp.Seats
		t.Queued += dp.Queued
		t.PendingGrants += dp.Pending
		switch dp.State {
		case seats.StateFull:
			t.Full++
		case seats.StateNear:
			t.NearCapacity++
		}
	}
	for _, n := range d.Denials {
		t.DeniedToday += n
	}
	return out
}
