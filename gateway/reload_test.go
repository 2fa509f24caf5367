package gateway_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e2etls/e2etls/backendtls/tlstest"
	"github.com/e2etls/e2etls/certsource"
	"github.com/e2etls/e2etls/gateway"
	"github.com/e2etls/e2etls/gateway/gatewaytest"
	"github.com/e2etls/e2etls/observe"
)

// writeAtomic writes data to a temporary file and renames it over name,
// as careful tools (and the kubelet, in effect) do.
func writeAtomic(t *testing.T, name string, data []byte) {
	t.Helper()
	tmp := name + ".tmp"
	require.NoError(t, os.WriteFile(tmp, data, 0o600))
	require.NoError(t, os.Rename(tmp, name))
}

// load runs requests through clients until stopped, each client in a
// goroutine of its own, at most maxRequests each and for at most
// maxDuration: a bounded load that counts what failed.
type load struct {
	stop   chan struct{}
	wg     sync.WaitGroup
	ok     atomic.Int64
	failed atomic.Int64
	mu     sync.Mutex
	first  []string // the first failures
}

const (
	maxRequests = 20000
	maxDuration = 30 * time.Second
)

func startLoad(targets map[string]*http.Client) *load {
	l := &load{stop: make(chan struct{})}
	deadline := time.Now().Add(maxDuration)
	for url, c := range targets {
		l.wg.Go(func() {
			for i := 0; i < maxRequests && time.Now().Before(deadline); i++ {
				select {
				case <-l.stop:
					return
				default:
				}
				resp, err := c.Get(url)
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if err == nil && resp.StatusCode != http.StatusOK {
						err = fmt.Errorf("status %d (%s)", resp.StatusCode, resp.Header.Get(gateway.ErrorHeader))
					}
				}
				if err != nil {
					l.failed.Add(1)
					l.mu.Lock()
					if len(l.first) < 5 {
						l.first = append(l.first, url+": "+err.Error())
					}
					l.mu.Unlock()
					continue
				}
				l.ok.Add(1)
			}
		})
	}
	return l
}

// waitOK waits until n more requests have succeeded, so that a rotation
// happens under load.
func (l *load) waitOK(t *testing.T, n int64) {
	t.Helper()
	target := l.ok.Load() + n
	waitFor(t, fmt.Sprintf("%d requests under load", n), func() bool { return l.ok.Load() >= target })
}

func (l *load) finish(t *testing.T) {
	t.Helper()
	close(l.stop)
	l.wg.Wait()
	assert.Zero(t, l.failed.Load(), "failed requests under rotation (%d succeeded): %v", l.ok.Load(), l.first)
}

// TestCertificateRotationUnderLoad: every kind of certificate the gateway
// reads from files (the listener's certificate and key, a backend setting's
// trusted root and authentication certificate, a profile's trusted client
// CA chain and its CRLs) is watched, and a new version is taken while
// requests flow, over HTTP/1.1 and HTTP/2, new and kept-alive connections,
// with no failed request; a file that does not parse and a file that the
// configuration refuses (a CRL of a CA that is not trusted) leave the
// previous version in force and are logged, counted and reported. Each
// new version then shows it took effect. With the own and the net/http
// frontends.
func TestCertificateRotationUnderLoad(t *testing.T) {
	checkLeaks(t)
	for _, fx := range frontends {
		fe := fx.fe
		t.Run(fx.name, func(t *testing.T) { rotationUnderLoad(t, fe) })
	}
}

