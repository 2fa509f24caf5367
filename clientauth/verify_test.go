package clientauth

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/e2etls/e2etls/backendtls"
	"github.com/e2etls/e2etls/backendtls/tlstest"
	"github.com/e2etls/e2etls/revocation"
)

// TestHandshakes runs each case over real loopback handshakes at TLS 1.2
// and 1.3: the handshake always succeeds, and the verdict decides between
// 200 and a readable 400.
func TestHandshakes(t *testing.T) {
	p := newPKI()
	now := time.Now()
	revokedByCRL := p.inter.NewClientLeaf(ec("revoked"))
	crl := p.inter.NewCRL(tlstest.CRLOptions{Revoked: []tlstest.Revoked{{Cert: revokedByCRL, Reason: 1}}})
	staleCRL := p.inter.NewCRL(tlstest.CRLOptions{ThisUpdate: now.Add(-48 * time.Hour), NextUpdate: now.Add(-24 * time.Hour)})
	rootCRL := p.root.NewCRL(tlstest.CRLOptions{})
	base := func(mods ...func(*Config)) Config {
		c := Config{TrustedClientCertificates: p.trust()}
		for _, m := range mods {
			m(&c)
		}
		return c
	}
	passthrough := func(c *Config) { c.Mode = Passthrough }
	issuerDN := func(c *Config) { c.VerifyClientCertIssuerDN = true }
	const (
		noCert       = "No required SSL certificate was sent"
		untrusted    = "The client certificate is not trusted"
		expired      = "The client certificate has expired"
		notYet       = "The client certificate is not valid yet"
		keyUsage     = "The client certificate may not be used for client authentication"
		wrongIssuer  = "The client certificate was not issued by an allowed issuer"
		wrongID      = "The client certificate's identity is not allowed"
		revoked      = "The client certificate has been revoked"
		revUnknown   = "The revocation status of the client certificate could not be checked"
		okBody       = "ok"
		success      = "SUCCESS"
		statusOK     = http.StatusOK
		statusRefuse = http.StatusBadRequest
	)
	tests := []struct {
		name       string
		cfg        Config
		cert       *tls.Certificate
		wantStatus int
		wantBody   string
		wantVerif  string // for 200
		wantReason Reason
	}{
		{"valid, chain sent", base(), chainOf(p.alice), statusOK, okBody, success, ReasonNone},
		{"valid, leaf only: the intermediate comes from the configuration", base(), leafOnly(p.alice), statusOK, okBody, success, ReasonNone},
		{"issued by the root directly", base(), chainOf(p.direct), statusOK, okBody, success, ReasonNone},
		{"no certificate", base(), nil, statusRefuse, noCert, "", ReasonNoCertificate},
		{"wrong CA", base(), chainOf(p.untrusted), statusRefuse, untrusted, "", ReasonUntrusted},
		{"wrong CA, its root sent too", base(), &tls.Certificate{Certificate: [][]byte{p.untrusted.Certificate.Raw, p.otherRoot.Certificate.Raw}, PrivateKey: p.untrusted.Key}, statusRefuse, untrusted, "", ReasonUntrusted},
		{"intermediate unknown to the configuration, not sent", Config{TrustedClientCertificates: [][]*x509.Certificate{{p.root.Certificate}}}, leafOnly(p.alice), statusRefuse, untrusted, "", ReasonUntrusted},
		{"intermediate unknown to the configuration, sent", Config{TrustedClientCertificates: [][]*x509.Certificate{{p.root.Certificate}}}, chainOf(p.alice), statusOK, okBody, success, ReasonNone},
		{"expired", base(), chainOf(p.expired), statusRefuse, expired, "", ReasonExpired},
		{"not yet valid", base(), chainOf(p.future), statusRefuse, notYet, "", ReasonNotYetValid},
		{"server-only certificate", base(), chainOf(p.srvOnly), statusRefuse, keyUsage, "", ReasonKeyUsage},
		{"issuer DN: issued by the chain's last intermediate", base(issuerDN), chainOf(p.alice), statusOK, okBody, success, ReasonNone},
		{"issuer DN: issued by the root", base(issuerDN), chainOf(p.direct), statusRefuse, wrongIssuer, "", ReasonIssuerDNMismatch},
		{"issuer DN: another intermediate of the root", base(issuerDN), chainOf(p.underOther), statusRefuse, wrongIssuer, "", ReasonIssuerDNMismatch},
		{"no issuer DN check: another intermediate of the root", base(), chainOf(p.underOther), statusOK, okBody, success, ReasonNone},
		{"allowed identity", base(func(c *Config) {
			c.AllowedIdentities = []backendtls.SAN{{Type: backendtls.SANURI, Value: "spiffe://example.org/bob"}, {Type: backendtls.SANURI, Value: "spiffe://example.org/alice"}}
		}), chainOf(p.alice), statusOK, okBody, success, ReasonNone},
		{"identity not allowed", base(func(c *Config) {
			c.AllowedIdentities = []backendtls.SAN{{Type: backendtls.SANURI, Value: "spiffe://example.org/alice"}}
		}), chainOf(p.bob), statusRefuse, wrongID, "", ReasonIdentityMismatch},
		{"CRL: revoked", base(func(c *Config) { c.CRLs = []*x509.RevocationList{crl} }), chainOf(revokedByCRL), statusRefuse, revoked, "", ReasonRevoked},
		{"CRL: not revoked", base(func(c *Config) { c.CRLs = []*x509.RevocationList{crl} }), chainOf(p.alice), statusOK, okBody, success, ReasonNone},
		{"CRL: stale, hard fail", base(func(c *Config) { c.CRLs = []*x509.RevocationList{staleCRL} }), chainOf(p.alice), statusRefuse, revUnknown, "", ReasonRevocationUnknown},
		{"CRL: stale, allowed", base(func(c *Config) { c.CRLs, c.AllowStaleCRLs = []*x509.RevocationList{staleCRL}, true }), chainOf(p.alice), statusOK, okBody, success, ReasonNone},
		{"CRL: stale, soft fail", base(func(c *Config) { c.CRLs, c.RevocationSoftFail = []*x509.RevocationList{staleCRL}, true }), chainOf(p.alice), statusOK, okBody, success, ReasonNone},
		{"CRL: none from the issuer", base(func(c *Config) { c.CRLs = []*x509.RevocationList{rootCRL} }), chainOf(p.alice), statusRefuse, revUnknown, "", ReasonRevocationUnknown},
		{"CRL: the root's covers what the root issued", base(func(c *Config) { c.CRLs = []*x509.RevocationList{rootCRL} }), chainOf(p.direct), statusOK, okBody, success, ReasonNone},
		{"passthrough: valid", base(passthrough), chainOf(p.alice), statusOK, okBody, success, ReasonNone},
		{"passthrough: no certificate", base(passthrough), nil, statusOK, okBody, "NONE", ReasonNoCertificate},
		{"passthrough: wrong CA", base(passthrough), chainOf(p.untrusted), statusOK, okBody, "FAILED:untrusted", ReasonUntrusted},
		{"passthrough: expired", base(passthrough), chainOf(p.expired), statusOK, okBody, "FAILED:expired", ReasonExpired},
		{"passthrough: revoked", base(passthrough, func(c *Config) { c.CRLs = []*x509.RevocationList{crl} }), chainOf(revokedByCRL), statusOK, okBody, "FAILED:revoked", ReasonRevoked},
		{"passthrough without CAs: any certificate", Config{Mode: Passthrough}, chainOf(p.untrusted), statusOK, okBody, "PASSTHROUGH", ReasonNone},
		{"passthrough without CAs: no certificate", Config{Mode: Passthrough}, nil, statusOK, okBody, "NONE", ReasonNoCertificate},
	}
	for _, v := range versions {
		t.Run(v.name, func(t *testing.T) {
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					g := newGateway(t, p, v.version, mustNew(t, tt.cfg))
					got := g.get(t, tt.cert, nil)
					if got.status != tt.wantStatus || got.body != tt.wantBody {
						t.Fatalf("answer %d %q; want %d %q (verdict %+v)", got.status, got.body, tt.wantStatus, tt.wantBody, g.lastVerdict())
					}
					if tt.wantStatus == statusOK && got.verification != tt.wantVerif {
						t.Errorf("client_certificate_verification %q; want %q", got.verification, tt.wantVerif)
					}
					verdict := g.lastVerdict()
					if verdict.Reason != tt.wantReason {
						t.Errorf("reason %v; want %v (%v)", verdict.Reason, tt.wantReason, verdict.Err)
					}
					if verdict.Verified != (tt.wantReason == ReasonNone && tt.wantVerif == success) {
						t.Errorf("Verified = %v", verdict.Verified)
					}
					if verdict.Verified && (len(verdict.Chain) < 2 || !verdict.Chain[len(verdict.Chain)-1].Equal(p.root.Certificate)) {
						t.Errorf("verified chain %v does not end at the root", verdict.Chain)
					}
					if tt.wantReason != ReasonNone && verdict.Err == nil {
						t.Error("no Err for the log")
					}
				})
			}
		})
	}
}

