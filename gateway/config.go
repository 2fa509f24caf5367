package gateway

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log/slog"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/e2etls/e2etls/backendtls"
	"github.com/e2etls/e2etls/certsource"
	"github.com/e2etls/e2etls/clientauth"
	"github.com/e2etls/e2etls/observe"
	"github.com/e2etls/e2etls/policy"
	"github.com/e2etls/e2etls/rewrite"
	"github.com/e2etls/e2etls/routing"
)

// Protocol is the protocol of a listener, a backend setting or a probe.
// [New] and [Gateway.Update] read it without regard to case, as Azure
// reads its JSON: Protocol("https") is HTTPS.
type Protocol string

// The protocols a listener, backend setting or probe speaks.
const (
	HTTP  Protocol = "Http"
	HTTPS Protocol = "Https"
)

// Config is a whole gateway: listeners, rules, pools, backend settings,
// probes and the trust material they reference by name. It is validated
// once by [New] (or [Gateway.Update]); every problem is reported at once.
//
// Names are unique within their kind and are how the parts reference each
// other, as in Azure Application Gateway.
type Config struct {
	// Listeners are the frontends. At least one is required.
	Listeners []Listener
	// Rules bind each listener to a pool and backend setting, a URL path
	// map or a redirect. Every listener is used by exactly one rule, so
	// there are as many rules as listeners.
	Rules []Rule
	// URLPathMaps are referenced by PathBased rules. Nil means none.
	URLPathMaps []URLPathMap
	// Redirects are referenced by rules. Nil means none.
	Redirects []Redirect
	// Pools are the backend address pools. Nil means none, which only a
	// configuration of redirects can do without.
	Pools []Pool
	// BackendHTTPSettings say how to reach a pool's members. Nil means
	// none (as for Pools).
	BackendHTTPSettings []BackendHTTPSetting
	// Probes are custom health probes referenced by backend settings. Nil
	// means none: every setting gets the default probe.
	Probes []Probe
	// RewriteRuleSets are Azure's rewrite rule sets: header and URL
	// rewrites on conditions over server variables (see package rewrite),
	// which Rule.RewriteRuleSet, URLPathMap.DefaultRewriteRuleSet and
	// PathRule.RewriteRuleSet name. New and Update compile each set once,
	// including those no rule names; no regular expression is compiled per
	// request. Nil means none, and a request without a rewrite set pays
	// nothing for the feature.
	//
	// No rewrite changes which member a request goes to, the SNI the
	// gateway sends it or the identity it must prove: those come from the
	// route and the backend setting, before any rewrite (a rule that sets
	// Host changes the Host header only). Hop-by-hop and framing headers,
	// X-Forwarded-Proto, X-Forwarded-Port, X-Original-Host and X-Request-Id
	// cannot be rewritten, and X-Forwarded-For only to the gateway's own
	// list without ports ({var_add_x_forwarded_for_proxy}) or the client's
	// address ({var_client_ip}): New refuses other rules with their place.
	//
	// A URL rewrite without reroute keeps the request on its route, and
	// the backend setting's Path applies to the rewritten path as it does
	// to a client's (routing.Table.OverridePath); with reroute the URL
	// path map is evaluated again with the rewritten path, at most
	// rewrite.MaxReroutes times (then 500, CodeRewriteLoop), and the set
	// of the path rule it then selects runs in turn. The response
	// phase runs the set of the route the request settled on. Rewrites
	// apply to proxied requests and their responses, not to the gateway's
	// own error responses.
	RewriteRuleSets []rewrite.RuleSet
	// CustomErrorPages replace the bodies of the gateway's own error
	// responses, by status, on every listener that has no pages of its
	// own (Azure's global customErrorConfigurations). Nil means none: the
	// gateway's one-line bodies.
	CustomErrorPages []CustomErrorPage

	// SSLCertificates are the listeners' certificates, referenced by name.
	// Nil means none, which suits HTTP listeners only.
	SSLCertificates []SSLCertificate
	// TrustedRootCertificates are the v2-style trusted roots that backend
	// settings reference by name. Nil means none.
	TrustedRootCertificates []NamedCertificate
	// AuthenticationCertificates are the v1-style exact backend leaf
	// certificates that backend settings reference by name. Nil means none.
	AuthenticationCertificates []NamedCertificate

	// SSLProfiles are Azure's SSL profiles, which listeners reference by
	// name: a TLS policy and client authentication (mutual TLS at the
	// front door). Nil means none.
	SSLProfiles []SSLProfile
	// TrustedClientCertificates are the CA chains that SSL profiles trust
	// to issue client certificates, referenced by name (Azure's
	// trustedClientCertificates). Nil means none.
	TrustedClientCertificates []TrustedClientCertificate

	// SSLPolicy is the TLS policy of every listener and every backend
	// connection unless a listener or setting overrides it. The zero value
	// means policy.Default() (AppGwSslPolicy20220101).
	SSLPolicy policy.Policy

	// Logger receives the access log (one record per request at Info) and
	// every error the gateway handles. Nil means slog.Default().
	Logger *slog.Logger

	// SessionTicketKeys encrypt and decrypt the TLS session tickets of
	// every HTTPS listener (crypto/tls's Config.SetSessionTicketKeys): the
	// first key encrypts new tickets, every key decrypts, so replicas
	// that share the keys resume each other's sessions, and a key can be
	// rotated in by an Update that puts the new key first and keeps the
	// old one after it until its tickets expire (7 days). Listeners of SSL
	// profiles with client authentication still resume only sessions of
	// their own profile that had a client certificate (they use keys
	// derived from these). The gateway never rotates keys given here.
	// Nil means keys of the gateway's own, random, which crypto/tls
	// rotates: a session then resumes only on the gateway that issued its
	// ticket. An Update from keys to nil switches to new random keys,
	// which are not rotated.
	SessionTicketKeys [][32]byte

	// AffinityKey keys the hash that turns a member into its affinity
	// cookie value. Replicas that share the key route a session to the same
	// member with no shared state. Nil means a random key per Gateway, so
	// cookies then only hold within one process.
	AffinityKey []byte

	// Resolver resolves FQDN pool members. The last address that resolved is
	// kept when a later lookup fails. Nil means net.DefaultResolver.
	Resolver Resolver

	// DialContext dials backends (the member's resolved address and port).
	// Tests use it to map names or ports; nil means a net.Dialer with a
	// 10 s timeout and TCP keep-alives.
	DialContext func(ctx context.Context, network, address string) (net.Conn, error)

	// ReadHeaderTimeout bounds how long a client may take to send a request
	// head. Zero means 10 s.
	ReadHeaderTimeout time.Duration
	// IdleTimeout closes idle client keep-alive connections. Zero means 75 s
	// (Azure v2's keep-alive).
	IdleTimeout time.Duration

	// Frontend chooses the HTTP servers behind the listeners. The zero
	// value, FrontendOwn, is the gateway's own.
	Frontend Frontend

	// ReusePort makes ListenAndServe bind its ports with SO_REUSEPORT
	// (Linux, the BSDs, macOS; elsewhere ListenAndServe fails), so that
	// several gateway processes on one machine share them and the kernel
	// spreads new connections among the processes. Running one process
	// per core or two (GOMAXPROCS=1 or 2, each pinned) keeps every
	// connection on its cores, which many-core machines reward (see
	// bench/many-cores.md). Each process probes, logs and counts on its
	// own; give them the same AffinityKey, so that their affinity cookies
	// agree. False, the default, makes a port another process has bound an
	// error. Serve and ServePort take listeners the caller bound and
	// ignore it; Update cannot change it.
	ReusePort bool

	// DisableHTTP2 makes HTTPS listeners offer only HTTP/1.1 and HTTP/1.0
	// by ALPN, as Azure Application Gateway does while its enableHttp2 is
	// false (its default). False means HTTP/2 is offered too.
	DisableHTTP2 bool

	// AccessLog, when set, writes one record per request to its Writer off
	// the request path, batched (see AccessLog). Nil means the records go
	// to Logger at Info, written as each request ends: fine for tests and
	// small loads, slow for production.
	AccessLog *AccessLog
	// Observer receives the gateway's events (requests, TLS handshakes on
	// both sides, reloads) for metrics: see package observe and its
	// Prometheus adapter, observe/prommetrics. Nil means none.
	Observer observe.Observer
	// Tracer opens a span per request and per backend attempt, and
	// propagates the trace context to backends: see observe/oteltrace.
	// Nil means no tracing, at no cost.
	Tracer observe.Tracer
	// DetailedErrors puts the failure's account (member, pool, setting and
	// what to fix) in the body of the gateway's own error responses and
	// its code in ErrorHeader, for tests and debugging. False, the
	// default, gives clients a generic page with the status and the
	// request's ID only, so that nothing of the backends' topology leaks;
	// the account goes to the log either way (see SECURITY.md).
	DetailedErrors bool
}

