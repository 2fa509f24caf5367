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
	data     []byte
	readFile func(name string) ([]byte, error) // name as written in the file
	problems []problem
}

// problem is an Error whose line and column are not computed yet.
type problem struct {
	off int // byte offset in data
	err *Error
}

// fail records err at path, located at byte offset off of the file.
func (d *decoder) fail(off int, path string, err error) {
	d.problems = append(d.problems, problem{off: off, err: &Error{Path: path, Err: err}})
}

// err returns every recorded problem in file order, joined, or nil.
func (d *decoder) err() error {
	if len(d.problems) == 0 {
		return nil
	}
	slices.SortStableFunc(d.problems, func(a, b problem) int { return cmp.Compare(a.off, b.off) })
	errs := make([]error, len(d.problems))
	var pos positioner
	for i, p := range d.problems {
		p.err.Line, p.err.Column = pos.position(d.data, p.off)
		errs[i] = p.err
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
}

// object opens v as an object whose members may be the given fields, and
// reports any other member and any duplicate. It returns nil, having reported
// the problem, when v is not an object.
func (d *decoder) object(v *value, path string, fields ...string) *object {
	if v.kind != kindObject {
		d.fail(v.off, path, fmt.Errorf("want an object, got %s", describe(v)))
		return nil
	}
	var seen map[string]bool
	for _, m := range v.members {
		if !slices.Contains(fields, m.key) {
			d.fail(m.off, path, unknownField(path, m.key, fields))
			continue
		}
		if seen[m.key] {
			d.fail(m.off, path, fmt.Errorf("field %s appears twice", quote(m.key)))
			continue
		}
		if seen == nil {
			seen = make(map[string]bool, len(fields))
		}
		seen[m.key] = true
	}
	return &object{d: d, path: path, v: v}
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
	for _, m := range o.v.members {
		if m.key == key {
			if m.val.kind == kindNull {
				return nil
			}
			return m.val
		}
	}
	return nil
}

// has reports whether member key is present and not null.
func (o *object) has(key string) bool { return o.get(key) != nil }

// failf records a problem with member key (the object itself when key is
// empty).
func (o *object) failf(key, format string, args ...any) {
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

// ref returns member key, the name of another object; "" when absent.
func (o *object) ref(key string) string {
	v := o.get(key)
	if v != nil && v.kind == kindObject {
		o.failf(key, "want a name, got an object (this format references objects by name, not by ARM resource id)")
		return ""
	}
	return o.str(key)
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
		if v.kind != kindString {
			o.d.fail(v.off, join(o.path, key+"["+strconv.Itoa(i)+"]"), fmt.Errorf("want a string, got %s", describe(v)))
			continue
		}
		out = append(out, v.text)
	}
	return out
}

// refs returns member key, an array of names; nil when absent.
func (o *object) refs(key string) []string {
	if v := o.get(key); v != nil && v.kind == kindArray && len(v.elems) > 0 && v.elems[0].kind == kindObject {
		o.failf(key, "want an array of names, got an array of objects (this format references objects by name, not by ARM resource id)")
		return nil
	}
	return o.strings(key)
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
