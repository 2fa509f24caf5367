package backendtls

import (
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"net"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/e2etls/e2etls/backendtls/tlstest"
)

func TestParseSAN(t *testing.T) {
	tests := []struct {
		in      string
		want    SAN
		wantErr string
	}{
		{in: "DNS:api.example", want: SAN{SANDNS, "api.example"}},
		{in: "dns:api.example.", want: SAN{SANDNS, "api.example."}},
		{in: "URI:spiffe://example.org/ns/prod/sa/api", want: SAN{SANURI, "spiffe://example.org/ns/prod/sa/api"}},
		{in: "URI:https://api.example/path?q=1", want: SAN{SANURI, "https://api.example/path?q=1"}},
		{in: "IP:10.0.0.7", want: SAN{SANIP, "10.0.0.7"}},
		{in: "IP Address:2001:db8::1", want: SAN{SANIP, "2001:db8::1"}},
		{in: "api.example", wantErr: `backendtls: SAN "api.example": want TYPE:VALUE with TYPE DNS, URI or IP, such as "URI:spiffe://example.org/api"`},
		{in: "email:a@b.example", wantErr: `backendtls: SAN "email:a@b.example": unknown type "email"; want DNS, URI or IP`},
		{in: "DNS:", wantErr: `backendtls: SAN DNS:: empty value`},
		{in: "DNS:10.0.0.1", wantErr: `backendtls: SAN DNS:10.0.0.1: "10.0.0.1" is an IP address: use Type SANIP`},
		{in: "DNS:*.svc.example", wantErr: `backendtls: SAN DNS:*.svc.example: "*.svc.example" is a wildcard pattern; an expected identity must be one exact name`},
		{in: "DNS:spiffe://example.org/api", wantErr: `backendtls: SAN DNS:spiffe://example.org/api: "spiffe://example.org/api" is a URI: use Type SANURI`},
		{in: "DNS:a..example", wantErr: `backendtls: SAN DNS:a..example: DNS name "a..example" has an empty label`},
		{in: "IP:10.0.0.256", wantErr: `backendtls: SAN IP:10.0.0.256: "10.0.0.256" is not an IP address`},
		{in: "IP:fe80::1%eth0", wantErr: `backendtls: SAN IP:fe80::1%eth0: IP address "fe80::1%eth0" has a zone; use the address without "%eth0"`},
		{in: "URI:/relative", wantErr: `backendtls: SAN URI:/relative: URI "/relative" is not absolute: it needs a scheme, such as "spiffe://"`},
		{in: "URI:spiffe://example.org/a b", wantErr: `backendtls: SAN URI:spiffe://example.org/a b: URI "spiffe://example.org/a b" contains white space`},
		{in: "URI:HTTPS://api.example/", wantErr: `backendtls: SAN URI:HTTPS://api.example/: URI "HTTPS://api.example/" is not in canonical form: write it as "https://api.example/"`},
		{in: "URI:SPIFFE://example.org/api", wantErr: `backendtls: SAN URI:SPIFFE://example.org/api: URI "SPIFFE://example.org/api" is not in canonical form: write it as "spiffe://example.org/api"`},
		{in: "URI:spiffe:///api", wantErr: `backendtls: SAN URI:spiffe:///api: SPIFFE ID "spiffe:///api" has no trust domain`},
		{in: "URI:spiffe://Example.org/api", wantErr: `backendtls: SAN URI:spiffe://Example.org/api: SPIFFE ID "spiffe://Example.org/api": the trust domain may hold only lowercase letters, digits, '.', '-' and '_'`},
		{in: "URI:spiffe://example.org:8443/api", wantErr: `backendtls: SAN URI:spiffe://example.org:8443/api: SPIFFE ID "spiffe://example.org:8443/api": a trust domain takes no user and no port`},
		{in: "URI:spiffe://example.org/api?x=1", wantErr: `backendtls: SAN URI:spiffe://example.org/api?x=1: SPIFFE ID "spiffe://example.org/api?x=1": a SPIFFE ID takes no query and no fragment`},
		{in: "URI:spiffe://example.org/a//b", wantErr: `backendtls: SAN URI:spiffe://example.org/a//b: SPIFFE ID "spiffe://example.org/a//b": the path has an empty, "." or ".." segment`},
		{in: "URI:spiffe://example.org/a/../b", wantErr: `backendtls: SAN URI:spiffe://example.org/a/../b: SPIFFE ID "spiffe://example.org/a/../b": the path has an empty, "." or ".." segment`},
	}
	for _, tt := range tests {
		got, err := ParseSAN(tt.in)
		switch {
		case tt.wantErr != "":
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("ParseSAN(%q) error:\n got %v\nwant %s", tt.in, err, tt.wantErr)
			}
		case err != nil:
			t.Errorf("ParseSAN(%q): %v", tt.in, err)
		case got != tt.want:
			t.Errorf("ParseSAN(%q) = %+v; want %+v", tt.in, got, tt.want)
		case !strings.EqualFold(got.String(), tt.in) && !strings.HasPrefix(tt.in, "IP Address:"):
			t.Errorf("%+v.String() = %q; want %q", got, got.String(), tt.in)
		}
	}
	if err := (SAN{Type: SANType(9), Value: "x"}).Validate(); err == nil || err.Error() != "backendtls: SAN SANType(9):x: unknown SAN type 9: use SANDNS, SANURI or SANIP" {
		t.Errorf("unknown type: %v", err)
	}
}

