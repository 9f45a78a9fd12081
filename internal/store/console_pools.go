package store

import (
	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/plural"
)

// shrinkRefused is the refusal of a pool change that leaves fewer seats
// (overdraft included) than people hold: conflict on "seats", saying how
// many must go first, so the licence console and the API tell the
// administrator exactly what to do ("pool "agents-named" has 5 seats
// assigned: revoke 2 before shrinking to 3 seats").
func shrinkRefused(p licensing.Pool, held int) error {
	to := plural.Of(p.Seats, "seat")
	if p.Overdraft > 0 {
		to += " plus " + plural.Of(p.Overdraft, "overdraft seat")
	}
	excess := held - p.Capacity()
	if p.Model == licensing.ModelNamed {
		return licensing.FieldErrorf(licensing.CodeConflict, "seats", "pool %q has %s assigned: revoke %d before shrinking to %s", p.ID, plural.Of(held, "seat"), excess, to)
	}
	return licensing.FieldErrorf(licensing.CodeConflict, "seats", "pool %q has %s held now: release %s before shrinking to %s", p.ID, plural.Of(held, "seat"), plural.Of(excess, "lease"), to)
}
