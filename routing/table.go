package routing

import "slices"

// A Table is a compiled [Config]: it answers which listener, rule and target
// serve a request, and which listener's certificate a handshake gets. A
// Table is immutable and safe for concurrent use.
//
// Lookups cost about the same with ten rules as with a hundred thousand:
// host names are found through a map and tries of wildcard literals, URL
// paths through a trie of path patterns, walked once over the host or path.
// The exceptions are host patterns with a wildcard at both ends
// ("*.contoso.*") and "?" patterns that share their literal end, which are
// tried one by one; Azure's limits (five names a listener) keep them few.
// A lookup with an ASCII host does not allocate unless a path override or a
// redirect makes a new string. The zero Table routes nothing.
type Table struct {
	ports     map[int]*portTable
	portList  []int
	listeners []listenerEntry // by Config.Listeners index
	rules     []ruleEntry     // by Config.Rules index
	byRank    []int32         // the listener of each rank
}

// A portTable holds the listeners of one frontend port.
type portTable struct {
	https     bool
	hosts     hostIndex
	basic     int32 // the basic listener, or -1
	basicRank int32 // its rank, or noRank
	// basicRequiresSNI is the basic listener's RequireSNI.
	basicRequiresSNI bool
	fallback         int32 // the first HTTPS listener by rank without RequireSNI, or -1
}

type listenerEntry struct {
	rule     int32
	rank     int32    // the rule's place in evaluation order
	basic    bool     // no host names
	patterns []string // normalised host names
}

// A ruleEntry is a compiled Rule: exactly one of target, paths and redirect
// is set.
type ruleEntry struct {
	target   Target
	paths    *pathIndex
	redirect *redirectEntry
}

// A Route says what serves a request.
type Route struct {
	// Listener is the index in Config.Listeners of the listener that
	// accepted the request.
	Listener int

	// Rule is the index in Config.Rules of the listener's rule.
	Rule int

	// PathRule is the index in the rule's PathMap.Rules of the path rule
	// that matched, whether it proxies or redirects, or -1 when a Basic
	// rule, a redirect rule or a path map's default served the request.
	PathRule int

	// Target is where to proxy the request. It is zero for a redirect.
	Target Target

	// Path is the path to send to the backend, after Target's path
	// override; it is the request's path when there is none.
	Path string

	// Redirect, if not nil, is the redirect to answer with instead of
	// proxying.
	Redirect *RedirectResponse
}

// Route finds what serves a request that arrived on the frontend port port:
// it is [Table.RouteRequest] for a request with no method and no header
// fields, whose raw query is rawQuery.
func (t *Table) Route(port int, host, path, rawQuery string) (r Route, ok bool) {
	return t.RouteRequest(port, host, path, Request{RawQuery: rawQuery})
}

// RouteRequest finds what serves a request that arrived on the frontend
// port port. host is the request's Host, in any case and possibly with a
// port; path is the request's URL path, decoded and without the query (the
// gateway should pass it cleaned of dot segments, as path rules match it as
// given); req is what path rules' Matches read (method, header, query) and
// holds the raw query that redirects carry over.
//
// Among the listeners on the port that accept host, the one whose rule comes
// first in evaluation order wins, so a basic listener whose rule comes first
// takes every request. ok is false when no listener on the port accepts host,
// and when the winning rule, path rule or path map default redirects to a
// listener but the request names no usable host and the listener names none
// without wildcards.
func (t *Table) RouteRequest(port int, host, path string, req Request) (r Route, ok bool) {
	pt := t.ports[port]
	if pt == nil {
		return Route{}, false
	}
	var buf [maxHostLen]byte
	rank := pt.basicRank
	if h, valid := appendHost(buf[:0], host); valid {
		rank = pt.hosts.rank(h, rank)
	}
	if rank == noRank {
		return Route{}, false
	}
	li := t.byRank[rank]
	ri := t.listeners[li].rule
	r = Route{Listener: int(li), Rule: int(ri), PathRule: -1, Path: path}
	e := &t.rules[ri]
	switch {
	case e.redirect != nil:
		loc, ok := e.redirect.location(host, path, req.RawQuery, t.AcceptsHost)
		if !ok {
			return Route{}, false
		}
		r.Redirect = &RedirectResponse{Status: e.redirect.status, Location: loc}
	case e.paths != nil:
		pr, cut := e.paths.route(path, &req)
		rd := e.paths.defRedirect
		if pr < 0 {
			r.Target = e.paths.def
		} else {
			r.PathRule, r.Target, rd = pr, e.paths.targets[pr], e.paths.redirects[pr]
		}
		if rd != nil {
			loc, ok := rd.location(host, path, req.RawQuery, t.AcceptsHost)
			if !ok {
				return Route{}, false
			}
			r.Target, r.Redirect = Target{}, &RedirectResponse{Status: rd.status, Location: loc}
			break
		}
		if o := r.Target.PathOverride; o != "" {
			r.Path = overridePath(o, path[cut:])
		}
	default:
		r.Target = e.target
		if o := r.Target.PathOverride; o != "" {
			r.Path = overridePath(o, path)
		}
	}
	return r, true
}