func sanCert(cn string, dns []string, uris []string, ips ...string) *x509.Certificate {
	c := &x509.Certificate{Subject: pkix.Name{CommonName: cn}, DNSNames: dns}
	for _, u := range uris {
		parsed, err := url.Parse(u)
		if err != nil {
			panic(err)
		}
		c.URIs = append(c.URIs, parsed)
	}
	for _, ip := range ips {
		c.IPAddresses = append(c.IPAddresses, net.ParseIP(ip))
	}
	return c
}

func TestSANMatcher(t *testing.T) {
	spiffe := "spiffe://example.org/ns/prod/sa/api"
	tests := []struct {
		name string
		sans []SAN
		cert *x509.Certificate
		want SAN // zero: no match
	}{
		{"URI exact", []SAN{{SANURI, spiffe}}, sanCert("", nil, []string{spiffe}), SAN{SANURI, spiffe}},
		{"URI second of two in the certificate", []SAN{{SANURI, spiffe}}, sanCert("", nil, []string{"spiffe://example.org/x", spiffe}), SAN{SANURI, spiffe}},
		{"URI prefix is not a match", []SAN{{SANURI, "spiffe://example.org/ns/prod"}}, sanCert("", nil, []string{spiffe}), SAN{}},
		{"URI longer is not a match", []SAN{{SANURI, spiffe + "/x"}}, sanCert("", nil, []string{spiffe}), SAN{}},
		{"URI path case matters", []SAN{{SANURI, "spiffe://example.org/ns/PROD/sa/api"}}, sanCert("", nil, []string{spiffe}), SAN{}},
		{"URI query matters", []SAN{{SANURI, "https://a.example/p?x=1"}}, sanCert("", nil, []string{"https://a.example/p?x=2"}), SAN{}},
		{"URI with user", []SAN{{SANURI, "https://u@a.example/"}}, sanCert("", nil, []string{"https://u@a.example/"}), SAN{SANURI, "https://u@a.example/"}},
		{"URI with and without user", []SAN{{SANURI, "https://a.example/"}}, sanCert("", nil, []string{"https://u@a.example/"}), SAN{}},
		{"URI never matches a DNS SAN", []SAN{{SANURI, "spiffe://a.example"}}, sanCert("", []string{"a.example"}, nil), SAN{}},
		{"DNS", []SAN{{SANDNS, "a.example"}}, sanCert("", []string{"a.example"}, nil), SAN{SANDNS, "a.example"}},
		{"DNS case and dot", []SAN{{SANDNS, "A.Example."}}, sanCert("", []string{"a.example"}, nil), SAN{SANDNS, "A.Example."}},
		{"DNS wildcard", []SAN{{SANDNS, "api.svc.example"}}, sanCert("", []string{"*.svc.example"}, nil), SAN{SANDNS, "api.svc.example"}},
		{"DNS wildcard one label only", []SAN{{SANDNS, "a.api.svc.example"}}, sanCert("", []string{"*.svc.example"}, nil), SAN{}},
		{"DNS never the CN", []SAN{{SANDNS, "a.example"}}, sanCert("a.example", nil, nil), SAN{}},
		{"DNS never a URI", []SAN{{SANDNS, "example.org"}}, sanCert("", nil, []string{"spiffe://example.org"}), SAN{}},
		{"IP", []SAN{{SANIP, "10.0.0.7"}}, sanCert("", nil, nil, "10.0.0.7"), SAN{SANIP, "10.0.0.7"}},
		{"IP mapped", []SAN{{SANIP, "10.0.0.7"}}, sanCert("", nil, nil, "::ffff:10.0.0.7"), SAN{SANIP, "10.0.0.7"}},
		{"IPv6 spelled differently", []SAN{{SANIP, "2001:0db8::0:1"}}, sanCert("", nil, nil, "2001:db8::1"), SAN{SANIP, "2001:0db8::0:1"}},
		{"IP never a DNS SAN", []SAN{{SANIP, "10.0.0.7"}}, sanCert("", []string{"10.0.0.7"}, nil), SAN{}},
		{"any of the list, reports the one", []SAN{{SANDNS, "x.example"}, {SANIP, "10.0.0.9"}, {SANURI, spiffe}, {SANDNS, "y.example"}},
			sanCert("", []string{"y.example"}, []string{spiffe}), SAN{SANDNS, "y.example"}},
		{"none of the list", []SAN{{SANDNS, "x.example"}, {SANIP, "10.0.0.9"}}, sanCert("x.example", []string{"z.example"}, nil, "10.0.0.8"), SAN{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := NewSANMatcher(tt.sans...)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := m.Match(tt.cert)
			if ok != (tt.want != SAN{}) || got != tt.want {
				t.Errorf("Match = %+v, %v; want %+v", got, ok, tt.want)
			}
		})
	}
	m, _ := NewSANMatcher(SAN{SANDNS, "a.example"})
	if _, ok := m.Match(nil); ok {
		t.Error("nil certificate matched")
	}
}

