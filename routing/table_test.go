package routing

import (
	"fmt"
	"slices"
	"sync"
	"testing"
)

// hostsConfig gives every listener a Basic rule to a pool named after the
// listener, with the given priorities (nil: listed order).
func hostsConfig(listeners []Listener, priorities []int) Config {
	cfg := Config{Listeners: listeners}
	for i, l := range listeners {
		r := Rule{Name: "r-" + l.Name, Listener: l.Name, Target: target(l.Name)}
		if priorities != nil {
			r.Priority = priorities[i]
		}
		cfg.Rules = append(cfg.Rules, r)
	}
	return cfg
}

func TestRouteHosts(t *testing.T) {
	listeners := []Listener{
		{Name: "wild", Port: 443, HTTPS: true, HostNames: []string{"*.contoso.com"}},
		{Name: "shop", Port: 443, HTTPS: true, HostNames: []string{"shop.contoso.com"}},
		{Name: "fabrikam", Port: 443, HTTPS: true, HostNames: []string{"fabrikam.com", "www.fabrikam.com", "w??.fabrikam.*"}},
		{Name: "any", Port: 443, HTTPS: true},
		{Name: "plain", Port: 80, HostNames: []string{"shop.contoso.com"}},
	}
	tests := []struct {
		name       string
		priorities []int // nil: listed order (v1)
		port       int
		host       string
		want       string // "" for no listener
	}{
		// Listed order: "wild" comes before "shop" and wins for shop.contoso.com.
		{"v1 order, wildcard first", nil, 443, "shop.contoso.com", "wild"},
		{"v1 order, exact", nil, 443, "fabrikam.com", "fabrikam"},
		{"v1 order, second name", nil, 443, "WWW.Fabrikam.com:443", "fabrikam"},
		{"v1 order, '?' pattern", nil, 443, "web.fabrikam.org", "fabrikam"},
		{"v1 order, basic catches the rest", nil, 443, "other.example", "any"},
		{"v1 order, no host", nil, 443, "", "any"},
		{"v1 order, other port", nil, 80, "shop.contoso.com", "plain"},
		{"v1 order, other port, no match", nil, 80, "fabrikam.com", ""},
		{"unknown port", nil, 8080, "shop.contoso.com", ""},
		// Priorities: "shop" first now.
		{"v2 priority, exact first", []int{20, 10, 30, 40, 1}, 443, "shop.contoso.com", "shop"},
		{"v2 priority, wildcard", []int{20, 10, 30, 40, 1}, 443, "a.b.contoso.com", "wild"},
		// A basic listener whose rule comes first takes everything on its port.
		{"v2 priority, basic first", []int{20, 10, 30, 5, 1}, 443, "shop.contoso.com", "any"},
		{"v2 priority, basic first, other port unaffected", []int{20, 10, 30, 5, 1}, 80, "shop.contoso.com", "plain"},
	}
	for _, tt := range tests {
		tab := mustCompile(t, hostsConfig(listeners, tt.priorities))
		r, ok := tab.Route(tt.port, tt.host, "/x", "")
		got := ""
		if ok {
			got = listeners[r.Listener].Name
			if r.Target.Pool != got || tab.listeners[r.Listener].rule != int32(r.Rule) || r.Path != "/x" || r.PathRule != -1 {
				t.Errorf("%s: Route = %+v: inconsistent", tt.name, r)
			}
		}
		if got != tt.want {
			t.Errorf("%s: Route(%d, %q) = %q; want %q", tt.name, tt.port, tt.host, got, tt.want)
		}
	}
}

func TestPorts(t *testing.T) {
	tab := mustCompile(t, hostsConfig([]Listener{
		{Name: "a", Port: 8443, HTTPS: true},
		{Name: "b", Port: 80},
		{Name: "c", Port: 443, HTTPS: true, HostNames: []string{"c.example"}},
		{Name: "d", Port: 443, HTTPS: true, HostNames: []string{"d.example"}},
	}, nil))
	ports := tab.Ports()
	if !slices.Equal(ports, []int{80, 443, 8443}) {
		t.Fatalf("Ports() = %v; want [80 443 8443]", ports)
	}
	ports[0] = 1
	if tab.Ports()[0] != 80 {
		t.Errorf("Ports() returned the Table's own slice")
	}
	if got := mustCompile(t, Config{}).Ports(); len(got) != 0 {
		t.Errorf("empty Table: Ports() = %v", got)
	}
}

