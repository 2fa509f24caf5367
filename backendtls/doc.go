// Package backendtls verifies the TLS backends of a gateway: it turns a
// [Config] into a *tls.Config whose verification runs in VerifyConnection,
// on every handshake, resumed ones included, and explains every failure
// with a typed [Reason] and a message that says what to fix.
//
// # Trust modes
//
// A Config combines any of these, modelled on Azure Application Gateway:
//
//   - Trusted root certificates (Azure v2): the chain the backend sends,
//     its leaf followed by its intermediates, must end at one of
//     Config.TrustedRootCertificates. Nothing is fetched and nothing is
//     cached from other backends: a backend that leaves out an
//     intermediate fails with [ReasonIntermediateMissing]. Every trusted
//     root must be self-signed; a self-signed backend certificate may be
//     its own root, which is how a self-signed backend is trusted.
//   - Well-known CAs: with no trust setting at all, or with
//     Config.UseWellKnownCAs, the chain is verified against the system's
//     roots (Config.SystemRoots in tests).
//   - Authentication certificates (Azure v1): the backend's leaf must equal
//     one of Config.AuthenticationCertificates exactly.
//   - Public-key pins: the SHA-256 of the leaf's public key must be one of
//     Config.PinnedPublicKeys ([Pin], [PinOf], [ParsePin]). Pin the current
//     and the next key so that a backend can rotate.
//   - A custom [Verifier], which runs after every built-in check passed.
//
// Pins and authentication certificates replace chain verification unless
// roots or UseWellKnownCAs are also given. Every mode enforces the same
// minimums on the leaf: an RSA key of at least 2048 bits, ECDSA on P-256
// or larger, or Ed25519; no MD5 or SHA-1 signature; serverAuth among its
// extended key usages, if it lists any; and its validity dates, against
// Config.Time. In chain mode they apply to the whole chain.
//
// # Three identities
//
// The address dialled, the SNI sent and the identity expected are kept
// apart. The gateway dials the pool member; Config.ServerName is sent as
// SNI and, unless Config.Identity says otherwise, is the identity expected.
// An IP address is never sent as SNI: it is matched against the
// certificate's IP subject alternative names only. A DNS identity is
// matched per RFC 6125 against the DNS subject alternative names (a
// wildcard covers exactly one left-most label), and against the subject
// common name only when the certificate has no DNS and no IP subject
// alternative name (Config.DisableCommonNameFallback turns that off).
//
// # Typed subject alternative names
//
// Config.SubjectAltNames replaces that name check with a list of typed
// identities, DNS names, URIs (SPIFFE IDs) and IP addresses, any one of
// which suffices, as the Kubernetes Gateway API's BackendTLSPolicy does:
// a backend whose certificate carries only the URI SAN
// "spiffe://example.org/api" is trusted with
//
//	SubjectAltNames: []backendtls.SAN{{Type: backendtls.SANURI, Value: "spiffe://example.org/api"}}
//
// while ServerName is still sent as SNI. DNS names match as above (never
// the common name), URIs exactly, IP addresses against IP SANs. A mismatch
// fails with [ReasonHostnameMismatch]. The matcher, [SANMatcher], is
// exported so that other checks, such as those of client certificates,
// match identities the same way.
//
//	cfg := backendtls.Config{
//		ServerName:              "api.internal.example",
//		TrustedRootCertificates: roots, // from LoadCertificates("roots.pem")
//	}
//	tlsConfig, err := cfg.ClientConfig()
//
// # Reasons
//
// Every failure is a *[VerificationError] carrying a [Reason], the server
// name and identity, and the certificate at fault. [ReasonOf] finds it
// through whatever net/http wraps around it, and
// [ClassifyHandshakeError] turns TLS alerts and handshake failures into
// the same type ([ReasonPolicy], [ReasonHandshake]) while leaving
// connection errors alone. A dialler that runs handshakes itself should
// use [Handshake], which also tells a TLS 1.2 backend's refusal of the
// client certificate from a policy mismatch, which the alert alone cannot. [VerificationError.TLSReason] lets packages
// that cannot import this one recognise such errors. [Check] dry-runs a
// Config against a live backend and reports every check.
//
// # Composing verifiers
//
// The built-in checks are also available on their own and compose with
// [All]: [VerifyPolicy], [VerifyMinimums], [VerifyValidity], [VerifyChain],
// [VerifyIdentity], [VerifySubjectAltNames], [VerifyPins],
// [VerifyAuthenticationCertificates]. A
// custom Verifier in Config.Verifier needs to check only what the
// built-ins do not, such as a SPIFFE ID in a URI subject alternative name.
//
// # Resumption
//
// Sessions resume through Config.SessionCache. Because verification runs
// in VerifyConnection rather than VerifyPeerCertificate, a resumed session
// is verified again against the Config in force, so a pin removed or a
// root distrusted since the first handshake takes effect on resumption.
//
// # Fail closed
//
// [Config.Validate], which ClientConfig, Hook and Check call, refuses a
// Config that would verify no identity (no ServerName, Identity,
// SubjectAltNames, pins or authentication certificates), an intermediate
// given as a trusted root (naming the root to trust instead), weak or
// expired roots, and every other mistake it can see, all at once.
//
// # Security
//
// Config.InsecureSkipVerify turns verification off entirely and is for
// tests only: any certificate for any name is then accepted, and Validate
// refuses it together with any trust setting so that it is never mistaken
// for one. ClientConfig sets tls.Config.InsecureSkipVerify on the result
// because VerifyConnection replaces Go's verification; do not clear
// VerifyConnection on a returned config. Only cs.PeerCertificates serve as
// intermediates, so verification never depends on what other backends
// sent or on certificates fetched from the network.
package backendtls
