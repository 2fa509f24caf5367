package main

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

// TestQuickstart runs the tour and checks what it promises to show.
func TestQuickstart(t *testing.T) {
	var out bytes.Buffer
	if err := run(&out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	s := out.String()
	for _, re := range []string{
		`GET https://www\.example\.test/ +200 +web-1 +web\.internal +web\.internal +HTTP/2\.0 TLS 1\.3 +HTTP/1\.1 TLS 1\.3`,
		`GET https://www\.example\.test/api/orders\?id=7 +200 +api-1 +api\.internal`,
		`GET https://api\.example\.test/v1/items +200 +api-1 +api\.internal`,
		`GET https://www\.example\.test/legacy/report +502`,
		`refused by the gateway: 502 Bad Gateway: .*not a trusted root`,
		`the untrusted backend completed 0 handshakes and received no request`,
		`web +web-tls +127\.0\.0\.1:\d+ +Healthy +CN=web\.internal`,
		`legacy +legacy-tls +127\.0\.0\.1:\d+ +Unhealthy +CN=legacy\.internal +backendtls: `,
	} {
		if !regexp.MustCompile(re).MatchString(s) {
			t.Errorf("output lacks %q:\n%s", re, s)
		}
	}
	if strings.Count(s, "\n") < 12 {
		t.Errorf("output too short:\n%s", s)
	}
}
