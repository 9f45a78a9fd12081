package report

import (
	"slices"
	"strings"
)

// FieldError is a caller's mistake in one field (an unknown bucket, a bad
// period, an impossible target); the API answers it 400 invalid_request.
type FieldError struct {
	Field, Message string
}

func (e *FieldError) Error() string { return e.Message }

func sortBuckets(b []Bucket) {
	slices.SortFunc(b, func(x, y Bucket) int { return x.Start.Compare(y.Start) })
}

func sortTrueUps(t []TrueUp) {
	slices.SortFunc(t, func(x, y TrueUp) int { return strings.Compare(x.Month, y.Month) })
}
