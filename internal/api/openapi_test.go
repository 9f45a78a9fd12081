package api

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"math"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/audit"
	"github.com/seatkeeper/seatkeeper/internal/provision"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

var httpMethods = []string{"get", "put", "post", "delete", "patch", "head", "options", "trace"}

// loadDoc fetches the served OpenAPI document.
func loadDoc(t *testing.T, e *testEnv) map[string]any {
	t.Helper()
	r := e.must(200, "GET", "/api/v1/openapi.json", nil)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("openapi.json Content-Type %q, want application/json", ct)
	}
	var doc map[string]any
	if err := json.Unmarshal(r.Body, &doc); err != nil {
		t.Fatalf("openapi.json does not parse: %v", err)
	}
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.1.") {
		t.Fatalf("openapi = %q, want 3.1.x", v)
	}
	return doc
}

type operation struct {
	method, path string // "GET", "/api/v1/pools/{pool}"
	op           map[string]any
}

func (o operation) String() string { return o.method + " " + o.path }

func operations(t *testing.T, doc map[string]any) []operation {
	t.Helper()
	paths, ok := doc["paths"].(map[string]any)
	if !ok {
		t.Fatalf("document has no paths object")
	}
	var out []operation
	for p, item := range paths {
		im, ok := item.(map[string]any)
		if !ok {
			t.Errorf("path %s is not an object", p)
			continue
		}
		for m, v := range im {
			if !slices.Contains(httpMethods, m) {
				continue
			}
			op, ok := v.(map[string]any)
			if !ok {
				t.Errorf("%s %s is not an object", m, p)
				continue
			}
			out = append(out, operation{method: strings.ToUpper(m), path: p, op: op})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// patternKey turns a ServeMux pattern into OpenAPI's "METHOD /path" with
// {name} parameters ("{name...}" loses its dots, "{$}" its braces).
func patternKey(p string) string {
	p = strings.ReplaceAll(p, "...}", "}")
	p = strings.ReplaceAll(p, "{$}", "")
	return p
}

func TestOpenAPIServedAndValidJSON(t *testing.T) {
	e := newTestEnv(t)
	doc := loadDoc(t, e)
	for _, k := range []string{"info", "paths", "components", "security"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("document has no %q", k)
		}
	}
	// The served bytes are the embedded file.
	r := e.must(200, "GET", "/api/v1/openapi.json", nil)
	if string(r.Body) != string(openapiDoc) {
		t.Errorf("served document differs from the embedded openapi.json")
	}
}

func TestOpenAPIOperationsMatchRoutes(t *testing.T) {
	e := newTestEnv(t)
	doc := loadDoc(t, e)
	inDoc := map[string]bool{}
	for _, o := range operations(t, doc) {
		inDoc[o.String()] = true
	}
	inRoutes := map[string]bool{}
	for _, p := range e.api.Patterns() {
		if inRoutes[patternKey(p)] {
			t.Errorf("route %q registered twice", p)
		}
		inRoutes[patternKey(p)] = true
	}
	var missing, extra []string
	for k := range inRoutes {
		if !inDoc[k] {
			missing = append(missing, k)
		}
	}
	for k := range inDoc {
		if !inRoutes[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 {
		t.Errorf("routes not in the OpenAPI document: %v", missing)
	}
	if len(extra) > 0 {
		t.Errorf("OpenAPI operations with no route: %v", extra)
	}
	if len(inRoutes) < 40 {
		t.Errorf("Patterns() lists %d routes, want at least 40", len(inRoutes))
	}
}

// routeScopes reads routes.go: which scope set each route is registered
// with, as the token scopes that may call it (admin always).
func routeScopes(t *testing.T) map[string][]string {
	t.Helper()
	sets := map[string][]string{"adminOnly": adminOnly, "readers": readers, "platform": platform}
	f, err := parser.ParseFile(token.NewFileSet(), "routes.go", nil, 0)
	if err != nil {
		t.Fatalf("parse routes.go: %v", err)
	}
	out := map[string][]string{}
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok || (sel.Sel.Name != "handle" && sel.Sel.Name != "handlePublic") || len(call.Args) == 0 {
			return true
		}
		lit, ok := call.Args[0].(*ast.BasicLit)
		if !ok {
			t.Errorf("route pattern %v is not a string literal", call.Args[0])
			return true
		}
		pattern, _ := strconv.Unquote(lit.Value)
		if sel.Sel.Name == "handlePublic" {
			out[patternKey(pattern)] = []string{}
			return true
		}
		id, ok := call.Args[1].(*ast.Ident)
		set, known := sets[id.Name]
		if !ok || !known {
			t.Errorf("route %s: scope set %v is not adminOnly, readers or platform", pattern, call.Args[1])
			return true
		}
		out[patternKey(pattern)] = append([]string{store.ScopeAdmin}, set...)
		return true
	})
	return out
}

func TestOpenAPIOperationShape(t *testing.T) {
	e := newTestEnv(t)
	doc := loadDoc(t, e)
	scopes := routeScopes(t)
	if len(scopes) != len(e.api.Patterns()) {
		t.Errorf("routes.go registers %d routes, Patterns() lists %d", len(scopes), len(e.api.Patterns()))
	}
	ids := map[string]string{}
	paramRe := regexp.MustCompile(`\{([^}]+)\}`)
	for _, o := range operations(t, doc) {
		t.Run(o.String(), func(t *testing.T) {
			op := o.op
			if s, _ := op["summary"].(string); s == "" {
				t.Errorf("no summary")
			}
			if tags, _ := op["tags"].([]any); len(tags) == 0 {
				t.Errorf("no tags")
			}
			id, _ := op["operationId"].(string)
			if id == "" {
				t.Errorf("no operationId")
			} else if prev, dup := ids[id]; dup {
				t.Errorf("operationId %q also used by %s", id, prev)
			}
			ids[id] = o.String()

			// At least one 2xx answer; every answer has a description; every
			// 4xx answer is the one Error schema.
			resps, _ := op["responses"].(map[string]any)
			has2xx := false
			for code, v := range resps {
				rm := resolve(t, doc, v)
				if d, _ := rm["description"].(string); d == "" {
					t.Errorf("response %s has no description", code)
				}
				if strings.HasPrefix(code, "2") {
					has2xx = true
				}
				if strings.HasPrefix(code, "4") {
					schema := digMap(rm, "content", "application/json", "schema")
					if ref, _ := schema["$ref"].(string); ref != "#/components/schemas/Error" {
						t.Errorf("response %s schema is %v, want $ref #/components/schemas/Error", code, schema)
					}
				}
			}
			if !has2xx {
				t.Errorf("no 2xx response among %v", keys(resps))
			}

			// x-scopes is exactly the route's scope set from routes.go.
			want, registered := scopes[o.String()]
			raw, ok := op["x-scopes"].([]any)
			if !ok {
				t.Fatalf("no x-scopes list")
			}
			got := []string{}
			for _, s := range raw {
				str, _ := s.(string)
				got = append(got, str)
			}
			if registered && !sameSet(got, want) {
				t.Errorf("x-scopes %v, want %v (routes.go)", got, want)
			}
			if registered && len(want) > 0 && got[0] != "admin" && !slices.Contains(got, "admin") {
				t.Errorf("x-scopes %v lacks admin", got)
			}

			// Security: global bearer, except the public probes.
			sec, overridden := op["security"]
			public := registered && len(want) == 0
			switch {
			case public && (!overridden || len(sec.([]any)) != 0):
				t.Errorf("public route: security %v, want []", sec)
			case !public && overridden:
				t.Errorf("authenticated route overrides security with %v", sec)
			}

			// Path parameters: every {name} declared, required, and nothing else.
			params := map[string]map[string]any{}
			for _, p := range asSlice(op["parameters"]) {
				pm := resolve(t, doc, p)
				params[pm["in"].(string)+":"+pm["name"].(string)] = pm
			}
			for _, m := range paramRe.FindAllStringSubmatch(o.path, -1) {
				p, ok := params["path:"+m[1]]
				if !ok {
					t.Errorf("path parameter %q not declared", m[1])
					continue
				}
				if p["required"] != true {
					t.Errorf("path parameter %q not required", m[1])
				}
			}
			for k := range params {
				if name, ok := strings.CutPrefix(k, "path:"); ok && !strings.Contains(o.path, "{"+name+"}") {
					t.Errorf("path parameter %q not in the path", name)
				}
			}
			// Integration-callable operations document the acting-user header.
			if slices.Contains(got, store.ScopeIntegration) {
				if _, ok := params["header:"+ActingUserHeader]; !ok {
					t.Errorf("integration may call it, but the %s header is not a parameter", ActingUserHeader)
				}
			}
		})
	}
	// The decision and session calls must carry the acting-user header.
	for _, k := range []string{"POST /api/v1/decide", "POST /api/v1/sessions", "GET /api/v1/sessions/{id}", "POST /api/v1/sessions/{id}/heartbeat", "DELETE /api/v1/sessions/{id}"} {
		found := false
		for _, o := range operations(t, doc) {
			if o.String() != k {
				continue
			}
			for _, p := range asSlice(o.op["parameters"]) {
				if pm := resolve(t, doc, p); pm["in"] == "header" && pm["name"] == ActingUserHeader {
					found = true
				}
			}
		}
		if !found {
			t.Errorf("%s lacks the %s header parameter", k, ActingUserHeader)
		}
	}

	// Global security is the bearer scheme, an http bearer.
	if sec := asSlice(doc["security"]); len(sec) != 1 || !reflect.DeepEqual(sec[0], map[string]any{"bearer": []any{}}) {
		t.Errorf("global security = %v, want [{bearer: []}]", doc["security"])
	}
	bearer := digMap(doc, "components", "securitySchemes", "bearer")
	if bearer["type"] != "http" || bearer["scheme"] != "bearer" {
		t.Errorf("securitySchemes.bearer = %v, want type http, scheme bearer", bearer)
	}
}

func TestOpenAPIRefsResolve(t *testing.T) {
	e := newTestEnv(t)
	doc := loadDoc(t, e)
	n := 0
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["$ref"].(string); ok {
				n++
				if _, err := pointer(doc, ref); err != nil {
					t.Errorf("%s: $ref %q: %v", path, ref, err)
				}
			}
			for k, c := range x {
				walk(path+"/"+k, c)
			}
		case []any:
			for i, c := range x {
				walk(path+"/"+strconv.Itoa(i), c)
			}
		}
	}
	walk("#", doc)
	if n < 50 {
		t.Errorf("found %d $refs, want the document to use its components (>= 50)", n)
	}
	// Every component schema is used somewhere.
	raw, _ := json.Marshal(doc["paths"])
	comp, _ := json.Marshal(doc["components"])
	for name := range digMap(doc, "components", "schemas") {
		ref := `"#/components/schemas/` + name + `"`
		if !strings.Contains(string(raw), ref) && strings.Count(string(comp), ref) == 0 {
			t.Errorf("schema %s is never referenced", name)
		}
	}
}