func rotationUnderLoad(t *testing.T, fe gateway.Frontend) {
	m := newMTLS(t)
	dir := t.TempDir()
	file := func(name string) string { return filepath.Join(dir, name) }
	partner := tlstest.NewRoot(ecOpts("Partner Root"))
	partnerClient := partner.NewClientLeaf(ecOpts("partner"))
	front := m.pki.Leaf("shop.example", "partners.example")
	writeAtomic(t, file("front.crt"), front.CertPEM())
	writeAtomic(t, file("front.key"), front.KeyPEM())
	writeAtomic(t, file("root.pem"), m.pki.Root.CertPEM())
	writeAtomic(t, file("backend.pem"), m.backend.Cert.CertPEM())
	writeAtomic(t, file("partners.pem"), partner.CertPEM())
	writeAtomic(t, file("clients.crl"), tlstest.CRLPEM(m.inter.NewCRL(tlstest.CRLOptions{Number: 1})))

	opts := certsource.Options{Interval: 10 * time.Millisecond}
	frontSrc, err := certsource.WatchKeyPair(file("front.crt"), file("front.key"), opts)
	require.NoError(t, err)
	rootSrc, err := certsource.WatchCertificates(opts, file("root.pem"))
	require.NoError(t, err)
	authSrc, err := certsource.WatchCertificates(opts, file("backend.pem"))
	require.NoError(t, err)
	partnerSrc, err := certsource.WatchCertificates(opts, file("partners.pem"))
	require.NoError(t, err)
	crlSrc, err := certsource.WatchCRLs(opts, file("clients.crl"))
	require.NoError(t, err)
	for _, w := range []io.Closer{frontSrc, rootSrc, authSrc, partnerSrc, crlSrc} {
		t.Cleanup(func() { w.Close() })
	}

	reloads := &reloadObserver{}
	cfg := m.config(gateway.SSLProfile{Name: "clients", ClientAuth: gateway.ClientAuth{CRLSource: crlSrc}})
	cfg.Frontend = fe
	cfg.Observer = reloads
	cfg.SSLCertificates = []gateway.SSLCertificate{{Name: "front", Source: frontSrc}}
	cfg.TrustedRootCertificates = []gateway.NamedCertificate{{Name: "root", Source: rootSrc}}
	cfg.AuthenticationCertificates = []gateway.NamedCertificate{{Name: "backend", Source: authSrc}}
	cfg.TrustedClientCertificates = append(cfg.TrustedClientCertificates, gateway.TrustedClientCertificate{Name: "partners", Source: partnerSrc})
	cfg.SSLProfiles = append(cfg.SSLProfiles, gateway.SSLProfile{Name: "partners", TrustedClientCertificates: []string{"partners"}})
	cfg.Listeners = []gateway.Listener{
		{Name: "web", Protocol: gateway.HTTPS, Port: 443, SSLCertificate: "front", HostNames: []string{"shop.example"}, SSLProfile: "clients"},
		{Name: "partners", Protocol: gateway.HTTPS, Port: 443, SSLCertificate: "front", HostNames: []string{"partners.example"}, SSLProfile: "partners"},
	}
	cfg.BackendHTTPSettings = append(cfg.BackendHTTPSettings, gateway.BackendHTTPSetting{
		Name: "v1", Protocol: gateway.HTTPS, Port: 443, HostName: "api.internal", AuthenticationCertificates: []string{"backend"},
	})
	cfg.URLPathMaps = []gateway.URLPathMap{{Name: "paths", DefaultPool: "app", DefaultBackendHTTPSetting: "tls",
		PathRules: []gateway.PathRule{{Name: "v1", Paths: []string{"/v1/*"}, Pool: "app", BackendHTTPSetting: "v1"}}}}
	cfg.Rules = []gateway.Rule{
		{Name: "web", Listener: "web", URLPathMap: "paths", Priority: 1},
		{Name: "partners", Listener: "partners", Pool: "app", BackendHTTPSetting: "tls", Priority: 2},
	}
	gw := gatewaytest.Start(t, cfg)
	web, partners := gw.URL("web", "shop.example"), gw.URL("partners", "partners.example")

	fresh := func(cert *tlstest.Cert, proto string) *http.Client { // a handshake per request
		c := m.client(t, cert, proto)
		c.Transport.(*http.Transport).DisableKeepAlives = true
		return c
	}
	l := startLoad(map[string]*http.Client{
		web + "/a":       m.client(t, m.alice, "h2"),
		web + "/v1/b":    m.client(t, m.alice, "http/1.1"),
		web + "/c":       fresh(m.alice, "http/1.1"),
		web + "/v1/d":    fresh(m.alice, "h2"),
		partners + "/e":  m.client(t, partnerClient, "h2"),
		partners + "/f":  fresh(partnerClient, "http/1.1"),
		partners + "/g?": fresh(partnerClient, "h2"),
	})
	taken := func() uint64 { return gw.CertificateReloads().Reloads }
	failures := func() uint64 { return gw.CertificateReloads().Failures }
	rotate := func(what string, change func()) {
		t.Helper()
		l.waitOK(t, 30)
		before := taken()
		change()
		waitFor(t, what+" to be taken", func() bool { return taken() > before })
	}

	// The listener's certificate: a new leaf, both files renamed in place.
	front2 := m.pki.Leaf("shop.example", "partners.example")
	rotate("the listener certificate", func() {
		require.NoError(t, os.WriteFile(file("front.crt.new"), front2.CertPEM(), 0o600))
		require.NoError(t, os.WriteFile(file("front.key.new"), front2.KeyPEM(), 0o600))
		require.NoError(t, os.Rename(file("front.key.new"), file("front.key")))
		require.NoError(t, os.Rename(file("front.crt.new"), file("front.crt")))
	})
	// The backend's trusted root, renewed (same key and name, new dates).
	renewed := tlstest.NewRoot(tlstest.Options{CommonName: m.pki.Root.Certificate.Subject.CommonName, Key: m.pki.Root.Key,
		NotAfter: time.Now().Add(48 * time.Hour)})
	rotate("the renewed trusted root", func() { writeAtomic(t, file("root.pem"), renewed.CertPEM()) })
	// The authentication certificate, the same one as Azure's .cer (base64
	// of DER): a new file, the same trust.
	rotate("the authentication certificate", func() {
		writeAtomic(t, file("backend.pem"), []byte(base64.StdEncoding.EncodeToString(m.backend.Cert.Certificate.Raw)))
	})
	// The partners' CA chain, renewed.
	partnerRenewed := tlstest.NewRoot(tlstest.Options{CommonName: "Partner Root", Key: partner.Key, NotAfter: time.Now().Add(48 * time.Hour)})
	rotate("the renewed client CA", func() { writeAtomic(t, file("partners.pem"), partnerRenewed.CertPEM()) })
	// The CRL: bob is revoked.
	rotate("the new CRL", func() {
		writeAtomic(t, file("clients.crl"), tlstest.CRLPEM(m.inter.NewCRL(tlstest.CRLOptions{Number: 2, Revoked: []tlstest.Revoked{{Cert: m.bob}}})))
	})

	// A key file that does not parse: refused by its source.
	l.waitOK(t, 30)
	writeAtomic(t, file("front.key"), []byte("-----BEGIN PRIVATE KEY-----\nbroken\n-----END PRIVATE KEY-----\n"))
	waitFor(t, "the broken key to be refused", func() bool { return failures() == 1 })
	// A CRL of a CA that is not trusted: parses, refused by validation.
	l.waitOK(t, 30)
	writeAtomic(t, file("clients.crl"), tlstest.CRLPEM(m.otherRoot.NewCRL(tlstest.CRLOptions{Number: 3})))
	waitFor(t, "the stranger's CRL to be refused", func() bool { return failures() == 2 })
	l.waitOK(t, 30)
	l.finish(t)

	stats := gw.CertificateReloads()
	assert.EqualValues(t, 5, stats.Reloads)
	assert.EqualValues(t, 2, stats.Failures)
	require.Error(t, stats.LastError)
	assert.Contains(t, stats.LastError.Error(), `sslProfile "clients": clientAuth: clientauth: CRLs: revocation: CRL 0 (issuer "CN=Unrelated Root", number 3) is from a CA that is not trusted here`)
	// The observer was told of each, as reloads from files.
	events := reloads.get()
	require.Len(t, events, 7)
	for i, ev := range events {
		assert.Equal(t, "file", ev.Source)
		if i < 5 {
			assert.NoError(t, ev.Err)
			assert.EqualValues(t, i+2, ev.Generation, "each reload is a new generation")
		} else {
			assert.Error(t, ev.Err)
		}
	}
	assert.Contains(t, events[5].Err.Error(), `gateway: sslCertificate "front": certsource: reloading`)
	assert.Contains(t, events[6].Err.Error(), `CRL 0 (issuer "CN=Unrelated Root", number 3)`)

	// Each new version took effect. The new listener certificate:
	r := get(t, fresh(m.alice, "h2"), web+"/")
	require.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, front2.Certificate.SerialNumber, r.resp.TLS.PeerCertificates[0].SerialNumber)
	// The CRL of number 2 (the stranger's was refused): bob is revoked.
	r = get(t, fresh(m.bob, "h2"), web+"/")
	assert.Equal(t, http.StatusBadRequest, r.status)
	assert.Equal(t, "400 Bad Request: "+refusedRevoked.message+"\n", r.body)
	// The partners' CA, replaced by another: the old one's clients are
	// refused, the new one's served.
	partner2 := tlstest.NewRoot(ecOpts("Partner Root 2"))
	before := taken()
	writeAtomic(t, file("partners.pem"), partner2.CertPEM())
	waitFor(t, "the new partner CA", func() bool { return taken() > before })
	r = get(t, fresh(partnerClient, "h2"), partners+"/")
	assert.Equal(t, http.StatusBadRequest, r.status)
	r = get(t, fresh(partner2.NewClientLeaf(ecOpts("partner 2")), "h2"), partners+"/")
	assert.Equal(t, http.StatusOK, r.status, r.body)
	// Another authentication certificate: the backend is no longer
	// allowed on /v1.
	before = taken()
	writeAtomic(t, file("backend.pem"), m.pki.Leaf("api.internal").CertPEM())
	waitFor(t, "the new authentication certificate", func() bool { return taken() > before })
	r = get(t, fresh(m.alice, "h2"), web+"/v1/x")
	assert.Equal(t, http.StatusBadGateway, r.status)
	assert.Equal(t, string(gateway.CodeLeafNotAllowed), r.header.Get(gateway.ErrorHeader))
	// Another trusted root: the backend is no longer trusted.
	before = taken()
	writeAtomic(t, file("root.pem"), tlstest.NewRoot(ecOpts("Another Root")).CertPEM())
	waitFor(t, "the new trusted root", func() bool { return taken() > before })
	r = get(t, fresh(m.alice, "h2"), web+"/")
	assert.Equal(t, http.StatusBadGateway, r.status)
	// The backend's issuer is no longer known: backendtls tells a missing
	// intermediate from an untrusted root by the issuer's name.
	assert.Contains(t, []string{string(gateway.CodeUntrustedRoot), string(gateway.CodeIntermediateMissing)}, r.header.Get(gateway.ErrorHeader))
}

