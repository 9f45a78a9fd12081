package licensing

import (
	"slices"
	"testing"
	"time"
)

func TestPoolValidate(t *testing.T) {
	named := func(mod func(*Pool)) Pool {
		p := Pool{ID: "agents-named", SKU: "agent", Model: ModelNamed, Seats: 10, MonthlyPrice: 95}
		mod(&p)
		return p
	}
	conc := func(mod func(*Pool)) Pool {
		p := Pool{ID: "agents-floating", SKU: "agent", Model: ModelConcurrent, Seats: 10, MonthlyPrice: 140}
		mod(&p)
		return p
	}
	keep := func(*Pool) {}
	tests := []struct {
		name      string
		pool      Pool
		wantField string // "" when the pool is valid
	}{
		{"valid named", named(keep), ""},
		{"valid concurrent", conc(keep), ""},
		{"zero seats", conc(func(p *Pool) { p.Seats = 0 }), ""},
		{"concurrent with everything", conc(func(p *Pool) {
			p.Reservations = map[string]int{"network": 4, "desk": 6}
			p.Limits = map[string]int{"desk": 8, "contractors": 0}
			p.Queue = &QueueConfig{MaxLength: 20, Priority: map[string]int{"network": 10}}
			p.Linger = 5 * time.Minute
			p.Overdraft = 2
		}), ""},
		{"named with cooldown", named(func(p *Pool) { p.Cooldown = 30 * 24 * time.Hour }), ""},
		{"dates in order", named(func(p *Pool) { p.Starts, p.Ends = t0, t0.AddDate(1, 0, 0) }), ""},

		{"bad id", named(func(p *Pool) { p.ID = "Agents Named" }), "id"},
		{"empty id", named(func(p *Pool) { p.ID = "" }), "id"},
		{"no sku", named(func(p *Pool) { p.SKU = "" }), "sku"},
		{"bad model", named(func(p *Pool) { p.Model = "floating" }), "model"},
		{"no model", named(func(p *Pool) { p.Model = "" }), "model"},
		{"negative seats", named(func(p *Pool) { p.Seats = -1 }), "seats"},
		{"too many seats", named(func(p *Pool) { p.Seats = 1_000_001 }), "seats"},
		{"negative overdraft", conc(func(p *Pool) { p.Overdraft = -1 }), "overdraft"},
		{"negative idle timeout", conc(func(p *Pool) { p.IdleTimeout = -time.Minute }), "idle_timeout"},
		{"negative linger", conc(func(p *Pool) { p.Linger = -time.Minute }), "linger"},
		{"negative cooldown", named(func(p *Pool) { p.Cooldown = -time.Hour }), "cooldown"},
		{"idle timeout of a millisecond", conc(func(p *Pool) { p.IdleTimeout = time.Millisecond }), "idle_timeout"},
		{"idle timeout under a minute", conc(func(p *Pool) { p.IdleTimeout = 59 * time.Second }), "idle_timeout"},
		{"idle timeout over 30 days", conc(func(p *Pool) { p.IdleTimeout = 31 * 24 * time.Hour }), "idle_timeout"},
		{"linger of a nanosecond", conc(func(p *Pool) { p.Linger = time.Nanosecond }), "linger"},
		{"linger over an hour", conc(func(p *Pool) { p.Linger = 2 * time.Hour }), "linger"},
		{"cooldown of a minute", named(func(p *Pool) { p.Cooldown = time.Minute }), "cooldown"},
		{"queue offer of a second", conc(func(p *Pool) { p.Queue = &QueueConfig{OfferTTL: time.Second} }), "queue.offer_ttl"},
		{"warn_at above 1", conc(func(p *Pool) { p.WarnAt = 1.5 }), "warn_at"},
		{"negative warn_at", conc(func(p *Pool) { p.WarnAt = -0.1 }), "warn_at"},
		{"negative price", named(func(p *Pool) { p.MonthlyPrice = -1 }), "monthly_price"},
		{"ends before starts", named(func(p *Pool) { p.Starts, p.Ends = t0, t0.Add(-time.Hour) }), "ends"},
		{"ends at starts", named(func(p *Pool) { p.Starts, p.Ends = t0, t0 }), "ends"},
		{"named with linger", named(func(p *Pool) { p.Linger = time.Minute }), "model"},
		{"named with queue", named(func(p *Pool) { p.Queue = &QueueConfig{} }), "model"},
		{"named with reservations", named(func(p *Pool) { p.Reservations = map[string]int{"desk": 1} }), "model"},
		{"named with limits", named(func(p *Pool) { p.Limits = map[string]int{"desk": 1} }), "model"},
		{"concurrent with cooldown", conc(func(p *Pool) { p.Cooldown = time.Hour }), "cooldown"},
		{"reservations exceed seats", conc(func(p *Pool) { p.Reservations = map[string]int{"network": 6, "desk": 5} }), "reservations"},
		{"zero reservation", conc(func(p *Pool) { p.Reservations = map[string]int{"desk": 0} }), "reservations"},
		{"reservation for a bad group", conc(func(p *Pool) { p.Reservations = map[string]int{" desk": 1} }), "reservations"},
		{"negative limit", conc(func(p *Pool) { p.Limits = map[string]int{"desk": -1} }), "limits"},
		{"negative queue length", conc(func(p *Pool) { p.Queue = &QueueConfig{MaxLength: -1} }), "queue.max_length"},
		{"negative offer ttl", conc(func(p *Pool) { p.Queue = &QueueConfig{OfferTTL: -time.Second} }), "queue.offer_ttl"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.pool
			err := p.Validate()
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			ae, ok := AsError(err)
			if !ok || ae.Code != CodeInvalid || ae.Field != tt.wantField {
				t.Fatalf("Validate() = %v, want %s on field %q", err, CodeInvalid, tt.wantField)
			}
		})
	}
}

