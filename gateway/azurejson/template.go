package azurejson

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/e2etls/e2etls/gateway"
)

// template converts an ARM template: it finds the one
// Microsoft.Network/applicationGateways resource and decodes it, evaluating
// the template expressions its values hold. Four functions are evaluated:
// parameters, variables, concat and resourceId; any other expression is
// refused with its place and text.
func (a *armDecoder) template(root *value) (cfg gateway.Config) {
	top := a.object(root, "", "$schema", "contentVersion", "apiProfile", "languageVersion",
		"metadata", "parameters", "variables", "functions", "resources", "outputs", "definitions")
	if top == nil {
		return cfg
	}
	for _, k := range []string{"$schema", "contentVersion", "apiProfile", "languageVersion", "metadata", "functions", "outputs", "definitions"} {
		if v := top.get(k); v != nil {
			a.note(v.off, k, k, "template "+k+": no bearing on the gateway")
		}
	}
	if s := top.str("$schema"); strings.Contains(strings.ToLower(s), "deploymentparameters") {
		top.failf("$schema", "this is a parameters file: give the template as the document and this file as its parameters (Options.Parameters, appgw -parameters)")
		return cfg
	}
	t := &tmpl{a: a, params: make(map[string]*paramDecl), vars: make(map[string]*value), active: make(map[string]bool)}
	if p := top.get("parameters"); p != nil && p.kind == kindObject {
		for _, m := range p.members {
			t.declare(m, join("parameters", m.key))
		}
	} else if p != nil {
		top.failf("parameters", "want an object, got %s", describe(p))
	}
	if v := top.get("variables"); v != nil && v.kind == kindObject {
		for _, m := range v.members {
			if strings.EqualFold(m.key, "copy") {
				a.fail(m.off, "variables: copy", errors.New("variable loops (copy) are not supported: write the values out"))
				continue
			}
			t.vars[strings.ToLower(m.key)] = m.val
		}
	}
	t.readParameters()
	a.eval = t.eval

	// The gateway among the resources.
	res := top.get("resources")
	if res == nil {
		top.failf("resources", "missing: the template holds no resources")
		return cfg
	}
	type entry struct {
		v    *value
		path string
	}
	var all []entry
	switch res.kind {
	case kindArray:
		for i, e := range res.elems {
			all = append(all, entry{e, "resources[" + strconv.Itoa(i) + "]"})
		}
	case kindObject: // languageVersion 2.0: symbolic names
		for _, m := range res.members {
			all = append(all, entry{m.val, "resources: " + m.key})
		}
	default:
		top.failf("resources", "want an array of resources, got %s", describe(res))
		return cfg
	}
	var gateways []entry
	for _, e := range all {
		if e.v.kind != kindObject {
			a.fail(e.v.off, e.path, fmt.Errorf("want a resource object, got %s", describe(e.v)))
			continue
		}
		typ := ""
		for i := range e.v.members {
			if m := &e.v.members[i]; strings.EqualFold(m.key, "type") {
				m.val = a.resolve(m.val, join(e.path, "type"))
				typ = m.val.text
			}
		}
		if strings.EqualFold(typ, "Microsoft.Network/applicationGateways") {
			gateways = append(gateways, e)
			continue
		}
		a.note(e.v.off, e.path, "resources", "a "+typ+" resource, not the application gateway")
	}
	switch len(gateways) {
	case 0:
		top.failf("resources", "the template holds no Microsoft.Network/applicationGateways resource")
		return cfg
	case 1:
	default:
		var where []string
		for _, g := range gateways {
			where = append(where, g.path)
		}
		top.failf("resources", "the template holds %d application gateways (%s); e2etls runs one: give it a template with one", len(gateways), strings.Join(where, ", "))
		return cfg
	}
	g := gateways[0]
	name := ""
	if n, ok := memberName(a.decoder, g.v, g.path); ok {
		name = n
	}
	return a.gateway(g.v, g.path+" ("+quote(name)+")", &templateResource)
}

