package reload

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/e2etls/e2etls/certsource"
)

// Watched is a certificate source of a configuration, with the channels
// its reload loop waits on: read together with the value the
// configuration was built from, so that no change slips in between.
type Watched struct {
	// Kind and Name say which source it is, as the log names it.
	Kind, Name string
	// Value is the value the configuration was built with.
	Value    any
	changed  <-chan struct{}
	reporter certsource.Reporter // nil if the source reports nothing
	failures uint64              // the reporter's count when read
	failed   <-chan struct{}     // closed at the reporter's next failure
}

func (w *Watched) key() string { return w.Kind + "\x00" + w.Name }

// Resolver reads the sources of a configuration.
type Resolver struct {
	// Pinned are values to use instead of their sources' current ones:
	// the last accepted versions of sources whose newest version was
	// refused, so that a bad file does not hold back the good new files of
	// other sources. A Loop gives them to Target.Rebuild.
	Pinned map[string]any
	// Watched are the sources read, in order.
	Watched []Watched
}

// Current reads src, the source of kind named name, records it and returns
// the value to build with: its current value, or its pinned one.
func Current[T any](r *Resolver, kind, name string, src certsource.Source[T]) T {
	v, changed := src.Current()
	w := Watched{Kind: kind, Name: name, Value: v, changed: changed}
	if rep, ok := src.(certsource.Reporter); ok {
		w.reporter = rep
		w.failures, w.failed, _ = rep.Failures()
	}
	if p, ok := r.Pinned[w.key()]; ok {
		v, w.Value = p.(T), p
	}
	r.Watched = append(r.Watched, w)
	return v
}

// Stats count what a Loop did with new versions of its sources.
type Stats struct {
	// Reloads counts the configurations rebuilt from new versions and
	// swapped in.
	Reloads uint64
	// Failures counts the new versions refused.
	Failures uint64
	// LastError is the last refusal's error, nil if none.
	LastError error
	// LastReload is when the last reload was swapped in; zero if none.
	LastReload time.Time
}

// Target is what a Loop keeps up to date.
type Target struct {
	// Rebuild rebuilds the configuration with the current versions of its
	// sources but those pinned (Resolver.Pinned), and swaps it in if it is
	// valid. It returns the sources it read, err if it refused the
	// configuration, and ok false if the loop must end (its owner closed,
	// or replaced the loop: ctx is done).
	Rebuild func(ctx context.Context, pinned map[string]any) (ws []Watched, ok bool, err error)
	// Reloaded is told of each new version of a source of kind that
	// Rebuild took (err nil) or refused.
	Reloaded func(kind string, err error)
	// SourceRefused is told of a new version that the source of kind
	// named name refused itself (certsource.Reporter), with its error.
	SourceRefused func(kind, name string, err error)
}

// Loop runs the reload loop of the configuration in force: one goroutine,
// replaced by each Start, stopped by Stop. Its zero value is ready to use;
// it must not be copied.
type Loop struct {
	mu      sync.Mutex
	stopped bool
	cancel  context.CancelFunc // of the running loop, nil if none
	wg      sync.WaitGroup
	stats   Stats
}

// Start replaces the running loop, if any, with one for t, whose
// configuration was built from ws. The old loop may be waiting in
// t.Rebuild for a lock held by Start's caller: it returns once it has it
// and sees its context ended. Start does nothing after Stop, or without
// sources.
func (l *Loop) Start(ws []Watched, t Target) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cancel != nil {
		l.cancel()
		l.cancel = nil
	}
	if l.stopped || len(ws) == 0 {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	l.cancel = cancel
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		l.run(ctx, ws, t)
	}()
}

// Stop ends the loop for good and waits for it. Call it before taking a
// lock that Target.Rebuild may be waiting for.
func (l *Loop) Stop() {
	l.mu.Lock()
	l.stopped = true
	if l.cancel != nil {
		l.cancel()
		l.cancel = nil
	}
	l.mu.Unlock()
	l.wg.Wait()
}

// Count counts the outcome of a new version: taken if err is nil, refused
// otherwise.
func (l *Loop) Count(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		l.stats.Failures++
		l.stats.LastError = err
	} else {
		l.stats.Reloads++
		l.stats.LastReload = time.Now()
	}
}