func TestCertificateFor(t *testing.T) {
	type L = Listener
	multi := []L{
		{Name: "wild", Port: 443, HTTPS: true, HostNames: []string{"*.contoso.com"}},
		{Name: "shop", Port: 443, HTTPS: true, HostNames: []string{"shop.contoso.com"}},
		{Name: "wild2", Port: 443, HTTPS: true, HostNames: []string{"*.b.contoso.com"}},
		{Name: "plain", Port: 80},
	}
	withBasic := append(slices.Clone(multi[:3]), L{Name: "basic", Port: 443, HTTPS: true})
	requireAll := []L{
		{Name: "a", Port: 443, HTTPS: true, HostNames: []string{"a.example"}, RequireSNI: true},
		{Name: "b", Port: 443, HTTPS: true, HostNames: []string{"b.example"}, RequireSNI: true},
	}
	requireFirst := []L{
		{Name: "a", Port: 443, HTTPS: true, HostNames: []string{"a.example"}, RequireSNI: true},
		{Name: "b", Port: 443, HTTPS: true, HostNames: []string{"b.example"}},
	}
	basicRequires := []L{
		{Name: "basic", Port: 443, HTTPS: true, RequireSNI: true},
		{Name: "b", Port: 443, HTTPS: true, HostNames: []string{"b.example"}, RequireSNI: true},
	}
	tests := []struct {
		name       string
		listeners  []L
		priorities []int
		port       int
		sni        string
		want       string // "" for refused
	}{
		{"exact beats an earlier wildcard", multi, nil, 443, "shop.contoso.com", "shop"},
		{"exact, any case", multi, nil, 443, "SHOP.contoso.com.", "shop"},
		{"wildcard", multi, nil, 443, "a.contoso.com", "wild"},
		{"wildcards by rule order", multi, nil, 443, "x.b.contoso.com", "wild"},
		{"wildcards by priority", multi, []int{3, 2, 1, 4}, 443, "x.b.contoso.com", "wild2"},
		{"unknown SNI: first HTTPS listener", multi, nil, 443, "other.example", "wild"},
		{"unknown SNI: first by priority", multi, []int{3, 2, 1, 4}, 443, "other.example", "wild2"},
		{"no SNI: first HTTPS listener", multi, []int{3, 2, 1, 4}, 443, "", "wild2"},
		{"HTTP port", multi, nil, 80, "x", ""},
		{"unknown port", multi, nil, 8443, "x", ""},
		{"unknown SNI: basic", withBasic, nil, 443, "other.example", "basic"},
		{"no SNI: basic", withBasic, nil, 443, "", "basic"},
		{"exact beats basic", withBasic, []int{4, 3, 2, 1}, 443, "shop.contoso.com", "shop"},
		{"all RequireSNI: known", requireAll, nil, 443, "b.example", "b"},
		{"all RequireSNI: unknown refused", requireAll, nil, 443, "c.example", ""},
		{"all RequireSNI: none refused", requireAll, nil, 443, "", ""},
		{"first RequireSNI: falls back to the next", requireFirst, nil, 443, "c.example", "b"},
		{"first RequireSNI: no SNI", requireFirst, nil, 443, "", "b"},
		{"basic RequireSNI: any SNI", basicRequires, nil, 443, "z.example", "basic"},
		{"basic RequireSNI: no SNI refused", basicRequires, nil, 443, "", ""},
		{"basic RequireSNI: unconvertible SNI still an SNI", basicRequires, nil, 443, "\xff", "basic"},
	}
	for _, tt := range tests {
		tab := mustCompile(t, hostsConfig(tt.listeners, tt.priorities))
		li, ok := tab.CertificateFor(tt.port, tt.sni)
		got := ""
		if ok {
			got = tt.listeners[li].Name
		} else if li != -1 {
			t.Errorf("%s: CertificateFor refused with listener %d; want -1", tt.name, li)
		}
		if got != tt.want {
			t.Errorf("%s: CertificateFor(%d, %q) = %q; want %q", tt.name, tt.port, tt.sni, got, tt.want)
		}
	}
}

