package render

import "time"

// Series is one named line (or set of bars) of a time chart. X and Y are
// paired by index; if their lengths differ the extra values are ignored.
// Points need not be sorted. A Y that is NaN or infinite means "no
// measurement" and is drawn as a gap in a line, or as a missing bar; a point
// whose X is the zero time is ignored, because it is almost always a missing
// value and would stretch the time axis back to year 1.
//
// In a chart with Categories, X is ignored and Y[i] is the value of
// Categories[i].
type Series struct {
	Name string
	X    []time.Time
	Y    []float64
}

// Kind says how a chart draws its series. An unknown Kind is drawn as Line,
// so that a chart built by newer code still renders.
type Kind int

const (
	// Line joins the points of each series with straight lines. It suits
	// sampled measurements such as daily utilisation.
	Line Kind = iota
	// Step holds each value until the next point and then jumps. Seats held
	// over time are a step function: a seat stays checked out until it is
	// released, so a sloped line between two samples would be a lie.
	Step
	// Bar draws one bar per point, grouped side by side when there are
	// several series. It suits counts per period, such as denials per day.
	// Each bar is as wide as the smallest gap between points allows.
	Bar
)

// String returns the lower-case name of the kind, for logs and tests.
func (k Kind) String() string {
	switch k {
	case Line:
		return "line"
	case Step:
		return "step"
	case Bar:
		return "bar"
	default:
		return "kind(?)"
	}
}

// Mark is a horizontal reference line across a chart, such as a pool's
// capacity or its capacity plus the permitted overdraft. It is labelled on
// the chart itself, so readers need not consult the legend, and the value
// axis always stretches to show it.
type Mark struct {
	Label string
	Y     float64
}

// Chart is a chart of one or more series over time, or of values per named
// category.
//
// When Categories is empty the X axis is a time axis: its ticks fall on
// calendar boundaries in the time zone of the first point (hours for a day,
// dates for a month, months for a year) and, when XLabel is empty, the axis
// is captioned with the date range and zone so that a printed chart is never
// ambiguous.
//
// When Categories is not empty the chart is a bar chart of values per
// category (for example denials by reason), whatever Kind says: Series[i].Y[j]
// is the value of series i for Categories[j]. The bars are vertical when
// every category name fits under its bar, and horizontal (names on the left,
// read across) when they do not, because long reason strings are unreadable
// when crowded or rotated. In a horizontal chart YLabel labels the value
// axis, which then runs along the bottom.
//
// The value axis always includes zero, so that bars and levels are not
// exaggerated. A legend is drawn below the chart when there is more than one
// series.
type Chart struct {
	Title      string
	XLabel     string
	YLabel     string
	Kind       Kind
	Series     []Series
	Categories []string
	Marks      []Mark
}

// Heatmap is a grid of values shaded from light (low) to dark (high), such as
// seat demand by hour of the week: Rows "Mon".."Sun" from top to bottom and
// Cols "00".."23" from left to right, with Values[row][col].
//
// Values may be ragged or shorter than the labels; missing, NaN and
// infinite cells are drawn grey with a diagonal stroke, which no value
// looks like. The shading runs from zero (or the lowest negative value) to
// the highest value, so a quiet hour looks quiet even in a busy week. Cell
// values are printed inside the cells when they fit, and a colour scale at
// the right gives the range.
type Heatmap struct {
	Title  string
	Rows   []string
	Cols   []string
	Values [][]float64
}

// Table is a titled grid of text cells. It is exported as CSV on its own
// and printed in the PDF pack with the Note (for example the query period or
// a caveat) in small print beneath it.
type Table struct {
	Title   string
	Columns []string
	Rows    [][]string
	Note    string
}

// Section is one report of a pack (utilisation, denials, cost, …). In the
// PDF its parts are printed in this order: heading, paragraphs, charts,
// heatmaps, tables.
type Section struct {
	Title      string
	Paragraphs []string
	Charts     []Chart
	Heatmaps   []Heatmap
	Tables     []Table
}

// Pack is a set of reports printed together as one PDF. Generated is
// printed under the title and stored as the PDF's creation date; if it is
// the zero time the line is left out. Footer (for example "Confidential —
// Acme IT") is printed on every page beside the page number.
type Pack struct {
	Title     string
	Subtitle  string
	Generated time.Time
	Sections  []Section
	Footer    string
}