// OverridePath returns the path to send to the backend when a URL rewrite
// has changed the path of a request that rt routes (a rewrite without
// reroute: the request stays on rt): path, the rewritten path (decoded and
// cleaned), with rt's path override applied as [Table.Route] applies it to
// a request's path. For a Basic rule or a path map's default the override is
// prepended. For a path rule, the literal part of the pattern that matches
// path is replaced when path still routes to the same path rule; when it
// would route elsewhere (no pattern of the rule matches it any more, or an
// earlier rule's does), the override is prepended, as for a default. Without
// an override, and for a redirect, path is returned as it is.
func (t *Table) OverridePath(rt Route, path string) string {
	o := rt.Target.PathOverride
	if o == "" || rt.Redirect != nil || rt.Rule < 0 || rt.Rule >= len(t.rules) {
		return path
	}
	e := &t.rules[rt.Rule]
	if e.paths == nil || rt.PathRule < 0 {
		return overridePath(o, path)
	}
	if pr, cut := e.paths.lookup(path); pr == rt.PathRule {
		return overridePath(o, path[cut:])
	}
	return overridePath(o, path)
}

// CertificateFor returns the index in Config.Listeners of the HTTPS listener
// whose certificate a handshake on port with this SNI gets. The first of
// these that exists wins:
//
//  1. the listener with a host name equal to sni;
//  2. the listener, first in evaluation order, with a wildcard host name that
//     matches sni;
//  3. the basic listener, unless sni is empty and it has RequireSNI;
//  4. the first listener in evaluation order without RequireSNI.
//
// ok is false when none does (a missing or unknown SNI that every candidate
// refuses with RequireSNI, like Azure v1's connection reset) or when the port
// has no HTTPS listener.
func (t *Table) CertificateFor(port int, sni string) (listener int, ok bool) {
	pt := t.ports[port]
	if pt == nil || !pt.https {
		return -1, false
	}
	if sni != "" {
		var buf [maxHostLen]byte
		if h, valid := appendHost(buf[:0], sni); valid {
			rank := pt.hosts.exactRank(h)
			if rank == noRank {
				rank = pt.hosts.wildRank(h, noRank)
			}
			if rank != noRank {
				return int(t.byRank[rank]), true
			}
		}
	}
	if pt.basic >= 0 && (sni != "" || !pt.basicRequiresSNI) {
		return int(pt.basic), true
	}
	if pt.fallback >= 0 {
		return int(pt.fallback), true
	}
	return -1, false
}

// Ports returns the distinct frontend ports, in increasing order.
func (t *Table) Ports() []int {
	return slices.Clone(t.portList)
}

// AcceptsHost reports whether the listener with index listener in
// Config.Listeners accepts host, a Host header or an SNI: a basic listener
// accepts every host, a multi-site listener those that one of its host names
// matches (see [MatchHost]). The gateway uses it to allow a request's Host as
// the backend SNI only when the request's listener accepts it.
func (t *Table) AcceptsHost(listener int, host string) bool {
	if listener < 0 || listener >= len(t.listeners) {
		return false
	}
	l := &t.listeners[listener]
	if l.basic {
		return true
	}
	var buf [maxHostLen]byte
	h, ok := appendHost(buf[:0], host)
	if !ok {
		return false
	}
	for _, p := range l.patterns {
		if matchGlob(p, h) {
			return true
		}
	}
	return false
}