// TestRefusalDetailForTheLog: the log's detail names the certificate and
// the cause; the client's message does not.
func TestRefusalDetailForTheLog(t *testing.T) {
	p := newPKI()
	v := mustNew(t, Config{TrustedClientCertificates: p.trust(), VerifyClientCertIssuerDN: true})
	ctx := context.Background()
	for _, tc := range []struct {
		cert *tlstest.Cert
		want string
	}{
		{p.expired, `clientauth: client certificate "CN=expired" (issuer "CN=Client Issuing CA", serial ` + Serial(p.expired.Certificate) + `): "CN=expired" expired at `},
		{p.untrusted, `clientauth: client certificate "CN=mallory" (issuer "CN=Other Root", serial ` + Serial(p.untrusted.Certificate) + `): it does not chain to a trusted CA (the client sent no intermediate): x509: certificate signed by unknown authority`},
		{p.direct, `clientauth: client certificate "CN=direct" was issued by "CN=Client Root", which is not the issuer DN of its trusted chain (expected "CN=Client Issuing CA")`},
	} {
		verdict := v.VerifyCertificates(ctx, []*x509.Certificate{tc.cert.Certificate})
		if verdict.Err == nil || !strings.HasPrefix(verdict.Err.Error(), tc.want) {
			t.Errorf("detail:\n got %v\nwant %s...", verdict.Err, tc.want)
		}
		if strings.Contains(verdict.Message(), "Client") || strings.Contains(verdict.Message(), "Root") {
			t.Errorf("the client's message names the configuration: %q", verdict.Message())
		}
	}
}

