package render

import (
	"bytes"
	"fmt"
	"image/color"
	"image/png"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"

	"codeberg.org/go-fonts/liberation/liberationsansbold"
	"codeberg.org/go-fonts/liberation/liberationsansitalic"
	"codeberg.org/go-fonts/liberation/liberationsansregular"
	"github.com/go-pdf/fpdf"
	"golang.org/x/image/font/sfnt"
	"gonum.org/v1/plot/vg/draw"
)

// PDF layout, in millimetres on A4 portrait.
const (
	pageMarginX   = 18.0
	pageMarginTop = 18.0
	pageMarginBot = 20.0
	chartAspect   = 0.5  // chart height / width
	heatAspect    = 0.42 // heatmap height / width
	// pdfImageDPI is the resolution of charts embedded in the PDF: twice
	// the screen resolution, sharp on paper and when zoomed, while a chart
	// stays around 100 KB.
	pdfImageDPI = 192
	fontFamily  = "LiberationSans"
	// pngLevelPDF trades a slightly larger PDF for much faster encoding:
	// fpdf copies the PNG's compressed data into the PDF as it is.
	pngLevelPDF = png.BestSpeed
	mmPerPt     = 25.4 / 72
)

// PDF writes the pack as an A4 portrait PDF.
//
// Page one opens with the title, subtitle and the generated time. Each
// section follows with its heading (also a bookmark in the viewer's
// outline), paragraphs, charts, heatmaps and tables, starting a new page
// when a heading, chart or the start of a table would not fit. Charts and
// heatmaps are embedded as PNG images rendered at 192 DPI. Tables span the
// text width, wrap long cells, right-align numeric columns and break across
// pages with their header row repeated. Every page carries the Footer and
// "Page n of N"; pages after the first repeat the pack title at the top.
//
// Text is set in Liberation Sans embedded as a UTF-8 subset, so accents,
// € and most European scripts print as written; characters the font lacks
// (such as CJK or emoji) print as "?". When Generated is set it is also the
// PDF's creation date, so the document's metadata does not depend on when
// it was rendered.
func (p Pack) PDF(w io.Writer) error {
	var out bytes.Buffer
	err := safely(func() {
		d := newPDFDoc(p)
		d.titleBlock(p)
		for _, s := range p.Sections {
			d.section(s)
			if d.err != nil {
				return
			}
		}
		if d.err != nil {
			return
		}
		d.err = d.f.Output(&out)
	})
	if err != nil {
		return err
	}
	_, err = w.Write(out.Bytes())
	return err
}

type pdfDoc struct {
	f     *fpdf.Fpdf
	err   error
	cover *fontCover
	nimg  int
	pageW float64
	pageH float64
	textW float64
}

func newPDFDoc(p Pack) *pdfDoc {
	f := fpdf.New("P", "mm", "A4", "")
	d := &pdfDoc{f: f, cover: newFontCover()}
	d.pageW, d.pageH = f.GetPageSize()
	d.textW = d.pageW - 2*pageMarginX

	f.SetCatalogSort(true)
	if !p.Generated.IsZero() {
		f.SetCreationDate(p.Generated)
		f.SetModificationDate(p.Generated)
	}
	f.SetTitle(d.text(p.Title), true)
	f.SetSubject(d.text(p.Subtitle), true)
	f.SetCreator("Seatkeeper", true)
	f.SetProducer("Seatkeeper", true)
	f.AddUTF8FontFromBytes(fontFamily, "", liberationsansregular.TTF)
	f.AddUTF8FontFromBytes(fontFamily, "B", liberationsansbold.TTF)
	f.AddUTF8FontFromBytes(fontFamily, "I", liberationsansitalic.TTF)
	f.SetMargins(pageMarginX, pageMarginTop, pageMarginX)
	f.SetAutoPageBreak(true, pageMarginBot)
	f.SetCellMargin(0)
	f.AliasNbPages("{nb}")

	title := d.text(p.Title)
	f.SetHeaderFuncMode(func() {
		if f.PageNo() == 1 || title == "" {
			return
		}
		d.font("", 7.5, mutedColor)
		f.SetXY(pageMarginX, 9)
		f.CellFormat(d.textW, 4, fitLine(title, d.textW, f.GetStringWidth), "", 0, "L", false, 0, "")
	}, true)
	footer := d.text(p.Footer)
	f.SetFooterFunc(func() {
		y := d.pageH - 13
		f.SetDrawColor(0xD0, 0xD4, 0xD9)
		f.SetLineWidth(0.2)
		f.Line(pageMarginX, y, d.pageW-pageMarginX, y)
		d.font("", 7.5, mutedColor)
		page := fmt.Sprintf("Page %d of {nb}", f.PageNo())
		pw := f.GetStringWidth(page)
		if footer != "" {
			f.SetXY(pageMarginX, y+1.5)
			max := d.textW - pw - 6
			f.CellFormat(max, 4, fitLine(footer, max, f.GetStringWidth), "", 0, "L", false, 0, "")
		}
		f.SetXY(d.pageW-pageMarginX-pw-2, y+1.5)
		f.CellFormat(pw+2, 4, page, "", 0, "R", false, 0, "")
	})
	d.font("", 10, textColor)
	f.AddPage()
	return d
}

