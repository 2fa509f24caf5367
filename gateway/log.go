package gateway

import (
	"context"
	"log/slog"
	"sync/atomic"
)

// swapHandler is the slog.Handler of a gateway's logger: it hands every
// record to the handler of the Config.Logger in force, which Update may
// replace, so that the components built once at New (frontends, servers)
// follow the new logger at once.
type swapHandler struct {
	h atomic.Pointer[slog.Handler]
}

func newSwapHandler(l *slog.Logger) *swapHandler {
	s := new(swapHandler)
	s.set(l)
	return s
}

// set makes l's handler current (slog.Default()'s for nil).
func (s *swapHandler) set(l *slog.Logger) {
	if l == nil {
		l = slog.Default()
	}
	h := l.Handler()
	s.h.Store(&h)
}

func (s *swapHandler) handler() slog.Handler { return *s.h.Load() }

func (s *swapHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return s.handler().Enabled(ctx, level)
}

func (s *swapHandler) Handle(ctx context.Context, r slog.Record) error {
	return s.handler().Handle(ctx, r)
}

// WithAttrs and WithGroup apply to the handler in force when a record is
// handled.
func (s *swapHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &derivedHandler{s: s, apply: func(h slog.Handler) slog.Handler { return h.WithAttrs(attrs) }}
}

func (s *swapHandler) WithGroup(name string) slog.Handler {
	return &derivedHandler{s: s, apply: func(h slog.Handler) slog.Handler { return h.WithGroup(name) }}
}

// derivedHandler is a swapHandler with attributes or a group added.
type derivedHandler struct {
	s     *swapHandler
	apply func(slog.Handler) slog.Handler
}

func (d *derivedHandler) handler() slog.Handler { return d.apply(d.s.handler()) }

func (d *derivedHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return d.s.handler().Enabled(ctx, level)
}

func (d *derivedHandler) Handle(ctx context.Context, r slog.Record) error {
	return d.handler().Handle(ctx, r)
}

func (d *derivedHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &derivedHandler{s: d.s, apply: func(h slog.Handler) slog.Handler { return d.apply(h).WithAttrs(attrs) }}
}

func (d *derivedHandler) WithGroup(name string) slog.Handler {
	return &derivedHandler{s: d.s, apply: func(h slog.Handler) slog.Handler { return d.apply(h).WithGroup(name) }}
}
