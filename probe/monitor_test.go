package probe_test

import (
	"context"
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/e2etls/e2etls/probe"
)

// recorder collects the results a Monitor reports, per entry.
type recorder struct {
	mu      sync.Mutex
	results [][]probe.Result
	want    int           // results per entry before full is closed
	full    chan struct{} // closed once every entry has want results
	closed  bool
}

func newRecorder(entries, want int) *recorder {
	return &recorder{results: make([][]probe.Result, entries), want: want, full: make(chan struct{})}
}

func (rec *recorder) onResult(i int) func(probe.Result) {
	return func(r probe.Result) {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		rec.results[i] = append(rec.results[i], r)
		for _, rs := range rec.results {
			if len(rs) < rec.want {
				return
			}
		}
		if !rec.closed {
			rec.closed = true
			close(rec.full)
		}
	}
}

func (rec *recorder) snapshot() [][]probe.Result {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	out := make([][]probe.Result, len(rec.results))
	for i, rs := range rec.results {
		out[i] = append([]probe.Result(nil), rs...)
	}
	return out
}

// waitFor fails the test unless ch is closed within d.
func waitFor(t *testing.T, ch <-chan struct{}, d time.Duration, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(d):
		t.Fatalf("timed out after %v waiting for %s", d, what)
	}
}

// entries returns n entries probing /0 ... /n-1 on srv through tr.
func entries(n int, addr string, tr http.RoundTripper, spec probe.Spec, rec *recorder) []probe.Entry {
	es := make([]probe.Entry, n)
	for i := range es {
		s := spec
		s.Path = "/" + strconv.Itoa(i)
		es[i] = probe.Entry{
			Target: probe.Target{Name: "member" + strconv.Itoa(i), Address: addr, Transport: tr},
			Spec:   s,
			Health: probe.NewHealth(s.UnhealthyThreshold),
		}
		if rec != nil {
			es[i].OnResult = rec.onResult(i)
		}
	}
	return es
}

func TestMonitorSchedule(t *testing.T) {
	for _, v := range tlsVersions {
		t.Run(v.name, func(t *testing.T) {
			srv, tr := newTLSBackend(t, status(200, "ok"), v.version)
			before := runtime.NumGoroutine()
			const n, interval = 4, 40 * time.Millisecond
			rec := newRecorder(n, 4)
			m := probe.NewMonitor(entries(n, hostPort(srv), tr, probe.Spec{Interval: interval, Timeout: 5 * time.Second}, rec))
			start := time.Now()
			m.Start()
			m.Start() // idempotent
			waitFor(t, rec.full, 10*time.Second, "four probes of every entry")
			m.Close()
			m.Close() // idempotent
			checkNoGoroutineLeak(t, before)

			for i, rs := range rec.snapshot() {
				// Entry i first probes i/n of the interval after Start: timers
				// never fire early, so this is a strict lower bound.
				if earliest := start.Add(interval * time.Duration(i) / n); rs[0].Time.Before(earliest) {
					t.Errorf("entry %d first probed %v after Start, before its slot %v", i, rs[0].Time.Sub(start), earliest.Sub(start))
				}
				for k := 1; k < len(rs); k++ {
					// Starts are an interval apart; the slack covers the
					// wait for a slot between the schedule and Check.
					if gap := rs[k].Time.Sub(rs[k-1].Time); gap < interval-5*time.Millisecond {
						t.Errorf("entry %d: probes %d and %d started %v apart, want about %v", i, k-1, k, gap, interval)
					}
				}
				for _, r := range rs {
					if !r.Healthy || r.Target != "member"+strconv.Itoa(i) {
						t.Errorf("entry %d: result %+v", i, r)
					}
				}
			}
		})
	}
}

func TestMonitorSlowProbesDoNotOverlap(t *testing.T) {
	var inFlight, maxInFlight atomic.Int32
	srv, tr := newTLSBackend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			m := maxInFlight.Load()
			if n <= m || maxInFlight.CompareAndSwap(m, n) {
				break
			}
		}
		time.Sleep(30 * time.Millisecond) // a backend slower than the interval
	}), tls.VersionTLS13)
	before := runtime.NumGoroutine()
	rec := newRecorder(1, 3)
	m := probe.NewMonitor(entries(1, hostPort(srv), tr, probe.Spec{Interval: 5 * time.Millisecond, Timeout: 5 * time.Second}, rec))
	m.Start()
	waitFor(t, rec.full, 10*time.Second, "three probes")
	m.Close()
	checkNoGoroutineLeak(t, before)

	equal(t, "most probes of one entry at once", maxInFlight.Load(), int32(1))
	rs := rec.snapshot()[0]
	for k := 1; k < len(rs); k++ {
		if end := rs[k-1].Time.Add(rs[k-1].Latency); rs[k].Time.Before(end) {
			t.Errorf("probe %d started at %v, before probe %d ended at %v", k, rs[k].Time, k-1, end)
		}
	}
}

func TestMonitorCloseCancelsProbes(t *testing.T) {
	for _, tt := range []struct {
		name  string
		begin func(m *probe.Monitor)
	}{
		{"Start", (*probe.Monitor).Start},
		{"CheckAll", func(m *probe.Monitor) { go m.CheckAll(context.Background()) }},
	} {
		t.Run(tt.name, func(t *testing.T) { testMonitorCloseCancelsProbes(t, tt.begin) })
	}
}