// text prepares one line of user text for the PDF.
func (d *pdfDoc) text(s string) string { return d.cover.filter(clean(s)) }

// font selects Liberation Sans in style "", "B" or "I" at size points.
func (d *pdfDoc) font(style string, size float64, c color.Color) {
	d.f.SetFont(fontFamily, style, size)
	r, g, b, _ := c.RGBA()
	d.f.SetTextColor(int(r>>8), int(g>>8), int(b>>8))
}

// lineH is the line height in mm for type of size points.
func lineH(size float64) float64 { return size * mmPerPt * 1.3 }

func (d *pdfDoc) bottom() float64 { return d.pageH - pageMarginBot }

// room starts a new page unless h mm fit below the current position. It
// reports whether it did.
func (d *pdfDoc) room(h float64) bool {
	if d.f.GetY()+h <= d.bottom() || d.atTop() {
		return false
	}
	d.f.AddPage()
	return true
}

func (d *pdfDoc) atTop() bool { return d.f.GetY() <= pageMarginTop+0.5 }

// lines writes wrapped lines at the left margin.
func (d *pdfDoc) lines(ls []string, lh float64) {
	for _, l := range ls {
		d.room(lh)
		d.f.SetX(pageMarginX)
		d.f.CellFormat(d.textW, lh, l, "", 1, "L", false, 0, "")
	}
}

func (d *pdfDoc) rule(c color.NRGBA, width float64) {
	y := d.f.GetY()
	d.f.SetDrawColor(int(c.R), int(c.G), int(c.B))
	d.f.SetLineWidth(width)
	d.f.Line(pageMarginX, y, d.pageW-pageMarginX, y)
}

func (d *pdfDoc) titleBlock(p Pack) {
	f := d.f
	if t := d.text(p.Title); t != "" {
		d.font("B", 22, inkColor)
		d.lines(wrap(t, d.textW, 4, f.GetStringWidth), lineH(22))
	}
	if s := d.text(p.Subtitle); s != "" {
		f.Ln(1)
		d.font("", 12, textColor)
		d.lines(wrap(s, d.textW, 4, f.GetStringWidth), lineH(12))
	}
	if !p.Generated.IsZero() {
		f.Ln(1.5)
		d.font("", 9, mutedColor)
		d.lines([]string{d.text("Generated " + p.Generated.Format("2 January 2006, 15:04 MST"))}, lineH(9))
	}
	f.Ln(3)
	d.rule(rgb(0x0072B2), 0.6)
	f.Ln(5)
}

func (d *pdfDoc) section(s Section) {
	f := d.f
	title := d.text(s.Title)
	d.font("B", 15, inkColor)
	heading := wrap(title, d.textW, 3, f.GetStringWidth)
	hh := float64(len(heading)) * lineH(15)
	if !d.atTop() {
		f.Ln(4)
	}
	// Keep the heading with at least the start of what follows.
	d.room(hh + 30)
	if title != "" {
		f.Bookmark(title, 0, -1)
	}
	d.lines(heading, lineH(15))
	if len(heading) > 0 {
		f.Ln(1)
		d.rule(rgb(0xD0D4D9), 0.3)
		f.Ln(3)
	}

	d.font("", 10, textColor)
	for _, para := range s.Paragraphs {
		for _, line := range strings.Split(para, "\n") {
			d.lines(wrap(d.text(line), d.textW, math.MaxInt, f.GetStringWidth), lineH(10))
		}
		f.Ln(2)
	}
	for _, c := range s.Charts {
		d.image(c.draw, chartAspect)
	}
	for _, h := range s.Heatmaps {
		d.image(h.draw, heatAspect)
	}
	for _, t := range s.Tables {
		d.table(t)
	}
}