// tmpl is an ARM template's parameters and variables, for evaluating its
// expressions.
type tmpl struct {
	a      *armDecoder
	params map[string]*paramDecl
	vars   map[string]*value
	active map[string]bool // parameters and variables being evaluated, to catch cycles
	src    *source         // the parameters file
}

// paramDecl is a declared template parameter and its value.
type paramDecl struct {
	name  string
	typ   string // as declared, lower-cased
	def   *value // defaultValue, nil when none
	value *value // from the parameters file, nil when none
	allow *value // allowedValues, nil when none
}

// declare records the parameter declaration m.
func (t *tmpl) declare(m member, path string) {
	o := t.a.object(m.val, path, "type", "defaultValue", "allowedValues", "minValue", "maxValue",
		"minLength", "maxLength", "metadata", "nullable")
	if o == nil {
		return
	}
	p := &paramDecl{name: m.key, typ: strings.ToLower(o.str("type")), allow: o.get("allowedValues")}
	for _, mm := range o.v.members {
		if strings.EqualFold(mm.key, "defaultValue") {
			p.def = mm.val
		}
	}
	if p.typ == "" && !o.has("type") {
		o.failf("type", "missing: a parameter declares its type")
	}
	t.params[strings.ToLower(m.key)] = p
}

// readParameters reads the parameters file of the options.
func (t *tmpl) readParameters() {
	data := t.a.opts.Parameters
	if data == nil {
		return
	}
	name := t.a.opts.ParametersName
	if name == "" {
		name = "parameters file"
	}
	t.src = &source{name: name, data: data}
	root, err := parse(data)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			e.File = name
			t.a.problems = append(t.a.problems, problem{src: t.src, off: 0, err: e})
			return
		}
		t.a.failIn(t.src, 0, "", err)
		return
	}
	sub := &decoder{src: t.src, fold: true}
	params := root
	if top := sub.object(root, "", "$schema", "contentVersion", "metadata", "parameters"); top != nil {
		params = top.get("parameters")
	}
	if params != nil && params.kind == kindObject {
		for _, m := range params.members {
			path := join("parameters", m.key)
			p := t.params[strings.ToLower(m.key)]
			if p == nil {
				sub.fail(m.off, path, errors.New("the template declares no such parameter"))
				continue
			}
			o := sub.object(m.val, path, "value", "reference", "metadata")
			if o == nil {
				continue
			}
			if o.has("reference") {
				o.failf("reference", "Key Vault references cannot be resolved here: put the value in the parameters file")
				continue
			}
			v := o.get("value")
			if v == nil {
				if !o.has("value") {
					o.failf("", "missing value")
				}
				continue
			}
			if err := checkType(p, v); err != nil {
				o.fail("value", err)
				p.value = &value{kind: kindBad, off: v.off} // reported: its uses are not
				continue
			}
			markLiteral(v)
			p.value = v
		}
	}
	t.a.problems = append(t.a.problems, sub.problems...)
}

// checkType checks a parameter's value against its declared type and
// allowed values.
func checkType(p *paramDecl, v *value) error {
	want := map[string]kind{"string": kindString, "securestring": kindString, "int": kindNumber,
		"bool": kindBool, "object": kindObject, "secureobject": kindObject, "array": kindArray}[p.typ]
	if want != 0 && v.kind != want {
		return fmt.Errorf("the template declares type %s, got %s", p.typ, describe(v))
	}
	if p.allow != nil && p.allow.kind == kindArray && v.kind != kindObject && v.kind != kindArray {
		for _, e := range p.allow.elems {
			if e.kind == v.kind && (e.text == v.text && e.boolean == v.boolean) {
				return nil
			}
		}
		return fmt.Errorf("%s is not one of the template's allowedValues", describe(v))
	}
	return nil
}

// markLiteral marks v and everything in it as never an expression.
func markLiteral(v *value) {
	v.lit = true
	for _, m := range v.members {
		markLiteral(m.val)
	}
	for _, e := range v.elems {
		markLiteral(e)
	}
}

