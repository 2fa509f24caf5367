package gateway_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
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

// pathMapConfig routes shop.example through a URL path map to three pools of
// one echo backend each.
func pathMapConfig(pki *gatewaytest.PKI, images, api, def *gatewaytest.Backend) gateway.Config {
	cfg := basicConfig(pki, "api.internal")
	cfg.Pools = []gateway.Pool{
		{Name: "images", Members: []gateway.Member{images.Member()}},
		{Name: "api", Members: []gateway.Member{api.Member()}},
		{Name: "default", Members: []gateway.Member{def.Member()}},
	}
	cfg.URLPathMaps = []gateway.URLPathMap{{
		Name: "paths", DefaultPool: "default", DefaultBackendHTTPSetting: "tls",
		PathRules: []gateway.PathRule{
			{Name: "images", Paths: []string{"/images/*", "/static/img*"}, Pool: "images", BackendHTTPSetting: "tls"},
			{Name: "api", Paths: []string{"/api*", "/images/api/*"}, Pool: "api", BackendHTTPSetting: "tls"},
		},
	}}
	cfg.Rules = []gateway.Rule{{Name: "all", Listener: "web", URLPathMap: "paths"}}
	return cfg
}

func TestPathBasedRouting(t *testing.T) {
	checkLeaks(t)
	pki := gatewaytest.NewPKI()
	images := startEcho(t, pki, "images", "api.internal")
	api := startEcho(t, pki, "api", "api.internal")
	def := startEcho(t, pki, "default", "api.internal")
	gw := gatewaytest.Start(t, pathMapConfig(pki, images, api, def))
	c := newClient(t, pki)

	tests := []struct {
		path, server, gotPath, gotQuery string
	}{
		{"/images/a.png", "images", "/images/a.png", ""},
		{"/images/", "images", "/images/", ""},
		{"/IMAGES/A.PNG", "images", "/IMAGES/A.PNG", ""},           // case-insensitive; the path is passed as sent
		{"/static/img2/x.gif", "images", "/static/img2/x.gif", ""}, // second pattern of the rule
		{"/images/api/v1", "images", "/images/api/v1", ""},         // first match in listed order wins
		{"/api", "api", "/api", ""},
		{"/apiary/x", "api", "/apiary/x", ""},
		{"/Api/v1?images=/images/x", "api", "/Api/v1", "images=/images/x"}, // the query is ignored
		{"/images", "default", "/images", ""},                              // "/images/*" needs the slash
		{"/other?path=/api", "default", "/other", "path=/api"},
		{"/", "default", "/", ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			r := get(t, c, gw.URL("web", "shop.example")+tt.path)
			require.Equal(t, http.StatusOK, r.status, r.body)
			assert.Equal(t, tt.server, r.echo.Server)
			assert.Equal(t, tt.gotPath, r.echo.Path)
			assert.Equal(t, tt.gotQuery, r.echo.RawQuery)
		})
	}
}

func TestPathOverride(t *testing.T) {
	checkLeaks(t)
	pki := gatewaytest.NewPKI()
	backend := startEcho(t, pki, "b", "api.internal")
	cfg := basicConfig(pki, "api.internal", backend.Member())
	cfg.BackendHTTPSettings[0].Path = "/override/"
	// Two more listeners (own ports) with a path-based rule each, as the
	// two rows of Azure's table are two configurations.
	cfg.Listeners = append(cfg.Listeners,
		gateway.Listener{Name: "paths", Protocol: gateway.HTTPS, Port: 444, SSLCertificate: "front"},
		gateway.Listener{Name: "deep", Protocol: gateway.HTTPS, Port: 445, SSLCertificate: "front"})
	cfg.URLPathMaps = []gateway.URLPathMap{
		{Name: "m", DefaultPool: "app", DefaultBackendHTTPSetting: "tls",
			PathRules: []gateway.PathRule{{Name: "pr", Paths: []string{"/pathrule*"}, Pool: "app", BackendHTTPSetting: "tls"}}},
		{Name: "deep", DefaultPool: "app", DefaultBackendHTTPSetting: "tls",
			PathRules: []gateway.PathRule{{Name: "deep", Paths: []string{"/pathrule/home*"}, Pool: "app", BackendHTTPSetting: "tls"}}},
	}
	cfg.Rules = append(cfg.Rules,
		gateway.Rule{Name: "paths", Listener: "paths", URLPathMap: "m"},
		gateway.Rule{Name: "deep", Listener: "deep", URLPathMap: "deep"})
	gw := gatewaytest.Start(t, cfg)
	c := newClient(t, pki)

	// Azure's table for a backend setting's path "/override/".
	tests := []struct {
		listener, path, want string
	}{
		{"web", "/home/", "/override/home/"},               // basic rule: prepended
		{"paths", "/pathrule/home/", "/override/home/"},    // path rule "/pathrule*"
		{"deep", "/pathrule/home/x/", "/override/x/"},      // path rule "/pathrule/home*"
		{"paths", "/elsewhere/a", "/override/elsewhere/a"}, // the map's default: prepended
	}
	for _, tt := range tests {
		t.Run(tt.listener+tt.path, func(t *testing.T) {
			r := get(t, c, gw.URL(tt.listener, "shop.example")+tt.path+"?q=1")
			require.Equal(t, http.StatusOK, r.status, r.body)
			assert.Equal(t, tt.want, r.echo.Path)
			assert.Equal(t, "q=1", r.echo.RawQuery)
		})
	}
}

// multiSiteConfig has two HTTPS listeners on one port, a.example and
// b.example, each with its own certificate and backend.
func multiSiteConfig(pki *gatewaytest.PKI, a, b *gatewaytest.Backend, requireSNI bool) gateway.Config {
	cfg := basicConfig(pki, "api.internal")
	cfg.SSLCertificates = []gateway.SSLCertificate{pki.SSLCertificate("a", "a.example"), pki.SSLCertificate("b", "b.example")}
	cfg.Listeners = []gateway.Listener{
		{Name: "a", Protocol: gateway.HTTPS, Port: 443, HostNames: []string{"a.example"}, SSLCertificate: "a", RequireSNI: requireSNI},
		{Name: "b", Protocol: gateway.HTTPS, Port: 443, HostNames: []string{"b.example"}, SSLCertificate: "b", RequireSNI: requireSNI},
	}
	cfg.Pools = []gateway.Pool{{Name: "a", Members: []gateway.Member{a.Member()}}, {Name: "b", Members: []gateway.Member{b.Member()}}}
	cfg.Rules = []gateway.Rule{
		{Name: "a", Listener: "a", Pool: "a", BackendHTTPSetting: "tls"},
		{Name: "b", Listener: "b", Pool: "b", BackendHTTPSetting: "tls"},
	}
	return cfg
}

