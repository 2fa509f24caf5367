package prommetrics

import (
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/e2etls/e2etls/gateway"
	"github.com/e2etls/e2etls/observe"
	"github.com/e2etls/e2etls/policy"
)

// Source is what Metrics reads at each scrape; *gateway.Gateway is one.
type Source interface {
	BackendHealth() []gateway.MemberHealth
	ListenerCertificates() []gateway.ListenerCertificate
	Stats() gateway.Stats
}

// Metrics counts a gateway's events into Prometheus metrics and collects
// its state at scrape time. Create it with New; it is safe for concurrent
// use.
type Metrics struct {
	observe.Nop
	src    atomic.Pointer[Source]
	routes sync.Map // routeKey -> *route: a request's series, resolved once

	requests       *prometheus.Desc
	failures       *prometheus.CounterVec
	duration       *prometheus.Desc
	bytes          *prometheus.Desc
	connect        *prometheus.Desc
	firstByte      *prometheus.Desc
	lastByte       *prometheus.Desc
	frontendShakes *prometheus.CounterVec
	backendShakes  *prometheus.CounterVec
	backendShakeT  *prometheus.HistogramVec
	reloads        *prometheus.CounterVec

	members          *prometheus.Desc
	backendNotAfter  *prometheus.Desc
	listenerNotAfter *prometheus.Desc
	accessLog        *prometheus.Desc
	generation       *prometheus.Desc
}

// latency buckets, in seconds: 0.5 ms to 30 s.
var latency = [...]float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

// New returns Metrics with all its series empty; set it as the gateway's
// Config.Observer, and Attach the gateway for the scrape-time gauges.
func New() *Metrics {
	m := &Metrics{
		requests: prometheus.NewDesc("e2etls_requests_total",
			"Requests served, by listener, rule, pool, setting and status class (none: the connection was cut before a response).",
			[]string{"listener", "rule", "pool", "setting", "status_class"}, nil),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "e2etls_request_failures_total",
			Help: "Requests that failed, by the gateway's failure code (a backendtls reason for a backend that failed verification)."},
			[]string{"listener", "rule", "pool", "setting", "code"}),
		duration: prometheus.NewDesc("e2etls_request_duration_seconds",
			"Time from a request's arrival to the end of its response.", []string{"listener", "rule"}, nil),
		bytes: prometheus.NewDesc("e2etls_request_bytes_total",
			"Request (received) and response (sent) body bytes.", []string{"listener", "rule", "direction"}, nil),
		connect: prometheus.NewDesc("e2etls_backend_connect_seconds",
			"Time to connect to a member and complete the TLS handshake, for requests that needed a new connection.",
			[]string{"listener", "rule", "pool", "setting"}, nil),
		firstByte: prometheus.NewDesc("e2etls_backend_first_byte_seconds",
			"Time from the start of the backend attempt that answered to its response head.",
			[]string{"listener", "rule", "pool", "setting"}, nil),
		lastByte: prometheus.NewDesc("e2etls_backend_last_byte_seconds",
			"Time from the start of the backend attempt that answered to the end of its response body.",
			[]string{"listener", "rule", "pool", "setting"}, nil),
		frontendShakes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "e2etls_frontend_handshakes_total",
			Help: "Client TLS handshakes, by listener, result (ok or a failure class), version, cipher suite and resumption."},
			[]string{"listener", "result", "version", "cipher", "resumed"}),
		backendShakes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "e2etls_backend_handshakes_total",
			Help: "Backend TLS handshakes, by pool, setting, use (traffic, probe, check), result (ok or the backendtls reason), version and resumption."},
			[]string{"pool", "setting", "use", "result", "version", "resumed"}),
		backendShakeT: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "e2etls_backend_handshake_seconds",
			Help: "Duration of backend TLS handshakes.", Buckets: latency[:]},
			[]string{"pool", "setting", "use"}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "e2etls_config_reloads_total",
			Help: "Configuration changes, by source (update, file) and result (ok, error)."},
			[]string{"source", "result"}),
		members: prometheus.NewDesc("e2etls_backend_members",
			"Pool members under each setting, by health state (healthy, unhealthy, unknown: not probed yet, in rotation).",
			[]string{"pool", "setting", "state"}, nil),
		backendNotAfter: prometheus.NewDesc("e2etls_backend_certificate_not_after_seconds",
			"Unix time at which the leaf certificate a member last presented (to a probe or a handshake) expires.",
			[]string{"pool", "setting", "member"}, nil),
		listenerNotAfter: prometheus.NewDesc("e2etls_listener_certificate_not_after_seconds",
			"Unix time at which a listener's certificate expires.",
			[]string{"listener", "certificate"}, nil),
		accessLog: prometheus.NewDesc("e2etls_access_log_records_total",
			"Access log records written, and dropped because the writer did not keep up.",
			[]string{"result"}, nil),
		generation: prometheus.NewDesc("e2etls_config_generation",
			"The configuration generation serving, 1 for the first.", nil, nil),
	}
	return m
}

// Attach makes src (the gateway) the source of the scrape-time gauges.
func (m *Metrics) Attach(src Source) { m.src.Store(&src) }

