package clientauth

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"log/slog"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/e2etls/e2etls/backendtls/tlstest"
)

func TestServerVariables(t *testing.T) {
	p := newPKI()
	nb := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	na := time.Date(2027, 11, 22, 23, 0, 9, 0, time.UTC)
	leaf := p.inter.NewClientLeaf(ec("alice", func(o *tlstest.Options) { o.NotBefore, o.NotAfter = nb, na }))
	c := leaf.Certificate
	verdict := Verdict{Verified: true, Certificate: c, PeerCertificates: []*x509.Certificate{c}}

	sum := sha1.Sum(c.Raw)
	want := map[string]string{
		VarClientCertificateSubject:      "CN=alice",
		VarClientCertificateIssuer:       "CN=Client Issuing CA",
		VarClientCertificateSerial:       strings.ToUpper(hex.EncodeToString(c.SerialNumber.Bytes())),
		VarClientCertificateFingerprint:  hex.EncodeToString(sum[:]),
		VarClientCertificateStartDate:    "Mar  4 05:06:07 2026 GMT",
		VarClientCertificateEndDate:      "Nov 22 23:00:09 2027 GMT",
		VarClientCertificateVerification: "SUCCESS",
	}
	for name, w := range want {
		if got, ok := verdict.ServerVariable(name); !ok || got != w {
			t.Errorf("%s = %q, %v; want %q", name, got, ok, w)
		}
	}
	escaped, ok := verdict.ServerVariable(VarClientCertificate)
	if !ok {
		t.Fatal("client_certificate unknown")
	}
	// URL-encoded PEM, as NGINX's $ssl_client_escaped_cert: no character a
	// header or a form decoder would change survives unescaped.
	if strings.ContainsAny(escaped, " \n+/=") || !strings.HasPrefix(escaped, "-----BEGIN%20CERTIFICATE-----%0A") || !strings.HasSuffix(escaped, "-----END%20CERTIFICATE-----%0A") {
		t.Errorf("client_certificate is not URL-encoded PEM: %.80s...", escaped)
	}
	decoded, err := url.QueryUnescape(escaped) // what a backend does
	if err != nil || decoded != string(leaf.CertPEM()) {
		t.Errorf("decoded client_certificate differs from the PEM: %v", err)
	}
	if _, ok := verdict.ServerVariable("client_ip"); ok {
		t.Error("client_ip claimed")
	}
	for _, n := range ServerVariableNames() {
		if _, ok := verdict.ServerVariable(n); !ok {
			t.Errorf("%s listed but unknown", n)
		}
	}
	if len(ServerVariableNames()) != 8 {
		t.Errorf("%d names", len(ServerVariableNames()))
	}
	for _, d := range []string{want[VarClientCertificateStartDate], want[VarClientCertificateEndDate]} {
		if pd, err := ParseDate(d); err != nil || (!pd.Equal(nb) && !pd.Equal(na)) {
			t.Errorf("ParseDate(%q) = %v, %v", d, pd, err)
		}
	}
	if _, err := ParseDate("yesterday"); err == nil {
		t.Error("ParseDate accepted junk")
	}

	none := Verdict{Reason: ReasonNoCertificate}
	for _, n := range ServerVariableNames() {
		got, _ := none.ServerVariable(n)
		if w := map[bool]string{true: "NONE", false: ""}[n == VarClientCertificateVerification]; got != w {
			t.Errorf("without a certificate %s = %q; want %q", n, got, w)
		}
	}
}

func TestSerial(t *testing.T) {
	for _, tc := range []struct {
		n    *big.Int
		want string
	}{
		{big.NewInt(0), "00"},
		{big.NewInt(10), "0A"},
		{big.NewInt(0x1234), "1234"},
		{big.NewInt(0xABCDE), "0ABCDE"},
		{big.NewInt(-10), "-0A"},
	} {
		if got := Serial(&x509.Certificate{SerialNumber: tc.n}); got != tc.want {
			t.Errorf("Serial(%v) = %q; want %q", tc.n, got, tc.want)
		}
	}
	for _, f := range []func(*x509.Certificate) string{EscapedPEM, Subject, Issuer, Serial, Fingerprint, StartDate, EndDate} {
		if f(nil) != "" {
			t.Error("non-empty value for nil")
		}
	}
}

