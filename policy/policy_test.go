package policy

import (
	"crypto/tls"
	"errors"
	"slices"
	"strings"
	"testing"
)

func suiteNamesOf(ids []uint16) []string {
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i] = CipherSuiteName(id)
	}
	return names
}

func droppedNames(d []DroppedSuite) []string {
	var names []string
	for _, s := range d {
		names = append(names, s.Name)
	}
	return names
}

// TestPredefined pins each predefined policy to azure-appgw.md section 1: versions, the
// suites kept in Azure's order, and the suites dropped with their reasons.
func TestPredefined(t *testing.T) {
	list2017 := []string{
		"ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
		"ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
		"ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
		"ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE_RSA_WITH_AES_128_GCM_SHA256",
		"ECDHE_RSA_WITH_AES_128_CBC_SHA", "ECDHE_RSA_WITH_AES_256_CBC_SHA",
		"RSA_WITH_AES_256_GCM_SHA384", "RSA_WITH_AES_128_GCM_SHA256",
		"RSA_WITH_AES_128_CBC_SHA256", "RSA_WITH_AES_256_CBC_SHA", "RSA_WITH_AES_128_CBC_SHA",
	}
	dropped2017 := []string{"ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", "RSA_WITH_AES_256_CBC_SHA256"}
	tests := []struct {
		name        string
		min, max    uint16
		suites      []string
		dropped     []string
		wantCurves  []tls.CurveID
		wantString  string
		wantDefault bool
	}{
		{
			name: "AppGwSslPolicy20150501", min: tls.VersionTLS10, max: tls.VersionTLS12,
			suites: []string{
				"ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE_RSA_WITH_AES_128_GCM_SHA256",
				"ECDHE_RSA_WITH_AES_128_CBC_SHA256", "ECDHE_RSA_WITH_AES_256_CBC_SHA", "ECDHE_RSA_WITH_AES_128_CBC_SHA",
				"RSA_WITH_AES_256_GCM_SHA384", "RSA_WITH_AES_128_GCM_SHA256",
				"RSA_WITH_AES_128_CBC_SHA256", "RSA_WITH_AES_256_CBC_SHA", "RSA_WITH_AES_128_CBC_SHA",
				"ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
				"ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", "ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
				"RSA_WITH_3DES_EDE_CBC_SHA",
			},
			dropped: []string{
				"ECDHE_RSA_WITH_AES_256_CBC_SHA384",
				"DHE_RSA_WITH_AES_256_GCM_SHA384", "DHE_RSA_WITH_AES_128_GCM_SHA256",
				"DHE_RSA_WITH_AES_256_CBC_SHA", "DHE_RSA_WITH_AES_128_CBC_SHA",
				"RSA_WITH_AES_256_CBC_SHA256",
				"ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
				"DHE_DSS_WITH_AES_256_CBC_SHA256", "DHE_DSS_WITH_AES_128_CBC_SHA256",
				"DHE_DSS_WITH_AES_256_CBC_SHA", "DHE_DSS_WITH_AES_128_CBC_SHA",
				"DHE_DSS_WITH_3DES_EDE_CBC_SHA",
			},
			wantCurves: []tls.CurveID{tls.X25519, tls.CurveP256, tls.CurveP384},
			wantString: "AppGwSslPolicy20150501 (TLS 1.0-1.2, 16 suites, 12 dropped)",
		},
		{
			name: "AppGwSslPolicy20170401", min: tls.VersionTLS11, max: tls.VersionTLS12,
			suites: list2017, dropped: dropped2017,
			wantCurves: []tls.CurveID{tls.X25519, tls.CurveP256, tls.CurveP384},
			wantString: "AppGwSslPolicy20170401 (TLS 1.1-1.2, 14 suites, 2 dropped)",
		},
		{
			name: "AppGwSslPolicy20170401S", min: tls.VersionTLS12, max: tls.VersionTLS12,
			suites: list2017, dropped: dropped2017,
			wantCurves: []tls.CurveID{tls.X25519, tls.CurveP256, tls.CurveP384},
			wantString: "AppGwSslPolicy20170401S (TLS 1.2, 14 suites, 2 dropped)",
		},
		{
			name: "AppGwSslPolicy20220101", min: tls.VersionTLS12, max: tls.VersionTLS13,
			suites: []string{
				"ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE_RSA_WITH_AES_128_GCM_SHA256",
				"ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE_RSA_WITH_AES_256_GCM_SHA384",
				"ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", "ECDHE_RSA_WITH_AES_128_CBC_SHA256",
			},
			dropped:     []string{"ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", "ECDHE_RSA_WITH_AES_256_CBC_SHA384"},
			wantCurves:  []tls.CurveID{tls.X25519MLKEM768, tls.X25519, tls.CurveP256, tls.CurveP384},
			wantString:  "AppGwSslPolicy20220101 (TLS 1.2-1.3, 6 suites, 2 dropped)",
			wantDefault: true,
		},
		{
			name: "AppGwSslPolicy20220101S", min: tls.VersionTLS12, max: tls.VersionTLS13,
			suites: []string{
				"ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE_RSA_WITH_AES_128_GCM_SHA256",
				"ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE_RSA_WITH_AES_256_GCM_SHA384",
			},
			wantCurves: []tls.CurveID{tls.X25519MLKEM768, tls.X25519, tls.CurveP256, tls.CurveP384},
			wantString: "AppGwSslPolicy20220101S (TLS 1.2-1.3, 4 suites)",
		},
	}
	if got, want := PredefinedNames(), []string{
		"AppGwSslPolicy20150501", "AppGwSslPolicy20170401", "AppGwSslPolicy20170401S",
		"AppGwSslPolicy20220101", "AppGwSslPolicy20220101S",
	}; !slices.Equal(got, want) {
		t.Fatalf("PredefinedNames() = %q; want %q", got, want)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Predefined(tt.name)
			if err != nil {
				t.Fatal(err)
			}
			if p.Name != tt.name || p.MinVersion != tt.min || p.MaxVersion != tt.max {
				t.Errorf("Name, MinVersion, MaxVersion = %q, %s, %s; want %q, %s, %s", p.Name,
					VersionName(p.MinVersion), VersionName(p.MaxVersion), tt.name, VersionName(tt.min), VersionName(tt.max))
			}
			if got := suiteNamesOf(p.CipherSuites); !slices.Equal(got, tt.suites) {
				t.Errorf("CipherSuites = %q\nwant %q", got, tt.suites)
			}
			if got := droppedNames(p.Dropped); !slices.Equal(got, tt.dropped) {
				t.Errorf("Dropped = %q\nwant %q", got, tt.dropped)
			}
			for _, d := range p.Dropped {
				_, err := ParseCipherSuite(d.Name)
				if !errors.Is(err, ErrUnsupported) || !strings.HasSuffix(err.Error(), "not supported: "+d.Reason) {
					t.Errorf("dropped %s (reason %q), but ParseCipherSuite says %v", d.Name, d.Reason, err)
				}
			}
			if !slices.Equal(p.Curves, tt.wantCurves) {
				t.Errorf("Curves = %v; want %v", p.Curves, tt.wantCurves)
			}
			if got := p.String(); got != tt.wantString {
				t.Errorf("String() = %q; want %q", got, tt.wantString)
			}
			if err := p.Validate(); err != nil {
				t.Errorf("Validate() = %v", err)
			}
			if got := Default().Name == tt.name; got != tt.wantDefault {
				t.Errorf("Default() is %s", Default().Name)
			}
		})
	}
}