func TestAcceptsHost(t *testing.T) {
	tab := mustCompile(t, hostsConfig([]Listener{
		{Name: "basic", Port: 80},
		{Name: "multi", Port: 443, HTTPS: true, HostNames: []string{"a.example", "*.b.example", "bücher.example"}},
	}, nil))
	tests := []struct {
		listener int
		host     string
		want     bool
	}{
		{0, "anything.example", true},
		{0, "", true},
		{0, "\xff", true},
		{1, "a.example", true},
		{1, "A.EXAMPLE:443", true},
		{1, "x.y.b.example", true},
		{1, "b.example", false},
		{1, "xn--bcher-kva.example", true},
		{1, "Bücher.example", true},
		{1, "", false},
		{1, "\xff", false},
		{2, "a.example", false},
		{-1, "a.example", false},
	}
	for _, tt := range tests {
		if got := tab.AcceptsHost(tt.listener, tt.host); got != tt.want {
			t.Errorf("AcceptsHost(%d, %q) = %v; want %v", tt.listener, tt.host, got, tt.want)
		}
	}
}

func TestRedirect(t *testing.T) {
	listeners := []Listener{
		{Name: "http", Port: 80},
		{Name: "https", Port: 443, HTTPS: true},
		{Name: "alt", Port: 8443, HTTPS: true, HostNames: []string{"*.example", "www.example"}},
		{Name: "alt-http", Port: 8080, HostNames: []string{"a.example"}},
		{Name: "wild-only", Port: 9443, HTTPS: true, HostNames: []string{"*.example"}},
	}
	tests := []struct {
		name     string
		redirect Redirect
		host     string
		path     string
		query    string
		want     string // "" for ok=false
	}{
		{"to HTTPS, no path", Redirect{Status: 301, TargetListener: "https"}, "Shop.Example:80", "/a/b", "x=1", "https://shop.example/"},
		{"to HTTPS, path", Redirect{Status: 301, TargetListener: "https", IncludePath: true}, "shop.example", "/a/b", "x=1", "https://shop.example/a/b"},
		{"to HTTPS, path and query", Redirect{Status: 302, TargetListener: "https", IncludePath: true, IncludeQuery: true}, "shop.example", "/a/b", "x=1&y=2", "https://shop.example/a/b?x=1&y=2"},
		{"to HTTPS, query only", Redirect{Status: 303, TargetListener: "https", IncludeQuery: true}, "shop.example", "/a", "x=1", "https://shop.example/?x=1"},
		{"to HTTPS, empty query", Redirect{Status: 307, TargetListener: "https", IncludePath: true, IncludeQuery: true}, "shop.example", "/a", "", "https://shop.example/a"},
		{"path escaped", Redirect{Status: 301, TargetListener: "https", IncludePath: true}, "shop.example", "/a b/ü", "", "https://shop.example/a%20b/%C3%BC"},
		{"empty path", Redirect{Status: 301, TargetListener: "https", IncludePath: true}, "shop.example", "", "", "https://shop.example/"},
		{"non-default port", Redirect{Status: 301, TargetListener: "alt", IncludePath: true}, "shop.example:80", "/a", "", "https://shop.example:8443/a"},
		{"to HTTP default port", Redirect{Status: 301, TargetListener: "http"}, "shop.example", "/a", "", "http://shop.example/"},
		{"to HTTP other port, host it accepts", Redirect{Status: 301, TargetListener: "alt-http"}, "A.example", "/a", "", "http://a.example:8080/"},
		{"host the target does not accept: its name", Redirect{Status: 301, TargetListener: "alt-http"}, "shop.example", "/a", "", "http://a.example:8080/"},
		{"IPv6 host, basic target", Redirect{Status: 301, TargetListener: "https"}, "[0:0::1]:80", "/", "", "https://[::1]/"},
		{"IPv6 host the target does not accept", Redirect{Status: 301, TargetListener: "alt"}, "[0:0::1]:80", "/", "", "https://www.example:8443/"},
		{"host only a wildcard target accepts", Redirect{Status: 301, TargetListener: "wild-only"}, "x.example", "/", "", "https://x.example:9443/"},
		{"wildcard-only target, host it does not accept: kept", Redirect{Status: 301, TargetListener: "wild-only"}, "shop.test", "/", "", "https://shop.test:9443/"},
		{"IPv4 host", Redirect{Status: 301, TargetListener: "https"}, "127.0.0.1:80", "/", "", "https://127.0.0.1/"},
		{"Unicode host", Redirect{Status: 301, TargetListener: "https"}, "bücher.example", "/", "", "https://xn--bcher-kva.example/"},
		{"no host: listener's name", Redirect{Status: 301, TargetListener: "alt"}, "", "/a", "", "https://www.example:8443/"},
		{"bad host: listener's name", Redirect{Status: 301, TargetListener: "alt"}, "evil.example/x", "/a", "", "https://www.example:8443/"},
		{"bad IPv6 host: listener's name", Redirect{Status: 301, TargetListener: "alt"}, "[fe80::1%25eth0]", "/a", "", "https://www.example:8443/"},
		{"no host and no name", Redirect{Status: 301, TargetListener: "wild-only"}, "", "/a", "", ""},
		{"no host, basic target", Redirect{Status: 301, TargetListener: "https"}, "", "/a", "", ""},
		{"URL", Redirect{Status: 301, TargetURL: "https://elsewhere.example/x"}, "h", "/a", "q=1", "https://elsewhere.example/x"},
		{"URL with query", Redirect{Status: 301, TargetURL: "https://elsewhere.example/x", IncludeQuery: true}, "h", "/a", "q=1", "https://elsewhere.example/x?q=1"},
		{"URL with query, none sent", Redirect{Status: 301, TargetURL: "https://elsewhere.example/x", IncludeQuery: true}, "h", "/a", "", "https://elsewhere.example/x"},
		{"URL's query merged", Redirect{Status: 301, TargetURL: "https://elsewhere.example/x?a=1", IncludeQuery: true}, "h", "/a", "q=1", "https://elsewhere.example/x?a=1&q=1"},
		{"URL's empty query", Redirect{Status: 301, TargetURL: "https://elsewhere.example/x?", IncludeQuery: true}, "h", "/a", "q=1", "https://elsewhere.example/x?q=1"},
		{"URL's fragment kept last", Redirect{Status: 301, TargetURL: "https://elsewhere.example/x?a=1#top", IncludeQuery: true}, "h", "/a", "q=1", "https://elsewhere.example/x?a=1&q=1#top"},
		{"URL's fragment, no query", Redirect{Status: 301, TargetURL: "http://elsewhere.example/x#top", IncludeQuery: true}, "h", "/a", "q=1", "http://elsewhere.example/x?q=1#top"},
	}
	for _, tt := range tests {
		// The redirecting rule has its own listener on port 81.
		ls := append(slices.Clone(listeners), Listener{Name: "from", Port: 81})
		cfg := hostsConfig(ls, nil)
		rd := tt.redirect
		cfg.Rules[len(cfg.Rules)-1] = Rule{Name: "redirect", Listener: "from", Redirect: &rd}
		tab := mustCompile(t, cfg)
		r, ok := tab.Route(81, tt.host, tt.path, tt.query)
		if tt.want == "" {
			if ok {
				t.Errorf("%s: Route = %+v; want ok=false", tt.name, r)
			}
			continue
		}
		if !ok || r.Redirect == nil {
			t.Errorf("%s: Route = %+v, %v; want a redirect", tt.name, r, ok)
			continue
		}
		if r.Redirect.Location != tt.want || r.Redirect.Status != tt.redirect.Status {
			t.Errorf("%s: redirect = %d %q; want %d %q", tt.name, r.Redirect.Status, r.Redirect.Location, tt.redirect.Status, tt.want)
		}
		if r.Target != (Target{}) || r.PathRule != -1 || r.Listener != len(ls)-1 || r.Rule != len(ls)-1 {
			t.Errorf("%s: Route = %+v: want no target, PathRule -1 and the redirecting listener and rule", tt.name, r)
		}
	}
}

