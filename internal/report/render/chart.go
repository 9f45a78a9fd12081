package render

import (
	"image/color"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// SVG writes the chart as a standalone SVG document width×height points in
// size (1pt = 1/72 in; the document has a viewBox and scales freely). All
// labels are <text> elements.
func (c Chart) SVG(w io.Writer, width, height float64) error {
	return writeSVG(w, width, height, c.Title, c.draw)
}

// PNG writes the chart as a width×height pixel PNG, laid out at 96 pixels
// per inch (a PNG 800 pixels wide matches an SVG 600 points wide).
func (c Chart) PNG(w io.Writer, width, height int) error {
	return writePNG(w, width, height, pngDPI, c.draw)
}

const (
	chartPad  = vg.Length(10)
	titleGap  = vg.Length(8)
	legendGap = vg.Length(8)
	// yAxisAllowance estimates the width taken by the value axis, to judge
	// how many time labels fit before the plot is laid out.
	yAxisAllowance = vg.Length(55)
)

type point struct{ x, y float64 }

// prepared is a chart's data, cleaned and measured.
type prepared struct {
	names  []string
	series [][]point // sorted by x; y NaN marks a gap
	loc    *time.Location
	hasX   bool
	xmin   float64
	xmax   float64
	ymin   float64 // over finite values, marks and zero
	ymax   float64
	any    bool // some finite value exists
	whole  bool // every finite value and mark is a whole number
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func (c Chart) prepare() prepared {
	pr := prepared{loc: time.UTC, xmin: math.Inf(1), xmax: math.Inf(-1)}
	locSet := false
	for i, s := range c.Series {
		name := clean(s.Name)
		if name == "" {
			name = "Series " + itoa(i+1)
		}
		pr.names = append(pr.names, name)
		var pts []point
		if len(c.Categories) > 0 {
			for j := 0; j < len(s.Y) && j < len(c.Categories); j++ {
				pts = append(pts, point{float64(j), s.Y[j]})
			}
		} else {
			n := min(len(s.X), len(s.Y))
			for j := 0; j < n; j++ {
				if s.X[j].IsZero() {
					continue
				}
				if !locSet {
					pr.loc, locSet = s.X[j].Location(), true
				}
				x := unixSeconds(s.X[j])
				pts = append(pts, point{x, s.Y[j]})
				pr.xmin = math.Min(pr.xmin, x)
				pr.xmax = math.Max(pr.xmax, x)
				pr.hasX = true
			}
			sort.SliceStable(pts, func(a, b int) bool { return pts[a].x < pts[b].x })
		}
		for k := range pts {
			if !finite(pts[k].y) {
				pts[k].y = math.NaN()
				continue
			}
			pr.any = true
		}
		pr.series = append(pr.series, pts)
	}
	lo, hi := 0.0, 0.0
	for _, pts := range pr.series {
		for _, p := range pts {
			if finite(p.y) {
				lo, hi = math.Min(lo, p.y), math.Max(hi, p.y)
			}
		}
	}
	for _, m := range c.Marks {
		if finite(m.Y) {
			lo, hi = math.Min(lo, m.Y), math.Max(hi, m.Y)
		}
	}
	pr.ymin, pr.ymax = lo, hi
	pr.whole = true
	for _, pts := range pr.series {
		for _, p := range pts {
			if finite(p.y) && p.y != math.Trunc(p.y) {
				pr.whole = false
			}
		}
	}
	for _, m := range c.Marks {
		if finite(m.Y) && m.Y != math.Trunc(m.Y) {
			pr.whole = false
		}
	}
	return pr
}

func itoa(i int) string { return strconv.Itoa(i) }

// legendEntry is one item of the legend drawn under a chart.
type legendEntry struct {
	name   string
	color  color.Color
	dashes []vg.Length
	bar    bool
}

// draw lays out the whole chart on dc: title, plot, legend.
func (c Chart) draw(dc draw.Canvas) {
	paintBackground(dc)
	area := draw.Crop(dc, chartPad, -chartPad, chartPad, -chartPad)

	if t := clean(c.Title); t != "" {
		sty := sans(titleSize, true, inkColor)
		lines := wrap(t, area.Size().X.Points(), titleLines(area), styleWidth(sty))
		h := fillLines(area, sty, area.Min.X, area.Max.Y, lines)
		area.Max.Y -= h + titleGap
	}

	pr := c.prepare()
	if len(pr.series) > 1 {
		var entries []legendEntry
		for i, name := range pr.names {
			col, dash := seriesStyle(i)
			entries = append(entries, legendEntry{name: name, color: col, dashes: dash, bar: c.isBar()})
		}
		if h := legendHeight(area, entries); h < area.Size().Y/3 {
			drawLegend(area, entries)
			area.Min.Y += h + legendGap
		}
	}
	if area.Size().X <= 0 || area.Size().Y <= 0 {
		return
	}

	p := c.plot(pr, area.Size())
	p.Draw(area)
}

// titleLines is how many lines a title may take: two, or one on a chart
// too short to spare them.
func titleLines(area draw.Canvas) int {
	if area.Size().Y < 160 {
		return 1
	}
	return 2
}

func (c Chart) isBar() bool { return c.Kind == Bar || len(c.Categories) > 0 }

// newPlot returns a gonum plot styled for reports: sans-serif type, muted
// axes, no value-axis line (the gridlines carry it) and no padding, so bars
// sit on the axis.
func newPlot() *plot.Plot {
	p := plot.New()
	p.BackgroundColor = nil
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Padding = 0
		a.Label.TextStyle.Font = sans(labelSize, false, nil).Font
		a.Label.TextStyle.Color = textColor
		a.Label.Padding = 5
		a.Tick.Label.Font = sans(tickSize, false, nil).Font
		a.Tick.Label.Color = mutedColor
		a.Tick.LineStyle = draw.LineStyle{Color: axisColor, Width: 0.6}
		a.Tick.Length = 3
		a.LineStyle = draw.LineStyle{Color: axisColor, Width: 0.8}
	}
	return p
}

// hideAxisLine keeps an axis's labels but drops its line and ticks.
func hideAxisLine(a *plot.Axis) {
	a.LineStyle.Width = 0
	a.Tick.Length = 0
}

func (c Chart) plot(pr prepared, size vg.Point) *plot.Plot {
	p := newPlot()
	if len(c.Categories) > 0 {
		c.categoryPlot(p, pr, size)
	} else {
		c.timePlot(p, pr, size)
	}
	return p
}

// valueAxis sets up the value axis a for data in [pr.ymin, pr.ymax] on an
// axis length long, leaving headroom above the highest value or mark so
// that a line or mark label never touches the frame.
func valueAxis(a *plot.Axis, pr prepared, length vg.Length, spacing vg.Length) {
	if !pr.any && pr.ymin == 0 && pr.ymax == 0 {
		// Nothing to scale: an empty frame says "No data" better than
		// made-up numbers.
		a.Min, a.Max = 0, 1
		a.Tick.Marker = plot.ConstantTicks(nil)
		return
	}
	lo, hi := pr.ymin, pr.ymax
	if hi == lo {
		hi = lo + 1
	}
	span := hi - lo
	if hi > 0 {
		hi += span * 0.06
	}
	if lo < 0 {
		lo -= span * 0.06
	}
	maxTicks := int(length / spacing)
	maxTicks = max(2, min(maxTicks, 8))
	lo, hi, step := niceScale(lo, hi, maxTicks, pr.whole)
	a.Min, a.Max = lo, hi
	a.Tick.Marker = plot.ConstantTicks(valueTicks(lo, hi, step))
}

// timePlot draws series against a calendar time axis.
func (c Chart) timePlot(p *plot.Plot, pr prepared, size vg.Point) {
	hideAxisLine(&p.Y)
	p.Y.Label.Text = truncate(p.Y.Label.TextStyle, clean(c.YLabel), size.Y-60)
	valueAxis(&p.Y, pr, size.Y-40, 28)

	xmin, xmax := pr.xmin, pr.xmax
	if !pr.hasX {
		// No time at all: an unlabelled frame (see below).
		xmin, xmax = 0, 1
	}

	// Bars need room for half a bar at each end.
	var slot float64
	if c.Kind == Bar {
		slot = minSpacing(pr.series)
		xmin -= slot / 2
		xmax += slot / 2
	}
	if xmax <= xmin {
		// A single instant: show the day around it.
		xmin -= 12 * 3600
		xmax += 12 * 3600
	}
	p.X.Min, p.X.Max = xmin, xmax

	tickSty := p.X.Tick.Label
	dataW := size.X - yAxisAllowance
	p.X.Tick.Marker = plot.ConstantTicks(nil)
	if pr.hasX {
		p.X.Tick.Marker = plot.ConstantTicks(timeTicks(xmin, xmax, pr.loc, func(widest string) int {
			return int(dataW / (tickSty.Width(widest) + 18))
		}))
	}
	if b, ok := leftLabelRoom(p); ok {
		p.Add(b)
	}
	if l := clean(c.XLabel); l != "" {
		p.X.Label.Text = l
	} else if pr.hasX {
		p.X.Label.Text = timeCaption(fromUnixSeconds(pr.xmin, pr.loc), fromUnixSeconds(pr.xmax, pr.loc))
	}
	p.X.Label.Text = truncate(p.X.Label.TextStyle, p.X.Label.Text, size.X)

	p.Add(&plotter.Grid{
		Vertical:   draw.LineStyle{Color: gridColor, Width: 0.5},
		Horizontal: draw.LineStyle{Color: gridColor, Width: 0.7},
	})

	switch c.Kind {
	case Bar:
		n := len(pr.series)
		group := slot * 0.8
		bw := group / float64(max(n, 1))
		for i, pts := range pr.series {
			col, _ := seriesStyle(i)
			b := &bars{color: col, width: bw * 0.9, offset: -group/2 + (float64(i)+0.5)*bw}
			for _, pt := range pts {
				b.pos = append(b.pos, pt.x)
				b.vals = append(b.vals, pt.y)
			}
			p.Add(b)
		}
	default:
		single := len(pr.series) == 1
		for i, pts := range pr.series {
			col, dash := seriesStyle(i)
			// Dense series (a year of days on a small chart) get a thinner
			// line so that neighbouring steps do not merge into a block.
			width := vg.Length(1.6)
			if float64(len(pts)) > 0.4*dataW.Points() {
				width = 1.0
			}
			addLine(p, pts, c.Kind == Step, col, dash, width, single)
		}
	}
	c.addMarks(p, false)
	if !pr.any {
		p.Add(noData{})
	}
}

// leftLabelRoom returns a plotter that makes gonum's layout keep the first
// X tick label on the canvas. gonum pads the data area for labels that
// stick out on the right but assumes the value axis covers the left; when
// that axis is narrower than half the first label (no value labels, as in
// an empty chart) the label would be cut off.
func leftLabelRoom(p *plot.Plot) (plot.Plotter, bool) {
	ticks := p.X.Tick.Marker.Ticks(p.X.Min, p.X.Max)
	var first *plot.Tick
	for i := range ticks {
		if !ticks[i].IsMinor() {
			first = &ticks[i]
			break
		}
	}
	if first == nil {
		return nil, false
	}
	yw := vg.Length(0)
	for _, t := range p.Y.Tick.Marker.Ticks(p.Y.Min, p.Y.Max) {
		yw = max(yw, p.Y.Tick.Label.Width(t.Label))
	}
	if p.Y.Label.Text != "" {
		yw += p.Y.Label.TextStyle.Height(p.Y.Label.Text) + p.Y.Label.Padding
	}
	x := p.X.Norm(first.Value)
	half := p.X.Tick.Label.Width(first.Label) / 2
	// How far the label reaches left of the value axis, taking the tick
	// to be at the left edge (it is within a fifth of the width of it).
	over := half - yw
	if over <= 0 || x > 0.2 {
		return nil, false
	}
	return glyphRoom{plot.GlyphBox{X: x, Rectangle: vg.Rectangle{Min: vg.Point{X: -over}, Max: vg.Point{X: 0}}}}, true
}

// glyphRoom draws nothing; it only reserves room through GlyphBoxes.
type glyphRoom struct{ box plot.GlyphBox }

func (glyphRoom) Plot(draw.Canvas, *plot.Plot) {}

func (g glyphRoom) GlyphBoxes(*plot.Plot) []plot.GlyphBox { return []plot.GlyphBox{g.box} }

// minSpacing returns the smallest gap between distinct x values of all
// series, the natural width of one bar slot; one day if there is no gap.
func minSpacing(series [][]point) float64 {
	var xs []float64
	for _, pts := range series {
		for _, p := range pts {
			xs = append(xs, p.x)
		}
	}
	slices.Sort(xs)
	best := math.Inf(1)
	for i := 1; i < len(xs); i++ {
		if d := xs[i] - xs[i-1]; d > 0 && d < best {
			best = d
		}
	}
	if math.IsInf(best, 1) {
		return 86400
	}
	return best
}

// addLine adds one series as lines between runs of finite points (a NaN
// breaks the line) and as dots where a point stands alone, so that a single
// measurement is still visible.
func addLine(p *plot.Plot, pts []point, step bool, col color.Color, dash []vg.Length, width vg.Length, fill bool) {
	sty := draw.LineStyle{Color: col, Width: width, Dashes: dash}
	var run plotter.XYs
	flush := func() {
		switch len(run) {
		case 0:
		case 1:
			p.Add(dots{pts: run, color: col})
		default:
			l := &plotter.Line{XYs: run, LineStyle: sty}
			if step {
				l.StepStyle = plotter.PostStep
			}
			if fill {
				l.FillColor = tint(col, 0.13)
			}
			p.Add(l)
		}
		run = nil
	}
	for _, pt := range pts {
		if math.IsNaN(pt.y) {
			flush()
			continue
		}
		run = append(run, plotter.XY{X: pt.x, Y: pt.y})
	}
	flush()
}

// categoryPlot draws grouped bars per category, vertical when the names
// fit under the bars and horizontal otherwise.
func (c Chart) categoryPlot(p *plot.Plot, pr prepared, size vg.Point) {
	n := len(c.Categories)
	names := make([]string, n)
	for i, cat := range c.Categories {
		names[i] = clean(cat)
	}
	tickSty := p.X.Tick.Label
	slotW := (size.X - yAxisAllowance) / vg.Length(n)
	horizontal := false
	for _, name := range names {
		if tickSty.Width(name) > slotW-4 {
			horizontal = true
			break
		}
	}

	catAxis, valAxis := &p.X, &p.Y
	if horizontal {
		catAxis, valAxis = &p.Y, &p.X
	}
	maxName := slotW - 4
	if horizontal {
		maxName = size.X * 0.38
	}
	// With more categories than lines of text fit, name every k-th.
	every := 1
	if horizontal {
		slotH := (size.Y - 40) / vg.Length(n)
		every = max(1, int(math.Ceil(float64(lineHeight(tickSty)/max(slotH, 0.01)))))
	}
	ticks := make([]plot.Tick, 0, n)
	for i, name := range names {
		if i%every != 0 {
			continue
		}
		pos := float64(i)
		if horizontal {
			// First category at the top, as it is read.
			pos = float64(n - 1 - i)
		}
		ticks = append(ticks, plot.Tick{Value: pos, Label: truncate(tickSty, name, maxName)})
	}
	catAxis.Min, catAxis.Max = -0.5, float64(n)-0.5
	catAxis.Tick.Marker = plot.ConstantTicks(ticks)
	hideAxisLine(valAxis)
	valAxis.Label.Text = clean(c.YLabel)
	if horizontal {
		valAxis.Label.Text = truncate(valAxis.Label.TextStyle, valAxis.Label.Text, size.X)
		valueAxis(valAxis, pr, size.X-size.X*0.38, 70)
	} else {
		valAxis.Label.Text = truncate(valAxis.Label.TextStyle, valAxis.Label.Text, size.Y-60)
		valueAxis(valAxis, pr, size.Y-40, 28)
		if l := clean(c.XLabel); l != "" {
			catAxis.Label.Text = truncate(catAxis.Label.TextStyle, l, size.X)
		}
	}
	grid := &plotter.Grid{Horizontal: draw.LineStyle{Color: gridColor, Width: 0.7}}
	if horizontal {
		grid = &plotter.Grid{Vertical: draw.LineStyle{Color: gridColor, Width: 0.7}}
	}
	p.Add(grid)

	ns := len(pr.series)
	group := 0.8
	bw := group / float64(max(ns, 1))
	for i, pts := range pr.series {
		col, _ := seriesStyle(i)
		b := &bars{color: col, width: bw * 0.9, offset: -group/2 + (float64(i)+0.5)*bw, horizontal: horizontal}
		if horizontal {
			// Within a group, the first series is on top.
			b.offset = -b.offset
		}
		for _, pt := range pts {
			pos := pt.x
			if horizontal {
				pos = float64(n-1) - pt.x
			}
			b.pos = append(b.pos, pos)
			b.vals = append(b.vals, pt.y)
		}
		p.Add(b)
	}
	c.addMarks(p, horizontal)
	if !pr.any {
		p.Add(noData{})
	}
}

func (c Chart) addMarks(p *plot.Plot, vertical bool) {
	var ms []Mark
	for _, m := range c.Marks {
		if finite(m.Y) {
			ms = append(ms, Mark{Label: clean(m.Label), Y: m.Y})
		}
	}
	if len(ms) > 0 {
		p.Add(marks{marks: ms, vertical: vertical})
	}
}

// bars draws one series of bars from zero to each value. pos are bar
// centres in data units of the category or time axis.
type bars struct {
	pos, vals     []float64
	width, offset float64
	horizontal    bool
	color         color.Color
}

func (b *bars) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, trY := plt.Transforms(&c)
	for i, v := range b.vals {
		if !finite(v) || v == 0 {
			continue
		}
		a0 := b.pos[i] + b.offset - b.width/2
		a1 := a0 + b.width
		var x0, x1, y0, y1 vg.Length
		if b.horizontal {
			x0, x1, y0, y1 = trX(0), trX(v), trY(a0), trY(a1)
		} else {
			x0, x1, y0, y1 = trX(a0), trX(a1), trY(0), trY(v)
		}
		poly := []vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}}
		c.FillPolygon(b.color, c.ClipPolygonXY(poly))
	}
}

