package backendtls

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
)

// Pin is the SHA-256 digest of a certificate's DER-encoded
// SubjectPublicKeyInfo, the value HTTP Public Key Pinning (RFC 7469) and
// Envoy's verify_certificate_spki use. A pin survives certificate renewal
// as long as the key stays the same.
type Pin [32]byte

// PinOf returns the pin of c's public key.
func PinOf(c *x509.Certificate) Pin {
	return sha256.Sum256(c.RawSubjectPublicKeyInfo)
}

const pinPrefix = "sha256/"

// ParsePin parses a pin written as "sha256/" followed by the standard,
// padded base64 of the digest (as String writes it, and as in RFC 7469),
// or as 64 hexadecimal digits (as "openssl x509 -pubkey | openssl pkey
// -pubin -outform der | sha256sum" prints it).
func ParsePin(s string) (Pin, error) {
	var p Pin
	switch {
	case strings.HasPrefix(s, pinPrefix):
		b64 := s[len(pinPrefix):]
		if len(b64) != base64.StdEncoding.EncodedLen(len(p)) {
			return Pin{}, fmt.Errorf("backendtls: pin %q: want %d base64 characters after %q, got %d",
				s, base64.StdEncoding.EncodedLen(len(p)), pinPrefix, len(b64))
		}
		// 44 characters without padding decode to 33 bytes: decode into
		// room for that and check the length, never into p directly.
		var buf [33]byte
		n, err := base64.StdEncoding.Strict().Decode(buf[:], []byte(b64))
		if err != nil {
			return Pin{}, fmt.Errorf("backendtls: pin %q: invalid base64: %w", s, err)
		}
		if n != len(p) {
			return Pin{}, fmt.Errorf("backendtls: pin %q: decodes to %d bytes, want %d", s, n, len(p))
		}
		copy(p[:], buf[:n])
	case len(s) == hex.EncodedLen(len(p)) && !strings.Contains(s, "/"):
		if _, err := hex.Decode(p[:], []byte(s)); err != nil {
			return Pin{}, fmt.Errorf("backendtls: pin %q: invalid hexadecimal: %w", s, err)
		}
	case strings.Contains(s, "/"):
		alg, _, _ := strings.Cut(s, "/")
		return Pin{}, fmt.Errorf("backendtls: pin %q: unsupported hash %q, want \"sha256/<base64>\" or 64 hexadecimal digits", s, alg)
	default:
		return Pin{}, fmt.Errorf("backendtls: pin %q: want \"sha256/<base64>\" or 64 hexadecimal digits", s)
	}
	return p, nil
}

// String returns the pin as "sha256/" followed by its padded base64.
func (p Pin) String() string {
	return pinPrefix + base64.StdEncoding.EncodeToString(p[:])
}

// IsZero reports whether p is the zero Pin, which no key has.
func (p Pin) IsZero() bool { return p == Pin{} }
