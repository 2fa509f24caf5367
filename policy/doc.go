// Package policy defines TLS policies: which protocol versions, cipher suites and
// key-exchange groups a connection may use. It models Azure Application Gateway's "SSL
// policy" and applies one policy alike to both legs of a gateway: as a server to clients
// on a listener, and as a client to backends.
//
// # Getting a policy
//
// [Default] returns AppGwSslPolicy20220101, the policy Azure applies when none is chosen
// (TLS 1.2 and 1.3, ECDHE suites only). The zero [Policy] means the same wherever a policy
// is applied, so a configuration struct may leave its Policy field unset.
//
// [Predefined] returns one of Azure's five predefined policies by its exact Azure name
// (see [PredefinedNames]):
//
//	p, err := policy.Predefined("AppGwSslPolicy20170401S") // TLS 1.2 only
//
// [Custom] builds a policy with Azure's CustomV2 semantics from a minimum version and an
// ordered list of suite names, Azure's or IANA's, and refuses any name it cannot honour:
//
//	p, err := policy.Custom("TLSv1_2", []string{
//		"ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
//		"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", // IANA spelling works too
//	})
//
// A Policy may also be set by struct literal and checked with [Policy.Validate].
//
// # Applying a policy
//
// [Policy.Apply] sets MinVersion, MaxVersion, CipherSuites and CurvePreferences on a
// tls.Config, or returns the policy's Validate error; [Policy.ServerConfig] returns a
// fresh tls.Config with the policy applied, to which a listener adds its certificates.
// Backend connections get the policy through backendtls.Config.ClientConfig, together
// with their verification. Everything is
// set explicitly, because Go's defaults would otherwise decide: an unset tls.Config
// refuses TLS 1.0 and 1.1 as a client and as a server, and leaves out RSA key exchange and
// 3DES, all of which AppGwSslPolicy20150501 allows. [Policy.Allows] tells whether a
// completed handshake (its version and suite) lies inside the policy, for checking a
// connection after the fact; it does not allocate.
//
// # Names
//
// Versions use Azure's spelling: "TLSv1_0" to "TLSv1_3" ([ParseVersion], [VersionName]).
// Cipher suites use Azure's spelling, the IANA name without its "TLS_" prefix
// ("ECDHE_RSA_WITH_AES_128_GCM_SHA256"), except the TLS 1.3 suites, which keep it
// ("TLS_AES_128_GCM_SHA256"). [ParseCipherSuite] also accepts the IANA spelling used by
// crypto/tls; [CipherSuiteName] always returns Azure's. All names are case-sensitive; a
// near miss is refused with a suggestion of the name probably meant.
//
// # What cipher order means in Go
//
// Azure, like OpenSSL-based servers, treats a policy's suite list as a preference order.
// crypto/tls does not: since Go 1.17 it ignores PreferServerCipherSuites and orders suites
// itself, on both sides, preferring AES-GCM where the hardware accelerates AES and
// ChaCha20-Poly1305 elsewhere. So a Policy's CipherSuites is the set of suites allowed;
// its order is kept only to report the policy as Azure lists it.
//
// TLS 1.3 suites are not configurable in Go either: at TLS 1.3 crypto/tls always offers
// and accepts TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384 and
// TLS_CHACHA20_POLY1305_SHA256. Azure lists only the first two; a policy of this package
// cannot exclude the third, and [Policy.Allows] accepts all three, since they are what a
// handshake can actually produce.
//
// # Dropped suites
//
// Azure's older policies list suites that crypto/tls does not implement: finite-field DHE
// (DHE_RSA_*, and DHE_DSS_* with DSA certificates) and the AES-256-CBC suites with an
// HMAC-SHA256 or HMAC-SHA384 MAC. A predefined policy leaves them out and records each in
// [Policy].Dropped with the reason, so the policy allows a subset of what Azure's allows,
// never more. (Azure's v2 gateways skip the DHE suites silently as well.) A custom policy
// never drops anything: [Custom] refuses a list that names such a suite.
//
// # Key-exchange groups
//
// Every policy of this package prefers X25519, then P-256 and P-384 ([DefaultCurves]).
// When the policy allows TLS 1.3, the hybrid post-quantum group X25519MLKEM768 comes
// first; it exists only in TLS 1.3.
//
// # Concurrency
//
// A Policy is a value and this package keeps no mutable state: every function and method
// is safe for concurrent use, provided no goroutine modifies a Policy's slices while
// another uses it.
package policy
