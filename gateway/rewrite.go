package gateway

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/textproto"
	"strings"

	"github.com/e2etls/e2etls/internal/dataplane"
	"github.com/e2etls/e2etls/internal/errorpage"
	"github.com/e2etls/e2etls/rewrite"
)

// placed is a problem of a lower package with the gateway's path in its
// message; it unwraps to the lower package's error.
type placed struct {
	msg string
	err error
}

func (p *placed) Error() string { return p.msg }
func (p *placed) Unwrap() error { return p.err }

// compileRewrites compiles the rewrite rule sets, reporting each problem
// with the gateway's path (rewriteRuleSet "x": rule "y": ...). It returns
// the sets by name, nil when there are problems.
func compileRewrites(errs *problems, sets []rewrite.RuleSet) map[string]*rewrite.Set {
	before := len(*errs)
	for _, rs := range sets {
		for _, rl := range rs.Rules {
			for i, h := range rl.Actions.RequestHeaders {
				name := textproto.CanonicalMIMEHeaderKey(strings.ReplaceAll(h.Name, "_", "-"))
				if name != dataplane.RequestIDHeader {
					continue
				}
				where := fmt.Sprintf("rewriteRuleSet %q: rule %q: request header %q", rs.Name, rl.Name, h.Name)
				if h.Name == "" {
					where = fmt.Sprintf("rewriteRuleSet %q: rule %q: request header[%d]", rs.Name, rl.Name, i)
				}
				errs.add(where, "cannot be rewritten: the gateway sets it (the request's ID, which its log and error responses carry)")
			}
		}
	}
	compiled, err := rewrite.Compile(sets)
	if err != nil {
		for _, e := range splitJoined(err) {
			var re *rewrite.Error
			if errors.As(e, &re) {
				where := re.Where
				if rest, ok := strings.CutPrefix(where, "ruleSet"); ok {
					where = "rewriteRuleSet" + rest
				}
				*errs = append(*errs, &placed{msg: "gateway: " + where + ": " + re.Err.Error(), err: re})
				continue
			}
			errs.wrap("rewriteRuleSets", e)
		}
	}
	if len(*errs) > before {
		return nil
	}
	return compiled
}

// splitJoined returns the errors an errors.Join holds, or err alone.
func splitJoined(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// rewriteSet resolves the rewrite rule set name that field of the element
// at path names: nil for none, and for a name that is unknown (reported,
// unless the sets failed to compile: sets is nil then).
func rewriteSet(errs *problems, path, field, name string, sets map[string]*rewrite.Set, setsOK bool) *rewrite.Set {
	if name == "" {
		return nil
	}
	s, ok := sets[name]
	if !ok && setsOK {
		errs.add(path, "%s: unknown rewriteRuleSet %q", field, name)
	}
	return s
}

// checkErrorPages reports the problems of custom error pages (global when
// path is "", else a listener's) that need no reading: a status Azure does
// not allow, a status given twice, a location that cannot be a page.
func checkErrorPages(errs *problems, path string, pages []CustomErrorPage) {
	seen := make(map[int]bool, len(pages))
	for i, p := range pages {
		where := fmt.Sprintf("customErrorPage %d", p.StatusCode)
		if p.StatusCode == 0 {
			where = fmt.Sprintf("customErrorPages[%d]", i)
		}
		if path != "" {
			where = path + ": " + where
		}
		switch {
		case p.StatusCode == 0:
			errs.add(where, "no statusCode")
		case !errorpage.Allowed(p.StatusCode):
			errs.add(where, "not a status Azure allows a custom error page for (%s)", statusList())
		case seen[p.StatusCode]:
			errs.add(where, "status %d has a page already", p.StatusCode)
		}
		seen[p.StatusCode] = true
		if p.PageURL == "" {
			errs.add(where, "no pageURL")
		} else if err := errorpage.CheckLocation(p.PageURL); err != nil {
			errs.add(where, "pageURL %q: %v", p.PageURL, err)
		}
	}
}

func statusList() string {
	var b strings.Builder
	for i, c := range errorpage.Statuses() {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprint(&b, c)
	}
	return b.String()
}

// errorPagesConfig is what errorpage.Load reads for cfg: its valid pages
// only (checkErrorPages reports the others), so that Load reports the
// pages that cannot be read and nothing twice. ok is false when cfg has no
// pages.
func errorPagesConfig(cfg Config) (pc errorpage.Config, ok bool) {
	valid := func(pages []CustomErrorPage) map[int]string {
		var m map[int]string
		for _, p := range pages {
			if !errorpage.Allowed(p.StatusCode) || errorpage.CheckLocation(p.PageURL) != nil {
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
	pc.Global = valid(cfg.CustomErrorPages)
	ok = len(pc.Global) > 0
	for _, l := range cfg.Listeners {
		if len(l.CustomErrorPages) == 0 {
			continue
		}
		if pc.Listeners == nil {
			pc.Listeners = make(map[string]map[int]string)
		}
		pc.Listeners[l.Name] = valid(l.CustomErrorPages)
		ok = true
	}
	if !ok {
		return pc, false
	}
	if len(cfg.TrustedRootCertificates) > 0 {
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		for _, c := range cfg.TrustedRootCertificates {
			if c.Certificate != nil {
				pool.AddCert(c.Certificate)
			}
		}
		pc.RootCAs = pool
	}
	return pc, true
}

// loadErrorPages reads the custom error pages of cfg; prev are the pages
// served now, which keep a page that fails to load (see errorpage.Load).
// The pages are nil when cfg has none. The error lists the pages that
// could not be read, each with its place.
func loadErrorPages(cfg Config, prev *errorpage.Pages) (*errorpage.Pages, error) {
	pc, ok := errorPagesConfig(cfg)
	if !ok {
		return nil, nil
	}
	pages, err := errorpage.Load(context.Background(), pc, prev)
	if err == nil {
		return pages, nil
	}
	var errs problems
	for _, e := range splitJoined(err) {
		var pe *errorpage.Error
		if !errors.As(e, &pe) {
			errs.wrap("customErrorPages", e)
			continue
		}
		// errorpage's places: "global: status 502", `listener "web": status 403`.
		where, global := strings.CutPrefix(pe.Where, "global: ")
		if global {
			where = strings.Replace(where, "status ", "customErrorPage ", 1)
		} else {
			where = strings.Replace(where, ": status ", ": customErrorPage ", 1)
		}
		errs = append(errs, &placed{msg: fmt.Sprintf("gateway: %s: pageURL %q: %v", where, pe.Location, pe.Err), err: pe})
	}
	return pages, errs.err()
}
