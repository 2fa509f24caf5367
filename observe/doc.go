// Package observe is the vocabulary between a gateway and the metrics and
// tracing systems it reports to: an [Observer] receives events (a request
// served, a TLS handshake on either side, a configuration reload) and a
// [Tracer] opens spans around requests and their backend attempts. The
// gateway calls them on its request path, so implementations must be fast
// and must never block; events are plain values.
//
// This package imports only the standard library. Adapters live in
// subpackages that users who do not want them never import:
// [github.com/e2etls/e2etls/observe/prommetrics] (Prometheus, with the
// pull-side gauges it reads from a Gateway: backend health, certificate
// expiry) and [github.com/e2etls/e2etls/observe/oteltrace]
// (OpenTelemetry).
//
// Label values an adapter takes from events are bounded by the
// configuration (listener, rule, pool, setting and member names, status
// codes, reason codes, TLS versions and suites): no client address and no
// client-chosen host name appears in an event that an adapter would turn
// into a label.
package observe
