package routing

import (
	"fmt"
	"runtime"
	"testing"
)

var benchSizes = []int{10, 1000, 100000}

// benchHosts is n HTTPS listeners on one port, one host name each: a third
// exact names, a third "*." wildcards, a third '?' wildcards; then a basic
// listener last. Lookups hit the last of each kind, and the basic listener.
func benchHosts(b *testing.B, n int) (*Table, []string) {
	var ls []Listener
	for i := range n {
		var h string
		switch i % 3 {
		case 0:
			h = fmt.Sprintf("site%d.example.com", i)
		case 1:
			h = fmt.Sprintf("*.w%d.example.net", i)
		case 2:
			h = fmt.Sprintf("api-??.q%d.example.org", i)
		}
		ls = append(ls, Listener{Name: fmt.Sprint("l", i), Port: 443, HTTPS: true, HostNames: []string{h}})
	}
	ls = append(ls, Listener{Name: "basic", Port: 443, HTTPS: true})
	last := func(k int) int { return (n-1-k)/3*3 + k }
	hosts := []string{
		fmt.Sprintf("site%d.example.com", last(0)),
		fmt.Sprintf("Shop.EU.w%d.example.net:443", last(1)),
		fmt.Sprintf("api-07.q%d.example.org", last(2)),
		"nobody.example.com",
	}
	return mustCompile(b, hostsConfig(ls, nil)), hosts
}

// benchPaths is one basic listener whose path map has n path rules: a third
// "/svcN/*", a third "/staticN*", a third exact "/exact/N"; with override,
// every target has a path override. Lookups hit the last of each kind, and
// the default.
func benchPaths(b *testing.B, n int, override bool) (*Table, []string) {
	t := func(name string) Target {
		tg := target(name)
		if override {
			tg.PathOverride = "/backend/"
		}
		return tg
	}
	m := &PathMap{Name: "m", Default: t("default")}
	for i := range n {
		var p string
		switch i % 3 {
		case 0:
			p = fmt.Sprintf("/svc%d/*", i)
		case 1:
			p = fmt.Sprintf("/static%d*", i)
		case 2:
			p = fmt.Sprintf("/exact/%d", i)
		}
		m.Rules = append(m.Rules, PathRule{Name: fmt.Sprint("r", i), Paths: []string{p}, Target: t(fmt.Sprint("p", i))})
	}
	last := func(k int) int { return (n-1-k)/3*3 + k }
	paths := []string{
		fmt.Sprintf("/svc%d/v1/items/42", last(0)),
		fmt.Sprintf("/STATIC%d/css/site.css", last(1)),
		fmt.Sprintf("/exact/%d", last(2)),
		"/nomatch/at/all",
	}
	return mustCompile(b, pathMapConfig(m)), paths
}

// BenchmarkRoute measures one Route call (the average over the lookups of
// each setup) as the number of host names or path rules grows; "override"
// is "paths" with a path override on every target.
func BenchmarkRoute(b *testing.B) {
	for _, kind := range []string{"hosts", "paths", "override"} {
		b.Run(kind, func(b *testing.B) {
			for _, n := range benchSizes {
				b.Run(fmt.Sprint(n), func(b *testing.B) {
					tab, port := (*Table)(nil), 80
					hosts, paths := []string{"www.example.com"}, []string(nil)
					switch kind {
					case "hosts":
						tab, hosts = benchHosts(b, n)
						port, paths = 443, []string{"/index.html"}
					case "paths":
						tab, paths = benchPaths(b, n, false)
					case "override":
						tab, paths = benchPaths(b, n, true)
					}
					for _, h := range hosts {
						for _, p := range paths {
							if r, ok := tab.Route(port, h, p, ""); !ok || r.Target == (Target{}) {
								b.Fatalf("Route(%q, %q) = %+v, %v", h, p, r, ok)
							}
						}
					}
					runtime.GC() // leave no garbage from the setup to the measured loop
					b.ReportAllocs()
					i := 0
					for b.Loop() {
						tab.Route(port, hosts[i%len(hosts)], paths[i%len(paths)], "")
						i++
					}
				})
			}
		})
	}
}
