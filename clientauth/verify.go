package clientauth

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/e2etls/e2etls/revocation"
)

var clientAuthUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}

// Verify decides on the client certificate of a connection whose TLS
// handshake has completed, resumed or not: call it after every handshake
// (on resumption, crypto/tls restores the certificates from the session
// ticket, and a certificate revoked, distrusted or expired since is
// refused now). cs may be nil, which is a connection without a
// certificate. ctx bounds an OCSP query; the query itself is bounded by
// the OCSP timeout.
//
// In Strict mode a verdict that is not Allowed must be answered with HTTP
// 400 and [Verdict.Message], and nothing may reach a backend. A verified
// verdict is cached by the fingerprint of the certificates sent, until the
// first of: a certificate of the chain expires, the revocation answer's
// next update (CRL or OCSP); so resumed and repeated connections of a
// client cost a hash and a lookup. Verdicts that refuse are not cached,
// except revocations.
func (v *Verifier) Verify(ctx context.Context, cs *tls.ConnectionState) Verdict {
	var certs []*x509.Certificate
	if cs != nil {
		certs = cs.PeerCertificates
	}
	return v.VerifyCertificates(ctx, certs)
}

// VerifyCertificates is Verify for the certificates a client sent, its own
// first.
func (v *Verifier) VerifyCertificates(ctx context.Context, certs []*x509.Certificate) Verdict {
	verdict := Verdict{Mode: v.mode, PeerCertificates: certs}
	if len(certs) == 0 || certs[0] == nil {
		verdict.PeerCertificates = nil
		verdict.Reason = ReasonNoCertificate
		verdict.Err = errors.New("clientauth: the client sent no certificate")
		verdict.Allowed = v.mode == Passthrough
		return verdict
	}
	verdict.Certificate = certs[0]
	if !v.verify {
		verdict.Allowed = true // Passthrough without trusted CAs: not checked
		return verdict
	}
	now := v.now()
	var key fingerprint
	if v.cache != nil {
		key = fingerprintOf(certs)
		if cached, ok := v.cache.get(key, now); ok {
			cached.Cached = true
			cached.PeerCertificates = certs
			return cached
		}
	}
	until := v.check(ctx, &verdict, now)
	verdict.Allowed = verdict.Verified || v.mode == Passthrough
	if v.cache != nil && (verdict.Verified || verdict.Reason == ReasonRevoked) {
		v.cache.put(key, verdict, until)
	}
	return verdict
}

// check runs every check and fills in verdict; it returns until when a
// verified or revoked verdict holds.
func (v *Verifier) check(ctx context.Context, verdict *Verdict, now time.Time) time.Time {
	leaf := verdict.Certificate
	fail := func(r Reason, err error) time.Time {
		verdict.Reason, verdict.Err = r, err
		return time.Time{}
	}
	var inters *x509.CertPool
	if len(verdict.PeerCertificates) > 1 {
		inters = v.inters.Clone()
		for _, c := range verdict.PeerCertificates[1:] {
			if c != nil {
				inters.AddCert(c)
			}
		}
	} else {
		inters = v.inters
	}
	chains, err := leaf.Verify(x509.VerifyOptions{
		Roots: v.roots, Intermediates: inters, CurrentTime: now, KeyUsages: clientAuthUsage,
	})
	if err != nil {
		r, detail := classify(err, leaf, verdict.PeerCertificates, now)
		return fail(r, fmt.Errorf("clientauth: client certificate %q (issuer %q, serial %s): %s: %w", name(leaf), leaf.Issuer.String(), Serial(leaf), detail, err))
	}

	chain := chains[0]
	if v.checkIssuerDN {
		chain = nil
		for _, c := range chains {
			if v.issuerDNMatches(leaf, c[len(c)-1]) {
				chain = c
				break
			}
		}
		if chain == nil {
			return fail(ReasonIssuerDNMismatch, fmt.Errorf("clientauth: client certificate %q was issued by %q, which is not the issuer DN of its trusted chain (%s)",
				name(leaf), leaf.Issuer.String(), v.expectedIssuers(chains)))
		}
	}

	if v.identities != nil {
		san, ok := v.identities.Match(leaf)
		if !ok {
			return fail(ReasonIdentityMismatch, fmt.Errorf("clientauth: client certificate %q has none of the allowed identities (%s)", name(leaf), v.identities))
		}
		verdict.Identity = san
	}

	until := leaf.NotAfter
	for _, c := range chain {
		if c.NotAfter.Before(until) {
			until = c.NotAfter
		}
	}

	if len(chain) > 1 && (v.crls != nil || v.ocsp != nil) {
		res := v.revocation(ctx, leaf, chain[1], now)
		verdict.Revocation = res
		switch res.Status {
		case revocation.Revoked:
			return fail(ReasonRevoked, fmt.Errorf("clientauth: client certificate %q (serial %s) was revoked at %s (%s, by %s)",
				name(leaf), Serial(leaf), res.RevokedAt.UTC().Format(time.RFC3339), revocation.ReasonName(res.ReasonCode), res.Method)) // cached below until the chain expires
		case revocation.Unknown:
			if !v.softFail {
				verdict.Reason, verdict.Err = ReasonRevocationUnknown, fmt.Errorf("clientauth: client certificate %q: revocation status unknown: %w", name(leaf), res.Err)
				return time.Time{}
			}
		}
		if !res.Until.IsZero() && res.Until.Before(until) {
			until = res.Until
		}
	}
	verdict.Verified = true
	verdict.Chain = chain
	return until
}