// TestOpenAPISchemasMatchGo: each schema's properties are exactly the json
// names of the Go type the handlers encode or decode.
func TestOpenAPISchemasMatchGo(t *testing.T) {
	e := newTestEnv(t)
	doc := loadDoc(t, e)
	schemas := digMap(doc, "components", "schemas")
	for _, tc := range []struct {
		schema string
		typ    any
		drop   []string // Go fields the schema leaves out on purpose
	}{
		{"SKU", skuJSON{}, nil},
		{"SKUInput", skuJSON{}, nil},
		{"Queue", queueJSON{}, nil},
		{"Usage", usageJSON{}, nil},
		{"Pool", poolJSON{}, nil},
		{"PoolInput", poolJSON{}, []string{"usage"}},
		{"User", userJSON{}, nil},
		{"Dashboard", Dashboard{}, nil},
		{"DashboardTotals", DashboardTotals{}, nil},
		{"DashboardPool", DashboardPool{}, nil},
		{"UserInput", userJSON{}, []string{"id", "created_at", "updated_at", "roles"}},
		{"Member", memberJSON{}, nil},
		{"Lease", leaseJSON{}, nil},
		{"Session", sessionJSON{}, nil},
		{"Via", viaJSON{}, nil},
		{"Decision", decisionJSON{}, nil},
		{"Requirement", requirementJSON{}, nil},
		{"Token", tokenJSON{}, nil},
		{"AuditEntry", audit.Entry{}, nil},
		// The handlers' anonymous request structs, spelled out.
		{"SessionStart", struct {
			User string `json:"user"`
			Lazy bool   `json:"lazy"`
		}{}, nil},
		{"DecideRequest", struct {
			User       string `json:"user"`
			Capability string `json:"capability"`
			Session    string `json:"session"`
		}{}, nil},
		{"TokenCreate", struct {
			Name  string `json:"name"`
			Scope string `json:"scope"`
			TTL   string `json:"ttl"`
		}{}, nil},
		// The service desk (DESIGN §3.4, §3.5).
		{"Ticket", ticketJSON{}, nil},
		{"TicketDetail", ticketDetailJSON{}, nil},
		{"Note", noteJSON{}, nil},
		{"HistoryEntry", historyJSON{}, nil},
		{"Article", articleJSON{}, nil},
		{"ArticleInput", articleIn{}, nil},
		{"ChatTurn", turnJSON{}, nil},
		{"Integration", integrationJSON{}, nil},
		{"Proposal", proposalJSON{}, nil},
		{"ProposalChange", proposalChangeJSON{}, nil},
		{"ProposalNote", proposalNoteJSON{}, nil},
		{"MultiplexingReport", reportJSON{}, nil},
		{"IntegrationUsage", integrationUsageJSON{}, nil},
		{"Offender", offenderJSON{}, nil},
		{"Approval", approvalJSON{}, nil},
		{"ApprovalRequest", struct {
			Approver string `json:"approver"`
		}{}, nil},
		{"ApprovalAnswer", struct {
			Comment string `json:"comment"`
		}{}, nil},
		{"TicketCreate", struct {
			Kind        string `json:"kind"`
			Title       string `json:"title"`
			Description string `json:"description"`
			Category    string `json:"category"`
			Priority    string `json:"priority"`
		}{}, nil},
		{"TicketTransition", struct {
			To string `json:"to"`
		}{}, nil},
		{"TicketAssign", struct {
			Assignee *string `json:"assignee"`
		}{}, nil},
		{"TicketUpdate", struct {
			Priority string  `json:"priority"`
			Category string  `json:"category"`
			Asset    *string `json:"asset"`
		}{}, nil},
		{"NoteCreate", struct {
			Body string `json:"body"`
		}{}, nil},
		{"ChatRequest", struct {
			History []turnJSON `json:"history"`
			Message string     `json:"message"`
		}{}, nil},
		{"IntegrationCreate", integrationCreateJSON{}, nil},
		{"IntegrationUpdate", integrationUpdateJSON{}, nil},
		// Entitlement rules (DESIGN §3.6).
		{"Rule", provision.RuleJSON{}, nil},
		{"RuleInput", provision.RuleJSON{}, nil},
		{"RuleWhen", provision.WhenJSON{}, nil},
		{"RuleGrant", provision.GrantJSON{}, nil},
		{"RulePreview", rulePreviewJSON{}, nil},
		{"RuleChange", ruleChangeJSON{}, nil},
		{"Overflow", overflowJSON{}, nil},
		{"ProposalDecision", struct {
			Reason string `json:"reason"`
		}{}, nil},
	} {
		t.Run(tc.schema, func(t *testing.T) {
			s, ok := schemas[tc.schema].(map[string]any)
			if !ok {
				t.Fatalf("components.schemas.%s missing", tc.schema)
			}
			want := jsonNames(reflect.TypeOf(tc.typ))
			want = slices.DeleteFunc(want, func(n string) bool { return slices.Contains(tc.drop, n) })
			got := keys(s["properties"].(map[string]any))
			if !sameSet(got, want) {
				t.Errorf("properties %v, want %v (json tags of %T)", got, want, tc.typ)
			}
			for _, r := range asSlice(s["required"]) {
				if !slices.Contains(got, r.(string)) {
					t.Errorf("required %q is not a property", r)
				}
			}
			if s["additionalProperties"] != false {
				t.Errorf("additionalProperties = %v, want false (the API refuses unknown fields)", s["additionalProperties"])
			}
		})
	}
	// The error shape.
	inner := digMap(schemas, "Error", "properties", "error", "properties")
	if got, want := keys(inner), jsonNames(reflect.TypeOf(errorDetail{})); !sameSet(got, want) {
		t.Errorf("Error.error properties %v, want %v", got, want)
	}
	codes := digMap(schemas, "Error", "properties", "error", "properties", "code")
	for code := range statusOf {
		if !slices.Contains(asSlice(codes["enum"]), any(code)) {
			t.Errorf("Error code enum lacks %q", code)
		}
	}
	if got := keys(digMap(schemas, "Policy", "properties")); !sameSet(got, []string{"capabilities"}) {
		t.Errorf("Policy properties %v, want [capabilities]", got)
	}
}

