package licensing

import (
	"slices"
	"testing"
	"time"
)

func TestNamedUseRecordedOncePerTick(t *testing.T) {
	e, clk := newTestEngine(t)
	e.TakeNamedUse() // nothing from loading
	// A probe (what a page asks to draw its navigation) is no use.
	if d := e.Probe("u-alice", "ticket.transition", ""); !d.Allow {
		t.Fatalf("probe: %+v", d)
	}
	if got := e.TakeNamedUse(); len(got) != 0 {
		t.Fatalf("a probe marked %+v", got)
	}
	for range 3 {
		if d := e.Decide("u-alice", "ticket.transition", ""); !d.Allow || d.Via.Kind != ViaNamed {
			t.Fatalf("alice: %+v", d)
		}
	}
	// A lease's use and a denial are not named use.
	e.Decide("u-erin", "ticket.transition", "")
	e.Decide("u-gina", "ticket.transition", "")
	got := e.TakeNamedUse()
	want := []NamedUse{{User: "u-alice", Pool: "agents-named", At: time.Unix(t0.Unix(), 0)}}
	if !slices.Equal(got, want) {
		t.Fatalf("TakeNamedUse = %+v, want %+v", got, want)
	}
	if got := e.TakeNamedUse(); len(got) != 0 {
		t.Fatalf("second TakeNamedUse = %+v, want none", got)
	}
	// The use survives a rebuild of the person that keeps the seat.
	clk.Advance(time.Hour)
	e.Tick(clk.Now())
	e.Decide("u-alice", "ticket.transition", "")
	e.PutPerson(testPeople()[0])
	got = e.TakeNamedUse()
	if len(got) != 1 || !got[0].At.Equal(time.Unix(t0.Add(time.Hour).Unix(), 0)) {
		t.Fatalf("after rebuild TakeNamedUse = %+v", got)
	}
}
