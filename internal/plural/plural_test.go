package plural

import "testing"

func TestOf(t *testing.T) {
	for _, tc := range []struct {
		n    int
		noun string
		want string
	}{
		{0, "seat", "0 seats"},
		{1, "seat", "1 seat"},
		{2, "seat", "2 seats"},
		{1, "entry", "1 entry"},
		{2, "entry", "2 entries"},
		{1, "person", "1 person"},
		{300, "person", "300 people"},
		{2, "day", "2 days"},
		{2, "lease", "2 leases"},
		{2, "match", "2 matches"},
		{2, "named seat", "2 named seats"},
		{2, "pool-day", "2 pool-days"},
		{2, "service account", "2 service accounts"},
		{2, "Entry", "2 Entries"},
		{2, "Person", "2 People"},
		{-1, "day", "-1 day"},
	} {
		if got := Of(tc.n, tc.noun); got != tc.want {
			t.Errorf("Of(%d, %q) = %q, want %q", tc.n, tc.noun, got, tc.want)
		}
	}
	if got := Of(int64(1), "row"); got != "1 row" {
		t.Errorf("Of(int64 1) = %q", got)
	}
}
