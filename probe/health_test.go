package probe_test

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/e2etls/e2etls/probe"
)

// step is one event in a target's life.
type step func(h *probe.Health)

var t0 = time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)

func ok() step {
	return func(h *probe.Health) {
		h.Record(probe.Result{Target: "t", Healthy: true, Kind: probe.KindOK, StatusCode: 200, Time: t0, Latency: time.Millisecond})
	}
}

func fail503() step {
	return func(h *probe.Health) {
		h.Record(probe.Result{
			Target: "t", Kind: probe.KindStatus, StatusCode: 503, Time: t0, Latency: 2 * time.Millisecond,
			Err: &probe.Error{Kind: probe.KindStatus, StatusCode: 503, Expected: []probe.StatusRange{{Min: 200, Max: 399}}},
		})
	}
}

func passive(err error) step {
	return func(h *probe.Health) { h.MarkUnhealthy(err) }
}

func reinstate() step {
	return func(h *probe.Health) { h.Reinstate() }
}

// view is the part of a Snapshot that the state machine decides.
type view struct {
	Healthy  bool
	State    probe.State
	Failures int
	Passive  bool
	Reason   string
	Kind     probe.Kind
}

func TestHealth(t *testing.T) {
	const status503 = "status code 503 did not match the probe: expected 200-399"
	verifyErr := fmt.Errorf("proxy: %w", &verifyError{reason: "Expired", msg: "backendtls: the backend's certificate expired on 2026-10-01"})
	tests := []struct {
		name      string
		threshold int
		steps     []step
		want      view
	}{
		{name: "starts in rotation, unknown", threshold: 3,
			want: view{Healthy: true, State: probe.StateUnknown}},
		{name: "failures below the threshold keep it in rotation", threshold: 3, steps: []step{fail503(), fail503()},
			want: view{Healthy: true, State: probe.StateUnknown, Failures: 2, Reason: status503, Kind: probe.KindStatus}},
		{name: "threshold failures take it out", threshold: 3, steps: []step{fail503(), fail503(), fail503()},
			want: view{Healthy: false, State: probe.StateUnhealthy, Failures: 3, Reason: status503, Kind: probe.KindStatus}},
		{name: "more failures keep it out", threshold: 3, steps: []step{fail503(), fail503(), fail503(), fail503()},
			want: view{Healthy: false, State: probe.StateUnhealthy, Failures: 4, Reason: status503, Kind: probe.KindStatus}},
		{name: "one success brings it back", threshold: 3, steps: []step{fail503(), fail503(), fail503(), ok()},
			want: view{Healthy: true, State: probe.StateHealthy}},
		{name: "a success resets the count", threshold: 3, steps: []step{fail503(), fail503(), ok(), fail503(), fail503()},
			want: view{Healthy: true, State: probe.StateHealthy, Failures: 2, Reason: status503, Kind: probe.KindStatus}},
		{name: "threshold 1", threshold: 1, steps: []step{ok(), fail503()},
			want: view{Healthy: false, State: probe.StateUnhealthy, Failures: 1, Reason: status503, Kind: probe.KindStatus}},
		{name: "threshold 0 means 3", threshold: 0, steps: []step{fail503(), fail503()},
			want: view{Healthy: true, State: probe.StateUnknown, Failures: 2, Reason: status503, Kind: probe.KindStatus}},
		{name: "passive: out at once with the verifier's message", threshold: 3, steps: []step{ok(), passive(verifyErr)},
			want: view{Healthy: false, State: probe.StateUnhealthy, Passive: true, Reason: "backendtls: the backend's certificate expired on 2026-10-01", Kind: probe.KindTLS}},
		{name: "passive: a failed probe keeps it out", threshold: 3, steps: []step{ok(), passive(verifyErr), fail503()},
			want: view{Healthy: false, State: probe.StateUnhealthy, Failures: 1, Passive: true, Reason: status503, Kind: probe.KindStatus}},
		{name: "passive: the next success brings it back", threshold: 3, steps: []step{ok(), passive(verifyErr), fail503(), ok()},
			want: view{Healthy: true, State: probe.StateHealthy}},
		{name: "passive keeps the failure count", threshold: 3, steps: []step{fail503(), fail503(), passive(errors.New("proxy: read: connection reset by peer"))},
			want: view{Healthy: false, State: probe.StateUnhealthy, Failures: 2, Passive: true, Reason: "proxy: read: connection reset by peer", Kind: probe.KindOther}},
		{name: "reinstate: back in rotation as unknown", threshold: 3, steps: []step{fail503(), passive(verifyErr), reinstate()},
			want: view{Healthy: true, State: probe.StateUnknown}},
		{name: "reinstate leaves a target probes took out", threshold: 1, steps: []step{fail503(), reinstate()},
			want: view{Healthy: false, State: probe.StateUnhealthy, Failures: 1, Reason: status503, Kind: probe.KindStatus}},
		{name: "reinstate leaves a target in rotation", threshold: 3, steps: []step{ok(), fail503(), reinstate()},
			want: view{Healthy: true, State: probe.StateHealthy, Failures: 1, Reason: status503, Kind: probe.KindStatus}},
		{name: "passive without an error", threshold: 3, steps: []step{passive(nil)},
			want: view{Healthy: false, State: probe.StateUnhealthy, Passive: true, Reason: "taken out of rotation by the data path", Kind: probe.KindOther}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := probe.NewHealth(tt.threshold)
			for _, s := range tt.steps {
				s(h)
			}
			snap := h.Snapshot()
			got := view{h.Healthy(), snap.State, snap.ConsecutiveFailures, snap.Passive, snap.Reason, snap.Kind}
			if got != tt.want {
				t.Errorf("after %d steps:\n got %+v\nwant %+v", len(tt.steps), got, tt.want)
			}
		})
	}
}