// dots marks isolated points, which a line cannot show.
type dots struct {
	pts   plotter.XYs
	color color.Color
}

func (d dots) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, trY := plt.Transforms(&c)
	sty := draw.GlyphStyle{Color: d.color, Radius: 2.6, Shape: draw.CircleGlyph{}}
	for _, p := range d.pts {
		pt := vg.Point{X: trX(p.X), Y: trY(p.Y)}
		if c.Contains(pt) {
			c.DrawGlyph(sty, pt)
		}
	}
}

// marks draws labelled reference lines. Labels sit at the far end of the
// line, above it, or below it when they would collide with the label of a
// higher mark; they have a pale backing so that they stay legible over the
// data.
type marks struct {
	marks    []Mark
	vertical bool
}

func (m marks) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, trY := plt.Transforms(&c)
	line := draw.LineStyle{Color: markColor, Width: 1, Dashes: []vg.Length{5, 3}}
	sty := sans(markSize, false, markColor)
	ext := sty.FontExtents()
	textH := ext.Ascent + ext.Descent
	ms := slices.Clone(m.marks)
	// Highest value first, so labels are placed from the top down.
	sort.SliceStable(ms, func(i, j int) bool { return ms[i].Y > ms[j].Y })
	var placed []vg.Rectangle
	for _, mk := range ms {
		label := mk.Label
		if label == "" {
			label = formatValues([]float64{mk.Y}).format(mk.Y)
		}
		if m.vertical {
			x := trX(mk.Y)
			if x < c.Min.X-0.5 || x > c.Max.X+0.5 {
				continue
			}
			c.StrokeLine2(line, x, c.Min.Y, x, c.Max.Y)
			label = truncate(sty, label, (c.Max.X-c.Min.X)/2)
			w := sty.Width(label)
			lx := x + 3
			if lx+w > c.Max.X {
				lx = x - 3 - w
			}
			base := c.Max.Y - ext.Ascent - 2
			r := vg.Rectangle{Min: vg.Point{X: lx - 1, Y: base - ext.Descent - 1}, Max: vg.Point{X: lx + w + 1, Y: base + ext.Ascent + 1}}
			for overlaps(r, placed) && r.Min.Y > c.Min.Y {
				base -= textH + 2
				r.Min.Y -= textH + 2
				r.Max.Y -= textH + 2
			}
			placed = append(placed, r)
			c.FillPolygon(labelBgColor, rectPoly(r))
			fillBaseline(c, sty, lx, base, label)
			continue
		}
		y := trY(mk.Y)
		if y < c.Min.Y-0.5 || y > c.Max.Y+0.5 {
			continue
		}
		c.StrokeLine2(line, c.Min.X, y, c.Max.X, y)
		label = truncate(sty, label, (c.Max.X-c.Min.X)*0.6)
		w := sty.Width(label)
		lx := c.Max.X - 3 - w
		base := y + 3 + ext.Descent
		r := vg.Rectangle{Min: vg.Point{X: lx - 2, Y: base - ext.Descent - 1}, Max: vg.Point{X: lx + w + 2, Y: base + ext.Ascent + 1}}
		if r.Max.Y > c.Max.Y || overlaps(r, placed) {
			// Below the line instead.
			base = y - 3 - ext.Ascent
			r.Min.Y, r.Max.Y = base-ext.Descent-1, base+ext.Ascent+1
		}
		placed = append(placed, r)
		c.FillPolygon(labelBgColor, rectPoly(r))
		fillBaseline(c, sty, lx, base, label)
	}
}