// TestOpenAPIAnswersConform calls every operation and checks each answer
// against the schema the document gives for its status.
func TestOpenAPIAnswersConform(t *testing.T) {
	e := newTestEnv(t)
	doc := loadDoc(t, e)
	ops := map[string]map[string]any{}
	for _, o := range operations(t, doc) {
		ops[o.String()] = o.op
	}
	hit := map[string]bool{}
	check := func(op string, r reply) reply {
		t.Helper()
		hit[op] = true
		o, ok := ops[op]
		if !ok {
			t.Errorf("%s: not in the document", op)
			return r
		}
		resp, ok := digMap(o, "responses")[strconv.Itoa(r.Status)]
		if !ok {
			t.Errorf("%s answered %d, which the document does not list (%v); body %s", op, r.Status, keys(digMap(o, "responses")), r)
			return r
		}
		rm := resolve(t, doc, resp)
		content := digMap(rm, "content")
		if len(r.Body) == 0 {
			if len(content) > 0 {
				t.Errorf("%s %d: empty body, document says %v", op, r.Status, keys(content))
			}
			return r
		}
		ct := r.Header.Get("Content-Type")
		mt, _, _ := strings.Cut(ct, ";")
		media, ok := content[mt].(map[string]any)
		if !ok {
			t.Errorf("%s %d: Content-Type %q not among %v", op, r.Status, ct, keys(content))
			return r
		}
		if mt != "application/json" {
			return r
		}
		var v any
		if err := json.Unmarshal(r.Body, &v); err != nil {
			t.Errorf("%s %d: body is not JSON: %v", op, r.Status, err)
			return r
		}
		for _, p := range validate(t, doc, "", v, media["schema"].(map[string]any)) {
			t.Errorf("%s %d: %s; body %s", op, r.Status, p, r)
		}
		return r
	}
	call := func(op string, path string, body any, hdr ...string) reply {
		t.Helper()
		method, _, _ := strings.Cut(op, " ")
		return check(op, e.call(method, path, body, hdr...))
	}
	platformTok := e.token("desk", store.ScopePlatform, 0)

	check("GET /healthz", e.request("GET", "/healthz", "", nil))
	check("GET /readyz", e.request("GET", "/readyz", "", nil))
	call("GET /api/v1/openapi.json", "/api/v1/openapi.json", nil)
	check("GET /api/v1/pools", e.request("GET", "/api/v1/pools", "", nil))
	check("POST /api/v1/pools", e.request("POST", "/api/v1/pools", platformTok, poolNamedJSON))

	call("POST /api/v1/skus", "/api/v1/skus", skuAgentJSON)
	call("POST /api/v1/skus", "/api/v1/skus", skuChangeJSON)
	call("POST /api/v1/skus", "/api/v1/skus", skuAgentJSON) // 409
	call("POST /api/v1/skus", "/api/v1/skus", `{"key":"x","tier":"gold"}`)
	call("POST /api/v1/skus", "/api/v1/skus", `{"key":"`+strings.Repeat("x", 1<<20)+`"}`) // 413
	call("GET /api/v1/skus", "/api/v1/skus", nil)
	call("GET /api/v1/skus/{key}", "/api/v1/skus/agent", nil)
	call("GET /api/v1/skus/{key}", "/api/v1/skus/nope", nil)
	call("PUT /api/v1/skus/{key}", "/api/v1/skus/change", `{"tier":"module","requires":["agent"],"monthly_price":31}`)

	call("POST /api/v1/pools", "/api/v1/pools", poolNamedJSON)
	call("POST /api/v1/pools", "/api/v1/pools", poolFloatJSON)
	call("POST /api/v1/pools", "/api/v1/pools", `{"id":"x","sku":"nope","model":"named","seats":1}`)
	call("POST /api/v1/pools", "/api/v1/pools", `{"id":"q","sku":"agent","model":"concurrent","seats":2,"starts":"2020-01-01T00:00:00Z","ends":"2099-01-01T00:00:00Z","linger":"1m","overdraft":1,"warn_at":0.8,"reservations":{"desk-eu":1},"limits":{"desk-us":1},"queue":{"max_length":3,"priority":{"desk-eu":5}},"monthly_price":1}`)
	call("GET /api/v1/pools", "/api/v1/pools", nil)
	call("GET /api/v1/pools/{pool}", "/api/v1/pools/q", nil)
	call("PUT /api/v1/pools/{pool}", "/api/v1/pools/agents-named", `{"sku":"agent","model":"named","seats":2,"cooldown":"720h","monthly_price":95}`)

	call("POST /api/v1/users", "/api/v1/users", userAnnJSON)
	call("POST /api/v1/users", "/api/v1/users", person("bob", "E101"))
	call("POST /api/v1/users", "/api/v1/users", person("cid", "E102"))
	call("POST /api/v1/users", "/api/v1/users", userAnnJSON) // 409
	call("GET /api/v1/users", "/api/v1/users?limit=2", nil)
	call("GET /api/v1/users/{user}", "/api/v1/users/ann@example.com", nil)
	call("PUT /api/v1/users/{user}/roles/{role}", "/api/v1/users/ann@example.com/roles/auditor", nil)
	call("PUT /api/v1/users/{user}/roles/{role}", "/api/v1/users/ann@example.com/roles/auditor", nil) // 200
	call("PUT /api/v1/users/{user}/roles/{role}", "/api/v1/users/ann@example.com/roles/owner", nil)   // 400
	call("GET /api/v1/users/{user}", "/api/v1/users/ann@example.com", nil)
	call("GET /api/v1/roles", "/api/v1/roles", nil)
	call("GET /api/v1/dashboard", "/api/v1/dashboard", nil)
	call("DELETE /api/v1/users/{user}/roles/{role}", "/api/v1/users/ann@example.com/roles/auditor", nil)
	call("DELETE /api/v1/users/{user}/roles/{role}", "/api/v1/users/ann@example.com/roles/auditor", nil) // 404
	call("PUT /api/v1/users/{user}", "/api/v1/users/bob@example.com", `{"user_name":"bob@example.com","department":"Ops","active":true}`)

	call("PUT /api/v1/pools/{pool}/members/{user}", "/api/v1/pools/agents-named/members/ann@example.com", nil)
	call("PUT /api/v1/pools/{pool}/members/{user}", "/api/v1/pools/agents-named/members/ann@example.com", nil)
	call("PUT /api/v1/pools/{pool}/members/{user}", "/api/v1/pools/agents-floating/members/cid@example.com", `{}`)
	call("PUT /api/v1/pools/{pool}/members/{user}", "/api/v1/pools/agents-floating/members/bob@example.com", nil)
	call("PUT /api/v1/pools/{pool}/members/{user}", "/api/v1/pools/nope/members/bob@example.com", nil)
	call("GET /api/v1/pools/{pool}/members", "/api/v1/pools/agents-named/members", nil)
	call("GET /api/v1/usage", "/api/v1/usage", nil)

	var ss sessionJSON
	call("POST /api/v1/sessions", "/api/v1/sessions", `{"user":"cid@example.com"}`).into(t, &ss)
	call("POST /api/v1/sessions", "/api/v1/sessions", `{"user":"bob@example.com"}`) // 409 licence_maxed_out
	call("POST /api/v1/sessions", "/api/v1/sessions", `{"user":"ann@example.com","lazy":true}`)
	call("GET /api/v1/sessions", "/api/v1/sessions?active=true", nil)
	call("GET /api/v1/sessions/{id}", "/api/v1/sessions/"+ss.ID, nil)
	call("POST /api/v1/sessions/{id}/heartbeat", "/api/v1/sessions/"+ss.ID+"/heartbeat", nil)
	call("POST /api/v1/decide", "/api/v1/decide", `{"user":"cid@example.com","capability":"ticket.transition","session":"`+ss.ID+`"}`)
	call("POST /api/v1/decide", "/api/v1/decide", `{"user":"ann@example.com","capability":"change.approve"}`)
	call("POST /api/v1/decide", "/api/v1/decide", `{"user":"ann@example.com","capability":"ticket.create"}`)
	call("POST /api/v1/decide", "/api/v1/decide", `{"user":"ann@example.com","capability":"nocap"}`)
	call("GET /metrics", "/metrics", nil)
	call("GET /api/v1/leases", "/api/v1/leases", nil)
	if len(ss.Leases) == 1 {
		call("DELETE /api/v1/leases/{id}", "/api/v1/leases/"+ss.Leases[0].ID, nil)
		call("DELETE /api/v1/leases/{id}", "/api/v1/leases/"+ss.Leases[0].ID, nil) // 409
	} else {
		t.Errorf("session %+v has no lease", ss)
	}
	call("DELETE /api/v1/sessions/{id}", "/api/v1/sessions/"+ss.ID, nil)

	call("GET /api/v1/policy", "/api/v1/policy", nil)
	call("PUT /api/v1/policy/{capability}", "/api/v1/policy/problem.resolve", `{"tier":"fulfiller","skus":["agent"]}`)
	call("DELETE /api/v1/policy/{capability}", "/api/v1/policy/problem.resolve", nil)

	call("GET /api/v1/audit", "/api/v1/audit?after=0&limit=50", nil)
	call("GET /api/v1/audit", "/api/v1/audit?limit=0", nil)
	call("GET /api/v1/audit/export", "/api/v1/audit/export?format=csv", nil)
	call("GET /api/v1/audit/export", "/api/v1/audit/export", nil)
	call("GET /api/v1/audit/verify", "/api/v1/audit/verify", nil)
	// Newest first with filters and cursors (the licence console's reads).
	var newest struct {
		Entries []audit.Entry `json:"entries"`
		Next    int64         `json:"next"`
	}
	call("GET /api/v1/audit", "/api/v1/audit?order=desc&limit=1&action=user.create", nil).into(t, &newest)
	if newest.Next == 0 {
		t.Errorf("GET /api/v1/audit?order=desc&limit=1&action=user.create: no next cursor over several people created")
	}
	call("GET /api/v1/audit", fmt.Sprintf("/api/v1/audit?order=desc&limit=1&action=user.create&before=%d", newest.Next), nil)
	call("GET /api/v1/audit", fmt.Sprintf("/api/v1/audit?order=desc&after=%d&subject=user:&from=2020-01-01&to=2099-12-31T00:00:00Z&actor=token:admin&acting_user=ann@example.com", newest.Next), nil)
	call("GET /api/v1/audit", "/api/v1/audit?acting-user=ann@example.com", nil) // 400 unknown parameter
	call("GET /api/v1/audit", "/api/v1/audit?before=5", nil)                    // 400 before needs order=desc
	call("GET /api/v1/audit/{seq}", fmt.Sprintf("/api/v1/audit/%d", newest.Next), nil)
	call("GET /api/v1/audit/{seq}", "/api/v1/audit/999999999", nil) // 404
	call("GET /api/v1/audit/{seq}", "/api/v1/audit/first", nil)     // 400
	call("GET /api/v1/audit/export", "/api/v1/audit/export?format=csv&action=user.create&from=2020-01-01", nil)
	call("GET /api/v1/audit/export", "/api/v1/audit/export?from=tomorrow", nil) // 400

	var tok tokenJSON
	call("POST /api/v1/tokens", "/api/v1/tokens", `{"name":"ci","scope":"integration","ttl":"1h"}`).into(t, &tok)
	call("GET /api/v1/tokens", "/api/v1/tokens", nil)
	call("DELETE /api/v1/tokens/{id}", "/api/v1/tokens/"+tok.ID, nil)

	deskAnswers(t, e, call, check, platformTok)
	ruleAnswers(t, e, call, check, platformTok)
	groupGrantAnswers(t, e, call, check, platformTok)
	accessAnswers(t, e, call, check, platformTok)
	reportAnswers(t, e, call, check, platformTok)
	dormantAnswers(t, check)
	moduleGapAnswers(t, e, call, check, platformTok)
	sessionEndAnswers(t, e, call, check, platformTok)

	call("DELETE /api/v1/pools/{pool}/members/{user}", "/api/v1/pools/agents-floating/members/cid@example.com", nil)
	call("DELETE /api/v1/users/{user}", "/api/v1/users/cid@example.com", nil)
	call("DELETE /api/v1/pools/{pool}", "/api/v1/pools/agents-floating", nil)
	call("DELETE /api/v1/pools/{pool}", "/api/v1/pools/agents-named", nil) // 409: ann holds a seat
	call("DELETE /api/v1/skus/{key}", "/api/v1/skus/change", nil)

	for _, p := range e.api.Patterns() {
		if !hit[patternKey(p)] {
			t.Errorf("%s was not exercised", p)
		}
	}
}