// handshakeWith runs a TLS handshake with the gateway's port sending sni and
// returns the leaf the gateway presented.
func handshakeWith(pki *gatewaytest.PKI, port int, sni string, version uint16) (*tls.ConnectionState, error) {
	d := &net.Dialer{Timeout: 5 * time.Second}
	conn, err := tls.DialWithDialer(d, "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		&tls.Config{ServerName: sni, RootCAs: pki.Pool(), MinVersion: version, MaxVersion: version})
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	cs := conn.ConnectionState()
	return &cs, nil
}

func TestMultiSite(t *testing.T) {
	checkLeaks(t)
	pki := gatewaytest.NewPKI()
	a := startEcho(t, pki, "a", "api.internal")
	b := startEcho(t, pki, "b", "api.internal")
	gw := gatewaytest.Start(t, multiSiteConfig(pki, a, b, false))
	strict := gatewaytest.Start(t, multiSiteConfig(pki, a, b, true))
	c := newClient(t, pki)

	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(tls.VersionName(v), func(t *testing.T) {
			// SNI picks the certificate and Host the listener.
			for _, site := range []string{"a", "b"} {
				host := site + ".example"
				c.Transport.(*http.Transport).TLSClientConfig.MaxVersion = v
				r := get(t, c, gw.URL(site, host)+"/")
				require.Equal(t, http.StatusOK, r.status, r.body)
				assert.Equal(t, v, r.resp.TLS.Version)
				assert.Equal(t, []string{host}, r.resp.TLS.PeerCertificates[0].DNSNames)
				assert.Equal(t, site, r.echo.Server)
				c.CloseIdleConnections()
			}

			// An unknown SNI gets the first HTTPS listener's certificate,
			// unless the listeners require SNI.
			cs, err := handshakeWith(pki, gw.Port("a"), "a.example", v)
			require.NoError(t, err)
			assert.Equal(t, []string{"a.example"}, cs.PeerCertificates[0].DNSNames)
			d := &net.Dialer{Timeout: 5 * time.Second}
			conn, err := tls.DialWithDialer(d, "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(gw.Port("a"))),
				&tls.Config{ServerName: "c.example", InsecureSkipVerify: true, MinVersion: v, MaxVersion: v})
			require.NoError(t, err)
			assert.Equal(t, []string{"a.example"}, conn.ConnectionState().PeerCertificates[0].DNSNames)
			conn.Close()

			cs, err = handshakeWith(pki, strict.Port("b"), "b.example", v)
			require.NoError(t, err)
			assert.Equal(t, []string{"b.example"}, cs.PeerCertificates[0].DNSNames)
			_, err = handshakeWith(pki, strict.Port("a"), "c.example", v)
			require.Error(t, err, "RequireSNI must refuse an unknown SNI")
			_, err = handshakeWith(pki, strict.Port("a"), "", v)
			require.Error(t, err, "RequireSNI must refuse a handshake without SNI")
		})
	}

	// A Host that no listener accepts gets the gateway's 404.
	req, err := http.NewRequest(http.MethodGet, gw.URL("a", "a.example")+"/", nil)
	require.NoError(t, err)
	req.Host = "c.example"
	r := do(t, c, req)
	assert.Equal(t, http.StatusNotFound, r.status)
	assert.Equal(t, "e2etls", r.header.Get("Server"))
	assert.Equal(t, "no-listener", r.header.Get("X-E2etls-Error"))
	assert.Contains(t, r.body, `"c.example"`)
}

func TestRedirectHTTPToHTTPS(t *testing.T) {
	checkLeaks(t)
	pki := gatewaytest.NewPKI()
	backend := startEcho(t, pki, "b", "api.internal")
	tests := []struct {
		name                      string
		status                    int
		includePath, includeQuery bool
		wantPath                  string
	}{
		{"path and query", 0, true, true, "/a/b%20c?x=1&y=2"},
		{"path only", 302, true, false, "/a/b%20c"},
		{"query only", 307, false, true, "/?x=1&y=2"},
		{"neither", 303, false, false, "/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := basicConfig(pki, "api.internal", backend.Member())
			cfg.Listeners = append(cfg.Listeners, gateway.Listener{Name: "plain", Protocol: gateway.HTTP, Port: 80})
			cfg.Redirects = []gateway.Redirect{{Name: "to-https", Status: tt.status, TargetListener: "web", IncludePath: tt.includePath, IncludeQuery: tt.includeQuery}}
			cfg.Rules = append(cfg.Rules, gateway.Rule{Name: "redirect", Listener: "plain", Redirect: "to-https"})
			gw := gatewaytest.Start(t, cfg)
			c := newClient(t, pki)

			r := get(t, c, gw.URL("plain", "shop.example")+"/a/b%20c?x=1&y=2")
			want := tt.status
			if want == 0 {
				want = http.StatusMovedPermanently
			}
			assert.Equal(t, want, r.status)
			assert.Equal(t, "https://shop.example:"+strconv.Itoa(gw.Port("web"))+tt.wantPath, r.header.Get("Location"))
			assert.Equal(t, "e2etls", r.header.Get("Server"))

			// The Location works.
			r = get(t, c, r.header.Get("Location"))
			require.Equal(t, http.StatusOK, r.status)
			assert.Equal(t, "b", r.echo.Server)
		})
	}
}

