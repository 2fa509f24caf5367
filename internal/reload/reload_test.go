package reload

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// source is a certsource.Source[string] and certsource.Reporter driven by
// the test.
type source struct {
	mu       sync.Mutex
	v        string
	changed  chan struct{}
	failures uint64
	failed   chan struct{}
}

func newSource(v string) *source {
	return &source{v: v, changed: make(chan struct{}), failed: make(chan struct{})}
}

func (s *source) Current() (string, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.v, s.changed
}

func (s *source) Failures() (uint64, <-chan struct{}, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failures, s.failed, nil
}

func (s *source) set(v string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.v = v
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *source) refuse() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures++
	close(s.failed)
	s.failed = make(chan struct{})
}

// TestLoop: a bad new version of one source is refused on its own while
// the good new version of another, which changed with it, is taken; the
// bad one stays pinned at its version in force. A version the source
// refuses itself is reported, and Stop ends the loop.
func TestLoop(t *testing.T) {
	a, b := newSource("a1"), newSource("b1")
	var mu sync.Mutex
	var built []string // "a b" of every configuration swapped in
	var events []string
	resolve := func(pinned map[string]any) (string, []Watched) {
		r := &Resolver{Pinned: pinned}
		cfg := Current(r, "cert", "a", a) + " " + Current(r, "cert", "b", b)
		return cfg, r.Watched
	}
	_, ws := resolve(nil)
	// The first rebuild holds, after reading its sources, until both have
	// changed again: the loop then sees both new versions at once.
	read, gate := make(chan struct{}), make(chan struct{})
	first := true
	var l Loop
	l.Start(ws, Target{
		Rebuild: func(ctx context.Context, pinned map[string]any) ([]Watched, bool, error) {
			cfg, ws := resolve(pinned)
			if first {
				first = false
				close(read)
				<-gate
			}
			mu.Lock()
			defer mu.Unlock()
			if cfg[:2] == "ax" {
				return ws, true, errors.New("bad a")
			}
			built = append(built, cfg)
			return ws, true, nil
		},
		Reloaded: func(kind string, err error) {
			l.Count(err)
			mu.Lock()
			defer mu.Unlock()
			events = append(events, fmt.Sprintf("%s %v", kind, err))
		},
		SourceRefused: func(kind, name string, err error) {
			mu.Lock()
			defer mu.Unlock()
			events = append(events, fmt.Sprintf("refused %s %s: %v", kind, name, err))
		},
	})
	wait := func(n int) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
			mu.Lock()
			got := len(events)
			mu.Unlock()
			if got >= n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d events, want %d", got, n)
			}
		}
	}

	b.set("b2")
	<-read
	// Both at once, with a's bad: refused together, then each alone.
	a.set("ax")
	b.set("b3")
	close(gate)
	wait(3)
	b.refuse()
	wait(4)
	l.Stop()
	a.set("a2") // no loop takes it

	mu.Lock()
	defer mu.Unlock()
	wantBuilt := []string{"a1 b2", "a1 b3"}
	wantEvents := []string{"cert <nil>", "cert bad a", "cert <nil>", "refused cert b: a new version was refused"}
	if fmt.Sprint(built) != fmt.Sprint(wantBuilt) {
		t.Errorf("built %q; want %q", built, wantBuilt)
	}
	if fmt.Sprint(events) != fmt.Sprint(wantEvents) {
		t.Errorf("events %q; want %q", events, wantEvents)
	}
	if st := l.Stats(); st.Reloads != 2 || st.Failures != 1 || st.LastError == nil || st.LastReload.IsZero() {
		t.Errorf("stats %+v; want 2 reloads, 1 failure", st)
	}
}

// TestLoopSeesChangeDuringRebuild: a source that changes while the loop
// rebuilds for another one (before the rebuild reads it, pinned at its
// version in force) is taken at the next pass, not left waiting for its
// next change.
func TestLoopSeesChangeDuringRebuild(t *testing.T) {
	a, b := newSource("a1"), newSource("b1")
	var mu sync.Mutex
	var built []string
	resolve := func(pinned map[string]any) (string, []Watched) {
		r := &Resolver{Pinned: pinned}
		cfg := Current(r, "cert", "a", a) + " " + Current(r, "cert", "b", b)
		return cfg, r.Watched
	}
	_, ws := resolve(nil)
	var l Loop
	defer l.Stop()
	done := make(chan struct{})
	l.Start(ws, Target{
		Rebuild: func(ctx context.Context, pinned map[string]any) ([]Watched, bool, error) {
			mu.Lock()
			defer mu.Unlock()
			if len(built) == 0 {
				// b changes after the loop looked at its channels, before
				// this rebuild reads it (pinned at b1).
				b.set("b2")
			}
			cfg, ws := resolve(pinned)
			built = append(built, cfg)
			if cfg == "a2 b2" {
				close(done)
			}
			return ws, true, nil
		},
		Reloaded:      func(string, error) {},
		SourceRefused: func(string, string, error) {},
	})
	a.set("a2")
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("b's new version was never taken; built %q", built)
	}
}