// Stats returns what was counted.
func (l *Loop) Stats() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.stats
}

// run waits for a new version of any of the sources ws, rebuilds the
// configuration with it and the versions in force of the other sources,
// and swaps it in. A version refused, by its source (certsource.Reporter)
// or by the rebuild, is reported, and the version in force stays, for that
// source only: a later good version of another source is still taken.
func (l *Loop) run(ctx context.Context, ws []Watched, t Target) {
	inForce := make(map[string]any, len(ws))
	for _, w := range ws {
		inForce[w.key()] = w.Value
	}
	for {
		chans := make([]<-chan struct{}, 0, 2*len(ws))
		for _, w := range ws {
			chans = append(chans, w.changed, w.failed)
		}
		if certsource.WaitAny(ctx, chans...) != nil {
			return
		}
		var changed []string // keys
		for i := range ws {
			w := &ws[i]
			if closed(w.failed) {
				n, next, last := w.reporter.Failures()
				if n > w.failures {
					if last == nil {
						last = errors.New("a new version was refused")
					}
					t.SourceRefused(w.Kind, w.Name, last)
				}
				w.failures, w.failed = n, next
			}
			if closed(w.changed) {
				changed = append(changed, w.key())
			}
		}
		if len(changed) == 0 {
			continue
		}
		accept := func(next []Watched, err error) {
			if err == nil {
				for _, w := range next {
					inForce[w.key()] = w.Value
				}
			}
		}
		// read is, for each changed source, its entry in the rebuild that
		// read its new version: the channel to wait on next.
		read := make(map[string]Watched, len(changed))
		// All new versions at once; if that is refused and several
		// changed, each on its own, so that one bad version does not hold
		// back the others.
		last, ok, err := rebuildWith(ctx, t, inForce, changed)
		if !ok {
			return
		}
		if err != nil && len(changed) > 1 {
			for _, k := range changed {
				next, ok, err := rebuildWith(ctx, t, inForce, []string{k})
				if !ok {
					return
				}
				accept(next, err)
				t.Reloaded(kindOf(next, k), err)
				recordRead(read, next, []string{k})
				last = next
			}
		} else {
			accept(last, err)
			for _, k := range changed {
				t.Reloaded(kindOf(last, k), err)
			}
			recordRead(read, last, changed)
		}
		// Wait for versions newer than those just read. A source that was
		// pinned keeps the channel of the version in force: if it changed
		// while the others were rebuilt, its channel is closed already and
		// the next pass takes the new version, which the rebuild's own
		// reading of the source (its newest channel, its pinned value)
		// would have hidden until the source changed again. Failures a
		// source reported since the last wait are still to be reported.
		for i := range last {
			k := last[i].key()
			if r, ok := read[k]; ok {
				last[i].changed = r.changed
			}
			for _, old := range ws {
				if old.key() != k {
					continue
				}
				if _, ok := read[k]; !ok {
					last[i].changed = old.changed
				}
				if old.reporter != nil && last[i].reporter != nil {
					last[i].failures, last[i].failed = old.failures, old.failed
				}
			}
		}
		ws = last
	}
}

// rebuildWith rebuilds with the current versions of the sources keys and
// the versions in force of the others.
func rebuildWith(ctx context.Context, t Target, inForce map[string]any, keys []string) (ws []Watched, ok bool, err error) {
	pinned := make(map[string]any, len(inForce))
	for k, v := range inForce {
		if !slices.Contains(keys, k) {
			pinned[k] = v
		}
	}
	return t.Rebuild(ctx, pinned)
}

// recordRead records, for each of keys, its entry in ws.
func recordRead(read map[string]Watched, ws []Watched, keys []string) {
	for _, w := range ws {
		if slices.Contains(keys, w.key()) {
			read[w.key()] = w
		}
	}
}

func kindOf(ws []Watched, key string) string {
	for _, w := range ws {
		if w.key() == key {
			return w.Kind
		}
	}
	return ""
}

func closed(c <-chan struct{}) bool {
	if c == nil {
		return false
	}
	select {
	case <-c:
		return true
	default:
		return false
	}
}