func TestNewSANMatcherErrors(t *testing.T) {
	if _, err := NewSANMatcher(); err == nil || err.Error() != "backendtls: no SAN to match: give at least one" {
		t.Errorf("no SANs: %v", err)
	}
	_, err := NewSANMatcher(SAN{SANDNS, "ok.example"}, SAN{SANIP, "x"}, SAN{SANURI, "nope"})
	want := "backendtls: SAN 1 (IP:x): \"x\" is not an IP address\n" +
		"backendtls: SAN 2 (URI:nope): URI \"nope\" is not absolute: it needs a scheme, such as \"spiffe://\""
	if err == nil || err.Error() != want {
		t.Errorf("error:\n got %v\nwant %s", err, want)
	}
}

func TestSANMatcherDoesNotAllocate(t *testing.T) {
	spiffe := "spiffe://example.org/api"
	m, err := NewSANMatcher(SAN{SANDNS, "x.example"}, SAN{SANURI, "spiffe://example.org/other"}, SAN{SANIP, "10.0.0.7"}, SAN{SANURI, spiffe})
	if err != nil {
		t.Fatal(err)
	}
	hit := sanCert("", []string{"a.example", "*.svc.example"}, []string{spiffe}, "10.0.0.1")
	miss := sanCert("", []string{"a.example"}, []string{"spiffe://example.org/nope"}, "10.0.0.1")
	allocs := testing.AllocsPerRun(100, func() {
		if _, ok := m.Match(hit); !ok {
			t.Fatal("no match")
		}
		if _, ok := m.Match(miss); ok {
			t.Fatal("match")
		}
	})
	if allocs != 0 {
		t.Errorf("Match allocates %v times per call", allocs)
	}
}

