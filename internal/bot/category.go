package bot

// Ticket categories GuessCategory returns.
const (
	CategoryNetwork  = "network"
	CategoryAccess   = "access"
	CategoryHardware = "hardware"
	CategorySoftware = "software"
	CategoryGeneral  = "general"
)

// categoryWords lists keywords per category, in the order ties are broken.
// They go through term when matched, so inflected forms ("printers",
// "locked") count too.
var categoryWords = []struct {
	name  string
	words []string
}{
	{CategoryNetwork, []string{"vpn", "wifi", "wireless", "network", "internet", "ethernet"}},
	{CategoryAccess, []string{"password", "login", "logon", "account", "mfa", "2fa", "locked", "lockout"}},
	{CategoryHardware, []string{"laptop", "printer", "monitor", "keyboard", "mouse", "dock", "headset"}},
	{CategorySoftware, []string{"install", "licence", "license", "excel", "outlook", "app", "application", "software"}},
}

// categoryPairs are keywords people write as two words.
var categoryPairs = map[string]string{
	"wi fi":      CategoryNetwork,
	"log in":     CategoryAccess,
	"logging in": CategoryAccess,
	"sign in":    CategoryAccess,
	"signing in": CategoryAccess,
	"log on":     CategoryAccess,
}

var categoryOf = func() map[string]string {
	m := make(map[string]string)
	for _, c := range categoryWords {
		for _, w := range c.words {
			m[stem(w)] = c.name
		}
	}
	return m
}()

// GuessCategory guesses a ticket category from text by counting keywords; the
// category with most wins, and CategoryGeneral when none appears.
func GuessCategory(text string) string {
	words := scan(text)
	counts := make(map[string]int)
	for i, w := range words {
		if c, ok := categoryOf[term(w.text)]; ok {
			counts[c]++
		}
		if i+1 < len(words) {
			if c, ok := categoryPairs[w.text+" "+words[i+1].text]; ok {
				counts[c]++
			}
		}
	}
	best := CategoryGeneral
	for _, c := range categoryWords {
		if counts[c.name] > counts[best] {
			best = c.name
		}
	}
	return best
}
