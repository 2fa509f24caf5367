package gateway_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e2etls/e2etls/backendtls/tlstest"
	"github.com/e2etls/e2etls/gateway"
	"github.com/e2etls/e2etls/gateway/gatewaytest"
)

// lookTool returns the path of a command the test runs, skipping the test
// when it is missing unless the environment variable require is set (CI
// sets it, so that a missing tool fails instead).
func lookTool(t *testing.T, name, require string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv(require) == "" {
			t.Skipf("%s is not installed (set %s to fail instead)", name, require)
		}
		t.Fatalf("%s is not installed and %s is set: %v", name, require, err)
	}
	return path
}

// toolFiles writes the PEM files a command-line client needs: the CA that
// signed the gateway's certificate, and for each client certificate its
// certificate with its chain and its key.
type toolFiles struct {
	dir string
	ca  string
}

func newToolFiles(t *testing.T, m *mtls) *toolFiles {
	f := &toolFiles{dir: t.TempDir()}
	f.ca = filepath.Join(f.dir, "ca.pem")
	require.NoError(t, os.WriteFile(f.ca, m.pki.Root.CertPEM(), 0o600))
	return f
}

// client writes c's chain (its certificate, then its issuers but the root)
// and key, and returns their paths.
func (f *toolFiles) client(t *testing.T, c *tlstest.Cert) (cert, key string) {
	cert = filepath.Join(f.dir, c.Certificate.SerialNumber.String()+".crt")
	key = filepath.Join(f.dir, c.Certificate.SerialNumber.String()+".key")
	var chain []byte
	for p := c; p != nil && p.Issuer != nil; p = p.Issuer {
		chain = append(chain, p.CertPEM()...)
	}
	require.NoError(t, os.WriteFile(cert, chain, 0o600))
	require.NoError(t, os.WriteFile(key, c.KeyPEM(), 0o600))
	return cert, key
}

func runTool(t *testing.T, stdin string, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("%s: %v", name, err)
	}
	return out.String() + errOut.String()
}

// TestClientCertificateCurl: curl --cert against a strict listener, over
// HTTP/1.1 and HTTP/2, with the own and the net/http frontends: a valid
// certificate is served, and no certificate, an untrusted, an expired and
// a revoked one get 400 and the one sentence.
func TestClientCertificateCurl(t *testing.T) {
	curl := lookTool(t, "curl", "E2ETLS_REQUIRE_CURL")
	checkLeaks(t)
	m := newMTLS(t)
	files := newToolFiles(t, m)
	crl := []*x509.RevocationList{m.inter.NewCRL(tlstest.CRLOptions{Number: 1, Revoked: []tlstest.Revoked{{Cert: m.bob}}})}
	for _, fx := range frontends {
		fe := fx.fe
		t.Run(fx.name, func(t *testing.T) {
			cfg := m.config(gateway.SSLProfile{ClientAuth: gateway.ClientAuth{CRLs: crl}})
			cfg.Frontend = fe
			gw := gatewaytest.Start(t, cfg)
			port := strconv.Itoa(gw.Port("web"))
			for _, proto := range []string{"--http1.1", "--http2"} {
				for _, tt := range []struct {
					name    string
					cert    *tlstest.Cert
					refused *refusal
				}{
					{"valid", m.alice, nil},
					{"no certificate", nil, &refusedNoCert},
					{"wrong CA", m.untrusted, &refusedUntrusted},
					{"expired", m.expired, &refusedExpired},
					{"revoked", m.bob, &refusedRevoked},
				} {
					args := []string{"-sS", proto, "--cacert", files.ca, "--resolve", "shop.example:" + port + ":127.0.0.1",
						"-w", "\n%{http_code} %{http_version}\n", "https://shop.example:" + port + "/curl"}
					if tt.cert != nil {
						cert, key := files.client(t, tt.cert)
						args = append(args, "--cert", cert, "--key", key)
					}
					before := m.hits.Load()
					out := runTool(t, "", curl, args...)
					version := map[string]string{"--http1.1": "1.1", "--http2": "2"}[proto]
					if tt.refused == nil {
						assert.Contains(t, out, "\n200 "+version+"\n", "%s %s: %s", proto, tt.name, out)
						assert.Contains(t, out, `"ClientCert":""`, "the backend is not the client's TLS peer")
						assert.Equal(t, before+1, m.hits.Load())
						continue
					}
					assert.Equal(t, "400 Bad Request: "+tt.refused.message+"\n\n400 "+version+"\n", out, "%s %s", proto, tt.name)
					assert.Equal(t, before, m.hits.Load(), "%s %s reached the backend", proto, tt.name)
				}
			}
		})
	}
}

