package render

import (
	"encoding/csv"
	"io"
	"strings"
)

// CSV writes the table as RFC 4180 CSV (comma-separated, CRLF line ends,
// fields quoted where needed): the header row when there are Columns, then
// every row. Rows are padded with empty fields to the widest row or header,
// because spreadsheet imports and strict readers expect the same number of
// fields on every line. Title and Note are not written; CSV has no place for
// them that every reader would understand.
//
// To defend against CSV (formula) injection, any cell that starts with =,
// +, -, @, a tab or a carriage return is written with a single quote (')
// in front. Spreadsheets otherwise run such a cell as a formula, and
// report cells carry user-controlled text (user names, device names, pool
// descriptions). The quote makes the cell plain text that displays as
// typed; a program reading the file gets the cell with the quote, and
// negative numbers such as "-3" are quoted too, so machine consumers that
// need raw numbers should use the API instead of the export.
func (t Table) CSV(w io.Writer) error {
	width := len(t.Columns)
	for _, r := range t.Rows {
		width = max(width, len(r))
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	rec := make([]string, width)
	write := func(cells []string) error {
		for i := range rec {
			rec[i] = ""
			if i < len(cells) {
				rec[i] = neutralise(cells[i])
			}
		}
		return cw.Write(rec)
	}
	if len(t.Columns) > 0 {
		if err := write(t.Columns); err != nil {
			return err
		}
	}
	for _, r := range t.Rows {
		if err := write(r); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// neutralise prefixes a quote to a cell that a spreadsheet would treat as
// a formula.
func neutralise(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
