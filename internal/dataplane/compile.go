package dataplane

import (
	"errors"
	"fmt"
	"net/textproto"
	"strings"

	"github.com/e2etls/e2etls/rewrite"
)

// Pieces of a Plan that the gateway builds from values it has validated.
// Their problems are returned with their place in the gateway's
// configuration but without the "gateway: " prefix, which the gateway adds.

// CompileRewrites compiles the rewrite rule sets of a configuration: the
// sets by name, nil when there are problems, and the problems, each with
// its place (rewriteRuleSet "x": rule "y": ...). A rule may not rewrite
// RequestIDHeader, which the gateway sets.
func CompileRewrites(sets []rewrite.RuleSet) (map[string]*rewrite.Set, []error) {
	var errs []error
	for _, rs := range sets {
		for _, rl := range rs.Rules {
			for i, h := range rl.Actions.RequestHeaders {
				name := textproto.CanonicalMIMEHeaderKey(strings.ReplaceAll(h.Name, "_", "-"))
				if name != RequestIDHeader {
					continue
				}
				where := fmt.Sprintf("rewriteRuleSet %q: rule %q: request header %q", rs.Name, rl.Name, h.Name)
				if h.Name == "" {
					where = fmt.Sprintf("rewriteRuleSet %q: rule %q: request header[%d]", rs.Name, rl.Name, i)
				}
				errs = append(errs, fmt.Errorf("%s: cannot be rewritten: the gateway sets it (the request's ID, which its log and error responses carry)", where))
			}
		}
	}
	compiled, err := rewrite.Compile(sets)
	if err != nil {
		all := []error{err}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			all = j.Unwrap()
		}
		for _, e := range all {
			var re *rewrite.Error
			if errors.As(e, &re) {
				where := re.Where
				if rest, ok := strings.CutPrefix(where, "ruleSet"); ok {
					where = "rewriteRuleSet" + rest
				}
				errs = append(errs, &placedRewrite{msg: where + ": " + re.Err.Error(), err: re})
				continue
			}
			errs = append(errs, fmt.Errorf("rewriteRuleSets: %w", e))
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return compiled, nil
}

// placedRewrite is a *rewrite.Error with its place in the gateway's words
// in its message.
type placedRewrite struct {
	msg string
	err *rewrite.Error
}

func (p *placedRewrite) Error() string { return p.msg }
func (p *placedRewrite) Unwrap() error { return p.err }