// eval evaluates v if it is a template expression ("[...]"; "[[" escapes
// a literal "["), returning the value to use.
func (t *tmpl) eval(v *value, path string) *value {
	if v.lit || v.kind != kindString || !strings.HasPrefix(v.text, "[") || !strings.HasSuffix(v.text, "]") {
		return v
	}
	if strings.HasPrefix(v.text, "[[") {
		return &value{kind: kindString, off: v.off, text: v.text[1:], lit: true}
	}
	res, err := t.evalText(v.text[1 : len(v.text)-1])
	if err != nil {
		t.a.fail(v.off, path, fmt.Errorf("template expression %s: %v", quote(v.text), err))
		return &value{kind: kindBad, off: v.off}
	}
	if res.kind == kindBad {
		return res
	}
	out := *res
	out.off = v.off
	if out.kind != kindObject && out.kind != kindArray {
		out.lit = true
	}
	return &out
}

// maxDepth bounds the nesting of parameters and variables that refer to
// each other.
const maxDepth = 32

// evalText parses and evaluates the expression text (without brackets).
func (t *tmpl) evalText(text string) (*value, error) {
	if len(t.active) > maxDepth {
		return nil, errors.New("parameters and variables nest too deep")
	}
	p := &exprParser{s: text}
	n, err := p.parse()
	if err != nil {
		return nil, err
	}
	return t.evalNode(n)
}

// evalNode evaluates a parsed expression.
func (t *tmpl) evalNode(n *exprNode) (*value, error) {
	var v *value
	switch n.op {
	case opString:
		v = &value{kind: kindString, text: n.text, lit: true}
	case opNumber:
		v = &value{kind: kindNumber, text: n.text, lit: true}
	case opCall:
		args := make([]*value, len(n.args))
		for i, an := range n.args {
			av, err := t.evalNode(an)
			if err != nil {
				return nil, err
			}
			args[i] = av
		}
		var err error
		if v, err = t.call(n.text, args); err != nil {
			return nil, err
		}
	}
	for _, acc := range n.access {
		next, err := t.access(v, acc)
		if err != nil {
			return nil, err
		}
		v = next
	}
	return v, nil
}

// access applies .name or [index] to v.
func (t *tmpl) access(v *value, acc *exprNode) (*value, error) {
	key := acc.text
	if acc.op != opProp {
		iv, err := t.evalNode(acc)
		if err != nil {
			return nil, err
		}
		switch {
		case iv.kind == kindNumber && v.kind == kindArray:
			i, err := strconv.Atoi(iv.text)
			if err != nil || i < 0 || i >= len(v.elems) {
				return nil, fmt.Errorf("index %s is out of range of an array of %d", iv.text, len(v.elems))
			}
			return t.resolveNested(v.elems[i])
		case iv.kind != kindString:
			return nil, fmt.Errorf("cannot index %s with %s", describe(v), describe(iv))
		}
		key = iv.text
	}
	if v.kind != kindObject {
		return nil, fmt.Errorf("%s has no property %s", describe(v), quote(key))
	}
	for _, m := range v.members {
		if strings.EqualFold(m.key, key) {
			return t.resolveNested(m.val)
		}
	}
	return nil, fmt.Errorf("the object has no property %s", quote(key))
}

// resolveNested evaluates v when it is itself an expression (a variable's
// member written as one).
func (t *tmpl) resolveNested(v *value) (*value, error) {
	if v.lit || v.kind != kindString || !strings.HasPrefix(v.text, "[") || !strings.HasSuffix(v.text, "]") {
		return v, nil
	}
	if strings.HasPrefix(v.text, "[[") {
		return &value{kind: kindString, off: v.off, text: v.text[1:], lit: true}, nil
	}
	return t.evalText(v.text[1 : len(v.text)-1])
}

