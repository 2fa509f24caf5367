package gateway_test

import (
	"crypto/rand"
	"crypto/tls"
	"io"
	"net"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e2etls/e2etls/backendtls/tlstest"
	"github.com/e2etls/e2etls/gateway"
	"github.com/e2etls/e2etls/gateway/gatewaytest"
)

func ticketKey() [32]byte {
	var k [32]byte
	rand.Read(k[:])
	return k
}

// resumes makes one request to gw's listener "web" with a client that
// keeps its sessions in cache (presenting cert, if any, of the PKI pki)
// and reports whether the handshake resumed a session. The request reads
// the whole response, so that a TLS 1.3 ticket (sent after the handshake)
// reaches the cache.
func resumes(t *testing.T, pki *gatewaytest.PKI, gw *gatewaytest.Gateway, cache tls.ClientSessionCache, version uint16, cert *tlstest.Cert) bool {
	t.Helper()
	tc := &tls.Config{RootCAs: pki.Pool(), ServerName: "shop.example", ClientSessionCache: cache,
		MinVersion: version, MaxVersion: version, NextProtos: []string{"http/1.1"}}
	if cert != nil {
		c := cert.FullChain()
		tc.Certificates = []tls.Certificate{c}
	}
	conn, err := tls.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(gw.Port("web"))), tc)
	require.NoError(t, err)
	defer conn.Close()
	_, err = io.WriteString(conn, "GET / HTTP/1.1\r\nHost: shop.example\r\nConnection: close\r\n\r\n")
	require.NoError(t, err)
	b, err := io.ReadAll(conn)
	require.NoError(t, err)
	require.Contains(t, string(b), "HTTP/1.1 200 OK")
	return conn.ConnectionState().DidResume
}

// TestSessionTicketKeys: gateways that share Config.SessionTicketKeys
// resume each other's sessions, over TLS 1.2 and 1.3; one with its own
// keys does not; an Update rotates a key in (the first encrypts, all
// decrypt) and nil returns to keys of the gateway's own.
func TestSessionTicketKeys(t *testing.T) {
	for _, v := range []struct {
		name    string
		version uint16
	}{{"TLSv12", tls.VersionTLS12}, {"TLSv13", tls.VersionTLS13}} {
		t.Run(v.name, func(t *testing.T) {
			checkLeaks(t)
			pki := gatewaytest.NewPKI()
			backend := startEcho(t, pki, "app", "api.internal")
			k1, k2 := ticketKey(), ticketKey()
			cfg := basicConfig(pki, "api.internal", backend.Member())
			cfg.SessionTicketKeys = [][32]byte{k1}
			a, b := gatewaytest.Start(t, cfg), gatewaytest.Start(t, cfg)
			own := gatewaytest.Start(t, basicConfig(pki, "api.internal", backend.Member()))
			fresh := func(from *gatewaytest.Gateway) tls.ClientSessionCache {
				c := tls.NewLRUClientSessionCache(1)
				require.False(t, resumes(t, pki, from, c, v.version, nil), "a first handshake is full")
				return c
			}

			assert.True(t, resumes(t, pki, b, fresh(a), v.version, nil), "a session of a resumes on b, which shares its keys")
			assert.False(t, resumes(t, pki, own, fresh(a), v.version, nil), "a gateway with keys of its own does not resume it")
			assert.False(t, resumes(t, pki, a, fresh(own), v.version, nil), "nor the other way")

			// Rotation: b encrypts with k2 and still decrypts k1.
			update := func(gw *gatewaytest.Gateway, keys ...[32]byte) {
				c := gw.Config
				c.SessionTicketKeys = keys
				require.NoError(t, gw.Update(c))
			}
			update(b, k2, k1)
			assert.True(t, resumes(t, pki, b, fresh(a), v.version, nil), "b decrypts tickets of the old key")
			assert.False(t, resumes(t, pki, a, fresh(b), v.version, nil), "a has not the new key yet")
			update(a, k2, k1)
			assert.True(t, resumes(t, pki, a, fresh(b), v.version, nil), "both have both keys")

			// Back to keys of its own.
			update(b)
			assert.False(t, resumes(t, pki, b, fresh(a), v.version, nil), "b no longer shares a's keys")
			c := fresh(b)
			assert.True(t, resumes(t, pki, b, c, v.version, nil), "b resumes its own sessions")
		})
	}
}

// TestSessionTicketKeysClientAuth: with shared keys, listeners with client
// authentication still resume only sessions of their profile that had a
// client certificate, and replicas resume each other's such sessions.
func TestSessionTicketKeysClientAuth(t *testing.T) {
	checkLeaks(t)
	m := newMTLS(t)
	keys := [][32]byte{ticketKey()}
	cfg := m.config(gateway.SSLProfile{})
	cfg.SessionTicketKeys = keys
	a, b := gatewaytest.Start(t, cfg), gatewaytest.Start(t, cfg)
	plain := basicConfig(m.pki, "api.internal", m.backend.Member())
	plain.SessionTicketKeys = keys
	open := gatewaytest.Start(t, plain)

	for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		cache := tls.NewLRUClientSessionCache(1)
		require.False(t, resumes(t, m.pki, a, cache, version, m.alice))
		assert.True(t, resumes(t, m.pki, b, cache, version, m.alice), "a profile's session with a certificate resumes on a replica")

		cache = tls.NewLRUClientSessionCache(1)
		require.False(t, resumes(t, m.pki, open, cache, version, m.alice))
		assert.False(t, resumes(t, m.pki, a, cache, version, m.alice), "a session of a listener without client authentication does not resume under it, shared keys or not")
	}
}
