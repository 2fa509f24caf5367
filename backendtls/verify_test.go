package backendtls

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/url"
	"testing"
	"time"

	"github.com/e2etls/e2etls/backendtls/tlstest"
	"github.com/e2etls/e2etls/policy"
)

// handshakeCase is one row of TestHandshake: a backend serving cert (with
// server options) and a client Config.
type handshakeCase struct {
	name    string
	cert    tls.Certificate
	server  func(*tlstest.ServerOptions) // nil: defaults
	anyVer  bool                         // the server picks its own versions
	cfg     Config
	want    Reason // 0: success
	wantMsg string // exact message, if not ""
	wantSNI *string
	only    uint16 // run at this version only
	want12  Reason // if not 0, want at TLS 1.2
	noCert  bool   // the error names no certificate
}

func strp(s string) *string { return &s }

func handshakeCases() []handshakeCase {
	p := newPKI()
	roots := x509s(p.root)

	otherDirect := p.otherRoot.NewLeaf(ec("backend.example", dns("backend.example")))
	self := tlstest.NewSelfSignedLeaf(ec("self.example", dns("self.example")))
	wild := p.inter.NewLeaf(ec("wildcard", dns("*.svc.example")))
	cnOnly := p.inter.NewLeaf(ec("legacy.example"))
	rsa := p.inter.NewLeaf(ec("backend.example", dns("backend.example"), func(o *tlstest.Options) { o.KeyType = tlstest.RSA2048 }))
	ed := p.inter.NewLeaf(ec("backend.example", dns("backend.example"), func(o *tlstest.Options) { o.KeyType = tlstest.Ed25519 }))
	spiffe, _ := url.Parse("spiffe://example.org/api")
	withURI := p.inter.NewLeaf(ec("backend.example", dns("backend.example"), func(o *tlstest.Options) { o.URIs = []*url.URL{spiffe} }))
	// A workload certificate as SPIFFE issues it: a URI SAN and nothing else.
	uriOnly := p.inter.NewLeaf(ec("", func(o *tlstest.Options) { o.EmptySubject, o.URIs = true, []*url.URL{spiffe} }))
	ipOnly := p.inter.NewLeaf(ec("ip", func(o *tlstest.Options) { o.IPAddresses = []net.IP{net.ParseIP("10.1.2.3")} }))
	sans := func(c Config, list ...SAN) Config { c.SubjectAltNames = list; return c }
	uriSAN := SAN{Type: SANURI, Value: "spiffe://example.org/api"}

	notCARoot := tlstest.NewRoot(ec("Flat Root", func(o *tlstest.Options) { o.NotCA = true }))
	notCALeaf := notCARoot.NewLeaf(ec("backend.example", dns("backend.example")))

	expired := p.inter.NewLeaf(ec("backend.example", dns("backend.example"), func(o *tlstest.Options) {
		o.NotAfter = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	}))
	future := p.inter.NewLeaf(ec("backend.example", dns("backend.example"), func(o *tlstest.Options) {
		o.NotBefore = time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)
	}))
	expiredInter := p.root.NewIntermediate(ec("Expired Intermediate", func(o *tlstest.Options) {
		o.NotAfter = time.Date(2029, 1, 1, 0, 0, 0, 0, time.UTC)
	}))
	underExpired := expiredInter.NewLeaf(ec("backend.example", dns("backend.example")))

	weakRSA := p.inter.NewLeaf(ec("backend.example", dns("backend.example"), func(o *tlstest.Options) { o.KeyType = tlstest.RSA1024 }))
	weakEC := p.inter.NewLeaf(ec("backend.example", dns("backend.example"), func(o *tlstest.Options) { o.KeyType = tlstest.ECDSAP224 }))
	weakInter := p.root.NewIntermediate(ec("Weak Intermediate", func(o *tlstest.Options) { o.KeyType = tlstest.RSA1024 }))
	underWeak := weakInter.NewLeaf(ec("backend.example", dns("backend.example")))

	rsaRoot := tlstest.NewRoot(ec("RSA Root", func(o *tlstest.Options) { o.KeyType = tlstest.RSA2048 }))
	sha1Leaf := rsaRoot.NewLeaf(ec("backend.example", dns("backend.example"), func(o *tlstest.Options) { o.SignatureAlgorithm = x509.SHA1WithRSA }))
	sha1Inter := rsaRoot.NewIntermediate(ec("SHA1 Intermediate", func(o *tlstest.Options) { o.SignatureAlgorithm = x509.SHA1WithRSA }))
	underSHA1 := sha1Inter.NewLeaf(ec("backend.example", dns("backend.example")))
	md5Self := tlstest.NewSelfSignedLeaf(ec("md5.example", dns("md5.example"), func(o *tlstest.Options) {
		o.KeyType, o.SignatureAlgorithm = tlstest.RSA2048, x509.MD5WithRSA
	}))

	clientOnly := p.inter.NewLeaf(ec("backend.example", dns("backend.example"), func(o *tlstest.Options) {
		o.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}))
	noEKU := p.inter.NewLeaf(ec("backend.example", dns("backend.example"), func(o *tlstest.Options) { o.NoExtKeyUsage = true }))
	clientInter := p.root.NewIntermediate(ec("Client Intermediate", func(o *tlstest.Options) {
		o.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}))
	underClientInter := clientInter.NewLeaf(ec("backend.example", dns("backend.example")))

	clientRoot := tlstest.NewRoot(ec("Client Root"))
	gatewayCert := clientRoot.NewLeaf(ec("gateway", func(o *tlstest.Options) {
		o.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}))
	requireClientCert := func(o *tlstest.ServerOptions) { o.ClientCAs = clientRoot.Pool() }

	chain := func(sn string) Config {
		return Config{ServerName: sn, TrustedRootCertificates: roots, Time: clock}
	}
	with := func(c Config, f func(*Config)) Config { f(&c); return c }

	return []handshakeCase{
		// Success.
		{name: "chain with intermediate", cert: p.leaf.FullChain(), cfg: chain("backend.example"), wantSNI: strp("backend.example")},
		{name: "trailing dot and case", cert: p.leaf.FullChain(), cfg: chain("Backend.Example.")},
		{name: "self-signed leaf as its own root", cert: self.FullChain(),
			cfg: Config{ServerName: "self.example", TrustedRootCertificates: x509s(self), Time: clock}},
		{name: "authentication certificate", cert: p.leaf.FullChain(),
			cfg: Config{ServerName: "backend.example", AuthenticationCertificates: x509s(p.other, p.leaf), Time: clock}},
		{name: "authentication certificate, self-signed", cert: self.FullChain(),
			cfg: Config{ServerName: "self.example", AuthenticationCertificates: x509s(self), Time: clock}},
		{name: "pins only, no identity", cert: self.FullChain(),
			cfg: Config{PinnedPublicKeys: []Pin{PinOf(p.leaf.Certificate), PinOf(self.Certificate)}, Time: clock}, wantSNI: strp("")},
		{name: "pins and chain", cert: p.leaf.FullChain(),
			cfg: with(chain("backend.example"), func(c *Config) { c.PinnedPublicKeys = []Pin{PinOf(p.leaf.Certificate)} })},
		{name: "wildcard", cert: wild.FullChain(), cfg: chain("api.svc.example")},
		{name: "IP SAN, no SNI", cert: p.leaf.FullChain(), cfg: chain("127.0.0.1"), wantSNI: strp("")},
		{name: "identity apart from SNI", cert: p.leaf.FullChain(),
			cfg: with(chain("front.example"), func(c *Config) { c.Identity = "backend.example" }), wantSNI: strp("front.example")},
		{name: "CN-only certificate", cert: cnOnly.FullChain(), cfg: chain("legacy.example")},
		{name: "well-known CAs", cert: p.leaf.FullChain(),
			cfg: Config{ServerName: "backend.example", SystemRoots: pool(p.root), Time: clock}},
		{name: "well-known CAs and pins", cert: p.leaf.FullChain(),
			cfg: Config{ServerName: "backend.example", SystemRoots: pool(p.root), UseWellKnownCAs: true,
				PinnedPublicKeys: []Pin{PinOf(p.leaf.Certificate)}, Time: clock}},
		{name: "RSA leaf", cert: rsa.FullChain(), cfg: chain("backend.example")},
		{name: "Ed25519 leaf", cert: ed.FullChain(), cfg: chain("backend.example")},
		{name: "no extended key usage", cert: noEKU.FullChain(), cfg: chain("backend.example")},
		{name: "client certificate presented", cert: p.leaf.FullChain(), server: requireClientCert,
			cfg: with(chain("backend.example"), func(c *Config) { c.ClientCertificates = []tls.Certificate{gatewayCert.FullChain()} })},
		{name: "custom verifier accepts", cert: withURI.FullChain(),
			cfg: with(chain("backend.example"), func(c *Config) { c.Verifier = requireURI("spiffe://example.org/api") })},
		{name: "insecure", cert: self.FullChain(), cfg: Config{ServerName: "anything.example", InsecureSkipVerify: true}},
		{name: "SAN: URI-only certificate", cert: uriOnly.FullChain(), cfg: sans(chain("backend.example"), uriSAN), wantSNI: strp("backend.example")},
		{name: "SAN: URI-only certificate, no SNI", cert: uriOnly.FullChain(), cfg: sans(Config{TrustedRootCertificates: roots, Time: clock}, uriSAN), wantSNI: strp("")},
		{name: "SAN: any of the list", cert: p.leaf.FullChain(),
			cfg: sans(chain("front.example"), SAN{SANDNS, "nope.example"}, SAN{SANURI, "spiffe://example.org/nope"}, SAN{SANDNS, "BACKEND.example."})},
		{name: "SAN: wildcard certificate", cert: wild.FullChain(), cfg: sans(chain("front.example"), SAN{SANDNS, "api.svc.example"})},
		{name: "SAN: IP", cert: ipOnly.FullChain(), cfg: sans(chain("front.example"), SAN{SANDNS, "ip.example"}, SAN{SANIP, "10.1.2.3"})},
		{name: "SAN: IPv4-mapped IPv6", cert: ipOnly.FullChain(), cfg: sans(chain("front.example"), SAN{SANIP, "::ffff:10.1.2.3"})},
		{name: "SAN replaces the SNI check", cert: withURI.FullChain(), cfg: sans(chain("unrelated.example"), uriSAN), wantSNI: strp("unrelated.example")},

		// Failure, one or more per reason.
		{name: "untrusted root", cert: p.other.FullChain(), cfg: chain("backend.example"), want: ReasonUntrustedRoot,
			wantMsg: `backendtls: backend "backend.example": backend certificate chain of "CN=backend.example" ends at intermediate "CN=Other Intermediate", issued by "CN=Other Root", which is not a trusted root; add the root "CN=Other Root" to TrustedRootCertificates, or install a certificate from a trusted root on the backend`},
		// Without an intermediate, a leaf issued by an untrusted root cannot be
		// told from one whose intermediate is missing: the message covers both.
		{name: "leaf issued by an untrusted root", cert: otherDirect.FullChain(), cfg: chain("backend.example"), want: ReasonIntermediateMissing,
			wantMsg: `backendtls: backend "backend.example": backend sent its certificate "CN=backend.example" without the intermediate "CN=Other Root" that issued it, and "CN=Other Root" is not a trusted root; configure the backend to send its full chain (leaf, then intermediates); if "CN=Other Root" is a root, add it to TrustedRootCertificates`},
		{name: "untrusted root sent by backend", cert: p.other.TLSCertificate(p.other.Issuer, p.otherRoot), cfg: chain("backend.example"), want: ReasonUntrustedRoot,
			wantMsg: `backendtls: backend "backend.example": backend certificate chain of "CN=backend.example" ends at root "CN=Other Root", which is not a trusted root; add that root to TrustedRootCertificates if it is the right one, or install a certificate from a trusted root on the backend`},
		{name: "untrusted intermediate's root", cert: p.leaf.FullChain(), cfg: Config{ServerName: "backend.example", TrustedRootCertificates: x509s(p.otherRoot), Time: clock},
			want:    ReasonUntrustedRoot,
			wantMsg: `backendtls: backend "backend.example": backend certificate chain of "CN=backend.example" ends at intermediate "CN=Test Intermediate", issued by "CN=Test Root", which is not a trusted root; add the root "CN=Test Root" to TrustedRootCertificates, or install a certificate from a trusted root on the backend`},
		{name: "self-signed leaf not trusted", cert: self.FullChain(), cfg: chain("self.example"), want: ReasonUntrustedRoot,
			wantMsg: `backendtls: backend "self.example": backend certificate "CN=self.example" is self-signed and is not a trusted root; add this certificate to TrustedRootCertificates (a self-signed certificate may be its own root), or pin its key`},
		{name: "self-signed leaf, well-known CAs", cert: self.FullChain(), cfg: Config{ServerName: "self.example", SystemRoots: pool(p.root), Time: clock}, want: ReasonUntrustedRoot,
			wantMsg: `backendtls: backend "self.example": backend certificate "CN=self.example" is self-signed and is not a well-known CA; add this certificate to TrustedRootCertificates (a self-signed certificate may be its own root), or pin its key`},
		{name: "invalid CA", cert: notCALeaf.FullChain(), cfg: Config{ServerName: "backend.example", TrustedRootCertificates: x509s(notCARoot), Time: clock},
			want:    ReasonUntrustedRoot,
			wantMsg: `backendtls: backend "backend.example": invalid CA: trusted root "CN=Flat Root", which issued the chain of "CN=backend.example", is not a CA (it lacks the CA:TRUE basic constraint); reissue the root with CA:TRUE, or, for a self-signed backend certificate, trust that certificate itself`},
		{name: "intermediate missing", cert: p.leaf.TLSCertificate(), cfg: chain("backend.example"), want: ReasonIntermediateMissing,
			wantMsg: `backendtls: backend "backend.example": backend sent its certificate "CN=backend.example" without the intermediate "CN=Test Intermediate" that issued it, and "CN=Test Intermediate" is not a trusted root; configure the backend to send its full chain (leaf, then intermediates); if "CN=Test Intermediate" is a root, add it to TrustedRootCertificates`},
		{name: "intermediate missing, well-known CAs", cert: p.leaf.TLSCertificate(), cfg: Config{ServerName: "backend.example", SystemRoots: pool(p.root), Time: clock},
			want: ReasonIntermediateMissing},
		{name: "leaf not allowed", cert: p.leaf.FullChain(), cfg: Config{ServerName: "backend.example", AuthenticationCertificates: x509s(p.other), Time: clock},
			want: ReasonLeafNotAllowed},
		{name: "pin mismatch", cert: p.leaf.FullChain(), cfg: Config{ServerName: "backend.example", PinnedPublicKeys: []Pin{PinOf(p.other.Certificate)}, Time: clock},
			want:    ReasonPinMismatch,
			wantMsg: `backendtls: backend "backend.example": backend certificate "CN=backend.example" has public key ` + PinOf(p.leaf.Certificate).String() + `, which is not among the 1 pinned keys; if the backend's key changed on purpose, add this pin next to the old one until every backend has rotated; otherwise this is not the expected backend`},
		{name: "hostname mismatch", cert: p.leaf.FullChain(), cfg: chain("other.example"), want: ReasonHostnameMismatch,
			wantMsg: `backendtls: backend "other.example": backend certificate "CN=backend.example" is not valid for "other.example": it is valid for DNS:backend.example, IP:127.0.0.1; set the host name (SNI) or expected identity to one of those names, or reissue the certificate with DNS:other.example`},
		{name: "hostname mismatch, identity apart from SNI", cert: p.leaf.FullChain(),
			cfg: with(chain("backend.example"), func(c *Config) { c.Identity = "api.example" }), want: ReasonHostnameMismatch,
			wantMsg: `backendtls: backend "api.example" (SNI "backend.example"): backend certificate "CN=backend.example" is not valid for "api.example": it is valid for DNS:backend.example, IP:127.0.0.1; set the host name (SNI) or expected identity to one of those names, or reissue the certificate with DNS:api.example`},
		{name: "IP identity matches IP SANs only", cert: wild.FullChain(), cfg: chain("127.0.0.1"), want: ReasonHostnameMismatch,
			wantMsg: `backendtls: backend "127.0.0.1": backend certificate "CN=wildcard" is not valid for IP address 127.0.0.1: it is valid for DNS:*.svc.example; an IP identity matches IP subject alternative names only: reissue the certificate with IP:127.0.0.1, or expect a DNS name it has`},
		{name: "wildcard does not cover the parent", cert: wild.FullChain(), cfg: chain("svc.example"), want: ReasonHostnameMismatch},
		{name: "wildcard covers one label", cert: wild.FullChain(), cfg: chain("a.b.svc.example"), want: ReasonHostnameMismatch},
		{name: "CN fallback disabled", cert: cnOnly.FullChain(),
			cfg: with(chain("legacy.example"), func(c *Config) { c.DisableCommonNameFallback = true }), want: ReasonHostnameMismatch,
			wantMsg: `backendtls: backend "legacy.example": backend certificate "CN=legacy.example" is not valid for "legacy.example": it is valid for CN:legacy.example (ignored: common-name fallback is disabled); set the host name (SNI) or expected identity to one of those names, or reissue the certificate with DNS:legacy.example`},
		{name: "CN ignored when SANs exist", cert: p.inter.NewLeaf(ec("cn.example", dns("san.example"))).FullChain(), cfg: chain("cn.example"), want: ReasonHostnameMismatch},
		{name: "expired", cert: expired.FullChain(), cfg: chain("backend.example"), want: ReasonExpired,
			wantMsg: `backendtls: backend "backend.example": backend certificate "CN=backend.example" (issuer "CN=Test Intermediate") expired at 2030-01-01T00:00:00Z (valid from 2025-01-01T00:00:00Z); renew it on the backend`},
		{name: "expired, pin mode", cert: expired.FullChain(), cfg: Config{PinnedPublicKeys: []Pin{PinOf(expired.Certificate)}, Time: clock}, want: ReasonExpired},
		{name: "expired intermediate", cert: underExpired.FullChain(), cfg: chain("backend.example"), want: ReasonExpired,
			wantMsg: `backendtls: backend "backend.example": intermediate "CN=Expired Intermediate" (issuer "CN=Test Root") expired at 2029-01-01T00:00:00Z (valid from 2025-01-01T00:00:00Z); renew it on the backend`},
		{name: "not yet valid", cert: future.FullChain(), cfg: chain("backend.example"), want: ReasonNotYetValid,
			wantMsg: `backendtls: backend "backend.example": backend certificate "CN=backend.example" (issuer "CN=Test Intermediate") is not valid until 2031-01-01T00:00:00Z (valid to 2035-01-01T00:00:00Z); install a certificate that is valid now, or check the gateway's clock`},
		{name: "weak RSA key", cert: weakRSA.FullChain(), cfg: chain("backend.example"), want: ReasonWeakKey,
			wantMsg: `backendtls: backend "backend.example": backend certificate "CN=backend.example" has a 1024-bit RSA key, below the minimum of 2048-bit RSA or ECDSA P-256; reissue it with an RSA key of at least 2048 bits, an ECDSA key on P-256 or larger, or Ed25519`},
		{name: "weak RSA key, pin mode", cert: weakRSA.FullChain(), cfg: Config{PinnedPublicKeys: []Pin{PinOf(weakRSA.Certificate)}, Time: clock}, want: ReasonWeakKey},
		// TLS 1.3 has no signature scheme for P-224: such a backend cannot handshake at all.
		{name: "weak ECDSA key", cert: weakEC.FullChain(), cfg: chain("backend.example"), want: ReasonWeakKey, only: tls.VersionTLS12,
			wantMsg: `backendtls: backend "backend.example": backend certificate "CN=backend.example" has an ECDSA key on P-224, below the minimum of 2048-bit RSA or ECDSA P-256; reissue it with an RSA key of at least 2048 bits, an ECDSA key on P-256 or larger, or Ed25519`},
		{name: "weak intermediate key", cert: underWeak.FullChain(), cfg: chain("backend.example"), want: ReasonWeakKey,
			wantMsg: `backendtls: backend "backend.example": intermediate "CN=Weak Intermediate" has a 1024-bit RSA key, below the minimum of 2048-bit RSA or ECDSA P-256; reissue it with an RSA key of at least 2048 bits, an ECDSA key on P-256 or larger, or Ed25519`},
		{name: "SHA-1 leaf", cert: sha1Leaf.FullChain(), cfg: Config{ServerName: "backend.example", TrustedRootCertificates: x509s(rsaRoot), Time: clock},
			want:    ReasonWeakSignature,
			wantMsg: `backendtls: backend "backend.example": backend certificate "CN=backend.example" is signed with SHA1-RSA, which is insecure; reissue it with a SHA-256 or stronger signature`},
		{name: "SHA-1 intermediate", cert: underSHA1.FullChain(), cfg: Config{ServerName: "backend.example", TrustedRootCertificates: x509s(rsaRoot), Time: clock},
			want:    ReasonWeakSignature,
			wantMsg: `backendtls: backend "backend.example": intermediate "CN=SHA1 Intermediate" is signed with SHA1-RSA, which is insecure; reissue it with a SHA-256 or stronger signature`},
		{name: "MD5 leaf, authentication certificate mode", cert: md5Self.FullChain(), cfg: Config{ServerName: "md5.example", PinnedPublicKeys: []Pin{PinOf(md5Self.Certificate)}, Time: clock},
			want: ReasonWeakSignature},
		{name: "leaf for client auth only", cert: clientOnly.FullChain(), cfg: chain("backend.example"), want: ReasonKeyUsage,
			wantMsg: `backendtls: backend "backend.example": backend certificate "CN=backend.example" does not allow TLS server authentication: its extended key usages are [clientAuth]; reissue it with the serverAuth extended key usage (or none at all)`},
		{name: "intermediate for client auth only", cert: underClientInter.FullChain(), cfg: chain("backend.example"), want: ReasonKeyUsage,
			wantMsg: `backendtls: backend "backend.example": intermediate "CN=Client Intermediate" does not allow TLS server authentication: its extended key usages are [clientAuth]; reissue it with the serverAuth extended key usage (or none at all)`},
		{name: "backend TLS 1.1 only", cert: p.leaf.FullChain(), anyVer: true, want: ReasonPolicy, cfg: chain("backend.example"),
			server: func(o *tlstest.ServerOptions) { o.MinVersion, o.MaxVersion = tls.VersionTLS10, tls.VersionTLS11 }},
		{name: "backend suite outside the policy", cert: p.leaf.FullChain(), anyVer: true, want: ReasonPolicy, cfg: chain("backend.example"),
			server: func(o *tlstest.ServerOptions) {
				o.MaxVersion, o.CipherSuites = tls.VersionTLS12, []uint16{tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305}
			}},
		{name: "policy TLS 1.3 only, backend TLS 1.2", cert: p.leaf.FullChain(), anyVer: true, want: ReasonPolicy,
			cfg:    with(chain("backend.example"), func(c *Config) { c.Policy = policy13() }),
			server: func(o *tlstest.ServerOptions) { o.MaxVersion = tls.VersionTLS12 }},
		// At TLS 1.2 the backend's alert (handshake_failure) does not tell a
		// missing client certificate from a policy mismatch.
		{name: "client certificate required", cert: p.leaf.FullChain(), server: requireClientCert, cfg: chain("backend.example"), want: ReasonHandshake, want12: ReasonPolicy},
		{name: "client certificate not trusted", cert: p.leaf.FullChain(), server: requireClientCert, want: ReasonHandshake, want12: ReasonPolicy,
			cfg: with(chain("backend.example"), func(c *Config) { c.ClientCertificates = []tls.Certificate{p.other.FullChain()} })},
		{name: "URI-only certificate, DNS identity", cert: uriOnly.FullChain(), cfg: chain("backend.example"), want: ReasonHostnameMismatch,
			wantMsg: `backendtls: backend "backend.example": backend certificate "empty subject, URI:spiffe://example.org/api" is not valid for "backend.example": it is valid for URI:spiffe://example.org/api; the certificate names the backend by URI only: expect SubjectAltNames: []backendtls.SAN{{Type: backendtls.SANURI, Value: "spiffe://example.org/api"}}, or reissue the certificate with DNS:backend.example`},
		{name: "DNS and URI certificate, wrong DNS identity", cert: withURI.FullChain(), cfg: chain("other.example"), want: ReasonHostnameMismatch,
			wantMsg: `backendtls: backend "other.example": backend certificate "CN=backend.example" is not valid for "other.example": it is valid for DNS:backend.example, URI:spiffe://example.org/api; set the host name (SNI) or expected identity to one of those names, or reissue the certificate with DNS:other.example; to trust it by its URI instead, expect SubjectAltNames: []backendtls.SAN{{Type: backendtls.SANURI, Value: "spiffe://example.org/api"}}`},
		{name: "SAN: wrong URI", cert: uriOnly.FullChain(), cfg: sans(chain("backend.example"), SAN{SANURI, "spiffe://example.org/billing"}), want: ReasonHostnameMismatch,
			wantMsg: `backendtls: backend "URI:spiffe://example.org/billing" (SNI "backend.example"): backend certificate "empty subject, URI:spiffe://example.org/api" is valid for none of the expected names (URI:spiffe://example.org/billing): it is valid for URI:spiffe://example.org/api; if this is the right backend, add one of its names to SubjectAltNames, such as backendtls.SAN{Type: backendtls.SANURI, Value: "spiffe://example.org/api"}; otherwise reissue its certificate with one of the expected names`},
		{name: "SAN: URI is exact, not a prefix", cert: uriOnly.FullChain(), cfg: sans(chain("backend.example"), SAN{SANURI, "spiffe://example.org"}), want: ReasonHostnameMismatch},
		{name: "SAN: URI is case-sensitive", cert: uriOnly.FullChain(), cfg: sans(chain("backend.example"), SAN{SANURI, "spiffe://example.org/API"}), want: ReasonHostnameMismatch},
		{name: "SAN: DNS never matches the CN", cert: cnOnly.FullChain(), cfg: sans(chain("legacy.example"), SAN{SANDNS, "legacy.example"}), want: ReasonHostnameMismatch},
		{name: "SAN: DNS never matches an IP SAN", cert: ipOnly.FullChain(), cfg: sans(chain("front.example"), SAN{SANDNS, "ip.example"}), want: ReasonHostnameMismatch},
		{name: "SAN: wrong IP", cert: p.leaf.FullChain(), cfg: sans(chain("backend.example"), SAN{SANIP, "127.0.0.2"}), want: ReasonHostnameMismatch},
		{name: "SAN: trust still checked", cert: p.other.FullChain(), cfg: sans(chain("backend.example"), SAN{SANDNS, "backend.example"}), want: ReasonUntrustedRoot},
		{name: "custom verifier refuses", cert: p.leaf.FullChain(), want: ReasonCustom,
			cfg:     with(chain("backend.example"), func(c *Config) { c.Verifier = requireURI("spiffe://example.org/api") }),
			wantMsg: `backendtls: backend "backend.example": custom verifier refused the backend: no URI SAN "spiffe://example.org/api" in "CN=backend.example"`},
		{name: "custom verifier's own reason", cert: p.leaf.FullChain(), want: ReasonPinMismatch, noCert: true,
			cfg: with(chain("backend.example"), func(c *Config) {
				c.Verifier = VerifierFunc(func(tls.ConnectionState) error { return &VerificationError{Reason: ReasonPinMismatch} })
			}),
			wantMsg: `backendtls: backend "backend.example": public key is not pinned; add the backend's key to PinnedPublicKeys`},
	}
}