// TestResumedSessionAfterRevocation: a session resumed after the client's
// certificate was revoked (a new CRL, loaded into a new Verifier that the
// gateway swaps in) is refused, at TLS 1.2 and 1.3.
func TestResumedSessionAfterRevocation(t *testing.T) {
	p := newPKI()
	empty := p.inter.NewCRL(tlstest.CRLOptions{Number: 1})
	revoking := p.inter.NewCRL(tlstest.CRLOptions{Number: 2, Revoked: []tlstest.Revoked{{Cert: p.alice}}})
	for _, v := range versions {
		t.Run(v.name, func(t *testing.T) {
			g := newGateway(t, p, v.version, mustNew(t, Config{TrustedClientCertificates: p.trust(), CRLs: []*x509.RevocationList{empty}}))
			cache := tls.NewLRUClientSessionCache(0)
			if a := g.get(t, chainOf(p.alice), cache); a.status != http.StatusOK || a.resumed {
				t.Fatalf("first connection: %+v", a)
			}
			if a := g.get(t, chainOf(p.alice), cache); a.status != http.StatusOK || !a.resumed {
				t.Fatalf("second connection: %+v; want a resumed session, accepted", a)
			}
			if !g.lastVerdict().Cached {
				t.Error("the resumed connection's verdict was not served from the cache")
			}
			g.verifier.Store(mustNew(t, Config{TrustedClientCertificates: p.trust(), CRLs: []*x509.RevocationList{revoking}}))
			a := g.get(t, chainOf(p.alice), cache)
			if !a.resumed {
				t.Fatalf("third connection did not resume; the test proves nothing: %+v", a)
			}
			if a.status != http.StatusBadRequest || a.body != "The client certificate has been revoked" {
				t.Fatalf("resumed session after revocation: %+v", a)
			}
		})
	}
}

