package provision

import "github.com/seatkeeper/seatkeeper/internal/entitle"

// ChangeJSON is one seat a rule change gains, loses or leaves pending: the
// shape the API's rule preview and the CLI share.
type ChangeJSON struct {
	User   string `json:"user"`
	UserID string `json:"user_id"`
	SKU    string `json:"sku"`
	Pool   string `json:"pool"`
	Rule   string `json:"rule,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// OverflowJSON is a pool a rule change would overflow.
type OverflowJSON struct {
	Pool    string `json:"pool"`
	ShortBy int    `json:"short_by"`
}

// PreviewJSON is a rule diff as POST /api/v1/rules/preview answers it
// (DESIGN §5). Lists are never null so clients can range over them.
type PreviewJSON struct {
	Gains     []ChangeJSON   `json:"gains"`
	Losses    []ChangeJSON   `json:"losses"`
	Pending   []ChangeJSON   `json:"pending"`
	Overflows []OverflowJSON `json:"overflows"`
}

// ChangesJSON converts changes to their JSON shape.
func ChangesJSON(cs []entitle.Change) []ChangeJSON {
	out := make([]ChangeJSON, len(cs))
	for i, c := range cs {
		out[i] = ChangeJSON{User: c.UserName, UserID: c.User, SKU: c.SKU, Pool: c.Pool, Rule: c.Rule, Reason: c.Reason}
	}
	return out
}

// DiffJSON converts a diff to the preview's JSON shape; relabels are left
// out, as they change no one's seats.
func DiffJSON(d entitle.Diff) PreviewJSON {
	p := PreviewJSON{Gains: ChangesJSON(d.Gains), Losses: ChangesJSON(d.Losses), Pending: ChangesJSON(d.Pending),
		Overflows: make([]OverflowJSON, len(d.Overflows))}
	for i, o := range d.Overflows {
		p.Overflows[i] = OverflowJSON{Pool: o.Pool, ShortBy: o.ShortBy}
	}
	return p
}
