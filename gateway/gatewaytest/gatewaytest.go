// Package gatewaytest runs an e2etls gateway inside a test, in the manner of
// net/http/httptest: [Start] serves a [gateway.Config] on loopback and
// closes it when the test ends; a [PKI] mints the frontend and backend
// certificates and starts HTTPS backends on loopback; [Gateway.Client] is an
// HTTP client that trusts the PKI and reaches the gateway under any host
// name.
//
// A test of "my service behind the gateway, with end-to-end TLS":
//
//	pki := gatewaytest.NewPKI()
//	backend := pki.StartBackend(t, myHandler, "orders.internal")
//	gw := gatewaytest.Start(t, gateway.Config{
//		SSLCertificates:         []gateway.SSLCertificate{pki.SSLCertificate("front", "shop.example")},
//		TrustedRootCertificates: []gateway.NamedCertificate{pki.TrustedRoot("root")},
//		Listeners: []gateway.Listener{{Name: "web", Protocol: gateway.HTTPS, Port: 443, SSLCertificate: "front"}},
//		Pools:     []gateway.Pool{{Name: "orders", Members: []gateway.Member{backend.Member()}}},
//		BackendHTTPSettings: []gateway.BackendHTTPSetting{{Name: "tls", Protocol: gateway.HTTPS,
//			Port: backend.Port(), HostName: "orders.internal", TrustedRootCertificates: []string{"root"}}},
//		Rules: []gateway.Rule{{Name: "all", Listener: "web", Pool: "orders", BackendHTTPSetting: "tls"}},
//	})
//	resp, err := gw.Client(pki).Get(gw.URL("web", "shop.example") + "/orders/1")
//
// Listener ports in the Config are placeholders: Start binds a free
// loopback port for each distinct one and rewrites the listeners to it, so
// X-Forwarded-Port and redirects name the port really served.
package gatewaytest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/e2etls/e2etls/backendtls/tlstest"
	"github.com/e2etls/e2etls/gateway"
)

// Gateway is a gateway serving on loopback for the length of a test.
type Gateway struct {
	*gateway.Gateway
	// Config is the configuration served, with the listeners' real ports.
	Config gateway.Config
	ports  map[int]int // placeholder port -> bound port
}

// Start validates cfg, binds a free loopback port (127.0.0.1) for each
// distinct listener port, serves the gateway and registers its Close with
// tb.Cleanup. It fails the test at once if cfg is invalid. A nil
// cfg.Logger means a logger that writes to tb.Log.
func Start(tb testing.TB, cfg gateway.Config) *Gateway {
	tb.Helper()
	ports := make(map[int]int)
	lns := make(map[int]net.Listener)
	cfg.Listeners = append([]gateway.Listener(nil), cfg.Listeners...)
	for i, l := range cfg.Listeners {
		if _, ok := ports[l.Port]; !ok {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				tb.Fatalf("gatewaytest: listen: %v", err)
			}
			p := ln.Addr().(*net.TCPAddr).Port
			ports[l.Port] = p
			lns[p] = ln
		}
		cfg.Listeners[i].Port = ports[l.Port]
		cfg.Listeners[i].Address = "127.0.0.1"
	}
	if cfg.Logger == nil {
		cfg.Logger = testLogger(tb)
	}
	gw, err := gateway.New(cfg)
	if err != nil {
		for _, ln := range lns {
			ln.Close()
		}
		tb.Fatalf("gatewaytest: %v", err)
	}
	var wg sync.WaitGroup
	for p, ln := range lns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := gw.ServePort(p, ln); err != nil && !errors.Is(err, gateway.ErrGatewayClosed) {
				tb.Errorf("gatewaytest: serve port %d: %v", p, err)
			}
		}()
	}
	tb.Cleanup(func() {
		gw.Close()
		wg.Wait()
	})
	return &Gateway{Gateway: gw, Config: cfg, ports: ports}
}

// Port returns the loopback port serving the listener named name, or 0.
func (g *Gateway) Port(listener string) int {
	for _, l := range g.Config.Listeners {
		if l.Name == listener {
			return l.Port
		}
	}
	return 0
}

