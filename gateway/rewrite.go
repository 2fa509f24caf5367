package gateway

import (
	"context"
	"crypto/x509"

	"github.com/e2etls/e2etls/internal/dataplane"
	"github.com/e2etls/e2etls/internal/errorpage"
	"github.com/e2etls/e2etls/rewrite"
)

// compileRewrites compiles the rewrite rule sets, reporting each problem
// with the gateway's path (rewriteRuleSet "x": rule "y": ...). It returns
// the sets by name, nil when there are problems.
func compileRewrites(errs *problems, sets []rewrite.RuleSet) map[string]*rewrite.Set {
	compiled, problems := dataplane.CompileRewrites(sets)
	errs.prefix(problems)
	return compiled
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
	for _, err := range errorpage.Check(pageSpecs(pages)) {
		if path != "" {
			errs.wrap(path, err)
		} else {
			errs.prefix([]error{err})
		}
	}
}

// pageSpecs are pages as errorpage takes them.
func pageSpecs(pages []CustomErrorPage) []errorpage.Spec {
	specs := make([]errorpage.Spec, len(pages))
	for i, p := range pages {
		specs[i] = errorpage.Spec(p)
	}
	return specs
}

// errorPagesConfig is what errorpage.Load reads for cfg: its valid pages
// only (checkErrorPages reports the others), so that Load reports the
// pages that cannot be read and nothing twice. ok is false when cfg has no
// pages.
func errorPagesConfig(cfg Config) (pc errorpage.Config, ok bool) {
	pc.Global = errorpage.Valid(pageSpecs(cfg.CustomErrorPages))
	ok = len(pc.Global) > 0
	for _, l := range cfg.Listeners {
		if len(l.CustomErrorPages) == 0 {
			continue
		}
		if pc.Listeners == nil {
			pc.Listeners = make(map[string]map[int]string)
		}
		pc.Listeners[l.Name] = errorpage.Valid(pageSpecs(l.CustomErrorPages))
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
	errs.prefix(errorpage.Placed(err))
	return pages, errs.err()
}
