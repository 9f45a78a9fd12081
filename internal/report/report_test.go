package report

import (
	"reflect"
	"testing"
	"time"
)

var day0 = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC) // a Monday

func at(h, m int) time.Time {
	return day0.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
}

func TestBuildDaySweepsHolds(t *testing.T) {
	in := DayInput{Pool: "p", Start: day0, Seats: 2, Capacity: 3,
		Held: []Hold{
			{Person: "a", Start: at(9, 0), End: at(10, 0), Logout: true},
			{Person: "b", Start: at(9, 30), End: at(11, 0)},
			{Person: "c", Start: at(9, 45), End: at(10, 15)},          // overdraft for 15 minutes
			{Person: "d", Start: day0.Add(-time.Hour), End: at(1, 0)}, // from the day before
		},
		Refusals: []RawRefusal{{Person: "e", At: at(9, 50), Met: at(9, 55)}, {Person: "f", At: at(9, 51)}},
	}
	in.Demand = in.Held
	d := BuildDay(in)
	h9 := d.Hours[9]
	want := []Level{{1, 1800}, {2, 900}, {3, 900}}
	if !reflect.DeepEqual(h9.Levels, want) {
		t.Fatalf("hour 9 levels = %v, want %v", h9.Levels, want)
	}
	if h9.Peak != 3 || h9.AtCapacity != 1800 || h9.Over != 900 || h9.Starts != 3 {
		t.Fatalf("hour 9 = peak %d cap %d over %d starts %d", h9.Peak, h9.AtCapacity, h9.Over, h9.Starts)
	}
	if got := d.Hours[0].Levels; !reflect.DeepEqual(got, []Level{{1, 3600}}) {
		t.Fatalf("hour 0 = %v", got)
	}
	if d.Hours[0].Starts != 0 {
		t.Fatalf("a hold from the day before counted as a start")
	}
	if len(d.Spells) != 3 || len(d.Refusals) != 2 {
		t.Fatalf("spells %d refusals %d", len(d.Spells), len(d.Refusals))
	}
	if d.Refusals[0].MetAfter != 300 || d.Refusals[1].MetAfter != -1 {
		t.Fatalf("refusals = %+v", d.Refusals)
	}
	back, err := DecodeDay("p", d.Encode())
	if err != nil {
		t.Fatal(err)
	}
	if back.SpellsRead || len(back.Spells) != 0 {
		t.Fatalf("the summary carried spells: %+v", back.Spells)
	}
	if err := back.DecodeSpells(d.EncodeSpells()); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, d) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", back, d)
	}
	if _, err := DecodeDay("p", d.Encode()[:20]); err == nil {
		t.Fatal("a truncated day decoded")
	}
}

func TestSummarise(t *testing.T) {
	in := DayInput{Pool: "p", Start: day0, Seats: 2, Capacity: 3,
		Held: []Hold{
			{Person: "a", Start: at(9, 0), End: at(10, 0)},
			{Person: "b", Start: at(9, 30), End: at(11, 0)},
			{Person: "c", Start: at(9, 45), End: at(10, 15)},
		},
		Refusals: []RawRefusal{{Person: "e", At: at(9, 50), Met: at(9, 55)}, {Person: "f", At: at(9, 51)}, {Person: "g", At: at(9, 52), Met: at(10, 30)}},
	}
	in.Demand = in.Held
	days := []Day{BuildDay(in)}
	o := Options{From: day0, To: day0.AddDate(0, 0, 1), Bucket: ByHour}
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	u := Summarise("p", days, o)
	s := u.Overall
	if s.Peak != 3 || s.ActivePeople != 3 || s.MaxedOut != 3 || s.TrueDenials != 2 || s.OverdraftPeak != 1 {
		t.Fatalf("overall = %+v", s)
	}
	// Held over the day: 0 for most of it; 3 held for 15 minutes, more
	// than 1% of the day's 1,440, so p99 is 3 and p95 (72 minutes) is 1.
	if s.P50 != 0 || s.P95 != 1 || s.P99 != 3 {
		t.Fatalf("p50 %d p99 %d", s.P50, s.P99)
	}
	if len(u.Buckets) != 24 {
		t.Fatalf("%d hourly buckets", len(u.Buckets))
	}
	if u.HeatPeak[0][9] != 3 || u.Heat[0][9] != (1*1800+2*900+3*900)/3600.0 {
		t.Fatalf("heat 9h = %v peak %d", u.Heat[0][9], u.HeatPeak[0][9])
	}
	if len(u.TrueUps) != 1 || u.TrueUps[0].Month != "2026-03" {
		t.Fatalf("true-ups = %+v", u.TrueUps)
	}
	o.Tolerance = time.Hour
	if got := Summarise("p", days, o).Overall.TrueDenials; got != 1 {
		t.Fatalf("true denials at 1h tolerance = %d", got)
	}
	for _, bad := range []Options{{Bucket: "year"}, {Tolerance: -time.Second}, {Working: WorkingTime{From: 18, To: 8}}} {
		if err := bad.Validate(); err == nil {
			t.Errorf("%+v validated", bad)
		}
	}
}
