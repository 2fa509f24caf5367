package probe

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// StatusRange is an inclusive range of HTTP status codes that a probe accepts
// as healthy, such as 200-399. Min and Max are 100..599 and Min <= Max; a
// single code has Min == Max.
type StatusRange struct {
	Min, Max int
}

// String returns the range as ParseStatusRanges reads it: "200-399", or "404"
// when Min == Max.
func (r StatusRange) String() string {
	if r.Min == r.Max {
		return strconv.Itoa(r.Min)
	}
	return strconv.Itoa(r.Min) + "-" + strconv.Itoa(r.Max)
}

// contains reports whether code lies in r.
func (r StatusRange) contains(code int) bool {
	return code >= r.Min && code <= r.Max
}

// problem describes what is wrong with r, or returns "" when r is valid.
func (r StatusRange) problem() string {
	switch {
	case r.Min < 100 || r.Min > 599:
		return fmt.Sprintf("%d is out of range 100-599", r.Min)
	case r.Max < 100 || r.Max > 599:
		return fmt.Sprintf("%d is out of range 100-599", r.Max)
	case r.Min > r.Max:
		return fmt.Sprintf("%d is greater than %d", r.Min, r.Max)
	}
	return ""
}

// ParseStatusRanges parses status code ranges written as Azure writes them:
// "200-399" (inclusive) or a single code such as "404". Codes are 100..599.
// Entries are taken as they are: no spaces, signs or other characters.
//
// An empty or nil s gives nil, which a [Spec] reads as 200-399. Every bad entry
// gets its own error naming the entry and its index; they are joined with
// [errors.Join].
func ParseStatusRanges(s []string) ([]StatusRange, error) {
	if len(s) == 0 {
		return nil, nil
	}
	ranges := make([]StatusRange, 0, len(s))
	var errs []error
	for i, entry := range s {
		r, problem := parseStatusRange(entry)
		if problem != "" {
			errs = append(errs, fmt.Errorf("probe: status code range %q (entry %d): %s", entry, i, problem))
			continue
		}
		ranges = append(ranges, r)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return ranges, nil
}

// parseStatusRange parses one entry; it returns a description of the problem,
// or "".
func parseStatusRange(entry string) (StatusRange, string) {
	if entry == "" {
		return StatusRange{}, "empty"
	}
	first, last, isRange := strings.Cut(entry, "-")
	if !isRange {
		last = first
	}
	lo, okLo := parseCode(first)
	hi, okHi := parseCode(last)
	if !okLo || !okHi {
		return StatusRange{}, `want a status code such as "404" or a range such as "200-399"`
	}
	r := StatusRange{Min: lo, Max: hi}
	return r, r.problem()
}

// parseCode parses one to three ASCII digits.
func parseCode(s string) (int, bool) {
	if len(s) == 0 || len(s) > 3 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// formatRanges writes ranges as "200-299, 404".
func formatRanges(ranges []StatusRange) string {
	var b strings.Builder
	for i, r := range ranges {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(r.String())
	}
	return b.String()
}
