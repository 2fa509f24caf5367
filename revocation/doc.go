// Package revocation checks whether certificates have been revoked, by
// certificate revocation lists (CRLs, RFC 5280) and by OCSP (RFC 6960). It
// answers with a [Result] whose [Status] is Good, Revoked or Unknown;
// whether Unknown refuses a certificate (hard fail) or lets it through
// (soft fail) is the caller's policy, not this package's.
//
// # CRLs
//
// [NewCRLSet] takes CRLs (from files: [LoadCRLs], [ParseCRLs]) and the CAs
// they may come from, and verifies each CRL's signature against the CA
// that issued it (by name and key): a CRL from another CA, or one whose
// signature does not verify, is an error, so a forged or misplaced CRL
// never silently revokes or clears anything. Of several CRLs of one CA the
// one with the highest CRL number is kept; delta CRLs are refused.
// [CRLSet.Check] finds the certificate's serial number in its issuer's CRL.
//
// A CRL past its nextUpdate cannot show revocations made since it was
// issued. Check then answers Unknown unless the caller allows stale CRLs:
// failing hard is the safe default, and the error says which CRL to
// replace. A revocation a stale CRL lists still counts. A CA without a CRL
// in the set is Unknown too.
//
// A CRLSet is immutable. CRL files that change are reloaded by building a
// new set (the certsource package watches files) and swapping it in: the
// new CRLs must verify, or the old set stays.
//
// # OCSP
//
// An [OCSPClient] asks the responder that the certificate names in its
// authority information access extension, as Azure Application Gateway
// does, or the one configured (OCSPConfig.ResponderURL), with an HTTP POST
// of a request built by golang.org/x/crypto/ocsp (its CertID hashed with
// SHA-1, which nearly every responder expects: it identifies the
// certificate, the response's signature protects it). The response must be
// signed by the issuer or by a delegated responder certificate that the
// issuer signed, that has the OCSPSigning extended key usage and that is
// valid now; its thisUpdate must not lie in the future (five minutes of
// clock skew are allowed) nor its nextUpdate in the past.
//
// Guarantees:
//   - Bounded time: each query is bounded by OCSPConfig.Timeout (5 s by
//     default); a caller whose context ends sooner gets Unknown at once.
//   - Caching: an answer is kept in an [OCSPCache] until the response's
//     nextUpdate (DefaultTTL, 5 minutes, without one), so a certificate
//     revoked at the responder is refused once the cached answer expires,
//     not before, as Azure documents for its gateway. A failed query is
//     kept for FailureTTL (10 s), so that a burst of handshakes during an
//     outage does not turn into a burst of queries; concurrent checks of
//     one certificate share one query. Share one cache between the clients
//     of successive configurations.
//   - Accounting: [OCSPCache.Stats] counts hits, queries and failures.
//
// A query runs in a goroutine of the cache's own, which ends when the
// query does, within Timeout.
package revocation
