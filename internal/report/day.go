// Package report computes Seatkeeper's usage, cost, shelfware and evidence
// figures from the exact history the store keeps: every lease, assignment,
// session, queue entry and denial. Nothing is sampled: a pool's day is
// swept from its holds into the seconds spent at each held count, so a
// checkout of a few seconds counts as much as the licence server saw it.
// The package is pure (no I/O); the store feeds it and keeps its day
// summaries, so a report over a year reads a few thousand rows however many
// leases the year held.
package report

import "time"

// DaySeconds is the length of a report day (UTC).
const DaySeconds = 86400

// RefusalHorizon bounds how long after a licence_maxed_out a later seat
// still counts as meeting it; tolerances longer than this cannot be asked.
const RefusalHorizon = 24 * time.Hour

// Level is time spent at one held-seat count.
type Level struct {
	Held    int32
	Seconds int32
}

// Hour is one hour of a pool's day, swept from its holds.
type Hour struct {
	// Levels is the time-weighted distribution of held seats: the seconds
	// spent at each count, which percentiles and means are read from.
	Levels []Level
	Peak   int32
	// AtCapacity is the seconds with every seat held (held >= seats).
	AtCapacity int32
	// Over is the seconds with more held than seats: overdraft in use.
	Over int32
	// Starts counts holds (leases, assignments) that began in the hour.
	Starts int32
}

// Spell is one hold that started on the day: what the optimiser replays.
type Spell struct {
	Person int32 // index into Day.People
	Start  int32 // seconds after the day's start
	Active int32 // seconds from start to the last real activity
	Held   int32 // seconds from start to the seat's release
	Logout bool  // released by logout rather than by idle timeout or revocation
}

// Refusal is one licence_maxed_out denial on the day.
type Refusal struct {
	Person int32 // index into Day.People
	At     int32 // seconds after the day's start
	// MetAfter is the seconds until the person next held a seat of the same
	// SKU in any pool, or -1 when none came within RefusalHorizon.
	MetAfter int32
}

// Day is one pool's usage on one UTC day.
type Day struct {
	Pool     string
	Start    time.Time
	Seats    int32
	Capacity int32 // seats plus overdraft
	Hours    [24]Hour
	// People are everyone with a spell or refusal on the day, those with a
	// spell (who held a seat) first: People[:Active].
	People []string
	Active int32
	// Spells are kept apart from the rest (EncodeSpells): the optimiser
	// replays them, while the utilization figures need only the hours, the
	// active people and the refusals — so a report's cost does not grow
	// with the leases a day held. SpellsRead tells whether they were read.
	Spells     []Spell
	SpellsRead bool
	Refusals   []Refusal
}

// Hold is one held seat as recorded: a lease of a concurrent pool, or for a
// named pool an assignment (Held) or a session under it (demand).
type Hold struct {
	Person     string
	Start, End time.Time // End zero: still held
	LastActive time.Time // zero: same as End
	Logout     bool
}

// RawRefusal is a recorded licence_maxed_out with the first later seat of
// the same SKU for the same person (zero when none).
type RawRefusal struct {
	Person string
	At     time.Time
	Met    time.Time
}

// DayStart is the UTC midnight at or before t.
func DayStart(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}
