package routing

import (
	"fmt"
	"testing"
	"unicode"
)

func mustCompile(t testing.TB, cfg Config) *Table {
	t.Helper()
	tab, err := Compile(cfg)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return tab
}

// pathMapConfig is one basic HTTP listener on port 80 whose rule routes by
// m.
func pathMapConfig(m *PathMap) Config {
	return Config{
		Listeners: []Listener{{Name: "web", Port: 80}},
		Rules:     []Rule{{Name: "paths", Listener: "web", PathMap: m}},
	}
}

func target(name string) Target { return Target{Pool: name, Setting: "s"} }

func TestValidatePathPattern(t *testing.T) {
	tests := []struct {
		pattern string
		err     string // "" for valid
	}{
		{"/", ""},
		{"/*", ""},
		{"/images", ""},
		{"/images/*", ""},
		{"/images*", ""},
		{"/Bücher/*", ""},
		{"/a b", ""},
		{"", `routing: path "": empty`},
		{"images/*", `routing: path "images/*": does not begin with '/'`},
		{"*", `routing: path "*": does not begin with '/'`},
		{"/images/*/x", `routing: path "/images/*/x": '*' is allowed only at the end`},
		{"/a**", `routing: path "/a**": '*' is allowed only at the end`},
		{"/a?b=1", `routing: path "/a?b=1": '?' not allowed: the query is not part of the path`},
		{"/a#top", `routing: path "/a#top": '#' not allowed: the fragment is not part of the path`},
		{"/a\nb", `routing: path "/a\nb": control character U+000A not allowed`},
		{"/a\x85", `routing: path "/a\x85": not valid UTF-8`},
		{"/a\u0085", `routing: path "/a\u0085": control character U+0085 not allowed`},
	}
	for _, tt := range tests {
		err := ValidatePathPattern(tt.pattern)
		switch {
		case tt.err == "" && err != nil:
			t.Errorf("ValidatePathPattern(%q) = %v; want nil", tt.pattern, err)
		case tt.err != "" && (err == nil || err.Error() != tt.err):
			t.Errorf("ValidatePathPattern(%q) = %v; want %s", tt.pattern, err, tt.err)
		}
	}
}

func TestPathMatch(t *testing.T) {
	m := &PathMap{
		Name:    "m",
		Default: target("default"),
		Rules: []PathRule{
			{Name: "images-dir", Paths: []string{"/images/*"}, Target: target("images-dir")},
			{Name: "video-prefix", Paths: []string{"/video*"}, Target: target("video-prefix")},
			{Name: "about", Paths: []string{"/about", "/About-Us"}, Target: target("about")},
			{Name: "api", Paths: []string{"/api/*"}, Target: target("api")},
			{Name: "api-v2", Paths: []string{"/api/v2/*"}, Target: target("api-v2")}, // shadowed by "api"
			{Name: "kelvin", Paths: []string{"/k/*"}, Target: target("kelvin")},
			{Name: "unicode", Paths: []string{"/bücher/*", "/ΣΑΣ"}, Target: target("unicode")},
			{Name: "replacement", Paths: []string{"/\ufffd*"}, Target: target("replacement")},
			{Name: "root", Paths: []string{"/"}, Target: target("root")},
		},
	}
	tab := mustCompile(t, pathMapConfig(m))
	tests := []struct {
		path string
		want string // the pool
	}{
		{"/images", "default"}, // "/images/*" needs the slash
		{"/images/", "images-dir"},
		{"/images/a.png", "images-dir"},
		{"/IMAGES/A.PNG", "images-dir"},
		{"/imagesX", "default"},
		{"/video", "video-prefix"},
		{"/video2", "video-prefix"},
		{"/video/a", "video-prefix"},
		{"/Video/a", "video-prefix"},
		{"/vide", "default"},
		{"/about", "about"},
		{"/ABOUT", "about"},
		{"/about/", "default"}, // no '*': exact
		{"/abou", "default"},
		{"/about-us", "about"},
		{"/api/v2/x", "api"}, // first match in listed order, not longest
		{"/api", "default"},
		{"/\u212a/x", "kelvin"}, // KELVIN SIGN folds to k
		{"/K/x", "kelvin"},
		{"/BÜCHER/x", "unicode"},
		{"/σασ", "unicode"},
		{"/σας", "unicode"}, // final sigma folds with Σ
		{"/\xff", "replacement"},
		{"/", "root"},
		{"", "default"},
		{"//", "default"},
	}
	for _, tt := range tests {
		r, ok := tab.Route(80, "example.com", tt.path, "q=1")
		if !ok || r.Target.Pool != tt.want {
			t.Errorf("Route(%q) = %+v, %v; want pool %q", tt.path, r, ok, tt.want)
			continue
		}
		wantRule := -1
		for i, pr := range m.Rules {
			if pr.Target.Pool == tt.want {
				wantRule = i
			}
		}
		if r.PathRule != wantRule || r.Rule != 0 || r.Listener != 0 || r.Path != tt.path || r.Redirect != nil {
			t.Errorf("Route(%q) = %+v; want PathRule %d, Path unchanged, no redirect", tt.path, r, wantRule)
		}
	}
}