// AccessLog is an access log written off the request path: each record is
// formatted as the request ends and appended to a batch, which a goroutine
// writes to Writer every FlushInterval, as soon as 64 KiB wait, and on
// Shutdown and Close. If Writer cannot keep up, records beyond 4 MiB
// waiting are dropped and counted (Gateway.Stats, a warning in the Logger
// once a minute): a slow disk never slows a request. Records are batched
// per CPU shard, so those of one flush interval are not necessarily in
// the order of their time field. Record fields are
// named as in Azure Application Gateway's access log: time, clientIP,
// clientPort, httpMethod, requestUri, httpVersion, host, originalHost,
// userAgent, httpStatus, receivedBytes, sentBytes, timeTaken (seconds),
// sslEnabled (JSON), sslProtocol, sslCipher, sslResumed, listenerName,
// ruleName; backendPoolName, backendSettingName, serverRouted,
// serverStatus and serverResponseLatency once a member was chosen;
// backendSslProtocol, backendSslCipher and backendSslResumed for an HTTPS
// backend; sslClientVerify, sslClientCertificateFingerprint and
// sslClientCertificateIssuerName on a listener with client
// authentication; transactionId (the request ID); error_info (the
// ErrorCode) and error (the operator's account) for a failure.
//
// Update keeps the running log when the new Config has the same
// *AccessLog; another value starts a new one, and the old one is flushed
// and closed once the requests of the old configuration are done.
type AccessLog struct {
	// Writer receives the records. Required.
	Writer io.Writer
	// Format is AccessLogText (logfmt, the zero value) or AccessLogJSON.
	Format AccessLogFormat
	// FlushInterval is the longest a record waits. Zero means 1 s.
	FlushInterval time.Duration
}

