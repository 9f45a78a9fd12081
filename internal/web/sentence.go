package web

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// startsWithIdentifier reports whether s opens with something that is a
// name rather than a word of the sentence: a quoted value, or a first word
// holding characters words do not (".", "@", "_", "-", "/", digits) or a
// capital after its first letter. sentence leaves such a start as it is.
func startsWithIdentifier(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	if strings.ContainsRune("\"'“‘«`", r) {
		return true
	}
	word, _, _ := strings.Cut(s, " ")
	word = strings.TrimRight(word, ":;,!?") // a sentence's punctuation, not the name's
	word = strings.TrimSuffix(word, ".")
	for i, r := range word {
		switch {
		case strings.ContainsRune(".@_-/\\#+", r), unicode.IsDigit(r):
			return true
		case i > 0 && unicode.IsUpper(r):
			return true
		}
	}
	return false
}
