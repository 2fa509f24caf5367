package probe

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// MaxInFlight is how many probes a Monitor runs at once, at most. Further
// probes wait for a slot (their wait counts towards neither their timeout nor
// their latency).
const MaxInFlight = 128

// Entry is one target for a [Monitor] to probe.
type Entry struct {
	// Target is what to probe.
	Target Target
	// Spec is how to probe it. An invalid Spec is not rejected: each of its
	// probes fails with the Validate error, every 30 s if Interval itself is
	// invalid.
	Spec Spec
	// Health receives the results, if not nil. An entry needs Health or
	// OnResult: NewMonitor panics if both are nil.
	Health *Health
	// OnResult, if not nil, is called with every result the Monitor records,
	// after Health.Record. A caller that keeps health its own way (with a
	// Health it records into itself, next to state of its own) sets
	// OnResult alone. Calls for one entry do not overlap; calls for
	// different entries may. It delays the entry's next probe while it runs.
	// The Monitor never logs: this is where a caller can.
	OnResult func(Result)
}

// Monitor probes a fixed set of entries, each every Spec.Interval, until
// Close, and records the results in their Health.
//
// Start spreads the first probes over the interval: entry i of n first probes
// i/n of its interval after Start, so that a thousand targets are not probed
// at the same instant and the load stays even. After that each entry's
// probes start Interval apart; a probe that takes longer than Interval delays
// the next one of its entry, never overlaps it. At most MaxInFlight probes
// run at once across the Monitor.
//
// Results of probes cut short by Close (or by the context of CheckAll) are
// not recorded: the backend was not at fault.
//
// A Monitor is safe for concurrent use and must not be copied.
type Monitor struct {
	entries []monitorEntry
	slots   chan struct{} // MaxInFlight tokens
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup // run loops and CheckAll calls

	mu      sync.Mutex
	started bool // guarded by mu
	closed  bool // guarded by mu
}

type monitorEntry struct {
	Entry
	interval time.Duration
	busy     chan struct{} // holds one token while the entry is probed
}

// NewMonitor returns a Monitor of entries (copied). It starts nothing: call
// Start for periodic probes, CheckAll for one round. It panics if an entry's
// Health and OnResult are both nil.
func NewMonitor(entries []Entry) *Monitor {
	ctx, cancel := context.WithCancel(context.Background())
	m := &Monitor{
		entries: make([]monitorEntry, len(entries)),
		slots:   make(chan struct{}, MaxInFlight),
		ctx:     ctx,
		cancel:  cancel,
	}
	for i, e := range entries {
		if e.Health == nil && e.OnResult == nil {
			cancel()
			panic(fmt.Sprintf("probe: NewMonitor: entry %d (target %q) has neither Health nor OnResult", i, e.Target.Name))
		}
		interval := e.Spec.Interval
		if interval <= 0 || interval > MaxDuration {
			interval = DefaultInterval
		}
		m.entries[i] = monitorEntry{Entry: e, interval: interval, busy: make(chan struct{}, 1)}
	}
	return m
}

// Start starts one goroutine per entry that probes it periodically, and
// returns at once. It does nothing if the Monitor is started or closed.
func (m *Monitor) Start() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.started || m.closed {
		return
	}
	m.started = true
	n := len(m.entries)
	for i := range m.entries {
		e := &m.entries[i]
		m.wg.Add(1)
		go m.run(e, spread(e.interval, i, n))
	}
}

// spread returns i/n of interval without overflow.
func spread(interval time.Duration, i, n int) time.Duration {
	d, r := interval/time.Duration(n), interval%time.Duration(n)
	return d*time.Duration(i) + r*time.Duration(i)/time.Duration(n)
}

// run probes e first after delay, then every e.interval, until Close.
func (m *Monitor) run(e *monitorEntry, delay time.Duration) {
	defer m.wg.Done()
	t := time.NewTimer(delay)
	defer t.Stop()
	for {
		select {
		case <-m.ctx.Done():
			return
		case <-t.C:
		}
		start := time.Now()
		m.probe(m.ctx, e)
		t.Reset(max(0, e.interval-time.Since(start)))
	}
}

// probe checks e once, unless ctx ends first, and records the result.
func (m *Monitor) probe(ctx context.Context, e *monitorEntry) {
	select {
	case e.busy <- struct{}{}:
	case <-ctx.Done():
		return
	}
	defer func() { <-e.busy }()
	select {
	case m.slots <- struct{}{}:
	case <-ctx.Done():
		return
	}
	r := Check(ctx, e.Target, e.Spec)
	<-m.slots
	if !r.Healthy && ctx.Err() != nil {
		return
	}
	if e.Health != nil {
		e.Health.Record(r)
	}
	if e.OnResult != nil {
		e.OnResult(r)
	}
}

// CheckAll probes every entry once now, concurrently (at most MaxInFlight at
// a time), records the results, and returns when all are done, or when ctx
// ends or the Monitor closes. A gateway calls it before it serves, so that
// the first requests already see health; it works with or without Start. An
// entry whose periodic probe is running is probed again once that finishes.
func (m *Monitor) CheckAll(ctx context.Context) {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return
	}
	m.wg.Add(1)
	m.mu.Unlock()
	defer m.wg.Done()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(m.ctx, cancel)
	defer stop()

	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(len(m.entries), MaxInFlight) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(m.entries) || ctx.Err() != nil {
					return
				}
				m.probe(ctx, &m.entries[i])
			}
		})
	}
	wg.Wait()
}

// Close stops every probe: it cancels those in flight and waits until every
// goroutine of the Monitor, and every CheckAll call, has returned. A closed
// Monitor cannot start again. Close is idempotent.
func (m *Monitor) Close() {
	m.mu.Lock()
	m.closed = true
	m.mu.Unlock()
	m.cancel()
	m.wg.Wait()
}