// TestPathMapRedirects: path rules and a URL path map's default that
// redirect, over real TLS, next to path rules that proxy.
func TestPathMapRedirects(t *testing.T) {
	checkLeaks(t)
	pki := gatewaytest.NewPKI()
	app := startEcho(t, pki, "app", "api.internal")
	api := startEcho(t, pki, "api", "api.internal")
	cfg := basicConfig(pki, "api.internal", app.Member())
	cfg.Pools = append(cfg.Pools, gateway.Pool{Name: "api", Members: []gateway.Member{api.Member()}})
	cfg.Listeners = append(cfg.Listeners, gateway.Listener{Name: "plain", Protocol: gateway.HTTP, Port: 80})
	cfg.Redirects = []gateway.Redirect{
		{Name: "archive", Status: 307, TargetURL: "https://archive.example/site", IncludeQuery: true},
		{Name: "to-plain", Status: 302, TargetListener: "plain", IncludePath: true},
		{Name: "to-https", TargetListener: "web", IncludePath: true, IncludeQuery: true}, // 301
	}
	cfg.URLPathMaps = []gateway.URLPathMap{
		{
			Name: "site", DefaultPool: "app", DefaultBackendHTTPSetting: "tls",
			PathRules: []gateway.PathRule{
				{Name: "old", Paths: []string{"/old/*"}, Redirect: "archive"},
				{Name: "api", Paths: []string{"/api/*"}, Pool: "api", BackendHTTPSetting: "tls"},
				{Name: "insecure", Paths: []string{"/insecure*"}, Redirect: "to-plain"},
			},
		},
		{
			Name: "upgrade", DefaultRedirect: "to-https",
			PathRules: []gateway.PathRule{{Name: "api", Paths: []string{"/api/*"}, Pool: "api", BackendHTTPSetting: "tls"}},
		},
	}
	cfg.Rules = []gateway.Rule{
		{Name: "tls", Listener: "web", URLPathMap: "site"},
		{Name: "plain", Listener: "plain", URLPathMap: "upgrade"},
	}
	gw := gatewaytest.Start(t, cfg)
	c := newClient(t, pki)
	web, plain := gw.URL("web", "shop.example"), gw.URL("plain", "shop.example")
	webPort, plainPort := strconv.Itoa(gw.Port("web")), strconv.Itoa(gw.Port("plain"))

	tests := []struct {
		name, url string
		status    int
		location  string // "" for a proxied request
		server    string // the backend that answers a proxied request
	}{
		{"path rule to a URL, query kept", web + "/old/page?q=1&r=2", 307, "https://archive.example/site?q=1&r=2", ""},
		{"path rule to a URL, no query", web + "/OLD/page", 307, "https://archive.example/site", ""},
		{"path rule to a listener, path kept, query dropped", web + "/insecure/a%20b?q=1", 302, "http://shop.example:" + plainPort + "/insecure/a%20b", ""},
		{"path rule after a redirecting one proxies", web + "/api/v1", 200, "", "api"},
		{"default proxies", web + "/shop", 200, "", "app"},
		{"default redirects, path and query kept", plain + "/a/b%20c?x=1&y=2", 301, "https://shop.example:" + webPort + "/a/b%20c?x=1&y=2", ""},
		{"default redirects at the root", plain + "/", 301, "https://shop.example:" + webPort + "/", ""},
		{"path rule of a redirecting map proxies", plain + "/api/x?q=1", 200, "", "api"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := get(t, c, tt.url)
			require.Equal(t, tt.status, r.status, r.body)
			assert.Equal(t, tt.location, r.header.Get("Location"))
			if tt.location != "" {
				assert.Equal(t, "e2etls", r.header.Get("Server"))
				return
			}
			assert.Equal(t, tt.server, r.echo.Server)
			assert.Equal(t, "api.internal", r.echo.SNI, "re-encrypted to the backend")
		})
	}

	// The Locations to the gateway's own listeners work.
	r := get(t, c, plain+"/deep/page?x=1")
	require.Equal(t, http.StatusMovedPermanently, r.status)
	r = get(t, c, r.header.Get("Location"))
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Equal(t, "app", r.echo.Server)
	assert.Equal(t, "/deep/page", r.echo.Path)
	assert.Equal(t, "x=1", r.echo.RawQuery)
}

// fakeResolver resolves names from a map, or fails when failing is set.
type fakeResolver struct {
	names   map[string]string
	failing atomic.Bool
	lookups atomic.Int32
}

func (r *fakeResolver) LookupHost(ctx context.Context, host string) ([]string, error) {
	r.lookups.Add(1)
	if r.failing.Load() {
		return nil, &net.DNSError{Err: "server misbehaving", Name: host, IsTemporary: true}
	}
	if a, ok := r.names[host]; ok {
		return []string{a}, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

func TestPickHostNameFromFQDNMember(t *testing.T) {
	checkLeaks(t)
	pki := gatewaytest.NewPKI()
	backend := startEcho(t, pki, "b", "api.internal")
	res := &fakeResolver{names: map[string]string{"api.internal": "127.0.0.1"}}
	cfg := basicConfig(pki, "", gateway.Member{Address: "api.internal", Port: backend.Port()})
	cfg.BackendHTTPSettings[0].PickHostNameFromBackendAddress = true
	cfg.Resolver = res
	gw := gatewaytest.Start(t, cfg)
	c := newClient(t, pki)

	r := get(t, c, gw.URL("web", "shop.example")+"/x")
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Equal(t, "api.internal", r.echo.SNI, "SNI is the member's FQDN")
	assert.Equal(t, "api.internal", r.echo.Host, "Host is the member's FQDN")
	assert.Equal(t, "api.internal", backend.LastSNI())

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	gw.ProbeNow(ctx)
	h := healthOf(t, gw.Gateway, "api.internal:"+strconv.Itoa(backend.Port()))
	require.Equal(t, "Healthy", h.State, h.Reason)
	assert.Empty(t, h.Reason)

	// DNS starts failing: the last good address keeps serving, and the
	// health report says so.
	gateway.SetResolverTTL(gw.Gateway, 0)
	res.failing.Store(true)
	before := res.lookups.Load()
	gw.ProbeNow(ctx)
	assert.Greater(t, res.lookups.Load(), before, "the probe looked the name up again")
	h = healthOf(t, gw.Gateway, "api.internal:"+strconv.Itoa(backend.Port()))
	assert.Equal(t, "Healthy", h.State)
	assert.Contains(t, h.Reason, "DNS lookup of api.internal fails")
	assert.Contains(t, h.Reason, "server misbehaving")
	assert.Contains(t, h.Reason, "using the last good address 127.0.0.1")
	c.CloseIdleConnections()
	r = get(t, c, gw.URL("web", "shop.example")+"/y")
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Equal(t, "api.internal", r.echo.SNI)

	// DNS recovers: the reason goes away.
	res.failing.Store(false)
	gw.ProbeNow(ctx)
	h = healthOf(t, gw.Gateway, "api.internal:"+strconv.Itoa(backend.Port()))
	assert.Equal(t, "Healthy", h.State)
	assert.Empty(t, h.Reason)
}

// gate blocks handlers until it is opened (or for at most 10 s), so that
// tests can hold requests in flight without sleeping.
type gate struct {
	once sync.Once
	ch   chan struct{}
}

func newGate(t *testing.T) *gate {
	g := &gate{ch: make(chan struct{})}
	t.Cleanup(g.open) // before the backends close (cleanups run last first)
	return g
}

func (g *gate) open() { g.once.Do(func() { close(g.ch) }) }

// wait blocks until the gate opens, ctx ends, or 10 s pass.
func (g *gate) wait(ctx context.Context) {
	select {
	case <-g.ch:
	case <-ctx.Done():
	case <-time.After(10 * time.Second):
	}
}

// slowEcho echoes requests, but requests other than /healthz wait for g
// first when slow is set. hits counts the non-probe requests by method.
type slowEcho struct {
	name string
	slow atomic.Bool
	g    *gate
	gets atomic.Int32
	post atomic.Int32
}

func (s *slowEcho) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/healthz" {
		if r.Method == http.MethodPost {
			s.post.Add(1)
		} else {
			s.gets.Add(1)
		}
		if s.slow.Load() {
			s.g.wait(r.Context())
		}
	}
	tlstest.EchoHandler(s.name).ServeHTTP(w, r)
}

