// Package gatewaytest runs an e2etls gateway inside a test, in the manner of
// net/http/httptest.
//
// [Proxy] puts an HTTPS backend serving each of your handlers behind a
// gateway, end-to-end TLS on loopback, with names and ports chosen for
// you, so that a test of "my service behind the gateway" fits in ten
// lines (see the Proxy example):
//
//	site := gatewaytest.Proxy(t, myHandler)
//	resp, err := site.Client().Get(site.URL + "/orders/1")
//
// For a configuration of your own, [Start] serves a [gateway.Config] on
// loopback and closes it when the test ends; a [PKI] mints the frontend
// and backend certificates and starts HTTPS backends on loopback;
// [PKI.Client] is an HTTP client that trusts the PKI and reaches the
// gateway under any host name:
//
//	pki := gatewaytest.NewPKI()
//	backend := pki.StartBackend(t, myHandler, "orders.internal")
//	gw := gatewaytest.Start(t, gateway.Config{
//		SSLCertificates:         []gateway.SSLCertificate{pki.SSLCertificate("front", "shop.example")},
//		TrustedRootCertificates: []gateway.NamedCertificate{pki.TrustedRoot("root")},
//		Listeners: []gateway.Listener{{Name: "web", Protocol: gateway.HTTPS, Port: 443, SSLCertificate: "front"}},
//		Pools:     []gateway.Pool{{Name: "orders", Members: []gateway.Member{backend.Member()}}},
//		BackendHTTPSettings: []gateway.BackendHTTPSetting{{Name: "tls", Protocol: gateway.HTTPS,
//			HostName: "orders.internal", TrustedRootCertificates: []string{"root"}}}, // port: the member's
//		Rules: []gateway.Rule{{Name: "all", Listener: "web", Pool: "orders", BackendHTTPSetting: "tls"}},
//	})
//	resp, err := pki.Client().Get(gw.URL("web", "shop.example") + "/orders/1")
//
// Listener ports in the Config are placeholders: Start binds a free
// loopback port for each distinct one and rewrites the listeners to it, so
// X-Forwarded-Port and redirects name the port really served.
//
// Mutual TLS: [PKI.ClientCertificate] mints a client certificate,
// [PKI.TrustedClientCertificate] trusts the PKI's root for client
// certificates (an SSL profile names it), and [PKI.ClientWithCertificate]
// is a client that presents a certificate, of this PKI or any other, to
// test refusals too.
package gatewaytest
