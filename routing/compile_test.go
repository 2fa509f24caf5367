package routing

import (
	"errors"
	"strings"
	"testing"
)

func TestCompileErrors(t *testing.T) {
	web := Listener{Name: "web", Port: 80}
	basicRule := func(name, listener string) Rule {
		return Rule{Name: name, Listener: listener, Target: target("p")}
	}
	tests := []struct {
		name string
		cfg  Config
		want []string // every error, in order
	}{
		{
			name: "listener basics",
			cfg: Config{
				Listeners: []Listener{
					{Port: 80},
					{Name: "a", Port: 0},
					{Name: "a", Port: 70000},
					{Name: "b", Port: 81, RequireSNI: true},
				},
				Rules: []Rule{basicRule("r0", "a"), basicRule("r1", "b")},
			},
			want: []string{
				`routing: listener[0]: name is required`,
				`routing: listener "a": port 0 is not in 1-65535`,
				`routing: listener[2]: name "a" is also listener[1]'s`,
				`routing: listener[2]: port 70000 is not in 1-65535`,
				`routing: listener "b": RequireSNI is set on an HTTP listener`,
			},
		},
		{
			name: "host names",
			cfg: Config{
				Listeners: []Listener{
					{Name: "a", Port: 443, HTTPS: true, HostNames: []string{"*.*.*x", "ok.example", "OK.example.", "b.example", "c.example", "d.example"}},
				},
				Rules: []Rule{basicRule("r", "a")},
			},
			want: []string{
				`routing: listener "a": 6 host names, more than 5`,
				`routing: listener "a": host name "*.*.*x": more than two '*'`,
				`routing: listener "a": host name "OK.example.": same as host name "ok.example"`,
			},
		},
		{
			name: "ports shared",
			cfg: Config{
				Listeners: []Listener{
					{Name: "a", Port: 443, HTTPS: true},
					{Name: "b", Port: 443, HTTPS: false, HostNames: []string{"x.example"}},
					{Name: "c", Port: 443, HTTPS: true},
					{Name: "d", Port: 443, HTTPS: true, HostNames: []string{"X.example", "*.y.example"}},
					{Name: "e", Port: 8443, HTTPS: true, HostNames: []string{"x.example", "*.y.example"}},
				},
				Rules: []Rule{basicRule("ra", "a"), basicRule("rb", "b"), basicRule("rc", "c"), basicRule("rd", "d"), basicRule("re", "e")},
			},
			want: []string{
				`routing: listener "b": port 443 is HTTPS for listener "a" but HTTP here`,
				`routing: listener "c": a second basic listener on port 443 (listener "a" is one)`,
				`routing: listener "d": host name "X.example": also claimed by listener "b" on port 443`,
			},
		},
		{
			name: "rules and listeners",
			cfg: Config{
				Listeners: []Listener{web, {Name: "spare", Port: 81}},
				Rules: []Rule{
					basicRule("api", "nope"),
					basicRule("", "web"),
					basicRule("b", "web"),
					basicRule("api", ""),
					{Name: "none", Listener: "nope"},
					{Name: "two", Listener: "nope", Target: target("p"), Redirect: &Redirect{Status: 301, TargetURL: "https://x/"}},
				},
			},
			want: []string{
				`routing: rule "api": unknown listener "nope"`,
				`routing: rule[1]: name is required`,
				`routing: rule "b": listener "web" already belongs to rule[1]`,
				`routing: rule[3]: name "api" is also rule[0]'s`,
				`routing: rule[3]: listener is required`,
				`routing: rule "none": unknown listener "nope"`,
				`routing: rule "none": needs a Target, a PathMap or a Redirect`,
				`routing: rule "two": unknown listener "nope"`,
				`routing: rule "two": sets more than one of Target, PathMap and Redirect`,
				// Listener "spare" has no rule, but a rule names an unknown
				// listener, which may be meant for it: that is the one
				// problem reported.
			},
		},
		{
			name: "unused listener",
			cfg: Config{
				Listeners: []Listener{web, {Name: "spare", Port: 81}},
				Rules:     []Rule{basicRule("api", "web")},
			},
			want: []string{
				`routing: listener "spare": no rule uses it`,
			},
		},
		{
			name: "targets",
			cfg: Config{
				Listeners: []Listener{web, {Name: "w2", Port: 81}, {Name: "w3", Port: 82}},
				Rules: []Rule{
					{Name: "r", Listener: "web", Target: Target{PathOverride: "x"}},
					{Name: "r2", Listener: "w2", Target: Target{Pool: "p", Setting: "s", PathOverride: "/x/*"}},
					{Name: "r3", Listener: "w3", Target: Target{Pool: "p", Setting: "s", PathOverride: "/x?y"}},
				},
			},
			want: []string{
				`routing: rule "r": pool is required`,
				`routing: rule "r": setting is required`,
				`routing: rule "r": path override "x": does not begin with '/'`,
				`routing: rule "r2": path override "/x/*": '*' not allowed`,
				`routing: rule "r3": path override "/x?y": '?' not allowed: the query is not part of the path`,
			},
		},
		{
			name: "priorities mixed",
			cfg: Config{
				Listeners: []Listener{web, {Name: "w2", Port: 81}, {Name: "w3", Port: 82}, {Name: "w4", Port: 83}, {Name: "w5", Port: 84}},
				Rules: []Rule{
					{Name: "a", Listener: "web", Target: target("p")},
					{Name: "b", Listener: "w2", Target: target("p"), Priority: 10},
					{Name: "c", Listener: "w3", Target: target("p"), Priority: 10},
					{Name: "d", Listener: "w4", Target: target("p"), Priority: 20001},
					{Name: "e", Listener: "w5", Target: target("p"), Priority: -1},
				},
			},
			want: []string{
				`routing: rule "c": priority 10 is also rule "b"'s`,
				`routing: rule "d": priority 20001 is not in 1-20000`,
				`routing: rule "e": priority -1 is not in 1-20000`,
				`routing: rule "a": no priority, but rule "b" has one: give every rule a priority or none`,
			},
		},
		{
			name: "path map",
			cfg: pathMapConfig(&PathMap{
				Name:    "m",
				Default: Target{Pool: "d"},
				Rules: []PathRule{
					{Name: "img", Paths: []string{"/images/*", "/x*y", "/Images/*"}, Target: target("i")},
					{Name: "img", Paths: []string{"/IMAGES/*", "/images"}, Target: target("i")},
					{Paths: []string{"/a"}, Target: Target{Pool: "a"}},
					{Name: "empty", Target: target("e")},
				},
			}),
			want: []string{
				`routing: rule "paths": path map "m": default: setting is required`,
				`routing: rule "paths": path map "m": path rule "img": path "/x*y": '*' is allowed only at the end`,
				`routing: rule "paths": path map "m": path rule "img": path "/Images/*": repeats a path of path rule[0]`,
				`routing: rule "paths": path map "m": path rule[1]: name "img" is also path rule[0]'s`,
				`routing: rule "paths": path map "m": path rule[1]: path "/IMAGES/*": repeats a path of path rule[0]`,
				`routing: rule "paths": path map "m": path rule[2]: name is required`,
				`routing: rule "paths": path map "m": path rule[2]: setting is required`,
				`routing: rule "paths": path map "m": path rule "empty": no paths`,
			},
		},
		{
			name: "path map without name",
			cfg:  pathMapConfig(&PathMap{Default: target("d")}),
			want: []string{`routing: rule "paths": path map name is required`},
		},
		{
			name: "redirects",
			cfg: Config{
				Listeners: []Listener{web, {Name: "w2", Port: 81}, {Name: "w3", Port: 82}, {Name: "w4", Port: 83}, {Name: "w5", Port: 84}},
				Rules: []Rule{
					{Name: "self", Listener: "web", Redirect: &Redirect{Status: 308, TargetListener: "web"}},
					{Name: "both", Listener: "w2", Redirect: &Redirect{Status: 301, TargetListener: "web", TargetURL: "https://x/"}},
					{Name: "neither", Listener: "w3", Redirect: &Redirect{Status: 302}},
					{Name: "url", Listener: "w4", Redirect: &Redirect{Status: 307, TargetURL: "ftp://x/a b", IncludePath: true}},
					{Name: "unknown", Listener: "w5", Redirect: &Redirect{Status: 303, TargetListener: "tls"}},
				},
			},
			want: []string{
				`routing: rule "self": redirect status 308 is not 301, 302, 303 or 307`,
				`routing: rule "self": redirect to listener "web", the rule's own listener`,
				`routing: rule "both": redirect sets both TargetListener and TargetURL`,
				`routing: rule "neither": redirect needs a TargetListener or a TargetURL`,
				`routing: rule "url": redirect to a URL cannot include the path (only the query)`,
				`routing: rule "url": redirect URL "ftp://x/a b": character ' ' not allowed`,
				`routing: rule "unknown": redirect to unknown listener "tls"`,
			},
		},
		{
			name: "path map redirects",
			cfg: Config{
				Listeners: []Listener{web, {Name: "tls", Port: 443, HTTPS: true}, {Name: "w2", Port: 81}},
				Rules: []Rule{
					{Name: "paths", Listener: "web", PathMap: &PathMap{
						Name: "m", Default: target("d"), DefaultRedirect: &Redirect{Status: 301, TargetListener: "tls"},
						Rules: []PathRule{
							{Name: "both", Paths: []string{"/b"}, Target: target("b"), Redirect: &Redirect{Status: 301, TargetListener: "tls"}},
							{Name: "bad", Paths: []string{"/x"}, Redirect: &Redirect{Status: 300, TargetListener: "nope"}},
							{Name: "loop", Paths: []string{"/l/*"}, Redirect: &Redirect{Status: 302, TargetListener: "web", IncludePath: true}},
							{Name: "neither", Paths: []string{"/n"}},
						},
					}},
					{Name: "root", Listener: "w2", PathMap: &PathMap{
						Name:            "r",
						DefaultRedirect: &Redirect{Status: 301, TargetListener: "w2", IncludeQuery: true},
						Rules:           []PathRule{{Name: "a", Paths: []string{"/a"}, Target: target("a")}},
					}},
					{Name: "tls", Listener: "tls", Target: target("t")},
				},
			},
			want: []string{
				`routing: rule "paths": path map "m": default: sets both a Target and a Redirect`,
				`routing: rule "paths": path map "m": path rule "both": sets both a Target and a Redirect`,
				`routing: rule "paths": path map "m": path rule "bad": redirect status 300 is not 301, 302, 303 or 307`,
				`routing: rule "paths": path map "m": path rule "bad": redirect to unknown listener "nope"`,
				`routing: rule "paths": path map "m": path rule "neither": pool is required`,
				`routing: rule "paths": path map "m": path rule "neither": setting is required`,
				`routing: rule "paths": path map "m": path rule "loop": redirect to listener "web", the rule's own listener, with the path: every request it matches would come back to it`,
				`routing: rule "root": path map "r": default: redirect to listener "w2", the rule's own listener, at "/", which the redirect serves too: the redirected request would come back to it`,
			},
		},
		{
			name: "redirect URLs",
			cfg: Config{
				Listeners: []Listener{web, {Name: "w2", Port: 81}, {Name: "w3", Port: 82}},
				Rules: []Rule{
					{Name: "relative", Listener: "web", Redirect: &Redirect{Status: 301, TargetURL: "/elsewhere"}},
					{Name: "scheme", Listener: "w2", Redirect: &Redirect{Status: 301, TargetURL: "mailto:a@b"}},
					{Name: "bad", Listener: "w3", Redirect: &Redirect{Status: 301, TargetURL: "https://[::1/"}},
				},
			},
			want: []string{
				`routing: rule "relative": redirect URL "/elsewhere": scheme is not http or https`,
				`routing: rule "scheme": redirect URL "mailto:a@b": scheme is not http or https`,
				`routing: rule "bad": redirect URL "https://[::1/": parse "https://[::1/": missing ']' in host`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tab, err := Compile(tt.cfg)
			if err == nil {
				t.Fatalf("Compile succeeded; want errors:\n%s", strings.Join(tt.want, "\n"))
			}
			if tab != nil {
				t.Errorf("Compile returned a Table with an error")
			}
			got := strings.Split(err.Error(), "\n")
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("Compile errors:\n%s\nwant:\n%s", err, strings.Join(tt.want, "\n"))
			}
			joined, ok := err.(interface{ Unwrap() []error })
			if !ok {
				t.Fatalf("Compile error %T does not unwrap to a list", err)
			}
			for _, e := range joined.Unwrap() {
				var re *Error
				if !errors.As(e, &re) || re.Where == "" || re.Err == nil {
					t.Errorf("error %q is not a located *Error", e)
				}
			}
		})
	}
}