// AccessLogFormat is the format of the access log's records.
type AccessLogFormat string

const (
	// AccessLogText is one logfmt line (key=value) per record.
	AccessLogText AccessLogFormat = ""
	// AccessLogJSON is one JSON object per line.
	AccessLogJSON AccessLogFormat = "json"
)

// Frontend chooses the HTTP/1.x and HTTP/2 servers that serve the
// listeners' connections, after the gateway's own accept loop and TLS
// handshake.
type Frontend string

const (
	// FrontendOwn is the gateway's own servers (internal/h1, internal/h2):
	// strict and faster. Ambiguous framing, obsolete line folding and
	// oversized heads are refused before any handler runs, in the
	// gateway's format (X-E2etls-Error) and in the access log. A proxied
	// request costs 15% less CPU than with FrontendNetHTTP over HTTP/1.1,
	// 24% less over HTTP/2, with 15 to 20 fewer allocations (BenchmarkProxy:
	// client, gateway and backend in one process, TLS on both legs); an
	// answer of the gateway's own costs 29% less over HTTP/2 and the same
	// over HTTP/1.1 (BenchmarkFrontend). The price: their code is this
	// project's to maintain (FuzzRequestStream checks the HTTP/1.1 parser
	// against net/http's, and every frontend test runs on both frontends).
	FrontendOwn Frontend = ""
	// FrontendNetHTTP is net/http's server and its bundled HTTP/2
	// (golang.org/x/net/http2): the standard library's parsing, limits and
	// maintenance (its fixes arrive with Go releases), at net/http's
	// speed. The gateway still does the TLS handshake, refuses request
	// targets and header fields over its limits (414, 431, after net/http
	// has parsed the request), and gives HTTP/2 the own server's settings
	// and preface timeout; it also keeps net/http from sniffing a
	// Content-Type for a response that has none.
	//
	// net/http is lenient where the own servers are strict: it frames a
	// request with both Content-Length and Transfer-Encoding by the latter
	// and keeps the connection open, ignores Transfer-Encoding in HTTP/1.0
	// and joins obsolete line folding. Each request still reaches the
	// backend once, framed as net/http read it, but an HTTP/1.1 proxy in
	// front of the gateway that frames such a request by Content-Length
	// disagrees with it on where requests end: a request hidden in a body
	// is then served as one of its own (request smuggling). Use
	// FrontendNetHTTP only where the gateway is the first HTTP hop
	// (clients, or an L4 balancer, connect to it directly). Malformed
	// requests get net/http's own 400 page, without X-E2etls-Error and
	// without an access log record. SECURITY.md ("Frontend choice") lists
	// every difference and the test that shows it. Changing the timeouts
	// needs a new Gateway.
	FrontendNetHTTP Frontend = "net/http"
)

// Resolver looks up the addresses of a host name. *net.Resolver implements it.
type Resolver interface {
	LookupHost(ctx context.Context, host string) (addrs []string, err error)
}

// SSLCertificate is a listener certificate with its private key.
type SSLCertificate struct {
	// Name is how listeners reference it. Required.
	Name string
	// Certificate is the leaf, its intermediates and its private key.
	// Required unless Source is set; the key must match the leaf.
	Certificate tls.Certificate
	// Source, when set, provides the certificate instead of Certificate,
	// which must then be empty, and the gateway takes each new version it
	// yields (see "Certificates that reload themselves" in the package
	// documentation): certsource.WatchKeyPair watches a certificate file
	// and a key file; implement certsource.Source to plug in Vault or Key
	// Vault. Nil means the fixed Certificate.
	Source certsource.Source[*tls.Certificate]
}

