package render

import (
	"image/color"
	"strings"
	"unicode"
	"unicode/utf8"

	xfont "golang.org/x/image/font"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

const ellipsis = "…"

// clean makes s safe to draw on one line and to write into XML: invalid
// UTF-8 becomes U+FFFD, tabs and line breaks become spaces, other control
// and format characters are dropped, and runs of spaces are collapsed.
// XML 1.0 cannot carry most control characters at all, and a stray one
// from imported data must not make a whole SVG unreadable.
func clean(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for i, w := 0, 0; i < len(s); i += w {
		r, n := utf8.DecodeRuneInString(s[i:])
		w = n
		switch {
		case r == utf8.RuneError && n == 1:
			r = unicode.ReplacementChar
		case r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f' || r == 0x85 || r == 0x2028 || r == 0x2029:
			r = ' '
		case unicode.IsControl(r), r == 0xFFFE, r == 0xFFFF, unicode.Is(unicode.Cs, r):
			continue
		case unicode.Is(unicode.Cf, r) && r != 0x200C && r != 0x200D:
			// Format characters are invisible; bidirectional overrides
			// among them can make a label read as something else. Zero
			// width (non-)joiners stay, as some scripts and emoji need them.
			continue
		}
		if r == ' ' {
			if space {
				continue
			}
			space = true
		} else {
			space = false
		}
		b.WriteRune(r)
	}
	return strings.TrimSpace(b.String())
}

// Colours. Series use the Okabe–Ito palette, which stays distinguishable
// for readers with the common forms of colour blindness and in greyscale
// print better than the usual rainbow palettes.
var (
	seriesColors = []color.Color{
		rgb(0x0072B2), // blue
		rgb(0xE69F00), // orange
		rgb(0x009E73), // bluish green
		rgb(0xD55E00), // vermillion
		rgb(0xCC79A7), // reddish purple
		rgb(0x56B4E9), // sky blue
		rgb(0x222222), // near black
		rgb(0xB8A200), // dark yellow (Okabe–Ito yellow is too light for lines)
	}
	// seriesDashes are cycled once the colours run out, so that a ninth
	// series does not look like the first.
	seriesDashes = [][]vg.Length{
		nil,
		{vg.Points(5), vg.Points(3)},
		{vg.Points(1.5), vg.Points(2)},
	}

	inkColor     = rgb(0x1F2328) // titles
	textColor    = rgb(0x3B4048) // labels
	mutedColor   = rgb(0x6A717B) // captions, tick labels
	axisColor    = rgb(0x9AA0A6)
	gridColor    = rgb(0xE3E6EA)
	markColor    = rgb(0x4A4F57)
	noDataColor  = rgb(0xEDEFF2)
	hatchColor   = rgb(0xC9CED4)
	labelBgColor = color.NRGBA{R: 255, G: 255, B: 255, A: 215}
)

func rgb(v uint32) color.NRGBA {
	return color.NRGBA{R: uint8(v >> 16), G: uint8(v >> 8), B: uint8(v), A: 255}
}

// tint mixes c with white; frac is the share of c. It gives a light fill
// under a single line without relying on transparency.
func tint(c color.Color, frac float64) color.Color {
	r, g, b, _ := c.RGBA()
	mix := func(v uint32) uint8 {
		return uint8(float64(v>>8)*frac + 255*(1-frac) + 0.5)
	}
	return color.NRGBA{R: mix(r), G: mix(g), B: mix(b), A: 255}
}

func seriesStyle(i int) (color.Color, []vg.Length) {
	c := seriesColors[i%len(seriesColors)]
	d := seriesDashes[(i/len(seriesColors))%len(seriesDashes)]
	return c, d
}

// Type sizes in points. The chart text is sized for a chart about 600
// points wide, which is both a typical web size and the width of a chart in
// the PDF.
const (
	titleSize  = 13
	labelSize  = 10
	tickSize   = 9
	legendSize = 9.5
	markSize   = 8.5
	smallSize  = 8
)

// sans returns a Liberation Sans text style. Liberation Sans is metrically
// compatible with Arial and Helvetica, so SVG viewers that lack it still
// lay the text out at the same widths (see svgFontFamily).
func sans(size float64, bold bool, c color.Color) text.Style {
	f := font.Font{Typeface: "Liberation", Variant: "Sans", Size: vg.Points(size)}
	if bold {
		f.Weight = xfont.WeightBold
	}
	return text.Style{
		Color:   c,
		Font:    f,
		XAlign:  draw.XLeft,
		YAlign:  draw.YBottom,
		Handler: plot.DefaultTextHandler,
	}
}

// truncate shortens s with an ellipsis so that it is at most max wide.
func truncate(sty text.Style, s string, max vg.Length) string {
	if max <= 0 {
		return ""
	}
	if sty.Width(s) <= max {
		return s
	}
	r := []rune(s)
	// Binary search for the longest prefix that fits with the ellipsis.
	lo, hi := 0, len(r)
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if sty.Width(strings.TrimRight(string(r[:mid]), " ")+ellipsis) <= max {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	if lo == 0 {
		if sty.Width(ellipsis) <= max {
			return ellipsis
		}
		return ""
	}
	return strings.TrimRight(string(r[:lo]), " ") + ellipsis
}

// wrap breaks s into lines no wider than max, at spaces where possible and
// inside a word when the word alone is too wide. At most maxLines lines are
// returned; if text is left over the last line ends with an ellipsis.
func wrap(s string, max float64, maxLines int, width func(string) float64) []string {
	if s == "" || maxLines <= 0 || max <= 0 {
		return nil
	}
	var lines []string
	cur := ""
	flush := func() {
		lines = append(lines, cur)
		cur = ""
	}
	for _, word := range strings.Fields(s) {
		cand := word
		if cur != "" {
			cand = cur + " " + word
		}
		if width(cand) <= max {
			cur = cand
			continue
		}
		if cur != "" {
			flush()
		}
		// Break a word that is too long by itself.
		for width(word) > max {
			r := []rune(word)
			n := 1
			for n < len(r) && width(string(r[:n+1])) <= max {
				n++
			}
			lines = append(lines, string(r[:n]))
			word = string(r[n:])
		}
		cur = word
	}
	if cur != "" {
		flush()
	}
	if len(lines) > maxLines {
		last := strings.Join(lines[maxLines-1:], " ")
		lines = append(lines[:maxLines-1], fitEllipsis(last, max, width))
	}
	return lines
}

// fitEllipsis shortens s so that s+"…" fits in max.
func fitEllipsis(s string, max float64, width func(string) float64) string {
	r := []rune(s)
	lo, hi := 0, len(r)
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if width(strings.TrimRight(string(r[:mid]), " ")+ellipsis) <= max {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return strings.TrimRight(string(r[:lo]), " ") + ellipsis
}

// fitLine returns s, or s shortened with an ellipsis if it is wider than
// max.
func fitLine(s string, max float64, width func(string) float64) string {
	if width(s) <= max {
		return s
	}
	return fitEllipsis(s, max, width)
}

func styleWidth(sty text.Style) func(string) float64 {
	return func(s string) float64 { return sty.Width(s).Points() }
}

// lineHeight is the distance between baselines of lines in sty.
func lineHeight(sty text.Style) vg.Length {
	return sty.Font.Size * 1.2
}

// fillBaseline draws one line of s with its baseline at y. gonum's plain
// text handler positions a bottom-aligned line by an offset that depends on
// the font, so the offset is undone here to place text exactly.
func fillBaseline(c draw.Canvas, sty text.Style, x, y vg.Length, s string) {
	if s == "" {
		return
	}
	sty.YAlign = draw.YBottom
	ext := sty.FontExtents()
	c.FillText(sty, vg.Point{X: x, Y: y + ext.Ascent - sty.Font.Size}, s)
}

// fillLines draws lines top-down with the top of the first line at top and
// returns the height used.
func fillLines(c draw.Canvas, sty text.Style, x, top vg.Length, lines []string) vg.Length {
	lh := lineHeight(sty)
	ext := sty.FontExtents()
	pad := (lh - ext.Ascent - ext.Descent) / 2
	y := top
	for _, l := range lines {
		y -= lh
		fillBaseline(c, sty, x, y+pad+ext.Descent, l)
	}
	return top - y
}
