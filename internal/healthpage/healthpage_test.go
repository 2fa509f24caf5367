package healthpage

import (
	"strings"
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

// TestWriteEscapes: what backends and certificates put on the page
// (reasons, subjects) is escaped as HTML.
func TestWriteEscapes(t *testing.T) {
	type cert struct {
		Subject, Issuer string
		NotAfter        time.Time
		Refused         bool
	}
	type member struct {
		Pool, Setting, Member, State, Reason, ReasonCode, Probe string
		LastCheck                                               time.Time
		Latency                                                 time.Duration
		Certificate                                             *cert
	}
	type listener struct {
		Listener, Certificate, Subject, Issuer string
		NotAfter                               time.Time
	}
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	var b strings.Builder
	err := Write(&b, []member{{Pool: "app", State: "Unhealthy", Reason: "<script>x</script>",
		Certificate: &cert{Subject: "CN=<b>", NotAfter: now.Add(time.Hour), Refused: true}}},
		[]listener{{Listener: "web", Subject: "CN=a&b", NotAfter: now.Add(40 * 24 * time.Hour)}}, now)
	if err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, want := range []string{"&lt;script&gt;x&lt;/script&gt;", "CN=&lt;b&gt;", "CN=a&amp;b", `<span class="alarm">refused</span>`, `<span class="ok">expires in 40 days</span>`} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page, "<script>") {
		t.Error("page holds an unescaped <script>")
	}
}
