package licensing

// Actor is who asked for a change, for the audit log: a token or person name,
// the real person behind an integration call, and where the call came from.
// Integration is the integration (id) the call came through, if any: the
// store holds seats taken for it only briefly and caps them.
type Actor struct {
	Name        string
	ActingUser  string
	Source      string
	Integration string
}

// System is the actor of Seatkeeper's own background work.
func System(source string) Actor { return Actor{Name: "system", Source: source} }
