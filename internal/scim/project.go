package scim

import "strings"

// Project applies the attributes and excludedAttributes query parameters
// (RFC 7644 §3.4.2.5) to a copy of r. Names may be dotted or URN-qualified and
// are matched case-insensitively. id and schemas, and any attribute the schema
// returns "always", are always kept; "never" attributes (password) are always
// dropped. attributes wins over excludedAttributes when both are given.
func Project(r Resource, attributes, excludedAttributes []string, schema *Schema) Resource {
	out := deepCopy(r).(map[string]any)
	dropNever(out, schema)
	switch {
	case len(attributes) > 0:
		keep := Resource{}
		for _, k := range []string{"id", "schemas"} {
			if v, key, ok := lookup(out, k); ok {
				keep[key] = v
			}
		}
		if schema != nil {
			for _, a := range schema.Attributes {
				if v, key, ok := lookup(out, a.Name); ok && a.Returned == ReturnedAlways {
					keep[key] = v
				}
			}
		}
		for _, name := range attributes {
			copyPath(keep, out, projPath(name, schema))
		}
		return keep
	case len(excludedAttributes) > 0:
		for _, name := range excludedAttributes {
			p := projPath(name, schema)
			if p.URN == "" && p.Sub == "" && (strings.EqualFold(p.Name, "id") || strings.EqualFold(p.Name, "schemas")) {
				continue
			}
			if r := resolve(schema, p); r.attr != nil && r.attr.Returned == ReturnedAlways && p.Sub == "" {
				continue
			}
			removePath(out, p)
		}
	}
	return out
}

// projPath parses an attribute name for projection; a bare extension URN
// selects the whole extension (Name empty).
func projPath(name string, schema *Schema) AttrPath {
	name = strings.TrimSpace(name)
	if schema != nil {
		if e := schema.Extension(name); e != nil {
			return AttrPath{URN: e.ID}
		}
	} else if ext := knownExtension(name); ext != "" {
		return AttrPath{URN: ext}
	}
	var p AttrPath
	rest := name
	if i := strings.LastIndexByte(name, ':'); i >= 0 {
		p.URN, rest = name[:i], name[i+1:]
		if schema != nil && strings.EqualFold(p.URN, schema.ID) {
			p.URN = ""
		}
	}
	p.Name, p.Sub, _ = strings.Cut(rest, ".")
	if r := resolve(schema, p); r.attr != nil {
		p.URN, p.Name, p.Sub = r.urn, r.name, r.sn
	}
	return p
}

func copyPath(dst, src map[string]any, p AttrPath) {
	if p.URN != "" {
		ext, key, ok := lookup(src, p.URN)
		m, isMap := ext.(map[string]any)
		if !ok || !isMap {
			return
		}
		if p.Name == "" {
			dst[key] = m
			return
		}
		d, _ := dst[key].(map[string]any)
		if d == nil {
			d = map[string]any{}
		}
		copyPath(d, m, AttrPath{Name: p.Name, Sub: p.Sub})
		if len(d) > 0 {
			dst[key] = d
		}
		return
	}
	v, key, ok := lookup(src, p.Name)
	if !ok {
		return
	}
	if p.Sub == "" {
		dst[key] = v
		return
	}
	switch x := v.(type) {
	case map[string]any:
		sv, sk, ok := lookup(x, p.Sub)
		if !ok {
			return
		}
		d, _ := dst[key].(map[string]any)
		if d == nil {
			d = map[string]any{}
		}
		d[sk] = sv
		dst[key] = d
	case []any:
		// emails.value: keep that sub-attribute of every value.
		prev, _ := dst[key].([]any)
		out := make([]any, len(x))
		for i, e := range x {
			m := map[string]any{}
			if i < len(prev) {
				if pm, ok := prev[i].(map[string]any); ok {
					m = pm
				}
			}
			if em, ok := e.(map[string]any); ok {
				if sv, sk, ok := lookup(em, p.Sub); ok {
					m[sk] = sv
				}
			}
			out[i] = m
		}
		dst[key] = out
	}
}

func removePath(m map[string]any, p AttrPath) {
	if p.URN != "" {
		ext, key, ok := lookup(m, p.URN)
		em, isMap := ext.(map[string]any)
		if !ok || !isMap || p.Name == "" {
			if ok && p.Name == "" {
				delete(m, key)
			}
			return
		}
		removePath(em, AttrPath{Name: p.Name, Sub: p.Sub})
		return
	}
	v, key, ok := lookup(m, p.Name)
	if !ok {
		return
	}
	if p.Sub == "" {
		delete(m, key)
		return
	}
	for _, e := range flatten(v) {
		if em, ok := e.(map[string]any); ok {
			if _, sk, ok := lookup(em, p.Sub); ok {
				delete(em, sk)
			}
		}
	}
}

func dropNever(m map[string]any, schema *Schema) {
	if schema == nil {
		return
	}
	for _, a := range schema.Attributes {
		if a.Returned == ReturnedNever {
			if _, k, ok := lookup(m, a.Name); ok {
				delete(m, k)
			}
		}
	}
}
