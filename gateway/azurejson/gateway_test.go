package azurejson

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/e2etls/e2etls/gateway"
)

// offline answers every lookup and dial with an error, so that a gateway
// built from the sample touches no network.
type offline struct{}

var errOffline = errors.New("offline test")

func (offline) LookupHost(context.Context, string) ([]string, error) { return nil, errOffline }

func (offline) DialContext(context.Context, string, string) (net.Conn, error) {
	return nil, errOffline
}

// TestSampleIsValidGateway checks that what the loader makes of the sample
// is a configuration gateway.New accepts: the loader and the gateway agree
// on the format's meaning. Backends are never reached.
func TestSampleIsValidGateway(t *testing.T) {
	path, _ := writeSample(t)
	cfg, err := Load(path)
	require.NoError(t, err)
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg.Resolver = offline{}
	cfg.DialContext = offline{}.DialContext

	before := runtime.NumGoroutine()
	g, err := gateway.New(cfg)
	require.NoError(t, err)
	require.NoError(t, g.Close())

	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	require.LessOrEqual(t, runtime.NumGoroutine(), before, "goroutines left after Close")
}

// TestLoadedConfigProblemsOnce: a document the loader accepts but
// gateway.New refuses gets each problem once, in the gateway's words (no
// "routing: routing:"), with the names the document gives.
func TestLoadedConfigProblemsOnce(t *testing.T) {
	listener := func(name, extra string) string {
		return `{"name": "` + name + `", "properties": {"protocol": "Http", ` + extra + `"frontendPort": ` + id("frontendPorts", "p") + `, "frontendIPConfiguration": ` + id("frontendIPConfigurations", "f") + `}}`
	}
	rule := func(name, l string) string {
		return `{"name": "` + name + `", "properties": {"ruleType": "Basic", "priority": 1, "httpListener": ` + id("httpListeners", l) +
			`, "backendAddressPool": ` + id("backendAddressPools", "p") + `, "backendHttpSettings": ` + id("backendHttpSettingsCollection", "s") + `}}`
	}
	doc, err := Read([]byte(gw(`"backendAddressPools": [{"name": "p"}],
		"backendHttpSettingsCollection": [{"name": "s", "properties": {"protocol": "Http", "port": 80}}],
		"frontendPorts": [{"name": "p", "properties": {"port": 80}}],
		"frontendIPConfigurations": [{"name": "f", "properties": {"privateIPAddress": "10.0.0.1"}}],
		"httpListeners": [`+listener("a", `"hostNames": ["*.*.*x"], `)+`, `+listener("b", "")+`],
		"requestRoutingRules": [`+rule("r", "a")+`, `+rule("r2", "b")+`]`)), Options{PrivateAddress: "127.0.0.1"})
	require.NoError(t, err)
	_, err = gateway.New(doc.Config)
	require.Error(t, err)
	require.Equal(t, "gateway: listener \"a\": host name \"*.*.*x\": more than two '*'\n"+
		"gateway: rule \"r2\": priority 1 is also rule \"r\"'s", err.Error())
}