func TestRequestTimeout(t *testing.T) {
	checkLeaks(t)
	pki := gatewaytest.NewPKI()
	g := newGate(t)
	slow := &slowEcho{name: "slow", g: g}
	fast := &slowEcho{name: "fast", g: g}
	slow.slow.Store(true)
	sb := pki.StartBackend(t, slow, "api.internal")
	fb := pki.StartBackend(t, fast, "api.internal")
	cfg := basicConfig(pki, "api.internal", sb.Member(), fb.Member())
	cfg.BackendHTTPSettings[0].RequestTimeout = time.Second
	cfg.Probes = []gateway.Probe{hourProbe("p", "/healthz", 3)}
	cfg.BackendHTTPSettings[0].Probe = "p"
	gw := gatewaytest.Start(t, cfg)
	c := newClient(t, pki)
	url := gw.URL("web", "shop.example")

	// One slow member: every GET succeeds; those that round robin sent to
	// the slow member first were retried on the fast one, which answered
	// every GET.
	for i := 0; i < 3; i++ {
		r := get(t, c, url+"/get")
		require.Equal(t, http.StatusOK, r.status, r.body)
		assert.Equal(t, "fast", r.echo.Server)
	}
	assert.Positive(t, slow.gets.Load(), "round robin sent GETs to the slow member")
	assert.Equal(t, int32(3), fast.gets.Load())

	// A POST with a body is not retried: the one that reaches the slow
	// member gets 504, and the fast member never sees it.
	var timedOut int
	for i := 0; i < 2; i++ {
		req, err := http.NewRequest(http.MethodPost, url+"/post", strings.NewReader("payload"))
		require.NoError(t, err)
		r := do(t, c, req)
		switch r.status {
		case http.StatusOK:
			assert.Equal(t, "fast", r.echo.Server)
		case http.StatusGatewayTimeout:
			timedOut++
			assert.Equal(t, "timeout", r.header.Get("X-E2etls-Error"))
		default:
			t.Fatalf("POST: status %d: %s", r.status, r.body)
		}
	}
	assert.Equal(t, 1, timedOut)
	assert.Equal(t, int32(1), slow.post.Load())
	assert.Equal(t, int32(1), fast.post.Load(), "the timed-out POST was retried")

	// Both slow: 504 after trying both.
	fast.slow.Store(true)
	slowBefore, fastBefore := slow.gets.Load(), fast.gets.Load()
	start := time.Now()
	r := get(t, c, url+"/both")
	elapsed := time.Since(start)
	assert.Equal(t, http.StatusGatewayTimeout, r.status)
	assert.Equal(t, "timeout", r.header.Get("X-E2etls-Error"))
	assert.Equal(t, "e2etls", r.header.Get("Server"))
	assert.Contains(t, r.body, "did not answer within 1s")
	assert.GreaterOrEqual(t, elapsed, 2*time.Second, "both members were tried")
	assert.Less(t, elapsed, 10*time.Second)
	assert.Equal(t, slowBefore+1, slow.gets.Load())
	assert.Equal(t, fastBefore+1, fast.gets.Load())
}

// silentListener accepts TCP connections and never answers; it records
// when the peer closes each one.
type silentListener struct {
	ln     net.Listener
	wg     sync.WaitGroup
	mu     sync.Mutex
	conns  []net.Conn
	closed chan struct{} // one value per connection the peer closed
}

func newSilentListener(t *testing.T) *silentListener {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	require.NoError(t, err)
	s := &silentListener{ln: ln, closed: make(chan struct{}, 64)}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns = append(s.conns, c)
			s.mu.Unlock()
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				io.Copy(io.Discard, c) // until the peer closes or we do
				select {
				case s.closed <- struct{}{}:
				default:
				}
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		s.mu.Lock()
		for _, c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
	})
	return s
}

func (s *silentListener) port() int { return s.ln.Addr().(*net.TCPAddr).Port }

func TestBackendThatNeverAnswersTLS(t *testing.T) {
	checkLeaks(t)
	pki := gatewaytest.NewPKI()
	silent := newSilentListener(t)
	cfg := basicConfig(pki, "api.internal", gateway.Member{Address: "127.0.0.1", Port: silent.port()})
	cfg.BackendHTTPSettings[0].RequestTimeout = time.Second
	cfg.Probes = []gateway.Probe{hourProbe("p", "/", 3)} // 30 s timeout: in flight until Close
	cfg.BackendHTTPSettings[0].Probe = "p"
	gw := gatewaytest.Start(t, cfg)
	c := newClient(t, pki)

	start := time.Now()
	r := get(t, c, gw.URL("web", "shop.example")+"/")
	elapsed := time.Since(start)
	assert.Equal(t, http.StatusGatewayTimeout, r.status, r.body)
	assert.Equal(t, "timeout", r.header.Get("X-E2etls-Error"))
	assert.GreaterOrEqual(t, elapsed, time.Second)
	assert.Less(t, elapsed, 10*time.Second)

	// The gateway does not keep the hung handshake: the connection it
	// opened for the request closes within the request timeout, although
	// net/http dials apart from the request...
	select {
	case <-silent.closed:
	case <-time.After(5 * time.Second):
		t.Fatal("the gateway left the request's hung backend handshake open")
	}
	// ...and Close ends the probe's, whose timeout is still far off.
	select {
	case <-silent.closed:
		t.Fatal("a second connection closed before Close")
	default:
	}
	require.NoError(t, gw.Close())
	select {
	case <-silent.closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close left the probe's hung backend handshake open")
	}
}

func TestBackendErrorStatusPassesThrough(t *testing.T) {
	checkLeaks(t)
	pki := gatewaytest.NewPKI()
	backend := pki.StartBackend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			return
		}
		w.Header().Set("X-Backend", "yes")
		w.Header().Set("Retry-After", "120")
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, "down for maintenance\nsecond line\n")
	}), "api.internal")
	cfg := basicConfig(pki, "api.internal", backend.Member())
	cfg.Probes = []gateway.Probe{hourProbe("p", "/healthz", 3)}
	cfg.BackendHTTPSettings[0].Probe = "p"
	gw := gatewaytest.Start(t, cfg)
	c := newClient(t, pki)

	for i := 0; i < 2; i++ { // twice: the member stays in rotation
		r := get(t, c, gw.URL("web", "shop.example")+"/")
		assert.Equal(t, http.StatusServiceUnavailable, r.status)
		assert.Equal(t, "down for maintenance\nsecond line\n", r.body)
		assert.Equal(t, "yes", r.header.Get("X-Backend"))
		assert.Equal(t, "120", r.header.Get("Retry-After"))
		assert.Empty(t, r.header.Get("Server"), "the gateway's Server header is only on its own responses")
		assert.Empty(t, r.header.Get("X-E2etls-Error"))
	}
}

