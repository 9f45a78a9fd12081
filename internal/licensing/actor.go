package licensing

// Actor is who asked for a change, for the audit log: a token or person name,
// the real person behind an integration call, and where the call came from.
type Actor struct {
	Name       string
	ActingUser string
	Source     string
}

// System is the actor of Seatkeeper's own background work.
func System(source string) Actor { return Actor{Name: "system", Source: source} }