// TestVerdictCache: a verified verdict is cached by fingerprint, and the
// cache never outlives the chain's validity.
func TestVerdictCache(t *testing.T) {
	p := newPKI()
	at := time.Now()
	clock := func() time.Time { return at }
	v := mustNew(t, Config{TrustedClientCertificates: p.trust(), Time: clock})
	ctx := context.Background()
	chain := []*x509.Certificate{p.alice.Certificate, p.inter.Certificate}
	first := v.VerifyCertificates(ctx, chain)
	if !first.Verified || first.Cached {
		t.Fatalf("first: %+v", first)
	}
	second := v.VerifyCertificates(ctx, chain)
	if !second.Verified || !second.Cached {
		t.Fatalf("second: %+v", second)
	}
	// The leaf alone is another fingerprint: verified afresh.
	if alone := v.VerifyCertificates(ctx, chain[:1]); !alone.Verified || alone.Cached {
		t.Fatalf("leaf alone: %+v", alone)
	}
	at = p.alice.Certificate.NotAfter.Add(time.Second)
	if late := v.VerifyCertificates(ctx, chain); late.Verified || late.Reason != ReasonExpired || late.Cached {
		t.Fatalf("after expiry: %+v", late)
	}
	// Refusals are not cached.
	if r := v.VerifyCertificates(ctx, chain); r.Cached {
		t.Fatal("a refusal was cached")
	}
	off := mustNew(t, Config{TrustedClientCertificates: p.trust(), VerdictCacheSize: -1})
	off.VerifyCertificates(ctx, chain)
	if r := off.VerifyCertificates(ctx, chain); r.Cached || !r.Verified {
		t.Fatalf("cache off: %+v", r)
	}
	small := mustNew(t, Config{TrustedClientCertificates: p.trust(), VerdictCacheSize: 1})
	small.VerifyCertificates(ctx, chain)
	small.VerifyCertificates(ctx, []*x509.Certificate{p.bob.Certificate})
	if r := small.VerifyCertificates(ctx, chain); r.Cached {
		t.Fatal("a cache of one kept two verdicts")
	}
}

func TestVerifyNil(t *testing.T) {
	p := newPKI()
	v := mustNew(t, Config{TrustedClientCertificates: p.trust()})
	r := v.Verify(context.Background(), nil)
	if r.Allowed || r.Reason != ReasonNoCertificate || r.ClientCertificateVerification() != "NONE" {
		t.Errorf("%+v", r)
	}
	r = v.Verify(context.Background(), &tls.ConnectionState{PeerCertificates: []*x509.Certificate{nil}})
	if r.Reason != ReasonNoCertificate {
		t.Errorf("nil certificate: %+v", r)
	}
}

func TestConfigureServer(t *testing.T) {
	p := newPKI()
	v := mustNew(t, Config{TrustedClientCertificates: [][]*x509.Certificate{
		{p.root.Certificate, p.inter.Certificate}, {p.otherRoot.Certificate},
	}})
	cfg := &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert}
	v.ConfigureServer(cfg)
	if cfg.ClientAuth != tls.RequestClientCert {
		t.Errorf("ClientAuth = %v", cfg.ClientAuth)
	}
	//lint:ignore SA1019 Subjects is the only way to read a pool's names, and the pool holds no system roots
	subjects := cfg.ClientCAs.Subjects()
	if len(subjects) != 3 {
		t.Errorf("ClientCAs holds %d names; want the 3 trusted CAs", len(subjects))
	}
	pt := mustNew(t, Config{Mode: Passthrough})
	pt.ConfigureServer(cfg)
	if cfg.ClientCAs != nil || cfg.ClientAuth != tls.RequestClientCert {
		t.Errorf("passthrough without CAs: %v %v", cfg.ClientAuth, cfg.ClientCAs)
	}
}

