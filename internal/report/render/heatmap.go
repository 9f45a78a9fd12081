package render

import (
	"image/color"
	"io"
	"math"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// SVG writes the heatmap as a standalone SVG document width×height points
// in size, with <text> labels, like Chart.SVG.
func (h Heatmap) SVG(w io.Writer, width, height float64) error {
	return writeSVG(w, width, height, h.Title, h.draw)
}

// PNG writes the heatmap as a width×height pixel PNG laid out at 96 pixels
// per inch, like Chart.PNG.
func (h Heatmap) PNG(w io.Writer, width, height int) error {
	return writePNG(w, width, height, pngDPI, h.draw)
}

// heatStops is ColorBrewer's sequential "Blues" scheme without its
// near-white first class, so that the lowest value is still visibly a
// value and cannot be confused with the background or with a missing cell.
var heatStops = []color.NRGBA{
	rgb(0xDEEBF7), rgb(0xC6DBEF), rgb(0x9ECAE1), rgb(0x6BAED6),
	rgb(0x4292C6), rgb(0x2171B5), rgb(0x08519C), rgb(0x08306B),
}

// heatColor maps f in [0, 1] onto heatStops.
func heatColor(f float64) color.NRGBA {
	if !(f > 0) {
		return heatStops[0]
	}
	if f >= 1 {
		return heatStops[len(heatStops)-1]
	}
	pos := f * float64(len(heatStops)-1)
	i := int(pos)
	t := pos - float64(i)
	a, b := heatStops[i], heatStops[i+1]
	mix := func(x, y uint8) uint8 { return uint8(float64(x)*(1-t) + float64(y)*t + 0.5) }
	return color.NRGBA{R: mix(a.R, b.R), G: mix(a.G, b.G), B: mix(a.B, b.B), A: 255}
}

// isDark says whether white text reads better than dark text on c.
func isDark(c color.NRGBA) bool {
	lum := 0.2126*float64(c.R) + 0.7152*float64(c.G) + 0.0722*float64(c.B)
	return lum < 140
}

// grid returns the heatmap's cells as a full rectangle, NaN where a value
// is missing, with its row and column labels padded to match.
func (h Heatmap) grid() (rows, cols []string, vals [][]float64) {
	nr, nc := len(h.Rows), len(h.Cols)
	nr = max(nr, len(h.Values))
	for _, r := range h.Values {
		nc = max(nc, len(r))
	}
	rows = make([]string, nr)
	for i := range rows {
		if i < len(h.Rows) {
			rows[i] = clean(h.Rows[i])
		}
	}
	cols = make([]string, nc)
	for j := range cols {
		if j < len(h.Cols) {
			cols[j] = clean(h.Cols[j])
		}
	}
	vals = make([][]float64, nr)
	for i := range vals {
		vals[i] = make([]float64, nc)
		for j := range vals[i] {
			v := math.NaN()
			if i < len(h.Values) && j < len(h.Values[i]) && finite(h.Values[i][j]) {
				v = h.Values[i][j]
			}
			vals[i][j] = v
		}
	}
	return rows, cols, vals
}

// draw lays out title, row labels (left), column labels (below), the
// cells and a colour scale (right).
func (h Heatmap) draw(dc draw.Canvas) {
	paintBackground(dc)
	area := draw.Crop(dc, chartPad, -chartPad, chartPad, -chartPad)
	if t := clean(h.Title); t != "" {
		sty := sans(titleSize, true, inkColor)
		lines := wrap(t, area.Size().X.Points(), titleLines(area), styleWidth(sty))
		used := fillLines(area, sty, area.Min.X, area.Max.Y, lines)
		area.Max.Y -= used + titleGap
	}
	rows, cols, vals := h.grid()
	if len(rows) == 0 || len(cols) == 0 {
		sty := sans(labelSize, false, mutedColor)
		sty.XAlign, sty.YAlign = draw.XCenter, draw.YCenter
		area.FillText(sty, area.Center(), "No data")
		return
	}

	lo, hi := math.Inf(1), math.Inf(-1)
	var all []float64
	for _, r := range vals {
		for _, v := range r {
			if !math.IsNaN(v) {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
				all = append(all, v)
			}
		}
	}
	// The scale starts at zero, like a chart's value axis, so that a
	// quiet hour looks quiet even when every hour was busy.
	lo, hi = math.Min(lo, 0), math.Max(hi, 0)
	if len(all) == 0 {
		lo, hi = 0, 0
	}
	shadeHi := hi
	if shadeHi == lo {
		shadeHi = lo + 1
	}
	vf := formatValues(all)

	lab := sans(tickSize, false, mutedColor)
	ext := lab.FontExtents()
	lh := lineHeight(lab)

	// Colour scale on the right: a bar and its end labels.
	const barW, barGap = vg.Length(10), vg.Length(12)
	scaleLabelW := max(lab.Width(vf.format(min(lo, 0))), lab.Width(vf.format(max(hi, 1))))
	scaleW := barGap + barW + 4 + scaleLabelW
	if len(all) == 0 {
		scaleW = 0
	}

	rowLabelW := vg.Length(0)
	for _, r := range rows {
		rowLabelW = max(rowLabelW, lab.Width(r))
	}
	rowLabelW = min(rowLabelW, area.Size().X*0.3)
	if rowLabelW > 0 {
		rowLabelW += 6
	}
	colLabelH := lh + 4

	gx0 := area.Min.X + rowLabelW
	gx1 := area.Max.X - scaleW
	gy0 := area.Min.Y + colLabelH
	gy1 := area.Max.Y
	if gx1 <= gx0 || gy1 <= gy0 {
		return
	}
	cw := (gx1 - gx0) / vg.Length(len(cols))
	ch := (gy1 - gy0) / vg.Length(len(rows))
	// White gaps separate cells, unless cells are so thin that gaps would
	// only add stripes.
	gap := min(vg.Length(1.5), cw*0.1, ch*0.1)
	if cw < 4 || ch < 4 {
		gap = 0
	}

	// Value labels go inside the cells only if every one of them fits.
	valSty := sans(math.Min(8.5, ch.Points()*0.45), false, inkColor)
	showVals := valSty.Font.Size >= 5.5
	for _, v := range all {
		if !showVals {
			break
		}
		if valSty.Width(vf.format(v)) > cw-2*gap-2 {
			showVals = false
		}
	}
	vext := valSty.FontExtents()

	hatch := draw.LineStyle{Color: hatchColor, Width: 0.6}
	for i, r := range vals {
		y1 := gy1 - vg.Length(i)*ch
		y0 := y1 - ch
		for j, v := range r {
			x0 := gx0 + vg.Length(j)*cw
			cell := vg.Rectangle{Min: vg.Point{X: x0 + gap/2, Y: y0 + gap/2}, Max: vg.Point{X: x0 + cw - gap/2, Y: y1 - gap/2}}
			if math.IsNaN(v) {
				area.FillPolygon(noDataColor, rectPoly(cell))
				// One diagonal stroke: missing, not zero.
				area.StrokeLine2(hatch, cell.Min.X, cell.Min.Y, cell.Max.X, cell.Max.Y)
				continue
			}
			f := (v - lo) / (shadeHi - lo)
			col := heatColor(f)
			area.FillPolygon(col, rectPoly(cell))
			if showVals {
				s := vf.format(v)
				sty := valSty
				if isDark(col) {
					sty.Color = color.White
				}
				tx := x0 + (cw-sty.Width(s))/2
				base := y0 + (ch-vext.Ascent-vext.Descent)/2 + vext.Descent
				fillBaseline(area, sty, tx, base, s)
			}
		}
	}

	// Row labels, right-aligned against the grid; thinned out if rows are
	// too short for every label.
	rowStep := int(math.Ceil(float64((lh) / max(ch, 0.01))))
	rowStep = max(rowStep, 1)
	for i, r := range rows {
		if i%rowStep != 0 || r == "" {
			continue
		}
		s := truncate(lab, r, rowLabelW-6)
		y0 := gy1 - vg.Length(i+1)*ch
		base := y0 + (ch-ext.Ascent-ext.Descent)/2 + ext.Descent
		fillBaseline(area, lab, gx0-6-lab.Width(s), base, s)
	}

	// Column labels, centred under their column, every k-th if they would
	// otherwise collide (24 hours fit at ordinary sizes).
	widest := vg.Length(0)
	for _, c := range cols {
		widest = max(widest, lab.Width(c))
	}
	// Short labels such as hours are thinned out; long ones are shortened
	// to their column instead, as skipping them would lose names.
	colStep := max(1, int(math.Ceil(float64((widest+4)/max(cw, 0.01)))))
	if colStep > 4 && widest > 4*lab.Width("00") {
		colStep = 1
	}
	for j, c := range cols {
		if j%colStep != 0 || c == "" {
			continue
		}
		s := truncate(lab, c, cw*vg.Length(colStep)-2)
		x := gx0 + vg.Length(j)*cw + (cw-lab.Width(s))/2
		fillBaseline(area, lab, x, gy0-4-ext.Ascent, s)
	}

	// Colour scale.
	if scaleW > 0 {
		bx := gx1 + barGap
		const steps = 48
		sh := (gy1 - gy0) / steps
		for k := 0; k < steps; k++ {
			y := gy0 + vg.Length(k)*sh
			r := vg.Rectangle{Min: vg.Point{X: bx, Y: y}, Max: vg.Point{X: bx + barW, Y: y + sh + 0.3}}
			area.FillPolygon(heatColor((float64(k)+0.5)/steps), rectPoly(r))
		}
		fillBaseline(area, lab, bx+barW+4, gy1-ext.Ascent, vf.format(shadeHi))
		fillBaseline(area, lab, bx+barW+4, gy0+ext.Descent, vf.format(lo))
	}
}
