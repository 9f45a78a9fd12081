package report

import (
	"slices"
	"strings"
)

func sortBuckets(b []Bucket) {
	slices.SortFunc(b, func(x, y Bucket) int { return x.Start.Compare(y.Start) })
}

func sortTrueUps(t []TrueUp) {
	slices.SortFunc(t, func(x, y TrueUp) int { return strings.Compare(x.Month, y.Month) })
}
