package gateway_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e2etls/e2etls/gateway"
	"github.com/e2etls/e2etls/gateway/gatewaytest"
	"github.com/e2etls/e2etls/routing"
)

// routedConfig is one HTTPS listener whose URL path map routes to the echo
// backends named in names (pool and setting of each named after it), the
// default going to "default".
func routedConfig(t *testing.T, pki *gatewaytest.PKI, names ...string) gateway.Config {
	cfg := gateway.Config{
		SSLCertificates:         []gateway.SSLCertificate{pki.SSLCertificate("front", "shop.example")},
		TrustedRootCertificates: []gateway.NamedCertificate{pki.TrustedRoot("root")},
		Listeners:               []gateway.Listener{{Name: "web", Protocol: gateway.HTTPS, Port: 443, SSLCertificate: "front"}},
		Rules:                   []gateway.Rule{{Name: "paths", Listener: "web", URLPathMap: "m"}},
		URLPathMaps:             []gateway.URLPathMap{{Name: "m", DefaultPool: "default", DefaultBackendHTTPSetting: "default"}},
	}
	for _, n := range append([]string{"default"}, names...) {
		b := startEcho(t, pki, n, n+".internal")
		cfg.Pools = append(cfg.Pools, gateway.Pool{Name: n, Members: []gateway.Member{b.Member()}})
		cfg.BackendHTTPSettings = append(cfg.BackendHTTPSettings, gateway.BackendHTTPSetting{
			Name: n, Protocol: gateway.HTTPS, Port: 443, HostName: n + ".internal", TrustedRootCertificates: []string{"root"},
		})
	}
	return cfg
}

// TestPathRuleMatch routes by method, header fields and query parameters
// over real TLS on both frontends: a request that fails a rule's
// conditions goes on to the next rule whose path matches, and paths match
// case-sensitively in a CaseSensitive map.
func TestPathRuleMatch(t *testing.T) {
	eachFrontend(t, func(t *testing.T, fe gateway.Frontend) {
		checkLeaks(t)
		pki := gatewaytest.NewPKI()
		cfg := routedConfig(t, pki, "get", "v2", "beta", "search", "api")
		m := &cfg.URLPathMaps[0]
		m.CaseSensitive = true
		m.PathRules = []gateway.PathRule{
			{Name: "get", Paths: []string{"/items"}, Match: routing.Match{Method: http.MethodGet}, Pool: "get", BackendHTTPSetting: "get"},
			{Name: "v2", Paths: []string{"/api/*"}, Match: routing.Match{Headers: []routing.HeaderMatch{{Name: "version", Value: "2"}}}, Pool: "v2", BackendHTTPSetting: "v2"},
			{Name: "beta", Paths: []string{"/api/*"}, Match: routing.Match{Headers: []routing.HeaderMatch{{Name: "X-Tier", Value: `beta-[0-9]+`, Regexp: true}}}, Pool: "beta", BackendHTTPSetting: "beta"},
			{Name: "search", Paths: []string{"/api/*"}, Match: routing.Match{QueryParams: []routing.QueryParamMatch{{Name: "q", Value: "a b"}}}, Pool: "search", BackendHTTPSetting: "search"},
			{Name: "api", Paths: []string{"/api/*", "/items"}, Pool: "api", BackendHTTPSetting: "api"},
		}
		gw := startWith(t, fe, cfg)
		c := newClient(t, pki)
		base := gw.URL("web", "shop.example")
		tests := []struct {
			name, method, path string
			header             []string
			want               string
		}{
			{"method", "GET", "/items", nil, "get"},
			{"other method falls through", "DELETE", "/items", nil, "api"},
			{"header", "GET", "/api/x", []string{"Version", "2"}, "v2"},
			{"header value is exact", "GET", "/api/x", []string{"Version", "2.0"}, "api"},
			{"header regexp", "GET", "/api/x", []string{"X-Tier", "beta-7"}, "beta"},
			{"header regexp anchored", "GET", "/api/x", []string{"X-Tier", "beta-7b"}, "api"},
			{"query", "GET", "/api/x?q=a+b", nil, "search"},
			{"query other value", "GET", "/api/x?q=ab", nil, "api"},
			{"first rule whose conditions hold", "GET", "/api/x?q=a%20b", []string{"Version", "2"}, "v2"},
			{"case-sensitive path", "GET", "/API/x", []string{"Version", "2"}, "default"},
			{"case-sensitive exact path", "GET", "/Items", nil, "default"},
		}
		for _, tt := range tests {
			req, err := http.NewRequest(tt.method, base+tt.path, nil)
			require.NoError(t, err)
			for i := 0; i+1 < len(tt.header); i += 2 {
				req.Header.Set(tt.header[i], tt.header[i+1])
			}
			r := do(t, c, req)
			assert.Equal(t, http.StatusOK, r.status, tt.name)
			assert.Equal(t, tt.want, r.echo.Server, tt.name)
			assert.Equal(t, tt.want+".internal", r.echo.SNI, "%s: the backend's own SNI", tt.name)
		}
	})
}