// NamedCertificate is a trusted root or authentication certificate.
type NamedCertificate struct {
	// Name is how backend settings reference it. Required.
	Name string
	// Certificate is the certificate. Required unless Source is set.
	Certificate *x509.Certificate
	// Source, when set, provides the certificate instead of Certificate,
	// which must then be nil; each version must hold exactly one
	// certificate (certsource.WatchCertificates watches a file). Nil means
	// the fixed Certificate.
	Source certsource.Source[[]*x509.Certificate]
}

// Listener is a frontend: a port, a protocol and the host names it accepts.
type Listener struct {
	// Name is unique among listeners. Required.
	Name string
	// Protocol is HTTP or HTTPS. Required.
	Protocol Protocol
	// Address is the IP address ListenAndServe binds. Empty means all
	// addresses.
	Address string
	// Port is the frontend port, 1..65535. Listeners that share a port
	// share one server and are told apart by host name (multi-site).
	Port int
	// HostNames are the host names a multi-site listener accepts (at most
	// five; wildcards * and ?). Empty means a basic listener: any host.
	HostNames []string
	// SSLCertificate names the certificate of an HTTPS listener; refused
	// for HTTP. Empty, an HTTPS listener can be served only through
	// Gateway.Handler, in a server of yours that does the TLS handshake:
	// ServePort, Serve and ListenAndServe refuse its port, and Update
	// refuses to take the certificate away from a port they serve.
	SSLCertificate string
	// RequireSNI refuses TLS handshakes whose SNI names no listener on the
	// port. False means such handshakes get the basic listener's
	// certificate, else the first HTTPS listener's.
	RequireSNI bool
	// SSLPolicy overrides Config.SSLPolicy for this listener. The zero value
	// means the SSL profile's policy, else Config.SSLPolicy. Not allowed
	// together with an SSL profile that has a policy. Multi-site listeners
	// on one port may differ: the policy is chosen by SNI.
	SSLPolicy policy.Policy
	// SSLProfile names the SSL profile of an HTTPS listener: its TLS
	// policy and client authentication. Empty means none: no client
	// certificate is asked for. Listeners on one port may have different
	// profiles (chosen by SNI); a request whose Host belongs to a listener
	// with another profile than the one its connection's handshake chose
	// gets 421 Misdirected Request.
	SSLProfile string
	// CustomErrorPages are the listener's own error pages. A listener
	// with any uses only its own, as in Azure: a status it has no page
	// for gets the one-line body, not the global page. Nil means the
	// global Config.CustomErrorPages.
	CustomErrorPages []CustomErrorPage
}

// CustomErrorPage is Azure's customErrorConfiguration: an HTML page that
// the gateway serves in place of the body of its own error responses with
// one status, such as the 502 of a backend that failed verification or of
// a pool with no healthy member, and the 400 of a request it refuses. The
// response keeps its status, its X-Request-Id and, with DetailedErrors,
// its ErrorHeader, and the log records the failure as without the page.
// Responses of backends pass through unchanged, as in Azure, and a client
// refused for its certificate reads the sentence that says what is wrong
// with it, not the page.
type CustomErrorPage struct {
	// StatusCode is the status the page is served for: 400, 403, 405, 408,
	// 500, 502, 503 or 504, the statuses Azure allows (its documents
	// write "HttpStatus502"). Each status at most once per listener and
	// once globally. Required.
	StatusCode int
	// PageURL is where the page is read from (Azure's
	// customErrorPageUrl): an https URL, or a local file, as a path or a
	// file:// URL. Its name must end in .htm or .html, and the page must
	// be HTML smaller than 1 MB answered with 200 OK. New reads every
	// page (and fails if one cannot be read); each Update reads them
	// again, and a page that then fails keeps its previous copy while the
	// failure is logged. Pages are served from memory, never fetched per
	// request. An https URL is fetched directly (no proxy) with verified
	// TLS 1.2 or later, trusting the system's roots and the Config's
	// TrustedRootCertificates, within 10 s, following at most three
	// redirects, all https. Required.
	PageURL string
}

// Rule routes what a listener receives. Exactly one of (Pool and
// BackendHTTPSetting), URLPathMap or Redirect is set.
type Rule struct {
	// Name is unique among rules. Required.
	Name string
	// Listener names the listener this rule serves. Required.
	Listener string
	// Priority orders rules, 1 (first) to 20000. Zero means no priority:
	// then no rule may have one and listed order decides.
	Priority int
	// Pool and BackendHTTPSetting, both set, make a Basic rule. Empty
	// means the rule is of another kind.
	Pool               string
	BackendHTTPSetting string
	// URLPathMap, when set, makes a PathBased rule. Empty means the rule
	// is of another kind.
	URLPathMap string
	// Redirect, when set, makes a redirect rule. Empty means the rule is of
	// another kind.
	Redirect string
	// RewriteRuleSet names the rewrite rule set (Config.RewriteRuleSets)
	// that rewrites a Basic rule's requests and responses. Not allowed on
	// a redirect rule, nor on a PathBased rule (name the sets in its URL
	// path map), nor naming a set that reroutes (re-evaluating the path
	// map needs one, as in Azure). Empty means none.
	RewriteRuleSet string
}

