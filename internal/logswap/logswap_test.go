package logswap

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// TestSet: records, those of loggers derived before the swap included, go
// to the handler in force when they are logged.
func TestSet(t *testing.T) {
	var a, b bytes.Buffer
	h := New(slog.New(slog.NewTextHandler(&a, nil)))
	log := slog.New(h)
	derived := log.With("conn", 1).WithGroup("g")
	log.Info("first")
	h.Set(slog.New(slog.NewTextHandler(&b, &slog.HandlerOptions{Level: slog.LevelWarn})))
	log.Info("dropped: below the new handler's level")
	derived.Warn("second", "k", "v")
	if got := a.String(); !strings.Contains(got, "msg=first") || strings.Contains(got, "second") {
		t.Errorf("first handler got %q", got)
	}
	if got := b.String(); strings.Contains(got, "dropped") || !strings.Contains(got, "msg=second conn=1 g.k=v") {
		t.Errorf("second handler got %q", got)
	}
	if !derived.Enabled(t.Context(), slog.LevelWarn) || derived.Enabled(t.Context(), slog.LevelInfo) {
		t.Error("derived Enabled does not follow the handler in force")
	}
}
