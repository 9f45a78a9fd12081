package scim

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// Column is the SQL column an attribute path is stored in.
type Column struct {
	// Name is the column expression, used verbatim (it comes from the caller,
	// never from the filter).
	Name string
	// TimeFormat, if set, formats dateTime arguments (in UTC) with this
	// layout, for stores that keep times as text; otherwise they are
	// passed as time.Time.
	TimeFormat string
	// Folded, if set, is a column holding Name folded by Fold (lower-cased
	// when Fold is nil): case-insensitive comparisons use it, so an index on
	// it serves them.
	Folded string
	Fold   func(string) string
	// IntBool stores booleans as 0 and 1.
	IntBool bool
}

// SQL translates f into a WHERE condition with '?' placeholders for stores
// that keep the pushable attributes in plain columns. cols is keyed by the
// canonical attribute path as AttrPath.String spells it ("userName",
// "emails.value", "meta.lastModified",
// EnterpriseUserURN+":employeeNumber", …); the key
// `emails[type eq "work"].value` maps the work e-mail. ok is false when some
// part of f has no column: the caller then loads candidates and uses Match.
// The condition never evaluates to NULL, so "not" means what Match means.
// The zero Filter gives "1=1".
func (f Filter) SQL(cols map[string]Column) (where string, args []any, ok bool) {
	if f.Expr == nil {
		return "1=1", nil, true
	}
	var b sqlBuilder
	b.cols = cols
	if !b.expr(f.Expr) {
		return "", nil, false
	}
	return b.sb.String(), b.args, true
}

type sqlBuilder struct {
	cols map[string]Column
	sb   strings.Builder
	args []any
}

func (b *sqlBuilder) expr(e Expr) bool {
	switch e := e.(type) {
	case *And:
		return b.binary("AND", e.Left, e.Right)
	case *Or:
		return b.binary("OR", e.Left, e.Right)
	case *Not:
		b.sb.WriteString("NOT ")
		return b.expr(e.X)
	case *Compare:
		col, ok := b.cols[e.Path.String()]
		if !ok {
			return false
		}
		return b.compare(col, e, resolveAny(e.Path))
	case *ValuePath:
		return b.valuePath(e)
	}
	return false
}

func (b *sqlBuilder) binary(op string, l, r Expr) bool {
	b.sb.WriteByte('(')
	if !b.expr(l) {
		return false
	}
	b.sb.WriteString(" " + op + " ")
	if !b.expr(r) {
		return false
	}
	b.sb.WriteByte(')')
	return true
}

// valuePath pushes down `a[v op x]` as a.v, and
// `a[type eq "t"].v op x` through the column keyed `a[type eq "t"].v`.
func (b *sqlBuilder) valuePath(e *ValuePath) bool {
	parent := resolveAny(e.Path).attr
	if parent == nil {
		return false
	}
	var key string
	var c *Compare
	switch f := e.Filter.(type) {
	case *Compare:
		key, c = AttrPath{URN: e.Path.URN, Name: e.Path.Name, Sub: f.Path.Name}.String(), f
	case *And:
		t, ok1 := f.Left.(*Compare)
		v, ok2 := f.Right.(*Compare)
		if !ok1 || !ok2 || t.Op != Eq {
			return false
		}
		s, ok := t.Value.(string)
		if !ok {
			return false
		}
		key = e.Path.String() + "[" + t.Path.Name + " eq " + literal(strings.ToLower(s)) + "]." + v.Path.Name
		c = v
	default:
		return false
	}
	col, ok := b.cols[key]
	if !ok {
		return false
	}
	return b.compare(col, c, resolved{attr: parent, sub: parent.Sub(c.Path.Name), sn: c.Path.Name})
}

func (b *sqlBuilder) compare(col Column, c *Compare, r resolved) bool {
	name := col.Name
	if c.Op == Pr || c.Value == nil {
		cond := "(" + name + " IS NOT NULL AND " + name + " <> '')"
		if r.typ() != TypeString && r.typ() != TypeReference && r.typ() != "" {
			cond = "(" + name + " IS NOT NULL)"
		}
		if c.Op != Pr { // eq null is "not present", ne null is "present"
			if c.Op == Eq {
				cond = "NOT " + cond
			}
		}
		b.sb.WriteString(cond)
		return true
	}
	var arg any
	lhs := name
	switch v := c.Value.(type) {
	case bool:
		if r.typ() != TypeBoolean {
			return false
		}
		arg = v
		if col.IntBool {
			arg = 0
			if v {
				arg = 1
			}
		}
	case json.Number:
		if t := r.typ(); t != TypeInteger && t != TypeDecimal {
			return false
		}
		if i, err := strconv.ParseInt(v.String(), 10, 64); err == nil {
			arg = i
		} else if f, err := strconv.ParseFloat(v.String(), 64); err == nil {
			arg = f
		} else {
			return false
		}
	case string:
		switch r.typ() {
		case TypeDateTime:
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil || c.Op == Co || c.Op == Sw || c.Op == Ew {
				return false
			}
			if col.TimeFormat != "" {
				arg = t.UTC().Format(col.TimeFormat)
			} else {
				arg = t.UTC()
			}
		case TypeString, TypeReference, "":
			if !r.caseExact() {
				switch {
				case col.Folded != "" && col.Fold != nil:
					lhs, v = col.Folded, col.Fold(v)
				case col.Folded != "":
					lhs, v = col.Folded, strings.ToLower(v)
				default:
					lhs, v = "lower("+name+")", strings.ToLower(v)
				}
			}
			switch c.Op {
			case Co:
				v = "%" + escapeLike(v) + "%"
			case Sw:
				v = escapeLike(v) + "%"
			case Ew:
				v = "%" + escapeLike(v)
			}
			arg = v
		default:
			return false
		}
	default:
		return false
	}
	var cond string
	switch c.Op {
	case Eq:
		cond = lhs + " = ?"
	case Ne:
		b.sb.WriteString("(" + name + " IS NULL OR " + lhs + " <> ?)")
		b.args = append(b.args, arg)
		return true
	case Co, Sw, Ew:
		cond = lhs + ` LIKE ? ESCAPE '\'`
	case Gt:
		cond = lhs + " > ?"
	case Ge:
		cond = lhs + " >= ?"
	case Lt:
		cond = lhs + " < ?"
	case Le:
		cond = lhs + " <= ?"
	default:
		return false
	}
	b.sb.WriteString("(" + name + " IS NOT NULL AND " + cond + ")")
	b.args = append(b.args, arg)
	return true
}

// escapeLike escapes LIKE's wildcards with '\', matching ESCAPE '\'.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