// deskAnswers exercises the service desk's operations for
// TestOpenAPIAnswersConform: ann holds a named agent seat, req is a
// requester (no seat, no registration).
func deskAnswers(t *testing.T, e *testEnv, call func(op, path string, body any, hdr ...string) reply, check func(op string, r reply) reply, platformTok string) {
	t.Helper()
	call("POST /api/v1/users", "/api/v1/users", person("req", "E300"))
	ann, req := as("ann@example.com"), as("req@example.com")
	scim := e.token("okta-desk", store.ScopeSCIM, 0)

	// Tickets.
	var tk ticketJSON
	call("POST /api/v1/tickets", "/api/v1/tickets", `{"title":"VPN down","description":"times out","category":"network"}`, req...).into(t, &tk)
	check("POST /api/v1/tickets", e.request("POST", "/api/v1/tickets", platformTok, `{"title":"Printer jam","priority":"high"}`, req...))
	call("POST /api/v1/tickets", "/api/v1/tickets", `{"title":" "}`, req...)                                              // 400
	call("POST /api/v1/tickets", "/api/v1/tickets", `{"title":"x"}`, as("nobody")...)                                     // 404
	call("POST /api/v1/tickets", "/api/v1/tickets", `{"title":"`+strings.Repeat("x", 1<<20)+`"}`, req...)                 // 413
	call("POST /api/v1/tickets", "/api/v1/tickets", `{"title":"x"}`, as("req@example.com", SessionHeader, "ses_nope")...) // 401
	check("POST /api/v1/tickets", e.request("POST", "/api/v1/tickets", scim, `{"title":"x"}`, req...))                    // 403
	call("GET /api/v1/tickets", "/api/v1/tickets?state=new,in_progress&limit=10", nil)
	call("GET /api/v1/tickets", "/api/v1/tickets?scope=mine", nil, req...)
	call("GET /api/v1/tickets", "/api/v1/tickets", nil, req...)         // 403 no_licence
	call("GET /api/v1/tickets", "/api/v1/tickets?state=done", nil)      // 400
	call("GET /api/v1/tickets", "/api/v1/tickets?assignee=nobody", nil) // 404
	call("GET /api/v1/tickets/{id}", "/api/v1/tickets/"+tk.Number, nil)
	call("GET /api/v1/tickets/{id}", "/api/v1/tickets/"+tk.ID, nil, req...)
	call("GET /api/v1/tickets/{id}", "/api/v1/tickets/INC-999999", nil)                     // 404
	call("GET /api/v1/tickets/{id}", "/api/v1/tickets/"+tk.ID, nil, SessionHeader, "ses_x") // 400
	call("POST /api/v1/tickets/{id}/transition", "/api/v1/tickets/"+tk.Number+"/transition", `{"to":"in_progress"}`, ann...)
	call("POST /api/v1/tickets/{id}/transition", "/api/v1/tickets/"+tk.Number+"/transition", `{"to":"new"}`, ann...)      // 409
	call("POST /api/v1/tickets/{id}/transition", "/api/v1/tickets/"+tk.Number+"/transition", `{"to":"done"}`, ann...)     // 400
	call("POST /api/v1/tickets/{id}/transition", "/api/v1/tickets/"+tk.Number+"/transition", `{"to":"resolved"}`, req...) // 403
	call("POST /api/v1/tickets/{id}/assign", "/api/v1/tickets/"+tk.Number+"/assign", `{"assignee":"ann@example.com"}`, ann...)
	call("POST /api/v1/tickets/{id}/assign", "/api/v1/tickets/"+tk.Number+"/assign", `{"assignee":"req@example.com"}`, ann...) // 400
	call("POST /api/v1/tickets/{id}/assign", "/api/v1/tickets/INC-999999/assign", `{"assignee":""}`, ann...)                   // 404
	call("PATCH /api/v1/tickets/{id}", "/api/v1/tickets/"+tk.Number, `{"priority":"high","category":"vpn"}`, ann...)
	call("PATCH /api/v1/tickets/{id}", "/api/v1/tickets/"+tk.Number, `{}`, ann...)                 // 400
	call("PATCH /api/v1/tickets/{id}", "/api/v1/tickets/"+tk.Number, `{"priority":"low"}`, req...) // 403
	call("POST /api/v1/tickets/{id}/comments", "/api/v1/tickets/"+tk.Number+"/comments", `{"body":"any news?"}`, req...)
	call("POST /api/v1/tickets/{id}/comments", "/api/v1/tickets/"+tk.Number+"/comments", `{"body":""}`, req...) // 400
	call("POST /api/v1/tickets/{id}/work-notes", "/api/v1/tickets/"+tk.Number+"/work-notes", `{"body":"rebooted"}`, ann...)
	call("POST /api/v1/tickets/{id}/work-notes", "/api/v1/tickets/"+tk.Number+"/work-notes", `{"body":"x"}`, req...) // 403
	call("GET /api/v1/tickets/{id}", "/api/v1/tickets/"+tk.Number, nil)                                              // with notes and history
	call("GET /api/v1/tickets/{id}", "/api/v1/tickets/"+tk.Number, nil, req...)

	// Change tickets, assets and approvals.
	call("POST /api/v1/tickets", "/api/v1/tickets", `{"kind":"problem","title":"x"}`, ann...)                         // 400
	call("POST /api/v1/tickets", "/api/v1/tickets", `{"kind":"change","title":"Patch the gateway"}`, ann...)          // 403 module_missing
	call("PATCH /api/v1/tickets/{id}", "/api/v1/tickets/"+tk.Number, `{"asset":"bad tag!"}`, ann...)                  // 400
	call("PATCH /api/v1/tickets/{id}", "/api/v1/tickets/"+tk.Number, `{"asset":"LAPTOP-1","priority":"low"}`, ann...) // 400
	call("PATCH /api/v1/tickets/{id}", "/api/v1/tickets/"+tk.Number, `{"asset":"LAPTOP-1"}`, ann...)                  // 403 module_missing
	var ap1, ap2 approvalJSON
	call("POST /api/v1/tickets/{id}/approvals", "/api/v1/tickets/"+tk.Number+"/approvals", `{"approver":"req@example.com"}`, ann...).into(t, &ap1)
	call("POST /api/v1/tickets/{id}/approvals", "/api/v1/tickets/"+tk.Number+"/approvals", `{"approver":"req@example.com"}`, ann...).into(t, &ap2)
	call("POST /api/v1/tickets/{id}/approvals", "/api/v1/tickets/"+tk.Number+"/approvals", `{"approver":"nobody@example.com"}`, ann...) // 404
	call("POST /api/v1/tickets/{id}/approvals", "/api/v1/tickets/"+tk.Number+"/approvals", `{"approver":""}`, ann...)                   // 400
	call("POST /api/v1/tickets/{id}/approvals", "/api/v1/tickets/"+tk.Number+"/approvals", `{"approver":"ann@example.com"}`, req...)    // 403
	call("GET /api/v1/approvals", "/api/v1/approvals?state=pending", nil, req...)
	call("GET /api/v1/approvals", "/api/v1/approvals?state=maybe", nil, req...)                                       // 400
	call("GET /api/v1/approvals", "/api/v1/approvals", nil)                                                           // 400: no person
	call("POST /api/v1/approvals/{id}/approve", "/api/v1/approvals/"+ap1.ID+"/approve", `{"comment":"fine"}`, ann...) // 403 not the approver
	call("POST /api/v1/approvals/{id}/approve", "/api/v1/approvals/"+ap1.ID+"/approve", `{"comment":"fine"}`, req...)
	call("POST /api/v1/approvals/{id}/approve", "/api/v1/approvals/"+ap1.ID+"/approve", nil, req...)          // 409
	call("POST /api/v1/approvals/{id}/approve", "/api/v1/approvals/apr_nope/approve", nil, req...)            // 404
	call("POST /api/v1/approvals/{id}/reject", "/api/v1/approvals/"+ap2.ID+"/reject", `{"why":"no"}`, req...) // 400
	call("POST /api/v1/approvals/{id}/reject", "/api/v1/approvals/"+ap2.ID+"/reject", nil, req...)
	call("POST /api/v1/approvals/{id}/reject", "/api/v1/approvals/"+ap2.ID+"/reject", nil, req...) // 409
	call("GET /api/v1/tickets/{id}", "/api/v1/tickets/"+tk.Number, nil)                            // with approvals

	// A concurrent agent with a lazy session meets a full pool: 409.
	call("POST /api/v1/pools", "/api/v1/pools", `{"id":"desk-floating","sku":"agent","model":"concurrent","seats":1,"queue":{"max_length":2}}`)
	var s1, s2 sessionJSON
	for _, u := range []string{"dee", "eve"} {
		call("POST /api/v1/users", "/api/v1/users", person(u, "E2"+u))
		call("PUT /api/v1/pools/{pool}/members/{user}", "/api/v1/pools/desk-floating/members/"+u+"@example.com", nil)
	}
	call("POST /api/v1/sessions", "/api/v1/sessions", `{"user":"dee@example.com","lazy":true}`).into(t, &s1)
	call("POST /api/v1/sessions", "/api/v1/sessions", `{"user":"eve@example.com","lazy":true}`).into(t, &s2)
	call("POST /api/v1/tickets/{id}/comments", "/api/v1/tickets/"+tk.Number+"/comments", `{"body":"on it"}`, as("dee@example.com", SessionHeader, s1.ID)...)
	call("POST /api/v1/tickets/{id}/transition", "/api/v1/tickets/"+tk.Number+"/transition", `{"to":"on_hold"}`, as("eve@example.com", SessionHeader, s2.ID)...) // 409

	// Integrations.
	var hub, bot integrationJSON
	call("POST /api/v1/integrations", "/api/v1/integrations", `{"name":"slack-hub","mode":"enforce"}`).into(t, &hub)
	call("POST /api/v1/integrations", "/api/v1/integrations", `{"name":"teams-bot","mode":"propose"}`).into(t, &bot)
	call("POST /api/v1/integrations", "/api/v1/integrations", `{"name":"slack-hub","mode":"enforce"}`)                          // 409
	call("POST /api/v1/integrations", "/api/v1/integrations", `{"name":"x","mode":"off"}`)                                      // 400
	check("POST /api/v1/integrations", e.request("POST", "/api/v1/integrations", platformTok, `{"name":"y","mode":"monitor"}`)) // 403
	call("GET /api/v1/integrations", "/api/v1/integrations", nil)
	call("GET /api/v1/integrations/{id}", "/api/v1/integrations/"+hub.ID, nil)
	call("GET /api/v1/integrations/{id}", "/api/v1/integrations/nope", nil) // 404
	call("PUT /api/v1/integrations/{id}", "/api/v1/integrations/slack-hub", `{"mode":"monitor"}`)
	call("PUT /api/v1/integrations/{id}", "/api/v1/integrations/slack-hub", `{"mode":"off"}`) // 400
	call("PUT /api/v1/integrations/{id}", "/api/v1/integrations/slack-hub", `{"mode":"enforce"}`)
	check("POST /api/v1/tickets", e.request("POST", "/api/v1/tickets", hub.Token, `{"title":"From Slack"}`, req...))
	check("POST /api/v1/tickets/{id}/transition", e.request("POST", "/api/v1/tickets/"+tk.Number+"/transition", hub.Token, `{"to":"resolved"}`, req...)) // 403 multiplexing_blocked
	check("POST /api/v1/tickets", e.request("POST", "/api/v1/tickets", hub.Token, `{"title":"x"}`))                                                      // 400 no acting user
	var p1, p2 struct {
		Proposal string `json:"proposal"`
	}
	check("POST /api/v1/tickets/{id}/transition", e.request("POST", "/api/v1/tickets/"+tk.Number+"/transition", bot.Token, `{"to":"resolved"}`, req...)).into(t, &p1) // 202
	check("PATCH /api/v1/tickets/{id}", e.request("PATCH", "/api/v1/tickets/"+tk.Number, bot.Token, `{"priority":"low"}`, req...)).into(t, &p2)
	check("POST /api/v1/tickets/{id}/assign", e.request("POST", "/api/v1/tickets/"+tk.Number+"/assign", bot.Token, `{"assignee":""}`, req...))
	check("POST /api/v1/tickets/{id}/work-notes", e.request("POST", "/api/v1/tickets/"+tk.Number+"/work-notes", bot.Token, `{"body":"held"}`, req...))
	check("POST /api/v1/tickets/{id}/comments", e.request("POST", "/api/v1/tickets/"+tk.Number+"/comments", bot.Token, `{"body":"held"}`, as("ghost@example.com")...))
	call("GET /api/v1/proposals", "/api/v1/proposals?state=pending", nil)
	call("GET /api/v1/proposals", "/api/v1/proposals", nil, req...) // 403
	call("GET /api/v1/proposals", "/api/v1/proposals?state=x", nil) // 400
	call("GET /api/v1/proposals/{id}", "/api/v1/proposals/"+p1.Proposal, nil, ann...)
	call("GET /api/v1/proposals/{id}", "/api/v1/proposals/prp_nope", nil)                                                                // 404
	check("POST /api/v1/proposals/{id}/confirm", e.request("POST", "/api/v1/proposals/"+p1.Proposal+"/confirm", bot.Token, nil, ann...)) // 403
	call("POST /api/v1/proposals/{id}/confirm", "/api/v1/proposals/"+p1.Proposal+"/confirm", nil, ann...)
	call("POST /api/v1/proposals/{id}/confirm", "/api/v1/proposals/"+p1.Proposal+"/confirm", nil, ann...) // 409
	call("POST /api/v1/proposals/{id}/confirm", "/api/v1/proposals/prp_nope/confirm", nil, ann...)        // 404
	call("POST /api/v1/proposals/{id}/reject", "/api/v1/proposals/"+p2.Proposal+"/reject", `{"reason":"no"}`, ann...)
	call("POST /api/v1/proposals/{id}/reject", "/api/v1/proposals/"+p2.Proposal+"/reject", `{"why":"no"}`, ann...) // 400
	call("POST /api/v1/proposals/{id}/reject", "/api/v1/proposals/"+p2.Proposal+"/reject", nil, ann...)            // 409
	call("GET /api/v1/reports/multiplexing", "/api/v1/reports/multiplexing", nil)
	call("GET /api/v1/reports/multiplexing", "/api/v1/reports/multiplexing?from=2020-01-01T00:00:00Z&to=2099-01-01T00:00:00Z", nil)
	call("GET /api/v1/reports/multiplexing", "/api/v1/reports/multiplexing?from=soon", nil) // 400
	call("POST /api/v1/integrations/{id}/disable", "/api/v1/integrations/teams-bot/disable", nil)
	call("POST /api/v1/integrations/{id}/disable", "/api/v1/integrations/teams-bot/disable", nil) // 409 already disabled
	call("POST /api/v1/integrations/{id}/disable", "/api/v1/integrations/nope/disable", nil)      // 404
	call("POST /api/v1/integrations/{id}/rotate-token", "/api/v1/integrations/teams-bot/rotate-token", nil)
	call("POST /api/v1/integrations/{id}/rotate-token", "/api/v1/integrations/nope/rotate-token", nil)                                       // 404
	check("POST /api/v1/integrations/{id}/rotate-token", e.request("POST", "/api/v1/integrations/teams-bot/rotate-token", platformTok, nil)) // 403
	call("DELETE /api/v1/integrations/{id}", "/api/v1/integrations/teams-bot", nil)
	call("DELETE /api/v1/integrations/{id}", "/api/v1/integrations/teams-bot", nil) // 404

	// Articles and chat.
	var art articleJSON
	call("POST /api/v1/articles", "/api/v1/articles", `{"title":"Reset your VPN client","body":"Restart the VPN client and sign in again.","tags":["vpn"]}`, ann...).into(t, &art)
	call("POST /api/v1/articles", "/api/v1/articles", `{"title":"Clear a printer jam","body":"Open the tray."}`, ann...)
	call("POST /api/v1/articles", "/api/v1/articles", `{"title":"x"}`, req...) // 403
	call("POST /api/v1/articles", "/api/v1/articles", `{"title":""}`, ann...)  // 400
	call("GET /api/v1/articles", "/api/v1/articles", nil, req...)
	call("GET /api/v1/articles", "/api/v1/articles?q=vpn&limit=5", nil, req...)
	call("GET /api/v1/articles", "/api/v1/articles?limit=0", nil, req...) // 400
	call("GET /api/v1/articles/{id}", "/api/v1/articles/"+art.ID, nil, req...)
	call("GET /api/v1/articles/{id}", "/api/v1/articles/art_nope", nil, req...) // 404
	call("PUT /api/v1/articles/{id}", "/api/v1/articles/"+art.ID, `{"title":"Reset the VPN client","body":"Restart it.","tags":[]}`, ann...)
	call("PUT /api/v1/articles/{id}", "/api/v1/articles/art_nope", `{"title":"x"}`, ann...) // 404
	call("POST /api/v1/chat", "/api/v1/chat", `{"message":"how do I reset my vpn client"}`, req...)
	call("POST /api/v1/chat", "/api/v1/chat", `{"history":[{"from":"user","text":"the printer is broken"}],"message":"please open a ticket"}`, req...)
	call("POST /api/v1/chat", "/api/v1/chat", `{"history":[{"from":"me","text":"x"}],"message":"hi"}`, req...) // 400
	call("DELETE /api/v1/articles/{id}", "/api/v1/articles/"+art.ID, nil, ann...)
	call("DELETE /api/v1/articles/{id}", "/api/v1/articles/"+art.ID, nil, ann...) // 404
	call("DELETE /api/v1/integrations/{id}", "/api/v1/integrations/slack-hub", nil)
}