// image renders a chart or heatmap at text width and embeds it as PNG.
func (d *pdfDoc) image(drawFn func(draw.Canvas), aspect float64) {
	if d.err != nil {
		return
	}
	// The drawing has its own white margin; let it overhang the text
	// margins so that its content lines up with the text.
	padmm := chartPad.Points() * mmPerPt
	wmm := d.textW + 2*padmm
	hmm := d.textW * aspect
	px := int(math.Round(wmm / 25.4 * pdfImageDPI))
	py := int(math.Round(hmm / 25.4 * pdfImageDPI))
	var buf bytes.Buffer
	if err := writePNGLevel(&buf, px, py, pdfImageDPI, pngLevelPDF, drawFn); err != nil {
		d.err = err
		return
	}
	d.room(hmm + 2)
	d.nimg++
	name := "img" + strconv.Itoa(d.nimg)
	opt := fpdf.ImageOptions{ImageType: "PNG"}
	d.f.RegisterImageOptionsReader(name, opt, &buf)
	y := d.f.GetY()
	d.f.ImageOptions(name, pageMarginX-padmm, y, wmm, hmm, false, opt, 0, "")
	d.f.SetY(y + hmm + 4)
}

// Table layout.
const (
	cellPadX = 1.6
	cellPadY = 1.1
	// maxCellLines bounds one cell's wrapped text (about six pages); the
	// rest is cut with an ellipsis, so that one runaway value cannot turn
	// a report into a book.
	maxCellLines = 400
)

