package azurejson

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	suggestpkg "github.com/e2etls/e2etls/internal/suggest"
)

// decoder walks a value tree, converting it and collecting every problem.
type decoder struct {
	src      *source
	readFile func(name string) ([]byte, error) // name as written in the file
	files    []string                          // local files read by name of the options (readLocal)
	baseDir  string                            // Options.BaseDir
	problems []problem
	notes    []Note

	// fold matches field names without regard to case, as Azure does for
	// its own documents (the flat format matches them exactly).
	fold bool
	// eval, when set, evaluates the ARM template expressions a value may
	// hold; it returns the value to use instead, or bad when evaluation
	// failed (reported). Nil means values are literal.
	eval func(v *value, path string) *value

	// The flat format's references by name, checked by checkRefs once the
	// document is read: the names of each collection's elements, the
	// collections with an element whose name could not be read, and the
	// references.
	names  map[string]map[string]bool
	broken map[string]bool
	refs   []nameRef
}

// nameRef is a reference by name to an element of collection coll, at path
// and byte offset off.
type nameRef struct {
	coll, name, path string
	off              int
}

// flatCollections are the flat format's collections that elements
// reference by name.
var flatCollections = []string{
	"sslCertificates", "trustedRootCertificates", "authenticationCertificates",
	"httpListeners", "backendAddressPools", "backendHttpSettings", "probes",
	"urlPathMaps", "redirectConfigurations", "sslProfiles", "trustedClientCertificates", "rewriteRuleSets",
}

// collectFlatNames records the element names of the flat document top's
// collections, whatever order they come in. A collection that is not an
// array, or has an element without a readable name (reported elsewhere, or
// left to gateway.New), is broken: references into it are not checked, as
// their failure could only follow from that.
func (d *decoder) collectFlatNames(top *object) {
	d.names = make(map[string]map[string]bool)
	d.broken = make(map[string]bool)
	for _, coll := range flatCollections {
		names := make(map[string]bool)
		d.names[coll] = names
		v := top.get(coll)
		if v == nil {
			continue
		}
		if v.kind != kindArray {
			d.broken[coll] = true
			continue
		}
		for _, e := range v.elems {
			name, ok := "", false
			if e.kind == kindObject {
				for _, m := range e.members {
					if m.key == "name" {
						name, ok = m.val.text, m.val.kind == kindString && m.val.text != ""
					}
				}
			}
			if !ok {
				d.broken[coll] = true
				continue
			}
			names[name] = true
		}
	}
}

// checkRefs reports every reference to a name its collection does not
// have, unless the collection is broken or the reference's value has a
// problem of its own already (such as a field not allowed where it is).
func (d *decoder) checkRefs() {
	faulty := make(map[int]bool, len(d.problems))
	for _, p := range d.problems {
		if p.src == d.src {
			faulty[p.off] = true
		}
	}
	for _, r := range d.refs {
		if d.names[r.coll][r.name] || d.broken[r.coll] || faulty[r.off] {
			continue
		}
		known := make([]string, 0, len(d.names[r.coll]))
		for n := range d.names[r.coll] {
			known = append(known, n)
		}
		slices.Sort(known)
		msg := "unknown " + r.coll + " element " + quote(r.name)
		if s := suggest(r.name, known); s != "" {
			msg += " (did you mean " + strconv.Quote(s) + "?)"
		}
		d.fail(r.off, r.path, errors.New(msg))
	}
}

// source is a document the decoder reads: its name for messages ("" for
// the configuration itself) and its bytes, for line numbers.
type source struct {
	name string
	data []byte
}

// problem is an Error whose line and column are not computed yet.
type problem struct {
	src *source
	off int // byte offset in src.data
	err *Error
}

// fail records err at path, located at byte offset off of the current
// source.
func (d *decoder) fail(off int, path string, err error) {
	d.failIn(d.src, off, path, err)
}

// failIn records err at path, located at byte offset off of src.
func (d *decoder) failIn(src *source, off int, path string, err error) {
	d.problems = append(d.problems, problem{src: src, off: off, err: &Error{Path: path, Err: err, File: src.name}})
}

