package gateway_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e2etls/e2etls/backendtls/tlstest"
	"github.com/e2etls/e2etls/gateway"
	"github.com/e2etls/e2etls/gateway/gatewaytest"
)

// logBuffer collects a gateway's log records for assertions.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// basicConfig is one HTTPS listener for shop.example routed to one pool of
// HTTPS members that must chain to the PKI's root and present hostName.
func basicConfig(pki *gatewaytest.PKI, hostName string, members ...gateway.Member) gateway.Config {
	return gateway.Config{
		SSLCertificates:         []gateway.SSLCertificate{pki.SSLCertificate("front", "shop.example")},
		TrustedRootCertificates: []gateway.NamedCertificate{pki.TrustedRoot("root")},
		Listeners:               []gateway.Listener{{Name: "web", Protocol: gateway.HTTPS, Port: 443, SSLCertificate: "front"}},
		Pools:                   []gateway.Pool{{Name: "app", Members: members}},
		BackendHTTPSettings: []gateway.BackendHTTPSetting{{
			Name: "tls", Protocol: gateway.HTTPS, Port: 443, HostName: hostName,
			TrustedRootCertificates: []string{"root"},
		}},
		Rules: []gateway.Rule{{Name: "all", Listener: "web", Pool: "app", BackendHTTPSetting: "tls"}},
	}
}

func getEcho(t *testing.T, c *http.Client, url string) (*http.Response, tlstest.Echo) {
	t.Helper()
	resp, err := c.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var e tlstest.Echo
	if resp.StatusCode == http.StatusOK {
		require.NoError(t, json.Unmarshal(body, &e), "body: %s", body)
	}
	return resp, e
}

func TestEndToEndTLS(t *testing.T) {
	for _, v := range []struct {
		name    string
		version uint16
	}{{"TLSv12", tls.VersionTLS12}, {"TLSv13", tls.VersionTLS13}} {
		t.Run(v.name, func(t *testing.T) {
			pki := gatewaytest.NewPKI()
			backend := pki.StartBackend(t, nil, "api.internal")
			gw := gatewaytest.Start(t, basicConfig(pki, "api.internal", backend.Member()))
			client := pki.Client()
			client.Transport.(*http.Transport).TLSClientConfig.MaxVersion = v.version

			req, err := http.NewRequest("GET", gw.URL("web", "shop.example")+"/orders/7?x=1", nil)
			require.NoError(t, err)
			req.Header.Set("X-Forwarded-For", "203.0.113.9:5555")
			resp, err := client.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			require.Equal(t, http.StatusOK, resp.StatusCode)
			require.Equal(t, v.version, resp.TLS.Version)
			var e tlstest.Echo
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&e))

			assert.Equal(t, "api.internal", e.SNI, "SNI is the setting's host name")
			assert.Equal(t, "api.internal", e.Host, "Host is the setting's host name")
			assert.Equal(t, "/orders/7", e.Path)
			assert.Equal(t, "x=1", e.RawQuery)
			port := strconv.Itoa(gw.Port("web"))
			xff := e.Header.Get("X-Forwarded-For")
			assert.True(t, strings.HasPrefix(xff, "203.0.113.9:5555, 127.0.0.1:"), "X-Forwarded-For appends the client: %q", xff)
			assert.Equal(t, "https", e.Header.Get("X-Forwarded-Proto"))
			assert.Equal(t, port, e.Header.Get("X-Forwarded-Port"))
			assert.Equal(t, "shop.example:"+port, e.Header.Get("X-Original-Host"))
		})
	}
}

