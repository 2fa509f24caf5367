// Package oteltrace traces a gateway's requests with OpenTelemetry: a
// [Tracer] is the gateway's observe.Tracer. Each request gets a server span
// (continuing the client's trace when it sent a W3C traceparent), and each
// backend attempt a client span under it, whose trace context goes to the
// backend in the traceparent (and tracestate) header. Spans carry the TLS of
// both legs: the client's SNI, version, suite and resumption; the
// backend's SNI, version and resumption, and the backendtls reason of a
// backend that failed verification.
//
//	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exporter))
//	cfg.Tracer = oteltrace.New(tp)
//
// Without a Tracer in the gateway's Config there are no spans and no cost.
package oteltrace
