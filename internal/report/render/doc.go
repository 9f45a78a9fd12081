// Package render turns Seatkeeper report data into files that people can
// keep, send and audit: CSV for every table, SVG and PNG for charts and
// heatmaps, and a single A4 PDF for a whole report pack.
//
// The package knows nothing about licence pools or the database. Callers
// build plain values (Chart, Heatmap, Table, Section, Pack) from their own
// report queries and ask for bytes, so the same report can be shown in the
// web UI, downloaded by a service-desk manager or attached to an audit.
//
// # Why these libraries
//
// Charts are drawn with gonum.org/v1/plot. It is pure Go (no cgo, no
// headless browser), so charts render on the server and in CI with only the
// Go toolchain. One drawing routine targets both of its back ends: vgsvg
// writes SVG whose labels are real <text> elements, readable and searchable
// without JavaScript, and vgimg rasterises the same drawing to PNG. It ships
// the Liberation fonts (through codeberg.org/go-fonts/liberation) inside the
// module, so text is measured and drawn the same way on every machine and no
// system font is needed.
//
// The PDF is written with github.com/go-pdf/fpdf, a maintained fork of the
// long-established gofpdf with no cgo and no external tools. It embeds
// TrueType fonts as UTF-8 subsets; the pack uses the same Liberation Sans
// bytes that gonum/plot ships, so "Coût €" or "Zoë" print correctly and the
// PDF looks like the charts inside it. Charts are embedded as PNG images
// rendered at print resolution, and tables are laid out here so that a long
// table breaks across pages with its header row repeated.
//
// # Units
//
// SVG sizes are in points (1/72 inch), the unit of the vector drawing; the
// SVG carries a viewBox, so it scales to any CSS size. PNG sizes are in
// pixels, and the drawing is laid out at 96 pixels per inch, the CSS
// reference resolution: a PNG 800 pixels wide looks exactly like an SVG 600
// points wide. Sizes must lie between MinSize and MaxSize.
//
// # Robustness
//
// Reports are built from live data, so rendering never fails because of the
// data itself: empty series, a single point, all-zero values, NaN or
// infinite values (drawn as gaps), ragged tables, very long titles and any
// Unicode text are all drawn. Text is cleaned of control characters and
// invalid UTF-8 before it reaches SVG (so the output is always well-formed
// XML) or the PDF; characters that the embedded font cannot draw are shown as
// "?" in the PDF. Errors are returned only for bad sizes, failed writes or,
// as a last line of defence, an internal failure of a drawing library, which
// is turned into an error instead of a panic that would take a request down.
//
// All methods have value receivers and no shared mutable state, so one value
// may be rendered from several goroutines at once.
package render