// TestPathOverride covers Azure's path-override table (the first three rows
// of each section) and this package's decisions for the rest.
func TestPathOverride(t *testing.T) {
	basic := func(override string) Config {
		return Config{
			Listeners: []Listener{{Name: "web", Port: 80}},
			Rules:     []Rule{{Name: "r", Listener: "web", Target: Target{Pool: "p", Setting: "s", PathOverride: override}}},
		}
	}
	paths := func(pattern, override string) Config {
		return pathMapConfig(&PathMap{
			Name:    "m",
			Default: Target{Pool: "default", Setting: "s", PathOverride: override},
			Rules: []PathRule{{Name: "pr", Paths: []string{pattern},
				Target: Target{Pool: "p", Setting: "s", PathOverride: override}}},
		})
	}
	tests := []struct {
		name     string
		cfg      Config
		path     string
		wantPath string
	}{
		{"azure basic", basic("/override/"), "/home/", "/override/home/"},
		{"azure /pathrule*", paths("/pathrule*", "/override/"), "/pathrule/home/", "/override/home/"},
		{"azure /pathrule/home*", paths("/pathrule/home*", "/override/"), "/pathrule/home/x/", "/override/x/"},
		{"basic root", basic("/override/"), "/", "/override/"},
		{"basic empty path", basic("/override/"), "", "/override/"},
		{"basic no trailing slash", basic("/override"), "/home", "/override/home"},
		{"basic override /", basic("/"), "/home", "/home"},
		{"default target prepends", paths("/x/*", "/override/"), "/home/", "/override/home/"},
		{"dir pattern", paths("/images/*", "/override/"), "/images/a/b.png", "/override/a/b.png"},
		{"dir pattern, nothing left", paths("/images/*", "/override/"), "/images/", "/override/"},
		{"dir pattern, override without slash", paths("/images/*", "/o"), "/images/a", "/o/a"},
		{"prefix pattern mid-segment", paths("/img*", "/o/"), "/img2/a", "/o/2/a"},
		{"prefix pattern, nothing left", paths("/img*", "/o/"), "/img", "/o/"},
		{"exact pattern replaces the path", paths("/about", "/o/about.html"), "/About", "/o/about.html"},
		{"case kept in the rest", paths("/api/*", "/v1/"), "/API/Users/Ann", "/v1/Users/Ann"},
		{"folded prefix of another length", paths("/k*", "/o/"), "/\u212aelvin", "/o/elvin"},
		{"one slash at the join", paths("/a/*", "/o/"), "/a//b", "/o/b"},
		{"no override", paths("/a/*", ""), "/a/b", "/a/b"},
	}
	for _, tt := range tests {
		tab := mustCompile(t, tt.cfg)
		r, ok := tab.Route(80, "h", tt.path, "")
		if !ok || r.Path != tt.wantPath {
			t.Errorf("%s: Route(%q).Path = %q, %v; want %q", tt.name, tt.path, r.Path, ok, tt.wantPath)
		}
	}
}

func TestOverridePath(t *testing.T) {
	tests := []struct{ override, rest, want string }{
		{"/o/", "/a", "/o/a"},
		{"/o/", "a", "/o/a"},
		{"/o", "/a", "/o/a"},
		{"/o", "a", "/o/a"},
		{"/o", "", "/o"},
		{"/o/", "", "/o/"},
		{"/", "/a", "/a"},
		{"/", "a", "/a"},
	}
	for _, tt := range tests {
		if got := overridePath(tt.override, tt.rest); got != tt.want {
			t.Errorf("overridePath(%q, %q) = %q; want %q", tt.override, tt.rest, got, tt.want)
		}
	}
}

// TestFoldRune checks that foldRune maps exactly the runes that
// strings.EqualFold takes as equal to one rune, and ASCII to ASCII.
func TestFoldRune(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		f := foldRune(r)
		if r < 0x80 {
			want := unicode.ToUpper(r)
			if f != want {
				t.Fatalf("foldRune(%q) = %q; want %q", r, f, want)
			}
		}
		// Every rune in r's orbit has the same representative.
		for g := unicode.SimpleFold(r); g != r; g = unicode.SimpleFold(g) {
			if foldRune(g) != f {
				t.Fatalf("foldRune(%U) = %U but foldRune(%U) = %U", r, f, g, foldRune(g))
			}
		}
		if f != r && unicode.SimpleFold(f) == f {
			t.Fatalf("foldRune(%U) = %U, which folds to nothing", r, f)
		}
	}
	if got := foldKey("/Straße/K"); got != fmt.Sprint("/STRA", string(foldRune('ß')), "E/K") {
		t.Errorf("foldKey = %q", got)
	}
}
