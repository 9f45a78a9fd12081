package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// browserTimeout bounds everything one browser test does in the browser. It
// is a safety net for a hung page, never a timed assertion: every step waits
// for an element or a page load, not for a clock.
const browserTimeout = 60 * time.Second

// chromiumNames are the executables tried, in order, for the browser.
var chromiumNames = []string{"chromium", "chromium-browser", "google-chrome"}

// findChromium returns the browser's path. A machine without one fails the
// test: the browser tests are part of the suite, and .ci/run installs
// Debian's chromium.
func findChromium(t testing.TB) string {
	t.Helper()
	for _, name := range chromiumNames {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatalf("no browser on PATH (tried %s): install Debian's chromium, as .ci/run does", strings.Join(chromiumNames, ", "))
	return ""
}

// tab is one headless Chromium tab on one seatkeeper server. Each tab has
// its own browser and a fresh profile, so no cookie leaks between tests.
type tab struct {
	t    *testing.T
	base string
	root context.Context // the tab, without a deadline: used to dump the page on failure
	ctx  context.Context // the tab, bounded by browserTimeout: every step runs in it
	out  *logBuf         // the browser's own stdout and stderr
}

// newTab starts Chromium (as root it needs --no-sandbox; the machine has no
// network, so nothing may phone home) and opens a tab on base.
func newTab(t *testing.T, base string) *tab {
	t.Helper()
	exe := findChromium(t)
	out := newLogBuf()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(filepath.Join(t.TempDir(), "profile")),
		chromedp.CombinedOutput(out),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	root, cancelRoot := chromedp.NewContext(allocCtx)
	ctx, cancel := context.WithTimeout(root, browserTimeout)
	t.Cleanup(func() {
		cancel()
		cancelRoot()
		cancelAlloc()
	})
	// The first action starts the browser and binds its life to the context
	// it runs in: start it on root, so a step's timeout leaves the page there
	// to be dumped, and bound the start itself here.
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(root) }()
	select {
	case err := <-started:
		if err != nil {
			t.Fatalf("start %s: %v\nbrowser output:\n%s", exe, err, out.tail(30))
		}
	case <-ctx.Done():
		cancelRoot()
		t.Fatalf("start %s: not started within %v\nbrowser output:\n%s", exe, browserTimeout, out.tail(30))
	}
	return &tab{t: t, base: base, root: root, ctx: ctx, out: out}
}

// fatalf logs the page the browser shows, then fails the test.
func (b *tab) fatalf(format string, args ...any) {
	b.t.Helper()
	b.t.Logf("the browser shows:\n%s", b.dump())
	b.t.Fatalf(format, args...)
}

// dump describes the current page: its address and its HTML.
func (b *tab) dump() string {
	ctx, cancel := context.WithTimeout(b.root, 10*time.Second)
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return fmt.Sprintf("(no page: %v)\nbrowser output:\n%s", err, b.out.tail(20))
	}
	html, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement ? document.documentElement.outerHTML : ""`))
	if err != nil {
		html = fmt.Sprintf("(no HTML: %v)", err)
	}
	const limit = 8000
	if len(html) > limit {
		html = html[:limit] + "\n…(cut)"
	}
	return "at " + loc + "\n" + html
}

// do runs steps and fails the test, showing the page, if one fails.
func (b *tab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			b.fatalf("%s: nothing on the page matched within %v (the page is shown above)", what, browserTimeout)
		}
		b.fatalf("%s: %v", what, err)
	}
}

// open loads path and waits until the page has loaded; it returns the
// status of the page's HTML (after redirects).
func (b *tab) open(path string) int64 {
	b.t.Helper()
	resp, err := chromedp.Run(b.ctx, chromedp.NavigateResponse(b.base+path))
	if err != nil {
		b.fatalf("open %s: %v", path, err)
	}
	return resp.Status
}

// submitButton selects the first submit button of form.
func submitButton(form string) chromedp.CSS {
	return chromedp.CSS(form + ` button[type=submit], ` + form + ` input[type=submit], ` + form + ` button:not([type])`)
}

// submit clicks form's submit button, as a person would, and waits until
// the page it leads to has loaded. It returns that page's status.
func (b *tab) submit(form string) int64 {
	b.t.Helper()
	resp, err := chromedp.RunResponse(b.ctx, chromedp.Click(submitButton(form)))
	if err != nil {
		b.fatalf("submit %s: %v", form, err)
	}
	return resp.Status
}

// click clicks sel and waits until the page it leads to has loaded.
func (b *tab) click(sel string) int64 {
	b.t.Helper()
	resp, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS(sel)))
	if err != nil {
		b.fatalf("click %s: %v", sel, err)
	}
	return resp.Status
}

// fill empties the field sel and types v into it, as keystrokes.
func (b *tab) fill(sel, v string) {
	b.t.Helper()
	q, _ := json.Marshal(sel)
	b.do("fill "+sel,
		chromedp.WaitVisible(chromedp.CSS(sel)),
		// chromedp's Clear needs a textarea to hold text already, and its
		// SetValue refuses "": empty the field directly.
		chromedp.Evaluate[chromedp.Void](`document.querySelector(`+string(q)+`).value = ""`),
		chromedp.SendKeys(chromedp.CSS(sel), v),
	)
}

// choose selects the option of the select sel whose value is want (letter
// case and "-"/"_"/" " aside), and returns that option's value.
func (b *tab) choose(sel, want string) string {
	b.t.Helper()
	b.do("wait for "+sel, chromedp.WaitVisible(chromedp.CSS(sel)))
	q, _ := json.Marshal(sel)
	values, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelector(`+string(q)+`).options).map(o => o.value)`))
	if err != nil {
		b.fatalf("read the options of %s: %v", sel, err)
	}
	for _, v := range values {
		if normState(v) == normState(want) {
			b.do("choose "+v+" in "+sel, chromedp.SetValue(chromedp.CSS(sel), v))
			return v
		}
	}
	b.fatalf("%s offers %q, none of them %q", sel, values, want)
	return ""
}

