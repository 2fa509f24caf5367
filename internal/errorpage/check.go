package errorpage

import (
	"errors"
	"fmt"
	"strings"
)

// Spec is one configured page of a scope (the global pages, or one
// listener's), as the gateway's configuration gives it.
type Spec struct {
	// StatusCode is the status the page is served for.
	StatusCode int
	// PageURL is the page's location (see CheckLocation).
	PageURL string
}

// Check reports the problems of a scope's pages that need no reading: a
// status Azure does not allow, a status given twice, a location that
// cannot be a page. Each error names its page as the gateway's
// configuration does: "customErrorPage 502: ...", or
// "customErrorPages[1]: ..." for one without a status.
func Check(specs []Spec) []error {
	var errs []error
	add := func(where, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", where, fmt.Sprintf(format, args...)))
	}
	seen := make(map[int]bool, len(specs))
	for i, p := range specs {
		where := fmt.Sprintf("customErrorPage %d", p.StatusCode)
		if p.StatusCode == 0 {
			where = fmt.Sprintf("customErrorPages[%d]", i)
		}
		switch {
		case p.StatusCode == 0:
			add(where, "no statusCode")
		case !Allowed(p.StatusCode):
			add(where, "not a status Azure allows a custom error page for (%s)", statusList())
		case seen[p.StatusCode]:
			add(where, "status %d has a page already", p.StatusCode)
		}
		seen[p.StatusCode] = true
		if p.PageURL == "" {
			add(where, "no pageURL")
		} else if err := CheckLocation(p.PageURL); err != nil {
			add(where, "pageURL %q: %v", p.PageURL, err)
		}
	}
	return errs
}

// Valid returns the locations of the pages of specs that Check finds
// nothing wrong with, by status (the first page of a status given twice);
// nil if there are none. Given to Load, they make it report only the pages
// that cannot be read, so that nothing is reported twice.
func Valid(specs []Spec) map[int]string {
	var m map[int]string
	for _, p := range specs {
		if !Allowed(p.StatusCode) || CheckLocation(p.PageURL) != nil {
			continue
		}
		if _, dup := m[p.StatusCode]; dup {
			continue
		}
		if m == nil {
			m = make(map[int]string)
		}
		m[p.StatusCode] = p.PageURL
	}
	return m
}

// Placed splits an error of Load into one error per page, each naming its
// page as the gateway's configuration does, `customErrorPage 502: pageURL
// "...": ...` for a global page and `listener "web": customErrorPage 403:
// pageURL "...": ...` for a listener's, and unwrapping to its *Error.
func Placed(err error) []error {
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	out := make([]error, 0, len(errs))
	for _, e := range errs {
		var pe *Error
		if !errors.As(e, &pe) {
			out = append(out, fmt.Errorf("customErrorPages: %w", e))
			continue
		}
		// Load's places: "global: status 502", `listener "web": status 403`.
		where, global := strings.CutPrefix(pe.Where, "global: ")
		if global {
			where = strings.Replace(where, "status ", "customErrorPage ", 1)
		} else {
			where = strings.Replace(where, ": status ", ": customErrorPage ", 1)
		}
		out = append(out, &placed{msg: fmt.Sprintf("%s: pageURL %q: %v", where, pe.Location, pe.Err), err: pe})
	}
	return out
}

// placed is an *Error with its place in the configuration's words in its
// message.
type placed struct {
	msg string
	err *Error
}

func (p *placed) Error() string { return p.msg }
func (p *placed) Unwrap() error { return p.err }
