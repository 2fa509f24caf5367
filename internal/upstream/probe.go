package upstream

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/e2etls/e2etls/backendtls"
)

// ProbeTransport is a member's health-probe transport: tc comes from the
// same backendtls.Config as the data path's (see ClientTLS with UseProbe),
// it dials with the same Dialer, and it never reuses a connection, so
// every probe handshakes and verifies afresh. Dials and handshakes end
// after timeout, the probe's; the member's SeenLeaf gets each leaf (see
// Dialer.Handshake). Its errors go through ClassifyAlert, as the data
// path's do.
func ProbeTransport(d *Dialer, m *Member, tc *tls.Config, timeout time.Duration) http.RoundTripper {
	port := func(addr string) int {
		if _, p, err := net.SplitHostPort(addr); err == nil {
			if n, err := strconv.Atoi(p); err == nil {
				return n
			}
		}
		return m.Port
	}
	return alertClassifier{&http.Transport{
		DisableKeepAlives:  true,
		DisableCompression: true,
		DialContext: func(ctx context.Context, _, addr string) (net.Conn, error) {
			ctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			return d.Dial(ctx, m.Address, port(addr))
		},
		DialTLSContext: func(ctx context.Context, _, addr string) (net.Conn, error) {
			ctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			conn, err := d.Handshake(ctx, m, port(addr), tc, UseProbe)
			if err != nil {
				return nil, err
			}
			return conn, nil
		},
	}}
}

// presentedLeaf is the leaf certificate a backend presented in a handshake
// that ended with conn or err.
func presentedLeaf(conn *tls.Conn, err error) *x509.Certificate {
	if err == nil {
		if pc := conn.ConnectionState().PeerCertificates; len(pc) > 0 {
			return pc[0]
		}
		return nil
	}
	var ve *backendtls.VerificationError
	if errors.As(err, &ve) && len(ve.Presented) > 0 {
		return ve.Presented[0]
	}
	return nil
}

// alertClassifier is a probe transport whose errors go through
// ClassifyAlert.
type alertClassifier struct{ rt http.RoundTripper }

func (a alertClassifier) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := a.rt.RoundTrip(r)
	if err != nil {
		return nil, ClassifyAlert(err)
	}
	return resp, nil
}

// CloseIdleConnections also cancels the dials in progress (see
// http.Transport.CloseIdleConnections).
func (a alertClassifier) CloseIdleConnections() {
	if t, ok := a.rt.(interface{ CloseIdleConnections() }); ok {
		t.CloseIdleConnections()
	}
}
