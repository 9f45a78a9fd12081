package bot

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

var kb = []Article{
	{ID: "kb-vpn", Title: "Connect to the VPN", Tags: []string{"network", "remote"},
		Body: "Install the VPN client from the software portal, then sign in with your company account. " +
			"If the connection drops, restart the client and check your internet connection before trying again."},
	{ID: "kb-pw", Title: "Reset your password", Tags: []string{"access", "login"},
		Body: "Go to the self-service page and choose Forgot password. You need your MFA device to confirm " +
			"it is you. Passwords must be at least 14 characters long."},
	{ID: "kb-printer", Title: "Printer shows offline", Tags: []string{"hardware"},
		Body: "Check that the printer is switched on and connected to the network. If it still shows offline, " +
			"remove and re-add it in Settings, then print a test page."},
	{ID: "kb-supplies", Title: "Order office supplies",
		Body: "Paper, toner and pens for the office printer are ordered through the facilities form. " +
			"Deliveries arrive on Tuesdays."},
	{ID: "kb-mfa", Title: "Set up multi-factor authentication", Tags: []string{"mfa", "security"},
		Body: "Download the authenticator app on your phone, scan the code shown on the enrolment page and " +
			"enter the six-digit code to finish."},
	{ID: "kb-wifi", Title: "Guest wireless", Tags: []string{"wifi"},
		Body: "Visitors connect to the Guest network. The password changes every Monday and is printed at reception."},
	{ID: "kb-excel", Title: "Excel crashes when opening files", Tags: []string{"software", "excel"},
		Body: "Excel can stop responding when a workbook was saved by a much newer version or sits on a slow " +
			"network share. Copy the file to your desktop first and open the copy. If the crash happens with " +
			"every workbook, disable add-ins: start Excel in safe mode, open File, Options, Add-ins, and turn " +
			"them off one by one until the crash stops. Workbooks with macros from outside the company are " +
			"blocked by policy; ask the sender for a version without macros."},
}

