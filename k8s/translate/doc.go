// Package translate turns Kubernetes Gateway API objects (GatewayClass,
// Gateway, HTTPRoute, BackendTLSPolicy, ReferenceGrant) and the Services,
// EndpointSlices, Secrets and ConfigMaps they reference into one
// [gateway.Config], and computes the status the Gateway API specification
// asks a controller to write back. It is pure: no I/O, no clocks, no
// goroutines; [Translate] is a function of its [Input] and [Options].
//
// # Model
//
// Every Gateway whose GatewayClass names [Options.ControllerName] is served
// by the same data plane, on the frontend ports [Options.Ports] lists (a
// gateway.Gateway cannot add ports after it starts, so the ports are fixed
// by the controller's configuration, not by the Gateways). A Gateway
// listener on a port that is not served, or served with another protocol,
// is not accepted (reason PortUnavailable).
//
// Each accepted Gateway listener becomes one data-plane listener per host
// name that its attached HTTPRoutes make effective (the intersection of the
// route's and the listener's host names), plus one for the listener's own
// host name, which answers 404 for paths no route matches. The data-plane
// listeners of a port are ordered exact host names first, then wildcards
// from the longest suffix down, then the listener without a host name, so
// a request meets the most specific host first, as the specification
// requires ("precedence must be given to rules from the HTTPRoute with the
// largest number of characters in a matching non-wildcard hostname").
//
// With [Options.AddressPool], Gateways are served apart instead: each gets
// an address of its own (see AddressPool for how it is chosen) and a data
// plane of its own, [Result].Planes, with its listeners on the ports they
// declare, so that two Gateways with a listener on port 80 for any host
// both serve it, each on its own address, as the specification's
// conformance suite expects.
//
// The rules of all the routes that share an effective host name become the
// path rules of one URL path map, matched case-sensitively, ordered by the
// specification's precedence: Exact before PathPrefix, longer prefixes
// first, a method match before none, more header matches first, more
// query parameter matches first, then the older route, then
// namespace/name, then the rule's and the match's index. PathPrefix "/foo"
// becomes the two patterns "/foo" and "/foo/*" (a prefix matches whole path
// elements only); Exact "/foo" becomes "/foo". Header, query parameter and
// method matches become the path rule's routing.Match: a request that
// fails them goes on to the next path rule whose path matches. A pattern
// that an earlier rule without such conditions has already taken is left
// out of later rules (they are never reached by it).
//
// A rule's backendRefs of positive weight become the path rule's weighted
// backends (one is a plain pool); weight 0 gets no request, and an
// unresolved backendRef answers 500 for its share. Filters become one
// rewrite rule set per match (package rewrite maps each Gateway API filter
// kind onto its actions): RequestHeaderModifier, ResponseHeaderModifier,
// RequestRedirect and URLRewrite (hostname as the Host header only, never
// the SNI or the identity the backend proves; ReplaceFullPath and
// ReplacePrefixMatch). timeouts.backendRequest, else timeouts.request,
// bounds each attempt until the response head.
//
// # Backends and backend TLS
//
// A backendRef to a Service port becomes a pool of the ready endpoints of
// the Service's EndpointSlices (each with its endpoint port) and a backend
// setting. Without a BackendTLSPolicy the setting is plain HTTP and passes
// the client's Host. A BackendTLSPolicy that targets the Service (or the
// port by name, through sectionName) makes the setting HTTPS with
// validation.hostname as its SNI (gateway.BackendHTTPSetting.ServerName)
// and the identity its certificate must prove, unless subjectAltNames
// (Hostname and URI) replace that identity; the Host header stays the
// client's. The policy's CA certificates are the trusted roots, or the
// well-known CAs for wellKnownCACertificates: System.
//
// Fail closed: a policy that cannot be honoured (an invalid or missing CA
// reference, an invalid subjectAltName, options, an unknown well-known set)
// makes every request to its backend answer 500 from [Options.Unavailable]
// and the backend is never dialled; a backendRef that cannot be resolved
// does the same, as the specification requires. Paths that no rule matches
// answer 404 from [Options.NotFound].
//
// # What gateway.Config cannot express yet
//
// The RequestMirror, CORS and ExternalAuth filters, backendRef filters,
// retries and BackendTLSPolicy options have no counterpart in
// gateway.Config today. A rule that uses one is not translated (never
// translated as a broader rule); its route gets PartiallyInvalid (or
// Accepted=False when no rule is left) with reason UnsupportedValue and a
// message naming the feature.
package translate
