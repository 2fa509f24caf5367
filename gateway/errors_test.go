package gateway_test

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e2etls/e2etls/backendtls"
	"github.com/e2etls/e2etls/backendtls/tlstest"
	"github.com/e2etls/e2etls/gateway"
	"github.com/e2etls/e2etls/gateway/gatewaytest"
)

// TestVerificationCodes: every backendtls.Reason has its exported code,
// and the code parses back to the reason.
func TestVerificationCodes(t *testing.T) {
	codes := []gateway.ErrorCode{
		gateway.CodeUntrustedRoot, gateway.CodeIntermediateMissing, gateway.CodeLeafNotAllowed, gateway.CodePinMismatch,
		gateway.CodeHostnameMismatch, gateway.CodeExpired, gateway.CodeNotYetValid, gateway.CodeWeakKey,
		gateway.CodeWeakSignature, gateway.CodeKeyUsage, gateway.CodePolicy, gateway.CodeHandshake, gateway.CodeCustom,
	}
	reasons := backendtls.Reasons()
	assert.Len(t, codes, len(reasons), "a reason without a code")
	for i, r := range reasons {
		assert.Equal(t, gateway.CodeOf(r), codes[i])
		back, ok := codes[i].Reason()
		assert.True(t, ok, codes[i])
		assert.Equal(t, r, back)
	}
	_, ok := gateway.CodeTimeout.Reason()
	assert.False(t, ok, "the gateway's own codes are not verification reasons")
	_, ok = backendtls.ParseReason("no-such-reason")
	assert.False(t, ok)
}

// TestErrorResponsesTellClientsNothingInternal is SECURITY.md's "What a
// client learns from an error response": by default the gateway's own
// error responses carry their status and the request's ID, and nothing of
// the backends (no member address, pool, setting, certificate name or
// reason code); the log has the account under the same ID. With
// DetailedErrors the body gives the account and ErrorHeader the code.
func TestErrorResponsesTellClientsNothingInternal(t *testing.T) {
	checkLeaks(t)
	pki := gatewaytest.NewPKI()
	rogue := tlstest.NewRoot(tlstest.Options{CommonName: "Rogue Root", KeyType: tlstest.ECDSAP256})
	impostor := tlstest.NewServer(tlstest.ServerOptions{Name: "impostor",
		Certificate: rogue.NewLeaf(tlstest.Options{DNSNames: []string{"api.internal"}, KeyType: tlstest.ECDSAP256}).TLSCertificate(rogue)})
	t.Cleanup(impostor.Close)
	internal := []string{impostor.Addr, strconv.Itoa(impostor.Port()), `"app"`, `"tls"`, "api.internal", "Rogue", "untrusted", "no-healthy", "no-listener"}

	for _, detailed := range []bool{false, true} {
		t.Run(fmt.Sprintf("detailed=%v", detailed), func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			port := ln.Addr().(*net.TCPAddr).Port
			cfg := basicConfig(pki, "api.internal", gateway.Member{Address: "127.0.0.1", Port: impostor.Port()})
			cfg.Listeners[0].Port, cfg.Listeners[0].HostNames = port, []string{"shop.example"}
			cfg.DetailedErrors = detailed
			var logs logBuffer
			cfg.Logger = logs.logger()
			gw, err := gateway.New(cfg)
			require.NoError(t, err)
			served := make(chan error, 1)
			go func() { served <- gw.ServePort(port, ln) }()
			t.Cleanup(func() {
				gw.Close()
				<-served
			})
			c := newClient(t, pki)
			url := "https://shop.example:" + strconv.Itoa(port) + "/orders"

			for _, tt := range []struct {
				name   string
				host   string
				status int
				code   gateway.ErrorCode
			}{
				{"backend failed verification", "", http.StatusBadGateway, gateway.CodeUntrustedRoot},
				{"no member in rotation", "", http.StatusBadGateway, gateway.CodeNoHealthyBackend},
				{"no listener for the host", "other.example", http.StatusNotFound, gateway.CodeNoListener},
			} {
				req, err := http.NewRequest(http.MethodGet, url, nil)
				require.NoError(t, err)
				if tt.host != "" {
					req.Host = tt.host
				}
				r := do(t, c, req)
				require.Equal(t, tt.status, r.status, tt.name)
				id := r.header.Get("X-Request-Id")
				require.Regexp(t, `^[0-9a-f]{32}$`, id, tt.name)
				assert.Contains(t, logs.String(), "request_id="+id, "%s: the log has the account under the response's ID", tt.name)
				assert.Contains(t, logs.String(), "reason="+string(tt.code), tt.name)
				if detailed {
					assert.Equal(t, string(tt.code), r.header.Get(gateway.ErrorHeader), tt.name)
					assert.True(t, strings.HasPrefix(r.body, fmt.Sprintf("%d %s: ", tt.status, http.StatusText(tt.status))), "%s: %s", tt.name, r.body)
					if tt.status == http.StatusBadGateway {
						assert.Contains(t, r.body, `pool "app"`, "%s: the account names the pool", tt.name)
					}
					continue
				}
				assert.Equal(t, fmt.Sprintf("%d %s (request ID %s)\n", tt.status, http.StatusText(tt.status), id), r.body, tt.name)
				assert.Empty(t, r.header.Get(gateway.ErrorHeader), tt.name)
				head := fmt.Sprint(r.header)
				for _, s := range internal {
					assert.NotContains(t, r.body, s, "%s: the body tells the client %q", tt.name, s)
					assert.NotContains(t, head, s, "%s: the head tells the client %q", tt.name, s)
				}
			}
			assert.Zero(t, impostor.Handshakes(), "the impostor completed no handshake")
		})
	}
}
