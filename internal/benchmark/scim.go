package benchmark

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// SCIMConfig sets up an initial import over SCIM: Users people created by
// Clients concurrent clients, as an identity provider's first cycle does.
type SCIMConfig struct {
	BaseURL, Token string
	Users, Clients int
	// Run prefixes user names, so runs against one database never clash.
	Run string
}

// SCIMResult is what an import measured. First is the time the first
// Window creates took: the steady rate before the tables grow large.
type SCIMResult struct {
	Created, Errors int64
	Elapsed         time.Duration
	P50, P99        time.Duration
	Window          int
	First           time.Duration
}

// CreatesPerSecond is the rate over the whole import.
func (r SCIMResult) CreatesPerSecond() float64 { return float64(r.Created) / r.Elapsed.Seconds() }

// FirstPerSecond is the rate over the first Window creates.
func (r SCIMResult) FirstPerSecond() float64 {
	if r.First <= 0 {
		return 0
	}
	return float64(r.Window) / r.First.Seconds()
}

// JobCode is the job code of person i of an import: a fifth work the
// service desk, one in twenty sits on the change board, the rest are
// requesters, so the rules grant agent seats, change modules and nothing.
func JobCode(i int) string {
	switch {
	case i%20 == 0:
		return fmt.Sprintf("CHG-%d", i%3)
	case i%5 == 1:
		return fmt.Sprintf("ITSD-%d", i%4)
	}
	return fmt.Sprintf("OPS-%d", i%7)
}

// SCIMUserName is the user name of a run's i-th person.
func SCIMUserName(run string, i int) string { return fmt.Sprintf("%s-%06d@import.example", run, i) }

// scimUser is the body Microsoft Entra ID sends to create a user, with
// Seatkeeper's job code. Every tenth person shares the previous person's
// mailbox (emails are not unique), and every fiftieth names as manager the
// next person, not provisioned yet (providers do not order their creates).
func scimUser(run string, i int) map[string]any {
	name := SCIMUserName(run, i)
	email := name
	if i%10 == 9 {
		email = SCIMUserName(run, i-1)
	}
	ent := map[string]any{
		"employeeNumber": fmt.Sprintf("%s%06d", run, i), "department": []string{"IT", "HR", "Finance", "Operations"}[i%4],
		"costCenter": fmt.Sprintf("CC-%d", i%12),
	}
	if i%50 == 0 {
		ent["manager"] = map[string]any{"value": fmt.Sprintf("%s-ext-%06d", run, i+1)}
	}
	return map[string]any{
		"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
			"urn:ietf:params:scim:schemas:extension:seatkeeper:2.0:User"},
		"externalId": fmt.Sprintf("%s-ext-%06d", run, i),
		"userName":   name,
		"active":     true,
		"name":       map[string]any{"givenName": "Person", "familyName": fmt.Sprintf("N%06d", i), "formatted": fmt.Sprintf("Person N%06d", i)},
		"emails":     []any{map[string]any{"primary": true, "type": "work", "value": email}},
		"title":      "Staff",
		"meta":       map[string]any{"resourceType": "User"},
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": ent,
		"urn:ietf:params:scim:schemas:extension:seatkeeper:2.0:User": map[string]any{"jobCode": JobCode(i)},
	}
}

// SCIMImport creates cfg.Users people over SCIM from cfg.Clients clients
// and times it; every answer must be 201.
func SCIMImport(ctx context.Context, cfg SCIMConfig) (SCIMResult, error) {
	c := NewClient(cfg.BaseURL, cfg.Token, cfg.Clients)
	window := min(10000, cfg.Users)
	res := SCIMResult{Window: window}
	var next, created, errs atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	var firstErr error
	var firstOnce sync.Once
	start := time.Now()
	var wg sync.WaitGroup
	for range cfg.Clients {
		wg.Go(func() {
			var mine []time.Duration
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= cfg.Users {
					break
				}
				t0 := time.Now()
				status, err := c.Do(ctx, http.MethodPost, "/scim/v2/Users", scimUser(cfg.Run, i), nil)
				mine = append(mine, time.Since(t0))
				if err == nil && status != http.StatusCreated {
					err = fmt.Errorf("create %d: status %d", i, status)
				}
				if err != nil {
					errs.Add(1)
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					continue
				}
				if created.Add(1) == int64(window) {
					firstOnce.Do(func() { res.First = time.Since(start) })
				}
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	res.Created, res.Errors = created.Load(), errs.Load()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	res.P50, res.P99 = percentile(lat, 0.50), percentile(lat, 0.99)
	return res, firstErr
}