// note records a property that was accepted and ignored.
func (d *decoder) note(off int, path, property, reason string) {
	line, col := position(d.src.data, off)
	d.notes = append(d.notes, Note{Path: path, Property: property, Reason: reason, Line: line, Column: col, File: d.src.name})
}

// err returns every recorded problem, joined: the document's in file
// order, then those of other files (a parameters file), or nil.
func (d *decoder) err() error {
	if len(d.problems) == 0 {
		return nil
	}
	main := d.src
	slices.SortStableFunc(d.problems, func(a, b problem) int {
		if (a.src == main) != (b.src == main) {
			if a.src == main {
				return -1
			}
			return 1
		}
		if a.src != b.src {
			return cmp.Compare(a.src.name, b.src.name)
		}
		return cmp.Compare(a.off, b.off)
	})
	errs := make([]error, 0, len(d.problems))
	pos := make(map[*source]*positioner)
	seen := make(map[string]bool)
	for _, p := range d.problems {
		ps := pos[p.src]
		if ps == nil {
			ps = new(positioner)
			pos[p.src] = ps
		}
		p.err.Line, p.err.Column = ps.position(p.src.data, p.off)
		if msg := p.err.Error(); !seen[msg] { // one place, one message, once
			seen[msg] = true
			errs = append(errs, p.err)
		}
	}
	return errors.Join(errs...)
}

// join appends a path segment to a path.
func join(path, seg string) string {
	if path == "" {
		return seg
	}
	return path + ": " + seg
}

// object is a JSON object being converted: its members can only be the
// fields it was opened with.
type object struct {
	d    *decoder
	path string
	v    *value
	// misspelt are the fields that an unknown member probably meant: a
	// field that is then missing is not reported again.
	misspelt map[string]bool
}

// object opens v as an object whose members may be the given fields, and
// reports any other member and any duplicate. It returns nil, having reported
// the problem, when v is not an object.
func (d *decoder) object(v *value, path string, fields ...string) *object {
	if v.kind == kindBad {
		return nil
	}
	if v.kind != kindObject {
		d.fail(v.off, path, fmt.Errorf("want an object, got %s", describe(v)))
		return nil
	}
	var seen, misspelt map[string]bool
	for _, m := range v.members {
		key := m.key
		if d.fold {
			key = foldedIn(key, fields)
		}
		if !slices.Contains(fields, key) {
			d.fail(m.off, path, unknownField(path, m.key, fields))
			if s := suggest(m.key, fields); s != "" {
				if misspelt == nil {
					misspelt = make(map[string]bool)
				}
				misspelt[s] = true
			}
			continue
		}
		if seen[key] {
			d.fail(m.off, path, fmt.Errorf("field %s appears twice", quote(m.key)))
			continue
		}
		if seen == nil {
			seen = make(map[string]bool, len(fields))
		}
		seen[key] = true
	}
	return &object{d: d, path: path, v: v, misspelt: misspelt}
}

// foldedIn returns the field of fields that key equals without regard to
// case, or key.
func foldedIn(key string, fields []string) string {
	for _, f := range fields {
		if strings.EqualFold(f, key) {
			return f
		}
	}
	return key
}

// unknownField describes a member that is not one of fields, with the field
// probably meant.
func unknownField(path, key string, fields []string) error {
	what := "unknown field "
	if path == "" {
		what = "unknown top-level field "
	}
	if hint := armHint(key); hint != "" {
		return errors.New(what + quote(key) + " (" + hint + ")")
	}
	if s := suggest(key, fields); s != "" {
		return errors.New(what + quote(key) + " (did you mean " + strconv.Quote(s) + "?)")
	}
	return errors.New(what + quote(key))
}

// armHint explains the ARM template names that this flat format spells
// differently or does not use.
func armHint(key string) string {
	switch key {
	case "properties":
		return `this format is flat: move the members of "properties" into the object itself`
	case "id", "etag", "type":
		return "this format references objects by name, not by ARM resource id"
	case "backendHttpSettingsCollection":
		return `this format calls it "backendHttpSettings"`
	case "frontendPort", "frontendPorts":
		return `a listener gives its port number in "port"`
	case "frontendIPConfiguration", "frontendIPConfigurations":
		return `a listener gives its IP address in "address"`
	}
	return ""
}

