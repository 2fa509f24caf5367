package probe

import (
	"crypto/x509"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// State is a target's health as a backend-health report shows it.
type State int

// The health states.
const (
	// StateUnknown is a target that no probe has judged yet: it has had
	// neither a success nor enough failures. It is in rotation.
	StateUnknown State = iota
	// StateHealthy is a target in rotation whose last success has not been
	// followed by UnhealthyThreshold failures.
	StateHealthy
	// StateUnhealthy is a target out of rotation.
	StateUnhealthy
)

// String returns "Unknown", "Healthy" or "Unhealthy", as Azure's
// backend-health view does.
func (s State) String() string {
	switch s {
	case StateUnknown:
		return "Unknown"
	case StateHealthy:
		return "Healthy"
	case StateUnhealthy:
		return "Unhealthy"
	}
	return "State(" + strconv.Itoa(int(s)) + ")"
}

// Snapshot is a copy of a target's health at one moment.
type Snapshot struct {
	// Target is the Target's Name from the last recorded Result; "" before
	// the first.
	Target string
	// State is the target's state.
	State State
	// Reason is the message of the last failure (a probe's, or the error
	// given to MarkUnhealthy) while it still stands: "" after a success and
	// before any failure. A Healthy target can have a Reason while it fails
	// fewer than UnhealthyThreshold times in a row.
	Reason string
	// Kind is the Kind of the failure in Reason; KindOK when Reason is "".
	Kind Kind
	// LastCheck is when the last recorded probe started; zero before the
	// first.
	LastCheck time.Time
	// Latency is the last recorded probe's latency.
	Latency time.Duration
	// ConsecutiveFailures counts the probes that failed since the last
	// success.
	ConsecutiveFailures int
	// Passive reports that MarkUnhealthy took the target out of rotation and
	// no probe has succeeded since.
	Passive bool
	// Peer is the leaf certificate that the backend presented in the last
	// probe that completed a TLS handshake; nil if none did.
	Peer *x509.Certificate
}

// Health is the health state of one target: whether it is in rotation, and
// why. Probe results go in through Record, failures seen by the data path
// through MarkUnhealthy.
//
// A target starts in rotation, in StateUnknown: a new backend takes traffic
// at once, as Azure's do, rather than waiting for its first probe. It leaves
// rotation after threshold consecutive failed probes, or at once on
// MarkUnhealthy, and returns after one successful probe.
//
// The zero Health is ready to use, with DefaultUnhealthyThreshold. Health is safe for concurrent use and must not be copied after
// first use.
// Healthy, which is on the request path, is one atomic load.
type Health struct {
	down      atomic.Bool // out of rotation; read without the lock
	threshold int         // immutable after NewHealth

	mu   sync.Mutex
	snap Snapshot // guarded by mu
}

// NewHealth returns the health of a target that leaves rotation after
// threshold consecutive failed probes. A threshold below 1 means
// DefaultUnhealthyThreshold (3). The target starts healthy (in rotation) and
// in StateUnknown until the first result.
func NewHealth(threshold int) *Health {
	return &Health{threshold: threshold}
}

// Healthy reports whether the target is in rotation.
func (h *Health) Healthy() bool {
	return !h.down.Load()
}

// Record takes the result of a probe of the target. A healthy result puts
// the target back in rotation and clears the reason; a failure counts
// towards the threshold and becomes the reason.
func (h *Health) Record(r Result) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := &h.snap
	s.Target = r.Target
	s.LastCheck = r.Time
	s.Latency = r.Latency
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		s.Peer = r.TLS.PeerCertificates[0]
	}
	if r.Healthy {
		s.State = StateHealthy
		s.Reason = ""
		s.Kind = KindOK
		s.ConsecutiveFailures = 0
		s.Passive = false
		h.down.Store(false)
		return
	}
	s.Reason = r.Message()
	s.Kind = r.Kind
	if r.Kind == KindOK { // a failed Result built without a Kind
		s.Kind = KindOther
	}
	s.ConsecutiveFailures++
	threshold := h.threshold
	if threshold < 1 { // the zero Health
		threshold = DefaultUnhealthyThreshold
	}
	if s.ConsecutiveFailures >= threshold {
		s.State = StateUnhealthy
		h.down.Store(true)
	}
}

// MarkUnhealthy takes the target out of rotation at once, with err as the
// reason: the data path calls it when, for instance, the backend fails
// certificate verification. The next successful probe brings the target
// back. A nil err gives the reason "taken out of rotation by the data path".
func (h *Health) MarkUnhealthy(err error) {
	reason, kind := "taken out of rotation by the data path", KindOther
	if err != nil {
		reason, kind = describe(err), classify(err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.snap.State = StateUnhealthy
	h.snap.Reason = reason
	h.snap.Kind = kind
	h.snap.Passive = true
	h.down.Store(true)
}

// Reinstate puts a target that MarkUnhealthy took out of rotation back in
// rotation, in StateUnknown with no Reason, as a target no probe has
// judged yet: for a target that no probe checks, once the caller's hold
// time is over, so that traffic judges it again. LastCheck, Latency and
// Peer are kept. A target that is in rotation, or that probes took out,
// is left alone; Reinstate reports whether it put the target back.
func (h *Health) Reinstate() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.down.Load() || !h.snap.Passive {
		return false
	}
	h.snap.State = StateUnknown
	h.snap.Reason = ""
	h.snap.Kind = KindOK
	h.snap.ConsecutiveFailures = 0
	h.snap.Passive = false
	h.down.Store(false)
	return true
}

// Snapshot returns a copy of the target's health.
func (h *Health) Snapshot() Snapshot {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.snap
}
