package render

import (
	"bytes"
	"encoding/xml"
	"errors"
	"image/png"
	"io"
	"math"
	"strings"
	"sync"
	"testing"
	"time"
)

// svgTexts parses doc as XML (failing the test if it is not well-formed)
// and returns the character data of its <text> and <title> elements.
func svgTexts(t *testing.T, doc []byte) []string {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(doc))
	var texts []string
	var in string
	sawSVG := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v\n%s", err, head(doc))
		}
		switch el := tok.(type) {
		case xml.StartElement:
			if el.Name.Local == "svg" {
				sawSVG = true
			}
			if el.Name.Local == "text" || el.Name.Local == "title" {
				in = el.Name.Local
			}
		case xml.EndElement:
			in = ""
		case xml.CharData:
			if in != "" {
				texts = append(texts, string(el))
			}
		}
	}
	if !sawSVG {
		t.Fatalf("no <svg> element")
	}
	return texts
}

func head(b []byte) []byte {
	if len(b) > 400 {
		return b[:400]
	}
	return b
}

func hasText(texts []string, want string) bool {
	for _, s := range texts {
		if s == want {
			return true
		}
	}
	return false
}

func checkPNG(t *testing.T, b []byte, w, h int) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("PNG does not decode: %v", err)
	}
	if got := img.Bounds().Size(); got.X != w || got.Y != h {
		t.Fatalf("PNG is %dx%d, want %dx%d", got.X, got.Y, w, h)
	}
}

func TestChartSVGHasLabelsAsText(t *testing.T) {
	for _, c := range []Chart{
		{Title: "Held seats — Adobe CC", YLabel: "seats", Kind: Step, Series: []Series{heldSeats(30)},
			Marks: []Mark{{Label: "capacity", Y: 10}, {Label: "seats+overdraft", Y: 12}}},
		{Title: "Daily use", YLabel: "seats", Kind: Line, Series: []Series{heldSeats(30), {Name: "peak", X: heldSeats(30).X, Y: heldSeats(30).Y}}},
		{Title: "Denials per day", YLabel: "denials", Kind: Bar, Series: []Series{heldSeats(14)}},
		{Title: "Denials by reason", YLabel: "denials", Categories: []string{"no seat", "not entitled"}, Series: []Series{{Name: "n", Y: []float64{4, 2}}}},
	} {
		t.Run(c.Kind.String()+"/"+c.Title, func(t *testing.T) {
			var buf bytes.Buffer
			if err := c.SVG(&buf, 600, 300); err != nil {
				t.Fatal(err)
			}
			texts := svgTexts(t, buf.Bytes())
			for _, want := range []string{c.Title, c.YLabel} {
				if !hasText(texts, want) {
					t.Errorf("no text %q in %q", want, texts)
				}
			}
			for _, m := range c.Marks {
				if !hasText(texts, m.Label) {
					t.Errorf("mark label %q missing", m.Label)
				}
			}
			if len(c.Series) > 1 && !hasText(texts, c.Series[1].Name) {
				t.Errorf("legend entry %q missing", c.Series[1].Name)
			}
			if !bytes.Contains(buf.Bytes(), []byte("sans-serif")) {
				t.Errorf("SVG text has no generic font fallback")
			}
			if !bytes.Contains(buf.Bytes(), []byte(`viewBox="0 0 600 300"`)) {
				t.Errorf("SVG has no viewBox for the asked size")
			}
		})
	}
}

func TestChartPNGSize(t *testing.T) {
	c := Chart{Title: "Held seats", YLabel: "seats", Kind: Step, Series: []Series{heldSeats(90)}}
	for _, sz := range [][2]int{{800, 400}, {MinSize, MinSize}, {1315, 657}} {
		var buf bytes.Buffer
		if err := c.PNG(&buf, sz[0], sz[1]); err != nil {
			t.Fatal(err)
		}
		checkPNG(t, buf.Bytes(), sz[0], sz[1])
	}
}

