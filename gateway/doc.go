// Package gateway is an end-to-end TLS application gateway: it terminates
// client TLS, routes each request by host name and URL path, and
// re-encrypts it to a backend whose identity it verifies strictly, with
// health probes that share the data path's trust logic.
//
// # Configuration
//
// A [Config] is a whole gateway, in Azure Application Gateway's terms:
// [Listener]s (frontends), [Rule]s that bind each listener to a [Pool] and a
// [BackendHTTPSetting], a [URLPathMap] or a [Redirect], [Probe]s, and the
// certificates they reference by name. [New] validates everything once and
// reports every problem at once, each with its path:
//
//	gateway: rule "api": unknown pool "web"
//	gateway: backendHttpSetting "api": trustedRootCertificates and authenticationCertificates cannot be combined: ...
//
// A minimal gateway: one HTTPS listener, one pool, one setting whose
// members must present a certificate for api.internal that chains to a
// private root:
//
//	gw, err := gateway.New(gateway.Config{
//		SSLCertificates:         []gateway.SSLCertificate{{Name: "front", Certificate: frontCert}},
//		TrustedRootCertificates: []gateway.NamedCertificate{{Name: "corp-root", Certificate: root}},
//		Listeners: []gateway.Listener{{Name: "https", Protocol: gateway.HTTPS, Port: 443, SSLCertificate: "front"}},
//		Pools:     []gateway.Pool{{Name: "api", Members: []gateway.Member{{Address: "10.0.0.4"}, {Address: "10.0.0.5"}}}},
//		BackendHTTPSettings: []gateway.BackendHTTPSetting{{
//			Name: "api-tls", Protocol: gateway.HTTPS, Port: 8443,
//			HostName: "api.internal", TrustedRootCertificates: []string{"corp-root"},
//		}},
//		Rules: []gateway.Rule{{Name: "all", Listener: "https", Pool: "api", BackendHTTPSetting: "api-tls"}},
//	})
//	if err != nil {
//		log.Fatal(err) // every problem, one per line
//	}
//	log.Fatal(gw.ListenAndServe())
//
// # Backend identity
//
// Each member is reached with three identities kept apart: the dial address
// (the member and the setting's or member's port), the SNI (the setting's
// HostName; with PickHostNameFromBackendAddress the member's FQDN; with
// neither, the client's Host, which its listener has accepted), and the
// expected identity (the SNI name unless the setting's Identity says
// otherwise). An IP address is never sent as SNI; an IP identity is matched
// against IP SANs. Trust is the setting's: trusted roots (v2), exact
// authentication certificates (v1), public-key pins, the well-known CAs when
// none of those is given, and a custom [backendtls.Verifier] after them. A
// setting that would verify nothing is refused by New unless its
// InsecureSkipVerify is set (for tests; logged as a warning).
//
// # The data path
//
// A backend that fails verification receives nothing: the handshake is
// refused before a byte of the request is sent, the client gets 502 Bad
// Gateway with the request's ID (with Config.DetailedErrors, a one-line
// body naming the reason, and the [ErrorHeader] carrying its short name, an
// [ErrorCode]), the access log records the reason, member and setting,
// and the member leaves rotation at once (passive health) until a probe
// succeeds. A backend that does not answer within the
// setting's request timeout gets 504, after one retry on another healthy
// member when the request is idempotent and has no body. Backend statuses
// pass through unchanged; the gateway's own responses carry "Server:
// e2etls".
//
// Requests carry X-Forwarded-For (the client's IP:port appended to any
// incoming list), X-Forwarded-Proto, X-Forwarded-Port (the listener's port)
// and X-Original-Host; hop-by-hop headers, with every header named in
// Connection, are removed in both directions. Bodies stream both ways,
// server-sent events are flushed as they arrive, and WebSocket upgrades pass
// through. Backend connections are pooled per member, setting and SNI
// within a configuration generation, and TLS sessions resume.
//
// Rewrite rule sets (Config.RewriteRuleSets, package rewrite), attached to
// a basic rule, a path rule or a URL path map's default, rewrite request
// and response headers and the URL on conditions over server variables,
// as Azure's do. The gateway runs a route's set after it has built the
// request's header (its own X-Forwarded-* fields included) and before it
// picks the member, evaluating the URL path map again when a rule asks
// for a reroute; the response's set runs before the response head is
// relayed. What a backend must prove, the SNI and the member never depend
// on a rewrite. Custom error pages ([CustomErrorPage], globally or per
// listener) replace the bodies of the gateway's own error responses.
//
// Beyond Azure, for the Kubernetes Gateway API: a path rule may also match
// the method, header fields and query parameters (PathRule.Match, a
// routing.Match), a request failing them going on to the next path rule;
// a URL path map may match paths case-sensitively (URLPathMap.CaseSensitive);
// and a path rule may split its requests among weighted backends
// (PathRule.WeightedBackends). A map without them costs a request nothing
// for them.
//
// Members are chosen round-robin among the healthy ones. With cookie-based
// affinity the gateway sets ApplicationGatewayAffinity and
// ApplicationGatewayAffinityCORS (SameSite=None; Secure), or the configured
// name; the value is a keyed hash of the member (Config.AffinityKey), so
// replicas sharing the key route a session alike with no shared state.
// Replicas that share Config.SessionTicketKeys resume each other's TLS
// sessions too.
//
// # Health
//
// Every member of every pool is probed under every setting that uses it,
// with the default probe (GET /, every 30 s, 30 s timeout, 3 failures,
// 200-399) or the setting's custom [Probe]. Probes trust exactly what
// traffic trusts: their TLS configuration is built from the same
// backendtls.Config, with their own SNI and no connection reuse, so each
// probe verifies the backend afresh. [Gateway.BackendHealth] and
// [Gateway.HealthHandler] report each member's state, reason, last check,
// latency and certificate. A member that fails verification gets the same
// reason from a probe as from traffic: [MemberHealth].ReasonCode is the
// name the data path puts in X-E2etls-Error ("untrusted-root", ...).
//
// A custom probe can be pointed elsewhere than the member's port: its Host
// (Host header and SNI), Port and Path are its own. Every probe announces
// itself with the User-Agent "e2etls-probe/<version>" (probe.UserAgent),
// so a backend can tell probes from traffic. A setting with DisableProbe
// sends no probe at all: its members are in rotation from the start and
// only traffic judges them; one that fails verification, cannot be
// reached or breaks off a response leaves rotation for 30 s, then
// returns.
//
// # Client certificates (mutual TLS)
//
// An [SSLProfile] (Azure's) gives its listeners a TLS policy and client
// authentication: the CA chains trusted to issue client certificates
// ([TrustedClientCertificate], by name), Azure's verifyClientCertIssuerDN
// and verifyClientRevocation (OCSP), CRLs, allowed identities (typed SANs)
// and the X-Forwarded-Client-Cert header. A strict mTLS listener:
//
//	cfg.TrustedClientCertificates = []gateway.TrustedClientCertificate{{Name: "clients", Certificates: []*x509.Certificate{clientRoot}}}
//	cfg.SSLProfiles = []gateway.SSLProfile{{Name: "mtls", TrustedClientCertificates: []string{"clients"}}}
//	cfg.Listeners[0].SSLProfile = "mtls"
//
// The handshake asks for a certificate and completes with any or none;
// the verdict (package clientauth) is reached after every handshake,
// resumed or not, before any request of the connection is read, and kept
// with the connection. In Strict mode (the default) a request without a
// valid certificate gets 400 Bad Request whose body says, in one sentence,
// what is wrong with the client's own certificate ("No required SSL
// certificate was sent", "The client certificate has been revoked"); the
// error header and the access log carry the reason
// ("client-certificate-revoked"), and nothing reaches a backend. In
// Passthrough mode every request goes on and the backend is told what was
// found. A request whose Host belongs to a listener with another profile
// than the one its connection's handshake chose gets 421 (HTTP/2
// connection coalescing). When an Update or a reload replaces a profile's
// trust, each open connection is verified again at its next request.
// Whatever a client sends in X-Forwarded-Client-Cert is removed unless the
// profile's ForwardClientCert mode says otherwise.
//
// # Certificates that reload themselves
//
// A listener certificate, a trusted root, an authentication certificate, a
// trusted client CA chain and a profile's CRLs may each be given by a
// certsource.Source instead of a fixed value (SSLCertificate.Source,
// NamedCertificate.Source, TrustedClientCertificate.Source,
// ClientAuth.CRLSource): certsource.WatchKeyPair, WatchCertificates and
// WatchCRLs watch files (Kubernetes Secret updates included), and any
// store (Vault, Key Vault) can implement Source. The gateway reads each
// source when the configuration is applied and then waits for new
// versions; each is applied as an Update with that value would be,
// atomically, connections verified under replaced trust being verified
// again or drained as Update does. A version that does not parse (its
// source reports it) or that makes the configuration invalid (a key that
// does not match its certificate, a CRL of an untrusted CA) is refused: the
// version in force stays, for that source only, and the refusal is logged
// at Error, counted ([Gateway.CertificateReloads]) and reported to
// Config.Observer (observe.Reload with Source "file", for a metric).
//
// # Frontend servers
//
// The gateway does each frontend TLS handshake itself and dispatches the
// connection by ALPN. By default ([FrontendOwn]) HTTP/1.x connections (and
// plain HTTP listeners) are served by the gateway's own HTTP/1.1 server:
// one goroutine per connection, the request state reused from one request
// to the next, no buffers held while a connection is idle, strict framing
// checked in the one pass that parses the head (see SECURITY.md); a client
// that hangs up while its request waits on a backend cancels that request.
// HTTPS listeners offer h2, http/1.1 and http/1.0 by ALPN (h2 left out with
// Config.DisableHTTP2); HTTP/2 connections are served by the gateway's own
// HTTP/2 server (golang.org/x/net/http2's framer and HPACK, net/http's
// limits and defences, each response's HEADERS and DATA in one write).
// [FrontendNetHTTP] serves both with net/http's server instead. Either
// way the same handler runs, so routing, trust and logging do not depend
// on the protocol or the server.
//
// # Layout
//
// This package is the public face: the configuration and its validation,
// which resolves a Config into the plan the data plane serves from, and
// the Gateway's lifecycle. The layers behind it live in internal packages
// with one job each (see the package e2etls documentation): the data plane
// (routing each request, members, proxying, health), the upstream side
// (dialing, backend TLS, connection pools), the frontend (accept loops and
// TLS) and the wire servers.
//
// # Lifecycle
//
// [Gateway.ListenAndServe], [Gateway.Serve] and [Gateway.ServePort] serve;
// [Gateway.Handler] mounts the gateway in a server of your own.
// [Gateway.Shutdown] drains, [Gateway.Close] stops at once; both stop the
// probes and every goroutine the gateway started. [Gateway.Update] swaps in
// a new configuration atomically after validating it; a bad one is refused
// and the old one keeps serving.
package gateway
