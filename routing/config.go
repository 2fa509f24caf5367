package routing

// A Listener is a frontend port, plain or TLS, and the host names it accepts.
//
// Listeners sharing a Port share one server: a request or handshake on that
// port is matched against all of them (multi-site hosting).
type Listener struct {
	// Name identifies the listener in rules, redirects and errors. It is
	// required and unique within a Config.
	Name string

	// Port is the frontend port, 1 to 65535. All listeners on one port must
	// agree on HTTPS. Azure's narrower ranges (v1 1-65502, v2 1-65199) are
	// not enforced.
	Port int

	// HTTPS makes the listener terminate TLS. If false, the listener serves
	// plain HTTP.
	HTTPS bool

	// HostNames are the host names the listener accepts, at most 5. If empty,
	// the listener is a basic listener and accepts any host; at most one
	// basic listener may exist per port.
	//
	// A name may hold the wildcards '*' (any run of characters, dots
	// included, so "*.contoso.com" matches "a.b.contoso.com") and '?' (any
	// one character), within Azure's limits: at most two '*', at most four
	// wildcard characters in all, at most one '*' per label, and no "**",
	// "*?" or "?*". Names are matched without regard to case, ports and a
	// trailing dot; internationalised names may be given in Unicode or in
	// their "xn--" form. No two listeners on one port may list the same name.
	// See [ValidateHostPattern].
	HostNames []string

	// RequireSNI, for an HTTPS listener, serves the listener's certificate
	// only to handshakes whose SNI the listener accepts (for a basic
	// listener: any SNI at all). If false, the listener's certificate may also
	// be the fallback for a handshake with no SNI or an unknown one. See
	// [Table.CertificateFor]. It must be false on an HTTP listener.
	RequireSNI bool
}

// A Target is where a request is proxied: a backend pool and a backend
// setting, both named opaquely; the gateway resolves the names.
type Target struct {
	// Pool names the backend pool. It is required.
	Pool string

	// Setting names the backend setting. It is required.
	Setting string

	// PathOverride is the setting's path override. If empty, the request's
	// path is sent unchanged. Otherwise it must begin with "/" and
	// [Table.Route] rewrites the path as Azure does: for a Basic rule and a
	// path map's default target the override is prepended to the path; for
	// a path rule it replaces the part of the path the pattern matched
	// literally. See the package documentation.
	PathOverride string
}

// A PathRule sends requests whose path matches one of its patterns to its
// Target, or answers them with its Redirect. Exactly one of Target and
// Redirect is set.
type PathRule struct {
	// Name identifies the path rule in errors. It is required and unique
	// within its PathMap.
	Name string

	// Paths are the rule's patterns, at least one. Each begins with "/" and
	// may end with "*": "/x" matches the path "/x" only, "/x/*" every path
	// that begins with "/x/", "/x*" every path that begins with "/x".
	// Matching ignores case unless the map is CaseSensitive. See
	// [ValidatePathPattern]. A pattern may repeat one of an earlier path
	// rule only when that rule has a Match.
	Paths []string

	// Match narrows the rule to requests with a method, header fields and
	// query parameters: a request whose path the rule matches but whose
	// other conditions do not hold goes on to the next rule whose pattern
	// matches its path. The zero Match holds for every request.
	Match Match

	// Target receives the requests the rule matches. It must be zero when
	// Redirect is set.
	Target Target

	// Redirect, if not nil, answers the requests the rule matches with a
	// redirect, its Location built as for a Basic rule's from the request's
	// host, path and query. It may target the rule's own listener (another
	// path), but not so that the redirected request comes back to it. If
	// nil, Target must be set.
	Redirect *Redirect
}

// A PathMap routes by URL path: the first path rule, in listed order, with a
// pattern that matches the path wins (not the longest match); a path that no
// rule matches goes to Default, or gets DefaultRedirect.
//
// Azure allows at most 100 path rules in a map; this package does not
// enforce that limit, and its lookups do not slow down with many rules.
type PathMap struct {
	// Name identifies the map in errors. It is required.
	Name string

	// Default receives requests that no path rule matches. It is required
	// unless DefaultRedirect is set, and must then be zero.
	Default Target

	// DefaultRedirect, if not nil, answers requests that no path rule
	// matches with a redirect instead (see PathRule.Redirect). If nil,
	// Default must be set.
	DefaultRedirect *Redirect

	// Rules are the path rules in matching order. If empty, every request
	// goes to Default.
	Rules []PathRule

	// CaseSensitive matches the path rules' patterns with regard to case,
	// as the Kubernetes Gateway API requires: "/Foo" does not match
	// "/foo". If false, matching ignores case, as Azure does.
	CaseSensitive bool
}

// A Redirect answers a request with an HTTP redirect instead of proxying it.
// Exactly one of TargetListener and TargetURL is set.
type Redirect struct {
	// Status is the redirect's status code: 301, 302, 303 or 307.
	Status int

	// TargetListener names the listener to redirect to, typically an HTTPS
	// listener for an HTTP one. The Location takes its scheme and port from
	// that listener and its host from the request. If empty, TargetURL is
	// used.
	TargetListener string

	// TargetURL is an absolute http or https URL to redirect to. If empty,
	// TargetListener is used.
	TargetURL string

	// IncludePath appends the request's path to a TargetListener redirect.
	// If false, the Location's path is "/". It must be false with TargetURL,
	// as in Azure.
	IncludePath bool

	// IncludeQuery appends the request's query, if any. If false, the query
	// is dropped.
	IncludeQuery bool
}

// A Rule binds one listener to what serves its requests: a Basic rule has a
// Target or a Redirect, a path-based rule has a PathMap. Exactly one of
// Target, PathMap and Redirect is set.
type Rule struct {
	// Name identifies the rule in errors. It is required and unique.
	Name string

	// Listener names the rule's listener. It is required; every listener
	// belongs to exactly one rule.
	Listener string

	// Priority orders the rules, 1 (first) to 20000 (last), each priority
	// used once (Azure v2). If zero, the rule has no priority; then no rule
	// may have one, and rules are evaluated in listed order (Azure v1).
	Priority int

	// Target makes a Basic rule that proxies every request to Target. If
	// zero, PathMap or Redirect must be set.
	Target Target

	// PathMap makes a path-based rule. If nil, Target or Redirect must be
	// set.
	PathMap *PathMap

	// Redirect makes a Basic rule that redirects every request. If nil,
	// Target or PathMap must be set.
	Redirect *Redirect
}

// Config is the frontend and routing configuration that [Compile] turns into
// a [Table].
type Config struct {
	// Listeners are the frontend listeners. A Config with none compiles to a
	// Table that routes nothing.
	Listeners []Listener

	// Rules are the routing rules, one per listener. Their order decides
	// when no rule has a Priority.
	Rules []Rule
}