func TestHeatmapSVGAndPNG(t *testing.T) {
	h := hourOfWeek()
	var buf bytes.Buffer
	if err := h.SVG(&buf, 600, 260); err != nil {
		t.Fatal(err)
	}
	texts := svgTexts(t, buf.Bytes())
	for _, want := range []string{h.Title, "Mon", "Sun", "00", "23"} {
		if !hasText(texts, want) {
			t.Errorf("no text %q in heatmap SVG", want)
		}
	}
	buf.Reset()
	if err := h.PNG(&buf, 800, 340); err != nil {
		t.Fatal(err)
	}
	checkPNG(t, buf.Bytes(), 800, 340)
}

func TestTimeAxisLabels(t *testing.T) {
	cases := []struct {
		name  string
		start time.Time
		step  time.Duration
		n     int
		want  []string // tick labels that must appear
		cap   string   // automatic axis caption
	}{
		{"day", time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC), time.Hour, 24, []string{"03:00", "12:00"}, "Tue 3 Mar 2026 (UTC)"},
		{"month", time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), 24 * time.Hour, 31, []string{"2 Mar", "9 Mar"}, "1 Mar – 31 Mar 2026 (UTC)"},
		{"year", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), 24 * time.Hour, 365, []string{"Jan 2026", "Jul"}, "1 Jan – 31 Dec 2026 (UTC)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := Series{Name: "x"}
			for i := 0; i < tc.n; i++ {
				s.X = append(s.X, tc.start.Add(time.Duration(i)*tc.step))
				s.Y = append(s.Y, float64(i%5))
			}
			var buf bytes.Buffer
			if err := (Chart{Title: "t", Series: []Series{s}}).SVG(&buf, 600, 300); err != nil {
				t.Fatal(err)
			}
			texts := svgTexts(t, buf.Bytes())
			for _, w := range append(tc.want, tc.cap) {
				if !hasText(texts, w) {
					t.Errorf("no label %q in %q", w, texts)
				}
			}
		})
	}
}

func TestTimeTicksFollowLocation(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	start := time.Date(2026, 3, 28, 0, 0, 0, 0, paris) // DST starts on the 29th
	end := start.AddDate(0, 0, 3)
	ticks := timeTicks(unixSeconds(start), unixSeconds(end), paris, func(string) int { return 4 })
	if len(ticks) == 0 {
		t.Fatal("no ticks")
	}
	for _, tk := range ticks {
		tm := fromUnixSeconds(tk.Value, paris)
		if tm.Hour() != 0 || tm.Minute() != 0 {
			t.Errorf("tick %v (%q) is not at local midnight", tm, tk.Label)
		}
	}
}

func TestNiceScale(t *testing.T) {
	for _, tc := range []struct {
		min, max     float64
		n            int
		whole        bool
		lo, hi, step float64
	}{
		{0, 12.7, 8, true, 0, 14, 2},
		{0, 1, 6, false, 0, 1, 0.2},
		{0, 1, 6, true, 0, 1, 1},
		{-3, 7, 6, false, -5, 7.5, 2.5},
		{0, 12345, 6, false, 0, 12500, 2500},
	} {
		lo, hi, step := niceScale(tc.min, tc.max, tc.n, tc.whole)
		if lo != tc.lo || hi != tc.hi || step != tc.step {
			t.Errorf("niceScale(%v, %v, %d, %v) = %v, %v, %v; want %v, %v, %v", tc.min, tc.max, tc.n, tc.whole, lo, hi, step, tc.lo, tc.hi, tc.step)
		}
	}
}

func TestValueLabels(t *testing.T) {
	got := []string{}
	for _, tk := range valueTicks(0, 15000, 2500) {
		got = append(got, tk.Label)
	}
	if want := "0 2.5k 5k 7.5k 10k 12.5k 15k"; strings.Join(got, " ") != want {
		t.Errorf("labels %q, want %q", strings.Join(got, " "), want)
	}
	if s := newValueFormat(2500, 500).format(2500); s != "2500" {
		t.Errorf("got %q", s)
	}
	if s := groupThousands("1234567.5"); s != "1,234,567.5" {
		t.Errorf("got %q", s)
	}
	if s := newValueFormat(1, 0.2).format(-0.0000000001); s != "0" {
		t.Errorf("negative zero printed as %q", s)
	}
}

