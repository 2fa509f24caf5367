package routing

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzHostMatch compares a Table's host lookups (Route, CertificateFor,
// AcceptsHost) with linear scans over MatchHost in evaluation order.
//
// spec lists listeners separated by ';', each a list of host names separated
// by ',' (none: a basic listener); bit i of ports puts listener i on port
// 8443 instead of 443, bit i of requireSNI sets its RequireSNI; reversed
// gives the rules priorities in reverse listed order. Hosts tried: host, and
// every host name with its wildcards replaced by fill.
func FuzzHostMatch(f *testing.F) {
	f.Add("*.contoso.com;shop.contoso.com;fabrikam.com,w??.fabrikam.*;", "shop.contoso.com", "a.b", uint8(0), uint8(0), false)
	f.Add("*.contoso.com;shop.contoso.com;;*.b.example", "x.b.example:443", "", uint8(0b0100), uint8(0b0011), true)
	f.Add("a*.example,*b.example;*.example.*;?.x,x?;bücher.example", "BÜCHER.example.", "ab", uint8(0), uint8(0xff), false)
	f.Add("*a.*b;a*.b*;*.*", "a.b", "", uint8(0b010), uint8(0), true)
	f.Add("", "", "", uint8(0), uint8(0), false)
	f.Fuzz(func(t *testing.T, spec, host, fill string, ports, requireSNI uint8, reversed bool) {
		type claim struct {
			port    int
			pattern string
		}
		claimed := make(map[claim]bool)
		basicOn := make(map[int]bool)
		var listeners []Listener
		for i, names := range strings.SplitN(spec, ";", 8) {
			l := Listener{Name: fmt.Sprint("l", i), Port: 443, HTTPS: true, RequireSNI: requireSNI>>i&1 == 1}
			if ports>>i&1 == 1 {
				l.Port = 8443
			}
			if names != "" {
				for _, n := range strings.SplitN(names, ",", maxHostNames) {
					p, err := parseHostPattern(n)
					if err != nil || claimed[claim{l.Port, p}] {
						continue
					}
					claimed[claim{l.Port, p}] = true
					l.HostNames = append(l.HostNames, n)
				}
			}
			if len(l.HostNames) == 0 {
				if basicOn[l.Port] {
					continue
				}
				basicOn[l.Port] = true
			}
			listeners = append(listeners, l)
		}
		var priorities []int
		if reversed {
			for i := range listeners {
				priorities = append(priorities, len(listeners)-i)
			}
		}
		cfg := hostsConfig(listeners, priorities)
		tab := mustCompile(t, cfg)

		// byRank lists the listeners in evaluation order.
		byRank := make([]int, len(listeners))
		for i := range byRank {
			byRank[i] = i
			if reversed {
				byRank[i] = len(listeners) - 1 - i
			}
		}
		accepts := func(l Listener, h string) bool {
			if len(l.HostNames) == 0 {
				return true
			}
			for _, p := range l.HostNames {
				if MatchHost(p, h) {
					return true
				}
			}
			return false
		}
		matchesSome := func(l Listener, h string, wild bool) bool {
			for _, p := range l.HostNames {
				if strings.ContainsAny(p, "*?") == wild && MatchHost(p, h) {
					return true
				}
			}
			return false
		}
		refRoute := func(port int, h string) int {
			for _, li := range byRank {
				if l := listeners[li]; l.Port == port && accepts(l, h) {
					return li
				}
			}
			return -1
		}
		refCertificate := func(port int, sni string) int {
			on := func(li int) bool { return listeners[li].Port == port }
			if sni != "" {
				for _, wild := range []bool{false, true} {
					for _, li := range byRank {
						if on(li) && matchesSome(listeners[li], sni, wild) {
							return li
						}
					}
				}
			}
			for _, li := range byRank {
				if l := listeners[li]; on(li) && len(l.HostNames) == 0 && (sni != "" || !l.RequireSNI) {
					return li
				}
			}
			for _, li := range byRank {
				if on(li) && !listeners[li].RequireSNI {
					return li
				}
			}
			return -1
		}

		hosts := []string{host}
		for _, l := range listeners {
			for _, p := range l.HostNames {
				h := instantiate(p, fill)
				hosts = append(hosts, h, strings.ToUpper(h)+":443")
			}
		}
		for _, h := range hosts {
			for _, port := range []int{443, 8443} {
				want := refRoute(port, h)
				r, ok := tab.Route(port, h, "/", "")
				if got := map[bool]int{true: r.Listener, false: -1}[ok]; got != want {
					t.Fatalf("Route(%d, %q) = listener %d; reference says %d\nlisteners: %+v", port, h, got, want, listeners)
				}
				want = refCertificate(port, h)
				if got, _ := tab.CertificateFor(port, h); got != want {
					t.Fatalf("CertificateFor(%d, %q) = %d; reference says %d\nlisteners: %+v", port, h, got, want, listeners)
				}
			}
			for li, l := range listeners {
				if got, want := tab.AcceptsHost(li, h), accepts(l, h); got != want {
					t.Fatalf("AcceptsHost(%d, %q) = %v; reference says %v\nlistener: %+v", li, h, got, want, l)
				}
			}
		}
	})
}

