// Package plural writes a count with its noun ("1 seat", "2 seats", "1
// entry", "3 people"), so messages never read "1 entries" or "all 1 seats".
// English only: every message Seatkeeper prints is in English.
package plural

import (
	"strconv"
	"strings"
)

// irregular holds the nouns whose plural no rule below gives.
var irregular = map[string]string{
	"person": "people",
	"child":  "children",
}

// Noun returns noun as it reads after the count n: the singular for 1 (and
// -1), the plural otherwise ("0 seats"). A noun of several words ("named
// seat", "pool-day") takes the plural on its last word.
func Noun(n int64, noun string) string {
	if n == 1 || n == -1 {
		return noun
	}
	return Plural(noun)
}

// Of returns "n noun" with the noun as it reads after n: Of(1, "seat") is
// "1 seat", Of(2, "entry") is "2 entries".
func Of[N ~int | ~int32 | ~int64](n N, noun string) string {
	return strconv.FormatInt(int64(n), 10) + " " + Noun(int64(n), noun)
}

// Plural returns the plural of an English noun, by the regular rules and a
// short list of exceptions.
func Plural(noun string) string {
	i := strings.LastIndexAny(noun, " -")
	head, last := noun[:i+1], noun[i+1:]
	if p, ok := irregular[strings.ToLower(last)]; ok {
		return head + matchCase(last, p)
	}
	lower := strings.ToLower(last)
	switch {
	case last == "":
		return noun
	case strings.HasSuffix(lower, "y") && len(lower) > 1 && !strings.ContainsRune("aeiou", rune(lower[len(lower)-2])):
		return head + last[:len(last)-1] + "ies"
	case strings.HasSuffix(lower, "s"), strings.HasSuffix(lower, "x"), strings.HasSuffix(lower, "z"),
		strings.HasSuffix(lower, "ch"), strings.HasSuffix(lower, "sh"):
		return head + last + "es"
	}
	return head + last + "s"
}

// matchCase gives p the capital first letter of word, if it has one.
func matchCase(word, p string) string {
	if word != "" && word[0] >= 'A' && word[0] <= 'Z' {
		return strings.ToUpper(p[:1]) + p[1:]
	}
	return p
}
