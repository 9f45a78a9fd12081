package scimserver_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// A replay is a provisioning client's run written down as it sends it:
// testdata/replay/CLIENT.json holds each request and the answer it must get.
// Expected bodies are matched as subsets: every key given must match, others
// may be present. In them (and in requests) "${name}" is a value saved from
// an earlier answer ("save": {"name": "id"}, a dotted path) and "${base}" the
// SCIM base URL. An expected "*" is any present value, a string ending in
// "*" a prefix (in bodies and headers), "$absent" a key that
// must not be there, and an array starting with "$unordered" matches the
// answer's array in any order.
type replay struct {
	Client string       `json:"client"`
	Steps  []replayStep `json:"steps"`
}

type replayStep struct {
	Name    string `json:"name"`
	Request struct {
		Method  string            `json:"method"`
		Path    string            `json:"path"`
		Query   map[string]string `json:"query"`
		Headers map[string]string `json:"headers"`
		Body    json.RawMessage   `json:"body"`
	} `json:"request"`
	Response struct {
		Status  int               `json:"status"`
		Headers map[string]string `json:"headers"`
		Body    json.RawMessage   `json:"body"`
	} `json:"response"`
	Save map[string]string `json:"save"`
}

func TestClientReplay(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "replay", "*.json"))
	if err != nil || len(files) < 2 {
		t.Fatalf("replay files: %v %v, want one per client (Entra, Okta)", files, err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".json"), func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var rp replay
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&rp); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			e := newEnv(t)
			vars := map[string]string{"base": e.srv.URL + "/scim/v2"}
			for i, st := range rp.Steps {
				if !e.replayStep(t, vars, st) {
					t.Fatalf("step %d (%s) failed; later steps depend on it", i+1, st.Name)
				}
			}
		})
	}
}

var replayVar = regexp.MustCompile(`\$\{([a-zA-Z0-9_]+)\}`)

func expand(t *testing.T, vars map[string]string, s string) string {
	t.Helper()
	return replayVar.ReplaceAllStringFunc(s, func(m string) string {
		v, ok := vars[m[2:len(m)-1]]
		if !ok {
			t.Fatalf("replay: %s is not saved yet", m)
		}
		return v
	})
}

// replayStep sends one request and checks its answer; it reports whether
// the step passed.
func (e *env) replayStep(t *testing.T, vars map[string]string, st replayStep) bool {
	t.Helper()
	path := expand(t, vars, st.Request.Path)
	if len(st.Request.Query) > 0 {
		q := url.Values{}
		for k, v := range st.Request.Query {
			q.Set(k, expand(t, vars, v))
		}
		// Encoded as clients do: spaces as %20.
		path += "?" + strings.ReplaceAll(q.Encode(), "+", "%20")
	}
	var body any
	if len(st.Request.Body) > 0 {
		body = expand(t, vars, string(st.Request.Body))
	}
	var hdr []string
	for k, v := range st.Request.Headers {
		hdr = append(hdr, k, expand(t, vars, v))
	}
	r := e.do(st.Request.Method, path, body, hdr...)
	ok := true
	if r.Status != st.Response.Status {
		t.Errorf("%s: %s %s: status %d, want %d: %s", st.Name, st.Request.Method, path, r.Status, st.Response.Status, r)
		ok = false
	}
	for k, v := range st.Response.Headers {
		// A header ending in "*" is matched as a prefix ("*" alone: present).
		if got, want := r.Header.Get(k), expand(t, vars, v); got != want && !(strings.HasSuffix(want, "*") && got != "" && strings.HasPrefix(got, strings.TrimSuffix(want, "*"))) {
			t.Errorf("%s: header %s = %q, want %q", st.Name, k, got, want)
			ok = false
		}
	}
	if len(st.Response.Body) > 0 {
		var want any
		if err := json.Unmarshal([]byte(expand(t, vars, string(st.Response.Body))), &want); err != nil {
			t.Fatalf("%s: expected body: %v", st.Name, err)
		}
		var got any
		if err := json.Unmarshal(r.Raw, &got); err != nil {
			t.Errorf("%s: answer is not JSON: %v: %s", st.Name, err, r)
			return false
		}
		if why := subset(want, got, ""); why != "" {
			t.Errorf("%s: %s %s: %s\nanswer: %s", st.Name, st.Request.Method, path, why, r)
			ok = false
		}
	}
	for name, p := range st.Save {
		v := walk(r.Body, p)
		if v == nil {
			t.Errorf("%s: nothing at %s to save as %s: %s", st.Name, p, name, r)
			return false
		}
		vars[name] = fmt.Sprint(v)
	}
	return ok
}

// walk follows a dotted path ("Resources.0.id") through a decoded answer.
func walk(v any, path string) any {
	for _, k := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[k]
		case []any:
			var i int
			if _, err := fmt.Sscan(k, &i); err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// subset says why got does not contain want ("" when it does).
func subset(want, got any, at string) string {
	if s, ok := want.(string); ok && strings.HasSuffix(s, "*") {
		g, isStr := got.(string)
		switch {
		case got == nil:
			return at + ": missing"
		case s == "*":
			return ""
		case !isStr || !strings.HasPrefix(g, strings.TrimSuffix(s, "*")):
			return fmt.Sprintf("%s: %v, want %s", at, got, s)
		}
		return ""
	}
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return fmt.Sprintf("%s: %v is not an object", at, got)
		}
		keys := make([]string, 0, len(w))
		for k := range w {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			gv, present := g[k]
			if s, ok := w[k].(string); ok && s == "$absent" {
				if present {
					return fmt.Sprintf("%s.%s: present (%v), want absent", at, k, gv)
				}
				continue
			}
			if !present {
				return fmt.Sprintf("%s.%s: missing", at, k)
			}
			if why := subset(w[k], gv, at+"."+k); why != "" {
				return why
			}
		}
		return ""
	case []any:
		g, ok := got.([]any)
		if !ok {
			return fmt.Sprintf("%s: %v is not an array", at, got)
		}
		if len(w) > 0 && w[0] == "$unordered" {
			return unordered(w[1:], g, at)
		}
		if len(w) != len(g) {
			return fmt.Sprintf("%s: %d items, want %d", at, len(g), len(w))
		}
		for i := range w {
			if why := subset(w[i], g[i], fmt.Sprintf("%s[%d]", at, i)); why != "" {
				return why
			}
		}
		return ""
	}
	if !reflect.DeepEqual(want, got) {
		return fmt.Sprintf("%s: %v, want %v", at, got, want)
	}
	return ""
}

func unordered(want, got []any, at string) string {
	if len(want) != len(got) {
		return fmt.Sprintf("%s: %d items, want %d", at, len(got), len(want))
	}
	used := make([]bool, len(got))
next:
	for i, w := range want {
		for j, g := range got {
			if !used[j] && subset(w, g, "") == "" {
				used[j] = true
				continue next
			}
		}
		return fmt.Sprintf("%s: no item matches expected item %d (%v)", at, i, w)
	}
	return ""
}
