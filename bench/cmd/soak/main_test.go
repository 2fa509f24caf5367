package main

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestShortSoak runs the whole soak for a few seconds with updates every
// half second and no backend restart: every request must succeed, and no
// goroutine may outlive the gateway.
func TestShortSoak(t *testing.T) {
	var out bytes.Buffer
	rep, err := soak(options{duration: 3 * time.Second, reload: 500 * time.Millisecond, restart: time.Hour,
		sample: time.Second, rate: 20}, &out)
	require.NoError(t, err)
	t.Log("\n" + out.String())
	assert.Positive(t, rep.ok)
	assert.Zero(t, rep.unexpected, out.String())
	assert.Zero(t, rep.expected, "no backend restarted, so no failure was expected")
	assert.Zero(t, rep.leaked)
	assert.Contains(t, out.String(), "unexpected: 0")
}

func TestFlags(t *testing.T) {
	var stderr bytes.Buffer
	assert.Equal(t, 2, run([]string{"-duration", "0s"}, &bytes.Buffer{}, &stderr))
	assert.Contains(t, stderr.String(), "must be positive")
	assert.Equal(t, 2, run([]string{"-nope"}, &bytes.Buffer{}, &bytes.Buffer{}))
}

func TestFailureClassification(t *testing.T) {
	b := &backend{name: "b"}
	now := time.Now()
	assert.False(t, b.restarting(now), "a backend that never restarted")
	b.down.Store(now.Add(-time.Second).UnixNano())
	assert.True(t, b.restarting(now), "down, not back yet")
	b.up.Store(now.Add(-500 * time.Millisecond).UnixNano())
	assert.True(t, b.restarting(now), "back, but the probes may not know yet")
	assert.False(t, b.restarting(now.Add(5*time.Second)))

	s := &stats{start: now}
	s.record("h2-post", &gatewayError{status: http.StatusBadGateway, reason: "backend-unreachable"}, []*backend{b})
	s.record("h2-post", &gatewayError{status: http.StatusBadGateway, reason: "backend-unreachable"}, []*backend{{name: "up"}})
	s.record("h1-keepalive", errors.New("wrong body: 3 bytes, want 15"), []*backend{b})
	var out bytes.Buffer
	rep := s.summary(&out)
	assert.Equal(t, int64(1), rep.expected)
	assert.Equal(t, int64(2), rep.unexpected, "a 502 outside a restart, and a wrong body during one")
	assert.True(t, strings.Contains(out.String(), "wrong body"), out.String())
}

func TestTrimAddr(t *testing.T) {
	assert.Equal(t, "dial tcp 127.0.0.1:* refused", trimAddr("dial tcp 127.0.0.1:4431: refused"))
}
