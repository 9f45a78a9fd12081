package scim

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Op is a SCIM comparison operator (RFC 7644 §3.4.2.2).
type Op string

// Comparison operators.
const (
	Eq Op = "eq"
	Ne Op = "ne"
	Co Op = "co"
	Sw Op = "sw"
	Ew Op = "ew"
	Pr Op = "pr"
	Gt Op = "gt"
	Ge Op = "ge"
	Lt Op = "lt"
	Le Op = "le"
)

var ops = map[string]Op{"eq": Eq, "ne": Ne, "co": Co, "sw": Sw, "ew": Ew, "pr": Pr, "gt": Gt, "ge": Ge, "lt": Lt, "le": Le}

// maxFilterLen bounds the filter text; evaluation recurses once per "and"/"or".
const maxFilterLen = 64 << 10

// maxTerms bounds the attribute expressions of a filter. Clients send a
// handful; without a bound a filter of a thousand "or" terms reached the
// store as SQL deeper than SQLite's expression limit (1000) and came back
// as a 500 rather than a 400.
const maxTerms = 100

// maxDepth bounds the nesting of a filter: parentheses, "not (" and value
// filters. The parser recurses once per level, so the bound keeps a hostile
// filter from exhausting the stack; a flat chain of "and"/"or" terms is one
// level, bounded by maxTerms.
const maxDepth = 16

// AttrPath names an attribute: an optional schema URN (only for extension
// schemas; core URNs are dropped while parsing), the attribute and an optional
// sub-attribute. Names known to the User or Group schema are spelled as the
// schema spells them, so callers may compare paths with ==.
type AttrPath struct {
	URN  string
	Name string
	Sub  string
}

// String returns the path in SCIM syntax.
func (p AttrPath) String() string {
	s := p.Name
	if p.Sub != "" {
		s += "." + p.Sub
	}
	if p.URN != "" {
		s = p.URN + ":" + s
	}
	return s
}

// Expr is a node of a parsed filter: *Compare, *And, *Or, *Not or *ValuePath.
type Expr interface {
	String() string
	isExpr()
}

// Compare is an attribute expression such as `userName eq "bjensen"`. Value is
// a string, json.Number, bool or nil; it is unused for Pr.
type Compare struct {
	Path  AttrPath
	Op    Op
	Value any
}

// And is a conjunction.
type And struct{ Left, Right Expr }

// Or is a disjunction.
type Or struct{ Left, Right Expr }

// Not negates its operand.
type Not struct{ X Expr }

// ValuePath matches when at least one value of the multi-valued (or complex)
// attribute Path satisfies Filter, whose paths are relative to that value.
// `emails[type eq "work"].value eq "x"` parses as
// ValuePath{emails, And{type eq "work", value eq "x"}}.
type ValuePath struct {
	Path   AttrPath
	Filter Expr
}

func (*Compare) isExpr()   {}
func (*And) isExpr()       {}
func (*Or) isExpr()        {}
func (*Not) isExpr()       {}
func (*ValuePath) isExpr() {}

func (c *Compare) String() string {
	if c.Op == Pr {
		return c.Path.String() + " pr"
	}
	return c.Path.String() + " " + string(c.Op) + " " + literal(c.Value)
}

// And and Or print only the parentheses precedence and left associativity
// need, so the printed form nests no deeper than the filter it came from
// and parses back within maxDepth.
func (a *And) String() string {
	return operand(a.Left, precAnd) + " and " + operand(a.Right, precAnd+1)
}

func (o *Or) String() string {
	return operand(o.Left, precOr) + " or " + operand(o.Right, precOr+1)
}

func (n *Not) String() string       { return "not (" + n.X.String() + ")" }
func (v *ValuePath) String() string { return v.Path.String() + "[" + v.Filter.String() + "]" }

// Precedences of the binary operators; everything else binds tighter.
const (
	precOr = iota + 1
	precAnd
	precAtom
)

func precedence(e Expr) int {
	switch e.(type) {
	case *Or:
		return precOr
	case *And:
		return precAnd
	}
	return precAtom
}