// text returns the trimmed visible text of the first element matching sel,
// waiting until it is visible.
func (b *tab) text(sel string) string {
	b.t.Helper()
	b.do("wait for "+sel, chromedp.WaitVisible(chromedp.CSS(sel)))
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.fatalf("read %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

// attr returns an attribute of the first element matching sel, waiting until
// the element is there.
func (b *tab) attr(sel, name string) string {
	b.t.Helper()
	a, err := chromedp.Run(b.ctx, chromedp.AttributeValue(chromedp.CSS(sel), name))
	if err != nil {
		b.fatalf("read %s's %s: %v", sel, name, err)
	}
	if !a.Exists {
		b.fatalf("%s has no %s attribute", sel, name)
	}
	return a.Value
}

// absent requires that nothing on the loaded page matches sel.
func (b *tab) absent(sel string) {
	b.t.Helper()
	q, _ := json.Marshal(sel)
	n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll(`+string(q)+`).length`))
	if err != nil {
		b.fatalf("count %s: %v", sel, err)
	}
	if n != 0 {
		b.fatalf("the page has %d %s, want none", n, sel)
	}
}

// path returns the path of the page the browser shows.
func (b *tab) path() string {
	b.t.Helper()
	loc, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		b.fatalf("location: %v", err)
	}
	u, err := url.Parse(loc)
	if err != nil {
		b.fatalf("location %q: %v", loc, err)
	}
	return u.Path
}

// signIn signs in through the sign-in page and requires landing on the
// portal, where the tests begin.
func (b *tab) signIn(user, password string) {
	b.t.Helper()
	b.signInTo(user, password, "/")
}

// signInTo signs in through the sign-in page (no page asked for) and
// requires landing on the page for the person's work: the portal, the
// agent queue, the reports or the licence console.
func (b *tab) signInTo(user, password, landing string) {
	b.t.Helper()
	b.open("/signin")
	b.fill(`input[name=user]`, user)
	b.fill(`input[name=password]`, password)
	b.click(`#signin`)
	if p := b.path(); p != landing {
		b.fatalf("signed in as %s: the browser is at %s, want %s", user, p, landing)
	}
	b.do("wait for the sign-out form", chromedp.WaitVisible(chromedp.CSS(`form#signout`)))
}

// signOut signs out through the page's sign-out form.
func (b *tab) signOut() {
	b.t.Helper()
	b.submit(`form#signout`)
}

// xpathClass matches elements carrying class name c.
func xpathClass(c string) string {
	return `contains(concat(' ', normalize-space(@class), ' '), ' ` + c + ` ')`
}

// waitText waits until an element with class c whose text contains s is
// visible. The query is repeated until the page shows it, whether the page
// updates itself or is reloaded by a form post.
func (b *tab) waitText(c, s string) {
	b.t.Helper()
	if strings.Contains(s, "'") {
		b.t.Fatalf("waitText: %q has a quote, which this XPath literal cannot hold", s)
	}
	b.do(fmt.Sprintf("wait for a .%s saying %q", c, s),
		chromedp.WaitVisible(chromedp.Search(`//*[`+xpathClass(c)+`][contains(., '`+s+`')]`)))
}

var ticketNumberRe = regexp.MustCompile(`INC-\d+`)

// ticketNumber reads the ticket number the page shows in #ticket-number.
func (b *tab) ticketNumber() string {
	b.t.Helper()
	s := b.text(`#ticket-number`)
	n := ticketNumberRe.FindString(s)
	if n == "" {
		b.fatalf("#ticket-number says %q, want a number such as INC-000001", s)
	}
	return n
}

// ticketState reads #ticket-state, normalised to the API's spelling
// ("In progress" reads as in_progress).
func (b *tab) ticketState() string {
	b.t.Helper()
	return normState(b.text(`#ticket-state`))
}

func normState(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	return strings.NewReplacer(" ", "_", "-", "_").Replace(s)
}

// standing reads the agent console's licence standing (#standing[data-kind]).
func (b *tab) standing() string {
	b.t.Helper()
	b.open("/agent")
	b.do("wait for #standing", chromedp.WaitReady(chromedp.CSS(`#standing[data-kind]`)))
	return b.attr(`#standing`, "data-kind")
}

// ---------------------------------------------------------------------------
// Setup through the CLI and the API

// setPassword runs `seatkeeper passwd`, which reads the password from stdin.
func setPassword(t testing.TB, db, user, password string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, skBin, "passwd", "--db", db, "--user", user)
	cmd.Env = cleanEnv()
	cmd.Dir = t.TempDir()
	cmd.Stdin = strings.NewReader(password + "\n")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := cliResult{Stdout: stdout.String(), Stderr: stderr.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		res.Code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("seatkeeper passwd --user %s: %v", user, err)
	}
	if res.Code != 0 {
		t.Fatalf("seatkeeper passwd --user %s: %s", user, res)
	}
}

// mustAs is client.must for a call made for person, named in the
// Seatkeeper-Acting-User header.
func mustAs(t testing.TB, c *client, person, method, path string, body, out any, want ...int) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Seatkeeper-Acting-User", person)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s as %s: %v", method, path, person, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s as %s: read: %v", method, path, person, err)
	}
	ok := false
	for _, w := range want {
		ok = ok || resp.StatusCode == w
	}
	if !ok {
		t.Fatalf("%s %s as %s: status %d, want %v; body: %s", method, path, person, resp.StatusCode, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s as %s: decode %s: %v", method, path, person, b, err)
		}
	}
}

