// Package clientauth verifies the client certificates of a gateway's
// listeners (mutual TLS at the front door), as Azure Application Gateway's
// SSL profiles do, and computes what the backend is told about the client:
// Azure's client-certificate server variables and Envoy's
// X-Forwarded-Client-Cert header.
//
// # Verifying
//
// A [Config] is one SSL profile's client authentication: the trusted
// client CA chains (Azure's trustedClientCertificates), the issuer DN
// check (verifyClientCertIssuerDN), revocation (verifyClientRevocation:
// None or OCSP, plus CRL files, which Azure lacks), the allowed client
// identities (typed SANs, matched as backendtls matches backend
// identities) and the Mode, Strict or Passthrough. [New] validates it once,
// reporting every problem at once, and compiles it into a [Verifier].
//
// The TLS handshake never fails for a client certificate's sake:
// [Verifier.ConfigureServer] sets tls.RequestClientCert, so crypto/tls
// asks for a certificate (naming the trusted CAs), checks that the client
// holds its key, and completes the handshake with any certificate or none.
// The frontend then calls [Verifier.Verify] with the connection state
// after every handshake, resumed or not, and gets a [Verdict]. This is
// what lets a refused client read why: in Strict mode a verdict that is
// not Allowed is answered with HTTP 400 and [Verdict.Message] ("The client
// certificate has expired", "No required SSL certificate was sent", as
// NGINX and Azure answer), and the request reaches no backend. A TLS alert
// would only say "bad certificate".
//
// Every refusal carries a typed [Reason]: no-certificate, untrusted,
// expired, not-yet-valid, key-usage, issuer-dn-mismatch,
// identity-mismatch, revoked, revocation-unknown. Verdict.Err has the
// details for the log (Verdict implements slog.LogValuer).
//
// # Resumption and cost
//
// crypto/tls restores a resumed session's client certificates from its
// ticket without verifying them again; Verify runs on them as on a full
// handshake, so a certificate revoked, distrusted or expired since its
// first handshake is refused on resumption (tests prove it for CRLs and
// OCSP, at TLS 1.2 and 1.3). Verified verdicts are cached by the SHA-256
// fingerprint of the certificates sent, until the first certificate of the
// chain expires or the revocation answer (CRL or OCSP) reaches its next
// update, whichever comes first: a resumed connection costs a hash and a
// map lookup. Revocations are cached too; other refusals are not.
//
// # Revocation
//
// CRLs (Config.CRLs) must be signed by a trusted CA; a CRL past its
// nextUpdate makes the status unknown unless AllowStaleCRLs is set. OCSP
// (RevocationOCSP) asks the responder named in the certificate (or a
// configured one) with a bounded timeout and caches answers until their
// next update (see package revocation). An unknown status refuses the
// certificate (hard fail, as Azure does when its responder is unreachable)
// unless RevocationSoftFail is set; a revoked certificate is refused
// either way. Give a CRL for every CA that issues client certificates:
// with CRLs configured, a certificate whose issuer has none is unknown.
//
// # Telling the backend
//
// [Verdict.ServerVariable] computes Azure's client_certificate (URL-encoded
// PEM), client_certificate_subject, _issuer, _serial, _fingerprint
// (SHA-1), _start_date, _end_date and _verification (SUCCESS,
// FAILED:<reason>, NONE, PASSTHROUGH), for rewrite rules. [XFCC] computes
// Envoy's X-Forwarded-Client-Cert in its five modes; its zero value
// removes the header, so that a client cannot forge it. All are pure
// functions of the verdict.
//
// # Wiring
//
// Package gateway does this for its listeners (gateway.SSLProfile); a
// server of your own would do the same:
//
//  1. Per listener with an SSL profile: v, err := clientauth.New(cfg);
//     refuse the configuration on error. On the listener's tls.Config (or
//     the one GetConfigForClient returns for its SNI), call
//     v.ConfigureServer. Keep v in the listener's compiled state, which
//     Update and reloads swap atomically; share one revocation.OCSPCache
//     (Config.OCSP.Cache) across the listener's successive Configs.
//  2. After each handshake (tls.Conn.HandshakeContext returned nil, resumed
//     or not), before reading a request: verdict := v.Verify(ctx, &state);
//     keep the verdict with the connection (the gateway's frontend does it
//     in a hook that runs before the connection reaches an HTTP server, and
//     attaches the verdict to the connection's context). With HTTP/2, a
//     connection is verified once; a request whose Host belongs to a
//     listener with another SSL profile than the one the connection was
//     verified under (connection coalescing, Gateway API GEP-91) must get
//     421 Misdirected Request.
//  3. For each request: if !verdict.Allowed, answer 400 with
//     verdict.Message() in the gateway's error page, log verdict.Reason
//     and verdict (LogValue), and send nothing to a backend.
//  4. Before proxying: remove whatever the client sent in the headers that
//     carry these values (rewrite-rule targets, X-Forwarded-Client-Cert
//     unless a forward mode is configured), then set them from
//     verdict.ServerVariable and XFCC.Apply(header, verdict.Forwardable()).
//  5. On a change of the trusted CAs or the CRLs (certsource), build a new
//     Verifier, keep the old one if New fails, and verify again (or drain)
//     the connections verified under the old one: the gateway verifies each
//     again at its next request.
//
// # Security
//
// What a refused client learns is the Reason's message: whether it sent a
// certificate, and whether its own certificate is untrusted, expired, not
// yet valid, of the wrong usage, of the wrong issuer or identity, revoked,
// or of unknown revocation status. It learns no CA name beyond those TLS
// itself sends in the CertificateRequest, no CRL or OCSP detail (dates,
// reasons, responder), and nothing about other clients. revocation-unknown
// tells it that the gateway could not establish the status, which Azure's
// 400 tells as well. Strict mode with hard fail is the default; soft fail
// (RevocationSoftFail) trades a responder outage's denial of service for
// accepting a certificate revoked during the outage; stale CRLs
// (AllowStaleCRLs) accept certificates revoked since the CRL was issued.
// Passthrough forwards requests of unverified clients: the backend must
// check client_certificate_verification, and must trust these values only
// from the gateway.
package clientauth
