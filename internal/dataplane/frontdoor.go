package dataplane

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/e2etls/e2etls/internal/httpwire"
	"github.com/e2etls/e2etls/observe"
)

// The TLS handshakes of the frontend ports, decided by the current
// snapshot: which listener's configuration a handshake uses, and what the
// observer is told of it.

// ListenerConfig returns the GetConfigForClient of frontend port port: the
// tls.Config of the listener that the client's SNI selects in c's current
// snapshot. The configs it returns set no session ticket keys, so
// crypto/tls uses those of the port's own long-lived config.
func ListenerConfig(c *Current, port int) func(*tls.ClientHelloInfo) (*tls.Config, error) {
	return func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
		s := c.Load()
		li, ok := s.Table().CertificateFor(port, hello.ServerName)
		if !ok {
			return nil, fmt.Errorf("gateway: port %d has no listener for SNI %q and requires SNI", port, hello.ServerName)
		}
		l := &s.Plan().Listeners[li]
		if len(l.TLS.Certificates) == 0 {
			return nil, fmt.Errorf("gateway: listener %q has no sslCertificate to present", l.Name)
		}
		return l.TLS, nil
	}
}

// HandshakeObserver returns the frontend's OnHandshake for frontend port
// port: it tells the Observer of c's current snapshot, if any, of each TLS
// handshake.
func HandshakeObserver(c *Current, port int) func(cs *tls.ConnectionState, sni string, err error, took time.Duration) {
	return func(cs *tls.ConnectionState, sni string, err error, took time.Duration) {
		s := c.Load()
		o := s.Plan().Observer
		if o == nil {
			return
		}
		ev := observe.ClientHandshake{Port: port, Duration: took}
		if li, ok := s.Table().CertificateFor(port, sni); ok {
			ev.Listener = s.Plan().Listeners[li].Name
		}
		if cs != nil {
			ev.TLS = observe.TLS{Version: cs.Version, CipherSuite: cs.CipherSuite, Resumed: cs.DidResume}
		} else {
			ev.Failure = handshakeFailure(err)
		}
		o.ClientHandshake(ev)
	}
}

// handshakeFailure classifies a failed frontend handshake (see
// observe.ClientHandshake.Failure).
func handshakeFailure(err error) string {
	var re tls.RecordHeaderError
	var alert tls.AlertError
	msg := err.Error()
	switch {
	case errors.As(err, &re):
		return "not-tls"
	case httpwire.IsTimeoutErr(err):
		return "timeout"
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(msg, "connection reset"):
		return "eof"
	case strings.Contains(msg, "requires SNI") || strings.Contains(msg, "has no listener for SNI"):
		return "unknown-sni"
	case strings.Contains(msg, "protocol version"):
		return "protocol-version"
	case strings.Contains(msg, "no cipher suite") || strings.Contains(msg, "no mutually supported") || strings.Contains(msg, "no ECDHE curve"):
		return "no-shared-cipher"
	case errors.As(err, &alert) || strings.Contains(msg, "remote error: tls: bad certificate") || strings.Contains(msg, "unknown certificate"):
		return "bad-certificate"
	}
	return "other"
}
