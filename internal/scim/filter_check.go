package scim

import (
	"encoding/json"
	"time"
)

// Check refuses, with a 400 invalidFilter, comparisons that cannot mean
// anything for schema (RFC 7644 §3.4.2.2): a literal of the wrong type for
// a known attribute (`userName eq true`), an ordering or substring operator
// on a boolean, or a dateTime that does not parse. Unknown attributes pass:
// they match nothing.
func (f Filter) Check(schema *Schema) error {
	return check(f.Expr, schema, nil)
}

func check(e Expr, schema *Schema, parent *AttrPath) error {
	switch e := e.(type) {
	case *And:
		if err := check(e.Left, schema, parent); err != nil {
			return err
		}
		return check(e.Right, schema, parent)
	case *Or:
		if err := check(e.Left, schema, parent); err != nil {
			return err
		}
		return check(e.Right, schema, parent)
	case *Not:
		return check(e.X, schema, parent)
	case *ValuePath:
		return check(e.Filter, schema, &e.Path)
	case *Compare:
		p := e.Path
		if parent != nil {
			p = AttrPath{URN: parent.URN, Name: parent.Name, Sub: e.Path.Name}
		}
		return checkCompare(e, resolve(schema, p))
	}
	return nil
}

func checkCompare(c *Compare, r resolved) error {
	if !r.known() || c.Op == Pr || c.Value == nil {
		return nil
	}
	bad := func() error {
		return badRequest(InvalidFilter, "%s %s %s: the attribute is of type %s", c.Path, c.Op, literal(c.Value), r.typ())
	}
	switch t := r.typ(); {
	case textual(t):
		// ParseFilter already made a bare number compared with such an
		// attribute a string; a number left here was built by hand.
		if _, ok := c.Value.(string); !ok {
			return bad()
		}
	case t == TypeBoolean:
		if _, ok := c.Value.(bool); !ok || (c.Op != Eq && c.Op != Ne) {
			return bad()
		}
	case t == TypeInteger || t == TypeDecimal:
		if _, ok := c.Value.(json.Number); !ok || c.Op == Co || c.Op == Sw || c.Op == Ew {
			return bad()
		}
	case t == TypeDateTime:
		// RFC3339Nano parses any number of fractional digits
		// (.8617979, as Entra sends), not only up to nine.
		s, ok := c.Value.(string)
		if !ok {
			return bad()
		}
		if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
			return bad()
		}
	}
	return nil
}

// textual reports whether values of type t are JSON strings.
func textual(t Type) bool {
	return t == TypeString || t == TypeReference || t == TypeBinary
}
