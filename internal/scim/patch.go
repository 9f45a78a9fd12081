package scim

import (
	"bytes"
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// PatchOp is one operation of a PATCH request (RFC 7644 §3.5.2). Op is
// matched case-insensitively, as Entra sends "Replace", "Add" and "Remove".
type PatchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path,omitempty"`
	Value any    `json:"value,omitempty"`
}

// PatchRequest is the body of a PATCH request.
type PatchRequest struct {
	Schemas    []string  `json:"schemas"`
	Operations []PatchOp `json:"Operations"`
}

// DecodePatch decodes and checks a PATCH body. Numbers decode as json.Number,
// as ApplyPatch expects. Errors are *Error with scimType invalidSyntax.
func DecodePatch(body []byte) ([]PatchOp, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var req PatchRequest
	if err := dec.Decode(&req); err != nil {
		return nil, badRequest(InvalidSyntax, "request body is not a PatchOp message: %v", err)
	}
	if !slices.ContainsFunc(req.Schemas, func(s string) bool { return strings.EqualFold(s, PatchOpSchema) }) {
		return nil, badRequest(InvalidSyntax, "schemas must contain %s", PatchOpSchema)
	}
	if len(req.Operations) == 0 {
		return nil, badRequest(InvalidSyntax, "no Operations")
	}
	return req.Operations, nil
}

// ApplyPatch applies ops to a copy of r and returns the copy; r is never
// modified, so on error nothing has changed. With a nil schema nothing is
// validated. Errors are *Error: invalidSyntax for an unknown op, invalidPath
// for a bad or unknown path, noTarget for a remove without path or a value
// filter that selects nothing, mutability for readOnly or immutable targets,
// invalidValue for a wrong type or a cleared required attribute.
//
// The identity providers' habits are accepted: path-less values with dotted
// and URN-qualified keys, "add" on a single-valued attribute replacing it,
// booleans as strings, "remove" on members with a value list removing only
// those, manager as an object, a bare string or an array, and empty or null
// values clearing an attribute.
func ApplyPatch(r Resource, ops []PatchOp, schema *Schema) (Resource, error) {
	out, _ := deepCopy(r).(map[string]any)
	if out == nil {
		out = Resource{}
	}
	pt := &patcher{res: out, schema: schema}
	for i, op := range ops {
		if err := pt.apply(op); err != nil {
			if e, ok := err.(*Error); ok && len(ops) > 1 {
				e.Detail = "operation " + strconv.Itoa(i+1) + ": " + e.Detail
			}
			return nil, err
		}
	}
	if schema != nil {
		for _, a := range schema.Attributes {
			if v, _, _ := lookup(out, a.Name); a.Required && empty(v) {
				return nil, badRequest(InvalidValue, "%s is required", a.Name)
			}
		}
	}
	return out, nil
}

type patcher struct {
	res    Resource
	schema *Schema
}

func (pt *patcher) apply(op PatchOp) error {
	name := strings.ToLower(strings.TrimSpace(op.Op))
	switch name {
	case "add", "replace", "remove":
	default:
		return badRequest(InvalidSyntax, "unknown op %q", op.Op)
	}
	if strings.TrimSpace(op.Path) == "" {
		if name == "remove" {
			return badRequest(NoTarget, "remove needs a path")
		}
		obj, ok := op.Value.(map[string]any)
		if !ok {
			return badRequest(InvalidValue, "%s without a path needs an object value", name)
		}
		return pt.applyObject(name, "", obj)
	}
	p, err := ParsePath(strings.TrimSpace(op.Path))
	if err != nil {
		return err
	}
	return pt.applyPath(name, p, op.Value, false)
}

// applyObject applies each key of a path-less value as if it were a path.
// Keys may be dotted ("name.givenName"), URN-qualified, or an extension URN
// holding an object.
func (pt *patcher) applyObject(op, urn string, obj map[string]any) error {
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := obj[k]
		if urn == "" && strings.EqualFold(k, "schemas") {
			continue
		}
		var p Path
		if ext := pt.extension(k); ext != "" && urn == "" {
			m, ok := v.(map[string]any)
			if !ok {
				if empty(v) {
					if err := pt.applyPath(op, Path{Attr: AttrPath{URN: ext}}, nil, true); err != nil {
						return err
					}
					continue
				}
				return badRequest(InvalidValue, "%s must be an object", ext)
			}
			if err := pt.applyObject(op, ext, m); err != nil {
				return err
			}
			continue
		}
		key := k
		if urn != "" {
			key = urn + ":" + k
		}
		p, err := ParsePath(key)
		if err != nil {
			return err
		}
		if p.Filter != nil {
			return badRequest(InvalidPath, "value filter in a path-less value key %q", k)
		}
		if err := pt.applyPath(op, p, v, true); err != nil {
			return err
		}
	}
	return nil
}

