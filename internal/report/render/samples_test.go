package render

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestSamples writes one of each kind of output to a directory, so that a
// person can look at them: set RENDER_SAMPLES=/some/dir to keep them (the
// PDF pages can be viewed with pdftoppm). Without it they go to a temporary
// directory and are only checked to decode.
func TestSamples(t *testing.T) {
	dir := os.Getenv("RENDER_SAMPLES")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	day := Series{Name: "held seats"}
	for h := 0; h < 24; h++ {
		day.X = append(day.X, day0.Add(time.Duration(h)*time.Hour))
		day.Y = append(day.Y, float64([]int{1, 1, 0, 0, 0, 0, 1, 3, 7, 9, 10, 11, 9, 10, 11, 12, 10, 8, 5, 3, 2, 2, 1, 1}[h]))
	}
	peak := heldSeats(365)
	peak.Name = "peak seats"
	for i := range peak.Y {
		peak.Y[i] += 2
	}
	charts := map[string]Chart{
		"step-year": {Title: "Held seats — Adobe CC", YLabel: "seats", Kind: Step, Series: []Series{heldSeats(365), peak},
			Marks: []Mark{{Label: "capacity", Y: 10}, {Label: "seats+overdraft", Y: 12}}},
		"step-day": {Title: "Held seats today", YLabel: "seats", Kind: Step, Series: []Series{day},
			Marks: []Mark{{Label: "capacity", Y: 10}, {Label: "seats+overdraft", Y: 12}}},
		"bar-month": {Title: "Denials per day", YLabel: "denials", Kind: Bar, Series: []Series{heldSeats(31)}},
		"categories": {Title: "Denials by reason", YLabel: "denials",
			Categories: []string{"no seat free in the pool", "user not entitled", "pool expired", "licence server unreachable"},
			Series:     []Series{{Name: "this month", Y: []float64{42, 7, 3, 1}}, {Name: "last month", Y: []float64{30, 9, 0, 4}}}},
		"cost-line": {Title: "Monthly cost — Coût €", YLabel: "€", Kind: Line, Series: []Series{
			{Name: "Adobe CC", X: monthly(12), Y: []float64{12000, 12000, 12500, 12500, 13800, 13800, 13800, 14100, 14100, 15000, 15000, 15000}},
			{Name: "AutoCAD", X: monthly(12), Y: []float64{8000, 8000, 8000, 8200, 8200, 8200, 9000, 9000, 9000, 9000, 9400, 9400}},
		}},
	}
	for name, c := range charts {
		var buf bytes.Buffer
		if err := c.PNG(&buf, 800, 400); err != nil {
			t.Fatal(err)
		}
		checkPNG(t, buf.Bytes(), 800, 400)
		write(t, filepath.Join(dir, name+".png"), buf.Bytes())
		buf.Reset()
		if err := c.SVG(&buf, 600, 300); err != nil {
			t.Fatal(err)
		}
		write(t, filepath.Join(dir, name+".svg"), buf.Bytes())
	}
	var buf bytes.Buffer
	if err := hourOfWeek().PNG(&buf, 800, 340); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "heatmap.png"), buf.Bytes())
	buf.Reset()
	if err := samplePack(200).PDF(&buf); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "pack.pdf"), buf.Bytes())
}

func monthly(n int) []time.Time {
	var ts []time.Time
	for i := 0; i < n; i++ {
		ts = append(ts, time.Date(2026, time.Month(1+i), 1, 0, 0, 0, 0, time.UTC))
	}
	return ts
}

func write(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
