package render

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// pageObj matches a page object's type, but not the /Pages tree.
var pageObj = regexp.MustCompile(`/Type\s*/Page\b[^s]`)

func pdfPages(b []byte) int { return len(pageObj.FindAll(b, -1)) }

func TestPDFPack(t *testing.T) {
	var buf bytes.Buffer
	if err := samplePack(200).PDF(&buf); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	if !bytes.HasPrefix(b, []byte("%PDF-")) {
		t.Fatalf("does not start with %%PDF-: %q", head(b))
	}
	if !bytes.Contains(b[len(b)-64:], []byte("%%EOF")) {
		t.Error("no EOF trailer")
	}
	if n := pdfPages(b); n < 2 {
		t.Fatalf("a pack with a 200-row table has %d page(s), want several", n)
	}
	if !bytes.Contains(b, []byte("/FontFile2")) {
		t.Error("no embedded TrueType font")
	}
	if bytes.Count(b, []byte("/Subtype /Image")) < 3 {
		t.Error("charts and heatmap are not embedded as images")
	}
}

func TestPDFPagesGrowWithRows(t *testing.T) {
	count := func(rows int) int {
		var buf bytes.Buffer
		p := Pack{Title: "T", Sections: []Section{{Title: "S", Tables: []Table{sampleTable(rows)}}}}
		if err := p.PDF(&buf); err != nil {
			t.Fatal(err)
		}
		return pdfPages(buf.Bytes())
	}
	small, large := count(5), count(200)
	if small != 1 {
		t.Errorf("5 rows: %d pages, want 1", small)
	}
	if large <= 2 {
		t.Errorf("200 rows: %d pages, want more than 2", large)
	}
}

// TestPDFText checks the printed text with pdftotext when poppler-utils is
// installed; the suite does not depend on it.
func TestPDFText(t *testing.T) {
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Skip("pdftotext not installed")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "pack.pdf")
	var buf bytes.Buffer
	p := samplePack(200)
	if err := p.PDF(&buf); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-layout", path, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	txt := string(out)
	for _, want := range []string{
		"Licence report pack — Acme Corp",
		"Generated 1 March 2027, 07:30 UTC",
		"Coût € and Zoë print as written.",
		"Checkouts by user — Coût € (continued)",
		"user199@example.com",
		"Page 1 of ",
		"Confidential — prepared by Seatkeeper for Acme IT",
	} {
		if !strings.Contains(txt, want) {
			t.Errorf("PDF text lacks %q", want)
		}
	}
	// The header row is repeated on every page the table spans.
	if n := strings.Count(txt, "Hours held"); n < 3 {
		t.Errorf("table header printed %d times, want it on each page", n)
	}
}

func TestFontCover(t *testing.T) {
	fc := newFontCover()
	if got := fc.filter("Coût € Zoë ĳ Ω Ж"); got != "Coût € Zoë ĳ Ω Ж" {
		t.Errorf("Latin/Greek/Cyrillic altered: %q", got)
	}
	if got := fc.filter("漢字😀"); got != "???" {
		t.Errorf("uncovered runes: %q, want ???", got)
	}
}
