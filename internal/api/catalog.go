package api

import (
	"net/http"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/seats"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

type skuJSON struct {
	Key          string   `json:"key"`
	Name         string   `json:"name"`
	Tier         string   `json:"tier"`
	Requires     []string `json:"requires"`
	MonthlyPrice float64  `json:"monthly_price"`
}

func skuOut(k licensing.SKU) skuJSON {
	req := k.Requires
	if req == nil {
		req = []string{}
	}
	return skuJSON{Key: k.Key, Name: k.Name, Tier: string(k.Tier), Requires: req, MonthlyPrice: k.MonthlyPrice}
}

func (j skuJSON) domain() licensing.SKU {
	return licensing.SKU{Key: j.Key, Name: j.Name, Tier: licensing.Tier(j.Tier), Requires: j.Requires, MonthlyPrice: j.MonthlyPrice}
}

func (s *Server) listSKUs(w http.ResponseWriter, r *http.Request) {
	list, err := s.store.ListSKUs(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]skuJSON, len(list))
	for i, k := range list {
		out[i] = skuOut(k)
	}
	writeJSON(w, http.StatusOK, map[string]any{"skus": out})
}

func (s *Server) getSKU(w http.ResponseWriter, r *http.Request) {
	k, err := s.store.GetSKU(r.Context(), r.PathValue("key"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, skuOut(k))
}

func (s *Server) createSKU(w http.ResponseWriter, r *http.Request) {
	var in skuJSON
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	k := in.domain()
	if err := s.store.PutSKU(r.Context(), actorOf(r), k, true); err != nil {
		s.fail(w, r, err)
		return
	}
	s.getSKUStatus(w, r, k.Key, http.StatusCreated)
}

func (s *Server) getSKUStatus(w http.ResponseWriter, r *http.Request, key string, status int) {
	k, err := s.store.GetSKU(r.Context(), key)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, status, skuOut(k))
}

func (s *Server) updateSKU(w http.ResponseWriter, r *http.Request) {
	var in skuJSON
	if err := decodeAt(w, r, &in, &in.Key, "key", "key"); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.store.PutSKU(r.Context(), actorOf(r), in.domain(), false); err != nil {
		s.fail(w, r, err)
		return
	}
	s.getSKUStatus(w, r, in.Key, http.StatusOK)
}

func (s *Server) deleteSKU(w http.ResponseWriter, r *http.Request) {
	if err := s.store.DeleteSKU(r.Context(), actorOf(r), r.PathValue("key")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type queueJSON struct {
	MaxLength int            `json:"max_length"`
	Priority  map[string]int `json:"priority,omitempty"`
	OfferTTL  string         `json:"offer_ttl,omitempty"`
}

type poolJSON struct {
	ID           string         `json:"id"`
	SKU          string         `json:"sku"`
	Model        string         `json:"model"`
	Seats        *int           `json:"seats"`
	Starts       string         `json:"starts,omitempty"`
	Ends         string         `json:"ends,omitempty"`
	IdleTimeout  string         `json:"idle_timeout,omitempty"`
	Linger       string         `json:"linger,omitempty"`
	Overdraft    int            `json:"overdraft"`
	WarnAt       float64        `json:"warn_at,omitempty"`
	Reservations map[string]int `json:"reservations,omitempty"`
	Limits       map[string]int `json:"limits,omitempty"`
	Queue        *queueJSON     `json:"queue,omitempty"`
	Cooldown     string         `json:"cooldown,omitempty"`
	MonthlyPrice float64        `json:"monthly_price"`
	Usage        *usageJSON     `json:"usage,omitempty"`
}

type usageJSON struct {
	Pool         string `json:"pool,omitempty"`
	Seats        int    `json:"seats"`
	Capacity     int    `json:"capacity"`
	Held         int    `json:"held"`
	Free         int    `json:"free"`
	Overdraft    int    `json:"overdraft_in_use"`
	Members      int    `json:"members"`
	Pending      int    `json:"pending"`
	Queued       int    `json:"queued"`
	NearCapacity bool   `json:"near_capacity"`
}

func parseDur(field, v string) (time.Duration, error) {
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, licensing.FieldErrorf(licensing.CodeInvalid, field, "%s must be a non-negative duration such as \"30m\" or \"720h\"", field)
	}
	return d, nil
}

// parseTime reads an optional RFC 3339 time.
func parseTime(field, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return t, licensing.FieldErrorf(licensing.CodeInvalid, field, "%s must be an RFC 3339 time such as \"2026-01-01T00:00:00Z\"", field)
	}
	return t.UTC(), nil
}

func (j poolJSON) domain() (licensing.Pool, error) {
	p := licensing.Pool{ID: j.ID, SKU: j.SKU, Model: licensing.Model(j.Model), Overdraft: j.Overdraft, WarnAt: j.WarnAt,
		Reservations: j.Reservations, Limits: j.Limits, MonthlyPrice: j.MonthlyPrice}
	if j.Seats == nil {
		return p, licensing.FieldErrorf(licensing.CodeInvalid, "seats", "seats is required")
	}
	if j.Usage != nil {
		return p, licensing.FieldErrorf(licensing.CodeInvalid, "usage", "usage is reported by Seatkeeper, not set")
	}
	p.Seats = *j.Seats
	var err error
	if p.Starts, err = parseTime("starts", j.Starts); err != nil {
		return p, err
	}
	if p.Ends, err = parseTime("ends", j.Ends); err != nil {
		return p, err
	}
	if p.IdleTimeout, err = parseDur("idle_timeout", j.IdleTimeout); err != nil {
		return p, err
	}
	if p.Linger, err = parseDur("linger", j.Linger); err != nil {
		return p, err
	}
	if p.Cooldown, err = parseDur("cooldown", j.Cooldown); err != nil {
		return p, err
	}
	if q := j.Queue; q != nil {
		ttl, err := parseDur("queue.offer_ttl", q.OfferTTL)
		if err != nil {
			return p, err
		}
		p.Queue = &licensing.QueueConfig{MaxLength: q.MaxLength, Priority: q.Priority, OfferTTL: ttl}
	}
	return p, nil
}

