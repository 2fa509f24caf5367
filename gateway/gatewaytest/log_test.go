package gatewaytest

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/e2etls/e2etls/gateway"
)

// captureTB is t with its output in a buffer.
type captureTB struct {
	testing.TB
	mu  sync.Mutex
	buf bytes.Buffer
}

func (c *captureTB) Output() io.Writer { return c }

func (c *captureTB) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.Write(p)
}

func (c *captureTB) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.String()
}

// TestLogLinesCarryTheirPosition: a gateway's log lines in a test start
// with the file and line of the code that logged them, as t.Log's start
// with its caller's, and not with the position of gatewaytest's own
// writer.
func TestLogLinesCarryTheirPosition(t *testing.T) {
	c := &captureTB{TB: t}
	l := testLogger(c)
	_, _, line, _ := runtime.Caller(0)
	l.With("a", 1).WithGroup("g").Info("hello", "b", 2)
	want := fmt.Sprintf("log_test.go:%d: time=", line+1)
	if got := c.String(); !strings.HasPrefix(got, want) || !strings.HasSuffix(got, ` level=INFO msg=hello a=1 g.b=2`+"\n") {
		t.Errorf("log line %q; want it to start with %q", got, want)
	}

	// A gateway's own line: Update logs from gateway.go.
	c = &captureTB{TB: t}
	g := Start(c, gateway.Config{
		Listeners: []gateway.Listener{{Name: "web", Protocol: gateway.HTTP, Port: 80}},
		Redirects: []gateway.Redirect{{Name: "r", TargetURL: "https://shop.example/"}},
		Rules:     []gateway.Rule{{Name: "all", Listener: "web", Redirect: "r"}},
	})
	if err := g.Update(g.Config); err != nil {
		t.Fatal(err)
	}
	out := c.String()
	if !regexp.MustCompile(`(?m)^gateway\.go:\d+: time=\S+ level=INFO msg="gateway: configuration updated" generation=2$`).MatchString(out) {
		t.Errorf("no line from gateway.go for the update in:\n%s", out)
	}
	if strings.Contains(out, "log.go:") {
		t.Errorf("a line carries gatewaytest's own position:\n%s", out)
	}
}
