package backendtls

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/e2etls/e2etls/backendtls/tlstest"
	"github.com/e2etls/e2etls/policy"
)

func TestValidate(t *testing.T) {
	p := newPKI()
	self := tlstest.NewSelfSignedLeaf(ec("self.example", dns("self.example")))
	weakRoot := tlstest.NewRoot(ec("Weak Root", func(o *tlstest.Options) { o.KeyType = tlstest.RSA1024 }))
	sha1Root := tlstest.NewRoot(ec("SHA1 Root", func(o *tlstest.Options) {
		o.KeyType, o.SignatureAlgorithm = tlstest.RSA2048, x509.SHA1WithRSA
	}))
	oldRoot := tlstest.NewRoot(ec("Old Root", func(o *tlstest.Options) { o.NotAfter = time.Date(2029, 1, 1, 0, 0, 0, 0, time.UTC) }))
	leafPair := p.leaf.FullChain()
	sameName := tlstest.NewRoot(ec("Same")).NewIntermediate(ec("Same"))
	badPolicy := policy.Default()
	badPolicy.MinVersion = 0x0200

	tests := []struct {
		name string
		cfg  Config
		want []string // exact messages, in order; nil: valid
	}{
		{name: "roots and name", cfg: Config{ServerName: "backend.example", TrustedRootCertificates: x509s(p.root)}},
		{name: "well-known CAs and name", cfg: Config{ServerName: "backend.example"}},
		{name: "IP identity", cfg: Config{ServerName: "10.0.0.1"}},
		{name: "IPv6 identity", cfg: Config{Identity: "2001:db8::1"}},
		{name: "pins only", cfg: Config{PinnedPublicKeys: []Pin{PinOf(p.leaf.Certificate)}}},
		{name: "authentication certificates only", cfg: Config{AuthenticationCertificates: x509s(p.leaf)}},
		{name: "self-signed leaf as root", cfg: Config{ServerName: "self.example", TrustedRootCertificates: x509s(self)}},
		{name: "insecure alone", cfg: Config{InsecureSkipVerify: true}},
		{name: "insecure with SNI", cfg: Config{ServerName: "backend.example", InsecureSkipVerify: true}},
		{name: "client certificate", cfg: Config{ServerName: "a.example", ClientCertificates: []tls.Certificate{leafPair}}},
		{
			name: "fail closed",
			cfg:  Config{TrustedRootCertificates: x509s(p.root)},
			want: []string{"backendtls: no backend identity to verify: set ServerName, Identity or SubjectAltNames (or pin the backend with PinnedPublicKeys or AuthenticationCertificates); a chain alone proves only that some CA issued the certificate, to anyone"},
		},
		{
			name: "zero Config",
			cfg:  Config{},
			want: []string{"backendtls: no backend identity to verify: set ServerName, Identity or SubjectAltNames (or pin the backend with PinnedPublicKeys or AuthenticationCertificates); a chain alone proves only that some CA issued the certificate, to anyone"},
		},
		{
			name: "intermediate as root",
			cfg:  Config{ServerName: "backend.example", TrustedRootCertificates: x509s(p.root, p.inter)},
			want: []string{`backendtls: TrustedRootCertificates[1] "CN=Test Intermediate" is an intermediate, not a root: it is issued by "CN=Test Root"; give the self-signed root at the top of its chain instead`},
		},
		{
			name: "leaf as root",
			cfg:  Config{ServerName: "backend.example", TrustedRootCertificates: x509s(p.leaf)},
			want: []string{`backendtls: TrustedRootCertificates[0] "CN=backend.example" is a leaf, not a root: it is issued by "CN=Test Intermediate"; give the self-signed root at the top of its chain instead, or pin the leaf (PinnedPublicKeys, AuthenticationCertificates)`},
		},
		{
			name: "weak, SHA-1 and expired roots",
			cfg:  Config{ServerName: "backend.example", TrustedRootCertificates: x509s(weakRoot, sha1Root, oldRoot), Time: clock},
			want: []string{
				`backendtls: TrustedRootCertificates[0] "CN=Weak Root" has a 1024-bit RSA key, below the minimum of 2048-bit RSA or ECDSA P-256`,
				`backendtls: TrustedRootCertificates[1] "CN=SHA1 Root" is signed with SHA1-RSA, which is insecure; reissue it with SHA-256 or stronger`,
				`backendtls: TrustedRootCertificates[2] "CN=Old Root" expired at 2029-01-01T00:00:00Z`,
			},
		},
		{
			name: "root named like its issuer but not self-signed",
			cfg:  Config{ServerName: "a.example", TrustedRootCertificates: x509s(sameName)},
			want: []string{`backendtls: TrustedRootCertificates[0] "CN=Same" is not self-signed: its subject equals its issuer but its own key does not verify its signature; trust the real root`},
		},
		{
			name: "nil certificates",
			cfg:  Config{ServerName: "a.example", TrustedRootCertificates: []*x509.Certificate{nil}, AuthenticationCertificates: []*x509.Certificate{nil}},
			want: []string{
				"backendtls: TrustedRootCertificates[0] is nil",
				"backendtls: AuthenticationCertificates[0] is nil",
			},
		},
		{
			name: "CA as authentication certificate",
			cfg:  Config{AuthenticationCertificates: x509s(p.leaf, p.inter)},
			want: []string{`backendtls: AuthenticationCertificates[1] "CN=Test Intermediate" is a CA certificate: an authentication certificate must be the backend's own (leaf) certificate; give a CA as TrustedRootCertificates`},
		},
		{
			name: "zero pin",
			cfg:  Config{PinnedPublicKeys: []Pin{PinOf(p.leaf.Certificate), {}}},
			want: []string{"backendtls: PinnedPublicKeys[1] is the zero pin, which matches no key: use PinOf or ParsePin"},
		},
		{
			name: "insecure with trust settings",
			cfg:  Config{Identity: "a.example", InsecureSkipVerify: true, PinnedPublicKeys: []Pin{PinOf(p.leaf.Certificate)}, Verifier: VerifyMinimums()},
			want: []string{"backendtls: InsecureSkipVerify turns off all verification, so Identity, PinnedPublicKeys, Verifier would be ignored: remove InsecureSkipVerify (it is for tests only) or those settings"},
		},
		{
			name: "bad names",
			cfg:  Config{ServerName: "backend.example:443", Identity: "*.example.com"},
			want: []string{
				`backendtls: ServerName: "backend.example:443" is neither an IP address nor a DNS name (a host name takes no port)`,
				`backendtls: Identity: "*.example.com" is a wildcard pattern; an expected identity must be one exact name`,
			},
		},
		{
			name: "more bad names",
			cfg:  Config{ServerName: "a..example", Identity: "[::1]"},
			want: []string{
				`backendtls: ServerName: DNS name "a..example" has an empty label`,
				`backendtls: Identity: "[::1]": write an IPv6 address without brackets`,
			},
		},
		{
			name: "names with zone and odd characters",
			cfg:  Config{ServerName: "fe80::1%eth0", Identity: "bäckend.example"},
			want: []string{
				`backendtls: ServerName: IP address "fe80::1%eth0" has a zone; use the address without "%eth0"`,
				`backendtls: Identity: DNS name "bäckend.example" contains "Ã"; only letters, digits, '-' and '_' are allowed (use the punycode form of internationalized names)`,
			},
		},
		{
			name: "long label",
			cfg:  Config{ServerName: strings.Repeat("a", 64) + ".example"},
			want: []string{`backendtls: ServerName: DNS name "` + strings.Repeat("a", 64) + `.example" has a label of 64 characters, more than 63`},
		},
		{
			name: "client certificates",
			cfg:  Config{ServerName: "a.example", ClientCertificates: []tls.Certificate{{}, {Certificate: leafPair.Certificate}, {Certificate: [][]byte{{1, 2}}, PrivateKey: leafPair.PrivateKey}}},
			want: []string{
				"backendtls: ClientCertificates[0] has no certificate",
				"backendtls: ClientCertificates[1] has no private key",
				"backendtls: ClientCertificates[2]: x509: malformed certificate",
			},
		},
		{
			name: "NextProtos",
			cfg:  Config{ServerName: "a.example", NextProtos: []string{"h2", ""}},
			want: []string{`backendtls: NextProtos[1] "": a protocol name must have 1 to 255 bytes`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Validate() = %v; want nil", err)
				}
				if _, err := tt.cfg.ClientConfig(); err != nil {
					t.Fatalf("ClientConfig() = %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil; want %q", tt.want)
			}
			if got := strings.Join(unjoin(err), "\n"); got != strings.Join(tt.want, "\n") {
				t.Errorf("Validate():\n%s\nwant:\n%s", got, strings.Join(tt.want, "\n"))
			}
			if _, cerr := tt.cfg.ClientConfig(); cerr == nil || cerr.Error() != err.Error() {
				t.Errorf("ClientConfig() error = %v; want Validate's", cerr)
			}
		})
	}

	t.Run("policy", func(t *testing.T) {
		err := (&Config{ServerName: "a.example", Policy: badPolicy}).Validate()
		want := "backendtls: Policy: " + badPolicy.Validate().Error()
		if err == nil || err.Error() != want {
			t.Fatalf("Validate() = %v; want %s", err, want)
		}
	})
}

