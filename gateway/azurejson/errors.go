package azurejson

import (
	"strconv"
	"unicode/utf8"
)

// Error is one problem of a configuration file. [Load] and [Parse] report
// every problem of a file at once, as an errors.Join of *Error values in
// file order; errors.As finds the first, and a type assertion to
// interface{ Unwrap() []error } yields them all.
type Error struct {
	// Path says where the problem is, for example
	//
	//	backendHttpSettings[1] ("api"): requestTimeout
	//
	// Fields and array elements are separated by ": "; an element that has
	// a name is followed by it in parentheses; a problem with a file names
	// the file as written (certFile "certs/web.pem"). Empty means the
	// problem has no path: a syntax error, a top-level document that is not
	// an object, or an unknown top-level field.
	Path string

	// Line and Column locate the problem in the file, counting from 1
	// (Column in characters). Zero means unknown. The message shows them
	// only when Path is empty.
	Line, Column int

	// Err is the problem itself.
	Err error
}

// Error returns "azurejson: <path>: <problem>", or, when Path is empty,
// "azurejson: line <l>, column <c>: <problem>".
func (e *Error) Error() string {
	where := e.Path
	if where == "" && e.Line > 0 {
		where = "line " + strconv.Itoa(e.Line) + ", column " + strconv.Itoa(e.Column)
	}
	if where == "" {
		return "azurejson: " + e.Err.Error()
	}
	return "azurejson: " + where + ": " + e.Err.Error()
}

// Unwrap returns Err, so that errors.Is(err, fs.ErrNotExist) and the like
// see through it.
func (e *Error) Unwrap() error { return e.Err }

// maxQuoted is how many bytes of a value a message quotes.
const maxQuoted = 64

// quote quotes s for a message, shortened if it is long.
func quote(s string) string { return strconv.Quote(truncate(s)) }

// truncate shortens s to about maxQuoted bytes, on a character boundary.
func truncate(s string) string {
	if len(s) <= maxQuoted {
		return s
	}
	cut := maxQuoted
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}