// TestRouteAllocs pins the allocation budget of a lookup: none without a
// path override, one with.
func TestRouteAllocs(t *testing.T) {
	cfg := Config{
		Listeners: []Listener{
			{Name: "a", Port: 443, HTTPS: true, HostNames: []string{"a.example", "*.w.example"}},
			{Name: "b", Port: 443, HTTPS: true, HostNames: []string{"api-??.example"}},
			{Name: "c", Port: 443, HTTPS: true},
		},
		Rules: []Rule{
			{Name: "a", Listener: "a", PathMap: &PathMap{Name: "m", Default: target("d"), Rules: []PathRule{
				{Name: "img", Paths: []string{"/images/*"}, Target: target("img")},
				{Name: "ovr", Paths: []string{"/o/*"}, Target: Target{Pool: "o", Setting: "s", PathOverride: "/x/"}},
			}}},
			{Name: "b", Listener: "b", Target: target("b")},
			{Name: "c", Listener: "c", Target: Target{Pool: "c", Setting: "s", PathOverride: "/base/"}},
		},
	}
	tab := mustCompile(t, cfg)
	tests := []struct {
		host, path string
		max        float64
	}{
		{"a.example", "/images/x.png", 0},
		{"A.Example:443", "/IMAGES/x.png", 0},
		{"q.w.example", "/Bücher", 0},
		{"api-01.example", "/", 0},
		{"a.example", "/o/x", 1},
		{"other.example", "/x", 1},
	}
	for _, tt := range tests {
		got := testing.AllocsPerRun(100, func() {
			if _, ok := tab.Route(443, tt.host, tt.path, ""); !ok {
				panic("no route")
			}
		})
		if got > tt.max {
			t.Errorf("Route(%q, %q): %v allocations; want at most %v", tt.host, tt.path, got, tt.max)
		}
	}
	if got := testing.AllocsPerRun(100, func() { tab.CertificateFor(443, "Q.w.example") }); got != 0 {
		t.Errorf("CertificateFor: %v allocations; want 0", got)
	}
	if got := testing.AllocsPerRun(100, func() { tab.AcceptsHost(1, "api-01.example") }); got != 0 {
		t.Errorf("AcceptsHost: %v allocations; want 0", got)
	}
}

