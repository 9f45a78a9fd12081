package render

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"
)

var (
	longTitle = strings.Repeat("Utilisation of the Adobe Creative Cloud pool for the design department ", 12)
	unbroken  = strings.Repeat("Ω", 400)
	weird     = "Coût € — Zoë \x00\x07\x1b[31m <b>&amp;</b> \"q\" 'a' \xff\xfe \u200b\u202e漢字 😀 \U0010FFFF\t\r\n end"
)

// edgeCharts are charts that reports may produce from odd data. None of
// them may fail or panic.
func edgeCharts() map[string]Chart {
	t0 := time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)
	hours := func(n int) []time.Time {
		var ts []time.Time
		for i := 0; i < n; i++ {
			ts = append(ts, t0.Add(time.Duration(i)*time.Hour))
		}
		return ts
	}
	nan, inf := math.NaN(), math.Inf(1)
	m := map[string]Chart{
		"zero value":        {},
		"no series":         {Title: "Empty", YLabel: "seats"},
		"empty series":      {Title: "Empty series", Series: []Series{{Name: "a"}, {Name: "b"}}},
		"single point":      {Title: "One", Series: []Series{{Name: "a", X: hours(1), Y: []float64{3}}}},
		"single point bar":  {Title: "One", Kind: Bar, Series: []Series{{Name: "a", X: hours(1), Y: []float64{3}}}},
		"single point stp":  {Title: "One", Kind: Step, Series: []Series{{Name: "a", X: hours(1), Y: []float64{3}}}},
		"all zero":          {Title: "Zeros", Kind: Step, Series: []Series{{Name: "a", X: hours(24), Y: make([]float64, 24)}}},
		"all nan":           {Title: "NaN", Series: []Series{{Name: "a", X: hours(3), Y: []float64{nan, nan, nan}}}},
		"nan and inf":       {Title: "Gaps", Kind: Step, Series: []Series{{Name: "a", X: hours(6), Y: []float64{1, nan, 2, inf, math.Inf(-1), 4}}}},
		"nan bars":          {Title: "Gaps", Kind: Bar, Series: []Series{{Name: "a", X: hours(3), Y: []float64{1, nan, 2}}}},
		"negative":          {Title: "Refunds", Kind: Bar, Series: []Series{{Name: "a", X: hours(3), Y: []float64{-5, 2, -1}}}},
		"huge":              {Title: "Huge", Series: []Series{{Name: "a", X: hours(3), Y: []float64{1e15, 3e15, 2e15}}}},
		"tiny":              {Title: "Tiny", Series: []Series{{Name: "a", X: hours(3), Y: []float64{1e-9, 3e-9, 2e-9}}}},
		"same x":            {Title: "Same instant", Series: []Series{{Name: "a", X: []time.Time{t0, t0, t0}, Y: []float64{1, 2, 3}}}},
		"unsorted":          {Title: "Unsorted", Series: []Series{{Name: "a", X: []time.Time{t0.Add(2 * time.Hour), t0, t0.Add(time.Hour)}, Y: []float64{1, 2, 3}}}},
		"length mismatch":   {Title: "Mismatch", Series: []Series{{Name: "a", X: hours(5), Y: []float64{1, 2}}, {Name: "b", X: hours(1), Y: []float64{1, 2, 3}}}},
		"zero times":        {Title: "Zero times", Series: []Series{{Name: "a", X: []time.Time{{}, t0, {}}, Y: []float64{1, 2, 3}}}},
		"only zero times":   {Title: "Zero times", Series: []Series{{Name: "a", X: []time.Time{{}}, Y: []float64{1}}}},
		"marks only":        {Title: "Marks", Marks: []Mark{{Label: "capacity", Y: 10}, {Label: "", Y: 12}, {Label: "nan", Y: nan}}},
		"marks collide":     {Title: "Marks", Series: []Series{{Name: "a", X: hours(3), Y: []float64{1, 2, 3}}}, Marks: []Mark{{Label: "a", Y: 10}, {Label: "b", Y: 10}, {Label: "c", Y: 10.01}}},
		"long text":         {Title: longTitle, YLabel: longTitle, XLabel: longTitle, Series: []Series{{Name: longTitle, X: hours(3), Y: []float64{1, 2, 3}}, {Name: unbroken, X: hours(3), Y: []float64{3, 2, 1}}}, Marks: []Mark{{Label: longTitle, Y: 2}}},
		"unbroken title":    {Title: unbroken, Series: []Series{{Name: "a", X: hours(2), Y: []float64{1, 2}}}},
		"unicode":           {Title: "Coût € — Zoë", YLabel: "Coût €", Series: []Series{{Name: "Zoë", X: hours(3), Y: []float64{1, 2, 3}}, {Name: weird, X: hours(3), Y: []float64{2, 2, 2}}}, Marks: []Mark{{Label: weird, Y: 2.5}}},
		"control chars":     {Title: weird, YLabel: weird, XLabel: weird, Series: []Series{{Name: weird, X: hours(2), Y: []float64{1, 2}}}},
		"many series":       {Title: "Many", Series: manySeries(30, hours(24))},
		"many points":       {Title: "Many points", Kind: Step, Series: []Series{{Name: "a", X: minutes(t0, 20000), Y: make([]float64, 20000)}}},
		"decades":           {Title: "Decades", Series: []Series{{Name: "a", X: []time.Time{time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)}, Y: []float64{1, 2}}}},
		"seconds":           {Title: "Seconds", Series: []Series{{Name: "a", X: []time.Time{t0, t0.Add(3 * time.Second)}, Y: []float64{1, 2}}}},
		"kind out of range": {Title: "Kind 99", Kind: Kind(99), Series: []Series{{Name: "a", X: hours(3), Y: []float64{1, 2, 3}}}},
		"categories":        {Title: "Reasons", Categories: []string{"a", "b", "c"}, Series: []Series{{Name: "x", Y: []float64{1, nan}}, {Name: "y", Y: []float64{1, 2, 3, 4, 5}}}},
		"categories empty":  {Title: "Reasons", Categories: []string{"a", "b"}},
		"categories zero":   {Title: "Reasons", Categories: []string{"a", "b"}, Series: []Series{{Y: []float64{0, 0}}}},
		"categories long":   {Title: "Reasons", YLabel: "denials", Categories: []string{longTitle, unbroken, weird, ""}, Series: []Series{{Name: "x", Y: []float64{5, 3, 2, 1}}}, Marks: []Mark{{Label: "target", Y: 2}}},
		"categories many":   {Title: "Reasons", Categories: strings.Fields(strings.Repeat("reason ", 200)), Series: []Series{{Name: "x", Y: make([]float64, 200)}}},
		"categories single": {Title: "One", Categories: []string{"only"}, Series: []Series{{Name: "x", Y: []float64{7}}}},
	}
	return m
}