func TestVerificationFailureGets502(t *testing.T) {
	pki := gatewaytest.NewPKI()
	rogue := tlstest.NewRoot(tlstest.Options{CommonName: "Rogue Root", KeyType: tlstest.ECDSAP256})
	tests := []struct {
		name   string
		cert   func() tls.Certificate
		reason string
	}{
		{"untrusted root", func() tls.Certificate {
			return rogue.NewLeaf(tlstest.Options{DNSNames: []string{"api.internal"}, KeyType: tlstest.ECDSAP256}).TLSCertificate(rogue)
		}, "untrusted-root"},
		{"chain without its intermediate", func() tls.Certificate {
			ca := pki.Root.NewIntermediate(tlstest.Options{CommonName: "Issuing CA", KeyType: tlstest.ECDSAP256})
			return ca.NewLeaf(tlstest.Options{DNSNames: []string{"api.internal"}, KeyType: tlstest.ECDSAP256}).TLSCertificate()
		}, "intermediate-missing"},
		{"host name mismatch", func() tls.Certificate {
			return pki.Leaf("other.internal").FullChain()
		}, "hostname-mismatch"},
		{"expired", func() tls.Certificate {
			return pki.Root.NewLeaf(tlstest.Options{DNSNames: []string{"api.internal"}, KeyType: tlstest.ECDSAP256,
				NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-time.Hour)}).FullChain()
		}, "expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var hits atomic.Int32
			srv := tlstest.NewServer(tlstest.ServerOptions{Certificate: tt.cert(), Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
			})})
			t.Cleanup(srv.Close)
			var logs logBuffer
			cfg := basicConfig(pki, "api.internal", gateway.Member{Address: "127.0.0.1", Port: srv.Port()})
			cfg.Logger = logs.logger()
			gw := gatewaytest.Start(t, cfg)

			resp, err := pki.Client().Get(gw.URL("web", "shop.example") + "/")
			require.NoError(t, err)
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			assert.Equal(t, http.StatusBadGateway, resp.StatusCode)
			assert.Equal(t, tt.reason, resp.Header.Get("X-E2etls-Error"))
			assert.Equal(t, "e2etls", resp.Header.Get("Server"))
			assert.Equal(t, 1, strings.Count(string(body), "\n"), "one line: %q", body)
			assert.True(t, strings.HasPrefix(string(body), "502 Bad Gateway: backend 127.0.0.1:"), "%q", body)
			assert.Contains(t, string(body), "backendtls: ")
			assert.Zero(t, hits.Load(), "the backend received a request")
			assert.Zero(t, srv.Handshakes(), "the backend completed a handshake")
			assert.Contains(t, logs.String(), "reason="+tt.reason)
			assert.Contains(t, logs.String(), "member="+srv.Addr)
			assert.Contains(t, logs.String(), "setting=tls")

			// Passive health: the member left rotation at once.
			h := gw.BackendHealth()
			require.Len(t, h, 1)
			assert.Equal(t, "Unhealthy", h[0].State)
			assert.Contains(t, h[0].Reason, "backendtls: ")
			resp, err = pki.Client().Get(gw.URL("web", "shop.example") + "/")
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, http.StatusBadGateway, resp.StatusCode)
			assert.Equal(t, "no-healthy-backend", resp.Header.Get("X-E2etls-Error"))
		})
	}
}

func TestClientHostIsSNIWhenSettingHasNoHostName(t *testing.T) {
	pki := gatewaytest.NewPKI()
	backend := pki.StartBackend(t, nil, "shop.example")
	cfg := basicConfig(pki, "", backend.Member())
	cfg.SSLCertificates = []gateway.SSLCertificate{pki.SSLCertificate("front", "shop.example", "other.example")}
	// An IP member whose SNI comes from each request gives the probe no name:
	// the probe must be given one.
	_, err := gateway.New(cfg)
	require.ErrorContains(t, err, "the health probe has no host name to send as SNI and verify")
	cfg.Probes = []gateway.Probe{{Name: "p", Protocol: gateway.HTTPS, Host: "shop.example"}}
	cfg.BackendHTTPSettings[0].Probe = "p"
	gw := gatewaytest.Start(t, cfg)
	resp, e := getEcho(t, pki.Client(), gw.URL("web", "shop.example")+"/")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "shop.example", e.SNI)
	assert.Equal(t, "shop.example:"+strconv.Itoa(gw.Port("web")), e.Host)

	// A client Host the backend's certificate does not cover is refused.
	resp, err = pki.Client().Get(gw.URL("web", "other.example") + "/")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusBadGateway, resp.StatusCode)
	assert.Equal(t, "hostname-mismatch", resp.Header.Get("X-E2etls-Error"))
}