func TestCompileValid(t *testing.T) {
	shared := &PathMap{Name: "shared", Default: target("d"), Rules: []PathRule{{Name: "a", Paths: []string{"/a/*"}, Target: target("a")}}}
	tests := []struct {
		name string
		cfg  Config
	}{
		{"empty", Config{}},
		{"one basic", Config{Listeners: []Listener{{Name: "web", Port: 80}}, Rules: []Rule{{Name: "r", Listener: "web", Target: target("p")}}}},
		{"shared path map", Config{
			Listeners: []Listener{{Name: "a", Port: 80}, {Name: "b", Port: 81}},
			Rules:     []Rule{{Name: "ra", Listener: "a", PathMap: shared}, {Name: "rb", Listener: "b", PathMap: shared}},
		}},
		{"same host on two ports", Config{
			Listeners: []Listener{{Name: "a", Port: 80, HostNames: []string{"x.example"}}, {Name: "b", Port: 443, HTTPS: true, HostNames: []string{"x.example"}}},
			Rules:     []Rule{{Name: "ra", Listener: "a", Target: target("p")}, {Name: "rb", Listener: "b", Target: target("p")}},
		}},
		{"overlapping wildcards", Config{
			Listeners: []Listener{{Name: "a", Port: 80, HostNames: []string{"*.x.example"}}, {Name: "b", Port: 80, HostNames: []string{"a.x.example", "*.example"}}},
			Rules:     []Rule{{Name: "ra", Listener: "a", Target: target("p"), Priority: 2}, {Name: "rb", Listener: "b", Target: target("p"), Priority: 1}},
		}},
		{"path rule without target pool is still checked; empty map is fine", pathMapConfig(&PathMap{Name: "m", Default: target("d")})},
		{"path rule redirects to its own listener, elsewhere", pathMapConfig(&PathMap{
			Name: "m", Default: target("d"),
			Rules: []PathRule{{Name: "old", Paths: []string{"/old"}, Redirect: &Redirect{Status: 301, TargetListener: "web", IncludeQuery: true}}},
		})},
	}
	for _, tt := range tests {
		if _, err := Compile(tt.cfg); err != nil {
			t.Errorf("%s: Compile: %v", tt.name, err)
		}
	}
}
