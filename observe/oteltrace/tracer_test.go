package oteltrace_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/e2etls/e2etls/backendtls/tlstest"
	"github.com/e2etls/e2etls/gateway"
	"github.com/e2etls/e2etls/gateway/gatewaytest"
	"github.com/e2etls/e2etls/observe/oteltrace"
)

func attr(span sdktrace.ReadOnlySpan, key string) attribute.Value {
	for _, a := range span.Attributes() {
		if string(a.Key) == key {
			return a.Value
		}
	}
	return attribute.Value{}
}

// TestTracing: over real TLS on both legs, a request that came with a W3C
// traceparent gets a server span in the client's trace, its backend attempt
// a client span under it, and the backend receives the attempt's trace
// context; the spans carry both legs' TLS. A backend that fails
// verification gives an attempt span in error with the backendtls reason.
func TestTracing(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec), sdktrace.WithSampler(sdktrace.AlwaysSample()))
	t.Cleanup(func() { tp.Shutdown(t.Context()) })

	pki := gatewaytest.NewPKI()
	good := pki.StartBackend(t, tlstest.EchoHandler("good"), "api.internal")
	rogueRoot := tlstest.NewRoot(tlstest.Options{CommonName: "Rogue Root", KeyType: tlstest.ECDSAP256})
	rogue := tlstest.NewServer(tlstest.ServerOptions{Name: "rogue", Certificate: rogueRoot.NewLeaf(tlstest.Options{DNSNames: []string{"api.internal"}, KeyType: tlstest.ECDSAP256}).TLSCertificate(rogueRoot)})
	t.Cleanup(rogue.Close)
	rogueMember := (&gatewaytest.Backend{Server: rogue}).Member()

	setting := func(name string) gateway.BackendHTTPSetting {
		return gateway.BackendHTTPSetting{Name: name, Protocol: gateway.HTTPS, Port: 443, HostName: "api.internal", TrustedRootCertificates: []string{"root"}}
	}
	gw := gatewaytest.Start(t, gateway.Config{
		SSLCertificates:         []gateway.SSLCertificate{pki.SSLCertificate("front", "shop.example")},
		TrustedRootCertificates: []gateway.NamedCertificate{pki.TrustedRoot("root")},
		Listeners:               []gateway.Listener{{Name: "web", Protocol: gateway.HTTPS, Port: 443, SSLCertificate: "front"}},
		Pools: []gateway.Pool{{Name: "app", Members: []gateway.Member{good.Member()}},
			{Name: "impostor", Members: []gateway.Member{rogueMember}}},
		BackendHTTPSettings: []gateway.BackendHTTPSetting{setting("tls"), setting("rogue-tls")},
		URLPathMaps: []gateway.URLPathMap{{Name: "paths", DefaultPool: "app", DefaultBackendHTTPSetting: "tls",
			PathRules: []gateway.PathRule{{Name: "rogue", Paths: []string{"/rogue"}, Pool: "impostor", BackendHTTPSetting: "rogue-tls"}}}},
		Rules:  []gateway.Rule{{Name: "all", Listener: "web", URLPathMap: "paths"}},
		Tracer: oteltrace.New(tp),
	})
	c := pki.Client()
	defer c.CloseIdleConnections()

	const clientTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
	req, err := http.NewRequest(http.MethodGet, gw.URL("web", "shop.example")+"/traced", nil)
	require.NoError(t, err)
	req.Header.Set("Traceparent", "00-"+clientTrace+"-00f067aa0ba902b7-01")
	resp, err := c.Do(req)
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var echo tlstest.Echo
	require.NoError(t, json.Unmarshal(body, &echo))

	spans := rec.Ended()
	require.Len(t, spans, 2, "a server span and an attempt span")
	var server, attempt sdktrace.ReadOnlySpan
	for _, s := range spans {
		switch s.SpanKind() {
		case trace.SpanKindServer:
			server = s
		case trace.SpanKindClient:
			attempt = s
		}
	}
	require.NotNil(t, server)
	require.NotNil(t, attempt)
	assert.Equal(t, clientTrace, server.SpanContext().TraceID().String(), "the client's trace continues")
	assert.Equal(t, server.SpanContext().SpanID(), attempt.Parent().SpanID(), "the attempt is the request's child")
	parts := strings.Split(echo.Header.Get("Traceparent"), "-")
	require.Len(t, parts, 4, "the backend got a traceparent: %q", echo.Header.Get("Traceparent"))
	assert.Equal(t, clientTrace, parts[1])
	assert.Equal(t, attempt.SpanContext().SpanID().String(), parts[2], "the backend's parent is the attempt")
	assert.Equal(t, "shop.example", attr(server, "tls.server.name").AsString())
	assert.Regexp(t, `^TLSv1_[23]$`, attr(server, "tls.protocol.version").AsString())
	assert.Equal(t, "api.internal", attr(attempt, "tls.server.name").AsString())
	assert.Equal(t, "TLSv1_3", attr(attempt, "tls.protocol.version").AsString())
	assert.Equal(t, int64(200), attr(attempt, "http.response.status_code").AsInt64())
	assert.Equal(t, "app", attr(server, "e2etls.pool").AsString())

	// The impostor: the attempt fails verification.
	resp, err = c.Get(gw.URL("web", "shop.example") + "/rogue")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusBadGateway, resp.StatusCode)
	spans = rec.Ended()[2:]
	require.Len(t, spans, 2)
	for _, s := range spans {
		assert.Equal(t, codes.Error, s.Status().Code, s.Name())
		if s.SpanKind() == trace.SpanKindClient {
			assert.Equal(t, "untrusted-root", attr(s, "e2etls.verification.reason").AsString())
			assert.NotEmpty(t, s.Events(), "the error is recorded")
		}
	}
	assert.Zero(t, rogue.Handshakes(), "the impostor completed no handshake")
}
