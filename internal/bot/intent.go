package bot

import "strings"

// message is a user message read for intent. The rules look at which words
// are present and at what is left once pleasantries and talk about tickets
// are set aside: "hi" greets, but "hi, my printer jams" describes a problem.
type message struct {
	phrase  string // " w1 w2 … ", so phrases match on word boundaries
	count   int    // words
	content int    // words that are neither stop words nor chat
	extra   int    // content words that are not part of asking for a ticket either
	query   string // the message without chat, to search with
}

func analyse(s string) message {
	words := scan(s)
	m := message{count: len(words)}
	var b strings.Builder
	var q []string
	b.WriteByte(' ')
	for _, w := range words {
		b.WriteString(w.text)
		b.WriteByte(' ')
		if isChat(w.text) {
			continue
		}
		q = append(q, w.text)
		if isStop(w.text) {
			continue
		}
		m.content++
		if _, ok := requestWords[w.text]; !ok {
			m.extra++
		}
	}
	m.phrase = b.String()
	m.query = strings.Join(q, " ")
	return m
}

// has reports whether any of phrases occurs as whole words.
func (m message) has(phrases ...string) bool {
	for _, p := range phrases {
		if strings.Contains(m.phrase, " "+p+" ") {
			return true
		}
	}
	return false
}

func (m message) greets() bool {
	return m.content == 0 && m.has("hi", "hello", "hey", "hiya", "howdy", "greetings", "morning",
		"good morning", "good afternoon", "good evening", "good day")
}

func (m message) thanks() bool {
	return m.content == 0 && m.has("thanks", "thank", "thx", "ty", "cheers", "helped", "solved",
		"resolved", "fixed", "sorted", "works now", "working now", "all good", "perfect", "great", "awesome")
}

func (m message) affirms() bool {
	return m.extra == 0 && m.has("yes", "yeah", "yep", "yup", "sure", "ok", "okay", "y", "please",
		"confirm", "go ahead", "do it", "absolutely", "definitely")
}

func (m message) declines() bool {
	return m.extra == 0 && m.has("no", "nope", "nah", "cancel", "not now", "dont", "never mind")
}

// requestsTicket reports an explicit request for a ticket or a person.
// Complaints that earlier help failed count only as a reply to the bot or on
// their own: "I restarted but it didn't work, error 809" is a problem to
// search for.
func (m message) requestsTicket(botSpoke bool) bool {
	switch {
	case m.has("ticket", "tickets") && (m.has(requestVerbs...) || m.extra == 0):
		return true
	case m.has("escalate", "real person", "live person", "live agent", "human agent"):
		return true
	case m.has(humanWords...) && (m.has(contactVerbs...) || m.extra == 0):
		return true // "agent" or "talk to someone", but not "the vpn agent crashes"
	case m.has(failurePhrases...) && (botSpoke || m.extra == 0):
		return true
	}
	return false
}

// substantive reports whether the message says something about the problem,
// so it belongs in a ticket.
func (m message) substantive() bool {
	return m.content > 0 && !(m.extra == 0 && m.requestsTicket(true))
}

var (
	requestVerbs = []string{"open", "create", "raise", "log", "file", "submit", "make", "new",
		"start", "want", "need", "like", "send"}
	humanWords = []string{"human", "humans", "agent", "technician", "person", "someone",
		"somebody", "operator", "staff", "support", "desk", "helpdesk"}
	contactVerbs = []string{"talk", "speak", "chat", "contact", "call", "reach"}
	// failurePhrases say the bot's help did not work.
	failurePhrases = []string{"didnt help", "did not help", "doesnt help", "does not help",
		"not helpful", "didnt work", "did not work", "didnt solve", "did not solve", "not solved",
		"didnt fix", "did not fix", "not fixed", "still not", "not working still",
		"still doesnt work", "still broken", "no luck", "none of these", "none of them"}
)

var requestWords = set(strings.Join(requestVerbs, " "))

// chatWords carry no information about a problem: greetings, thanks, yes and
// no, and talk about tickets and people.
var chatWords = set(strings.Join(humanWords, " ") + " " + strings.Join(contactVerbs, " ") + `
	hi hello hey hiya howdy greetings good morning afternoon evening day everyone team folks
	thanks thank thx ty cheers much lot great perfect awesome brilliant appreciate appreciated
	help helped helps helpful solve solved resolved fix fixed sorted work works worked working
	still luck none broken tried again
	yes yeah yep yup sure ok okay y please confirm go ahead absolutely definitely
	nope nah cancel never mind ticket tickets service escalate`)

func isChat(w string) bool {
	_, ok := chatWords[w]
	return ok
}
