package api

import (
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
			UnknownValues: append([]string{}, u.UnknownValues...), TopOffenders: []offenderJSON{}}
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