func (pt *patcher) extension(k string) string {
	if pt.schema == nil {
		return knownExtension(k)
	}
	if e := pt.schema.Extension(k); e != nil {
		return e.ID
	}
	return ""
}

// applyPath applies one operation to path p. implicit is true for keys of a
// path-less value, where readOnly id and meta are ignored (Okta sends them).
func (pt *patcher) applyPath(op string, p Path, v any, implicit bool) error {
	if p.Attr.Name == "" { // a whole extension
		if op == "remove" || empty(v) {
			pt.dropExtension(p.Attr.URN)
			return nil
		}
		m, ok := v.(map[string]any)
		if !ok {
			return badRequest(InvalidValue, "%s must be an object", p.Attr.URN)
		}
		return pt.applyObject(op, p.Attr.URN, m)
	}
	rr := resolve(pt.schema, p.Attr)
	if p.Attr.URN != "" && rr.urn == "" && pt.schema != nil && !strings.EqualFold(p.Attr.URN, pt.schema.ID) {
		return badRequest(InvalidPath, "unknown schema %s", p.Attr.URN)
	}
	if pt.schema != nil && !rr.known() {
		return badRequest(InvalidPath, "unknown attribute %s", p.Attr)
	}
	var leaf *Attribute
	switch {
	case rr.sub != nil:
		leaf = rr.sub
	case p.Sub != "" && rr.attr != nil:
		if leaf = rr.attr.Sub(p.Sub); leaf == nil && pt.schema != nil {
			return badRequest(InvalidPath, "unknown sub-attribute %s", p)
		}
	default:
		leaf = rr.attr
	}
	if rr.attr != nil && (rr.attr.Mutability == ReadOnly || leaf != nil && leaf.Mutability == ReadOnly) {
		if implicit && (rr.name == "meta" || rr.name == "id" && pt.sameID(v)) {
			return nil
		}
		return badRequest(Mutability, "%s is read-only", p)
	}
	if op != "remove" || p.Filter == nil && leaf != nil && leaf.MultiValued {
		// A remove reads its value only as the values to take out.
		if err := checkShape(p, leaf, v); err != nil {
			return err
		}
	}
	base := pt.container(rr.urn, op != "remove" && !empty(v))
	if base == nil {
		if op == "remove" && p.Filter != nil {
			return badRequest(NoTarget, "no value matches %s", p)
		}
		return nil
	}
	defer pt.tidy(rr.urn)
	cur, key, found := lookup(base, rr.name)
	if !found {
		key = rr.name
	}
	if leaf != nil && leaf.Mutability == Immutable && (p.Filter != nil && p.Sub != "" || p.Filter == nil && p.Attr.Sub == "" && found && !empty(cur) && !reflect.DeepEqual(cur, v)) {
		return badRequest(Mutability, "%s is immutable", p)
	}
	if p.Filter != nil {
		return pt.filtered(op, p, rr, base, key, cur, v)
	}
	if rr.sn != "" {
		return pt.subAttr(op, rr, base, key, cur, v)
	}
	attr := rr.attr
	if op == "remove" {
		if attr != nil && attr.MultiValued && !empty(v) {
			base[key] = removeValues(flatten(cur), flatten(v), attr)
			if empty(base[key]) {
				delete(base, key)
			}
			return nil
		}
		return pt.clear(base, key, attr)
	}
	if attr != nil && attr.Type == TypeComplex && !attr.MultiValued {
		v = singleComplex(v, attr)
	}
	if empty(v) {
		return pt.clear(base, key, attr)
	}
	if attr == nil {
		base[key] = v
		return nil
	}
	if attr.MultiValued {
		vals, err := coerceMulti(v, attr)
		if err != nil {
			return err
		}
		if op == "add" {
			vals = addValues(flatten(cur), vals, attr)
		}
		delete(base, key)
		base[attr.Name] = vals
		return nil
	}
	nv, err := coerce(v, attr)
	if err != nil {
		return err
	}
	if attr.Type == TypeComplex && attr.Sub("value") == nil {
		// name and the like: sub-attributes not given are kept.
		if old, ok := cur.(map[string]any); ok {
			merged := deepCopy(old).(map[string]any)
			for k, sv := range nv.(map[string]any) {
				if _, ok := merged[k]; !ok {
					for ok2 := range merged {
						if strings.EqualFold(ok2, k) {
							delete(merged, ok2)
						}
					}
				}
				merged[k] = sv
			}
			nv = merged
		}
	}
	delete(base, key)
	base[attr.Name] = nv
	return nil
}

