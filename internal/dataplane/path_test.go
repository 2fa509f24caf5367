package dataplane

import "testing"

func TestCleanPath(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/", "/"},
		{"/a/b", "/a/b"},
		{"/a/b/", "/a/b/"},
		{"/a//b", "/a//b"},
		{"/images/../admin", "/admin"},
		{"/images/./x", "/images/x"},
		{"/images/..", "/"},
		{"/images/.", "/images/"},
		{"/a/b/../../..", "/"},
		{"/../../etc/passwd", "/etc/passwd"},
		{"/a/.b/..c", "/a/.b/..c"},
		{"/a/b/../c/", "/a/c/"},
	}
	for _, tt := range tests {
		if got := cleanPath(tt.in); got != tt.want {
			t.Errorf("cleanPath(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzCleanPath(f *testing.F) {
	for _, s := range []string{"/", "/a/../b", "/./.././", "/a//b/.."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if len(p) == 0 || p[0] != '/' {
			return
		}
		c := cleanPath(p)
		if c == "" || c[0] != '/' {
			t.Fatalf("cleanPath(%q) = %q: not absolute", p, c)
		}
		if cleanPath(c) != c {
			t.Fatalf("cleanPath is not idempotent: %q -> %q -> %q", p, c, cleanPath(c))
		}
		for _, seg := range splitSegments(c) {
			if seg == "." || seg == ".." {
				t.Fatalf("cleanPath(%q) = %q keeps a dot segment", p, c)
			}
		}
	})
}

func splitSegments(p string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(p); i++ {
		if i == len(p) || p[i] == '/' {
			out = append(out, p[start:i])
			start = i + 1
		}
	}
	return out
}
