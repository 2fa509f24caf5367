package gatewaytest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
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
	Config    gateway.Config
	ports     map[int]int // placeholder port -> bound port
	wg        sync.WaitGroup
	errs      chan error
	closeOnce sync.Once
}

// Start validates cfg, binds a free loopback port (127.0.0.1) for each
// distinct listener port, serves the gateway and registers its Close with
// tb.Cleanup. It fails the test at once if cfg is invalid. A nil
// cfg.Logger means a logger that writes to the test's output (shown with
// go test -v, or when the test fails), each line starting with the file
// and line of the gateway code that logged it, as t.Log's lines start with
// their caller's. cfg.DetailedErrors is turned on (see NewGateway).
func Start(tb testing.TB, cfg gateway.Config) *Gateway {
	tb.Helper()
	if cfg.Logger == nil {
		cfg.Logger = testLogger(tb)
	}
	g, err := NewGateway(cfg)
	if err != nil {
		tb.Fatalf("gatewaytest: %v", err)
	}
	tb.Cleanup(func() {
		if err := g.Close(); err != nil {
			tb.Errorf("gatewaytest: %v", err)
		}
	})
	return g
}

// NewGateway is Start without a test: the caller must call Close. A nil
// cfg.Logger means slog.Default(). Like Start, it turns
// cfg.DetailedErrors on, so that a test reads why a request failed in the
// response (ErrorHeader and the body); use gateway.New to test the generic
// error pages clients get by default.
func NewGateway(cfg gateway.Config) (*Gateway, error) {
	cfg.DetailedErrors = true
	ports := make(map[int]int)
	lns := make(map[int]net.Listener)
	closeAll := func() {
		for _, ln := range lns {
			ln.Close()
		}
	}
	cfg.Listeners = append([]gateway.Listener(nil), cfg.Listeners...)
	for i, l := range cfg.Listeners {
		if _, ok := ports[l.Port]; !ok {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				closeAll()
				return nil, fmt.Errorf("gatewaytest: listen: %w", err)
			}
			p := ln.Addr().(*net.TCPAddr).Port
			ports[l.Port] = p
			lns[p] = ln
		}
		cfg.Listeners[i].Port = ports[l.Port]
		cfg.Listeners[i].Address = "127.0.0.1"
	}
	gw, err := gateway.New(cfg)
	if err != nil {
		closeAll()
		return nil, err
	}
	g := &Gateway{Gateway: gw, Config: cfg, ports: ports, errs: make(chan error, len(lns))}
	for p, ln := range lns {
		g.wg.Add(1)
		go func() {
			defer g.wg.Done()
			if err := gw.ServePort(p, ln); err != nil && !errors.Is(err, gateway.ErrGatewayClosed) {
				g.errs <- fmt.Errorf("gatewaytest: serve port %d: %w", p, err)
			}
		}()
	}
	return g, nil
}

// Close closes the gateway at once and waits until it has stopped serving.
// It returns the gateway's Close error and any error serving ended with
// other than the close. It may be called more than once.
func (g *Gateway) Close() error {
	err := g.Gateway.Close()
	g.wg.Wait()
	g.closeOnce.Do(func() { close(g.errs) })
	errs := []error{err}
	for e := range g.errs {
		errs = append(errs, e)
	}
	return errors.Join(errs...)
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
			if strings.EqualFold(string(l.Protocol), string(gateway.HTTPS)) {
				scheme = "https"
			}
			return scheme + "://" + net.JoinHostPort(host, strconv.Itoa(l.Port))
		}
	}
	panic("gatewaytest: no listener " + strconv.Quote(listener))
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

// ClientCertificate mints a client certificate issued by the PKI's root
// for commonName, for TLS client authentication (its extended key usage is
// clientAuth), with sans as its subject alternative names: DNS names, IP
// addresses, or URIs such as SPIFFE IDs (any name with "://"). Present it
// with [PKI.ClientWithCertificate]; trust it with
// [PKI.TrustedClientCertificate].
func (p *PKI) ClientCertificate(commonName string, sans ...string) *tlstest.Cert {
	o := tlstest.Options{CommonName: commonName, KeyType: tlstest.ECDSAP256}
	for _, n := range sans {
		switch ip := net.ParseIP(n); {
		case ip != nil:
			o.IPAddresses = append(o.IPAddresses, ip)
		case strings.Contains(n, "://"):
			u, err := url.Parse(n)
			if err != nil {
				panic("gatewaytest: ClientCertificate: " + err.Error())
			}
			o.URIs = append(o.URIs, u)
		default:
			o.DNSNames = append(o.DNSNames, n)
		}
	}
	return p.Root.NewClientLeaf(o)
}

// TrustedClientCertificate returns the PKI's root as a trusted client CA
// chain named name, for Config.TrustedClientCertificates and an
// SSLProfile's TrustedClientCertificates.
func (p *PKI) TrustedClientCertificate(name string) gateway.TrustedClientCertificate {
	return gateway.TrustedClientCertificate{Name: name, Certificates: []*x509.Certificate{p.Root.Certificate}}
}

// ClientWithCertificate returns [PKI.Client] presenting cert, with the
// intermediates of its chain, whenever a server asks for a client
// certificate, even if its issuer is not among the CAs the server names
// (crypto/tls would then send none): cert may come from any CA, to test
// refusals.
func (p *PKI) ClientWithCertificate(cert *tlstest.Cert) *http.Client {
	c := p.Client()
	chain := cert.FullChain()
	c.Transport.(*http.Transport).TLSClientConfig.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
		return &chain, nil
	}
	return c
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

// Backend is an HTTPS backend on loopback. Its Port (tlstest.Server.Port)
// is its pool member's port.
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
	b := p.NewBackend(h, names...)
	tb.Cleanup(b.Close)
	return b
}

// NewBackend is StartBackend without a test: the caller must call Close.
func (p *PKI) NewBackend(h http.Handler, names ...string) *Backend {
	leaf := p.Leaf(names...)
	srv := tlstest.NewServer(tlstest.ServerOptions{Name: firstOr(names, "backend"), Certificate: leaf.FullChain(), Handler: h})
	return &Backend{Server: srv, Cert: leaf}
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