func (d *pdfDoc) table(t Table) {
	f := d.f
	ncol := len(t.Columns)
	for _, r := range t.Rows {
		ncol = max(ncol, len(r))
	}
	title := d.text(t.Title)
	titleLines := func(cont bool) {
		if title == "" {
			return
		}
		if cont {
			d.font("I", 8, mutedColor)
			d.lines([]string{fitLine(title, d.textW-30, f.GetStringWidth) + " (continued)"}, lineH(8))
			f.Ln(0.5)
			return
		}
		d.font("B", 10.5, inkColor)
		d.lines(wrap(title, d.textW, 3, f.GetStringWidth), lineH(10.5))
		f.Ln(1)
	}
	if ncol == 0 {
		d.room(lineH(10.5) + lineH(9) + 4)
		titleLines(false)
		d.font("I", 9, mutedColor)
		d.lines([]string{"No data"}, lineH(9))
		d.note(t.Note)
		f.Ln(3)
		return
	}

	size := 8.5
	switch {
	case ncol > 10:
		size = 6.5
	case ncol > 7:
		size = 7.5
	}
	lh := lineH(size) * 0.95
	cell := func(r []string, i int) string {
		if i < len(r) {
			return d.text(r[i])
		}
		return ""
	}
	header := make([]string, ncol)
	for i := range header {
		header[i] = cell(t.Columns, i)
	}
	body := make([][]string, len(t.Rows))
	for i, r := range t.Rows {
		body[i] = make([]string, ncol)
		for j := range body[i] {
			body[i][j] = cell(r, j)
		}
	}
	widths := d.columnWidths(header, body, size)
	numeric := make([]bool, ncol)
	for j := range numeric {
		numeric[j] = numericColumn(body, j)
	}

	d.font("B", size, inkColor)
	headerLines := make([][]string, ncol)
	headerN := 1
	for j, h := range header {
		headerLines[j] = wrap(h, widths[j]-2*cellPadX, 4, f.GetStringWidth)
		headerN = max(headerN, len(headerLines[j]))
	}
	headerH := float64(headerN)*lh + 2*cellPadY
	if len(t.Columns) == 0 {
		headerH = 0
	}

	drawHeader := func() {
		if headerH == 0 {
			return
		}
		y := f.GetY()
		f.SetFillColor(0xE8, 0xEC, 0xF1)
		f.Rect(pageMarginX, y, d.textW, headerH, "F")
		d.font("B", size, inkColor)
		x := pageMarginX
		for j := range header {
			align := "L"
			if numeric[j] {
				align = "R"
			}
			for k, l := range headerLines[j] {
				f.SetXY(x+cellPadX, y+cellPadY+float64(k)*lh)
				f.CellFormat(widths[j]-2*cellPadX, lh, l, "", 0, align, false, 0, "")
			}
			x += widths[j]
		}
		f.SetDrawColor(0x9A, 0xA0, 0xA6)
		f.SetLineWidth(0.3)
		f.Line(pageMarginX, y+headerH, pageMarginX+d.textW, y+headerH)
		f.SetY(y + headerH)
	}

	d.font("", size, textColor)
	rowLines := func(r []string) ([][]string, float64) {
		ls := make([][]string, ncol)
		n := 1
		for j, c := range r {
			ls[j] = wrap(c, widths[j]-2*cellPadX, maxCellLines, f.GetStringWidth)
			n = max(n, len(ls[j]))
		}
		return ls, float64(n)*lh + 2*cellPadY
	}

	newPage := func() {
		f.AddPage()
		titleLines(true)
		drawHeader()
		d.font("", size, textColor)
	}
	// tall is the height above which a row is split across pages rather
	// than moved whole to the next one.
	tall := (d.bottom() - pageMarginTop) / 3

	// Keep the title and header with the start of the first row (or the
	// "no rows" line).
	firstH := lh + 2*cellPadY
	if len(body) > 0 {
		_, firstH = rowLines(body[0])
		firstH = min(firstH, 3*lh+2*cellPadY)
	}
	titleH := 0.0
	if title != "" {
		titleH = lineH(10.5) + 1
	}
	d.room(titleH + headerH + firstH)
	titleLines(false)
	drawHeader()

	if len(body) == 0 {
		d.font("I", size, mutedColor)
		f.SetXY(pageMarginX+cellPadX, f.GetY()+cellPadY)
		f.CellFormat(d.textW-2*cellPadX, lh, "No rows", "", 1, "L", false, 0, "")
		f.SetY(f.GetY() + cellPadY)
	}
	for i, r := range body {
		d.font("", size, textColor)
		ls, h := rowLines(r)
		if f.GetY()+h > d.bottom() && h <= tall {
			newPage()
		}
		n := int(math.Round((h - 2*cellPadY) / lh))
		for from := 0; from < n; {
			fit := int((d.bottom() - f.GetY() - 2*cellPadY) / lh)
			if fit < 1 {
				newPage()
				continue
			}
			to := min(n, from+fit)
			d.rowPart(ls, widths, numeric, from, to, lh, i%2 == 1)
			from = to
			if from < n {
				newPage()
			}
		}
	}
	d.note(t.Note)
	f.Ln(5)
}

// rowPart draws lines [from, to) of every cell of a row at the current
// position and moves below them.
func (d *pdfDoc) rowPart(ls [][]string, widths []float64, numeric []bool, from, to int, lh float64, zebra bool) {
	f := d.f
	y := f.GetY()
	h := float64(to-from)*lh + 2*cellPadY
	if zebra {
		f.SetFillColor(0xF6, 0xF7, 0xF9)
		f.Rect(pageMarginX, y, d.textW, h, "F")
	}
	x := pageMarginX
	for j, cell := range ls {
		align := "L"
		if numeric[j] {
			align = "R"
		}
		for k := from; k < to && k < len(cell); k++ {
			f.SetXY(x+cellPadX, y+cellPadY+float64(k-from)*lh)
			f.CellFormat(widths[j]-2*cellPadX, lh, cell[k], "", 0, align, false, 0, "")
		}
		x += widths[j]
	}
	f.SetDrawColor(0xE3, 0xE6, 0xEA)
	f.SetLineWidth(0.15)
	f.Line(pageMarginX, y+h, pageMarginX+d.textW, y+h)
	f.SetY(y + h)
}

