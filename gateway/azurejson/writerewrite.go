package azurejson

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/e2etls/e2etls/gateway"
	"github.com/e2etls/e2etls/rewrite"
)

// rewriteRuleSet writes a rewrite rule set in Azure's shape: rewriteRules
// with ruleSequence, conditions and an actionSet. A rule without a
// sequence is written without one; a delete is written as Azure's set to
// an empty value.
func (w *writer) rewriteRuleSet(rs rewrite.RuleSet) armElem {
	path := "rewriteRuleSet " + strconv.Quote(rs.Name)
	props := armRewriteRuleSetProps{RewriteRules: []armRewriteRule{}}
	for _, r := range rs.Rules {
		rpath := path + ": rule " + strconv.Quote(r.Name)
		ar := armRewriteRule{Name: w.lit(r.Name), RuleSequence: r.Sequence}
		for _, c := range r.Conditions {
			ar.Conditions = append(ar.Conditions, armCondition{
				Variable: w.lit(c.Variable), Pattern: w.lit(c.Pattern), IgnoreCase: c.IgnoreCase, Negate: c.Negate,
			})
		}
		ar.ActionSet.RequestHeaderConfigurations = w.headerConfigurations(rpath+": RequestHeaders", r.Actions.RequestHeaders)
		ar.ActionSet.ResponseHeaderConfigurations = w.headerConfigurations(rpath+": ResponseHeaders", r.Actions.ResponseHeaders)
		if u := r.Actions.URL; u != nil {
			au := &armURLConfig{ModifiedPath: w.lit(u.ModifiedPath), Reroute: u.Reroute}
			if u.ModifiedQueryString != nil {
				q := w.lit(*u.ModifiedQueryString)
				au.ModifiedQueryString = &q
			}
			ar.ActionSet.URLConfiguration = au
		}
		if r.Actions.Redirect != nil {
			w.unsupported(rpath+": Actions.Redirect", "a rewrite rule that redirects is the Gateway API's RequestRedirect filter; Azure redirects with routing rules (redirectConfigurations)")
		}
		props.RewriteRules = append(props.RewriteRules, ar)
	}
	return w.elem("rewriteRuleSets", rs.Name, props)
}

// headerConfigurations writes the header actions of a rule.
func (w *writer) headerConfigurations(path string, actions []rewrite.HeaderAction) []armHeaderConfig {
	var out []armHeaderConfig
	for i, a := range actions {
		apath := fmt.Sprintf("%s[%d]", path, i)
		h := armHeaderConfig{HeaderName: w.lit(a.Name), HeaderValue: w.lit(a.Value)}
		switch a.Op {
		case rewrite.SetHeader:
		case rewrite.DeleteHeader:
			h.HeaderValue = "" // Azure deletes a header by setting it to nothing
		default:
			w.unsupported(apath+": Op", fmt.Sprintf("%q: Azure sets or deletes headers; it cannot add a value to one", a.Op))
			continue
		}
		if m := a.ValueMatcher; m != nil {
			h.HeaderValueMatcher = &armValueMatcher{Pattern: w.lit(m.Pattern), IgnoreCase: m.IgnoreCase, Negate: m.Negate}
		}
		out = append(out, h)
	}
	return out
}

// customErrors writes custom error pages as customErrorConfigurations. A
// page read from a file cannot be carried: Azure reads its pages from
// URLs.
func (w *writer) customErrors(path string, pages []gateway.CustomErrorPage) []armCustomError {
	var out []armCustomError
	for _, p := range pages {
		ppath := fmt.Sprintf("%s: status %d", path, p.StatusCode)
		if !strings.HasPrefix(strings.ToLower(p.PageURL), "https://") && !strings.HasPrefix(strings.ToLower(p.PageURL), "http://") {
			w.unsupported(ppath, fmt.Sprintf("the page is the local file %q: Azure reads a custom error page from a URL (customErrorPageUrl, such as a storage blob); upload the page and give its URL", p.PageURL))
			continue
		}
		out = append(out, armCustomError{StatusCode: "HttpStatus" + strconv.Itoa(p.StatusCode), CustomErrorPageURL: w.lit(p.PageURL)})
	}
	return out
}