// URLPathMap routes by URL path: the first path rule, in listed order,
// whose pattern matches; else the default pool and setting, or the default
// redirect.
type URLPathMap struct {
	// Name is unique among URL path maps. Required.
	Name string
	// DefaultPool and DefaultBackendHTTPSetting serve a path that no path
	// rule matches. Both are required unless DefaultRedirect is set; then
	// both are empty.
	DefaultPool               string
	DefaultBackendHTTPSetting string
	// DefaultRedirect names the redirect that answers a path no path rule
	// matches (Azure's defaultRedirectConfiguration). Empty means
	// DefaultPool and DefaultBackendHTTPSetting serve it.
	DefaultRedirect string
	// DefaultRewriteRuleSet names the rewrite rule set of the paths no path
	// rule matches (Config.RewriteRuleSets). Not allowed with
	// DefaultRedirect. Empty means none.
	DefaultRewriteRuleSet string
	// PathRules are tried in order.
	PathRules []PathRule
	// CaseSensitive matches the path rules' Paths with regard to case, as
	// the Kubernetes Gateway API requires ("/Foo" does not match "/foo").
	// False means matching ignores case, as in Azure.
	CaseSensitive bool
}

// PathRule sends the paths it matches to a pool with a backend setting, or
// splits them among weighted backends, or answers them with a redirect.
// Exactly one of (Pool and BackendHTTPSetting), WeightedBackends or
// Redirect is set.
type PathRule struct {
	// Name is unique within its map. Required.
	Name string
	// Paths are patterns starting with "/", "*" allowed only at the end
	// ("/images/*", "/images*"); matching ignores the query, and case
	// unless the map is CaseSensitive. At least one is required. A path
	// may repeat one of an earlier path rule of the map only when that
	// rule has a Match.
	Paths []string
	// Match narrows the rule to requests with a method, header fields and
	// query parameters (the Kubernetes Gateway API's HTTPRouteMatch; see
	// routing.Match): a request whose path the rule matches but which
	// fails a condition goes on to the next path rule whose path matches
	// it, then to the map's default. After a rewrite that reroutes, the
	// conditions see the rewritten path and query and the client's method
	// and header. The zero value holds for every request, and a map whose
	// rules have none costs a request nothing for the feature.
	Match routing.Match
	// Pool and BackendHTTPSetting are required unless WeightedBackends or
	// Redirect is set; then both are empty.
	Pool               string
	BackendHTTPSetting string
	// WeightedBackends split the requests the rule matches among pools,
	// each with its backend setting, in proportion to their weights (the
	// Kubernetes Gateway API's weighted backendRefs). At least one weight
	// must be positive; the settings must have the same Path. Health,
	// affinity and retries work within the backend a request is given:
	// an affinity cookie holds within it, and a backend without a healthy
	// member answers 502 rather than sending its share elsewhere. Nil
	// means Pool and BackendHTTPSetting, or Redirect.
	WeightedBackends []WeightedBackend
	// Redirect names the redirect that answers the paths the rule matches
	// (Azure's redirectConfiguration of a path rule); its Location carries
	// the request's whole path when the redirect includes the path. Empty
	// means Pool and BackendHTTPSetting serve them.
	Redirect string
	// RewriteRuleSet names the rewrite rule set of the paths the rule
	// matches (Config.RewriteRuleSets). Not allowed with Redirect. Empty
	// means none.
	RewriteRuleSet string
}

// WeightedBackend is one backend of a path rule that splits its requests:
// a pool served with a backend setting, and its share.
type WeightedBackend struct {
	// Pool names the backend pool. Required.
	Pool string
	// BackendHTTPSetting names the backend setting. Required.
	BackendHTTPSetting string
	// Weight is the backend's share, 0 to 1,000,000: it gets Weight divided
	// by the sum of the rule's weights of the requests, spread evenly over
	// time (not at random). Zero means it gets none (its members are still
	// probed), as a Gateway API backendRef of weight 0.
	Weight int
}

// Redirect answers with a redirect instead of proxying.
type Redirect struct {
	// Name is unique among redirects. Required.
	Name string
	// Status is 301, 302, 303 or 307. Zero means 301.
	Status int
	// TargetListener names a listener to redirect to (HTTP to HTTPS);
	// TargetURL is an absolute URL. Exactly one is set; the other is empty.
	TargetListener string
	TargetURL      string
	// IncludePath and IncludeQuery carry the request's path and query over;
	// false leaves them out. A TargetURL takes only the query.
	IncludePath  bool
	IncludeQuery bool
}