// suggest returns the field that key is probably a misspelling of (within
// two edits), or "".
func suggest(key string, fields []string) string {
	return suggestpkg.Closest(key, fields, 2)
}

// get returns the member key, or nil when it is absent or null (null means
// absent, as ARM exports write it).
func (o *object) get(key string) *value {
	v := o.member(key)
	if v == nil || v.kind == kindNull || v.kind == kindBad {
		return nil
	}
	return v
}

// member returns member key evaluated (see decoder.eval), nil when absent.
func (o *object) member(key string) *value {
	for i := range o.v.members {
		m := &o.v.members[i]
		if m.key == key || o.d.fold && strings.EqualFold(m.key, key) {
			m.val = o.d.resolve(m.val, join(o.path, key))
			return m.val
		}
	}
	return nil
}

// resolve evaluates v if it is a template expression.
func (d *decoder) resolve(v *value, path string) *value {
	if d.eval == nil || v.lit {
		return v
	}
	return d.eval(v, path)
}

// has reports whether member key is present and not null. A member whose
// expression failed to evaluate is present: the failure is reported, and
// nothing that follows from it is.
func (o *object) has(key string) bool {
	v := o.member(key)
	return v != nil && v.kind != kindNull
}

// failf records a problem with member key (the object itself when key is
// empty).
func (o *object) failf(key, format string, args ...any) {
	if o.misspelt[key] && strings.HasPrefix(format, "missing") {
		return // follows from the misspelling, reported already
	}
	o.fail(key, fmt.Errorf(format, args...))
}

// fail records err as a problem with member key (the object itself when key
// is empty). An errors.Join of several problems is recorded as each of them.
func (o *object) fail(key string, err error) {
	off := o.v.off
	if v := o.get(key); v != nil {
		off = v.off
	}
	path := o.path
	if key != "" {
		path = join(path, key)
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			o.d.fail(off, path, e)
		}
		return
	}
	o.d.fail(off, path, err)
}

// str returns string member key; "" when absent.
func (o *object) str(key string) string {
	v := o.get(key)
	if v == nil {
		return ""
	}
	if v.kind != kindString {
		o.failf(key, "want a string, got %s", describe(v))
		return ""
	}
	return v.text
}

// ref returns member key, the name of an element of collection coll; ""
// when absent. The name is checked once the whole document is read (see
// checkRefs).
func (o *object) ref(key, coll string) string {
	v := o.get(key)
	if v != nil && v.kind == kindObject {
		o.failf(key, "want a name, got an object (this format references objects by name, not by ARM resource id)")
		return ""
	}
	name := o.str(key)
	if name != "" {
		o.d.refs = append(o.d.refs, nameRef{coll: coll, name: name, path: join(o.path, key), off: v.off})
	}
	return name
}

// boolean returns boolean member key; false when absent.
func (o *object) boolean(key string) bool {
	v := o.get(key)
	if v == nil {
		return false
	}
	if v.kind != kindBool {
		o.failf(key, "want true or false, got %s", describe(v))
		return false
	}
	return v.boolean
}

// integer returns integer member key; 0 when absent.
func (o *object) integer(key string) int {
	n, _ := o.number(key, "an integer")
	return n
}

// number returns integer member key, which must be a number with no
// fractional part that fits an int; want names the expected value in
// messages. ok is false when the member is absent or wrong.
func (o *object) number(key, want string) (n int, ok bool) {
	v := o.get(key)
	if v == nil {
		return 0, false
	}
	if v.kind != kindNumber {
		o.failf(key, "want %s, got %s", want, describe(v))
		return 0, false
	}
	if i, err := strconv.ParseInt(v.text, 10, 0); err == nil {
		return int(i), true
	}
	f, err := strconv.ParseFloat(v.text, 64)
	switch {
	case err == nil && f != math.Trunc(f):
		o.failf(key, "want %s, got %s", want, describe(v))
	case err != nil || f < math.MinInt64 || f >= math.MaxInt64:
		o.failf(key, "%s is out of range", truncate(v.text))
	default:
		return int(f), true // an integral number in exponent form, such as 1e3
	}
	return 0, false
}

// maxSeconds is the largest number of seconds a time.Duration holds.
const maxSeconds = math.MaxInt64 / int64(time.Second)

