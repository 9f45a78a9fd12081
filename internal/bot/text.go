package bot

import (
	"iter"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxMessage bounds every text the bot reads, so a pasted log cannot make a
// reply expensive.
const maxMessage = 2000

// clean makes input safe to work on: valid UTF-8 and at most maxMessage runes.
func clean(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	n := 0
	for i := range s {
		if n == maxMessage {
			return s[:i]
		}
		n++
	}
	return s
}

// word is a lower-cased word of a text and the rune offset where it starts.
type word struct {
	text string
	pos  int
}

// scan splits s into lower-cased words of letters and digits. An apostrophe
// between letters joins instead of splitting, so "didn't" reads as "didnt" and
// "user's" folds like "users".
func scan(s string) []word { return slices.Collect(words(s)) }

// words yields the words of s one by one, sparing callers that only want
// terms a slice per text.
func words(s string) iter.Seq[word] {
	return func(yield func(word) bool) {
		var b strings.Builder
		start, pos := -1, 0
		for i, r := range s {
			switch {
			case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r):
				if start < 0 {
					start = pos
				}
				b.WriteRune(unicode.ToLower(r))
			case (r == '\'' || r == '’') && start >= 0 && nextIsLetter(s[i+utf8.RuneLen(r):]):
			case start >= 0:
				if !yield(word{b.String(), start}) {
					return
				}
				b.Reset()
				start = -1
			}
			pos++
		}
		if start >= 0 {
			yield(word{b.String(), start})
		}
	}
}

func nextIsLetter(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsLetter(r)
}

// term is the index form of a scanned word, or "" for words that carry no
// meaning on their own (stop words and stray letters).
func term(w string) string {
	if isStop(w) {
		return ""
	}
	if utf8.RuneCountInString(w) < 2 && !unicode.IsDigit([]rune(w)[0]) {
		return ""
	}
	return stem(w)
}

// terms is the index form of every meaningful word of s, in order.
func terms(s string) []string {
	var out []string
	for w := range words(s) {
		if t := term(w.text); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// stem strips common English inflections so "printers" meets "printer" and
// "connecting" meets "connect". It is deliberately light: a wrong merge ranks
// an unrelated article, while a missed merge only costs recall. Both the index
// and queries go through it, so odd stems ("updat") never show.
func stem(w string) string {
	switch {
	case len(w) > 4 && strings.HasSuffix(w, "ies"):
		w = w[:len(w)-3] + "y"
	case strings.HasSuffix(w, "sses"):
		w = w[:len(w)-2]
	case len(w) > 3 && strings.HasSuffix(w, "s") &&
		!strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us") && !strings.HasSuffix(w, "is"):
		w = w[:len(w)-1]
	}
	switch {
	case len(w) > 4 && strings.HasSuffix(w, "ied"):
		w = w[:len(w)-3] + "y"
	case strings.HasSuffix(w, "eed"): // "speed", "need": not a past tense
	default:
		for _, suffix := range []string{"ing", "ed"} {
			if base, ok := strings.CutSuffix(w, suffix); ok && len(base) >= 3 && hasVowel(base) {
				w = undouble(base)
				break
			}
		}
	}
	// A final e comes and goes with inflection ("update", "updating"), so
	// dropping it everywhere makes the forms meet.
	if len(w) >= 4 && strings.HasSuffix(w, "e") && !strings.HasSuffix(w, "ee") {
		w = w[:len(w)-1]
	}
	return w
}

func hasVowel(s string) bool { return strings.ContainsAny(s, "aeiouy") }

// undouble turns "runn" (from "running") back into "run"; l, s and z stay
// doubled because "install" and "access" are words in their own right.
func undouble(s string) string {
	n := len(s)
	if n < 2 || s[n-1] != s[n-2] {
		return s
	}
	c := s[n-1]
	if c < 'a' || c > 'z' || strings.IndexByte("aeiouylsz", c) >= 0 {
		return s
	}
	return s[:n-1]
}

func isStop(w string) bool {
	_, ok := stopWords[w]
	return ok
}

// stopWords match nearly every text and so rank nothing. They are written
// without apostrophes because scan drops them. "down" is not one: "network
// down" means something.
var stopWords = set(`a about above after again against ago all already also am an and any
anymore are arent as at be because been before being below between both but by can cannot cant
could couldnt did didnt do does doesnt doing dont during each few for from further get gets got
had hadnt has hasnt have havent having he her here hers herself him himself his how i id if im
in into is isnt it its itself ive just keep keeps me more most my myself no nor not now of off
on once only or other our ours ourselves out over own same she should shouldnt since so some
such than that thats the their theirs them themselves then there theres these they this those
through to today too under until up very was wasnt we were werent what whats when where which
while who whom why will with wont would wouldnt yesterday you your youre yours yourself
yourselves`)

func set(words string) map[string]struct{} {
	m := make(map[string]struct{})
	for _, w := range strings.Fields(words) {
		m[w] = struct{}{}
	}
	return m
}

// Snippet sizes in runes: the window shown and how much of it precedes the
// matched word, so the reader sees the word in its sentence.
const (
	snippetLen  = 160
	snippetLead = 40
)

// collapse turns every run of white space into one space, so snippets read
// as one line and rune offsets into the body are stable.
func collapse(s string) string { return strings.Join(strings.Fields(s), " ") }

// snippet is about snippetLen runes of a collapsed text around the word at
// rune offset pos (the start if pos < 0), cut on word boundaries, with "…"
// where text was left out.
func snippet(text string, pos int) string {
	rs := []rune(text)
	if len(rs) <= snippetLen {
		return text
	}
	pos = max(pos, 0)
	start := max(0, min(pos-snippetLead, len(rs)-snippetLen))
	for start > 0 && start < pos && rs[start-1] != ' ' {
		start++
	}
	end := min(len(rs), start+snippetLen)
	if end < len(rs) && rs[end] != ' ' {
		for i := end - 1; i > start; i-- {
			if rs[i] == ' ' {
				end = i
				break
			}
		}
	}
	out := strings.TrimSpace(string(rs[start:end]))
	if start > 0 {
		out = "…" + out
	}
	if end < len(rs) {
		out += "…"
	}
	return out
}

// trimWords shortens s to at most n runes, cutting at a word boundary and
// marking the cut with "…".
func trimWords(s string, n int) string {
	s = collapse(s)
	rs := []rune(s)
	if len(rs) <= n {
		return s
	}
	cut := rs[:n-1]
	if rs[n-1] != ' ' {
		if i := lastSpace(cut); i > 0 {
			cut = cut[:i]
		}
	}
	return strings.TrimRight(string(cut), " ,.;:-") + "…"
}

func lastSpace(rs []rune) int {
	for i := len(rs) - 1; i >= 0; i-- {
		if rs[i] == ' ' {
			return i
		}
	}
	return -1
}
