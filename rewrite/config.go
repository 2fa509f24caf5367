package rewrite

import "strconv"

// A RuleSet is Azure's rewriteRuleSet: named rewrite rules that a routing
// rule (a basic rule, or a path rule or the default of a URL path map) applies
// to the requests it serves and their responses.
type RuleSet struct {
	// Name identifies the set in errors and to the routing rules that use
	// it. It is required and unique among the sets given to [Compile].
	Name string

	// Rules are the set's rewrite rules. They run in order of Sequence,
	// rules with equal sequences in listed order. A set with no rules
	// compiles to a [Set] that changes nothing.
	Rules []Rule
}

// A Rule is Azure's rewriteRule: when all its conditions hold, its actions
// run.
type Rule struct {
	// Name identifies the rule in errors. It is required and unique within
	// its set.
	Name string

	// Sequence is Azure's ruleSequence, 1 to 1000: rules with a lower
	// sequence run first; rules with equal sequences run in listed order.
	// If zero, the rule runs after every rule that has a sequence, in
	// listed order (azurejson passes Azure's value through; Go and Gateway
	// API callers may leave it zero and rely on listed order).
	Sequence int

	// Conditions must all hold for the rule's actions to run (a logical
	// AND, as in Azure). If empty, the rule always runs.
	Conditions []Condition

	// Actions is what the rule does. At least one action is required.
	Actions ActionSet
}

// A Condition is Azure's rewriteRuleCondition: it holds when the value of
// Variable matches Pattern (or, with Negate, does not).
type Condition struct {
	// Variable names what is tested, in Azure's syntax:
	//
	//	var_<server variable>  a server variable, such as var_uri_path or
	//	                       var_client_certificate_verification (see
	//	                       [Variable]), or var_cookie_<name> for the
	//	                       value of the request cookie <name>
	//	http_req_<Header>      a request header as the client sent it, such
	//	                       as http_req_Host or http_req_User-Agent
	//	http_resp_<Header>     a response header as the backend sent it,
	//	                       such as http_resp_Location
	//
	// It is required. Header names ignore case. A variable the exchange
	// has no value for (a header that is absent, a cookie not sent, a
	// client certificate variable without a client certificate) matches no
	// pattern, so such a condition fails, and holds with Negate.
	Variable string

	// Pattern is a regular expression in Go's RE2 syntax (see the package
	// documentation for how it differs from Azure's), searched for anywhere
	// in the value unless anchored with ^ and $. It is required; ".*" tests
	// only that the variable has a value. Its parenthesised groups are the
	// condition's captures, which the rule's action values may use.
	Pattern string

	// IgnoreCase matches Pattern without regard to case. If false, case
	// matters.
	IgnoreCase bool

	// Negate inverts the condition: it holds when Pattern does not match
	// (or the variable has no value). A negated condition has no captures.
	Negate bool
}

// An ActionSet is Azure's actionSet: the rewrites a rule makes. Its zero
// value does nothing, which is an error in a [Rule].
type ActionSet struct {
	// RequestHeaders rewrite the request header sent to the backend (Azure's
	// requestHeaderConfigurations), in listed order. If empty, none.
	RequestHeaders []HeaderAction

	// ResponseHeaders rewrite the response header relayed to the client
	// (Azure's responseHeaderConfigurations), in listed order. If empty,
	// none.
	ResponseHeaders []HeaderAction

	// URL rewrites the path and query sent to the backend (Azure's
	// urlConfiguration). If nil, the URL is left alone.
	URL *URLAction

	// Redirect answers the request with a redirect instead of proxying it.
	// It is an e2etls extension for the Kubernetes Gateway API's
	// RequestRedirect filter (Azure's redirects are routing rules, see
	// package routing). A rule with a Redirect has no RequestHeaders and no
	// URL. If nil, the request is proxied.
	Redirect *RedirectAction
}

// An Op is what a [HeaderAction] does to its header.
type Op uint8

const (
	// SetHeader replaces every value of the header with the action's value,
	// adding the header if it is absent. An empty value, or one that renders
	// to the empty string, deletes the header instead, as in Azure.
	SetHeader Op = iota

	// AddHeader appends the action's value to those the header has, adding
	// the header if it is absent (the Kubernetes Gateway API's "add"; Azure
	// has no such operation). A value that renders to the empty string adds
	// nothing.
	AddHeader

	// DeleteHeader removes the header. The action's value must be empty.
	DeleteHeader
)

