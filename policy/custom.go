package policy

import (
	"crypto/tls"
	"errors"
	"fmt"
	"strconv"
)

// Custom builds a custom policy with Azure's CustomV2 semantics: minProtocolVersion is
// the lowest TLS version ("TLSv1_0" to "TLSv1_3", see [ParseVersion]), the highest is
// always TLS 1.3, and cipherSuites lists the TLS 1.0-1.2 suites allowed, in order, by
// Azure or IANA name (see [ParseCipherSuite]).
//
// Custom accepts exactly the 30 suites Azure offers for custom policies, less those
// crypto/tls cannot speak. The two TLS 1.3 suites of that list, TLS_AES_128_GCM_SHA256
// and TLS_AES_256_GCM_SHA384, are accepted and implicit: Azure leaves them out of its
// own output and Go enables TLS 1.3 suites by itself, so listing them changes nothing.
//
// Where NGINX silently drops a name it cannot use, Custom refuses the whole policy and
// names every offending entry at once, joined with errors.Join, each a [*NameError] that
// carries its position ("cipherSuites[2]"):
//   - an unknown or misspelt name, with a suggestion (ErrUnknown);
//   - a suite crypto/tls cannot speak, such as DHE_RSA_WITH_AES_128_GCM_SHA256
//     (ErrUnsupported);
//   - a suite Azure does not offer in custom policies, such as
//     ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 (ErrNotAllowed);
//   - a suite that works at none of the allowed versions, such as a TLS 1.2 suite with
//     minimum TLSv1_3 (ErrNotAllowed);
//   - the same suite twice, under either spelling (ErrDuplicate).
//
// When every name is fine, Custom also requires each allowed version below TLS 1.3 to have
// a suite that works at it: "TLSv1_0" with only GCM suites is refused, since TLS 1.0 and
// 1.1 clients could never connect, and so is "TLSv1_2" with an empty list. "TLSv1_3" with
// an empty list is valid.
//
// The policy's Name is empty and its Curves are [DefaultCurves](tls.VersionTLS13).
func Custom(minProtocolVersion string, cipherSuites []string) (Policy, error) {
	var errs []error
	lo, verr := ParseVersion(minProtocolVersion)
	if verr != nil {
		errs = append(errs, verr)
	}
	hi := uint16(tls.VersionTLS13)
	ids := make([]uint16, 0, len(cipherSuites))
	seen := make(map[uint16]int, len(cipherSuites))
	for i, name := range cipherSuites {
		field := "cipherSuites[" + strconv.Itoa(i) + "]"
		id, err := ParseCipherSuite(name)
		if err != nil {
			var ne *NameError
			if errors.As(err, &ne) {
				ne.Field = field
			}
			errs = append(errs, err)
			continue
		}
		refuse := func(class error, reason string) {
			errs = append(errs, &NameError{Kind: "cipher suite", Name: name, Field: field, Reason: reason, Err: class})
		}
		if j, dup := seen[id]; dup {
			refuse(ErrDuplicate, "duplicate of cipherSuites["+strconv.Itoa(j)+"]")
			continue
		}
		seen[id] = i
		s := suiteByID[id]
		switch {
		case !s.azure && s.tls13():
			refuse(ErrNotAllowed, "not allowed: Azure does not offer it in custom policies (crypto/tls enables it at TLS 1.3 regardless)")
		case !s.azure:
			refuse(ErrNotAllowed, "not allowed: Azure does not offer it in custom policies")
		case s.tls13():
			// Implicit, see the doc comment.
		case verr == nil && lo > s.hi:
			refuse(ErrNotAllowed, "not allowed: it works at "+versionRange(s.lo, s.hi)+", the policy allows "+versionRange(lo, hi))
		default:
			ids = append(ids, id)
		}
	}
	if len(errs) == 0 {
		if err := coverage(lo, hi, ids); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return Policy{}, errors.Join(errs...)
	}
	if len(ids) == 0 {
		ids = nil
	}
	return Policy{MinVersion: lo, MaxVersion: hi, CipherSuites: ids, Curves: DefaultCurves(hi)}, nil
}

// coverage checks that every version from lo up to min(hi, TLS 1.2) has a suite in ids
// that works at it. The versions left without one always form a run starting at lo,
// because every suite that works at an older version also works at TLS 1.2.
func coverage(lo, hi uint16, ids []uint16) error {
	top := min(hi, tls.VersionTLS12)
	var bare []uint16
	for v := lo; v <= top; v++ {
		ok := false
		for _, id := range ids {
			if s := suiteByID[id]; s != nil && s.worksAt(v) {
				ok = true
				break
			}
		}
		if !ok {
			bare = append(bare, v)
		}
	}
	if len(bare) == 0 {
		return nil
	}
	first, last := bare[0], bare[len(bare)-1]
	return fmt.Errorf("policy: no listed cipher suite works at %s: list one that does, or raise the minimum version to %s",
		versionRange(first, last), tls.VersionName(last+1))
}
