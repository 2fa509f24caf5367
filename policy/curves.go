package policy

import (
	"crypto/tls"
	"slices"
)

// DefaultCurves returns the key-exchange groups of every policy of this package, in
// preference order: X25519, P-256 and P-384, preceded by the post-quantum hybrid
// X25519MLKEM768 when maxVersion is TLS 1.3 (the hybrid exists only in TLS 1.3). P-521 and
// the other hybrids Go implements are not offered; a Policy set by struct literal may list
// them in its Curves. Each call returns a new slice.
func DefaultCurves(maxVersion uint16) []tls.CurveID {
	return slices.Clone(defaultCurves(maxVersion))
}

var (
	curves12 = []tls.CurveID{tls.X25519, tls.CurveP256, tls.CurveP384}
	curves13 = []tls.CurveID{tls.X25519MLKEM768, tls.X25519, tls.CurveP256, tls.CurveP384}
)

// defaultCurves is DefaultCurves without the copy; callers must not modify the result.
func defaultCurves(maxVersion uint16) []tls.CurveID {
	if maxVersion >= tls.VersionTLS13 {
		return curves13
	}
	return curves12
}

// curveKnown reports whether crypto/tls implements c, and whether c exists in TLS 1.3 only.
func curveKnown(c tls.CurveID) (known, tls13Only bool) {
	switch c {
	case tls.X25519, tls.CurveP256, tls.CurveP384, tls.CurveP521:
		return true, false
	case tls.X25519MLKEM768, tls.SecP256r1MLKEM768, tls.SecP384r1MLKEM1024:
		return true, true
	}
	return false, false
}
