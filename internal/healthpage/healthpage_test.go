package healthpage

import (
	"testing"
	"time"
)

func TestExpiryOf(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		left        time.Duration
		text, class string
	}{
		{400 * 24 * time.Hour, "expires in 400 days", "ok"},
		{30 * 24 * time.Hour, "expires in 30 days", "ok"},
		{29*24*time.Hour + time.Hour, "expires in 29 days", "warning"},
		{7 * 24 * time.Hour, "expires in 7 days", "warning"},
		{6*24*time.Hour + 23*time.Hour, "expires in 6 days", "alarm"},
		{47 * time.Hour, "expires in 47 hours", "alarm"},
		{-3 * time.Hour, "expired 3 hours ago", "alarm"},
		{-10 * 24 * time.Hour, "expired 10 days ago", "alarm"},
	} {
		got := expiryOf(now.Add(tt.left), now)
		if got.Text != tt.text || got.Class != tt.class {
			t.Errorf("%v left: %+v; want %q %q", tt.left, got, tt.text, tt.class)
		}
	}
}