// Pool is a backend address pool.
type Pool struct {
	// Name is unique among pools. Required.
	Name string
	// Members are the backends. An empty pool answers 502.
	Members []Member
}

// Member is one backend: an IP address or an FQDN.
type Member struct {
	// Address is an IP address or a fully qualified domain name. Required.
	Address string
	// Port overrides the backend setting's port for this member. Zero
	// means the setting's port, which must then be set.
	Port int
}

// BackendHTTPSetting says how to reach and verify a pool's members.
type BackendHTTPSetting struct {
	// Name is unique among settings. Required.
	Name string
	// Protocol is HTTP or HTTPS. Required.
	Protocol Protocol
	// Port is the members' port, 1..65535. Zero means each member's own
	// port (Member.Port): New then refuses a member without one in a pool
	// that a rule serves with this setting, naming both.
	Port int
	// RequestTimeout bounds each attempt until the backend's response head
	// arrives; the body then streams without a deadline. 1 ms to 24 h
	// (Azure takes whole seconds, 1 to 86400; the Kubernetes Gateway API's
	// timeouts may be shorter). Zero means 20 s.
	RequestTimeout time.Duration

	// CookieBasedAffinity pins a client to a member with a cookie. False
	// means plain round-robin over the healthy members.
	CookieBasedAffinity bool
	// AffinityCookieName names the cookie; the CORS variant adds "CORS".
	// Empty means "ApplicationGatewayAffinity".
	AffinityCookieName string

	// ConnectionDraining, when enabled, lets requests that already hold a
	// member removed by Update finish for up to DrainTimeout. When
	// disabled, removed members drain for 30 s, as in Azure.
	ConnectionDraining ConnectionDraining

	// Path, when set, overrides the path sent to the backend as Azure's
	// path-override table says. Empty means the original path.
	Path string

	// HostName is the Host header and the SNI sent to every member, and the
	// identity expected of their certificates. Empty means
	// PickHostNameFromBackendAddress decides.
	HostName string
	// PickHostNameFromBackendAddress uses each member's FQDN instead. An IP
	// member is then a configuration error. With neither this nor
	// HostName, the client's Host (one its listener accepts) is used, as
	// Azure v2 does; a client's Host that a member's certificate does not
	// cover gets 502 but never takes the member out of rotation. In that
	// mode an HTTPS setting with IP members needs its probe to name a
	// host (Probe.Host), or New refuses it: the probe would have no name
	// to send and verify.
	PickHostNameFromBackendAddress bool

	// Probe names a custom probe. Empty means the default probe, unless
	// DisableProbe is set.
	Probe string
	// DisableProbe turns health probes off for the setting's members, for
	// backends that must not be probed or have nothing to answer a probe
	// with. They are in rotation from the start (BackendHealth shows
	// "Unknown" and probe "none"), and only traffic judges them: a member
	// that fails verification, cannot be reached or breaks off a response
	// leaves rotation for 30 s (the default probe's interval), then
	// returns as a member no one has judged yet. Not allowed with Probe.
	// False means the members are probed (Probe, else the default probe).
	DisableProbe bool

	// TrustedRootCertificates name roots the members' chains must end at
	// (v2). Empty, with no authentication certificates and no pins, means
	// the well-known CAs.
	TrustedRootCertificates []string
	// AuthenticationCertificates name certificates a member's leaf must
	// equal exactly (v1). Not allowed together with trusted roots. Empty
	// means none.
	AuthenticationCertificates []string
	// PinnedPublicKeys, when set, require the member's leaf key to be one of
	// them (a set, so the next key can be pinned before rotation).
	PinnedPublicKeys []backendtls.Pin
	// ServerName, when set, is the SNI sent to every member and the
	// identity expected of their certificates (Azure's sniName), whatever
	// the Host header is: HostName, PickHostNameFromBackendAddress or the
	// client's Host still give the Host header, and a probe without a host
	// of its own sends it as SNI. A DNS name or an IP address (which sends
	// no SNI and is matched against IP SANs); HTTPS settings only. Empty
	// means the SNI is the Host header's name.
	ServerName string
	// Identity overrides the identity expected of members' certificates.
	// Empty means the SNI name.
	Identity string
	// SubjectAltNames, when set, are the identities a member's certificate
	// may be valid for: DNS names, URIs (SPIFFE IDs) and IP addresses, any
	// one of which suffices (backendtls.SAN says how each matches). They
	// replace the host-name check, as Gateway API's BackendTLSPolicy
	// subjectAltNames do; the SNI is still sent as HostName and
	// PickHostNameFromBackendAddress say. Not allowed with Identity. Empty
	// means Identity or the SNI name.
	SubjectAltNames []backendtls.SAN
	// Verifier runs after every built-in check passed. Nil means none.
	Verifier backendtls.Verifier
	// ClientCertificate, when set, is presented to members (backend mTLS).
	// Nil means the gateway presents none.
	ClientCertificate *tls.Certificate
	// SSLPolicy overrides Config.SSLPolicy for this setting's backend
	// connections. The zero value means Config.SSLPolicy.
	SSLPolicy policy.Policy
	// HTTP2 offers HTTP/2 to members by ALPN. False means HTTP/1.1 only.
	HTTP2 bool
	// InsecureSkipVerify turns backend verification off. For tests only:
	// the gateway logs a warning at every New and Update that uses it.
	InsecureSkipVerify bool
}

