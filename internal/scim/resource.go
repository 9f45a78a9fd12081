package scim

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"
)

// ParseResource decodes the body of a POST or PUT (RFC 7644 §3.3, §3.5.1)
// and returns it in canonical form: attribute names as the schema spells
// them, booleans sent as strings made booleans, extensions as objects under
// their URN, and the schemas list naming the core schema and each extension
// present.
//
// What the RFC says a server ignores is dropped: readOnly attributes (id,
// meta, groups) and the writeOnly password, which is never stored. Unknown
// attributes and schema URIs outside the IETF namespace are dropped too, as
// Entra sends vendor URIs and "roles" on groups. The body is refused with a
// 400 when it is not a JSON object (invalidSyntax), when schemas does not
// name schema or names an IETF schema this resource does not have
// (invalidValue), when a value has the wrong type (invalidValue), or when a
// required attribute is missing (invalidValue).
func ParseResource(body []byte, schema *Schema) (Resource, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var in map[string]any
	if err := dec.Decode(&in); err != nil {
		return nil, badRequest(InvalidSyntax, "request body is not a JSON object: %v", err)
	}
	if dec.More() {
		return nil, badRequest(InvalidSyntax, "request body has data after the JSON object")
	}
	if in == nil {
		return nil, badRequest(InvalidSyntax, "request body is not a JSON object")
	}
	if err := checkSchemas(in, schema); err != nil {
		return nil, err
	}
	value := map[string]any{}
	for k, v := range in {
		if strings.EqualFold(k, "schemas") {
			continue
		}
		if ext := schema.Extension(k); ext != nil {
			obj, ok := v.(map[string]any)
			if !ok {
				if empty(v) {
					continue
				}
				return nil, badRequest(InvalidValue, "%s must be an object", ext.ID)
			}
			value[ext.ID] = writable(obj, ext)
			continue
		}
		p, err := ParsePath(k)
		if err != nil || p.Filter != nil {
			continue
		}
		if r := resolve(schema, p.Attr); r.known() && !readOnlyOrSecret(r) {
			value[k] = v
		}
	}
	out, err := ApplyPatch(Resource{"schemas": []any{schema.ID}}, []PatchOp{{Op: "replace", Value: value}}, schema)
	var se *Error
	if errors.As(err, &se) && se.SCIMType == InvalidPath {
		// A path that cannot be applied to an object is a bad value here.
		se.SCIMType = InvalidValue
	}
	return out, err
}

// writable keeps the keys of an extension object its schema knows and lets
// a client write.
func writable(obj map[string]any, ext *Schema) map[string]any {
	out := make(map[string]any, len(obj))
	for k, v := range obj {
		if r := resolve(ext, AttrPath{Name: k}); r.known() && !readOnlyOrSecret(r) {
			out[k] = v
		}
	}
	return out
}

func readOnlyOrSecret(r resolved) bool {
	a := r.attr
	if r.sub != nil {
		a = r.sub
	}
	return a.Mutability == ReadOnly || a.Mutability == WriteOnly || r.attr.Mutability == ReadOnly
}

// checkSchemas requires the core schema and refuses IETF schemas the
// resource does not have (a Group schema posted to /Users, say).
func checkSchemas(in map[string]any, schema *Schema) error {
	raw, _, ok := lookup(in, "schemas")
	list, isList := raw.([]any)
	if !ok || !isList {
		return badRequest(InvalidValue, "schemas must list %s", schema.ID)
	}
	var names []string
	for _, v := range list {
		s, ok := v.(string)
		if !ok {
			return badRequest(InvalidValue, "schemas must be strings")
		}
		names = append(names, s)
	}
	if !slices.ContainsFunc(names, func(s string) bool { return strings.EqualFold(s, schema.ID) }) {
		return badRequest(InvalidValue, "schemas must list %s", schema.ID)
	}
	for _, s := range names {
		if strings.HasPrefix(strings.ToLower(s), "urn:ietf:params:scim:") && !strings.EqualFold(s, schema.ID) && schema.Extension(s) == nil {
			return badRequest(InvalidValue, "unknown schema %s for a %s", s, schema.Name)
		}
	}
	return nil
}
