package backendtls

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
)

// Handshake runs the client side of a TLS handshake on conn with cfg, a
// configuration from [Config.ClientConfig] or [Hook], and returns the
// established connection. It is what tls.Client followed by
// HandshakeContext does, with failures classified by
// [ClassifyHandshakeError] and, beyond what that can do from an error
// alone, a TLS 1.2 backend's handshake_failure alert that follows its
// request for a client certificate reported as the refused client
// certificate it is ([ReasonHandshake]) rather than as a policy mismatch.
// Verification failures keep the names of the Config; others get
// cfg.ServerName. On failure, conn is closed.
//
// A TLS 1.3 backend verifies the client certificate after the client has
// finished its handshake, so its refusal arrives on the first read; pass
// that error to ClassifyHandshakeError.
func Handshake(ctx context.Context, conn net.Conn, cfg *tls.Config) (*tls.Conn, error) {
	tc, requested, err := clientHandshake(ctx, conn, cfg)
	if err == nil {
		return tc, nil
	}
	conn.Close()
	if _, ok := ReasonOf(err); ok {
		return nil, err
	}
	if code, isAlert := alertCode(err); isAlert && code == alertHandshakeFailure && requested {
		return nil, &VerificationError{Reason: ReasonHandshake, ServerName: cfg.ServerName, Err: err,
			detail: clientCertDetail(err), fix: clientCertFix}
	}
	err = ClassifyHandshakeError(err)
	var ve *VerificationError
	if errors.As(err, &ve) && ve.ServerName == "" {
		ve.ServerName = cfg.ServerName
	}
	return nil, err
}

// clientHandshake runs the client side of a TLS handshake on conn with a
// copy of cfg, and reports whether the backend asked for a client
// certificate. Its error is crypto/tls's, unclassified. Handshake and
// CheckConn both drive their handshakes with it.
func clientHandshake(ctx context.Context, conn net.Conn, cfg *tls.Config) (*tls.Conn, bool, error) {
	requested := false
	c := cfg.Clone()
	get := c.GetClientCertificate
	c.GetClientCertificate = func(cri *tls.CertificateRequestInfo) (*tls.Certificate, error) {
		requested = true
		if get != nil {
			return get(cri)
		}
		// What crypto/tls does with Certificates.
		for i := range c.Certificates {
			if cri.SupportsCertificate(&c.Certificates[i]) == nil {
				return &c.Certificates[i], nil
			}
		}
		return new(tls.Certificate), nil
	}
	tc := tls.Client(conn, c)
	err := tc.HandshakeContext(ctx)
	return tc, requested, err
}
