package entitle

import (
	"path"
	"strings"
	"unicode/utf8"
)

type patternKind uint8

const (
	kindExact patternKind = iota
	kindPrefix
	kindGlob
)

// pattern is a compiled job-code pattern. Every kind means what path.Match
// means on lower-cased pattern and input: a prefix pattern "abc*" is just the
// fast path for a pattern whose only metacharacter is a trailing '*' (which,
// as in path.Match, does not cross '/').
type pattern struct {
	kind patternKind
	// lit is the lower-cased exact value or prefix.
	lit string
	// chunks are the glob's star-separated chunks, scanned once.
	chunks []chunk
}

type chunk struct {
	star bool
	text string
}

// compilePattern lower-cases p and classifies it; it fails when p is not a
// valid path.Match pattern.
func compilePattern(p string) (pattern, error) {
	lp := strings.ToLower(p)
	if _, err := path.Match(lp, ""); err != nil {
		return pattern{}, err
	}
	meta := strings.IndexAny(lp, `*?[\`)
	switch {
	case meta < 0:
		return pattern{kind: kindExact, lit: lp}, nil
	case meta == len(lp)-1 && lp[meta] == '*':
		return pattern{kind: kindPrefix, lit: lp[:meta]}, nil
	}
	var cs []chunk
	rest := lp
	for len(rest) > 0 {
		var c chunk
		c.star, c.text, rest = scanChunk(rest)
		cs = append(cs, c)
	}
	return pattern{kind: kindGlob, chunks: cs}, nil
}

// foldInput prepares a person's value for matching: ASCII values are folded
// byte by byte while matching (no allocation); anything else is lower-cased
// once here.
func foldInput(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return strings.ToLower(s)
		}
	}
	return s
}

// match reports whether s, prepared by foldInput, matches the pattern.
func (p *pattern) match(s string) bool {
	switch p.kind {
	case kindExact:
		return equalFold(s, p.lit)
	case kindPrefix:
		return len(s) >= len(p.lit) && equalFold(s[:len(p.lit)], p.lit) &&
			strings.IndexByte(s[len(p.lit):], '/') < 0
	}
	return matchGlob(p.chunks, s)
}

func lower(b byte) byte {
	if 'A' <= b && b <= 'Z' {
		return b + ('a' - 'A')
	}
	return b
}

// equalFold compares s, folded as ASCII, with the lower-cased lit.
func equalFold(s, lit string) bool {
	if len(s) != len(lit) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if lower(s[i]) != lit[i] {
			return false
		}
	}
	return true
}

// matchGlob is path.Match over pre-scanned chunks of a validated pattern, with
// the input folded as it is read. It keeps path.Match's algorithm (leftmost
// chunk match after a star) so both always agree.
func matchGlob(chunks []chunk, name string) bool {
Pattern:
	for i, c := range chunks {
		last := i == len(chunks)-1
		if c.star && c.text == "" {
			return strings.IndexByte(name, '/') < 0
		}
		t, ok := matchChunk(c.text, name)
		if ok && (len(t) == 0 || !last) {
			name = t
			continue
		}
		if c.star {
			for j := 0; j < len(name) && name[j] != '/'; j++ {
				t, ok := matchChunk(c.text, name[j+1:])
				if ok {
					if last && len(t) > 0 {
						continue
					}
					name = t
					continue Pattern
				}
			}
		}
		return false
	}
	return len(name) == 0
}

// scanChunk is path's: the next segment of pattern, a non-star string
// possibly preceded by a star.
func scanChunk(pattern string) (star bool, chunk, rest string) {
	for len(pattern) > 0 && pattern[0] == '*' {
		pattern = pattern[1:]
		star = true
	}
	inrange := false
	for i := 0; i < len(pattern); i++ {
		switch pattern[i] {
		case '\\':
			if i+1 < len(pattern) {
				i++
			}
		case '[':
			inrange = true
		case ']':
			inrange = false
		case '*':
			if !inrange {
				return star, pattern[:i], pattern[i:]
			}
		}
	}
	return star, pattern, ""
}

// matchChunk is path's for a chunk already known to be well formed.
func matchChunk(chunk, s string) (rest string, ok bool) {
	for len(chunk) > 0 {
		if len(s) == 0 {
			return "", false
		}
		switch chunk[0] {
		case '[':
			r, n := utf8.DecodeRuneInString(s)
			if r < utf8.RuneSelf {
				r = rune(lower(byte(r)))
			}
			s = s[n:]
			chunk = chunk[1:]
			negated := false
			if len(chunk) > 0 && chunk[0] == '^' {
				negated = true
				chunk = chunk[1:]
			}
			match := false
			nrange := 0
			for {
				if len(chunk) > 0 && chunk[0] == ']' && nrange > 0 {
					chunk = chunk[1:]
					break
				}
				var lo, hi rune
				lo, chunk = getEsc(chunk)
				hi = lo
				if chunk[0] == '-' {
					hi, chunk = getEsc(chunk[1:])
				}
				match = match || lo <= r && r <= hi
				nrange++
			}
			if match == negated {
				return "", false
			}
		case '?':
			if s[0] == '/' {
				return "", false
			}
			_, n := utf8.DecodeRuneInString(s)
			s = s[n:]
			chunk = chunk[1:]
		case '\\':
			chunk = chunk[1:]
			fallthrough
		default:
			if chunk[0] != lower(s[0]) {
				return "", false
			}
			s = s[1:]
			chunk = chunk[1:]
		}
	}
	return s, true
}

// getEsc is path's for a well-formed class.
func getEsc(chunk string) (r rune, nchunk string) {
	if chunk[0] == '\\' {
		chunk = chunk[1:]
	}
	r, n := utf8.DecodeRuneInString(chunk)
	return r, chunk[n:]
}
