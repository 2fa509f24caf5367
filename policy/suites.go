package policy

import (
	"crypto/tls"
	"strings"
)

// Reasons recorded for suites of the Azure lists that crypto/tls does not implement.
const (
	reasonDHE      = "crypto/tls does not implement finite-field DHE key exchange"
	reasonDSS      = "crypto/tls implements neither finite-field DHE key exchange nor DSA certificates"
	reasonSHA384   = "crypto/tls does not implement CBC suites with an HMAC-SHA384 MAC"
	reasonAES256SH = "crypto/tls implements CBC with an HMAC-SHA256 MAC for AES-128 only"
)

// suite describes one cipher suite this package can name.
type suite struct {
	id uint16

	// name is the Azure spelling: the IANA name without its "TLS_" prefix, except for
	// TLS 1.3 suites, whose Azure and IANA names are the same.
	name string

	// lo and hi are the TLS versions at which crypto/tls can negotiate the suite; both
	// are zero when crypto/tls does not implement it.
	lo, hi uint16

	// azure is set for the 30 suites Azure accepts in a custom policy.
	azure bool

	// unsupported says why crypto/tls cannot speak the suite; empty when it can.
	unsupported string
}

const (
	v10 = tls.VersionTLS10
	v12 = tls.VersionTLS12
	v13 = tls.VersionTLS13
)

// suites lists every suite of Azure's lists and every suite crypto/tls implements. The
// versions were checked against tls.CipherSuites and tls.InsecureCipherSuites (see
// TestSuiteTableMatchesCryptoTLS).
var suites = [...]suite{
	// TLS 1.3. Go always enables all three; Azure names the first two.
	{id: tls.TLS_AES_128_GCM_SHA256, name: "TLS_AES_128_GCM_SHA256", lo: v13, hi: v13, azure: true},
	{id: tls.TLS_AES_256_GCM_SHA384, name: "TLS_AES_256_GCM_SHA384", lo: v13, hi: v13, azure: true},
	{id: tls.TLS_CHACHA20_POLY1305_SHA256, name: "TLS_CHACHA20_POLY1305_SHA256", lo: v13, hi: v13},

	// ECDHE with ECDSA certificates.
	{id: tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, name: "ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", lo: v12, hi: v12, azure: true},
	{id: tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, name: "ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", lo: v12, hi: v12, azure: true},
	{id: tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, name: "ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", lo: v12, hi: v12, azure: true},
	{id: 0xc024, name: "ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", azure: true, unsupported: reasonSHA384},
	{id: tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, name: "ECDHE_ECDSA_WITH_AES_128_CBC_SHA", lo: v10, hi: v12, azure: true},
	{id: tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, name: "ECDHE_ECDSA_WITH_AES_256_CBC_SHA", lo: v10, hi: v12, azure: true},
	{id: tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, name: "ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", lo: v12, hi: v12},
	{id: tls.TLS_ECDHE_ECDSA_WITH_RC4_128_SHA, name: "ECDHE_ECDSA_WITH_RC4_128_SHA", lo: v10, hi: v12},

	// ECDHE with RSA certificates.
	{id: tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, name: "ECDHE_RSA_WITH_AES_128_GCM_SHA256", lo: v12, hi: v12, azure: true},
	{id: tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, name: "ECDHE_RSA_WITH_AES_256_GCM_SHA384", lo: v12, hi: v12, azure: true},
	{id: tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256, name: "ECDHE_RSA_WITH_AES_128_CBC_SHA256", lo: v12, hi: v12, azure: true},
	{id: 0xc028, name: "ECDHE_RSA_WITH_AES_256_CBC_SHA384", azure: true, unsupported: reasonSHA384},
	{id: tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, name: "ECDHE_RSA_WITH_AES_128_CBC_SHA", lo: v10, hi: v12, azure: true},
	{id: tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA, name: "ECDHE_RSA_WITH_AES_256_CBC_SHA", lo: v10, hi: v12, azure: true},
	{id: tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, name: "ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", lo: v12, hi: v12},
	{id: tls.TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA, name: "ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", lo: v10, hi: v12},
	{id: tls.TLS_ECDHE_RSA_WITH_RC4_128_SHA, name: "ECDHE_RSA_WITH_RC4_128_SHA", lo: v10, hi: v12},

	// RSA key exchange.
	{id: tls.TLS_RSA_WITH_AES_128_GCM_SHA256, name: "RSA_WITH_AES_128_GCM_SHA256", lo: v12, hi: v12, azure: true},
	{id: tls.TLS_RSA_WITH_AES_256_GCM_SHA384, name: "RSA_WITH_AES_256_GCM_SHA384", lo: v12, hi: v12, azure: true},
	{id: tls.TLS_RSA_WITH_AES_128_CBC_SHA256, name: "RSA_WITH_AES_128_CBC_SHA256", lo: v12, hi: v12, azure: true},
	{id: 0x003d, name: "RSA_WITH_AES_256_CBC_SHA256", azure: true, unsupported: reasonAES256SH},
	{id: tls.TLS_RSA_WITH_AES_128_CBC_SHA, name: "RSA_WITH_AES_128_CBC_SHA", lo: v10, hi: v12, azure: true},
	{id: tls.TLS_RSA_WITH_AES_256_CBC_SHA, name: "RSA_WITH_AES_256_CBC_SHA", lo: v10, hi: v12, azure: true},
	{id: tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA, name: "RSA_WITH_3DES_EDE_CBC_SHA", lo: v10, hi: v12, azure: true},
	{id: tls.TLS_RSA_WITH_RC4_128_SHA, name: "RSA_WITH_RC4_128_SHA", lo: v10, hi: v12},

	// Finite-field DHE with RSA certificates.
	{id: 0x009e, name: "DHE_RSA_WITH_AES_128_GCM_SHA256", azure: true, unsupported: reasonDHE},
	{id: 0x009f, name: "DHE_RSA_WITH_AES_256_GCM_SHA384", azure: true, unsupported: reasonDHE},
	{id: 0x0033, name: "DHE_RSA_WITH_AES_128_CBC_SHA", azure: true, unsupported: reasonDHE},
	{id: 0x0039, name: "DHE_RSA_WITH_AES_256_CBC_SHA", azure: true, unsupported: reasonDHE},

	// Finite-field DHE with DSA certificates.
	{id: 0x0040, name: "DHE_DSS_WITH_AES_128_CBC_SHA256", azure: true, unsupported: reasonDSS},
	{id: 0x006a, name: "DHE_DSS_WITH_AES_256_CBC_SHA256", azure: true, unsupported: reasonDSS},
	{id: 0x0032, name: "DHE_DSS_WITH_AES_128_CBC_SHA", azure: true, unsupported: reasonDSS},
	{id: 0x0038, name: "DHE_DSS_WITH_AES_256_CBC_SHA", azure: true, unsupported: reasonDSS},
	{id: 0x0013, name: "DHE_DSS_WITH_3DES_EDE_CBC_SHA", azure: true, unsupported: reasonDSS},
}