func (pt *patcher) sameID(v any) bool {
	id, _, _ := lookup(pt.res, "id")
	return reflect.DeepEqual(id, v)
}

func (pt *patcher) clear(base map[string]any, key string, attr *Attribute) error {
	if attr != nil && attr.Required {
		return badRequest(InvalidValue, "%s is required", attr.Name)
	}
	delete(base, key)
	return nil
}

// subAttr handles "name.givenName", "manager.value" and "emails.value".
func (pt *patcher) subAttr(op string, rr resolved, base map[string]any, key string, cur, v any) error {
	attr := rr.attr
	if attr != nil && attr.MultiValued {
		elems := flatten(cur)
		if len(elems) == 0 {
			if op == "remove" || empty(v) {
				return nil
			}
			elems = []any{map[string]any{}}
		}
		for _, e := range elems {
			m, ok := e.(map[string]any)
			if !ok {
				return badRequest(InvalidValue, "%s holds no objects", rr.name)
			}
			if err := setSub(m, rr.sn, rr.sub, op, v); err != nil {
				return err
			}
		}
		delete(base, key)
		base[rr.name] = elems
		return nil
	}
	m, ok := cur.(map[string]any)
	if !ok {
		if op == "remove" || empty(v) {
			return nil
		}
		m = map[string]any{}
	}
	if err := setSub(m, rr.sn, rr.sub, op, v); err != nil {
		return err
	}
	delete(base, key)
	if len(m) == 0 {
		return nil
	}
	base[rr.name] = m
	return nil
}

func setSub(m map[string]any, name string, a *Attribute, op string, v any) error {
	if _, k, ok := lookup(m, name); ok {
		delete(m, k)
	}
	if op == "remove" || empty(v) {
		return nil
	}
	nv, err := coerce(v, a)
	if err != nil {
		return err
	}
	m[name] = nv
	return nil
}

// filtered handles paths with a value filter: members[value eq "id"],
// emails[type eq "work"].value.
func (pt *patcher) filtered(op string, p Path, rr resolved, base map[string]any, key string, cur, v any) error {
	attr := rr.attr
	if attr != nil && !attr.MultiValued {
		return badRequest(InvalidPath, "%s is not multi-valued", rr.name)
	}
	parent := parentOrEmpty(attr)
	elems := slices.Clone(flatten(cur))
	var hit []int
	for i, e := range elems {
		m, ok := e.(map[string]any)
		if !ok {
			m = map[string]any{"value": e}
		}
		if eval(p.Filter, m, parent) {
			hit = append(hit, i)
		}
	}
	var subAttr *Attribute
	if p.Sub != "" {
		subAttr = parent.Sub(p.Sub)
	}
	switch {
	case op == "remove" && len(hit) == 0:
		return badRequest(NoTarget, "no value matches %s", p)
	case op == "remove" && p.Sub == "":
		for i := len(hit) - 1; i >= 0; i-- {
			elems = slices.Delete(elems, hit[i], hit[i]+1)
		}
	case len(hit) == 0:
		// Entra adds emails[type eq "work"].value to users without one:
		// build the value from the filter's equalities.
		seed, ok := seedFromFilter(p.Filter)
		if !ok || op == "replace" && p.Sub == "" {
			return badRequest(NoTarget, "no value matches %s", p)
		}
		if empty(v) {
			return nil
		}
		if p.Sub != "" {
			seed[p.Sub] = v
		} else {
			m, ok := v.(map[string]any)
			if !ok {
				return badRequest(InvalidValue, "%s needs an object value", p)
			}
			for k, x := range m {
				seed[k] = x
			}
		}
		nv, err := coerce(seed, parent)
		if err != nil {
			return err
		}
		elems = append(elems, nv)
	default:
		for _, i := range hit {
			m, ok := elems[i].(map[string]any)
			if !ok {
				return badRequest(InvalidValue, "%s holds no objects", rr.name)
			}
			m = deepCopy(m).(map[string]any)
			if p.Sub != "" {
				if err := setSub(m, p.Sub, subAttr, op, v); err != nil {
					return err
				}
				elems[i] = m
				continue
			}
			nm, ok := v.(map[string]any)
			if !ok {
				return badRequest(InvalidValue, "%s needs an object value", p)
			}
			nv, err := coerce(nm, parent)
			if err != nil {
				return err
			}
			if op == "add" {
				for k, x := range nv.(map[string]any) {
					m[k] = x
				}
				elems[i] = m
			} else {
				elems[i] = nv
			}
		}
	}
	delete(base, key)
	if len(elems) > 0 {
		base[rr.name] = elems
	}
	return nil
}