func testMonitorCloseCancelsProbes(t *testing.T, begin func(m *probe.Monitor)) {
	entered := make(chan struct{})
	var once sync.Once
	srv, tr := newTLSBackend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { close(entered) })
		<-r.Context().Done() // answers only when the probe goes away
	}), tls.VersionTLS13)
	before := runtime.NumGoroutine()
	rec := newRecorder(1, 1)
	es := entries(1, hostPort(srv), tr, probe.Spec{Timeout: time.Hour}, rec)
	m := probe.NewMonitor(es)
	begin(m)
	waitFor(t, entered, 10*time.Second, "the first probe to reach the backend")

	closed := make(chan struct{})
	go func() {
		m.Close()
		close(closed)
	}()
	waitFor(t, closed, 5*time.Second, "Close with a probe in flight")
	checkNoGoroutineLeak(t, before)

	if rs := rec.snapshot()[0]; len(rs) != 0 {
		t.Errorf("a cancelled probe was reported: %+v", rs)
	}
	s := es[0].Health.Snapshot()
	equal(t, "State", s.State, probe.StateUnknown)
	equal(t, "LastCheck", s.LastCheck, time.Time{})

	m.Start() // a closed Monitor does not start again
	m.CheckAll(context.Background())
	checkNoGoroutineLeak(t, before)
	equal(t, "State after Start and CheckAll on a closed Monitor", es[0].Health.Snapshot().State, probe.StateUnknown)
}

func TestMonitorCheckAll(t *testing.T) {
	srv, tr := newTLSBackend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/down" {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}), tls.VersionTLS12)
	refused := closedPort(t)
	before := runtime.NumGoroutine()
	spec := probe.Spec{Interval: time.Hour, Timeout: 5 * time.Second, UnhealthyThreshold: 1}
	tests := []struct {
		target probe.Target
		spec   probe.Spec
		want   probe.State
		kind   probe.Kind
	}{
		{probe.Target{Name: "up", Address: hostPort(srv), Transport: tr}, spec, probe.StateHealthy, probe.KindOK},
		{probe.Target{Name: "down", Address: hostPort(srv), Transport: tr}, func() probe.Spec { s := spec; s.Path = "/down"; return s }(), probe.StateUnhealthy, probe.KindStatus},
		{probe.Target{Name: "refused", Address: refused, Transport: tr}, spec, probe.StateUnhealthy, probe.KindConnect},
		{probe.Target{Name: "invalid", Address: hostPort(srv), Transport: tr}, func() probe.Spec { s := spec; s.Scheme = "ftp"; return s }(), probe.StateUnhealthy, probe.KindOther},
	}
	rec := newRecorder(len(tests), 1)
	var es []probe.Entry
	for i, tt := range tests {
		es = append(es, probe.Entry{Target: tt.target, Spec: tt.spec, Health: probe.NewHealth(1), OnResult: rec.onResult(i)})
	}
	m := probe.NewMonitor(es)
	defer m.Close()

	m.CheckAll(context.Background())

	results := rec.snapshot()
	for i, tt := range tests {
		s := es[i].Health.Snapshot()
		equal(t, tt.target.Name+": State", s.State, tt.want)
		equal(t, tt.target.Name+": Kind", s.Kind, tt.kind)
		equal(t, tt.target.Name+": Target", s.Target, tt.target.Name)
		equal(t, tt.target.Name+": results reported", len(results[i]), 1)
		if s.LastCheck.IsZero() {
			t.Errorf("%s: LastCheck not set", tt.target.Name)
		}
	}
	m.Close()
	checkNoGoroutineLeak(t, before)
}

func TestMonitorCheckAllBoundedAndCancelled(t *testing.T) {
	const n = probe.MaxInFlight + 40
	var inFlight, maxInFlight atomic.Int32
	full := make(chan struct{})
	var fullOnce sync.Once
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			m := maxInFlight.Load()
			if c <= m || maxInFlight.CompareAndSwap(m, c) {
				break
			}
		}
		if c == probe.MaxInFlight {
			fullOnce.Do(func() { close(full) })
		}
		<-r.Context().Done() // hold the slot until the probe is cancelled
	}))
	t.Cleanup(srv.Close)
	tr := &http.Transport{DisableKeepAlives: true} // no limit of its own on connections
	before := runtime.NumGoroutine()
	es := entries(n, hostPort(srv), tr, probe.Spec{Scheme: "http", Timeout: time.Hour}, nil)
	m := probe.NewMonitor(es)
	defer m.Close()

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		m.CheckAll(ctx)
		close(done)
	}()
	waitFor(t, full, 20*time.Second, "MaxInFlight probes in flight")
	cancel()
	waitFor(t, done, 10*time.Second, "CheckAll to return after its context was cancelled")
	m.Close()
	checkNoGoroutineLeak(t, before)

	equal(t, "most probes at once", maxInFlight.Load(), int32(probe.MaxInFlight))
	for i, e := range es {
		if s := e.Health.Snapshot(); s.State != probe.StateUnknown || !s.LastCheck.IsZero() {
			t.Fatalf("entry %d: a cancelled probe was recorded: %+v", i, s)
		}
	}
}

func TestNewMonitorNilHealth(t *testing.T) {
	defer func() {
		got, _ := recover().(string)
		equal(t, "panic", got, `probe: NewMonitor: entry 0 (target "a") has neither Health nor OnResult`)
	}()
	probe.NewMonitor([]probe.Entry{{Target: probe.Target{Name: "a"}}})
}
