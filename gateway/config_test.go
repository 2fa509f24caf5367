package gateway_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e2etls/e2etls/gateway"
	"github.com/e2etls/e2etls/gateway/gatewaytest"
)

// TestProtocolNamesIgnoreCase: Protocol("https") in Go is HTTPS, as
// "https" is in a JSON file: the listener serves TLS, the setting
// verifies its backend, the probe matches the setting, and Update sees
// the same protocol on the served port.
func TestProtocolNamesIgnoreCase(t *testing.T) {
	checkLeaks(t)
	pki := gatewaytest.NewPKI()
	backend := startEcho(t, pki, "b", "api.internal")
	cfg := basicConfig(pki, "api.internal", backend.Member())
	cfg.Listeners[0].Protocol = "https"
	cfg.BackendHTTPSettings[0].Protocol = "HTTPS"
	cfg.BackendHTTPSettings[0].Probe = "p"
	cfg.Probes = []gateway.Probe{hourProbe("p", "/", 3)}
	cfg.Probes[0].Protocol = "hTTps"
	gw := gatewaytest.Start(t, cfg)

	c := newClient(t, pki)
	resp, echo := getEcho(t, c, gw.URL("web", "shop.example")+"/x")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "api.internal", echo.SNI, "the backend was reached over TLS")
	assert.Equal(t, "https", echo.Header.Get("X-Forwarded-Proto"))
	assert.Equal(t, gateway.Protocol("https"), cfg.Listeners[0].Protocol, "the caller's Config is left alone")

	next := gw.Config
	next.Listeners = append([]gateway.Listener(nil), next.Listeners...)
	next.Listeners[0].Protocol = "HTTPS"
	require.NoError(t, gw.Update(next), "the same protocol in other letters is no change of the port's protocol")

	cfg.Listeners[0].Protocol = "tls"
	_, err := gateway.New(cfg)
	require.EqualError(t, err, `gateway: listener "web": protocol "tls": want "Http" or "Https"`)
}

// TestNewReportsEachProblemOnce: every problem once, in the gateway's
// words ("gateway: listener ...", never "routing: routing:"), and none
// that only follows from another: a rule that names an unknown listener
// leaves the listener it was meant for without a rule, which is not
// reported as a second problem.
func TestNewReportsEachProblemOnce(t *testing.T) {
	pki := gatewaytest.NewPKI()
	cfg := basicConfig(pki, "api.internal", gateway.Member{Address: "10.0.0.4"})
	cfg.Listeners = []gateway.Listener{
		{Name: "web", Protocol: gateway.HTTPS, Port: 70000, SSLCertificate: "front", HostNames: []string{"*.*.*x"}},
		{Name: "api", Protocol: gateway.HTTP, Port: 80, RequireSNI: true},
		{Name: "api", Protocol: gateway.HTTP, Port: 81},
	}
	cfg.Rules = []gateway.Rule{
		{Name: "all", Listener: "web", Pool: "app", BackendHTTPSetting: "tls"},
		{Name: "typo", Listener: "apj", Pool: "app", BackendHTTPSetting: "tls"},
	}
	_, err := gateway.New(cfg)
	require.Error(t, err)
	assert.Equal(t, []string{
		`gateway: listener "web": host name "*.*.*x": more than two '*'`,
		`gateway: listener "web": port 70000 is not in 1-65535`,
		`gateway: listener "api": RequireSNI is set on an HTTP listener`,
		`gateway: listener[2]: name "api" is also listener[1]'s`,
		`gateway: rule "typo": unknown listener "apj"`,
	}, strings.Split(err.Error(), "\n"))

	// A probe's problem names the probe once ("probe "p": Path", not
	// "probe "p": probe: Path"), and a pool and setting that cannot go
	// together are reported once however many rules pair them.
	cfg = basicConfig(pki, "", gateway.Member{Address: "10.0.0.4"})
	cfg.BackendHTTPSettings[0].PickHostNameFromBackendAddress = true
	cfg.Listeners = append(cfg.Listeners, gateway.Listener{Name: "plain", Protocol: gateway.HTTP, Port: 80})
	cfg.Rules = append(cfg.Rules, gateway.Rule{Name: "plain", Listener: "plain", Pool: "app", BackendHTTPSetting: "tls"})
	cfg.Probes = []gateway.Probe{{Name: "p", Protocol: gateway.HTTPS, Path: "healthz"}}
	_, err = gateway.New(cfg)
	require.Error(t, err)
	assert.Equal(t, []string{
		`gateway: probe "p": Path "healthz" does not start with "/"`,
		`gateway: rule "all": pool "app": member 10.0.0.4:443 with backendHttpSetting "tls": the setting picks the host name from the backend address, but 10.0.0.4 is an IP address: use an FQDN member or set hostName`,
	}, strings.Split(err.Error(), "\n"))
	assert.Contains(t, messages(err), `probe: Path "healthz" does not start with "/"`, "the probe package's error is still there to unwrap")
}

// messages are the messages of err and of every error it wraps.
func messages(err error) []string {
	out := []string{err.Error()}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		if e := u.Unwrap(); e != nil {
			out = append(out, messages(e)...)
		}
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			out = append(out, messages(e)...)
		}
	}
	return out
}

// TestSettingPortFromMembers: a backend setting without a port sends each
// member to the member's own port; a member without one is refused by
// New, with the setting and the member named, once however many rules
// use the pair.
func TestSettingPortFromMembers(t *testing.T) {
	checkLeaks(t)
	pki := gatewaytest.NewPKI()
	a := startEcho(t, pki, "a", "api.internal")
	b := startEcho(t, pki, "b", "api.internal")
	cfg := basicConfig(pki, "api.internal", a.Member(), b.Member())
	cfg.BackendHTTPSettings[0].Port = 0
	gw := gatewaytest.Start(t, cfg)

	c := newClient(t, pki)
	seen := map[string]bool{}
	for range 4 {
		resp, echo := getEcho(t, c, gw.URL("web", "shop.example")+"/")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		seen[echo.Server] = true
	}
	assert.Equal(t, map[string]bool{"a": true, "b": true}, seen, "each member on its own port")

	cfg.Pools[0].Members = append(cfg.Pools[0].Members, gateway.Member{Address: "10.0.0.9"})
	cfg.Listeners = append(cfg.Listeners, gateway.Listener{Name: "plain", Protocol: gateway.HTTP, Port: 80})
	cfg.Rules = append(cfg.Rules, gateway.Rule{Name: "plain", Listener: "plain", Pool: "app", BackendHTTPSetting: "tls"})
	_, err := gateway.New(cfg)
	require.EqualError(t, err, `gateway: backendHttpSetting "tls": no port, and member 2 (10.0.0.9) of pool "app" has none of its own: give the setting a port, or every member of the pools it serves one`)

	cfg.BackendHTTPSettings[0].Port = -1
	_, err = gateway.New(cfg)
	require.EqualError(t, err, `gateway: backendHttpSetting "tls": port -1 out of range 1-65535 (0 means each member's own port)`)
}
