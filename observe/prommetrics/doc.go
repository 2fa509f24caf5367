// Package prommetrics exports a gateway's metrics to Prometheus: a
// [Metrics] is the gateway's observe.Observer (requests, TLS handshakes on
// both sides, reloads, counted and timed as they happen) and a
// prometheus.Collector that reads what is state rather than events from
// the gateway at each scrape (members per health state, the expiry of
// every backend member's and listener's certificate, the access log's
// records).
//
//	m := prommetrics.New()
//	cfg.Observer = m
//	gw, err := gateway.New(cfg)
//	...
//	m.Attach(gw)
//	http.Handle("/metrics", m.Handler())
//
// The per-request series are counted in shards summed at scrape time, so
// that many cores serving requests do not contend for one set of atomics.
//
// Every label value is bounded by the configuration: listener, rule, pool,
// setting and member names, status classes, failure codes, TLS versions and
// suites. No client address and no client-chosen host name is a label.
//
// # Metrics
//
//	e2etls_requests_total{listener,rule,pool,setting,status_class}        counter
//	e2etls_request_failures_total{listener,rule,pool,setting,code}        counter   requests that failed with a code
//	e2etls_request_duration_seconds{listener,rule}                        histogram from arrival to the last byte
//	e2etls_request_bytes_total{listener,rule,direction}                   counter   received / sent body bytes
//	e2etls_backend_connect_seconds{listener,rule,pool,setting}            histogram new connection and TLS handshake (Azure's BackendConnectTime)
//	e2etls_backend_first_byte_seconds{listener,rule,pool,setting}         histogram to the response head (BackendFirstByteResponseTime)
//	e2etls_backend_last_byte_seconds{listener,rule,pool,setting}          histogram to the end of the body (BackendLastByteResponseTime)
//	e2etls_frontend_handshakes_total{listener,result,version,cipher,resumed} counter result "ok" or a failure class
//	e2etls_backend_handshakes_total{pool,setting,use,result,version,resumed} counter result "ok" or a backendtls reason
//	e2etls_backend_handshake_seconds{pool,setting,use}                    histogram
//	e2etls_config_reloads_total{source,result}                            counter   result "ok" or "error"
//	e2etls_backend_members{pool,setting,state}                            gauge     healthy, unhealthy, unknown
//	e2etls_backend_certificate_not_after_seconds{pool,setting,member}     gauge     Unix time the member's leaf expires, as last seen
//	e2etls_listener_certificate_not_after_seconds{listener,certificate}   gauge     Unix time the listener's leaf expires
//	e2etls_access_log_records_total{result}                               counter   written, dropped
//	e2etls_config_generation                                              gauge
package prommetrics