// call evaluates one of the four functions this package evaluates.
func (t *tmpl) call(name string, args []*value) (*value, error) {
	switch strings.ToLower(name) {
	case "parameters", "variables":
		if len(args) != 1 || args[0].kind != kindString {
			return nil, fmt.Errorf("%s takes one string, the name", name)
		}
		return t.lookup(strings.ToLower(name), args[0].text)
	case "concat":
		return concatValues(args)
	case "resourceid":
		return resourceID(args)
	}
	return nil, fmt.Errorf("the function %s is not supported: e2etls evaluates parameters, variables, concat and resourceId only (write the value out, or pass it as a parameter)", name+"()")
}

// lookup returns a parameter's or a variable's value.
func (t *tmpl) lookup(fn, name string) (*value, error) {
	key := fn + ":" + strings.ToLower(name)
	if t.active[key] {
		return nil, fmt.Errorf("%s(%s) refers to itself", fn, quote(name))
	}
	t.active[key] = true
	defer delete(t.active, key)
	if fn == "variables" {
		v, ok := t.vars[strings.ToLower(name)]
		if !ok {
			return nil, fmt.Errorf("the template has no variable %s", quote(name))
		}
		return t.resolveNested(v)
	}
	p, ok := t.params[strings.ToLower(name)]
	switch {
	case !ok:
		return nil, fmt.Errorf("the template has no parameter %s", quote(name))
	case p.value != nil:
		return p.value, nil
	case p.def != nil:
		return t.resolveNested(p.def)
	}
	return nil, fmt.Errorf("the parameter %s has no value: give it in the parameters file (Options.Parameters, appgw -parameters) or a defaultValue in the template", quote(name))
}

// concatValues is ARM's concat: strings (and integers) joined, or arrays
// appended.
func concatValues(args []*value) (*value, error) {
	if len(args) > 0 && args[0].kind == kindArray {
		out := &value{kind: kindArray}
		for _, a := range args {
			if a.kind != kindArray {
				return nil, fmt.Errorf("concat of arrays got %s", describe(a))
			}
			out.elems = append(out.elems, a.elems...)
		}
		return out, nil
	}
	var b strings.Builder
	for _, a := range args {
		if a.kind != kindString && a.kind != kindNumber {
			return nil, fmt.Errorf("concat of strings got %s", describe(a))
		}
		b.WriteString(a.text)
	}
	return &value{kind: kindString, text: b.String(), lit: true}, nil
}

// resourceID is ARM's resourceId([subscriptionId], [resourceGroupName],
// resourceType, name...). The deployment's subscription and resource group
// are unknown here; references only use what follows the gateway's
// provider, so they stand as placeholders.
func resourceID(args []*value) (*value, error) {
	var strs []string
	for _, a := range args {
		if a.kind != kindString {
			return nil, fmt.Errorf("resourceId takes strings, got %s", describe(a))
		}
		strs = append(strs, a.text)
	}
	ti := -1
	for i, s := range strs {
		if strings.Contains(s, "/") {
			ti = i
			break
		}
	}
	if ti < 0 || ti > 2 {
		return nil, errors.New("resourceId needs a resource type such as 'Microsoft.Network/applicationGateways'")
	}
	sub, rg := "{subscriptionId}", "{resourceGroup}"
	switch ti {
	case 1:
		rg = strs[0]
	case 2:
		sub, rg = strs[0], strs[1]
	}
	typeSegs := strings.Split(strs[ti], "/")
	var names []string
	for _, n := range strs[ti+1:] {
		names = append(names, strings.Split(n, "/")...)
	}
	if len(names) != len(typeSegs)-1 {
		return nil, fmt.Errorf("resourceId of type %s takes %d names, got %d", strs[ti], len(typeSegs)-1, len(names))
	}
	id := "/subscriptions/" + sub + "/resourceGroups/" + rg + "/providers/" + typeSegs[0]
	for i, n := range names {
		id += "/" + typeSegs[i+1] + "/" + n
	}
	return &value{kind: kindString, text: id, lit: true}, nil
}

// The kinds of expression node.
const (
	opCall = iota + 1
	opString
	opNumber
	opProp // .name
)

// exprNode is a parsed expression: a call with its arguments, a literal,
// each followed by property accesses and indexes.
type exprNode struct {
	op     int
	text   string // function name, string, number, property name
	args   []*exprNode
	access []*exprNode // opProp (.name) or an index expression
}

