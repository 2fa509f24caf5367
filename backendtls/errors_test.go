package backendtls

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"testing"

	"github.com/e2etls/e2etls/backendtls/tlstest"
)

func TestReasonString(t *testing.T) {
	want := []string{"untrusted-root", "intermediate-missing", "leaf-not-allowed", "pin-mismatch", "hostname-mismatch",
		"expired", "not-yet-valid", "weak-key", "weak-signature", "key-usage", "policy", "handshake", "custom"}
	for i, w := range want {
		if got := Reason(i + 1).String(); got != w {
			t.Errorf("Reason(%d).String() = %q; want %q", i+1, got, w)
		}
	}
	for _, r := range []Reason{0, Reason(len(want) + 1), -1} {
		if got, w := r.String(), fmt.Sprintf("Reason(%d)", int(r)); got != w {
			t.Errorf("Reason(%d).String() = %q; want %q", int(r), got, w)
		}
	}
}

func TestVerificationErrorMessage(t *testing.T) {
	p := newPKI()
	cause := errors.New("cause")
	tests := []struct {
		err  *VerificationError
		want string
	}{
		{&VerificationError{Reason: ReasonExpired},
			"backendtls: certificate has expired; renew the backend's certificate"},
		{&VerificationError{Reason: ReasonExpired, ServerName: "a.example", Certificate: p.leaf.Certificate},
			`backendtls: backend "a.example": certificate "CN=backend.example": certificate has expired; renew the backend's certificate`},
		{&VerificationError{Reason: ReasonCustom, Identity: "a.example", ServerName: "A.Example.", Err: cause},
			`backendtls: backend "a.example": refused by the custom verifier: cause`},
		{&VerificationError{Reason: ReasonHandshake, Identity: "10.0.0.1", ServerName: "a.example", Err: cause},
			`backendtls: backend "10.0.0.1" (SNI "a.example"): TLS handshake failed: cause; check the backend's TLS configuration`},
		{&VerificationError{Reason: 0},
			"backendtls: verification failed"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %s\n        want %s", got, tt.want)
		}
	}
	if err := (&VerificationError{Err: cause}); !errors.Is(err, cause) {
		t.Errorf("Unwrap does not reach the cause")
	}
	for r := ReasonUntrustedRoot; r <= ReasonCustom; r++ {
		if msg := (&VerificationError{Reason: r}).Error(); msg == "backendtls: verification failed" {
			t.Errorf("reason %v has no generic message", r)
		}
	}
}

func TestReasonOf(t *testing.T) {
	ve := &VerificationError{Reason: ReasonPinMismatch}
	wrapped := &url.Error{Op: "Get", URL: "https://a", Err: &net.OpError{Op: "remote error", Err: fmt.Errorf("dial: %w", ve)}}
	if r, ok := ReasonOf(wrapped); !ok || r != ReasonPinMismatch {
		t.Errorf("ReasonOf(wrapped) = %v, %v", r, ok)
	}
	if r, ok := ReasonOf(errors.New("x")); ok || r != 0 {
		t.Errorf("ReasonOf(plain) = %v, %v", r, ok)
	}
	if _, ok := ReasonOf(nil); ok {
		t.Errorf("ReasonOf(nil) found a reason")
	}
	var tr interface{ TLSReason() string }
	if !errors.As(wrapped, &tr) || tr.TLSReason() != "pin-mismatch" {
		t.Errorf("TLSReason not found through wrapping")
	}
}

type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

func TestClassifyHandshakeError(t *testing.T) {
	ve := &VerificationError{Reason: ReasonExpired}
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", errors.New("connection refused"))}
	tests := []struct {
		name string
		err  error
		want Reason // 0: returned unchanged
	}{
		{"nil", nil, 0},
		{"ours", fmt.Errorf("wrapped: %w", ve), ReasonExpired},
		{"connection refused", refused, 0},
		{"timeout", &url.Error{Op: "Get", URL: "https://a", Err: timeoutError{}}, 0},
		{"context", fmt.Errorf("handshake: %w", context.Canceled), 0},
		{"deadline", context.DeadlineExceeded, 0},
		{"closed", net.ErrClosed, 0},
		{"other", errors.New("something else"), 0},
		{"alert as tls.AlertError", tls.AlertError(70), ReasonPolicy},
		{"certificate required alert", tls.AlertError(116), ReasonHandshake},
		{"other alert", tls.AlertError(80), ReasonHandshake},
		{"record header", tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}, ReasonHandshake},
		{"EOF", fmt.Errorf("read: %w", io.EOF), ReasonHandshake},
		{"local version error", &url.Error{Op: "Get", URL: "https://a", Err: errors.New("tls: server selected unsupported protocol version 301")}, ReasonPolicy},
		{"local suite error", errors.New("tls: server chose an unconfigured cipher suite"), ReasonPolicy},
		{"local other error", errors.Join(errors.New("x"), errors.New("tls: invalid signature by the server certificate: bad")), ReasonHandshake},
		{"certificate verification by Go", &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}, ReasonHandshake},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ClassifyHandshakeError(tt.err)
			if tt.want == 0 {
				if got != tt.err {
					t.Fatalf("ClassifyHandshakeError changed %v into %v", tt.err, got)
				}
				return
			}
			r, ok := ReasonOf(got)
			if !ok || r != tt.want {
				t.Fatalf("reason = %v; want %v (%v)", r, tt.want, got)
			}
			if !errors.Is(got, tt.err) && !errors.Is(tt.err, got) {
				t.Errorf("the result does not wrap the original error")
			}
		})
	}
}

// TestClassifyRealAlerts checks the classification of alerts as crypto/tls
// really delivers them (inside *net.OpError), from real handshakes.
func TestClassifyRealAlerts(t *testing.T) {
	p := newPKI()
	s := serve(t, p.leaf.FullChain(), 0, func(o *tlstest.ServerOptions) { o.MaxVersion = tls.VersionTLS11; o.MinVersion = tls.VersionTLS10 })
	_, err := tls.Dial("tcp", s.Addr, &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12})
	var op *net.OpError
	if !errors.As(err, &op) || op.Op != "remote error" {
		t.Fatalf("error %v is not a remote alert", err)
	}
	if code, ok := alertCode(err); !ok || code != alertProtocolVersion {
		t.Fatalf("alertCode = %d, %v", code, ok)
	}
	if r, _ := ReasonOf(ClassifyHandshakeError(err)); r != ReasonPolicy {
		t.Errorf("reason %v; want policy", r)
	}
}
