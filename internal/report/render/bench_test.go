package render

import (
	"io"
	"testing"
)

// BenchmarkStepChartSVG365 renders a year of daily held seats, the
// largest chart the utilisation report draws, to SVG.
func BenchmarkStepChartSVG365(b *testing.B) {
	c := Chart{
		Title: "Held seats — Adobe CC", YLabel: "seats", Kind: Step,
		Series: []Series{heldSeats(365)},
		Marks:  []Mark{{Label: "capacity", Y: 10}, {Label: "seats+overdraft", Y: 12}},
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := c.SVG(io.Discard, 600, 300); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStepChartPNG365 is the same chart as a PNG for the web UI.
func BenchmarkStepChartPNG365(b *testing.B) {
	c := Chart{Title: "Held seats", YLabel: "seats", Kind: Step, Series: []Series{heldSeats(365)}}
	b.ReportAllocs()
	for b.Loop() {
		if err := c.PNG(io.Discard, 800, 400); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPackPDF10Sections renders a ten-section pack, each section with
// paragraphs, a step chart, a heatmap and a 50-row table.
func BenchmarkPackPDF10Sections(b *testing.B) {
	base := samplePack(50)
	p := Pack{Title: base.Title, Subtitle: base.Subtitle, Generated: base.Generated, Footer: base.Footer}
	for i := 0; i < 10; i++ {
		s := base.Sections[0]
		s.Title = "Section " + itoa(i+1)
		s.Tables = base.Sections[2].Tables
		p.Sections = append(p.Sections, s)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := p.PDF(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