func poolOut(p licensing.Pool) poolJSON {
	seats := p.Seats
	j := poolJSON{ID: p.ID, SKU: p.SKU, Model: string(p.Model), Seats: &seats, Overdraft: p.Overdraft, WarnAt: p.WarnAt,
		Reservations: p.Reservations, Limits: p.Limits, MonthlyPrice: p.MonthlyPrice, IdleTimeout: p.IdleTimeout.String()}
	if !p.Starts.IsZero() {
		j.Starts = p.Starts.Format(time.RFC3339)
	}
	if !p.Ends.IsZero() {
		j.Ends = p.Ends.Format(time.RFC3339)
	}
	if p.Linger > 0 {
		j.Linger = p.Linger.String()
	}
	if p.Cooldown > 0 {
		j.Cooldown = p.Cooldown.String()
	}
	if q := p.Queue; q != nil {
		j.Queue = &queueJSON{MaxLength: q.MaxLength, Priority: q.Priority, OfferTTL: q.OfferTTL.String()}
	}
	return j
}

func usageOut(p licensing.Pool, u store.PoolUsage) *usageJSON {
	return &usageJSON{Pool: u.Pool, Seats: u.Seats, Capacity: u.Capacity, Held: u.Held, Free: max(0, u.Capacity-u.Held), Overdraft: u.Overdraft,
		Members: u.Members, Pending: u.Pending, Queued: u.Queued, NearCapacity: seats.NearCapacity(p, u.Held)}
}

func (s *Server) listPools(w http.ResponseWriter, r *http.Request) {
	list, err := s.store.ListPools(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	usage, err := s.store.Usage(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	byPool := map[string]store.PoolUsage{}
	for _, u := range usage {
		byPool[u.Pool] = u
	}
	out := make([]poolJSON, len(list))
	for i, p := range list {
		out[i] = poolOut(p)
		out[i].Usage = usageOut(p, byPool[p.ID])
	}
	writeJSON(w, http.StatusOK, map[string]any{"pools": out})
}

func (s *Server) getPool(w http.ResponseWriter, r *http.Request) {
	s.writePool(w, r, r.PathValue("pool"), http.StatusOK)
}

func (s *Server) writePool(w http.ResponseWriter, r *http.Request, id string, status int) {
	p, err := s.store.GetPool(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	u, err := s.store.PoolUsageOf(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := poolOut(p)
	out.Usage = usageOut(p, u)
	writeJSON(w, status, out)
}

func (s *Server) createPool(w http.ResponseWriter, r *http.Request) {
	var in poolJSON
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := in.domain()
	if err == nil {
		err = s.store.CreatePool(r.Context(), actorOf(r), p)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.settle(r, true) // a new pool may seat grants waiting for its SKU
	s.writePool(w, r, p.ID, http.StatusCreated)
}

func (s *Server) updatePool(w http.ResponseWriter, r *http.Request) {
	var in poolJSON
	if err := decodeAt(w, r, &in, &in.ID, "pool", "id"); err != nil {
		s.fail(w, r, err)
		return
	}
	id := in.ID
	p, err := in.domain()
	if err == nil {
		err = s.store.UpdatePool(r.Context(), actorOf(r), p)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.settle(r, true) // more seats (or none in force any more) change who waits
	s.writePool(w, r, id, http.StatusOK)
}

func (s *Server) deletePool(w http.ResponseWriter, r *http.Request) {
	if err := s.store.DeletePool(r.Context(), actorOf(r), r.PathValue("pool")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) usage(w http.ResponseWriter, r *http.Request) {
	usage, err := s.store.Usage(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]*usageJSON, 0, len(usage))
	for _, u := range usage {
		p, _ := s.engine.Pool(u.Pool)
		out = append(out, usageOut(p, u))
	}
	writeJSON(w, http.StatusOK, map[string]any{"pools": out})
}

type requirementJSON struct {
	Tier string   `json:"tier"`
	SKUs []string `json:"skus"`
}

func (s *Server) getPolicy(w http.ResponseWriter, r *http.Request) {
	p, err := s.store.GetPolicy(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make(map[string]requirementJSON, len(p))
	for c, req := range p {
		skus := req.SKUs
		if skus == nil {
			skus = []string{}
		}
		out[c] = requirementJSON{Tier: string(req.Tier), SKUs: skus}
	}
	writeJSON(w, http.StatusOK, map[string]any{"capabilities": out})
}

func (s *Server) putCapability(w http.ResponseWriter, r *http.Request) {
	var in requirementJSON
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	c := r.PathValue("capability")
	req := licensing.Requirement{Tier: licensing.Tier(in.Tier), SKUs: in.SKUs}
	if err := s.store.PutCapability(r.Context(), actorOf(r), c, req); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"capability": c, "tier": in.Tier, "skus": orEmptyList(in.SKUs)})
}

func orEmptyList(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

func (s *Server) deleteCapability(w http.ResponseWriter, r *http.Request) {
	if err := s.store.DeleteCapability(r.Context(), actorOf(r), r.PathValue("capability")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