func TestNewReportsEveryProblem(t *testing.T) {
	pki := gatewaytest.NewPKI()
	cfg := gateway.Config{
		SSLCertificates: []gateway.SSLCertificate{pki.SSLCertificate("front", "shop.example")},
		Listeners: []gateway.Listener{
			{Name: "web", Protocol: gateway.HTTPS, Port: 70000, SSLCertificate: "front"},
			{Name: "plain", Protocol: gateway.HTTP, Port: 80, SSLCertificate: "front"},
		},
		Pools: []gateway.Pool{{Name: "app", Members: []gateway.Member{{Address: "10.0.0.4"}}}},
		BackendHTTPSettings: []gateway.BackendHTTPSetting{
			{Name: "pick", Protocol: gateway.HTTPS, Port: 443, PickHostNameFromBackendAddress: true},
			{Name: "both", Protocol: gateway.HTTPS, Port: 443, HostName: "a.internal", TrustedRootCertificates: []string{"r"}, AuthenticationCertificates: []string{"a"}},
			{Name: "plain", Protocol: gateway.HTTP, Port: 80, TrustedRootCertificates: []string{"r"}, Probe: "tls-probe"},
		},
		Probes:                     []gateway.Probe{{Name: "tls-probe", Protocol: gateway.HTTPS}},
		TrustedRootCertificates:    []gateway.NamedCertificate{{Name: "r", Certificate: pki.Root.Certificate}},
		AuthenticationCertificates: []gateway.NamedCertificate{{Name: "a", Certificate: pki.Leaf("a.internal").Certificate}},
		Rules: []gateway.Rule{
			{Name: "api", Listener: "web", Pool: "web", BackendHTTPSetting: "pick"},
			{Name: "api", Listener: "plain", Pool: "app", BackendHTTPSetting: "nope"},
		},
	}
	_, err := gateway.New(cfg)
	require.Error(t, err)
	msg := err.Error()
	for _, want := range []string{
		`gateway: rule[1]: name "api" is also rule[0]'s`,
		`gateway: listener "web": port 70000 is not in 1-65535`,
		`gateway: listener "plain": HTTP listener cannot have an sslCertificate ("front")`,
		`gateway: backendHttpSetting "both": trustedRootCertificates and authenticationCertificates cannot be combined`,
		`gateway: backendHttpSetting "plain": trustedRootCertificates applies to HTTPS settings only`,
		`gateway: backendHttpSetting "plain": probe "tls-probe" speaks Https but the setting speaks Http: they must match`,
		`gateway: rule "api": unknown pool "web"`,
		`gateway: rule "api": unknown backend HTTP setting "nope"`,
	} {
		assert.Contains(t, msg, want)
	}
	t.Log(msg)
}

func TestPickHostNameFromBackendAddressRefusesIPMembers(t *testing.T) {
	pki := gatewaytest.NewPKI()
	cfg := basicConfig(pki, "", gateway.Member{Address: "10.0.0.4"})
	cfg.BackendHTTPSettings[0].PickHostNameFromBackendAddress = true
	_, err := gateway.New(cfg)
	require.EqualError(t, err, `gateway: rule "all": pool "app": member 10.0.0.4:443 with backendHttpSetting "tls": the setting picks the host name from the backend address, but 10.0.0.4 is an IP address: use an FQDN member or set hostName`)
}

func TestCloseLeavesNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	func() {
		pki := gatewaytest.NewPKI()
		backend := pki.StartBackend(t, nil, "api.internal")
		cfg := basicConfig(pki, "api.internal", backend.Member())
		gw, err := gateway.New(cfg)
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		gw.ProbeNow(ctx)
		require.NoError(t, gw.Close())
		backend.Close()
	}()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<20)
		t.Fatalf("%d goroutines before, %d after Close:\n%s", before, n, buf[:runtime.Stack(buf, true)])
	}
}

