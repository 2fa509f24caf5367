package gatewaytest

import (
	"fmt"
	"log/slog"
	"net/http"
	"testing"

	"github.com/e2etls/e2etls/backendtls/tlstest"
	"github.com/e2etls/e2etls/gateway"
)

// The names a Site is built with.
const (
	siteFrontHost   = "gateway.test" // the listener certificate's name, in Site.URL
	siteBackendHost = "backend.test" // the backends' certificate name: SNI, Host and identity
)

// Site is a gateway with HTTPS backends behind it, end-to-end TLS on
// loopback, as [Proxy] and [NewSite] make it. Its fields are set once and
// read-only.
type Site struct {
	// URL is the base URL of the gateway's listener, such as
	// "https://gateway.test:41234"; [Site.Client] reaches it.
	URL string
	// Gateway is the gateway. Its Config (with the real ports) names
	// the listener "web" (HTTPS, any host, certificate "front" for
	// gateway.test), the trusted root "root", the pool "backends", the
	// backend setting "backends" and the rule "all": change them with
	// Gateway.Update.
	Gateway *Gateway
	// PKI issued every certificate: the listener's, and the backends'.
	PKI *PKI
	// Backends are the backends, one per handler, in order.
	Backends []*Backend

	client *http.Client
}

// Proxy puts an HTTPS backend serving each handler behind a gateway, for
// the length of a test, so that a test of "my service behind an end-to-end
// TLS gateway" fits in ten lines:
//
//	site := gatewaytest.Proxy(t, myHandler)
//	resp, err := site.Client().Get(site.URL + "/orders/1")
//
// The gateway has one HTTPS listener on a free loopback port for any host
// (its certificate names gateway.test, the host of Site.URL) and one pool
// of the backends, which it reaches round-robin over TLS and verifies as
// production would: a certificate for backend.test issued by the site's
// [PKI], which is what they present, and backend.test as SNI and Host
// header. No probe is sent to the backends (DisableProbe), so handlers see
// only the test's requests; traffic alone takes a failing backend out of
// rotation (see gateway.BackendHTTPSetting.DisableProbe). A nil handler, or no
// handler at all, is a backend that echoes what it saw (tlstest.Echo,
// with Server "backend-0", "backend-1", ...). Detailed errors are on, and
// the gateway logs to the test as [Start] says.
//
// Everything closes when the test ends. Proxy fails the test at once if
// the site cannot start.
func Proxy(tb testing.TB, handlers ...http.Handler) *Site {
	tb.Helper()
	pki := NewPKI()
	backends := siteBackends(pki, handlers)
	for _, b := range backends {
		tb.Cleanup(b.Close)
	}
	gw := Start(tb, siteConfig(pki, backends))
	s := newSite(pki, gw, backends)
	tb.Cleanup(s.client.CloseIdleConnections)
	return s
}

// NewSite is Proxy without a test, for examples and programs: the gateway
// logs to logger (nil: slog.Default()), and the caller must call Close.
func NewSite(logger *slog.Logger, handlers ...http.Handler) (*Site, error) {
	pki := NewPKI()
	backends := siteBackends(pki, handlers)
	cfg := siteConfig(pki, backends)
	cfg.Logger = logger
	gw, err := NewGateway(cfg)
	if err != nil {
		for _, b := range backends {
			b.Close()
		}
		return nil, err
	}
	return newSite(pki, gw, backends), nil
}

// Client returns an HTTP client that trusts the site's certificates and
// connects every host name to the gateway's loopback address (see
// PKI.Client). It is one client, whose idle connections close with the
// site.
func (s *Site) Client() *http.Client { return s.client }

// Close closes the client's idle connections, the gateway and the
// backends. Proxy's site closes itself when the test ends.
func (s *Site) Close() error {
	s.client.CloseIdleConnections()
	err := s.Gateway.Close()
	for _, b := range s.Backends {
		b.Close()
	}
	return err
}

func newSite(pki *PKI, gw *Gateway, backends []*Backend) *Site {
	return &Site{URL: gw.URL("web", siteFrontHost), Gateway: gw, PKI: pki, Backends: backends, client: pki.Client()}
}

// siteBackends starts a backend per handler, one echo backend for none.
func siteBackends(pki *PKI, handlers []http.Handler) []*Backend {
	if len(handlers) == 0 {
		handlers = []http.Handler{nil}
	}
	backends := make([]*Backend, len(handlers))
	for i, h := range handlers {
		leaf := pki.Leaf(siteBackendHost)
		srv := tlstest.NewServer(tlstest.ServerOptions{Name: fmt.Sprintf("backend-%d", i), Certificate: leaf.FullChain(), Handler: h})
		backends[i] = &Backend{Server: srv, Cert: leaf}
	}
	return backends
}

// siteConfig is a Site's configuration.
func siteConfig(pki *PKI, backends []*Backend) gateway.Config {
	members := make([]gateway.Member, len(backends))
	for i, b := range backends {
		members[i] = b.Member()
	}
	return gateway.Config{
		SSLCertificates:         []gateway.SSLCertificate{pki.SSLCertificate("front", siteFrontHost)},
		TrustedRootCertificates: []gateway.NamedCertificate{pki.TrustedRoot("root")},
		Listeners:               []gateway.Listener{{Name: "web", Protocol: gateway.HTTPS, Port: 443, SSLCertificate: "front"}},
		Pools:                   []gateway.Pool{{Name: "backends", Members: members}},
		BackendHTTPSettings: []gateway.BackendHTTPSetting{{Name: "backends", Protocol: gateway.HTTPS,
			HostName: siteBackendHost, TrustedRootCertificates: []string{"root"}, DisableProbe: true}},
		Rules: []gateway.Rule{{Name: "all", Listener: "web", Pool: "backends", BackendHTTPSetting: "backends"}},
	}
}
