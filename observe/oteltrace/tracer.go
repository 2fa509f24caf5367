package oteltrace

import (
	"context"
	"net/http"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/e2etls/e2etls/backendtls"
	"github.com/e2etls/e2etls/observe"
	"github.com/e2etls/e2etls/policy"
)

// Tracer is an observe.Tracer that records OpenTelemetry spans.
type Tracer struct {
	tracer trace.Tracer
	prop   propagation.TextMapPropagator
}

// New returns a Tracer whose spans come from tp (nil means the global
// provider, otel.GetTracerProvider()) and whose trace context travels as
// W3C Trace Context and Baggage.
func New(tp trace.TracerProvider) *Tracer {
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	return &Tracer{
		tracer: tp.Tracer("github.com/e2etls/e2etls"),
		prop:   propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}),
	}
}

// StartRequest implements observe.Tracer.
func (t *Tracer) StartRequest(ctx context.Context, r *http.Request) (context.Context, observe.RequestSpan) {
	ctx = t.prop.Extract(ctx, propagation.HeaderCarrier(r.Header))
	attrs := []attribute.KeyValue{
		attribute.String("http.request.method", r.Method),
		attribute.String("url.path", r.URL.Path),
		attribute.String("network.protocol.version", protocolVersion(r)),
		attribute.String("client.address", r.RemoteAddr),
	}
	if r.TLS != nil {
		attrs = append(attrs, tlsAttrs(r.TLS.ServerName, r.TLS.Version, r.TLS.CipherSuite, r.TLS.DidResume)...)
	}
	ctx, span := t.tracer.Start(ctx, r.Method, trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(attrs...))
	return ctx, &requestSpan{t: t, span: span}
}

func protocolVersion(r *http.Request) string {
	if r.ProtoMajor == 2 {
		return "2"
	}
	if r.ProtoMinor == 0 {
		return "1.0"
	}
	return "1.1"
}

func tlsAttrs(sni string, version, suite uint16, resumed bool) []attribute.KeyValue {
	a := []attribute.KeyValue{
		attribute.String("tls.protocol.version", policy.VersionName(version)),
		attribute.Bool("tls.resumed", resumed),
	}
	if suite != 0 {
		a = append(a, attribute.String("tls.cipher", policy.CipherSuiteName(suite)))
	}
	if sni != "" {
		a = append(a, attribute.String("tls.server.name", sni))
	}
	return a
}

type requestSpan struct {
	t    *Tracer
	span trace.Span
}

// StartAttempt implements observe.RequestSpan.
func (s *requestSpan) StartAttempt(ctx context.Context, a observe.Attempt, header http.Header) observe.AttemptSpan {
	attrs := []attribute.KeyValue{
		attribute.String("e2etls.pool", a.Pool),
		attribute.String("e2etls.setting", a.Setting),
		attribute.String("server.address", a.Member),
		attribute.Bool("e2etls.retry", a.Retry),
	}
	if a.SNI != "" {
		attrs = append(attrs, attribute.String("tls.server.name", a.SNI))
	}
	ctx, span := s.t.tracer.Start(ctx, "backend "+a.Pool, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	s.t.prop.Inject(ctx, propagation.HeaderCarrier(header))
	return &attemptSpan{span: span}
}

// End implements observe.RequestSpan.
func (s *requestSpan) End(r observe.Request) {
	s.span.SetAttributes(
		attribute.String("e2etls.listener", r.Listener),
		attribute.String("e2etls.rule", r.Rule),
		attribute.String("e2etls.pool", r.Pool),
		attribute.String("e2etls.setting", r.Setting),
		attribute.String("e2etls.member", r.Member),
		attribute.Int("http.response.status_code", r.Status),
	)
	if r.Code != "" {
		s.span.SetAttributes(attribute.String("e2etls.error_code", r.Code))
	}
	if r.Status >= 500 || r.Status == 0 {
		s.span.SetStatus(codes.Error, r.Code)
	}
	s.span.End()
}

type attemptSpan struct{ span trace.Span }

// End implements observe.AttemptSpan.
func (s *attemptSpan) End(r observe.AttemptResult) {
	if r.Status != 0 {
		s.span.SetAttributes(attribute.Int("http.response.status_code", r.Status))
	}
	if r.TLS.Version != 0 {
		s.span.SetAttributes(attribute.String("tls.protocol.version", policy.VersionName(r.TLS.Version)),
			attribute.Bool("tls.resumed", r.TLS.Resumed))
	}
	if r.Reason != "" {
		s.span.SetAttributes(attribute.String("e2etls.error_code", r.Reason))
		if _, ok := backendtls.ParseReason(r.Reason); ok {
			s.span.SetAttributes(attribute.String("e2etls.verification.reason", r.Reason))
		}
	}
	if r.Err != nil {
		s.span.RecordError(r.Err)
		s.span.SetStatus(codes.Error, r.Reason)
	}
	s.span.End()
}