// TestNewReportsProblemsBehindOthers: an unknown reference does not hide
// the problems routing and the backend sets would find.
func TestNewReportsProblemsBehindOthers(t *testing.T) {
	pki := gatewaytest.NewPKI()
	cfg := gateway.Config{
		SSLCertificates: []gateway.SSLCertificate{pki.SSLCertificate("front", "shop.example")},
		Listeners: []gateway.Listener{
			{Name: "a", Protocol: gateway.HTTPS, Port: 443, HostNames: []string{"*.*.*x"}, SSLCertificate: "front"},
			{Name: "b", Protocol: gateway.HTTPS, Port: 443, HostNames: []string{"b.example"}, SSLCertificate: "front"},
		},
		Pools: []gateway.Pool{{Name: "ips", Members: []gateway.Member{{Address: "10.0.0.4"}}}},
		BackendHTTPSettings: []gateway.BackendHTTPSetting{
			{Name: "pick", Protocol: gateway.HTTPS, Port: 443, PickHostNameFromBackendAddress: true},
		},
		Rules: []gateway.Rule{
			{Name: "a", Listener: "a", Priority: 5, Pool: "nope", BackendHTTPSetting: "pick"},
			{Name: "b", Listener: "b", Priority: 5, Pool: "ips", BackendHTTPSetting: "pick"},
		},
	}
	_, err := gateway.New(cfg)
	require.Error(t, err)
	for _, want := range []string{
		`gateway: rule "a": unknown pool "nope"`,
		`"*.*.*x"`,
		`priority 5`,
		`member 10.0.0.4:443 with backendHttpSetting "pick": the setting picks the host name from the backend address`,
	} {
		assert.Contains(t, err.Error(), want)
	}
	t.Log(err)
}

// TestListenerCertificateMustMatchItsKey: a certificate whose private key is
// another's is refused by New, naming it.
func TestListenerCertificateMustMatchItsKey(t *testing.T) {
	pki := gatewaytest.NewPKI()
	cfg := basicConfig(pki, "api.internal", gateway.Member{Address: "127.0.0.1", Port: 8443})
	mismatched := pki.SSLCertificate("front", "shop.example")
	mismatched.Certificate.PrivateKey = pki.Leaf("other.example").Key
	cfg.SSLCertificates = []gateway.SSLCertificate{mismatched}
	_, err := gateway.New(cfg)
	require.EqualError(t, err, `gateway: sslCertificate "front": private key does not match the certificate "CN=shop.example"`)
}

// TestNewChecksPathMapRedirects: a URL path map's default and each path
// rule set exactly one of a pool and setting or a redirect that exists.
func TestNewChecksPathMapRedirects(t *testing.T) {
	pki := gatewaytest.NewPKI()
	cfg := basicConfig(pki, "api.internal", gateway.Member{Address: "127.0.0.1", Port: 8443})
	cfg.Redirects = []gateway.Redirect{{Name: "away", Status: 302, TargetURL: "https://away.example/"}}
	cfg.URLPathMaps = []gateway.URLPathMap{
		{
			Name: "both", DefaultPool: "app", DefaultBackendHTTPSetting: "tls", DefaultRedirect: "away",
			PathRules: []gateway.PathRule{
				{Name: "both", Paths: []string{"/b"}, Pool: "app", Redirect: "away"},
				{Name: "neither", Paths: []string{"/n"}},
				{Name: "unknown", Paths: []string{"/u"}, Redirect: "nowhere"},
				{Name: "half", Paths: []string{"/h"}, Pool: "app"},
			},
		},
		{Name: "none", DefaultRedirect: "elsewhere"},
	}
	cfg.Listeners = append(cfg.Listeners, gateway.Listener{Name: "plain", Protocol: gateway.HTTP, Port: 80})
	cfg.Rules = []gateway.Rule{
		{Name: "all", Listener: "web", URLPathMap: "both"},
		{Name: "plain", Listener: "plain", URLPathMap: "none"},
	}
	_, err := gateway.New(cfg)
	require.Error(t, err)
	want := []string{
		`gateway: urlPathMap "both": default: set defaultPool and defaultBackendHttpSetting, or defaultRedirect, not both`,
		`gateway: urlPathMap "both": pathRule "both": set pool and backendHttpSetting, or redirect, not both`,
		`gateway: urlPathMap "both": pathRule "neither": set pool and backendHttpSetting, or redirect`,
		`gateway: urlPathMap "both": pathRule "unknown": unknown redirect "nowhere"`,
		`gateway: urlPathMap "both": pathRule "half": no backend HTTP setting`,
		`gateway: urlPathMap "none": default: unknown redirect "elsewhere"`,
	}
	assert.Equal(t, want, strings.Split(err.Error(), "\n"))
}
