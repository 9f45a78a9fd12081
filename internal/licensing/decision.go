package licensing

// Via kinds: how an allowed request is licensed.
const (
	ViaNamed      = "named"
	ViaConcurrent = "concurrent"
	ViaFree       = "free"
)

// Reasons for a denial besides the error codes they share.
const (
	ReasonUnknownCapability = "unknown_capability"
	ReasonUnknownUser       = "unknown_user"
	ReasonCheckoutRequired  = "checkout_required"
	ReasonSessionRequired   = "session_required"
	ReasonSessionInvalid    = "session_invalid"
)

// Via says which licence an allowed request is served under.
type Via struct {
	Kind  string
	Pool  string
	SKU   string
	Lease string
}

// Decision is the engine's answer to (person, capability, session).
type Decision struct {
	Allow  bool
	Via    Via
	Reason string
	// Missing lists the SKUs the person lacks (module_missing, no_licence).
	Missing []string
	// Checkout names the concurrent pool a lazy session must lease from
	// before the request may go on (Reason is checkout_required).
	Checkout string
	// User is the resolved person's id ("" when unknown).
	User string
}
