package report

import (
	"slices"
	"time"
)

// DayInput is what the store reads for one pool and day.
type DayInput struct {
	Pool            string
	Start           time.Time // UTC midnight
	Seats, Capacity int
	// Held are the holds overlapping the day: they give the held count.
	Held []Hold
	// Demand are the spells of use that started on the day (leases for a
	// concurrent pool, holders' sessions for a named one).
	Demand   []Hold
	Refusals []RawRefusal
	// Now clips a day still in progress: time after it is not counted.
	Now time.Time
}

// BuildDay sweeps a day's holds into its hourly distribution of held seats.
func BuildDay(in DayInput) Day {
	start := DayStart(in.Start)
	end := start.Add(DaySeconds * time.Second)
	if !in.Now.IsZero() && in.Now.Before(end) {
		end = in.Now
	}
	d := Day{Pool: in.Pool, Start: start, Seats: int32(in.Seats), Capacity: int32(in.Capacity)}
	people := map[string]int32{}
	person := func(p string) int32 {
		i, ok := people[p]
		if !ok {
			i = int32(len(d.People))
			people[p] = i
			d.People = append(d.People, p)
		}
		return i
	}
	secs := func(t time.Time) int32 { return int32(t.Sub(start) / time.Second) }

	type event struct {
		at    int32
		delta int32
	}
	events := make([]event, 0, 2*len(in.Held))
	limit := secs(end)
	for _, h := range in.Held {
		s, e := h.Start, h.End
		if e.IsZero() || e.After(end) {
			e = end
		}
		if s.Before(start) {
			s = start
		}
		if e.Before(end) && !e.After(s) {
			if !h.Start.Before(start) && h.Start.Before(end) {
				d.Hours[secs(h.Start)/3600].Starts++
			}
			continue
		}
		if !h.Start.Before(start) {
			d.Hours[secs(h.Start)/3600].Starts++
		}
		events = append(events, event{secs(s), 1})
		if e.Before(end) {
			events = append(events, event{secs(e), -1})
		} // else still held when the sweep stops

	}
	// Releases sort before acquisitions at the same second: a slot freed and
	// taken in one second never shows two holders.
	slices.SortFunc(events, func(a, b event) int {
		if a.at != b.at {
			return int(a.at - b.at)
		}
		return int(a.delta - b.delta)
	})
	var held, at int32
	level := make([][]int32, 24) // per hour: seconds at each count
	add := func(from, to, n int32) {
		for from < to {
			h := from / 3600
			next := min(to, (h+1)*3600)
			for int(n) >= len(level[h]) {
				level[h] = append(level[h], 0)
			}
			level[h][n] += next - from
			hr := &d.Hours[h]
			hr.Peak = max(hr.Peak, n)
			if n > 0 && n >= d.Seats {
				hr.AtCapacity += next - from
			}
			if n > d.Seats {
				hr.Over += next - from
			}
			from = next
		}
	}
	for i, ev := range events {
		if ev.at > at {
			add(at, ev.at, held)
			at = ev.at
		}
		held += ev.delta
		// A level reached at an instant counts for the peak once every
		// change of that second is applied (a seat held at the moment the
		// day is clipped has been held, for no time yet).
		if (i+1 == len(events) || events[i+1].at != ev.at) && ev.at <= limit {
			h := &d.Hours[min(ev.at, DaySeconds-1)/3600]
			h.Peak = max(h.Peak, held)
		}
	}
	add(at, limit, held)
	for h := range d.Hours {
		for n, s := range level[h] {
			if s > 0 {
				d.Hours[h].Levels = append(d.Hours[h].Levels, Level{Held: int32(n), Seconds: s})
			}
		}
	}

	for _, h := range in.Demand {
		if h.Start.Before(start) || !h.Start.Before(start.Add(DaySeconds*time.Second)) {
			continue
		}
		e := h.End
		if e.IsZero() {
			e = end
		}
		last := h.LastActive
		if last.IsZero() || last.After(e) {
			last = e
		}
		d.Spells = append(d.Spells, Spell{Person: person(h.Person), Start: secs(h.Start),
			Active: int32(max(0, last.Sub(h.Start)/time.Second)), Held: int32(max(0, e.Sub(h.Start)/time.Second)), Logout: h.Logout})
	}
	slices.SortFunc(d.Spells, func(a, b Spell) int { return int(a.Start - b.Start) })
	d.Active, d.SpellsRead = int32(len(d.People)), true
	for _, r := range in.Refusals {
		if r.At.Before(start) || !r.At.Before(start.Add(DaySeconds*time.Second)) {
			continue
		}
		met := int32(-1)
		if !r.Met.IsZero() && !r.Met.Before(r.At) && r.Met.Sub(r.At) <= RefusalHorizon {
			met = int32(r.Met.Sub(r.At) / time.Second)
		}
		d.Refusals = append(d.Refusals, Refusal{Person: person(r.Person), At: secs(r.At), MetAfter: met})
	}
	slices.SortFunc(d.Refusals, func(a, b Refusal) int { return int(a.At - b.At) })
	return d
}