// operand prints e, parenthesised when it binds looser than minPrec.
func operand(e Expr, minPrec int) string {
	if precedence(e) < minPrec {
		return "(" + e.String() + ")"
	}
	return e.String()
}

func literal(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		b, _ := json.Marshal(v) // a string always marshals
		return string(b)
	case bool:
		return strconv.FormatBool(v)
	case json.Number:
		return v.String()
	}
	return "null"
}

// Filter is a parsed SCIM filter. The zero Filter matches every resource.
type Filter struct {
	Expr Expr
}

// String returns the filter in SCIM syntax, with the parentheses its
// structure needs; ParseFilter reads it back as the same filter.
func (f Filter) String() string {
	if f.Expr == nil {
		return ""
	}
	return f.Expr.String()
}

// ParseFilter parses a SCIM filter (RFC 7644 §3.4.2.2). Keywords and
// attribute names are case-insensitive; core schema URN prefixes are dropped
// and extension URNs kept in their canonical spelling. As identity providers
// send them, comparison values may be unquoted (userName eq bjensen@x.com):
// true, false and null in any case, numbers, or else strings; a number
// compared with a string attribute is its text. An empty string gives the
// zero Filter. Errors are *Error with scimType invalidFilter, also for a
// filter beyond maxTerms or maxDepth.
func ParseFilter(s string) (Filter, error) {
	if strings.TrimSpace(s) == "" {
		return Filter{}, nil
	}
	if len(s) > maxFilterLen {
		return Filter{}, badRequest(InvalidFilter, "filter longer than %d bytes", maxFilterLen)
	}
	p := &parser{lex: lexer{src: s}, errType: InvalidFilter}
	p.next()
	e := p.parseOr(0, nil)
	if p.err == nil && p.tok.kind != tEOF {
		p.fail("unexpected %s", p.tok)
	}
	if p.err != nil {
		return Filter{}, p.err
	}
	return Filter{Expr: e}, nil
}

// Path is the target of a PATCH operation (RFC 7644 §3.5.2):
// attrPath ["[" valFilter "]" ["." subAttr]]. A path naming a whole
// extension has URN set and an empty Attr.Name.
type Path struct {
	Attr   AttrPath
	Filter Expr   // nil without a value filter
	Sub    string // sub-attribute after the value filter
}

// String returns the path in SCIM syntax.
func (p Path) String() string {
	if p.Attr.Name == "" {
		return p.Attr.URN
	}
	s := p.Attr.String()
	if p.Filter != nil {
		s += "[" + p.Filter.String() + "]"
	}
	if p.Sub != "" {
		s += "." + p.Sub
	}
	return s
}

// ParsePath parses a PATCH path. Errors are *Error with scimType invalidPath.
func ParsePath(s string) (Path, error) {
	p := &parser{lex: lexer{src: s}, errType: InvalidPath}
	p.next()
	if p.tok.kind != tWord {
		p.fail("path expected")
		return Path{}, p.err
	}
	if ext := knownExtension(p.tok.text); ext != "" {
		p.next()
		if p.tok.kind != tEOF {
			p.fail("unexpected %s", p.tok)
			return Path{}, p.err
		}
		return Path{Attr: AttrPath{URN: ext}}, nil
	}
	ap := p.attrPath(p.tok.text, nil)
	p.next()
	out := Path{Attr: ap}
	if p.err == nil && p.tok.kind == tLBrack {
		if ap.Sub != "" {
			p.fail("value filter after a sub-attribute")
		}
		p.next()
		parent := resolveAny(ap).attr
		out.Filter = p.parseOr(1, parentOrEmpty(parent))
		p.expect(tRBrack)
		if p.err == nil && p.tok.kind == tWord && strings.HasPrefix(p.tok.text, ".") {
			sub := p.tok.text[1:]
			if !validName(sub) {
				p.fail("invalid sub-attribute %q", sub)
			}
			if a := parent.Sub(sub); a != nil {
				sub = a.Name
			}
			out.Sub = sub
			p.next()
		}
	}
	if p.err == nil && p.tok.kind != tEOF {
		p.fail("unexpected %s", p.tok)
	}
	if p.err != nil {
		return Path{}, p.err
	}
	return out, nil
}

