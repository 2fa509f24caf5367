package azurejson

import (
	"path/filepath"
	"strconv"
	"strings"

	"github.com/e2etls/e2etls/gateway"
	"github.com/e2etls/e2etls/rewrite"
)

// Rewrite rule sets and custom error pages, in the shapes Azure gives them:
// the same in the flat format and in an ARM element's properties.

// rewriteRules converts member key of o, a rewrite rule set's
// rewriteRules. The values are checked by gateway.New (rewrite.Compile):
// here only their JSON types.
func (o *object) rewriteRules(key string) []rewrite.Rule {
	var out []rewrite.Rule
	for _, ro := range o.objects(key, "name", "ruleSequence", "conditions", "actionSet") {
		r := rewrite.Rule{Name: ro.str("name"), Sequence: ro.integer("ruleSequence")}
		for _, c := range ro.objects("conditions", "variable", "pattern", "ignoreCase", "negate") {
			r.Conditions = append(r.Conditions, rewrite.Condition{
				Variable:   c.str("variable"),
				Pattern:    c.str("pattern"),
				IgnoreCase: c.boolean("ignoreCase"),
				Negate:     c.boolean("negate"),
			})
		}
		if as := ro.object("actionSet", "requestHeaderConfigurations", "responseHeaderConfigurations", "urlConfiguration"); as != nil {
			r.Actions.RequestHeaders = as.headerConfigurations("requestHeaderConfigurations")
			r.Actions.ResponseHeaders = as.headerConfigurations("responseHeaderConfigurations")
			if u := as.object("urlConfiguration", "modifiedPath", "modifiedQueryString", "reroute"); u != nil {
				ua := &rewrite.URLAction{ModifiedPath: u.str("modifiedPath"), Reroute: u.boolean("reroute")}
				if u.has("modifiedQueryString") {
					// null leaves the query alone, "" removes it, as in Azure.
					q := u.str("modifiedQueryString")
					ua.ModifiedQueryString = &q
				}
				r.Actions.URL = ua
			}
		}
		out = append(out, r)
	}
	return out
}

// headerConfigurations converts member key of o, an actionSet's
// requestHeaderConfigurations or responseHeaderConfigurations: a set of
// headerName to headerValue, an empty value deleting the header.
func (o *object) headerConfigurations(key string) []rewrite.HeaderAction {
	var out []rewrite.HeaderAction
	for _, h := range o.objects(key, "headerName", "headerValue", "headerValueMatcher") {
		a := rewrite.HeaderAction{Name: h.str("headerName"), Value: h.str("headerValue")}
		if m := h.object("headerValueMatcher", "pattern", "ignoreCase", "negate"); m != nil {
			a.ValueMatcher = &rewrite.ValueMatcher{Pattern: m.str("pattern"), IgnoreCase: m.boolean("ignoreCase"), Negate: m.boolean("negate")}
		}
		out = append(out, a)
	}
	return out
}

// errorPageStatuses are the values of a customErrorConfiguration's
// statusCode that the gateway serves pages for.
var errorPageStatuses = []string{
	"HttpStatus400", "HttpStatus403", "HttpStatus405", "HttpStatus408",
	"HttpStatus500", "HttpStatus502", "HttpStatus503", "HttpStatus504",
}

// customErrorPages converts member key of o, customErrorConfigurations at
// the top level or in a listener. In the flat format a relative file name
// in customErrorPageUrl is relative to the document's directory, as every
// file name there.
func (o *object) customErrorPages(key string, flat bool) []gateway.CustomErrorPage {
	var out []gateway.CustomErrorPage
	for _, e := range o.objects(key, "statusCode", "customErrorPageUrl") {
		p := gateway.CustomErrorPage{PageURL: e.str("customErrorPageUrl")}
		if v := e.get("statusCode"); v != nil && v.kind == kindString && strings.EqualFold(v.text, "HttpStatus404") {
			e.failf("statusCode", "%s: Azure's API names it but serves no custom page for 404; the statuses are %s", quote(v.text), orList(errorPageStatuses))
		} else if s := e.enum("statusCode", errorPageStatuses...); s != "" {
			p.StatusCode, _ = strconv.Atoi(strings.TrimPrefix(s, "HttpStatus"))
		} else if !e.has("statusCode") {
			e.failf("statusCode", "missing: want %s", orList(errorPageStatuses))
		}
		if !e.has("customErrorPageUrl") {
			e.failf("customErrorPageUrl", "missing: the https URL (or, here, the file) of the page")
		}
		if flat && p.PageURL != "" && !strings.Contains(p.PageURL, "://") && !filepath.IsAbs(p.PageURL) && o.d.baseDir != "" {
			p.PageURL = filepath.Join(o.d.baseDir, p.PageURL)
		}
		out = append(out, p)
	}
	return out
}

// rewriteRuleSets converts the rewriteRuleSets of an ARM gateway's
// properties.
func (a *armDecoder) rewriteRuleSets(props *object) []rewrite.RuleSet {
	var out []rewrite.RuleSet
	for _, s := range a.subs(props, "rewriteRuleSets", &rewriteRuleSetSpec) {
		out = append(out, rewrite.RuleSet{Name: s.name, Rules: s.p.rewriteRules("rewriteRules")})
	}
	return out
}