// TestPredefinedReturnsCopies checks that a caller cannot change the package's policies
// through the slices it is given.
func TestPredefinedReturnsCopies(t *testing.T) {
	for _, get := range []func() Policy{
		Default,
		func() Policy { p, _ := Predefined("AppGwSslPolicy20150501"); return p },
	} {
		p := get()
		want := p.String()
		p.CipherSuites[0] = tls.TLS_RSA_WITH_RC4_128_SHA
		p.Curves[0] = tls.CurveP521
		p.Dropped[0].Name = "changed"
		q := get()
		if q.CipherSuites[0] == tls.TLS_RSA_WITH_RC4_128_SHA || q.Curves[0] == tls.CurveP521 || q.Dropped[0].Name == "changed" {
			t.Errorf("%s: changing a returned policy changed the next one returned", want)
		}
		if err := q.Validate(); err != nil {
			t.Errorf("%s: %v", want, err)
		}
	}
	names := PredefinedNames()
	names[0] = "changed"
	if PredefinedNames()[0] == "changed" {
		t.Error("changing PredefinedNames' result changed the next one")
	}
}

func TestPredefinedErrors(t *testing.T) {
	const want = "want AppGwSslPolicy20150501, AppGwSslPolicy20170401, AppGwSslPolicy20170401S, AppGwSslPolicy20220101 or AppGwSslPolicy20220101S"
	tests := []struct {
		in      string
		wantErr string
	}{
		{"", `policy: predefined policy "": unknown; ` + want},
		{"Custom", `policy: predefined policy "Custom": unknown; ` + want},
		{"AppGwSslPolicy2022", `policy: predefined policy "AppGwSslPolicy2022": unknown; ` + want},
		{"AppGwSslPolicy20220102", `policy: predefined policy "AppGwSslPolicy20220102": unknown; ` + want + ` (did you mean "AppGwSslPolicy20220101"?)`},
		{"appgwsslpolicy20170401s", `policy: predefined policy "appgwsslpolicy20170401s": unknown; ` + want + ` (names are case-sensitive; did you mean "AppGwSslPolicy20170401S"?)`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			p, err := Predefined(tt.in)
			wantErrorText(t, err, tt.wantErr)
			if !errors.Is(err, ErrUnknown) {
				t.Errorf("errors.Is(err, ErrUnknown) = false")
			}
			if !p.IsZero() {
				t.Errorf("policy = %v; want the zero Policy", p)
			}
		})
	}
}