// ruleAnswers exercises the entitlement rule operations (DESIGN §3.6, §5).
func ruleAnswers(t *testing.T, e *testEnv, call func(op, path string, body any, hdr ...string) reply, check func(op string, r reply) reply, platformTok string) {
	t.Helper()
	const rule = `{"id":"desk-agents","when":{"job_code":["ITSD-*"],"department":["IT"]},"grant":[{"sku":"agent","model":"named"}],"priority":10}`
	call("POST /api/v1/rules/preview", "/api/v1/rules/preview", rule)
	call("POST /api/v1/rules/preview", "/api/v1/rules/preview", `{"id":"x","when":{},"grant":[{"sku":"agent"}]}`) // 400
	check("POST /api/v1/rules/preview", e.request("POST", "/api/v1/rules/preview", platformTok, rule))            // 403
	call("POST /api/v1/rules", "/api/v1/rules", rule)
	call("POST /api/v1/rules", "/api/v1/rules", rule)                                                               // 409
	call("POST /api/v1/rules", "/api/v1/rules", `{"id":"y","when":{"job_code":["["]},"grant":[{"sku":"agent"}]}`)   // 400
	call("POST /api/v1/rules", "/api/v1/rules", `{"id":"y","when":{"department":["IT"]},"grant":[{"sku":"nope"}]}`) // 400
	check("POST /api/v1/rules", e.request("POST", "/api/v1/rules", platformTok, rule))                              // 403
	check("GET /api/v1/rules", e.request("GET", "/api/v1/rules", platformTok, nil))
	call("GET /api/v1/rules/{id}", "/api/v1/rules/desk-agents", nil)
	call("GET /api/v1/rules/{id}", "/api/v1/rules/nope", nil) // 404
	call("PUT /api/v1/rules/{id}", "/api/v1/rules/desk-agents", `{"when":{"job_code":["ITSD-2"]},"grant":[{"sku":"agent"}],"priority":5}`)
	call("PUT /api/v1/rules/{id}", "/api/v1/rules/desk-agents", `{"when":{"job_code":["ITSD-2"]},"grant":[{"sku":"agent"}],"version":1}`) // 409
	call("PUT /api/v1/rules/{id}", "/api/v1/rules/nope", `{"when":{"job_code":["ITSD-2"]},"grant":[{"sku":"agent"}]}`)                    // 404
	call("PUT /api/v1/rules/{id}", "/api/v1/rules/desk-agents", `{"when":{"job_code":["ITSD-2"]},"grant":[{"sku":"agent"}],"x":1}`)       // 400
	call("DELETE /api/v1/rules/{id}", "/api/v1/rules/desk-agents", nil)
	call("DELETE /api/v1/rules/{id}", "/api/v1/rules/desk-agents", nil) // 404
}