func TestSANMatcherString(t *testing.T) {
	m, err := NewSANMatcher(SAN{SANDNS, "a.example"}, SAN{SANURI, "spiffe://example.org/api"}, SAN{SANIP, "10.0.0.7"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := m.String(), "DNS:a.example, URI:spiffe://example.org/api, IP:10.0.0.7"; got != want {
		t.Errorf("String = %q; want %q", got, want)
	}
	sans := m.SANs()
	sans[0].Value = "changed.example"
	if m.SANs()[0].Value != "a.example" {
		t.Error("SANs shares its slice")
	}
	c := sanCert("cn", []string{"a.example"}, []string{"spiffe://example.org/api"}, "10.0.0.7")
	want := []SAN{{SANDNS, "a.example"}, {SANURI, "spiffe://example.org/api"}, {SANIP, "10.0.0.7"}}
	got := CertificateSANs(c)
	if len(got) != len(want) {
		t.Fatalf("CertificateSANs = %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("CertificateSANs[%d] = %v; want %v", i, got[i], want[i])
		}
	}
}

func TestValidateSubjectAltNames(t *testing.T) {
	p := newPKI()
	tests := []struct {
		name string
		cfg  Config
		want []string
	}{
		{"SANs alone are an identity", Config{SubjectAltNames: []SAN{{SANURI, "spiffe://example.org/api"}}, TrustedRootCertificates: x509s(p.root), Time: clock}, nil},
		{"with Identity", Config{ServerName: "a.example", Identity: "10.0.0.1", SubjectAltNames: []SAN{{SANDNS, "b.example"}}, Time: clock},
			[]string{`backendtls: Identity "10.0.0.1" and SubjectAltNames both name the expected identity: put backendtls.SAN{Type: backendtls.SANIP, Value: "10.0.0.1"} in SubjectAltNames and remove Identity`}},
		{"invalid entries", Config{ServerName: "a.example", SubjectAltNames: []SAN{{SANDNS, "ok.example"}, {SANURI, "relative"}, {}}, Time: clock},
			[]string{
				`backendtls: SubjectAltNames[1] URI:relative: URI "relative" is not absolute: it needs a scheme, such as "spiffe://"`,
				`backendtls: SubjectAltNames[2] SANType(0):: empty value`,
			}},
		{"with InsecureSkipVerify", Config{SubjectAltNames: []SAN{{SANDNS, "a.example"}}, InsecureSkipVerify: true},
			[]string{"backendtls: InsecureSkipVerify turns off all verification, so SubjectAltNames would be ignored: remove InsecureSkipVerify (it is for tests only) or those settings"}},
		{"a URI given as Identity", Config{ServerName: "a.example", Identity: "spiffe://example.org/api", Time: clock},
			[]string{`backendtls: Identity: "spiffe://example.org/api" is a URI, which is neither a DNS name nor an IP address: expect a URI (a SPIFFE ID) with SubjectAltNames: []backendtls.SAN{{Type: backendtls.SANURI, Value: "spiffe://example.org/api"}}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			var got []string
			if err != nil {
				got = strings.Split(err.Error(), "\n")
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("Validate:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

// TestMismatchAdviceIsAccepted follows the advice of a host-name mismatch
// on a backend whose certificate names it by URI only: the SubjectAltNames
// it suggests must pass Validate and then trust the backend, at TLS 1.2
// and 1.3. (The old advice suggested Identity: "spiffe://...", which
// Validate refuses.)
func TestMismatchAdviceIsAccepted(t *testing.T) {
	p := newPKI()
	spiffe, _ := url.Parse("spiffe://example.org/ns/prod/sa/api")
	leaf := p.inter.NewLeaf(ec("", func(o *tlstest.Options) { o.EmptySubject, o.URIs = true, []*url.URL{spiffe} }))
	suggestion := regexp.MustCompile(`SubjectAltNames: \[\]backendtls\.SAN\{\{Type: backendtls\.(SAN[A-Z]+), Value: "([^"]+)"\}\}`)
	for _, v := range versions {
		t.Run(v.name, func(t *testing.T) {
			s := serve(t, leaf.FullChain(), v.version)
			for _, identity := range []string{"api.example", "10.9.9.9"} {
				cfg := Config{ServerName: "api.example", Identity: identity, TrustedRootCertificates: x509s(p.root), Time: clock}
				_, err := fetch(t, &cfg, s)
				if r, _ := ReasonOf(err); r != ReasonHostnameMismatch {
					t.Fatalf("identity %q: %v; want hostname-mismatch", identity, err)
				}
				m := suggestion.FindStringSubmatch(err.Error())
				if m == nil {
					t.Fatalf("identity %q: the advice suggests no SubjectAltNames: %v", identity, err)
				}
				if m[1] != "SANURI" || m[2] != spiffe.String() {
					t.Fatalf("identity %q: advice suggests %s %q", identity, m[1], m[2])
				}
				cfg.Identity = ""
				cfg.SubjectAltNames = []SAN{{Type: SANURI, Value: m[2]}}
				if err := cfg.Validate(); err != nil {
					t.Fatalf("the advice is refused: %v", err)
				}
				if _, err := fetch(t, &cfg, s); err != nil {
					t.Fatalf("following the advice: %v", err)
				}
			}
		})
	}
}

func TestCheckSubjectAltNames(t *testing.T) {
	p := newPKI()
	spiffe, _ := url.Parse("spiffe://example.org/api")
	leaf := p.inter.NewLeaf(ec("", func(o *tlstest.Options) { o.EmptySubject, o.URIs = true, []*url.URL{spiffe} }))
	s := serve(t, leaf.FullChain(), 0)
	cfg := Config{ServerName: "api.example", SubjectAltNames: []SAN{{SANDNS, "api.example"}, {SANURI, spiffe.String()}}, TrustedRootCertificates: x509s(p.root), Time: clock}
	r, err := Check(context.Background(), s.Addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() {
		t.Fatalf("report:\n%s", r)
	}
	if r.Identity != "DNS:api.example, URI:spiffe://example.org/api" || r.ServerName != "api.example" {
		t.Errorf("identity %q, SNI %q", r.Identity, r.ServerName)
	}
	for _, c := range r.Checks {
		if c.Name == nameIdentity && c.Status != Pass {
			t.Errorf("identity check: %+v", c)
		}
	}
	cfg.SubjectAltNames = []SAN{{SANURI, "spiffe://example.org/other"}}
	r, err = Check(context.Background(), s.Addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if reason, _ := ReasonOf(r.Err); reason != ReasonHostnameMismatch {
		t.Fatalf("report:\n%s", r)
	}
	if !strings.Contains(r.String(), `fix: if this is the right backend, add one of its names to SubjectAltNames, such as backendtls.SAN{Type: backendtls.SANURI, Value: "spiffe://example.org/api"}`) {
		t.Errorf("report lacks the fix:\n%s", r)
	}
}

// FuzzParseSAN: ParseSAN never panics, and what it accepts prints back to
// a string it reads the same way.
func FuzzParseSAN(f *testing.F) {
	for _, s := range []string{"DNS:a.example", "URI:spiffe://example.org/api", "IP:10.0.0.1", "IP:::1", "uri:HTTPS://x", "DNS:*.x", ":", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		san, err := ParseSAN(s)
		if err != nil {
			return
		}
		again, err := ParseSAN(san.String())
		if err != nil || again != san {
			t.Fatalf("ParseSAN(%q) = %v, but ParseSAN(%q) = %v, %v", s, san, san.String(), again, err)
		}
		if _, err := NewSANMatcher(san); err != nil {
			t.Fatalf("NewSANMatcher refuses %v, which ParseSAN accepted: %v", san, err)
		}
	})
}
