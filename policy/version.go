package policy

import (
	"crypto/tls"
	"fmt"
	"strconv"
	"strings"
)

// versionNames are the Azure spellings of the TLS versions, indexed by minor version
// (TLS 1.0 is 0x0301, so index 0 is TLS 1.0).
var versionNames = [...]string{"TLSv1_0", "TLSv1_1", "TLSv1_2", "TLSv1_3"}

// ParseVersion parses a TLS version in Azure's spelling, as used by minProtocolVersion:
// "TLSv1_0", "TLSv1_1", "TLSv1_2" or "TLSv1_3". It returns tls.VersionTLS10 to
// tls.VersionTLS13.
//
// Only these four spellings are accepted, case-sensitively, so that one configuration
// value has one meaning everywhere. Near misses ("TLSv1.2", "1.2", "tlsv1_2", "TLS1.2") are
// refused with a [*NameError] that suggests the Azure spelling. SSL 2.0 and 3.0 are never
// accepted.
func ParseVersion(s string) (uint16, error) {
	for i, name := range versionNames {
		if s == name {
			return tls.VersionTLS10 + uint16(i), nil
		}
	}
	reason := "unknown; want " + orList(versionNames[:])
	if hint := versionHint(s); hint != "" {
		reason += " (did you mean " + strconv.Quote(hint) + "?)"
	}
	return 0, &NameError{Kind: "TLS version", Name: s, Reason: reason, Err: ErrUnknown}
}

// versionHint maps a near-miss spelling such as "TLS1.2", "1.2", "v1_2" or "tlsv1_2" to
// the Azure spelling, or returns "".
func versionHint(s string) string {
	u := strings.ToUpper(strings.TrimSpace(s))
	u = strings.TrimPrefix(u, "TLS")
	u = strings.TrimPrefix(u, "V")
	u = strings.TrimSpace(u)
	switch u {
	case "1.0", "1_0", "10":
		return versionNames[0]
	case "1.1", "1_1", "11":
		return versionNames[1]
	case "1.2", "1_2", "12":
		return versionNames[2]
	case "1.3", "1_3", "13":
		return versionNames[3]
	}
	return ""
}

// VersionName returns the Azure spelling of a TLS version ("TLSv1_2" for
// tls.VersionTLS12), or its value in hexadecimal ("0x0300") for anything other than
// TLS 1.0 to 1.3. ParseVersion(VersionName(v)) returns v for every TLS version.
func VersionName(v uint16) string {
	if v >= tls.VersionTLS10 && v <= tls.VersionTLS13 {
		return versionNames[v-tls.VersionTLS10]
	}
	return fmt.Sprintf("0x%04X", v)
}

// versionRange words a range of versions for people: "TLS 1.2", "TLS 1.0-1.2".
func versionRange(lo, hi uint16) string {
	if lo == hi {
		return tls.VersionName(lo)
	}
	return tls.VersionName(lo) + "-" + strings.TrimPrefix(tls.VersionName(hi), "TLS ")
}