// TestIssuerDNs follows the scenarios of Azure's documentation
// (mutual-authentication-overview, "Verify client certificate DN").
func TestIssuerDNs(t *testing.T) {
	root := tlstest.NewRoot(ec("Root"))
	i1 := root.NewIntermediate(ec("Intermediate1"))
	i2 := i1.NewIntermediate(ec("Intermediate2"))
	i2b := root.NewIntermediate(ec("Intermediate2b"))
	i3 := i2b.NewIntermediate(ec("Intermediate3"))
	x := func(cs ...*tlstest.Cert) []*x509.Certificate {
		out := make([]*x509.Certificate, len(cs))
		for i, c := range cs {
			out[i] = c.Certificate
		}
		return out
	}
	tests := []struct {
		name  string
		chain []*x509.Certificate
		want  string
	}{
		{"1: root, intermediate", x(root, i1), "CN=Intermediate1"},
		{"2: root, two intermediates", x(root, i1, i2), "CN=Intermediate2"},
		{"2, in another order", x(i2, root, i1), "CN=Intermediate2"},
		{"3: root only", x(root), "CN=Root"},
		{"4: two chains of one length, the first wins", x(root, i1, i2b), "CN=Intermediate1"},
		{"5: two chains of different lengths, the longer wins", x(root, i1, i2b, i3), "CN=Intermediate3"},
	}
	for _, tt := range tests {
		v := mustNew(t, Config{TrustedClientCertificates: [][]*x509.Certificate{tt.chain}, VerifyClientCertIssuerDN: true})
		if got := v.IssuerDNs(); len(got) != 1 || got[0] != tt.want {
			t.Errorf("scenario %s: %v; want %q", tt.name, got, tt.want)
		}
	}
	// Scenario 5 in action: a certificate of the shorter chain is refused.
	v := mustNew(t, Config{TrustedClientCertificates: [][]*x509.Certificate{x(root, i1, i2b, i3)}, VerifyClientCertIssuerDN: true})
	ok := v.VerifyCertificates(context.Background(), x(i3.NewClientLeaf(ec("c3"))))
	refused := v.VerifyCertificates(context.Background(), x(i1.NewClientLeaf(ec("c1"))))
	if !ok.Verified || refused.Reason != ReasonIssuerDNMismatch {
		t.Errorf("scenario 5: %v %v; want verified, issuer-dn-mismatch", ok.Reason, refused.Reason)
	}
	// One entry per chain, as Azure recommends: each its own issuer.
	v = mustNew(t, Config{TrustedClientCertificates: [][]*x509.Certificate{x(root, i1), x(root, i2b)}, VerifyClientCertIssuerDN: true})
	for _, c := range []*tlstest.Cert{i1.NewClientLeaf(ec("a")), i2b.NewClientLeaf(ec("b"))} {
		if r := v.VerifyCertificates(context.Background(), x(c)); !r.Verified {
			t.Errorf("%s: %v %v", c.Certificate.Subject, r.Reason, r.Err)
		}
	}
}