// --- small JSON helpers ---

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sameSet(a, b []string) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	sort.Strings(x)
	sort.Strings(y)
	return slices.Equal(x, y)
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

// digMap walks nested objects; a missing step gives nil.
func digMap(m map[string]any, path ...string) map[string]any {
	for _, p := range path {
		next, ok := m[p].(map[string]any)
		if !ok {
			return nil
		}
		m = next
	}
	return m
}

// pointer resolves a local JSON pointer ("#/components/schemas/SKU").
func pointer(doc map[string]any, ref string) (any, error) {
	rest, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, fmt.Errorf("not a local reference")
	}
	var cur any = doc
	for _, part := range strings.Split(rest, "/") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%q: parent is not an object", part)
		}
		if cur, ok = m[part]; !ok {
			return nil, fmt.Errorf("%q not found", part)
		}
	}
	return cur, nil
}

// resolve follows $ref chains to an object.
func resolve(t *testing.T, doc map[string]any, v any) map[string]any {
	t.Helper()
	m, _ := v.(map[string]any)
	for i := 0; m != nil && i < 10; i++ {
		ref, ok := m["$ref"].(string)
		if !ok {
			return m
		}
		target, err := pointer(doc, ref)
		if err != nil {
			t.Fatalf("$ref %q: %v", ref, err)
		}
		m, _ = target.(map[string]any)
	}
	return m
}

