package gateway_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/e2etls/e2etls/gateway"
	"github.com/e2etls/e2etls/gateway/gatewaytest"
	"github.com/e2etls/e2etls/observe/oteltrace"
	"github.com/e2etls/e2etls/observe/prommetrics"
	"github.com/e2etls/e2etls/rewrite"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// BenchmarkProxy measures whole requests through the gateway over loopback
// TLS on both legs, with keep-alive on both legs: the request path's cost
// (plus the client's and the backend's, which share the machine), on each
// frontend (own, nethttp). The variants add what production turns on: the
// access log (written to io.Discard through its asynchronous writer) with
// Prometheus metrics, and OpenTelemetry tracing (every request sampled,
// spans discarded); "plain" has none of them, which costs nothing: each is
// one nil check when off. "rewrite" adds the typical rewrite set (see
// package rewrite's benchmarks for the engine alone).
func BenchmarkProxy(b *testing.B) {
	body := bytes.Repeat([]byte("x"), 1024)
	for _, fe := range frontends {
		b.Run(fe.name, func(b *testing.B) { benchmarkProxy(b, fe.fe, body) })
	}
}

func benchmarkProxy(b *testing.B, fe gateway.Frontend, body []byte) {
	for _, bc := range []struct {
		name    string
		http2   bool
		observe func(*gateway.Config)
	}{
		{"h1/plain", false, nil},
		{"h1/accesslog+metrics", false, func(c *gateway.Config) {
			c.AccessLog = &gateway.AccessLog{Writer: io.Discard}
			c.Observer = prommetrics.New()
		}},
		{"h1/tracing", false, func(c *gateway.Config) {
			c.Tracer = oteltrace.New(sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample())))
		}},
		{"h2/plain", true, nil},
		{"h1/rewrite", false, func(c *gateway.Config) {
			// The typical set: add HSTS, delete Server, one regex
			// condition with a capture group into a request header.
			c.RewriteRuleSets = []rewrite.RuleSet{{Name: "typical", Rules: []rewrite.Rule{
				{Name: "hsts", Sequence: 100, Actions: rewrite.ActionSet{ResponseHeaders: []rewrite.HeaderAction{
					{Name: "Strict-Transport-Security", Value: "max-age=31536000; includeSubDomains"},
					{Name: "Server"},
				}}},
				{Name: "client", Sequence: 200,
					Conditions: []rewrite.Condition{{Variable: "http_req_User-Agent", Pattern: `^Go-http-client/(\d+)`}},
					Actions: rewrite.ActionSet{RequestHeaders: []rewrite.HeaderAction{
						{Name: "X-Client-Major", Value: "{http_req_User-Agent_1}"},
					}}},
			}}}
			c.Rules[0].RewriteRuleSet = "typical"
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			pki := gatewaytest.NewPKI()
			backend := pki.StartBackend(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/octet-stream")
				w.Write(body)
			}), "api.internal")
			cfg := basicConfig(pki, "api.internal", backend.Member())
			cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn}))
			cfg.Frontend = fe
			if bc.observe != nil {
				bc.observe(&cfg)
			}
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
			defer reportCPU(b, cpuTime())
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

// BenchmarkFrontend measures requests the gateway answers itself (404: no
// listener for the host), so that no backend leg dilutes the frontend
// server's share: TLS records, parsing, the answer's head and body, on
// each frontend over HTTP/1.1 and HTTP/2 (the client shares the machine).
func BenchmarkFrontend(b *testing.B) {
	for _, fe := range frontends {
		for _, bc := range []struct {
			name  string
			http2 bool
		}{{"h1", false}, {"h2", true}} {
			b.Run(fe.name+"/"+bc.name, func(b *testing.B) {
				pki := gatewaytest.NewPKI()
				backend := pki.StartBackend(b, nil, "api.internal")
				cfg := basicConfig(pki, "api.internal", backend.Member())
				cfg.SSLCertificates = []gateway.SSLCertificate{pki.SSLCertificate("front", "shop.example", "other.example")}
				cfg.Listeners[0].HostNames = []string{"shop.example"}
				cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn}))
				cfg.Frontend = fe.fe
				gw := gatewaytest.Start(b, cfg)
				client := pki.Client()
				defer client.CloseIdleConnections()
				tr := client.Transport.(*http.Transport)
				tr.MaxIdleConnsPerHost = 64
				tr.ForceAttemptHTTP2 = bc.http2
				if !bc.http2 {
					tr.TLSClientConfig.NextProtos = []string{"http/1.1"}
				}
				url := gw.URL("web", "other.example") + "/bench"
				b.ReportAllocs()
				b.ResetTimer()
				defer reportCPU(b, cpuTime())
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						resp, err := client.Get(url)
						if err != nil {
							b.Error(err)
							return
						}
						io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						if resp.StatusCode != http.StatusNotFound {
							b.Errorf("status %d", resp.StatusCode)
							return
						}
					}
				})
			})
		}
	}
}

// reportCPU reports the process's CPU time since start per iteration, as
// cpu-ns/op: client, gateway and backend together, all in this process.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}
