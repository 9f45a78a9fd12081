package entitle

import (
	"path"
	"strings"
	"testing"
)

func TestPatternMatch(t *testing.T) {
	tests := []struct {
		name    string
		pattern string
		kind    patternKind
		input   string
		want    bool
	}{
		{"exact same", "ITSD-2", kindExact, "ITSD-2", true},
		{"exact case", "ITSD-2", kindExact, "itsd-2", true},
		{"exact lower pattern", "itsd-2", kindExact, "ItSd-2", true},
		{"exact longer input", "ITSD-2", kindExact, "ITSD-20", false},
		{"exact shorter input", "ITSD-2", kindExact, "ITSD-", false},
		{"prefix", "ITSD-*", kindPrefix, "ITSD-7", true},
		{"prefix case", "itsd-*", kindPrefix, "ITSD-77", true},
		{"prefix empty rest", "ITSD-*", kindPrefix, "itsd-", true},
		{"prefix too short", "ITSD-*", kindPrefix, "ITS", false},
		{"prefix other", "ITSD-*", kindPrefix, "ITSX-1", false},
		{"prefix star stops at slash", "ITSD-*", kindPrefix, "ITSD-1/2", false},
		{"glob", "IT??-[12]", kindGlob, "ITSD-1", true},
		{"glob case", "IT??-[12]", kindGlob, "itop-2", true},
		{"glob class miss", "IT??-[12]", kindGlob, "ITSD-3", false},
		{"glob too short", "IT??-[12]", kindGlob, "IT-1", false},
		{"glob range folds", "[A-C]X", kindGlob, "bx", true},
		{"glob negated", "[^a]*", kindGlob, "A1", false},
		{"glob negated miss", "[^a]*", kindGlob, "B1", true},
		{"glob inner star", "IT*-[0-9]", kindGlob, "IT-OPS-4", true},
		{"glob inner star miss", "IT*-[0-9]", kindGlob, "IT-OPS-X", false},
		{"escaped star is literal", `A\*`, kindGlob, "a*", true},
		{"escaped star no wildcard", `A\*`, kindGlob, "ab", false},
		{"non-ascii prefix", "ÉQUIPE-*", kindPrefix, "équipe-1", true},
		{"non-ascii glob", "É?", kindGlob, "éA", true},
		{"leading star", "*-MGR", kindGlob, "sales-mgr", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := compilePattern(tt.pattern)
			if err != nil {
				t.Fatalf("compilePattern(%q): %v", tt.pattern, err)
			}
			if p.kind != tt.kind {
				t.Errorf("kind = %d, want %d", p.kind, tt.kind)
			}
			if got := p.match(foldInput(tt.input)); got != tt.want {
				t.Errorf("match(%q, %q) = %v, want %v", tt.pattern, tt.input, got, tt.want)
			}
		})
	}
}

func TestCompilePatternErrors(t *testing.T) {
	for _, p := range []string{"[", "IT[", `IT\`, "[]", "[a-]", "IT[^]", "[z-"} {
		if _, err := compilePattern(p); err == nil {
			t.Errorf("compilePattern(%q) = nil error, want one", p)
		}
	}
}

// FuzzPattern checks that the matcher never panics and means exactly what
// path.Match means on lower-cased pattern and input.
func FuzzPattern(f *testing.F) {
	for _, s := range [][2]string{
		{"ITSD-*", "itsd-1"}, {"IT??-[12]", "ITSD-2"}, {"[A-C]x", "B"}, {`a\*`, "a*"},
		{"*-mgr", "Sales-MGR"}, {"[^a]*", "/x"}, {"a*b*c", "aXbYc"}, {"É?", "éa"},
		{"*", "a/b"}, {"?", "/"}, {"[", "x"}, {"a[b-", "ab"}, {"*x", "K"}, {"[k]", "K"},
		{"\xff*", "\xff"}, {"", ""}, {"**/", "a/"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pat, input string) {
		lp, li := strings.ToLower(pat), strings.ToLower(input)
		want, werr := path.Match(lp, li)
		p, err := compilePattern(pat)
		if (err != nil) != (werr != nil) {
			t.Fatalf("compilePattern(%q) error %v, path.Match error %v", pat, err, werr)
		}
		if err != nil {
			return
		}
		if got := p.match(foldInput(input)); got != want {
			t.Fatalf("match(%q, %q) = %v, path.Match(%q, %q) = %v", pat, input, got, lp, li, want)
		}
	})
}