// unjoin splits an errors.Join error into its messages.
func unjoin(err error) []string {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []string
		for _, e := range j.Unwrap() {
			out = append(out, e.Error())
		}
		return out
	}
	return []string{err.Error()}
}

func TestClientConfig(t *testing.T) {
	p := newPKI()
	cache := tls.NewLRUClientSessionCache(4)
	tests := []struct {
		name                  string
		cfg                   Config
		wantSNI               string
		wantProtos            []string
		wantMin, wantMax      uint16
		wantCache, wantVerify bool
		wantCerts             int
		sameCache             tls.ClientSessionCache
		wantSuites            bool
	}{
		{name: "defaults", cfg: Config{ServerName: "backend.example."}, wantSNI: "backend.example.", wantProtos: []string{"http/1.1"},
			wantMin: tls.VersionTLS12, wantMax: tls.VersionTLS13, wantCache: true, wantVerify: true, wantSuites: true},
		{name: "IP sends no SNI", cfg: Config{ServerName: "127.0.0.1"}, wantSNI: "", wantProtos: []string{"http/1.1"},
			wantMin: tls.VersionTLS12, wantMax: tls.VersionTLS13, wantCache: true, wantVerify: true, wantSuites: true},
		{name: "explicit", cfg: Config{ServerName: "a.example", NextProtos: []string{"h2", "http/1.1"}, SessionCache: cache, Policy: policy13(),
			ClientCertificates: []tls.Certificate{p.leaf.FullChain()}},
			wantSNI: "a.example", wantProtos: []string{"h2", "http/1.1"}, wantMin: tls.VersionTLS13, wantMax: tls.VersionTLS13,
			wantCache: true, wantVerify: true, wantCerts: 1, sameCache: cache},
		{name: "insecure", cfg: Config{InsecureSkipVerify: true}, wantProtos: []string{"http/1.1"},
			wantMin: tls.VersionTLS12, wantMax: tls.VersionTLS13, wantCache: true, wantSuites: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.cfg.ClientConfig()
			if err != nil {
				t.Fatal(err)
			}
			if got.ServerName != tt.wantSNI || !got.InsecureSkipVerify || got.RootCAs != nil {
				t.Errorf("ServerName %q, InsecureSkipVerify %v, RootCAs %v; want %q, true, nil", got.ServerName, got.InsecureSkipVerify, got.RootCAs, tt.wantSNI)
			}
			if strings.Join(got.NextProtos, ",") != strings.Join(tt.wantProtos, ",") {
				t.Errorf("NextProtos = %v; want %v", got.NextProtos, tt.wantProtos)
			}
			if got.MinVersion != tt.wantMin || got.MaxVersion != tt.wantMax {
				t.Errorf("versions %x-%x; want %x-%x", got.MinVersion, got.MaxVersion, tt.wantMin, tt.wantMax)
			}
			if (got.CipherSuites != nil) != tt.wantSuites || len(got.CurvePreferences) == 0 {
				t.Errorf("CipherSuites %v, CurvePreferences %v: policy not applied", got.CipherSuites, got.CurvePreferences)
			}
			if (got.ClientSessionCache != nil) != tt.wantCache || (tt.sameCache != nil && got.ClientSessionCache != tt.sameCache) {
				t.Errorf("ClientSessionCache = %v", got.ClientSessionCache)
			}
			if (got.VerifyConnection != nil) != tt.wantVerify {
				t.Errorf("VerifyConnection set = %v; want %v", got.VerifyConnection != nil, tt.wantVerify)
			}
			if len(got.Certificates) != tt.wantCerts {
				t.Errorf("%d client certificates; want %d", len(got.Certificates), tt.wantCerts)
			}
		})
	}
	a, _ := (&Config{ServerName: "a.example"}).ClientConfig()
	b, _ := (&Config{ServerName: "a.example"}).ClientConfig()
	if a.ClientSessionCache == b.ClientSessionCache {
		t.Errorf("two ClientConfig calls without SessionCache share a cache")
	}
}

