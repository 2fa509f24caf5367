package policy

import (
	"crypto/tls"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Policy is one TLS policy: the protocol versions, cipher suites and key-exchange groups
// allowed on a connection. The same Policy applies alike to a listener (server side) and to
// a backend connection (client side).
//
// Obtain one from [Default], [Predefined] or [Custom], or set one by struct literal and
// check it with [Policy.Validate]. The zero Policy means [Default] wherever a Policy is
// applied ([Policy.Apply], [Policy.ServerConfig], [Policy.Allows],
// [Policy.String]); every other Policy must be valid as it stands.
//
// A Policy holds slices: copy it with care. The functions of this package return fresh
// slices each time and never keep the caller's.
type Policy struct {
	// Name is the Azure name of the predefined policy this is, such as
	// "AppGwSslPolicy20220101". Empty means a custom policy. Validate refuses a Name that
	// is not a predefined policy's, or whose policy differs from the other fields.
	Name string

	// MinVersion is the lowest TLS version allowed, tls.VersionTLS10 to
	// tls.VersionTLS13. Zero is invalid (except in the zero Policy).
	MinVersion uint16

	// MaxVersion is the highest TLS version allowed, tls.VersionTLS12 or
	// tls.VersionTLS13, not below MinVersion. Zero is invalid (except in the zero Policy).
	MaxVersion uint16

	// CipherSuites are the TLS 1.0-1.2 suites allowed, in the policy's order, as IANA
	// identifiers (tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256). TLS 1.3 suites are not
	// configurable in Go and must not appear. Every TLS version from MinVersion up to
	// TLS 1.2 must have at least one suite that works at it, so nil or empty is valid only
	// when MinVersion is TLS 1.3. The order is kept for reporting; crypto/tls negotiates
	// by its own order (see the package documentation).
	CipherSuites []uint16

	// Curves are the key-exchange groups allowed, in preference order. Nil or empty means
	// [DefaultCurves](MaxVersion). Post-quantum hybrids such as tls.X25519MLKEM768 exist
	// in TLS 1.3 only and are refused when MaxVersion is TLS 1.2.
	Curves []tls.CurveID

	// Dropped lists the suites of Azure's list for a predefined policy that crypto/tls
	// cannot speak, with the reason, in Azure's order. It is informational: it never
	// changes what a handshake allows. Nil means nothing was dropped; custom policies
	// never drop (an unusable name is an error instead).
	Dropped []DroppedSuite
}

// DroppedSuite is a suite of Azure's list that this package left out of a predefined
// policy because crypto/tls cannot speak it.
type DroppedSuite struct {
	// Name is the suite's Azure name, for example "DHE_RSA_WITH_AES_256_GCM_SHA384".
	Name string

	// Reason says why crypto/tls cannot speak it, for example "crypto/tls does not
	// implement finite-field DHE key exchange".
	Reason string
}

// IsZero reports whether p is the zero Policy, which stands for [Default].
func (p Policy) IsZero() bool {
	return p.Name == "" && p.MinVersion == 0 && p.MaxVersion == 0 &&
		len(p.CipherSuites) == 0 && len(p.Curves) == 0 && len(p.Dropped) == 0
}

// Validate reports every problem with p at once, joined with errors.Join: versions out of
// range or inverted, unknown, unsupported, TLS 1.3, duplicate or unusable entries in
// CipherSuites or Curves (each a [*NameError] naming its field, "CipherSuites[3]"), a
// TLS version left without a suite, and a Name that does not describe p. The zero Policy
// is valid. Policies returned by this package are always valid.
func (p Policy) Validate() error {
	if p.IsZero() {
		return nil
	}
	var errs []error
	minOK := p.MinVersion >= tls.VersionTLS10 && p.MinVersion <= tls.VersionTLS13
	switch {
	case p.MinVersion == 0:
		errs = append(errs, errors.New("policy: MinVersion is not set; want TLS 1.0 to TLS 1.3"))
	case !minOK:
		errs = append(errs, fmt.Errorf("policy: MinVersion %s is not TLS 1.0 to TLS 1.3", tls.VersionName(p.MinVersion)))
	}
	maxOK := p.MaxVersion == tls.VersionTLS12 || p.MaxVersion == tls.VersionTLS13
	switch {
	case p.MaxVersion == 0:
		errs = append(errs, errors.New("policy: MaxVersion is not set; want TLS 1.2 or TLS 1.3"))
	case !maxOK:
		errs = append(errs, fmt.Errorf("policy: MaxVersion %s is not TLS 1.2 or TLS 1.3", tls.VersionName(p.MaxVersion)))
	}
	rangeOK := minOK && maxOK
	if rangeOK && p.MinVersion > p.MaxVersion {
		errs = append(errs, fmt.Errorf("policy: MinVersion %s is above MaxVersion %s",
			tls.VersionName(p.MinVersion), tls.VersionName(p.MaxVersion)))
		rangeOK = false
	}

	suiteErrs := len(errs)
	hasECDHE := false
	for i, id := range p.CipherSuites {
		refuse := func(class error, reason string) {
			errs = append(errs, &NameError{Kind: "cipher suite", Name: CipherSuiteName(id),
				Field: "CipherSuites[" + strconv.Itoa(i) + "]", Reason: reason, Err: class})
		}
		s := suiteByID[id]
		switch {
		case s == nil:
			refuse(ErrUnknown, "unknown")
		case s.unsupported != "":
			refuse(ErrUnsupported, "not supported: "+s.unsupported)
		case s.tls13():
			refuse(ErrNotAllowed, "not allowed: a TLS 1.3 suite, which crypto/tls enables by itself; leave it out of CipherSuites")
		case slices.Index(p.CipherSuites, id) < i:
			refuse(ErrDuplicate, "duplicate of CipherSuites["+strconv.Itoa(slices.Index(p.CipherSuites, id))+"]")
		case rangeOK && (p.MinVersion > s.hi || p.MaxVersion < s.lo):
			refuse(ErrNotAllowed, "not allowed: it works at "+versionRange(s.lo, s.hi)+", the policy allows "+versionRange(p.MinVersion, p.MaxVersion))
		default:
			hasECDHE = hasECDHE || strings.HasPrefix(s.name, "ECDHE_")
		}
	}
	if len(errs) == suiteErrs && rangeOK {
		if err := coverage(p.MinVersion, p.MaxVersion, p.CipherSuites); err != nil {
			errs = append(errs, err)
		}
	}

	curveErrs := len(errs)
	classical := false
	for i, c := range p.Curves {
		refuse := func(class error, reason string) {
			errs = append(errs, &NameError{Kind: "curve", Name: c.String(),
				Field: "Curves[" + strconv.Itoa(i) + "]", Reason: reason, Err: class})
		}
		known, only13 := curveKnown(c)
		switch {
		case !known:
			refuse(ErrUnsupported, "not supported: crypto/tls does not implement it")
		case slices.Index(p.Curves, c) < i:
			refuse(ErrDuplicate, "duplicate of Curves["+strconv.Itoa(slices.Index(p.Curves, c))+"]")
		case only13 && maxOK && p.MaxVersion < tls.VersionTLS13:
			refuse(ErrNotAllowed, "not allowed: it exists in TLS 1.3 only, and MaxVersion is "+tls.VersionName(p.MaxVersion))
		default:
			classical = classical || !only13
		}
	}
	if len(errs) == curveErrs && len(p.Curves) > 0 && !classical && hasECDHE && rangeOK && p.MinVersion <= tls.VersionTLS12 {
		errs = append(errs, fmt.Errorf("policy: Curves has no group for the ECDHE suites at %s, where post-quantum hybrids do not exist: add X25519, P-256 or P-384",
			versionRange(p.MinVersion, min(p.MaxVersion, tls.VersionTLS12))))
	}

	if p.Name != "" {
		if want := predefinedByName(p.Name); want == nil {
			errs = append(errs, &NameError{Kind: "predefined policy", Name: p.Name, Field: "Name",
				Reason: "unknown" + didYouMean(p.Name, PredefinedNames()) + "; leave Name empty for a custom policy", Err: ErrUnknown})
		} else if diff := want.differences(p); len(diff) > 0 {
			errs = append(errs, fmt.Errorf("policy: Name %q does not describe this policy: %s differ from the predefined policy; leave Name empty for a custom policy",
				p.Name, strings.Join(diff, ", ")))
		}
	}
	return errors.Join(errs...)
}

// differences names the fields in which p departs from the predefined policy want.
func (want *Policy) differences(p Policy) []string {
	var diff []string
	if p.MinVersion != want.MinVersion {
		diff = append(diff, "MinVersion")
	}
	if p.MaxVersion != want.MaxVersion {
		diff = append(diff, "MaxVersion")
	}
	if !slices.Equal(p.CipherSuites, want.CipherSuites) {
		diff = append(diff, "CipherSuites")
	}
	if !slices.Equal(p.curves(), want.curves()) {
		diff = append(diff, "Curves")
	}
	if !slices.Equal(p.Dropped, want.Dropped) {
		diff = append(diff, "Dropped")
	}
	return diff
}

// curves returns the groups p allows: Curves, or the default when Curves is empty. The
// result must not be modified.
func (p *Policy) curves() []tls.CurveID {
	if len(p.Curves) == 0 {
		return defaultCurves(p.MaxVersion)
	}
	return p.Curves
}

// Apply sets cfg's MinVersion, MaxVersion, CipherSuites and CurvePreferences to p's,
// overwriting what was there and leaving every other field alone. The zero Policy applies
// [Default]. Every value is set explicitly, so the policy decides rather than Go's
// defaults: a policy with TLS 1.0, RSA key exchange or 3DES gets them on both sides,
// although an unset tls.Config refuses all three. cfg keeps no reference to p's slices.
//
// Apply returns p's Validate error, changing nothing, if p is invalid: applying a policy
// other than the one described is never right. Policies returned by this package are
// always valid.
func (p Policy) Apply(cfg *tls.Config) error {
	src := &p
	if p.IsZero() {
		src = defaultPolicy
	} else if err := p.Validate(); err != nil {
		return err
	}
	cfg.MinVersion = src.MinVersion
	cfg.MaxVersion = src.MaxVersion
	cfg.CipherSuites = slices.Clone(src.CipherSuites)
	cfg.CurvePreferences = slices.Clone(src.curves())
	return nil
}

// ServerConfig returns a new tls.Config with p applied (see [Policy.Apply]), for a
// listener, or p's Validate error. The caller adds certificates (Certificates or
// GetCertificate) and anything else it needs. For a backend connection, use
// backendtls.Config, whose ClientConfig applies the policy together with the backend's
// verification: one policy governs both sides.
func (p Policy) ServerConfig() (*tls.Config, error) {
	cfg := &tls.Config{}
	if err := p.Apply(cfg); err != nil {
		return nil, err
	}
	return cfg, nil
}

// Allows reports whether a connection that negotiated version and cipherSuite (as in
// tls.ConnectionState) lies inside p. At TLS 1.3 every suite crypto/tls can negotiate is
// inside, since Go does not let a policy choose among them (see the package
// documentation); below TLS 1.3 the suite must be in CipherSuites and work at version.
// The zero Policy means [Default]. Allows does not allocate.
func (p Policy) Allows(version, cipherSuite uint16) bool {
	src := &p
	if p.IsZero() {
		src = defaultPolicy
	}
	if version < src.MinVersion || version > src.MaxVersion {
		return false
	}
	s := suiteByID[cipherSuite]
	if s == nil || !s.worksAt(version) {
		return false
	}
	return s.tls13() || slices.Contains(src.CipherSuites, cipherSuite)
}

// String describes p in one line: its name ("custom" for a custom policy), its versions,
// how many TLS 1.0-1.2 suites it allows and how many of Azure's it dropped, for example
// "AppGwSslPolicy20170401S (TLS 1.2, 14 suites, 2 dropped)". The zero Policy describes
// [Default].
func (p Policy) String() string {
	src := &p
	if p.IsZero() {
		src = defaultPolicy
	}
	var b strings.Builder
	if src.Name != "" {
		b.WriteString(src.Name)
	} else {
		b.WriteString("custom")
	}
	b.WriteString(" (")
	b.WriteString(versionRange(src.MinVersion, src.MaxVersion))
	if n := len(src.CipherSuites); n > 0 || src.MinVersion < tls.VersionTLS13 {
		fmt.Fprintf(&b, ", %d suite", n)
		if n != 1 {
			b.WriteByte('s')
		}
	}
	if n := len(src.Dropped); n > 0 {
		fmt.Fprintf(&b, ", %d dropped", n)
	}
	b.WriteByte(')')
	return b.String()
}
