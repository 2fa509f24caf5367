// Package routing decides which listener, rule and backend serve a request
// at an application gateway, the way Azure Application Gateway does: host
// matching for basic and multi-site listeners, rule priorities, URL path
// maps, path overrides and redirects. It also picks the certificate a TLS
// handshake on a shared port gets. It is pure logic: no I/O, no TLS.
//
// A [Config] lists [Listener] values (a port, HTTP or HTTPS, and the host
// names accepted) and one [Rule] per listener. [Compile] validates the
// whole configuration, reporting every problem at once, and returns an
// immutable [Table]:
//
//	tab, err := routing.Compile(routing.Config{
//		Listeners: []routing.Listener{
//			{Name: "shop", Port: 443, HTTPS: true, HostNames: []string{"shop.contoso.com"}},
//			{Name: "any", Port: 443, HTTPS: true},
//		},
//		Rules: []routing.Rule{
//			{Name: "shop", Listener: "shop", Priority: 10, PathMap: shopPaths},
//			{Name: "any", Listener: "any", Priority: 20, Target: routing.Target{Pool: "web", Setting: "https"}},
//		},
//	})
//	...
//	r, ok := tab.Route(443, req.Host, req.URL.Path, req.URL.RawQuery)
//
// # Listeners and host names
//
// A listener without host names is a basic listener and accepts any host; a
// multi-site listener accepts the hosts its names match (at most five
// names). Names may hold the wildcards '*' and '?' within Azure's limits
// (see [ValidateHostPattern]); '*' matches any run of characters, dots
// included, so "*.contoso.com" matches "a.b.contoso.com", as Azure
// documents. Matching ignores case, the port and one trailing dot;
// internationalised names match in their ASCII ("xn--") form, whichever form
// the pattern or the host uses. [MatchHost] is the reference definition.
//
// Listeners that share a port share one server. They must agree on HTTPS;
// at most one of them may be basic; no two may list the same host name (a
// configuration error, where NGINX only warns).
//
// # Rules and evaluation order
//
// Every listener belongs to exactly one rule, and every rule names one
// listener. Rules carry a priority from 1 (first) to 20000, each used once
// (Azure v2), or none at all, in which case their listed order decides
// (Azure v1); a mix is an error.
//
// A request on a port goes to the first rule, in that order, whose listener
// accepts the request's Host. So a basic listener whose rule comes first
// takes every request on its port, as in Azure: give multi-site listeners'
// rules the smaller priorities.
//
// A Basic rule proxies to its [Target] (a backend pool and setting, named
// opaquely for the gateway to resolve) or answers with a [Redirect]. A
// path-based rule consults its [PathMap].
//
// # URL path maps
//
// A path map holds path rules in order and a default target. The first path
// rule, in listed order, with a pattern that matches the request's path
// wins, even if a later one is more specific; a path that none matches goes
// to the default. A path rule, and the default, may redirect instead of
// proxying (Azure's path-based redirection): the Location is built as a
// Basic rule's redirect builds it, from the request's host, its whole path
// and its query. A pattern begins with "/" and may end with '*' (see
// [ValidatePathPattern]):
//
//	"/images/*"  matches "/images/" and "/images/a", not "/images"
//	"/images*"   matches "/images", "/images2" and "/images/a"
//	"/about"     matches "/about" only
//
// Matching ignores case (Unicode simple case folding, as [strings.EqualFold])
// unless the map is CaseSensitive, as the Kubernetes Gateway API requires,
// and sees the path only: the query is passed separately. The path is
// matched as the gateway passes it, which should be the decoded, cleaned URL
// path (net/url's URL.Path after removing dot segments), so that
// "/images/../admin" cannot reach a rule for "/images/*" and "%2F" is not a
// separator. Azure's limit of 100 path rules per map is not enforced: lookups
// cost the same with a hundred thousand.
//
// # Match conditions
//
// A path rule may also have a [Match]: a method, header fields and query
// parameters the request must have, compared exactly or by anchored regular
// expression (the Kubernetes Gateway API's HTTPRouteMatch). A request whose
// path a rule's pattern matches but whose other conditions fail goes on to
// the next rule, in listed order, whose pattern matches its path, and then
// to the default; so a rule may repeat a pattern of an earlier rule that
// has a Match. [Table.RouteRequest] takes the method, header and query as a
// [Request]; [Table.Route] routes a request that has none. A map without
// Matches is looked up as before, at no extra cost; with Matches, the
// patterns that match the path are gathered in one walk and tried in order,
// without allocating while they are no more than sixteen.
//
// # Path override
//
// A Target's PathOverride rewrites the path sent to the backend
// ([Route].Path), following Azure's backend-setting table:
//
//	Basic rule, or a path map's default:  the override is prepended.
//	    override "/override/", path "/home/"             -> "/override/home/"
//	Path rule "/pathrule*":  the literal part the pattern matched is replaced.
//	    override "/override/", path "/pathrule/home/"    -> "/override/home/"
//	Path rule "/pathrule/home*":
//	    override "/override/", path "/pathrule/home/x/"  -> "/override/x/"
//	Path rule "/images/*" (this package's reading of the same rule):
//	    override "/override/", path "/images/a.png"      -> "/override/a.png"
//	Path rule "/about", an exact pattern: the whole path is replaced.
//	    override "/override/about.html", path "/About"   -> "/override/about.html"
//
// The override and the rest of the path are joined with exactly one slash;
// when nothing of the path is left, the override is sent as it is. The rest
// keeps the request's case.
//
// A gateway that rewrites the path of a request it has routed (a URL
// rewrite without re-evaluating the path map) applies the override to the
// rewritten path with [Table.OverridePath].
//
// # Redirects
//
// A redirect to a listener (typically HTTP to HTTPS) builds its Location
// from the target listener's scheme and port (omitted when it is the
// scheme's default), the request's Host without its port (in ASCII form), and
// the request's path and query if IncludePath and IncludeQuery say so;
// without the path the Location's path is "/". A request without a usable
// Host gets the target listener's first host name without wildcards, and
// no route if it has none. Unlike Azure, a redirect may target a listener
// with wildcard or several host names: the host comes from the request.
//
// A redirect to a URL sends the URL as it is, plus the request's query if
// IncludeQuery says so, merged with any query the URL has and placed before
// its fragment.
//
// A Basic rule may not redirect to its own listener. A path rule or a path
// map's default may (to send one path elsewhere on the same site), unless
// the redirected request would come back to the same redirect: with
// IncludePath, or when the redirect also serves "/"; [Compile] refuses
// those loops.
//
// # Certificates on a shared port
//
// [Table.CertificateFor] picks the HTTPS listener whose certificate a
// handshake gets from its SNI: the listener that names the SNI exactly, then
// the first (in rule order) whose wildcard name matches it, then the basic
// listener, then the first HTTPS listener. A listener with RequireSNI only
// serves handshakes whose SNI it accepts, so when every candidate has it, a
// missing or unknown SNI is refused, as Azure v1 resets such connections.
// This choice is by specificity and may differ from the listener that then
// routes the request by its Host (by rule order); [Table.AcceptsHost] lets
// the gateway check a Host against a listener.
//
// # Internationalised names
//
// Unicode host names and patterns are converted label by label to their
// ASCII form with UTS #46 lookup processing (golang.org/x/net/idna: case
// mapping, NFC normalisation, validity checks, Punycode), the ideographic
// full stops counting as dots, so "Bücher.example" and
// "xn--bcher-kva.example" are the same host. A label that is invalid under
// UTS #46 makes a pattern an error and a request host match nothing.
//
// # Performance
//
// A [Table] looks up a host through a map of exact names and tries of the
// literal suffixes and prefixes of wildcard names, and a path through a trie
// of folded path patterns, each walked once over the host or path. The cost
// of [Table.Route] therefore depends on the length of the host and path, not
// on the number of listeners, host names or path rules, and with an ASCII
// host it allocates nothing unless a path override or a redirect builds a
// new string. One exception: wildcard names that a literal neither begins
// nor ends (such as "*.contoso.*"), and '?' names that end in the same
// literal (such as "a?.contoso.com" and "b?.contoso.com"), are checked one
// by one in rule order; Azure's limits (100 active listeners of at most 5
// names each) keep that scan short.
package routing
