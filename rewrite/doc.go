// Package rewrite rewrites the requests and responses that pass through an
// application gateway, the way Azure Application Gateway's rewrite rule sets
// do: set, add or delete request and response headers, rewrite the URL path
// and query (and evaluate the URL path map again), on conditions over server
// variables and headers, with values built from variables and the capture
// groups of conditions. The Kubernetes Gateway API's header modifier, URL
// rewrite and redirect filters map onto the same engine. It is pure logic:
// no I/O, no logging.
//
// A [RuleSet] names [Rule] values, each with [Condition] values and an
// [ActionSet]. [Compile] validates rule sets, reporting every problem at once
// with its place, and compiles each into an immutable [Set]:
//
//	sets, err := rewrite.Compile([]rewrite.RuleSet{{
//		Name: "security",
//		Rules: []rewrite.Rule{{
//			Name: "hsts", Sequence: 100,
//			Actions: rewrite.ActionSet{ResponseHeaders: []rewrite.HeaderAction{
//				{Name: "Strict-Transport-Security", Value: "max-age=31536000"},
//				{Name: "Server"}, // an empty value deletes, as in Azure
//			}},
//		}},
//	}})
//
// The gateway then calls [Set.Request] on each request the rule set's routing
// rule serves, before forwarding it, and [Set.Response] on the response
// before relaying it, with an [Exchange] that holds what the rules read and
// write.
//
// # Rules and their order
//
// Rules run in order of Sequence (Azure's ruleSequence, 1 to 1000, lower
// first); rules with equal sequences, or none, run in listed order, those
// with none after all others. A rule runs when all its conditions hold, and
// then performs all its actions: request header actions and its URL action
// in [Set.Request], response header actions in [Set.Response]. Rules read
// what the gateway received, never what another rule wrote (see [Exchange]),
// so the order decides only which of two writes to one header wins.
//
// # Variables
//
// A condition tests, and a value may contain, a variable in Azure's syntax:
//
//	var_<name>          a server variable (below), or var_cookie_<name>, the
//	                    value of the request cookie <name>
//	http_req_<Header>   a request header as the client sent it; a repeated
//	                    header's values are joined with ", "; http_req_Host
//	                    is the request's Host
//	http_resp_<Header>  a response header as the backend sent it
//
// Header names ignore case. The server variables are Azure's, with these
// values (in the formats of NGINX's variables of the same meaning where Azure
// documents none):
//
//	add_x_forwarded_for_proxy  the client's X-Forwarded-For values and then client_ip,
//	                           joined with ", ": "198.51.100.1, 203.0.113.7" (no ports)
//	ciphers_supported          the suites the client offered, OpenSSL names joined with ':'
//	ciphers_used               the suite of the connection, OpenSSL's name ("ECDHE-RSA-AES128-GCM-SHA256")
//	client_ip                  the client's address ("203.0.113.7", "2001:db8::7")
//	client_port                the client's port ("51234")
//	client_tcp_rtt             the connection's round-trip time in microseconds
//	client_user                the user name of HTTP basic authentication
//	host                       the request's host, without port, in lower case
//	http_method                "GET", "POST", ...
//	http_status                the response's status code ("200"); response only
//	http_version               "HTTP/1.1", "HTTP/2.0"
//	query_string               the query sent to the backend, as rewritten so far
//	received_bytes             the bytes of the request received
//	request_query              the query of the request line, as the client sent it
//	request_scheme             "http" or "https"
//	request_uri                the request target as the client sent it ("/a.aspx?id=1")
//	sent_bytes                 the bytes sent to the client; response only
//	server_port                the port of the listener
//	ssl_connection_protocol    "TLSv1.2", "TLSv1.3"
//	ssl_enabled                "on" on TLS, else the empty string
//	uri_path                   the decoded path sent to the backend, as rewritten so far
//
// and the mutual authentication variables client_certificate,
// client_certificate_end_date, client_certificate_fingerprint,
// client_certificate_issuer, client_certificate_serial,
// client_certificate_start_date, client_certificate_subject and
// client_certificate_verification, which the gateway's client certificate
// support supplies through [HTTPVars].ClientCertificate (in NGINX's
// formats: an escaped PEM for the certificate, RFC 2253 names, "SUCCESS",
// "FAILED:<reason>" or "NONE" for the verification).
//
// A variable may have no value: an absent header or cookie, a client
// certificate variable without a client certificate, a variable the
// gateway does not supply. Such a variable fails every condition (which then
// holds when negated) and renders as the empty string.
//
// # Values
//
// A header value, a URL path or query, or a redirect path is text with
// references in braces: "{var_client_ip}", "{http_req_User-Agent}",
// "{http_resp_Location}". A reference ending in _N is group N (from 1) of the
// match of the rule's first non-negated condition on that variable, as in
// Azure: a condition on http_resp_Location with the pattern
// `(https?):\/\/.*azurewebsites\.net(.*)$` lets the value
// "{http_resp_Location_1}://contoso.com{http_resp_Location_2}" rebuild the
// Location header. Header names in references ignore case (Azure wants the
// case of the condition's variable). In an action with a [ValueMatcher], a
// group reference to
// the action's own header names the matcher's groups instead. "{{" and "}}"
// are literal braces; any other '{' must open a valid reference, so that a
// mistyped reference is a Compile error instead of text sent to a backend.
// [Literal] escapes a literal value.
//
// Before it is set, a rendered header value is trimmed of surrounding
// whitespace and every control character in it (CR, LF and NUL among them)
// becomes a space: no variable can end a header line or inject another. A
// set whose value renders empty deletes the header, as in NGINX and Azure;
// so a rule that passes a client certificate variable on also removes a
// header of that name that a client without a certificate sent itself.
//
// # Safety: what a rewrite cannot change
//
// Compile refuses, each with its place, any action on the hop-by-hop and
// framing headers (Connection, Keep-Alive, TE, Trailer, Transfer-Encoding,
// Upgrade, Proxy-*, Content-Length), in requests and responses, and on the
// request headers the gateway itself sets (X-Forwarded-Proto,
// X-Forwarded-Port, X-Original-Host, and X-Forwarded-Client-Cert, which its
// client certificate forwarding owns). X-Forwarded-For may only be set to
// {var_add_x_forwarded_for_proxy} or {var_client_ip}, the two rewrites of
// the gateway's own list that Azure documents (to drop the ports). Host may
// be set, never deleted or added to (Azure refuses a delete too). A name
// that reads as one of these with '_' taken for '-', as CGI-style backends
// read it ("X_Forwarded_For"), is refused as well.
//
// No rewrite changes which backend a request goes to other than through the
// route, the name the gateway sends it in TLS (SNI), or the identity the
// backend must prove: the gateway derives all three from the route and the
// backend setting, and a [URLAction] rewrites only the path and query. A
// Host rewrite comes back as [Result].Host, the Host header to send, which
// the gateway must not feed into its SNI, identity or dial address. A
// rewritten path is cleaned of dot segments ("/static/../admin" is sent, and
// rerouted, as "/admin"), and a rewritten query is escaped, so a captured
// value can neither escape a path nor break the request line.
//
// Rewrites apply to what the gateway proxies, not to the responses the
// gateway makes itself (its errors, its custom error pages), as in Azure;
// the one exception is the answer to a [RedirectAction], which the set's
// response header actions rewrite, as the Gateway API combines a
// RequestRedirect with a ResponseHeaderModifier.
//
// # Reroute and loops
//
// A URL action with Reroute asks the gateway to evaluate the URL path map
// again with the rewritten path, and to apply the rewrite set of the path
// rule then selected. Azure allows it only on path-based routing rules
// ([Set.Reroutes] tells the gateway to refuse it on a basic rule) and only in
// a set that has a condition or a rule without reroute (Compile refuses a
// set whose every rule reroutes unconditionally); a URL action that reroutes
// must rewrite the path. A loop that the client's input still creates is
// ended by the gateway after [MaxReroutes] evaluations with 500 Internal
// Server Error, as Azure does.
//
// # Regular expressions
//
// Patterns are Go's RE2 syntax (package regexp), which Azure also asks for
// ("use Regular Expression 2 (RE2) compatible expressions"). A pattern is
// searched for anywhere in the value unless anchored with ^ and $. What
// Perl-compatible patterns (PCRE, which Azure's WAF and many examples use)
// have and RE2 lacks is a Compile error: lookahead and lookbehind ((?=...),
// (?!...), (?<=...), (?<!...)), backreferences (\1), atomic groups and
// possessive quantifiers. Other differences: \d, \w, \s and \b are ASCII-only;
// \Z does not exist (use \z or $); (?i) folds Unicode case; matching takes
// time linear in the value, so no pattern can be made to backtrack for
// long. Slashes need no escaping, though "\/" is accepted as Azure's
// examples write it.
//
// # The Kubernetes Gateway API
//
// An HTTPRoute rule's filters become one rule set, one rule per filter in
// filter order (Sequence zero):
//
//	RequestHeaderModifier   RequestHeaders: set -> SetHeader, add -> AddHeader,
//	                        remove -> DeleteHeader; values through [Literal]
//	ResponseHeaderModifier  ResponseHeaders, likewise
//	URLRewrite              hostname -> a SetHeader of Host; path ReplaceFullPath ->
//	                        URLAction.ModifiedPath (through [Literal]),
//	                        ReplacePrefixMatch -> [ReplacePrefixMatch]'s condition and path
//	RequestRedirect         [RedirectAction]: scheme, hostname, port, path and
//	                        statusCode as the filter's fields
//
// # Performance
//
// A route without a rewrite set costs one nil check: the methods of a nil
// *Set return at once. Regular expressions are compiled by Compile, never
// per request; a condition whose groups no value uses is tested without
// collecting its groups. A rule whose conditions fail allocates nothing. A
// literal value is set as a slice shared by all requests; a value of one
// reference is the variable's string itself; a value of several parts is
// built in one allocation; a condition whose groups are used allocates
// their index slice. The typical set (add HSTS, delete Server, one condition
// with a capture written into a request header) costs two allocations.
package rewrite