type tokKind int

const (
	tEOF tokKind = iota
	tWord
	tString
	tLParen
	tRParen
	tLBrack
	tRBrack
	tBad
)

type token struct {
	kind tokKind
	text string // word text, or decoded string
	pos  int
}

func (t token) String() string {
	switch t.kind {
	case tEOF:
		return "end of filter"
	case tString:
		return "string at " + strconv.Itoa(t.pos)
	}
	return strconv.Quote(t.text) + " at " + strconv.Itoa(t.pos)
}

type lexer struct {
	src string
	pos int
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r'
}

func isWordChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '_' || c == '-' || c == '$' || c == ':' || c == '.' || c == '+'
}

func (l *lexer) skipSpace() {
	for l.pos < len(l.src) && isSpace(l.src[l.pos]) {
		l.pos++
	}
}

func (l *lexer) next() token {
	l.skipSpace()
	start := l.pos
	if l.pos >= len(l.src) {
		return token{kind: tEOF, pos: start}
	}
	c := l.src[l.pos]
	switch c {
	case '(':
		l.pos++
		return token{kind: tLParen, text: "(", pos: start}
	case ')':
		l.pos++
		return token{kind: tRParen, text: ")", pos: start}
	case '[':
		l.pos++
		return token{kind: tLBrack, text: "[", pos: start}
	case ']':
		l.pos++
		return token{kind: tRBrack, text: "]", pos: start}
	case '"':
		l.pos++
		for l.pos < len(l.src) {
			switch l.src[l.pos] {
			case '\\':
				l.pos += 2
				continue
			case '"':
				l.pos++
				var s string
				if err := json.Unmarshal([]byte(l.src[start:l.pos]), &s); err != nil {
					return token{kind: tBad, text: l.src[start:l.pos], pos: start}
				}
				return token{kind: tString, text: s, pos: start}
			}
			l.pos++
		}
		l.pos = len(l.src)
		return token{kind: tBad, text: "unterminated string", pos: start}
	}
	if isWordChar(c) {
		for l.pos < len(l.src) && isWordChar(l.src[l.pos]) {
			l.pos++
		}
		return token{kind: tWord, text: l.src[start:l.pos], pos: start}
	}
	l.pos++
	return token{kind: tBad, text: string(c), pos: start}
}

// value lexes a comparison value: a quoted string, or a bare token that
// runs to whitespace, ")" or "]", as Entra and Okta send them
// (userName eq bjensen@example.com, meta.created gt 2015-10-10T14:38:21Z).
// A bare token with a quote, an opening bracket, a control character or
// invalid UTF-8 is refused: it is a typo more likely than a value.
func (l *lexer) value() token {
	l.skipSpace()
	start := l.pos
	if l.pos >= len(l.src) || strings.IndexByte(`"()[]`, l.src[l.pos]) >= 0 {
		return l.next()
	}
	for l.pos < len(l.src) && !isSpace(l.src[l.pos]) && l.src[l.pos] != ')' && l.src[l.pos] != ']' {
		l.pos++
	}
	text := l.src[start:l.pos]
	if !utf8.ValidString(text) || strings.ContainsFunc(text, func(r rune) bool { return r < ' ' || strings.ContainsRune(`"([`, r) }) {
		return token{kind: tBad, text: text, pos: start}
	}
	return token{kind: tWord, text: text, pos: start}
}

type parser struct {
	lex     lexer
	tok     token
	err     *Error
	errType string
	terms   int // attribute expressions so far, bounded by maxTerms
}

func (p *parser) next() { p.tok = p.lex.next() }

func (p *parser) fail(format string, args ...any) {
	if p.err == nil {
		p.err = badRequest(p.errType, format, args...)
	}
}

func (p *parser) expect(k tokKind) {
	if p.err != nil {
		return
	}
	if p.tok.kind != k {
		want := map[tokKind]string{tRParen: `")"`, tRBrack: `"]"`}[k]
		p.fail("expected %s, got %s", want, p.tok)
		return
	}
	p.next()
}

func (p *parser) keyword(kw string) bool {
	return p.tok.kind == tWord && strings.EqualFold(p.tok.text, kw)
}

