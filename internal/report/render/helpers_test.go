package render

import (
	"fmt"
	"math"
	"strings"
	"time"
)

var day0 = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

// heldSeats is a plausible year of held seats: a weekly rhythm, a slow
// seasonal swell and a few days over capacity.
func heldSeats(n int) Series {
	s := Series{Name: "held seats"}
	for i := 0; i < n; i++ {
		s.X = append(s.X, day0.AddDate(0, 0, i))
		v := 6 + 3*math.Sin(float64(i)/58)
		if wd := day0.AddDate(0, 0, i).Weekday(); wd == time.Saturday || wd == time.Sunday {
			v -= 4
		}
		if i%41 == 17 {
			v += 5
		}
		s.Y = append(s.Y, math.Max(0, math.Round(v)))
	}
	return s
}

func hourOfWeek() Heatmap {
	h := Heatmap{Title: "Peak seats by hour of week", Rows: []string{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}}
	for c := 0; c < 24; c++ {
		h.Cols = append(h.Cols, fmt.Sprintf("%02d", c))
	}
	for r := 0; r < 7; r++ {
		var row []float64
		for c := 0; c < 24; c++ {
			v := 0.0
			if r < 5 && c >= 8 && c <= 18 {
				v = float64(6 + (c*7+r*3)%6)
			} else if r < 5 && c > 6 && c < 21 {
				v = 2
			}
			row = append(row, v)
		}
		h.Values = append(h.Values, row)
	}
	return h
}

func sampleTable(rows int) Table {
	t := Table{
		Title:   "Checkouts by user — Coût €",
		Columns: []string{"User", "Department", "Pool", "Hours held", "Cost (€)"},
		Note:    "Hours are rounded to the nearest hour. Costs use the list price in force on the day of the checkout.",
	}
	for i := 0; i < rows; i++ {
		t.Rows = append(t.Rows, []string{
			fmt.Sprintf("user%03d@example.com", i),
			[]string{"Design", "Engineering", "Finance — Zoë's team", "IT service desk"}[i%4],
			[]string{"Adobe CC", "AutoCAD", "MATLAB"}[i%3],
			fmt.Sprint(10 + i*7%90),
			fmt.Sprintf("€%d.%02d", 100+i*13%900, i%100),
		})
	}
	return t
}

func samplePack(rows int) Pack {
	held := heldSeats(365)
	return Pack{
		Title:     "Licence report pack — Acme Corp",
		Subtitle:  "All pools, March 2026 – February 2027",
		Generated: time.Date(2027, 3, 1, 7, 30, 0, 0, time.UTC),
		Footer:    "Confidential — prepared by Seatkeeper for Acme IT",
		Sections: []Section{
			{
				Title: "Utilisation",
				Paragraphs: []string{
					"Held seats per day for the Adobe Creative Cloud pool. The pool has 10 seats and may overdraw by 2; days above the dashed capacity line were served from the overdraft.",
					"Coût € and Zoë print as written. " + strings.Repeat("A long paragraph wraps across lines. ", 12),
				},
				Charts: []Chart{{
					Title: "Held seats — Adobe CC", YLabel: "seats", Kind: Step,
					Series: []Series{held},
					Marks:  []Mark{{Label: "capacity", Y: 10}, {Label: "seats+overdraft", Y: 12}},
				}},
				Heatmaps: []Heatmap{hourOfWeek()},
			},
			{
				Title:      "Denials",
				Paragraphs: []string{"Checkouts refused, by reason."},
				Charts: []Chart{{
					Title: "Denials by reason", YLabel: "denials",
					Categories: []string{"no seat free", "not entitled", "pool expired", "server unreachable"},
					Series:     []Series{{Name: "this month", Y: []float64{42, 7, 3, 1}}, {Name: "last month", Y: []float64{30, 9, 0, 4}}},
				}},
			},
			{
				Title:  "Cost",
				Tables: []Table{sampleTable(rows)},
			},
		},
	}
}