func TestCSVRoundTripAndInjection(t *testing.T) {
	tbl := Table{
		Title:   "ignored",
		Columns: []string{"User", "Note", "Delta"},
		Rows: [][]string{
			{"zoë@example.com", `says "hi", then leaves`, "3"},
			{"=cmd()", "+SUM(A1)", "-3"},
			{"@import", "\tTAB", "\rCR"},
			{"multi\nline", "Coût €"},
		},
	}
	var buf bytes.Buffer
	if err := tbl.CSV(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "\r\n") {
		t.Error("RFC 4180 wants CRLF line ends")
	}
	recs, err := csvRead(buf.String())
	if err != nil {
		t.Fatalf("CSV does not parse: %v\n%s", err, buf.String())
	}
	want := [][]string{
		{"User", "Note", "Delta"},
		{"zoë@example.com", `says "hi", then leaves`, "3"},
		{"'=cmd()", "'+SUM(A1)", "'-3"},
		// encoding/csv's reader drops a lone CR inside a quoted field;
		// the quote prefix is what matters here.
		{"'@import", "'\tTAB", "'CR"},
		{"multi\nline", "Coût €", ""},
	}
	if len(recs) != len(want) {
		t.Fatalf("%d records, want %d: %q", len(recs), len(want), recs)
	}
	for i := range want {
		if strings.Join(recs[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("record %d = %q, want %q", i, recs[i], want[i])
		}
	}
}

func TestCSVEmpty(t *testing.T) {
	var buf bytes.Buffer
	if err := (Table{}).CSV(&buf); err != nil {
		t.Fatal(err)
	}
	if buf.Len() != 0 {
		t.Errorf("empty table wrote %q", buf.String())
	}
	buf.Reset()
	if err := (Table{Columns: []string{"a", "b"}}).CSV(&buf); err != nil {
		t.Fatal(err)
	}
	if buf.String() != "a,b\r\n" {
		t.Errorf("got %q", buf.String())
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteErrorsAreReturned(t *testing.T) {
	c := Chart{Title: "x", Series: []Series{heldSeats(5)}}
	if err := c.SVG(failWriter{}, 300, 200); err == nil {
		t.Error("SVG: no error from failing writer")
	}
	if err := c.PNG(failWriter{}, 300, 200); err == nil {
		t.Error("PNG: no error from failing writer")
	}
	if err := sampleTable(3).CSV(failWriter{}); err == nil {
		t.Error("CSV: no error from failing writer")
	}
	if err := samplePack(3).PDF(failWriter{}); err == nil {
		t.Error("PDF: no error from failing writer")
	}
}

func TestSizeLimits(t *testing.T) {
	c := Chart{Title: "x"}
	for _, sz := range [][2]float64{{0, 100}, {100, -1}, {math.NaN(), 100}, {math.Inf(1), 100}, {MaxSize + 1, 100}, {MinSize - 1, 100}} {
		if err := c.SVG(io.Discard, sz[0], sz[1]); !errors.Is(err, ErrSize) {
			t.Errorf("SVG %v: err = %v, want ErrSize", sz, err)
		}
	}
	if err := c.PNG(io.Discard, 0, 10); !errors.Is(err, ErrSize) {
		t.Errorf("PNG: err = %v, want ErrSize", err)
	}
	if err := (Heatmap{}).PNG(io.Discard, MaxSize+1, 10); !errors.Is(err, ErrSize) {
		t.Errorf("heatmap PNG: err = %v, want ErrSize", err)
	}
}

// TestConcurrentRendering renders shared values from many goroutines; run
// with -race it checks that rendering has no shared mutable state.
func TestConcurrentRendering(t *testing.T) {
	c := Chart{Title: "Held", YLabel: "seats", Kind: Step, Series: []Series{heldSeats(60)}, Marks: []Mark{{Label: "capacity", Y: 10}}}
	h := hourOfWeek()
	p := samplePack(30)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := 0; i < 4; i++ {
		wg.Add(4)
		go func() { defer wg.Done(); errs <- c.SVG(io.Discard, 400, 200) }()
		go func() { defer wg.Done(); errs <- c.PNG(io.Discard, 400, 200) }()
		go func() { defer wg.Done(); errs <- h.PNG(io.Discard, 400, 200) }()
		go func() { defer wg.Done(); errs <- p.PDF(io.Discard) }()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}
