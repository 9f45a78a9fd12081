package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserAdminCreatesIntegrationAndSeesTokenOnce: a licence
// administrator creates an integration through the console's form; the
// answer shows its token once with the note to copy it now, the token
// calls, and no later page shows it again.
func TestBrowserAdminCreatesIntegrationAndSeesTokenOnce(t *testing.T) {
	d, b, _ := roleDesk(t, "lena@example.com", "Lena Licence", "licence_admin")
	if st := b.open("/admin/integrations"); st != http.StatusOK {
		b.fatalf("integrations: status %d", st)
	}
	b.consoleShot("integrations")
	b.fill(`#i-name`, "teams-bot")
	b.choose(`#i-mode`, "propose")
	b.fill(`#i-hold`, "30")
	if st := b.submit(`form#create-integration`); st != http.StatusOK {
		b.fatalf("create the integration: status %d", st)
	}
	secret := b.attr(`#secret`, "value")
	if !strings.HasPrefix(secret, "sk_") {
		b.fatalf("the token shown is %q", secret)
	}
	if note := b.text(`#secret-once`); !strings.Contains(note, "Copy the token now") || !strings.Contains(note, "shown only this once") {
		b.fatalf("the note with the token says %q", note)
	}
	b.consoleShot("integration-secret")
	if st := hubCalls(t, d, secret); st != http.StatusAccepted && st != http.StatusCreated {
		t.Errorf("the new token's call: status %d", st)
	}
	b.click(`#secret-done`)
	if p := b.path(); p != "/admin/integrations/teams-bot" {
		b.fatalf("after the token page: at %s", p)
	}
	if m := b.text(`#integration-mode`); m != "propose" {
		b.fatalf("teams-bot's mode %q", m)
	}
	b.consoleShot("integration-one")
	for _, path := range []string{"/admin/integrations/teams-bot", "/admin/integrations", "/admin/integrations?tokens=all"} {
		b.open(path)
		html, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.documentElement.outerHTML`))
		if err != nil {
			b.fatalf("read %s: %v", path, err)
		}
		if strings.Contains(html, secret) {
			b.fatalf("%s shows the token again", path)
		}
	}
	// Its rotation is confirmed first, saying what it does.
	b.open("/admin/integrations/teams-bot/rotate")
	if l := b.text(`#confirm-lines`); !strings.Contains(l, "stops its calls with the current token at once") {
		b.fatalf("the rotation's confirmation says %q", l)
	}
	b.consoleShot("integration-rotate-confirm")
}