func TestStem(t *testing.T) {
	tests := map[string]string{
		"printers": "printer", "printer": "printer", "connecting": "connect", "connected": "connect",
		"passwords": "password", "running": "run", "installed": "install", "installing": "install",
		"settings": "set", "batteries": "battery", "tried": "try", "processes": "process",
		"access": "access", "status": "status", "speed": "speed", "update": "updat", "updating": "updat",
		"locked": "lock", "syncing": "sync", "vpn": "vpn", "thing": "thing", "used": "used",
	}
	for in, want := range tests {
		if got := stem(in); got != want {
			t.Errorf("stem(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTerms(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"empty", "", nil},
		{"only stop words", "the a of it is", nil},
		{"case and plural", "PRINTERS Printer", []string{"printer", "printer"}},
		{"suffix", "Connecting to the VPN", []string{"connect", "vpn"}},
		{"apostrophe", "I can't log in, user's account", []string{"log", "user", "account"}},
		{"curly apostrophe", "it doesn’t print", []string{"print"}},
		{"punctuation", "passwords,passwords!(MFA)", []string{"password", "password", "mfa"}},
		{"digits kept", "Windows 11 update 2", []string{"window", "11", "updat", "2"}},
		{"single letters dropped", "x y z e-mail", []string{"mail"}},
		{"unicode", "Drucker für Büro – 日本語", []string{"drucker", "für", "büro", "日本語"}},
		{"invalid utf8", "print\xffer", []string{"print", "er"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := terms(tt.in); !slices.Equal(got, tt.want) {
				t.Errorf("terms(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func ids(hits []Hit) []string {
	var out []string
	for _, h := range hits {
		out = append(out, h.Article.ID)
	}
	return out
}

func TestSearchRanking(t *testing.T) {
	filler := "This article explains the steps to follow and who to contact for more information."
	controlled := NewIndex([]Article{
		{ID: "body", Title: "General notes", Body: filler + " Mentions alpha once."},
		{ID: "tag", Title: "Other notes", Tags: []string{"alpha"}, Body: filler},
		{ID: "title", Title: "Alpha guide", Body: filler},
		{ID: "none", Title: "Unrelated", Body: filler},
		{ID: "boarding", Title: "Boarding pass", Body: filler},
		{ID: "password", Title: "Password reset", Body: filler},
	})
	ix := NewIndex(kb)
	tests := []struct {
		name  string
		ix    *Index
		query string
		want  []string
	}{
		{"title beats tag beats body", controlled, "alpha", []string{"title", "tag", "body"}},
		{"case insensitive", controlled, "ALPHA", []string{"title", "tag", "body"}},
		{"exact beats prefix", controlled, "pass", []string{"boarding", "password"}},
		{"prefix only on last word", controlled, "passw guide", []string{"title"}},
		{"prefix needs three letters", controlled, "pa", nil},
		{"stemmed plural", ix, "printers", []string{"kb-printer", "kb-supplies"}},
		{"tag beats body", ix, "mfa", []string{"kb-mfa", "kb-pw"}},
		{"typing pass finds password", ix, "pass", []string{"kb-pw", "kb-wifi"}},
		{"several words", ix, "excel keeps crashing", []string{"kb-excel"}},
		{"suffix", ix, "connecting vpn", []string{"kb-vpn", "kb-wifi", "kb-printer"}},
		{"no match", ix, "banana", nil},
		{"stop words only", ix, "how do I", nil},
		{"empty", ix, "   ", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hits := tt.ix.Search(tt.query, 10)
			if got := ids(hits); !slices.Equal(got, tt.want) {
				t.Errorf("Search(%q) = %q, want %q", tt.query, got, tt.want)
			}
			for i, h := range hits {
				if h.Score <= 0 || h.Score > 1 {
					t.Errorf("hit %s: score %v outside (0,1]", h.Article.ID, h.Score)
				}
				if i > 0 && h.Score > hits[i-1].Score {
					t.Errorf("hit %s: score %v above previous %v", h.Article.ID, h.Score, hits[i-1].Score)
				}
			}
		})
	}
}

func TestSearchLimit(t *testing.T) {
	ix := NewIndex(kb)
	if got := len(ix.Search("printer password vpn excel", 2)); got != 2 {
		t.Errorf("limit 2: got %d hits", got)
	}
	if got := ix.Search("printer", 0); got != nil {
		t.Errorf("limit 0: got %v", got)
	}
	var nilIndex *Index
	if got := nilIndex.Search("printer", 5); got != nil {
		t.Errorf("nil index: got %v", got)
	}
	if got := NewIndex(nil).Search("printer", 5); got != nil {
		t.Errorf("empty index: got %v", got)
	}
}

func TestIndexCopiesArticles(t *testing.T) {
	articles := []Article{{ID: "a", Title: "Printer", Tags: []string{"hardware"}}}
	ix := NewIndex(articles)
	articles[0].Title = "changed"
	articles[0].Tags[0] = "changed"
	ix.Search("printer", 1)[0].Article.Tags[0] = "changed"
	h := ix.Search("printer", 1)
	if len(h) != 1 || h[0].Article.Title != "Printer" || h[0].Article.Tags[0] != "hardware" {
		t.Errorf("got %+v, want the article as indexed", h)
	}
}

func TestSnippet(t *testing.T) {
	long := strings.Repeat("lorem ipsum dolor sit amet ", 10) + "the printer needs toner " +
		strings.Repeat("consectetur adipiscing elit sed do ", 10)
	tests := []struct {
		name, body, at string // at: the word to show, "" for none
		contains       string
		lead, trail    bool
	}{
		{"short body whole", "Short  body\nwith  spaces.", "body", "Short body with spaces.", false, false},
		{"match in the middle", long, "printer", "the printer needs toner", true, true},
		{"match near the start", "printer " + long, "printer", "printer lorem", false, true},
		{"no match shows the start", long + " final printer", "", "lorem ipsum", false, true},
		{"last word", long + " cartridge", "cartridge", "elit sed do cartridge", true, false},
		{"unicode", strings.Repeat("schöne grüße ", 20) + "drucker kaputt " + strings.Repeat("ärger ", 30),
			"drucker", "drucker kaputt", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := collapse(tt.body)
			pos := -1
			if i := strings.Index(text, tt.at); tt.at != "" && i >= 0 {
				pos = utf8.RuneCountInString(text[:i])
			}
			got := snippet(text, pos)
			if !strings.Contains(got, tt.contains) {
				t.Errorf("snippet = %q, want it to contain %q", got, tt.contains)
			}
			if lead := strings.HasPrefix(got, "…"); lead != tt.lead {
				t.Errorf("snippet = %q, leading … %v, want %v", got, lead, tt.lead)
			}
			if trail := strings.HasSuffix(got, "…"); trail != tt.trail {
				t.Errorf("snippet = %q, trailing … %v, want %v", got, trail, tt.trail)
			}
			if n := utf8.RuneCountInString(got); n > snippetLen+2 {
				t.Errorf("snippet has %d runes, want at most %d", n, snippetLen+2)
			}
			body := " " + strings.Join(strings.Fields(tt.body), " ") + " "
			core := strings.Trim(got, "…")
			if !strings.Contains(body, " "+core+" ") {
				t.Errorf("snippet %q is not whole words of the body", core)
			}
		})
	}
}

func TestSearchSnippetShowsMatch(t *testing.T) {
	hits := NewIndex(kb).Search("macros", 1)
	if len(hits) != 1 || !strings.Contains(hits[0].Snippet, "macros") || !strings.HasPrefix(hits[0].Snippet, "…") {
		t.Fatalf("got %+v, want the excel article with a snippet around macros", hits)
	}
}

func TestTrimWords(t *testing.T) {
	tests := []struct{ in, want string }{
		{"short title", "short title"},
		{"  spaced \n out  ", "spaced out"},
		{strings.Repeat("word ", 30), strings.TrimSpace(strings.Repeat("word ", 16)) + "…"},
		{strings.Repeat("x", 100), strings.Repeat("x", 79) + "…"},
	}
	for _, tt := range tests {
		got := trimWords(tt.in, 80)
		if got != tt.want {
			t.Errorf("trimWords(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if n := utf8.RuneCountInString(got); n > 80 {
			t.Errorf("trimWords(%q) has %d runes", tt.in, n)
		}
	}
}

func TestGuessCategory(t *testing.T) {
	tests := []struct{ in, want string }{
		{"VPN keeps dropping", CategoryNetwork},
		{"no internet on the Wi-Fi", CategoryNetwork},
		{"I'm locked out of my account", CategoryAccess},
		{"can't log in since the MFA change", CategoryAccess},
		{"forgot passwords", CategoryAccess},
		{"printers offline on floor 3", CategoryHardware},
		{"laptop keyboard sticky", CategoryHardware},
		{"need a licence for Visio", CategorySoftware},
		{"Outlook won't open after installing an update", CategorySoftware},
		{"the apps crash", CategorySoftware},
		{"laptop won't join the wifi, no internet", CategoryNetwork},
		{"printer and vpn", CategoryNetwork}, // a tie goes to the earlier category
		{"coffee machine leaks", CategoryGeneral},
		{"", CategoryGeneral},
	}
	for _, tt := range tests {
		if got := GuessCategory(tt.in); got != tt.want {
			t.Errorf("GuessCategory(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func turns(pairs ...string) []Turn {
	var out []Turn
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, Turn{From: pairs[i], Text: pairs[i+1]})
	}
	return out
}

func TestRespondIntents(t *testing.T) {
	ix := NewIndex(kb)
	answered := turns(FromUser, "printer offline", FromBot, ix.Respond(nil, "printer offline").Text)
	proposed := turns(FromUser, "printer offline", FromBot, proposeText)
	noMatch := turns(FromUser, "banana smoothie", FromBot, ix.Respond(nil, "banana smoothie").Text)
	tests := []struct {
		name    string
		history []Turn
		msg     string
		want    Intent
	}{
		{"hi", nil, "hi", IntentGreeting},
		{"good morning", nil, "Good morning!", IntentGreeting},
		{"hello there", nil, "hello there", IntentGreeting},
		{"empty", nil, "", IntentGreeting},
		{"punctuation only", nil, "?!…", IntentGreeting},
		{"thanks", nil, "thanks", IntentThanks},
		{"that helped", nil, "That helped, thank you!", IntentThanks},
		{"solved", nil, "Solved.", IntentThanks},
		{"open a ticket", nil, "open a ticket", IntentOpenTicket},
		{"create ticket", nil, "please create ticket", IntentOpenTicket},
		{"talk to a human", nil, "I want to talk to a human", IntentOpenTicket},
		{"agent", nil, "agent", IntentOpenTicket},
		{"didn't help", nil, "didn't help", IntentOpenTicket},
		{"not working still", nil, "it's not working still", IntentOpenTicket},
		{"failure after answer", answered, "that didn't work", IntentOpenTicket},
		{"failure with details after answer", answered, "didn't help, it says error 0x80", IntentOpenTicket},
		{"agent as a thing", nil, "the vpn agent crashes on start", IntentAnswer},
		{"failure in a description", nil, "I restarted but it didn't work, printer offline", IntentAnswer},
		{"ticket status is not a request", nil, "what is the status of my ticket", IntentNoMatch},
		{"answer", nil, "printer offline", IntentAnswer},
		{"greeting with a problem", nil, "hi, my printer shows offline", IntentAnswer},
		{"chat is not searched", nil, "hello, thanks, please help: guest wifi password", IntentAnswer},
		{"no match", nil, "banana smoothie recipe", IntentNoMatch},
		{"yes after a proposal", proposed, "yes", IntentConfirmTicket},
		{"yes please after no match", noMatch, "Yes please, open it", IntentConfirmTicket},
		{"yes after an answer is no confirmation", answered, "yes", IntentNoMatch},
		{"no thanks after a proposal", proposed, "no thanks", IntentThanks},
		{"no, it didn't help after a proposal", proposed, "no, it didn't help", IntentOpenTicket},
		{"follow-up read with the problem", turns(FromUser, "excel", FromBot, "…"), "crashes", IntentAnswer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ix.Respond(tt.history, tt.msg)
			if r.Intent != tt.want {
				t.Fatalf("Respond(%q) intent = %q (%q), want %q", tt.msg, r.Intent, r.Text, tt.want)
			}
			if r.Text == "" {
				t.Errorf("empty text")
			}
			offers := strings.Contains(r.Text, offerPhrase)
			switch r.Intent {
			case IntentAnswer:
				if len(r.Suggestions) == 0 || len(r.Suggestions) > maxSuggestions || r.Draft != nil || offers {
					t.Errorf("answer: %d suggestions, draft %v, offers %v", len(r.Suggestions), r.Draft, offers)
				}
				for _, h := range r.Suggestions {
					if !strings.Contains(r.Text, h.Article.Title) {
						t.Errorf("text %q does not name %q", r.Text, h.Article.Title)
					}
				}
			case IntentOpenTicket, IntentConfirmTicket:
				if r.Draft == nil {
					t.Errorf("%s without a draft", r.Intent)
				}
				if offers != (r.Intent == IntentOpenTicket) {
					t.Errorf("%s: text %q, offers %v", r.Intent, r.Text, offers)
				}
			case IntentNoMatch:
				if (r.Draft != nil) != offers {
					t.Errorf("no match: draft %v but offers %v", r.Draft, offers)
				}
			default:
				if r.Draft != nil || offers || len(r.Suggestions) > 0 {
					t.Errorf("%s: unexpected draft %v, offer %v or suggestions", r.Intent, r.Draft, offers)
				}
			}
		})
	}
}

func TestRespondAnswer(t *testing.T) {
	r := NewIndex(kb).Respond(nil, "My printer shows offline")
	if got := ids(r.Suggestions); len(got) == 0 || got[0] != "kb-printer" {
		t.Fatalf("suggestions %q, want kb-printer first", got)
	}
	if !strings.HasPrefix(r.Text, "These articles may help: “Printer shows offline”") {
		t.Errorf("text %q", r.Text)
	}
}

func TestRespondDraft(t *testing.T) {
	ix := NewIndex(kb)
	first := "My laptop won't connect to the office wifi since the update"
	second := "It's a Dell and the wifi icon shows no internet"
	history := turns(
		FromUser, "hi",
		FromBot, greetText,
		FromUser, first,
		FromBot, "These articles may help: “Guest wireless”.",
		FromUser, second,
		FromBot, "These articles may help: “Connect to the VPN”.",
	)
	want := TicketDraft{Title: first, Description: first + "\n" + second, Category: CategoryNetwork}

	r := ix.Respond(history, "that didn't help, talk to a human please")
	if r.Intent != IntentOpenTicket || r.Draft == nil || *r.Draft != want {
		t.Fatalf("got %q %+v, want open_ticket %+v", r.Intent, r.Draft, want)
	}
	history = append(history, Turn{FromUser, "that didn't help, talk to a human please"}, Turn{FromBot, r.Text})
	r = ix.Respond(history, "yes")
	if r.Intent != IntentConfirmTicket || r.Draft == nil || *r.Draft != want {
		t.Fatalf("got %q %+v, want confirm_ticket %+v", r.Intent, r.Draft, want)
	}
	if !strings.Contains(r.Text, first) {
		t.Errorf("confirmation %q does not name the ticket", r.Text)
	}
}

func TestRespondDraftCases(t *testing.T) {
	ix := NewIndex(kb)
	long := strings.TrimSpace(strings.Repeat("the outlook calendar shows meetings an hour late ", 4))
	tests := []struct {
		name    string
		history []Turn
		msg     string
		want    TicketDraft
	}{
		{"request with details keeps them", nil, "open a ticket: my monitor flickers",
			TicketDraft{"open a ticket: my monitor flickers", "open a ticket: my monitor flickers", CategoryHardware}},
		{"nothing described", turns(FromUser, "hello"), "talk to a human",
			TicketDraft{fallbackTitle, fallbackDescription, CategoryGeneral}},
		{"no match drafts the message", nil, "banana smoothie recipe",
			TicketDraft{"banana smoothie recipe", "banana smoothie recipe", CategoryGeneral}},
		{"long title trimmed", nil, long + " please open a ticket",
			TicketDraft{trimWords(long, maxTitle), long + " please open a ticket", CategorySoftware}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ix.Respond(tt.history, tt.msg)
			if r.Draft == nil || *r.Draft != tt.want {
				t.Fatalf("draft %+v, want %+v", r.Draft, tt.want)
			}
			if n := utf8.RuneCountInString(r.Draft.Title); n > maxTitle {
				t.Errorf("title has %d runes", n)
			}
		})
	}
}

func TestRespondBounds(t *testing.T) {
	ix := NewIndex(kb)
	history := turns(FromUser, "laptop keyboard broken")
	for i := range 12 {
		history = append(history, turns(FromBot, "…", FromUser, fmt.Sprintf("printer jam %d", i))...)
	}
	r := ix.Respond(history, "open a ticket")
	if r.Draft == nil || r.Draft.Title == "laptop keyboard broken" || strings.Contains(r.Draft.Description, "keyboard") {
		t.Errorf("draft %+v read beyond the last %d turns", r.Draft, maxTurns)
	}
	if got := strings.Count(r.Draft.Description, "\n") + 1; got != maxTurns/2 {
		t.Errorf("description has %d messages, want %d", got, maxTurns/2)
	}

	huge := strings.Repeat("zzq ", 3000)
	r = ix.Respond([]Turn{{FromUser, huge}}, huge)
	if r.Draft == nil {
		t.Fatalf("no draft for a long message")
	}
	for _, part := range strings.Split(r.Draft.Description, "\n") {
		if n := utf8.RuneCountInString(part); n > maxMessage {
			t.Errorf("message of %d runes kept, want at most %d", n, maxMessage)
		}
	}
	if history[0].Text != "laptop keyboard broken" {
		t.Errorf("Respond changed the caller's history")
	}
}

func TestRespondUnicodeAndOddInput(t *testing.T) {
	var nilIndex *Index
	tests := []struct {
		name string
		ix   *Index
		msg  string
	}{
		{"emoji", NewIndex(kb), "🖨️ 🔥🔥"},
		{"other script", NewIndex(kb), "プリンターが動かない"},
		{"invalid utf8", NewIndex(kb), "printer \xff\xfe offline"},
		{"nil index", nilIndex, "printer offline"},
		{"empty index", NewIndex(nil), "printer offline"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.ix.Respond([]Turn{{From: "someone else", Text: "\x00"}}, tt.msg)
			checkReply(t, r)
		})
	}
}

// checkReply checks what holds for every reply.
func checkReply(t *testing.T, r Reply) {
	t.Helper()
	switch r.Intent {
	case IntentAnswer, IntentNoMatch, IntentGreeting, IntentThanks, IntentOpenTicket, IntentConfirmTicket:
	default:
		t.Fatalf("unknown intent %q", r.Intent)
	}
	if r.Text == "" || !utf8.ValidString(r.Text) {
		t.Errorf("text %q", r.Text)
	}
	if len(r.Suggestions) > maxSuggestions {
		t.Errorf("%d suggestions", len(r.Suggestions))
	}
	for _, h := range r.Suggestions {
		if h.Score < answerThreshold || h.Score > 1 || !utf8.ValidString(h.Snippet) {
			t.Errorf("suggestion %+v", h)
		}
	}
	if (r.Intent == IntentOpenTicket || r.Intent == IntentConfirmTicket) && r.Draft == nil {
		t.Errorf("%s without a draft", r.Intent)
	}
	if d := r.Draft; d != nil {
		if d.Title == "" || utf8.RuneCountInString(d.Title) > maxTitle || !utf8.ValidString(d.Title) ||
			!utf8.ValidString(d.Description) || d.Category == "" {
			t.Errorf("draft %+v", d)
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	ix := NewIndex(kb)
	queries := []string{"printer", "pass", "vpn keeps dropping", "excel macros", "banana"}
	want := make([][]Hit, len(queries))
	for i, q := range queries {
		want[i] = ix.Search(q, 5)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for n := range 50 {
				i := (g + n) % len(queries)
				got := ix.Search(queries[i], 5)
				if fmt.Sprint(got) != fmt.Sprint(want[i]) {
					t.Errorf("Search(%q) = %v, want %v", queries[i], got, want[i])
				}
				ix.Respond(turns(FromUser, queries[i], FromBot, proposeText), "yes")
			}
		})
	}
	wg.Wait()
}

func FuzzRespond(f *testing.F) {
	f.Add("printer offline", "yes")
	f.Add("", "")
	f.Add("hi", "open a ticket")
	f.Add("my vpn drops", "didn't help, talk to a human")
	f.Add("\xff\xfe", "pass")
	f.Add("日本語 テキスト", "ありがとう thanks")
	ix := NewIndex(kb)
	f.Fuzz(func(t *testing.T, prior, msg string) {
		checkReply(t, ix.Respond(nil, msg))
		checkReply(t, ix.Respond(turns(FromUser, prior, FromBot, proposeText), msg))
		for _, h := range ix.Search(prior+" "+msg, 5) {
			if h.Score <= 0 || h.Score > 1 || utf8.RuneCountInString(h.Snippet) > snippetLen+2 {
				t.Errorf("hit %+v", h)
			}
		}
	})
}

func BenchmarkSearch(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	vocab := make([]string, 5000)
	for i := range vocab {
		vocab[i] = fmt.Sprintf("w%dx", i)
	}
	vocab = append(vocab, "printer", "password", "vpn", "excel", "laptop", "network")
	words := func(n int) string {
		ws := make([]string, n)
		for i := range ws {
			ws[i] = vocab[rng.IntN(len(vocab))]
		}
		return strings.Join(ws, " ")
	}
	articles := make([]Article, 1000)
	for i := range articles {
		articles[i] = Article{ID: fmt.Sprint(i), Title: words(6), Body: words(200), Tags: []string{words(1), words(1)}}
	}
	ix := NewIndex(articles)
	queries := []string{"printer offline", "reset my password", "vpn keeps dropping on the network", "w12"}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		ix.Search(queries[i%len(queries)], 5)
	}
}