func rectPoly(r vg.Rectangle) []vg.Point {
	return []vg.Point{r.Min, {X: r.Max.X, Y: r.Min.Y}, r.Max, {X: r.Min.X, Y: r.Max.Y}}
}

func overlaps(r vg.Rectangle, others []vg.Rectangle) bool {
	for _, o := range others {
		if r.Min.X < o.Max.X && o.Min.X < r.Max.X && r.Min.Y < o.Max.Y && o.Min.Y < r.Max.Y {
			return true
		}
	}
	return false
}

// noData says so in the middle of an empty plot, so that an empty chart is
// not mistaken for a chart of zeros.
type noData struct{}

func (noData) Plot(c draw.Canvas, _ *plot.Plot) {
	sty := sans(labelSize, false, mutedColor)
	sty.XAlign, sty.YAlign = draw.XCenter, draw.YCenter
	c.FillText(sty, c.Center(), "No data")
}

// drawLegend draws entries in rows along the bottom of area and returns the
// height used. At most three rows are drawn; any further entries are
// summarised as "+N more".
func drawLegend(area draw.Canvas, entries []legendEntry) vg.Length {
	sty := sans(legendSize, false, textColor)
	const swatch, gap = vg.Length(16), vg.Length(5)
	lh := lineHeight(sty) + 2
	items, rows := layoutLegend(area, entries)
	ext := sty.FontExtents()
	top := area.Min.Y + vg.Length(rows)*lh
	for _, it := range items {
		base := top - vg.Length(it.row+1)*lh + (lh-ext.Ascent-ext.Descent)/2 + ext.Descent
		x := area.Min.X + it.x
		if it.e.color == nil {
			fillBaseline(area, sty, x, base, it.name)
			continue
		}
		mid := base + (ext.Ascent-ext.Descent)/2
		if it.e.bar {
			r := vg.Rectangle{Min: vg.Point{X: x + 3, Y: mid - 5}, Max: vg.Point{X: x + swatch - 3, Y: mid + 5}}
			area.FillPolygon(it.e.color, rectPoly(r))
		} else {
			area.StrokeLine2(draw.LineStyle{Color: it.e.color, Width: 2.2, Dashes: it.e.dashes}, x, mid, x+swatch, mid)
		}
		fillBaseline(area, sty, x+swatch+gap, base, it.name)
	}
	return vg.Length(rows) * lh
}

