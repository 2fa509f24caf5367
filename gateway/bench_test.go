package gateway_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"testing"

	"github.com/e2etls/e2etls/gateway"
	"github.com/e2etls/e2etls/gateway/gatewaytest"
)

// BenchmarkProxy measures whole requests through the gateway over loopback
// TLS on both legs, with keep-alive on both legs: the request path's cost
// (plus the client's and the backend's, which share the machine).
func BenchmarkProxy(b *testing.B) {
	body := bytes.Repeat([]byte("x"), 1024)
	for _, bc := range []struct {
		name  string
		http2 bool
	}{{"h1", false}, {"h2", true}} {
		b.Run(bc.name, func(b *testing.B) {
			pki := gatewaytest.NewPKI()
			backend := pki.StartBackend(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/octet-stream")
				w.Write(body)
			}), "api.internal")
			cfg := basicConfig(pki, "api.internal", backend.Member())
			cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn}))
			gw := gatewaytest.Start(b, cfg)
			client := pki.Client()
			tr := client.Transport.(*http.Transport)
			tr.MaxIdleConnsPerHost = 64
			tr.ForceAttemptHTTP2 = bc.http2
			if !bc.http2 {
				tr.TLSClientConfig.NextProtos = []string{"http/1.1"}
			}
			url := gw.URL("web", "shop.example") + "/bench"
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					resp, err := client.Get(url)
					if err != nil {
						b.Error(err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						b.Errorf("status %d", resp.StatusCode)
						return
					}
				}
			})
		})
	}
}

var _ = gateway.HTTPS