// seconds returns member key, a positive whole number of seconds; 0 when
// absent.
func (o *object) seconds(key string) time.Duration {
	n, ok := o.number(key, "a whole number of seconds")
	switch {
	case !ok:
		return 0
	case n <= 0:
		o.failf(key, "%d is not a positive number of seconds", n)
		return 0
	case int64(n) > maxSeconds:
		o.failf(key, "%d seconds is too long", n)
		return 0
	}
	return time.Duration(n) * time.Second
}

// strings returns member key, an array of strings; nil when absent.
func (o *object) strings(key string) []string {
	elems, ok := o.array(key, "an array of strings")
	if !ok {
		return nil
	}
	out := make([]string, 0, len(elems))
	for i, v := range elems {
		if v.kind == kindBad {
			continue
		}
		if v.kind != kindString {
			o.d.fail(v.off, join(o.path, key+"["+strconv.Itoa(i)+"]"), fmt.Errorf("want a string, got %s", describe(v)))
			continue
		}
		out = append(out, v.text)
	}
	return out
}

// refs returns member key, an array of names of elements of collection
// coll; nil when absent. The names are checked as ref's are.
func (o *object) refs(key, coll string) []string {
	v := o.get(key)
	if v != nil && v.kind == kindArray && len(v.elems) > 0 && v.elems[0].kind == kindObject {
		o.failf(key, "want an array of names, got an array of objects (this format references objects by name, not by ARM resource id)")
		return nil
	}
	names := o.strings(key)
	if v != nil && v.kind == kindArray {
		for i, e := range v.elems {
			if e.kind == kindString && e.text != "" {
				o.d.refs = append(o.d.refs, nameRef{coll: coll, name: e.text, path: join(o.path, key+"["+strconv.Itoa(i)+"]"), off: e.off})
			}
		}
	}
	return names
}

// array returns the elements of array member key; ok is false when the
// member is absent or not an array, which is reported as wanting want.
func (o *object) array(key, want string) (elems []*value, ok bool) {
	v := o.get(key)
	if v == nil {
		return nil, false
	}
	if v.kind != kindArray {
		o.failf(key, "want %s, got %s", want, describe(v))
		return nil, false
	}
	for i, e := range v.elems {
		v.elems[i] = o.d.resolve(e, join(o.path, key+"["+strconv.Itoa(i)+"]"))
	}
	return v.elems, true
}

// enum returns member key, one of values compared without regard to case,
// spelled as in values; "" when absent or not one of them.
func (o *object) enum(key string, values ...string) string {
	v := o.get(key)
	if v == nil {
		return ""
	}
	if v.kind == kindString {
		for _, s := range values {
			if strings.EqualFold(v.text, s) {
				return s
			}
		}
	}
	o.failf(key, "want %s, got %s", orList(values), describe(v))
	return ""
}

// orList quotes values and joins them with commas and "or".
func orList(values []string) string {
	var b strings.Builder
	for i, s := range values {
		switch {
		case i == 0:
		case i == len(values)-1:
			b.WriteString(" or ")
		default:
			b.WriteString(", ")
		}
		b.WriteString(strconv.Quote(s))
	}
	return b.String()
}

// object opens object member key with the given fields; nil when absent
// or not an object.
func (o *object) object(key string, fields ...string) *object {
	v := o.get(key)
	if v == nil {
		return nil
	}
	return o.d.object(v, join(o.path, key), fields...)
}

// objects opens the elements of array member key as objects with the given
// fields. Elements that are not objects are reported and left out. Each
// element's path is key[i], followed by its name when it has one.
func (o *object) objects(key string, fields ...string) []*object {
	elems, ok := o.array(key, "an array of objects")
	if !ok {
		return nil
	}
	out := make([]*object, 0, len(elems))
	for i, v := range elems {
		seg := key + "[" + strconv.Itoa(i) + "]"
		if v.kind == kindObject {
			for _, m := range v.members {
				if m.key == "name" && m.val.kind == kindString {
					seg += " (" + quote(m.val.text) + ")"
					break
				}
			}
		}
		if e := o.d.object(v, join(o.path, seg), fields...); e != nil {
			out = append(out, e)
		}
	}
	return out
}