// instantiate replaces the wildcards in pattern: '*' with fill, '?' with
// fill's first byte or 'x'.
func instantiate(pattern, fill string) string {
	one := "x"
	if fill != "" {
		one = fill[:1]
	}
	return strings.NewReplacer("*", fill, "?", one).Replace(pattern)
}

// FuzzPathMatch compares a PathMap's compiled lookup, and the path override
// applied, with a linear scan over the patterns in listed order.
//
// spec lists path rules separated by ';', each a list of patterns separated
// by ','; bit i of overrides gives path rule i a path override. Paths tried:
// path, and every pattern's literal, with fill appended, in upper case.
func FuzzPathMatch(f *testing.F) {
	f.Add("/images/*;/video*,/about;/api/*;/api/v2/*", "/api/v2/x", "a/b", uint8(0b1010), true)
	f.Add("/k*;/\u212a/*;/ß", "/K/x", "", uint8(0xff), false)
	f.Add("/*;/", "/", "x", uint8(0b01), true)
	f.Add("/a,/A*,/a/*;/ΣΑΣ*", "/σας/", "ς", uint8(0b10), false)
	f.Add("", "", "", uint8(0), false)
	f.Fuzz(func(t *testing.T, spec, path, fill string, overrides uint8, defaultOverride bool) {
		type kind struct {
			key    string
			prefix bool
		}
		seen := make(map[kind]bool)
		m := &PathMap{Name: "m", Default: target("default")}
		if defaultOverride {
			m.Default.PathOverride = "/d/"
		}
		for _, paths := range strings.SplitN(spec, ";", 16) {
			pr := PathRule{Name: fmt.Sprint("r", len(m.Rules)), Target: target(fmt.Sprint("p", len(m.Rules)))}
			if overrides>>len(m.Rules)&1 == 1 {
				pr.Target.PathOverride = fmt.Sprintf("/o%d/", len(m.Rules))
			}
			for _, p := range strings.SplitN(paths, ",", 4) {
				lit, prefix, err := parsePathPattern(p)
				if err != nil || seen[kind{foldKey(lit), prefix}] {
					continue
				}
				seen[kind{foldKey(lit), prefix}] = true
				pr.Paths = append(pr.Paths, p)
			}
			if len(pr.Paths) > 0 {
				m.Rules = append(m.Rules, pr)
			}
		}
		tab := mustCompile(t, pathMapConfig(m))

		ref := func(path string) (rule int, sent string) {
			for i, pr := range m.Rules {
				for _, p := range pr.Paths {
					if cut, ok := refMatchPath(p, path); ok {
						if o := pr.Target.PathOverride; o != "" {
							return i, overridePath(o, path[cut:])
						}
						return i, path
					}
				}
			}
			if o := m.Default.PathOverride; o != "" {
				return -1, overridePath(o, path)
			}
			return -1, path
		}
		paths := []string{path}
		for _, pr := range m.Rules {
			for _, p := range pr.Paths {
				lit := strings.TrimSuffix(p, "*")
				paths = append(paths, lit, lit+fill, strings.ToUpper(lit+fill))
			}
		}
		for _, p := range paths {
			wantRule, wantPath := ref(p)
			r, ok := tab.Route(80, "h", p, "")
			if !ok || r.PathRule != wantRule || r.Path != wantPath {
				t.Fatalf("Route(%q) = path rule %d, path %q; reference says %d, %q\npath map: %+v", p, r.PathRule, r.Path, wantRule, wantPath, m.Rules)
			}
			wantTarget := m.Default
			if wantRule >= 0 {
				wantTarget = m.Rules[wantRule].Target
			}
			if r.Target != wantTarget {
				t.Fatalf("Route(%q).Target = %+v; want %+v", p, r.Target, wantTarget)
			}
		}
	})
}