func TestHopByHopHeaders(t *testing.T) {
	checkLeaks(t)
	pki := gatewaytest.NewPKI()
	var seen http.Header
	var mu sync.Mutex
	backend := pki.StartBackend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hop" { // not a health probe's request
			mu.Lock()
			seen = r.Header.Clone()
			mu.Unlock()
		}
		w.Header().Set("Connection", "X-Internal")
		w.Header().Set("X-Internal", "y")
		w.Header().Set("Keep-Alive", "timeout=5")
		w.Header().Set("Proxy-Authenticate", "Basic")
		w.Header().Set("X-Visible", "v")
		io.WriteString(w, "ok")
	}), "api.internal")
	gw := gatewaytest.Start(t, basicConfig(pki, "api.internal", backend.Member()))
	c := newH1Client(t, pki)

	r := get(t, c, gw.URL("web", "shop.example")+"/hop",
		"Connection", "X-Secret, keep-alive",
		"X-Secret", "1",
		"Keep-Alive", "timeout=5",
		"Proxy-Authorization", "Basic dXNlcjpwYXNz",
		"Te", "gzip",
		"X-Control", "c")
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Equal(t, 1, r.resp.ProtoMajor)
	mu.Lock()
	got := seen
	mu.Unlock()
	assert.Equal(t, "c", got.Get("X-Control"), "an end-to-end header reaches the backend")
	for _, h := range []string{"X-Secret", "Keep-Alive", "Proxy-Authorization", "Te"} {
		assert.Empty(t, got.Values(h), "request header %s reached the backend", h)
	}
	for _, v := range got.Values("Connection") {
		assert.NotContains(t, strings.ToLower(v), "x-secret")
	}

	assert.Equal(t, "v", r.header.Get("X-Visible"))
	for _, h := range []string{"X-Internal", "Keep-Alive", "Proxy-Authenticate"} {
		assert.Empty(t, r.header.Values(h), "response header %s reached the client", h)
	}
	for _, v := range r.header.Values("Connection") {
		assert.NotContains(t, strings.ToLower(v), "x-internal")
	}
}

var hex32 = regexp.MustCompile(`^[0-9a-f]{32}$`)

// affinityCookies returns the values of the cookies name and name+"CORS" set
// by resp, checking their attributes.
func affinityCookies(t *testing.T, resp *http.Response, name string) string {
	t.Helper()
	var base, cors *http.Cookie
	for _, ck := range resp.Cookies() {
		switch ck.Name {
		case name:
			base = ck
		case name + "CORS":
			cors = ck
		}
	}
	require.NotNil(t, base, "no %s cookie in %q", name, resp.Header.Values("Set-Cookie"))
	require.NotNil(t, cors, "no %sCORS cookie in %q", name, resp.Header.Values("Set-Cookie"))
	assert.Regexp(t, hex32, base.Value)
	assert.Equal(t, base.Value, cors.Value)
	assert.Equal(t, "/", base.Path)
	assert.False(t, base.Secure)
	assert.Equal(t, http.SameSiteNoneMode, cors.SameSite)
	assert.True(t, cors.Secure)
	return base.Value
}

func affinityConfig(pki *gatewaytest.PKI, key []byte, cookieName string, members ...gateway.Member) gateway.Config {
	cfg := basicConfig(pki, "api.internal", members...)
	cfg.BackendHTTPSettings[0].CookieBasedAffinity = true
	cfg.BackendHTTPSettings[0].AffinityCookieName = cookieName
	cfg.AffinityKey = key
	return cfg
}

func TestCookieAffinity(t *testing.T) {
	checkLeaks(t)
	pki := gatewaytest.NewPKI()
	a := startEcho(t, pki, "a", "api.internal")
	b := startEcho(t, pki, "b", "api.internal")
	key := []byte("fleet-wide affinity key")
	gw := gatewaytest.Start(t, affinityConfig(pki, key, "", a.Member(), b.Member()))
	c := newClient(t, pki)
	url := gw.URL("web", "shop.example") + "/"

	// Learn each member's cookie.
	cookies := map[string]string{}
	for i := 0; i < 2; i++ {
		r := get(t, c, url)
		require.Equal(t, http.StatusOK, r.status)
		cookies[r.echo.Server] = affinityCookies(t, r.resp, "ApplicationGatewayAffinity")
	}
	require.Len(t, cookies, 2, "round robin reached both members")
	assert.NotEqual(t, cookies["a"], cookies["b"])

	// Requests with a cookie stay on its member and are not re-cookied.
	for _, server := range []string{"a", "b"} {
		for i := 0; i < 4; i++ {
			r := get(t, c, url, "Cookie", "ApplicationGatewayAffinity="+cookies[server])
			require.Equal(t, http.StatusOK, r.status)
			assert.Equal(t, server, r.echo.Server)
			assert.Empty(t, r.header.Values("Set-Cookie"))
		}
	}

	// A cookie naming no member falls back to round robin and is re-set.
	r := get(t, c, url, "Cookie", "ApplicationGatewayAffinity=00000000000000000000000000000000")
	require.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, cookies[r.echo.Server], affinityCookies(t, r.resp, "ApplicationGatewayAffinity"))

	// A replica with the same key gives the same cookies and honours them.
	replica := gatewaytest.Start(t, affinityConfig(pki, key, "", a.Member(), b.Member()))
	rurl := replica.URL("web", "shop.example") + "/"
	for i := 0; i < 2; i++ {
		r := get(t, c, rurl)
		require.Equal(t, http.StatusOK, r.status)
		assert.Equal(t, cookies[r.echo.Server], affinityCookies(t, r.resp, "ApplicationGatewayAffinity"))
	}
	for _, server := range []string{"b", "a"} {
		r := get(t, c, rurl, "Cookie", "ApplicationGatewayAffinity="+cookies[server])
		assert.Equal(t, server, r.echo.Server)
	}

	// Another key gives other values; a custom name X gives X and XCORS.
	other := gatewaytest.Start(t, affinityConfig(pki, []byte("another key"), "X", a.Member(), b.Member()))
	r = get(t, c, other.URL("web", "shop.example")+"/")
	require.Equal(t, http.StatusOK, r.status)
	v := affinityCookies(t, r.resp, "X")
	assert.NotEqual(t, cookies[r.echo.Server], v)
	for _, ck := range r.resp.Cookies() {
		assert.NotEqual(t, "ApplicationGatewayAffinity", ck.Name)
	}
	r = get(t, c, other.URL("web", "shop.example")+"/", "Cookie", "X="+v)
	assert.Empty(t, r.header.Values("Set-Cookie"))
}

