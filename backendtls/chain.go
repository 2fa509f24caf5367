package backendtls

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// VerifyChain returns a Verifier that requires the chain the backend sent
// (its leaf, then intermediates) to end at one of roots, at now(): nothing
// is fetched and nothing is taken from other connections, only
// cs.PeerCertificates[1:] serve as intermediates. Every certificate of the
// chain must be within its validity period ([ReasonExpired],
// [ReasonNotYetValid]), every CA in it must assert CA:TRUE, the chain must
// allow server authentication ([ReasonKeyUsage]), every key must meet the
// minimums of [VerifyMinimums] ([ReasonWeakKey]) and no certificate but
// the root may be signed with MD5 or SHA-1 ([ReasonWeakSignature]).
// Otherwise it fails with [ReasonIntermediateMissing] when the backend left
// out the intermediate that issued its leaf, and [ReasonUntrustedRoot] for
// every other untrusted chain. The host name is not checked: combine with
// [VerifyIdentity].
//
// Every certificate in roots is a trust anchor, as in crypto/x509; a
// self-signed leaf in roots trusts exactly that leaf. If roots is nil, the
// system's roots (x509.SystemCertPool) are used. If now is nil, time.Now is
// used.
func VerifyChain(roots *x509.CertPool, now func() time.Time) Verifier {
	v := &chainVerifier{roots: roots, now: now, wellKnown: roots == nil}
	if v.roots == nil {
		v.roots, v.rootsErr = x509.SystemCertPool()
	}
	if v.now == nil {
		v.now = time.Now
	}
	return v
}

type chainVerifier struct {
	roots    *x509.CertPool
	rootsErr error // from x509.SystemCertPool
	// anchors are the configured trusted roots, for diagnosis; the pool
	// may hold more (the system's).
	anchors   []*x509.Certificate
	wellKnown bool // roots include the system's
	now       func() time.Time
	cache     chainCache
}

var serverAuthUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}

func (v *chainVerifier) VerifyConnection(cs tls.ConnectionState) error { return asError(v.verify(&cs)) }

func (v *chainVerifier) verify(cs *tls.ConnectionState) *VerificationError {
	_, err := v.verifiedChain(cs)
	return err
}

// verifiedChain returns the chain that passed, leaf first, root last.
func (v *chainVerifier) verifiedChain(cs *tls.ConnectionState) ([]*x509.Certificate, *VerificationError) {
	leaf, e := leafOf(cs)
	if e != nil {
		return nil, e
	}
	if v.rootsErr != nil {
		return nil, &VerificationError{
			Reason: ReasonUntrustedRoot, Certificate: leaf, Err: v.rootsErr,
			detail: "the system's well-known CAs are unavailable: " + v.rootsErr.Error(),
			fix:    "install the system's CA certificates (or set SSL_CERT_FILE), or set TrustedRootCertificates",
		}
	}
	certs := cs.PeerCertificates
	now := v.now()
	key, cacheable := chainKeyOf(certs)
	if cacheable {
		if chain, ok := v.cache.get(key, now); ok {
			return chain, nil
		}
	}
	var inters *x509.CertPool
	if len(certs) > 1 {
		inters = x509.NewCertPool()
		for _, c := range certs[1:] {
			inters.AddCert(c)
		}
	}
	chains, err := leaf.Verify(x509.VerifyOptions{
		Roots:         v.roots,
		Intermediates: inters,
		CurrentTime:   now,
		KeyUsages:     serverAuthUsage,
	})
	if err != nil {
		return nil, v.classify(err, certs, now)
	}
	var first *VerificationError
	for _, chain := range chains {
		e := chainProblem(chain)
		if e == nil {
			if cacheable {
				v.cache.put(key, chain)
			}
			return chain, nil
		}
		if first == nil {
			first = e
		}
	}
	return nil, first
}

// chainProblem applies what crypto/x509 does not check to a chain it built:
// the anchor must be a CA unless it is the leaf itself, and the minimums
// apply to every key and to every signature but the anchor's own.
func chainProblem(chain []*x509.Certificate) *VerificationError {
	leaf, anchor := chain[0], chain[len(chain)-1]
	if len(chain) > 1 && !(anchor.BasicConstraintsValid && anchor.IsCA) {
		return &VerificationError{
			Reason: ReasonUntrustedRoot, Certificate: anchor,
			detail: fmt.Sprintf("invalid CA: trusted root %q, which issued the chain of %q, is not a CA (it lacks the CA:TRUE basic constraint)",
				subjectName(anchor), subjectName(leaf)),
			fix: "reissue the root with CA:TRUE, or, for a self-signed backend certificate, trust that certificate itself",
		}
	}
	for i, c := range chain[1:] {
		if p := keyProblem(c); p != "" {
			return weakKeyError(c, p, role(i+1, len(chain)))
		}
	}
	for i, c := range chain[:len(chain)-1] {
		if weakSignature(c) {
			return weakSignatureError(c, role(i, len(chain)))
		}
	}
	return nil
}