func TestHealthZeroValue(t *testing.T) {
	var h probe.Health
	equal(t, "Healthy()", h.Healthy(), true)
	fail503()(&h)
	fail503()(&h)
	equal(t, "Healthy() after 2 failures", h.Healthy(), true)
	fail503()(&h)
	equal(t, "Healthy() after 3 failures", h.Healthy(), false)
}

func TestHealthSnapshotDetails(t *testing.T) {
	leaf := &x509.Certificate{Raw: []byte("leaf")}
	h := probe.NewHealth(3)
	h.Record(probe.Result{
		Target: "pool/setting/10.0.0.4:443", Healthy: true, StatusCode: 200, Time: t0, Latency: 3 * time.Millisecond,
		TLS: &tls.ConnectionState{PeerCertificates: []*x509.Certificate{leaf}},
	})
	later := t0.Add(30 * time.Second)
	h.Record(probe.Result{ // no TLS connection: the last peer stays
		Target: "pool/setting/10.0.0.4:443", Kind: probe.KindTimeout, Time: later, Latency: 30 * time.Second,
		Err: &probe.Error{Kind: probe.KindTimeout, Timeout: 30 * time.Second},
	})
	s := h.Snapshot()
	equal(t, "Target", s.Target, "pool/setting/10.0.0.4:443")
	equal(t, "LastCheck", s.LastCheck, later)
	equal(t, "Latency", s.Latency, 30*time.Second)
	equal(t, "Peer", s.Peer, leaf)
	equal(t, "Reason", s.Reason, "the backend did not answer the health probe within the 30s timeout")
	equal(t, "State", s.State, probe.StateHealthy)
}

func TestHealthConcurrent(t *testing.T) {
	h := probe.NewHealth(2)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for j := range 200 {
				switch (i + j) % 4 {
				case 0:
					ok()(h)
				case 1:
					fail503()(h)
				case 2:
					h.MarkUnhealthy(errors.New("proxy: reset"))
				default:
					_ = h.Healthy()
					_ = h.Snapshot()
				}
			}
		})
	}
	wg.Wait()
	ok()(h)
	equal(t, "Healthy() after a final success", h.Healthy(), true)
}

func TestStateAndKindString(t *testing.T) {
	for _, tt := range []struct{ got, want string }{
		{probe.StateUnknown.String(), "Unknown"},
		{probe.StateHealthy.String(), "Healthy"},
		{probe.StateUnhealthy.String(), "Unhealthy"},
		{probe.State(7).String(), "State(7)"},
		{probe.KindOK.String(), "ok"},
		{probe.KindTimeout.String(), "timeout"},
		{probe.KindDNS.String(), "dns"},
		{probe.KindConnect.String(), "connect"},
		{probe.KindTLS.String(), "tls"},
		{probe.KindStatus.String(), "status"},
		{probe.KindBody.String(), "body"},
		{probe.KindOther.String(), "other"},
		{probe.Kind(-1).String(), "Kind(-1)"},
	} {
		equal(t, "String()", tt.got, tt.want)
	}
}
