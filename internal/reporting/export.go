package reporting

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/report/render"
)

// Formats a report is exported in.
var Formats = []string{"json", "csv", "svg", "png", "pdf"}

// Export says what to write: the format and, for csv, svg and png, which
// table, chart or heat map (1-based, in the section's order; heat maps are
// numbered after the charts).
type Export struct {
	Format string
	Item   int
}

// ParseExport reads format and item (table=N with csv, chart=N with svg
// or png).
func ParseExport(format, table, chart string) (Export, error) {
	e := Export{Format: format, Item: 1}
	if e.Format == "" {
		e.Format = "json"
	}
	ok := false
	for _, f := range Formats {
		ok = ok || f == e.Format
	}
	if !ok {
		return e, licensing.FieldErrorf(licensing.CodeInvalid, "format", "format must be json, csv, svg, png or pdf")
	}
	// table picks a CSV table and chart an SVG or PNG chart: one given for
	// another format would otherwise pick the wrong export silently.
	if table != "" && e.Format != "csv" {
		return e, licensing.FieldErrorf(licensing.CodeInvalid, "table", "table picks a CSV table: use it with format=csv")
	}
	if chart != "" && e.Format != "svg" && e.Format != "png" {
		return e, licensing.FieldErrorf(licensing.CodeInvalid, "chart", "chart picks a chart: use it with format=svg or format=png")
	}
	for i, v := range []string{table, chart} {
		if v == "" {
			continue
		}
		field := [2]string{"table", "chart"}[i]
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return e, licensing.FieldErrorf(licensing.CodeInvalid, field, "%s must be a number from 1 to 1000", field)
		}
		e.Item = n
	}
	return e, nil
}

// ContentType is the media type of an export.
func (e Export) ContentType() string {
	switch e.Format {
	case "csv":
		return "text/csv; charset=utf-8"
	case "svg":
		return "image/svg+xml"
	case "png":
		return "image/png"
	case "pdf":
		return "application/pdf"
	}
	return "application/json"
}

// Filename names a download of report p.
func (e Export) Filename(p Presenter) string {
	h := p.head()
	name := fmt.Sprintf("seatkeeper-%s-%s-%s", h.Report, h.From.UTC().Format("20060102"), h.To.UTC().Format("20060102"))
	if e.Format == "csv" || e.Format == "svg" || e.Format == "png" {
		name += "-" + strconv.Itoa(e.Item)
	}
	return name + "." + e.Format
}

// Chart sizes of exports, in points (SVG) and pixels (PNG).
const (
	chartW, chartH = 720, 320
	pngW, pngH     = 1200, 540
)

// Write exports p. A table, chart or heat map that does not exist is
// not_found, checked before anything is written.
func Write(w io.Writer, p Presenter, e Export) error {
	switch e.Format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(p)
	case "pdf":
		h := p.head()
		return render.Pack{Title: "Seatkeeper — " + p.Section().Title, Subtitle: period(h), Generated: h.TakenAt, Sections: []render.Section{p.Section()},
			Footer: "Seatkeeper report, taken " + stamp(h.TakenAt) + " UTC"}.PDF(w)
	}
	s := p.Section()
	if e.Format == "csv" {
		if e.Item > len(s.Tables) {
			return licensing.FieldErrorf(licensing.CodeNotFound, "table", "the %s report has %d tables", p.head().Report, len(s.Tables))
		}
		return s.Tables[e.Item-1].CSV(w)
	}
	n := e.Item - 1
	if n < len(s.Charts) {
		if e.Format == "svg" {
			return s.Charts[n].SVG(w, chartW, chartH)
		}
		return s.Charts[n].PNG(w, pngW, pngH)
	}
	n -= len(s.Charts)
	if n < len(s.Heatmaps) {
		if e.Format == "svg" {
			return s.Heatmaps[n].SVG(w, chartW, chartH)
		}
		return s.Heatmaps[n].PNG(w, pngW, pngH)
	}
	return licensing.FieldErrorf(licensing.CodeNotFound, "chart", "the %s report has %d charts", p.head().Report, len(s.Charts)+len(s.Heatmaps))
}

// WritePack writes several reports as one PDF.
func WritePack(w io.Writer, title string, reports []Presenter) error {
	if len(reports) == 0 {
		return licensing.Errorf(licensing.CodeInvalid, "no reports to pack")
	}
	h := reports[0].head()
	p := render.Pack{Title: title, Subtitle: period(h), Generated: h.TakenAt, Footer: "Seatkeeper report pack, taken " + stamp(h.TakenAt) + " UTC"}
	for _, r := range reports {
		p.Sections = append(p.Sections, r.Section())
	}
	return p.PDF(w)
}
