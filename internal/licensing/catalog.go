package licensing

import (
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode"
)

// Tier says what a SKU licenses.
type Tier string

// The tiers of DESIGN §2.
const (
	TierFulfiller   Tier = "fulfiller"
	TierModule      Tier = "module"
	TierRequester   Tier = "requester"
	TierStakeholder Tier = "stakeholder"
)

// Valid reports whether t is a known tier.
func (t Tier) Valid() bool {
	switch t {
	case TierFulfiller, TierModule, TierRequester, TierStakeholder:
		return true
	}
	return false
}

// Model says how a pool's seats are held.
type Model string

// Named seats belong to one person; concurrent seats are leased while working.
const (
	ModelNamed      Model = "named"
	ModelConcurrent Model = "concurrent"
)

// Defaults applied when a pool leaves them unset.
const (
	DefaultIdleTimeout = 30 * time.Minute
	// MinIdleTimeout and MaxTimer bound a pool's idle timeout.
	MinIdleTimeout  = time.Minute
	MaxTimer        = 30 * 24 * time.Hour
	DefaultWarnAt   = 0.9
	DefaultOfferTTL = 5 * time.Minute
)

var keyPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// ValidKey reports whether s may be used as a SKU key, pool id or rule id.
func ValidKey(s string) bool { return keyPattern.MatchString(s) }

