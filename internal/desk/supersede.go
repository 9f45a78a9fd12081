package desk

import "strings"

// Remaining is the part of c that would still change t: the fields t does
// not hold yet, and the note. A proposal's change is applied as its
// remainder, so a move someone already made is not refused as a
// transition to the state the ticket is in.
func (c Change) Remaining(t Ticket) Change {
	out := Change{Note: c.Note}
	if c.State != "" && c.State != t.State {
		out.State = c.State
	}
	if c.Assignee != nil && *c.Assignee != t.Assignee {
		out.Assignee = c.Assignee
	}
	if c.Priority != "" && c.Priority != t.Priority {
		out.Priority = c.Priority
	}
	// Categories are stored trimmed and in lower case.
	if c.Category != "" && strings.ToLower(strings.TrimSpace(c.Category)) != t.Category {
		out.Category = c.Category
	}
	if c.Asset != nil && *c.Asset != t.Asset {
		out.Asset = c.Asset
	}
	return out
}

// Empty reports whether c changes nothing and carries no note.
func (c Change) Empty() bool {
	return c.State == "" && c.Assignee == nil && c.Priority == "" && c.Category == "" && c.Asset == nil && c.Note == nil
}

// Superseded reports whether a proposal of c is pointless on t: the
// ticket already holds every field it sets, and it carries no note (a note
// is never "already there").
func (c Change) Superseded(t Ticket) bool {
	return c.Remaining(t).Empty()
}
