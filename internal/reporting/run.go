package reporting

import (
	"context"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// check refuses parameters the report would ignore, so a wrong one never
// passes for a figure it did not shape.
func check(name string, q Query) error {
	if name != Mix && q.SKU != "" {
		return licensing.FieldErrorf(licensing.CodeInvalid, "sku", "sku applies to the mix report only; other reports take pool")
	}
	if name == Mix && q.Pool != "" {
		return licensing.FieldErrorf(licensing.CodeInvalid, "pool", "the mix optimiser works per SKU across its pools: give sku instead of pool")
	}
	return nil
}

// Run computes the named report.
func (s *Service) Run(ctx context.Context, name string, q Query) (Presenter, error) {
	if err := check(name, q); err != nil {
		return nil, err
	}
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

// Pack computes every report for one period: the usage reports from one
// snapshot, so their figures agree, and the evidence from its own, taken
// right after with the audit chain verified. sku and pool apply where they
// mean something (pool to all but the mix, sku to the mix).
func (s *Service) Pack(ctx context.Context, q Query) ([]Presenter, error) {
	d, err := s.Store.ReportData(ctx, q.From, q.To, true)
	if err != nil {
		return nil, err
	}
	cur, err := s.currency(ctx)
	if err != nil {
		return nil, err
	}
	per := q
	per.SKU = ""
	whole := q
	whole.Pool = ""
	var out []Presenter
	for _, f := range []func() (Presenter, error){
		func() (Presenter, error) { return usageFrom(d, per, Utilization) },
		func() (Presenter, error) { return usageFrom(d, per, Denials) },
		func() (Presenter, error) { return shelfwareFrom(d, per, cur) },
		func() (Presenter, error) { return costFrom(d, per, cur) },
		func() (Presenter, error) { return mixFrom(d, whole, cur) },
		func() (Presenter, error) { return s.Evidence(ctx, per) },
	} {
		p, err := f()
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}
