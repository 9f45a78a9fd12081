package web

import (
	"strings"
	"testing"
)

func TestSafeNext(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "/"},
		{"/", "/"},
		{"/tickets/INC-000001", "/tickets/INC-000001"},
		{"/agent?state=any&text=vpn", "/agent?state=any&text=vpn"},
		{"//evil.example/x", "/"},
		{"/\\evil.example", "/"},
		{"https://evil.example/", "/"},
		{"javascript:alert(1)", "/"},
		{"tickets", "/"},
		{"/x\r\nSet-Cookie: a=b", "/"},
	} {
		if got := safeNext(tc.in); got != tc.want {
			t.Errorf("safeNext(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestParseHistory(t *testing.T) {
	long := strings.Repeat("x", maxTurnText+1)
	many := "[" + strings.Repeat(`{"from":"user","text":"hi"},`, maxTurns) + `{"from":"bot","text":"hi"}]`
	for _, tc := range []struct {
		name, raw string
		ok        bool
		turns     int
	}{
		{"empty", "", true, 0},
		{"empty list", "[]", true, 0},
		{"two turns", `[{"from":"user","text":"vpn down"},{"from":"bot","text":"Try this"}]`, true, 2},
		{"not json", "[{", false, 0},
		{"object", `{"from":"user"}`, false, 0},
		{"unknown speaker", `[{"from":"admin","text":"x"}]`, false, 0},
		{"unknown field", `[{"from":"user","text":"x","draft":{}}]`, false, 0},
		{"empty text", `[{"from":"user","text":""}]`, false, 0},
		{"long text", `[{"from":"user","text":"` + long + `"}]`, false, 0},
		{"too many turns", many, false, 0},
		{"trailing data", `[] []`, false, 0},
		{"too large", `[{"from":"user","text":"` + strings.Repeat("y", maxHistory) + `"}]`, false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			turns, err := parseHistory(tc.raw)
			if (err == nil) != tc.ok || len(turns) != tc.turns {
				t.Errorf("parseHistory: %d turns, err %v; want ok=%v with %d turns", len(turns), err, tc.ok, tc.turns)
			}
		})
	}
}

func TestEncodeHistoryKeepsTheNewestWithinBounds(t *testing.T) {
	var turns []turn
	for i := 0; i < 30; i++ {
		turns = append(turns, turn{From: "user", Text: strings.Repeat("z", 1500) + string(rune('a'+i%26))})
	}
	raw := encodeHistory(turns)
	if len(raw) > maxHistory {
		t.Fatalf("encoded history is %d bytes, over %d", len(raw), maxHistory)
	}
	back, err := parseHistory(raw)
	if err != nil {
		t.Fatalf("the page's own history does not parse: %v", err)
	}
	if len(back) == 0 || len(back) > maxTurns || back[len(back)-1] != turns[len(turns)-1] {
		t.Errorf("kept %d turns ending %q; want the newest, at most %d", len(back), back[len(back)-1].Text[1500:], maxTurns)
	}
	if got := encodeHistory(nil); got != "[]" {
		t.Errorf("encodeHistory(nil) = %q, want []", got)
	}
}

func TestUpperFirstKeepsCharacters(t *testing.T) {
	for in, want := range map[string]string{"": "", "in_progress": "In_progress", "élodie is inactive": "Élodie is inactive", "ünlü": "Ünlü", "\xff bad": "\xff bad", "日本": "日本"} {
		if got := upperFirst(in); got != want {
			t.Errorf("upperFirst(%q) = %q, want %q", in, got, want)
		}
	}
	if got := sentence("élodie is inactive"); got != "Élodie is inactive." {
		t.Errorf("sentence = %q", got)
	}
}