// seedFromFilter returns the attributes a value filter made only of "eq"
// comparisons with strings pins down.
func seedFromFilter(e Expr) (map[string]any, bool) {
	switch e := e.(type) {
	case *Compare:
		if e.Op == Eq && e.Value != nil {
			return map[string]any{e.Path.Name: e.Value}, true
		}
	case *And:
		l, ok1 := seedFromFilter(e.Left)
		r, ok2 := seedFromFilter(e.Right)
		if ok1 && ok2 {
			for k, v := range r {
				l[k] = v
			}
			return l, true
		}
	}
	return nil, false
}

// container returns the map holding the attributes of urn, creating an
// extension object (and its schemas entry) when create is set.
func (pt *patcher) container(urn string, create bool) map[string]any {
	if urn == "" {
		return pt.res
	}
	v, k, ok := lookup(pt.res, urn)
	if m, isMap := v.(map[string]any); ok && isMap {
		return m
	}
	if !create {
		return nil
	}
	if ok {
		delete(pt.res, k)
	}
	m := map[string]any{}
	pt.res[urn] = m
	schemas := flatten(pt.res["schemas"])
	if !slices.ContainsFunc(schemas, func(s any) bool { x, _ := s.(string); return strings.EqualFold(x, urn) }) {
		pt.res["schemas"] = append(slices.Clone(schemas), urn)
	}
	return m
}

// tidy drops an extension left empty.
func (pt *patcher) tidy(urn string) {
	if urn == "" {
		return
	}
	if v, _, ok := lookup(pt.res, urn); ok && empty(v) {
		pt.dropExtension(urn)
	}
}

func (pt *patcher) dropExtension(urn string) {
	if _, k, ok := lookup(pt.res, urn); ok {
		delete(pt.res, k)
	}
	if s, ok := pt.res["schemas"].([]any); ok {
		pt.res["schemas"] = slices.DeleteFunc(slices.Clone(s), func(x any) bool { y, _ := x.(string); return strings.EqualFold(y, urn) })
	}
}

// checkShape refuses, before an empty value is taken to clear, an array
// where p targets one value ("displayName": [], a value filter's element)
// and an array inside an array: those are wrong types, not empty values.
// leaf is the attribute p targets, nil when unknown.
func checkShape(p Path, leaf *Attribute, v any) error {
	if leaf == nil {
		return nil
	}
	if p.Filter != nil && p.Sub == "" {
		if _, ok := v.([]any); ok {
			return badRequest(InvalidValue, "%s needs one value, not an array", p)
		}
		return checkSubShapes(v, leaf)
	}
	return checkValueShape(v, leaf)
}

// checkValueShape checks v as the value of a. Only a multi-valued attribute
// takes an array, and manager, which clients send as an array of one.
func checkValueShape(v any, a *Attribute) error {
	list, ok := v.([]any)
	if !ok {
		return checkSubShapes(v, a)
	}
	if !a.MultiValued && !(a.Type == TypeComplex && a.Sub("value") != nil) {
		return badRequest(InvalidValue, "%s is single-valued: an array is not its value", a.Name)
	}
	for _, e := range list {
		if _, nested := e.([]any); nested {
			return badRequest(InvalidValue, "%s: an array inside an array", a.Name)
		}
		if err := checkSubShapes(e, a); err != nil {
			return err
		}
	}
	return nil
}

// checkSubShapes checks the known sub-attributes of one complex value.
func checkSubShapes(v any, a *Attribute) error {
	m, ok := v.(map[string]any)
	if !ok || a.Type != TypeComplex {
		return nil
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if sub := a.Sub(k); sub != nil {
			if err := checkValueShape(m[k], sub); err != nil {
				return err
			}
		}
	}
	return nil
}

