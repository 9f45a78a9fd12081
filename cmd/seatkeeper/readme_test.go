package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// repoRoot is the module's root, two levels up from this package.
const repoRoot = "../.."

var (
	mdLink    = regexp.MustCompile(`\]\(([^)\s]+)(?:\s+"[^"]*")?\)`)
	autoLink  = regexp.MustCompile(`<([^<>\s]+)>`)
	codeSpan  = regexp.MustCompile("`([^`\\s]+)`")
	upAndOut  = regexp.MustCompile(`(?:^|[\s(\x60"'])(\.\./[^\s)\x60"']*)`)
	urlScheme = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*:`)
)

// TestReadmeLinksStayInTheRepository: every relative link in README.md —
// a Markdown link, an autolink, or a path of the repository in a code span
// — names a file or directory that exists in the repository, and nothing
// points outside it (a reader of the repository has only the repository).
func TestReadmeLinksStayInTheRepository(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatalf("read README.md: %v", err)
	}
	readme := string(data)
	top := topLevel(t)
	check := func(kind, target string) {
		t.Helper()
		target, _, _ = strings.Cut(target, "#")
		if target == "" {
			return // a link within the page
		}
		if strings.HasPrefix(target, "/") {
			t.Errorf("README.md %s %q is an absolute path: link a file of the repository by its relative path", kind, target)
			return
		}
		clean := filepath.Clean(filepath.FromSlash(target))
		if clean == ".." || strings.HasPrefix(clean, ".."+string(filepath.Separator)) {
			t.Errorf("README.md %s %q points outside the repository", kind, target)
			return
		}
		if _, err := os.Stat(filepath.Join(repoRoot, clean)); err != nil {
			t.Errorf("README.md %s %q names nothing in the repository: %v", kind, target, err)
		}
	}
	for _, m := range mdLink.FindAllStringSubmatch(readme, -1) {
		if !urlScheme.MatchString(m[1]) {
			check("link", m[1])
		}
	}
	for _, m := range autoLink.FindAllStringSubmatch(readme, -1) {
		if !urlScheme.MatchString(m[1]) && strings.Contains(m[1], "/") {
			check("link", m[1])
		}
	}
	for _, m := range codeSpan.FindAllStringSubmatch(readme, -1) {
		p := m[1]
		first, _, _ := strings.Cut(p, "/")
		// A path of the repository: it starts at one of its top-level
		// entries (internal/…, cmd/…) or with ./ or ../. URL paths
		// (/api/v1/…) and patterns (migrations/NNNN_*.sql) are not files.
		if !(top[first] && strings.Contains(p, "/")) && !strings.HasPrefix(p, "./") && !strings.HasPrefix(p, "../") {
			continue
		}
		if strings.ContainsAny(p, "*{}…") || strings.Contains(p, "NNNN") {
			continue
		}
		check("path", p)
	}
	for _, m := range upAndOut.FindAllStringSubmatch(readme, -1) {
		t.Errorf("README.md names %q, outside the repository", m[1])
	}
}

// topLevel lists the repository's top-level entries.
func topLevel(t *testing.T) map[string]bool {
	t.Helper()
	entries, err := os.ReadDir(repoRoot)
	if err != nil {
		t.Fatalf("read the repository root: %v", err)
	}
	out := map[string]bool{}
	for _, e := range entries {
		out[e.Name()] = true
	}
	return out
}