func TestVerification(t *testing.T) {
	c := &x509.Certificate{}
	for _, tc := range []struct {
		v    Verdict
		want string
	}{
		{Verdict{}, "NONE"},
		{Verdict{Certificate: c, Verified: true}, "SUCCESS"},
		{Verdict{Certificate: c, Reason: ReasonExpired}, "FAILED:expired"},
		{Verdict{Certificate: c, Reason: ReasonIssuerDNMismatch}, "FAILED:issuer-dn-mismatch"},
		{Verdict{Certificate: c}, "PASSTHROUGH"},
	} {
		if got := tc.v.ClientCertificateVerification(); got != tc.want {
			t.Errorf("%+v: %q; want %q", tc.v, got, tc.want)
		}
	}
	if (&Verdict{Certificate: c, PeerCertificates: []*x509.Certificate{c}}).Forwardable() != nil {
		t.Error("an unverified certificate is forwardable")
	}
	if len((&Verdict{Certificate: c, Verified: true, PeerCertificates: []*x509.Certificate{c}}).Forwardable()) != 1 {
		t.Error("a verified certificate is not forwardable")
	}
}

func TestLogValue(t *testing.T) {
	p := newPKI()
	v := mustNew(t, Config{TrustedClientCertificates: p.trust()})
	verdict := v.VerifyCertificates(context.Background(), []*x509.Certificate{p.expired.Certificate})
	var b bytes.Buffer
	slog.New(slog.NewTextHandler(&b, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}})).Info("refused", "client_certificate", verdict)
	got := b.String()
	for _, want := range []string{
		"client_certificate.mode=Strict", "client_certificate.allowed=false", "client_certificate.verification=FAILED:expired",
		"client_certificate.reason=expired", `client_certificate.subject="CN=expired"`, `client_certificate.issuer="CN=Client Issuing CA"`,
		"client_certificate.serial=" + Serial(p.expired.Certificate), `client_certificate.error="clientauth: client certificate`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("log lacks %s:\n%s", want, got)
		}
	}
}

// TestXFCCEnvoyExamples formats the examples of Envoy's documentation
// (configuration/http/http_conn_man/headers, x-forwarded-client-cert).
func TestXFCCEnvoyExamples(t *testing.T) {
	const hash1 = "468ed33be74eee6556d90c0149c1309e9ba61d6425303443c0748a02dd8de688"
	const hash2 = "9ba61d6425303443c0748a02dd8de688468ed33be74eee6556d90c0149c1309e"
	subject := "/C=US/ST=CA/L=San Francisco/OU=Lyft/CN=Test Client"
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"one certificate, URI SAN only",
			xfccFields{by: []string{"http://frontend.lyft.com"}, hash: hash1, subject: &subject, uris: []string{"http://testclient.lyft.com"}}.String(),
			`By=http://frontend.lyft.com;Hash=468ed33be74eee6556d90c0149c1309e9ba61d6425303443c0748a02dd8de688;Subject="/C=US/ST=CA/L=San Francisco/OU=Lyft/CN=Test Client";URI=http://testclient.lyft.com`},
		{"two certificates, URI SAN only",
			xfccFields{by: []string{"http://frontend.lyft.com"}, hash: hash1, uris: []string{"http://testclient.lyft.com"}}.String() + "," +
				xfccFields{by: []string{"http://backend.lyft.com"}, hash: hash2, uris: []string{"http://frontend.lyft.com"}}.String(),
			`By=http://frontend.lyft.com;Hash=468ed33be74eee6556d90c0149c1309e9ba61d6425303443c0748a02dd8de688;URI=http://testclient.lyft.com,By=http://backend.lyft.com;Hash=9ba61d6425303443c0748a02dd8de688468ed33be74eee6556d90c0149c1309e;URI=http://frontend.lyft.com`},
		{"one certificate, URI and DNS SANs",
			xfccFields{by: []string{"http://frontend.lyft.com"}, hash: hash1, subject: &subject, uris: []string{"http://testclient.lyft.com"}, dns: []string{"lyft.com", "www.lyft.com"}}.String(),
			`By=http://frontend.lyft.com;Hash=468ed33be74eee6556d90c0149c1309e9ba61d6425303443c0748a02dd8de688;Subject="/C=US/ST=CA/L=San Francisco/OU=Lyft/CN=Test Client";URI=http://testclient.lyft.com;DNS=lyft.com;DNS=www.lyft.com`},
		// Envoy's own test of the URL encoding (conn_manager_utility_test):
		// "==abc\nde=" becomes %3D%3Dabc%0Ade%3D, and a certificate without
		// a URI SAN still gets "URI=".
		{"Envoy's encoding", "Cert=" + xfccValue(escape([]byte("==abc\nde=")), true), `Cert="%3D%3Dabc%0Ade%3D"`},
		{"empty URI", xfccFields{hash: "abcdefg", uris: []string{}}.String(), `Hash=abcdefg;URI=`},
		{"quoting", xfccFields{uris: []string{"spiffe://a/b;c=d"}, dns: []string{`x"y`}}.String(), `URI="spiffe://a/b;c=d";DNS="x\"y"`},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, tt.got, tt.want)
		}
	}
}