func TestCustom(t *testing.T) {
	tests := []struct {
		name       string
		min        string
		suites     []string
		wantMin    uint16
		wantSuites []uint16
		wantString string
	}{
		{
			name: "TLS 1.3 only, no list", min: "TLSv1_3",
			wantMin: tls.VersionTLS13, wantString: "custom (TLS 1.3)",
		},
		{
			name: "TLS 1.3 only, TLS 1.3 suites listed (implicit)", min: "TLSv1_3",
			suites:  []string{"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384"},
			wantMin: tls.VersionTLS13, wantString: "custom (TLS 1.3)",
		},
		{
			name: "Azure and IANA spellings mixed, order kept", min: "TLSv1_2",
			suites:     []string{"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256", "ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"},
			wantMin:    tls.VersionTLS12,
			wantSuites: []uint16{tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256},
			wantString: "custom (TLS 1.2-1.3, 2 suites)",
		},
		{
			name: "TLS 1.2 with CBC_SHA suites only", min: "TLSv1_2",
			suites: []string{"ECDHE_RSA_WITH_AES_128_CBC_SHA"}, wantMin: tls.VersionTLS12,
			wantSuites: []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA},
			wantString: "custom (TLS 1.2-1.3, 1 suite)",
		},
		{
			name: "TLS 1.0 with a suite for every version", min: "TLSv1_0",
			suites:     []string{"ECDHE_RSA_WITH_AES_128_GCM_SHA256", "RSA_WITH_3DES_EDE_CBC_SHA"},
			wantMin:    tls.VersionTLS10,
			wantSuites: []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA},
			wantString: "custom (TLS 1.0-1.3, 2 suites)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Custom(tt.min, tt.suites)
			if err != nil {
				t.Fatal(err)
			}
			if p.Name != "" || p.MinVersion != tt.wantMin || p.MaxVersion != tls.VersionTLS13 {
				t.Errorf("Name, MinVersion, MaxVersion = %q, %s, %s", p.Name, VersionName(p.MinVersion), VersionName(p.MaxVersion))
			}
			if !slices.Equal(p.CipherSuites, tt.wantSuites) {
				t.Errorf("CipherSuites = %q; want %q", suiteNamesOf(p.CipherSuites), suiteNamesOf(tt.wantSuites))
			}
			if !slices.Equal(p.Curves, DefaultCurves(tls.VersionTLS13)) || p.Dropped != nil {
				t.Errorf("Curves, Dropped = %v, %v", p.Curves, p.Dropped)
			}
			if got := p.String(); got != tt.wantString {
				t.Errorf("String() = %q; want %q", got, tt.wantString)
			}
			if err := p.Validate(); err != nil {
				t.Errorf("Validate() = %v", err)
			}
		})
	}
}