func TestStreaming(t *testing.T) {
	eachFrontend(t, testStreaming)
}

func testStreaming(t *testing.T, fe gateway.Frontend) {
	checkLeaks(t)
	pki := gatewaytest.NewPKI()
	bigGate, eventGate := newGate(t), newGate(t)
	const half = 512 << 10
	chunk := bytes.Repeat([]byte("0123456789abcdef"), 4096) // 64 KiB
	var upload atomic.Int64
	firstChunk := make(chan struct{})
	backend := pki.StartBackend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		switch r.URL.Path {
		case "/big":
			// Half a MiB, a flush, then wait until the client has it.
			w.Header().Set("Content-Type", "application/octet-stream")
			for i := 0; i < half/len(chunk); i++ {
				w.Write(chunk)
			}
			rc.Flush()
			bigGate.wait(r.Context())
			for i := 0; i < half/len(chunk); i++ {
				w.Write(chunk)
			}
		case "/events":
			w.Header().Set("Content-Type", "text/event-stream")
			io.WriteString(w, "data: one\n\n")
			rc.Flush()
			eventGate.wait(r.Context())
			io.WriteString(w, "data: two\n\n")
		case "/upload":
			buf := make([]byte, 1024)
			n, err := io.ReadFull(r.Body, buf)
			upload.Add(int64(n))
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			close(firstChunk)
			m, _ := io.Copy(io.Discard, r.Body)
			upload.Add(m)
			fmt.Fprintf(w, "%d", upload.Load())
		}
	}), "api.internal")
	gw := startWith(t, fe, basicConfig(pki, "api.internal", backend.Member()))
	c := newClient(t, pki)
	url := gw.URL("web", "shop.example")

	// within runs read in a goroutine and fails the test if it does not
	// return within 5 s, while the backend waits for g.
	within := func(t *testing.T, g *gate, what string, read func() error) {
		t.Helper()
		done := make(chan error, 1)
		go func() { done <- read() }()
		select {
		case err := <-done:
			require.NoError(t, err, what)
		case <-time.After(5 * time.Second):
			g.open() // unblock the backend so the read ends
			<-done
			t.Fatalf("%s: not streamed: the gateway held it back", what)
		}
	}

	t.Run("1 MiB response", func(t *testing.T) {
		resp, err := c.Get(url + "/big")
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		first := make([]byte, half)
		within(t, bigGate, "the first half MiB", func() error { _, err := io.ReadFull(resp.Body, first); return err })
		bigGate.open()
		rest, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		all := append(first, rest...)
		require.Len(t, all, 2*half)
		assert.Equal(t, bytes.Repeat(chunk, 2*half/len(chunk)), all)
	})

	t.Run("server-sent events", func(t *testing.T) {
		resp, err := c.Get(url + "/events")
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
		br := bufio.NewReader(resp.Body)
		var line string
		within(t, eventGate, "the first event", func() error { var err error; line, err = br.ReadString('\n'); return err })
		assert.Equal(t, "data: one\n", line)
		eventGate.open()
		rest, err := io.ReadAll(br)
		require.NoError(t, err)
		assert.Equal(t, "\ndata: two\n\n", string(rest))
	})

	t.Run("request body", func(t *testing.T) {
		pr, pw := io.Pipe()
		req, err := http.NewRequest(http.MethodPost, url+"/upload", pr)
		require.NoError(t, err)
		type reply struct {
			r   *http.Response
			err error
		}
		replies := make(chan reply, 1)
		go func() {
			resp, err := c.Do(req)
			replies <- reply{resp, err}
		}()
		_, err = pw.Write(bytes.Repeat([]byte("x"), 1024))
		require.NoError(t, err)
		select {
		case <-firstChunk:
		case <-time.After(5 * time.Second):
			pw.CloseWithError(errors.New("test gave up"))
			<-replies
			t.Fatal("the backend did not get the first KiB before the body ended: the gateway buffered it")
		}
		for i := 0; i < 16; i++ {
			_, err = pw.Write(chunk)
			require.NoError(t, err)
		}
		pw.Close()
		rp := <-replies
		require.NoError(t, rp.err)
		defer rp.r.Body.Close()
		body, _ := io.ReadAll(rp.r.Body)
		assert.Equal(t, http.StatusOK, rp.r.StatusCode)
		assert.Equal(t, strconv.Itoa(1024+16*len(chunk)), string(body))
	})
}

func TestUpgradePassesThrough(t *testing.T) {
	eachFrontend(t, testUpgradePassesThrough)
}

func testUpgradePassesThrough(t *testing.T, fe gateway.Frontend) {
	checkLeaks(t)
	pki := gatewaytest.NewPKI()
	backend := pki.StartBackend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			http.Error(w, "upgrade required", http.StatusUpgradeRequired)
			return
		}
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nX-Backend: ws\r\n\r\n")
		brw.Flush()
		io.Copy(conn, brw) // echo until the client closes
	}), "api.internal")
	gw := startWith(t, fe, basicConfig(pki, "api.internal", backend.Member()))

	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(tls.VersionName(v), func(t *testing.T) {
			d := &net.Dialer{Timeout: 5 * time.Second}
			conn, err := tls.DialWithDialer(d, "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(gw.Port("web"))),
				&tls.Config{ServerName: "shop.example", RootCAs: pki.Pool(), NextProtos: []string{"http/1.1"}, MinVersion: v, MaxVersion: v})
			require.NoError(t, err)
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(10 * time.Second))
			_, err = io.WriteString(conn, "GET /ws HTTP/1.1\r\nHost: shop.example\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\r\n")
			require.NoError(t, err)
			br := bufio.NewReader(conn)
			resp, err := http.ReadResponse(br, nil)
			require.NoError(t, err)
			require.Equal(t, http.StatusSwitchingProtocols, resp.StatusCode)
			assert.True(t, strings.EqualFold(resp.Header.Get("Upgrade"), "websocket"))
			assert.Equal(t, "ws", resp.Header.Get("X-Backend"))

			for _, msg := range []string{"ping", strings.Repeat("z", 16<<10)} {
				_, err = io.WriteString(conn, msg)
				require.NoError(t, err)
				got := make([]byte, len(msg))
				_, err = io.ReadFull(br, got)
				require.NoError(t, err)
				assert.Equal(t, msg, string(got))
			}
		})
	}
}

func TestHTTPVersions(t *testing.T) {
	eachFrontend(t, testHTTPVersions)
}