// parseOr parses FILTER at the lowest precedence. parent is the attribute
// whose values a value filter ranges over, nil at the top level.
func (p *parser) parseOr(depth int, parent *Attribute) Expr {
	if depth > maxDepth {
		p.fail("filter nested too deeply")
		return nil
	}
	left := p.parseAnd(depth, parent)
	for p.err == nil && p.keyword("or") {
		p.next()
		right := p.parseAnd(depth, parent)
		left = &Or{Left: left, Right: right}
	}
	return left
}

func (p *parser) parseAnd(depth int, parent *Attribute) Expr {
	left := p.parseUnary(depth, parent)
	for p.err == nil && p.keyword("and") {
		p.next()
		right := p.parseUnary(depth, parent)
		left = &And{Left: left, Right: right}
	}
	return left
}

func (p *parser) parseUnary(depth int, parent *Attribute) Expr {
	if p.err != nil {
		return nil
	}
	switch {
	case p.tok.kind == tLParen:
		p.next()
		e := p.parseOr(depth+1, parent)
		p.expect(tRParen)
		return e
	case p.keyword("not"):
		p.next()
		if p.tok.kind != tLParen {
			p.fail(`expected "(" after not, got %s`, p.tok)
			return nil
		}
		p.next()
		e := p.parseOr(depth+1, parent)
		p.expect(tRParen)
		return &Not{X: e}
	case p.tok.kind == tWord:
		return p.parseAttrExp(depth, parent)
	case p.tok.kind == tEOF:
		p.fail("unexpected end of filter")
	default:
		p.fail("unexpected %s", p.tok)
	}
	return nil
}

func (p *parser) parseAttrExp(depth int, parent *Attribute) Expr {
	ap := p.attrPath(p.tok.text, parent)
	p.next()
	if p.err != nil {
		return nil
	}
	if p.tok.kind == tLBrack {
		if parent != nil {
			p.fail("value filters cannot be nested")
			return nil
		}
		if ap.Sub != "" {
			p.fail("value filter after a sub-attribute")
			return nil
		}
		p.next()
		attr := parentOrEmpty(resolveAny(ap).attr)
		inner := p.parseOr(depth+1, attr)
		p.expect(tRBrack)
		if p.err != nil {
			return nil
		}
		vp := &ValuePath{Path: ap, Filter: inner}
		if p.tok.kind == tWord && strings.HasPrefix(p.tok.text, ".") {
			// emails[type eq "work"].value eq "x"
			sub := p.tok.text[1:]
			if !validName(sub) {
				p.fail("invalid sub-attribute %q", sub)
				return nil
			}
			if a := attr.Sub(sub); a != nil {
				sub = a.Name
			}
			if _, ok := inner.(*Or); ok && depth+2 > maxDepth {
				// It prints as emails[(… or …) and value eq "x"].
				p.fail("filter nested too deeply")
				return nil
			}
			p.next()
			c := p.parseCompare(AttrPath{Name: sub}, subType(attr, sub))
			if c == nil {
				return nil
			}
			vp.Filter = &And{Left: inner, Right: c}
		}
		return vp
	}
	typ := resolveAny(ap).typ()
	if parent != nil {
		typ = subType(parent, ap.Name)
	}
	if c := p.parseCompare(ap, typ); c != nil {
		return c
	}
	return nil
}

// subType is the type of sub-attribute name of parent, "" when unknown.
func subType(parent *Attribute, name string) Type {
	return resolved{attr: parent, sub: parent.Sub(name), sn: name}.typ()
}