// TestConcurrentUse runs lookups from several goroutines; with -race it
// checks that a Table is safe for concurrent use.
func TestConcurrentUse(t *testing.T) {
	tab := mustCompile(t, hostsConfig([]Listener{
		{Name: "a", Port: 443, HTTPS: true, HostNames: []string{"*.a.example"}},
		{Name: "b", Port: 443, HTTPS: true},
	}, nil))
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for g := range 4 {
		wg.Go(func() {
			for i := range 500 {
				host := fmt.Sprintf("h%d.a.example", i+g)
				if r, ok := tab.Route(443, host, "/", ""); !ok || r.Listener != 0 {
					errs <- fmt.Errorf("Route(%q) = %+v, %v", host, r, ok)
					return
				}
				if li, ok := tab.CertificateFor(443, "x.example"); !ok || li != 1 {
					errs <- fmt.Errorf("CertificateFor = %d, %v", li, ok)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestZeroTable(t *testing.T) {
	var tab Table
	if r, ok := tab.Route(80, "h", "/", ""); ok {
		t.Errorf("zero Table: Route = %+v, true", r)
	}
	if li, ok := tab.CertificateFor(443, "h"); ok || li != -1 {
		t.Errorf("zero Table: CertificateFor = %d, %v", li, ok)
	}
	if tab.AcceptsHost(0, "h") || len(tab.Ports()) != 0 {
		t.Errorf("zero Table accepts hosts or has ports")
	}
}

// TestPathMapRedirects: path rules and a path map's default that redirect,
// their Location built as a Basic rule's redirect builds it.
func TestPathMapRedirects(t *testing.T) {
	m := &PathMap{
		Name: "m", DefaultRedirect: &Redirect{Status: 302, TargetURL: "https://elsewhere.example/home", IncludeQuery: true},
		Rules: []PathRule{
			{Name: "api", Paths: []string{"/api/*"}, Target: Target{Pool: "api", Setting: "s", PathOverride: "/v2/"}},
			{Name: "old", Paths: []string{"/old/*", "/legacy"}, Redirect: &Redirect{Status: 301, TargetListener: "https", IncludePath: true, IncludeQuery: true}},
			{Name: "moved", Paths: []string{"/moved*"}, Redirect: &Redirect{Status: 307, TargetListener: "plain"}},
			{Name: "here", Paths: []string{"/here"}, Redirect: &Redirect{Status: 303, TargetListener: "http"}},
		},
	}
	cfg := Config{
		Listeners: []Listener{
			{Name: "http", Port: 80},
			{Name: "https", Port: 443, HTTPS: true, HostNames: []string{"www.example"}},
			{Name: "plain", Port: 8080, HostNames: []string{"*.example", "moved.example"}},
		},
		Rules: []Rule{
			{Name: "paths", Listener: "http", PathMap: m},
			{Name: "tls", Listener: "https", Target: target("tls")},
			{Name: "plain", Listener: "plain", Target: target("plain")},
		},
	}
	tab := mustCompile(t, cfg)
	tests := []struct {
		host, path, query string
		pathRule          int
		status            int
		location          string // "" for a proxied request
		target            Target
		sentPath          string
	}{
		{"www.example", "/api/x", "q=1", 0, 0, "", Target{Pool: "api", Setting: "s", PathOverride: "/v2/"}, "/v2/x"},
		{"www.example", "/old/a b", "x=1&y=2", 1, 301, "https://www.example/old/a%20b?x=1&y=2", Target{}, "/old/a b"},
		{"WWW.example:80", "/Legacy", "", 1, 301, "https://www.example/Legacy", Target{}, "/Legacy"},
		{"other.example", "/old/x", "", 1, 301, "https://www.example/old/x", Target{}, "/old/x"}, // a host the target does not accept: its name
		{"a.example", "/moved/deep", "q=1", 2, 307, "http://a.example:8080/", Target{}, "/moved/deep"},
		{"10.0.0.1", "/moved", "", 2, 307, "http://moved.example:8080/", Target{}, "/moved"},
		{"www.example", "/here", "", 3, 303, "http://www.example/", Target{}, "/here"}, // its own listener, at "/"
		{"www.example", "/", "q=1", -1, 302, "https://elsewhere.example/home?q=1", Target{}, "/"},
		{"www.example", "/api", "", -1, 302, "https://elsewhere.example/home", Target{}, "/api"},
	}
	for _, tt := range tests {
		r, ok := tab.Route(80, tt.host, tt.path, tt.query)
		if !ok {
			t.Errorf("Route(%q, %q): no route", tt.host, tt.path)
			continue
		}
		if r.Listener != 0 || r.Rule != 0 || r.PathRule != tt.pathRule || r.Target != tt.target || r.Path != tt.sentPath {
			t.Errorf("Route(%q, %q) = %+v; want path rule %d, target %+v, path %q", tt.host, tt.path, r, tt.pathRule, tt.target, tt.sentPath)
		}
		switch {
		case tt.location == "" && r.Redirect != nil:
			t.Errorf("Route(%q, %q): redirect %+v; want none", tt.host, tt.path, *r.Redirect)
		case tt.location == "":
		case r.Redirect == nil:
			t.Errorf("Route(%q, %q): no redirect; want %d %s", tt.host, tt.path, tt.status, tt.location)
		case r.Redirect.Status != tt.status || r.Redirect.Location != tt.location:
			t.Errorf("Route(%q, %q): redirect %d %q; want %d %q", tt.host, tt.path, r.Redirect.Status, r.Redirect.Location, tt.status, tt.location)
		}
	}

	// A redirect to a listener that names no plain host gets no route for a
	// request without a usable host, as for a Basic rule.
	wild := &PathMap{Name: "w", Default: target("d"), Rules: []PathRule{
		{Name: "r", Paths: []string{"/r"}, Redirect: &Redirect{Status: 301, TargetListener: "wild"}},
	}}
	tab = mustCompile(t, Config{
		Listeners: []Listener{{Name: "http", Port: 80}, {Name: "wild", Port: 443, HTTPS: true, HostNames: []string{"*.example"}}},
		Rules:     []Rule{{Name: "a", Listener: "http", PathMap: wild}, {Name: "b", Listener: "wild", Target: target("b")}},
	})
	if r, ok := tab.Route(80, "", "/r", ""); ok {
		t.Errorf("Route without a host to a wildcard-only listener = %+v; want no route", r)
	}
	if r, ok := tab.Route(80, "", "/other", ""); !ok || r.Target != target("d") {
		t.Errorf("Route to the default = %+v, %v; want the default target", r, ok)
	}
}

// TestOverridePath checks the override applied to a path that a URL
// rewrite made, on the route of the client's path.
func TestOverridePathAfterRewrite(t *testing.T) {
	ovr := func(pool, o string) Target { return Target{Pool: pool, Setting: "s", PathOverride: o} }
	tab := mustCompile(t, Config{
		Listeners: []Listener{{Name: "map", Port: 443, HTTPS: true, HostNames: []string{"map.example"}}, {Name: "basic", Port: 443, HTTPS: true}},
		Rules: []Rule{
			{Name: "map", Listener: "map", PathMap: &PathMap{Name: "m", Default: ovr("def", "/d/"), Rules: []PathRule{
				{Name: "plain", Paths: []string{"/plain/*"}, Target: target("plain")},
				{Name: "img", Paths: []string{"/images/*", "/pics*"}, Target: ovr("img", "/static/")},
				{Name: "api", Paths: []string{"/api/*"}, Target: ovr("api", "/v2/")},
			}}},
			{Name: "basic", Listener: "basic", Target: ovr("b", "/base/")},
		},
	})
	tests := []struct {
		host, path, rewritten, want string
	}{
		{"other.example", "/x", "/y/z", "/base/y/z"},                        // basic: prepended
		{"map.example", "/nothing", "/else", "/d/else"},                     // default: prepended
		{"map.example", "/plain/a", "/other", "/other"},                     // no override
		{"map.example", "/images/a.png", "/images/b.png", "/static/b.png"},  // still the rule: its literal replaced
		{"map.example", "/images/a.png", "/PICS/b.png", "/static/b.png"},    // the rule's other pattern
		{"map.example", "/images/a.png", "/img/a.png", "/static/img/a.png"}, // no longer the rule: prepended
		{"map.example", "/images/a.png", "/api/x", "/static/api/x"},         // another rule's path: prepended, not rerouted
	}
	for _, tt := range tests {
		rt, ok := tab.Route(443, tt.host, tt.path, "")
		if !ok {
			t.Fatalf("Route(%q, %q): no route", tt.host, tt.path)
		}
		if got := tab.OverridePath(rt, tt.rewritten); got != tt.want {
			t.Errorf("OverridePath(route of %q %q, %q) = %q; want %q", tt.host, tt.path, tt.rewritten, got, tt.want)
		}
	}
	rt, _ := tab.Route(443, "map.example", "/images/a.png", "")
	if n := testing.AllocsPerRun(100, func() { tab.OverridePath(rt, "/images/b.png") }); n > 1 {
		t.Errorf("OverridePath: %v allocations; want at most 1", n)
	}
}