func testHTTPVersions(t *testing.T, fe gateway.Frontend) {
	checkLeaks(t)
	pki := gatewaytest.NewPKI()
	leaf := pki.Leaf("api.internal")
	h2 := tlstest.NewServer(tlstest.ServerOptions{Name: "h2", Certificate: leaf.FullChain(), NextProtos: []string{"h2", "http/1.1"}})
	t.Cleanup(h2.Close)
	member := gateway.Member{Address: "127.0.0.1", Port: h2.Port()}

	for _, tt := range []struct {
		name         string
		http2Backend bool
		h1Client     bool
		wantFront    int
		wantBack     string
	}{
		{"h2 front, h1 back", false, false, 2, "HTTP/1.1"},
		{"h1 front, h1 back", false, true, 1, "HTTP/1.1"},
		{"h2 front, h2 back", true, false, 2, "HTTP/2.0"},
		{"h1 front, h2 back", true, true, 1, "HTTP/2.0"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := basicConfig(pki, "api.internal", member)
			cfg.BackendHTTPSettings[0].HTTP2 = tt.http2Backend
			gw := startWith(t, fe, cfg)
			c := newClient(t, pki)
			if tt.h1Client {
				c = newH1Client(t, pki)
			}
			r := get(t, c, gw.URL("web", "shop.example")+"/")
			require.Equal(t, http.StatusOK, r.status, r.body)
			assert.Equal(t, tt.wantFront, r.resp.ProtoMajor)
			if tt.h1Client {
				assert.Equal(t, "http/1.1", r.resp.TLS.NegotiatedProtocol)
			} else {
				assert.Equal(t, "h2", r.resp.TLS.NegotiatedProtocol)
			}
			assert.Equal(t, tt.wantBack, r.echo.Proto)
		})
	}
}

func TestBackendSessionResumption(t *testing.T) {
	checkLeaks(t)
	pki := gatewaytest.NewPKI()
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(tls.VersionName(v), func(t *testing.T) {
			echo := tlstest.EchoHandler("b")
			srv := tlstest.NewServer(tlstest.ServerOptions{
				Certificate: pki.Leaf("api.internal").FullChain(), MaxVersion: v,
				Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Connection", "close") // a new backend connection per request
					echo.ServeHTTP(w, r)
				}),
			})
			t.Cleanup(srv.Close)
			cfg := basicConfig(pki, "api.internal", gateway.Member{Address: "127.0.0.1", Port: srv.Port()})
			cfg.Probes = []gateway.Probe{hourProbe("p", "/", 3)}
			cfg.Probes[0].Port = 1 // the probe goes elsewhere; only traffic handshakes with srv
			cfg.BackendHTTPSettings[0].Probe = "p"
			gw := gatewaytest.Start(t, cfg)
			c := newClient(t, pki)
			const n = 8
			resumed := 0
			for i := 0; i < n; i++ {
				r := get(t, c, gw.URL("web", "shop.example")+"/")
				require.Equal(t, http.StatusOK, r.status, r.body)
				assert.Equal(t, tls.VersionName(v), r.echo.TLSVersion)
				assert.Empty(t, r.header.Values("Connection"))
				if r.echo.DidResume {
					resumed++
				}
			}
			assert.Equal(t, n, srv.Handshakes(), "one backend connection per request")
			assert.Equal(t, n-1, srv.ResumedHandshakes(), "every handshake but the first resumed")
			assert.Equal(t, n-1, resumed)
		})
	}
}

func TestRequestHeadersTooLarge(t *testing.T) {
	eachFrontend(t, testRequestHeadersTooLarge)
}

func testRequestHeadersTooLarge(t *testing.T, fe gateway.Frontend) {
	checkLeaks(t)
	pki := gatewaytest.NewPKI()
	backend := startEcho(t, pki, "b", "api.internal")
	gw := startWith(t, fe, basicConfig(pki, "api.internal", backend.Member()))
	c := newH1Client(t, pki)

	r := get(t, c, gw.URL("web", "shop.example")+"/", "X-Big", strings.Repeat("a", 30<<10))
	assert.Equal(t, http.StatusOK, r.status, "30 KiB of headers pass")
	r = get(t, c, gw.URL("web", "shop.example")+"/", "X-Big", strings.Repeat("a", 40<<10))
	assert.Equal(t, http.StatusRequestHeaderFieldsTooLarge, r.status)
}

func TestAccessLog(t *testing.T) {
	checkLeaks(t)
	pki := gatewaytest.NewPKI()
	backend := startEcho(t, pki, "b", "api.internal")
	var logs logBuffer
	cfg := basicConfig(pki, "api.internal", backend.Member())
	cfg.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	gw := gatewaytest.Start(t, cfg)
	c := newClient(t, pki)

	paths := []string{"/a", "/b?x=1", "/c"}
	for _, p := range paths {
		r := get(t, c, gw.URL("web", "shop.example")+p)
		require.Equal(t, http.StatusOK, r.status)
	}
	req, err := http.NewRequest(http.MethodGet, gw.URL("web", "shop.example")+"/d", nil)
	require.NoError(t, err)
	req.Host = "nobody.example"
	r := do(t, c, req)
	require.Equal(t, http.StatusOK, r.status, "a basic listener takes every host")

	var records []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var rec map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &rec), line)
		if rec["msg"] == "request" {
			records = append(records, rec)
		}
	}
	require.Len(t, records, 4, "one record per request:\n%s", logs.String())
	for i, rec := range records {
		assert.Equal(t, "INFO", rec["level"])
		assert.Equal(t, "web", rec["listener"])
		assert.Equal(t, "all", rec["rule"])
		assert.Equal(t, "app", rec["pool"])
		assert.Equal(t, "tls", rec["setting"])
		assert.Equal(t, backend.Addr, rec["member"])
		assert.Equal(t, "GET", rec["method"])
		assert.EqualValues(t, 200, rec["status"])
		assert.Greater(t, rec["bytes_sent"], 0.0)
		assert.EqualValues(t, 0, rec["bytes_received"])
		assert.Equal(t, "Go-http-client/2.0", rec["user_agent"])
		assert.Regexp(t, `^HTTP/(1\.1|2\.0)$`, rec["proto"])
		assert.Regexp(t, `^[0-9a-f]{32}$`, rec["request_id"])
		// Durations carry their unit, in JSON too.
		took, err := time.ParseDuration(rec["duration"].(string))
		require.NoError(t, err)
		backendTook, err := time.ParseDuration(rec["backend_duration"].(string))
		require.NoError(t, err)
		assert.Greater(t, backendTook, time.Duration(0))
		assert.GreaterOrEqual(t, took, backendTook)
		assert.Regexp(t, `^TLSv1_[23] TLS_`, rec["client_tls"])
		assert.Regexp(t, `^TLSv1_3 TLS_`, rec["backend_tls"])
		assert.NotContains(t, rec, "reason")
		if i < len(paths) {
			assert.Equal(t, strings.SplitN(paths[i], "?", 2)[0], rec["path"])
			assert.Equal(t, "shop.example:"+strconv.Itoa(gw.Port("web")), rec["host"])
		} else {
			assert.Equal(t, "/d", rec["path"])
			assert.Equal(t, "nobody.example", rec["host"])
		}
	}
}

