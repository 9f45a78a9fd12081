package benchmark

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/audit"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/signin"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

// ConsoleConfig sizes the licence console's benchmark company.
type ConsoleConfig struct {
	People int // people, each created (and audited) through the bulk import
	Audit  int // audit entries in all; the import's are topped up with SeedAudit
	// Admin and Password are the licence administrator who signs in.
	Admin, Password string
}

// ConsoleAdmin is the benchmark's licence administrator.
const ConsoleAdmin = "bench-admin@console.example"

// ConsolePerson names the benchmark's i-th person.
func ConsolePerson(i int) string { return fmt.Sprintf("person-%06d@console.example", i) }

// SeedConsole builds the company the console is measured on: a SKU with a
// named and a concurrent pool, People people (every tenth assigned or
// registered), a licence administrator with a password, and audit entries
// up to Audit in all, spread over the past 90 days.
func SeedConsole(ctx context.Context, st *store.Store, cfg ConsoleConfig) error {
	a := licensing.System("bench")
	if err := st.PutSKU(ctx, a, licensing.SKU{Key: "console-agent", Name: "Service desk agent", Tier: licensing.TierFulfiller, MonthlyPrice: 95}, true); err != nil {
		return err
	}
	named := licensing.Pool{ID: "console-named", SKU: "console-agent", Model: licensing.ModelNamed, Seats: cfg.People/10 + 10, MonthlyPrice: 95}
	floating := licensing.Pool{ID: "console-floating", SKU: "console-agent", Model: licensing.ModelConcurrent, Seats: 200, IdleTimeout: time.Hour, MonthlyPrice: 140}
	for _, p := range []licensing.Pool{named, floating} {
		if err := st.CreatePool(ctx, a, p); err != nil {
			return err
		}
	}
	const chunk = 5000
	for start := 0; start < cfg.People; start += chunk {
		rows := make([]store.PersonRow, 0, chunk)
		for i := start; i < min(start+chunk, cfg.People); i++ {
			name := ConsolePerson(i)
			rows = append(rows, store.PersonRow{UserName: name, Apply: func(u *licensing.User, _ *store.Identity, _ bool) error {
				u.DisplayName, u.Email, u.EmployeeID = fmt.Sprintf("Person %06d", i), name, fmt.Sprintf("E%06d", i)
				u.JobCode, u.Department = "ITSD-1", "IT"
				return nil
			}})
		}
		res, err := st.ImportPeople(ctx, a, rows, false)
		if err != nil {
			return err
		}
		for j, r := range res {
			if r.Err != nil {
				return fmt.Errorf("benchmark: person %d: %w", start+j, r.Err)
			}
		}
	}
	for i := 0; i < cfg.People; i += 10 {
		pool := named.ID
		if i%20 == 10 {
			pool = floating.ID
		}
		if _, _, err := st.PutMember(ctx, a, pool, ConsolePerson(i), licensing.SourceManual); err != nil {
			return err
		}
	}
	admin, err := st.CreateUser(ctx, a, licensing.User{UserName: cfg.Admin, Email: cfg.Admin, DisplayName: "Bench Admin", Kind: licensing.KindPerson, Active: true})
	if err != nil {
		return err
	}
	if _, _, err := st.GrantRole(ctx, a, admin.ID, licensing.RoleLicenceAdmin); err != nil {
		return err
	}
	hash, err := signin.HashPassword(cfg.Password)
	if err != nil {
		return err
	}
	if err := st.SetPassword(ctx, a, admin.ID, hash); err != nil {
		return err
	}
	if _, err := st.ChainPending(ctx); err != nil {
		return err
	}
	have, _, err := st.AuditHead(ctx)
	if err != nil {
		return err
	}
	return seedConsoleAudit(ctx, st, cfg, cfg.Audit-int(have))
}

// seedConsoleAudit adds n entries of the shapes a desk writes most, oldest
// first, over the past 90 days.
func seedConsoleAudit(ctx context.Context, st *store.Store, cfg ConsoleConfig, n int) error {
	if n <= 0 {
		return nil
	}
	rng := rand.New(rand.NewPCG(7, 12))
	now := st.Now()
	from := now.Add(-90 * 24 * time.Hour)
	step := now.Sub(from) / time.Duration(n+1)
	actions := []struct{ action, result, subject string }{
		{"lease.start", "ok", "pool:console-floating/user:%s"}, {"lease.end", "logout", "pool:console-floating/user:%s"},
		{"session.start", "ok", "user:%s"}, {"session.end", "logout", "user:%s"}, {"decision.deny", "licence_maxed_out", "user:%s"},
		{"signin", "ok", "user:%s"}, {"user.update", "ok", "user:%s"}, {"seat.assign", "ok", "pool:console-named/user:%s"},
	}
	const batch = 20000
	list := make([]audit.Entry, 0, batch)
	for i := 0; i < n; i++ {
		who := ConsolePerson(rng.IntN(max(1, cfg.People)))
		k := actions[rng.IntN(len(actions))]
		list = append(list, audit.Entry{At: from.Add(time.Duration(i+1) * step), Actor: "web:" + who, Action: k.action,
			Subject: fmt.Sprintf(k.subject, who), Result: k.result, Source: "10.0.0.1"})
		if len(list) == batch || i == n-1 {
			if err := st.SeedAudit(ctx, list); err != nil {
				return err
			}
			if _, err := st.ChainPending(ctx); err != nil {
				return err
			}
			list = list[:0]
		}
	}
	return nil
}

// PageTiming is one console page's answer times.
type PageTiming struct {
	Path     string
	Runs     int
	P50, P99 time.Duration
	Max      time.Duration
}

// Browser is a signed-in browser: a cookie jar on one connection pool.
type Browser struct {
	base string
	http *http.Client
}

// SignIn signs a person in through the sign-in form, as a browser does.
func SignIn(ctx context.Context, base, user, password string) (*Browser, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	b := &Browser{base: base, http: &http.Client{Jar: jar, Timeout: 60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	form := url.Values{"user": {user}, "password": {password}, "next": {"/admin"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/signin", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	resp, err := b.http.Do(req)
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return nil, fmt.Errorf("benchmark: sign-in of %s: status %d", user, resp.StatusCode)
	}
	return b, nil
}

// Get fetches a page and reads it whole; anything but 200 is an error.
func (b *Browser) Get(ctx context.Context, path string) (time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.base+path, nil)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	resp, err := b.http.Do(req)
	if err != nil {
		return 0, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	took := time.Since(start)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("benchmark: GET %s: status %d", path, resp.StatusCode)
	}
	return took, err
}

// TimePages fetches each page runs times, in turn, and returns each one's
// percentiles.
func TimePages(ctx context.Context, b *Browser, paths []string, runs int) ([]PageTiming, error) {
	lat := make([][]time.Duration, len(paths))
	for i, p := range paths { // one untimed warm-up each
		if _, err := b.Get(ctx, p); err != nil {
			return nil, err
		}
		lat[i] = make([]time.Duration, 0, runs)
	}
	for r := 0; r < runs; r++ {
		for i, p := range paths {
			d, err := b.Get(ctx, p)
			if err != nil {
				return nil, err
			}
			lat[i] = append(lat[i], d)
		}
	}
	out := make([]PageTiming, len(paths))
	for i, p := range paths {
		out[i] = PageTiming{Path: p, Runs: runs, P50: percentile(lat[i], 0.50), P99: percentile(lat[i], 0.99), Max: percentile(lat[i], 1)}
	}
	return out, nil
}
