package demo_test

import (
	"context"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/demo"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/report"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

// TestSeedHistory: the seeded year makes every report meaningful, and
// never holds more people than a pool has seats.
func TestSeedHistory(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	began := time.Now()
	if ok, err := demo.Seed(ctx, st); err != nil || !ok {
		t.Fatalf("Seed: %v, %v", ok, err)
	}
	t.Logf("the company and its year seeded in %s", time.Since(began).Round(time.Millisecond))

	end := report.DayStart(time.Now())
	from := end.AddDate(0, 0, -demo.HistoryDays)
	d, err := st.ReportData(ctx, from, end, true)
	if err != nil {
		t.Fatalf("ReportData: %v", err)
	}

	// Never more holders than capacity, in any hour of any pool.
	for pool, days := range d.Days {
		for _, day := range days {
			for h, hr := range day.Hours {
				if hr.Peak > day.Capacity {
					t.Errorf("%s %s %02d:00: %d held, capacity %d", pool, day.Start.Format(time.DateOnly), h, hr.Peak, day.Capacity)
				}
			}
		}
	}

	// Leases on most working days, none on holidays.
	float := map[time.Time]report.Day{}
	for _, day := range d.Days["agents-floating"] {
		float[day.Start] = day
	}
	var working, busy, holidays, idleHolidays int
	for x := from; x.Before(end); x = x.AddDate(0, 0, 1) {
		starts := 0
		for _, h := range float[x].Hours {
			starts += int(h.Starts)
		}
		switch {
		case demo.WorkingDay(x):
			working++
			if starts > 0 {
				busy++
			}
		case demo.Holiday(x) && x.Weekday() != time.Saturday && x.Weekday() != time.Sunday:
			holidays++
			if starts == 0 {
				idleHolidays++
			}
		}
	}
	if busy < working*95/100 {
		t.Errorf("leases on %d of %d working days", busy, working)
	}
	if holidays == 0 || idleHolidays != holidays {
		t.Errorf("%d of %d weekday holidays without leases", idleHolidays, holidays)
	}

	opts := report.Options{From: from, To: end, Bucket: report.ByMonth}
	if err := opts.Validate(); err != nil {
		t.Fatal(err)
	}
	u := report.Summarise("agents-floating", d.Days["agents-floating"], opts)
	t.Logf("agents-floating: %d leases, peak %d, p50 %d, p95 %d, mean %.2f, %d maxed out, %d true denials, true-ups %+v",
		u.Overall.Starts, u.Overall.Peak, u.Overall.P50, u.Overall.P95, u.Overall.Mean, u.Overall.MaxedOut, u.Overall.TrueDenials, u.TrueUps)
	if u.Overall.Starts < 8000 {
		t.Errorf("only %d leases of agents-floating in a year", u.Overall.Starts)
	}
	// Refusals at the peaks, most met within minutes, some not.
	if u.Overall.MaxedOut < 50 || u.Overall.TrueDenials == 0 || u.Overall.TrueDenials*2 > u.Overall.MaxedOut {
		t.Errorf("%d refusals of which %d true denials; want many refusals, mostly met", u.Overall.MaxedOut, u.Overall.TrueDenials)
	}
	// The overdraft seat in one month only.
	if len(u.TrueUps) != 1 || u.TrueUps[0].OverdraftPeak != 1 {
		t.Errorf("true-ups %+v, want one month on the overdraft seat", u.TrueUps)
	}
	// A morning peak about 10:00, a smaller one after lunch; Mondays busier
	// than Fridays; nothing at night.
	mon, fri := u.Heat[0], u.Heat[4]
	t.Logf("mean held on Mondays by hour %.1f", mon[7:19])
	t.Logf("mean held on Fridays by hour %.1f", fri[7:19])
	if !(mon[10] > mon[15] && mon[15] > mon[12] && mon[15] > mon[20] && mon[10] > fri[10] && mon[3] == 0) {
		t.Errorf("Monday by hour %v, Friday %v: want a 10:00 peak, a smaller one after lunch, Monday above Friday", mon, fri)
	}
	a := report.Summarise("asset-floating", d.Days["asset-floating"], opts)
	if a.Overall.Starts == 0 || a.Overall.Peak != 5 || a.Overall.MaxedOut == 0 {
		t.Errorf("asset-floating: %d leases, peak %d, %d refusals", a.Overall.Starts, a.Overall.Peak, a.Overall.MaxedOut)
	}

	// Queue places: joined, waited, most seated, some not.
	var seated, left int
	for _, q := range d.Queue {
		if q.Pool != "agents-floating" || q.Left.Before(q.Joined) {
			t.Errorf("queue place %+v", q)
		}
		if q.Seated {
			seated++
		} else {
			left++
		}
	}
	if seated == 0 || left == 0 || left > seated {
		t.Errorf("queue places: %d seated, %d left unseated", seated, left)
	}
	unpooled := map[string]int{}
	for _, x := range d.Denials {
		if x.Pool == "" {
			unpooled[x.Reason] += x.Count
		}
	}
	for _, r := range []string{licensing.CodeNoLicence, licensing.CodeModuleMissing, licensing.CodeInactive} {
		if unpooled[r] == 0 {
			t.Errorf("no %s denials in the year (%v)", r, unpooled)
		}
	}

	// Named seats: used by their holders' sessions, some dormant, a couple never used.
	named := report.Summarise("agents-named", d.Days["agents-named"], opts)
	if named.Overall.ActivePeople < 25 {
		t.Errorf("agents-named: %d people used their seats", named.Overall.ActivePeople)
	}
	var dormant, never int
	for _, h := range d.Holdings {
		if h.Pool != "agents-named" {
			continue
		}
		switch idle := d.Now.Sub(h.LastUsed); {
		case h.LastUsed.IsZero():
			never++
		case idle >= 45*24*time.Hour && idle <= 121*24*time.Hour:
			dormant++
		case idle > 21*24*time.Hour:
			t.Errorf("%s last used %s ago", h.User.UserName, idle)
		}
		if !h.Since.Before(from) {
			t.Errorf("%s holds the seat only since %s", h.User.UserName, h.Since)
		}
	}
	if dormant < 2 || never < 2 {
		t.Errorf("agents-named: %d dormant and %d never used seats, want at least 2 of each", dormant, never)
	}

	// Leavers: deactivated, every seat revoked within seconds.
	inactive := false
	gone, err := st.ListUsers(ctx, store.UserFilter{Limit: 1000, Active: &inactive})
	if err != nil {
		t.Fatal(err)
	}
	evs, err := st.ListProvisioning(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(gone) != demo.Leavers || len(evs) != demo.Leavers {
		t.Errorf("%d inactive people and %d provisioning events, want %d", len(gone), len(evs), demo.Leavers)
	}
	for _, e := range evs {
		if e.Duration() <= 0 || e.Duration() > 10*time.Second || e.ReceivedAt.Before(from) {
			t.Errorf("leaver event %+v took %s", e, e.Duration())
		}
	}
	for _, u := range gone {
		if p, err := st.LoadPerson(ctx, u.ID); err != nil || len(p.Members) != 0 || len(p.Leases) != 0 {
			t.Errorf("leaver %s: %+v, %v", u.UserName, p, err)
		}
	}

	// The audit chain verifies, with one entry for the history.
	if _, err := st.VerifyAudit(ctx); err != nil {
		t.Errorf("VerifyAudit: %v", err)
	}
	entries, err := st.ListAudit(ctx, 0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	seeds := 0
	for _, e := range entries {
		if e.Action == "history.seed" {
			seeds++
		}
	}
	if seeds != 1 {
		t.Errorf("%d history.seed entries, want 1", seeds)
	}
}