// role names the i-th certificate of a chain of n for messages.
func role(i, n int) string {
	switch {
	case i == 0:
		return "backend certificate"
	case i == n-1:
		return "root"
	}
	return "intermediate"
}

func (v *chainVerifier) source() string {
	switch {
	case v.wellKnown && len(v.anchors) > 0:
		return "a trusted root or a well-known CA"
	case v.wellKnown:
		return "a well-known CA"
	}
	return "a trusted root"
}

// classify turns an error of x509.Verify into a VerificationError that
// names the certificate at fault.
func (v *chainVerifier) classify(err error, certs []*x509.Certificate, now time.Time) *VerificationError {
	leaf := certs[0]
	var (
		invalid  x509.CertificateInvalidError
		unknown  x509.UnknownAuthorityError
		insecure x509.InsecureAlgorithmError
	)
	switch {
	case errors.As(err, &invalid):
		c := invalid.Cert
		r := roleIn(c, certs)
		switch invalid.Reason {
		case x509.Expired:
			if e := checkValidity(c, now, r); e != nil {
				e.Err = err
				return e
			}
		case x509.NotAuthorizedToSign:
			return &VerificationError{
				Reason: ReasonUntrustedRoot, Certificate: c, Err: err,
				detail: fmt.Sprintf("%s %q is not a CA (it lacks the CA:TRUE basic constraint) and cannot issue %q",
					r, subjectName(c), subjectName(leaf)),
				fix: "have the backend send the right intermediate, or reissue that one as a CA",
			}
		case x509.IncompatibleUsage:
			for _, c := range certs[1:] {
				if !allowsServerAuth(c) {
					e := keyUsageError(c, roleIn(c, certs))
					e.Err = err
					return e
				}
			}
			e := keyUsageError(leaf, "backend certificate")
			e.Err = err
			return e
		}
	case errors.As(err, &unknown):
		return v.diagnoseUnknown(err, certs)
	case errors.As(err, &insecure):
		for i, c := range certs {
			if weakSignature(c) {
				e := weakSignatureError(c, role(i, len(certs)+1))
				e.Err = err
				return e
			}
		}
	}
	return &VerificationError{
		Reason: ReasonUntrustedRoot, Certificate: leaf, Err: err,
		detail: fmt.Sprintf("backend certificate chain of %q does not verify: %v", subjectName(leaf), err),
		fix:    "fix the backend's certificate chain, or the trusted roots",
	}
}

func roleIn(c *x509.Certificate, certs []*x509.Certificate) string {
	switch {
	case c.Equal(certs[0]):
		return "backend certificate"
	case selfSigned(c):
		return "root"
	}
	return "intermediate"
}

// diagnoseUnknown explains an x509.UnknownAuthorityError by following the
// chain the backend sent, from the leaf up, as far as it goes.
func (v *chainVerifier) diagnoseUnknown(err error, certs []*x509.Certificate) *VerificationError {
	leaf := certs[0]
	path := []*x509.Certificate{leaf}
	top := leaf
	for len(path) <= len(certs) && !selfSigned(top) {
		parent := issuerAmong(top, certs[1:])
		if parent == nil || slices.ContainsFunc(path, parent.Equal) {
			break
		}
		if weakSignature(top) {
			e := weakSignatureError(top, roleIn(top, certs))
			e.Err = err
			return e
		}
		if !parent.IsCA {
			return &VerificationError{
				Reason: ReasonUntrustedRoot, Certificate: parent, Err: err,
				detail: fmt.Sprintf("%s %q, which issued %q, is not a CA (it lacks the CA:TRUE basic constraint)",
					roleIn(parent, certs), subjectName(parent), subjectName(top)),
				fix: "have the backend send the right intermediate, or reissue that one as a CA",
			}
		}
		path = append(path, parent)
		top = parent
	}
	e := &VerificationError{Reason: ReasonUntrustedRoot, Certificate: top, Err: err}
	switch {
	case selfSigned(top) && top == leaf:
		e.detail = fmt.Sprintf("backend certificate %q is self-signed and is not %s", subjectName(leaf), v.source())
		e.fix = "add this certificate to TrustedRootCertificates (a self-signed certificate may be its own root), or pin its key"
	case selfSigned(top):
		e.detail = fmt.Sprintf("backend certificate chain of %q ends at root %q, which is not %s", subjectName(leaf), subjectName(top), v.source())
		e.fix = "add that root to TrustedRootCertificates if it is the right one, or install a certificate from a trusted root on the backend"
	case weakSignature(top) && (v.anchorNamed(top.RawIssuer) != nil || strings.Contains(err.Error(), "insecure algorithm")):
		// crypto/x509 refused the signature and says so only in a hint.
		e = weakSignatureError(top, roleIn(top, certs))
		e.Err = err
		return e
	case invalidCA(v.anchorNamed(top.RawIssuer), top):
		anchor := v.anchorNamed(top.RawIssuer)
		e.Certificate = anchor
		e.detail = fmt.Sprintf("invalid CA: trusted root %q, which issued the chain of %q, is not a CA (it lacks the CA:TRUE basic constraint)",
			subjectName(anchor), subjectName(leaf))
		e.fix = "reissue the root with CA:TRUE, or, for a self-signed backend certificate, trust that certificate itself"
	case v.anchorNamed(top.RawIssuer) != nil:
		e.detail = fmt.Sprintf("%s %q names %q as its issuer, but the trusted root of that name did not sign it (its key differs)",
			roleIn(top, certs), subjectName(top), top.Issuer.String())
		e.fix = "add the root that really issued it to TrustedRootCertificates, or install a certificate from the trusted root on the backend"
	case top == leaf:
		e.Reason = ReasonIntermediateMissing
		e.Certificate = leaf
		e.detail = fmt.Sprintf("backend sent its certificate %q without the intermediate %q that issued it, and %q is not %s",
			subjectName(leaf), leaf.Issuer.String(), leaf.Issuer.String(), v.source())
		e.fix = fmt.Sprintf("configure the backend to send its full chain (leaf, then intermediates); if %q is a root, add it to TrustedRootCertificates", leaf.Issuer.String())
	default:
		e.detail = fmt.Sprintf("backend certificate chain of %q ends at intermediate %q, issued by %q, which is not %s",
			subjectName(leaf), subjectName(top), top.Issuer.String(), v.source())
		e.fix = fmt.Sprintf("add the root %q to TrustedRootCertificates, or install a certificate from a trusted root on the backend", top.Issuer.String())
	}
	return e
}

