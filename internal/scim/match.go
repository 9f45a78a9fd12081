package scim

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// Resource is a SCIM resource as decoded from JSON with UseNumber: nested
// objects are map[string]any, arrays []any, numbers json.Number.
type Resource = map[string]any

// Match reports whether r satisfies f. String comparisons follow each
// attribute's caseExact (id and externalId are exact, everything else,
// including unknown attributes, is not); dateTime attributes compare as
// instants; a multi-valued attribute matches if any of its values does.
func (f Filter) Match(r Resource) bool {
	if f.Expr == nil {
		return true
	}
	return eval(f.Expr, r, nil)
}

// eval evaluates e on obj; parent is the attribute obj is a value of inside a
// value filter, nil at the top level.
func eval(e Expr, obj map[string]any, parent *Attribute) bool {
	switch e := e.(type) {
	case *And:
		return eval(e.Left, obj, parent) && eval(e.Right, obj, parent)
	case *Or:
		return eval(e.Left, obj, parent) || eval(e.Right, obj, parent)
	case *Not:
		return !eval(e.X, obj, parent)
	case *ValuePath:
		attr := parentOrEmpty(resolveAny(e.Path).attr)
		for _, v := range values(obj, e.Path) {
			m, ok := v.(map[string]any)
			if !ok {
				m = map[string]any{"value": v}
			}
			if eval(e.Filter, m, attr) {
				return true
			}
		}
		return false
	case *Compare:
		var r resolved
		if parent != nil {
			r = resolved{attr: parent, sub: parent.Sub(e.Path.Name), sn: e.Path.Name}
		} else {
			r = resolveAny(e.Path)
		}
		return compare(values(obj, e.Path), e.Op, e.Value, r)
	}
	return false
}

// lookup finds key in m, exactly or else case-insensitively.
func lookup(m map[string]any, key string) (any, string, bool) {
	if v, ok := m[key]; ok {
		return v, key, true
	}
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v, k, true
		}
	}
	return nil, "", false
}

// values returns the values at p in obj, arrays flattened.
func values(obj map[string]any, p AttrPath) []any {
	base := obj
	if p.URN != "" {
		ext, _, _ := lookup(obj, p.URN)
		m, ok := ext.(map[string]any)
		if !ok {
			return nil
		}
		base = m
	}
	v, _, ok := lookup(base, p.Name)
	if !ok {
		return nil
	}
	vs := flatten(v)
	if p.Sub == "" {
		return vs
	}
	var out []any
	for _, v := range vs {
		if m, ok := v.(map[string]any); ok {
			if s, _, ok := lookup(m, p.Sub); ok {
				out = append(out, flatten(s)...)
			}
		}
	}
	return out
}

func flatten(v any) []any {
	if a, ok := v.([]any); ok {
		return a
	}
	if v == nil {
		return nil
	}
	return []any{v}
}

// empty reports whether v counts as unassigned (RFC 7643 §2.5).
func empty(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case string:
		return v == ""
	case []any:
		for _, e := range v {
			if !empty(e) {
				return false
			}
		}
		return true
	case map[string]any:
		for _, e := range v {
			if !empty(e) {
				return false
			}
		}
		return true
	}
	return false
}

func compare(vs []any, op Op, want any, r resolved) bool {
	switch {
	case op == Pr:
		for _, v := range vs {
			if !empty(v) {
				return true
			}
		}
		return false
	case op == Ne:
		return !compare(vs, Eq, want, r)
	case want == nil: // eq null: unassigned
		return !compare(vs, Pr, nil, r)
	}
	for _, v := range vs {
		if m, ok := v.(map[string]any); ok {
			// A complex value without a sub-attribute compares by "value".
			v, _, _ = lookup(m, "value")
		}
		if compareOne(v, op, want, r.caseExact(), r.typ()) {
			return true
		}
	}
	return false
}

func compareOne(v any, op Op, want any, caseExact bool, typ Type) bool {
	switch want := want.(type) {
	case bool:
		b, ok := toBool(v)
		return ok && op == Eq && b == want
	case json.Number:
		a, ok1 := toFloat(v)
		b, err := strconv.ParseFloat(want.String(), 64)
		if !ok1 || err != nil {
			return false
		}
		return ordered(op, cmp3(a, b))
	case string:
		if typ == TypeDateTime {
			if a, ok := toTime(v); ok {
				if b, err := time.Parse(time.RFC3339Nano, want); err == nil {
					return ordered(op, a.Compare(b))
				}
			}
		}
		s, ok := toString(v)
		if !ok {
			return false
		}
		if !caseExact {
			s, want = strings.ToLower(s), strings.ToLower(want)
		}
		switch op {
		case Co:
			return strings.Contains(s, want)
		case Sw:
			return strings.HasPrefix(s, want)
		case Ew:
			return strings.HasSuffix(s, want)
		}
		return ordered(op, strings.Compare(s, want))
	}
	return false
}

func ordered(op Op, c int) bool {
	switch op {
	case Eq:
		return c == 0
	case Gt:
		return c > 0
	case Ge:
		return c >= 0
	case Lt:
		return c < 0
	case Le:
		return c <= 0
	}
	return false
}

func cmp3(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func toBool(v any) (bool, bool) {
	switch v := v.(type) {
	case bool:
		return v, true
	case string:
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	return false, false
}

func toFloat(v any) (float64, bool) {
	var s string
	switch v := v.(type) {
	case json.Number:
		s = v.String()
	case string:
		s = v
	case float64:
		return v, true
	case int:
		return float64(v), true
	case int64:
		return float64(v), true
	default:
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

func toString(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case json.Number:
		return v.String(), true
	case bool:
		return strconv.FormatBool(v), true
	}
	return "", false
}

func toTime(v any) (time.Time, bool) {
	switch v := v.(type) {
	case time.Time:
		return v, true
	case string:
		t, err := time.Parse(time.RFC3339Nano, v)
		return t, err == nil
	}
	return time.Time{}, false
}
