package dataplane

// The gateway's own failure codes: the X-E2etls-Error header of its error
// responses, the access log's "reason", and health's reason codes. A
// backend that failed verification is reported with its backendtls.Reason
// name instead ("untrusted-root", ...); a refused request head with its
// httpwire.Refusal reason ("uri-too-long", ...).
const (
	CodeNoListener         = "no-listener"         // no listener on the port accepts the request's host
	CodeMisdirected        = "misdirected"         // the connection's certificate does not cover the host (421)
	CodeNoHealthyBackend   = "no-healthy-backend"  // the pool has no member in rotation
	CodeTimeout            = "timeout"             // the backend did not answer within the request timeout (504)
	CodeDrained            = "drained"             // the member was removed and its drain time is over
	CodeBackendUnreachable = "backend-unreachable" // connecting to the backend failed, or it broke the exchange
	CodeBackendSetting     = "backend-setting"     // the setting could not be applied to this request
	CodeBackendAborted     = "backend-aborted"     // the backend broke off a response (health and log only)
	CodeBadUpgrade         = "bad-upgrade"         // a protocol switch (WebSocket) could not be joined
	CodeClientGone         = "client-gone"         // the client left before the answer (log only)
	CodeShuttingDown       = "shutting-down"       // the gateway is shutting down (503)
	CodeRewriteLoop        = "rewrite-loop"        // rewrite sets kept asking to reroute the request (500)
)

// ErrorHeader is the header of the gateway's own error responses that
// carries the failure code, when detailed errors are on.
const ErrorHeader = "X-E2etls-Error"