func TestCustomErrors(t *testing.T) {
	tests := []struct {
		name    string
		min     string
		suites  []string
		wantErr string
		classes []error // errors.Is must hold for each
	}{
		{
			name: "misspelt suite", min: "TLSv1_2",
			suites:  []string{"ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE_ECDSA_WITH_AES_128_GCM_SHA265"},
			wantErr: `policy: cipher suite "ECDHE_ECDSA_WITH_AES_128_GCM_SHA265" (cipherSuites[1]): unknown (did you mean "ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"?)`,
			classes: []error{ErrUnknown},
		},
		{
			name: "every bad name at once", min: "TLSv1_2",
			suites: []string{
				"ECDHE_RSA_WITH_AES_128_GCM_SHA265",
				"DHE_RSA_WITH_AES_128_GCM_SHA256",
				"ECDHE_RSA_WITH_AES_128_GCM_SHA256",
				"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
				"ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
				"TLS_CHACHA20_POLY1305_SHA256",
				"ECDHE_RSA_WITH_AES_256_CBC_SHA384",
			},
			wantErr: `policy: cipher suite "ECDHE_RSA_WITH_AES_128_GCM_SHA265" (cipherSuites[0]): unknown (did you mean "ECDHE_RSA_WITH_AES_128_GCM_SHA256"?)` + "\n" +
				`policy: cipher suite "DHE_RSA_WITH_AES_128_GCM_SHA256" (cipherSuites[1]): not supported: crypto/tls does not implement finite-field DHE key exchange` + "\n" +
				`policy: cipher suite "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" (cipherSuites[3]): duplicate of cipherSuites[2]` + "\n" +
				`policy: cipher suite "ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256" (cipherSuites[4]): not allowed: Azure does not offer it in custom policies` + "\n" +
				`policy: cipher suite "TLS_CHACHA20_POLY1305_SHA256" (cipherSuites[5]): not allowed: Azure does not offer it in custom policies (crypto/tls enables it at TLS 1.3 regardless)` + "\n" +
				`policy: cipher suite "ECDHE_RSA_WITH_AES_256_CBC_SHA384" (cipherSuites[6]): not supported: crypto/tls does not implement CBC suites with an HMAC-SHA384 MAC`,
			classes: []error{ErrUnknown, ErrUnsupported, ErrDuplicate, ErrNotAllowed},
		},
		{
			name: "duplicate TLS 1.3 suite", min: "TLSv1_3",
			suites:  []string{"TLS_AES_128_GCM_SHA256", "TLS_AES_128_GCM_SHA256"},
			wantErr: `policy: cipher suite "TLS_AES_128_GCM_SHA256" (cipherSuites[1]): duplicate of cipherSuites[0]`,
			classes: []error{ErrDuplicate},
		},
		{
			name: "TLS 1.2 suite with minimum TLS 1.3", min: "TLSv1_3",
			suites: []string{"ECDHE_RSA_WITH_AES_128_GCM_SHA256", "RSA_WITH_AES_128_CBC_SHA"},
			wantErr: `policy: cipher suite "ECDHE_RSA_WITH_AES_128_GCM_SHA256" (cipherSuites[0]): not allowed: it works at TLS 1.2, the policy allows TLS 1.3` + "\n" +
				`policy: cipher suite "RSA_WITH_AES_128_CBC_SHA" (cipherSuites[1]): not allowed: it works at TLS 1.0-1.2, the policy allows TLS 1.3`,
			classes: []error{ErrNotAllowed},
		},
		{
			name: "TLS 1.0 with TLS 1.2-only suites", min: "TLSv1_0",
			suites:  []string{"ECDHE_RSA_WITH_AES_128_GCM_SHA256", "RSA_WITH_AES_128_CBC_SHA256"},
			wantErr: `policy: no listed cipher suite works at TLS 1.0-1.1: list one that does, or raise the minimum version to TLS 1.2`,
		},
		{
			name: "TLS 1.2 with no list", min: "TLSv1_2",
			wantErr: `policy: no listed cipher suite works at TLS 1.2: list one that does, or raise the minimum version to TLS 1.3`,
		},
		{
			name: "TLS 1.1 with TLS 1.3 suites only", min: "TLSv1_1",
			suites:  []string{"TLS_AES_256_GCM_SHA384"},
			wantErr: `policy: no listed cipher suite works at TLS 1.1-1.2: list one that does, or raise the minimum version to TLS 1.3`,
		},
		{
			name: "bad version and bad suite together", min: "TLSv1.2",
			suites: []string{"ECDHE_RSA_WITH_AES_128_GCM_SHA256", "BOGUS"},
			wantErr: `policy: TLS version "TLSv1.2": unknown; want TLSv1_0, TLSv1_1, TLSv1_2 or TLSv1_3 (did you mean "TLSv1_2"?)` + "\n" +
				`policy: cipher suite "BOGUS" (cipherSuites[1]): unknown`,
			classes: []error{ErrUnknown},
		},
		{
			name: "empty version", min: "",
			wantErr: `policy: TLS version "": unknown; want TLSv1_0, TLSv1_1, TLSv1_2 or TLSv1_3`,
			classes: []error{ErrUnknown},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Custom(tt.min, tt.suites)
			wantErrorText(t, err, tt.wantErr)
			for _, c := range tt.classes {
				if !errors.Is(err, c) {
					t.Errorf("errors.Is(err, %v) = false", c)
				}
			}
			if !p.IsZero() {
				t.Errorf("policy = %#v; want the zero Policy", p)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	const (
		v10, v11, v12, v13 = tls.VersionTLS10, tls.VersionTLS11, tls.VersionTLS12, tls.VersionTLS13
		gcm                = tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
		cbc                = tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA
	)
	tests := []struct {
		name    string
		p       Policy
		wantErr string // empty: valid
	}{
		{name: "zero", p: Policy{}},
		{name: "TLS 1.3 only, no suites", p: Policy{MinVersion: v13, MaxVersion: v13}},
		{name: "TLS 1.2 with explicit curves", p: Policy{MinVersion: v12, MaxVersion: v12, CipherSuites: []uint16{gcm}, Curves: []tls.CurveID{tls.CurveP521}}},
		{name: "TLS 1.0-1.3", p: Policy{MinVersion: v10, MaxVersion: v13, CipherSuites: []uint16{gcm, cbc}}},
		{name: "hybrid only, TLS 1.3 only", p: Policy{MinVersion: v13, MaxVersion: v13, Curves: []tls.CurveID{tls.X25519MLKEM768}}},
		{
			name:    "versions unset",
			p:       Policy{CipherSuites: []uint16{gcm}},
			wantErr: "policy: MinVersion is not set; want TLS 1.0 to TLS 1.3\npolicy: MaxVersion is not set; want TLS 1.2 or TLS 1.3",
		},
		{
			name:    "versions out of range",
			p:       Policy{MinVersion: 0x0300, MaxVersion: v11},
			wantErr: "policy: MinVersion SSLv3 is not TLS 1.0 to TLS 1.3\npolicy: MaxVersion TLS 1.1 is not TLS 1.2 or TLS 1.3",
		},
		{
			name:    "versions inverted",
			p:       Policy{MinVersion: v13, MaxVersion: v12, CipherSuites: []uint16{gcm}},
			wantErr: "policy: MinVersion TLS 1.3 is above MaxVersion TLS 1.2",
		},
		{
			name: "bad suites",
			p:    Policy{MinVersion: v12, MaxVersion: v13, CipherSuites: []uint16{0x009f, tls.TLS_AES_128_GCM_SHA256, gcm, gcm, 0x1234}},
			wantErr: `policy: cipher suite "DHE_RSA_WITH_AES_256_GCM_SHA384" (CipherSuites[0]): not supported: crypto/tls does not implement finite-field DHE key exchange` + "\n" +
				`policy: cipher suite "TLS_AES_128_GCM_SHA256" (CipherSuites[1]): not allowed: a TLS 1.3 suite, which crypto/tls enables by itself; leave it out of CipherSuites` + "\n" +
				`policy: cipher suite "ECDHE_RSA_WITH_AES_128_GCM_SHA256" (CipherSuites[3]): duplicate of CipherSuites[2]` + "\n" +
				`policy: cipher suite "0x1234" (CipherSuites[4]): unknown`,
		},
		{
			name:    "suite outside the versions",
			p:       Policy{MinVersion: v13, MaxVersion: v13, CipherSuites: []uint16{cbc}},
			wantErr: `policy: cipher suite "ECDHE_RSA_WITH_AES_128_CBC_SHA" (CipherSuites[0]): not allowed: it works at TLS 1.0-1.2, the policy allows TLS 1.3`,
		},
		{
			name:    "version without a suite",
			p:       Policy{MinVersion: v11, MaxVersion: v12, CipherSuites: []uint16{gcm}},
			wantErr: `policy: no listed cipher suite works at TLS 1.1: list one that does, or raise the minimum version to TLS 1.2`,
		},
		{
			name:    "no suites below TLS 1.3",
			p:       Policy{MinVersion: v12, MaxVersion: v13},
			wantErr: `policy: no listed cipher suite works at TLS 1.2: list one that does, or raise the minimum version to TLS 1.3`,
		},
		{
			name: "bad curves",
			p:    Policy{MinVersion: v12, MaxVersion: v12, CipherSuites: []uint16{gcm}, Curves: []tls.CurveID{tls.X25519MLKEM768, tls.X25519, tls.X25519, 99}},
			wantErr: `policy: curve "X25519MLKEM768" (Curves[0]): not allowed: it exists in TLS 1.3 only, and MaxVersion is TLS 1.2` + "\n" +
				`policy: curve "X25519" (Curves[2]): duplicate of Curves[1]` + "\n" +
				`policy: curve "CurveID(99)" (Curves[3]): not supported: crypto/tls does not implement it`,
		},
		{
			name:    "only hybrids with TLS 1.2 ECDHE suites",
			p:       Policy{MinVersion: v12, MaxVersion: v13, CipherSuites: []uint16{gcm}, Curves: []tls.CurveID{tls.X25519MLKEM768}},
			wantErr: `policy: Curves has no group for the ECDHE suites at TLS 1.2, where post-quantum hybrids do not exist: add X25519, P-256 or P-384`,
		},
		{
			name: "only hybrids with RSA key exchange is fine",
			p:    Policy{MinVersion: v12, MaxVersion: v13, CipherSuites: []uint16{tls.TLS_RSA_WITH_AES_128_GCM_SHA256}, Curves: []tls.CurveID{tls.X25519MLKEM768}},
		},
		{
			name:    "unknown name",
			p:       Policy{Name: "AppGwSslPolicy20220101s", MinVersion: v13, MaxVersion: v13},
			wantErr: `policy: predefined policy "AppGwSslPolicy20220101s" (Name): unknown (names are case-sensitive; did you mean "AppGwSslPolicy20220101S"?); leave Name empty for a custom policy`,
		},
		{
			name: "name that does not describe the policy",
			p: func() Policy {
				p := Default()
				p.MinVersion = v13
				p.CipherSuites = nil
				return p
			}(),
			wantErr: `policy: Name "AppGwSslPolicy20220101" does not describe this policy: MinVersion, CipherSuites differ from the predefined policy; leave Name empty for a custom policy`,
		},
		{
			name: "predefined with curves left to default",
			p: func() Policy {
				p := Default()
				p.Curves = nil
				return p
			}(),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.p.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate() = %v; want nil", err)
				}
				return
			}
			wantErrorText(t, err, tt.wantErr)
		})
	}
}

