// Package upstream is the gateway's way to its backends: pool members and
// their endpoints (a member reached with one SNI and expected identity),
// the one dialer and the one backend-TLS builder that the data path, the
// health probes and the dry run all use, the TLS session caches that
// outlive a configuration, the HTTP/1.1 client and its strict response
// parser, and the HTTP/2 transport (net/http's, for settings that offer h2
// to their members).
//
// Trust is decided by backendtls; this package only builds each use's
// *tls.Config from one backendtls.Config (see Trust) and drives the
// handshakes. It never changes member health: it reports failures as
// typed errors (DialError, ErrRequestTimeout, ErrDrained, and
// backendtls.VerificationError), and its caller decides.
package upstream
