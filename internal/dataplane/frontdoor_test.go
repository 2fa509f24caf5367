package dataplane

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"os"
	"testing"
)

// TestHandshakeFailure: the class observe.ClientHandshake.Failure gets
// for each way a frontend handshake fails, ListenerConfig's own refusal
// among them.
func TestHandshakeFailure(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"record header", tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}, "not-tls"},
		{"timeout", fmt.Errorf("read: %w", os.ErrDeadlineExceeded), "timeout"},
		{"eof", io.EOF, "eof"},
		{"unexpected eof", fmt.Errorf("tls: %w", io.ErrUnexpectedEOF), "eof"},
		{"reset", errors.New("read tcp: connection reset by peer"), "eof"},
		{"unknown sni", fmt.Errorf("gateway: port %d has no listener for SNI %q and requires SNI", 443, "x.example"), "unknown-sni"},
		{"version", errors.New("tls: client offered only unsupported versions: [302 301]; protocol version not supported"), "protocol-version"},
		{"cipher", errors.New("tls: no cipher suite supported by both client and server"), "no-shared-cipher"},
		{"alert", tls.AlertError(42), "bad-certificate"},
		{"bad certificate", errors.New("remote error: tls: bad certificate"), "bad-certificate"},
		{"other", errors.New("something else"), "other"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := handshakeFailure(tt.err); got != tt.want {
				t.Errorf("handshakeFailure(%v) = %q; want %q", tt.err, got, tt.want)
			}
		})
	}
}
