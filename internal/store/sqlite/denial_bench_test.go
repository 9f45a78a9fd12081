package sqlite_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/store"
	"github.com/seatkeeper/seatkeeper/internal/store/sqlite"
)

// BenchmarkRecordDenial: a denial written (a new second each time) beside
// one repeating a denial already written this second (counted in memory).
func BenchmarkRecordDenial(b *testing.B) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		step time.Duration // how far the clock moves per denial
	}{{"written", time.Second}, {"repeat_within_second", 0}} {
		b.Run(tc.name, func(b *testing.B) {
			now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			s, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "b.db"), store.Options{Now: func() time.Time { return now }, Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			if _, err := s.Migrate(ctx); err != nil {
				b.Fatal(err)
			}
			a := licensing.Actor{Name: "token:bench"}
			for b.Loop() {
				if err := s.RecordDenial(ctx, a, "usr_x", "", "ticket.transition", licensing.CodeNoLicence); err != nil {
					b.Fatal(err)
				}
				now = now.Add(tc.step)
			}
		})
	}
}
