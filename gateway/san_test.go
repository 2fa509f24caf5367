package gateway_test

import (
	"net/http"
	"net/url"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e2etls/e2etls/backendtls"
	"github.com/e2etls/e2etls/backendtls/tlstest"
	"github.com/e2etls/e2etls/gateway"
	"github.com/e2etls/e2etls/gateway/gatewaytest"
)

// TestSubjectAltNamesIdentity: a backend whose certificate carries only a
// SPIFFE ID (a URI SAN, no DNS name) is trusted when the setting expects
// that ID, and refused, before any request reaches it, when it expects
// another; the SNI stays the setting's host name.
func TestSubjectAltNamesIdentity(t *testing.T) {
	pki := gatewaytest.NewPKI()
	id, _ := url.Parse("spiffe://corp.example/ns/shop/sa/orders")
	leaf := pki.Root.NewLeaf(tlstest.Options{CommonName: "orders workload", URIs: []*url.URL{id}, KeyType: tlstest.ECDSAP256})
	var hits atomic.Int32
	echo := tlstest.EchoHandler("orders")
	srv := tlstest.NewServer(tlstest.ServerOptions{Name: "orders", Certificate: leaf.TLSCertificate(),
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/x" {
				hits.Add(1)
			}
			echo.ServeHTTP(w, r)
		})})
	t.Cleanup(srv.Close)
	member := gateway.Member{Address: "127.0.0.1", Port: (&gatewaytest.Backend{Server: srv}).Port()}

	for _, tt := range []struct {
		name   string
		expect string
		status int
		reason string
	}{
		{"expected ID", id.String(), http.StatusOK, ""},
		{"another ID", "spiffe://corp.example/ns/shop/sa/payments", http.StatusBadGateway, "hostname-mismatch"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := basicConfig(pki, "orders.internal", member)
			cfg.BackendHTTPSettings[0].SubjectAltNames = []backendtls.SAN{{Type: backendtls.SANURI, Value: tt.expect}}
			gw := gatewaytest.Start(t, cfg)
			before := hits.Load()
			r := get(t, newClient(t, pki), gw.URL("web", "shop.example")+"/x")
			require.Equal(t, tt.status, r.status, r.body)
			assert.Equal(t, tt.reason, r.header.Get(gateway.ErrorHeader))
			if tt.status == http.StatusOK {
				assert.Equal(t, "orders.internal", r.echo.SNI, "the SNI is the host name, the identity the SAN")
			} else {
				assert.Contains(t, r.body, tt.expect)
				assert.Equal(t, before, hits.Load(), "a request reached the refused backend")
			}
		})
	}

	t.Run("HTTP setting refuses it", func(t *testing.T) {
		cfg := basicConfig(pki, "orders.internal", member)
		cfg.BackendHTTPSettings[0].Protocol = gateway.HTTP
		cfg.BackendHTTPSettings[0].TrustedRootCertificates = nil
		cfg.BackendHTTPSettings[0].SubjectAltNames = []backendtls.SAN{{Type: backendtls.SANURI, Value: id.String()}}
		_, err := gateway.New(cfg)
		require.Error(t, err)
		assert.Contains(t, err.Error(), `backendHttpSetting "tls": subjectAltNames applies to HTTPS settings only`)
	})
}
