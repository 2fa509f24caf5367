package gatewaytest_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"

	"github.com/e2etls/e2etls/backendtls/tlstest"
	"github.com/e2etls/e2etls/gateway"
	"github.com/e2etls/e2etls/gateway/gatewaytest"
)

// A service behind the gateway with end-to-end TLS. In a test, use
// gatewaytest.Start(t, cfg) and pki.StartBackend(t, h, names...), which
// close themselves when the test ends.
func Example() {
	pki := gatewaytest.NewPKI()
	backend := pki.NewBackend(nil, "orders.internal") // nil: echo what the backend saw
	defer backend.Close()
	gw, err := gatewaytest.NewGateway(gateway.Config{
		Logger:                  slog.New(slog.NewTextHandler(io.Discard, nil)),
		SSLCertificates:         []gateway.SSLCertificate{pki.SSLCertificate("front", "shop.example")},
		TrustedRootCertificates: []gateway.NamedCertificate{pki.TrustedRoot("root")},
		Listeners:               []gateway.Listener{{Name: "web", Protocol: gateway.HTTPS, Port: 443, SSLCertificate: "front"}},
		Pools:                   []gateway.Pool{{Name: "orders", Members: []gateway.Member{backend.Member()}}},
		BackendHTTPSettings: []gateway.BackendHTTPSetting{{Name: "tls", Protocol: gateway.HTTPS,
			Port: backend.Port(), HostName: "orders.internal", TrustedRootCertificates: []string{"root"}}},
		Rules: []gateway.Rule{{Name: "all", Listener: "web", Pool: "orders", BackendHTTPSetting: "tls"}},
	})
	if err != nil {
		panic(err)
	}
	defer gw.Close()

	resp, err := pki.Client().Get(gw.URL("web", "shop.example") + "/orders/1")
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	var seen tlstest.Echo
	json.NewDecoder(resp.Body).Decode(&seen)
	fmt.Println(resp.StatusCode, seen.SNI, seen.Host, seen.Path, seen.Header.Get("X-Forwarded-Proto"))
	// Output: 200 orders.internal orders.internal /orders/1 https
}