// deskServer is a fresh server on a SQLite file with an admin client.
type deskServer struct {
	p  *proc
	db string
	c  *client
}

func startDesk(t *testing.T) deskServer {
	t.Helper()
	db := filepath.Join(t.TempDir(), "seatkeeper.db")
	p := startServe(t, "serve", []string{"--addr", "127.0.0.1:0", "--db", db})
	tok := createToken(t, db, "browser-e2e", "admin")
	return deskServer{p: p, db: db, c: newClient(p.Base, tok)}
}

// person creates a person (kind person) with a password for the sign-in page.
func (d deskServer) person(t testing.TB, userName, display, employeeID, password string) {
	t.Helper()
	d.c.must(t, "POST", "/api/v1/users", map[string]any{
		"user_name": userName, "display_name": display, "email": userName,
		"employee_id": employeeID, "kind": "person",
	}, nil, http.StatusCreated)
	if password != "" {
		setPassword(t, d.db, userName, password)
	}
}

// agentSKU creates the fulfiller SKU every pool here serves.
func (d deskServer) agentSKU(t testing.TB) {
	t.Helper()
	d.c.must(t, "POST", "/api/v1/skus", map[string]any{"key": "agent", "name": "Agent", "tier": "fulfiller", "requires": []string{}, "monthly_price": 95}, nil, http.StatusCreated)
}

func (d deskServer) member(t testing.TB, pool, user string) {
	t.Helper()
	d.c.must(t, "PUT", "/api/v1/pools/"+pool+"/members/"+user, nil, nil, http.StatusCreated, http.StatusOK)
}

// ticketOf is the part of the API's ticket this file reads.
type ticketOf struct {
	Number      string `json:"number"`
	Title       string `json:"title"`
	Description string `json:"description"`
	Category    string `json:"category"`
	Requester   string `json:"requester"`
	State       string `json:"state"`
}

// newTicket files a ticket through the API for requester.
func (d deskServer) newTicket(t testing.TB, requester, title, description, category string) string {
	t.Helper()
	var tk ticketOf
	mustAs(t, d.c, requester, "POST", "/api/v1/tickets", map[string]any{"title": title, "description": description, "category": category}, &tk, http.StatusCreated)
	if tk.Number == "" {
		t.Fatalf("POST /api/v1/tickets: no number in %+v", tk)
	}
	return tk.Number
}

func (d deskServer) ticket(t testing.TB, as, number string) ticketOf {
	t.Helper()
	var tk ticketOf
	mustAs(t, d.c, as, "GET", "/api/v1/tickets/"+number, nil, &tk, http.StatusOK)
	return tk
}

// leases returns the active leases, as "user@pool".
func (d deskServer) leases(t testing.TB) []string {
	t.Helper()
	var out struct {
		Leases []leaseOut `json:"leases"`
	}
	d.c.must(t, "GET", "/api/v1/leases", nil, &out, http.StatusOK)
	var held []string
	for _, l := range out.Leases {
		held = append(held, l.User+"@"+l.Pool)
	}
	return held
}

// firstInt returns the first whole number in s, or -1.
func firstInt(s string) int {
	m := regexp.MustCompile(`\d+`).FindString(s)
	if m == "" {
		return -1
	}
	n, _ := strconv.Atoi(m)
	return n
}

// consoleShot saves the page the tab shows as name.png in the directory
// SEATKEEPER_SCREENSHOTS names, when it does: how the console's pages are
// looked at by a person, never a check of the test.
func (b *tab) consoleShot(name string) {
	b.t.Helper()
	dir := os.Getenv("SEATKEEPER_SCREENSHOTS")
	if dir == "" {
		return
	}
	b.do("size the window", chromedp.EmulateViewport(1280, 900))
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
}