// TestCertificateSourceProblems: a source set together with a fixed value,
// or yielding several certificates where one is expected, is a
// configuration problem; a Source of a user's own (Vault, Key Vault)
// drives reloads through its channel; Update replaces the sources watched,
// and Close stops watching.
func TestCertificateSourceProblems(t *testing.T) {
	checkLeaks(t)
	m := newMTLS(t)
	cfg := m.config(gateway.SSLProfile{})
	cfg.SSLCertificates[0].Source = certsource.Static(&cfg.SSLCertificates[0].Certificate)
	cfg.TrustedRootCertificates[0].Source = certsource.Static([]*x509.Certificate{m.pki.Root.Certificate, m.root.Certificate})
	cfg.SSLProfiles[0].ClientAuth.CRLs = []*x509.RevocationList{m.inter.NewCRL(tlstest.CRLOptions{Number: 1})}
	cfg.SSLProfiles[0].ClientAuth.CRLSource = certsource.Static(cfg.SSLProfiles[0].ClientAuth.CRLs)
	_, err := gateway.New(cfg)
	require.Error(t, err)
	for _, want := range []string{
		`gateway: sslCertificate "front": certificate and source are exclusive: set one`,
		`gateway: trustedRootCertificate "root": certificate and source are exclusive: set one`,
		`gateway: trustedRootCertificate "root": its source holds 2 certificates: want exactly one`,
		`gateway: sslProfile "mtls": clientAuth: crls and crlSource are exclusive: set one`,
	} {
		assert.Contains(t, err.Error(), want)
	}

	// A source of the user's own: a value and a channel, swapped under a
	// mutex.
	src := &pushSource{}
	first := m.pki.Leaf("shop.example")
	src.set(first)
	cfg = m.config(gateway.SSLProfile{})
	cfg.SSLCertificates = []gateway.SSLCertificate{{Name: "front", Source: src}}
	gw := gatewaytest.Start(t, cfg)
	serial := func() string {
		r := get(t, m.client(t, m.alice, "h2"), gw.URL("web", "shop.example")+"/")
		require.Equal(t, http.StatusOK, r.status)
		return r.resp.TLS.PeerCertificates[0].SerialNumber.String()
	}
	assert.Equal(t, first.Certificate.SerialNumber.String(), serial())
	second := m.pki.Leaf("shop.example")
	src.set(second)
	waitFor(t, "the pushed certificate", func() bool { return gw.CertificateReloads().Reloads == 1 })
	assert.Equal(t, second.Certificate.SerialNumber.String(), serial())
	// A certificate whose key does not match: refused by validation.
	mismatched := second.TLSCertificate()
	mismatched.PrivateKey = first.Key
	src.setTLS(&mismatched)
	waitFor(t, "the mismatched pair to be refused", func() bool { return gw.CertificateReloads().Failures == 1 })
	assert.Contains(t, gw.CertificateReloads().LastError.Error(), `sslCertificate "front": private key does not match the certificate`)
	assert.Equal(t, second.Certificate.SerialNumber.String(), serial())

	// Update to a fixed certificate: the source is no longer watched.
	cfg = gw.Config
	cfg.SSLCertificates = []gateway.SSLCertificate{m.pki.SSLCertificate("front", "shop.example")}
	require.NoError(t, gw.Update(cfg))
	src.set(m.pki.Leaf("shop.example"))
	time.Sleep(50 * time.Millisecond)
	assert.EqualValues(t, 1, gw.CertificateReloads().Reloads, "a source no longer configured was reloaded")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, gw.Shutdown(ctx))
}

// pushSource is a certsource.Source fed by hand, as a Vault or Key Vault
// client would feed one.
type pushSource struct {
	mu      sync.Mutex
	cert    *tls.Certificate
	changed chan struct{}
}

func (s *pushSource) Current() (*tls.Certificate, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cert, s.changed
}

func (s *pushSource) set(c *tlstest.Cert) {
	chain := c.FullChain()
	s.setTLS(&chain)
}

func (s *pushSource) setTLS(c *tls.Certificate) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cert = c
	if s.changed != nil {
		close(s.changed)
	}
	s.changed = make(chan struct{})
}

// reloadObserver records the observer's Reload events.
type reloadObserver struct {
	observe.Nop
	mu     sync.Mutex
	events []observe.Reload
}

func (o *reloadObserver) Reload(r observe.Reload) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.events = append(o.events, r)
}

func (o *reloadObserver) get() []observe.Reload {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.events)
}