// singleComplex normalises the shapes clients send for a single-valued
// complex attribute with a value (manager): a bare string, an object or an
// array of one. {"value":""} clears it.
func singleComplex(v any, a *Attribute) any {
	if a.Sub("value") == nil {
		return v
	}
	switch x := v.(type) {
	case string:
		if x == "" {
			return nil
		}
		return map[string]any{"value": x}
	case []any:
		if len(x) == 0 {
			return nil
		}
		return singleComplex(x[0], a)
	case map[string]any:
		if val, _, _ := lookup(x, "value"); empty(val) {
			return nil
		}
	}
	return v
}

func coerceMulti(v any, a *Attribute) ([]any, error) {
	var out []any
	for _, e := range flatten(v) {
		if empty(e) {
			continue
		}
		if s, ok := e.(string); ok && a.Type == TypeComplex && a.Sub("value") != nil {
			e = map[string]any{"value": s}
		}
		ne, err := coerce(e, a)
		if err != nil {
			return nil, err
		}
		out = append(out, ne)
	}
	return out, nil
}

// coerce checks v against a (one value of it when multi-valued) and returns
// it in canonical form: booleans from "True"/"False", sub-attribute names as
// the schema spells them, empty sub-attributes dropped.
func coerce(v any, a *Attribute) (any, error) {
	if a == nil {
		return v, nil
	}
	bad := func() (any, error) {
		return nil, badRequest(InvalidValue, "%s: %s expected", a.Name, a.Type)
	}
	switch a.Type {
	case TypeString, TypeReference, TypeBinary:
		// A number where a string is due is a wrong type, not a string
		// to be guessed at (RFC 7643 §2.3.1).
		if x, ok := v.(string); ok {
			return x, nil
		}
		return bad()
	case TypeBoolean:
		if b, ok := toBool(v); ok {
			return b, nil
		}
		return bad()
	case TypeInteger, TypeDecimal:
		var n json.Number
		switch x := v.(type) {
		case json.Number:
			n = x
		case string:
			n = json.Number(strings.TrimSpace(x))
		case float64:
			n = json.Number(jsonFloat(x))
		default:
			return bad()
		}
		if _, err := n.Float64(); err != nil {
			return bad()
		}
		if a.Type == TypeInteger {
			if _, err := n.Int64(); err != nil {
				return bad()
			}
		}
		return n, nil
	case TypeDateTime:
		s, ok := v.(string)
		if !ok {
			return bad()
		}
		if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
			return bad()
		}
		return s, nil
	case TypeComplex:
		m, ok := v.(map[string]any)
		if !ok {
			return bad()
		}
		out := make(map[string]any, len(m))
		for k, sv := range m {
			if empty(sv) {
				continue
			}
			sub := a.Sub(k)
			if sub == nil {
				out[k] = deepCopy(sv)
				continue
			}
			nv, err := coerce(sv, sub)
			if err != nil {
				return nil, err
			}
			out[sub.Name] = nv
		}
		return out, nil
	}
	return v, nil
}

func jsonFloat(f float64) string {
	b, _ := json.Marshal(f)
	return string(b)
}

// valueKey is what identifies one value of a multi-valued attribute: its
// "value" sub-attribute (folded unless caseExact), else the value itself.
func valueKey(e any, a *Attribute) (string, bool) {
	if m, ok := e.(map[string]any); ok {
		e, _, _ = lookup(m, "value")
	}
	s, ok := toString(e)
	if !ok {
		return "", false
	}
	if v := a.Sub("value"); v == nil || !v.CaseExact {
		s = strings.ToLower(s)
	}
	return s, true
}

func sameValue(x, y any, a *Attribute) bool {
	kx, ok1 := valueKey(x, a)
	ky, ok2 := valueKey(y, a)
	if ok1 && ok2 {
		return kx == ky
	}
	return reflect.DeepEqual(x, y)
}

// addValues appends the values not already present; a new value replaces an
// old one with the same "value".
func addValues(cur, add []any, a *Attribute) []any {
	out := slices.Clone(cur)
	for _, n := range add {
		if i := slices.IndexFunc(out, func(o any) bool { return sameValue(o, n, a) }); i >= 0 {
			out[i] = n
			continue
		}
		out = append(out, n)
	}
	return out
}

// removeValues removes the given values, as Entra's remove on members with a
// value list expects; values not present are ignored.
func removeValues(cur, rm []any, a *Attribute) []any {
	return slices.DeleteFunc(slices.Clone(cur), func(o any) bool {
		return slices.ContainsFunc(rm, func(r any) bool { return sameValue(o, r, a) })
	})
}

func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = deepCopy(e)
		}
		return s
	}
	return v
}