// requireURI is a custom verifier that requires a URI SAN.
func requireURI(uri string) Verifier {
	return VerifierFunc(func(cs tls.ConnectionState) error {
		for _, u := range cs.PeerCertificates[0].URIs {
			if u.String() == uri {
				return nil
			}
		}
		return errors.New(`no URI SAN "` + uri + `" in "` + cs.PeerCertificates[0].Subject.String() + `"`)
	})
}

func policy13() policy.Policy {
	p, err := policy.Custom("TLSv1_3", nil)
	if err != nil {
		panic(err)
	}
	return p
}

// TestHandshake runs every case over a real loopback handshake, at TLS 1.2
// and at TLS 1.3, through net/http, and checks the reason and message the
// error carries through url.Error.
func TestHandshake(t *testing.T) {
	cases := handshakeCases()
	for _, v := range versions {
		t.Run(v.name, func(t *testing.T) {
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					if tc.only != 0 && tc.only != v.version {
						t.Skipf("only at %s", tls.VersionName(tc.only))
					}
					want := tc.want
					if tc.want12 != 0 && v.version == tls.VersionTLS12 {
						want = tc.want12
					}
					version := v.version
					if tc.anyVer {
						version = 0
					}
					var mods []func(*tlstest.ServerOptions)
					if tc.server != nil {
						mods = append(mods, tc.server)
					}
					s := serve(t, tc.cert, version, mods...)
					cfg := tc.cfg
					echo, err := fetch(t, &cfg, s)
					if want == 0 {
						if err != nil {
							t.Fatalf("request failed: %v", err)
						}
						if !tc.anyVer && echo.TLSVersion != tls.VersionName(v.version) {
							t.Errorf("negotiated %s", echo.TLSVersion)
						}
						if tc.wantSNI != nil && echo.SNI != *tc.wantSNI {
							t.Errorf("backend saw SNI %q; want %q", echo.SNI, *tc.wantSNI)
						}
						return
					}
					if err == nil {
						t.Fatalf("request succeeded; want %v", want)
					}
					var uerr *url.Error
					if !errors.As(err, &uerr) {
						t.Errorf("error %T is not a *url.Error", err)
					}
					err = ClassifyHandshakeError(err)
					got, ok := ReasonOf(err)
					if !ok || got != want {
						t.Fatalf("reason = %v (%v); want %v\nerror: %v", got, ok, want, err)
					}
					var ve *VerificationError
					errors.As(err, &ve)
					if ve.TLSReason() != want.String() {
						t.Errorf("TLSReason() = %q", ve.TLSReason())
					}
					if tc.wantMsg != "" && want == tc.want && ve.Error() != tc.wantMsg {
						t.Errorf("message:\n got %s\nwant %s", ve.Error(), tc.wantMsg)
					}
					if want != ReasonPolicy && want != ReasonHandshake && !tc.noCert && ve.Certificate == nil {
						t.Errorf("no Certificate in %v", ve)
					}
				})
			}
		})
	}
}
