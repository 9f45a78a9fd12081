// Package benchmark drives a running Seatkeeper over real HTTP and reports
// the headline figures that BENCHMARKS.md quotes.
package benchmark

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// CheckoutConfig sets up a checkout storm.
type CheckoutConfig struct {
	BaseURL  string
	Token    string
	Pool     string
	Users    []string
	Clients  int
	Duration time.Duration
	// Holders, polled while the storm runs, returns how many seats are held.
	Holders func(ctx context.Context) (int, error)
}

// CheckoutResult is what a storm measured.
type CheckoutResult struct {
	Starts, Refused, Errors int64
	Elapsed                 time.Duration
	P50, P99                time.Duration
	MaxHoldersPolled        int
}

// StartsPerSecond is the rate of acknowledged session starts.
func (r CheckoutResult) StartsPerSecond() float64 { return float64(r.Starts) / r.Elapsed.Seconds() }

// Client is a minimal JSON client for the API.
type Client struct {
	Base, Token string
	HTTP        *http.Client
}

// NewClient returns a client keeping up to conns connections alive.
func NewClient(base, token string, conns int) *Client {
	tr := &http.Transport{MaxIdleConns: conns * 2, MaxIdleConnsPerHost: conns * 2, MaxConnsPerHost: conns * 2, IdleConnTimeout: time.Minute}
	return &Client{Base: base, Token: token, HTTP: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

// Do sends a JSON request and decodes a JSON answer into out (if non-nil).
func (c *Client) Do(ctx context.Context, method, path string, body, out any) (int, error) {
	return c.Act(ctx, "", method, path, body, out)
}

// Act is Do on behalf of a person, named in the acting-user header.
func (c *Client) Act(ctx context.Context, acting, method, path string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Base+path, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	req.Header.Set("Content-Type", "application/json")
	if acting != "" {
		req.Header.Set("Seatkeeper-Acting-User", acting)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if out != nil && len(data) > 0 && resp.StatusCode < 300 {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: decode: %w", method, path, err)
		}
	}
	if resp.StatusCode >= 500 {
		return resp.StatusCode, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, data)
	}
	return resp.StatusCode, nil
}

// Checkout runs the storm: each client starts a session for one of its
// users and ends it at once, over and over, for the configured time.
func Checkout(ctx context.Context, cfg CheckoutConfig) (CheckoutResult, error) {
	c := NewClient(cfg.BaseURL, cfg.Token, cfg.Clients)
	var res CheckoutResult
	var starts, refused, errs atomic.Int64
	lat := make([][]time.Duration, cfg.Clients)
	runCtx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	var maxHeld atomic.Int64
	pollDone := make(chan struct{})
	go func() {
		defer close(pollDone)
		for runCtx.Err() == nil {
			if n, err := cfg.Holders(ctx); err == nil && int64(n) > maxHeld.Load() {
				maxHeld.Store(int64(n))
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	begin := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < cfg.Clients; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; runCtx.Err() == nil; i += cfg.Clients {
				user := cfg.Users[i%len(cfg.Users)]
				var sess struct {
					ID string `json:"id"`
				}
				t0 := time.Now()
				// The start is not cut off when the run ends: a session the
				// server committed must be seen, so it can be ended below.
				code, err := c.Do(ctx, http.MethodPost, "/api/v1/sessions", map[string]any{"user": user}, &sess)
				d := time.Since(t0)
				switch {
				case err != nil:
					errs.Add(1)
					continue
				case code == http.StatusConflict:
					refused.Add(1)
					lat[w] = append(lat[w], d)
					continue
				case code != http.StatusCreated:
					errs.Add(1)
					continue
				}
				starts.Add(1)
				lat[w] = append(lat[w], d)
				// End with the outer context so a seat taken is always returned.
				if code, err := c.Do(ctx, http.MethodDelete, "/api/v1/sessions/"+sess.ID, nil, nil); err != nil || code != http.StatusNoContent {
					errs.Add(1)
				}
			}
		}(w)
	}
	wg.Wait()
	res.Elapsed = time.Since(begin)
	cancel()
	<-pollDone
	res.Starts, res.Refused, res.Errors = starts.Load(), refused.Load(), errs.Load()
	res.MaxHoldersPolled = int(maxHeld.Load())
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	res.P50, res.P99 = percentile(all, 0.50), percentile(all, 0.99)
	return res, nil
}

func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[min(len(d)-1, int(float64(len(d))*p))]
}

// Interval is a held seat's lifetime; End is zero while held.
type Interval struct{ Start, End time.Time }

// MaxOverlap returns the most intervals held at once. At equal times an end
// comes before a start, since the same transaction frees and takes a slot.
func MaxOverlap(iv []Interval) int {
	type ev struct {
		at    time.Time
		delta int
	}
	evs := make([]ev, 0, 2*len(iv))
	for _, x := range iv {
		evs = append(evs, ev{x.Start, +1})
		if !x.End.IsZero() {
			evs = append(evs, ev{x.End, -1})
		}
	}
	sort.Slice(evs, func(i, j int) bool {
		if evs[i].at.Equal(evs[j].at) {
			return evs[i].delta < evs[j].delta
		}
		return evs[i].at.Before(evs[j].at)
	})
	cur, best := 0, 0
	for _, e := range evs {
		cur += e.delta
		best = max(best, cur)
	}
	return best
}