func TestNewErrors(t *testing.T) {
	p := newPKI()
	expiredCA := tlstest.NewRoot(ec("Expired CA", func(o *tlstest.Options) {
		o.NotBefore, o.NotAfter = time.Now().Add(-48*time.Hour), time.Now().Add(-time.Hour)
	}))
	otherCRL := p.otherRoot.NewCRL(tlstest.CRLOptions{})
	tests := []struct {
		name string
		cfg  Config
		want []string
	}{
		{"strict without CAs", Config{}, []string{"clientauth: Strict mode needs TrustedClientCertificates: the CA chains that issue client certificates (or use Passthrough to let the backend decide)"}},
		{"passthrough without CAs but with checks", Config{Mode: Passthrough, VerifyClientCertIssuerDN: true, VerifyClientRevocation: RevocationOCSP,
			CRLs: []*x509.RevocationList{otherCRL}, AllowedIdentities: []backendtls.SAN{{Type: backendtls.SANDNS, Value: "a.example"}}},
			[]string{
				"clientauth: VerifyClientCertIssuerDN needs TrustedClientCertificates: without them client certificates are not verified",
				"clientauth: VerifyClientRevocation needs TrustedClientCertificates: without them client certificates are not verified",
				"clientauth: CRLs needs TrustedClientCertificates: without them client certificates are not verified",
				"clientauth: AllowedIdentities needs TrustedClientCertificates: without them client certificates are not verified",
				`clientauth: CRLs: revocation: CRL 0 (issuer "CN=Other Root", number 1) is from a CA that is not trusted here: give the CRLs of the trusted CAs only`,
			}},
		{"bad chains", Config{TrustedClientCertificates: [][]*x509.Certificate{
			{}, {p.alice.Certificate}, {p.inter.Certificate}, {p.root.Certificate, nil}, {expiredCA.Certificate},
		}}, []string{
			"clientauth: TrustedClientCertificates[0]: empty chain: give the root CA and any intermediates",
			`clientauth: TrustedClientCertificates[1]: certificate 0, "CN=alice", is not a CA: give the CA chain that issues client certificates (root and intermediates), not a client certificate`,
			"clientauth: TrustedClientCertificates[2]: the chain has no root CA (a self-signed certificate): Azure requires the root in every chain, and so does this gateway",
			"clientauth: TrustedClientCertificates[3]: certificate 1 is nil",
			`clientauth: TrustedClientCertificates[4]: certificate 0, "CN=Expired CA", expired at ` + expiredCA.Certificate.NotAfter.UTC().Format(time.RFC3339),
		}},
		{"intermediate without its issuer", Config{TrustedClientCertificates: [][]*x509.Certificate{{p.otherRoot.Certificate, p.inter.Certificate}}},
			[]string{`clientauth: TrustedClientCertificates[0]: certificate 1, "CN=Client Issuing CA": its issuer "CN=Client Root" is not in the chain: add it`}},
		{"bad values", Config{Mode: 7, VerifyClientRevocation: 9, TrustedClientCertificates: p.trust(),
			OCSP:              revocation.OCSPConfig{ResponderURL: "ftp://x"},
			AllowedIdentities: []backendtls.SAN{{Type: backendtls.SANURI, Value: "nope"}}},
			[]string{
				"clientauth: Mode Mode(7) is neither Strict nor Passthrough",
				"clientauth: VerifyClientRevocation RevocationCheck(9) is neither None nor OCSP",
				`clientauth: AllowedIdentities: backendtls: SAN 0 (URI:nope): URI "nope" is not absolute: it needs a scheme, such as "spiffe://"`,
			}},
		{"bad OCSP", Config{TrustedClientCertificates: p.trust(), VerifyClientRevocation: RevocationOCSP, OCSP: revocation.OCSPConfig{ResponderURL: "ftp://x"}},
			[]string{`clientauth: OCSP: revocation: ResponderURL: "ftp://x" is not an absolute http or https URL`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			if err == nil {
				t.Fatal("no error")
			}
			if got := err.Error(); got != strings.Join(tt.want, "\n") {
				t.Errorf("errors:\n got %s\nwant %s", got, strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestNames(t *testing.T) {
	for r := ReasonNone; r <= ReasonRevocationUnknown; r++ {
		if strings.HasPrefix(r.String(), "Reason(") || (r != ReasonNone && r.Message() == "") {
			t.Errorf("reason %d: %q %q", int(r), r.String(), r.Message())
		}
	}
	if Reason(99).String() != "Reason(99)" || Reason(99).Message() != "The SSL certificate error" {
		t.Error("unknown reason")
	}
	for m, want := range map[Mode]string{Strict: "Strict", Passthrough: "Passthrough", 5: "Mode(5)"} {
		if m.String() != want {
			t.Errorf("%d: %q", int(m), m.String())
		}
	}
	for r, want := range map[RevocationCheck]string{RevocationNone: "None", RevocationOCSP: "OCSP", 5: "RevocationCheck(5)"} {
		if r.String() != want {
			t.Errorf("%d: %q", int(r), r.String())
		}
	}
}

// BenchmarkVerify measures a connection's verdict: a first handshake's
// (chain building) and a resumed or repeated one's (the cache).
func BenchmarkVerify(b *testing.B) {
	p := newPKI()
	chain := []*x509.Certificate{p.alice.Certificate, p.inter.Certificate}
	ctx := context.Background()
	b.Run("uncached", func(b *testing.B) {
		v, err := New(Config{TrustedClientCertificates: p.trust(), VerdictCacheSize: -1})
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if !v.VerifyCertificates(ctx, chain).Verified {
				b.Fatal("refused")
			}
		}
	})
	b.Run("cached", func(b *testing.B) {
		v, err := New(Config{TrustedClientCertificates: p.trust()})
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if !v.VerifyCertificates(ctx, chain).Verified {
				b.Fatal("refused")
			}
		}
	})
}