// ConnectionDraining is a backend setting's draining behaviour: a member
// that Update removes from its pool keeps the requests it is serving, and
// its upgraded (WebSocket) connections, until DrainTimeout; then they are
// cut and its connections closed. Without draining that happens at once.
type ConnectionDraining struct {
	// Enabled turns draining with DrainTimeout on.
	Enabled bool
	// DrainTimeout is 1 s to 3600 s when Enabled. Zero means 30 s.
	DrainTimeout time.Duration
}

// Probe is a custom health probe.
type Probe struct {
	// Name is unique among probes. Required.
	Name string
	// Protocol must equal the protocol of every setting that uses the probe.
	// Required.
	Protocol Protocol
	// Host is the Host header and SNI of the probe. Empty means the
	// setting's host name, else the member's FQDN (issue 5's order; Azure's
	// default probe would send 127.0.0.1 as Host), else 127.0.0.1 as Host
	// with no SNI for an HTTP setting's IP member. Not allowed with
	// PickHostNameFromBackendHTTPSettings.
	Host string
	// PickHostNameFromBackendHTTPSettings takes the host from the setting
	// (its host name, else the member's FQDN). False with an empty Host
	// means the same order.
	PickHostNameFromBackendHTTPSettings bool
	// Path starts with "/". Empty means "/".
	Path string
	// Port overrides the member's port. Zero means the member's port.
	Port int
	// Interval between probes of one member. Zero means 30 s.
	Interval time.Duration
	// Timeout of one probe. Zero means 30 s.
	Timeout time.Duration
	// UnhealthyThreshold is how many consecutive failures take a member out
	// of rotation, 1..20. Zero means 3.
	UnhealthyThreshold int
	// StatusCodes are the healthy status ranges ("200-399", "204").
	// Empty means 200-399.
	StatusCodes []string
	// Body, when set, must appear in the response body (at most 4,090
	// characters). Empty means the body is not checked.
	Body string
}

// SSLProfile is Azure's SSL profile: a TLS policy and client
// authentication that listeners share by name. A profile with trusted
// client certificates (or in Passthrough mode) asks every client for a
// certificate during the handshake and verifies it after every handshake,
// resumed or not, before any request is read (package clientauth).
type SSLProfile struct {
	// Name is how listeners reference it. Required.
	Name string
	// SSLPolicy is the TLS policy of the profile's listeners. The zero
	// value means Config.SSLPolicy.
	SSLPolicy policy.Policy
	// TrustedClientCertificates name entries of
	// Config.TrustedClientCertificates: the CA chains that may issue
	// client certificates. Empty, in Strict mode, means the profile asks
	// for no client certificate (it only sets the policy).
	TrustedClientCertificates []string
	// ClientAuth is how clients are authenticated (Azure's
	// clientAuthConfiguration). Its zero value is Strict mode with no
	// further check: a client must present a certificate that chains to a
	// trusted client CA.
	ClientAuth ClientAuth
}

