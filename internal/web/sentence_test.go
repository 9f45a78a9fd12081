package web

import "testing"

// TestSentenceKeepsIdentifiers: a message that starts with a user name,
// email, capability or quoted value keeps its case; one that starts with a
// word is capitalised.
func TestSentenceKeepsIdentifiers(t *testing.T) {
	for in, want := range map[string]string{
		"ann.lee holds no agent seat":           "ann.lee holds no agent seat.",
		"ann@example.com: no such person":       "ann@example.com: no such person.",
		"ticket.update needs a seat of agent":   "ticket.update needs a seat of agent.",
		`"ann" names 2 people: use a user name`: `"ann" names 2 people: use a user name.`,
		"e100 was not found":                    "e100 was not found.",
		"mcDonald is inactive":                  "mcDonald is inactive.",
		"the person ann is inactive":            "The person ann is inactive.",
		`pool "x": every seat is held`:          `Pool "x": every seat is held.`,
		"élodie's ticket is closed.":            "Élodie's ticket is closed.",
	} {
		if got := sentence(in); got != want {
			t.Errorf("sentence(%q) = %q, want %q", in, got, want)
		}
	}
}
