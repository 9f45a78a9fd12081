package web

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/store"
)

func TestWarningsOf(t *testing.T) {
	for _, c := range []struct {
		raw  string
		want []string
	}{
		{``, nil},
		{`null`, nil},
		{`[]`, nil},
		{`["the module needs a fulfiller seat"]`, []string{"The module needs a fulfiller seat."}},
		{`[{"code":"module_without_fulfiller","message":"the person ann holds a module seat"}]`, []string{"The person ann holds a module seat."}},
		{`[{"code":"x"}]`, []string{`{"code":"x"}`}},
	} {
		if got := warningsOf(json.RawMessage(c.raw)); !slices.Equal(got, c.want) {
			t.Errorf("warningsOf(%s) = %q, want %q", c.raw, got, c.want)
		}
	}
}

func TestPeopleCursorRoundTrip(t *testing.T) {
	for _, c := range []store.PeopleCursor{{}, {Value: "ann lee", UserName: "ann@x"}, {Value: "a|b\n\"c", UserName: "ü"}} {
		if got := readPeopleCursor(peopleCursor(c)); got != c {
			t.Errorf("cursor %+v read back as %+v", c, got)
		}
	}
	if got := readPeopleCursor("not a cursor"); got != (store.PeopleCursor{}) {
		t.Errorf("a forged cursor reads as %+v", got)
	}
}
