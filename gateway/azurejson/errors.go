package azurejson

import (
	"strconv"
	"strings"
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
	// (Column in characters). Zero means unknown.
	Line, Column int

	// File names the file the problem is in when it is not the document
	// itself: an ARM template's parameters file. Empty means the document.
	File string

	// Err is the problem itself.
	Err error
}

// Error returns "azurejson: [<file>: ]line <l>, column <c>: <path>: <problem>",
// leaving out what is unknown or empty.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("azurejson: ")
	if e.File != "" {
		b.WriteString(e.File + ": ")
	}
	if e.Line > 0 {
		b.WriteString("line " + strconv.Itoa(e.Line) + ", column " + strconv.Itoa(e.Column) + ": ")
	}
	if e.Path != "" {
		b.WriteString(e.Path + ": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
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