// URL returns the base URL of a listener, such as
// "https://shop.example:41234", for the given host name (use one the
// listener accepts). It panics if there is no such listener.
func (g *Gateway) URL(listener, host string) string {
	for _, l := range g.Config.Listeners {
		if l.Name == listener {
			scheme := "http"
			if l.Protocol == gateway.HTTPS {
				scheme = "https"
			}
			return scheme + "://" + net.JoinHostPort(host, strconv.Itoa(l.Port))
		}
	}
	panic("gatewaytest: no listener " + strconv.Quote(listener))
}

// Client returns an HTTP client that trusts pki's root for the gateway's
// frontend certificates and connects every host name to 127.0.0.1, so a
// request to https://shop.example:PORT/ reaches the gateway with SNI and
// Host "shop.example". It follows no redirects and speaks HTTP/1.1 and
// HTTP/2.
func (g *Gateway) Client(pki *PKI) *http.Client {
	return pki.Client()
}

// PKI is a test certificate authority: one root that signs frontend and
// backend certificates alike.
type PKI struct {
	Root *tlstest.Cert
}

// NewPKI mints a root CA (ECDSA P-256) in memory.
func NewPKI() *PKI {
	return &PKI{Root: tlstest.NewRoot(tlstest.Options{CommonName: "gatewaytest root", KeyType: tlstest.ECDSAP256})}
}

// Leaf mints a server certificate for names (DNS names or IP addresses).
func (p *PKI) Leaf(names ...string) *tlstest.Cert {
	o := tlstest.Options{KeyType: tlstest.ECDSAP256}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			o.IPAddresses = append(o.IPAddresses, ip)
		} else {
			o.DNSNames = append(o.DNSNames, n)
		}
	}
	return p.Root.NewLeaf(o)
}

// SSLCertificate returns a listener certificate for host names, named name.
func (p *PKI) SSLCertificate(name string, hostNames ...string) gateway.SSLCertificate {
	return gateway.SSLCertificate{Name: name, Certificate: p.Leaf(hostNames...).FullChain()}
}

// TrustedRoot returns the PKI's root as a trusted root certificate named name.
func (p *PKI) TrustedRoot(name string) gateway.NamedCertificate {
	return gateway.NamedCertificate{Name: name, Certificate: p.Root.Certificate}
}

// Pool returns a certificate pool holding the PKI's root.
func (p *PKI) Pool() *x509.CertPool { return p.Root.Pool() }

// Client returns an HTTP client that trusts the PKI's root and connects
// every host name to 127.0.0.1 on the port of the URL.
func (p *PKI) Client() *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second}
	tr := &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: p.Pool()},
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			_, port, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			return d.DialContext(ctx, network, net.JoinHostPort("127.0.0.1", port))
		},
		ForceAttemptHTTP2: true,
	}
	return &http.Client{
		Transport:     tr,
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Backend is an HTTPS backend on loopback.
type Backend struct {
	*tlstest.Server
	// Cert is the certificate the backend presents.
	Cert *tlstest.Cert
}

// StartBackend starts an HTTPS backend on 127.0.0.1 presenting a
// certificate for names from the PKI, serving h (nil: an echo of what it
// saw, see tlstest.Echo), and closes it when the test ends.
func (p *PKI) StartBackend(tb testing.TB, h http.Handler, names ...string) *Backend {
	tb.Helper()
	leaf := p.Leaf(names...)
	srv := tlstest.NewServer(tlstest.ServerOptions{Name: firstOr(names, "backend"), Certificate: leaf.FullChain(), Handler: h})
	tb.Cleanup(srv.Close)
	return &Backend{Server: srv, Cert: leaf}
}

// Port returns the backend's port.
func (b *Backend) Port() int {
	_, p, _ := net.SplitHostPort(b.Addr)
	n, _ := strconv.Atoi(p)
	return n
}

// Member returns the backend as a pool member (127.0.0.1 and its port).
func (b *Backend) Member() gateway.Member {
	return gateway.Member{Address: "127.0.0.1", Port: b.Port()}
}

func firstOr(s []string, def string) string {
	if len(s) > 0 {
		return s[0]
	}
	return def
}