func TestPoolValidateDefaults(t *testing.T) {
	tests := []struct {
		name         string
		pool         Pool
		wantIdle     time.Duration
		wantWarnAt   float64
		wantOfferTTL time.Duration // 0 when the pool has no queue
	}{
		{
			name:     "named defaults",
			pool:     Pool{ID: "a", SKU: "agent", Model: ModelNamed, Seats: 1},
			wantIdle: 30 * time.Minute, wantWarnAt: 0.9,
		},
		{
			name:     "concurrent defaults with queue",
			pool:     Pool{ID: "a", SKU: "agent", Model: ModelConcurrent, Seats: 1, Queue: &QueueConfig{}},
			wantIdle: 30 * time.Minute, wantWarnAt: 0.9, wantOfferTTL: 5 * time.Minute,
		},
		{
			name: "explicit values kept",
			pool: Pool{ID: "a", SKU: "agent", Model: ModelConcurrent, Seats: 1, IdleTimeout: 10 * time.Minute, WarnAt: 0.75,
				Queue: &QueueConfig{OfferTTL: time.Minute}},
			wantIdle: 10 * time.Minute, wantWarnAt: 0.75, wantOfferTTL: time.Minute,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.pool
			if err := p.Validate(); err != nil {
				t.Fatalf("Validate() = %v", err)
			}
			if p.IdleTimeout != tt.wantIdle {
				t.Errorf("IdleTimeout = %v, want %v", p.IdleTimeout, tt.wantIdle)
			}
			if p.WarnAt != tt.wantWarnAt {
				t.Errorf("WarnAt = %v, want %v", p.WarnAt, tt.wantWarnAt)
			}
			var ttl time.Duration
			if p.Queue != nil {
				ttl = p.Queue.OfferTTL
			}
			if ttl != tt.wantOfferTTL {
				t.Errorf("Queue.OfferTTL = %v, want %v", ttl, tt.wantOfferTTL)
			}
		})
	}
}

func TestPoolValidAtAndCapacity(t *testing.T) {
	p := Pool{Seats: 10, Overdraft: 2, Starts: t0, Ends: t0.Add(time.Hour)}
	if got := p.Capacity(); got != 12 {
		t.Errorf("Capacity() = %d, want 12", got)
	}
	tests := []struct {
		at   time.Time
		want bool
	}{
		{t0.Add(-time.Nanosecond), false},
		{t0, true},
		{t0.Add(time.Hour - time.Nanosecond), true},
		{t0.Add(time.Hour), false},
	}
	for _, tt := range tests {
		if got := p.ValidAt(tt.at); got != tt.want {
			t.Errorf("ValidAt(%v) = %v, want %v", tt.at, got, tt.want)
		}
	}
	if open := (Pool{}); !open.ValidAt(t0) {
		t.Errorf("open-ended pool: ValidAt = false, want true")
	}
}

func TestPoolReservedGroups(t *testing.T) {
	p := Pool{Reservations: map[string]int{"network": 1, "desk": 2, "apps": 3}}
	if got, want := p.ReservedGroups(), []string{"apps", "desk", "network"}; !slices.Equal(got, want) {
		t.Errorf("ReservedGroups() = %q, want %q", got, want)
	}
}

func TestSKUValidate(t *testing.T) {
	tests := []struct {
		name      string
		sku       SKU
		wantField string
	}{
		{"fulfiller", SKU{Key: "agent", Tier: TierFulfiller, MonthlyPrice: 95}, ""},
		{"module", SKU{Key: "change", Tier: TierModule, Requires: []string{"agent"}}, ""},
		{"requester", SKU{Key: "requester", Tier: TierRequester}, ""},
		{"bad key", SKU{Key: "Agent", Tier: TierFulfiller}, "key"},
		{"bad tier", SKU{Key: "agent", Tier: "premium"}, "tier"},
		{"negative price", SKU{Key: "agent", Tier: TierFulfiller, MonthlyPrice: -1}, "monthly_price"},
		{"module requiring nothing", SKU{Key: "change", Tier: TierModule}, "requires"},
		{"fulfiller requiring", SKU{Key: "agent", Tier: TierFulfiller, Requires: []string{"x"}}, "requires"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.sku
			err := s.Validate()
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				if s.Name != s.Key {
					t.Errorf("Name = %q, want the key %q by default", s.Name, s.Key)
				}
				return
			}
			if ae, ok := AsError(err); !ok || ae.Code != CodeInvalid || ae.Field != tt.wantField {
				t.Fatalf("Validate() = %v, want %s on field %q", err, CodeInvalid, tt.wantField)
			}
		})
	}
}

