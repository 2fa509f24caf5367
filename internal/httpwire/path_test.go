package httpwire

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
		if got := CleanPath(tt.in); got != tt.want {
			t.Errorf("CleanPath(%q) = %q; want %q", tt.in, got, tt.want)
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
		c := CleanPath(p)
		if c == "" || c[0] != '/' {
			t.Fatalf("CleanPath(%q) = %q: not absolute", p, c)
		}
		if CleanPath(c) != c {
			t.Fatalf("cleanPath is not idempotent: %q -> %q -> %q", p, c, CleanPath(c))
		}
		for _, seg := range splitSegments(c) {
			if seg == "." || seg == ".." {
				t.Fatalf("CleanPath(%q) = %q keeps a dot segment", p, c)
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
