package logswap

import (
	"context"
	"log/slog"
	"sync/atomic"
)

// Handler is the slog.Handler of a gateway's logger: it hands every
// record to the handler of the Config.Logger in force, which Update may
// replace, so that the components built once at New (frontends, servers)
// follow the new logger at once. It is safe for concurrent use.
type Handler struct {
	h atomic.Pointer[slog.Handler]
}

// New returns a Handler that hands records to l's handler.
func New(l *slog.Logger) *Handler {
	s := new(Handler)
	s.Set(l)
	return s
}

// Set makes l's handler current (slog.Default()'s for nil).
func (s *Handler) Set(l *slog.Logger) {
	if l == nil {
		l = slog.Default()
	}
	h := l.Handler()
	s.h.Store(&h)
}

func (s *Handler) handler() slog.Handler { return *s.h.Load() }

func (s *Handler) Enabled(ctx context.Context, level slog.Level) bool {
	return s.handler().Enabled(ctx, level)
}

func (s *Handler) Handle(ctx context.Context, r slog.Record) error {
	return s.handler().Handle(ctx, r)
}

// WithAttrs and WithGroup apply to the handler in force when a record is
// handled.
func (s *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &derivedHandler{s: s, apply: func(h slog.Handler) slog.Handler { return h.WithAttrs(attrs) }}
}

func (s *Handler) WithGroup(name string) slog.Handler {
	return &derivedHandler{s: s, apply: func(h slog.Handler) slog.Handler { return h.WithGroup(name) }}
}

// derivedHandler is a Handler with attributes or a group added.
type derivedHandler struct {
	s     *Handler
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