// ClientAuth is an SSL profile's client authentication: Azure's
// clientAuthConfiguration, with CRLs, allowed identities and
// X-Forwarded-Client-Cert besides.
type ClientAuth struct {
	// Mode is Azure's verifyClientAuthMode. The zero value,
	// clientauth.Strict, answers a request without a valid certificate
	// with 400 Bad Request and one sentence saying what is wrong with it
	// (no certificate, untrusted, expired, revoked, ...), and sends nothing
	// to a backend. clientauth.Passthrough (the Gateway API's
	// AllowInsecureFallback) lets every request through and tells the
	// backend what was found: X-Forwarded-Client-Cert (below) only for a
	// verified certificate, and rewrite rules (Config.RewriteRuleSets) may
	// pass Azure's client_certificate_* server variables on as headers,
	// client_certificate_verification among them ("SUCCESS", "NONE" or
	// "FAILED:<reason>"). In Passthrough mode without trusted client certificates,
	// certificates are asked for but not verified.
	Mode clientauth.Mode
	// VerifyClientCertIssuerDN also requires the client certificate's
	// issuer to be the issuer DN of its trusted chain (Azure's
	// verifyClientCertIssuerDN: the subject of the chain's CA farthest
	// from its root). False means any CA of the trusted chains may have
	// issued it.
	VerifyClientCertIssuerDN bool
	// VerifyClientRevocation is Azure's verifyClientRevocation:
	// clientauth.RevocationOCSP asks the OCSP responder the certificate
	// names (or OCSPResponderURL), with answers cached until their next
	// update. The zero value, clientauth.RevocationNone, asks nothing.
	VerifyClientRevocation clientauth.RevocationCheck
	// OCSPResponderURL, when set, is the OCSP responder asked instead of
	// the ones certificates name. Empty means the certificate's own.
	OCSPResponderURL string
	// OCSPTimeout bounds one OCSP query. Zero means 5 s.
	OCSPTimeout time.Duration
	// CRLs are revocation lists of the trusted client CAs: a client
	// certificate listed in its issuer's CRL is refused, and with CRLs
	// given, a certificate whose issuer has none is of unknown status.
	// Each CRL must be signed by a trusted client CA. Nil means no CRL
	// unless CRLSource is set.
	CRLs []*x509.RevocationList
	// CRLSource, when set, provides the CRLs instead of CRLs, which must
	// then be nil, and the gateway takes each new version
	// (certsource.WatchCRLs watches CRL files). Nil means the fixed CRLs.
	CRLSource certsource.Source[[]*x509.RevocationList]
	// AllowStaleCRLs accepts a CRL past its next update as current. False,
	// the default, makes the status of a certificate under a stale CRL
	// unknown (see RevocationSoftFail).
	AllowStaleCRLs bool
	// RevocationSoftFail lets a certificate whose revocation status could
	// not be established through (responder unreachable, stale CRL). False,
	// the default, refuses it (hard fail), as Azure does. A revoked
	// certificate is refused either way.
	RevocationSoftFail bool
	// AllowedIdentities, when set, are the client identities allowed:
	// DNS names, URIs (SPIFFE IDs) and IP addresses matched against the
	// certificate's subject alternative names; any one suffices. Empty
	// means any verified client.
	AllowedIdentities []backendtls.SAN
	// ForwardClientCert is what becomes of the X-Forwarded-Client-Cert
	// header (Envoy's modes and fields). Its zero value removes whatever a
	// client sent and adds nothing; clientauth.XFCCSanitizeSet replaces it
	// with the verified client certificate's details. If its By is empty,
	// By is the URI SANs of each listener's certificate, as Envoy does.
	// Listeners without a profile always remove the header.
	ForwardClientCert clientauth.XFCC
}

// TrustedClientCertificate is one CA chain trusted to issue client
// certificates (Azure's trustedClientCertificates entry: one uploaded
// file each).
type TrustedClientCertificate struct {
	// Name is how SSL profiles reference it. Required.
	Name string
	// Certificates are a self-signed root CA and, optionally,
	// intermediate CAs under it; every one must be a CA. Required unless
	// Source is set.
	Certificates []*x509.Certificate
	// Source, when set, provides the chain instead of Certificates, which
	// must then be empty, and the gateway takes each new version
	// (certsource.WatchCertificates watches a PEM file). Nil means the
	// fixed Certificates.
	Source certsource.Source[[]*x509.Certificate]
}

// canonical returns p spelt as HTTP or HTTPS when it is one of them in any
// case, else p unchanged (New reports it).
func (p Protocol) canonical() Protocol {
	switch {
	case strings.EqualFold(string(p), string(HTTP)):
		return HTTP
	case strings.EqualFold(string(p), string(HTTPS)):
		return HTTPS
	}
	return p
}

// withCanonicalProtocols returns cfg with every protocol spelt as HTTP or
// HTTPS (see Protocol), copying the slices it changes so that the
// caller's Config is left alone.
func withCanonicalProtocols(cfg Config) Config {
	fix := func(n int, get func(i int) *Protocol, clone func()) {
		for i := range n {
			if p := get(i); p.canonical() != *p {
				clone()
				for j := range n {
					p := get(j)
					*p = p.canonical()
				}
				return
			}
		}
	}
	fix(len(cfg.Listeners), func(i int) *Protocol { return &cfg.Listeners[i].Protocol },
		func() { cfg.Listeners = slices.Clone(cfg.Listeners) })
	fix(len(cfg.BackendHTTPSettings), func(i int) *Protocol { return &cfg.BackendHTTPSettings[i].Protocol },
		func() { cfg.BackendHTTPSettings = slices.Clone(cfg.BackendHTTPSettings) })
	fix(len(cfg.Probes), func(i int) *Protocol { return &cfg.Probes[i].Protocol },
		func() { cfg.Probes = slices.Clone(cfg.Probes) })
	return cfg
}
