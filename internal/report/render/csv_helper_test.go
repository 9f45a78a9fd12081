package render

import (
	"encoding/csv"
	"strings"
)

func csvRead(s string) ([][]string, error) {
	return csv.NewReader(strings.NewReader(s)).ReadAll()
}