// TestHook checks that Hook replaces Go's verification by the Config's and
// runs an existing VerifyConnection after it.
func TestHook(t *testing.T) {
	p := newPKI()
	s := serve(t, p.leaf.FullChain(), 0)
	for _, tt := range []struct {
		name       string
		cfg        Config
		prevErr    error
		wantReason Reason
		wantPrev   bool
	}{
		{name: "both pass", cfg: Config{ServerName: "backend.example", TrustedRootCertificates: x509s(p.root), Time: clock}, wantPrev: true},
		{name: "ours fails first", cfg: Config{ServerName: "other.example", TrustedRootCertificates: x509s(p.root), Time: clock}, wantReason: ReasonHostnameMismatch},
		{name: "theirs fails", cfg: Config{ServerName: "backend.example", TrustedRootCertificates: x509s(p.root), Time: clock},
			prevErr: errors.New("theirs"), wantPrev: true},
		{name: "insecure keeps theirs", cfg: Config{InsecureSkipVerify: true}, wantPrev: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			prevRan := false
			cfg := &tls.Config{
				RootCAs:          p.otherRoot.Pool(), // would refuse the backend
				ServerName:       "ignored.example",
				NextProtos:       []string{"h2", "http/1.1"},
				VerifyConnection: func(tls.ConnectionState) error { prevRan = true; return tt.prevErr },
			}
			if err := Hook(cfg, &tt.cfg); err != nil {
				t.Fatal(err)
			}
			if cfg.RootCAs != nil || !cfg.InsecureSkipVerify || cfg.ClientSessionCache == nil || len(cfg.NextProtos) != 2 {
				t.Errorf("RootCAs %v, InsecureSkipVerify %v, cache %v, NextProtos %v", cfg.RootCAs, cfg.InsecureSkipVerify, cfg.ClientSessionCache, cfg.NextProtos)
			}
			conn, err := tls.Dial("tcp", s.Addr, cfg)
			if err == nil {
				conn.Close()
			}
			switch {
			case tt.wantReason != 0:
				if r, _ := ReasonOf(err); r != tt.wantReason {
					t.Errorf("error %v; want %v", err, tt.wantReason)
				}
			case tt.prevErr != nil:
				if !errors.Is(err, tt.prevErr) {
					t.Errorf("error %v; want %v", err, tt.prevErr)
				}
			case err != nil:
				t.Errorf("Dial: %v", err)
			}
			if prevRan != tt.wantPrev {
				t.Errorf("existing VerifyConnection ran = %v; want %v", prevRan, tt.wantPrev)
			}
		})
	}
	if err := Hook(nil, &Config{ServerName: "a.example"}); err == nil || err.Error() != "backendtls: Hook: nil *tls.Config" {
		t.Errorf("Hook(nil) = %v", err)
	}
	if err := Hook(&tls.Config{}, &Config{}); err == nil {
		t.Errorf("Hook with an invalid Config succeeded")
	}
}
