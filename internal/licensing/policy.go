package licensing

import (
	"regexp"
	"sort"
)

// Requirement is what a capability needs: a tier and, for fulfiller and
// module capabilities, optionally the SKUs that qualify.
type Requirement struct {
	Tier Tier
	// SKUs: for TierFulfiller any one of them (empty: any fulfiller SKU); for
	// TierModule every one of them, each with the SKUs it requires.
	SKUs []string
}

// Policy maps capabilities to requirements.
type Policy map[string]Requirement

var capabilityPattern = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$`)

// ValidCapability reports whether s is shaped like "ticket.transition".
func ValidCapability(s string) bool { return len(s) <= 128 && capabilityPattern.MatchString(s) }

// DefaultPolicy is the capability map a new installation starts with: the
// requester portal is free, desk work needs an agent seat, change and asset
// work need their modules, reports need a stakeholder (or agent) seat.
func DefaultPolicy() Policy {
	p := Policy{}
	for _, c := range []string{"portal.view", "kb.read", "ticket.create", "ticket.read_own", "ticket.comment_own", "chat.use", "approval.respond"} {
		p[c] = Requirement{Tier: TierRequester}
	}
	for _, c := range []string{"ticket.read_all", "ticket.assign", "ticket.transition", "ticket.update", "ticket.comment", "ticket.work_note", "kb.write", "proposal.confirm"} {
		p[c] = Requirement{Tier: TierFulfiller}
	}
	for _, c := range []string{"change.create", "change.approve", "change.implement"} {
		p[c] = Requirement{Tier: TierModule, SKUs: []string{"change"}}
	}
	for _, c := range []string{"asset.read", "asset.update", "asset.assign"} {
		p[c] = Requirement{Tier: TierModule, SKUs: []string{"asset"}}
	}
	for _, c := range []string{"report.view", "dashboard.view"} {
		p[c] = Requirement{Tier: TierStakeholder}
	}
	return p
}

// Validate checks one policy entry.
func (r Requirement) Validate(capability string) error {
	if !ValidCapability(capability) {
		return FieldErrorf(CodeInvalid, "capability", "capability must look like area.action")
	}
	if !r.Tier.Valid() {
		return FieldErrorf(CodeInvalid, "tier", "tier must be fulfiller, module, requester or stakeholder")
	}
	if r.Tier == TierModule && len(r.SKUs) == 0 {
		return FieldErrorf(CodeInvalid, "skus", "a module capability names its module SKUs")
	}
	if (r.Tier == TierRequester || r.Tier == TierStakeholder) && len(r.SKUs) > 0 {
		return FieldErrorf(CodeInvalid, "skus", "requester and stakeholder capabilities take no SKUs")
	}
	return nil
}

// Capabilities returns the policy's capabilities sorted.
func (p Policy) Capabilities() []string {
	out := make([]string, 0, len(p))
	for c := range p {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}
