package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestCustomVerifier(t *testing.T) {
	var out bytes.Buffer
	if err := run(&out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	for _, want := range []string{
		"GET /pay          -> 200\n",
		"GET /impostor/pay -> 502 (reason custom)",
		"has SPIFFE ID spiffe://example.org/billing; want spiffe://example.org/payments",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
