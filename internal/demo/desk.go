package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/desk"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/signin"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

// Password is every demo persona's sign-in password.
const Password = "seatkeeper-demo"

// Persona is a demo person to sign in as, and the case they show.
type Persona struct {
	UserName, Name, Shows string
	// Roles are the administrative roles the persona holds (no seat).
	Roles []licensing.Role
}

// Personas are the people the demo prints, one per case of the desk.
var Personas = []Persona{
	{"requester@example.com", "Rosa Requester", "portal, tickets and the bot on the free tier (no agent seat)", nil},
	{"agent@example.com", "Ada Agent", "agent console on a named seat, with the change module", nil},
	{"floater@example.com", "Flo Floater", "agent console on a concurrent seat, leased at the first action", nil},
	{"nightshift@example.com", "Nia Nightshift", "a full concurrent pool: read-only, with a queue place", nil},
	{"cfo@example.com", "Carl Finance", "stakeholder: reports (multiplexing) without an agent seat", nil},
	{"admin@example.com", "Lena Licence", "licence administrator: the licence console, no seat", []licensing.Role{licensing.RoleLicenceAdmin}},
	{"auditor@example.com", "Aldo Auditor", "auditor: reads the console and verifies the audit log, changes nothing", []licensing.Role{licensing.RoleAuditor}},
}

// oncall holds the one seat of the overflow pool, so Nia finds it full.
const oncall = "oncall@example.com"

// overflowPool is a one-seat concurrent pool that the demo keeps full.
const overflowPool = "agents-overflow"

// Integration is a seeded integration with its token (shown once).
type Integration struct {
	Name, Mode, Token string
}

// SeedDesk adds the service desk to a seeded company: personas with
// passwords, articles, tickets in every state, and one integration per mode.
// On a database that has them already it does nothing and returns nil.
func SeedDesk(ctx context.Context, st *store.Store) ([]Integration, error) {
	if list, err := st.ListIntegrations(ctx); err != nil || len(list) > 0 {
		return nil, err
	}
	if err := st.CreatePool(ctx, actor, licensing.Pool{ID: overflowPool, SKU: "agent", Model: licensing.ModelConcurrent, Seats: 1, MonthlyPrice: 140,
		IdleTimeout: 12 * time.Hour, Queue: &licensing.QueueConfig{MaxLength: 10}}); err != nil {
		return nil, fmt.Errorf("demo pool: %w", err)
	}
	hash, err := signin.HashPassword(Password)
	if err != nil {
		return nil, err
	}
	pools := map[string][]string{
		"agent@example.com": {"agents-named", "change-named"}, "floater@example.com": {"agents-floating"},
		"nightshift@example.com": {overflowPool}, "cfo@example.com": {"stakeholders"}, oncall: {overflowPool},
	}
	for i, p := range append(Personas, Persona{oncall, "Otto Oncall", "", nil}) {
		u := licensing.User{UserName: p.UserName, Email: p.UserName, DisplayName: p.Name, EmployeeID: fmt.Sprintf("E%05d", 90000+i),
			ExternalID: fmt.Sprintf("00udemo%03d", i), Department: "IT", JobCode: "ITSD-1", Kind: licensing.KindPerson, Active: true, EmployeeType: "employee"}
		if p.UserName == "requester@example.com" {
			u.Department, u.JobCode = "Sales", "SAL-2"
		}
		if len(p.Roles) > 0 {
			u.JobCode = "ITAM-2"
		}
		if _, err := st.CreateUser(ctx, actor, u); err != nil {
			return nil, fmt.Errorf("demo persona %s: %w", p.UserName, err)
		}
		for _, pool := range pools[p.UserName] {
			if _, _, err := st.PutMember(ctx, actor, pool, p.UserName, licensing.SourceManual); err != nil {
				return nil, fmt.Errorf("demo persona %s in %s: %w", p.UserName, pool, err)
			}
		}
		for _, r := range p.Roles {
			if _, _, err := st.GrantRole(ctx, actor, p.UserName, r); err != nil {
				return nil, fmt.Errorf("demo persona %s role %s: %w", p.UserName, r, err)
			}
		}
		// One slow hash for all: hashing per persona would cost seconds.
		if err := st.SetPassword(ctx, actor, p.UserName, hash); err != nil {
			return nil, fmt.Errorf("demo password %s: %w", p.UserName, err)
		}
	}
	if err := seedArticles(ctx, st); err != nil {
		return nil, err
	}
	if err := seedTickets(ctx, st); err != nil {
		return nil, err
	}
	var out []Integration
	made := map[desk.Mode]desk.Integration{}
	for _, in := range []struct {
		name string
		mode desk.Mode
	}{{"slack-hub", desk.ModeEnforce}, {"teams-bot", desk.ModePropose}, {"legacy-itsm", desk.ModeMonitor}} {
		integ, secret, err := st.CreateIntegration(ctx, actor, in.name, in.mode)
		if err != nil {
			return nil, fmt.Errorf("demo integration %s: %w", in.name, err)
		}
		made[in.mode] = integ
		out = append(out, Integration{Name: in.name, Mode: string(in.mode), Token: secret})
	}
	if err := seedCalls(ctx, st, made); err != nil {
		return nil, err
	}
	return out, nil
}

// HoldOverflow keeps the overflow pool's one seat held by the on-call
// agent until ctx ends, so the read-only case is always there to see.
func HoldOverflow(ctx context.Context, st *store.Store, every time.Duration) error {
	var id string
	list, err := st.ListSessions(ctx, store.SessionFilter{User: oncall, ActiveOnly: true, Limit: 1})
	if err != nil {
		return err
	}
	if len(list) > 0 {
		id = list[0].ID
	} else {
		ss, err := st.StartSession(ctx, actor, oncall, false, []string{overflowPool})
		if err != nil {
			return fmt.Errorf("demo: hold the overflow seat: %w", err)
		}
		id = ss.ID
	}
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				_, _ = st.Heartbeat(ctx, id)
			}
		}
	}()
	return nil
}
