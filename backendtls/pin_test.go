package backendtls

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"
)

func TestPin(t *testing.T) {
	p := newPKI()
	pin := PinOf(p.leaf.Certificate)
	if pin != sha256.Sum256(p.leaf.Certificate.RawSubjectPublicKeyInfo) {
		t.Fatalf("PinOf is not the SHA-256 of the SPKI")
	}
	if PinOf(p.leaf.Certificate) == PinOf(p.other.Certificate) {
		t.Fatalf("different keys, same pin")
	}
	b64 := base64.StdEncoding.EncodeToString(pin[:])
	if got := pin.String(); got != "sha256/"+b64 {
		t.Errorf("String() = %q", got)
	}
	hexPin := hex.EncodeToString(pin[:])

	tests := []struct {
		in      string
		wantErr string
	}{
		{in: "sha256/" + b64},
		{in: hexPin},
		{in: strings.ToUpper(hexPin)},
		{in: "sha256/" + strings.TrimRight(b64, "="), wantErr: `backendtls: pin "sha256/` + strings.TrimRight(b64, "=") + `": want 44 base64 characters after "sha256/", got 43`},
		{in: "sha256/" + b64[:40] + "!!!=", wantErr: `backendtls: pin "sha256/` + b64[:40] + `!!!=": invalid base64: illegal base64 data at input byte 40`},
		{in: "sha1/" + b64, wantErr: `backendtls: pin "sha1/` + b64 + `": unsupported hash "sha1", want "sha256/<base64>" or 64 hexadecimal digits`},
		{in: hexPin[:62] + "zz", wantErr: `backendtls: pin "` + hexPin[:62] + `zz": invalid hexadecimal: encoding/hex: invalid byte: U+007A 'z'`},
		{in: hexPin[:10], wantErr: `backendtls: pin "` + hexPin[:10] + `": want "sha256/<base64>" or 64 hexadecimal digits`},
		{in: "", wantErr: `backendtls: pin "": want "sha256/<base64>" or 64 hexadecimal digits`},
	}
	for _, tt := range tests {
		got, err := ParsePin(tt.in)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("ParsePin(%q) error = %v\nwant %s", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != pin {
			t.Errorf("ParsePin(%q) = %v, %v; want %v", tt.in, got, err, pin)
		}
	}
	if !(Pin{}).IsZero() || pin.IsZero() {
		t.Errorf("IsZero wrong")
	}
}

func FuzzParsePin(f *testing.F) {
	var pin Pin
	for i := range pin {
		pin[i] = byte(i)
	}
	f.Add(pin.String())
	f.Add(hex.EncodeToString(pin[:]))
	f.Add("sha256/")
	f.Add("sha1/abc")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePin(s)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "backendtls: pin ") {
				t.Fatalf("error without prefix: %v", err)
			}
			return
		}
		// Whatever parses round-trips through both spellings.
		q, err := ParsePin(p.String())
		if err != nil || q != p {
			t.Fatalf("String round trip of %q: %v, %v", s, q, err)
		}
		r, err := ParsePin(hex.EncodeToString(p[:]))
		if err != nil || r != p {
			t.Fatalf("hex round trip of %q: %v, %v", s, r, err)
		}
	})
}
