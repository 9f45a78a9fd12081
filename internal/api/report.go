package api

import (
	"math"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/desk"
)

type offenderJSON struct {
	User       string `json:"user"`
	Verified   bool   `json:"verified"`
	Unlicensed int    `json:"unlicensed_actions"`
}

type integrationUsageJSON struct {
	Integration       string         `json:"integration"`
	Mode              string         `json:"mode"`
	Actions           int            `json:"actions"`
	DistinctActing    int            `json:"distinct_acting_users"`
	LicensedActions   int            `json:"licensed_actions"`
	UnlicensedActions int            `json:"unlicensed_actions"`
	Blocked           int            `json:"blocked"`
	Proposed          int            `json:"proposed"`
	Flagged           int            `json:"flagged"`
	UnknownActing     int            `json:"unknown_acting_users"`
	UnknownValues     []string       `json:"unknown_values"`
	TopOffenders      []offenderJSON `json:"top_offenders"`
	// Seats held through the integration (DESIGN §3.5): its rules, what it
	// holds now, what its calls took in the period, and per pool.
	HoldSeconds int             `json:"hold_seconds"`
	MaxSeats    int             `json:"max_seats"`
	SeatsHeld   int             `json:"seats_held"`
	SeatsTaken  int             `json:"seats_taken"`
	Seats       []poolSeatsJSON `json:"seats"`
}

type poolSeatsJSON struct {
	Pool      string  `json:"pool"`
	Cap       int     `json:"cap"`
	HeldNow   int     `json:"held_now"`
	Peak      int     `json:"peak"`
	Taken     int     `json:"taken"`
	SeatHours float64 `json:"seat_hours"`
}

type reportJSON struct {
	From         time.Time              `json:"from"`
	To           time.Time              `json:"to"`
	Integrations []integrationUsageJSON `json:"integrations"`
	ServiceSeats []memberJSON           `json:"service_accounts_with_seats"`
}

func reportOut(r desk.MultiplexingReport) reportJSON {
	out := reportJSON{From: r.From, To: r.To, Integrations: []integrationUsageJSON{}, ServiceSeats: []memberJSON{}}
	for _, u := range r.Integrations {
		j := integrationUsageJSON{Integration: u.Name, Mode: string(u.Mode), Actions: u.Actions, DistinctActing: u.DistinctActing, LicensedActions: u.LicensedActions,
			UnlicensedActions: u.UnlicensedActions, Blocked: u.Blocked, Proposed: u.Proposed, Flagged: u.Flagged, UnknownActing: u.UnknownActing,
			UnknownValues: append([]string{}, u.UnknownValues...), TopOffenders: []offenderJSON{},
			HoldSeconds: int(u.Hold / time.Second), MaxSeats: u.MaxSeats, SeatsHeld: u.SeatsHeld, SeatsTaken: u.SeatsTaken, Seats: []poolSeatsJSON{}}
		for _, ps := range u.Seats {
			j.Seats = append(j.Seats, poolSeatsJSON{Pool: ps.Pool, Cap: ps.Cap, HeldNow: ps.HeldNow, Peak: ps.Peak, Taken: ps.Taken, SeatHours: math.Round(ps.SeatHours*100) / 100})
		}
		for _, o := range u.TopOffenders {
			j.TopOffenders = append(j.TopOffenders, offenderJSON{User: o.Name, Verified: o.User != "", Unlicensed: o.Unlicensed})
		}
		out.Integrations = append(out.Integrations, j)
	}
	for _, m := range r.ServiceSeats {
		out.ServiceSeats = append(out.ServiceSeats, memberOut(m))
	}
	return out
}