// Handler serves the metrics in Prometheus's exposition format, with the
// Go runtime's and the process's.
func (m *Metrics) Handler() http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(m, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

func (m *Metrics) vectors() []prometheus.Collector {
	return []prometheus.Collector{m.failures, m.frontendShakes, m.backendShakes, m.backendShakeT, m.reloads}
}

// Describe implements prometheus.Collector.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	for _, c := range m.vectors() {
		c.Describe(ch)
	}
	for _, d := range []*prometheus.Desc{m.requests, m.duration, m.bytes, m.connect, m.firstByte, m.lastByte} {
		ch <- d
	}
	ch <- m.members
	ch <- m.backendNotAfter
	ch <- m.listenerNotAfter
	ch <- m.accessLog
	ch <- m.generation
}

// Collect implements prometheus.Collector.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	for _, c := range m.vectors() {
		c.Collect(ch)
	}
	m.routes.Range(func(_, v any) bool {
		m.collectRoute(ch, v.(*route))
		return true
	})
	sp := m.src.Load()
	if sp == nil {
		return
	}
	src := *sp
	type key struct{ pool, setting, state string }
	counts := map[key]int{}
	for _, h := range src.BackendHealth() {
		for _, state := range []string{"healthy", "unhealthy", "unknown"} {
			counts[key{h.Pool, h.Setting, state}] += 0 // every state has a series
		}
		counts[key{h.Pool, h.Setting, stateLabel(h.State)}]++
		if h.Certificate != nil {
			ch <- prometheus.MustNewConstMetric(m.backendNotAfter, prometheus.GaugeValue,
				float64(h.Certificate.NotAfter.Unix()), h.Pool, h.Setting, h.Member)
		}
	}
	for k, n := range counts {
		ch <- prometheus.MustNewConstMetric(m.members, prometheus.GaugeValue, float64(n), k.pool, k.setting, k.state)
	}
	for _, c := range src.ListenerCertificates() {
		ch <- prometheus.MustNewConstMetric(m.listenerNotAfter, prometheus.GaugeValue, float64(c.NotAfter.Unix()), c.Listener, c.Certificate)
	}
	st := src.Stats()
	ch <- prometheus.MustNewConstMetric(m.accessLog, prometheus.CounterValue, float64(st.AccessLogWritten), "written")
	ch <- prometheus.MustNewConstMetric(m.accessLog, prometheus.CounterValue, float64(st.AccessLogDropped), "dropped")
	ch <- prometheus.MustNewConstMetric(m.generation, prometheus.GaugeValue, float64(st.Generation))
}

func stateLabel(s string) string {
	switch s {
	case "Healthy":
		return "healthy"
	case "Unhealthy":
		return "unhealthy"
	}
	return "unknown"
}

func (m *Metrics) route(k routeKey) *route {
	if r, ok := m.routes.Load(k); ok {
		return r.(*route)
	}
	actual, _ := m.routes.LoadOrStore(k, newRoute(k))
	return actual.(*route)
}

// Request implements observe.Observer.
func (m *Metrics) Request(r observe.Request) {
	sh := m.route(routeKey{r.Listener, r.Rule, r.Pool, r.Setting}).shard()
	class := 0
	if r.Status >= 100 && r.Status < 600 {
		class = r.Status / 100
	}
	sh.status[class].Add(1)
	if r.Code != "" {
		m.failures.WithLabelValues(r.Listener, r.Rule, r.Pool, r.Setting, r.Code).Inc()
	}
	sh.duration.observe(r.Duration)
	if r.Received > 0 {
		sh.received.Add(uint64(r.Received))
	}
	if r.Sent > 0 {
		sh.sent.Add(uint64(r.Sent))
	}
	if r.Pool != "" {
		if r.BackendConnect > 0 {
			sh.connect.observe(r.BackendConnect)
		}
		if r.BackendFirstByte > 0 {
			sh.firstByte.observe(r.BackendFirstByte)
		}
		if r.BackendLastByte > 0 {
			sh.lastByte.observe(r.BackendLastByte)
		}
	}
}

// ClientHandshake implements observe.Observer.
func (m *Metrics) ClientHandshake(h observe.ClientHandshake) {
	result, version, cipher := "ok", "", ""
	if h.Failure != "" {
		result = h.Failure
	} else {
		version, cipher = policy.VersionName(h.TLS.Version), policy.CipherSuiteName(h.TLS.CipherSuite)
	}
	m.frontendShakes.WithLabelValues(h.Listener, result, version, cipher, strconv.FormatBool(h.TLS.Resumed)).Inc()
}

// BackendHandshake implements observe.Observer.
func (m *Metrics) BackendHandshake(h observe.BackendHandshake) {
	result, version := "ok", ""
	if h.Reason != "" {
		result = h.Reason
	} else {
		version = policy.VersionName(h.TLS.Version)
	}
	m.backendShakes.WithLabelValues(h.Pool, h.Setting, h.Use, result, version, strconv.FormatBool(h.TLS.Resumed)).Inc()
	m.backendShakeT.WithLabelValues(h.Pool, h.Setting, h.Use).Observe(h.Duration.Seconds())
}

// Reload implements observe.Observer.
func (m *Metrics) Reload(r observe.Reload) {
	result := "ok"
	if r.Err != nil {
		result = "error"
	}
	m.reloads.WithLabelValues(r.Source, result).Inc()
}
