package gatewaytest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

// testLogger returns a logger that writes text records to tb's output, so
// that they show with the test that caused them (go test -v, or on
// failure). Each line starts with the file and line of the code that
// logged the record, as t.Log's lines start with its caller's.
func testLogger(tb testing.TB) *slog.Logger {
	o := &tbOutput{w: tb.Output()}
	tb.Cleanup(o.stop)
	return slog.New(newSourceHandler(o))
}

// tbOutput is a test's output until the test ends: testing panics on a
// write after that, and a gateway's goroutines may still log.
type tbOutput struct {
	mu      sync.Mutex
	w       io.Writer
	stopped bool
}

func (o *tbOutput) write(p []byte) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.stopped {
		o.w.Write(p)
	}
}

func (o *tbOutput) stop() {
	o.mu.Lock()
	o.stopped = true
	o.mu.Unlock()
}

// sourceHandler formats records with slog's text handler and writes each
// to out after the position of the call that logged it.
type sourceHandler struct {
	text slog.Handler // writes into shared.buf
	*shared
}

// shared is what a sourceHandler and those derived from it share.
type shared struct {
	mu  sync.Mutex // serialises Handle, which uses buf
	buf bytes.Buffer
	out *tbOutput
}

func newSourceHandler(out *tbOutput) *sourceHandler {
	sh := &shared{out: out}
	return &sourceHandler{text: slog.NewTextHandler(&sh.buf, &slog.HandlerOptions{Level: slog.LevelDebug}), shared: sh}
}

func (h *sourceHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.text.Enabled(ctx, l)
}

func (h *sourceHandler) Handle(ctx context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.buf.Reset()
	if r.PC != 0 {
		f, _ := runtime.CallersFrames([]uintptr{r.PC}).Next()
		fmt.Fprintf(&h.buf, "%s:%d: ", filepath.Base(f.File), f.Line)
	}
	if err := h.text.Handle(ctx, r); err != nil {
		return err
	}
	h.out.write(h.buf.Bytes())
	return nil
}

func (h *sourceHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &sourceHandler{text: h.text.WithAttrs(as), shared: h.shared}
}

func (h *sourceHandler) WithGroup(name string) slog.Handler {
	return &sourceHandler{text: h.text.WithGroup(name), shared: h.shared}
}
