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