func TestApply(t *testing.T) {
	p12, err := Predefined("AppGwSslPolicy20170401S")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		p          Policy
		want       Policy // the fields Apply must copy
		wantCurves []tls.CurveID
	}{
		{name: "zero means default", p: Policy{}, want: Default(), wantCurves: DefaultCurves(tls.VersionTLS13)},
		{name: "predefined TLS 1.2", p: p12, want: p12, wantCurves: []tls.CurveID{tls.X25519, tls.CurveP256, tls.CurveP384}},
		{
			name:       "nil curves take the default",
			p:          Policy{MinVersion: tls.VersionTLS13, MaxVersion: tls.VersionTLS13},
			want:       Policy{MinVersion: tls.VersionTLS13, MaxVersion: tls.VersionTLS13},
			wantCurves: []tls.CurveID{tls.X25519MLKEM768, tls.X25519, tls.CurveP256, tls.CurveP384},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, cfg := range []*tls.Config{
				func() *tls.Config {
					cfg := &tls.Config{ServerName: "keep.example", MinVersion: tls.VersionTLS10, CipherSuites: []uint16{tls.TLS_RSA_WITH_RC4_128_SHA}}
					if err := tt.p.Apply(cfg); err != nil {
						t.Fatal(err)
					}
					return cfg
				}(),
				mustServerConfig(t, tt.p),
			} {
				if cfg.MinVersion != tt.want.MinVersion || cfg.MaxVersion != tt.want.MaxVersion {
					t.Errorf("versions = %s-%s; want %s-%s", VersionName(cfg.MinVersion), VersionName(cfg.MaxVersion),
						VersionName(tt.want.MinVersion), VersionName(tt.want.MaxVersion))
				}
				if !slices.Equal(cfg.CipherSuites, tt.want.CipherSuites) {
					t.Errorf("CipherSuites = %q; want %q", suiteNamesOf(cfg.CipherSuites), suiteNamesOf(tt.want.CipherSuites))
				}
				if !slices.Equal(cfg.CurvePreferences, tt.wantCurves) {
					t.Errorf("CurvePreferences = %v; want %v", cfg.CurvePreferences, tt.wantCurves)
				}
			}
		})
	}

	t.Run("keeps other fields", func(t *testing.T) {
		cfg := &tls.Config{ServerName: "keep.example", NextProtos: []string{"h2"}}
		if err := Default().Apply(cfg); err != nil {
			t.Fatal(err)
		}
		if cfg.ServerName != "keep.example" || !slices.Equal(cfg.NextProtos, []string{"h2"}) {
			t.Errorf("Apply changed ServerName or NextProtos: %q %q", cfg.ServerName, cfg.NextProtos)
		}
	})

	t.Run("shares no slice", func(t *testing.T) {
		p := Default()
		cfg := mustServerConfig(t, p)
		cfg.CipherSuites[0] = tls.TLS_RSA_WITH_RC4_128_SHA
		cfg.CurvePreferences[0] = tls.CurveP521
		if p.CipherSuites[0] == tls.TLS_RSA_WITH_RC4_128_SHA || p.Curves[0] == tls.CurveP521 {
			t.Error("changing the config changed the policy")
		}
		zeroCfg := mustServerConfig(t, Policy{})
		zeroCfg.CipherSuites[0] = tls.TLS_RSA_WITH_RC4_128_SHA
		zeroCfg.CurvePreferences[0] = tls.CurveP521
		if d := Default(); d.CipherSuites[0] == tls.TLS_RSA_WITH_RC4_128_SHA || d.Curves[0] == tls.CurveP521 || (Policy{}).String() != d.String() {
			t.Error("changing the config of the zero policy changed the default")
		}
		if !slices.Equal(DefaultCurves(tls.VersionTLS13), []tls.CurveID{tls.X25519MLKEM768, tls.X25519, tls.CurveP256, tls.CurveP384}) {
			t.Error("changing a config changed DefaultCurves")
		}
	})

	t.Run("invalid policy is an error", func(t *testing.T) {
		const want = "policy: no listed cipher suite works at TLS 1.2: list one that does, or raise the minimum version to TLS 1.3"
		cfg := &tls.Config{MinVersion: tls.VersionTLS10}
		err := Policy{MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS13}.Apply(cfg)
		if err == nil || err.Error() != want {
			t.Errorf("Apply = %v; want %q", err, want)
		}
		if cfg.MinVersion != tls.VersionTLS10 || cfg.CipherSuites != nil {
			t.Error("a failed Apply changed the config")
		}
		if _, err := (Policy{MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS13}).ServerConfig(); err == nil || err.Error() != want {
			t.Errorf("ServerConfig = %v; want %q", err, want)
		}
	})
}