// TestWeightedBackends splits a path rule's requests 3:1 between two
// backends, with a third of weight zero that gets none, evenly over time:
// every run of requests is within two of its exact share.
func TestWeightedBackends(t *testing.T) {
	checkLeaks(t)
	pki := gatewaytest.NewPKI()
	cfg := routedConfig(t, pki, "zero", "three", "one")
	cfg.URLPathMaps[0].PathRules = []gateway.PathRule{{Name: "split", Paths: []string{"/*"}, WeightedBackends: []gateway.WeightedBackend{
		{Pool: "zero", BackendHTTPSetting: "zero", Weight: 0},
		{Pool: "three", BackendHTTPSetting: "three", Weight: 3},
		{Pool: "one", BackendHTTPSetting: "one", Weight: 1},
	}}}
	gw := gatewaytest.Start(t, cfg)
	c := newClient(t, pki)
	counts := map[string]int{}
	for i := 1; i <= 200; i++ {
		r := get(t, c, gw.URL("web", "shop.example")+"/x")
		require.Equal(t, http.StatusOK, r.status, r.body)
		counts[r.echo.Server]++
		if i%20 == 0 {
			assert.InDelta(t, float64(i)*3/4, counts["three"], 2, "after %d requests: %v", i, counts)
			assert.InDelta(t, float64(i)/4, counts["one"], 2, "after %d requests: %v", i, counts)
		}
	}
	assert.Zero(t, counts["zero"], "a backend of weight 0 gets no request")
	assert.Len(t, gw.BackendHealth(), 4, "every backend's members are probed, weight 0 included")
}

func TestWeightedBackendsConfigErrors(t *testing.T) {
	pki := gatewaytest.NewPKI()
	cfg := routedConfig(t, pki, "a", "b")
	cfg.BackendHTTPSettings[2].Path = "/other/"
	cfg.URLPathMaps[0].PathRules = []gateway.PathRule{
		{Name: "zero", Paths: []string{"/z"}, WeightedBackends: []gateway.WeightedBackend{{Pool: "a", BackendHTTPSetting: "a"}}},
		{Name: "range", Paths: []string{"/r"}, WeightedBackends: []gateway.WeightedBackend{{Pool: "a", BackendHTTPSetting: "a", Weight: -1}, {Pool: "a", BackendHTTPSetting: "a", Weight: 1000001}, {Pool: "a", BackendHTTPSetting: "a", Weight: 1}}},
		{Name: "both", Paths: []string{"/b"}, Pool: "a", BackendHTTPSetting: "a", WeightedBackends: []gateway.WeightedBackend{{Pool: "a", BackendHTTPSetting: "a", Weight: 1}}},
		{Name: "paths", Paths: []string{"/p"}, WeightedBackends: []gateway.WeightedBackend{{Pool: "a", BackendHTTPSetting: "a", Weight: 1}, {Pool: "b", BackendHTTPSetting: "b", Weight: 1}}},
		{Name: "unknown", Paths: []string{"/u"}, WeightedBackends: []gateway.WeightedBackend{{Pool: "nope", BackendHTTPSetting: "a", Weight: 1}}},
		{Name: "shadowed", Paths: []string{"/z"}, Pool: "a", BackendHTTPSetting: "a"},
		{Name: "bad match", Paths: []string{"/m"}, Match: routing.Match{Headers: []routing.HeaderMatch{{Name: "x y", Value: "1"}}}, Pool: "a", BackendHTTPSetting: "a"},
	}
	// A setting without a port, behind a second weighted backend whose
	// pool's member has none either.
	cfg.Pools = append(cfg.Pools, gateway.Pool{Name: "portless", Members: []gateway.Member{{Address: "10.0.0.9"}}})
	cfg.BackendHTTPSettings = append(cfg.BackendHTTPSettings, gateway.BackendHTTPSetting{Name: "portless", Protocol: gateway.HTTPS, HostName: "a.internal", TrustedRootCertificates: []string{"root"}})
	cfg.URLPathMaps[0].PathRules = append(cfg.URLPathMaps[0].PathRules, gateway.PathRule{Name: "portless", Paths: []string{"/n"},
		WeightedBackends: []gateway.WeightedBackend{{Pool: "a", BackendHTTPSetting: "a", Weight: 1}, {Pool: "portless", BackendHTTPSetting: "portless", Weight: 1}}})
	cfg.SessionTicketKeys = [][32]byte{{1}, {}}
	_, err := gateway.New(cfg)
	require.Error(t, err)
	for _, want := range []string{
		`gateway: sessionTicketKeys: key 1 is all zero bytes: not a key (give 32 random bytes)`,
		`gateway: urlPathMap "m": pathRule "zero": weightedBackends: no weight is positive, so no request could be served`,
		`gateway: urlPathMap "m": pathRule "range": weightedBackend 0: weight -1 out of range 0-1000000`,
		`gateway: urlPathMap "m": pathRule "range": weightedBackend 1: weight 1000001 out of range 0-1000000`,
		`gateway: urlPathMap "m": pathRule "both": set pool and backendHttpSetting, weightedBackends or redirect, only one`,
		`gateway: urlPathMap "m": pathRule "paths": weightedBackend 1: backendHttpSetting "b" overrides the path with "/other/", backendHttpSetting "a" of weightedBackend 0 with "": the backends of one rule must send the same path`,
		`gateway: urlPathMap "m": pathRule "unknown": weightedBackend 0: unknown pool "nope"`,
		`path rule "shadowed": path "/z": repeats a path of path rule[0], which has no match conditions`,
		`path rule "bad match": match: header "x y": name is not an HTTP token`,
		`gateway: backendHttpSetting "portless": no port, and member 0 (10.0.0.9) of pool "portless" has none of its own`,
	} {
		assert.Contains(t, err.Error(), want)
	}
	for _, line := range strings.Split(err.Error(), "\n") {
		assert.NotContains(t, line, "a split with no backend", "reported once, by compile")
	}
}