func minutes(t0 time.Time, n int) []time.Time {
	ts := make([]time.Time, n)
	for i := range ts {
		ts[i] = t0.Add(time.Duration(i) * time.Minute)
	}
	return ts
}

func manySeries(n int, xs []time.Time) []Series {
	var ss []Series
	for i := 0; i < n; i++ {
		y := make([]float64, len(xs))
		for j := range y {
			y[j] = float64(i + j%3)
		}
		ss = append(ss, Series{Name: "series " + itoa(i), X: xs, Y: y})
	}
	return ss
}

func TestChartEdgeCases(t *testing.T) {
	for name, c := range edgeCharts() {
		t.Run(name, func(t *testing.T) {
			for _, sz := range [][2]int{{600, 300}, {MinSize, MinSize}, {2000, 120}} {
				var buf bytes.Buffer
				if err := c.SVG(&buf, float64(sz[0]), float64(sz[1])); err != nil {
					t.Fatalf("SVG %v: %v", sz, err)
				}
				svgTexts(t, buf.Bytes())
				if sz[0] > 600 {
					// The same layout as the SVG; rasterising it again
					// only costs time under -race.
					continue
				}
				buf.Reset()
				if err := c.PNG(&buf, sz[0], sz[1]); err != nil {
					t.Fatalf("PNG %v: %v", sz, err)
				}
				checkPNG(t, buf.Bytes(), sz[0], sz[1])
			}
		})
	}
}

