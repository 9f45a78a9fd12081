package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/seatkeeper/seatkeeper/internal/bot"
	"github.com/seatkeeper/seatkeeper/internal/desk"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// The conversation travels in the page (a hidden field), so the server
// keeps no chat state; it is bounded both ways and checked on the way in.
const (
	maxTurns       = 20
	maxHistory     = 16 << 10
	maxChatMessage = 2000
	maxTurnText    = 4000
)

// turn is a bot.Turn as the page carries it.
type turn struct {
	From string `json:"from"`
	Text string `json:"text"`
}

// parseHistory reads the hidden history field. Anything but a list of at
// most maxTurns turns by "user" or "bot", within maxHistory bytes, is
// refused: the page wrote it, so a malformed one was tampered with.
func parseHistory(raw string) ([]turn, error) {
	bad := func(why string) error {
		return licensing.FieldErrorf(licensing.CodeInvalid, "history", "the conversation could not be read (%s): start a new chat", why)
	}
	if len(raw) > maxHistory {
		return nil, bad("too long")
	}
	if strings.TrimSpace(raw) == "" {
		return nil, nil
	}
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.DisallowUnknownFields()
	var turns []turn
	if err := dec.Decode(&turns); err != nil {
		return nil, bad("not a list of turns")
	}
	if dec.More() {
		return nil, bad("trailing data")
	}
	if len(turns) > maxTurns {
		return nil, bad("too many turns")
	}
	for _, t := range turns {
		if t.From != bot.FromUser && t.From != bot.FromBot {
			return nil, bad("unknown speaker")
		}
		if t.Text == "" || len(t.Text) > maxTurnText || !utf8.ValidString(t.Text) {
			return nil, bad("bad text")
		}
	}
	return turns, nil
}

// encodeHistory keeps the newest turns that fit the bounds.
func encodeHistory(turns []turn) string {
	if len(turns) > maxTurns {
		turns = turns[len(turns)-maxTurns:]
	}
	if turns == nil {
		turns = []turn{}
	}
	for {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(turns); err != nil {
			return "[]" // strings always encode; unreachable
		}
		if buf.Len() <= maxHistory || len(turns) == 0 {
			return strings.TrimSpace(buf.String())
		}
		turns = turns[1:]
	}
}

// chatView is the conversation and the latest reply's extras.
type chatView struct {
	Turns       []turn
	History     string
	Suggestions []bot.Hit
	Draft       *bot.TicketDraft
	Opened      string // the ticket number the bot opened, if it did
}

func (p *Pages) chatPage(w http.ResponseWriter, r *http.Request, v *visit) {
	data := p.base(v, "Chat")
	data["Chat"] = chatView{History: "[]"}
	p.render(w, "chat.html", http.StatusOK, data)
}

func (p *Pages) chatPost(w http.ResponseWriter, r *http.Request, v *visit) {
	history, err := parseHistory(r.PostForm.Get("history"))
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	cv := chatView{Turns: history, History: encodeHistory(history)}
	msg := strings.TrimSpace(r.PostForm.Get("message"))
	switch {
	case msg == "":
		err = licensing.FieldErrorf(licensing.CodeInvalid, "message", "type a message first")
	case len(msg) > maxChatMessage || !utf8.ValidString(msg):
		err = licensing.FieldErrorf(licensing.CodeInvalid, "message", "a message is at most %d bytes", maxChatMessage)
	}
	var reply bot.Reply
	if err == nil {
		hist := make([]bot.Turn, len(history))
		for i, t := range history {
			hist[i] = bot.Turn{From: t.From, Text: t.Text}
		}
		reply, err = p.desk.Chat(r.Context(), v.p, hist, msg)
	}
	if err == nil && reply.Intent == bot.IntentConfirmTicket && reply.Draft != nil {
		// The person said yes to the bot's offer: the bot's reply says the
		// ticket is on its way, so open it now.
		var t desk.Ticket
		t, err = p.desk.CreateTicket(r.Context(), v.p, desk.NewTicket{Title: reply.Draft.Title, Description: reply.Draft.Description, Category: draftCategory(reply.Draft.Category)})
		cv.Opened = t.Number()
	}
	data := p.base(v, "Chat")
	if err != nil {
		if p.lost(w, r, err) {
			return
		}
		status, f := p.explain(r, err)
		data["Chat"], data["Flash"], data["Message"] = cv, f, msg
		p.render(w, "chat.html", status, data)
		return
	}
	cv.Turns = append(cv.Turns, turn{From: bot.FromUser, Text: msg}, turn{From: bot.FromBot, Text: reply.Text})
	if len(cv.Turns) > maxTurns {
		cv.Turns = cv.Turns[len(cv.Turns)-maxTurns:]
	}
	cv.History = encodeHistory(cv.Turns)
	cv.Suggestions = reply.Suggestions
	if cv.Opened == "" {
		cv.Draft = reply.Draft
		if cv.Draft != nil {
			d := *cv.Draft
			d.Category = draftCategory(d.Category)
			cv.Draft = &d
		}
	}
	data["Chat"] = cv
	p.render(w, "chat.html", http.StatusOK, data)
}

// draftCategory keeps the bot's category when the portal offers it.
func draftCategory(c string) string {
	if validCategory(c) {
		return c
	}
	return bot.CategoryGeneral
}

// chatTicket opens the ticket the bot drafted, as the person sent it back.
func (p *Pages) chatTicket(w http.ResponseWriter, r *http.Request, v *visit) {
	n := desk.NewTicket{Title: r.PostForm.Get("title"), Description: r.PostForm.Get("description"), Category: r.PostForm.Get("category")}
	p.openTicket(w, r, v, n)
}