// jsonNames lists the JSON names encoding/json uses for t's fields.
func jsonNames(t reflect.Type) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			// An embedded struct's fields are encoded as the outer one's.
			out = append(out, jsonNames(f.Type)...)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, name)
	}
	return out
}

// validate checks v against the subset of JSON Schema the document uses:
// $ref, type, enum, format date-time, pattern, minimum/maximum, required,
// properties, additionalProperties, propertyNames, maxProperties, items.
func validate(t *testing.T, doc map[string]any, at string, v any, s map[string]any) []string {
	t.Helper()
	if ref, ok := s["$ref"].(string); ok {
		return validate(t, doc, at, v, resolve(t, doc, map[string]any{"$ref": ref}))
	}
	where := at
	if where == "" {
		where = "body"
	}
	var probs []string
	bad := func(format string, args ...any) { probs = append(probs, where+": "+fmt.Sprintf(format, args...)) }
	kind := jsonValueKind(v)
	if ty, ok := s["type"]; ok {
		var allowed []string
		switch x := ty.(type) {
		case string:
			allowed = []string{x}
		case []any:
			for _, a := range x {
				allowed = append(allowed, a.(string))
			}
		}
		if !slices.Contains(allowed, kind) && !(kind == "integer" && slices.Contains(allowed, "number")) {
			bad("type %s, want %v", kind, allowed)
			return probs
		}
	}
	if enum, ok := s["enum"].([]any); ok && !slices.ContainsFunc(enum, func(e any) bool { return reflect.DeepEqual(e, v) }) {
		bad("%v not in enum %v", v, enum)
	}
	switch x := v.(type) {
	case string:
		if s["format"] == "date-time" {
			if _, err := time.Parse(time.RFC3339Nano, x); err != nil {
				bad("%q is not a date-time", x)
			}
		}
		if p, ok := s["pattern"].(string); ok {
			if re, err := regexp.Compile(p); err == nil && !re.MatchString(x) {
				bad("%q does not match %s", x, p)
			}
		}
	case float64:
		if m, ok := s["minimum"].(float64); ok && x < m {
			bad("%v below minimum %v", x, m)
		}
		if m, ok := s["maximum"].(float64); ok && x > m {
			bad("%v above maximum %v", x, m)
		}
	case []any:
		if items, ok := s["items"].(map[string]any); ok {
			for i, it := range x {
				probs = append(probs, validate(t, doc, at+"["+strconv.Itoa(i)+"]", it, items)...)
			}
		}
	case map[string]any:
		for _, r := range asSlice(s["required"]) {
			if _, ok := x[r.(string)]; !ok {
				bad("required %q missing", r)
			}
		}
		if n, ok := s["maxProperties"].(float64); ok && float64(len(x)) > n {
			bad("%d properties, at most %v", len(x), n)
		}
		props, _ := s["properties"].(map[string]any)
		for k, val := range x {
			if ps, ok := props[k].(map[string]any); ok {
				probs = append(probs, validate(t, doc, at+"."+k, val, ps)...)
				continue
			}
			switch ap := s["additionalProperties"].(type) {
			case bool:
				if !ap {
					bad("property %q not in the schema", k)
				}
			case map[string]any:
				probs = append(probs, validate(t, doc, at+"."+k, val, ap)...)
			}
			if pn, ok := s["propertyNames"].(map[string]any); ok {
				probs = append(probs, validate(t, doc, at+" key", k, pn)...)
			}
		}
	}
	return probs
}

func jsonValueKind(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64:
		if x == math.Trunc(x) {
			return "integer"
		}
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}