// Lookup tables built once from suites and never modified afterwards. suiteNames holds
// every accepted spelling, in table order, for suggestions.
var suiteByID, suiteByName, suiteNames = indexSuites()

func indexSuites() (byID map[uint16]*suite, byName map[string]*suite, names []string) {
	byID = make(map[uint16]*suite, len(suites))
	byName = make(map[string]*suite, 2*len(suites))
	names = make([]string, 0, 2*len(suites))
	for i := range suites {
		s := &suites[i]
		byID[s.id] = s
		for _, n := range s.spellings() {
			byName[n] = s
			names = append(names, n)
		}
	}
	return byID, byName, names
}

// spellings returns the names ParseCipherSuite accepts for s: the Azure name and, when it
// differs, the IANA name.
func (s *suite) spellings() []string {
	if strings.HasPrefix(s.name, "TLS_") {
		return []string{s.name}
	}
	return []string{s.name, "TLS_" + s.name}
}

// tls13 reports whether s is a TLS 1.3 suite.
func (s *suite) tls13() bool { return s.lo == v13 }

// worksAt reports whether crypto/tls can negotiate s at version v.
func (s *suite) worksAt(v uint16) bool { return s.unsupported == "" && s.lo <= v && v <= s.hi }

// ParseCipherSuite parses a cipher suite name in Azure's spelling
// ("ECDHE_RSA_WITH_AES_128_GCM_SHA256") or in the IANA spelling that crypto/tls and
// OpenSSL's IANA mode use ("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"), and returns its IANA
// identifier (tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256). The TLS 1.3 suites have one
// spelling, with the prefix ("TLS_AES_128_GCM_SHA256").
//
// Names are case-sensitive, as in Azure's API and in crypto/tls. It accepts the suites of
// Azure's lists and every suite crypto/tls implements, and refuses with a [*NameError]:
//   - a name it does not know (ErrUnknown), suggesting the nearest valid spelling, so a
//     wrong case or a typo is reported with its correction;
//   - a suite crypto/tls does not implement (ErrUnsupported), with the reason, for example
//     the DHE_RSA and DHE_DSS suites of the older Azure policies.
//
// Accepting a name does not make it acceptable in a policy: [Custom] and [Policy.Validate]
// apply further rules.
func ParseCipherSuite(name string) (uint16, error) {
	s, ok := suiteByName[name]
	if !ok {
		return 0, &NameError{Kind: "cipher suite", Name: name, Reason: "unknown" + didYouMean(name, suiteNames), Err: ErrUnknown}
	}
	if s.unsupported != "" {
		return 0, &NameError{Kind: "cipher suite", Name: name, Reason: "not supported: " + s.unsupported, Err: ErrUnsupported}
	}
	return s.id, nil
}

// CipherSuiteName returns the Azure spelling of a cipher suite: the IANA name without its
// "TLS_" prefix ("ECDHE_RSA_WITH_AES_128_GCM_SHA256"), or for TLS 1.3 suites the IANA name
// ("TLS_AES_128_GCM_SHA256"). It also names the Azure suites crypto/tls does not implement.
// For an identifier it does not know it returns what tls.CipherSuiteName returns, the
// value in hexadecimal ("0x1234").
//
// For every id that ParseCipherSuite can return, ParseCipherSuite(CipherSuiteName(id))
// returns id.
func CipherSuiteName(id uint16) string {
	if s, ok := suiteByID[id]; ok {
		return s.name
	}
	return tls.CipherSuiteName(id)
}
