package desk

import (
	"context"
	"fmt"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// CreateIntegration makes an integration with its service account and
// token; the token's secret is returned once.
func (s *Service) CreateIntegration(ctx context.Context, a licensing.Actor, name string, mode Mode) (Integration, string, error) {
	if !mode.Valid() {
		return Integration{}, "", licensing.FieldErrorf(licensing.CodeInvalid, "mode", "mode must be enforce, propose or monitor")
	}
	return s.store.CreateIntegration(ctx, a, name, mode)
}

// Report builds the multiplexing report over [from, to); every view is
// audited (DESIGN §3.3).
func (s *Service) Report(ctx context.Context, a licensing.Actor, from, to time.Time) (MultiplexingReport, error) {
	if !to.After(from) {
		return MultiplexingReport{}, licensing.FieldErrorf(licensing.CodeInvalid, "to", "the period must end after it starts")
	}
	rep, err := s.store.MultiplexingReport(ctx, from, to)
	if err != nil {
		return rep, err
	}
	detail := "from=" + from.UTC().Format(time.RFC3339) + " to=" + to.UTC().Format(time.RFC3339)
	if err := s.store.RecordEvent(ctx, a, "report.view", "report:multiplexing", "ok", detail); err != nil {
		return rep, fmt.Errorf("desk: audit report view: %w", err)
	}
	return rep, nil
}
