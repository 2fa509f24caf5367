package rewrite

import "net/http"

// Vars supplies the server variables of one exchange. [HTTPVars] is the
// implementation for a request served by net/http; a gateway may wrap it to
// add the variables only it knows (the client certificate's, the ciphers a
// client offered). Var is called only for variables that some rule reads,
// and only when it needs them, so an implementation can compute costly
// values lazily.
type Vars interface {
	// Var returns the value of server variable v, and false if the
	// exchange has none (a client certificate variable without a client
	// certificate, for example). A value must be what the package
	// documentation describes for v.
	Var(v Variable) (value string, ok bool)
}

// An Exchange is one request and its response as a [Set] reads and rewrites
// them. The gateway fills one per request, passes it to [Set.Request] before
// it forwards the request and to [Set.Response] before it relays the
// response, and may reuse it for another request after setting every
// field (assign a new Exchange literal).
//
// The rules read what the gateway received, never what a rule wrote: request
// headers from Request and response headers from Response, as the client and
// the backend sent them; they write RequestOut and ResponseOut. So the order
// of rules decides only which write wins, not what a condition sees. Request
// and RequestOut may be the same map (and Response and ResponseOut), in which
// case a rule sees the writes of the rules before it.
//
// A rewrite never modifies a header's value slice in place: it replaces the
// slice, so RequestOut may share its slices with Request, as a proxy that
// copies the client's header map does. A value slice it sets may be shared
// between exchanges: treat the values as read-only.
type Exchange struct {
	// Vars supplies the server variables. If nil, every server variable
	// other than uri_path, query_string and http_status has no value.
	Vars Vars

	// Request is the request header as the client sent it; http_req_*
	// variables and cookies read it. It is never modified. If nil, no
	// request header has a value.
	Request http.Header

	// Host is the request's Host as the client sent it (net/http keeps it in
	// http.Request.Host, not in the header map); http_req_Host reads it.
	// If empty, http_req_Host has no value.
	Host string

	// RequestOut is the request header the gateway sends to the backend,
	// which request header actions rewrite. It should not hold a Host key:
	// a Host rewrite is reported in [Result].Host. If nil, request header
	// actions have nothing to rewrite.
	RequestOut http.Header

	// Path is the decoded, cleaned path sent to the backend, which
	// var_uri_path reads and URL actions rewrite (in place).
	Path string

	// RawQuery is the query sent to the backend, encoded and without the
	// '?', which var_query_string reads and URL actions rewrite (in place).
	RawQuery string

	// Status is the backend response's status code, which var_http_status
	// reads. If zero (before the response), http_status has no value.
	Status int

	// Response is the response header as the backend sent it;
	// http_resp_* variables read it. It is never modified. If nil, no
	// response header has a value.
	Response http.Header

	// ResponseOut is the response header the gateway relays to the client,
	// which response header actions rewrite. If nil, response header
	// actions have nothing to rewrite.
	ResponseOut http.Header

	// The path and query the last Request call read, so that Response
	// evaluates a rule's conditions on what its request phase saw even
	// after the rule rewrote the URL.
	seenPath, seenQuery string
	seen                bool
}

// Result is what [Set.Request] reports beyond the header and URL it rewrote
// in the [Exchange]. Its zero value means: proxy as routed.
type Result struct {
	// URLChanged reports that a URL action rewrote Exchange.Path or
	// Exchange.RawQuery. The gateway sends the new path (escaped anew,
	// forgetting any raw form the client used) and query.
	URLChanged bool

	// Reroute reports that a rule that matched asked for the URL path map
	// to be evaluated again with the rewritten path (see [MaxReroutes]).
	Reroute bool

	// Host, if not empty, is the Host header that a rule set for the
	// backend: a valid host[:port]. The gateway sends it in place of the
	// Host its backend setting chooses, and nothing else changes: the
	// backend it connects to, the SNI it sends and the identity the backend
	// must prove are derived from the route and the backend setting before
	// any rewrite and never from this value.
	Host string

	// RedirectStatus, if not zero, is the status code of the redirect the
	// gateway answers with (301, 302, 303, 307 or 308) instead of proxying
	// the request; Location is its Location header. Response header actions
	// still apply to that answer.
	RedirectStatus int

	// Location is the redirect's absolute URL when RedirectStatus is set.
	Location string
}

// MaxReroutes is how many times one request may be rerouted. A rewrite set
// that asks for a reroute makes the gateway evaluate the URL path map again
// with the rewritten path and apply the rewrite set of the path rule it then
// selects; a request still asking for a reroute after MaxReroutes
// evaluations is in a rewrite loop, which the gateway answers with 500
// Internal Server Error, as Azure does. A set's rules read only what the
// client sent and the current path and query, so the same set on the same
// path always asks again: a loop never ends by itself.
const MaxReroutes = 10