// revocation checks leaf, issued by issuer, by CRL then OCSP: revoked by
// either is revoked; unknown by either (and revoked by neither) is
// unknown. Until is the earliest bound of the answers used.
func (v *Verifier) revocation(ctx context.Context, leaf, issuer *x509.Certificate, now time.Time) revocation.Result {
	var results []revocation.Result
	if v.crls != nil {
		r := v.crls.Check(leaf, issuer, now, v.allowStaleCRLs)
		if r.Status == revocation.Revoked {
			return r
		}
		results = append(results, r)
	}
	if v.ocsp != nil {
		r := v.ocsp.Check(ctx, leaf, issuer)
		if r.Status == revocation.Revoked {
			return r
		}
		results = append(results, r)
	}
	out := results[0]
	for _, r := range results[1:] {
		if r.Status == revocation.Unknown && out.Status != revocation.Unknown {
			until := out.Until
			out = r
			if !until.IsZero() && (out.Until.IsZero() || until.Before(out.Until)) {
				out.Until = until
			}
			continue
		}
		if !r.Until.IsZero() && (out.Until.IsZero() || r.Until.Before(out.Until)) {
			out.Until = r.Until
		}
	}
	return out
}

// issuerDNMatches reports whether leaf's issuer is the issuer DN of an
// entry that holds root.
func (v *Verifier) issuerDNMatches(leaf, root *x509.Certificate) bool {
	for _, e := range v.entries {
		for _, r := range e.roots {
			if r.Equal(root) && bytes.Equal(leaf.RawIssuer, e.issuerDN) {
				return true
			}
		}
	}
	return false
}

func (v *Verifier) expectedIssuers(chains [][]*x509.Certificate) string {
	var out []string
	for _, e := range v.entries {
		for _, c := range chains {
			if i := indexRoot(e.roots, c[len(c)-1]); i >= 0 {
				out = append(out, fmt.Sprintf("%q", e.issuer))
				break
			}
		}
	}
	if len(out) == 0 {
		return "none"
	}
	return "expected " + joinOr(out)
}

func indexRoot(roots []*x509.Certificate, c *x509.Certificate) int {
	for i, r := range roots {
		if r.Equal(c) {
			return i
		}
	}
	return -1
}

func joinOr(s []string) string {
	switch len(s) {
	case 1:
		return s[0]
	case 2:
		return s[0] + " or " + s[1]
	}
	out := ""
	for i, x := range s {
		if i > 0 {
			out += ", "
		}
		if i == len(s)-1 {
			out += "or "
		}
		out += x
	}
	return out
}

// classify maps an error of x509.Verify to a Reason and a detail.
func classify(err error, leaf *x509.Certificate, sent []*x509.Certificate, now time.Time) (Reason, string) {
	var invalid x509.CertificateInvalidError
	var unknown x509.UnknownAuthorityError
	switch {
	case errors.As(err, &invalid):
		c := invalid.Cert
		if c == nil {
			c = leaf
		}
		switch invalid.Reason {
		case x509.Expired:
			if now.Before(c.NotBefore) {
				return ReasonNotYetValid, fmt.Sprintf("%q is not valid until %s", name(c), c.NotBefore.UTC().Format(time.RFC3339))
			}
			return ReasonExpired, fmt.Sprintf("%q expired at %s", name(c), c.NotAfter.UTC().Format(time.RFC3339))
		case x509.IncompatibleUsage:
			return ReasonKeyUsage, "its extended key usages (or its chain's) do not include clientAuth"
		}
		return ReasonUntrusted, "its chain is invalid"
	case errors.As(err, &unknown):
		if len(sent) > 1 {
			return ReasonUntrusted, "it does not chain to a trusted CA, with the configured intermediates or those the client sent"
		}
		return ReasonUntrusted, "it does not chain to a trusted CA (the client sent no intermediate)"
	}
	return ReasonUntrusted, "it does not verify"
}

// The verdict cache.

const defaultVerdictCacheSize = 4096

// fingerprint is the SHA-256 of the certificates a client sent.
type fingerprint [sha256.Size]byte

func fingerprintOf(certs []*x509.Certificate) fingerprint {
	h := sha256.New()
	var n [4]byte
	for _, c := range certs {
		if c == nil {
			continue
		}
		binary.BigEndian.PutUint32(n[:], uint32(len(c.Raw)))
		h.Write(n[:])
		h.Write(c.Raw)
	}
	var f fingerprint
	h.Sum(f[:0])
	return f
}

type cachedVerdict struct {
	v         Verdict
	notBefore time.Time // the latest NotBefore of the chain
	until     time.Time
}

type verdictCache struct {
	max int
	mu  sync.RWMutex
	m   map[fingerprint]cachedVerdict
}

func (c *verdictCache) get(k fingerprint, now time.Time) (Verdict, bool) {
	c.mu.RLock()
	e, ok := c.m[k]
	c.mu.RUnlock()
	if !ok || now.Before(e.notBefore) || !now.Before(e.until) {
		return Verdict{}, false
	}
	return e.v, true
}

// put caches a verdict until until (a zero until, for a revocation, means
// until the client's certificate expires).
func (c *verdictCache) put(k fingerprint, v Verdict, until time.Time) {
	e := cachedVerdict{v: v, until: until, notBefore: v.Certificate.NotBefore}
	if until.IsZero() {
		e.until = v.Certificate.NotAfter
	}
	for _, cert := range v.Chain {
		if cert.NotBefore.After(e.notBefore) {
			e.notBefore = cert.NotBefore
		}
	}
	c.mu.Lock()
	if len(c.m) >= c.max {
		clear(c.m)
	}
	c.m[k] = e
	c.mu.Unlock()
}
