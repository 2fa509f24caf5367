package dataplane

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/e2etls/e2etls/internal/upstream"
	"github.com/e2etls/e2etls/probe"
)

// syncBuffer is a bytes.Buffer for a logger.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestHeldMemberReturns: a member of a setting without probes that
// traffic took out of rotation comes back once its hold is over, as a
// member no one has judged yet, and says so in the log; a member of a
// probed setting waits for a probe instead.
func TestHeldMemberReturns(t *testing.T) {
	const hold = 50 * time.Millisecond
	var logs syncBuffer
	env := &Env{Dialer: upstream.NewDialer(nil, nil), Log: slog.New(slog.NewTextHandler(&logs, nil)), Hijacked: new(Hijacked)}
	setting := func(name string, off bool) *Setting {
		return &Setting{Name: name, HostMode: HostFixed, HostName: "api.internal", Timeout: time.Second, Probe: probe.Default(), ProbeOff: off, PassiveHold: hold}
	}
	plan := &Plan{
		Rules:    []Rule{{Name: "r", Targets: []Target{{Pool: "p", Setting: "off"}}}, {Name: "r2", Targets: []Target{{Pool: "p", Setting: "on"}}}},
		Pools:    map[string][]PoolMember{"p": {{Address: "127.0.0.1", Port: 1}}},
		Settings: map[string]*Setting{"off": setting("off", true), "on": setting("on", false)},
	}
	s, errs := Build(plan, env)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	defer s.Close()
	off := s.sets[Target{Pool: "p", Setting: "off"}].members[0]
	on := s.sets[Target{Pool: "p", Setting: "on"}].members[0]

	start := time.Now()
	off.fail(errors.New("dial tcp 127.0.0.1:1: connection refused"), CodeBackendUnreachable)
	on.fail(errors.New("dial tcp 127.0.0.1:1: connection refused"), CodeBackendUnreachable)
	if off.inRotation() || on.inRotation() {
		t.Fatal("in rotation right after traffic took the members out")
	}
	for !off.inRotation() {
		if time.Since(start) > 5*time.Second {
			t.Fatal("the member without probes did not come back within 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if took := time.Since(start); took < hold {
		t.Errorf("back after %v, before its hold of %v", took, hold)
	}
	if sn := off.health.Snapshot(); sn.State != probe.StateUnknown || sn.Reason != "" || sn.Passive {
		t.Errorf("health after the hold: %+v; want Unknown, no reason", sn)
	}
	if on.inRotation() {
		t.Error("a member of a probed setting came back without a probe")
	}
	log := logs.String()
	for _, want := range []string{
		`msg="gateway: member out of rotation" pool=p setting=off member=127.0.0.1:1 reason=backend-unreachable error="dial tcp 127.0.0.1:1: connection refused" by=traffic hold=50ms`,
		`msg="gateway: member back in rotation" pool=p setting=off member=127.0.0.1:1 by="hold over" hold=50ms`,
	} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %s:\n%s", want, log)
		}
	}
	if n := strings.Count(log, "back in rotation"); n != 1 {
		t.Errorf("%d lines say a member came back, want 1:\n%s", n, log)
	}
}