func TestXFCCElement(t *testing.T) {
	p := newPKI()
	leaf := p.inter.NewClientLeaf(ec("alice", uris("spiffe://example.org/alice", "spiffe://example.org/alias"), func(o *tlstest.Options) {
		o.DNSNames = []string{"alice.example"}
	}))
	peer := []*x509.Certificate{leaf.Certificate, p.inter.Certificate}
	sum := sha256.Sum256(leaf.Certificate.Raw)
	hash := hex.EncodeToString(sum[:])
	x := XFCC{Mode: XFCCSanitizeSet, By: []string{"spiffe://example.org/gateway"}, Details: XFCCDetails{Subject: true, Cert: true, Chain: true, URI: true, DNS: true}}
	want := `By=spiffe://example.org/gateway;Hash=` + hash +
		`;Cert="` + EscapedPEM(leaf.Certificate) + `"` +
		`;Chain="` + EscapedPEM(leaf.Certificate) + EscapedPEM(p.inter.Certificate) + `"` +
		`;Subject="CN=alice"` +
		`;URI=spiffe://example.org/alice;URI=spiffe://example.org/alias;DNS=alice.example`
	if got := x.Element(peer); got != want {
		t.Errorf("element:\n got %s\nwant %s", got, want)
	}
	if got := (XFCC{}).Element(peer); got != "Hash="+hash {
		t.Errorf("minimal element %q", got)
	}
	if (XFCC{}).Element(nil) != "" {
		t.Error("element without a certificate")
	}
	if got := URISANs(leaf.Certificate); len(got) != 2 || got[0] != "spiffe://example.org/alice" {
		t.Errorf("URISANs = %v", got)
	}
}

// TestXFCCModes follows Envoy's conn_manager_utility: what each mode does
// with a header the client sent, with and without mutual TLS.
func TestXFCCModes(t *testing.T) {
	p := newPKI()
	peer := []*x509.Certificate{p.alice.Certificate}
	el := XFCC{}.Element(peer)
	forged := []string{"By=spiffe://evil;Hash=00", "URI=spiffe://evil/admin"}
	tests := []struct {
		mode     XFCCMode
		incoming []string
		peer     []*x509.Certificate
		want     string
		wantOK   bool
	}{
		{XFCCSanitize, forged, peer, "", false},
		{XFCCSanitize, forged, nil, "", false},
		{XFCCForwardOnly, forged, peer, strings.Join(forged, ","), true},
		{XFCCForwardOnly, forged, nil, "", false},
		{XFCCForwardOnly, nil, peer, "", false},
		{XFCCAppendForward, forged, peer, strings.Join(forged, ",") + "," + el, true},
		{XFCCAppendForward, nil, peer, el, true},
		{XFCCAppendForward, forged, nil, "", false},
		{XFCCSanitizeSet, forged, peer, el, true},
		{XFCCSanitizeSet, forged, nil, "", false},
		{XFCCAlwaysForwardOnly, forged, nil, strings.Join(forged, ","), true},
		{XFCCAlwaysForwardOnly, nil, peer, "", false},
		{XFCCMode(42), forged, peer, "", false},
	}
	for _, tt := range tests {
		x := XFCC{Mode: tt.mode}
		got, ok := x.Value(tt.incoming, tt.peer)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("%v, %d incoming, mTLS %v: %q, %v; want %q, %v", tt.mode, len(tt.incoming), tt.peer != nil, got, ok, tt.want, tt.wantOK)
		}
		h := http.Header{}
		for _, v := range tt.incoming {
			h.Add(XFCCHeader, v)
		}
		x.Apply(h, tt.peer)
		switch {
		case !tt.wantOK && len(h.Values(XFCCHeader)) != 0:
			t.Errorf("%v: Apply left %q", tt.mode, h.Values(XFCCHeader))
		case tt.wantOK && strings.Join(h.Values(XFCCHeader), ",") != tt.want:
			t.Errorf("%v: Apply gave %q; want %q", tt.mode, h.Values(XFCCHeader), tt.want)
		}
	}
}

func TestXFCCModeNames(t *testing.T) {
	for _, name := range []string{"SANITIZE", "FORWARD_ONLY", "APPEND_FORWARD", "SANITIZE_SET", "ALWAYS_FORWARD_ONLY"} {
		m, err := ParseXFCCMode(strings.ToLower(name))
		if err != nil || m.String() != name {
			t.Errorf("%s: %v, %v", name, m, err)
		}
	}
	if _, err := ParseXFCCMode("FORWARD"); err == nil {
		t.Error("FORWARD accepted")
	}
	if XFCCMode(9).String() != "XFCCMode(9)" {
		t.Error(XFCCMode(9).String())
	}
}
