package prommetrics

import (
	"math/rand/v2"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// The per-request series are counted in shards, one picked at random per
// request and summed at scrape time, so that requests served on many cores
// at once do not all increment the same cache line (client_golang's
// counters and histograms are one set of atomics per series).

// routeKey is what names a request's series.
type routeKey struct{ listener, rule, pool, setting string }

// route is a route's series, in shards.
type route struct {
	key    routeKey
	shards []routeShard
}

type routeShard struct {
	status                       [6]atomic.Uint64 // none, 1xx ... 5xx
	received, sent               atomic.Uint64
	duration                     histogram
	connect, firstByte, lastByte histogram
	_                            [64]byte // the next shard on another cache line
}

// histogram counts durations into the latency buckets (not cumulative: an
// observation counts in its bucket only), with their sum.
type histogram struct {
	buckets [len(latency) + 1]atomic.Uint64 // the last is +Inf
	sum     atomic.Int64                    // nanoseconds
	count   atomic.Uint64
}

// latencyNanos are the buckets' upper bounds in nanoseconds.
var latencyNanos = func() (b [len(latency)]int64) {
	for i, s := range latency {
		b[i] = int64(s * float64(time.Second))
	}
	return b
}()

func (h *histogram) observe(d time.Duration) {
	i := 0
	for i < len(latencyNanos) && int64(d) > latencyNanos[i] {
		i++
	}
	h.buckets[i].Add(1)
	h.sum.Add(int64(d))
	h.count.Add(1)
}

func newRoute(k routeKey) *route {
	n := 1
	for n < runtime.GOMAXPROCS(0) && n < 64 {
		n *= 2
	}
	return &route{key: k, shards: make([]routeShard, n)}
}

// shard picks the shard of one request.
func (r *route) shard() *routeShard {
	if len(r.shards) == 1 {
		return &r.shards[0]
	}
	return &r.shards[rand.Uint32()&uint32(len(r.shards)-1)]
}

// sumHistogram adds the shards' histograms picked by h into one
// cumulative histogram.
func (r *route) sumHistogram(h func(*routeShard) *histogram) (count uint64, sum float64, buckets map[float64]uint64) {
	var counts [len(latency) + 1]uint64
	var nanos int64
	for i := range r.shards {
		hs := h(&r.shards[i])
		for b := range counts {
			counts[b] += hs.buckets[b].Load()
		}
		nanos += hs.sum.Load()
		count += hs.count.Load()
	}
	buckets = make(map[float64]uint64, len(latency))
	var cum uint64
	for b, bound := range latency {
		cum += counts[b]
		buckets[bound] = cum
	}
	// count can run ahead of the buckets read a moment before: keep the
	// histogram consistent (+Inf equals count).
	if cum > count {
		count = cum
	}
	return count, float64(nanos) / float64(time.Second), buckets
}

func (r *route) sum(f func(*routeShard) *atomic.Uint64) uint64 {
	var n uint64
	for i := range r.shards {
		n += f(&r.shards[i]).Load()
	}
	return n
}

// collect sends the route's series.
func (m *Metrics) collectRoute(ch chan<- prometheus.Metric, r *route) {
	k := r.key
	for class, name := range []string{"none", "1xx", "2xx", "3xx", "4xx", "5xx"} {
		n := r.sum(func(s *routeShard) *atomic.Uint64 { return &s.status[class] })
		ch <- prometheus.MustNewConstMetric(m.requests, prometheus.CounterValue, float64(n), k.listener, k.rule, k.pool, k.setting, name)
	}
	count, sum, buckets := r.sumHistogram(func(s *routeShard) *histogram { return &s.duration })
	ch <- prometheus.MustNewConstHistogram(m.duration, count, sum, buckets, k.listener, k.rule)
	ch <- prometheus.MustNewConstMetric(m.bytes, prometheus.CounterValue,
		float64(r.sum(func(s *routeShard) *atomic.Uint64 { return &s.received })), k.listener, k.rule, "received")
	ch <- prometheus.MustNewConstMetric(m.bytes, prometheus.CounterValue,
		float64(r.sum(func(s *routeShard) *atomic.Uint64 { return &s.sent })), k.listener, k.rule, "sent")
	if k.pool == "" {
		return
	}
	for _, h := range []struct {
		desc *prometheus.Desc
		pick func(*routeShard) *histogram
	}{
		{m.connect, func(s *routeShard) *histogram { return &s.connect }},
		{m.firstByte, func(s *routeShard) *histogram { return &s.firstByte }},
		{m.lastByte, func(s *routeShard) *histogram { return &s.lastByte }},
	} {
		count, sum, buckets := r.sumHistogram(h.pick)
		ch <- prometheus.MustNewConstHistogram(h.desc, count, sum, buckets, k.listener, k.rule, k.pool, k.setting)
	}
}