// String returns "set", "add" or "delete".
func (o Op) String() string {
	switch o {
	case SetHeader:
		return "set"
	case AddHeader:
		return "add"
	case DeleteHeader:
		return "delete"
	}
	return "Op(" + strconv.Itoa(int(o)) + ")"
}

// A HeaderAction is Azure's headerConfiguration: it sets, adds or deletes one
// header.
type HeaderAction struct {
	// Name is the header's name (Azure's headerName), any HTTP token,
	// matched without regard to case. It is required. Hop-by-hop and
	// framing headers, and the headers the gateway itself sets, cannot be
	// rewritten, nor names that read as one of them with '_' taken for '-'
	// (see the package documentation).
	Name string

	// Value is the header's new value (Azure's headerValue): text that may
	// hold references such as {var_client_ip}, {http_req_User-Agent} or
	// {http_resp_Location_1} (see the package documentation). With
	// SetHeader, an empty Value deletes the header, as in Azure.
	Value string

	// Op is what the action does. If zero, SetHeader (Azure's only
	// operation).
	Op Op

	// ValueMatcher, if non-nil, confines the action to the header's values
	// that it matches (Azure's headerValueMatcher, which Azure offers for
	// Set-Cookie only): SetHeader replaces each matching value with Value
	// and keeps the others, DeleteHeader removes the matching values only.
	// Its captures are referred to as those of a condition on the header
	// itself, such as {http_resp_Set-Cookie_1}, and take the matching
	// value's groups. It cannot be used with AddHeader. If nil, the action
	// applies to all the header's values.
	ValueMatcher *ValueMatcher
}

// A ValueMatcher selects the values of a header that a [HeaderAction]
// rewrites (Azure's headerValueMatcher).
type ValueMatcher struct {
	// Pattern is a regular expression in Go's RE2 syntax, searched for in
	// each value. It is required.
	Pattern string

	// IgnoreCase matches Pattern without regard to case.
	IgnoreCase bool

	// Negate selects the values Pattern does not match. Negated matchers
	// have no captures.
	Negate bool
}

// A URLAction is Azure's urlConfiguration: it rewrites the path and query of
// the request sent to the backend. It never changes the scheme, the host or
// the port: which backend receives the request, the name it is asked for in
// TLS (SNI) and the identity it must prove are chosen by routing and the
// backend setting, never by a rewrite.
type URLAction struct {
	// ModifiedPath is the new path, a template like a header value. It is
	// rendered as a decoded path (the form of net/url's URL.Path, and of
	// var_uri_path): the gateway escapes it for the request line. A missing
	// leading '/' is added, as Azure does ("buy.aspx" becomes "/buy.aspx"),
	// and dot segments are resolved, so a captured "../" cannot climb out
	// of the path. If empty, the path is left alone.
	ModifiedPath string

	// ModifiedQueryString is the new query, without the '?', a template
	// rendered in its encoded form (that of net/url's URL.RawQuery). Bytes
	// that cannot appear in a query (spaces, controls, '#', non-ASCII, a
	// '%' that does not begin an escape) are percent-encoded, so a captured
	// value can neither end the query nor break the request line. If nil,
	// the query is left alone; a pointer to "" removes it (Azure tells the
	// two apart the same way, by null and "").
	ModifiedQueryString *string

	// Reroute asks the gateway to evaluate the URL path map again with the
	// rewritten path (Azure's reroute, "Re-evaluate path map"), so that the
	// request may go to another path rule's backend. It needs a path-based
	// routing rule; the gateway refuses a set that reroutes on a basic rule
	// (see [Set.Reroutes]). If false, the path map's choice stands.
	Reroute bool
}

// A RedirectAction answers a request with a redirect (the Kubernetes Gateway
// API's RequestRedirect filter). Each field left zero keeps that part of the
// request's URL.
type RedirectAction struct {
	// Status is the redirect's status code: 301, 302, 303, 307 or 308. If
	// zero, 302 (the Gateway API's default).
	Status int

	// Scheme is "http" or "https". If empty, the request's scheme.
	Scheme string

	// Host is the host name of the Location, without a port. If empty, the
	// request's host (var_host).
	Host string

	// Port is the Location's port. If zero, the well-known port of Scheme
	// when Scheme is set, else the port the request arrived on
	// (var_server_port). A port that is the default of the Location's scheme
	// (80 for http, 443 for https) is left out of the Location, as the
	// Gateway API specifies.
	Port int

	// Path is the Location's path, a template rendered like
	// [URLAction.ModifiedPath]. If empty, the request's path (as rewritten
	// by the rules before, if any).
	Path string

	// DropQuery leaves the request's query out of the Location. If false,
	// the Location keeps it.
	DropQuery bool
}