func TestRequirementValidate(t *testing.T) {
	tests := []struct {
		name       string
		capability string
		req        Requirement
		wantField  string
	}{
		{"requester", "ticket.create", Requirement{Tier: TierRequester}, ""},
		{"fulfiller with SKUs", "ticket.transition", Requirement{Tier: TierFulfiller, SKUs: []string{"agent"}}, ""},
		{"bad capability", "Ticket", Requirement{Tier: TierRequester}, "capability"},
		{"bad tier", "ticket.create", Requirement{Tier: "gold"}, "tier"},
		{"module without SKUs", "change.approve", Requirement{Tier: TierModule}, "skus"},
		{"stakeholder with SKUs", "report.view", Requirement{Tier: TierStakeholder, SKUs: []string{"agent"}}, "skus"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.req.Validate(tt.capability)
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("Validate(%q) = %v, want nil", tt.capability, err)
				}
				return
			}
			if ae, ok := AsError(err); !ok || ae.Field != tt.wantField {
				t.Fatalf("Validate(%q) = %v, want an error on field %q", tt.capability, err, tt.wantField)
			}
		})
	}
	for _, c := range DefaultPolicy().Capabilities() {
		if err := DefaultPolicy()[c].Validate(c); err != nil {
			t.Errorf("DefaultPolicy()[%q].Validate = %v, want nil", c, err)
		}
	}
}

func TestUserValidate(t *testing.T) {
	tests := []struct {
		name       string
		user       User
		wantField  string
		wantKind   Kind
		wantGroups []string
	}{
		{"minimal person", User{UserName: "jane"}, "", KindPerson, nil},
		{"service account", User{UserName: "slack-hub", Kind: KindService}, "", KindService, nil},
		{"plain email", User{UserName: "jane", Email: "jane@example.com"}, "", KindPerson, nil},
		{"user name trimmed", User{UserName: "  jane  "}, "", KindPerson, nil},
		{"groups deduplicated", User{UserName: "jane", Groups: []string{"desk", "network", "desk"}}, "", KindPerson, []string{"desk", "network"}},

		{"no user name", User{UserName: "   "}, "user_name", "", nil},
		{"user name with a space", User{UserName: "jane doe"}, "user_name", "", nil},
		{"user name with a slash", User{UserName: "corp/jane"}, "user_name", "", nil},
		// Stored as sent (identity providers send placeholders); never a key.
		{"placeholder email", User{UserName: "jane", Email: "not-an-email"}, "", KindPerson, nil},
		{"email with a display name", User{UserName: "jane", Email: "Jane <jane@example.com>"}, "", KindPerson, nil},
		{"bad kind", User{UserName: "jane", Kind: "robot"}, "kind", "", nil},
		{"bad group", User{UserName: "jane", Groups: []string{"desk\tline"}}, "groups", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := tt.user
			err := u.Validate()
			if tt.wantField != "" {
				if ae, ok := AsError(err); !ok || ae.Code != CodeInvalid || ae.Field != tt.wantField {
					t.Fatalf("Validate() = %v, want %s on field %q", err, CodeInvalid, tt.wantField)
				}
				return
			}
			if err != nil {
				t.Fatalf("Validate() = %v, want nil", err)
			}
			if u.Kind != tt.wantKind {
				t.Errorf("Kind = %q, want %q", u.Kind, tt.wantKind)
			}
			if u.UserName != "jane" && u.UserName != "slack-hub" {
				t.Errorf("UserName = %q, want it trimmed", u.UserName)
			}
			if u.DisplayName != u.UserName {
				t.Errorf("DisplayName = %q, want the user name %q by default", u.DisplayName, u.UserName)
			}
			if !slices.Equal(u.Groups, tt.wantGroups) {
				t.Errorf("Groups = %q, want %q", u.Groups, tt.wantGroups)
			}
		})
	}
}

func TestUserKeys(t *testing.T) {
	u := User{UserName: "Jane", Email: "Jane.Doe@Example.com", EmployeeID: "E12345", ExternalID: ""}
	name, others := u.keys()
	if want := []string{"jane.doe@example.com", "e12345"}; name != "jane" || !slices.Equal(others, want) {
		t.Errorf("keys() = %q, %q; want jane, %q", name, others, want)
	}
	// A placeholder email is stored, never a key; one equal to the user
	// name is found as the name.
	u = User{UserName: "jane@example.com", Email: "JANE@example.com", ExternalID: "not an email"}
	if name, others := u.keys(); name != "jane@example.com" || !slices.Equal(others, []string{"not an email"}) {
		t.Errorf("keys() = %q, %q; want the name alone plus the external ID", name, others)
	}
	if _, others := (&User{UserName: "x", Email: "placeholder"}).keys(); len(others) != 0 {
		t.Errorf("an invalid email became a key: %q", others)
	}
}
