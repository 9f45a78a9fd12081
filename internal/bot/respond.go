package bot

import "strings"

// Turn is one message of a conversation. The caller keeps the conversation
// (the web page in a hidden field, the API in the request), so the bot holds
// no state between calls.
type Turn struct {
	From string // FromUser or FromBot
	Text string
}

// Values of Turn.From.
const (
	FromUser = "user"
	FromBot  = "bot"
)

// Intent is what a reply proposes or did.
type Intent string

// Intents of a Reply.
const (
	IntentAnswer        Intent = "answer"         // suggests articles
	IntentNoMatch       Intent = "no_match"       // found nothing; offers a ticket when it has a draft
	IntentGreeting      Intent = "greeting"       // invites the person to describe the problem
	IntentThanks        Intent = "thanks"         // closes the conversation
	IntentOpenTicket    Intent = "open_ticket"    // proposes Draft and asks for a yes
	IntentConfirmTicket Intent = "confirm_ticket" // the person said yes: the caller opens Draft
)

// Reply is the bot's answer to a message.
type Reply struct {
	Text        string // plain text
	Suggestions []Hit
	Intent      Intent
	// Draft is the ticket the bot proposes or confirms: set for
	// IntentOpenTicket and IntentConfirmTicket, and for IntentNoMatch when
	// the person has described a problem.
	Draft *TicketDraft
}

// TicketDraft is a ticket built from the person's messages.
type TicketDraft struct {
	Title, Description, Category string
}

const (
	maxTurns        = 20
	maxSuggestions  = 3
	maxTitle        = 80
	answerThreshold = 0.15 // below it a hit is a coincidence of common words
)

// offerPhrase is in every reply that offers a ticket and in none other. The
// bot is stateless, so a bare "yes" confirms a ticket only when the bot's last
// turn, as the caller hands it back, contains this phrase.
const offerPhrase = "open a ticket"

const (
	greetText   = "Hello! Describe the problem you're having and I'll look for articles that can help."
	promptText  = "Describe the problem you're having and I'll look for articles that can help."
	thanksText  = "Glad that helped. If anything else comes up, just ask here."
	declineText = "OK, no ticket then. If anything else comes up, just ask here."
	proposeText = "I can " + offerPhrase + " for the service desk with the details below. Reply \"yes\" to send it."
	noMatchText = "I couldn't find an article about that. Reply \"yes\" and I'll " + offerPhrase +
		" for the service desk with what you've told me, or describe the problem another way."
	moreText = "Tell me a bit more about the problem, or reply \"yes\" and I'll " + offerPhrase +
		" with what you've told me so far."
	fallbackTitle       = "Help request from the portal chat"
	fallbackDescription = "The requester asked for help in the portal chat without describing the problem."
)

// Respond answers message given the conversation so far (oldest first). Only
// the last 20 turns are read and every text is cut to 2,000 characters.
func (ix *Index) Respond(history []Turn, message string) Reply {
	history = bound(history)
	msg := clean(message)
	m := analyse(msg)
	botSpoke, offered := false, false
	for _, t := range history {
		botSpoke = botSpoke || t.From == FromBot
	}
	if n := len(history); n > 0 && history[n-1].From == FromBot {
		offered = strings.Contains(strings.ToLower(history[n-1].Text), offerPhrase)
	}
	switch {
	case m.count == 0:
		return Reply{Text: promptText, Intent: IntentGreeting}
	case offered && m.affirms():
		d, _ := draft(history, "")
		return Reply{
			Text:   "OK, I'm passing this to the service desk as a ticket: “" + d.Title + "”. They'll follow up with you.",
			Intent: IntentConfirmTicket,
			Draft:  d,
		}
	case m.requestsTicket(botSpoke):
		d, _ := draft(history, msg)
		return Reply{Text: proposeText, Intent: IntentOpenTicket, Draft: d}
	case offered && m.declines():
		return Reply{Text: declineText, Intent: IntentThanks}
	case m.thanks():
		return Reply{Text: thanksText, Intent: IntentThanks}
	case m.greets():
		return Reply{Text: greetText, Intent: IntentGreeting}
	}
	return ix.answer(history, msg, m)
}

func (ix *Index) answer(history []Turn, msg string, m message) Reply {
	// Greetings and thanks in a message are words no article contains, and
	// they would count against every match.
	hits := ix.relevant(m.query)
	// A follow-up such as "on my mac" means little alone; read it with the
	// problem it adds to.
	if len(hits) == 0 && m.substantive() {
		if prev := lastSubstantive(history); prev != "" {
			hits = ix.relevant(analyse(prev).query + " " + m.query)
		}
	}
	if len(hits) > 0 {
		titles := make([]string, len(hits))
		for i, h := range hits {
			titles[i] = "“" + h.Article.Title + "”"
		}
		return Reply{
			Text: "These articles may help: " + list(titles) +
				". If they don't solve it, tell me and I'll raise a ticket for you.",
			Suggestions: hits,
			Intent:      IntentAnswer,
		}
	}
	d, ok := draft(history, msg)
	switch {
	case !ok:
		return Reply{Text: "Could you describe the problem in a few words? I'll look for articles that can help.", Intent: IntentNoMatch}
	case m.substantive():
		return Reply{Text: noMatchText, Intent: IntentNoMatch, Draft: d}
	default:
		return Reply{Text: moreText, Intent: IntentNoMatch, Draft: d}
	}
}

// relevant is the top hits for q that clear answerThreshold.
func (ix *Index) relevant(q string) []Hit {
	hits := ix.Search(q, maxSuggestions)
	n := 0
	for n < len(hits) && hits[n].Score >= answerThreshold {
		n++
	}
	return hits[:n]
}

// bound keeps the last maxTurns turns with cleaned texts, in a new slice so
// the caller's is untouched.
func bound(history []Turn) []Turn {
	if len(history) > maxTurns {
		history = history[len(history)-maxTurns:]
	}
	out := make([]Turn, len(history))
	for i, t := range history {
		out[i] = Turn{From: t.From, Text: clean(t.Text)}
	}
	return out
}

// draft builds a ticket from the user's substantive messages in history, plus
// current if it is one. ok is false when there were none, and the draft is a
// placeholder.
func draft(history []Turn, current string) (d *TicketDraft, ok bool) {
	var kept []string
	for _, t := range history {
		if t.From == FromUser && analyse(t.Text).substantive() {
			kept = append(kept, strings.TrimSpace(t.Text))
		}
	}
	if analyse(current).substantive() {
		kept = append(kept, strings.TrimSpace(current))
	}
	if len(kept) == 0 {
		return &TicketDraft{Title: fallbackTitle, Description: fallbackDescription, Category: CategoryGeneral}, false
	}
	desc := strings.Join(kept, "\n")
	return &TicketDraft{Title: trimWords(kept[0], maxTitle), Description: desc, Category: GuessCategory(desc)}, true
}

func lastSubstantive(history []Turn) string {
	for i := len(history) - 1; i >= 0; i-- {
		if t := history[i]; t.From == FromUser && analyse(t.Text).substantive() {
			return t.Text
		}
	}
	return ""
}

// list joins items as "a, b and c".
func list(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}