// legendHeight is the height drawLegend would use.
func legendHeight(area draw.Canvas, entries []legendEntry) vg.Length {
	_, rows := layoutLegend(area, entries)
	return vg.Length(rows) * (lineHeight(sans(legendSize, false, nil)) + 2)
}

type legendItem struct {
	e    legendEntry
	name string
	x    vg.Length
	row  int
}

// layoutLegend places entries in rows across area; an item without a
// colour is the "+N more" note.
func layoutLegend(area draw.Canvas, entries []legendEntry) (items []legendItem, rows int) {
	sty := sans(legendSize, false, textColor)
	const swatch, gap, spacing = vg.Length(16), vg.Length(5), vg.Length(14)
	width := area.Size().X
	maxName := width*0.45 - swatch - gap
	type item = legendItem
	x, row := vg.Length(0), 0
	const maxRows = 3
	for i, e := range entries {
		name := truncate(sty, e.name, maxName)
		w := swatch + gap + sty.Width(name)
		if x > 0 && x+w > width {
			x, row = 0, row+1
		}
		if row == maxRows-1 && i < len(entries)-1 {
			more := "+" + itoa(len(entries)-i) + " more"
			if x+w+spacing+sty.Width(more) > width {
				items = append(items, item{e: legendEntry{}, name: more, x: x, row: row})
				break
			}
		}
		if row >= maxRows {
			break
		}
		items = append(items, item{e: e, name: name, x: x, row: row})
		x += w + spacing
	}
	for _, it := range items {
		rows = max(rows, it.row+1)
	}
	return items, rows
}
