package gatewaytest_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/e2etls/e2etls/clientauth"
	"github.com/e2etls/e2etls/gateway"
	"github.com/e2etls/e2etls/gateway/gatewaytest"
)

// A listener that requires a client certificate (mutual TLS), tested with
// a client that presents one of the PKI's and a client that presents
// none. The backend learns who the client is from X-Forwarded-Client-Cert.
func ExamplePKI_ClientCertificate() {
	pki := gatewaytest.NewPKI()
	backend := pki.NewBackend(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "hello", r.Header.Get(clientauth.XFCCHeader))
	}), "orders.internal")
	defer backend.Close()
	gw, err := gatewaytest.NewGateway(gateway.Config{
		Logger:                    slog.New(slog.NewTextHandler(io.Discard, nil)),
		SSLCertificates:           []gateway.SSLCertificate{pki.SSLCertificate("front", "shop.example")},
		TrustedRootCertificates:   []gateway.NamedCertificate{pki.TrustedRoot("root")},
		TrustedClientCertificates: []gateway.TrustedClientCertificate{pki.TrustedClientCertificate("clients")},
		SSLProfiles: []gateway.SSLProfile{{Name: "mtls", TrustedClientCertificates: []string{"clients"},
			ClientAuth: gateway.ClientAuth{ForwardClientCert: clientauth.XFCC{Mode: clientauth.XFCCSanitizeSet, Details: clientauth.XFCCDetails{Subject: true}}}}},
		Listeners: []gateway.Listener{{Name: "web", Protocol: gateway.HTTPS, Port: 443, SSLCertificate: "front", SSLProfile: "mtls"}},
		Pools:     []gateway.Pool{{Name: "orders", Members: []gateway.Member{backend.Member()}}},
		BackendHTTPSettings: []gateway.BackendHTTPSetting{{Name: "tls", Protocol: gateway.HTTPS,
			Port: backend.Port(), HostName: "orders.internal", TrustedRootCertificates: []string{"root"}}},
		Rules: []gateway.Rule{{Name: "all", Listener: "web", Pool: "orders", BackendHTTPSetting: "tls"}},
	})
	if err != nil {
		panic(err)
	}
	defer gw.Close()

	alice := pki.ClientCertificate("alice", "spiffe://example.org/alice")
	for _, c := range []*http.Client{pki.ClientWithCertificate(alice), pki.Client()} {
		resp, err := c.Get(gw.URL("web", "shop.example") + "/orders/1")
		if err != nil {
			panic(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Printf("%d %s", resp.StatusCode, trimHash(string(body)))
	}
	// Output:
	// 200 hello Hash=…;Subject="CN=alice"
	// 400 400 Bad Request: No required SSL certificate was sent
}

// trimHash shortens the certificate's hash, which differs at every run.
func trimHash(s string) string {
	i := strings.Index(s, "Hash=")
	if i < 0 {
		return s
	}
	i += len("Hash=")
	j := strings.IndexByte(s[i:], ';')
	if j < 0 {
		return s
	}
	return s[:i] + "…" + s[i+j:]
}