func TestUnicodeSurvivesInSVG(t *testing.T) {
	c := edgeCharts()["unicode"]
	var buf bytes.Buffer
	if err := c.SVG(&buf, 600, 300); err != nil {
		t.Fatal(err)
	}
	texts := svgTexts(t, buf.Bytes())
	for _, want := range []string{"Coût € — Zoë", "Coût €", "Zoë"} {
		if !hasText(texts, want) {
			t.Errorf("no text %q", want)
		}
	}
	if !strings.Contains(strings.Join(texts, " "), "漢字 😀") {
		t.Error("CJK and emoji should reach the SVG for the viewer's fonts to draw")
	}
}

func edgeHeatmaps() map[string]Heatmap {
	nan := math.NaN()
	full := hourOfWeek()
	return map[string]Heatmap{
		"zero value":   {},
		"labels only":  {Title: "Labels", Rows: full.Rows, Cols: full.Cols},
		"values only":  {Values: [][]float64{{1, 2}, {3, 4}}},
		"all nan":      {Title: "NaN", Rows: []string{"a"}, Cols: []string{"x", "y"}, Values: [][]float64{{nan, nan}}},
		"all zero":     {Title: "Zero", Rows: full.Rows, Cols: full.Cols, Values: make([][]float64, 7)},
		"single cell":  {Title: "One", Rows: []string{"Mon"}, Cols: []string{"00"}, Values: [][]float64{{5}}},
		"ragged":       {Title: "Ragged", Rows: []string{"a", "b"}, Cols: []string{"x"}, Values: [][]float64{{1, 2, 3}, {}, {4}}},
		"inf":          {Title: "Inf", Rows: []string{"a"}, Cols: []string{"x", "y", "z"}, Values: [][]float64{{math.Inf(1), 1, math.Inf(-1)}}},
		"big values":   {Title: "Big", Rows: []string{"a"}, Cols: []string{"x", "y"}, Values: [][]float64{{123456789, 2.5}}},
		"long labels":  {Title: longTitle, Rows: []string{longTitle, unbroken}, Cols: []string{weird, longTitle}, Values: [][]float64{{1, 2}, {3, 4}}},
		"huge grid":    {Title: "Minutes of the week", Values: bigGrid(7, 1440)},
		"negative":     {Title: "Delta", Rows: []string{"a"}, Cols: []string{"x", "y"}, Values: [][]float64{{-3, 3}}},
		"hour of week": full,
	}
}

func bigGrid(r, c int) [][]float64 {
	g := make([][]float64, r)
	for i := range g {
		g[i] = make([]float64, c)
		for j := range g[i] {
			g[i][j] = float64((i * j) % 17)
		}
	}
	return g
}

func TestHeatmapEdgeCases(t *testing.T) {
	for name, h := range edgeHeatmaps() {
		t.Run(name, func(t *testing.T) {
			for _, sz := range [][2]int{{600, 260}, {MinSize, MinSize}} {
				var buf bytes.Buffer
				if err := h.SVG(&buf, float64(sz[0]), float64(sz[1])); err != nil {
					t.Fatalf("SVG: %v", err)
				}
				svgTexts(t, buf.Bytes())
				buf.Reset()
				if err := h.PNG(&buf, sz[0], sz[1]); err != nil {
					t.Fatalf("PNG: %v", err)
				}
				checkPNG(t, buf.Bytes(), sz[0], sz[1])
			}
		})
	}
}

