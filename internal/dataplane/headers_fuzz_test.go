package dataplane

import (
	"net/http"
	"net/textproto"
	"slices"
	"strings"
	"testing"
)

// parseHeader turns "Name: value" lines into a header as net/http's server
// would have it (canonical names, trimmed values); lines it cannot use are
// skipped.
func parseHeader(block string) http.Header {
	h := http.Header{}
	for _, line := range strings.Split(block, "\n") {
		name, value, ok := strings.Cut(line, ":")
		if !ok || name == "" || strings.ContainsAny(name, " \t\r") {
			continue
		}
		h.Add(textproto.CanonicalMIMEHeaderKey(name), textproto.TrimString(value))
	}
	return h
}

// FuzzHopHeaders checks the hop-by-hop rules on any header: the backend's
// copy has no hop-by-hop field and no field that Connection names, keeps
// every other field with its values, and leaves the client's header alone;
// an upgrade is reported only when Connection lists "upgrade".
func FuzzHopHeaders(f *testing.F) {
	f.Add("Connection: X-Secret, keep-alive\nX-Secret: 1\nKeep-Alive: timeout=5\nX-Control: c\nTe: trailers")
	f.Add("Connection: Upgrade\nUpgrade: websocket\nHost: a")
	f.Add("Connection: upgrade, , X-Forwarded-For\nConnection: close\nX-Forwarded-For: 1.2.3.4\nProxy-Authorization: Basic x")
	f.Add("Transfer-Encoding: chunked\nTrailer: X\nProxy-Connection: keep-alive\nX-A: 1\nX-A: 2")
	f.Fuzz(func(t *testing.T, block string) {
		h := parseHeader(block)
		orig := h.Clone()
		out := backendHeader(h, nil)
		if !equalHeader(h, orig) {
			t.Fatalf("backendHeader changed the client's header:\n%v\nwant\n%v", h, orig)
		}
		named := map[string]bool{}
		for _, f := range orig["Connection"] {
			for _, name := range strings.Split(f, ",") {
				if name = textproto.TrimString(name); name != "" {
					named[textproto.CanonicalMIMEHeaderKey(name)] = true
				}
			}
		}
		for _, name := range hopHeaders {
			if _, ok := out[name]; ok {
				t.Fatalf("hop-by-hop field %s reached the backend: %v", name, out)
			}
		}
		for k, vv := range orig {
			switch {
			case named[k] || slices.Contains(hopHeaders, k):
				if _, ok := out[k]; ok {
					t.Fatalf("field %s, named in Connection %q, reached the backend", k, orig["Connection"])
				}
			case !slices.Equal(out[k], vv):
				t.Fatalf("end-to-end field %s: %q, want %q", k, out[k], vv)
			}
		}
		for k := range out {
			if _, ok := orig[k]; !ok {
				t.Fatalf("field %s appeared from nowhere", k)
			}
		}
		again := out.Clone()
		removeHopHeaders(again)
		if !equalHeader(again, out) {
			t.Fatalf("removing hop-by-hop fields twice changed the header")
		}

		up := upgradeType(orig)
		lists := false
		for _, f := range orig["Connection"] {
			for _, v := range strings.Split(f, ",") {
				lists = lists || strings.EqualFold(textproto.TrimString(v), "upgrade")
			}
		}
		if !lists && up != "" || lists && up != orig.Get("Upgrade") {
			t.Fatalf("upgradeType = %q with Connection %q and Upgrade %q", up, orig["Connection"], orig.Get("Upgrade"))
		}
	})
}

// FuzzForwardedHeaders checks the forwarding fields on any client: the
// client's own X-Forwarded-For list is kept and its address appended as
// the last element, and the other fields are the gateway's, whatever the
// client sent for them.
func FuzzForwardedHeaders(f *testing.F) {
	f.Add("192.0.2.1:51000", "203.0.113.9, 198.51.100.2", "shop.example:443", "spoofed", true)
	f.Add("[2001:db8::1]:443", "", "shop.example", "", false)
	f.Add("127.0.0.1:1", "a\nb", "", "https", true)
	f.Fuzz(func(t *testing.T, remote, prior, host, spoof string, https bool) {
		r := &http.Request{RemoteAddr: remote, Host: host, Header: http.Header{}}
		for _, v := range strings.Split(prior, "\n") {
			if prior != "" {
				r.Header.Add("X-Forwarded-For", v)
			}
		}
		r.Header.Set("X-Forwarded-Proto", spoof)
		r.Header.Set("X-Forwarded-Port", spoof)
		r.Header.Set("X-Original-Host", spoof)
		l := forwarded{scheme: "http", port: "80"}
		if https {
			l.scheme, l.port = "https", "443"
		}
		out := backendHeader(r.Header, nil)
		forwardedHeaders(out, r, l.scheme, l.port)

		xff := out["X-Forwarded-For"]
		if len(xff) != 1 {
			t.Fatalf("X-Forwarded-For has %d values: %q", len(xff), xff)
		}
		want := remote
		if prior != "" {
			want = strings.Join(r.Header["X-Forwarded-For"], ", ") + ", " + remote
		}
		if xff[0] != want {
			t.Fatalf("X-Forwarded-For = %q, want %q", xff[0], want)
		}
		for name, want := range map[string]string{"X-Forwarded-Proto": l.scheme, "X-Forwarded-Port": l.port, "X-Original-Host": host} {
			if got := out[name]; len(got) != 1 || got[0] != want {
				t.Fatalf("%s = %q, want %q (the client sent %q)", name, got, want, spoof)
			}
		}
		if r.Header.Get("X-Forwarded-Proto") != spoof {
			t.Fatalf("the client's header was changed")
		}
	})
}

func equalHeader(a, b http.Header) bool {
	if len(a) != len(b) {
		return false
	}
	for k, vv := range a {
		if !slices.Equal(vv, b[k]) {
			return false
		}
	}
	return true
}