func TestConcurrentRequestsDuringUpdates(t *testing.T) {
	checkLeaks(t)
	pki := gatewaytest.NewPKI()
	a := startEcho(t, pki, "a", "api.internal")
	b := startEcho(t, pki, "b", "api.internal")
	cfgs := [2]gateway.Config{
		basicConfig(pki, "api.internal", a.Member(), b.Member()),
		basicConfig(pki, "api.internal", b.Member(), a.Member()),
	}
	cfgs[1].BackendHTTPSettings[0].RequestTimeout = 30 * time.Second
	cfgs[1].BackendHTTPSettings[0].CookieBasedAffinity = true
	cfgs[1].Probes = []gateway.Probe{hourProbe("p", "/healthz", 2)}
	cfgs[1].BackendHTTPSettings[0].Probe = "p"
	var logs logBuffer
	for i := range cfgs {
		cfgs[i].Logger = logs.logger()
	}
	gw := gatewaytest.Start(t, cfgs[0])
	// gatewaytest rewrote the listeners' ports; Updates must keep them.
	for i := range cfgs {
		cfgs[i].Listeners = gw.Config.Listeners
	}
	c := newClient(t, pki)
	url := gw.URL("web", "shop.example") + "/"

	const workers, perWorker = 8, 50
	var wg sync.WaitGroup
	var served [2]atomic.Int32
	errs := make(chan error, workers*perWorker)
	progress := make(chan struct{}, workers*perWorker) // one value per finished request
	for w := 0; w < workers; w++ {
		wg.Go(func() {
			for i := 0; i < perWorker; i++ {
				err := func() error {
					defer func() { progress <- struct{}{} }()
					resp, err := c.Get(url)
					if err != nil {
						return err
					}
					defer resp.Body.Close()
					var e tlstest.Echo
					if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
						return fmt.Errorf("status %d: %w", resp.StatusCode, err)
					}
					switch {
					case resp.StatusCode != http.StatusOK:
						return fmt.Errorf("status %d", resp.StatusCode)
					case e.Server == "a":
						served[0].Add(1)
					case e.Server == "b":
						served[1].Add(1)
					}
					return nil
				}()
				if err != nil {
					errs <- err
				}
			}
		})
	}
	// Swap the configuration after every fourth finished request, so that
	// Updates happen throughout.
	updates := 0
	for n := 1; n <= workers*perWorker; n++ {
		<-progress
		if n%4 == 0 && n < workers*perWorker {
			updates++
			require.NoError(t, gw.Update(cfgs[updates%2]))
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	assert.Equal(t, int32(workers*perWorker), served[0].Load()+served[1].Load())
	assert.Positive(t, served[0].Load())
	assert.Positive(t, served[1].Load())
	t.Logf("%d requests (a %d, b %d) across %d updates", workers*perWorker, served[0].Load(), served[1].Load(), updates)
}

// TestMisdirectedRequest: a connection whose SNI chose one site's
// certificate cannot be used for another site that certificate does not
// cover (domain fronting, HTTP/2 connection reuse): 421, nothing proxied.
func TestMisdirectedRequest(t *testing.T) {
	pki := gatewaytest.NewPKI()
	a := pki.StartBackend(t, nil, "a.internal")
	b := pki.StartBackend(t, nil, "b.internal")
	cfg := gateway.Config{
		SSLCertificates: []gateway.SSLCertificate{
			pki.SSLCertificate("a", "a.example"), pki.SSLCertificate("b", "b.example"), pki.SSLCertificate("ab", "c.example", "d.example"),
		},
		TrustedRootCertificates: []gateway.NamedCertificate{pki.TrustedRoot("root")},
		Listeners: []gateway.Listener{
			{Name: "a", Protocol: gateway.HTTPS, Port: 443, HostNames: []string{"a.example"}, SSLCertificate: "a"},
			{Name: "b", Protocol: gateway.HTTPS, Port: 443, HostNames: []string{"b.example"}, SSLCertificate: "b"},
			{Name: "c", Protocol: gateway.HTTPS, Port: 443, HostNames: []string{"c.example"}, SSLCertificate: "ab"},
			{Name: "d", Protocol: gateway.HTTPS, Port: 443, HostNames: []string{"d.example"}, SSLCertificate: "ab"},
		},
		Pools: []gateway.Pool{{Name: "a", Members: []gateway.Member{a.Member()}}, {Name: "b", Members: []gateway.Member{b.Member()}}},
		BackendHTTPSettings: []gateway.BackendHTTPSetting{
			{Name: "a", Protocol: gateway.HTTPS, Port: 443, HostName: "a.internal", TrustedRootCertificates: []string{"root"}},
			{Name: "b", Protocol: gateway.HTTPS, Port: 443, HostName: "b.internal", TrustedRootCertificates: []string{"root"}},
		},
		Rules: []gateway.Rule{
			{Name: "a", Listener: "a", Priority: 1, Pool: "a", BackendHTTPSetting: "a"},
			{Name: "b", Listener: "b", Priority: 2, Pool: "b", BackendHTTPSetting: "b"},
			{Name: "c", Listener: "c", Priority: 3, Pool: "a", BackendHTTPSetting: "a"},
			{Name: "d", Listener: "d", Priority: 4, Pool: "b", BackendHTTPSetting: "b"},
		},
	}
	gw := gatewaytest.Start(t, cfg)
	port := gw.Port("a")
	send := func(sni, host string) *http.Response {
		t.Helper()
		client := pki.Client()
		client.Transport.(*http.Transport).TLSClientConfig.ServerName = sni
		req, err := http.NewRequest("GET", "https://"+sni+":"+strconv.Itoa(port)+"/", nil)
		require.NoError(t, err)
		req.Host = host
		resp, err := client.Do(req)
		require.NoError(t, err)
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	resp := send("a.example", "b.example")
	assert.Equal(t, http.StatusMisdirectedRequest, resp.StatusCode)
	assert.Equal(t, "misdirected", resp.Header.Get("X-E2etls-Error"))
	assert.Equal(t, 0, b.Handshakes(), "b's backend was reached through a's connection")

	assert.Equal(t, http.StatusOK, send("a.example", "a.example").StatusCode)
	// One certificate covers both c and d: a connection for c may serve d.
	assert.Equal(t, http.StatusOK, send("c.example", "d.example").StatusCode)
}