func TestTableEdgeCasesCSV(t *testing.T) {
	for name, tbl := range edgeTables() {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := tbl.CSV(&buf); err != nil {
				t.Fatal(err)
			}
			recs, err := csvRead(buf.String())
			if err != nil {
				t.Fatalf("CSV does not parse: %v", err)
			}
			for _, r := range recs {
				for _, c := range r {
					if c != "" && strings.ContainsRune("=+-@", rune(c[0])) {
						t.Errorf("cell %q not neutralised", c)
					}
				}
			}
		})
	}
}

func edgeTables() map[string]Table {
	wide := Table{Title: "Wide"}
	for i := 0; i < 16; i++ {
		wide.Columns = append(wide.Columns, "Column "+itoa(i))
	}
	for r := 0; r < 5; r++ {
		var row []string
		for i := 0; i < 16; i++ {
			row = append(row, strings.Repeat("x", r*i))
		}
		wide.Rows = append(wide.Rows, row)
	}
	return map[string]Table{
		"zero value":    {},
		"no rows":       {Title: "Nothing", Columns: []string{"a", "b"}, Note: "No checkouts in the period."},
		"no columns":    {Title: "Headless", Rows: [][]string{{"a", "b"}, {"c"}}},
		"ragged":        {Title: "Ragged", Columns: []string{"a"}, Rows: [][]string{{"1", "2", "3"}, {}, {"4"}}},
		"long cell":     {Title: longTitle, Columns: []string{"What", longTitle}, Rows: [][]string{{unbroken, strings.Repeat(longTitle, 20)}}, Note: longTitle},
		"unicode":       {Title: weird, Columns: []string{weird, "Coût €"}, Rows: [][]string{{weird, "=1+1"}, {"Zoë", "-2"}}, Note: weird},
		"wide":          wide,
		"giant cell":    {Title: "Giant", Columns: []string{"text"}, Rows: [][]string{{strings.Repeat("word ", 20000)}}},
		"numbers":       {Title: "Numbers", Columns: []string{"n", "cost", "share"}, Rows: [][]string{{"1", "€1,200.50", "12%"}, {"-3", "—", "n/a"}}},
		"empty strings": {Title: "", Columns: []string{"", ""}, Rows: [][]string{{"", ""}}},
	}
}

func TestPDFEdgeCases(t *testing.T) {
	charts := edgeCharts()
	heat := edgeHeatmaps()
	tables := edgeTables()
	var secs []Section
	for _, name := range []string{"no series", "nan and inf", "long text", "control chars", "categories long", "single point"} {
		secs = append(secs, Section{Title: name, Charts: []Chart{charts[name]}})
	}
	for _, name := range []string{"zero value", "all nan", "ragged", "long labels"} {
		secs = append(secs, Section{Title: "heatmap " + name, Heatmaps: []Heatmap{heat[name]}})
	}
	for name, tbl := range tables {
		secs = append(secs, Section{Title: "table " + name, Tables: []Table{tbl}})
	}
	secs = append(secs,
		Section{},
		Section{Title: longTitle, Paragraphs: []string{"", weird, unbroken, strings.Repeat(longTitle, 10), "line one\nline two"}},
		Section{Title: unbroken},
	)
	for name, p := range map[string]Pack{
		"zero value":     {},
		"only title":     {Title: "Pack"},
		"unicode":        {Title: weird, Subtitle: weird, Footer: weird, Generated: time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("CET", 3600))},
		"long":           {Title: longTitle, Subtitle: longTitle, Footer: longTitle, Sections: secs},
		"empty sections": {Title: "Empty", Sections: make([]Section, 5)},
	} {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := p.PDF(&buf); err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(buf.Bytes(), []byte("%PDF-")) {
				t.Fatalf("not a PDF: %q", head(buf.Bytes()))
			}
			if n := pdfPages(buf.Bytes()); n < 1 {
				t.Fatalf("%d pages", n)
			}
		})
	}
}
