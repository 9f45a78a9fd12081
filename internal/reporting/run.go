package reporting

import (
	"context"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// Run computes the named report.
func (s *Service) Run(ctx context.Context, name string, q Query) (Presenter, error) {
	switch name {
	case Utilization:
		return s.Usage(ctx, q)
	case Denials:
		return s.Denials(ctx, q)
	case Shelfware:
		return s.Shelfware(ctx, q)
	case Cost:
		return s.Cost(ctx, q)
	case Evidence:
		return s.Evidence(ctx, q)
	case Mix:
		return s.Mix(ctx, q)
	}
	return nil, licensing.FieldErrorf(licensing.CodeNotFound, "report", "no report %q (reports: utilization, denials, shelfware, cost, mix, evidence)", name)
}