// exprParser parses ARM template expressions.
type exprParser struct {
	s   string
	pos int
}

func (p *exprParser) parse() (*exprNode, error) {
	n, err := p.expr()
	if err != nil {
		return nil, err
	}
	p.space()
	if p.pos != len(p.s) {
		return nil, fmt.Errorf("unexpected %q at character %d", p.s[p.pos:], p.pos+1)
	}
	return n, nil
}

func (p *exprParser) space() {
	for p.pos < len(p.s) && (p.s[p.pos] == ' ' || p.s[p.pos] == '\t' || p.s[p.pos] == '\n' || p.s[p.pos] == '\r') {
		p.pos++
	}
}

func (p *exprParser) expr() (*exprNode, error) {
	p.space()
	if p.pos >= len(p.s) {
		return nil, errors.New("unexpected end of the expression")
	}
	var n *exprNode
	switch c := p.s[p.pos]; {
	case c == '\'':
		var b strings.Builder
		p.pos++
		for {
			if p.pos >= len(p.s) {
				return nil, errors.New("unterminated string")
			}
			if p.s[p.pos] == '\'' {
				if p.pos+1 < len(p.s) && p.s[p.pos+1] == '\'' {
					b.WriteByte('\'')
					p.pos += 2
					continue
				}
				p.pos++
				break
			}
			b.WriteByte(p.s[p.pos])
			p.pos++
		}
		n = &exprNode{op: opString, text: b.String()}
	case c == '-' || c >= '0' && c <= '9':
		start := p.pos
		p.pos++
		for p.pos < len(p.s) && p.s[p.pos] >= '0' && p.s[p.pos] <= '9' {
			p.pos++
		}
		n = &exprNode{op: opNumber, text: p.s[start:p.pos]}
	case isIdent(c):
		start := p.pos
		for p.pos < len(p.s) && (isIdent(p.s[p.pos]) || p.s[p.pos] >= '0' && p.s[p.pos] <= '9') {
			p.pos++
		}
		name := p.s[start:p.pos]
		p.space()
		if p.pos >= len(p.s) || p.s[p.pos] != '(' {
			return nil, fmt.Errorf("%s is not a function call", quote(name))
		}
		p.pos++
		n = &exprNode{op: opCall, text: name}
		p.space()
		if p.pos < len(p.s) && p.s[p.pos] == ')' {
			p.pos++
		} else {
			for {
				arg, err := p.expr()
				if err != nil {
					return nil, err
				}
				n.args = append(n.args, arg)
				p.space()
				if p.pos < len(p.s) && p.s[p.pos] == ',' {
					p.pos++
					continue
				}
				if p.pos < len(p.s) && p.s[p.pos] == ')' {
					p.pos++
					break
				}
				return nil, errors.New("want , or ) after an argument")
			}
		}
	default:
		return nil, fmt.Errorf("unexpected %q at character %d", string(c), p.pos+1)
	}
	for {
		p.space()
		if p.pos >= len(p.s) {
			return n, nil
		}
		switch p.s[p.pos] {
		case '.':
			p.pos++
			start := p.pos
			for p.pos < len(p.s) && (isIdent(p.s[p.pos]) || p.s[p.pos] >= '0' && p.s[p.pos] <= '9') {
				p.pos++
			}
			if start == p.pos {
				return nil, errors.New(`want a property name after "."`)
			}
			n.access = append(n.access, &exprNode{op: opProp, text: p.s[start:p.pos]})
		case '[':
			p.pos++
			idx, err := p.expr()
			if err != nil {
				return nil, err
			}
			p.space()
			if p.pos >= len(p.s) || p.s[p.pos] != ']' {
				return nil, errors.New("want ] after an index")
			}
			p.pos++
			if idx.op == opString && len(idx.access) == 0 {
				idx = &exprNode{op: opProp, text: idx.text}
			}
			n.access = append(n.access, idx)
		default:
			return n, nil
		}
	}
}

func isIdent(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}