// invalidCA reports whether anchor, a trusted root that is not a CA,
// signed c.
func invalidCA(anchor, c *x509.Certificate) bool {
	return anchor != nil && !(anchor.BasicConstraintsValid && anchor.IsCA) &&
		anchor.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
}

// issuerAmong returns the certificate among candidates whose subject is
// child's issuer and whose key signed child, or nil.
func issuerAmong(child *x509.Certificate, candidates []*x509.Certificate) *x509.Certificate {
	for _, p := range candidates {
		if !bytes.Equal(p.RawSubject, child.RawIssuer) {
			continue
		}
		err := p.CheckSignature(child.SignatureAlgorithm, child.RawTBSCertificate, child.Signature)
		var insecure x509.InsecureAlgorithmError
		if err == nil || errors.As(err, &insecure) {
			return p
		}
	}
	return nil
}

func (v *chainVerifier) anchorNamed(rawName []byte) *x509.Certificate {
	for _, a := range v.anchors {
		if bytes.Equal(a.RawSubject, rawName) {
			return a
		}
	}
	return nil
}

// Chain building costs two signature verifications or more, on resumed
// handshakes too, where it dominates. A chainCache remembers the chains a
// chainVerifier has verified, keyed by the certificates the backend sent.
// crypto/tls hands out one *x509.Certificate per distinct DER while any
// holder keeps it alive (as the cache does), so a backend that keeps
// sending the same chain hits the cache. A hit is valid as long as the
// trust (fixed per chainVerifier) is unchanged and the time lies within
// every certificate's validity period; outside it, the chain is built
// again, which also finds another valid path if there is one.
const (
	chainCacheSize = 256 // entries; the cache is cleared when full
	maxCachedChain = 4   // certificates sent; longer chains are not cached
)

// chainKey is the certificates the backend sent, leaf first, nil-padded.
type chainKey [maxCachedChain]*x509.Certificate

func chainKeyOf(certs []*x509.Certificate) (chainKey, bool) {
	var k chainKey
	if len(certs) > maxCachedChain {
		return k, false
	}
	copy(k[:], certs)
	return k, true
}

type cachedChain struct {
	chain               []*x509.Certificate
	notBefore, notAfter time.Time // when every certificate of chain is valid
}

type chainCache struct {
	mu sync.RWMutex
	m  map[chainKey]cachedChain
}

func (c *chainCache) get(k chainKey, now time.Time) ([]*x509.Certificate, bool) {
	c.mu.RLock()
	e, ok := c.m[k]
	c.mu.RUnlock()
	if !ok || now.Before(e.notBefore) || now.After(e.notAfter) {
		return nil, false
	}
	return e.chain, true
}

func (c *chainCache) put(k chainKey, chain []*x509.Certificate) {
	e := cachedChain{chain: chain, notBefore: chain[0].NotBefore, notAfter: chain[0].NotAfter}
	for _, cert := range chain[1:] {
		if cert.NotBefore.After(e.notBefore) {
			e.notBefore = cert.NotBefore
		}
		if cert.NotAfter.Before(e.notAfter) {
			e.notAfter = cert.NotAfter
		}
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= chainCacheSize {
		c.m = make(map[chainKey]cachedChain)
	}
	c.m[k] = e
	c.mu.Unlock()
}