var (
	statusLine = regexp.MustCompile(`HTTP/1\.1 (\d{3}) `)
	reusedLine = regexp.MustCompile(`(?m)^(New|Reused), (TLSv1\.[23])`)
)

// TestClientCertificateOpenSSL: openssl s_client -cert against a strict
// listener: served with a valid certificate, 400 and the sentence without
// one or with an untrusted one; and a session saved (-sess_out) while the
// certificate was good and resumed (-sess_in) after it was revoked is
// refused, at TLS 1.2 and 1.3.
func TestClientCertificateOpenSSL(t *testing.T) {
	openssl := lookTool(t, "openssl", "E2ETLS_REQUIRE_OPENSSL")
	checkLeaks(t)
	m := newMTLS(t)
	files := newToolFiles(t, m)
	for _, fx := range frontends {
		fe := fx.fe
		t.Run(fx.name, func(t *testing.T) {
			cfg := m.config(gateway.SSLProfile{ClientAuth: gateway.ClientAuth{CRLs: []*x509.RevocationList{m.inter.NewCRL(tlstest.CRLOptions{Number: 1})}}})
			cfg.Frontend = fe
			gw := gatewaytest.Start(t, cfg)
			connect := "127.0.0.1:" + strconv.Itoa(gw.Port("web"))
			request := "GET /openssl HTTP/1.1\r\nHost: shop.example\r\nConnection: close\r\n\r\n"
			sclient := func(cert *tlstest.Cert, extra ...string) string {
				args := []string{"s_client", "-connect", connect, "-servername", "shop.example", "-CAfile", files.ca,
					"-verify_return_error", "-alpn", "http/1.1", "-ign_eof"}
				if cert != nil {
					c, k := files.client(t, cert)
					args = append(args, "-cert", c, "-key", k)
				}
				return runTool(t, request, openssl, append(args, extra...)...)
			}
			status := func(out string) int {
				mm := statusLine.FindStringSubmatch(out)
				require.NotNil(t, mm, "no status line in:\n%s", out)
				n, _ := strconv.Atoi(mm[1])
				return n
			}

			out := sclient(m.alice)
			assert.Equal(t, http.StatusOK, status(out), out)
			for _, tt := range []struct {
				cert    *tlstest.Cert
				refused refusal
			}{{nil, refusedNoCert}, {m.untrusted, refusedUntrusted}} {
				out := sclient(tt.cert)
				assert.Equal(t, http.StatusBadRequest, status(out), out)
				assert.Contains(t, out, "\r\n\r\n400 Bad Request: "+tt.refused.message+"\n")
			}

			for _, version := range []string{"-tls1_2", "-tls1_3"} {
				cfg := gw.Config
				cfg.SSLProfiles[0].ClientAuth.CRLs = []*x509.RevocationList{m.inter.NewCRL(tlstest.CRLOptions{Number: 2})}
				require.NoError(t, gw.Update(cfg))
				sess := filepath.Join(t.TempDir(), "session.pem")
				out := sclient(m.bob, version, "-sess_out", sess)
				require.Equal(t, http.StatusOK, status(out), out)
				require.Equal(t, "New", reusedLine.FindStringSubmatch(out)[1], out)

				cfg.SSLProfiles[0].ClientAuth.CRLs = []*x509.RevocationList{m.inter.NewCRL(tlstest.CRLOptions{Number: 3, Revoked: []tlstest.Revoked{{Cert: m.bob}}})}
				require.NoError(t, gw.Update(cfg))
				before := m.hits.Load()
				out = sclient(m.bob, version, "-sess_in", sess)
				mm := reusedLine.FindStringSubmatch(out)
				require.NotNil(t, mm, out)
				assert.Equal(t, "Reused", mm[1], "%s: the session was not resumed:\n%s", version, out)
				assert.Equal(t, http.StatusBadRequest, status(out), out)
				assert.Contains(t, out, "400 Bad Request: "+refusedRevoked.message+"\n")
				assert.Equal(t, before, m.hits.Load())
			}
		})
	}
}
