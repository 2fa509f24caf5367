package rewrite

import (
	"regexp"
	"strings"
)

// ReplacePrefixMatch returns what the Kubernetes Gateway API's
// ReplacePrefixMatch path modifier becomes in a rule: a condition on
// var_uri_path that matches the request paths the PathPrefix match prefix
// selects (whole path segments: "/foo" selects "/foo" and "/foo/bar", not
// "/foobar") and captures what follows the prefix, and the path value (for
// [URLAction.ModifiedPath] or [RedirectAction.Path]) that puts replacement in
// the prefix's place, with the slashes the Gateway API specifies:
//
//	prefix "/foo", replacement "/xyz":  "/foo/bar" -> "/xyz/bar", "/foo" -> "/xyz", "/foo/" -> "/xyz/"
//	prefix "/foo", replacement "/":     "/foo/bar" -> "/bar", "/foo" -> "/"
//	prefix "/", replacement "/xyz":     "/bar" -> "/xyz/bar"
//
// Both go into one rule, whose other actions the filter's siblings supply:
//
//	cond, path := rewrite.ReplacePrefixMatch("/foo", "/xyz")
//	rule := rewrite.Rule{Name: "urlRewrite", Conditions: []rewrite.Condition{cond},
//		Actions: rewrite.ActionSet{URL: &rewrite.URLAction{ModifiedPath: path}}}
//
// The match is case-sensitive, as Gateway API path matching is.
func ReplacePrefixMatch(prefix, replacement string) (Condition, string) {
	p := strings.TrimSuffix(prefix, "/")
	cond := Condition{Variable: "var_uri_path", Pattern: "^" + regexp.QuoteMeta(p) + "(/.*)?$"}
	return cond, Literal(strings.TrimSuffix(replacement, "/")) + "{var_uri_path_1}"
}
