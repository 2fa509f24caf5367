// Package tlstest mints certificates in memory and runs HTTPS backends on
// loopback, for testing code that verifies TLS peers (backends, and clients
// of mutual TLS), in the manner of net/http/httptest.
//
// # Certificates
//
// [NewRoot] mints a self-signed CA; [Cert.NewIntermediate] and
// [Cert.NewLeaf] issue from it; [NewSelfSignedLeaf] mints the self-signed
// server certificate that many backends serve. Every constructor takes an
// [Options] whose zero value gives a sensible certificate: an RSA-2048 key,
// valid from an hour ago to a day from now, serverAuth for leaves:
//
//	root := tlstest.NewRoot(tlstest.Options{})
//	inter := root.NewIntermediate(tlstest.Options{})
//	leaf := inter.NewLeaf(tlstest.Options{DNSNames: []string{"backend.example"}})
//
// Options also mint the broken certificates a verifier must refuse: expired
// or not yet valid ones (NotBefore, NotAfter), weak keys (KeyType RSA1024 or
// ECDSAP224), weak signatures (SignatureAlgorithm x509.SHA1WithRSA or
// x509.MD5WithRSA, which x509.CreateCertificate itself refuses to make),
// wrong key usage (ExtKeyUsage), and a self-signed "root" without CA:TRUE
// (NotCA).
//
// For mutual TLS, [Cert.NewClientLeaf] mints client certificates (the
// clientAuth extended key usage; name them with a SPIFFE ID in Options.URIs,
// with Options.EmptySubject as SPIFFE issues them), and Options.OCSPServers
// writes a responder URL into a certificate's authority information access.
//
// [Cert.FullChain] is the chain a correctly configured server presents (the
// leaf and its intermediates, without the root); [Cert.TLSCertificate]
// presents exactly the certificates given, to serve an incomplete or
// misordered chain.
//
// RSA key generation is slow, so RSA keys come from a small per-process pool
// (see [NewKey]). Certificates that must have distinct keys, such as the
// current and next key of a pin set, should use ECDSA or Ed25519 key types or
// set Options.Key.
//
// # Revocation
//
// [Cert.NewCRL] issues a certificate revocation list signed by a CA, with
// the revoked certificates, dates and CRL number of [CRLOptions]; [CRLPEM]
// writes it as a CRL file. [NewOCSPResponder] runs a real OCSP responder,
// `openssl ocsp` as a server, for a CA, signing with the CA or with a
// delegated responder certificate ([Cert.NewOCSPResponder]); mark
// certificates [OCSPResponder.Good] or [OCSPResponder.Revoke] them while it
// runs. It needs the openssl command and returns an error wrapping
// [ErrNoOpenSSL] without it: a test should then skip, unless
// E2ETLS_REQUIRE_OPENSSL is set (CI sets it), and fail.
//
// # Servers
//
// [NewServer] starts an HTTPS server on 127.0.0.1 (or ::1) that answers
// every request with an [Echo] in JSON: what it saw of the request and of
// the TLS connection (SNI, version, cipher suite, resumption). Its Addr,
// URL and [Server.Port] say where it listens (the port is a pool member's,
// with no address to parse). The server counts handshakes ([Server.Handshakes], [Server.ResumedHandshakes]),
// records the last SNI ([Server.LastSNI]), issues session tickets so that
// clients can resume, and can rotate its certificate while running
// ([Server.SetCertificate]). With ServerOptions.ClientCAs it requires a
// client certificate, like a backend that wants mutual TLS.
//
// # Failures
//
// Like net/http/httptest, and so that examples as well as tests can use it,
// the package takes no testing.TB: functions panic when given unusable
// options or when something that cannot fail in a healthy process fails
// (key generation, listening on loopback). NewOCSPResponder, which runs an
// external command that may be missing, returns an error instead.
package tlstest