func (d *pdfDoc) note(s string) {
	if n := d.text(s); n != "" {
		d.f.Ln(1.5)
		d.font("I", 8, mutedColor)
		d.lines(wrap(n, d.textW, math.MaxInt, d.f.GetStringWidth), lineH(8))
	}
}

// columnWidths shares the text width between columns the way browsers lay
// out automatic tables: every column gets at least its longest word (so
// words wrap between, not inside, where possible), then the remaining width
// goes to columns in proportion to how much more their unwrapped text
// needs. If everything fits unwrapped, columns are widened in proportion to
// fill the line.
func (d *pdfDoc) columnWidths(header []string, body [][]string, size float64) []float64 {
	f := d.f
	n := len(header)
	nat := make([]float64, n)  // widest unwrapped cell
	word := make([]float64, n) // widest single word
	wordCap := d.textW / 3
	measure := func(j int, s string) {
		if s == "" {
			return
		}
		nat[j] = max(nat[j], f.GetStringWidth(s))
		for _, w := range strings.Fields(s) {
			word[j] = max(word[j], min(f.GetStringWidth(w), wordCap))
		}
	}
	d.font("B", size, inkColor)
	for j, h := range header {
		measure(j, h)
	}
	d.font("", size, textColor)
	for _, r := range body {
		for j, c := range r {
			measure(j, c)
		}
	}
	var sumNat, sumMin float64
	for j := range nat {
		nat[j] = min(max(nat[j]+2*cellPadX, 6), d.textW)
		word[j] = min(max(word[j]+2*cellPadX, 6), nat[j])
		sumNat += nat[j]
		sumMin += word[j]
	}
	w := make([]float64, n)
	switch {
	case sumNat <= d.textW:
		for j := range w {
			w[j] = nat[j] * d.textW / sumNat
		}
	case sumMin >= d.textW:
		for j := range w {
			w[j] = word[j] * d.textW / sumMin
		}
	default:
		k := (d.textW - sumMin) / (sumNat - sumMin)
		for j := range w {
			w[j] = word[j] + (nat[j]-word[j])*k
		}
	}
	return w
}

// numericColumn reports whether every non-empty cell of column j reads as
// a number, allowing currency signs, percent, thousands separators and
// placeholders such as "—"; such columns are right-aligned so that digits
// line up.
func numericColumn(rows [][]string, j int) bool {
	seen := false
	for _, r := range rows {
		c := strings.TrimSpace(r[j])
		switch c {
		case "", "-", "—", "–", "n/a", "N/A":
			continue
		}
		if !isNumber(c) {
			return false
		}
		seen = true
	}
	return seen
}

func isNumber(s string) bool {
	s = strings.Map(func(r rune) rune {
		switch r {
		case '€', '$', '£', '¥', '%', ',', ' ', '\u00a0', '\u202f', '\'':
			return -1
		}
		return r
	}, s)
	s = strings.TrimSuffix(strings.TrimSuffix(s, "k"), "M")
	if s == "" {
		return false
	}
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}

// fontCover knows which characters Liberation Sans can draw. fpdf indexes
// its width table by rune and fails on characters outside the font, so
// text is filtered before it reaches fpdf.
type fontCover struct {
	font *sfnt.Font
	buf  sfnt.Buffer
	memo map[rune]bool
}

var parsedSans = sync.OnceValue(func() *sfnt.Font {
	f, err := sfnt.Parse(liberationsansregular.TTF)
	if err != nil {
		return nil
	}
	return f
})

func newFontCover() *fontCover {
	return &fontCover{font: parsedSans(), memo: map[rune]bool{}}
}

func (fc *fontCover) has(r rune) bool {
	if r >= ' ' && r < 0x7F {
		return true
	}
	if r > 0xFFFF || fc.font == nil {
		return false
	}
	ok, seen := fc.memo[r]
	if !seen {
		gi, err := fc.font.GlyphIndex(&fc.buf, r)
		ok = err == nil && gi != 0
		fc.memo[r] = ok
	}
	return ok
}

func (fc *fontCover) filter(s string) string {
	for _, r := range s {
		if !fc.has(r) {
			return strings.Map(func(r rune) rune {
				if fc.has(r) {
					return r
				}
				return '?'
			}, s)
		}
	}
	return s
}
