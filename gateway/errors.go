package gateway

import (
	"github.com/e2etls/e2etls/backendtls"
	"github.com/e2etls/e2etls/internal/dataplane"
	"github.com/e2etls/e2etls/internal/httpwire"
)

// ErrorCode is the short name of a failure the gateway reports: in the
// ErrorHeader of its own error responses (when detailed errors are on), as
// the access log's "reason", and as MemberHealth.ReasonCode. A backend that
// failed verification is reported with its backendtls.Reason's name (see
// CodeOf and ErrorCode.Reason).
type ErrorCode string

// ErrorHeader is the response header that carries an ErrorCode.
const ErrorHeader = dataplane.ErrorHeader

// The gateway's own failure codes.
const (
	// CodeNoListener: no listener on the port accepts the request's host (404).
	CodeNoListener ErrorCode = dataplane.CodeNoListener
	// CodeMisdirected: the connection's certificate does not cover the
	// request's host, which another listener serves, or that listener has
	// another SSL profile than the one the connection was set up under
	// (421).
	CodeMisdirected ErrorCode = dataplane.CodeMisdirected
	// CodeNoHealthyBackend: the pool has no member in rotation (502).
	CodeNoHealthyBackend ErrorCode = dataplane.CodeNoHealthyBackend
	// CodeTimeout: the backend did not answer within the setting's request
	// timeout (504).
	CodeTimeout ErrorCode = dataplane.CodeTimeout
	// CodeDrained: the member was removed from its pool and its drain time
	// is over (502).
	CodeDrained ErrorCode = dataplane.CodeDrained
	// CodeBackendUnreachable: the backend could not be reached, or broke
	// the exchange before answering (502).
	CodeBackendUnreachable ErrorCode = dataplane.CodeBackendUnreachable
	// CodeBackendSetting: the setting could not be applied to the request
	// (502).
	CodeBackendSetting ErrorCode = dataplane.CodeBackendSetting
	// CodeBackendAborted: the backend broke off a response (the client's
	// connection is cut; health and log only).
	CodeBackendAborted ErrorCode = dataplane.CodeBackendAborted
	// CodeBadUpgrade: a protocol switch (WebSocket) could not be joined
	// (502).
	CodeBadUpgrade ErrorCode = dataplane.CodeBadUpgrade
	// CodeClientGone: the client left before the answer (log only).
	CodeClientGone ErrorCode = dataplane.CodeClientGone
	// CodeShuttingDown: the gateway is shutting down (503, Handler only).
	CodeShuttingDown ErrorCode = dataplane.CodeShuttingDown
	// CodeRewriteLoop: the rewrite sets asked to evaluate the URL path map
	// again more than rewrite.MaxReroutes times (500).
	CodeRewriteLoop ErrorCode = dataplane.CodeRewriteLoop
)

// The codes of requests the gateway's own servers refuse before routing
// them (see SECURITY.md).
const (
	CodeURITooLong           ErrorCode = httpwire.ReasonURITooLong           // 414
	CodeHeadersTooLarge      ErrorCode = httpwire.ReasonHeadersTooLarge      // 431
	CodeLineFolding          ErrorCode = httpwire.ReasonLineFolding          // 400
	CodeAmbiguousLength      ErrorCode = httpwire.ReasonAmbiguousLength      // 400
	CodeBadContentLength     ErrorCode = httpwire.ReasonBadContentLength     // 400
	CodeBadTransferEncoding  ErrorCode = httpwire.ReasonBadTransferEncoding  // 400
	CodeUnsupportedTE        ErrorCode = httpwire.ReasonUnsupportedTE        // 501
	CodeMalformedRequestLine ErrorCode = httpwire.ReasonMalformedRequestLine // 400
	CodeMalformedHeader      ErrorCode = httpwire.ReasonMalformedHeader      // 400
	CodeMissingHost          ErrorCode = httpwire.ReasonMissingHost          // 400
	CodeBadHost              ErrorCode = httpwire.ReasonBadHost              // 400
	CodeUnsupportedVersion   ErrorCode = httpwire.ReasonUnsupportedVersion   // 505
	CodeUnsupportedExpect    ErrorCode = httpwire.ReasonUnsupportedExpect    // 417
	CodeMalformedChunkedBody ErrorCode = httpwire.ReasonMalformedChunkedBody // connection cut
)

// The codes of backends that failed verification: backendtls's reasons.
const (
	CodeUntrustedRoot       ErrorCode = "untrusted-root"
	CodeIntermediateMissing ErrorCode = "intermediate-missing"
	CodeLeafNotAllowed      ErrorCode = "leaf-not-allowed"
	CodePinMismatch         ErrorCode = "pin-mismatch"
	CodeHostnameMismatch    ErrorCode = "hostname-mismatch"
	CodeExpired             ErrorCode = "expired"
	CodeNotYetValid         ErrorCode = "not-yet-valid"
	CodeWeakKey             ErrorCode = "weak-key"
	CodeWeakSignature       ErrorCode = "weak-signature"
	CodeKeyUsage            ErrorCode = "key-usage"
	CodePolicy              ErrorCode = "policy"
	CodeHandshake           ErrorCode = "handshake"
	CodeCustom              ErrorCode = "custom"
)

// CodeOf is the code of a backend verification failure.
func CodeOf(r backendtls.Reason) ErrorCode { return ErrorCode(r.String()) }

// Reason returns the backendtls.Reason of a verification failure's code.
func (c ErrorCode) Reason() (backendtls.Reason, bool) { return backendtls.ParseReason(string(c)) }
