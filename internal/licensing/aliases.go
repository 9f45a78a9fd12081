package licensing

import (
	"slices"
	"strings"
)

// People are found by id, by user name (unique, RFC 7643 §4.1.1) and by
// their other keys — email, employee ID, external ID — which are not
// unique: two people may share an email. The engine keeps two indexes of
// folded keys (FoldKey): names (user name → id) and aliases (other key →
// the ids holding it, joined by sep). A key that names exactly one person
// resolves; one shared by several is ambiguous and resolves to nobody.

const sep = "\x00"

// keys are a person's folded lookup keys: the user name, and the others
// deduplicated (an email equal to the user name is found as the name).
func (u *User) keys() (name string, others []string) {
	name = FoldKey(u.UserName)
	for _, a := range []string{u.emailKey(), u.EmployeeID, u.ExternalID} {
		if a == "" {
			continue
		}
		k := FoldKey(a)
		if k != name && !slices.Contains(others, k) {
			others = append(others, k)
		}
	}
	return name, others
}

// emailKey is the email a person may be found and signed in by: only a
// valid address (identity providers send placeholders, stored as sent).
func (u *User) emailKey() string {
	if ValidEmail(u.Email) {
		return u.Email
	}
	return ""
}

// withID adds id to an alias's holders.
func withID(cur, id string) string {
	if cur == "" {
		return id
	}
	for _, h := range strings.Split(cur, sep) {
		if h == id {
			return cur
		}
	}
	return cur + sep + id
}

// withoutID drops id from an alias's holders ("" when none is left).
func withoutID(cur, id string) string {
	if cur == id {
		return ""
	}
	hs := strings.Split(cur, sep)
	out := hs[:0]
	for _, h := range hs {
		if h != id {
			out = append(out, h)
		}
	}
	return strings.Join(out, sep)
}

// holders counts an alias's holders and returns the one when there is one.
func holders(v string) (string, int) {
	if v == "" {
		return "", 0
	}
	if n := strings.Count(v, sep); n > 0 {
		return "", n + 1
	}
	return v, 1
}

// reindex moves id's keys from old (nil for a new person) to v. The
// caller holds writeMu.
func (e *Engine) reindex(id string, old, v *personView) {
	if old != nil && old.name != "" && (v == nil || old.name != v.name) {
		if cur, ok := e.names.Get(old.name); ok && cur == id {
			e.names.Delete(old.name)
		}
	}
	if v != nil && v.name != "" {
		e.names.Put(v.name, id)
	}
	puts := map[string]string{}
	var dels []string
	if old != nil {
		for _, a := range old.aliases {
			if v != nil && slices.Contains(v.aliases, a) {
				continue
			}
			cur, _ := e.aliases.Get(a)
			if next := withoutID(cur, id); next == "" {
				dels = append(dels, a)
			} else {
				puts[a] = next
			}
		}
	}
	if v != nil {
		for _, a := range v.aliases {
			cur, _ := e.aliases.Get(a)
			if next := withID(cur, id); next != cur {
				puts[a] = next
			}
		}
	}
	if len(puts) > 0 || len(dels) > 0 {
		e.aliases.Update(puts, dels)
	}
}

// Lookup finds the person behind key: by id, by user name, then by email,
// employee ID or external ID, compared folded. It returns the id and how
// many people the key names: 1 found, 0 nobody, more when the key is
// shared (ambiguous: no id). It does not allocate on an exact match.
func (e *Engine) Lookup(key string) (string, int) {
	if _, ok := e.people.Get(key); ok {
		return key, 1
	}
	if id, n := e.lookupFolded(key); n > 0 {
		return id, n
	}
	if f := FoldKey(key); f != key {
		return e.lookupFolded(f)
	}
	return "", 0
}

func (e *Engine) lookupFolded(k string) (string, int) {
	if id, ok := e.names.Get(k); ok {
		return id, 1
	}
	if v, ok := e.aliases.Get(k); ok {
		return holders(v)
	}
	return "", 0
}

// Resolve finds a person's id by any key (see Lookup); an ambiguous key
// resolves to nobody.
func (e *Engine) Resolve(key string) (string, bool) {
	id, n := e.Lookup(key)
	return id, n == 1
}