// mustServerConfig is p.ServerConfig, failing the test on an error.
func mustServerConfig(t *testing.T, p Policy) *tls.Config {
	t.Helper()
	cfg, err := p.ServerConfig()
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// clientConfig is a backend connection's config under p: the policy
// applied, as backendtls.Config.ClientConfig applies it.
func clientConfig(t *testing.T, p Policy) *tls.Config {
	t.Helper()
	cfg := &tls.Config{}
	if err := p.Apply(cfg); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestAllows(t *testing.T) {
	p12, err := Predefined("AppGwSslPolicy20170401S")
	if err != nil {
		t.Fatal(err)
	}
	p10, err := Predefined("AppGwSslPolicy20150501")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		p       Policy
		version uint16
		suite   uint16
		want    bool
	}{
		{"default TLS 1.3 AES-128", Default(), tls.VersionTLS13, tls.TLS_AES_128_GCM_SHA256, true},
		{"default TLS 1.3 ChaCha20 (Go's fixed set)", Default(), tls.VersionTLS13, tls.TLS_CHACHA20_POLY1305_SHA256, true},
		{"zero TLS 1.3 AES-256", Policy{}, tls.VersionTLS13, tls.TLS_AES_256_GCM_SHA384, true},
		{"default TLS 1.2 listed", Default(), tls.VersionTLS12, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, true},
		{"zero TLS 1.2 listed", Policy{}, tls.VersionTLS12, tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, true},
		{"default TLS 1.2 unlisted", Default(), tls.VersionTLS12, tls.TLS_RSA_WITH_AES_128_GCM_SHA256, false},
		{"default TLS 1.1", Default(), tls.VersionTLS11, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, false},
		{"default TLS 1.2 with a TLS 1.3 suite", Default(), tls.VersionTLS12, tls.TLS_AES_128_GCM_SHA256, false},
		{"default TLS 1.3 with a TLS 1.2 suite", Default(), tls.VersionTLS13, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, false},
		{"TLS 1.2 policy at TLS 1.3", p12, tls.VersionTLS13, tls.TLS_AES_128_GCM_SHA256, false},
		{"20150501 TLS 1.0 3DES", p10, tls.VersionTLS10, tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA, true},
		{"20150501 TLS 1.0 GCM (impossible)", p10, tls.VersionTLS10, tls.TLS_RSA_WITH_AES_128_GCM_SHA256, false},
		{"20150501 dropped DHE", p10, tls.VersionTLS12, 0x009f, false},
		{"unknown suite", p10, tls.VersionTLS12, 0x1234, false},
		{"SSL 3.0", p10, 0x0300, tls.TLS_RSA_WITH_AES_128_CBC_SHA, false},
	}
	for _, tt := range tests {
		if got := tt.p.Allows(tt.version, tt.suite); got != tt.want {
			t.Errorf("%s: Allows(%s, %s) = %v; want %v", tt.name, VersionName(tt.version), CipherSuiteName(tt.suite), got, tt.want)
		}
	}
	for _, p := range []Policy{{}, p10} {
		if n := testing.AllocsPerRun(100, func() {
			p.Allows(tls.VersionTLS12, tls.TLS_RSA_WITH_AES_128_CBC_SHA)
			p.Allows(tls.VersionTLS13, tls.TLS_AES_128_GCM_SHA256)
		}); n != 0 {
			t.Errorf("%v: Allows allocates %v times per call pair; want 0", p, n)
		}
	}
}

func TestIsZero(t *testing.T) {
	tests := []struct {
		p    Policy
		want bool
	}{
		{Policy{}, true},
		{Policy{CipherSuites: []uint16{}}, true},
		{Policy{Name: "x"}, false},
		{Policy{MinVersion: tls.VersionTLS13}, false},
		{Policy{MaxVersion: tls.VersionTLS13}, false},
		{Policy{CipherSuites: []uint16{tls.TLS_RSA_WITH_AES_128_CBC_SHA}}, false},
		{Policy{Curves: []tls.CurveID{tls.X25519}}, false},
		{Policy{Dropped: []DroppedSuite{{}}}, false},
		{Default(), false},
	}
	for _, tt := range tests {
		if got := tt.p.IsZero(); got != tt.want {
			t.Errorf("%#v.IsZero() = %v; want %v", tt.p, got, tt.want)
		}
	}
}

func TestString(t *testing.T) {
	tests := []struct {
		p    Policy
		want string
	}{
		{Policy{}, "AppGwSslPolicy20220101 (TLS 1.2-1.3, 6 suites, 2 dropped)"},
		{Policy{MinVersion: tls.VersionTLS13, MaxVersion: tls.VersionTLS13}, "custom (TLS 1.3)"},
		{Policy{MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS13}, "custom (TLS 1.2-1.3, 0 suites)"},
		{Policy{MinVersion: 0x0300, MaxVersion: 0x0305}, "custom (SSLv3-0x0305, 0 suites)"},
	}
	for _, tt := range tests {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("String() = %q; want %q", got, tt.want)
		}
	}
}

func TestNameError(t *testing.T) {
	e := &NameError{Kind: "curve", Name: "X", Field: "Curves[1]", Reason: "duplicate of Curves[0]", Err: ErrDuplicate}
	if got, want := e.Error(), `policy: curve "X" (Curves[1]): duplicate of Curves[0]`; got != want {
		t.Errorf("Error() = %q; want %q", got, want)
	}
	if !errors.Is(e, ErrDuplicate) || errors.Is(e, ErrUnknown) {
		t.Error("Unwrap does not return Err")
	}
	e.Field = ""
	if got, want := e.Error(), `policy: curve "X": duplicate of Curves[0]`; got != want {
		t.Errorf("Error() = %q; want %q", got, want)
	}
}

func TestCipherSuiteNameDoesNotAllocate(t *testing.T) {
	// Access-log records and metrics name a suite for every request.
	if n := testing.AllocsPerRun(100, func() { CipherSuiteName(tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256) }); n != 0 {
		t.Errorf("CipherSuiteName allocates %v times", n)
	}
}