// ValidGroup reports whether s may name a group. Groups come from identity
// providers ("Service Desk – EU"), so any printable name of up to 256
// characters without surrounding spaces is one.
func ValidGroup(s string) bool {
	if s == "" || len(s) > 256 || strings.TrimSpace(s) != s {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// SKU is a kind of licence.
type SKU struct {
	Key          string
	Name         string
	Tier         Tier
	Requires     []string
	MonthlyPrice float64
}

// Validate checks a SKU on its own; references are checked by the catalog.
func (s *SKU) Validate() error {
	if !ValidKey(s.Key) {
		return FieldErrorf(CodeInvalid, "key", "key must be 1-64 lowercase letters, digits, '.', '_' or '-'")
	}
	if s.Name == "" {
		s.Name = s.Key
	}
	if !s.Tier.Valid() {
		return FieldErrorf(CodeInvalid, "tier", "tier must be fulfiller, module, requester or stakeholder")
	}
	if s.MonthlyPrice < 0 {
		return FieldErrorf(CodeInvalid, "monthly_price", "monthly_price must not be negative")
	}
	if s.Tier == TierModule && len(s.Requires) == 0 {
		return FieldErrorf(CodeInvalid, "requires", "a module must require at least one fulfiller SKU")
	}
	if s.Tier != TierModule && len(s.Requires) > 0 {
		return FieldErrorf(CodeInvalid, "requires", "only modules require other SKUs")
	}
	return nil
}

// QueueConfig turns on the wait queue of a concurrent pool.
type QueueConfig struct {
	// MaxLength bounds the queue; 0 means unbounded.
	MaxLength int
	// Priority orders groups in the queue: higher goes first (as RLM's PRIORITY).
	Priority map[string]int
	// OfferTTL is how long a queued person keeps their place without asking again.
	OfferTTL time.Duration
}

// Pool is one contract line: seats of one SKU under one model.
type Pool struct {
	ID    string
	SKU   string
	Model Model
	Seats int
	// Starts and Ends bound validity; zero means open-ended.
	Starts, Ends time.Time
	// IdleTimeout returns a concurrent seat after inactivity.
	IdleTimeout time.Duration
	// Linger keeps a concurrent seat briefly after logout.
	Linger time.Duration
	// Overdraft allows this many seats above Seats, flagged for true-up.
	Overdraft int
	// WarnAt is the utilisation (0-1] at which admins are warned.
	WarnAt float64
	// Reservations keep seats of a concurrent pool for a group (FlexLM RESERVE).
	Reservations map[string]int
	// Limits cap how many seats a group may hold (FlexLM MAX).
	Limits map[string]int
	// Queue is nil when the pool has no wait queue.
	Queue *QueueConfig
	// Cooldown: a named seat may not move again within this time of its assignment.
	Cooldown     time.Duration
	MonthlyPrice float64
}

// Capacity is the most holders the pool admits, overdraft included.
func (p *Pool) Capacity() int { return p.Seats + p.Overdraft }

// ValidAt reports whether the pool serves anyone at t.
func (p *Pool) ValidAt(t time.Time) bool {
	if !p.Starts.IsZero() && t.Before(p.Starts) {
		return false
	}
	if !p.Ends.IsZero() && !t.Before(p.Ends) {
		return false
	}
	return true
}

// Validate checks a pool on its own and fills defaults.
func (p *Pool) Validate() error {
	switch {
	case !ValidKey(p.ID):
		return FieldErrorf(CodeInvalid, "id", "id must be 1-64 lowercase letters, digits, '.', '_' or '-'")
	case p.SKU == "":
		return FieldErrorf(CodeInvalid, "sku", "sku is required")
	case p.Model != ModelNamed && p.Model != ModelConcurrent:
		return FieldErrorf(CodeInvalid, "model", "model must be named or concurrent")
	case p.Seats < 0:
		return FieldErrorf(CodeInvalid, "seats", "seats must not be negative")
	case p.Seats > 1_000_000:
		return FieldErrorf(CodeInvalid, "seats", "seats must be at most 1000000")
	case p.Overdraft < 0 || p.Overdraft > 1_000_000:
		return FieldErrorf(CodeInvalid, "overdraft", "overdraft must be between 0 and 1000000")
	case p.IdleTimeout < 0:
		return FieldErrorf(CodeInvalid, "idle_timeout", "idle_timeout must not be negative")
	case p.IdleTimeout != 0 && (p.IdleTimeout < MinIdleTimeout || p.IdleTimeout > MaxTimer):
		// A seat returned sooner would be taken from a person mid-action (and
		// a sub-millisecond value used to be stored as 0s, the default).
		return FieldErrorf(CodeInvalid, "idle_timeout", "idle_timeout must be from %s to %s (or omitted for %s)", MinIdleTimeout, MaxTimer, DefaultIdleTimeout)
	case p.Linger < 0:
		return FieldErrorf(CodeInvalid, "linger", "linger must not be negative")
	case p.Linger != 0 && (p.Linger < time.Second || p.Linger > time.Hour):
		return FieldErrorf(CodeInvalid, "linger", "linger must be 0 or from 1s to 1h")
	case p.Cooldown < 0:
		return FieldErrorf(CodeInvalid, "cooldown", "cooldown must not be negative")
	case p.Cooldown != 0 && (p.Cooldown < time.Hour || p.Cooldown > 366*24*time.Hour):
		return FieldErrorf(CodeInvalid, "cooldown", "cooldown must be 0 or from 1h to 8784h (a year)")
	case p.WarnAt < 0 || p.WarnAt > 1:
		return FieldErrorf(CodeInvalid, "warn_at", "warn_at must be between 0 and 1")
	case p.MonthlyPrice < 0:
		return FieldErrorf(CodeInvalid, "monthly_price", "monthly_price must not be negative")
	case !p.Starts.IsZero() && !p.Ends.IsZero() && !p.Ends.After(p.Starts):
		return FieldErrorf(CodeInvalid, "ends", "ends must be after starts")
	}
	if p.IdleTimeout == 0 {
		p.IdleTimeout = DefaultIdleTimeout
	}
	if p.WarnAt == 0 {
		p.WarnAt = DefaultWarnAt
	}
	if p.Model == ModelNamed {
		if len(p.Reservations) > 0 || len(p.Limits) > 0 || p.Queue != nil || p.Linger > 0 {
			return FieldErrorf(CodeInvalid, "model", "reservations, limits, queue and linger apply to concurrent pools only")
		}
	} else if p.Cooldown > 0 {
		return FieldErrorf(CodeInvalid, "cooldown", "cooldown applies to named pools only")
	}
	reserved := 0
	for g, n := range p.Reservations {
		if !ValidGroup(g) || n <= 0 || n > p.Seats {
			return FieldErrorf(CodeInvalid, "reservations", "reservations map group names to positive seat counts no larger than seats")
		}
		reserved += n
	}
	if reserved > p.Seats {
		return FieldErrorf(CodeInvalid, "reservations", "reservations (%d) exceed the pool's seats (%d)", reserved, p.Seats)
	}
	for g, n := range p.Limits {
		if !ValidGroup(g) || n < 0 {
			return FieldErrorf(CodeInvalid, "limits", "limits map group names to non-negative seat counts")
		}
	}
	if q := p.Queue; q != nil {
		if q.MaxLength < 0 {
			return FieldErrorf(CodeInvalid, "queue.max_length", "max_length must not be negative")
		}
		if q.OfferTTL < 0 || q.OfferTTL != 0 && (q.OfferTTL < 10*time.Second || q.OfferTTL > 24*time.Hour) {
			return FieldErrorf(CodeInvalid, "queue.offer_ttl", "offer_ttl must be 0 (the default, %s) or from 10s to 24h", DefaultOfferTTL)
		}
		if q.OfferTTL == 0 {
			q.OfferTTL = DefaultOfferTTL
		}
	}
	return nil
}

// ReservedGroups returns the groups with reservations, sorted, so slot layout is deterministic.
func (p *Pool) ReservedGroups() []string {
	gs := make([]string, 0, len(p.Reservations))
	for g := range p.Reservations {
		gs = append(gs, g)
	}
	sort.Strings(gs)
	return gs
}