// parseCompare parses the operator and value after ap; typ is the type of
// the attribute ap names, "" when unknown.
func (p *parser) parseCompare(ap AttrPath, typ Type) Expr {
	if p.err != nil {
		return nil
	}
	if p.tok.kind != tWord {
		p.fail("expected an operator after %s, got %s", ap, p.tok)
		return nil
	}
	op, ok := ops[strings.ToLower(p.tok.text)]
	if !ok {
		p.fail("unknown operator %s", p.tok)
		return nil
	}
	if p.terms++; p.terms > maxTerms {
		p.fail("filter has more than %d attribute expressions", maxTerms)
		return nil
	}
	if op == Pr {
		p.next()
		return &Compare{Path: ap, Op: Pr}
	}
	p.tok = p.lex.value()
	var v any
	switch p.tok.kind {
	case tString:
		v = p.tok.text
	case tWord:
		v = bareValue(p.tok.text, typ)
	default:
		p.fail("expected a comparison value, got %s", p.tok)
		return nil
	}
	switch v.(type) {
	case bool, nil:
		if op != Eq && op != Ne {
			p.fail("operator %s cannot compare %s", op, literal(v))
			return nil
		}
	case json.Number:
		if op == Co || op == Sw || op == Ew {
			p.fail("operator %s needs a string", op)
			return nil
		}
	}
	p.next()
	return &Compare{Path: ap, Op: op, Value: v}
}

// bareValue is the value of an unquoted token: true, false and null in any
// case, a number, or else a string. Compared with a string attribute a
// number is its text: externalId eq 1234 means "1234", not 1234.0.
func bareValue(w string, typ Type) any {
	switch strings.ToLower(w) {
	case "true":
		return true
	case "false":
		return false
	case "null":
		return nil
	}
	if isNumber(w) && !textual(typ) {
		return json.Number(w)
	}
	return w
}

func isNumber(s string) bool {
	if s == "" || !(s[0] == '-' || s[0] >= '0' && s[0] <= '9') {
		return false
	}
	return json.Valid([]byte(s))
}

// validName reports whether s is an ATTRNAME (RFC 7644 §3.10), with "$ref"
// allowed as RFC 7643 uses it.
func validName(s string) bool {
	if s == "$ref" {
		return true
	}
	if s == "" || !(s[0] >= 'a' && s[0] <= 'z' || s[0] >= 'A' && s[0] <= 'Z') {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// attrPath splits a word into URN, name and sub-attribute and canonicalises
// the spelling. Inside a value filter the path is relative to parent.
func (p *parser) attrPath(word string, parent *Attribute) AttrPath {
	var ap AttrPath
	rest := word
	if i := strings.LastIndexByte(word, ':'); i >= 0 {
		if parent != nil {
			p.fail("schema URN inside a value filter: %q", word)
			return ap
		}
		ap.URN, rest = word[:i], word[i+1:]
		if !strings.HasPrefix(strings.ToLower(ap.URN), "urn:") {
			p.fail("invalid attribute path %q", word)
			return ap
		}
	}
	name, sub, dotted := strings.Cut(rest, ".")
	if !validName(name) || dotted && !validName(sub) {
		p.fail("invalid attribute path %q", word)
		return ap
	}
	ap.Name, ap.Sub = name, sub
	if parent != nil {
		if ap.Sub != "" {
			p.fail("sub-attribute path inside a value filter: %q", word)
			return ap
		}
		if a := parent.Sub(name); a != nil {
			ap.Name = a.Name
		}
		return ap
	}
	return canonical(ap)
}

// canonical drops core URNs and respells a path as the User or Group schema
// does; unknown extension URNs and attributes are kept as written.
func canonical(ap AttrPath) AttrPath {
	if ap.URN != "" && strings.HasPrefix(strings.ToLower(ap.URN), coreSchemaURNPrefix) {
		ap.URN = ""
	}
	r := resolveAny(ap)
	ap.URN, ap.Name, ap.Sub = r.urn, r.name, r.sn
	return ap
}

// resolveAny resolves p against the User schema, then the Group schema. The
// two agree on the attributes they share.
func resolveAny(p AttrPath) resolved {
	if r := resolve(userSchema, p); r.attr != nil {
		return r
	}
	return resolve(groupSchema, p)
}

func knownExtension(word string) string {
	for _, e := range userSchema.Extensions {
		if strings.EqualFold(e.ID, word) {
			return e.ID
		}
	}
	return ""
}

// parentOrEmpty avoids nil checks for value filters on unknown attributes.
func parentOrEmpty(a *Attribute) *Attribute {
	if a == nil {
		return &Attribute{Type: TypeComplex}
	}
	return a
}