// refMatchPath is the obviously correct definition of a path pattern match:
// it reports whether pattern matches path and how many bytes of path its
// literal part matched.
func refMatchPath(pattern, path string) (cut int, ok bool) {
	lit, prefix := strings.CutSuffix(pattern, "*")
	for _, pr := range lit {
		if cut >= len(path) {
			return 0, false
		}
		r, w := utf8.DecodeRuneInString(path[cut:])
		if !strings.EqualFold(string(r), string(pr)) {
			return 0, false
		}
		cut += w
	}
	return cut, prefix || cut == len(path)
}

// FuzzPathRouteRequest compares a PathMap's lookup with match conditions,
// case-sensitive or not, with a linear scan in listed order that skips the
// rules whose Match the request does not meet. Bit i of conds gives path
// rule i a Match on the method GET; the request is a GET when get is set.
// A pattern may repeat one of an earlier rule that has a Match.
func FuzzPathRouteRequest(f *testing.F) {
	f.Add("/api/*;/api/*;/a*", "/api/x", "b", uint8(0b01), true, true)
	f.Add("/x;/X;/*", "/X", "", uint8(0b11), false, true)
	f.Add("/ß*;/SS*", "/ßx", "ſ", uint8(0b1), true, false)
	f.Fuzz(func(t *testing.T, spec, path, fill string, conds uint8, get, sensitive bool) {
		type kind struct {
			key    string
			prefix bool
		}
		last := make(map[kind]int) // pattern to the last rule that has it
		m := &PathMap{Name: "m", Default: target("default"), CaseSensitive: sensitive}
		for _, paths := range strings.SplitN(spec, ";", 8) {
			i := len(m.Rules)
			pr := PathRule{Name: fmt.Sprint("r", i), Target: target(fmt.Sprint("p", i))}
			if conds>>i&1 == 1 {
				pr.Match.Method = "GET"
			}
			mine := make(map[kind]bool)
			for _, p := range strings.SplitN(paths, ",", 4) {
				lit, prefix, err := parsePathPattern(p)
				if err != nil {
					continue
				}
				key := lit
				if !sensitive {
					key = foldKey(lit)
				}
				k := kind{key, prefix}
				if j, dup := last[k]; mine[k] || dup && m.Rules[j].Match.IsZero() {
					continue
				}
				mine[k] = true
				pr.Paths = append(pr.Paths, p)
			}
			if len(pr.Paths) > 0 {
				for _, p := range pr.Paths {
					lit, prefix, _ := parsePathPattern(p)
					if !sensitive {
						lit = foldKey(lit)
					}
					last[kind{lit, prefix}] = i
				}
				m.Rules = append(m.Rules, pr)
			}
		}
		tab := mustCompile(t, pathMapConfig(m))
		req := Request{Method: "POST"}
		if get {
			req.Method = "GET"
		}
		matches := func(pattern, path string) bool {
			if !sensitive {
				_, ok := refMatchPath(pattern, path)
				return ok
			}
			lit, prefix := strings.CutSuffix(pattern, "*")
			return path == lit || prefix && strings.HasPrefix(path, lit)
		}
		ref := func(path string) int {
			for i, pr := range m.Rules {
				if pr.Match.Method != "" && pr.Match.Method != req.Method {
					continue
				}
				for _, p := range pr.Paths {
					if matches(p, path) {
						return i
					}
				}
			}
			return -1
		}
		paths := []string{path}
		for _, pr := range m.Rules {
			for _, p := range pr.Paths {
				lit := strings.TrimSuffix(p, "*")
				paths = append(paths, lit, lit+fill, strings.ToUpper(lit+fill))
			}
		}
		for _, p := range paths {
			want := ref(p)
			r, ok := tab.RouteRequest(80, "h", p, req)
			if !ok || r.PathRule != want {
				t.Fatalf("RouteRequest(%q, %s) = path rule %d; reference says %d\npath map: %+v", p, req.Method, r.PathRule, want, m.Rules)
			}
		}
	})
}
